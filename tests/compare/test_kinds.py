"""Everything a study runs is exactly one of two kinds: a Method (a function, with predict)
or a Statistic (a number computed from the samples, without predict)."""

import numpy as np
import pytest

from geoquant.compare import EvalConfig, Evaluator, Method, Statistic, get_method, list_methods, method_class
from geoquant.compare.methods import Competitor, register_method
from geoquant.errors import InvalidInputError
from geoquant.points import sample_points
from geoquant.targets import get_target

# small budgets so that every entry fits in well under a second on 8 points
_SMALL = {
    "network_small": {"width": 8, "n_steps": 200, "dtype": "float64"},
    "network_standard": {"width": 8, "n_steps": 200, "dtype": "float64"},
    "gp": {"n_restarts": 0},
}


def _sample(cls, n=8):
    dim = 2 if cls.dims is None or 2 in cls.dims else cls.dims[0]
    f = get_target("franke" if dim == 2 else "runge", n_dims=dim)
    X = sample_points(n, dim, "uniform", seed=3, domain=f.domain)
    return f, X, f(X)


@pytest.mark.parametrize("name", list_methods())
def test_every_registered_entry_is_exactly_one_kind_and_honours_it(name):
    cls = method_class(name)
    assert issubclass(cls, Competitor)
    assert issubclass(cls, Method) != issubclass(cls, Statistic)
    f, X, y = _sample(cls)
    m = get_method(name, **_SMALL.get(name, {})).fit(X, y, target=f, seed=0)
    if issubclass(cls, Method):
        assert cls.pointwise
        # a function: finite at the samples (inside the hull), shapes of the query kept
        fx = m.predict(X)
        assert fx.shape == (len(X),) and np.all(np.isfinite(fx))
        q = np.broadcast_to(X.mean(axis=0), (2, 3, X.shape[1]))  # the centroid lies in the hull
        gq = m.predict(q)
        assert gq.shape == (2, 3) and np.all(np.isfinite(gq))
        assert np.allclose(gq, gq[0, 0], rtol=0, atol=1e-12)  # one point, one value
        if cls.piecewise_linear:  # an interpolant on a triangulation of the samples
            np.testing.assert_allclose(fx, y, rtol=0, atol=1e-10)
    else:
        assert not cls.pointwise
        assert not hasattr(m, "predict") and not hasattr(cls, "predict")
        ev = Evaluator(f, X, y, EvalConfig())
        got = ev.evaluate(m)
        l2 = [v for k, v in got.items() if k.startswith("l2_") and not k.startswith("l2_ratio")]
        assert l2 and all(v is not None and np.isfinite(v) and v >= 0 for v in l2)
        assert all(v is None or np.isfinite(v) for v in got.values() if not isinstance(v, bool))
        assert m.state() == {}


def test_triangulation_mean_is_a_statistic():
    assert issubclass(method_class("triangulation_mean"), Statistic)
    assert not issubclass(method_class("triangulation_mean"), Method)
    assert issubclass(method_class("delaunay"), Method)


def test_statistic_before_fit_names_the_problem():
    f, X, y = _sample(method_class("triangulation_mean"))
    with pytest.raises(InvalidInputError, match="must be fitted before exact_metrics"):
        get_method("triangulation_mean").exact_metrics(Evaluator(f, X, y))


def test_register_refuses_entries_of_no_kind_or_both_kinds():
    class Neither(Competitor):
        name = "kinds_test_neither"

    class Both(Method, Statistic):
        name = "kinds_test_both"

        def exact_metrics(self, evaluator):
            return {}

    class NoMetrics(Statistic):
        name = "kinds_test_no_metrics"

    class NotPointwise(Method):
        name = "kinds_test_not_pointwise"
        pointwise = False

    for cls in (Neither, Both):
        with pytest.raises(InvalidInputError, match="exactly one of geoquant.compare.Method"):
            register_method(cls)
    with pytest.raises(InvalidInputError, match="must implement exact_metrics"):
        register_method(NoMetrics)
    with pytest.raises(InvalidInputError, match="'cls.pointwise' is fixed by the kind"):
        register_method(NotPointwise)
    assert not any(n.startswith("kinds_test") for n in list_methods())


def test_a_statistic_returning_no_metrics_is_refused_by_the_evaluator():
    class Silent(Statistic):  # not registered: a broken subclass
        name = "kinds_test_silent"

        def _fit(self, X, y, target, seed):
            pass

        def exact_metrics(self, evaluator):
            return None

    f, X, y = _sample(Silent)
    with pytest.raises(InvalidInputError, match="'kinds_test_silent': exact_metrics\\(\\) returned None"):
        Evaluator(f, X, y).evaluate(Silent().fit(X, y))
