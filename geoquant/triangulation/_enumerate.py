"""Streaming enumeration, ranking and exact uniform sampling of triangulations.

All three walk the AND/OR DAG of :mod:`._count_planar` (1D: the closed forms of
:mod:`._count_line`) using its exact per-state counts:

* **order.** At a state the choices come in the order of ``expand``; inside a
  choice, the sub-triangulation of the last sub-region varies slowest. The
  index of a triangulation is therefore ``offset(choice) + sum_i r_i * prod_{j<i} N_j``
  (mixed radix over the sub-regions), and the enumeration yields them in index
  order: ``list(enumerate_triangulations(p))[i] == unrank_triangulation(p, i)``.
* **enumeration** is a depth-first search with an explicit stack of pending
  sub-regions; memory is the DAG (independent of how many triangulations have
  been produced) plus one path.
* **sampling** draws a uniform index in ``[0, count)`` with exact big-integer
  arithmetic and unranks it, so every triangulation has probability exactly
  ``1 / count``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, TypeAlias

import numpy as np
from numpy.typing import ArrayLike

from .._validation import SeedLike, as_generator, check_int, check_memory
from ..errors import InvalidInputError, TooLargeError
from ._count import DEFAULT_COUNT_MAX_STATES, build_structure, deep_recursion, make_work, total_count
from ._count_line import LineChain
from ._triangulation import Triangulation, canonical_simplices

if TYPE_CHECKING:
    from ._count_planar import PlanarDecomposition

#: The counting DAG of :func:`build_structure`: planar, or the chain of a 1D point set.
_Structure: TypeAlias = "PlanarDecomposition | LineChain"

__all__ = [
    "enumerate_triangulations",
    "sample_triangulations",
    "unrank_triangulation",
    "rank_triangulation",
]

_EXPANSION_CACHE_MAX = 500_000


def _kind(fine: bool) -> str:
    return "fine triangulations" if fine else "triangulations"


def _count(struct: _Structure) -> int:
    if isinstance(struct, LineChain):
        return struct.count(struct.root)
    return total_count(struct)


def count_lower_bound(points: np.ndarray) -> int:
    """A proven lower bound on the number of fine triangulations of planar points, in milliseconds.

    In the Delaunay triangulation (fine), pick greedily interior edges whose two
    triangles form a strictly convex quadrilateral, no two sharing a triangle.
    Flipping any subset of them gives a different fine triangulation (the
    quadrilaterals are empty and disjoint), so there are at least ``2**k``.
    """
    from ._delaunay import delaunay
    from ._predicates import orient2d

    tri = delaunay(points)
    S, nb = tri.simplices, tri.neighbors
    used = np.zeros(len(S), dtype=bool)
    k = 0
    for t in range(len(S)):
        if used[t]:
            continue
        for j in range(3):
            u = int(nb[t, j])
            if u < 0 or used[u]:
                continue
            c = S[t, j]
            a, b = (int(v) for v in S[t] if v != c)
            d = int(next(v for v in S[u] if v != a and v != b))
            P = tri.points
            if orient2d(P[c], P[d], P[a]) * orient2d(P[c], P[d], P[b]) < 0:
                used[t] = used[u] = True
                k += 1
                break
    return 1 << k


def _unrank_sids(struct: PlanarDecomposition, index: int) -> list[int]:
    """Simplex ids of the triangulation with the given index (0 <= index < count)."""
    expand, count = struct.expand, struct.count
    sids: list[int] = []
    stack = [(struct.root, index)]
    while stack:
        key, r = stack.pop()
        for sid, kids in expand(key):
            sizes = [count(k) for k in kids]
            block = 1
            for s in sizes:
                block *= s
            if r < block:
                break
            r -= block
        else:  # pragma: no cover - index was checked against the count
            raise AssertionError("index out of range while unranking")
        if sid >= 0:
            sids.append(sid)
        for k, s in zip(kids, sizes):
            r, digit = divmod(r, s)
            stack.append((k, digit))
    return sids


def _make_triangulation(struct: _Structure, simplices: np.ndarray) -> Triangulation:
    return Triangulation(struct.points, simplices, validate=False)


def _iterate(struct: PlanarDecomposition, relabel: Sequence[int] | None = None) -> Iterator[list[int]]:
    """Yield simplex-id lists in index order (2D DAG), depth first with a pending stack.

    With ``relabel`` (an int sequence) the yielded ids are ``relabel[sid]``.
    """
    expand, count = struct.expand, struct.count
    cache: dict = {}

    def choices(key: bytes) -> list:
        ch = cache.get(key)
        if ch is None:
            ch = [(sid, kids) for sid, kids in expand(key) if all(count(k) for k in kids)]
            if relabel is not None:
                ch = [(relabel[sid] if sid >= 0 else sid, kids) for sid, kids in ch]
            if len(cache) < _EXPANSION_CACHE_MAX:
                cache[key] = ch
        return ch

    # Iterative depth-first walk: a recursive generator would pass every
    # triangulation up a chain of ``yield from`` as deep as the decision stack.
    chosen: list[int] = []
    pending = [struct.root]
    frames: list[list] = []  # [key, choices, index of the choice applied]
    while True:
        if pending:
            key = pending.pop()
            frames.append([key, choices(key), -1])
        else:
            yield chosen
        # advance the innermost decision: undo its choice, apply the next one
        while frames:
            frame = frames[-1]
            key, ch, i = frame
            if i >= 0:
                sid, kids = ch[i]
                if kids:
                    del pending[-len(kids):]
                if sid >= 0:
                    chosen.pop()
            i += 1
            if i < len(ch):
                frame[2] = i
                sid, kids = ch[i]
                if sid >= 0:
                    chosen.append(sid)
                # the last kid is popped first, so it varies slowest (see module docstring)
                pending.extend(kids)
                break
            frames.pop()
            pending.append(key)
        else:
            return


def enumerate_triangulations(points: ArrayLike, *, fine: bool = True, limit: int | None = None,
                             max_states: int = DEFAULT_COUNT_MAX_STATES, time_limit: float | None = None,
                             progress: bool | None = None) -> Iterator[Triangulation]:
    """Iterate over every (fine) triangulation of a point set, each exactly once.

    Parameters
    ----------
    points : (n_points, n_dims) array_like
        ``n_dims`` is 1 or 2 (see :func:`count_triangulations`).
    fine : bool, default True
        Fine triangulations only, or all triangulations.
    limit : int, optional
        Refuse (before yielding anything) when there are more than ``limit``:
        at once when a quick lower bound (independent flips of the Delaunay
        triangulation) exceeds it, otherwise after counting.
    max_states, time_limit, progress
        As in :func:`count_triangulations`; the time limit and the progress bar
        cover the counting, before the first triangulation is yielded.

    Returns
    -------
    iterator of Triangulation
        Streaming (memory does not grow with the number produced), in index order
        (see :func:`unrank_triangulation`). Built with ``validate=False``.

    Raises
    ------
    TooLargeError
        More than ``limit`` triangulations (the message gives the exact count), or
        the counting DP is too large.
    UnsupportedError, DegenerateInputError, DuplicatePointsError
        As in :func:`count_triangulations`.
    """
    if limit is not None:
        limit = check_int(limit, "limit", min_value=0)
    struct = build_structure(points, fine=fine, max_states=max_states, what="enumerate_triangulations")
    if limit is not None and not isinstance(struct, LineChain):
        low = count_lower_bound(struct.points)
        if low > limit:
            raise TooLargeError(
                f"the points have at least {low:,} {_kind(struct.fine)} (a lower bound from independent flips of "
                "their Delaunay triangulation), "
                f"more than 'limit'={limit:,}; draw a uniform sample with sample_triangulations(points, k) instead, "
                "or raise 'limit'"
            )
    make_work(struct, "enumerate_triangulations", time_limit, progress)
    total = _count(struct)
    if limit is not None and total > limit:
        raise TooLargeError(
            f"the points have {total:,} {_kind(struct.fine)}, more than 'limit'={limit:,}; draw a uniform "
            f"sample with sample_triangulations(points, k) instead, or raise 'limit'"
        )
    return _generate(struct, total)


def _generate(struct: _Structure, total: int) -> Iterator[Triangulation]:
    if isinstance(struct, LineChain):
        for i in range(total):
            yield _make_triangulation(struct, struct.unrank(i))
        return
    # Put the candidate simplices in canonical order once; then the canonical
    # simplex array of each triangulation is a sorted selection of rows, and
    # the Triangulation can be built without sorting or validating.
    points = np.ascontiguousarray(struct.points, dtype=np.float64)
    rows = canonical_simplices(struct.simplices)
    by_row = {tuple(r): i for i, r in enumerate(np.sort(np.asarray(struct.simplices), axis=1).tolist())}
    rank = np.empty(len(rows), dtype=np.int64)
    for i, r in enumerate(rows.tolist()):
        rank[by_row[tuple(r)]] = i
    rank = rank.tolist()
    with deep_recursion(struct):
        for ranks in _iterate(struct, rank):
            yield Triangulation._from_canonical(points, rows[sorted(ranks)])


def uniform_below(rng: np.random.Generator, n: int) -> int:
    """Exactly uniform integer in ``[0, n)`` for any Python int ``n >= 1``."""
    if n <= 2**63:
        return int(rng.integers(0, n)) if n > 1 else 0
    nbits = n.bit_length()
    words = -(-nbits // 32)
    while True:  # rejection: accept with probability > 1/2
        draw = rng.integers(0, 2**32, size=words, dtype=np.uint64)
        value = 0
        for wd in draw.tolist():
            value = (value << 32) | wd
        value &= (1 << nbits) - 1
        if value < n:
            return value


def sample_triangulations(points: ArrayLike, k: int, *,
                          seed: SeedLike = 0, fine: bool = True,
                          max_states: int = DEFAULT_COUNT_MAX_STATES, time_limit: float | None = None,
                          progress: bool | None = None) -> list[Triangulation]:
    """Draw ``k`` triangulations independently and exactly uniformly at random.

    Each draw picks a uniform index in ``[0, count)`` (exact big integers) and
    unranks it, so every (fine) triangulation has probability exactly ``1/count``.
    Draws are with replacement.

    Parameters
    ----------
    points : (n_points, n_dims) array_like
        ``n_dims`` is 1 or 2 (see :func:`count_triangulations`).
    k : int
        Number of draws (``>= 0``).
    seed : int, numpy SeedSequence or Generator
        Same seed, same triangulations.
    fine : bool, default True
    max_states, time_limit, progress
        As in :func:`count_triangulations` (the time limit covers the draws too).

    Returns
    -------
    list of Triangulation
    """
    k = check_int(k, "k", min_value=0)
    try:
        n_pts = len(points)  # type: ignore[arg-type]  # a point set without len() is caught here
    except TypeError:
        n_pts = 0
    # each draw is a Triangulation object: ~2 n simplices of 3 int64 plus its arrays and caches
    check_memory(k * (2000.0 + 64.0 * n_pts), f"sample_triangulations of k={k} draws on {n_pts} points",
                 "draw fewer (or loop over smaller batches with different seeds)")
    rng = as_generator(seed)
    struct = build_structure(points, fine=fine, max_states=max_states, what="sample_triangulations")
    work = make_work(struct, "sample_triangulations", time_limit, progress)
    total = _count(struct)
    out = []
    work.total, work.unit = k, "draws"
    for i in range(k):
        index = uniform_below(rng, total)
        out.append(_unrank(struct, index))
        if not i & 63:
            work.tick(i)
    work.close()
    return out


def _unrank(struct: _Structure, index: int) -> Triangulation:
    if isinstance(struct, LineChain):
        return _make_triangulation(struct, struct.unrank(index))
    with deep_recursion(struct):
        sids = _unrank_sids(struct, index)
    return _make_triangulation(struct, struct.simplices[sids])


def unrank_triangulation(
    points: ArrayLike, index: int, *, fine: bool = True, max_states: int = DEFAULT_COUNT_MAX_STATES,
    time_limit: float | None = None, progress: bool | None = None,
) -> Triangulation:
    """The triangulation with the given index in the enumeration order.

    Parameters
    ----------
    points : (n_points, n_dims) array_like
    index : int
        ``0 <= index < count_triangulations(points, fine=fine)`` (any Python int).
    fine : bool, default True
    max_states, time_limit, progress
        As in :func:`count_triangulations`.

    Returns
    -------
    Triangulation
        Equal to the ``index``-th item of :func:`enumerate_triangulations`.
    """
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
        raise InvalidInputError(f"'index' must be an integer, found {index!r}")
    index = int(index)
    struct = build_structure(points, fine=fine, max_states=max_states, what="unrank_triangulation")
    make_work(struct, "unrank_triangulation", time_limit, progress)
    total = _count(struct)
    if not 0 <= index < total:
        raise InvalidInputError(
            f"'index' must satisfy 0 <= index < {total} (the number of {_kind(struct.fine)}), found {index}"
        )
    return _unrank(struct, index)


def rank_triangulation(tri: Triangulation, *, fine: bool | None = None, max_states: int = DEFAULT_COUNT_MAX_STATES,
                       time_limit: float | None = None, progress: bool | None = None) -> int:
    """Index of a triangulation in the enumeration order (inverse of :func:`unrank_triangulation`).

    Parameters
    ----------
    tri : Triangulation
        A triangulation of ``tri.points`` (1D or 2D).
    fine : bool, optional
        Rank among fine triangulations or among all; default ``tri.is_fine``.
        A triangulation that leaves out points can only be ranked with ``fine=False``.
    max_states, time_limit, progress
        As in :func:`count_triangulations`.

    Returns
    -------
    int

    Raises
    ------
    InvalidInputError
        ``tri`` is not a Triangulation, or is not a triangulation of its points of the
        requested kind.
    """
    if not isinstance(tri, Triangulation):
        raise InvalidInputError(f"'tri' must be a Triangulation, found {type(tri).__name__}")
    if fine is None:
        fine = bool(tri.is_fine)
    if fine and not tri.is_fine:
        raise InvalidInputError(
            f"'tri' leaves out {tri.n_points - len(tri.used_points)} point(s), so it has no rank among fine "
            "triangulations; pass fine=False"
        )
    struct = build_structure(tri.points, fine=fine, max_states=max_states, what="rank_triangulation")
    make_work(struct, "rank_triangulation", time_limit, progress)
    not_ours = InvalidInputError(f"'tri' is not a triangulation of its points (as a {_kind(struct.fine)[:-1]})")
    if isinstance(struct, LineChain):
        return _rank_on_line(struct, tri, not_ours)
    return _rank_planar(struct, tri, not_ours)


def _rank_on_line(struct: LineChain, tri: Triangulation, not_ours: InvalidInputError) -> int:
    """1D: the closed-form rank of the points the segments use."""
    pos = np.empty(struct.n, dtype=np.int64)
    pos[struct.order] = np.arange(struct.n)
    used = np.sort(pos[tri.used_points])  # sorted positions along the line
    if len(used) < 2 or used[0] != 0 or used[-1] != struct.n - 1:
        raise not_ours
    index = struct.rank(used)
    if not np.array_equal(canonical_simplices(struct.unrank(index)), tri.simplices):
        raise not_ours
    return index


def _rank_planar(struct: PlanarDecomposition, tri: Triangulation, not_ours: InvalidInputError) -> int:
    """2D: follow the triangles of ``tri`` down the DAG, adding the sizes of the choices passed over."""
    total_count(struct)
    sid_of = {tuple(row): i for i, row in enumerate(struct.simplices.tolist())}
    wanted = set()
    for row in tri.simplices.tolist():
        sid = sid_of.get(tuple(row))
        if sid is None:
            raise not_ours
        wanted.add(sid)
    used_sids: set[int] = set()

    def choice(key: bytes) -> tuple[int, int, tuple, list[int]]:
        """The choice of state ``key`` that ``tri`` makes (its triangle, else the skip) and its offset."""
        offset = 0
        pick = None
        skip = None
        for sid, kids in struct.expand(key):
            sizes = [struct.count(k) for k in kids]
            block = 1
            for s in sizes:
                block *= s
            if sid in wanted:
                pick = (offset, sid, kids, sizes)
                break
            if sid < 0:
                skip = (offset, sid, kids, sizes)
            offset += block
        if pick is None:
            pick = skip
        if pick is None:
            raise not_ours
        return pick

    def rank(key: bytes) -> int:
        offset, sid, kids, sizes = choice(key)
        if sid >= 0:
            used_sids.add(sid)
        r, radix = 0, 1
        for k, s in zip(kids, sizes):
            r += rank(k) * radix
            radix *= s
        return offset + r

    with deep_recursion(struct):
        result = rank(struct.root)
    if used_sids != wanted:
        raise not_ours
    return result
