"""The registry of what a study runs: :class:`Competitor` and its two kinds.

Everything a study can run is a :class:`Competitor` -- ``fit`` on samples, then ``info``,
``state`` and ``exact_metrics`` for the result file, with a ``params_schema`` and a
registry entry -- of exactly one of two kinds (as in scikit-learn, the kind is the class):

* a :class:`Method` turns samples into a *function*: it adds ``predict``. Linear
  interpolation on some triangulation, a ReLU network, the theory engine's predicted
  function, and what a user would pick instead (splines, RBF, k-NN, Gaussian processes):

  >>> m = get_method("knn", n_neighbors=3).fit(X, y, target=f, seed=0)   # doctest: +SKIP
  >>> m.predict(xi)                                                       # doctest: +SKIP

* a :class:`Statistic` computes a *number* from the samples and has no ``predict``:
  ``triangulation_mean`` (the mean squared L2 error over all fine triangulations). It
  must implement :meth:`~Competitor.exact_metrics`, which the evaluator calls.

Piecewise-linear methods also expose ``.triangulation`` (a
:class:`~geoquant.triangulation.Triangulation`), so their errors are computed
exactly simplex by simplex.

Heavy dependencies (torch, scikit-learn, the counting machinery) are imported
inside ``fit`` so that listing and validating methods stays cheap.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

import numpy as np
from numpy.typing import ArrayLike

from ..._validation import check_points, check_query, check_values
from ...errors import InvalidInputError, UnsupportedError
from ..._params import check_params

if TYPE_CHECKING:
    from ...targets import Target
    from ...triangulation import Triangulation

__all__ = [
    "Competitor",
    "Method",
    "Statistic",
    "register_method",
    "get_method",
    "method_class",
    "list_methods",
    "METHOD_FAMILIES",
    "MethodTags",
    "method_tags",
    "registration_problems",
]


#: The shipped families, in the order reports show them. A family is a label for grouping and
#: display only: behaviour is chosen by a method's capability tags (:class:`MethodTags`), so a new
#: family needs no edit anywhere else.
METHOD_FAMILIES = ("triangulation", "network", "theory", "baseline")


@dataclass(frozen=True)
class MethodTags:
    """What a method can do and needs: the capability tags studies and reports dispatch on.

    Read with :func:`method_tags`; set as class attributes of a :class:`Competitor` subclass
    (like scikit-learn's estimator tags).

    Attributes
    ----------
    trains : bool
        Fitting runs an iterative training (networks): the result records the training
        state (``train_status`` and its certificate), the regime axes (``init_scale, width,
        lr``), restarts, and a study runs the seeds of one setting as one ensemble.
    needs_target : bool
        ``fit`` needs the true function (``target=``).
    oracle : bool
        Chooses using the true target (best/worst triangulation): not a method a user could run.
    exact : bool
        The reported value is an exact optimum or statistic; ``False``: a heuristic (a
        flip-walk local optimum or a sample). A method may still report per fit
        (``info["exact"]``) that one result is heuristic.
    dims : tuple of int or None
        Input dimensions supported (``None``: any).
    piecewise_linear : bool
        After ``fit``, ``.triangulation`` holds the triangulation it interpolates on.
    pointwise : bool
        Has ``predict`` (a :class:`Method`); ``False`` for a :class:`Statistic`.
    """

    trains: bool = False
    needs_target: bool = False
    oracle: bool = False
    exact: bool = True
    dims: tuple[int, ...] | None = None
    piecewise_linear: bool = False
    pointwise: bool = True


def method_tags(method: str | type[Competitor] | Competitor) -> MethodTags:
    """The capability tags of a registered method (by name), a method class or an instance.

    >>> method_tags("network_small").trains, method_tags("delaunay").piecewise_linear
    (True, True)
    >>> method_tags("triangulation_best").oracle
    True
    """
    if isinstance(method, str):
        cls: type[Competitor] = method_class(method)
    elif isinstance(method, Competitor):
        cls = type(method)
    elif isinstance(method, type) and issubclass(method, Competitor):
        cls = method
    else:
        raise InvalidInputError(
            f"'method' must be a registered method name, a Competitor subclass or instance, found {method!r}"
        )
    return MethodTags(
        trains=bool(cls.trains), needs_target=bool(cls.needs_target or cls.oracle), oracle=bool(cls.oracle),
        exact=bool(cls.exact), dims=None if cls.dims is None else tuple(int(d) for d in cls.dims),
        piecewise_linear=bool(cls.piecewise_linear), pointwise=bool(cls.pointwise),
    )


_REGISTRY: dict[str, type[Competitor]] = {}

_M = TypeVar("_M", bound="Competitor")


_NAME_RULE = "'cls.name' must be a new non-empty printable string, found {name!r} (empty, odd or already registered)"


def registration_problems(cls: object) -> list[str]:
    """What keeps ``cls`` from being registered (empty: nothing), the registry name aside.

    The rules :func:`register_method` enforces and :func:`geoquant.compare.check_method` reports:
    a subclass of exactly one of :class:`Method` and :class:`Statistic`, ``pointwise`` fixed by that
    kind, ``exact_metrics`` implemented by a Statistic, a non-empty printable ``name`` and a
    ``family`` label that is a non-empty identifier (any label: a new family needs no edit here).
    """
    kinds = [k for k in (Method, Statistic) if isinstance(cls, type) and issubclass(cls, k)]
    if len(kinds) != 1:
        return ["'cls' must be a subclass of exactly one of geoquant.compare.Method (a function) and "
                f"geoquant.compare.Statistic (a number), found {cls!r}"]
    c = cast("type[Competitor]", cls)
    out = []
    if c.pointwise is not (kinds[0] is Method):
        out.append(f"'cls.pointwise' is fixed by the kind ({kinds[0].__name__}: {kinds[0].pointwise}), "
                   f"found {c.pointwise!r}")
    if kinds[0] is Statistic and c.exact_metrics is Statistic.exact_metrics:
        out.append(f"'cls' is a Statistic and must implement exact_metrics(), found {c!r} without it")
    name = getattr(c, "name", None)
    if not isinstance(name, str) or not name or not name.isprintable():
        out.append(_NAME_RULE.format(name=name))
    family = getattr(c, "family", None)
    if not isinstance(family, str) or not family.isidentifier():
        out.append(f"'cls.family' must be a non-empty identifier (a label such as 'triangulation'), found {family!r}")
    return out


def register_method(cls: type[_M]) -> type[_M]:
    """Class decorator: make a :class:`Method` or :class:`Statistic` subclass available by ``cls.name``.

    Any ``family`` label that is an identifier is accepted: a family groups methods for display only
    (:data:`METHOD_FAMILIES` lists the shipped ones in report order); behaviour follows the capability
    tags (:class:`MethodTags`). Check a new method with :func:`geoquant.compare.check_method`.
    """
    problems = registration_problems(cls)
    if problems:
        raise InvalidInputError(problems[0])
    if cls.name in _REGISTRY:
        raise InvalidInputError(_NAME_RULE.format(name=cls.name))
    _REGISTRY[cls.name] = cls
    return cls


def list_methods(family: str | None = None) -> list[str]:
    """Names of the registered methods (optionally of one family: any label, shipped or a user's), sorted."""
    if family is not None and not isinstance(family, str):
        raise InvalidInputError(f"'family' must be a string or None, found {family!r}")
    return sorted(n for n, c in _REGISTRY.items() if family is None or c.family == family)


def method_class(name: str) -> type[Competitor]:
    """The :class:`Method` or :class:`Statistic` subclass registered as ``name``.

    Raises
    ------
    InvalidInputError
        Unknown name; the message lists the valid names.
    """
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise InvalidInputError(
            f"'method' must be one of {', '.join(list_methods())}, found {name!r}"
        ) from None


def get_method(name: str, **params: Any) -> Competitor:
    """Instantiate the method or statistic registered as ``name`` with ``params``."""
    return method_class(name)(**params)


class Competitor:
    """Base class of everything a study can run: fit on samples ``(X, y)``, then report.

    Not used directly: subclass one of its two kinds, :class:`Method` (a function,
    with ``predict``) or :class:`Statistic` (a number, without ``predict``).

    Parameters
    ----------
    **params
        The method's parameters (see ``params_schema``); unknown or ill-typed
        ones raise :class:`~geoquant.errors.InvalidInputError`.

    Attributes
    ----------
    name, family : str
        Registry name and family: a display label, any identifier (the shipped ones are
        :data:`METHOD_FAMILIES`); behaviour follows the capability tags, never the family.
    dims : tuple of int or None
        Input dimensions the method supports (``None``: any).
    piecewise_linear : bool
        After ``fit``, ``triangulation`` holds the triangulation it
        interpolates on (the exact-error path applies).
    pointwise : bool
        Fixed by the kind: ``True`` for a :class:`Method` (has ``predict``),
        ``False`` for a :class:`Statistic`.
    params : dict
        The checked parameters with defaults filled in.
    """

    name: ClassVar[str] = ""
    family: ClassVar[str] = "baseline"
    dims: ClassVar[tuple | None] = None
    piecewise_linear: ClassVar[bool] = False
    pointwise: ClassVar[bool]
    #: chooses using the true target (triangulation_best/worst): an oracle, not a method a user could run
    oracle: ClassVar[bool] = False
    #: capability tags (see :class:`MethodTags`, read them with :func:`method_tags`)
    trains: ClassVar[bool] = False
    needs_target: ClassVar[bool] = False
    exact: ClassVar[bool] = True
    description: ClassVar[str] = ""
    params_schema: ClassVar[dict] = {}
    #: modules a worker process should import once up front (slow imports shared via fork)
    preload: ClassVar[tuple] = ()

    #: trains only: the parameters a spec may give as lists, one regime per value (e.g. init_scale, width, lr)
    regime_axes: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def ensemble_params(cls, params: dict) -> tuple[str, ...]:
        """Trains only: the parameters every member of one training ensemble must share.

        A study trains the tasks of one setting (all seeds, restarts and the other parameters)
        in one :meth:`fit_ensemble` call; the names returned here key that grouping.
        """
        return ()

    @classmethod
    def fit_ensemble(cls, Xs: Any, ys: Any, params: Any, seeds: Any, **options: Any) -> dict:
        """Trains only: fit one model per ``(X, y, params, seed)`` in one call (see the network family).

        Methods tagged ``trains`` implement it; the study runs a unit of tasks through it and
        hands each task its model with :meth:`adopt`.
        """
        raise UnsupportedError(f"method {cls.name!r} does not train: it has no fit_ensemble()")

    def adopt(self: _M, X: ArrayLike, y: ArrayLike, res: dict, index: int, *, target: Target | None = None,
              seed: int = 0) -> _M:
        """Trains only: become model ``index`` of a :meth:`fit_ensemble` result on ``(X, y)`` (instead of ``fit``)."""
        raise UnsupportedError(f"method {self.name!r} does not train: it cannot adopt an ensemble member")

    @classmethod
    def cost_terms(cls, dim: int, n: int, params: dict) -> dict[str, float] | None:
        """What one task of this method costs, in the terms of the study's cost model (None: unknown).

        ``geoquant study --dry-run`` estimates a short study from these terms and the machine's
        calibrated seconds per term (``geoquant/data/cost_model.json``, written by
        ``benchmarks/cost_model.py``) instead of timing samples; a method that returns None
        (the default, and every method whose cost grows fast with ``n`` beyond its stated range)
        makes the dry run time samples. Terms: ``task_<d>d`` (one fit and evaluation of a
        cheap method in ``d`` dimensions), ``network_<d>d`` (one trained network's set-up,
        end-state certificate and evaluation), and per training call (the maximum over an
        ensemble's members, not their sum): ``network_call_<d>d`` (its set-up) and ``gd_step``
        (its GD steps); ``gd_work`` (steps x width x n x (d + 2): the fused step's arithmetic).

        Parameters
        ----------
        dim : int
            Input dimension of the task's sample.
        n : int
            Sample size.
        params : dict
            The method's checked parameters.

        Returns
        -------
        dict of str to float, or None
        """
        return None

    def __init__(self, **params: Any) -> None:
        self.params = check_params(self.params_schema, params, owner=f"method {self.name!r}")
        why = self.combined_problem(self.params)
        if why is not None:
            raise InvalidInputError(f"method {self.name!r}: {why}")
        self.triangulation: Triangulation | None = None
        self._info: dict = {}
        self._fitted = False

    @classmethod
    def combined_problem(cls, params: dict) -> str | None:
        """What is wrong with a combination of individually valid ``params`` (None: nothing).

        Checked by the constructor and by the spec parser (which names the TOML
        entry); e.g. a network budget that asks for more GD steps than can run.
        """
        return None

    # -- public interface ------------------------------------------------------------------
    def fit(self: _M, X: ArrayLike, y: ArrayLike, *, target: Target | None = None, seed: int = 0) -> _M:
        """Fit to samples.

        Parameters
        ----------
        X : (n_points, n_dims) array_like
            Sample locations (a 1-D array is read as points on a line).
        y : (n_points,) array_like
            Sample values.
        target : Target, optional
            The true function; required by methods that optimise against it
            (best/worst triangulation).
        seed : int
            Seed of the method's randomness (random triangulation, network init).

        Returns
        -------
        self
        """
        X = check_points(X, "X")
        y = check_values(y, X.shape[0], "y")
        if self.dims is not None and X.shape[1] not in self.dims:
            raise UnsupportedError(
                f"method {self.name!r} supports inputs of dimension {', '.join(map(str, self.dims))}, "
                f"found 'X' with {X.shape[1]} columns"
            )
        self.X_, self.y_, self.target_, self.seed_ = X, y, target, seed
        t0 = time.perf_counter()
        self._fit(X, y, target, seed)
        self._info.setdefault("fit_s", time.perf_counter() - t0)
        self._fitted = True
        return self

    def info(self) -> dict:
        """Scalars describing the fit (timings, losses, counts) for the result file."""
        return dict(self._info)

    def state(self) -> dict:
        """Arrays the report's gallery needs (simplices, network weights...)."""
        if self.triangulation is not None:
            return {"simplices": np.asarray(self.triangulation.simplices, dtype=np.int32)}
        return {}

    # evaluator: a compare.Evaluator (not imported: compare._metrics imports this package for Method)
    def exact_metrics(self, evaluator: Any) -> dict | None:
        """Metrics computed by the fitted method itself (``None``: evaluate ``predict``).

        Parameters
        ----------
        evaluator : compare.Evaluator
            The samples' evaluator (regions, exact per-simplex squared errors).

        Returns
        -------
        dict or None
            Metric columns (``l2_<region>``, ``linf_<region>``...; ``None`` for a
            column that does not apply), or ``None`` to have the evaluator measure
            ``predict``.
        """
        return None

    # -- for subclasses -------------------------------------------------------------------
    def _fit(self, X: np.ndarray, y: np.ndarray, target: Target | None, seed: int) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        p = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{type(self).__name__}({p})"


class Method(Competitor):
    """A way to turn samples ``(X, y)`` into a function: a :class:`Competitor` with ``predict``.

    Parameters
    ----------
    **params
        The method's parameters (see ``params_schema``).

    Subclasses implement ``_fit`` and ``_predict``; the evaluator measures
    ``predict`` (exactly, simplex by simplex, for a piecewise-linear one) unless
    ``exact_metrics`` returns the metrics itself.
    """

    pointwise: ClassVar[bool] = True

    def predict(self, xi: ArrayLike) -> np.ndarray:
        """Values at query points.

        Parameters
        ----------
        xi : (..., n_dims) array_like

        Returns
        -------
        (...) ndarray
            NaN outside the convex hull for methods defined only there
            (piecewise-linear interpolants, Clough--Tocher).
        """
        if not self._fitted:
            raise InvalidInputError(f"method {self.name!r} must be fitted before predict()")
        q = check_query(xi, self.X_.shape[1], "xi")
        flat = q.reshape(-1, q.shape[-1])
        return np.asarray(self._predict(flat), dtype=np.float64).reshape(q.shape[:-1])

    def _predict(self, xi: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError


class Statistic(Competitor):
    """A number computed from the samples: a :class:`Competitor` without ``predict``.

    Parameters
    ----------
    **params
        The statistic's parameters (see ``params_schema``).

    Subclasses implement ``_fit`` (checks; may store nothing) and
    :meth:`exact_metrics`, which must return the metric columns (it never returns
    ``None``: there is no function to evaluate); e.g. ``triangulation_mean``, the
    root mean squared L2 error over all fine triangulations of the samples.
    """

    pointwise: ClassVar[bool] = False

    def exact_metrics(self, evaluator: Any) -> dict:  # pragma: no cover - abstract (register_method checks)
        """The statistic's metric columns for the fitted samples (never ``None``)."""
        raise NotImplementedError

    def _check_fitted(self) -> None:
        if not self._fitted:
            raise InvalidInputError(f"statistic {self.name!r} must be fitted before exact_metrics()")

    def state(self) -> dict:
        """No function, so nothing to draw: an empty dict."""
        return {}


def _need_target(method: Competitor, target: Target | None) -> Target:
    if target is None or not callable(target):
        raise InvalidInputError(
            f"method {method.name!r} optimises the error against the true function: pass target= to fit()"
        )
    return target

