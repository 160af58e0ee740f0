"""Decomposition of every triangulation of a planar point set into sub-polygons.

Every triangulation of a region ``R`` (a simple polygon together with the points
strictly inside it) contains exactly one triangle on a fixed boundary edge
``(a, b)`` of ``R``. Its apex ``c`` is either

* another vertex of ``R``: the triangle splits ``R`` into the two sub-polygons
  ``b .. c`` and ``c .. a`` (either may degenerate to a single edge), or
* a point strictly inside ``R``: removing the triangle leaves the polygon with
  ``c`` inserted between ``a`` and ``b``.

The triangulations of ``R`` are therefore in bijection with the choices of apex
together with triangulations of the sub-regions, and the sub-regions are again
simple polygons. Memoising on the polygon (its vertex cycle) turns this into a
dynamic program over an AND/OR DAG: OR over the apexes, AND over the (at most
two) sub-polygons. Counting, exact uniform sampling (unranking), ranking,
streaming enumeration and additive-cost statistics are all evaluations of the
same DAG (:mod:`._count`, :mod:`._enumerate`).

Choice of the fixed edge. Points are sorted lexicographically and a polygon is
stored as its counter-clockwise vertex cycle rotated to start at its smallest
index (the memo key). For all triangulations (``fine=False``) the fixed edge is
``(a, next(a))`` from that smallest vertex ``a`` ("leftmost" rule: the regions grow
like a sweep from the left). For fine triangulations it is the polygon edge with
the fewest empty triangles on its left, counted once for the whole point set (ties
broken by a fixed global order of the directed edges), found as the lowest set bit
of the polygon's edge mask. Both rules depend on the polygon alone, so memoising
on it is exact. The "fewest apexes" rule keeps 2-6x fewer sub-polygons than the
leftmost one on uniform random sets (1.3e5 against 3.2e5 for 22 points, 3.0e6
against 1.0e7 for 28; reports/benchmarks.md). The work is exponential in the
number of *interior* points for sets in general position.

Geometry is exact: all decisions use the exact orientation table
(:func:`._predicates.orient2d_table`), and on a line the lexicographic order is the
order along the line, so "strictly between" is an index comparison.

Fine triangulations use every point: a triangle is admissible iff it contains no
other point in its closed area (a precomputed *empty triangle*), and then it lies
inside the polygon iff neither new side conflicts with a polygon edge.

Non-fine triangulations (De Loera-Rambau-Santos) may leave out any point that is
not a corner of the convex hull, interior points and points inside hull edges
alike. An interior point is left out simply by never being chosen: it ends up
inside a triangle or on an edge. A point inside a hull edge is left out either
when it is the head ``b`` of the fixed edge (an explicit "skip" choice without a
triangle) or when it lies on a side of the chosen triangle that runs along the
hull. Such a point is still *optional* exactly while both its polygon edges run
along the hull, so the polygon alone determines the state.

States are ``bytes`` (one byte per vertex index, so at most 255 points), which
keeps the memo compact.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._predicates import orient2d_table

__all__ = ["PlanarDecomposition", "StateBudgetExceeded", "estimate_states", "convex_hull_cycle"]


class StateBudgetExceeded(Exception):
    """Raised inside the DP when the memo grows past ``max_states``."""


def estimate_states(n_points: int, n_interior: int) -> float:
    """Rough number of sub-polygons the DP visits (empirical, see module docstring).

    Measured on uniform, Gaussian, disk and lattice sets of 10-36 points; the
    estimate is within a factor ~10, usually above the truth.
    """
    return float(n_points) ** 2 * 2.0 ** (0.75 * n_interior)


def _bits(mask_rows: np.ndarray) -> list[int]:
    """Boolean rows ``(k, n)`` to Python ints with bit ``j`` set where ``row[j]``."""
    packed = np.packbits(mask_rows, axis=-1, bitorder="little")
    return [int.from_bytes(row.tobytes(), "little") for row in packed]


def convex_hull_cycle(O: np.ndarray) -> tuple[list[int], list[int]]:
    """Counter-clockwise boundary of the convex hull of lexicographically sorted points.

    Parameters
    ----------
    O : (n, n, n) int8 ndarray
        Exact orientation table of the sorted points.

    Returns
    -------
    cycle : list of int
        All points on the hull boundary, corners and points inside hull edges,
        counter-clockwise starting at point 0.
    corners : list of int
        The strict corners only.
    """
    n = len(O)
    lower: list[int] = []
    for i in range(n):
        while len(lower) >= 2 and O[lower[-2], lower[-1], i] <= 0:
            lower.pop()
        lower.append(i)
    upper: list[int] = []
    for i in reversed(range(n)):
        while len(upper) >= 2 and O[upper[-2], upper[-1], i] <= 0:
            upper.pop()
        upper.append(i)
    corners = lower[:-1] + upper[:-1]
    cycle: list[int] = []
    for k, u in enumerate(corners):
        w = corners[(k + 1) % len(corners)]
        lo, hi = min(u, w), max(u, w)
        # on a line the lexicographic order is the order along the line
        mids = [v for v in range(lo + 1, hi) if O[u, w, v] == 0]
        mids.sort(reverse=u > w)
        cycle.append(u)
        cycle.extend(mids)
    return cycle, corners


def _near_collinear_triples(P: np.ndarray, O: np.ndarray, rtol: float = 1e-10) -> int:
    """Unordered triples that are collinear up to rounding (relative ``rtol``) but not exactly.

    Such triples usually come from a lattice with a decimal spacing (0.1 is not a
    binary fraction); the exact predicates treat them as non-collinear, which
    changes the counts, so the caller warns about them.
    """
    big = float(np.max(np.abs(P))) if P.size else 0.0
    if big > 0:  # a power-of-two rescaling (exact) so that the products neither underflow nor overflow
        P = np.ldexp(P, -int(np.frexp(big)[1]))
    x, y = P[:, 0], P[:, 1]
    with np.errstate(all="ignore"):
        dx = x[None, :] - x[:, None]
        dy = y[None, :] - y[:, None]
        left = dx[:, :, None] * dy[:, None, :]
        right = dy[:, :, None] * dx[:, None, :]
        near = (np.abs(left - right) <= rtol * (np.abs(left) + np.abs(right))) & (O != 0)
    return int(near.sum()) // 6


def _canon(t: bytes) -> bytes:
    """Rotate a vertex cycle to start at its smallest vertex (the memo key)."""
    k = t.index(min(t))
    return t[k:] + t[:k] if k else t


def _apex_kids(t: bytes, c: int, vm: int) -> tuple:
    """Sub-regions left when triangle (t[0], t[1], c) is cut off the region ``t``.

    An apex on the boundary (bit ``c`` of the vertex mask ``vm``) splits the
    region into the chains t[1..c] and c..t[0] (a chain of two vertices is an
    edge, not a region); an interior apex is inserted between t[0] and t[1].
    """
    if vm >> c & 1:
        m = len(t)
        k = t.index(c)
        kids: tuple[bytes, ...] = ()
        if k >= 3:
            kids = (_canon(t[1 : k + 1]),)
        if m - k >= 2:
            kids += (_canon(t[k:] + t[:1]),)
        return kids
    return (_canon(t[:1] + bytes((c,)) + t[1:]),)


class PlanarDecomposition:
    """The AND/OR DAG of all (fine) triangulations of a planar point set.

    Parameters
    ----------
    points : (n_points, 2) float64 ndarray
        Clean points (validated by the caller): no duplicates, not all collinear,
        at most 255 points.
    fine : bool
        Fine triangulations (every point used) or all triangulations.
    max_states : int
        Memo size at which :class:`StateBudgetExceeded` is raised.

    Attributes
    ----------
    root : bytes
        The state of the whole convex hull.
    simplices : (n_triangles, 3) int64 ndarray
        Every candidate triangle (original point indices, rows ascending); the
        ``sid`` in :meth:`expand` indexes its rows.
    n_interior : int
        Points strictly inside the convex hull.
    n_hull : int
        Points on the hull boundary (corners and points inside hull edges).
    """

    #: set by build_structure for its cache of recent DAGs
    cache_key: tuple

    def __init__(self, points: np.ndarray, *, fine: bool, max_states: int):
        self.points = points
        self.fine = bool(fine)
        self.max_states = int(max_states)
        n = len(points)
        order = np.lexsort((points[:, 1], points[:, 0]))
        self.order = order  # sorted position -> original index
        P = points[order]
        O = orient2d_table(P)
        self._O = O
        self.n_near_collinear = _near_collinear_triples(P, O)
        cycle, corners = convex_hull_cycle(O)
        self.n_hull = len(cycle)
        self.n_interior = n - len(cycle)
        self.n_corners = len(corners)

        # --- candidate triangles --------------------------------------------------------
        # inside[a][b, c, p]: p in the closed triangle (a, b, c) when (a, b, c) is CCW; the
        # three vertices themselves always count, so "empty" means exactly 3.
        ccw = O > 0
        tri_id: dict[tuple[int, int, int], int] = {}
        tris: list[tuple[int, int, int]] = []
        cand: list[list[list]] = [[[] for _ in range(n)] for _ in range(n)]
        vertex_bits = [1 << v for v in range(n)]
        for a in range(n):
            inside = (O[a][:, None, :] >= 0) & (O >= 0) & (O[:, a, :][None, :, :] >= 0)
            if self.fine:
                ok = ccw[a] & (inside.sum(axis=2) == 3)
            else:
                ok = ccw[a]
            bs, cs = np.nonzero(ok)
            masks: list[int] = _bits(inside[bs, cs]) if not self.fine else []  # used only when not fine
            for idx, (b, c) in enumerate(zip(bs.tolist(), cs.tolist())):
                key = tuple(sorted((a, b, c)))
                tid = tri_id.get(key)
                if tid is None:
                    tid = tri_id[key] = len(tris)
                    tris.append(key)
                if self.fine:
                    cand[a][b].append((c, tid))
                else:
                    tm = masks[idx] & ~(vertex_bits[a] | vertex_bits[b] | vertex_bits[c])
                    cand[a][b].append((c, tid, tm))
        self._cand = cand
        tri_arr = np.array(tris, dtype=np.int64).reshape(-1, 3)
        self._tri_sorted = tri_arr  # sorted-position indices
        self.simplices = np.sort(order[tri_arr], axis=1) if len(tri_arr) else tri_arr

        # --- edges and their conflicts -------------------------------------------------
        # Two segments conflict when their intersection is more than a shared endpoint
        # (proper crossing, T-junction or collinear overlap): they cannot both be edges.
        iu, ju = np.triu_indices(n, 1)
        eid = np.zeros((n, n), dtype=np.int64)
        eid[iu, ju] = np.arange(len(iu))
        eid[ju, iu] = np.arange(len(iu))
        p, q = iu[:, None], ju[:, None]
        r, s = iu[None, :], ju[None, :]
        o1, o2, o3, o4 = O[p, q, r], O[p, q, s], O[r, s, p], O[r, s, q]
        conflict = ((o1 * o2 < 0) & (o3 * o4 < 0))
        conflict |= (o1 == 0) & (r > p) & (r < q)
        conflict |= (o2 == 0) & (s > p) & (s < q)
        conflict |= (o3 == 0) & (p > r) & (p < s)
        conflict |= (o4 == 0) & (q > r) & (q < s)
        del o1, o2, o3, o4
        # Directed edges (u, w) carry one bit each, numbered by their rank: fewest
        # candidate triangles on the left first (ties: by (u, w)). A polygon's edge set
        # (its counter-clockwise edges) is a bit mask, and its lowest set bit is the
        # fixed edge of the fine DP. A conflict mask holds both directions of an edge.
        n_apex = np.array([[len(cand[u][w]) for w in range(n)] for u in range(n)], dtype=np.int64)
        du = np.concatenate([iu, ju])
        dw = np.concatenate([ju, iu])
        order_d = np.lexsort((dw, du, n_apex[du, dw]))
        rank = np.empty(len(du), dtype=np.int64)
        rank[order_d] = np.arange(len(du))
        n_e = len(iu)
        directed = np.zeros((n_e, 2 * n_e), dtype=bool)
        directed[:, rank[:n_e]] = conflict
        directed[:, rank[n_e:]] = conflict
        del conflict
        conf_bits = _bits(directed)
        del directed
        rank_of = np.zeros((n, n), dtype=np.int64)
        rank_of[du, dw] = rank
        self._edge_of_rank = list(zip(du[order_d].tolist(), dw[order_d].tolist()))
        self._ebit = [[(1 << int(rank_of[u, w])) if u != w else 0 for w in range(n)] for u in range(n)]
        self._conf = [[conf_bits[int(eid[u, w])] if u != w else 0 for w in range(n)] for u in range(n)]

        if not self.fine:
            # Upward-ray crossing masks (half-open in x) and points strictly inside each
            # segment: the parity of crossings over the polygon's edges, minus its
            # boundary, is the set of points strictly inside the polygon.
            x = P[:, 0]
            ray = [[0] * n for _ in range(n)]
            onseg = [[0] * n for _ in range(n)]
            ids = np.arange(n)
            for u in range(n):
                for w in range(u + 1, n):
                    between = (ids > u) & (ids < w) & (O[u, w] == 0)
                    if x[u] != x[w]:  # u < w lexicographically, so x[u] < x[w]
                        below = (x >= x[u]) & (x < x[w]) & (O[u, w] < 0)
                        ray[u][w] = ray[w][u] = _bits(below[None, :])[0]
                    onseg[u][w] = onseg[w][u] = _bits(between[None, :])[0]
            self._ray = ray
            self._onseg = onseg
            corner_set, boundary = set(corners), set(cycle)
            self._optional = [v in boundary and v not in corner_set for v in range(n)]
            self._optional_mask = sum(1 << v for v in range(n) if self._optional[v])
            self.expand = self._expand_all
        else:
            self.expand = self._expand_fine
        self.root = _canon(bytes(cycle))
        self.memo: Any = {}  # bytes -> int: a dict, or the compiled kernel's table (_count_kernel.KernelMemo)
        #: progress and time limit of the running call (``_work.Work``), set by its caller
        self.work: Any = None
        #: estimated number of sub-polygons (set by ``_count.build_structure``)
        self.estimate: float | None = None

    # ------------------------------------------------------------------ expansion
    def _expand_fine(self, t: bytes) -> list:
        """Choices ``(sid, kids)`` of the state ``t`` for fine triangulations.

        The fixed edge is the polygon's edge of lowest rank (fewest candidate
        triangles on its left, see ``_ebit``), so the choice depends on the polygon
        alone and memoising on it stays exact.
        """
        ebit = self._ebit
        vm = 0
        pe = 0
        prev = t[-1]
        for v in t:
            vm |= 1 << v
            pe |= ebit[prev][v]
            prev = v
        a, b = self._edge_of_rank[(pe & -pe).bit_length() - 1]
        i = t.index(a)
        r = t[i:] + t[:i]  # the polygon from a: (r[0], r[1]) is the fixed edge
        ca, cb = self._conf[a], self._conf[b]
        out = []
        for c, tid in self._cand[a][b]:
            if ca[c] & pe or cb[c] & pe:
                continue
            out.append((tid, _apex_kids(r, c, vm)))
        return out

    def _expand_all(self, t: bytes) -> list:
        """Choices ``(sid, kids)`` of the state ``t`` for all triangulations.

        ``sid == -1`` marks the choice "leave out the optional hull point ``b``".
        """
        ebit, ray, onseg = self._ebit, self._ray, self._onseg
        m = len(t)
        vm = pe = par = bd = 0
        prev = t[-1]
        for v in t:
            vm |= 1 << v
            pe |= ebit[prev][v]
            par ^= ray[prev][v]
            bd |= onseg[prev][v]
            prev = v
        avail = vm | (par & ~(vm | bd))  # polygon vertices and points strictly inside
        a, b = t[0], t[1]
        head = t[:1]
        out: list[tuple[int, tuple[bytes, ...]]] = []
        if self._optional[b] and self._O[a, b, t[2]] == 0:
            out.append((-1, (_canon(head + t[2:]),)))
        ca, cb = self._conf[a], self._conf[b]
        for c, tid, tm in self._cand[a][b]:
            if not avail >> c & 1:
                continue
            extra = tm & vm
            if not extra:
                if ca[c] & pe or cb[c] & pe:
                    continue
                out.append((tid, _apex_kids(t, c, vm)))
                continue
            # Polygon vertices on the triangle: allowed only if they are optional hull
            # points forming the whole chain c..a (or b..c) along a side of the triangle,
            # which then runs along the hull and leaves them out.
            if not vm >> c & 1:
                continue
            k = t.index(c)
            allowed = 0
            pe2 = pe
            kids: tuple[bytes, ...] = ()
            run1 = t[2:k]  # strictly between b and c
            r1 = sum(1 << v for v in run1)
            if r1 and r1 & self._optional_mask == r1 and onseg[b][c] & r1 == r1:
                allowed |= r1
                chain = t[1 : k + 1]
                for i in range(len(chain) - 1):
                    pe2 &= ~ebit[chain[i]][chain[i + 1]]
            elif k >= 3:
                kids = (_canon(t[1 : k + 1]),)
            run2 = t[k + 1 :]  # strictly between c and a
            r2 = sum(1 << v for v in run2)
            if r2 and r2 & self._optional_mask == r2 and onseg[c][a] & r2 == r2:
                allowed |= r2
                chain = t[k:] + head
                for i in range(len(chain) - 1):
                    pe2 &= ~ebit[chain[i]][chain[i + 1]]
            elif m - k >= 2:
                kids += (_canon(t[k:] + head),)
            if extra != allowed or ca[c] & pe2 or cb[c] & pe2:
                continue
            out.append((tid, kids))
        return out

    # ------------------------------------------------------------------ counting
    def count(self, t: bytes) -> int:
        """Number of triangulations of the state ``t`` (memoised)."""
        memo = self.memo
        r = memo.get(t)
        if r is not None:
            return r
        total = 0
        count = self.count
        for _, kids in self.expand(t):
            if not kids:
                total += 1
            elif len(kids) == 1:
                total += count(kids[0])
            else:
                total += count(kids[0]) * count(kids[1])
        if len(memo) >= self.max_states:
            raise StateBudgetExceeded(len(memo))
        memo[t] = total
        if self.work is not None and not len(memo) & 4095:
            self.work.tick(len(memo))
        return total

    def max_depth(self) -> int:
        """Upper bound on the nesting depth of the recursion (one level per triangle or skip)."""
        n = len(self.points)
        return 3 * n + 10
