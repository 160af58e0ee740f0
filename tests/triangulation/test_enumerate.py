"""Streaming enumeration, ranking and unranking of all triangulations."""

import tracemalloc
from itertools import islice

import numpy as np
import pytest

from geoquant.triangulation._enumerate import count_lower_bound

from geoquant.errors import InvalidInputError, TooLargeError
from geoquant.triangulation import (
    Triangulation,
    count_triangulations,
    enumerate_triangulations,
    rank_triangulation,
    unrank_triangulation,
)
from tests.conftest import grid_points
from tests.triangulation.test_count import brute_force_triangulations


def edge_set(tri):
    return frozenset(map(tuple, tri.edges.tolist()))


def check_all(pts, fine):
    tris = list(enumerate_triangulations(pts, fine=fine))
    assert len(tris) == count_triangulations(pts, fine=fine)
    assert len({t.key() for t in tris}) == len(tris)  # each exactly once
    for t in tris:
        Triangulation(pts, t.simplices, validate=True)  # a genuine triangulation of the hull
        if fine:
            assert t.is_fine
    assert {edge_set(t) for t in tris} == set(brute_force_triangulations(pts, fine))
    return tris


@pytest.mark.parametrize("fine", [True, False])
def test_3x3_grid_matches_brute_force(fine):
    tris = check_all(grid_points(3, 3), fine)
    assert len(tris) == (64 if fine else 387)
    if not fine:
        assert sum(not t.is_fine for t in tris) == 387 - 64


@pytest.mark.parametrize("seed", range(3))
def test_degenerate_and_random_sets_match_brute_force(seed):
    rng = np.random.default_rng(seed)
    lattice = grid_points(4, 4)[np.sort(rng.choice(16, size=7, replace=False))]
    for pts in (rng.random((7, 2)), lattice):
        if np.linalg.matrix_rank(pts[1:] - pts[0]) < 2:
            continue
        for fine in (True, False):
            check_all(pts, fine)


def test_order_matches_unrank_and_rank():
    pts = grid_points(3, 3)
    for fine in (True, False):
        tris = list(enumerate_triangulations(pts, fine=fine))
        for i in range(0, len(tris), 7):
            assert unrank_triangulation(pts, i, fine=fine) == tris[i]
        assert [rank_triangulation(t, fine=fine) for t in tris] == list(range(len(tris)))


def test_rank_unrank_roundtrip_large_grid():
    pts = grid_points(5, 5)
    n = count_triangulations(pts)
    for i in (0, 1, 12345, n // 3, n - 1):
        assert rank_triangulation(unrank_triangulation(pts, i)) == i


def test_4x4_grid_all_distinct():
    keys = {t.key() for t in enumerate_triangulations(grid_points(4, 4))}
    assert len(keys) == 46456


def test_limit_checked_before_yielding_with_exact_count():
    # far above the limit: refused at once by the lower bound (independent flips of the Delaunay triangulation)
    with pytest.raises(TooLargeError, match=r"at least 256 triangulations.*'limit'=10.*sample_triangulations"):
        enumerate_triangulations(grid_points(4, 4), fine=False, limit=10)  # raised at call time
    # between the lower bound and the count: refused after counting, with the exact count
    pts = grid_points(4, 4)
    low = count_lower_bound(pts)
    assert low <= 46456 and low == 256
    with pytest.raises(TooLargeError, match=r"46,456 fine triangulations.*'limit'=1,000"):
        enumerate_triangulations(pts, limit=1000)
    assert len(list(enumerate_triangulations(grid_points(3, 3), limit=64))) == 64


@pytest.mark.parametrize("n,seed", [(8, 0), (10, 1), (12, 2)])
def test_count_lower_bound_is_a_lower_bound(n, seed):
    pts = np.random.default_rng(seed).random((n, 2))
    low = count_lower_bound(pts)
    assert 1 <= low <= count_triangulations(pts)


def test_memory_does_not_grow_with_output():
    pts = grid_points(3, 5)  # 12,170 fine triangulations
    tracemalloc.start()
    it = enumerate_triangulations(pts)
    for _ in islice(it, 500):
        pass
    _, peak_early = tracemalloc.get_traced_memory()
    n = 500 + sum(1 for _ in it)
    _, peak_late = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert n == 12170
    assert peak_late < peak_early + 200_000  # bytes: flat, not ~12k triangulations kept


def test_line_enumeration():
    x = np.array([0.3, 2.0, -1.0, 0.9, 5.0, 4.0])
    tris = list(enumerate_triangulations(x, fine=False))
    assert len(tris) == 16 == len({t.key() for t in tris})
    for i, t in enumerate(tris):
        Triangulation(x, t.simplices, validate=True)
        assert rank_triangulation(t, fine=False) == i
    (only,) = list(enumerate_triangulations(x))
    assert only.is_fine and only.n_simplices == 5


def test_bad_arguments():
    pts = grid_points(3, 3)
    with pytest.raises(InvalidInputError, match="'limit'"):
        enumerate_triangulations(pts, limit=-1)
    with pytest.raises(InvalidInputError, match="'index'.*0 <= index < 64"):
        unrank_triangulation(pts, 64)
    with pytest.raises(InvalidInputError, match="'index'"):
        unrank_triangulation(pts, 1.5)
    coarse = unrank_triangulation(pts, 0, fine=False)  # leaves out every non-corner point
    assert not coarse.is_fine
    with pytest.raises(InvalidInputError, match="'tri'.*fine=False"):
        rank_triangulation(coarse, fine=True)
    with pytest.raises(InvalidInputError, match="'tri'"):
        rank_triangulation("not a triangulation")
    square = np.array([[0, 0], [2, 0], [0, 2], [2, 2], [1, 1.0]])
    overlapping = Triangulation(square, [[0, 1, 4], [1, 3, 4], [2, 3, 4], [0, 1, 2]], validate=False)
    with pytest.raises(InvalidInputError, match="'tri' is not a triangulation of its points"):
        rank_triangulation(overlapping, fine=False)
    on_line = Triangulation(np.array([3.0, 1, 2, 0, 5]), [[3, 0], [1, 4]], validate=False)
    with pytest.raises(InvalidInputError, match="'tri' is not a triangulation of its points"):
        rank_triangulation(on_line, fine=False)
