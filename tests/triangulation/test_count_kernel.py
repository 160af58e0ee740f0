"""The compiled counting kernel, exact counts beyond 64 bits, refusal, progress and time limits.

Independent references: the Python evaluations of the same DAG (``count_fine`` and the
generic ``PlanarDecomposition.count``), Catalan numbers for convex polygons and
OEIS A082640 for square grids.
"""

import math

import numpy as np
import pytest

from geoquant.errors import GeoquantError, InvalidInputError, TooLargeError
from geoquant.triangulation import (
    cost_statistics,
    count_triangulations,
    enumerate_triangulations,
    optimal_triangulation,
    rank_triangulation,
    sample_triangulations,
    unrank_triangulation,
)
from geoquant.triangulation import _count, _work
from geoquant.triangulation._count_fast import count_fine
from geoquant.triangulation._count_kernel import KernelCounter, KernelMemo, primes_for
from geoquant.triangulation._count_planar import PlanarDecomposition
from tests.conftest import grid_points


def catalan(k):
    return math.comb(2 * k, k) // (k + 1)


def convex(n):
    x = np.arange(n, dtype=float)
    return np.column_stack([x, x**2])


def _kernel(pts, modular=False):
    kc = KernelCounter(PlanarDecomposition(pts, fine=True, max_states=10**7), max_states=10**7, modular=modular)
    assert kc.run(chunk=257) == "done"  # small chunks: the run is resumed many times
    return kc


CASES = [
    ("random 9", np.random.default_rng(1).random((9, 2))),
    ("random 14", np.random.default_rng(2).random((14, 2))),
    ("random 18", np.random.default_rng(3).random((18, 2))),
    ("gaussian 16", np.random.default_rng(4).normal(size=(16, 2))),
    ("grid 4x4", grid_points(4, 4)),
    ("grid 3x5", grid_points(3, 5)),
    # collinear points inside hull edges and inside the set
    ("degenerate", np.array([[0, 0], [1, 0], [2, 0], [3, 0], [0, 2], [3, 2], [1, 1], [2, 1], [1.5, 1], [0, 1]], float)),
]


@pytest.mark.parametrize("name,pts", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("modular", [False, True])
def test_kernel_equals_python_evaluations(name, pts, modular):
    ref_struct = PlanarDecomposition(pts, fine=True, max_states=10**7)
    ref = count_fine(ref_struct)
    generic = PlanarDecomposition(pts, fine=True, max_states=10**7)
    assert generic.count(generic.root) == ref
    kc = _kernel(pts, modular)
    assert kc.root_count() == ref
    # every memoised sub-polygon has the same count (empty triangles are not stored: one triangulation each)
    memo = KernelMemo(kc)
    stored = 0
    for key, value in ref_struct.memo.items():
        got = memo.get(key)
        assert got == value or (got is None and len(key) == 3 and value == 1)
        stored += got is not None
    assert kc.n_states == stored


@pytest.mark.parametrize("n", [3, 4, 10, 35, 36, 50, 80])
def test_convex_polygons_are_catalan_beyond_64_bits(n):
    # Catalan(78) ~ 2**147: the kernel switches from exact 64-bit counts to residues mid-run
    assert count_triangulations(convex(n)) == catalan(n - 2)


def test_overflow_switches_to_residues_without_losing_work():
    kc = _kernel(convex(45))
    assert kc.K == len(primes_for(45)) and kc.K > 0
    assert kc.root_count() == catalan(43) > 2**64


def test_primes_cover_the_sharir_sheffer_bound():
    for n in (10, 30, 80):
        ps = primes_for(n)
        assert len(set(ps)) == len(ps) and all(p < 2**32 for p in ps)
        assert 64 + sum(math.log2(p) for p in ps) > n * math.log2(30)


@pytest.mark.parametrize("k,expected", [(2, 2), (3, 64), (4, 46456), (5, 736983568)])
def test_square_grids_oeis_a082640(k, expected):
    assert count_triangulations(grid_points(k, k)) == expected


@pytest.mark.slow
def test_6x6_grid_oeis_a082640():
    assert count_triangulations(grid_points(6, 6)) == 260_420_548_144_996


def test_sampling_ranking_read_the_kernel_table():
    pts = np.random.default_rng(7).random((16, 2))
    total = count_triangulations(pts)
    for t in sample_triangulations(pts, 20, seed=3):
        r = rank_triangulation(t)
        assert 0 <= r < total and unrank_triangulation(pts, r) == t


def test_refused_up_front_within_seconds():
    with pytest.raises(TooLargeError, match="estimated.*interior"):
        count_triangulations(np.random.default_rng(0).random((40, 2)))
    with pytest.raises(TooLargeError, match="estimated"):
        sample_triangulations(np.random.default_rng(0).random((40, 2)), 1)
    with pytest.raises(TooLargeError, match="estimated"):
        list(enumerate_triangulations(np.random.default_rng(0).random((40, 2))))
    with pytest.raises(TooLargeError, match="estimated"):
        cost_statistics(np.random.default_rng(0).random((36, 2)), lambda s: np.ones(len(s)))


def test_memory_budget_refuses_the_issue_case(monkeypatch):
    # issue 22.3: 30 random points ran 15 minutes without a word; with a small budget: refused at once
    monkeypatch.setenv("GEOQUANT_MEMORY_BUDGET_GB", "0.05")
    with pytest.raises(TooLargeError, match="memory budget"):
        count_triangulations(np.random.default_rng(130).random((30, 2)))


def test_memory_budget_stops_a_run_that_outgrows_it(monkeypatch):
    pts = np.random.default_rng(0).random((22, 2))
    monkeypatch.setattr(_count, "memory_budget", lambda: 2**20)  # 1 MiB: past the estimate's check
    monkeypatch.setattr(_count, "state_limit", lambda n, fine, max_states, kind="count": max_states)
    _count._CACHE.clear()
    with pytest.raises(TooLargeError, match="memory budget"):
        count_triangulations(pts)


def test_state_limit_stops_the_kernel():
    _count._CACHE.clear()
    with pytest.raises(TooLargeError, match="max_states=3,000"):
        count_triangulations(np.random.default_rng(0).random((20, 2)), max_states=3000)


@pytest.mark.parametrize("call", [
    lambda p, **kw: count_triangulations(p, **kw),
    lambda p, **kw: sample_triangulations(p, 1, **kw),
    lambda p, **kw: unrank_triangulation(p, 0, **kw),
    lambda p, **kw: list(enumerate_triangulations(p, limit=10**30, **kw)),
    lambda p, **kw: count_triangulations(p, fine=False, **kw),
    lambda p, **kw: cost_statistics(p, lambda s: np.ones(len(s)), max_states=10**7, **kw),
])
def test_time_limit_is_honoured(monkeypatch, call):
    monkeypatch.setattr(_work.time, "perf_counter", _fake_clock())
    _count._CACHE.clear()
    with pytest.raises(TooLargeError, match="time_limit=5 s"):
        call(np.random.default_rng(0).random((25, 2)), time_limit=5)


def _fake_clock():
    """A clock that advances one second per reading: any long loop reaches its limit."""
    state = [0.0]

    def clock():
        state[0] += 1.0
        return state[0]

    return clock


def test_progress_lines_off_a_terminal(monkeypatch, capsys):
    monkeypatch.setattr(_work, "PROGRESS_DELAY", 0.0)
    monkeypatch.setattr(_work, "LINE_INTERVAL", 0.0)
    _count._CACHE.clear()
    n = count_triangulations(np.random.default_rng(0).random((22, 2)), progress=True)
    assert n == 280_465_387_918
    err = capsys.readouterr().err
    assert "count_triangulations:" in err and "sub-polygons" in err
    _count._CACHE.clear()
    count_triangulations(np.random.default_rng(0).random((22, 2)), progress=False)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), "1", True])
def test_bad_time_limit_and_progress(bad):
    with pytest.raises(InvalidInputError, match="'time_limit'"):
        count_triangulations(grid_points(3, 3), time_limit=bad)
    with pytest.raises(InvalidInputError, match="'progress'"):
        count_triangulations(grid_points(3, 3), progress="yes")


# ------------------------------------------------------------------------- issue 22, items 7 and 8

HUGE = np.array([[-1e308, 0.0], [1e308, 0.0], [0.0, 1e308], [0.0, -1e308], [1.0, 1.0]])


@pytest.mark.parametrize("call", [
    count_triangulations,
    lambda p: sample_triangulations(p, 1),
    lambda p: list(enumerate_triangulations(p)),
    lambda p: cost_statistics(p, lambda s: np.ones(len(s))),
    lambda p: optimal_triangulation(p, lambda s: np.ones(len(s))),
])
def test_coordinates_whose_differences_overflow(call):
    with pytest.raises(InvalidInputError, match="'points'.*overflows"):
        call(HUGE)


def test_coordinates_whose_differences_overflow_everywhere():
    from geoquant.triangulation import Triangulation, delaunay, random_regular_triangulation

    for call in (delaunay, lambda p: random_regular_triangulation(p, seed=0),
                 lambda p: Triangulation(p, [[0, 2, 4], [2, 1, 4], [1, 3, 4], [3, 0, 4]])):
        with pytest.raises(GeoquantError, match="points.*overflows"):
            call(HUGE)


@pytest.mark.parametrize("value", [1e308, 3e307, np.inf, np.nan])  # 15 triangles: 3e307 sums past 1.8e308
def test_costs_that_overflow_are_refused(value):
    pts = np.random.default_rng(0).random((10, 2))
    with pytest.raises(InvalidInputError, match="'cost'"):
        optimal_triangulation(pts, lambda s: np.full(len(s), value))
    with pytest.raises(InvalidInputError, match="'cost'"):
        cost_statistics(pts, lambda s: np.full(len(s), value))
    # large but summable costs are fine
    r = optimal_triangulation(pts, lambda s: np.full(len(s), 1e300))
    assert r.optimal and np.isfinite(r.cost)
