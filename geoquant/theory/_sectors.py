"""Activation sectors: the cells of the central arrangement ``{w : w . (x_i, 1) = 0}``.

A neuron ``w = [weights | bias]`` in ``R^(d+1)`` is active on the data points
``A(w) = {i : w . x~_i > 0}``.  The sets of ``w`` with a given activation pattern
are the open cells ("sectors") of the central hyperplane arrangement with normals
``x~_i = (x_i, 1)`` (docs/theory.md §2).  Each cell is an open polyhedral cone; its
trace on the unit sphere ``S^d`` is an arc (d = 1) or a spherical polygon (d = 2).

Methods
-------
``"geometric"`` (d = 1, 2, exact up to a sign tolerance):
    d = 1: the ``2n`` points where the lines ``w . x~_i = 0`` cut the circle split it
    into ``2n`` arcs.  d = 2: the vertices of the arrangement of great circles are the
    points ``+-(x~_i x x~_j)/|.|``, merged by their sign vector, so concurrent circles
    (collinear data points, grids) make one vertex of higher degree.  Around each
    vertex the ``k`` circles through it cut the tangent plane into ``2k`` wedges; each
    wedge is a corner of one cell.  Every cell of an essential arrangement has a
    vertex, so this finds all cells; the count is checked against Euler's formula
    ``V - E + F = 2`` (``E = sum_v k_v``).  The interior direction of a cell is the
    normalised sum of its vertices (a strictly positive combination of the extreme
    rays of a pointed cone lies in its interior).
``"lp"`` (any d):
    depth-first search over sign vectors; a prefix of signs is kept when the cone
    ``{s_i w . x^_i > 0}`` is non-empty, decided by a max-margin LP (scipy HiGHS).  A
    known interior point makes one side of each new hyperplane free, so one LP per
    branching.  Cells come in antipodal pairs, so only ``s_0 = +1`` is searched.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import check_memory, check_option, check_points, check_positive
from ..errors import DegenerateInputError, GeoquantError, InvalidInputError
from ._alignment import augment

__all__ = ["Sector", "Sectors", "sectors", "cover_count", "arrangement_count_2d"]


def _normalize(v: np.ndarray, axis: int = -1) -> np.ndarray:
    # divide by the largest entry first, so that 1e200 entries do not overflow when squared
    big = np.max(np.abs(v), axis=axis, keepdims=True)
    v = v / np.where(big > 0, big, 1.0)
    return v / np.linalg.norm(v, axis=axis, keepdims=True)


def _signs(vals: np.ndarray, atol: float) -> np.ndarray:
    s = np.sign(vals).astype(np.int8)
    s[np.abs(vals) <= atol] = 0
    return s


def _key(pattern: np.ndarray) -> bytes:
    return np.packbits(np.asarray(pattern, dtype=bool)).tobytes()


@dataclass(frozen=True, eq=False)
class Sector:
    """One activation cell.

    Attributes
    ----------
    index : int
        Position in the :class:`Sectors` collection.
    pattern : (n_points,) bool ndarray
        ``pattern[i]`` is True when data point ``i`` is active (``w . x~_i > 0``).
    direction : (n_dims + 1,) ndarray
        A unit vector strictly inside the cell (``[weights | bias]``).
    """

    index: int
    pattern: np.ndarray
    direction: np.ndarray

    @property
    def active(self) -> NDArray[np.intp]:
        """Indices of the active data points."""
        return np.flatnonzero(self.pattern)

    def __repr__(self) -> str:
        return f"Sector(index={self.index}, active={self.active.tolist()})"


@dataclass(eq=False)
class Sectors:
    """All activation cells of a data set (see :func:`sectors`).

    Attributes
    ----------
    points : (n_points, n_dims) ndarray
    patterns : (n_sectors, n_points) bool ndarray
    directions : (n_sectors, n_dims + 1) ndarray
        Unit interior directions, one per cell.
    method : str
        ``"geometric"`` or ``"lp"``.
    vertices : (n_vertices, n_dims + 1) ndarray or None
        d <= 2: the vertices of the arrangement on the sphere (d = 1: the ``2n``
        boundary points of the arcs).
    vertex_signs : (n_vertices, n_points) int8 ndarray or None
        ``sign(v . x~_i)`` with 0 for hyperplanes through the vertex.
    cell_vertices : list of int ndarray or None
        For each cell, the vertices on its closure = the extreme rays of its closed cone.
    atol : float
        Sign tolerance on ``w^ . x^_i`` (unit vectors).
    """

    points: np.ndarray
    patterns: np.ndarray
    directions: np.ndarray
    method: str
    vertices: np.ndarray | None = None
    vertex_signs: np.ndarray | None = None
    cell_vertices: list | None = None
    atol: float = 1e-10
    _lookup: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._lookup = {_key(p): k for k, p in enumerate(self.patterns)}
        if len(self._lookup) != len(self.patterns):  # pragma: no cover - construction guarantees it
            raise DegenerateInputError(
                "'points' are too close to degenerate for sector enumeration: two cells got the same "
                "activation pattern (coordinates of very different sizes? centre and rescale the data)"
            )

    # -- sequence protocol -------------------------------------------------
    def __len__(self) -> int:
        return int(self.patterns.shape[0])

    def __getitem__(self, k: int | np.integer) -> Sector:
        k = int(k)
        if k < 0:
            k += len(self)
        if not 0 <= k < len(self):
            raise IndexError(f"sector index {k} out of range for {len(self)} sectors")
        return Sector(k, self.patterns[k], self.directions[k])

    def __iter__(self) -> Iterator[Sector]:
        return (self[k] for k in range(len(self)))

    def __repr__(self) -> str:
        return f"Sectors(n_sectors={len(self)}, n_points={self.n_points}, n_dims={self.n_dims}, method={self.method!r})"

    # -- queries -----------------------------------------------------------
    @property
    def n_points(self) -> int:
        return int(self.points.shape[0])

    @property
    def n_dims(self) -> int:
        return int(self.points.shape[1])

    @property
    def augmented(self) -> NDArray[np.float64]:
        """``(n_points, n_dims + 1)`` augmented inputs ``x~_i = (x_i, 1)``."""
        return augment(self.points)

    @property
    def dead(self) -> int:
        """Index of the dead cell ``A = {}`` (-1 if the arrangement has none)."""
        return self.index_of(np.zeros(self.n_points, dtype=bool))

    def index_of(self, pattern: ArrayLike) -> int:
        """Index of the cell with this activation pattern, -1 if no such cell."""
        pattern = np.asarray(pattern, dtype=bool)
        if pattern.shape != (self.n_points,):
            raise InvalidInputError(f"'pattern' must have shape ({self.n_points},), found {pattern.shape}")
        return self._lookup.get(_key(pattern), -1)

    def locate(self, w: ArrayLike) -> NDArray[np.int64]:
        """Cell index of each direction ``w (..., n_dims + 1)``; -1 on a cell boundary."""
        w = np.asarray(w, dtype=np.float64)
        if w.ndim == 0 or w.shape[-1] != self.n_dims + 1:
            raise InvalidInputError(f"'w' must have shape (..., {self.n_dims + 1}), found {w.shape}")
        flat = w.reshape(-1, w.shape[-1])
        norms = np.linalg.norm(flat, axis=1)
        Xh = _normalize(self.augmented)
        vals = flat @ Xh.T
        on = np.any(np.abs(vals) <= self.atol * np.maximum(norms, 1e-300)[:, None], axis=1)
        act = vals > 0
        out = np.array([self._lookup.get(_key(a), -1) for a in act], dtype=np.int64)
        out[on | (norms == 0)] = -1
        return out.reshape(w.shape[:-1])

    def fields(self, r: ArrayLike) -> NDArray[np.float64]:
        """``D_sigma = sum_{i in sigma} r_i x~_i`` for every cell: ``(n_sectors, n_dims + 1)``."""
        r = np.asarray(r, dtype=np.float64)
        if r.shape != (self.n_points,):
            raise InvalidInputError(f"'r' must have shape ({self.n_points},), found {r.shape}")
        return self.patterns.astype(np.float64) @ (r[:, None] * self.augmented)


# ---------------------------------------------------------------------------
# counts
# ---------------------------------------------------------------------------
def cover_count(n_points: int, n_dims: int) -> int:
    """Number of cells for data in general position: ``2 sum_{k=0}^{d} C(n-1, k)`` (Cover 1965)."""
    from math import comb

    return 2 * sum(comb(n_points - 1, k) for k in range(n_dims + 1))


def arrangement_count_2d(points: ArrayLike, *, atol: float = 1e-10) -> int:
    """Exact cell count for planar data from the lines through the points (Zaslavsky).

    For a central arrangement in R^3 the characteristic polynomial gives
    ``#cells = 2 + 2 * sum_L (m_L - 1)`` over the affine lines ``L`` through at least
    two data points, ``m_L`` the number of data points on ``L``.  General position
    (all ``m_L = 2``) gives ``n^2 - n + 2``.  Independent of the cell enumeration.
    """
    X = check_points(points, "points", dim=2)
    n = X.shape[0]
    Xh = _normalize(augment(X))
    seen = set()
    total = 0
    for i in range(n):
        for j in range(i + 1, n):
            if (i, j) in seen:
                continue
            c = _normalize(_cross(Xh[i], Xh[j]))
            on = np.flatnonzero(np.abs(Xh @ c) <= atol)
            for a in on:
                for b in on:
                    if a < b:
                        seen.add((int(a), int(b)))
            total += len(on) - 1
    return 2 + 2 * total


# ---------------------------------------------------------------------------
# d = 1
# ---------------------------------------------------------------------------
def _sectors_1d(X: np.ndarray, atol: float) -> Sectors:
    Xt = augment(X)
    Xh = _normalize(Xt)
    x = X[:, 0]
    base = _normalize(np.column_stack([np.ones_like(x), -x]))  # w . (x_i, 1) = 0
    pts = np.concatenate([base, -base])
    ang = np.mod(np.arctan2(pts[:, 1], pts[:, 0]), 2 * np.pi)
    order = np.argsort(ang, kind="stable")
    pts, ang = pts[order], ang[order]
    nxt = np.roll(ang, -1)
    nxt[-1] += 2 * np.pi
    mid = 0.5 * (ang + nxt)
    dirs = np.column_stack([np.cos(mid), np.sin(mid)])
    patterns = (dirs @ Xh.T) > 0
    m = len(pts)
    cell_vertices = [np.array([k, (k + 1) % m]) for k in range(m)]
    return Sectors(
        points=X,
        patterns=patterns,
        directions=dirs,
        method="geometric",
        vertices=pts,
        vertex_signs=_signs(pts @ Xh.T, atol),
        cell_vertices=cell_vertices,
        atol=atol,
    )


# ---------------------------------------------------------------------------
# d = 2
# ---------------------------------------------------------------------------
def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cross product of 3-vectors along the last axis (np.cross is slow on small arrays)."""
    a, b = np.broadcast_arrays(a, b)
    out = np.empty(a.shape)
    out[..., 0] = a[..., 1] * b[..., 2] - a[..., 2] * b[..., 1]
    out[..., 1] = a[..., 2] * b[..., 0] - a[..., 0] * b[..., 2]
    out[..., 2] = a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]
    return out


def _tangent_basis(p: np.ndarray) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    helper = np.zeros(3)
    helper[int(np.argmin(np.abs(p)))] = 1.0
    e1 = _normalize(_cross(p, helper))
    e2 = _cross(p, e1)
    return e1, e2


def vertex_star(
    p: np.ndarray, incident: np.ndarray, Xh: np.ndarray, signs_p: np.ndarray
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.bool_]]:
    """Rays and wedges around a vertex ``p`` of the great-circle arrangement.

    Parameters
    ----------
    p : (3,) unit vertex; incident : (k,) indices of circles through ``p``;
    Xh : (n, 3) unit normals; signs_p : (n,) int8 signs of ``p . x^_j``.

    Returns
    -------
    rays : (2k, 3) unit tangent vectors at ``p`` along the circles, in angular order.
    ray_circle : (2k,) the circle each ray runs along.
    wedge_patterns : (2k, n) bool; wedge ``m`` lies between rays ``m`` and ``m + 1``.
    """
    e1, e2 = _tangent_basis(p)
    t = _normalize(_cross(p[None, :], Xh[incident]))
    t = np.concatenate([t, -t])
    circ = np.concatenate([incident, incident])
    ang = np.mod(np.arctan2(t @ e2, t @ e1), 2 * np.pi)
    order = np.argsort(ang, kind="stable")
    t, circ, ang = t[order], circ[order], ang[order]
    nxt = np.roll(ang, -1)
    nxt[-1] += 2 * np.pi
    mid = 0.5 * (ang + nxt)
    bis = np.cos(mid)[:, None] * e1 + np.sin(mid)[:, None] * e2
    pats = np.repeat((signs_p > 0)[None, :], len(mid), axis=0)
    pats[:, incident] = (bis @ Xh[incident].T) > 0
    return t, circ, pats


def arrangement_vertices_2d(Xh: np.ndarray, atol: float) -> tuple[NDArray[np.float64], NDArray[np.int8]]:
    """Distinct vertices of the great-circle arrangement: ``(V, 3)`` and their signs ``(V, n)``."""
    n = Xh.shape[0]
    ii, jj = np.triu_indices(n, 1)
    c = _normalize(_cross(Xh[ii], Xh[jj]))
    c = np.concatenate([c, -c])
    S = _signs(c @ Xh.T, atol)
    _, first = np.unique(S, axis=0, return_index=True)
    first = np.sort(first)
    return c[first], S[first]


def _sectors_2d(X: np.ndarray, atol: float) -> Sectors:
    Xh = _normalize(augment(X))
    V, S = arrangement_vertices_2d(Xh, atol)
    lookup: dict[bytes, int] = {}
    patterns: list[np.ndarray] = []
    cell_vertices: list[list[int]] = []
    n_edges = 0
    for v in range(len(V)):
        inc = np.flatnonzero(S[v] == 0)
        n_edges += len(inc)
        _, _, pats = vertex_star(V[v], inc, Xh, S[v])
        for pat in pats:
            key = _key(pat)
            k = lookup.get(key)
            if k is None:
                k = lookup[key] = len(patterns)
                patterns.append(pat)
                cell_vertices.append([])
            if not cell_vertices[k] or cell_vertices[k][-1] != v:
                cell_vertices[k].append(v)
    n_faces = 2 - len(V) + n_edges
    if n_faces != len(patterns):
        raise DegenerateInputError(
            f"'points' are too close to degenerate for the geometric sector enumeration: Euler's check fails, "
            f"V - E + F = {len(V)} - {n_edges} + {len(patterns)} != 2 (centre and rescale the data to O(1) "
            f"coordinates, or try method='lp' or another 'atol', now {atol:g})"
        )
    P = np.array(patterns, dtype=bool)
    cv = [np.array(sorted(set(c)), dtype=np.int64) for c in cell_vertices]
    dirs = np.array([_normalize(V[c].sum(axis=0)) for c in cv])
    # the vertex sum is interior in exact arithmetic; re-centre thin cells by LP
    vals = dirs @ Xh.T
    sgn = np.where(P, 1.0, -1.0)
    margin = np.min(sgn * vals, axis=1)
    for k in np.flatnonzero(margin <= 10 * atol).tolist():
        w, t = _max_margin(Xh, sgn[k])
        if t <= atol:  # pragma: no cover - would contradict the enumeration
            raise DegenerateInputError(
                f"'points' are too close to degenerate for the geometric sector enumeration: cell {k} has no "
                f"interior point at tolerance atol={atol:g} (try method='lp' or a smaller 'atol')"
            )
        dirs[k] = w
    return Sectors(
        points=X, patterns=P, directions=dirs, method="geometric", vertices=V, vertex_signs=S, cell_vertices=cv, atol=atol
    )


# ---------------------------------------------------------------------------
# LP enumeration, any d
# ---------------------------------------------------------------------------
def _max_margin(rows: np.ndarray, signs: np.ndarray) -> tuple[NDArray[np.float64], float]:
    """max t s.t. signs_i rows_i . w >= t, |w|_inf <= 1; returns (unit w, t)."""
    from scipy.optimize import linprog

    D = rows.shape[1]
    A = np.hstack([-(signs[:, None] * rows), np.ones((len(rows), 1))])
    c = np.zeros(D + 1)
    c[-1] = -1.0
    bounds = [(-1.0, 1.0)] * D + [(None, 1.0)]
    res = linprog(c, A_ub=A, b_ub=np.zeros(len(rows)), bounds=bounds, method="highs")
    if res.status != 0:  # pragma: no cover - the LP is always feasible and bounded
        raise GeoquantError(f"sector LP failed: {res.message}")
    w = res.x[:D]
    t = float(res.x[-1])
    nw = np.linalg.norm(w)
    if nw == 0:
        return w, 0.0
    return w / nw, t / nw


def _sectors_lp(X: np.ndarray, atol: float, progress: bool = False) -> Sectors:
    Xh = _normalize(augment(X))
    n, D = Xh.shape
    found: list[np.ndarray] = []
    # root: s_0 = +1 (the antipodal cell is the complement pattern)
    stack = [(1, np.array([1.0]), Xh[0].copy())]
    while stack:
        k, sg, w = stack.pop()
        if k == n:
            found.append(sg)
            continue
        val = float(w @ Xh[k])
        for side in (1.0, -1.0):
            new = np.append(sg, side)
            if side * val > atol:
                stack.append((k + 1, new, w))
                continue
            w2, t = _max_margin(Xh[: k + 1], new)
            if t > atol:
                stack.append((k + 1, new, w2))
    pats, dirs = [], []
    for sg in found:
        w, t = _max_margin(Xh, sg)
        pats.append(sg > 0)
        dirs.append(w)
        pats.append(sg < 0)
        dirs.append(-w)
    if not pats:
        raise DegenerateInputError(
            "'points' are too close to degenerate for the LP sector enumeration: no cell was found "
            "(centre and rescale the data to O(1) coordinates)"
        )
    P = np.array(pats, dtype=bool)
    order = np.lexsort(P.T[::-1])
    return Sectors(points=X, patterns=P[order], directions=np.array(dirs)[order], method="lp", atol=atol)


def sectors(points: ArrayLike, *, method: Literal["auto", "geometric", "lp"] = "auto", atol: float = 1e-10) -> Sectors:
    """Enumerate the activation cells (sectors) of a data set.

    Parameters
    ----------
    points : (n_points, n_dims) array_like
        Distinct data inputs with affine rank ``n_dims`` (a 1-D array is 1D data).
    method : {"auto", "geometric", "lp"}
        ``"auto"`` uses the exact geometric method for d = 1, 2 and LP enumeration
        for d >= 3.  See the module docstring.
    atol : float
        Tolerance on ``|w^ . x^_i|`` (unit vectors) below which a point counts as
        lying on a hyperplane; exact data such as grids are handled exactly.

    Returns
    -------
    Sectors
        Sequence of :class:`Sector` (pattern + unit interior direction).  In
        general position there are ``2n`` cells for d = 1 and ``n^2 - n + 2`` for
        d = 2 (:func:`cover_count`).

    Raises
    ------
    InvalidInputError, DuplicatePointsError, DegenerateInputError

    Examples
    --------
    Generic data give ``2n`` activation sectors in 1D and ``n^2 - n + 2`` in 2D (docs/theory.md §8, check 2):

    >>> len(sectors([[-0.8], [-0.3], [0.1], [0.6], [0.9]]).patterns)
    10
    >>> len(sectors([[0.1, 0.2], [0.9, 0.3], [0.4, 0.8], [0.6, 0.55]]).patterns)
    14
    """
    X = check_points(points, "points")
    check_option(method, "method", ("auto", "geometric", "lp"))
    atol = check_positive(atol, "atol")
    d = X.shape[1]
    n = X.shape[0]
    # one activation pattern of n entries per cell, and float work arrays of that size
    cells = cover_count(n, d)
    check_memory(8.0 * cells * n, f"sectors of {n} points in {d}D (up to {cells} cells)",
                 "use fewer points (the cell count grows like n^d)")
    if method == "geometric" and d > 2:
        raise InvalidInputError(f"'method' 'geometric' needs n_dims 1 or 2, found n_dims={d}; use method='lp'")
    if method == "lp":
        return _sectors_lp(X, atol)
    if d == 1:
        return _sectors_1d(X, atol)
    if d == 2:
        return _sectors_2d(X, atol)
    return _sectors_lp(X, atol)
