"""Basins of attraction of the extremal directions under the direction flow.

A balanced neuron with sign ``s = sign(a)`` moves its direction by
``d w^/dt = s (I - w^ w^T) D(w^)`` (docs/theory.md §2), independent of its norm.  This
module integrates that flow for many initial directions at once and assigns
each endpoint to the stable extremal direction of its sign that it reached.

The flow is followed exactly, event by event (see :func:`flow_directions`):
inside a cell a trajectory is a great-circle arc towards ``s D_sigma/|D_sigma|``; on
an attracting hyperplane it slides (Filippov); at a vertex it leaves along the
steepest admissible wedge or ray, or stops.  So endpoints are the exact extremal
directions and are assigned by a tiny tolerance.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import as_generator, check_int, check_points, check_positive, check_values
from ..errors import InvalidInputError, UnsupportedError
from ._alignment import augment, residual_weights
from ._extremal import ExtremalDirection, extremal_directions
from ._sectors import _normalize, sectors as _sectors_fn

__all__ = ["DEAD", "FLAT", "UNASSIGNED", "BasinResult", "Basins", "basins", "flow_directions"]

#: label of samples that end in the dead cell ``A = {}`` (G = 0, no motion, no growth)
DEAD = -1
#: label of samples that end in another cell with ``D_sigma = 0``
FLAT = -2
#: label of samples that reach no stable extremal direction within the tolerance
UNASSIGNED = -3


_CELL, _ARC, _VERTEX, _DONE = 0, 1, 2, 3


def _chord_hits(
    P: NDArray[np.float64], Q: NDArray[np.float64], pat: NDArray[np.bool_], Xh: NDArray[np.float64], atol: float,
    skip: NDArray[np.int64] | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """First hyperplane crossings on the chords ``P -> Q`` (rows); ``skip`` excludes one plane per row."""
    sg = np.where(pat, 1.0, -1.0)
    a = np.maximum(sg * (P @ Xh.T), 0.0)
    b = sg * (Q @ Xh.T)
    cross = b <= atol
    if skip is not None:
        cross[np.arange(len(P)), skip] = False
    den = a - b
    with np.errstate(divide="ignore", invalid="ignore"):
        tau = np.where(den > 0, a / den, 0.0)
    tau = np.where(cross, tau, np.inf)
    tmin = tau.min(axis=1) if tau.shape[1] else np.full(len(P), np.inf)
    hits = cross & (tau <= tmin[:, None] + 1e-12)
    return tmin, hits


def _slides(
    nrm: NDArray[np.float64], D_on: NDArray[np.float64], D_off: NDArray[np.float64], sign: int, tol: float
) -> NDArray[np.bool_]:
    """Both one-sided fields push towards the hyperplane with unit normal ``nrm``."""
    return (sign * np.sum(nrm * D_on, axis=-1) < -tol) & (sign * np.sum(nrm * D_off, axis=-1) > tol)


class _Flow:
    """The state of ``m`` trajectories of :func:`flow_directions`, advanced one kind of event at a time.

    ``W`` (unit directions), ``pat`` (the activation pattern of the cell each is in), ``mode``
    (in a cell, on an arc, at a vertex, done) and ``circ`` (the hyperplane an arc slides on)
    are updated in place by :meth:`cells`, :meth:`arcs` and :meth:`vertices`.
    """

    def __init__(self, W: NDArray[np.float64], Xh: NDArray[np.float64], rX: NDArray[np.float64], sign: int,
                 tol: float, atol: float) -> None:
        self.W, self.Xh, self.rX, self.sign, self.tol, self.atol = W, Xh, rX, sign, tol, atol
        self.d = W.shape[1] - 1
        self.pat = (W @ Xh.T) > 0.0
        self.mode = np.full(W.shape[0], _CELL)
        self.circ = np.zeros(W.shape[0], dtype=np.int64)
        self.stars: dict[bytes, tuple] = {}  # vertex sign vector -> its star and slopes

    def cells(self) -> None:
        """Inside a cell: follow the arc towards ``sign D/|D|``; stop there, or cross or slide at the first plane."""
        W, pat, mode, rX = self.W, self.pat, self.mode, self.rX
        idx = np.flatnonzero(mode == _CELL)
        if not idx.size:
            return
        Dc = pat[idx] @ rX
        nD = np.linalg.norm(Dc, axis=1)
        flat = nD <= self.tol
        mode[idx[flat]] = _DONE
        idx, Dc, nD = idx[~flat], Dc[~flat], nD[~flat]
        Q = self.sign * Dc / nD[:, None]
        tmin, hits = _chord_hits(W[idx], Q, pat[idx], self.Xh, self.atol)
        inside = ~np.isfinite(tmin)
        W[idx[inside]] = Q[inside]
        mode[idx[inside]] = _DONE
        go = ~inside
        k, t, h = idx[go], tmin[go][:, None], hits[go]
        W[k] = _normalize((1.0 - t) * W[k] + t * Q[go])
        nh = h.sum(axis=1)
        mode[k[nh >= 2]] = _VERTEX
        one = np.flatnonzero(nh == 1)
        if one.size:
            self._hit_one_plane(k[one], np.argmax(h[one], axis=1))

    def _hit_one_plane(self, kk: NDArray[np.int64], i: NDArray[np.int64]) -> None:
        """Trajectories ``kk`` on plane ``i``: cross it, or slide (d = 1: stop; d = 2: follow the plane's circle)."""
        W, pat, mode, Xh, rX = self.W, self.pat, self.mode, self.Xh, self.rX
        p_on, p_off = pat[kk].copy(), pat[kk].copy()
        p_on[np.arange(len(kk)), i] = True
        p_off[np.arange(len(kk)), i] = False
        sl = _slides(Xh[i], p_on @ rX, p_off @ rX, self.sign, self.tol)
        # crossing: flip the pattern of the plane that was hit
        cr = kk[~sl]
        pat[cr, i[~sl]] = ~pat[cr, i[~sl]]
        sk = kk[sl]
        if self.d == 1:
            mode[sk] = _DONE
        else:
            mode[sk] = _ARC
            self.circ[sk] = i[sl]
            pat[sk, i[sl]] = False
            W[sk] -= np.sum(W[sk] * Xh[i[sl]], axis=1, keepdims=True) * Xh[i[sl]]
            W[sk] = _normalize(W[sk])

    def arcs(self) -> None:
        """d = 2, sliding on a plane: follow its great circle towards ``sign P_i D`` to the end or a vertex."""
        W, pat, mode, Xh = self.W, self.pat, self.mode, self.Xh
        idx = np.flatnonzero(mode == _ARC)
        if not idx.size:
            return
        i = self.circ[idx]
        D0 = pat[idx] @ self.rX
        nv = Xh[i]
        Dp = D0 - np.sum(D0 * nv, axis=1, keepdims=True) * nv
        nD = np.linalg.norm(Dp, axis=1)
        flat = nD <= self.tol
        mode[idx[flat]] = _DONE
        idx, Dp, nD, i = idx[~flat], Dp[~flat], nD[~flat], i[~flat]
        Q = self.sign * Dp / nD[:, None]
        tmin, hits = _chord_hits(W[idx], Q, pat[idx], Xh, self.atol, skip=i)
        inside = ~np.isfinite(tmin)
        W[idx[inside]] = Q[inside]
        mode[idx[inside]] = _DONE
        go = ~inside
        k, t = idx[go], tmin[go][:, None]
        W[k] = _normalize((1.0 - t) * W[k] + t * Q[go])
        mode[k] = _VERTEX

    def vertices(self) -> None:
        """d = 2, at a vertex, one trajectory at a time: stop, or leave along the steepest wedge or ray."""
        for k in np.flatnonzero(self.mode == _VERTEX):
            self._leave_vertex(int(k))

    def _star(self, k: int) -> tuple:
        """Snap trajectory ``k`` onto its vertex; the vertex's star ``(rays, planes, patterns, D, slopes)``."""
        from ._sectors import _cross, vertex_star

        Xh, atol = self.Xh, self.atol
        p = self.W[k]
        vals = Xh @ p
        two = np.argsort(np.abs(vals))[:2]
        # snap onto the exact intersection of the two nearest circles
        c = _normalize(_cross(Xh[two[0]], Xh[two[1]]))
        p = c if c @ p > 0 else -c
        vals = Xh @ p
        S = np.sign(vals).astype(np.int8)
        S[np.abs(vals) <= atol] = 0
        key = S.tobytes()
        self.W[k] = p
        if key not in self.stars:
            inc = np.flatnonzero(S == 0)
            rays, rc, pats = vertex_star(p, inc, Xh, S)
            Dw = pats @ self.rX
            self.stars[key] = (rays, rc, pats, Dw, self.sign * np.einsum("ij,ij->i", rays, Dw))
        return self.stars[key]

    def _leave_vertex(self, k: int) -> None:
        rays, rc, pats, Dw, slopes = self._star(k)
        if np.all(slopes <= self.tol):
            self.mode[k] = _DONE
            return
        choice = _steepest_exit(self.W[k], rays, rc, pats, Dw, slopes, self.Xh, self.rX, self.sign, self.tol)
        if choice is None:
            self.mode[k] = _DONE
        elif choice[0] == "cell":
            self.pat[k] = pats[choice[1]]
            self.mode[k] = _CELL
        else:
            q_ = choice[1]
            cc = rc[q_]
            newp = pats[q_].copy()
            newp[cc] = False
            self.pat[k] = newp
            self.circ[k] = cc
            self.mode[k] = _ARC


def _steepest_exit(p: NDArray[np.float64], rays: NDArray[np.float64], rc: NDArray[np.int64],
                   pats: NDArray[np.bool_], Dw: NDArray[np.float64], slopes: NDArray[np.float64],
                   Xh: NDArray[np.float64], rX: NDArray[np.float64], sign: int, tol: float) -> tuple[str, int] | None:
    """The steepest admissible way out of the vertex ``p``: ``("cell", wedge)``, ``("ray", ray)`` or None."""
    from ._sectors import _tangent_basis

    best, choice = 0.0, None
    e1, e2 = _tangent_basis(p)
    ang = np.mod(np.arctan2(rays @ e2, rays @ e1), 2 * np.pi)
    nr = len(rays)
    for w_ in range(nr):  # wedge w_ lies between rays w_ and w_ + 1
        v = sign * (Dw[w_] - (Dw[w_] @ p) * p)
        lo, hi = ang[w_], ang[(w_ + 1) % nr] + (2 * np.pi if w_ == nr - 1 else 0.0)
        av = np.mod(np.arctan2(v @ e2, v @ e1) - lo, 2 * np.pi) + lo
        if lo + 1e-12 < av < hi - 1e-12 and np.linalg.norm(v) > best:
            best, choice = float(np.linalg.norm(v)), ("cell", w_)
    for q_ in range(nr):  # ray q_ borders wedges q_ - 1 and q_
        if slopes[q_] <= max(best, tol):
            continue
        cc = rc[q_]
        a_side, b_side = pats[q_], pats[q_ - 1]
        on_, off_ = (a_side, b_side) if a_side[cc] else (b_side, a_side)
        if _slides(Xh[cc], on_ @ rX, off_ @ rX, sign, tol):
            best, choice = float(slopes[q_]), ("ray", q_)
    return choice


def flow_directions(
    Xt: NDArray[np.float64], r: NDArray[np.float64], W0: ArrayLike, sign: int, *, atol: float = 1e-10,
    rtol: float = 1e-9,
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Follow ``d w^/dt = sign (I - w^ w^T) D(w^)`` exactly to its endpoint, for d = 1, 2 (kernel).

    Event-driven: inside a cell the trajectory is the great-circle arc towards
    ``sign * D_sigma/|D_sigma|``; it stops there if that point is in the cell, or
    at the first hyperplane it meets.  There it either crosses into the next cell
    or, when both one-sided fields point towards the hyperplane, slides along it
    (Filippov): in d = 1 it stops at that point, in d = 2 it follows the great
    circle towards ``sign * P_i D / |P_i D|``.  At a vertex (d = 2) it stops if no
    tangent direction increases ``sign * G``, else it leaves along the steepest
    admissible wedge or sliding ray.  Endpoints are exact critical points (or
    points of a flat cell), not numerical approximations.

    Parameters
    ----------
    Xt : (n_points, d + 1) augmented inputs; r : (n_points,) residual weights;
    W0 : (m, d + 1) start directions; sign : +1 or -1.

    Returns
    -------
    W : (m, d + 1) unit endpoints.
    pattern : (m, n_points) bool
        Activation pattern of the cell (or of the inactive side of the hyperplane)
        each trajectory ended in; robust where ``W`` lies exactly on a hyperplane.
    """
    W = _normalize(np.array(W0, dtype=np.float64))
    m, D = W.shape
    Xh = _normalize(Xt)
    n = Xh.shape[0]
    scale = float(np.sum(np.abs(r) * np.linalg.norm(Xt, axis=1)))
    if scale == 0.0 or m == 0:
        return W, (W @ Xh.T) > 0.0
    on0 = np.any(np.abs(W @ Xh.T) <= atol, axis=1)
    if on0.any():  # a start exactly on a hyperplane: nudge it (measure zero for random starts)
        W[on0] = _normalize(W[on0] + 1e-7 * np.random.default_rng(0).standard_normal((on0.sum(), D)))
    flow = _Flow(W, Xh, r[:, None] * Xt, sign, rtol * scale, atol)
    for _ in range(4 * n * n + 20):
        flow.cells()
        flow.arcs()
        flow.vertices()
        if np.all(flow.mode == _DONE):
            break
    return flow.W, flow.pat


@dataclass(eq=False)
class BasinResult:
    """Where the samples of one sign ended.

    Attributes
    ----------
    sign : int
    extremal : list of ExtremalDirection
        The stable extremal directions of this sign; labels index this list.
    start, end : (n_samples, n_dims + 1) ndarray
        Initial and final unit directions.
    labels : (n_samples,) int ndarray
        Index into ``extremal``, or :data:`DEAD`, :data:`FLAT`, :data:`UNASSIGNED`.
    distance : (n_samples,) ndarray
        Angle (rad) from each endpoint to its nearest stable extremal direction.
    """

    sign: int
    extremal: list
    start: np.ndarray
    end: np.ndarray
    labels: np.ndarray
    distance: np.ndarray

    @property
    def fractions(self) -> dict:
        """``{index: fraction, "dead": ..., "flat": ..., "unassigned": ...}``; sums to 1."""
        m = max(len(self.labels), 1)
        out: dict[int | str, float] = {k: float(np.sum(self.labels == k)) / m for k in range(len(self.extremal))}
        out["dead"] = float(np.sum(self.labels == DEAD)) / m
        out["flat"] = float(np.sum(self.labels == FLAT)) / m
        out["unassigned"] = float(np.sum(self.labels == UNASSIGNED)) / m
        return out

    def __repr__(self) -> str:
        fr = {k: round(v, 4) for k, v in self.fractions.items() if v > 0}
        return f"BasinResult(sign={self.sign:+d}, n_samples={len(self.labels)}, fractions={fr})"


@dataclass(eq=False)
class Basins:
    """Basin fractions for both signs; ``basins[+1]`` and ``basins[-1]``."""

    points: np.ndarray
    r: np.ndarray
    extremal: list
    positive: BasinResult
    negative: BasinResult

    def __getitem__(self, sign: int) -> BasinResult:
        if sign == 1:
            return self.positive
        if sign == -1:
            return self.negative
        raise KeyError(f"sign must be +1 or -1, found {sign!r}")

    def __repr__(self) -> str:
        return f"Basins(\n  {self.positive!r},\n  {self.negative!r})"


def assign_endpoints(
    Xt: NDArray[np.float64], r: NDArray[np.float64], end: NDArray[np.float64], pattern: NDArray[np.bool_],
    stable: Sequence[ExtremalDirection], *, tol: float, D_flat_tol: float,
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Label endpoints by the nearest stable extremal direction of ``sign`` (kernel)."""
    m = end.shape[0]
    labels = np.full(m, UNASSIGNED, dtype=np.int64)
    dist = np.full(m, np.inf)
    if stable:
        dirs = np.array([e.direction for e in stable])
        ang = np.arccos(np.clip(end @ dirs.T, -1.0, 1.0))
        k = np.argmin(ang, axis=1)
        dist = ang[np.arange(m), k]
        ok = dist <= tol
        labels[ok] = k[ok]
    dead = ~np.any(pattern, axis=1)
    Dv = (pattern * r) @ Xt
    flat = (np.linalg.norm(Dv, axis=1) <= D_flat_tol) & ~dead
    free = labels == UNASSIGNED
    labels[free & dead] = DEAD
    labels[free & flat] = FLAT
    return labels, dist


def basins(
    points: ArrayLike,
    values: ArrayLike | None = None,
    *,
    f: ArrayLike | Callable[[NDArray[np.float64]], ArrayLike] | None = None,
    r: ArrayLike | None = None,
    n_samples: int = 4000,
    seed: int | np.random.Generator = 0,
    tol: float = 1e-6,
    starts: ArrayLike | None = None,
) -> Basins:
    """Fraction of random initial directions that flows to each extremal direction.

    Parameters
    ----------
    points : (n_points, n_dims) array_like
        Distinct inputs, n_dims 1 or 2.
    values : (n_points,) array_like, optional
        Targets; with ``f`` (default 0) they define ``r = (y - f)/n``.
    r : (n_points,) array_like, optional
        Residual weights instead of ``values``/``f``.
    n_samples : int
        Number of initial directions per sign, uniform on ``S^d`` (normalised Gaussians).
    seed : int or Generator
    tol : float
        Largest angle (rad) between an endpoint and the stable extremal direction
        it is assigned to.
    starts : (n_samples, n_dims + 1) array_like, optional
        Initial directions to use instead of uniform samples (e.g. a trainer's
        initialization); used for both signs.

    Returns
    -------
    Basins
        ``basins[s].fractions`` maps each stable extremal direction of sign ``s``
        (index into ``basins[s].extremal``) and ``"dead"``, ``"flat"``,
        ``"unassigned"`` to the fraction of samples; the fractions sum to 1.
    """
    X = check_points(points, "points")
    d = X.shape[1]
    if d > 2:
        raise UnsupportedError(f"basins needs 'points' with n_dims 1 or 2, found n_dims={d}")
    if r is None:
        if values is None:
            raise InvalidInputError("basins needs 'values' (with optional 'f') or 'r', found neither")
        r = residual_weights(X, values, f)
    else:
        if values is not None or f is not None:
            raise InvalidInputError("pass either 'r' or 'values'/'f' to basins, found both")
        r = check_values(r, X.shape[0], "r")
    tol = check_positive(tol, "tol")
    Xt = augment(X)
    if starts is None:
        n_samples = check_int(n_samples, "n_samples", min_value=1)
        rng = as_generator(seed)
        W0 = _normalize(rng.standard_normal((n_samples, d + 1)))
    else:
        W0 = np.asarray(starts, dtype=np.float64)
        if W0.ndim != 2 or W0.shape[1] != d + 1 or not np.all(np.isfinite(W0)):
            raise InvalidInputError(f"'starts' must be a finite (n_samples, {d + 1}) array, found shape {W0.shape}")
        if np.any(np.linalg.norm(W0, axis=1) == 0):
            raise InvalidInputError("'starts' must not contain zero vectors")
        W0 = _normalize(W0)
    sec = _sectors_fn(X, method="geometric")
    ext = extremal_directions(X, r=r, sectors=sec)
    scale = float(np.sum(np.abs(r) * np.linalg.norm(Xt, axis=1)))
    res = {}
    for s in (1, -1):
        stable = [e for e in ext if e.sign == s and e.stable]
        end, pat = flow_directions(Xt, r, W0, s, atol=sec.atol)
        labels, dist = assign_endpoints(Xt, r, end, pat, stable, tol=tol, D_flat_tol=1e-9 * scale)
        res[s] = BasinResult(sign=s, extremal=stable, start=W0, end=end, labels=labels, distance=dist)
    return Basins(points=X, r=r, extremal=ext, positive=res[1], negative=res[-1])
