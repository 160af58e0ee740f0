"""l2_optimal_triangulation: the exact L2-best fine triangulation, against brute-force enumeration."""

import numpy as np
import pytest

from geoquant import enumerate_triangulations, interpolation_error, l2_optimal_triangulation, simplex_errors
from geoquant.targets import get_target


def _brute_force(points, f, **kw):
    """Squared L2 error of every fine triangulation, computed triangulation by triangulation."""
    out = []
    for tri in enumerate_triangulations(points, limit=10_000):
        out.append((interpolation_error(tri, f, "l2", **kw).total ** 2, tri))
    return out


@pytest.mark.parametrize("seed, n", [(0, 7), (1, 8), (2, 9)])
def test_l2_best_and_worst_equal_brute_force_enumeration(seed, n):
    rng = np.random.default_rng(seed)
    pts = np.vstack([[[0, 0], [1, 0], [0, 1], [1, 1]], rng.random((n - 4, 2))])
    f = get_target("franke")
    all_sq = _brute_force(pts, f)
    assert len(all_sq) > 3  # a real choice
    best = l2_optimal_triangulation(pts, f)
    worst = l2_optimal_triangulation(pts, f, sense="max")
    lo = min(v for v, _ in all_sq)
    hi = max(v for v, _ in all_sq)
    assert best.optimal and worst.optimal
    # cost is the SQUARED L2 error of the chosen triangulation (not a sum of fourth powers)
    assert best.cost == pytest.approx(lo, rel=1e-9)
    assert worst.cost == pytest.approx(hi, rel=1e-9)
    assert best.l2 == pytest.approx(np.sqrt(lo), rel=1e-9)
    # the triangulation returned is one whose own error is that minimum
    own = interpolation_error(best.triangulation, f, "l2").total
    assert own == pytest.approx(best.l2, rel=1e-9)
    assert best.per_simplex.sum() == pytest.approx(best.cost, rel=1e-12)
    assert len(best.per_simplex) == best.triangulation.n_simplices


def test_squaring_per_simplex_again_optimises_another_objective():
    """The trap the docstrings warn about: per_simplex is already squared."""
    from geoquant import optimal_triangulation

    rng = np.random.default_rng(4)
    pts = np.vstack([[[0, 0], [1, 0], [0, 1], [1, 1]], rng.random((6, 2))])
    f = get_target("franke")
    per = lambda s: simplex_errors(pts, s, f, "l2").per_simplex  # noqa: E731
    right = optimal_triangulation(pts, per)
    assert right.cost == pytest.approx(l2_optimal_triangulation(pts, f).cost, rel=1e-12)
    # units: per_simplex sums to total**2
    tri = right.triangulation
    res = interpolation_error(tri, f, "l2")
    assert res.per_simplex.sum() == pytest.approx(res.total ** 2, rel=1e-12)


def test_values_and_box_are_passed_to_the_engine():
    rng = np.random.default_rng(3)
    pts = np.vstack([[[0, 0], [1, 0], [0, 1], [1, 1]], rng.random((4, 2))])
    f = get_target("franke")
    vals = f(pts) + 0.1 * rng.standard_normal(len(pts))
    box = [[0.1, 0.9], [0.1, 0.9]]
    r = l2_optimal_triangulation(pts, f, values=vals, box=box, refine=1)
    lo = min(v for v, _ in _brute_force(pts, f, values=vals, box=box, refine=1))
    assert r.cost == pytest.approx(lo, rel=1e-9)


def test_one_dimension_is_the_unique_fine_triangulation():
    x = np.array([[0.0], [0.3], [1.0], [0.6]])
    r = l2_optimal_triangulation(x, lambda p: np.sin(3 * p[..., 0]))
    assert r.optimal and r.triangulation.n_simplices == 3
    assert r.l2 == pytest.approx(interpolation_error(r.triangulation, lambda p: np.sin(3 * p[..., 0])).total)
