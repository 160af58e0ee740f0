"""Counting all triangulations of a point set, and exact statistics of a cost over them.

Both run a dynamic program over the AND/OR DAG of sub-polygons described in
:mod:`._count_planar` (d = 2) or the chain of :mod:`._count_line` (d = 1),
without enumerating a single triangulation:

* the count is a sum over choices of products over sub-regions, in exact
  Python integers;
* cost statistics fold a semiring over the same DAG: count, mean and variance
  of the total cost (sums of independent parts add means and variances; a union
  of disjoint families merges them like parallel moments), min and max with the
  choice that attains them (argmin / argmax), and for ``reduce="max"`` the whole
  distribution of the bottleneck cost, as a step CDF per state.

Work limits. The number of sub-polygons grows exponentially with the number of
*interior* points (fine counts, uniform random sets: 1.3e5 sub-polygons at 22
points, 4e5 at 25, 3e6 at 28, 1.3e7 at 30; lattice grids are much cheaper: 7.2e5
for 6 x 6). Fine counts -- and so sampling, ranking, unranking and enumeration
(:mod:`._enumerate`), which read the same memo -- run the compiled kernel of
:mod:`._count_kernel` (about 60 bytes and 1-2 us per sub-polygon, exact counts of
any size by residues and the Chinese remainder theorem); counts of all
triangulations (``fine=False``) and :func:`cost_statistics` run Python
evaluations of the DAG (about 200 and 400 bytes per sub-polygon).

Every call estimates its number of sub-polygons up front (``envelope =
n**2 * 2**(0.75 k)`` for ``k`` interior points, measured to lie 1.2-30x above the
truth on uniform, Gaussian and disk sets of 16-30 points) and refuses with
:class:`~geoquant.errors.TooLargeError` before any work when half the envelope
exceeds ``max_states`` or the memory budget (``GEOQUANT_MEMORY_BUDGET_GB``, 4 GiB
by default), or when there are more than 80 points (the exact tables grow like
``n**4``); while running it stops with the same error when the memo reaches
either limit, shows a progress bar after a few seconds (``progress``) and honours
``time_limit``. With the defaults that is about 30 points in general position for
counting and sampling (31-32 with a larger budget), about 28 for statistics, any
convex polygon up to 80 points, and lattice grids up to 6 x 6 and beyond.
"""

from __future__ import annotations

import contextlib
import math
import sys
import warnings
from collections import OrderedDict
from dataclasses import dataclass, field
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from .._validation import as_float_array, check_option, check_points, memory_budget
from ..errors import DegenerateInputError, InvalidInputError, TooLargeError, UnsupportedError
from ._count_fast import count_fine
from ._count_protocol import CountingStructure
from ._count_kernel import BYTES_PER_STATE, HAVE_NUMBA, KernelCounter, KernelMemo
from ._count_line import LineChain
from ._count_planar import PlanarDecomposition, StateBudgetExceeded, estimate_states
from ._predicates import _CCW_BOUND, orient2d
from ._work import Work, check_progress, check_time_limit

if TYPE_CHECKING:
    from ._triangulation import Triangulation

__all__ = ["count_triangulations", "cost_statistics", "CostStatistics", "NearDegeneracyWarning", "DEFAULT_MAX_STATES"]

# cost_statistics keeps seven numbers per sub-polygon (~400 bytes): the 4 GiB budget holds ~10.7 million
DEFAULT_MAX_STATES = 10_000_000
# counting, sampling, ranking and enumeration keep one count per sub-polygon (the compiled
# kernel: ~60 bytes each); the memory budget is the tighter limit by default
DEFAULT_COUNT_MAX_STATES = 100_000_000
#: bytes per memoised sub-polygon of the Python evaluations: counts (dict of bytes -> int), statistics
PY_BYTES_PER_STATE = 200
STATS_BYTES_PER_STATE = 400


class NearDegeneracyWarning(UserWarning):
    """Points are degenerate up to rounding but not exactly (see :func:`count_triangulations`)."""


MAX_PLANAR_POINTS = 80
_ADVICE = (
    "for a random triangulation use geoquant.triangulation.random_regular_triangulation(points, seed=...), "
    "or sample by flips with geoquant.triangulation.flip / flip_graph"
)


# ---------------------------------------------------------------------------------------------
# building the DAG


def _check_fine(fine: object) -> bool:
    if not isinstance(fine, (bool, np.bool_)):
        raise InvalidInputError(f"'fine' must be True or False, found {fine!r}")
    return bool(fine)


def _check_max_states(max_states: object) -> int:
    if isinstance(max_states, bool) or not isinstance(max_states, (int, np.integer)) or max_states < 1:
        raise InvalidInputError(f"'max_states' must be a positive integer, found {max_states!r}")
    return int(max_states)


def _hull_sizes(P: np.ndarray) -> tuple[int, int]:
    """(points on the hull boundary, strict corners) of lexicographically sorted points, exactly."""
    n = len(P)

    def turn(i: int, j: int, k: int) -> int:
        return orient2d(P[i], P[j], P[k])

    chains = []
    for seq in (range(n), range(n - 1, -1, -1)):
        chain: list[int] = []
        for i in seq:
            while len(chain) >= 2 and turn(chain[-2], chain[-1], i) <= 0:
                chain.pop()
            chain.append(i)
        chains.append(chain)
    corners = chains[0][:-1] + chains[1][:-1]
    on_boundary = np.zeros(n, dtype=bool)
    on_boundary[corners] = True
    idx = np.arange(n)
    for k, u in enumerate(corners):
        w = corners[(k + 1) % len(corners)]
        lo, hi = min(u, w), max(u, w)
        between = (idx > lo) & (idx < hi)
        if between.any():
            o = orient2d(P[u], P[w], P[between])
            on_boundary[idx[between][np.atleast_1d(o) == 0]] = True
    return int(on_boundary.sum()), len(corners)


def _all_collinear(pts: np.ndarray) -> bool:
    """Exactly: do all 2D points lie on one line? (float filter first: cheap for typical input)."""
    a = pts[0]
    b = pts[int(np.argmax(np.abs(pts - a).sum(axis=1)))]
    with np.errstate(all="ignore"):
        left = (b[0] - a[0]) * (pts[:, 1] - a[1])
        right = (b[1] - a[1]) * (pts[:, 0] - a[0])
        perm = np.abs(left) + np.abs(right)
        sure = (np.abs(left - right) > _CCW_BOUND * perm) & (perm > 1e-280) & np.isfinite(perm)
    if sure.any():
        return False
    return not np.any(np.atleast_1d(orient2d(a, b, pts)) != 0)


def _prepare_points(points: ArrayLike, *, what: str) -> np.ndarray:
    """Validate ``points`` for the combinatorial functions: d = 1 or 2, distinct, 2D not collinear."""
    pts = check_points(points, "points", min_points=2, duplicate_rtol=0, full_rank=False)
    n, d = pts.shape
    if d >= 3:
        raise UnsupportedError(
            f"{what} is implemented for points in 1D and 2D, found {d}D points; in {d}D draw triangulations "
            "with geoquant.triangulation.random_regular_triangulation(points, seed=...) instead"
        )
    if d == 2:
        if n < 3:
            raise DegenerateInputError(f"'points' must hold at least 3 points in 2D, found {n}")
        if _all_collinear(pts):
            raise DegenerateInputError(
                f"'points' are all collinear ({n} points on one line), so they have no 2D triangulation; "
                "1D input is handled: pass the coordinate along the line as an (n_points, 1) array"
            )
    return pts


# Recently counted DAGs, so that ranking, unranking or sampling the same points again
# does not rebuild them. Only small memos are kept (see _remember), at most _CACHE_SIZE.
_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 4
_CACHE_MAX_STATES = 200_000


_CACHE_MAX_KERNEL_STATES = 5_000_000  # ~250 MB of arrays


def _remember(struct: PlanarDecomposition | LineChain) -> None:
    if not isinstance(struct, PlanarDecomposition):
        return
    big = _CACHE_MAX_KERNEL_STATES if isinstance(struct.memo, KernelMemo) else _CACHE_MAX_STATES
    if len(struct.memo) <= big:
        struct.work = None
        if len(struct.memo) > _CACHE_MAX_STATES:  # keep one large table at most
            for key in [k for k, v in _CACHE.items() if len(v.memo) > _CACHE_MAX_STATES]:
                del _CACHE[key]
        _CACHE[struct.cache_key] = struct
        _CACHE.move_to_end(struct.cache_key)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)


def _bytes_per_state(n: int, fine: bool, kind: str) -> float:
    if kind == "stats":
        return STATS_BYTES_PER_STATE
    if fine and HAVE_NUMBA:
        return BYTES_PER_STATE + n / 2 + 8
    return PY_BYTES_PER_STATE


def state_limit(n: int, fine: bool, max_states: int, kind: str = "count") -> int:
    """Largest memo allowed: ``max_states`` or what the memory budget holds, whichever is smaller."""
    return int(min(max_states, memory_budget() / _bytes_per_state(n, fine, kind)))


def build_structure(
    points: ArrayLike, *, fine: bool, max_states: int, what: str, kind: str = "count"
) -> PlanarDecomposition | LineChain:
    """Validated points -> the DAG (PlanarDecomposition or LineChain), refusing hopeless sizes.

    ``kind`` ("count" or "stats") says what the memo holds per sub-polygon, for the memory estimate.
    """
    fine = _check_fine(fine)
    max_states = _check_max_states(max_states)
    pts = _prepare_points(points, what=what)
    n, d = pts.shape
    if d == 1:
        return LineChain(pts, fine=fine)
    cache_key = (pts.tobytes(), n, fine)
    cached = _CACHE.get(cache_key)
    if cached is not None and len(cached.memo) < max_states:  # same answer as a fresh run
        _CACHE.move_to_end(cache_key)
        cached.max_states = state_limit(n, fine, max_states, kind)
        return cached
    if n > MAX_PLANAR_POINTS:
        raise TooLargeError(
            f"{what} supports at most {MAX_PLANAR_POINTS} points in 2D (its exact tables grow like n**4), "
            f"found {n}; {_ADVICE}"
        )
    order = np.lexsort((pts[:, 1], pts[:, 0]))
    n_boundary, _ = _hull_sizes(pts[order])
    n_interior = n - n_boundary
    envelope = estimate_states(n, n_interior) * (1.0 if fine else 2.0)
    per = _bytes_per_state(n, fine, kind)
    limit = state_limit(n, fine, max_states, kind)
    if 0.5 * envelope > limit:
        bound = (f"max_states={max_states:,}" if limit == max_states
                 else "the memory budget (GEOQUANT_MEMORY_BUDGET_GB)")
        raise TooLargeError(
            f"{what} for {n} points ({n_interior} strictly inside the convex hull) would keep an estimated "
            f"{0.5 * envelope:.1e} sub-polygons ({0.5 * envelope * per / 2**30:.3g} GiB at ~{per:.0f} bytes each), "
            f"more than {bound} allows ({limit:,} sub-polygons); the work grows like "
            f"n**2 * 2**(0.75 * interior points); {_ADVICE}"
        )
    struct = PlanarDecomposition(pts, fine=fine, max_states=limit)
    struct.cache_key = cache_key
    struct.estimate = 0.5 * envelope
    if struct.n_near_collinear:
        warnings.warn(
            f"'points': {struct.n_near_collinear} triple(s) of points are collinear up to rounding but not "
            "exactly, and the exact predicates treat them as non-collinear, which changes the counts (a 4x4 grid "
            "with spacing 0.1 has 82,300 fine triangulations, not 46,456). If they are meant to be collinear, pass "
            "coordinates that are exact in binary: integers (triangulations are invariant under scaling) or "
            "multiples of a power of two",
            NearDegeneracyWarning,
            stacklevel=3,
        )
    return struct


def make_work(struct: CountingStructure, what: str, time_limit: object, progress: object) -> Work:
    """The progress display and time limit of one call (validated), attached to the DAG's evaluations."""
    limit = check_time_limit(time_limit)
    prog = check_progress(progress)
    work = Work(what, total=getattr(struct, "estimate", None), time_limit=limit, progress=prog, advice=_ADVICE)
    if isinstance(struct, PlanarDecomposition):
        struct.work = work
    return work


@contextlib.contextmanager
def deep_recursion(struct: CountingStructure) -> Iterator[None]:
    """Allow the DP's recursion (one frame per triangle) past Python's default limit."""
    old = sys.getrecursionlimit()
    need = struct.max_depth() + 1000
    if need > old:
        sys.setrecursionlimit(need)
    try:
        yield
    except StateBudgetExceeded as exc:
        raise _too_many(struct, exc.args[0]) from None  # type: ignore[arg-type]  # only a planar DAG has a budget
    finally:
        if need > old:
            sys.setrecursionlimit(old)
        work = getattr(struct, "work", None)
        if work is not None:
            work.close()


def _too_many(struct: PlanarDecomposition, n_states: int) -> TooLargeError:
    n = len(struct.points)
    return TooLargeError(
        f"gave up after {n_states:,} sub-polygons (max_states={struct.max_states:,}, or what the memory budget "
        f"holds if that is smaller) for {n} points with {struct.n_interior} strictly inside the convex hull; raise "
        f"max_states or GEOQUANT_MEMORY_BUDGET_GB if memory allows, or {_ADVICE}"
    )


def _kernel_count(struct: PlanarDecomposition) -> int:
    """Fine count by the compiled kernel; ``struct.memo`` becomes its (exact, read-only) table."""
    work = getattr(struct, "work", None)
    budget = memory_budget()
    est = getattr(struct, "estimate", None) or 1 << 14
    kc = KernelCounter(struct, max_states=struct.max_states, capacity=int(min(est, struct.max_states) // 4))

    def tick(n_states: int) -> None:
        if kc.nbytes() > budget:
            raise TooLargeError(
                f"gave up after {n_states:,} sub-polygons: the memo needs {kc.nbytes() / 2**30:.3g} GiB, more than "
                f"the memory budget (GEOQUANT_MEMORY_BUDGET_GB, {budget / 2**30:.3g} GiB); {_ADVICE}"
            )
        if work is not None:
            work.tick(n_states)

    if kc.run(tick=tick) == "full":
        raise _too_many(struct, kc.n_states)
    struct.memo = KernelMemo(kc)
    if work is not None:
        work.tick(kc.n_states)
    return kc.root_count()


def total_count(struct: PlanarDecomposition) -> int:
    """Number of triangulations of the whole point set (exact)."""
    hit = struct.memo.get(struct.root)
    if hit is not None:
        return hit
    if struct.fine and HAVE_NUMBA:
        total = _kernel_count(struct)
    else:
        with deep_recursion(struct):
            # fine counts without numba: the lean Python evaluation (about 2x the generic one), same memo
            total = count_fine(struct) if struct.fine else struct.count(struct.root)
    work = getattr(struct, "work", None)
    if work is not None:
        work.close()
    _remember(struct)
    return total


# ---------------------------------------------------------------------------------------------
# public: count


def count_triangulations(points: ArrayLike, *, fine: bool = True, max_states: int = DEFAULT_COUNT_MAX_STATES,
                         time_limit: float | None = None, progress: bool | None = None) -> int:
    """Exact number of triangulations of a point set in 1D or 2D, without enumerating them.

    Parameters
    ----------
    points : (n_points, n_dims) array_like
        ``n_dims`` is 1 or 2; a 1-D array is read as points on a line. Points must
        be distinct (exactly); in 2D they must not all be collinear.
    fine : bool, default True
        Count fine triangulations (every point is a vertex) or all of them (any
        point that is not a corner of the convex hull may be left out, including
        points inside hull edges).
    max_states : int, default 100,000,000
        Largest number of memoised sub-polygons before giving up (about 60 bytes
        each for fine counts, 200 otherwise); the memory budget
        (``GEOQUANT_MEMORY_BUDGET_GB``, 4 GiB by default) usually binds first.
    time_limit : float, optional
        Wall-clock seconds; past it :class:`~geoquant.errors.TooLargeError` is
        raised (checked a few times a second).
    progress : bool, optional
        ``None``: a progress bar on a terminal once the work has run a few seconds;
        ``True``: also a line on stderr every 10 s off a terminal; ``False``: none.

    Returns
    -------
    int
        Exact count (a Python int, possibly far beyond 64 bits). In 1D: ``1``
        fine triangulation, ``2**(n - 2)`` in all.

    Raises
    ------
    UnsupportedError
        ``n_dims >= 3``.
    DegenerateInputError, DuplicatePointsError
        All 2D points on one line; repeated points.
    TooLargeError
        The estimated or actual work exceeds ``max_states`` or the memory budget
        (refused up front from the estimate; see the module notes: about 30 points
        in general position), or ``time_limit`` was reached.

    Warns
    -----
    NearDegeneracyWarning
        Some triples are collinear up to rounding but not exactly.

    Notes
    -----
    Geometry is exact for the given float64 values: a lattice with spacing 0.1 or
    1/3 is *not* exactly collinear in binary and is counted as the slightly
    perturbed configuration it is (a 4x4 grid with spacing 0.1 has 82,300 fine
    triangulations instead of 46,456; TOPCOM agrees when given the same exact
    values). Use integer coordinates, or multiples of a power of two, for
    lattices; a warning is issued when near-collinear triples are found.

    Examples
    --------
    >>> count_triangulations([[0, 0], [1, 0], [2, 0], [0, 1], [1, 1], [2, 1], [0, 2], [1, 2], [2, 2]])
    64
    """
    struct = build_structure(points, fine=fine, max_states=max_states, what="count_triangulations")
    make_work(struct, "count_triangulations", time_limit, progress)
    if isinstance(struct, LineChain):
        return struct.count(struct.root)
    # fine counts: the lean evaluation of :mod:`._count_fast`; the filled DAG is kept
    # (when small) for sampling, ranking and statistics of the same points
    return total_count(struct)


# ---------------------------------------------------------------------------------------------
# public: cost statistics


@dataclass(frozen=True)
class CostStatistics:
    """Statistics of a cost over all (fine) triangulations of a point set.

    The cost of a triangulation is the sum (``reduce="sum"``) or the maximum
    (``reduce="max"``) of the costs of its simplices; every triangulation counts
    once (uniform distribution).

    Attributes
    ----------
    count : int
        Number of triangulations (exact).
    min, max : float
        Smallest and largest cost.
    mean, var : float
        Mean and (population) variance of the cost over all triangulations.
    argmin, argmax : Triangulation
        A triangulation attaining ``min`` / ``max`` (the first in enumeration order
        among ties).
    reduce : str
    fine : bool
    """

    count: int
    min: float
    max: float
    mean: float
    var: float
    argmin: Triangulation = field(repr=False)
    argmax: Triangulation = field(repr=False)
    reduce: str = "sum"
    fine: bool = True

    @property
    def std(self) -> float:
        """Standard deviation of the cost."""
        return math.sqrt(max(self.var, 0.0))


def _n_simplices_max(struct: PlanarDecomposition | LineChain) -> int:
    """Most simplices a triangulation of the DAG's points can have (2D: 2n - 3 or fewer; 1D: n - 1)."""
    n = len(struct.points)
    return max(2 * n - 5, 1) if isinstance(struct, PlanarDecomposition) else max(n - 1, 1)


def _simplex_costs(cost: object, simplices: np.ndarray, *, n_terms: int = 1) -> np.ndarray:
    """The per-simplex costs, checked: one finite value per simplex, and a sum of ``n_terms`` of them finite."""
    if not callable(cost):
        raise InvalidInputError(
            f"'cost' must be callable on a (k, {simplices.shape[1]}) int array of point indices, "
            f"found {type(cost).__name__}"
        )
    w = as_float_array(cost(simplices.copy()), "cost", finite=False)
    if w.shape != (len(simplices),):
        raise InvalidInputError(
            f"'cost' must return one value per simplex, shape ({len(simplices)},), found shape {w.shape}"
        )
    if not np.all(np.isfinite(w)):
        bad = int(np.flatnonzero(~np.isfinite(w))[0])
        raise InvalidInputError(
            f"'cost' must return finite values, found {w[bad]} for simplex {simplices[bad].tolist()}"
        )
    big = float(np.max(np.abs(w))) if len(w) else 0.0
    if not math.isfinite(big * n_terms * 4.0):
        bad = int(np.argmax(np.abs(w)))
        raise InvalidInputError(
            f"'cost' must return values whose sum over a triangulation ({n_terms} simplices) stays finite in float64, "
            f"found {w[bad]:.3g} for simplex {simplices[bad].tolist()} (the sum overflows); rescale the cost"
        )
    return w


def _merge_moments(parts: list[tuple[int, float, float]]) -> tuple[int, float, float]:
    """Merge (N, mean, var) of disjoint families into one (exact N, float moments)."""
    N = sum(p[0] for p in parts)
    if N == 0:
        return 0, 0.0, 0.0
    mean = sum((p[0] / N) * p[1] for p in parts)
    var = sum((p[0] / N) * (p[2] + (p[1] - mean) ** 2) for p in parts)
    return N, mean, var


class _SumDP:
    """Per state: (N, mean, var, min, argmin choice, max, argmax choice) of the summed cost."""

    memo: dict

    def __init__(self, struct: CountingStructure, w: np.ndarray) -> None:
        self.struct, self.w, self.memo = struct, w, {}
        self.work = getattr(struct, "work", None)

    def value(self, key: Any) -> tuple:
        r = self.memo.get(key)
        if r is not None:
            return r
        parts = []
        best_min, imin, best_max, imax = math.inf, -1, -math.inf, -1
        for i, (sid, kids) in enumerate(self.struct.expand(key)):
            base = self.w[sid] if sid >= 0 else 0.0
            N, mean, var, lo, hi = 1, base, 0.0, base, base
            for k in kids:
                kN, kmean, kvar, klo, _, khi, _ = self.value(k)
                N *= kN
                mean += kmean
                var += kvar
                lo += klo
                hi += khi
            if N == 0:
                continue
            parts.append((N, mean, var))
            if lo < best_min:
                best_min, imin = lo, i
            if hi > best_max:
                best_max, imax = hi, i
        N, mean, var = _merge_moments(parts)
        r = (N, mean, var, best_min, imin, best_max, imax)
        self.memo[key] = r
        if len(self.memo) > getattr(self.struct, "max_states", math.inf):
            raise StateBudgetExceeded(len(self.memo))
        if self.work is not None and not len(self.memo) & 4095:
            self.work.tick(len(self.memo))
        return r


class _MaxDP:
    """Per state: N, min, argmin, max, argmax of the bottleneck cost and its distribution.

    The distribution is kept as (sorted distinct values, probabilities): the
    bottleneck of a choice is ``max(w, X_1, X_2)`` with independent uniform
    sub-triangulations, so its CDF is ``[w <= v] F_1(v) F_2(v)``; choices mix with
    weights ``N_choice / N``.
    """

    _MAX_STORED = 30_000_000  # floats kept for the distributions (~0.5 GB with values)
    memo: dict

    def __init__(self, struct: CountingStructure, w: np.ndarray, moments: bool) -> None:
        self.struct, self.w, self.memo, self.moments = struct, w, {}, moments
        self.stored = 0
        self.work = getattr(struct, "work", None)

    def value(self, key: Any) -> tuple:
        r = self.memo.get(key)
        if r is not None:
            return r
        total = 0
        best_min, imin, best_max, imax = math.inf, -1, -math.inf, -1
        dists = []
        for i, (sid, kids) in enumerate(self.struct.expand(key)):
            base = self.w[sid] if sid >= 0 else -math.inf
            N, lo, hi = 1, base, base
            sub = []
            for k in kids:
                kr = self.value(k)
                N *= kr[0]
                lo = max(lo, kr[1])
                hi = max(hi, kr[3])
                sub.append(kr[5])
            if N == 0:
                continue
            total += N
            if lo < best_min:
                best_min, imin = lo, i
            if hi > best_max:
                best_max, imax = hi, i
            if self.moments:
                dists.append((N, self._choice_dist(base, sub)))
        dist = self._mix(dists, total) if self.moments else None
        r = (total, best_min, imin, best_max, imax, dist)
        self.memo[key] = r
        if dist is not None:
            self.stored += 2 * len(dist[0])
            if self.stored > self._MAX_STORED:
                raise TooLargeError(
                    f"the bottleneck-cost distribution over all triangulations needs more than "
                    f"{self._MAX_STORED:,} stored values; call cost_statistics(..., reduce='max', moments=False) "
                    "for min/max/argmin/argmax only"
                )
        if len(self.memo) > getattr(self.struct, "max_states", math.inf):
            raise StateBudgetExceeded(len(self.memo))
        if self.work is not None and not len(self.memo) & 4095:
            self.work.tick(len(self.memo))
        return r

    @staticmethod
    def _choice_dist(base: float, sub: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
        if not sub:
            return np.array([base]), np.array([1.0])
        vals = np.unique(np.concatenate([s[0] for s in sub] + ([np.array([base])] if base > -math.inf else [])))
        vals = vals[vals >= base]
        F = np.ones(len(vals))
        for sv, sp in sub:
            cdf = np.cumsum(sp)
            pos = np.searchsorted(sv, vals, side="right") - 1
            F *= np.where(pos >= 0, cdf[np.maximum(pos, 0)], 0.0)
        p = np.diff(F, prepend=0.0)
        keep = p > 0
        return vals[keep], p[keep]

    @staticmethod
    def _mix(dists: list[tuple[int, tuple[np.ndarray, np.ndarray]]], total: int) -> tuple[np.ndarray, np.ndarray]:
        if len(dists) == 1:
            return dists[0][1]
        vals = np.concatenate([d[1][0] for d in dists])
        probs = np.concatenate([d[1][1] * (d[0] / total) for d in dists])
        u, inv = np.unique(vals, return_inverse=True)
        return u, np.bincount(inv.ravel(), weights=probs, minlength=len(u))


def _follow(struct: CountingStructure, memo: dict, key: Any, slot: int) -> list[int]:
    """Simplex ids of the triangulation reached by following the stored choice ``slot``."""
    sids = []
    stack = [key]
    while stack:
        k = stack.pop()
        sid, kids = struct.expand(k)[memo[k][slot]]
        if sid >= 0:
            sids.append(sid)
        stack.extend(kids)
    return sids


def cost_statistics(
    points: ArrayLike,
    cost: Callable[[np.ndarray], ArrayLike],
    *,
    fine: bool = True,
    reduce: Literal["sum", "max"] = "sum",
    moments: bool = True,
    max_states: int = DEFAULT_MAX_STATES,
    time_limit: float | None = None,
    progress: bool | None = None,
) -> CostStatistics:
    """Exact statistics of a per-simplex cost over all (fine) triangulations.

    Parameters
    ----------
    points : (n_points, n_dims) array_like
        ``n_dims`` is 1 or 2 (see :func:`count_triangulations`).
    cost : callable
        ``cost(simplices) -> (k,) float`` for a ``(k, n_dims + 1)`` int array of
        point indices (each row ascending). It is called once, on every simplex
        that can occur in some triangulation. Example: the squared L2
        interpolation error of a target ``f`` on each triangle,
        ``lambda s: geoquant.interpolate.simplex_errors(points, s, f, "l2").per_simplex``.
    fine : bool, default True
        Fine triangulations only, or all triangulations.
    reduce : {"sum", "max"}
        The cost of a triangulation: sum or maximum of its simplices' costs.
    moments : bool, default True
        For ``reduce="max"``: also compute mean and variance (keeps the bottleneck
        distribution per sub-polygon, memory ~ states x distinct costs). With
        ``False`` they are NaN and only min/max/argmin/argmax are computed.
    max_states : int, default 10,000,000
        As in :func:`count_triangulations` (about 400 bytes per sub-polygon here,
        so the default memory budget binds at about 10.7 million).
    time_limit, progress
        As in :func:`count_triangulations`.

    Returns
    -------
    CostStatistics
        ``count``, ``min``, ``max``, ``mean``, ``var`` (population variance over the
        uniform distribution on triangulations), ``argmin``, ``argmax``.

    Raises
    ------
    InvalidInputError
        ``cost`` not callable, or returning the wrong shape or non-finite values,
        or values so large that the sum over a triangulation overflows; bad ``reduce``.
    UnsupportedError, DegenerateInputError, DuplicatePointsError, TooLargeError
        As in :func:`count_triangulations`.
    """
    check_option(reduce, "reduce", ("sum", "max"))
    if not isinstance(moments, (bool, np.bool_)):
        raise InvalidInputError(f"'moments' must be True or False, found {moments!r}")
    struct = build_structure(points, fine=fine, max_states=max_states, what="cost_statistics", kind="stats")
    make_work(struct, "cost_statistics", time_limit, progress)
    w = _simplex_costs(cost, struct.simplices, n_terms=_n_simplices_max(struct))
    from ._triangulation import Triangulation

    with deep_recursion(struct):
        dp = _SumDP(struct, w) if reduce == "sum" else _MaxDP(struct, w, bool(moments))
        # On a line the chain is as deep as the point set is large: evaluate it bottom-up so
        # that the recursion below stays one level deep.
        for key in getattr(struct, "bottom_up", lambda: ())():
            dp.value(key)
        if reduce == "sum":
            N, mean, var, lo, _, hi, _ = dp.value(struct.root)
            slots = (4, 6)
        else:
            N, lo, _, hi, _, dist = dp.value(struct.root)
            if moments:
                vals, probs = dist
                mean = float(np.dot(vals, probs))
                var = float(np.dot((vals - mean) ** 2, probs))
            else:
                mean = var = math.nan
            slots = (2, 4)
        tris = []
        for slot in slots:
            sids = _follow(struct, dp.memo, struct.root, slot)
            tris.append(Triangulation(struct.points, struct.simplices[sids], validate=False))
    return CostStatistics(
        count=int(N),
        min=float(lo),
        max=float(hi),
        mean=float(mean),
        var=max(float(var), 0.0),
        argmin=tris[0],
        argmax=tris[1],
        reduce=reduce,
        fine=bool(struct.fine),
    )
