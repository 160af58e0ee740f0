"""The study methods as scikit-learn regressors (issue 24 item 3): parameters are the method's,
clone gives an unfitted copy with equal parameters, and cross-validation gives the numbers of a
manual loop over the same folds."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from geoquant.compare import get_method, method_class
from geoquant.compare.estimators import MethodRegressor, estimator_class, estimator_names
from geoquant.errors import GeoquantError, InvalidInputError, UnsupportedError


def _box_data(n=40, seed=0):
    """Points in [0, 1]^2 with the 4 corners first, and a smooth target."""
    rng = np.random.default_rng(seed)
    X = np.vstack([[[0, 0], [1, 0], [0, 1], [1, 1]], rng.uniform(0.02, 0.98, (n - 4, 2))])
    return X, np.sin(3 * X[:, 0]) * np.cos(2 * X[:, 1])


def _folds_with_corners(n, k=4):
    """k folds whose training part always holds the 4 corners (so every test point is inside the hull)."""
    inner = np.arange(4, n)
    return [(np.concatenate([[0, 1, 2, 3], np.setdiff1d(inner, test)]), test)
            for _, test in ((None, inner[i::k]) for i in range(k))]


def test_constructor_parameters_are_the_methods():
    for name in estimator_names():
        est = estimator_class(name)()
        schema = method_class(name).params_schema
        assert est.get_params() == {**{k: p.default for k, p in schema.items()}, "random_state": 0}
    assert "triangulation_best" not in estimator_names() and "triangulation_mean" not in estimator_names()
    with pytest.raises(InvalidInputError, match="oracle"):
        estimator_class("triangulation_best")
    with pytest.raises(InvalidInputError, match="statistic"):
        estimator_class("triangulation_mean")
    from geoquant.compare.estimators import DelaunayRegressor, NetworkSmallRegressor  # by name, on first use

    assert DelaunayRegressor is estimator_class("delaunay") and NetworkSmallRegressor.method_name == "network_small"


def test_clone_is_unfitted_with_equal_params():
    X, y = _box_data()
    est = estimator_class("knn")(n_neighbors=3, random_state=7).fit(X, y)
    twin = clone(est)
    assert type(twin) is type(est) and twin.get_params() == est.get_params()
    assert not hasattr(twin, "method_") and hasattr(est, "method_")
    est.set_params(n_neighbors=5)
    assert est.get_params()["n_neighbors"] == 5 and twin.get_params()["n_neighbors"] == 3


def test_fit_predict_is_the_method():
    X, y = _box_data()
    q = np.random.default_rng(1).uniform(0.1, 0.9, (50, 2))
    for name, params in [("delaunay", {}), ("knn", {"n_neighbors": 4}), ("data_dependent", {})]:
        est = estimator_class(name)(**params).fit(X, y)
        assert np.array_equal(est.predict(q), get_method(name, **params).fit(X, y, seed=0).predict(q))
    # the interpolant is exact at the data and NaN outside the hull (documented)
    dt = estimator_class("delaunay")().fit(X, y)
    assert np.allclose(dt.predict(X), y, rtol=0, atol=1e-12)
    assert np.isnan(dt.predict([[1.5, 0.5], [-0.1, 0.2]])).all()
    assert pickle.loads(pickle.dumps(dt)).predict(q).tolist() == dt.predict(q).tolist()


def test_cross_val_score_equals_a_manual_loop():
    X, y = _box_data(48)
    folds = _folds_with_corners(len(X))
    for name, params in [("delaunay", {}), ("knn", {"n_neighbors": 3})]:
        est = estimator_class(name)(**params)
        scores = cross_val_score(est, X, y, cv=folds, scoring="neg_mean_squared_error")
        manual = [-np.mean((clone(est).fit(X[tr], y[tr]).predict(X[te]) - y[te]) ** 2) for tr, te in folds]
        assert np.isfinite(scores).all()
        assert scores.tolist() == manual
    # the piecewise-linear interpolant of a smooth target on 36 training points: R^2 0.87-0.99 over the folds
    r2 = cross_val_score(estimator_class("delaunay")(), X, y, cv=folds)
    assert (r2 > 0.8).all()
    # folds that cut off a corner put test points outside the hull: NaN predictions, a NaN score
    corner_out = [(np.arange(1, len(X)), np.array([0]))]
    with pytest.warns(UserWarning):
        assert np.isnan(cross_val_score(estimator_class("delaunay")(), X, y, cv=corner_out, error_score=np.nan)).all()


def test_pipeline_and_network_estimator():
    X, y = _box_data(24)
    # the pipeline maps [0, 1]^2 to [-1, 1]^2 before the network; compare with the same map by hand
    scale = FunctionTransformer(lambda Z: 2 * Z - 1)
    net = dict(width=16, n_steps=200, mode="gd", lr=0.05, init="pytorch", init_scale=1.0)
    pipe = Pipeline([("scale", scale), ("net", estimator_class("network_standard")(**net, random_state=3))])
    pipe.fit(X, y)
    direct = estimator_class("network_standard")(**net, random_state=3).fit(2 * X - 1, y)
    q = np.random.default_rng(2).uniform(0, 1, (20, 2))
    assert np.array_equal(pipe.predict(q), direct.predict(2 * q - 1))
    assert pipe.get_params()["net__width"] == 16
    assert np.isfinite(pipe.predict(q)).all()  # a network is defined everywhere
    # the same seed trains the same network; another seed another one
    other = estimator_class("network_standard")(**net, random_state=4).fit(2 * X - 1, y)
    assert not np.array_equal(other.predict(q), direct.predict(2 * q - 1))


def test_bad_parameters_and_data_are_geoquant_errors():
    X, y = _box_data()
    with pytest.raises(InvalidInputError, match="n_neighbors"):
        estimator_class("knn")(n_neighbors="three").fit(X, y)
    with pytest.raises(InvalidInputError, match="random_state"):
        estimator_class("knn")(random_state=np.random.RandomState(0)).fit(X, y)
    with pytest.raises(UnsupportedError, match="cubic_spline"):
        estimator_class("cubic_spline")().fit(X, y)
    with pytest.raises(TypeError, match="unexpected keyword argument 'widht'"):
        estimator_class("network_small")(widht=3)
    with pytest.raises(GeoquantError):
        MethodRegressor().fit(X, y)
    x1 = np.linspace(0, 1, 9)[:, None]
    spline = estimator_class("cubic_spline")().fit(x1, x1[:, 0] ** 3)
    assert np.allclose(spline.predict([[0.5]]), [0.125])
    with pytest.raises(ValueError, match="X has 2 features, but CubicSplineRegressor is expecting 1"):
        spline.predict(X)
