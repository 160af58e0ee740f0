"""The one piecewise-linear error engine (refine=, box=, degree=) and the quadrature module,
checked against closed forms, exact polynomial integration and an independent slow computation."""

import itertools
import math
import warnings

import numpy as np
import pytest

from geoquant._quadrature import (
    barycentric_lattice,
    grundmann_moeller,
    refine_simplices,
    vertex_simplex_volumes,
)
from geoquant.errors import InvalidInputError, TooLargeError, UnsupportedError
from geoquant.interpolate import interpolation_error, min_enclosing_radius, pl_errors, simplex_errors
from geoquant.targets import get_target
from geoquant.triangulation import delaunay


def _quad(x):
    return (x**2).sum(-1)


@pytest.mark.parametrize("degree", [0, 1, 2, 3, 4, 5, 6, 7, 8])
def test_rule_of_degree_is_exact_up_to_that_degree_even_or_odd(degree):
    for d in (1, 2, 3):
        bary, w = grundmann_moeller(d, degree=degree)
        x = bary @ np.vstack([np.zeros(d), np.eye(d)])
        for powers in itertools.product(range(degree + 1), repeat=d):
            if sum(powers) > degree:
                continue
            exact = np.prod([math.factorial(p) for p in powers]) / math.factorial(sum(powers) + d)
            approx = w @ np.prod(x ** np.array(powers), axis=1) / math.factorial(d)
            assert approx == pytest.approx(exact, rel=1e-11, abs=1e-15)


def test_lattice_and_refinement_counts_and_volumes(rng):
    for d, order in [(1, 5), (2, 4), (3, 3)]:
        lat = barycentric_lattice(d, order)
        assert lat.shape == (math.comb(order + d, d), d + 1)
        np.testing.assert_allclose(lat.sum(axis=1), 1.0)
        assert np.all(np.isclose(lat * order, np.round(lat * order)))
    V = rng.uniform(-1, 1, size=(6, 3, 2))
    kids, parent = refine_simplices(V, 2)
    assert kids.shape == (6 * 16, 3, 2)
    np.testing.assert_array_equal(parent, np.repeat(np.arange(6), 16))
    np.testing.assert_allclose(np.bincount(parent, weights=vertex_simplex_volumes(kids)), vertex_simplex_volumes(V),
                               rtol=1e-12)
    # the four children of a triangle are similar to it: every child's smallest ball is a quarter of the parent's
    r_parent = min_enclosing_radius(V.reshape(-1, 2), np.arange(18).reshape(6, 3))
    r_kids = min_enclosing_radius(kids.reshape(-1, 2), np.arange(len(kids) * 3).reshape(-1, 3))
    np.testing.assert_allclose(r_kids, np.repeat(r_parent, 16) / 4, rtol=1e-10)


def test_closed_form_on_the_unit_triangle_at_every_refinement():
    pts = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    for refine in (0, 1, 2, 3):
        res = simplex_errors(pts, [[0, 1, 2]], _quad, "l2", refine=refine)
        assert res.total**2 == pytest.approx(11 / 180, rel=1e-12)
    # Linf: max of x - x^2 + y - y^2 on the triangle is 1/2 (at the hypotenuse midpoint, a lattice point)
    res = simplex_errors(pts, [[0, 1, 2]], _quad, "linf", refine=2)
    assert res.total == pytest.approx(0.5, rel=1e-14)


def test_quadratic_errors_do_not_depend_on_refine_or_degree_above_four(rng):
    pts = rng.random((25, 2))
    tri = delaunay(pts)
    base = interpolation_error(tri, _quad, "l2", degree=5).per_simplex
    for refine, degree in [(1, 7), (2, 4), (3, 9)]:
        got = simplex_errors(pts, tri.simplices, _quad, "l2", refine=refine, degree=degree).per_simplex
        np.testing.assert_allclose(got, base, rtol=1e-9, atol=1e-18)


def test_refinement_converges_for_a_sharp_target(rng):
    t = get_target("runge", n_dims=2)
    pts = rng.uniform(-1, 1, size=(12, 2))
    tri = delaunay(pts)
    e = [simplex_errors(pts, tri.simplices, t, "l2", refine=r).total for r in (0, 2, 3, 4)]
    assert abs(e[2] - e[3]) < 0.1 * abs(e[0] - e[3])
    assert abs(e[2] - e[3]) < 1e-3 * e[3]


def test_linf_with_refinement_is_a_lower_bound_within_its_accuracy(rng):
    # f = |x|^2: the maximum of If - f on a triangle is R_min^2 (Waldron's bound is attained)
    pts = rng.random((30, 2))
    tri = delaunay(pts)
    for refine, order in [(0, 8), (1, 8), (2, 5)]:
        res = simplex_errors(pts, tri.simplices, _quad, "linf", refine=refine, linf_order=order, hessian_bound=2.0)
        true = min_enclosing_radius(pts, tri.simplices) ** 2
        assert np.all(res.per_simplex <= true * (1 + 1e-12))
        assert np.all(res.per_simplex + res.accuracy >= true * (1 - 1e-12))


def _slow_box_l2(pts, simplex, f, values, box):
    """Independent: shapely clips the triangle, the polygon is fanned, a degree-11 rule per piece,
    the interpolant from a least-squares solve of the triangle's affine function."""
    import shapely

    v = pts[simplex]
    coef = np.linalg.lstsq(np.column_stack([v, np.ones(3)]), values[simplex], rcond=None)[0]
    poly = shapely.Polygon(v).intersection(shapely.box(box[0, 0], box[1, 0], box[0, 1], box[1, 1]))
    if poly.is_empty or poly.area == 0:
        return 0.0
    ring = np.asarray(poly.exterior.coords)[:-1]
    bary, w = grundmann_moeller(2, degree=11)
    total = 0.0
    for j in range(1, len(ring) - 1):
        tri = np.stack([ring[0], ring[j], ring[j + 1]])
        x = bary @ tri
        err = f(x) - (x @ coef[:2] + coef[2])
        total += vertex_simplex_volumes(tri[None])[0] * (w @ err**2)
    return total


def test_box_clipping_agrees_with_an_independent_slow_computation(rng):
    pts = rng.random((20, 2))
    tri = delaunay(pts)
    vals = _quad(pts) + 0.1 * rng.standard_normal(20)  # data values need not be f at the points
    box = np.array([[0.2, 0.75], [0.15, 0.9]])
    for refine in (0, 2):
        got = simplex_errors(pts, tri.simplices, _quad, "l2", values=vals, box=box, refine=refine).per_simplex
        want = [_slow_box_l2(pts, s, _quad, vals, box) for s in tri.simplices]
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-16)
    # 1D: the interval [a, b] & [lo, hi], f = x^2 and I f the chord: integral of ((x - a)(x - b))^2 exactly
    x = np.sort(rng.uniform(-1, 2, 9))
    simp = np.stack([np.arange(8), np.arange(1, 9)], 1)
    got = simplex_errors(x[:, None], simp, lambda p: p[..., 0] ** 2, "l2", box=[[0.0, 1.0]], refine=1).per_simplex
    def prim(s, a, b):  # antiderivative of ((s - a)(s - b))^2
        return s**5 / 5 - (a + b) * s**4 / 2 + ((a + b) ** 2 + 2 * a * b) * s**3 / 3 - a * b * (a + b) * s**2 \
            + (a * b) ** 2 * s

    for (a, b), g in zip(x[simp], got):
        lo, hi = max(a, 0.0), min(b, 1.0)
        assert g == pytest.approx(prim(hi, a, b) - prim(lo, a, b) if hi > lo else 0.0, rel=1e-10, abs=1e-16)


def test_pl_errors_takes_simplex_errors_order_and_warns_on_the_old_one(rng):
    pts = rng.uniform(-1, 1, (9, 2))
    tri = delaunay(pts)
    y = _quad(pts) + 0.1
    l2, li = pl_errors(pts, tri.simplices, _quad, values=y)
    # the interpolant of y, not of f: the same numbers as the engine given the same values
    np.testing.assert_array_equal(l2, simplex_errors(pts, tri.simplices, _quad, "l2", values=y, refine=2).per_simplex)
    with pytest.warns(DeprecationWarning, match=r"pl_errors\(points, simplices, f, values=values\)"):
        o2, oi = pl_errors(pts, y, tri.simplices, _quad)
    assert np.array_equal(o2, l2) and np.array_equal(oi, li)
    # default values: f at the points, as in simplex_errors
    np.testing.assert_array_equal(pl_errors(pts, tri.simplices, _quad)[0],
                                  pl_errors(pts, tri.simplices, _quad, values=_quad(pts))[0])
    with pytest.raises(InvalidInputError, match="deprecated order"):
        pl_errors(pts, y, tri.simplices, _quad, values=y)


def test_pl_errors_is_the_engine_and_blocks_do_not_change_numbers(rng):
    t = get_target("franke", n_dims=2)
    pts = rng.random((40, 2))
    tri = delaunay(pts)
    y = t(pts)
    box = np.array([[0.1, 0.9], [0.1, 0.9]])
    l2, li = pl_errors(pts, tri.simplices, t, values=y, box=box, refine=2, linf_order=8)
    np.testing.assert_allclose(l2, simplex_errors(pts, tri.simplices, t, "l2", box=box, refine=2).per_simplex,
                               rtol=1e-15, atol=0)
    np.testing.assert_allclose(li, simplex_errors(pts, tri.simplices, t, "linf", box=box, refine=2).per_simplex,
                               rtol=1e-15, atol=0)
    # without box and refinement pl_errors is interpolation_error itself, the same arithmetic
    tri_res = [interpolation_error(tri, t, n, values=y).per_simplex for n in ("l2", "linf")]
    for got, want in zip(pl_errors(pts, tri.simplices, t, values=y, refine=0), tri_res):
        np.testing.assert_array_equal(got, want)
    for chunk in (1, 7):
        got = simplex_errors(pts, tri.simplices, t, "l2", box=box, refine=2, chunk=chunk).per_simplex
        np.testing.assert_allclose(got, l2, rtol=1e-13, atol=1e-20)
        got0 = simplex_errors(pts, tri.simplices, t, "l1", chunk=chunk).per_simplex
        np.testing.assert_allclose(got0, simplex_errors(pts, tri.simplices, t, "l1").per_simplex, rtol=1e-13)


def test_callables_returning_flat_values_are_accepted():
    pts = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    def flat(x):  # a predict() that flattens its input
        return (np.asarray(x).reshape(-1, 2) ** 2).sum(-1)

    assert simplex_errors(pts, [[0, 1, 2]], flat, "l2", refine=1).total ** 2 == pytest.approx(11 / 180, rel=1e-12)


def test_quad_index_is_deprecated_for_degree(rng):
    pts = rng.random((10, 2))
    tri = delaunay(pts)
    with pytest.warns(DeprecationWarning, match="degree=5"):
        old = interpolation_error(tri, _quad, "l2", quad_index=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        new = interpolation_error(tri, _quad, "l2", degree=5)
    np.testing.assert_array_equal(old.per_simplex, new.per_simplex)
    with pytest.raises(InvalidInputError, match="'degree' only"):
        interpolation_error(tri, _quad, "l2", degree=5, quad_index=2)


def test_bad_engine_arguments_are_named(rng):
    pts = rng.random((8, 2))
    simp = delaunay(pts).simplices
    for kw, name in [(dict(box=[[0, 1]]), "'box'"), (dict(box=[[1, 0], [0, 1]]), "'box'"),
                     (dict(box=[[0, np.nan], [0, 1]]), "'box'"), (dict(refine=-1), "'refine'"),
                     (dict(refine=1.5), "'refine'"), (dict(degree=-1), "'degree'"), (dict(chunk=0), "'chunk'")]:
        with pytest.raises(InvalidInputError, match=name):
            simplex_errors(pts, simp, _quad, "l2", **kw)
    with pytest.raises(TooLargeError, match="refine"):
        simplex_errors(pts, simp, _quad, "l2", refine=30)
    p3 = rng.random((8, 3))
    with pytest.raises(UnsupportedError, match="'refine' and 'box'"):
        simplex_errors(p3, delaunay(p3).simplices, _quad, "l2", refine=1)
    with pytest.raises(InvalidInputError, match="'values'"):
        pl_errors(pts, simp, _quad, values=np.full(8, np.nan))
