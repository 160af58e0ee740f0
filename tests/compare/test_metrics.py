"""Quadrature, evaluation regions, bound ratios and rate fits checked against
closed forms and independent computations."""

import numpy as np
import pandas as pd
import pytest

from geoquant.compare import EvalConfig, Evaluator, fit_rate, fit_rates, get_method
from geoquant._quadrature import clip_simplices_to_box, quadrature_nodes, refine_simplices
from geoquant._quadrature import vertex_simplex_volumes as simplex_volumes
from geoquant.points import sample_points
from geoquant.targets import get_target


def test_quadrature_is_exact_for_degree_7_on_random_triangles(rng):
    # integral of x^a y^b over a triangle, against the exact value by a fine GM rule on children
    V = rng.uniform(-1, 1, size=(5, 3, 2))
    nodes, w = quadrature_nodes(V, degree=7)
    kids, parent = refine_simplices(V, 3)
    kn, kw = quadrature_nodes(kids, degree=15)
    for a, b in [(0, 0), (3, 2), (7, 0), (1, 6)]:
        coarse = np.sum(w * nodes[..., 0] ** a * nodes[..., 1] ** b, axis=1)
        fine = np.bincount(parent, weights=np.sum(kw * kn[..., 0] ** a * kn[..., 1] ** b, axis=1))
        np.testing.assert_allclose(coarse, fine, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(w.sum(axis=1), simplex_volumes(V), rtol=1e-12)


def test_clipping_matches_shapely_areas(rng):
    import shapely

    V = rng.uniform(0, 1, size=(40, 3, 2))
    box = np.array([[0.2, 0.7], [0.1, 0.85]])
    pieces, parent = clip_simplices_to_box(V, box)
    got = np.bincount(parent, weights=simplex_volumes(pieces), minlength=len(V))
    clip = shapely.box(0.2, 0.1, 0.7, 0.85)
    want = np.array([shapely.Polygon(t).intersection(clip).area for t in V])
    np.testing.assert_allclose(got, want, atol=1e-14)
    # 1D intervals
    I = np.sort(rng.uniform(-1, 2, size=(30, 2, 1)), axis=1)
    p1, par1 = clip_simplices_to_box(I, np.array([[0.0, 1.0]]))
    want1 = np.clip(np.minimum(I[:, 1, 0], 1) - np.maximum(I[:, 0, 0], 0), 0, None)
    np.testing.assert_allclose(np.bincount(par1, weights=simplex_volumes(p1), minlength=30), want1, atol=1e-15)


def _fitted(name, target, X, **kw):
    return get_method(name, **kw).fit(X, target(X), target=target, seed=0)


def test_inner_l2_of_linear_spline_matches_closed_form_1d():
    # f = x^2 on intervals [a, b]: f - If = (x - a)(x - b), integrate its square over [a, b] & [lo, hi] exactly
    f = get_target("quadratic", n_dims=1)
    X = sample_points(9, 1, "uniform", seed=3, domain=f.domain)
    ev = Evaluator(f, X, f(X), EvalConfig(inner_margin=0.15))
    m = _fitted("delaunay", f, X)
    got = ev.evaluate(m)
    xs = np.sort(X[:, 0])
    lo, hi = ev.inner_box[0]
    total_inner = total_hull = 0.0
    c = f.hessian_bound / 2  # quadratic target: f = c x^2 + affine
    for a, b in zip(xs[:-1], xs[1:]):
        P = np.polynomial.Polynomial.fromroots([a, b]) * c
        Q = (P**2).integ()
        total_hull += Q(b) - Q(a)
        u, v = max(a, lo), min(b, hi)
        if v > u:
            total_inner += Q(v) - Q(u)
    assert got["l2_hull"] == pytest.approx(np.sqrt(total_hull), rel=1e-10)
    assert got["l2_inner"] == pytest.approx(np.sqrt(total_inner), rel=1e-10)
    # Linf of a parabola on an interval: c h^2 / 4 at the midpoint (the lattice of order 8 contains it)
    assert got["linf_hull"] == pytest.approx(c * np.max(np.diff(xs)) ** 2 / 4, rel=1e-12)


class _BlackBox:
    """A fitted piecewise-linear method hidden behind predict(): forces the generic quadrature path."""

    name = "blackbox"
    pointwise = True
    piecewise_linear = False
    triangulation = None

    def __init__(self, inner):
        self.inner = inner

    def predict(self, xi):
        return self.inner.predict(xi)

    def exact_metrics(self, evaluator):
        return None


@pytest.mark.parametrize("tname", ["franke", "runge"])
def test_generic_path_agrees_with_exact_path_for_the_delaunay_interpolant(tname):
    # on refined Delaunay cells the interpolant is affine on every child, so the generic
    # quadrature (which sees only predict()) must reproduce the exact per-simplex errors
    f = get_target(tname, n_dims=2)
    X = sample_points(25, 2, "uniform", seed=1, domain=f.domain)
    ev = Evaluator(f, X, f(X), EvalConfig(refine=2))
    m = _fitted("delaunay", f, X)
    exact = ev.evaluate(m)
    generic = ev.evaluate(_BlackBox(m))
    for key in ("l2_hull", "l2_inner"):
        assert generic[key] == pytest.approx(exact[key], rel=1e-9)
    for key in ("linf_hull", "linf_inner"):
        assert generic[key] == pytest.approx(exact[key], rel=0.02)


def test_unrefined_pl_errors_are_interpolation_error():
    from geoquant.compare._metrics import pl_errors
    from geoquant.interpolate import interpolation_error
    from geoquant.triangulation import delaunay

    f = get_target("runge", n_dims=2)
    X = sample_points(25, 2, "uniform", seed=1, domain=f.domain)
    tri = delaunay(X)
    sq, lin = pl_errors(X, tri.simplices, f, values=f(X), refine=0)
    np.testing.assert_allclose(sq, interpolation_error(tri, f, "l2").per_simplex, rtol=1e-12, atol=1e-18)
    np.testing.assert_allclose(lin, interpolation_error(tri, f, "linf").per_simplex, rtol=1e-12)
    # refinement converges: 2 and 3 levels agree far better than 0 and 3 (runge is sharp, triangles coarse)
    s2, s3 = (np.sqrt(pl_errors(X, tri.simplices, f, values=f(X), refine=r)[0].sum()) for r in (2, 3))
    assert abs(s2 - s3) < 1e-3 * s3 < abs(np.sqrt(sq.sum()) - s3)
    # with refine=0 the evaluator's hull numbers come from interpolation_error itself
    got = Evaluator(f, X, f(X), EvalConfig(refine=0)).evaluate(_fitted("delaunay", f, X))
    assert got["l2_hull"] == pytest.approx(interpolation_error(tri, f, "l2").total, rel=1e-12)


def test_inner_l2_in_2d_matches_a_brute_force_grid():
    f = get_target("franke", n_dims=2)
    X = sample_points(30, 2, "sobol", seed=2, domain=f.domain)
    ev = Evaluator(f, X, f(X))
    m = _fitted("delaunay", f, X)
    got = ev.evaluate(m)
    # midpoint rule on a 600 x 600 grid over the inner box (inside the hull)
    (x0, x1), (y0, y1) = ev.inner_box
    k = 600
    gx = x0 + (np.arange(k) + 0.5) * (x1 - x0) / k
    gy = y0 + (np.arange(k) + 0.5) * (y1 - y0) / k
    P = np.stack(np.meshgrid(gx, gy), -1).reshape(-1, 2)
    e = f(P) - m.predict(P)
    ok = np.isfinite(e)
    brute = np.sqrt(np.sum(e[ok] ** 2) * (x1 - x0) * (y1 - y0) / k**2)
    assert got["l2_inner"] == pytest.approx(brute, rel=2e-3)
    assert got["vol_inner"] == pytest.approx(ok.mean() * (x1 - x0) * (y1 - y0), rel=5e-3)


@pytest.mark.parametrize("tname,dim", [("franke", 2), ("gaussian", 2), ("runge", 2), ("sines", 1), ("runge", 1)])
def test_waldron_bound_holds_for_delaunay(tname, dim):
    f = get_target(tname, n_dims=dim)
    for seed in range(3):
        X = sample_points(20, dim, "uniform", seed=seed, domain=f.domain)
        got = Evaluator(f, X, f(X)).evaluate(_fitted("delaunay", f, X))
        # theorem (docs/theory.md section 6): sup |f - If| <= 1/2 M R_min^2 on every simplex; L2 <= Linf sqrt(vol)
        assert got["linf_ratio_hull"] <= 1 + 1e-9
        assert got["linf_ratio_inner"] <= 1 + 1e-9
        assert got["l2_ratio_hull"] <= 1 + 1e-9
        assert got["bound_inner"] <= got["bound_hull"]


def test_delaunay_rate_on_grid_refinement_is_minus_one_in_n():
    # docs/theory.md check 10: quasi-uniform refinement in 2D, L2 ~ h^2 ~ n^-1
    f = get_target("franke", n_dims=2)
    ns, errs = [], []
    for k in (9, 17, 33):
        X = sample_points(k * k, 2, "grid", domain=f.domain)
        got = Evaluator(f, X, f(X)).evaluate(_fitted("delaunay", f, X))
        ns.append(k * k)
        errs.append(got["l2_inner"])
    assert fit_rate(ns, errs) == pytest.approx(-1.0, abs=0.08)


def test_fit_rate_and_per_seed_spread():
    n = np.array([10, 20, 40, 80])
    assert fit_rate(n, 3.0 * n**-1.5) == pytest.approx(-1.5, abs=1e-12)
    assert np.isnan(fit_rate([10, 10], [1.0, 2.0]))
    rows = []
    slopes = {0: -1.0, 1: -1.2, 2: -0.8}
    for seed, s in slopes.items():
        for k in n:
            rows.append(dict(target="t", dim=2, sampler="u", method="m", n=k, seed=seed, status="done",
                             l2_inner=2.0 * k**s))
    rows.append(dict(target="t", dim=2, sampler="u", method="m", n=10, seed=3, status="failed", l2_inner=np.nan))
    r = fit_rates(pd.DataFrame(rows), "l2_inner")
    assert len(r) == 1
    row = r.iloc[0]
    assert row.slope_mean == pytest.approx(-1.0, abs=1e-12)
    assert row.slope_std == pytest.approx(np.std([-1.0, -1.2, -0.8], ddof=1), abs=1e-12)
    assert (row.slope_min, row.slope_max) == (pytest.approx(-1.2), pytest.approx(-0.8))
    assert row.n_seeds == 3
