"""The contract every method must meet, shipped or a user's: :func:`check_method`.

Like scikit-learn's ``check_estimator``: a new :class:`~geoquant.compare.Method` or
:class:`~geoquant.compare.Statistic` passes it before a study runs it.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._json import to_jsonable
from ..errors import GeoquantError, InvalidInputError, UnsupportedError
from ._evalcontext import EvalConfig, EvalContext
from .methods import Competitor, Method, Statistic, method_tags, registration_problems

__all__ = ["check_method", "CHECK_DIMS"]

#: The input dimensions :func:`check_method` fits on (those of them a method supports).
CHECK_DIMS = (1, 2)

#: points per dimension of the check's data (small: every shipped method checks in about a second)
_N_POINTS = {1: 7, 2: 9}


class _Failures:
    """The failures found so far; :meth:`step` turns an unexpected exception into one."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.items: list[str] = []

    def add(self, what: str) -> None:
        self.items.append(what)

    @contextmanager
    def step(self, what: str) -> Iterator[None]:
        try:
            yield
        except _Stop:
            raise
        except Exception as exc:  # noqa: BLE001 - any exception is a failure of the contract
            self.add(f"{what} raised {type(exc).__name__}: {exc}")
            raise _Stop from exc


class _Stop(Exception):
    """A step failed: the steps that depend on it are skipped."""


def _data(d: int, seed: int = 0) -> tuple[Any, NDArray[np.float64], NDArray[np.float64]]:
    """A smooth target, seeded points in general position in its box and the values there."""
    from ..points import sample_points
    from ..targets import get_target

    f = get_target("franke" if d == 2 else "runge", n_dims=d)
    X = sample_points(_N_POINTS[d], d, "uniform", seed=3 + seed, domain=f.domain)
    return f, X, np.asarray(f(X), dtype=np.float64)


def _inside(X: np.ndarray) -> NDArray[np.float64]:
    """Query points strictly inside the convex hull: the centroids of the Delaunay simplices, shaped (k, 1, d)."""
    from ..triangulation import delaunay

    return X[delaunay(X).simplices].mean(axis=1)[:, None, :]


def _check_tags(cls: type[Competitor], fail: _Failures) -> None:
    try:
        tags = method_tags(cls)
    except GeoquantError as exc:
        fail.add(f"method_tags() raised {type(exc).__name__}: {exc}")
        return
    for attr in ("trains", "needs_target", "oracle", "exact", "piecewise_linear", "pointwise"):
        if not isinstance(getattr(cls, attr, None), (bool, np.bool_)):
            fail.add(f"tag {attr!r} must be a bool, found {getattr(cls, attr, None)!r}")
    if tags.pointwise != issubclass(cls, Method):
        fail.add(f"tag 'pointwise' is {tags.pointwise} but the class is a {'Method' if tags.pointwise else 'Statistic'}"
                 " only when it is pointwise")
    if issubclass(cls, Statistic) and tags.piecewise_linear:
        fail.add("tag 'piecewise_linear' on a Statistic (it has no function, so no triangulation to interpolate on)")
    dims = cls.dims
    if dims is not None and (not isinstance(dims, tuple) or not dims
                             or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 1 for d in dims)):
        fail.add(f"tag 'dims' must be None or a non-empty tuple of positive ints, found {dims!r}")
    if not isinstance(cls.params_schema, dict):
        fail.add(f"'params_schema' must be a dict of Param, found {type(cls.params_schema).__name__}")


def _check_jsonable_scalars(info: object, fail: _Failures) -> None:
    if not isinstance(info, dict):
        fail.add(f"info() must return a dict, found {type(info).__name__}")
        return
    for k, v in info.items():
        if not isinstance(k, str):
            fail.add(f"info() key {k!r} is not a string")
        elif not (v is None or isinstance(v, (bool, int, float, str, np.bool_, np.integer, np.floating))):
            fail.add(f"info()[{k!r}] must be a JSON scalar (None, bool, int, float, str), found {type(v).__name__}")
    try:
        json.dumps(to_jsonable(info), allow_nan=False)
    except (TypeError, ValueError) as exc:
        fail.add(f"info() is not JSON-serialisable: {exc}")


def _check_state(state: object, fail: _Failures) -> None:
    if not isinstance(state, dict):
        fail.add(f"state() must return a dict, found {type(state).__name__}")
        return
    for k, v in state.items():
        if not isinstance(k, str) or not isinstance(v, (np.ndarray, np.generic)):
            fail.add(f"state()[{k!r}] must be a numpy array under a string key, found {type(v).__name__}")


def _check_metrics(m: Competitor, ctx: EvalContext, fail: _Failures) -> dict | None:
    """The ``exact_metrics(evaluator)`` contract: None (measure predict) or the metric columns."""
    out = m.exact_metrics(ctx)
    if out is None:
        if isinstance(m, Statistic):
            fail.add("exact_metrics() of a Statistic returned None (it must return its metric columns)")
        return None
    if not isinstance(out, dict):
        fail.add(f"exact_metrics() must return a dict or None, found {type(out).__name__}")
        return None
    for r in ctx.regions:
        for col in (f"l2_{r}", f"linf_{r}"):
            if col not in out:
                fail.add(f"exact_metrics() lacks the column {col!r}")
                continue
            v = out[col]
            if v is not None and not (isinstance(v, (int, float, np.number)) and np.isfinite(v) and v >= 0):
                fail.add(f"exact_metrics()[{col!r}] must be None or a finite number >= 0, found {v!r}")
    return out


def _check_predict(m: Method, X: np.ndarray, fail: _Failures) -> NDArray[np.float64]:
    q = _inside(X)
    d = X.shape[1]
    got = np.asarray(m.predict(q))
    if got.shape != q.shape[:-1]:
        fail.add(f"predict() on {d}D queries of shape {q.shape} returned shape {got.shape}, expected {q.shape[:-1]}")
    elif not np.all(np.isfinite(got)):
        fail.add(f"predict() is not finite inside the convex hull ({d}D)")
    flat = np.asarray(m.predict(q[:, 0, :]))
    if flat.shape == (len(q),) and got.shape == q.shape[:-1] and not np.array_equal(flat, got[:, 0]):
        fail.add(f"predict() of the same points differs between query shapes ({d}D)")
    return got


def _output(m: Competitor, X: np.ndarray, ctx: EvalContext) -> Any:
    """What a fit produced, for the determinism check: predictions or the statistic's metrics."""
    if isinstance(m, Method):
        return np.asarray(m.predict(_inside(X)))
    return m.exact_metrics(ctx)


def _check_dim(cls: type[Competitor], d: int, params: dict, fail: _Failures) -> None:
    """Fit on seeded ``d``-dimensional data and check everything a fitted method promises."""
    tags = method_tags(cls)
    f, X, y = _data(d)
    ctx = EvalContext(f, X, y, EvalConfig(regions=("hull", "inner"), refine=0, linf_order=4))
    with fail.step(f"construction with {params or 'the defaults'}"):
        m = cls(**params)
    if tags.needs_target:
        try:
            cls(**params).fit(X, y, seed=0)
            fail.add(f"tag 'needs_target' but fit() without target= succeeded ({d}D)")
        except GeoquantError:
            pass
        except Exception as exc:  # noqa: BLE001
            fail.add(f"fit() without the target it needs raised {type(exc).__name__} (not a GeoquantError): {exc}")
    with fail.step(f"fit() on {len(X)} seeded points in {d}D"):
        if m.fit(X, y, target=f, seed=0) is not m:
            fail.add(f"fit() must return self ({d}D)")
    if tags.piecewise_linear:
        from ..triangulation import Triangulation

        tri = m.triangulation
        if not isinstance(tri, Triangulation) or tri.points.shape != X.shape or not np.array_equal(tri.points, X):
            fail.add(f"tag 'piecewise_linear' but .triangulation after fit() is not a Triangulation of X ({d}D)")
    with fail.step(f"predict() after fit() ({d}D)" if isinstance(m, Method) else f"exact_metrics() ({d}D)"):
        if isinstance(m, Method):
            _check_predict(m, X, fail)
        _check_metrics(m, ctx, fail)
    with fail.step(f"info() and state() ({d}D)"):
        _check_jsonable_scalars(m.info(), fail)
        _check_state(m.state(), fail)
    with fail.step(f"a second fit() with the same seed ({d}D)"):
        first = _output(m, X, ctx)
        again = _output(cls(**params).fit(X, y, target=f, seed=0), X, ctx)
        if repr(to_jsonable(first)) != repr(to_jsonable(again)):
            fail.add(f"fit() is not deterministic for a seed: two fits with seed 0 differ ({d}D)")


def _check_unfitted(cls: type[Competitor], params: dict, fail: _Failures) -> None:
    """``predict`` (Method) or ``exact_metrics`` (Statistic) before ``fit`` raises InvalidInputError."""
    d = 2 if cls.dims is None or 2 in cls.dims else cls.dims[0]
    with fail.step("construction"):
        m = cls(**params)
    call: Callable[[], object]
    if isinstance(m, Method):
        call, what = (lambda: m.predict(np.zeros((1, d)))), "predict()"
    else:
        if d not in CHECK_DIMS:
            return
        f, X, y = _data(d)
        ctx = EvalContext(f, X, y, EvalConfig(regions=("hull",), refine=0))
        call, what = (lambda: m.exact_metrics(ctx)), "exact_metrics()"
    try:
        call()
        fail.add(f"{what} before fit() did not raise")
    except InvalidInputError:
        pass
    except Exception as exc:  # noqa: BLE001
        fail.add(f"{what} before fit() raised {type(exc).__name__}, expected InvalidInputError: {exc}")


def _check_unsupported_dim(cls: type[Competitor], params: dict, fail: _Failures) -> None:
    """Fitting on a dimension outside ``dims`` raises UnsupportedError naming that dimension."""
    if cls.dims is None:
        return
    d = next(k for k in range(1, max(cls.dims) + 2) if k not in cls.dims)
    X = np.random.default_rng(0).random((d + 4, d))
    try:
        cls(**params).fit(X, X[:, 0], seed=0)
        fail.add(f"tag dims={cls.dims} but fit() in {d}D succeeded")
    except UnsupportedError as exc:
        if str(d) not in str(exc):
            fail.add(f"fit() in unsupported dimension {d} raised UnsupportedError without naming {d}: {exc}")
    except Exception as exc:  # noqa: BLE001
        fail.add(f"fit() in unsupported dimension {d} raised {type(exc).__name__}, expected UnsupportedError: {exc}")


def check_method(method_cls: type[Competitor], *, params: dict[str, Any] | None = None,
                 raise_on_failure: bool = True) -> list[str]:
    """Check that a method class meets the contract every method of a study meets.

    Like scikit-learn's ``check_estimator``; run it on a new method (a user's family) before a
    study does. The class need not be registered. Checked:

    * registration rules (:func:`~geoquant.compare.register_method`): exactly one kind
      (:class:`~geoquant.compare.Method` or :class:`~geoquant.compare.Statistic`), ``pointwise``
      fixed by the kind, a Statistic implements ``exact_metrics``, a printable ``name``, an
      identifier ``family``;
    * the parameters: ``params_schema`` is a dict and its defaults (updated by ``params``) construct;
    * the capability tags (:class:`~geoquant.compare.MethodTags`) are consistent: bools, a
      Statistic is not pointwise nor piecewise linear, ``dims`` a tuple of positive ints;
    * ``predict`` (a Method) or ``exact_metrics`` (a Statistic) before ``fit`` raises
      :class:`~geoquant.errors.InvalidInputError`;
    * ``dims`` respected: fitting on the first dimension outside ``dims`` raises
      :class:`~geoquant.errors.UnsupportedError` naming it;
    * for each supported dimension of :data:`CHECK_DIMS` (1D and 2D), on seeded points of a smooth
      target: a method tagged ``needs_target`` refuses to fit without ``target=`` with a
      :class:`~geoquant.errors.GeoquantError`; ``fit`` returns ``self``; ``piecewise_linear``
      implies ``.triangulation`` is a triangulation of the points; ``predict`` inside the hull is
      finite and of the query's shape; ``exact_metrics(evaluator)`` returns None (a Method only)
      or finite ``l2_<region>``/``linf_<region>`` columns (None allowed); ``info()`` holds JSON
      scalars under string keys, ``state()`` numpy arrays; two fits with the same seed agree exactly.

    Parameters
    ----------
    method_cls : type
        A :class:`~geoquant.compare.Method` or :class:`~geoquant.compare.Statistic` subclass.
    params : dict, optional
        Parameters for every fit (e.g. a tiny training budget); default: the schema's defaults.
    raise_on_failure : bool, default True
        Raise when a check fails; ``False``: return the failures.

    Returns
    -------
    list of str
        The failures, one sentence each (empty: the class meets the contract).

    Raises
    ------
    InvalidInputError
        ``raise_on_failure`` and some check failed: the message lists every failure, one a line.

    Examples
    --------
    >>> from geoquant.compare import check_method, method_class
    >>> check_method(method_class("delaunay"))
    []
    """
    name = getattr(method_cls, "name", repr(method_cls))
    fail = _Failures(str(name))
    problems = registration_problems(method_cls)
    if problems and not (isinstance(method_cls, type) and issubclass(method_cls, Competitor)):
        fail.items.extend(problems)
    else:
        fail.items.extend(problems)
        _run_checks(method_cls, dict(params or {}), fail)
    if fail.items and raise_on_failure:
        raise InvalidInputError(f"method {name!r} fails the method contract:\n- " + "\n- ".join(fail.items))
    return fail.items


def _run_checks(cls: type[Competitor], params: dict, fail: _Failures) -> None:
    _check_tags(cls, fail)
    steps: list[Callable[[], None]] = [
        lambda: _check_unfitted(cls, params, fail),
        lambda: _check_unsupported_dim(cls, params, fail),
    ]
    for d in CHECK_DIMS:
        if cls.dims is None or d in cls.dims:
            steps.append(functools.partial(_check_dim, cls, d, params, fail))
    for step in steps:
        try:
            step()
        except _Stop:
            continue
