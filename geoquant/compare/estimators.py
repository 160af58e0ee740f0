"""The study methods as scikit-learn regressors.

Every registered :class:`~geoquant.compare.Method` that a user could run (not an
oracle, which chooses with the true target, and not a
:class:`~geoquant.compare.Statistic`, which has no ``predict``) has a regressor
class here, whose constructor parameters are the method's parameters
(``params_schema``, same names and defaults) plus ``random_state`` (the seed
``fit`` passes to the method: network initialisation, random triangulation):

>>> from geoquant.compare.estimators import estimator_class
>>> DelaunayRegressor = estimator_class("delaunay")
>>> DelaunayRegressor().get_params()
{'random_state': 0}
>>> sorted(estimator_class("network_small")().get_params())[:4]
['center', 'dtype', 'grad_tol', 'init']

The class of method ``name`` is also importable under its CamelCase name
(``from geoquant.compare.estimators import DelaunayRegressor``,
``NetworkSmallRegressor``, ``KnnRegressor``, ...), so estimators pickle. They are
:class:`sklearn.base.BaseEstimator` and :class:`~sklearn.base.RegressorMixin`
subclasses: ``get_params`` / ``set_params``, :func:`sklearn.base.clone`,
:class:`~sklearn.pipeline.Pipeline`, :func:`~sklearn.model_selection.cross_val_score`
and grid search work as for any scikit-learn regressor (``score`` is R²).

Interpolants are defined on the convex hull of the training points only: the
piecewise-linear ones (``delaunay``, ``data_dependent``, ``triangulation_random``)
and ``clough_tocher`` predict **NaN outside the hull**, and a score over such
points is NaN (``cross_val_score`` then warns and reports NaN). Cross-validate
them with folds whose training part contains the hull's vertices (e.g. the
corners of a box sampler in every training fold), or score on inner points. The
1D methods (``cubic_spline``) take one feature only. docs/interop.md lists which
of scikit-learn's estimator checks pass and which fail by design.
"""

from __future__ import annotations

import inspect
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_array, check_is_fitted, check_X_y

from ..errors import InvalidInputError
from .methods import Method, list_methods, method_class

__all__ = ["MethodRegressor", "estimator_class", "estimator_names"]

_CLASSES: dict[str, type[MethodRegressor]] = {}


class MethodRegressor(RegressorMixin, BaseEstimator):
    """A geoquant study method as a scikit-learn regressor (base of the classes of :func:`estimator_class`).

    Parameters
    ----------
    **params
        The method's parameters (its ``params_schema``: names and defaults),
        and ``random_state`` (int or None, default 0): the seed of the fit.
        They are stored unchecked, as scikit-learn requires; ``fit`` checks
        them (a :class:`~geoquant.errors.InvalidInputError` names the one that
        is wrong).

    Attributes
    ----------
    method_ : Method
        The fitted geoquant method (``method_.triangulation``, ``method_.info()``...).
    n_features_in_ : int
        Number of input dimensions seen by ``fit``.
    """

    #: the registry name of the wrapped method (set on each generated subclass)
    method_name: ClassVar[str] = ""

    def __init__(self, **params: Any) -> None:
        names = self._get_param_names()
        unknown = sorted(set(params) - set(names))
        if unknown:
            raise TypeError(f"{type(self).__name__}.__init__() got an unexpected keyword argument {unknown[0]!r}")
        defaults = {p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()
                    if p.name != "self"}
        for k in names:
            setattr(self, k, params.get(k, defaults.get(k)))

    def _method_params(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in method_class(self.method_name).params_schema}

    def fit(self, X: ArrayLike, y: ArrayLike) -> MethodRegressor:
        """Fit the method to samples.

        Parameters
        ----------
        X : (n_samples, n_features) array_like
            Sample locations (``n_features`` = the input dimension; 1 for 1D methods).
        y : (n_samples,) array_like
            Sample values.

        Returns
        -------
        self

        Raises
        ------
        InvalidInputError
            A parameter or the data is invalid (e.g. duplicate points for an
            interpolant); it is a ``ValueError``, as scikit-learn expects.
        UnsupportedError
            The method does not support ``n_features`` (e.g. ``cubic_spline`` is 1D).
        """
        if not self.method_name:
            raise InvalidInputError("MethodRegressor is a base class: use estimator_class(name)() for a method")
        Xa, ya = check_X_y(X, y, dtype=np.float64, y_numeric=True)
        rs = self.random_state
        if rs is not None and not (isinstance(rs, (int, np.integer)) and not isinstance(rs, bool)):
            raise InvalidInputError(f"'random_state' must be an integer or None, found {rs!r}")
        method = method_class(self.method_name)(**self._method_params())
        assert isinstance(method, Method)
        self.method_ = method.fit(Xa, ya, seed=0 if rs is None else int(rs))
        self.n_features_in_ = Xa.shape[1]
        return self

    def predict(self, X: ArrayLike) -> NDArray[np.float64]:
        """Values of the fitted function.

        Parameters
        ----------
        X : (n_samples, n_features) array_like

        Returns
        -------
        (n_samples,) ndarray of float64
            NaN at points outside the convex hull of the training points for the
            interpolants defined only there (piecewise-linear, Clough-Tocher).
        """
        check_is_fitted(self, "method_")
        Xa = check_array(X, dtype=np.float64)
        if Xa.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {Xa.shape[1]} features, but {type(self).__name__} is expecting "
                             f"{self.n_features_in_} features as input.")
        return self.method_.predict(Xa)


def _class_name(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_")) + "Regressor"


def estimator_names() -> list[str]:
    """The registered methods that have a regressor: every :class:`Method` that is not an oracle, sorted."""
    return [n for n in list_methods() if issubclass(method_class(n), Method) and not method_class(n).oracle]


def estimator_class(name: str) -> type[MethodRegressor]:
    """The scikit-learn regressor class of the study method ``name``.

    Parameters
    ----------
    name : str
        A registered method (:func:`estimator_names`), e.g. ``"delaunay"``,
        ``"network_small"``, ``"knn"``.

    Returns
    -------
    type
        A :class:`MethodRegressor` subclass named after the method
        (``DelaunayRegressor``) whose ``__init__`` takes the method's
        parameters, keyword only, with the method's defaults, and
        ``random_state=0``. The same class on every call.

    Raises
    ------
    InvalidInputError
        ``name`` is not registered, is a statistic (no ``predict``) or an oracle
        (it needs the true target).
    """
    if name in _CLASSES:
        return _CLASSES[name]
    cls = method_class(name)
    if name not in estimator_names():
        why = "an oracle (it chooses with the true target)" if cls.oracle else "a statistic (it has no predict)"
        raise InvalidInputError(
            f"'name' must be a method with a regressor ({', '.join(estimator_names())}), found {name!r}: {why}"
        )
    params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    params += [inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY, default=p.default)
               for k, p in cls.params_schema.items()]
    params.append(inspect.Parameter("random_state", inspect.Parameter.KEYWORD_ONLY, default=0))

    def __init__(self: MethodRegressor, **kw: Any) -> None:
        MethodRegressor.__init__(self, **kw)

    __init__.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    cname = _class_name(name)
    __init__.__qualname__ = f"{cname}.__init__"
    doc = (f"The study method ``{name}`` ({cls.description or cls.__name__}) as a scikit-learn regressor.\n\n"
           f"See :class:`MethodRegressor`; parameters: {', '.join(cls.params_schema) or 'none'} and random_state.\n")
    new = type(cname, (MethodRegressor,), {"__init__": __init__, "method_name": name, "__doc__": doc,
                                           "__module__": __name__})
    _CLASSES[name] = new
    return new


def __getattr__(attr: str) -> type[MethodRegressor]:
    """``DelaunayRegressor``, ``NetworkSmallRegressor``, ...: the class of each method, made on first use."""
    if attr.endswith("Regressor"):
        for n in estimator_names():
            if _class_name(n) == attr:
                return estimator_class(n)
    raise AttributeError(f"module {__name__!r} has no attribute {attr!r}")
