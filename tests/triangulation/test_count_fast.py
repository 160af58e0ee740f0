"""The lean fine-count evaluation (_count_fast) against the generic DP evaluation and an
independent decomposition.

* ``count_fine`` and ``PlanarDecomposition.count`` walk the same sub-polygon DAG (fixed
  edge: the polygon edge of lowest rank, fewest empty triangles on its left); they must
  reach exactly the same sub-polygons with exactly the same counts (the whole memo).
* ``_leftmost_count`` below is a separate, slow DP that fixes the edge from the smallest
  vertex instead: a different DAG (different sub-polygons), so agreement of the totals
  and of every shared sub-polygon is an independent check of both.
"""

from math import comb

import numpy as np
import pytest

from geoquant.triangulation import count_triangulations
from geoquant.triangulation._count_fast import count_fine
from geoquant.triangulation._count_planar import (
    PlanarDecomposition,
    StateBudgetExceeded,
    _apex_kids,
)
from tests.conftest import grid_points


def _leftmost_count(struct, memo):
    """Fine count with the fixed edge (t[0], t[1]) of the canonical cycle (slow, independent DAG)."""
    ebit, conf, cand = struct._ebit, struct._conf, struct._cand

    def count(t):
        if t in memo:
            return memo[t]
        vm = pe = 0
        prev = t[-1]
        for v in t:
            vm |= 1 << v
            pe |= ebit[prev][v]
            prev = v
        a, b = t[0], t[1]
        total = 0
        for c, _ in cand[a][b]:
            if conf[a][c] & pe or conf[b][c] & pe:
                continue
            prod = 1
            for kid in _apex_kids(t, c, vm):
                prod *= count(kid)
            total += prod
        memo[t] = total
        return total

    return count(struct.root)


def _all_three(pts):
    """(lean count, generic count, lean memo, generic memo), checked against the leftmost DAG."""
    pts = np.asarray(pts, dtype=float)
    lean = PlanarDecomposition(pts, fine=True, max_states=10**7)
    generic = PlanarDecomposition(pts, fine=True, max_states=10**7)
    total = generic.count(generic.root)
    other_memo = {}
    assert _leftmost_count(PlanarDecomposition(pts, fine=True, max_states=10**7), other_memo) == total
    # both DAGs visit polygons of the same point set: every polygon in both has the same count
    shared = [k for k in other_memo if k in generic.memo]
    assert len(shared) > 0
    assert all(generic.memo[k] == other_memo[k] for k in shared)
    return count_fine(lean), total, lean.memo, generic.memo


def _catalan(k):
    return comb(2 * k, k) // (k + 1)


@pytest.mark.parametrize("n,seed", [(8, 0), (10, 1), (12, 2), (14, 3), (16, 4), (18, 5), (20, 1)])
def test_equal_to_generic_dp_on_random_sets(n, seed):
    pts = np.random.default_rng(seed).random((n, 2))
    lean, generic, lean_memo, generic_memo = _all_three(pts)
    assert lean == generic > 0
    assert lean_memo == generic_memo  # same states, same sub-counts


@pytest.mark.parametrize("seed", range(4))
def test_equal_to_generic_dp_on_clustered_and_integer_sets(seed):
    rng = np.random.default_rng(50 + seed)
    # small integer coordinates: many collinear triples, points inside hull edges
    pts = np.unique(rng.integers(0, 5, size=(16, 2)), axis=0).astype(float)
    lean, generic, lean_memo, generic_memo = _all_three(pts)
    assert lean == generic and lean_memo == generic_memo
    # a Gaussian cloud (few hull points, many interior ones)
    pts = rng.normal(size=(17, 2))
    lean, generic, lean_memo, generic_memo = _all_three(pts)
    assert lean == generic and lean_memo == generic_memo


@pytest.mark.parametrize("m,n,expected", [(3, 3, 64), (4, 4, 46456), (4, 5, 2822648)])
def test_grids(m, n, expected):
    # OEIS A082640
    lean, generic, lean_memo, generic_memo = _all_three(grid_points(m, n))
    assert lean == generic == expected
    assert lean_memo == generic_memo
    assert count_triangulations(grid_points(m, n)) == expected


def test_fixed_edge_is_the_polygon_edge_with_fewest_empty_triangles():
    pts = np.random.default_rng(7).random((14, 2))
    struct = PlanarDecomposition(pts, fine=True, max_states=10**7)
    count_fine(struct)
    n_apex = {(u, w): len(struct._cand[u][w]) for u in range(14) for w in range(14) if u != w}
    ranks = {e: k for k, e in enumerate(struct._edge_of_rank)}
    assert [n_apex[e] for e in struct._edge_of_rank] == sorted(n_apex.values())
    for t in list(struct.memo)[:200]:
        edges = [(t[i], t[(i + 1) % len(t)]) for i in range(len(t))]
        fewest = min(n_apex[e] for e in edges)
        a, b = min(edges, key=ranks.__getitem__)
        assert n_apex[(a, b)] == fewest
        # every choice of the generic expansion is a triangle on that edge
        for sid, _ in struct.expand(t):
            assert {a, b} <= {int(v) for v in struct._tri_sorted[sid]}


@pytest.mark.parametrize("n", [3, 4, 5, 9, 15, 30])
def test_convex_polygons_give_catalan_numbers(n):
    theta = np.sort(np.random.default_rng(n).random(n)) * 2 * np.pi
    pts = np.column_stack([np.cos(theta), np.sin(theta)])
    assert count_fine(PlanarDecomposition(pts, fine=True, max_states=10**7)) == _catalan(n - 2)


def test_collinear_points_on_the_hull():
    # a triangle with 3 and 2 points inside two of its sides and 4 inside it
    pts = np.array([[0, 0], [4, 0], [0, 4], [1, 0], [2, 0], [3, 0], [0, 1], [0, 3],
                    [1, 1], [2, 1], [1, 2], [0.5, 0.25]], float)
    lean, generic, lean_memo, generic_memo = _all_three(pts)
    assert lean == generic and lean_memo == generic_memo
    # a 2 x (k + 1) lattice: C(2k, k) fine triangulations, all points on the hull
    for k in range(1, 7):
        struct = PlanarDecomposition(grid_points(2, k + 1), fine=True, max_states=10**7)
        assert count_fine(struct) == comb(2 * k, k)


def test_budget_and_memo_reuse():
    pts = grid_points(4, 4)
    with pytest.raises(StateBudgetExceeded):
        count_fine(PlanarDecomposition(pts, fine=True, max_states=50))
    struct = PlanarDecomposition(pts, fine=True, max_states=10**6)
    assert count_fine(struct) == 46456
    assert count_fine(struct) == 46456  # answered from the memo
    with pytest.raises(ValueError, match="fine=True"):
        count_fine(PlanarDecomposition(pts, fine=False, max_states=10**6))


@pytest.mark.slow
def test_6x6_grid_lean_and_leftmost():
    # OEIS A082640; the public count is checked in test_count.py
    pts = grid_points(6, 6)
    assert count_fine(PlanarDecomposition(pts, fine=True, max_states=10**7)) == 260420548144996
    assert _leftmost_count(PlanarDecomposition(pts, fine=True, max_states=10**7), {}) == 260420548144996
