"""Exact cost statistics over all triangulations, against brute-force enumeration."""

import math
import zlib

import numpy as np
import pytest

from geoquant.errors import InvalidInputError, UnsupportedError
from geoquant.interpolate import interpolation_error, simplex_errors
from geoquant.triangulation import cost_statistics, delaunay, enumerate_triangulations
from tests.conftest import grid_points


def random_cost(seed):
    """A cost that remembers the value it gave each simplex (keyed by its sorted vertices)."""
    rng = np.random.default_rng(seed)
    table = {}

    def cost(simplices):
        assert simplices.ndim == 2 and np.all(np.diff(simplices, axis=1) > 0)
        values = rng.normal(size=len(simplices))
        table.update(zip(map(tuple, simplices.tolist()), values))
        return values

    return cost, table


def brute_force(points, table, fine, reduce):
    agg = sum if reduce == "sum" else max
    return np.array(
        [agg(table[tuple(s)] for s in t.simplices.tolist()) for t in enumerate_triangulations(points, fine=fine)]
    )


def total(tri, table, reduce):
    agg = sum if reduce == "sum" else max
    return agg(table[tuple(s)] for s in tri.simplices.tolist())


CASES = [
    ("grid3x3", grid_points(3, 3)),
    ("random8", np.random.default_rng(8).random((8, 2))),
    ("lattice_subset", grid_points(4, 4)[[0, 1, 3, 5, 6, 9, 10, 12, 15]]),
    ("line", np.array([0.0, 0.4, 1.1, 1.5, 2.0, 3.2])),
]


@pytest.mark.parametrize("name,points", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("fine", [True, False])
@pytest.mark.parametrize("reduce", ["sum", "max"])
def test_matches_brute_force(name, points, fine, reduce):
    cost, table = random_cost(zlib.crc32(f"{name}{fine}{reduce}".encode()))
    st = cost_statistics(points, cost, fine=fine, reduce=reduce)
    values = brute_force(points, table, fine, reduce)
    assert st.count == len(values)
    assert st.min == pytest.approx(values.min(), abs=1e-12)
    assert st.max == pytest.approx(values.max(), abs=1e-12)
    assert st.mean == pytest.approx(values.mean(), abs=1e-12)
    assert st.var == pytest.approx(values.var(), rel=1e-9, abs=1e-12)
    assert st.std == pytest.approx(values.std(), rel=1e-9, abs=1e-12)
    assert total(st.argmin, table, reduce) == pytest.approx(st.min, abs=1e-12)
    assert total(st.argmax, table, reduce) == pytest.approx(st.max, abs=1e-12)
    if fine:
        assert st.argmin.is_fine and st.argmax.is_fine


def test_delaunay_minimises_error_of_paraboloid():
    """For f = |x|^2 the Delaunay interpolant is pointwise below every other one (lower
    convex hull of the lifted points), so it minimises the L2 error among all
    triangulations, fine or not; in general position it is the unique minimiser."""
    rng = np.random.default_rng(4)
    pts = rng.random((9, 2))

    def f(x):
        return np.sum(x**2, axis=-1)

    def cost(s):
        return simplex_errors(pts, s, f, "l2").per_simplex

    dt = delaunay(pts)
    best = interpolation_error(dt, f, "l2").total ** 2
    for fine in (True, False):
        st = cost_statistics(pts, cost, fine=fine)
        assert st.argmin == dt
        assert st.min == pytest.approx(best, rel=1e-10)
        assert st.min < st.mean < st.max
        worst = interpolation_error(st.argmax, f, "l2").total ** 2
        assert worst == pytest.approx(st.max, rel=1e-10)
    # the Linf error per triangle is also pointwise minimal, so the bottleneck is too
    linf = cost_statistics(pts, lambda s: simplex_errors(pts, s, f, "linf").per_simplex, reduce="max")
    dt_linf = simplex_errors(pts, dt.simplices, f, "linf").per_simplex.max()
    assert linf.min == pytest.approx(dt_linf, rel=1e-12)


def test_grid_mean_and_variance_of_l2_error():
    # mean and variance over the 64 triangulations of the 3x3 grid, for a smooth target
    pts = grid_points(3, 3) / 2.0

    def f(x):
        return np.sin(2 * x[..., 0]) * np.exp(x[..., 1])

    st = cost_statistics(pts, lambda s: simplex_errors(pts, s, f, "l2").per_simplex)
    errs = np.array([interpolation_error(t, f, "l2").total ** 2 for t in enumerate_triangulations(pts)])
    assert st.count == 64
    assert st.mean == pytest.approx(errs.mean(), rel=1e-10)
    assert st.var == pytest.approx(errs.var(), rel=1e-8)
    assert st.min == pytest.approx(errs.min(), rel=1e-10)


def test_max_without_moments():
    pts = grid_points(3, 3)
    cost, table = random_cost(1)
    st = cost_statistics(pts, cost, reduce="max", moments=False)
    assert math.isnan(st.mean) and math.isnan(st.var)
    values = brute_force(pts, table, True, "max")
    assert st.min == values.min() and st.max == values.max()


def test_bad_cost_and_options():
    pts = grid_points(3, 3)
    with pytest.raises(InvalidInputError, match="'cost' must be callable"):
        cost_statistics(pts, 3.0)
    with pytest.raises(InvalidInputError, match=r"'cost' must return one value per simplex"):
        cost_statistics(pts, lambda s: np.zeros(len(s) + 1))
    with pytest.raises(InvalidInputError, match="'cost' must return finite values"):
        cost_statistics(pts, lambda s: np.full(len(s), np.nan))
    with pytest.raises(InvalidInputError, match="'reduce'"):
        cost_statistics(pts, lambda s: np.zeros(len(s)), reduce="mean")
    with pytest.raises(InvalidInputError, match="'moments'"):
        cost_statistics(pts, lambda s: np.zeros(len(s)), reduce="max", moments="no")
    with pytest.raises(UnsupportedError, match="random_regular_triangulation"):
        cost_statistics(np.random.default_rng(0).random((5, 3)), lambda s: np.zeros(len(s)))


def test_long_line_is_evaluated_without_deep_recursion():
    # 5,000 points on a line: the DP chain is 5,000 states deep (Python's limit is 1,000)
    x = np.random.default_rng(0).random(5000)
    st = cost_statistics(x, lambda s: (x[s[:, 1]] - x[s[:, 0]]) ** 2)
    assert st.count == 1
    assert st.min == pytest.approx(np.sum(np.diff(np.sort(x)) ** 2), rel=1e-12)
    assert st.argmin.n_simplices == 4999 and st.var == 0.0
