"""check_method: every shipped method meets the method contract, and each violation of a user's
method is caught and named."""

from typing import ClassVar

import numpy as np
import pytest

from geoquant.compare import Method, Statistic, check_method, list_methods, method_class
from geoquant.compare import Param
from geoquant.errors import InvalidInputError, UnsupportedError

# tiny budgets: the whole parametrised check runs in a few seconds
_TINY = {
    "network_small": {"width": 8, "n_steps": 30, "mode": "gd"},
    "network_standard": {"width": 8, "n_steps": 30, "mode": "gd"},
}


@pytest.mark.parametrize("name", list_methods())
def test_every_shipped_method_meets_the_contract(name):
    assert check_method(method_class(name), params=_TINY.get(name)) == []


class Nearest(Method):
    """A well-behaved user method: the value of the nearest sample (piecewise constant)."""

    name = "user_nearest"
    family = "nearest_neighbour"

    def _fit(self, X, y, target, seed):
        self._X, self._y = X, y

    def _predict(self, xi):
        d = ((xi[:, None, :] - self._X[None, :, :]) ** 2).sum(axis=-1)
        return self._y[np.argmin(d, axis=1)]


def test_a_well_behaved_user_method_passes_unregistered():
    assert check_method(Nearest) == []


class _Mean(Statistic):
    name = "user_mean"

    def _fit(self, X, y, target, seed):
        pass

    def exact_metrics(self, evaluator):
        self._check_fitted()
        return {f"{m}_{r}": 0.5 for r in evaluator.regions for m in ("l2", "linf")}


def test_a_well_behaved_user_statistic_passes():
    assert check_method(_Mean) == []


def _variant(base, **attrs):
    return type(f"Broken_{base.__name__}", (base,), attrs)


def _nan_predict(self, xi):
    return np.full(len(xi), np.nan)


def _noisy_predict(self, xi):
    return np.random.default_rng().random(len(xi))  # unseeded: two fits differ


def _fit_no_target_check(self, X, y, target, seed):
    self._X, self._y = X, y


def _fit_refuses_1d(self, X, y, target, seed):
    if X.shape[1] == 1:
        raise RuntimeError("no 1D")
    Nearest._fit(self, X, y, target, seed)


def _predict_without_fit_check(self, xi):
    return np.zeros(np.shape(xi)[:-1])


def _short_predict(self, xi):
    return np.zeros(len(xi) + 1)


def _info_with_list(self, X, y, target, seed):
    Nearest._fit(self, X, y, target, seed)
    self._info["residuals"] = [1.0, 2.0]


def _state_with_list(self):
    return {"values": [1, 2, 3]}


def _dims_raise_wrongly(self, X, y, target, seed):
    Nearest._fit(self, X, y, target, seed)


class _DimsOneOnlyButWrongError(Nearest):
    dims = None

    def fit(self, X, y, *, target=None, seed=0):
        if np.asarray(X).ndim == 2 and np.asarray(X).shape[1] == 3:
            raise ValueError("3 columns")
        return super().fit(X, y, target=target, seed=seed)


def _no_dim_in_message(self, X, y, *, target=None, seed=0):
    if np.asarray(X).shape[1] not in (1, 2):
        raise UnsupportedError("not this one")
    return Nearest.fit(self, X, y, target=target, seed=seed)


BROKEN = {
    "family not an identifier": (_variant(Nearest, family="my family"), "'cls.family' must be a non-empty identifier"),
    "pointwise Method": (_variant(Nearest, pointwise=False), "'cls.pointwise' is fixed by the kind"),
    "statistic without exact_metrics": (type("S", (Statistic,), {"name": "s", "_fit": lambda *a: None}),
                                        "must implement exact_metrics"),
    "defaults do not construct": (_variant(Nearest, params_schema={"k": Param("int", None)}), "construction with"),
    "piecewise_linear without triangulation": (_variant(Nearest, piecewise_linear=True),
                                               "tag 'piecewise_linear' but .triangulation"),
    "tag not a bool": (_variant(Nearest, trains="yes"), "tag 'trains' must be a bool"),
    "bad dims tag": (_variant(Nearest, dims=(0,)), "tag 'dims' must be None or a non-empty tuple"),
    "dims ignored": (_variant(Nearest, dims=None, _fit=_fit_refuses_1d), "fit() on 7 seeded points in 1D raised"),
    "unsupported dim, wrong error": (_variant(_DimsOneOnlyButWrongError, dims=(1, 2)),
                                     "fit() in unsupported dimension 3 raised ValueError"),
    "unsupported dim, not named": (_variant(Nearest, dims=(1, 2), fit=_no_dim_in_message),
                                   "without naming 3"),
    "NaN inside the hull": (_variant(Nearest, _predict=_nan_predict), "predict() is not finite inside the convex hull"),
    "wrong shape": (_variant(Nearest, predict=lambda self, xi: np.zeros(3)), "returned shape (3,)"),
    "predict before fit": (_variant(Nearest, predict=_predict_without_fit_check), "predict() before fit() did not raise"),
    "not deterministic": (_variant(Nearest, _predict=_noisy_predict), "fit() is not deterministic for a seed"),
    "info not scalars": (_variant(Nearest, _fit=_info_with_list), "info()['residuals'] must be a JSON scalar"),
    "state not arrays": (_variant(Nearest, state=_state_with_list), "state()['values'] must be a numpy array"),
    "needs_target ignored": (_variant(Nearest, needs_target=True, _fit=_fit_no_target_check),
                             "tag 'needs_target' but fit() without target= succeeded"),
    "statistic returns None": (_variant(_Mean, exact_metrics=lambda self, ev: None),
                               "exact_metrics() of a Statistic returned None"),
    "statistic misses a column": (_variant(_Mean, exact_metrics=lambda self, ev: {"l2_hull": 1.0}),
                                  "lacks the column 'linf_hull'"),
    "statistic negative": (_variant(_Mean, exact_metrics=lambda self, ev: {
        f"{m}_{r}": -1.0 for r in ev.regions for m in ("l2", "linf")}), "must be None or a finite number >= 0"),
    "statistic before fit": (_variant(_Mean, exact_metrics=lambda self, ev: {
        f"{m}_{r}": 0.0 for r in ev.regions for m in ("l2", "linf")}), "exact_metrics() before fit() did not raise"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_each_violation_is_caught_and_named(case):
    cls, message = BROKEN[case]
    failures = check_method(cls, raise_on_failure=False)
    assert any(message in f for f in failures), failures
    with pytest.raises(InvalidInputError, match="fails the method contract"):
        check_method(cls)


def test_params_reach_every_fit():
    class Needs(Nearest):
        params_schema: ClassVar[dict] = {"k": Param("int", None)}

    assert check_method(Needs, raise_on_failure=False)  # the default None does not construct
    assert check_method(Needs, params={"k": 2}) == []
