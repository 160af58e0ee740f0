"""Methods behind one fit/predict interface: registry, validation, and what each
method must reproduce exactly."""

import numpy as np
import pytest

from geoquant.compare import get_method, list_methods, method_class
from geoquant.errors import InvalidInputError, UnsupportedError
from geoquant.points import sample_points
from geoquant.targets import get_target


def test_registry_lists_every_family():
    names = list_methods()
    for n in ("delaunay", "triangulation_best", "triangulation_worst", "triangulation_mean",
              "triangulation_random", "data_dependent", "network_small", "network_standard", "theory",
              "clough_tocher", "cubic_spline", "rbf", "knn", "gp", "kernel_ridge"):
        assert n in names
    assert set(list_methods("network")) == {"network_small", "network_standard"}
    assert method_class("delaunay").piecewise_linear


def test_bad_names_and_parameters():
    with pytest.raises(InvalidInputError, match=r"'method' must be one of .*delaunay.*knn.*found 'nope'"):
        get_method("nope")
    with pytest.raises(InvalidInputError, match=r"'n_neighbors' must be a positive integer, found 0"):
        get_method("knn", n_neighbors=0)
    with pytest.raises(InvalidInputError, match=r"unknown parameter\(s\) 'k'; valid parameters: n_neighbors, weights"):
        get_method("knn", k=3)
    with pytest.raises(InvalidInputError, match=r"'init' must be one of"):
        get_method("network_small", init="zeros")


def test_bad_fit_inputs_name_the_argument():
    m = get_method("knn")
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [np.nan, 1.0]])
    with pytest.raises(InvalidInputError, match="'X' must be finite"):
        m.fit(X, np.zeros(4))
    with pytest.raises(InvalidInputError, match=r"'y' must have shape \(3,\)"):
        m.fit(X[:3], np.zeros(4))
    with pytest.raises(InvalidInputError, match="must be fitted before predict"):
        get_method("rbf").predict(np.zeros((2, 2)))
    with pytest.raises(UnsupportedError, match="supports inputs of dimension 2, found 'X' with 1 columns"):
        get_method("clough_tocher").fit(np.arange(4.0), np.arange(4.0))
    with pytest.raises(InvalidInputError, match="pass target= to fit"):
        get_method("triangulation_best").fit(X[:3], np.zeros(3))
    assert not hasattr(get_method("triangulation_mean"), "predict")  # a Statistic: a number, not a function


def test_delaunay_method_is_the_piecewise_linear_interpolant(rng):
    from geoquant.interpolate import PiecewiseLinearInterpolant
    from geoquant.triangulation import delaunay

    X = rng.uniform(size=(30, 2))
    y = np.sin(4 * X[:, 0]) + X[:, 1] ** 2
    m = get_method("delaunay").fit(X, y)
    assert m.triangulation == delaunay(X) and m.triangulation.is_fine
    q = rng.uniform(size=(200, 2))
    np.testing.assert_array_equal(m.predict(q), PiecewiseLinearInterpolant(delaunay(X), y)(q))
    np.testing.assert_allclose(m.predict(X), y, atol=1e-12)


@pytest.mark.parametrize("name", ["rbf", "clough_tocher", "delaunay", "data_dependent"])
def test_affine_functions_are_reproduced_in_2d(name, rng):
    X = sample_points(40, 2, "halton", seed=4)
    affine = lambda P: 0.3 - 1.7 * P[..., 0] + 0.9 * P[..., 1]  # noqa: E731
    m = get_method(name).fit(X, affine(X), seed=0)
    from scipy.spatial import Delaunay

    q = rng.uniform(size=(500, 2))
    q = q[Delaunay(X).find_simplex(q) >= 0]
    # Clough-Tocher estimates gradients iteratively (scipy's tolerance 1e-6)
    np.testing.assert_allclose(m.predict(q), affine(q), atol=1e-6 if name == "clough_tocher" else 1e-10)
    np.testing.assert_allclose(m.predict(X), affine(X), atol=1e-12)


def test_1d_methods():
    f = get_target("cubic", n_dims=1)
    X = sample_points(12, 1, "uniform", seed=5, domain=f.domain)
    y = f(X)
    q = np.linspace(X.min(), X.max(), 101)[:, None]
    # a cubic spline (not-a-knot) reproduces cubic polynomials exactly
    np.testing.assert_allclose(get_method("cubic_spline").fit(X, y).predict(q), f(q), atol=1e-10)
    # every fine triangulation in 1D is the sorted linear spline
    ref = get_method("delaunay").fit(X, y).predict(q)
    for name in ("triangulation_best", "triangulation_worst", "triangulation_random", "data_dependent"):
        m = get_method(name).fit(X, y, target=f, seed=1)
        np.testing.assert_allclose(m.predict(q), ref, atol=1e-14)
        assert m.triangulation.n_simplices == 11
    # k = 1 nearest neighbour, a GP and kernel ridge (tiny ridge) interpolate the samples
    np.testing.assert_allclose(get_method("knn", n_neighbors=1).fit(X, y).predict(X), y, atol=1e-14)
    np.testing.assert_allclose(get_method("gp").fit(X, y, seed=0).predict(X), y, atol=1e-3)
    np.testing.assert_allclose(get_method("kernel_ridge").fit(X, y).predict(X), y, atol=1e-3)


@pytest.mark.parametrize("crease", [(1.0, -1.0, 0.0), (1.0, 1.0, -4.0)])
def test_data_dependent_triangulation_follows_a_crease(crease):
    # a ridge |a x + b y + c| along a grid diagonal: the triangulation with diagonals along the
    # crease interpolates it exactly; Delaunay (cocircular grid, arbitrary diagonals) does not
    xs, ys = np.meshgrid(np.arange(5.0), np.arange(5.0))
    X = np.column_stack([xs.ravel(), ys.ravel()])
    a, b, c = crease
    ridge = lambda P: np.abs(a * P[..., 0] + b * P[..., 1] + c)  # noqa: E731
    q = np.random.default_rng(0).uniform(0.0, 4.0, size=(2000, 2))
    dd = get_method("data_dependent").fit(X, ridge(X))
    de = get_method("delaunay").fit(X, ridge(X))
    assert np.max(np.abs(dd.predict(q) - ridge(q))) < 1e-12
    assert np.max(np.abs(de.predict(q) - ridge(q))) > 0.1


def test_network_ensemble_members_reproduce_single_fits():
    from geoquant.compare.methods._networks import train_networks

    f = get_target("runge", n_dims=1)
    X1 = sample_points(8, 1, "uniform", seed=0, domain=f.domain)
    X2 = sample_points(8, 1, "uniform", seed=1, domain=f.domain)
    # GD: bitwise per model (the adaptive flow's step control makes a member agree with its single run only to ~1e-6)
    p = get_method("network_small", mode="gd", width=16, n_steps=300, lr=0.3, dtype="float64").params
    p2 = {**p, "init_scale": 1e-3}
    res = train_networks([X1, X2], [f(X1), f(X2)], [p, p2], [7, 11])
    assert res["W"].shape == (2, 16, 2) and res["info"]["ensemble_size"] == [2, 2]
    single = get_method("network_small", mode="gd", width=16, n_steps=300, lr=0.3, dtype="float64", init_scale=1e-3)
    single.fit(X2, f(X2), seed=11)
    np.testing.assert_allclose(single.W, res["W"][1], rtol=1e-9, atol=1e-14)
    member = get_method("network_small", **p2).adopt(X2, f(X2), res, 1)
    q = np.linspace(-1, 1, 50)
    np.testing.assert_allclose(member.predict(q), single.predict(q), rtol=1e-9, atol=1e-12)
    # training lowers the loss, and the forward pass is f(x) = sum_j a_j relu(w_j x + b_j)
    assert res["info"]["final_loss"][0] < res["info"]["initial_loss"][0]
    W, a = single.W, single.a
    np.testing.assert_allclose(single.predict(q), np.maximum(np.outer(q, W[:, 0]) + W[:, 1], 0) @ a, atol=1e-14)
    with pytest.raises(InvalidInputError, match="must share 'width'"):
        train_networks([X1, X2], [f(X1), f(X2)], [p, {**p, "width": 8}], [0, 1])


def test_theory_method_stalls_at_the_affine_fit_for_positive_data():
    # docs/theory.md check 4: for these 5 points small-init GD plateaus at the least-squares affine loss
    X = np.array([-0.8, -0.3, 0.1, 0.6, 0.9])
    y = np.array([0.5, 1.0, 0.7, 1.2, 0.4])
    m = get_method("theory").fit(X, y)
    assert m.info()["final_loss"] == pytest.approx(0.0449366, abs=1e-7)
    A = np.column_stack([X, np.ones(5)])
    coef = np.linalg.lstsq(A, y, rcond=None)[0]
    np.testing.assert_allclose(m.predict(X), A @ coef, atol=1e-8)


def test_gradient_flow_networks_stall_at_the_affine_fit():
    # docs/theory.md check 4 through the study's network adapter, in gradient-flow mode
    X = np.array([-0.8, -0.3, 0.1, 0.6, 0.9])
    y = np.array([0.5, 1.0, 0.7, 1.2, 0.4])
    m = get_method("network_small", width=10, mode="flow", lr=0.05, n_steps=2000, dtype="float64").fit(X, y, seed=0)
    assert m.info()["final_loss"] == pytest.approx(0.0449366, rel=1e-3)
    assert m.info()["initial_loss"] == pytest.approx(0.5 * np.mean(y**2), rel=1e-6)
