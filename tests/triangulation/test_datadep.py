import numpy as np
import pytest
from scipy.spatial import Delaunay as ScipyDelaunay

from geoquant.errors import InvalidInputError, UnsupportedError
from geoquant.interpolate import interpolation_error, target_l2_cost
from geoquant.interpolate._datadep import l2_data_dependent_triangulation, l2_lawson_flip
from geoquant.triangulation import (
    Triangulation,
    criterion_value,
    data_dependent_triangulation,
    delaunay,
    flip,
    flippable_edges,
    lawson_flip,
    random_regular_triangulation,
)
from tests.conftest import grid_points


def ridge_data(seed=0):
    """Random points plus points on the crease x = 0.5 (ends on the boundary) and the corners."""
    rng = np.random.default_rng(seed)
    line = np.column_stack([np.full(9, 0.5), np.linspace(0.0, 1.0, 9)])
    corners = np.array([[0, 0], [1, 0], [0, 1], [1, 1]], float)
    return np.vstack([rng.random((60, 2)), line, corners])


def ridge(x):
    return np.abs(x[..., 0] - 0.5)


def smooth(x):
    return np.exp(-3 * ((x[..., 0] - 0.3) ** 2 + 2 * (x[..., 1] - 0.6) ** 2)) + x[..., 0] * x[..., 1]


def _with_cost(fn, tri, criterion, values, **kw):
    """``fn(tri, criterion, values)``; for "min_l2_error" the values and the L2 cost of the target passed explicitly."""
    if criterion == "min_l2_error":
        values, kw["l2_cost"] = target_l2_cost(values, tri.points)
    return fn(tri, criterion, values, **kw)


def straddling(tri):
    """Triangles with vertices strictly on both sides of the crease."""
    s = tri.points[tri.simplices, 0] - 0.5
    return int(((s.max(axis=1) > 0) & (s.min(axis=1) < 0)).sum())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_max_min_angle_from_a_random_start_is_delaunay(seed):
    pts = np.random.default_rng(seed).random((50, 2))
    start = random_regular_triangulation(pts, seed=seed + 10)
    assert start != Triangulation(pts, ScipyDelaunay(pts).simplices)  # a real test: flips are needed
    out = lawson_flip(start, "max_min_angle")
    assert out == Triangulation(pts, ScipyDelaunay(pts).simplices)


def test_max_min_angle_from_a_non_regular_start_is_delaunay(rng):
    # star triangulations from one hull vertex of points in convex position are far from Delaunay
    ang = np.sort(rng.random(12)) * 2 * np.pi
    pts = np.column_stack([np.cos(ang), 0.6 * np.sin(ang)])
    fan = Triangulation(pts, [[0, i, i + 1] for i in range(1, 11)])
    out = lawson_flip(fan)
    assert out == Triangulation(pts, ScipyDelaunay(pts).simplices)


@pytest.mark.parametrize(
    "criterion, values",
    [
        ("max_min_angle", None),
        ("min_edge_length", None),
        ("jnd", smooth),
        ("abn", smooth),
        ("min_gradient_jump", smooth),
        ("min_l2_error", smooth),
    ],
)
def test_result_is_valid_fine_and_never_worse_than_the_start(criterion, values):
    pts = np.random.default_rng(4).random((40, 2))
    for start in (delaunay(pts), random_regular_triangulation(pts, seed=2)):
        out = _with_cost(lawson_flip, start, criterion, values)
        Triangulation(pts, out.simplices)  # full geometric validation
        assert out.is_fine
        before = _with_cost(criterion_value, start, criterion, values)
        after = _with_cost(criterion_value, out, criterion, values)
        if criterion == "max_min_angle":
            assert after >= before
        else:
            assert after <= before * (1 + 1e-12)


@pytest.mark.parametrize("criterion", ["min_edge_length", "jnd", "abn", "min_l2_error"])
def test_no_single_flip_improves_the_global_objective(criterion):
    # local optimality checked against the global sum, independently of the local bookkeeping
    pts = np.random.default_rng(7).random((25, 2))
    values = None if criterion == "min_edge_length" else smooth
    out = _with_cost(lawson_flip, delaunay(pts), criterion, values)
    best = _with_cost(criterion_value, out, criterion, values)
    for e in flippable_edges(out):
        assert _with_cost(criterion_value, flip(out, e), criterion, values) >= best * (1 - 1e-9)


def test_data_dependent_triangulation_follows_a_crease():
    pts = ridge_data(0)
    dt = delaunay(pts)
    assert straddling(dt) > 0
    assert interpolation_error(dt, ridge).total > 1e-4
    for criterion in ("jnd", "abn", "min_l2_error"):
        if criterion == "min_l2_error":
            t = l2_data_dependent_triangulation(pts, ridge)
        else:
            t = data_dependent_triangulation(pts, ridge, criterion)
        assert t.is_fine
        assert straddling(t) == 0  # every triangle on one side: the interpolant is exact
        assert interpolation_error(t, ridge).total < 1e-12
        assert interpolation_error(t, ridge, "linf").total < 1e-12


def test_data_values_array_and_callable_agree():
    pts = ridge_data(1)
    a = data_dependent_triangulation(pts, ridge(pts), "jnd")
    b = data_dependent_triangulation(pts, ridge, "jnd")
    assert a == b
    c = data_dependent_triangulation(pts, ridge, "jnd", start="random", seed=3)
    assert c.is_fine


def test_affine_data_has_zero_jumps_and_no_flips():
    pts = np.random.default_rng(2).random((30, 2))
    start = random_regular_triangulation(pts, seed=1)
    z = 2 * pts[:, 0] - pts[:, 1] + 0.5
    assert criterion_value(start, "jnd", z) == pytest.approx(0, abs=1e-9)
    assert lawson_flip(start, "jnd", z) == start


def test_callable_criterion_sum_of_triangle_costs():
    pts = np.random.default_rng(5).random((30, 2))

    def perimeter(points, simplices, values):
        v = points[simplices]
        return sum(np.linalg.norm(v[:, i] - v[:, (i + 1) % 3], axis=1) for i in range(3))

    start = random_regular_triangulation(pts, seed=9)
    out = lawson_flip(start, perimeter)
    assert criterion_value(out, perimeter) <= criterion_value(start, perimeter)
    # the sum of perimeters is twice the interior edge length plus the hull: same optimum as min_edge_length
    assert out == lawson_flip(start, "min_edge_length")


def test_max_flips_stops_with_a_warning():
    pts = np.random.default_rng(0).random((30, 2))
    start = random_regular_triangulation(pts, seed=10)
    with pytest.warns(RuntimeWarning, match="max_flips=0"):
        out = lawson_flip(start, "max_min_angle", max_flips=0)
    assert out == start


def test_bad_inputs_name_the_argument():
    pts = grid_points(4, 4)
    tri = delaunay(pts)
    with pytest.raises(InvalidInputError, match="'criterion'"):
        lawson_flip(tri, "smallest")
    with pytest.raises(InvalidInputError, match="'values'"):
        lawson_flip(tri, "jnd")
    with pytest.raises(InvalidInputError, match="'values'"):
        lawson_flip(tri, "jnd", np.zeros(5))
    with pytest.raises(InvalidInputError, match="'values'"):
        lawson_flip(tri, "min_l2_error", np.zeros(16))
    with pytest.raises(InvalidInputError, match="'l2_cost'"):
        lawson_flip(tri, "jnd", np.zeros(16), l2_cost=lambda p, s, v: np.zeros(len(s)))
    with pytest.raises(InvalidInputError, match="'criterion'"):
        lawson_flip(tri, lambda p, s, v: np.zeros(3))
    with pytest.raises(InvalidInputError, match="'tri'"):
        lawson_flip(pts)
    with pytest.raises(InvalidInputError, match="'max_flips'"):
        lawson_flip(tri, max_flips=-1)
    with pytest.raises(InvalidInputError, match="'start'"):
        data_dependent_triangulation(pts, ridge, start="greedy")
    with pytest.raises(InvalidInputError, match="'start'"):
        data_dependent_triangulation(pts, ridge, start=delaunay(grid_points(3, 3)))
    t3 = delaunay(np.random.default_rng(0).random((10, 3)))
    with pytest.raises(UnsupportedError, match="n_dims=3"):
        lawson_flip(t3)
    with pytest.raises(UnsupportedError, match="planar"):
        data_dependent_triangulation(np.random.default_rng(0).random((10, 3)), np.zeros(10))


def test_the_l2_conveniences_pass_the_cost_explicitly_and_agree_with_the_deprecated_form():
    pts = np.random.default_rng(4).random((30, 2))
    start = random_regular_triangulation(pts, seed=2)
    values, cost = target_l2_cost(smooth, pts)
    explicit = lawson_flip(start, "min_l2_error", values, l2_cost=cost)
    assert l2_lawson_flip(start, smooth) == explicit
    with pytest.warns(DeprecationWarning, match="min_l2_error"):
        old = lawson_flip(start, "min_l2_error", smooth)
    assert old == explicit
    with pytest.warns(DeprecationWarning, match="min_l2_error"):
        old_value = criterion_value(explicit, "min_l2_error", smooth)
    assert old_value == criterion_value(explicit, "min_l2_error", values, l2_cost=cost)
    # the L2 optimum lowers the squared error of the interpolant below the start's
    assert old_value < criterion_value(start, "min_l2_error", values, l2_cost=cost)
    assert l2_data_dependent_triangulation(pts, smooth, "random", seed=2) == explicit
