"""Near-degenerate geometry: multi-scale sets, slivers, perturbed grids, points on hull edges,
huge and tiny coordinates. Delaunay, interpolation errors and Waldron bounds must stay correct.

Checks are independent of the code under test where possible: the empty-circle property with
the exact in-circle predicate, triangle counts from Euler's formula, closed-form circumcircles
and enclosing balls, exact scaling laws.
"""

import numpy as np
import pytest
from scipy.spatial import Delaunay as ScipyDelaunay

from geoquant import get_target, sample_points
from geoquant.errors import DegenerateInputError
from geoquant.interpolate import (
    circumspheres,
    error_bounds,
    interpolation_error,
    min_enclosing_radius,
)
from geoquant.triangulation import Triangulation, delaunay
from geoquant.triangulation._predicates import incircle, orient2d, orientation
from tests.conftest import grid_points


def _assert_delaunay_2d(tri):
    """Every interior edge is locally Delaunay, decided by the exact in-circle predicate."""
    p, s = tri.points, tri.simplices
    nb = tri.neighbors
    for i in range(len(s)):
        a, b, c = p[s[i]]
        sign = orient2d(a, b, c)
        assert sign != 0
        for k in range(3):
            j = nb[i, k]
            if j < 0:
                continue
            opp = [v for v in s[j] if v not in s[i]][0]
            # strictly inside the circumcircle of a neighbour would violate Delaunay
            assert incircle(a, b, c, p[opp]) * sign <= 0


def _assert_tiles_hull(tri):
    """Positive exact orientation for every simplex and volumes summing to the hull's (relative)."""
    assert (orientation(tri.points[tri.simplices]) != 0).all()
    assert tri.is_fine


# --------------------------------------------------------------------------- multi-scale input
def test_unit_square_centre_and_two_close_points_triangulate_like_scipy():
    pts = np.array([[0, 0], [1, 0], [0, 1], [1, 1], [0.5, 0.5], [0.5 + 1e-6, 0.5], [0.5, 0.5 + 1e-6]])
    tri = delaunay(pts)
    assert tri.n_simplices == 8 == len(ScipyDelaunay(pts).simplices)
    # Euler: 2n - b - 2 triangles for n points, b on the hull boundary
    assert tri.n_simplices == 2 * 7 - 4 - 2
    assert tri.volumes.sum() == pytest.approx(1.0, rel=1e-12)
    assert tri.volumes.min() == pytest.approx(0.5e-12, rel=1e-6)  # the tiny centre triangle is kept
    _assert_delaunay_2d(tri)


@pytest.mark.parametrize("seed", range(20))
def test_clustered_points_with_tiny_spread_triangulate(seed):
    pts = sample_points(200, 2, "clustered", cluster_std=1e-5, seed=seed)
    tri = delaunay(pts)
    _assert_tiles_hull(tri)
    hull = ScipyDelaunay(pts)
    b = len(np.unique(hull.convex_hull))
    assert tri.n_simplices == 2 * 200 - b - 2
    _assert_delaunay_2d(tri)


def test_a_tiny_valid_triangle_is_not_rejected_as_degenerate():
    pts = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.3, 0.3], [0.3 + 1e-7, 0.3], [0.3, 0.3 + 1e-7]])
    tri = Triangulation(pts, delaunay(pts).simplices)
    assert tri.volumes.min() == pytest.approx(0.5e-14, rel=1e-6)


def test_exactly_flat_simplex_is_still_refused_at_any_scale():
    for s in (1e-300, 1.0, 1e300):
        pts = np.array([[0.0, 0.0], [2.0, 0.0], [1.0, 0.0], [0.0, 1.0]]) * s
        with pytest.raises(DegenerateInputError, match="zero-volume"):
            Triangulation(pts, [[0, 1, 2], [0, 1, 3]])


# --------------------------------------------------------------------------- perturbed grids
@pytest.mark.parametrize("seed", range(3))
def test_grid_perturbed_by_1e_12_is_a_valid_delaunay_triangulation(seed):
    rng = np.random.default_rng(seed)
    g = grid_points(5, 5) + rng.uniform(-1e-12, 1e-12, (25, 2))
    tri = delaunay(g)
    _assert_tiles_hull(tri)
    # (Qhull decides near-cocircular quadruples in floating point, so the result is Delaunay
    # up to round-off here, not exactly: no exact empty-circle check for perturbed grids)
    # boundary points pushed out by 1e-12 become hull vertices (with slivers), pushed in they
    # are interior: Euler's 2n - b - 2 with b the boundary vertices of the (validated) result
    b = len(np.unique(tri.hull_facets))
    assert 4 <= b <= 16 and tri.n_simplices == 2 * 25 - b - 2
    assert tri.volumes.sum() == pytest.approx(16.0, rel=1e-10)


def test_3d_grid_perturbed_by_1e_12_tiles_the_cube():
    rng = np.random.default_rng(3)
    g = np.array([[i, j, k] for i in range(3) for j in range(3) for k in range(3)], float)
    g = g + rng.uniform(-1e-12, 1e-12, g.shape)
    tri = delaunay(g)
    _assert_tiles_hull(tri)
    assert tri.volumes.sum() == pytest.approx(8.0, rel=1e-9)


# --------------------------------------------------------------------------- points on hull edges
def test_points_on_hull_edges_are_all_used():
    sq = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], float)
    edge = np.array([[0.5, 0], [1, 0.25], [1, 0.75], [0.5, 1], [0, 0.5], [0.25, 0]])
    inner = np.array([[0.4, 0.6], [0.7, 0.3]])
    pts = np.vstack([sq, edge, inner])
    tri = delaunay(pts)
    assert tri.is_fine
    assert tri.n_simplices == 2 * len(pts) - 10 - 2  # all 10 boundary points are vertices
    _assert_delaunay_2d(tri)


# --------------------------------------------------------------------------- huge / tiny coordinates
BASE = np.array([[0, 0], [1, 0], [0, 1], [1, 1], [0.5, 0.5], [0.3, 0.8], [0.8, 0.1]], float)


@pytest.mark.parametrize("k", [-1060, -530, -100, 0, 100, 500, 1000])
def test_delaunay_is_invariant_under_power_of_two_scaling(k):
    """Scaling by 2**k is exact, so the combinatorics must be identical, 1e-319 to 1e301."""
    ref = delaunay(BASE)
    tri = delaunay(np.ldexp(BASE, k))
    np.testing.assert_array_equal(tri.simplices, ref.simplices)


@pytest.mark.parametrize("scale", [1e-310, 1e-160, 1e-20, 1e20, 1e150, 1e200, 1e300])
def test_delaunay_with_huge_and_tiny_coordinates(scale):
    tri = delaunay(BASE * scale)
    assert tri.n_simplices == delaunay(BASE).n_simplices
    _assert_tiles_hull(tri)


@pytest.mark.parametrize("scale", [1e-150, 1e-20, 1.0, 1e20, 1e150])
def test_waldron_bounds_and_linf_errors_scale_like_the_square(scale):
    """For f = |x|^2 (M = 2) the Linf error and the bound on s * P are s^2 times those on P."""
    ref = delaunay(BASE)
    tri = delaunay(BASE * scale)

    def f(x):
        return np.sum(x**2, axis=-1)

    b0, b = error_bounds(ref, 2.0), error_bounds(tri, 2.0)
    assert np.all(np.isfinite(b)) and np.all(b > 0)
    np.testing.assert_allclose(b, b0 * scale**2, rtol=1e-10)
    e0 = interpolation_error(ref, f, "linf", hessian_bound=2.0)
    e = interpolation_error(tri, f, "linf", hessian_bound=2.0)
    np.testing.assert_allclose(e.per_simplex, e0.per_simplex * scale**2, rtol=1e-9)
    # Waldron: for f = M/2 |x|^2 the bound is attained, so the lattice maximum never exceeds it
    assert np.all(e.per_simplex <= b * (1 + 1e-9))


# --------------------------------------------------------------------------- slivers
@pytest.mark.parametrize("h", [1e-3, 1e-6, 1e-9, 1e-12])
def test_sliver_circumcircle_and_enclosing_ball_match_closed_forms(h):
    pts = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, h]])
    c, r = circumspheres(pts, [[0, 1, 2]])
    # centre (1/2, y) with y = (h^2 - 1/4) / (2h); radius = |(1/2, y)|
    y = (h * h - 0.25) / (2 * h)
    np.testing.assert_allclose(c[0], [0.5, y], rtol=1e-9)
    assert r[0] == pytest.approx(np.hypot(0.5, y), rel=1e-9)
    # an obtuse sliver: its smallest enclosing ball is the long edge's
    assert min_enclosing_radius(pts, [[0, 1, 2]])[0] == pytest.approx(0.5, rel=1e-12)


def test_thin_valid_triangle_gives_finite_correct_bounds_and_errors():
    pts = np.array([[0, 0], [1, 0], [0.5, 1e-9], [0.5, 1]])
    tri = delaunay(pts)
    assert tri.n_simplices == 3
    M = 2.0
    b = error_bounds(tri, M)
    assert np.all(np.isfinite(b))
    sliver = [i for i, s in enumerate(tri.simplices) if set(s) == {0, 1, 2}][0]
    assert b[sliver] == pytest.approx(0.5 * M * 0.25, rel=1e-12)
    f = get_target("quadratic", n_dims=2)
    e = interpolation_error(tri, f, "linf")
    assert np.all(np.isfinite(e.per_simplex)) and np.all(np.isfinite(e.accuracy))
    # on the sliver the error of |x|^2 peaks at the midpoint of the long edge: 1/4
    assert e.per_simplex[sliver] == pytest.approx(0.25, rel=1e-6)
    c, r = circumspheres(tri.points, tri.simplices)
    assert np.all(np.isfinite(r))


def test_flat_simplex_circumsphere_is_refused_not_inf():
    with pytest.raises(DegenerateInputError, match="'simplices'"):
        circumspheres(np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]]), [[0, 1, 2]])
    # its smallest enclosing ball still exists: the farthest pair's
    assert min_enclosing_radius(np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]]), [[0, 1, 2]])[0] == pytest.approx(1.0)


@pytest.mark.parametrize("x0", [0.1, 100.0, 1e6])
def test_waldron_bound_of_short_1d_intervals_is_finite_and_exact(x0):
    """In 1D the bound is M/2 (L/2)^2 for an interval of length L, however short or far out."""
    x = np.array([x0, x0 + 1e-9, x0 + 2e-9, x0 + 1.0])
    tri = delaunay(x)
    b = error_bounds(tri, 3.0)
    lengths = np.diff(np.sort(x))
    ends = np.sort(tri.points[tri.simplices, 0], axis=1)
    L = ends[:, 1] - ends[:, 0]
    assert sorted(L) == sorted(lengths)
    np.testing.assert_allclose(b, 1.5 * (L / 2) ** 2, rtol=1e-9)
