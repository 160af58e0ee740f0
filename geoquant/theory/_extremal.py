"""Extremal directions: the critical points of the alignment potential ``G`` on the sphere.

``G(w) = sum_i r_i relu(w . x~_i)`` is piecewise linear in ``R^(d+1)`` (linear with
gradient ``D_sigma`` on each cell) and ``a > 0`` neurons climb it on ``S^d`` while
``a < 0`` neurons descend it (docs/theory.md §2).  For a sign ``s`` write ``H = s G``.

Definition used here (first-order / Clarke criticality, derived)
----------------------------------------------------------------
A unit direction ``p`` is *critical for sign s* when no tangent direction increases
``H`` to first order: ``H'(p; v) <= 0`` for every tangent ``v``.  Because ``G`` is
linear on each closed cell, ``H'(p; v) = s v . D_c`` for ``v`` pointing into the
cell ``c``; the tangent cone at ``p`` is split by the hyperplanes through ``p``
into finitely many wedges, and a linear function is ``<= 0`` on a wedge iff it is
``<= 0`` on its extreme rays.  So the test reduces to finitely many *slopes*:

* interior of a cell ``sigma``: ``p = s D_sigma/|D_sigma|`` must lie in the open cell
  (self-consistency ``A(s D_sigma) = sigma``); then ``G = s |D_sigma|`` and ``p`` is a
  strict local maximum of ``H`` (``H = |D| cos(angle)`` near ``p``).
* d = 1, a point ``p`` on the line of data point ``i`` (kink exactly at ``x_i``):
  slopes ``s t . D_ccw`` and ``-s t . D_cw`` (``t`` the counter-clockwise tangent).
* d = 2, a point inside an arc of the great circle ``C_i``: the along-arc slope
  ``t . D`` is the same from both sides (the two cells differ by ``r_i x~_i`` and
  ``t`` is orthogonal to ``x~_i``), so it must vanish: ``p = +-P_i D / |P_i D|`` with
  ``P_i`` the projection orthogonal to ``x~_i``.  The normal slopes are ``s n . D_+``
  and ``-s n . D_-`` (``n = x^_i``, pointing into the cell where ``i`` is active).
* d = 2, a vertex (two or more circles through ``p``): one slope ``s e . D`` per
  ray ``e`` along a circle (both wedges next to a ray give the same value).

Second order: along a zero-slope direction the restriction of ``H`` to the great
circle is ``H(p) cos(phi) + 0 sin(phi)``, so it decreases iff ``H(p) = s G(p) > 0``.
Hence ``p`` is a *strict local maximum of H* (``stable=True``: it attracts the
neurons of sign ``s``) iff every slope is negative, or every slope is ``<= 0`` and
``s G(p) > 0``.  First-order critical points that are not strict maxima are
*saddles* (``stable=False``), except strict local minima of ``H`` (all slopes zero,
``s G(p) < 0``), which are the attractors of the opposite sign and are listed there.

Stable is not growing: a strict local maximum of ``H`` with every slope negative
may have ``H(p) = s G(p) < 0``.  Neurons of sign ``s`` are attracted there and
shrink at rate ``s G(p)``; the flag ``growing`` (``s G(p)`` above the slope
tolerance) separates the attractors that lead to an escape from those that do not.

Not listed: points in the closure of a *flat* cell (``D_sigma = 0``, e.g. the dead
cell ``A = {}`` where ``G = 0``).  Such points form continua of non-strict critical
points (plateaus); :func:`geoquant.theory.basins` reports neurons ending there as
``"dead"``/``"flat"``.  Everything here is exact for d = 1 and d = 2 (up to the
sign tolerances); d >= 3 is not supported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import check_points, check_positive, check_values
from ..errors import DegenerateInputError, InvalidInputError, UnsupportedError
from ._alignment import augment, residual_weights
from ._kinks import kink_positions
from ._sectors import Sectors, _normalize, _tangent_basis, sectors as _sectors_fn, vertex_star

__all__ = ["ExtremalDirection", "extremal_directions"]


@dataclass(frozen=True, eq=False)
class ExtremalDirection:
    """A critical direction of ``G`` on the sphere for neurons of one sign.

    Attributes
    ----------
    direction : (n_dims + 1,) ndarray
        Unit vector ``[weights | bias]``.
    sign : int
        +1 (``a > 0`` neurons, which climb ``G``) or -1 (``a < 0``, which descend).
    value : float
        ``G(direction)``.
    kind : {"interior", "boundary"}
        Inside an open cell, or on one or more hyperplanes ``w . x~_i = 0``.
    stable : bool
        True for a strict local maximum of ``sign * G`` (an attractor of the
        direction flow for neurons of this sign); False for a saddle.  Stability
        is about the *direction* only: a stable direction may have a negative
        rate, and neurons attracted there shrink (see ``growing``).
    cell : (n_points,) bool ndarray
        Activation pattern ``A(direction)`` (points on the hyperplane are inactive).
    through : tuple of int
        Data points whose hyperplane contains the direction (empty if interior):
        the kink (d = 1) or the crease line (d = 2) passes through these points.
    adjacent : tuple of int
        Indices (into the :class:`Sectors`) of the cells whose closure contains it.
    codim : int
        0 interior, 1 on one hyperplane, 2 at a vertex of the arrangement (d = 2).
    kink : float or None
        d = 1: the kink ``x = -b / w`` (None when ``w = 0`` or d != 1).
    line : (3,) ndarray or None
        d = 2: ``(a, b, c)`` with ``a x + b y + c = 0`` and ``a^2 + b^2 = 1``, the
        crease of a neuron with this direction (None when d != 2 or no crease).
    growing : bool
        True when the growth rate ``sign * G`` is positive (above the slope
        tolerance of :func:`extremal_directions`): a neuron at this direction grows
        like ``exp(rate * t)`` and eventually escapes.  A stable direction with
        ``growing=False`` is an attractor of *shrinking* neurons (rate < 0, e.g. a
        boundary maximum of ``sign * G`` at a negative value): neurons of this sign
        align there and decay, they never escape.  Only stable and growing
        directions can escape.  (Default: ``rate > 0``.)
    """

    direction: np.ndarray
    sign: int
    value: float
    kind: str
    stable: bool
    cell: np.ndarray
    through: tuple
    adjacent: tuple
    codim: int
    kink: float | None = None
    line: np.ndarray | None = None
    growing: bool | None = None

    def __post_init__(self) -> None:
        if self.growing is None:
            object.__setattr__(self, "growing", bool(self.sign * self.value > 0))

    @property
    def rate(self) -> float:
        """Growth rate ``sign * G`` of ``log|w|`` for a neuron at this direction."""
        return float(self.sign * self.value)

    def __repr__(self) -> str:
        where = f", kink={self.kink:.6g}" if self.kink is not None else ""
        if self.line is not None:
            where = ", line=" + np.array2string(self.line, precision=4)
        return (
            f"ExtremalDirection(sign={self.sign:+d}, kind={self.kind!r}, stable={self.stable}, growing={self.growing}, "
            f"rate={self.rate:.6g}{where}, through={list(self.through)})"
        )


def _classify(slopes: np.ndarray, curv: float, tol: float) -> bool | None:
    """True: strict local max of H; False: saddle; None: not listed (see module doc)."""
    slopes = np.asarray(slopes, dtype=float)
    if np.any(slopes > tol):
        return None
    neg = slopes < -tol
    if np.all(neg) or curv > tol:
        return True
    if curv < -tol and not np.any(neg):
        return None  # strict local minimum of H: an attractor of the other sign
    return False


#: a unit direction has a kink (d = 1) or a crease line (d = 2) when its input part exceeds this
_FLAT_ATOL = 1e-14


def _kink_line(p: np.ndarray, d: int) -> tuple[float | None, NDArray[np.float64] | None]:
    if d == 1:
        k = kink_positions(p[None, :], flat_tol=_FLAT_ATOL)  # one kink or none, unmerged
        return (float(k[0]) if k.size else None), None
    if d == 2:
        nrm = float(np.hypot(p[0], p[1]))
        return None, (p / nrm if nrm > _FLAT_ATOL else None)
    return None, None


class _Ctx:
    """Shared arrays for one ``(points, r)``."""

    def __init__(self, sec: Sectors, r: np.ndarray, rtol: float):
        self.sec = sec
        self.X = sec.points
        self.d = sec.n_dims
        self.Xt = augment(self.X)
        self.Xh = _normalize(self.Xt)
        self.r = r
        self.D = sec.fields(r)
        scale = float(np.sum(np.abs(r) * np.linalg.norm(self.Xt, axis=1)))
        self.tol = rtol * scale
        self.flat = np.linalg.norm(self.D, axis=1) <= self.tol
        self.atol = sec.atol
        self.out: list[ExtremalDirection] = []

    def cell(self, pattern: NDArray[np.bool_]) -> int:
        k = self.sec.index_of(pattern)
        if k < 0:  # pragma: no cover - tolerance mismatch between enumeration and lookup
            raise DegenerateInputError(
                "'points' are too close to degenerate: an activation pattern is not among the sectors "
                "(centre and rescale the data to O(1) coordinates)"
            )
        return k

    def add(self, p: NDArray[np.float64], s: int, kind: str, stable: bool | None, through: Iterable[int | np.integer],
            adjacent: Iterable[int | np.integer], codim: int) -> None:
        G = float(np.maximum(self.Xt @ p, 0.0) @ self.r)
        kink, line = _kink_line(p, self.d)
        self.out.append(
            ExtremalDirection(
                direction=p.copy(),
                sign=int(s),
                value=G,
                kind=kind,
                stable=bool(stable),
                cell=(self.Xh @ p) > self.atol,
                through=tuple(int(i) for i in through),
                adjacent=tuple(int(k) for k in adjacent),
                codim=int(codim),
                kink=kink,
                line=line,
                growing=bool(s * G > self.tol),
            )
        )


def _interior(ctx: _Ctx) -> None:
    P = ctx.sec.patterns
    sgn = np.where(P, 1.0, -1.0)
    for k in np.flatnonzero(~ctx.flat):
        Dh = ctx.D[k] / np.linalg.norm(ctx.D[k])
        for s in (1, -1):
            p = s * Dh
            if np.min(sgn[k] * (ctx.Xh @ p)) > ctx.atol:
                ctx.add(p, s, "interior", True, (), (k,), 0)


def _boundary_1d(ctx: _Ctx) -> None:
    V, S = ctx.sec.vertices, ctx.sec.vertex_signs
    assert V is not None and S is not None  # the arrangement's vertices exist for d <= 2
    for v in range(len(V)):
        p = V[v]
        on = np.flatnonzero(S[v] == 0)
        if len(on) != 1:  # distinct 1D points give distinct hyperplanes, unless round-off merged two
            raise DegenerateInputError(
                f"'points' are too close to degenerate: {len(on)} data hyperplanes meet at one sector vertex "
                "(coordinates far from the origin or nearly coinciding? centre and rescale the data)"
            )
        (inc,) = on
        t = np.array([-p[1], p[0]])
        base = S[v] > 0
        pc, pw = base.copy(), base.copy()
        pc[inc] = t @ ctx.Xh[inc] > 0
        pw[inc] = not pc[inc]
        kc, kw = ctx.cell(pc), ctx.cell(pw)
        if ctx.flat[kc] or ctx.flat[kw]:
            continue
        Dc, Dw = ctx.D[kc], ctx.D[kw]
        for s in (1, -1):
            stable = _classify(np.array([s * t @ Dc, -s * t @ Dw]), s * float(p @ Dc), ctx.tol)
            if stable is not None:
                ctx.add(p, s, "boundary", stable, (inc,), (kw, kc), 1)


def _vertices_2d(ctx: _Ctx) -> None:
    V, S = ctx.sec.vertices, ctx.sec.vertex_signs
    assert V is not None and S is not None  # the arrangement's vertices exist for d <= 2
    for v in range(len(V)):
        inc = np.flatnonzero(S[v] == 0)
        rays, _, pats = vertex_star(V[v], inc, ctx.Xh, S[v])
        ks = [ctx.cell(q) for q in pats]
        if np.any(ctx.flat[ks]):
            continue
        Dw = ctx.D[ks]
        base = np.einsum("ij,ij->i", rays, Dw)  # ray m borders wedges m-1 and m
        G = float(V[v] @ Dw[0])
        for s in (1, -1):
            stable = _classify(s * base, s * G, ctx.tol)
            if stable is not None:
                ctx.add(V[v], s, "boundary", stable, inc, sorted(set(ks)), 2)


def _edges_2d(ctx: _Ctx) -> None:
    V, S = ctx.sec.vertices, ctx.sec.vertex_signs
    assert V is not None and S is not None  # the arrangement's vertices exist for d <= 2
    n = ctx.X.shape[0]
    for i in range(n):
        on = np.flatnonzero(S[:, i] == 0)
        u1, u2 = _tangent_basis(ctx.Xh[i])
        ang = np.sort(np.mod(np.arctan2(V[on] @ u2, V[on] @ u1), 2 * np.pi))
        nxt = np.roll(ang, -1)
        nxt[-1] += 2 * np.pi
        mid = 0.5 * (ang + nxt)
        for m in mid:
            q = np.cos(m) * u1 + np.sin(m) * u2
            p0 = (ctx.Xh @ q) > 0
            p0[i] = False
            p1 = p0.copy()
            p1[i] = True
            k0, k1 = ctx.cell(p0), ctx.cell(p1)
            if ctx.flat[k0] or ctx.flat[k1]:
                continue
            D0, D1 = ctx.D[k0], ctx.D[k1]
            nvec = ctx.Xh[i]
            Dp = D0 - (D0 @ nvec) * nvec
            nDp = np.linalg.norm(Dp)
            if nDp <= ctx.tol:
                continue
            a1, a0 = float(nvec @ D1), float(nvec @ D0)
            sg = np.where(p0, 1.0, -1.0)
            sg[i] = 0.0
            for sc in (1, -1):
                p = sc * Dp / nDp
                vals = ctx.Xh @ p
                vals[i] = 0.0
                others = np.arange(n) != i
                if not np.all(sg[others] * vals[others] > ctx.atol):
                    continue  # not inside this arc
                for s in (1, -1):
                    stable = _classify(np.array([s * a1, -s * a0, 0.0]), s * float(p @ Dp), ctx.tol)
                    if stable is not None:
                        ctx.add(p, s, "boundary", stable, (i,), (k0, k1), 1)


def extremal_directions(
    points: ArrayLike,
    values: ArrayLike | None = None,
    *,
    f: ArrayLike | Callable[[NDArray[np.float64]], ArrayLike] | None = None,
    r: ArrayLike | None = None,
    sectors: Sectors | None = None,
    rtol: float = 1e-9,
) -> list[ExtremalDirection]:
    """Every critical direction of the alignment potential ``G`` on the sphere.

    Parameters
    ----------
    points : (n_points, n_dims) array_like
        Distinct inputs, n_dims 1 or 2.
    values : (n_points,) array_like, optional
        Targets ``y``; with ``f`` they give ``r = (y - f)/n``.  Omit when ``r`` is given.
    f : None, (n_points,) array_like or callable
        Current network outputs at the data (default 0: the start of training).
    r : (n_points,) array_like, optional
        Residual weights, instead of ``values``/``f``.
    sectors : Sectors, optional
        Precomputed :func:`sectors` of ``points`` (geometric method).
    rtol : float
        Slopes and fields below ``rtol * sum_i |r_i| |x~_i|`` count as zero.

    Returns
    -------
    list of ExtremalDirection
        Sorted by sign (+1 first), stable first, then by growth rate descending.
        Exact for d = 1 and 2; see the module docstring for the criterion.

    Raises
    ------
    InvalidInputError, UnsupportedError (n_dims >= 3)

    Examples
    --------
    Positive labels on ``|x| < 1`` have one positive extremal direction, interior and stable
    (docs/theory.md §8, check 3):

    >>> X = [[-0.8], [-0.3], [0.1], [0.6], [0.9]]
    >>> up = [e for e in extremal_directions(X, [0.5, 1.0, 0.7, 1.2, 0.4]) if e.sign > 0]
    >>> [(e.kind, e.stable, e.growing) for e in up]
    [('interior', True, True)]
    """
    X = check_points(points, "points")
    d = X.shape[1]
    if d > 2:
        raise UnsupportedError(f"extremal_directions needs 'points' with n_dims 1 or 2, found n_dims={d}")
    if r is None:
        if values is None:
            raise InvalidInputError("extremal_directions needs 'values' (with optional 'f') or 'r', found neither")
        r = residual_weights(X, values, f)
    else:
        if values is not None or f is not None:
            raise InvalidInputError("pass either 'r' or 'values'/'f' to extremal_directions, found both")
        r = check_values(r, X.shape[0], "r")
    rtol = check_positive(rtol, "rtol")
    if sectors is None:
        sec = _sectors_fn(X, method="geometric")
    else:
        if not isinstance(sectors, Sectors) or sectors.vertices is None or sectors.points.shape != X.shape:
            raise InvalidInputError("'sectors' must be the geometric Sectors of 'points' (sectors(points))")
        sec = sectors
    ctx = _Ctx(sec, r, rtol)
    if ctx.tol == 0.0:
        return []
    _interior(ctx)
    if d == 1:
        _boundary_1d(ctx)
    else:
        _edges_2d(ctx)
        _vertices_2d(ctx)
    out = ctx.out
    out.sort(key=lambda e: (-e.sign, not e.stable, -e.rate))
    return out
