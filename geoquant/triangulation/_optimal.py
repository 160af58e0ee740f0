"""Exact optimal fine triangulations of planar point sets by integer programming.

A fine triangulation of a planar point set is a choice of *empty* triangles
(no point in the closed triangle besides its three vertices). The incidence
vectors ``x`` of fine triangulations are exactly the 0/1 solutions of the
cocircuit equations of the universal polytope (De Loera, Hosten, Santos &
Sturmfels 1996; De Loera, Rambau & Santos, *Triangulations*, ch. 8):

* for a segment ``(u, w)`` on the boundary of the convex hull (between two
  consecutive hull points, corners or points inside hull edges): exactly one
  chosen triangle has it as an edge;
* for any other segment: as many chosen triangles have it as an edge on its
  left as on its right.

Why this is exact for 0/1 vectors: let ``f(p)`` be the number of chosen
triangles covering a generic point ``p``. It is 0 outside the hull, and crossing
a segment changes it by (triangles on one side) - (triangles on the other side),
because every triangle edge is a *primitive* segment (no point strictly inside;
the triangles are empty), so a generic point of a line lies on at most one of
them. The equations make ``f = 1`` on the whole hull: the chosen triangles tile
it, and as they are empty and tile face to face (a vertex inside another
triangle's edge would make that triangle non-empty), they form a fine
triangulation. Every fine triangulation satisfies the equations.

So any cost that is a sum over triangles is minimised or maximised exactly by
the integer program ``min / max  w . x`` under these equations, ``x`` binary,
which :func:`scipy.optimize.milp` (HiGHS) solves to proven optimality. About
``2 n**2`` empty triangles for uniform random points. The bottleneck cost
(``reduce="max"``, the largest triangle cost) is minimised by a bisection over
the cost values, each step a feasibility program on the triangles at or below
the threshold; its maximum is the largest cost of any empty triangle (every
empty triangle lies in some fine triangulation: a constrained triangulation of
the points with its three edges).

Geometry is exact: emptiness and orientation come from the exact orientation
table (:func:`._predicates.orient2d_table`), so grids and collinear hull points
are handled. Every returned solution is rounded and re-checked exactly against
the equations before it is reported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, cast

import math
import time
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import check_option
from ..errors import InvalidInputError, SolverError, UnsupportedError
from ._count_planar import convex_hull_cycle
from ._predicates import orient2d_table

if TYPE_CHECKING:
    from types import ModuleType

    from scipy.optimize import OptimizeResult
    from scipy.sparse import csr_array

    from ._triangulation import Triangulation

__all__ = ["optimal_triangulation", "OptimalTriangulation", "empty_triangles"]

# HiGHS stops at an absolute gap of 1e-6 whatever the relative gap asked; costs are
# rescaled so that the mean candidate cost is this large, which makes that gap
# negligible (relative ~1e-9 / n_triangles) against the optimum.
_COST_SCALE = 1e3
_INT_TOL = 1e-6


@dataclass(frozen=True)
class OptimalTriangulation:
    """An optimal fine triangulation and the proof of its optimality.

    Attributes
    ----------
    triangulation : Triangulation
        The fine triangulation found (always a valid fine triangulation, checked
        exactly; when ``optimal`` is False, the best one found).
    cost : float
        Its cost: sum (``reduce="sum"``) or maximum (``reduce="max"``) of the
        per-triangle costs.
    optimal : bool
        True only when the solver proved optimality (gap zero up to HiGHS's
        tolerances). False when a time limit stopped it first.
    bound : float
        Best proven bound on the optimum from the other side (a lower bound for
        ``sense="min"``, an upper bound for ``"max"``); equal to ``cost`` when
        optimal.
    gap : float
        ``|cost - bound| / max(|cost|, tiny)``: 0 when optimal.
    status : str
        The solver's final message (for ``reduce="max"``, of the last program).
    sense, reduce : str
    n_candidates : int
        Number of empty triangles (binary variables).
    seconds : float
        Wall time of the solve(s).
    """

    triangulation: Triangulation = field(repr=False)
    cost: float
    optimal: bool
    bound: float
    gap: float
    status: str
    sense: str = "min"
    reduce: str = "sum"
    n_candidates: int = 0
    seconds: float = 0.0


# ---------------------------------------------------------------------------------------------
# geometry: empty triangles and the cocircuit equations


def _left_bits(O: NDArray[np.int8]) -> NDArray[np.uint64]:
    """``(n, n, words)`` uint64 bitsets: bit ``p`` of ``[a, b]`` set iff ``p`` is in the closed left half-plane of a->b."""
    n = len(O)
    packed = np.packbits(O >= 0, axis=-1, bitorder="little")  # (n, n, ceil(n/8))
    words = -(-packed.shape[-1] // 8)
    pad = words * 8 - packed.shape[-1]
    if pad:
        packed = np.concatenate([packed, np.zeros((n, n, pad), dtype=np.uint8)], axis=-1)
    return np.ascontiguousarray(packed).view(np.uint64)


def empty_triangles(O: NDArray[np.int8]) -> NDArray[np.int64]:
    """Every empty triangle of a planar point set, from its exact orientation table.

    Parameters
    ----------
    O : (n_points, n_points, n_points) int8 ndarray
        ``O[i, j, k]`` = exact orientation of points ``i, j, k``
        (:func:`._predicates.orient2d_table`).

    Returns
    -------
    (n_triangles, 3) int64 ndarray
        Rows ``(a, b, c)`` counter-clockwise with ``a`` the smallest index; a
        triangle is empty when no point other than its vertices lies in it,
        boundary included.
    """
    n = len(O)
    L = _left_bits(O)
    words = L.shape[-1]
    vbit = np.zeros((n, words), dtype=np.uint64)
    idx = np.arange(n)
    vbit[idx, idx // 64] = np.left_shift(np.uint64(1), (idx % 64).astype(np.uint64))
    out = []
    for a in range(n - 2):
        bs, cs = np.nonzero(O[a, a + 1 :, a + 1 :] > 0)
        if not len(bs):
            continue
        bs += a + 1
        cs += a + 1
        inside = L[a, bs] & L[bs, cs] & L[cs, a]
        expect = vbit[a][None, :] | vbit[bs] | vbit[cs]
        ok = np.all(inside == expect, axis=1)
        if ok.any():
            out.append(np.stack([np.full(int(ok.sum()), a), bs[ok], cs[ok]], axis=1))
    if not out:
        return np.zeros((0, 3), dtype=np.int64)
    return np.concatenate(out).astype(np.int64)


def _cocircuit_system(tris: NDArray[np.int64], n: int, hull_cycle: list[int]) -> tuple[csr_array, NDArray[np.int64]]:
    """Sparse equations ``A x = b`` (integer entries) of the fine triangulations.

    One row per segment that is an edge of some candidate triangle: signed
    incidence (+1 triangle on the left of ``min -> max``, -1 on the right) with
    right-hand side 0, or for a hull segment unsigned incidence with 1.
    """
    from scipy.sparse import csr_array

    m = len(tris)
    a, b, c = tris[:, 0], tris[:, 1], tris[:, 2]
    # directed edges with the triangle on their left
    tails = np.concatenate([a, b, c])
    heads = np.concatenate([b, c, a])
    col = np.tile(np.arange(m), 3)
    lo, hi = np.minimum(tails, heads), np.maximum(tails, heads)
    sign = np.where(tails < heads, 1, -1).astype(np.int64)
    key = lo * n + hi
    hull_keys = set()
    for i, u in enumerate(hull_cycle):
        w = hull_cycle[(i + 1) % len(hull_cycle)]
        hull_keys.add(min(u, w) * n + max(u, w))
    ukeys, row = np.unique(key, return_inverse=True)
    is_hull = np.isin(ukeys, np.fromiter(hull_keys, dtype=np.int64, count=len(hull_keys)))
    missing = len(hull_keys) - int(is_hull.sum())
    if missing:  # pragma: no cover - every hull segment bounds some empty triangle
        raise SolverError(f"{missing} hull segment(s) bound no empty triangle; the point set is inconsistent")
    data = np.where(is_hull[row], 1, sign)
    A = csr_array((data, (row, col)), shape=(len(ukeys), m), dtype=np.int64)
    A.sum_duplicates()
    rhs = is_hull.astype(np.int64)
    return A, rhs


# ---------------------------------------------------------------------------------------------
# solving


def _check_time_limit(time_limit: object) -> float | None:
    if time_limit is None:
        return None
    if isinstance(time_limit, bool) or not isinstance(time_limit, (int, float, np.integer, np.floating)):
        raise InvalidInputError(f"'time_limit' must be a positive number of seconds or None, found {time_limit!r}")
    t = float(time_limit)
    if not (t > 0) or math.isnan(t):
        raise InvalidInputError(f"'time_limit' must be a positive number of seconds or None, found {time_limit!r}")
    return t


class _Program:
    """The cocircuit system of one point set, solved for different objectives and variable bounds."""

    def __init__(self, tris: NDArray[np.int64], n: int, cycle: list[int], O: NDArray[np.int8] | None = None) -> None:
        self.tris = tris
        self.O = O
        self.n = n
        self.A, self.rhs = _cocircuit_system(tris, n, cycle)
        self.n_tri = 2 * n - len(cycle) - 2  # triangles in every fine triangulation
        # valid inequalities C x <= cut_rhs (crossing cliques, odd cycles), see _separate_cuts
        self.cuts: csr_array | None = None
        self.cut_rhs = np.zeros(0)
        self._left: tuple[csr_array, NDArray[np.int64], NDArray[np.int64]] | None = None

    def left_usage(self) -> tuple[csr_array, NDArray[np.int64], NDArray[np.int64]]:
        """``(L, tails, heads)``: ``(L @ x)[e]`` = weight of the triangles on the left of directed edge ``e``."""
        if self._left is None:
            from scipy.sparse import csr_array

            T, n, m = self.tris, self.n, len(self.tris)
            tails = np.concatenate([T[:, 0], T[:, 1], T[:, 2]])
            heads = np.concatenate([T[:, 1], T[:, 2], T[:, 0]])
            keys, row = np.unique(tails * n + heads, return_inverse=True)
            L = csr_array((np.ones(3 * m), (row.ravel(), np.tile(np.arange(m), 3))), shape=(len(keys), m))
            self._left = (L, keys // n, keys % n)
        return self._left

    def add_cuts(self, rows: csr_array, rhs: NDArray[np.float64]) -> None:
        from scipy.sparse import vstack

        self.cuts = rows if self.cuts is None else vstack([self.cuts, rows]).tocsr()
        self.cut_rhs = np.concatenate([self.cut_rhs, rhs])

    def solve(self, c: NDArray[np.float64], *, ub: NDArray[np.float64] | None = None,
              lb: NDArray[np.float64] | None = None,
              time_limit: float | None = None) -> tuple[NDArray[np.bool_] | None, OptimizeResult]:
        """Minimise ``c . x`` over fine triangulations; returns (x rounded or None, res)."""
        from scipy.optimize import Bounds, LinearConstraint, milp

        m = len(self.tris)
        lower = np.zeros(m) if lb is None else lb
        upper = np.ones(m) if ub is None else ub
        cons = [
            LinearConstraint(self.A, self.rhs, self.rhs),
            LinearConstraint(np.ones((1, m)), self.n_tri, self.n_tri),  # implied; helps the relaxation
        ]
        if self.cuts is not None:
            cons.append(LinearConstraint(self.cuts, -np.inf, self.cut_rhs))
        options = {"mip_rel_gap": 0.0, "presolve": True}
        if time_limit is not None:
            options["time_limit"] = max(float(time_limit), 1e-3)
        try:
            res = milp(c, integrality=np.ones(m), bounds=Bounds(lower, upper), constraints=cons, options=options)
        except (ValueError, MemoryError) as exc:  # pragma: no cover - defensive
            raise SolverError(f"scipy.optimize.milp (HiGHS) failed: {exc}") from exc
        if res.x is None:
            return None, res
        return self.check(res.x, lower, upper, res.message), res

    def check(self, x: ArrayLike, lower: NDArray[np.float64], upper: NDArray[np.float64],
              message: str = "") -> NDArray[np.bool_]:
        """Round a solver's solution and verify it exactly; returns the chosen triangles (bool)."""
        x = np.asarray(x, dtype=np.float64)
        xr = np.round(x)
        if np.max(np.abs(x - xr), initial=0.0) > _INT_TOL or np.any((xr < lower) | (xr > upper)):
            raise SolverError(
                f"HiGHS returned a non-integral solution (largest deviation {np.max(np.abs(x - xr)):.2e}); {message}"
            )
        xi = xr.astype(np.int64)
        if not np.array_equal(self.A @ xi, self.rhs) or int(xi.sum()) != self.n_tri:
            raise SolverError(f"HiGHS returned a solution that violates the triangulation equations; {message}")
        return xi.astype(bool)


def _greedy_compatible(tris: NDArray[np.int64], O: NDArray[np.int8], order: NDArray[np.intp],
                       chosen: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Add triangles in ``order`` that overlap none chosen so far (a set extendable to a fine triangulation).

    Two empty triangles overlap exactly when two of their edges cross properly
    or they lie on the same side of a shared edge (an empty triangle cannot hold
    another's vertex).
    """
    chosen = chosen.copy()
    edges: list[tuple[int, int]] = []
    side: set[tuple[int, int]] = set()  # directed edges with a chosen triangle on their left

    def add(t: NDArray[np.int64]) -> None:
        a, b, c = (int(v) for v in t)
        for u, w in ((a, b), (b, c), (c, a)):
            side.add((u, w))
            if (w, u) not in side:
                edges.append((u, w))

    for k in np.flatnonzero(chosen):
        add(tris[k])
    for k in order:
        if chosen[k]:
            continue
        a, b, c = (int(v) for v in tris[k])
        if (a, b) in side or (b, c) in side or (c, a) in side:
            continue
        if edges:
            E = np.asarray(edges)
            p, q = E[:, 0], E[:, 1]
            bad = False
            for u, w in ((a, b), (b, c), (c, a)):
                if np.any((O[p, q, u] * O[p, q, w] < 0) & (O[u, w, p] * O[u, w, q] < 0)):
                    bad = True
                    break
            if bad:
                continue
        chosen[k] = True
        add(tris[k])
    return chosen


def _status_text(res: OptimizeResult) -> str:
    return f"{res.message} (status {res.status})"


def _integral(x: NDArray[np.float64]) -> bool:
    """Whether an LP point is integral (every entry within ``_INT_TOL`` of 0 or 1)."""
    return bool(np.max(np.abs(x - np.round(x)), initial=0.0) <= _INT_TOL)


@dataclass
class _SumResult:
    x: np.ndarray | None  # chosen triangles (bool) or None
    value: float  # c . x (scaled, minimisation form)
    bound: float  # proven lower bound on min c . x
    optimal: bool
    status: str
    timed_out: bool = False


#: cutting-plane rounds on the LP relaxation before branch and bound, and cuts added per round
#: (the previous path, ``_DESCENT = False``: cut until the LP is integral, then one branch and bound)
_CUT_ROUNDS = 60
_CUTS_PER_ROUND = 200  # 1000 per round made each warm re-solve 5-10x slower (measured at n = 160)

#: the target descent after a few rounds of cuts (see :class:`_Windows`); ``False`` restores
#: the previous path (kept for the benchmark's same-process comparison)
_DESCENT = True
#: the new path's stronger cuts: cliques of the triangle overlap graph and the optimality cuts of
#: improving flips, with the cuts slack at the LP optimum dropped each round; between rounds one
#: window, the largest that leaves at most ``_CHEAP_WINDOW`` of the triangles free; with a time
#: limit, an incumbent by rounding before the last window if the windows found none
#: (``False``: crossing cliques and odd cycles only, every cut kept, the ladder of windows from
#: ``_DESCENT_FIRST`` doubling, as in the previous round)
_STRONG = True
#: cut rounds before the first windows, at most, and cuts per round there
_DESCENT_ROUNDS = 1
_DESCENT_MAX_ROUNDS = 10
_DESCENT_CUTS_PER_ROUND = 1000
#: between cut rounds, only windows that leave at most this share of the triangles free are
#: tried (HiGHS proves them in seconds at n = 160); a larger one waits for another round of cuts
_CHEAP_WINDOW = 0.45
#: the new path (``_STRONG``): a window between rounds of cuts that runs longer than this (wall s)
#: is left for a later round, and the share of free triangles allowed shrinks by this factor
_CHEAP_WINDOW_SECONDS = 5.0
_CHEAP_WINDOW_STRONG = 0.55
_CHEAP_WINDOW_SHRINK = 0.85
#: the first window below the Lagrangian bound (relative to it) and its growth per infeasible window
_DESCENT_FIRST = 1e-4
_DESCENT_FACTOR = 2.0


def _crossing(O: NDArray[np.int8], a: NDArray[np.int64], b: NDArray[np.int64], n: int) -> NDArray[np.bool_]:
    """``(k, k)`` bool: segments ``a_i b_i`` and ``a_j b_j`` cross properly (each one's ends strictly on both sides of the other).

    Computed once per undirected segment, in int8 (orientations are -1, 0, 1).
    """
    seg, inv = np.unique(np.minimum(a, b) * n + np.maximum(a, b), return_inverse=True)
    p, q = seg // n, seg % n
    side = O[p[:, None], q[:, None], p[None, :]] * O[p[:, None], q[:, None], q[None, :]] < 0
    side &= side.T
    inv = inv.ravel()
    return side if len(seg) == len(a) and np.array_equal(inv, np.arange(len(a))) else side[np.ix_(inv, inv)]


def _violated_cliques(conflict: NDArray[np.bool_], w: NDArray[np.float64], limit: int) -> list[tuple[int, ...]]:
    """Cliques of the graph ``conflict`` (``(k, k)`` bool) whose weights ``w`` sum past 1: sorted index tuples.

    From every vertex, heaviest first, a clique is grown greedily by the heaviest vertex adjacent
    to all of it; distinct violated ones are kept, at most ``limit``. A vertex of weight below 1
    with no neighbour gives no cut.
    """
    seen: set[tuple[int, ...]] = set()
    out: list[tuple[int, ...]] = []
    for i in np.argsort(-w, kind="stable"):
        clique = [int(i)]
        ok = conflict[i].copy()
        while ok.any():
            cand = np.flatnonzero(ok)
            j = int(cand[np.argmax(w[cand])])
            clique.append(j)
            ok &= conflict[j]
        if w[clique].sum() <= 1 + 1e-6:
            continue
        key = tuple(sorted(clique))
        if key in seen:
            continue
        seen.add(key)
        out.append(key)
        if len(out) >= limit:
            break
    return out


def _separate_cliques(prog: _Program, x: NDArray[np.float64], limit: int | None = None) -> csr_array | None:
    """Crossing-clique inequalities violated by the fractional point ``x``, as sparse rows (each ``<= 1``).

    For a directed segment ``u -> w`` let ``y_uw`` be the weight of the chosen triangles on its
    left; in a triangulation it is 1 when ``uw`` is an edge (an interior edge has a triangle on
    each side, a hull edge on its inner side) and 0 otherwise. Edges of a triangulation do not
    cross, so for any set of pairwise properly crossing segments, one direction each,
    ``sum y <= 1``: a valid inequality for every fine triangulation, which the cocircuit
    equations do not imply (three segments crossing pairwise, each used with weight 1/2).
    Found greedily among the fractionally used directed segments (heaviest first).
    """
    from scipy.sparse import csr_array

    L, tails, heads = prog.left_usage()
    y = L @ x
    frac = np.flatnonzero((y > 1e-6) & (y < 1 - 1e-6))
    if len(frac) < 2:
        return None
    frac = frac[np.argsort(-y[frac], kind="stable")]
    a, b = tails[frac], heads[frac]
    O = cast("NDArray[np.int8]", prog.O)  # cuts are separated only for programs built with O
    cross = _crossing(O, a, b, prog.n)
    cliques = _violated_cliques(cross, y[frac], limit or _CUTS_PER_ROUND)
    if not cliques:
        return None
    rows, cols = [], []
    for r, clique in enumerate(cliques):
        for e in frac[list(clique)]:
            idx = L.indices[L.indptr[e]:L.indptr[e + 1]]
            rows.extend([r] * len(idx))
            cols.extend(idx.tolist())
    C = csr_array((np.ones(len(rows)), (rows, cols)), shape=(len(cliques), L.shape[1]))
    C.sum_duplicates()
    C.data[:] = 1.0  # a triangle lies left of at most one segment of a crossing clique
    return C


class _LPResult:
    """What the bound and the cut loop read from an LP solve (the fields of scipy's OptimizeResult)."""

    def __init__(self, status: int, message: str, x: NDArray[np.float64] | None = None,
                 eq: NDArray[np.float64] | None = None, ub: NDArray[np.float64] | None = None) -> None:
        self.status, self.message, self.x = status, message, x
        self.eqlin = type("Marginals", (), {"marginals": eq})()
        self.ineqlin = type("Marginals", (), {"marginals": ub})()


def _quiet_highs(highspy: ModuleType) -> Any:
    """``highspy.Highs()`` without the banner its C++ constructor prints on standard output."""
    import os
    import sys

    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError, AttributeError):  # no usable file descriptor 1: nothing to protect
        return highspy.Highs()
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            return highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


class _Relaxation:
    """The LP relaxation with cuts added between solves.

    With ``highspy`` (HiGHS's own Python interface) the model stays loaded: the first solve
    runs ``lp_method`` ("highs-ipm": interior point with crossover, or "highs-ds": dual
    simplex), and after cuts are added HiGHS re-solves by dual simplex from the previous basis
    (about 1 s instead of 10-15 s from scratch at n = 160). Without it, scipy's ``linprog``
    solves every round from scratch.
    """

    def __init__(self, prog: _Program, c: np.ndarray, lp_method: str) -> None:
        self.prog, self.c, self.method = prog, c, lp_method
        self.h = None
        try:
            import highspy
        except ImportError:  # pragma: no cover - highspy is a dependency; scipy is the fallback
            return
        from scipy.sparse import csc_array

        A = csc_array(prog.A).astype(np.float64)
        m = len(c)
        h = _quiet_highs(highspy)
        h.setOptionValue("output_flag", False)
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = m, A.shape[0]
        lp.col_cost_ = np.asarray(c, dtype=np.float64)
        lp.col_lower_, lp.col_upper_ = np.zeros(m), np.ones(m)
        rhs = prog.rhs.astype(np.float64)
        lp.row_lower_, lp.row_upper_ = rhs, rhs
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = A.indptr.astype(np.int32)
        lp.a_matrix_.index_ = A.indices.astype(np.int32)
        lp.a_matrix_.value_ = A.data
        h.passModel(lp)
        h.setOptionValue("solver", "ipm" if lp_method == "highs-ipm" else "simplex")
        self.h, self.n_eq, self._hs = h, A.shape[0], highspy

    def add_cuts(self, C: csr_array, rhs: NDArray[np.float64]) -> None:
        if self.h is None:
            return
        C = C.tocsr()
        k = C.shape[0]
        self.h.addRows(k, np.full(k, -self._hs.kHighsInf), np.asarray(rhs, dtype=np.float64), C.nnz, C.indptr[:-1].astype(np.int32),
                       C.indices.astype(np.int32), C.data.astype(np.float64))
        self.h.setOptionValue("solver", "simplex")  # warm start from the basis

    def purge(self, x: NDArray[np.float64], lp: OptimizeResult | _LPResult) -> None:
        """Drop the cuts slack at ``x`` with a zero multiplier, from the model and from the program.

        They do not change this LP's optimum; dropped, they keep each warm re-solve as small as the
        first rounds' (a dropped cut that is violated again later is separated again).
        """
        prog = self.prog
        if self.h is None or prog.cuts is None:
            return
        z = np.asarray(lp.ineqlin.marginals, dtype=np.float64)
        slack = prog.cut_rhs - prog.cuts @ x
        drop = np.flatnonzero((np.abs(z) < 1e-12) & (slack > 1e-6))
        if not len(drop):
            return
        self.h.deleteRows(len(drop), (self.n_eq + drop).astype(np.int32))
        keep = np.setdiff1d(np.arange(len(z)), drop)
        prog.cuts, prog.cut_rhs = prog.cuts[keep], prog.cut_rhs[keep]

    def solve(self, time_left: float | None) -> OptimizeResult | _LPResult:
        if self.h is None:
            from scipy.optimize import linprog

            cuts = self.prog.cuts
            opts = {} if time_left is None else {"time_limit": max(time_left, 1e-3)}
            return linprog(self.c, A_eq=self.prog.A, b_eq=self.prog.rhs, A_ub=cuts,
                           b_ub=None if cuts is None else self.prog.cut_rhs, bounds=(0, 1),
                           method=self.method, options=opts)
        h, hs = self.h, self._hs
        # HiGHS compares its time_limit with the run time summed over every run() of this object
        # (ERGO-Code/HiGHS#1331, #1477): the limit of this re-solve is what it has already spent plus
        # what is left (without that, the rounds after the first minute ended at once, "time limit")
        spent = float(h.getRunTime()) if hasattr(h, "getRunTime") else 0.0
        h.setOptionValue("time_limit", spent + float(max(time_left, 1e-3)) if time_left is not None else hs.kHighsInf)
        h.run()
        status = h.getModelStatus()
        if status == hs.HighsModelStatus.kOptimal:
            sol = h.getSolution()
            duals = np.asarray(sol.row_dual, dtype=np.float64)
            return _LPResult(0, "optimal", np.asarray(sol.col_value, dtype=np.float64), duals[: self.n_eq],
                             duals[self.n_eq:])
        text = h.modelStatusToString(status)
        if status in (hs.HighsModelStatus.kTimeLimit, hs.HighsModelStatus.kIterationLimit):
            return _LPResult(1, f"time limit reached ({text})")
        return _LPResult(2, text)


def _separate_odd_cycles(prog: _Program, x: NDArray[np.float64],
                         limit: int | None = None) -> tuple[csr_array, NDArray[np.float64]] | None:
    """Odd-cycle inequalities of the segment crossing graph violated by ``x``: (rows, rhs) or None.

    With ``y`` the usage of segments as in :func:`_separate_cliques`, consecutive segments of a
    closed walk ``e_1 .. e_k`` (``k`` odd) in which each crosses the next cannot both be edges,
    and an odd walk cannot alternate, so in every triangulation ``sum_i y_(e_i) <= (k - 1) / 2``
    (equivalently ``sum over the walk's steps of (1 - y_i - y_j) >= 1``). The most violated
    ones are shortest odd closed walks with step weights ``1 - y_i - y_j``, found by Dijkstra on
    the bipartite double cover of the crossing graph of the fractionally used segments.
    """
    from scipy.sparse import csr_array
    from scipy.sparse.csgraph import dijkstra

    L, tails, heads = prog.left_usage()
    y = L @ x
    frac = np.flatnonzero((y > 1e-6) & (y < 1 - 1e-6))
    if len(frac) < 3:
        return None
    # one directed row per segment (interior segments: both directions carry the same usage)
    seg = np.minimum(tails[frac], heads[frac]) * prog.n + np.maximum(tails[frac], heads[frac])
    _, first = np.unique(seg, return_index=True)
    frac = frac[first]
    a, b = tails[frac], heads[frac]
    O = cast("NDArray[np.int8]", prog.O)  # cuts are separated only for programs built with O
    ii, jj = np.nonzero(_crossing(O, a, b, prog.n))
    if not len(ii):
        return None
    yf = y[frac]
    k = len(frac)
    wgt = np.maximum(1.0 - yf[ii] - yf[jj], 0.0) + 1e-9  # csgraph drops explicit zeros
    # double cover: node i (even parity) and k + i (odd parity); a step flips the parity
    G = csr_array((np.concatenate([wgt, wgt]), (np.concatenate([ii, ii + k]), np.concatenate([jj + k, jj]))),
                  shape=(2 * k, 2 * k))
    # shortest odd walks through the heaviest segments only: from every root, Dijkstra took 30-40 s
    # a round at n = 160 once the LP had ~4,000 fractional triangles
    roots = np.argsort(-yf, kind="stable")[:_ODD_CYCLE_ROOTS]
    # only walks shorter than 1 are violated: the search stops there (same walks, much less work)
    dist, pred = dijkstra(G, directed=True, indices=roots, return_predecessors=True, limit=1.0)
    found = np.flatnonzero(dist[np.arange(len(roots)), roots + k] < 1 - 1e-6)
    seen: set[tuple[int, ...]] = set()
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    rhs: list[float] = []
    for i in found[np.argsort(dist[found, roots[found] + k])]:
        r = roots[i]
        walk = []
        node = r + k
        while node != r and node >= 0:
            walk.append(node % k)
            node = pred[i, node]
        # walk: the closed walk's vertices, r first (reached at odd parity) and not repeated at the end
        if node < 0 or len(walk) % 2 == 0:
            continue
        key = tuple(sorted(walk))
        if key in seen:
            continue
        seen.add(key)
        idx = len(rhs)
        for v in walk:
            e = frac[v]
            cs = L.indices[L.indptr[e]:L.indptr[e + 1]]
            rows.extend([idx] * len(cs))
            cols.extend(cs.tolist())
            vals.extend([1.0] * len(cs))
        rhs.append((len(walk) - 1) / 2)
        if len(rhs) >= (limit or _CUTS_PER_ROUND):
            break
    if not rhs:
        return None
    C = csr_array((vals, (rows, cols)), shape=(len(rhs), L.shape[1]))
    C.sum_duplicates()
    return C, np.asarray(rhs, dtype=np.float64)


def _separate_overlap_cliques(prog: _Program, x: NDArray[np.float64],
                              limit: int | None = None) -> csr_array | None:
    """Cliques of the triangle overlap graph violated by ``x``, as sparse rows (each ``<= 1``).

    Two chosen triangles of a triangulation never overlap (their interiors are disjoint), so of
    a set of pairwise overlapping empty triangles at most one is chosen: ``sum x <= 1``. Where
    the set has a common point this is implied by the cocircuit equations (they make the
    weight covering every point 1), but pairwise overlapping triangles need not share a point
    (the plane has no Helly property for pairs): those cliques are the fractional patterns of
    the maximum that the crossing cliques of segments (:func:`_separate_cliques`) miss, for
    instance long thin triangles crossing one another in a cycle. Two empty triangles overlap
    exactly when an edge of one crosses an edge of the other properly or they lie on the same
    side of a shared edge (:func:`_greedy_compatible`). Found greedily (heaviest first) among
    the fractionally used triangles.
    """
    from scipy.sparse import csr_array

    idx = np.flatnonzero((x > 1e-6) & (x < 1 - 1e-6))
    k = len(idx)
    if k < 3:
        return None
    O = cast("NDArray[np.int8]", prog.O)
    n = prog.n
    S = prog.tris[idx]
    tails = np.concatenate([S[:, 0], S[:, 1], S[:, 2]])
    heads = np.concatenate([S[:, 1], S[:, 2], S[:, 0]])
    owner = np.tile(np.arange(k), 3)
    seg, srow = np.unique(np.minimum(tails, heads) * n + np.maximum(tails, heads), return_inverse=True)
    si, sj = np.nonzero(_crossing(O, seg // n, seg % n, n))  # properly crossing segments
    cross = csr_array((np.ones(len(si)), (si, sj)), shape=(len(seg), len(seg)))
    inc = csr_array((np.ones(3 * k), (owner, srow.ravel())), shape=(k, len(seg)))
    _, drow = np.unique(tails * n + heads, return_inverse=True)
    dinc = csr_array((np.ones(3 * k), (owner, drow.ravel())), shape=(k, int(drow.max()) + 1))
    conflict = ((inc @ cross @ inc.T) + (dinc @ dinc.T)).toarray() > 0
    np.fill_diagonal(conflict, False)
    cliques = _violated_cliques(conflict, x[idx], limit or _CUTS_PER_ROUND)
    if not cliques:
        return None
    rows = [r for r, clique in enumerate(cliques) for _ in clique]
    cols = [int(idx[i]) for clique in cliques for i in clique]
    return csr_array((np.ones(len(rows)), (rows, cols)), shape=(len(cliques), len(x)))


class _FlipCuts:
    """Optimality cuts from improving flips of the objective ``c`` (minimised), valid for its optima.

    Let triangles ``t = (a, c, b)`` and ``u = (c, a, d)`` lie on the two sides of a segment
    ``ac`` with ``abcd`` a convex quadrilateral. If the flip to ``(a, d, b), (d, c, b)``
    strictly lowers the cost, no optimal triangulation holds both ``t`` and ``u`` (flipping
    would improve it). In an optimal triangulation holding ``t``, the triangle across ``ac``
    (there is one: ``ac`` is not a hull segment) is then one of the others, so
    ``x_t <= sum of x_u' over the triangles u' across ac that are not such a partner of t``.
    These rows cut off fractional points that pair triangles across a segment in a way no
    optimal triangulation does; they are valid for every optimal triangulation (not every
    triangulation), so every bound they give is a bound on the optimum, and the windows of
    :class:`_Windows` still hold every optimal triangulation below their target. Strict
    improvement only (beyond ``1e-9`` relative), so ties never cut an optimum off.
    """

    def __init__(self, prog: _Program, c: NDArray[np.float64]) -> None:
        T, n, m = prog.tris, prog.n, len(prog.tris)
        O = cast("NDArray[np.int8]", prog.O)
        L, ltails, lheads = prog.left_usage()
        self.L, self.m = L, m
        tails = np.concatenate([T[:, 0], T[:, 1], T[:, 2]])
        heads = np.concatenate([T[:, 1], T[:, 2], T[:, 0]])
        third = np.concatenate([T[:, 2], T[:, 0], T[:, 1]])
        tri = np.tile(np.arange(m), 3)
        lkeys = ltails * n + lheads
        key = tails * n + heads
        order = np.argsort(key, kind="stable")
        skey = key[order]
        rev = heads * n + tails
        start, stop = np.searchsorted(skey, rev), np.searchsorted(skey, rev, side="right")
        first = np.flatnonzero((tails < heads) & (stop > start))  # one side of each interior segment
        counts = (stop - start)[first]
        i = np.repeat(first, counts)
        offs = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        j = order[np.repeat(start[first], counts) + offs]
        a, cc, b, d = tails[i], heads[i], third[i], third[j]
        convex = O[b, d, a].astype(np.int64) * O[b, d, cc] < 0
        i, j, a, cc, b, d = i[convex], j[convex], a[convex], cc[convex], b[convex], d[convex]
        tkey = np.sort(T, axis=1) @ np.array([n * n, n, 1])
        torder = np.argsort(tkey)
        stk = tkey[torder]

        def find(p: NDArray[np.int64], q: NDArray[np.int64], r: NDArray[np.int64]) -> NDArray[np.int64]:
            kk = np.sort(np.stack([p, q, r], axis=1), axis=1) @ np.array([n * n, n, 1])
            pos = np.minimum(np.searchsorted(stk, kk), m - 1)
            return np.where(stk[pos] == kk, torder[pos], -1)

        f1, f2 = find(a, d, b), find(d, cc, b)
        ok = (f1 >= 0) & (f2 >= 0)  # always (the quadrilateral is empty); defensive
        t, u = tri[i], tri[j]
        now, alt = c[t] + c[u], np.where(ok, c[f1] + c[f2], np.inf)
        mag = np.abs(c[t]) + np.abs(c[u]) + np.where(ok, np.abs(c[f1]) + np.abs(c[f2]), 0.0)
        bad = ok & (now > alt + 1e-9 * mag)
        i, j = i[bad], j[bad]
        # each slot (triangle, directed edge) with its bad partners across that edge
        self.slot = np.concatenate([i, j])
        self.partner = np.concatenate([tri[j], tri[i]])
        self.tri = tri
        self.across = np.searchsorted(lkeys, rev)  # L row of the reversed directed edge of each slot
        self.n_slots = 3 * m

    def separate(self, x: NDArray[np.float64], limit: int) -> csr_array | None:
        """Violated rows ``x_t - sum_(compatible u across) x_u <= 0`` (the most violated first)."""
        from scipy.sparse import csr_array

        if not len(self.slot):
            return None
        y = self.L @ x
        bad_mass = np.bincount(self.slot, weights=x[self.partner], minlength=self.n_slots)
        slots = np.unique(self.slot)
        viol = x[self.tri[slots]] - y[self.across[slots]] + bad_mass[slots]
        pick = slots[viol > 1e-6]
        if not len(pick):
            return None
        pick = pick[np.argsort(-viol[viol > 1e-6], kind="stable")][:limit]
        rows: list[NDArray[np.int64]] = []
        cols: list[NDArray[np.int64]] = []
        vals: list[NDArray[np.float64]] = []
        L = self.L
        pos = {int(s): r for r, s in enumerate(pick)}
        sel = np.isin(self.slot, pick)
        for r, s in enumerate(pick):
            e = self.across[s]
            acr = L.indices[L.indptr[e]:L.indptr[e + 1]]
            rows.append(np.full(len(acr) + 1, r))
            cols.append(np.concatenate([[self.tri[s]], acr]))
            vals.append(np.concatenate([[1.0], -np.ones(len(acr))]))
        bs, bp = self.slot[sel], self.partner[sel]
        rows.append(np.array([pos[int(s)] for s in bs], dtype=np.int64))
        cols.append(bp)
        vals.append(np.ones(len(bp)))  # cancels the -1 of the bad partners
        C = csr_array((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                      shape=(len(pick), self.m))
        C.sum_duplicates()
        C.eliminate_zeros()
        return C


#: roots of the odd-cycle search (the heaviest fractionally used segments)
_ODD_CYCLE_ROOTS = 300


def _separate_cuts(prog: _Program, x: NDArray[np.float64], limit: int | None = None,
                   flips: _FlipCuts | None = None,
                   overlap: bool = False) -> tuple[csr_array, NDArray[np.float64]] | None:
    """Cuts violated by ``x``: (rows, rhs) or None.

    Crossing-clique inequalities, then odd-cycle ones; with ``overlap``, also cliques of the
    triangle overlap graph (:func:`_separate_overlap_cliques`), and with ``flips`` the
    optimality cuts of improving flips (:class:`_FlipCuts`); at most ``limit`` of each kind.
    """
    limit = limit or _CUTS_PER_ROUND
    parts: list[tuple[csr_array, NDArray[np.float64]]] = []
    C = _separate_cliques(prog, x, limit)
    if C is not None:
        parts.append((C, np.ones(C.shape[0])))
    odd = _separate_odd_cycles(prog, x, limit) if C is None or C.shape[0] < limit // 4 else None
    if odd is not None:
        parts.append(odd)
    if overlap:
        T = _separate_overlap_cliques(prog, x, limit)
        if T is not None:
            parts.append((T, np.ones(T.shape[0])))
    if flips is not None:
        F = flips.separate(x, limit)
        if F is not None:
            parts.append((F, np.zeros(F.shape[0])))
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    from scipy.sparse import vstack

    return vstack([p[0] for p in parts]).tocsr(), np.concatenate([p[1] for p in parts])


def _solve_sum(prog: _Program, c: np.ndarray, *, lp_method: str, deadline: float | None) -> _SumResult:
    """Minimise ``c . x`` over the fine triangulations, exactly.

    1. The LP relaxation (HiGHS). Its duals ``y`` give, for *any* ``y``, the
       Lagrangian bound ``c . x >= y . b + sum_j min(r_j, 0)`` with reduced costs
       ``r = c - A^T y`` (weak duality on the box ``0 <= x <= 1``); if the LP
       optimum is integral it is a triangulation meeting that bound: optimal.
    2. Otherwise cutting planes (crossing cliques and odd cycles; with ``_STRONG`` also cliques
       of the triangle overlap graph and the optimality cuts of improving flips, the cuts slack
       at the optimum dropped each round; :func:`_separate_cuts`), re-solved warm, each round
       followed by one cheap window of branch and bound (reduced-cost fixing below the Lagrangian
       bound, :class:`_Windows`); after the last round, windows of any size.

    The previous path (``_DESCENT = False``; kept for the benchmark's comparison) cuts up to
    ``_CUT_ROUNDS`` rounds, then:

    2. An incumbent: the triangles of LP weight above 1/2, extended
       greedily (by LP weight, then cost) by triangles overlapping none of
       them, completed by a small integer program; then reduced-cost fixing:
       a triangle ``k`` with ``bound + max(r_k, 0) > incumbent`` is in no
       better triangulation, one with ``bound - min(r_k, 0) > incumbent`` in all.
    3. The integer program on the remaining triangles (HiGHS branch and cut).
    """
    def left() -> float | None:
        return None if deadline is None else deadline - time.perf_counter()

    m = len(c)
    rounds = 0
    lp_solver = _Relaxation(prog, c, lp_method)
    windows = _Windows(prog, c, left) if _DESCENT else None
    flips: _FlipCuts | None = None
    best_bound = -math.inf
    cut_until = math.inf if deadline is None else time.perf_counter() + 0.5 * (deadline - time.perf_counter())
    while True:
        cuts = prog.cuts
        lp = lp_solver.solve(left())
        if lp.status == 1:
            return _timed_out_lp(windows, lp.message, best_bound)
        if lp.status != 0 or lp.x is None:
            raise SolverError(f"the LP relaxation failed: {lp.message} (status {lp.status})")
        # Lagrangian bound (weak duality on the box 0 <= x <= 1) from any multipliers: y for the
        # equations, z <= 0 for the cuts (C x <= 1)
        y = np.asarray(lp.eqlin.marginals, dtype=np.float64)
        r = c - prog.A.T @ y
        bound = float(y @ prog.rhs)
        if cuts is not None:
            z = np.minimum(np.asarray(lp.ineqlin.marginals, dtype=np.float64), 0.0)
            r = r - cuts.T @ z
            bound += float(z @ prog.cut_rhs)
        bound += float(np.minimum(r, 0.0).sum())
        best_bound = max(best_bound, bound)
        x = np.asarray(lp.x)
        if _integral(x):
            xi = prog.check(x, np.zeros(m), np.ones(m))
            val = float(c[xi].sum())
            tol = 1e-7 * max(abs(val), 1.0)
            if bound >= val - tol:
                how = f" after {rounds} round(s) of cuts ({cuts.shape[0]:,} crossing cliques and odd cycles)" if rounds and cuts is not None else ""
                return _SumResult(xi, val, min(bound, val), True,
                                  f"LP relaxation integral{how} (optimal with its dual bound)")
            break
        # with a time limit, cutting may use half of what is left when it starts: the incumbent
        # search and branch and bound need the rest (otherwise a hard instance ends with nothing)
        if prog.O is None or rounds >= (_DESCENT_MAX_ROUNDS if _DESCENT else _CUT_ROUNDS) or (
                deadline is not None and time.perf_counter() > cut_until):
            break
        if windows is not None and rounds >= _DESCENT_ROUNDS:  # cheap windows first, else cut more
            out = windows.run(bound, r, _how(rounds, cuts), max_free=int(windows.share * m))
            if out is not None:
                return out
        new, flips = _next_cuts(prog, c, x, lp, lp_solver, flips)
        if new is None:
            break
        prog.add_cuts(*new)
        lp_solver.add_cuts(*new)
        rounds += 1

    if windows is not None:
        return _last_windows(windows, lp_solver, x, bound, r, _how(rounds, cuts), timed=deadline is not None)

    return _previous_branch_and_bound(prog, c, x, bound, r, left)


def _timed_out_lp(windows: _Windows | None, message: str, bound: float) -> _SumResult:
    """The time ran out in an LP re-solve: the windows' best triangulation (if any) with the best bound so far."""
    status = f"LP relaxation: {message}"
    if windows is None or windows.best_x is None:
        return _SumResult(None, math.inf, bound, False, status, timed_out=True)
    lower = min(max(bound, windows.lower), windows.best)
    return _SumResult(windows.best_x, windows.best, lower, False, status, timed_out=True)


def _last_windows(windows: _Windows, lp_solver: _Relaxation, x: NDArray[np.float64], bound: float,
                  r: NDArray[np.float64], how: str, timed: bool) -> _SumResult:
    """After the last round of cuts: the windows without a size limit, until one holds the optimum."""
    if _integral(x):  # checked by the caller: a triangulation
        windows.offer(x.round().astype(bool))
    if _STRONG and windows.best_x is None and timed:
        # the last window may run out of time before it finds anything: a safety net
        # (the better of LP diving and the greedy rounding: diving is far better on the diffuse
        # LP optima at n = 160, the rounding's exact completion sometimes on small sets)
        for inc in (_dive(lp_solver, x, windows.left), _rounding_incumbent(windows.prog, windows.c, x, windows.left)):
            if inc is not None:
                windows.offer(inc)
    out = windows.run(bound, r, how)
    assert out is not None  # no limit on the window: a result
    return out


def _next_cuts(prog: _Program, c: NDArray[np.float64], x: NDArray[np.float64], lp: OptimizeResult | _LPResult,
               lp_solver: _Relaxation, flips: _FlipCuts | None,
               ) -> tuple[tuple[csr_array, NDArray[np.float64]] | None, _FlipCuts | None]:
    """One round's cuts violated by the LP optimum ``x`` (and the flip cuts, built on the first call).

    The windows' path (``_DESCENT``) with ``_STRONG`` first drops the cuts slack at ``x``, then
    separates every family; otherwise crossing cliques and odd cycles only, as before.
    """
    if not _DESCENT:
        return _separate_cuts(prog, x, _CUTS_PER_ROUND), flips
    if _STRONG:
        if flips is None:
            flips = _FlipCuts(prog, c)
        lp_solver.purge(x, lp)
    return _separate_cuts(prog, x, _DESCENT_CUTS_PER_ROUND, flips=flips, overlap=_STRONG), flips


def _previous_branch_and_bound(prog: _Program, c: NDArray[np.float64], x: NDArray[np.float64], bound: float,
                               r: NDArray[np.float64], left: Callable[[], float | None]) -> _SumResult:
    """The previous path after the cuts (``_DESCENT = False``): greedy incumbent, reduced-cost fixing, one program."""
    m = len(c)
    # previous path: an incumbent: keep the triangles the LP chose with weight > 1/2 (they cannot overlap, as the
    # weights covering any point sum to 1; being empty, they lie in some fine triangulation, e.g.
    # a constrained one) and solve the remainder
    x_inc, ub = None, math.inf
    xk, res = _rounding(prog, c, x, left)
    if xk is not None:
        x_inc, ub = xk, float(c[xk].sum())
    elif res.status == 1:
        return _SumResult(None, math.inf, bound, False, f"incumbent search: {_status_text(res)}", timed_out=True)
    if x_inc is None:  # no incumbent: the full program
        xk, res = prog.solve(c, time_limit=left())
        return _finish_milp(prog, c, xk, res, bound, None)
    # c . x >= bound + max(r_k, 0) when x_k = 1 and >= bound - min(r_k, 0) when x_k = 0: a triangle
    # whose bound exceeds the incumbent is fixed the other way in every better triangulation
    tol = 1e-7 * max(abs(ub), 1.0)
    keep = (bound + np.maximum(r, 0.0) <= ub + tol) | x_inc
    force = (bound - np.minimum(r, 0.0) > ub + tol) & x_inc
    xk, res = prog.solve(c, ub=keep.astype(np.float64), lb=force.astype(np.float64), time_limit=left())
    out = _finish_milp(prog, c, xk, res, bound, x_inc)
    out.status += f"; branch and bound over {int(keep.sum() - force.sum()):,} of {m:,} triangles after reduced-cost fixing"
    return out


def _rounding(prog: _Program, c: NDArray[np.float64], x: NDArray[np.float64],
              left: Callable[[], float | None]) -> tuple[NDArray[np.bool_] | None, OptimizeResult]:
    """A triangulation near the LP point ``x``: its triangles of weight above 1/2, extended greedily, completed by HiGHS."""
    # they cannot overlap (the weights covering any point sum to 1); being empty, they lie in some
    # fine triangulation (e.g. a constrained one)
    ones = x > 0.5 + _INT_TOL
    if prog.O is not None:  # extend greedily by LP weight, then cost, to leave little to the solver
        ones = _greedy_compatible(prog.tris, prog.O, np.lexsort((c, -x)), ones)
    return prog.solve(c, lb=ones.astype(np.float64), time_limit=left())


def _rounding_incumbent(prog: _Program, c: NDArray[np.float64], x: NDArray[np.float64],
                        left: Callable[[], float | None]) -> NDArray[np.bool_] | None:
    """:func:`_rounding` with a share of the time left (None when it finds nothing)."""
    rem = left()
    xk, _ = _rounding(prog, c, x, lambda: None if rem is None else 0.25 * rem)
    return xk


#: LP diving (:func:`_dive`): fractional triangles fixed to 1 per dive, at most
_DIVE_FIX = 20


def _dive(lp_solver: _Relaxation, x: NDArray[np.float64], left: Callable[[], float | None],
          share: float = 0.5) -> NDArray[np.bool_] | None:
    """A triangulation by LP diving from the LP optimum ``x``, in ``share`` of the time left (None if none).

    Each dive fixes to 1 the heaviest fractional triangles (at most ``_DIVE_FIX``, pairwise
    non-overlapping and overlapping no triangle of weight 1) and re-solves the relaxation warm
    (dual simplex), until its optimum is integral. Fixing never makes it infeasible: the fixed
    triangles do not overlap, so a fine triangulation holds them all, and the LP re-optimises the
    rest each time. The column bounds are restored before returning. Measured at n = 160 (the
    maximum, sines, after 3 rounds of cuts): seed 1 reaches the optimum (0.186109) in one dive
    (6.5 s), seed 0 0.196840 (best known 0.198521) in two, seed 4 0.177970 (0.180554) in two,
    where the greedy rounding of :func:`_rounding` ends 10-30 % below.
    """
    h = lp_solver.h
    rem = left()
    if h is None or (rem is not None and rem <= 0):
        return None
    deadline = None if rem is None else time.perf_counter() + share * rem
    prog = lp_solver.prog
    O = cast("NDArray[np.int8]", prog.O)
    fixed = np.zeros(len(x), dtype=bool)
    out = None
    try:
        while True:
            if _integral(x):
                out = prog.check(x, fixed.astype(np.float64), np.ones(len(x)))
                break
            frac = np.flatnonzero((x > _INT_TOL) & (x < 1 - _INT_TOL))
            heaviest = frac[np.argsort(-x[frac], kind="stable")][:_DIVE_FIX]
            chosen = (x > 1 - _INT_TOL) | fixed
            idx = np.flatnonzero(_greedy_compatible(prog.tris, O, heaviest, chosen) & ~chosen).astype(np.int32)
            if not len(idx):  # pragma: no cover - a fractional optimum always has a compatible heaviest triangle
                break
            h.changeColsBounds(len(idx), idx, np.ones(len(idx)), np.ones(len(idx)))
            fixed[idx] = True
            lp = lp_solver.solve(None if deadline is None else deadline - time.perf_counter())
            if lp.status != 0 or lp.x is None:
                break
            x = np.asarray(lp.x)
    finally:
        idx = np.flatnonzero(fixed).astype(np.int32)
        if len(idx):
            h.changeColsBounds(len(idx), idx, np.zeros(len(idx)), np.ones(len(idx)))
    return out


def _window(bound: float, r: NDArray[np.float64], U: float) -> tuple[NDArray[np.bool_], NDArray[np.bool_], float]:
    """Reduced-cost fixing against a target: ``(keep, force, tol)``.

    Every triangulation ``x`` with ``c . x <= U + tol`` has ``x <= keep`` and ``x >= force``,
    for a Lagrangian ``bound`` and its reduced costs ``r`` (see :class:`_Windows`).
    """
    tol = 1e-7 * max(abs(U), 1.0)
    keep = bound + np.maximum(r, 0.0) <= U + tol
    force = bound - np.minimum(r, 0.0) > U + tol
    return keep, force, tol


def _largest_window(r: NDArray[np.float64], max_free: int) -> float:
    """The largest ``D >= 0`` whose window ``U = bound + D`` leaves at most ``max_free`` triangles free (see :func:`_window`).

    ``free(D) = #{max(r, 0) <= D} - #{-min(r, 0) > D}`` is a step function of ``D`` that grows
    at the thresholds of both kinds; the answer is halfway between the last threshold where it
    fits and the first where it does not (0 if it never fits).
    """
    keep_at = np.sort(np.maximum(r, 0.0))
    force_at = np.sort(-np.minimum(r, 0.0))
    steps = np.unique(np.concatenate([keep_at, force_at]))
    free = np.searchsorted(keep_at, steps, side="right") - (len(force_at) - np.searchsorted(force_at, steps, side="right"))
    over = np.flatnonzero(free > max_free)
    if not len(over):
        return float(np.max(steps[np.isfinite(steps)], initial=0.0))
    j = int(over[0])
    if j == 0:
        return 0.0
    return float(0.5 * (steps[j - 1] + steps[j])) if np.isfinite(steps[j]) else float(steps[j - 1])


def _how(rounds: int, cuts: csr_array | None) -> str:
    return f"{rounds} round(s) of cuts ({cuts.shape[0]:,} crossing cliques and odd cycles)" if rounds and cuts is not None else "no cuts"


class _Windows:
    """Minimise ``c . x`` exactly from Lagrangian bounds and their reduced costs: branch and bound in windows.

    For any triangulation ``x``, ``c . x >= bound + sum_(k in x) max(r_k, 0) + sum_(k not in x)
    max(-r_k, 0)`` (weak duality on the box, see :func:`_solve_sum`). So every triangulation of
    cost at most ``U`` avoids the triangles with ``bound + max(r_k, 0) > U`` and uses those with
    ``bound - min(r_k, 0) > U``: reduced-cost fixing against a *target* ``U`` instead of an
    incumbent. When ``U`` is close to ``bound`` almost every triangle is fixed and HiGHS's branch
    and bound on the rest (with the cuts) takes a fraction of a second:

    * the best triangulation of the window costs at most ``U``: every triangulation of cost
      at most ``U`` is in the window, so it is optimal;
    * no triangulation in the window, or only ones costing more than ``U`` (then the best is
      an incumbent): the optimum is above ``U``, a proven bound; the window grows
      (``_DESCENT_FACTOR``), up to reduced-cost fixing against the incumbent, a window that
      holds the incumbent and every better triangulation, so its best is optimal.

    On the maximum of a smooth L2 cost at n = 160 the optimum lies 0.1-0.3 % below the bound
    of two rounds of cuts on most instances, where the window leaves HiGHS a few thousand of
    ~47,000 triangles after its presolve (measured); reduced-cost fixing against a heuristic
    incumbent 0.5 % below the optimum left too many (no proof in 200 s), which is why the
    windows start at the bound and not at a heuristic solution.

    The state (incumbent, proven lower bound, windows solved) carries over from one LP bound
    to the next: between rounds of cuts only windows that leave at most ``max_free``
    triangles free are tried (``run`` returns None when the next one is larger).
    """

    def __init__(self, prog: _Program, c: NDArray[np.float64], left: Callable[[], float | None]) -> None:
        self.prog, self.c, self.left = prog, c, left
        self.best_x: NDArray[np.bool_] | None = None
        self.best = math.inf
        self.lower = -math.inf  # proven lower bound on the optimum, from empty windows
        self.share = _CHEAP_WINDOW_STRONG if _STRONG else _CHEAP_WINDOW  # the largest share of free triangles in a window between rounds of cuts
        self.count = 0

    def offer(self, x: NDArray[np.bool_]) -> None:
        val = float(self.c[x].sum())
        if val < self.best:
            self.best_x, self.best = x, val

    def run(self, bound: float, r: NDArray[np.float64], how: str, max_free: int | None = None) -> _SumResult | None:
        prog, c, m = self.prog, self.c, len(self.c)
        lower = max(self.lower, bound)
        delta = _DESCENT_FIRST * max(abs(bound), 1.0)
        if max_free is not None and _STRONG:
            # between rounds of cuts: straight to the largest window with at most max_free free
            # triangles (it proves at least what the smaller ones would, at about the same cost)
            delta = max(delta, _largest_window(r, max_free))
            if bound + delta <= self.lower and bound + delta < self.best:  # nothing new below max_free
                self.lower = lower
                return None
        while bound + delta <= self.lower and bound + delta < self.best:  # known empty
            delta *= _DESCENT_FACTOR
        while True:
            U = min(bound + delta, self.best)
            keep, force, tol = _window(bound, r, U)
            if self.best_x is not None and U >= self.best:
                keep |= self.best_x  # in the window already (up to rounding); kept explicitly
                force &= self.best_x
            free = int(keep.sum() - force.sum())
            if max_free is not None and free > max_free:
                self.lower = lower
                return None
            rem = self.left()
            capped = max_free is not None and _STRONG and (rem is None or rem > _CHEAP_WINDOW_SECONDS)
            xk, res = prog.solve(c, ub=keep.astype(np.float64), lb=force.astype(np.float64),
                                 time_limit=_CHEAP_WINDOW_SECONDS if capped else rem)
            self.count += 1
            note = (f"; {how}, then branch and bound in {self.count} window(s) of reduced-cost fixing below the "
                    f"Lagrangian bound (last: {free:,} of {m:,} triangles free)")
            if xk is not None:
                self.offer(xk)
            if res.status == 0 and xk is not None:
                if self.best <= U + tol:  # the window holds every triangulation of cost <= U: optimal
                    return _SumResult(self.best_x, self.best, self.best, True, _status_text(res) + note)
                lower = max(lower, U)  # the window's best costs more than U: so does every triangulation
                delta *= _DESCENT_FACTOR  # the next window, at most the incumbent's
                continue
            if res.status == 2 or (res.status == 0 and xk is None):  # nothing of cost <= U
                if self.best_x is not None and U >= self.best:  # pragma: no cover - the incumbent is in the window
                    raise SolverError(f"HiGHS found the window of the incumbent infeasible: {_status_text(res)}")
                lower = max(lower, U)
                delta *= _DESCENT_FACTOR
                continue
            if res.status == 1:  # time limit
                return self._timed_out(res, lower, U, note, capped)
            raise SolverError(f"HiGHS failed on a window of the branch and bound: {_status_text(res)}")

    def _timed_out(self, res: OptimizeResult, lower: float, U: float, note: str, capped: bool) -> _SumResult | None:
        """A window ran out of time: keep its dual bound; None for a capped cheap window (cut more instead)."""
        db = getattr(res, "mip_dual_bound", None)
        if db is not None and np.isfinite(db):
            lower = max(lower, min(float(db), U))
        self.lower = lower
        if capped:  # smaller cheap windows from now on
            self.share *= _CHEAP_WINDOW_SHRINK
            return None
        if self.best_x is None:
            return _SumResult(None, math.inf, lower, False, _status_text(res) + note, timed_out=True)
        return _SumResult(self.best_x, self.best, min(lower, self.best), False, _status_text(res) + note,
                          timed_out=True)


def _finish_milp(prog: _Program, c: NDArray[np.float64], x: NDArray[np.bool_] | None, res: OptimizeResult,
                 lp_bound: float, x_inc: NDArray[np.bool_] | None) -> _SumResult:
    if x is None and x_inc is None:
        if res.status == 1:
            return _SumResult(None, math.inf, lp_bound, False, _status_text(res), timed_out=True)
        raise SolverError(f"HiGHS found no fine triangulation: {_status_text(res)}")
    if x is None or (x_inc is not None and c[x_inc].sum() < c[x].sum()):
        x = x_inc
    val = float(c[x].sum())
    if res.status == 0:
        return _SumResult(x, val, val, True, _status_text(res))
    db = getattr(res, "mip_dual_bound", None)
    bound = max(lp_bound, float(db)) if db is not None and np.isfinite(db) else lp_bound
    return _SumResult(x, val, min(bound, val), False, _status_text(res), timed_out=res.status == 1)


def optimal_triangulation(
    points: ArrayLike,
    cost: Callable[[NDArray[np.int64]], ArrayLike],
    *,
    sense: Literal["min", "max"] = "min",
    reduce: Literal["sum", "max"] = "sum",
    fine: bool = True,
    time_limit: float | None = None,
) -> OptimalTriangulation:
    """The fine triangulation of a planar point set minimising (or maximising) a per-triangle cost, exactly.

    Solves the integer program over the empty triangles of the points with the
    cocircuit equations (see the module notes) with HiGHS
    (:func:`scipy.optimize.milp`). Scales far past the counting DP of
    :func:`cost_statistics` (hundreds of points), which it agrees with wherever
    both run.

    Parameters
    ----------
    points : (n_points, n_dims) array_like
        ``n_dims`` is 1 or 2 (in 1D the fine triangulation is unique); distinct
        points, in 2D not all collinear.
    cost : callable
        ``cost(simplices) -> (k,) float`` for a ``(k, n_dims + 1)`` int array of
        point indices (each row ascending), as :func:`cost_statistics` takes it.
        It is called once, on every empty triangle. Values must be finite, and
        small enough that their sum over a triangulation is finite.
    sense : {"min", "max"}
        Minimise or maximise the cost.
    reduce : {"sum", "max"}
        The cost of a triangulation: the sum of its triangles' costs, or the
        largest of them (bottleneck).
    fine : bool, default True
        Only fine triangulations (every point a vertex) are supported;
        ``False`` raises :class:`~geoquant.errors.UnsupportedError` (use
        :func:`cost_statistics` with ``fine=False`` for small sets).
    time_limit : float, optional
        Seconds for the solver. When reached, the best triangulation found is
        returned with ``optimal=False`` and its gap; if none was found yet,
        :class:`~geoquant.errors.TooLargeError` is raised.

    Returns
    -------
    OptimalTriangulation
        ``triangulation``, ``cost``, ``optimal``, ``bound``, ``gap``, ``status``.

    Raises
    ------
    InvalidInputError
        Bad ``cost`` (not callable, wrong shape, NaN or infinite values, or values
        whose sum over a triangulation overflows float64), bad
        ``sense`` / ``reduce`` / ``time_limit``.
    UnsupportedError
        ``n_dims >= 3``; ``fine=False``.
    DegenerateInputError, DuplicatePointsError
        All points collinear; repeated points.
    TooLargeError
        The time limit was reached before any triangulation was found.
    SolverError
        HiGHS failed or returned an inconsistent solution (never reported as optimal).

    Examples
    --------
    >>> import numpy as np
    >>> pts = np.array([[0, 0], [2, 0], [2, 1], [0, 1], [1, 0.5]])
    >>> r = optimal_triangulation(pts, lambda s: np.ones(len(s)))
    >>> r.cost, r.optimal, r.triangulation.n_simplices
    (4.0, True, 4)
    """
    from ..errors import TooLargeError
    from ._count import _check_fine, _prepare_points, _simplex_costs
    from ._triangulation import Triangulation

    check_option(sense, "sense", ("min", "max"))
    check_option(reduce, "reduce", ("sum", "max"))
    if not _check_fine(fine):
        raise UnsupportedError(
            "optimal_triangulation supports fine=True only (the cocircuit program over empty triangles); for all "
            "triangulations of a small set use cost_statistics(points, cost, fine=False), whose argmin/argmax are exact"
        )
    limit = _check_time_limit(time_limit)
    pts = _prepare_points(points, what="optimal_triangulation")
    n, d = pts.shape
    t0 = time.perf_counter()
    if d == 1:
        order = np.argsort(pts[:, 0], kind="stable")
        simp = np.sort(np.stack([order[:-1], order[1:]], axis=1), axis=1)
        w = _simplex_costs(cost, simp, n_terms=len(simp))
        val = float(w.sum() if reduce == "sum" else w.max())
        return OptimalTriangulation(
            Triangulation(pts, simp, validate=False), val, True, val, 0.0, "unique fine triangulation in 1D",
            sense, reduce, len(simp), time.perf_counter() - t0,
        )

    order = np.lexsort((pts[:, 1], pts[:, 0]))
    P = pts[order]
    O = orient2d_table(P)
    cycle, _ = convex_hull_cycle(O)
    tris_sorted = empty_triangles(O)
    simplices = np.sort(order[tris_sorted], axis=1)  # original indices, rows ascending
    w = _simplex_costs(cost, simplices, n_terms=2 * n - len(cycle) - 2)
    prog = _Program(tris_sorted, n, cycle, O)
    m = len(simplices)

    def finish(x: NDArray[np.bool_], val: float, optimal: bool, bound: float, status: str) -> OptimalTriangulation:
        tri = Triangulation(pts, simplices[x], validate=False)
        if not tri.is_fine:  # pragma: no cover - guaranteed by the equations
            raise SolverError("the solution is not a fine triangulation")
        gap = abs(val - bound) / max(abs(val), 1e-300) if not optimal else 0.0
        return OptimalTriangulation(tri, float(val), bool(optimal), float(bound), float(gap), status,
                                    sense, reduce, m, time.perf_counter() - t0)

    def remaining() -> float | None:
        return None if limit is None else limit - (time.perf_counter() - t0)

    if reduce == "sum":
        mean = float(np.mean(np.abs(w)))
        scale = _COST_SCALE / mean if mean > 0 else 1.0
        sgn = 1.0 if sense == "min" else -1.0
        deadline = None if limit is None else t0 + limit
        sol = _solve_sum(prog, sgn * scale * w, lp_method="highs-ds" if sense == "min" else "highs-ipm",
                         deadline=deadline)
        if sol.x is None:
            raise TooLargeError(
                f"optimal_triangulation found no triangulation of {n} points within time_limit={time_limit} s "
                f"({m:,} candidate triangles); raise time_limit"
            )
        val = float(w[sol.x].sum())
        bound = val if sol.optimal else sgn * sol.bound / scale
        return finish(sol.x, val, sol.optimal, bound, sol.status)

    # ---- bottleneck: reduce == "max"
    if sense == "max":
        k = int(np.argmax(w))
        lb = np.zeros(m)
        lb[k] = 1.0
        x, res = prog.solve(np.zeros(m), lb=lb, time_limit=limit)
        if x is None:
            if res.status == 1:
                raise TooLargeError(
                    f"optimal_triangulation found no triangulation of {n} points within time_limit={time_limit} s"
                )
            raise SolverError(f"no fine triangulation contains the empty triangle {simplices[k].tolist()}: "
                                f"{_status_text(res)}")
        val = float(w[x].max())
        return finish(x, val, True, val, _status_text(res))

    # minimise the largest triangle cost: bisection on the sorted distinct costs
    best_x, best_val, proven, lower, status = _bisect_bottleneck(prog, w, tris_sorted, n, remaining)
    if best_x is None:
        raise TooLargeError(f"optimal_triangulation found no triangulation of {n} points within time_limit={time_limit} s")
    return finish(best_x, best_val, proven, best_val if proven else lower, status)


def _bisect_bottleneck(prog: _Program, w: np.ndarray, tris_sorted: np.ndarray, n: int,
                       remaining: Callable[[], float | None]) -> tuple[np.ndarray | None, float, bool, float, str]:
    """Minimise the largest triangle cost: bisection on the sorted distinct costs, one feasibility program each.

    Returns ``(x, value, proven, lower bound, status)``; ``x`` None when the time ran out before any triangulation.
    """
    m = len(w)
    vals = np.unique(w)
    # lower bound: every hull segment and every point needs some triangle
    inc = prog.A.tocsr()
    lo_val = -math.inf
    hull_rows = np.flatnonzero(prog.rhs == 1)
    for r in hull_rows:
        cols = inc.indices[inc.indptr[r] : inc.indptr[r + 1]]
        lo_val = max(lo_val, float(w[cols].min()))
    for v in range(n):
        has = np.any(tris_sorted == v, axis=1)
        lo_val = max(lo_val, float(w[has].min()))
    lo = int(np.searchsorted(vals, lo_val))  # vals[lo] is a proven lower bound
    hi = len(vals) - 1  # vals[hi]: the cost of the best triangulation found
    best_x, best_val, status, proven = None, math.inf, "", True
    while best_x is None or lo < hi:
        mid = hi if best_x is None else (lo + hi) // 2
        rem = remaining()
        if rem is not None and rem <= 0:
            proven = False
            break
        x, res = prog.solve(np.zeros(m), ub=(w <= vals[mid]).astype(np.float64), time_limit=rem)
        status = _status_text(res)
        if x is not None:
            best_x, best_val = x, float(w[x].max())
            hi = int(np.searchsorted(vals, best_val))
        elif res.status == 2:  # infeasible: the bottleneck is above vals[mid]
            lo = mid + 1
        elif res.status == 1:  # time limit without an answer
            proven = False
            break
        else:
            raise SolverError(f"HiGHS failed on a bottleneck feasibility program: {status}")
    return best_x, best_val, proven, (best_val if proven or best_x is None else float(vals[lo])), status
