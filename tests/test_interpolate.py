import itertools

import numpy as np
import pytest
from scipy.spatial import ConvexHull

from geoquant.errors import InvalidInputError
from geoquant.interpolate import (
    PiecewiseLinearInterpolant,
    circumspheres,
    error_bounds,
    grundmann_moeller,
    interpolation_error,
    min_enclosing_radius,
    simplex_errors,
)
from geoquant.triangulation import Triangulation, delaunay
from tests.conftest import grid_points


def lifted_triangulation(points, rng):
    """A random regular (generally non-Delaunay) triangulation: lower hull of random heights."""
    h = rng.random(len(points)) * 3.0
    hull = ConvexHull(np.column_stack([points, h]))
    lower = hull.simplices[hull.equations[:, -2] < -1e-12]
    return Triangulation(points, lower)


def random_triangulations(d, rng, n=12):
    pts = rng.random((n, d))
    out = [delaunay(pts)]
    if d > 1:
        for _ in range(3):
            out.append(lifted_triangulation(pts, rng))
    return out


@pytest.mark.parametrize("d", [1, 2, 3])
def test_affine_functions_reproduced_on_every_triangulation(d, rng):
    for tri in random_triangulations(d, rng, n=10 + 5 * d):
        coef, c0 = rng.normal(size=d), rng.normal()
        def f(x):
            return x @ coef + c0
        interp = PiecewiseLinearInterpolant(tri, f(tri.points))
        q = rng.random((2000, d))
        val = interp(q)
        ok = ~np.isnan(val)
        np.testing.assert_allclose(val[ok], f(q[ok]), atol=1e-12)
        for norm in ("l2", "linf", "l1"):
            assert interpolation_error(tri, f, norm).total < 1e-12


def test_interpolant_shapes_and_outside_hull():
    tri = delaunay(grid_points(3, 3))
    interp = PiecewiseLinearInterpolant(tri, np.arange(9.0))
    q = np.zeros((4, 5, 2)) + 1.0
    assert interp(q).shape == (4, 5)
    out = interp(np.array([[3.0, 1.0], [1.0, 1.0]]))
    assert np.isnan(out[0]) and out[1] == pytest.approx(4.0)
    t1 = delaunay([0.0, 1.0, 3.0])
    i1 = PiecewiseLinearInterpolant(t1, [0.0, 1.0, 5.0])
    np.testing.assert_allclose(i1(np.array([0.5, 2.0, 3.0])), [0.5, 3.0, 5.0])


@pytest.mark.parametrize("d", [2, 3])
def test_quadratic_identity_pointwise(d, rng):
    # I|x|^2 - |x|^2 = R_c^2 - |x - c|^2 on each simplex (theory check 7)
    tri = random_triangulations(d, rng, n=15)[1 if d > 1 else 0]
    def f(x):
        return (x**2).sum(axis=-1)
    interp = PiecewiseLinearInterpolant(tri, f(tri.points))
    q = rng.random((3000, d))
    s = tri.find_simplex(q)
    ok = s >= 0
    c, r = circumspheres(tri.points, tri.simplices)
    lhs = interp(q[ok]) - f(q[ok])
    rhs = r[s[ok]] ** 2 - ((q[ok] - c[s[ok]]) ** 2).sum(axis=1)
    np.testing.assert_allclose(lhs, rhs, atol=1e-12)


@pytest.mark.parametrize("d", [2, 3])
def test_max_error_equals_smallest_ball_radius_squared(d, rng):
    # max_S (I|x|^2 - |x|^2) = R_min^2 (theory check 8); the lattice value is a lower
    # bound within the stated accuracy
    tri = random_triangulations(d, rng, n=12)[0]
    def f(x):
        return (x**2).sum(axis=-1)
    res = simplex_errors(tri.points, tri.simplices, f, "linf", linf_order=16, hessian_bound=2.0)
    rmin = min_enclosing_radius(tri.points, tri.simplices)
    assert np.all(res.per_simplex <= rmin**2 + 1e-12)
    assert np.all(res.per_simplex + res.accuracy >= rmin**2 - 1e-12)
    c, rc = circumspheres(tri.points, tri.simplices)
    assert np.all(rmin <= rc + 1e-12)


def test_min_enclosing_radius_obtuse_and_acute():
    pts = np.array([[0.0, 0.0], [2.0, 0.0], [1.0, 0.1], [1.0, 2.0]])
    r = min_enclosing_radius(pts, [[0, 1, 2], [0, 1, 3]])
    assert r[0] == pytest.approx(1.0)  # obtuse: half the longest edge
    _, rc = circumspheres(pts, [[0, 1, 3]])
    assert r[1] == pytest.approx(rc[0])  # acute: the circumradius


def test_waldron_bound_sharp_for_quadratic(rng):
    # sup |f - If| <= 1/2 R_min^2 |f|_{2,inf}, equality for A = I (theory check 9)
    for _ in range(5):
        a = rng.normal(size=(2, 2))
        A = a + a.T
        def f(x, A=A):
            return np.einsum("...i,ij,...j->...", x, A, x)
        tri = delaunay(rng.random((10, 2)))
        M = 2 * np.abs(np.linalg.eigvalsh(A)).max()
        res = interpolation_error(tri, f, "linf", linf_order=12)
        assert np.all(res.per_simplex <= error_bounds(tri, M) + 1e-12)
    tri = delaunay(rng.random((10, 2)))
    res = interpolation_error(tri, lambda x: (x**2).sum(-1), "linf", linf_order=32)
    np.testing.assert_allclose(res.per_simplex, error_bounds(tri, 2.0), rtol=2e-3)


def test_grundmann_moeller_exact_on_monomials():
    from math import factorial

    for d, s in [(1, 2), (2, 3), (3, 2)]:
        bary, w = grundmann_moeller(d, degree=2 * s + 1)
        verts = np.vstack([np.zeros(d), np.eye(d)])
        x = bary @ verts
        vol = 1.0 / factorial(d)
        for powers in itertools.product(range(2 * s + 2), repeat=d):
            if sum(powers) > 2 * s + 1:
                continue
            exact = np.prod([factorial(p) for p in powers]) / factorial(sum(powers) + d)
            approx = vol * w @ np.prod(x**np.array(powers), axis=1)
            assert approx == pytest.approx(exact, rel=1e-11, abs=1e-15)


def test_l2_exact_for_quadratic_and_per_simplex_composes(rng):
    pts = rng.random((20, 2))
    def f(x):
        return (x**2).sum(-1)
    tri = delaunay(pts)
    lo = interpolation_error(tri, f, "l2", quad_index=2)
    hi = interpolation_error(tri, f, "l2", quad_index=5)
    np.testing.assert_allclose(lo.per_simplex, hi.per_simplex, rtol=1e-10, atol=1e-18)
    # another triangulation made of candidate simplices: errors are sums of cached values
    other = lifted_triangulation(pts, rng)
    cand = np.vstack([tri.simplices, other.simplices])
    cost = simplex_errors(pts, cand, f, "l2")
    assert np.sqrt(cost.per_simplex[len(tri.simplices):].sum()) == pytest.approx(interpolation_error(other, f).total)


def test_l2_rate_under_uniform_refinement():
    def f(x):
        return np.sin(3 * x[..., 0]) * np.cos(2 * x[..., 1]) + x[..., 0] ** 2
    hs, errs = [], []
    for k in (4, 8, 16, 32):
        pts = grid_points(k + 1, k + 1) / k
        tri = delaunay(pts)
        hs.append(1.0 / k)
        errs.append(interpolation_error(tri, f, "l2").total)
    slope = np.polyfit(np.log(hs), np.log(errs), 1)[0]
    assert slope == pytest.approx(2.0, abs=0.2)  # error ~ h^2


def test_bad_input():
    tri = delaunay(grid_points(3, 3))
    with pytest.raises(InvalidInputError, match=r"'values' must have shape \(9,\)"):
        PiecewiseLinearInterpolant(tri, np.zeros(5))
    with pytest.raises(InvalidInputError, match="'tri' must be a geoquant Triangulation"):
        PiecewiseLinearInterpolant(np.zeros((3, 2)), np.zeros(3))
    with pytest.raises(InvalidInputError, match="'norm' must be one of"):
        interpolation_error(tri, lambda x: x[..., 0], "l3")
    with pytest.raises(InvalidInputError, match="'f' returned NaN"):
        interpolation_error(tri, lambda x: np.full(x.shape[:-1], np.nan))
    with pytest.raises(InvalidInputError, match="'M' must be >= 0"):
        error_bounds(tri, -1.0)
    with pytest.raises(InvalidInputError, match="'values' must be finite"):
        PiecewiseLinearInterpolant(tri, np.r_[np.zeros(8), np.nan])


def _registered_targets(d):
    from geoquant.targets import get_target, list_targets

    out = []
    for name in list_targets():
        try:
            out.append(get_target(name, n_dims=d))
        except InvalidInputError:
            continue  # not defined in this dimension
    return out


@pytest.mark.parametrize("d", [1, 2, 3])
def test_measured_linf_within_waldron_bound_for_every_target(d, rng):
    targets = _registered_targets(d)
    assert len(targets) >= 5
    for target in targets:
        lo, hi = target.domain[:, 0], target.domain[:, 1]
        pts = lo + (hi - lo) * rng.random((8 + 6 * d, d))
        tris = [delaunay(pts)]
        if d > 1:
            tris.append(lifted_triangulation(pts, rng))
        for tri in tris:
            res = interpolation_error(tri, target, "linf", linf_order=6 if d < 3 else 3)
            bound = error_bounds(tri, target.hessian_bound)
            assert np.all(res.per_simplex <= bound * (1 + 1e-9) + 1e-14), target.name
