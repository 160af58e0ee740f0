"""Counting, uniform sampling and cost statistics past 25 points on the one fine DAG.

Independent references: counts recorded from the previous decomposition (fixed edge
from the smallest vertex, a different set of sub-polygons), OEIS A082640 for grids,
the integer program of ``optimal_triangulation`` for the min / max of a cost, and
the exact mean of ``cost_statistics`` for the mean of uniform samples.
"""

import numpy as np
import pytest

from geoquant.triangulation import (
    cost_statistics,
    count_triangulations,
    optimal_triangulation,
    rank_triangulation,
    sample_triangulations,
    unrank_triangulation,
)
from geoquant.triangulation._triangulation import simplex_volumes

# uniform random sets np.random.default_rng(seed).random((n, 2)): counts from the previous
# (leftmost-edge) decomposition, a different DAG from today's
RECORDED = {(22, 0): 280_465_387_918}
# the first from the leftmost decomposition too (9.7 s there); the others counted by the previous
# "fewest apexes" rule (other ties, so other sub-polygons) and by today's
RECORDED_LARGE = {(24, 0): 8_621_100_222_950, (25, 0): 34_006_138_913_997, (28, 0): 5_919_549_352_843_707}


def _area_sq(P):
    return lambda s: simplex_volumes(P, s) ** 2


@pytest.mark.parametrize("n,seed", sorted(RECORDED))
def test_counts_recorded_by_the_other_decomposition(n, seed):
    assert count_triangulations(np.random.default_rng(seed).random((n, 2))) == RECORDED[(n, seed)]


@pytest.mark.slow
@pytest.mark.parametrize("n,seed", sorted(RECORDED_LARGE))
def test_counts_past_25_points(n, seed):
    assert count_triangulations(np.random.default_rng(seed).random((n, 2))) == RECORDED_LARGE[(n, seed)]


def _check_statistics_and_samples(P, k, seed):
    cost = _area_sq(P)
    st = cost_statistics(P, cost, max_states=10**7)
    assert st.count == count_triangulations(P)
    lo = optimal_triangulation(P, cost)
    hi = optimal_triangulation(P, cost, sense="max")
    assert lo.optimal and hi.optimal
    assert st.min == pytest.approx(lo.cost, rel=1e-9)
    assert st.max == pytest.approx(hi.cost, rel=1e-9)
    assert lo.cost <= st.mean <= hi.cost
    for t, v in ((st.argmin, st.min), (st.argmax, st.max)):
        assert t.is_fine and cost(t.simplices).sum() == pytest.approx(v, rel=1e-12)
    # uniform samples: the sample mean of the cost agrees with the exact mean (5 standard errors)
    draws = sample_triangulations(P, k, seed=seed)
    vals = np.array([cost(t.simplices).sum() for t in draws])
    assert np.all(vals >= st.min * (1 - 1e-12)) and np.all(vals <= st.max * (1 + 1e-12))
    assert abs(vals.mean() - st.mean) <= 5 * st.std / np.sqrt(k)
    # each draw is a fine triangulation of the points, and ranking inverts unranking
    hull = simplex_volumes(P, st.argmin.simplices).sum()
    for t in draws[:5]:
        assert t.is_fine and simplex_volumes(P, t.simplices).sum() == pytest.approx(hull, rel=1e-12)
        r = rank_triangulation(t)
        assert 0 <= r < st.count
        assert unrank_triangulation(P, r) == t
    assert sample_triangulations(P, 3, seed=seed) == draws[:3]  # same seed, same draws


def test_statistics_and_samples_agree_with_optimal_and_exact_mean():
    _check_statistics_and_samples(np.random.default_rng(11).random((20, 2)), k=400, seed=0)


@pytest.mark.slow
def test_statistics_and_samples_past_25_points():
    _check_statistics_and_samples(np.random.default_rng(0).random((26, 2)), k=300, seed=1)
