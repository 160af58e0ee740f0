"""The lean fine-count evaluation (_count_fast) against the generic DP evaluation.

Both walk the same sub-polygon DAG, but the lean one carries the polygon's edge set
with the state and builds sub-polygon keys without re-canonicalising; these tests
check that it reaches exactly the same sub-polygons with exactly the same counts
(the whole memo, not only the root), and the known counts through the public API.
"""

from math import comb

import numpy as np
import pytest

from geoquant.triangulation import count_triangulations
from geoquant.triangulation._count_fast import count_fine, count_fine_fewest_apexes
from geoquant.triangulation._count_planar import PlanarDecomposition, StateBudgetExceeded
from tests.conftest import grid_points


def _both(pts):
    """(lean count, generic count, lean memo, generic memo) on fresh structures.

    Also checks the other fixed-edge rule (fewest apexes, a different DAG with its own
    memo) against the generic leftmost count.
    """
    pts = np.asarray(pts, dtype=float)
    lean = PlanarDecomposition(pts, fine=True, max_states=10**7)
    generic = PlanarDecomposition(pts, fine=True, max_states=10**7)
    total = generic.count(generic.root)
    other_memo = {}
    assert count_fine_fewest_apexes(PlanarDecomposition(pts, fine=True, max_states=10**7), other_memo) == total
    # the fewest-apexes DAG visits polygons of the same point set: every one of them that the
    # leftmost DAG also visits has the same count
    assert all(generic.memo[k] == v for k, v in other_memo.items() if k in generic.memo)
    return count_fine(lean), total, lean.memo, generic.memo


def _catalan(k):
    return comb(2 * k, k) // (k + 1)


@pytest.mark.parametrize("n,seed", [(8, 0), (10, 1), (12, 2), (14, 3), (16, 4), (18, 5), (20, 1), (22, 1)])
def test_equal_to_generic_dp_on_random_sets(n, seed):
    pts = np.random.default_rng(seed).random((n, 2))
    lean, generic, lean_memo, generic_memo = _both(pts)
    assert lean == generic > 0
    assert lean_memo == generic_memo  # same states, same sub-counts


@pytest.mark.parametrize("seed", range(4))
def test_equal_to_generic_dp_on_clustered_and_integer_sets(seed):
    rng = np.random.default_rng(50 + seed)
    # small integer coordinates: many collinear triples, points inside hull edges
    pts = np.unique(rng.integers(0, 5, size=(16, 2)), axis=0).astype(float)
    lean, generic, lean_memo, generic_memo = _both(pts)
    assert lean == generic and lean_memo == generic_memo
    # a Gaussian cloud (few hull points, many interior ones)
    pts = rng.normal(size=(17, 2))
    lean, generic, lean_memo, generic_memo = _both(pts)
    assert lean == generic and lean_memo == generic_memo


@pytest.mark.parametrize("m,n,expected", [(3, 3, 64), (4, 4, 46456), (4, 5, 2822648)])
def test_grids(m, n, expected):
    lean, generic, lean_memo, generic_memo = _both(grid_points(m, n))
    assert lean == generic == expected
    assert lean_memo == generic_memo
    assert count_triangulations(grid_points(m, n)) == expected


@pytest.mark.parametrize("n", [3, 4, 5, 9, 15, 30])
def test_convex_polygons_give_catalan_numbers(n):
    theta = np.sort(np.random.default_rng(n).random(n)) * 2 * np.pi
    pts = np.column_stack([np.cos(theta), np.sin(theta)])
    assert count_fine(PlanarDecomposition(pts, fine=True, max_states=10**7)) == _catalan(n - 2)
    assert count_fine_fewest_apexes(PlanarDecomposition(pts, fine=True, max_states=10**7)) == _catalan(n - 2)


def test_collinear_points_on_the_hull():
    # a triangle with 3 and 2 points inside two of its sides and 4 inside it
    pts = np.array([[0, 0], [4, 0], [0, 4], [1, 0], [2, 0], [3, 0], [0, 1], [0, 3],
                    [1, 1], [2, 1], [1, 2], [0.5, 0.25]], float)
    lean, generic, lean_memo, generic_memo = _both(pts)
    assert lean == generic and lean_memo == generic_memo
    # a 2 x (k + 1) lattice: C(2k, k) fine triangulations, all points on the hull
    for k in range(1, 7):
        struct = PlanarDecomposition(grid_points(2, k + 1), fine=True, max_states=10**7)
        assert count_fine(struct) == count_fine_fewest_apexes(struct) == comb(2 * k, k)


def test_budget_and_memo_reuse():
    pts = grid_points(4, 4)
    with pytest.raises(StateBudgetExceeded):
        count_fine(PlanarDecomposition(pts, fine=True, max_states=50))
    struct = PlanarDecomposition(pts, fine=True, max_states=10**6)
    assert count_fine(struct) == 46456
    assert count_fine(struct) == 46456  # answered from the memo
    with pytest.raises(ValueError, match="fine=True"):
        count_fine(PlanarDecomposition(pts, fine=False, max_states=10**6))
    with pytest.raises(StateBudgetExceeded):
        count_fine_fewest_apexes(PlanarDecomposition(pts, fine=True, max_states=50))
    with pytest.raises(ValueError, match="fine=True"):
        count_fine_fewest_apexes(PlanarDecomposition(pts, fine=False, max_states=10**6))


@pytest.mark.slow
def test_6x6_grid_both_rules():
    # OEIS A082640; the public count (fewest-apexes rule) is checked in test_count.py
    pts = grid_points(6, 6)
    struct = PlanarDecomposition(pts, fine=True, max_states=10**7)
    assert count_fine(struct) == 260420548144996
    assert count_fine_fewest_apexes(PlanarDecomposition(pts, fine=True, max_states=10**7)) == 260420548144996
