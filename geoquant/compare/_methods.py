"""Methods behind one fit/predict interface.

Every competitor in a study -- linear interpolation on some triangulation, a
ReLU network, the theory engine's predicted function, and what a user would
pick instead (splines, RBF, k-NN, Gaussian processes) -- is a :class:`Method`:

>>> m = get_method("knn", n_neighbors=3).fit(X, y, target=f, seed=0)   # doctest: +SKIP
>>> m.predict(xi)                                                       # doctest: +SKIP

Piecewise-linear methods also expose ``.triangulation`` (a
:class:`~geoquant.triangulation.Triangulation`), so their errors are computed
exactly simplex by simplex. ``triangulation_mean`` is a *number*, not a
function: the mean squared L2 error over all fine triangulations; it has no
``predict`` and reports its metrics through :meth:`Method.exact_metrics`.

Heavy dependencies (torch, scikit-learn, the counting machinery) are imported
inside ``fit`` so that listing and validating methods stays cheap.
"""

from __future__ import annotations

import time
from typing import ClassVar

import numpy as np

from .._validation import as_float_array, check_option, check_points, check_query, check_values
from ..errors import InvalidInputError, UnsupportedError
from ._flipwalk import exact_cost_statistics, walk_from_delaunay
from ._params import BadValue, Param, check_params, positive_float, positive_int

__all__ = [
    "Method",
    "register_method",
    "get_method",
    "method_class",
    "list_methods",
    "METHOD_FAMILIES",
]

METHOD_FAMILIES = ("triangulation", "network", "theory", "baseline")

_REGISTRY: dict[str, type] = {}


def register_method(cls):
    """Class decorator: make a :class:`Method` subclass available by ``cls.name``."""
    if not isinstance(cls, type) or not issubclass(cls, Method):
        raise InvalidInputError(f"'cls' must be a subclass of geoquant.compare.Method, found {cls!r}")
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not name or not name.isprintable() or name in _REGISTRY:
        raise InvalidInputError(f"'cls.name' must be a new non-empty printable string, found {name!r} (empty, odd or already registered)")
    if cls.family not in METHOD_FAMILIES:
        raise InvalidInputError(f"'cls.family' must be one of {', '.join(METHOD_FAMILIES)}, found {cls.family!r}")
    _REGISTRY[cls.name] = cls
    return cls


def list_methods(family: str | None = None) -> list[str]:
    """Names of the registered methods (optionally of one family), sorted."""
    if family is not None:
        check_option(family, "family", METHOD_FAMILIES)
    return sorted(n for n, c in _REGISTRY.items() if family is None or c.family == family)


def method_class(name: str):
    """The :class:`Method` subclass registered as ``name``.

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


def get_method(name: str, **params) -> "Method":
    """Instantiate the method registered as ``name`` with ``params``."""
    return method_class(name)(**params)


class Method:
    """Base class: a way to turn samples ``(X, y)`` into a function.

    Parameters
    ----------
    **params
        The method's parameters (see ``params_schema``); unknown or ill-typed
        ones raise :class:`~geoquant.errors.InvalidInputError`.

    Attributes
    ----------
    name, family : str
        Registry name and family (``triangulation``, ``network``, ``theory``,
        ``baseline``).
    dims : tuple of int or None
        Input dimensions the method supports (``None``: any).
    piecewise_linear : bool
        After ``fit``, ``triangulation`` holds the triangulation it
        interpolates on (the exact-error path applies).
    pointwise : bool
        ``False`` for summary methods without ``predict`` (``triangulation_mean``).
    params : dict
        The checked parameters with defaults filled in.
    """

    name: ClassVar[str] = ""
    family: ClassVar[str] = "baseline"
    dims: ClassVar[tuple | None] = None
    piecewise_linear: ClassVar[bool] = False
    pointwise: ClassVar[bool] = True
    #: chooses using the true target (triangulation_best/worst): an oracle, not a method a user could run
    oracle: ClassVar[bool] = False
    description: ClassVar[str] = ""
    params_schema: ClassVar[dict] = {}
    #: modules a worker process should import once up front (slow imports shared via fork)
    preload: ClassVar[tuple] = ()

    def __init__(self, **params):
        self.params = check_params(self.params_schema, params, owner=f"method {self.name!r}")
        why = self.combined_problem(self.params)
        if why is not None:
            raise InvalidInputError(f"method {self.name!r}: {why}")
        self.triangulation = None
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
    def fit(self, X, y, *, target=None, seed=0):
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

    def predict(self, xi) -> np.ndarray:
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
        if not self.pointwise:
            raise UnsupportedError(f"method {self.name!r} is a summary over triangulations and has no predict()")
        if not self._fitted:
            raise InvalidInputError(f"method {self.name!r} must be fitted before predict()")
        q = check_query(xi, self.X_.shape[1], "xi")
        flat = q.reshape(-1, q.shape[-1])
        return np.asarray(self._predict(flat), dtype=np.float64).reshape(q.shape[:-1])

    def info(self) -> dict:
        """Scalars describing the fit (timings, losses, counts) for the result file."""
        return dict(self._info)

    def state(self) -> dict:
        """Arrays the report's gallery needs (simplices, network weights...)."""
        if self.triangulation is not None:
            return {"simplices": np.asarray(self.triangulation.simplices, dtype=np.int32)}
        return {}

    def exact_metrics(self, evaluator) -> dict | None:
        """Metrics computed by the method itself (``None``: evaluate ``predict``)."""
        return None

    # -- for subclasses -------------------------------------------------------------------
    def _fit(self, X, y, target, seed):  # pragma: no cover - abstract
        raise NotImplementedError

    def _predict(self, xi: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self):
        p = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{type(self).__name__}({p})"


# ======================================================================================
# Piecewise-linear interpolation on triangulations
# ======================================================================================


class _PiecewiseLinear(Method):
    family = "triangulation"
    piecewise_linear = True

    def _set_triangulation(self, tri):
        from ..interpolate import PiecewiseLinearInterpolant

        if not tri.is_fine:
            raise InvalidInputError(f"method {self.name!r} produced a triangulation that skips data points")
        self.triangulation = tri
        self._interp = PiecewiseLinearInterpolant(tri, self.y_)
        self._info["n_simplices"] = int(tri.n_simplices)

    def _predict(self, xi):
        return self._interp(xi)


@register_method
class DelaunayInterpolant(_PiecewiseLinear):
    """Linear interpolation on the Delaunay triangulation (in 1D: the linear spline)."""

    name = "delaunay"
    description = "linear interpolation on the Delaunay triangulation"

    def _fit(self, X, y, target, seed):
        from ..triangulation import delaunay

        self._set_triangulation(delaunay(X))


def _need_target(method, target):
    if target is None or not callable(target):
        raise InvalidInputError(
            f"method {method.name!r} optimises the error against the true function: pass target= to fit()"
        )
    return target


_EXTREMAL_SCHEMA = {
    "exact_max_points": Param(
        "int", 20, min=3, max=26,
        doc="exact over all triangulations (counting DP) up to this many points, sampled by flip walks above",
    ),
    "n_samples": positive_int(100, doc="flip-walk samples when not exact"),
}
_OPTIMUM_SCHEMA = {
    **_EXTREMAL_SCHEMA,
    "search": Param(
        "choice", "exact", choices=("exact", "flip_walk"),
        doc="above exact_max_points: 'exact' (integer program, optimal_triangulation) or 'flip_walk' (heuristic local optimum)",
    ),
    "time_limit": Param(
        "float", 600.0, min=0, min_exclusive=True, optional=True,
        doc="seconds for the exact search (None from Python: no limit); when reached, the best triangulation "
            "found (info: exact false, gap)",
    ),
}


def _triangulation_api(name):
    """A name from :mod:`geoquant.triangulation` (its private module while not yet re-exported)."""
    import importlib

    from .. import triangulation

    try:
        return getattr(triangulation, name)
    except AttributeError:
        home = {"cost_statistics": "_count", "count_triangulations": "_count", "sample_triangulations": "_enumerate"}
        return getattr(importlib.import_module(f"geoquant.triangulation.{home[name]}"), name)


def _pl_cost(X, y, target):
    """Squared L2 error of the interpolant on each triangle (the evaluator's default rule).

    The Linf lattice that :func:`pl_errors` also evaluates is discarded here, so it is
    taken at its smallest order (the L2 values do not depend on it)."""
    from ._metrics import pl_errors

    return lambda simplices: pl_errors(X, y, simplices, target, linf_order=2)[0]


def _extremal_triangulations(method, X, y, target, seed, which):
    """The best (``which="min"``) or worst (``"max"``) fine triangulation for the hull L2 error.

    Exact (counting DP over all triangulations) up to ``exact_max_points``
    points; above, exact by integer programming (``search="exact"``; with
    ``time_limit`` possibly the best found, ``info["exact"]`` False) or the
    best/worst of ``n_samples`` flip-walk samples improved by greedy flips to a
    local optimum (``search="flip_walk"``, heuristic). In 1D the fine
    triangulation is unique.
    Returns ``(triangulation, info)``.
    """
    from ..triangulation import Triangulation, delaunay

    n, d = X.shape
    if d == 1:
        return delaunay(X), {"exact": True, "n_triangulations": 1}
    if d != 2:
        raise UnsupportedError(f"method {method.name!r} is implemented in 1D and 2D, found dimension {d}")
    p = method.params
    cost = _pl_cost(X, y, target)
    if n <= p["exact_max_points"]:
        st = exact_cost_statistics(X, cost)
        if st is not None:
            t = st.argmin if which == "min" else st.argmax
            return _as_triangulation(X, t), {
                "exact": True, "oracle": "counting DP", "n_triangulations": int(st.count), "l2sq_min": float(st.min),
                "l2sq_max": float(st.max), "l2sq_mean": float(st.mean)}
    if p.get("search", "flip_walk") == "exact":
        from ..errors import TooLargeError as _TooLarge
        from ..triangulation import optimal_triangulation

        try:
            r = optimal_triangulation(X, cost, sense=which, time_limit=p["time_limit"])
        except _TooLarge:  # time limit before any triangulation: fall back to the flip walk
            r = None
        if r is not None:
            return r.triangulation, {
                "exact": bool(r.optimal), "oracle": "integer program (HiGHS)", f"l2sq_{which}": r.cost,
                "l2sq_bound": r.bound, "gap": r.gap, "n_candidates": r.n_candidates}
    walk = walk_from_delaunay(X, cost, seed)
    samples, totals = walk.sample(p["n_samples"])
    sign = 1.0 if which == "min" else -1.0
    i = int(np.argmin(sign * totals))
    from ._flipwalk import FlipWalk

    local = FlipWalk(X, samples[i], cost, seed=seed)
    local.descend(sign)
    best = local.simplices()
    if which == "min":  # also descend from Delaunay: often the better start for the minimum
        from_del = walk_from_delaunay(X, cost, seed)
        from_del.descend(1.0)
        if from_del.total < local.total:
            best, local = from_del.simplices(), from_del
    return Triangulation(X, best), {
        "exact": False, "oracle": "flip walk (heuristic local optimum)", "n_samples": len(samples),
        "l2sq_sampled_min": float(totals.min()),
        "l2sq_sampled_max": float(totals.max()), "l2sq_local_opt": float(local.total)}


def _as_triangulation(X, t):
    from ..triangulation import Triangulation

    if isinstance(t, Triangulation):
        return t
    return Triangulation(X, np.asarray(t, dtype=np.int64))


def _sampled_costs(X, simplex_cost, k, seed):
    """Totals of an additive cost over ``k`` flip-walk samples (costs computed once per distinct triangle)."""
    walk = walk_from_delaunay(X, None, seed)
    tris, _ = walk.sample(k)
    allsimp = np.concatenate(tris)
    uniq, inv = np.unique(allsimp, axis=0, return_inverse=True)
    c = as_float_array(simplex_cost(uniq), "cost")[inv.ravel()]
    bounds = np.cumsum([0] + [len(t) for t in tris])
    return tris, np.array([c[bounds[i] : bounds[i + 1]].sum() for i in range(len(tris))])


@register_method
class BestTriangulation(_PiecewiseLinear):
    """The fine triangulation with the least L2 error on the hull, exact at every
    size: the counting DP over all triangulations up to ``exact_max_points``
    points, the integer program of :func:`geoquant.triangulation.optimal_triangulation`
    above. ``search="flip_walk"`` uses instead the best of ``n_samples`` flip-walk
    samples and of a greedy flip descent from Delaunay (a heuristic local minimum)."""

    name = "triangulation_best"
    oracle = True
    description = "fine triangulation minimising the hull L2 error"
    params_schema = _OPTIMUM_SCHEMA

    def _fit(self, X, y, target, seed):
        best, info = _extremal_triangulations(self, X, y, _need_target(self, target), seed, "min")
        self._info.update(info)
        self._set_triangulation(best)


@register_method
class WorstTriangulation(_PiecewiseLinear):
    """The fine triangulation with the largest L2 error on the hull, exact at every
    size (counting DP up to ``exact_max_points`` points, the integer program of
    :func:`geoquant.triangulation.optimal_triangulation` above; with
    ``search="flip_walk"`` the worst flip-walk sample improved by greedy flips to
    a local maximum, a heuristic)."""

    name = "triangulation_worst"
    oracle = True
    description = "fine triangulation maximising the hull L2 error"
    params_schema = _OPTIMUM_SCHEMA

    def _fit(self, X, y, target, seed):
        worst, info = _extremal_triangulations(self, X, y, _need_target(self, target), seed, "max")
        self._info.update(info)
        self._set_triangulation(worst)


@register_method
class RandomTriangulation(_PiecewiseLinear):
    """A random fine triangulation (seeded): exactly uniform (unranking a uniform
    index of the counting structure) up to ``exact_max_points`` points,
    approximately uniform (Metropolis flip walk) above."""

    name = "triangulation_random"
    description = "uniformly random fine triangulation"
    params_schema = {"exact_max_points": _EXTREMAL_SCHEMA["exact_max_points"]}

    def _fit(self, X, y, target, seed):
        from ..errors import TooLargeError
        from ..triangulation import delaunay

        if X.shape[1] == 1:
            self._set_triangulation(delaunay(X))
            return
        if X.shape[0] <= self.params["exact_max_points"]:
            try:
                (t,) = _triangulation_api("sample_triangulations")(X, 1, seed=seed)
                self._info["exact"] = True
                self._set_triangulation(_as_triangulation(X, t))
                return
            except TooLargeError:
                pass
        tris, _ = walk_from_delaunay(X, None, seed).sample(1)
        self._info["exact"] = False
        self._set_triangulation(_as_triangulation(X, tris[0]))


@register_method
class MeanTriangulation(Method):
    """The mean squared L2 error over all fine triangulations (a number, not a function).

    Reported as ``l2_hull = sqrt(mean_T ||f - I_T f||^2)`` (the root mean
    square over triangulations), likewise on the inner region; the spread is in
    ``info`` (``l2sq_*_mean``, ``l2sq_*_std``). The mean is exact (counting DP
    over all triangulations with an additive cost) up to ``exact_max_points``
    points, a Monte Carlo mean over ``n_samples`` flip-walk samples
    (approximately uniform) above. Linf is not additive over simplices, so it
    is not reported.
    """

    name = "triangulation_mean"
    family = "triangulation"
    pointwise = False
    description = "mean squared L2 error over all fine triangulations"
    params_schema = _EXTREMAL_SCHEMA

    def _fit(self, X, y, target, seed):
        _need_target(self, target)
        if X.shape[1] not in (1, 2):
            raise UnsupportedError(f"method {self.name!r} is implemented in 1D and 2D, found dimension {X.shape[1]}")

    def state(self):
        return {}

    def exact_metrics(self, evaluator):
        X, seed = self.X_, self.seed_
        regions = list(evaluator.regions)

        def costs(region):
            return lambda simplices: evaluator.simplex_sq_errors(simplices, region)

        out, info = {}, {}
        if X.shape[1] == 1:
            from ..triangulation import delaunay

            tri = delaunay(X)
            for r in regions:
                s = float(np.sum(costs(r)(tri.simplices)))
                out[f"l2_{r}"] = np.sqrt(s)
                info[f"l2sq_{r}_mean"], info[f"l2sq_{r}_std"] = s, 0.0
            info.update(exact=True, n_triangulations=1)
        else:
            stats = {}
            if X.shape[0] <= self.params["exact_max_points"]:
                for r in regions:
                    st = exact_cost_statistics(X, costs(r))
                    if st is None:
                        break
                    stats[r] = st
            if len(stats) == len(regions):
                for r, st in stats.items():
                    out[f"l2_{r}"] = float(np.sqrt(max(st.mean, 0.0)))
                    info[f"l2sq_{r}_mean"] = float(st.mean)
                    info[f"l2sq_{r}_std"] = float(np.sqrt(max(st.var, 0.0)))
                    info["n_triangulations"] = int(st.count)
                info["exact"] = True
            else:
                for r in regions:
                    _, totals = _sampled_costs(X, costs(r), self.params["n_samples"], seed)
                    out[f"l2_{r}"] = float(np.sqrt(max(totals.mean(), 0.0)))
                    info[f"l2sq_{r}_mean"] = float(totals.mean())
                    info[f"l2sq_{r}_std"] = float(totals.std(ddof=1)) if len(totals) > 1 else 0.0
                info.update(exact=False, n_samples=self.params["n_samples"])
        for r in regions:
            out[f"linf_{r}"] = None
        self._info.update(info)
        return out


@register_method
class DataDependentTriangulation(_PiecewiseLinear):
    """A data-dependent triangulation (Dyn--Levin--Rippa style edge flips
    minimising ``criterion`` of the interpolant)."""

    name = "data_dependent"
    description = "data-dependent triangulation (edge flips on the data)"
    params_schema = {"criterion": Param("str", "jnd", doc="criterion of data_dependent_triangulation")}

    def _fit(self, X, y, target, seed):
        from ..triangulation import delaunay

        if X.shape[1] == 1:
            self._set_triangulation(delaunay(X))
            return
        from ..triangulation import data_dependent_triangulation

        t = data_dependent_triangulation(X, y, criterion=self.params["criterion"])
        self._set_triangulation(_as_triangulation(X, t))


# ======================================================================================
# Networks
# ======================================================================================

MAX_WIDTH = 1_000_000


def _check_width(width):
    if width > MAX_WIDTH:
        raise BadValue(f"a positive integer <= {MAX_WIDTH} (a network this wide cannot fit memory)")


_NETWORK_SCHEMA = {
    "width": positive_int(100, doc="hidden neurons (at most 10^6: wider ensembles cannot fit memory)",
                          extra_check=_check_width),
    "init_scale": positive_float(1e-4, doc="scale of the initial weights"),
    "init": Param("choice", "balanced", choices=("balanced", "gaussian", "pytorch"), doc="initialisation"),
    "lr": positive_float(0.05, doc="GD step size (flow: with n_steps, the time budget lr * n_steps)"),
    "n_steps": positive_int(10_000, doc="GD steps (when t_max is not given)"),
    "t_max": positive_float(
        None, optional=True, doc="budget in gradient-flow time (GD: n_steps = ceil(t_max / lr)); default lr * n_steps"
    ),
    "tol": Param("float", None, min=0, optional=True, doc="a model stops when its loss is below tol (absolute)"),
    "rmse_tol": Param(
        "float", 5e-4, min=0, doc="a model stops when its train RMSE <= rmse_tol * std(y) (when tol is not given)"
    ),
    "grad_tol": positive_float(
        1e-6, doc="stationarity tolerance (geoquant.nn._state.stationarity); the flow stops there"
    ),
    "rtol": positive_float(
        1e-4, doc="relative local error per step and neuron of the flow integrator (1e-3 let the loss rise near a fit)"
    ),
    "mode": Param("choice", "flow", choices=("gd", "flow"), doc="gradient flow (adaptive) or gradient descent"),
    "dtype": Param("choice", "float64", choices=("float32", "float64"), doc="training precision"),
    "center": Param("bool", False, doc="train on y - mean(y) and add the mean back (a fixed output bias)"),
    "restarts": Param("int", 1, min=1, max=999, doc="independent initialisations per sample (one result each)"),
}

#: parameters every member of one ensemble call must share (the rest -- init_scale,
#: lr, the seed and the data -- may differ per model)
NETWORK_SHARED_PARAMS = ("width", "init", "n_steps", "t_max", "tol", "rmse_tol", "grad_tol", "rtol", "mode", "dtype",
                         "center")

#: the regime axes of a network entry that may be given as lists in a spec (a grid)
REGIME_AXES = ("init_scale", "width", "lr")


def shared_params(params: dict) -> tuple:
    """Parameters every member of one ensemble must share (gradient flow also shares ``lr``;
    GD with a ``t_max`` too, since the step count follows from it)."""
    both = params.get("mode") == "flow" or params.get("t_max") is not None
    return NETWORK_SHARED_PARAMS + (("lr",) if both else ())


def network_forward(W: np.ndarray, a: np.ndarray, X: np.ndarray, c: float = 0.0) -> np.ndarray:
    """``f(x) = sum_j a_j relu(w_j . (x, 1)) + c`` in float64.

    Parameters
    ----------
    W : (width, n_dims + 1) ndarray
    a : (width,) ndarray
    X : (n_points, n_dims) ndarray
    c : float
        Constant output offset (the data mean of a ``center = true`` network).

    Returns
    -------
    (n_points,) ndarray
    """
    Xt = np.concatenate([X, np.ones((X.shape[0], 1))], axis=1)
    return np.maximum(Xt @ W.T, 0.0) @ a + c


#: most GD steps one network run may ask for (hours of CPU time already); more is an impossible budget
MAX_GD_STEPS = 10**8


class _Network(Method):
    family = "network"
    preload = ("torch", "geoquant.nn")
    params_schema = _NETWORK_SCHEMA

    @classmethod
    def combined_problem(cls, params: dict) -> str | None:
        if params.get("mode") != "gd":
            return None
        _, n_steps = _budget(params)
        if n_steps > MAX_GD_STEPS:
            given = f"t_max = {params['t_max']:g} at lr = {params['lr']:g}" if params["t_max"] is not None \
                else f"n_steps = {params['n_steps']}"
            return (f"an impossible budget: {given} asks for {n_steps:.3g} GD steps, more than the "
                    f"{MAX_GD_STEPS:.0e} allowed; use mode = 'flow' (adaptive steps) or a smaller budget")
        return None

    def _fit(self, X, y, target, seed):
        res = train_networks([X], [y], [self.params], [int(seed)], device=getattr(self, "device", None))
        self.set_trained(res, 0)

    def adopt(self, X, y, res: dict, index: int, *, target=None, seed=0):
        """Become model ``index`` of a batched training result on ``(X, y)``
        (what a study does instead of :meth:`fit`, to train an ensemble in one call)."""
        self.X_ = check_points(X, "X")
        self.y_ = check_values(y, self.X_.shape[0], "y")
        self.target_, self.seed_ = target, seed
        self.set_trained(res, index)
        return self

    def set_trained(self, res: dict, index: int):
        """Take model ``index`` of a result of :func:`train_networks`."""
        failure = res["failed"].get(index)
        if failure is not None:  # kept (frozen at its last finite parameters) and marked: status "unstable"
            self._info["training_failure"] = str(failure)
        self.W = np.asarray(res["W"][index], dtype=np.float64)
        self.a = np.asarray(res["a"][index], dtype=np.float64)
        self.c = float(res["c"][index]) if "c" in res else 0.0
        self._info.update({k: (v[index] if isinstance(v, list) else v) for k, v in res["info"].items()})
        self.device_ = res["device"]
        self._fitted = True

    def _predict(self, xi):
        return network_forward(self.W, self.a, xi, self.c)

    def state(self):
        return {"W": self.W, "a": self.a, "c": np.float64(self.c)}


@register_method
class SmallInitNetwork(_Network):
    """One-hidden-layer ReLU network from small initialisation (default balanced,
    scale 1e-4), trained by the adaptive gradient-flow integrator (default) or GD
    until it interpolates (train RMSE <= ``rmse_tol`` std(y)), becomes stationary
    (``grad_tol``) or spends its budget ``t_max`` in gradient-flow time: the regime
    whose features quantise. Each result carries its training state
    (:func:`geoquant.nn._state.training_state`)."""

    name = "network_small"
    description = "ReLU network from small initialisation"


@register_method
class StandardInitNetwork(_Network):
    """One-hidden-layer ReLU network from PyTorch's standard initialisation (same training and stops)."""

    name = "network_standard"
    description = "ReLU network from standard (PyTorch) initialisation"
    params_schema = {
        **_NETWORK_SCHEMA,
        "init": Param("choice", "pytorch", choices=("balanced", "gaussian", "pytorch"), doc="initialisation"),
        "init_scale": positive_float(1.0, doc="multiplies nn.Linear's default initialisation"),
    }


def _budget(p0) -> tuple[float, int]:
    """``(t_max, n_steps)`` of an ensemble: the gradient-flow time budget and the GD step count."""
    lr = float(p0["lr"])
    if p0["t_max"] is not None:
        t_max = float(p0["t_max"])
        return t_max, int(np.ceil(t_max / lr - 1e-9))
    return lr * p0["n_steps"], int(p0["n_steps"])


def earliest_escape_time(X, y, init_scale) -> float:
    """A lower bound on the gradient-flow time before any neuron of a small-init network is O(1).

    A neuron grows at relative rate at most ``|D| <= sum_i |y_i| |x~_i| / n`` while
    the network is tiny (theory notes section 2: ``d log|w|/dt = s G`` with
    ``|G| <= |D|``), so from scale ``init_scale`` it needs at least
    ``log(1 / init_scale) / (sum_i |y_i| |x~_i| / n)``. A budget below this
    cannot leave the initialisation. 0 when ``init_scale >= 1``.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    rate = float(np.mean(np.abs(y) * np.sqrt(1.0 + np.sum(X * X, axis=-1))))
    if init_scale >= 1 or rate <= 0:
        return 0.0
    return float(np.log(1.0 / init_scale) / rate)


def train_networks(Xs, ys, params, seeds, *, device=None) -> dict:
    """Train one network per ``(X, y, params, seed)`` in one ensemble call, to a stated end.

    Every model trains (gradient flow with adaptive steps by default, or GD)
    until it interpolates (loss below ``tol``, default train RMSE <=
    ``rmse_tol * std(y)``), becomes stationary (``grad_tol``; flow only -- GD is
    classified afterwards) or spends the budget ``t_max`` (gradient-flow time;
    default ``lr * n_steps``). Its training state
    (:func:`geoquant.nn._state.training_state`) goes into ``info``; a budget
    below :func:`earliest_escape_time` or a GD step above the stability limit
    ``2 / sharpness`` adds a ``warning``.

    Parameters
    ----------
    Xs : list of (n_points, n_dims) ndarray
        One sample per model (all of one size); shared if all are the same array.
    ys : list of (n_points,) ndarray
    params : list of dict
        Network parameters per model; :func:`shared_params` must agree,
        ``init_scale`` and ``lr`` may differ.
    seeds : list of int
        Initialisation seed per model (``train_gd(seed=[...])``), so each model
        is reproducible on its own.
    device : str, optional

    Returns
    -------
    dict
        ``W (n_models, width, d+1)``, ``a (n_models, width)`` (float64), ``c
        (n_models,)`` (output offsets: the means of ``y`` with ``center``),
        ``info`` (per-model lists: training state, steps, seconds, warnings),
        ``failed`` ({index: reason}), ``device`` (str). Plain data, cheap to pickle.
    """
    from ..nn import train_gd
    from ..nn._state import training_state

    m = len(Xs)
    p0 = params[0]
    for p in params[1:]:
        for k in shared_params(p0):
            if p[k] != p0[k]:
                raise InvalidInputError(f"networks trained together must share {k!r}: {p0[k]!r} != {p[k]!r}")
    c = np.array([float(np.mean(v)) if p0["center"] else 0.0 for v in ys])
    ys_fit = [np.asarray(v, dtype=np.float64) - ci for v, ci in zip(ys, c)]
    shared = all(X is Xs[0] for X in Xs)
    X = Xs[0] if shared else np.stack(Xs)
    y = np.stack(ys_fit)
    if p0["tol"] is not None:
        tol = np.full(m, float(p0["tol"]))
    elif p0["rmse_tol"] > 0:
        tol = 0.5 * (p0["rmse_tol"] * np.array([np.std(v) for v in ys_fit])) ** 2
    else:
        tol = None
    t_max, n_steps = _budget(p0)
    flow = p0["mode"] == "flow"
    kw = dict(
        width=p0["width"],
        n_models=m,
        init=p0["init"],
        init_scale=np.array([p["init_scale"] for p in params]),
        tol=tol,
        dtype=p0["dtype"],
        seed=[int(s) for s in seeds],
        device=device,
        method=p0["mode"],
        progress=False,
        checkpoints=0,
    )
    if flow:
        kw.update(t_max=t_max, rtol=p0["rtol"], grad_tol=p0["grad_tol"])
    else:
        kw.update(lr=np.array([p["lr"] for p in params]), n_steps=n_steps)
    t0 = time.perf_counter()
    res = train_gd(X, y, **kw)
    elapsed = time.perf_counter() - t0
    W = np.asarray(res.W, dtype=np.float64)
    a = np.asarray(res.a, dtype=np.float64)
    lrs = None if flow else np.array([p["lr"] for p in params])
    t_esc = np.array([earliest_escape_time(Xs[i], ys_fit[i], p["init_scale"]) if p["init"] != "pytorch" else 0.0
                      for i, p in enumerate(params)])
    states = training_state(res, np.stack(Xs), y, grad_tol=p0["grad_tol"], lr=lrs, min_plateau_time=t_esc)
    info = {k: [st[k] for st in states] for k in states[0]}
    info["train_s"] = [elapsed / m] * m
    info["ensemble_size"] = [m] * m
    info["t_max"] = [t_max] * m
    loss = np.asarray(res.loss, dtype=np.float64)
    info["final_loss"] = [float(v) for v in loss[-1]] if loss.ndim == 2 and len(loss) else [None] * m
    info["initial_loss"] = [float(v) for v in loss[0]] if loss.ndim == 2 and len(loss) else [None] * m
    conv = dict((int(i), s) for i, s in (getattr(res, "converged", None) or []))
    info["converged_at"] = [float(conv[i]) if i in conv else None for i in range(m)]
    stat_at = (res.config or {}).get("stationary_at") or [None] * m
    info["stationary_at"] = [None if v is None else float(v) for v in stat_at]
    warnings = []
    for i, p in enumerate(params):
        w = []
        if t_max < t_esc[i]:
            w.append(
                f"budget t_max={t_max:g} is below the earliest escape time {t_esc[i]:.4g} "
                f"(log(1/init_scale) / max growth rate): the network cannot leave its initialisation"
            )
        if states[i]["step_above_limit"]:
            w.append(
                f"step lr={p['lr']:g} is above the stability limit 2/sharpness="
                f"{states[i]['lr_stability_limit']:.4g} at the end of training: GD is unstable there"
            )
        warnings.append("; ".join(w) if w else None)
    info["warning"] = warnings
    failed = {int(i): str(reason) for i, reason in (getattr(res, "failed", None) or [])}
    dev = (getattr(res, "config", None) or {}).get("device", device or "cpu")
    return {"W": W, "a": a, "c": c, "info": info, "failed": failed, "device": _device_name(str(dev))}


def _device_name(dev: str) -> str:
    if dev.startswith("cuda"):
        try:
            import torch

            idx = torch.device(dev).index
            return f"{dev} ({torch.cuda.get_device_name(idx if idx is not None else 0)})"
        except Exception:  # pragma: no cover - best effort
            return dev
    return dev


# ======================================================================================
# Theory engine
# ======================================================================================


@register_method
class TheoryPrediction(Method):
    """The function the theory engine predicts small-initialisation gradient flow
    reaches (:func:`geoquant.theory.predict_function`, saddle-to-saddle
    reconstruction, ``f(x) = sum_j c_j relu(w_j . (x, 1))``; 1D and 2D).

    With ``directions = "limit"`` (default) it is the **init -> 0 limit** at
    infinite width: every stable extremal direction holds dormant neurons.
    With ``directions = "trainer"`` it is a finite-initialisation prediction: the
    dormant neurons start at the initial directions (and output-weight signs) a
    network of ``width`` neurons with initialisation ``init`` draws for the same
    seed (:func:`geoquant.nn._init.initialize`, as the trainer does), so only the
    attractors reached from them can escape. ``refit = "flow"`` (default)
    follows the active neurons by gradient flow between escapes (what float64
    gradient flow at init 1e-12 reproduces; ``"cells"`` and ``"fixed"`` are
    coarser fits, see :mod:`geoquant.theory._predict`).
    """

    name = "theory"
    family = "theory"
    dims = (1, 2)
    preload = ("geoquant.theory",)
    description = "theory engine's predicted function (init -> 0 limit)"
    params_schema = {
        "refit": Param("choice", "flow", choices=("flow", "cells", "fixed"), doc="fit after each escape"),
        "max_stages": positive_int(None, optional=True, doc="cap on escapes (default: the engine's)"),
        "directions": Param(
            "choice", "limit", choices=("limit", "trainer"),
            doc="init -> 0 limit, or the initial directions of the trainer's network for this seed",
        ),
        "width": positive_int(100, doc="with directions = 'trainer': the network's width"),
        "init": Param("choice", "balanced", choices=("balanced", "gaussian"),
                      doc="with directions = 'trainer': the network's initialisation"),
    }

    def _fit(self, X, y, target, seed):
        from ..theory import predict_function

        p = self.params
        kw = {"refit": p["refit"]}
        if p["max_stages"] is not None:
            kw["max_stages"] = p["max_stages"]
        if p["directions"] == "trainer":
            from ..nn._init import initialize

            start = initialize(1, p["width"], X.shape[1], init=p["init"], scales=np.ones(1), seeds=[int(seed)])
            kw["starts"] = start["W"][0].numpy()
            kw["signs"] = np.sign(start["a"][0].numpy())
        pf = predict_function(X, y, **kw)
        self.W = np.asarray(pf.weights, dtype=np.float64).reshape(-1, X.shape[1] + 1)
        self.a = np.asarray(pf.coefficients, dtype=np.float64).reshape(-1)
        self._info.update(
            n_stages=len(pf.stages), n_neurons=int(self.a.shape[0]), final_loss=float(pf.loss), stalled=bool(pf.stalled),
            regime="init -> 0 limit" if p["directions"] == "limit" else "finite init (trainer's initial directions)",
        )

    def _predict(self, xi):
        return network_forward(self.W, self.a, xi)

    def state(self):
        return {"W": self.W, "a": self.a}


@register_method
class MinNormInterpolantMethod(Method):
    """The minimum representation-cost interpolant, ``min sum_j |a_j| ||w_j||`` over
    shallow ReLU networks with ``f(x_i) = y_i`` (:func:`geoquant.theory.minnorm_interpolant`:
    exact convex program over the data's activation sectors; 2D needs ``geoquant[minnorm]``),
    returned as network weights: the function small-initialisation training is compared with."""

    name = "minnorm"
    family = "theory"
    dims = (1, 2)
    preload = ("geoquant.theory",)
    description = "minimum representation-cost ReLU interpolant"
    params_schema = {}

    def _fit(self, X, y, target, seed):
        from ..theory import minnorm_interpolant

        mn = minnorm_interpolant(X, y)
        self.W, self.a = mn.W, mn.a
        self._info.update(cost=mn.cost, n_neurons=int(mn.width), residual=mn.residual, solver=mn.solver)

    def _predict(self, xi):
        return network_forward(self.W, self.a, xi)

    def state(self):
        return {"W": self.W, "a": self.a}


# ======================================================================================
# Baselines: what a user would pick instead
# ======================================================================================


@register_method
class CloughTocher(Method):
    """scipy's CloughTocher2DInterpolator (C1 cubic on Qhull's Delaunay; NaN outside the hull)."""

    name = "clough_tocher"
    dims = (2,)
    description = "scipy CloughTocher2DInterpolator"

    def _fit(self, X, y, target, seed):
        from scipy.interpolate import CloughTocher2DInterpolator

        self._m = CloughTocher2DInterpolator(X, y)

    def _predict(self, xi):
        return self._m(xi)


@register_method
class CubicSplineMethod(Method):
    """scipy's CubicSpline through the sorted samples (1D, not-a-knot ends)."""

    name = "cubic_spline"
    dims = (1,)
    description = "scipy CubicSpline (1D)"
    params_schema = {"bc_type": Param("choice", "not-a-knot", choices=("not-a-knot", "natural", "clamped"))}

    def _fit(self, X, y, target, seed):
        from scipy.interpolate import CubicSpline

        order = np.argsort(X[:, 0])
        self._m = CubicSpline(X[order, 0], y[order], bc_type=self.params["bc_type"])

    def _predict(self, xi):
        return self._m(xi[:, 0])


@register_method
class RBFMethod(Method):
    """scipy's RBFInterpolator with the thin-plate spline kernel (and a linear tail)."""

    name = "rbf"
    description = "scipy RBFInterpolator (thin-plate spline)"
    params_schema = {
        "kernel": Param("str", "thin_plate_spline"),
        "smoothing": Param("float", 0.0, min=0),
        "epsilon": positive_float(None, optional=True),
    }

    def _fit(self, X, y, target, seed):
        from scipy.interpolate import RBFInterpolator

        kw = {"kernel": self.params["kernel"], "smoothing": self.params["smoothing"]}
        if self.params["epsilon"] is not None:
            kw["epsilon"] = self.params["epsilon"]
        self._m = RBFInterpolator(X, y, **kw)

    def _predict(self, xi):
        return self._m(xi)


@register_method
class KNNMethod(Method):
    """scikit-learn's KNeighborsRegressor (``n_neighbors`` capped at n, distance weights)."""

    preload = ("sklearn.neighbors",)
    name = "knn"
    description = "scikit-learn KNeighborsRegressor"
    params_schema = {
        "n_neighbors": positive_int(5),
        "weights": Param("choice", "distance", choices=("distance", "uniform")),
    }

    def _fit(self, X, y, target, seed):
        from sklearn.neighbors import KNeighborsRegressor

        k = min(self.params["n_neighbors"], X.shape[0])
        self._m = KNeighborsRegressor(n_neighbors=k, weights=self.params["weights"]).fit(X, y)

    def _predict(self, xi):
        return self._m.predict(xi)


@register_method
class GaussianProcessMethod(Method):
    """scikit-learn's GaussianProcessRegressor: constant x RBF kernel, length scale
    fitted by maximum likelihood (seeded restarts), tiny nugget, normalised y."""

    preload = ("sklearn.gaussian_process",)
    name = "gp"
    description = "scikit-learn GaussianProcessRegressor (RBF kernel)"
    params_schema = {
        "alpha": positive_float(1e-8, doc="nugget added to the kernel diagonal"),
        "length_scale": positive_float(0.3, doc="initial length scale (fitted)"),
        "n_restarts": Param("int", 0, min=0, doc="optimizer restarts"),
    }

    def _fit(self, X, y, target, seed):
        import warnings

        from sklearn.exceptions import ConvergenceWarning
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import RBF, ConstantKernel

        kernel = ConstantKernel(1.0, (1e-3, 1e3)) * RBF(self.params["length_scale"], (1e-3, 1e2))
        self._m = GaussianProcessRegressor(
            kernel=kernel,
            alpha=self.params["alpha"],
            normalize_y=True,
            n_restarts_optimizer=self.params["n_restarts"],
            random_state=int(seed),
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            self._m.fit(X, y)
        self._info["kernel"] = str(self._m.kernel_)

    def _predict(self, xi):
        return self._m.predict(xi)


@register_method
class KernelRidgeMethod(Method):
    """scikit-learn's KernelRidge with a Gaussian kernel; the default length scale
    is twice the mean nearest-neighbour distance of the samples."""

    preload = ("sklearn.kernel_ridge",)
    name = "kernel_ridge"
    description = "scikit-learn KernelRidge (RBF kernel)"
    params_schema = {
        "alpha": positive_float(1e-8),
        "length_scale": positive_float(None, optional=True),
    }

    def _fit(self, X, y, target, seed):
        from scipy.spatial import cKDTree
        from sklearn.kernel_ridge import KernelRidge

        ell = self.params["length_scale"]
        if ell is None:
            dist, _ = cKDTree(X).query(X, k=2)
            ell = 2.0 * float(np.mean(dist[:, 1]))
        self._info["length_scale"] = ell
        self._mean = float(np.mean(y))
        self._m = KernelRidge(alpha=self.params["alpha"], kernel="rbf", gamma=1.0 / (2 * ell**2)).fit(X, y - self._mean)

    def _predict(self, xi):
        return self._m.predict(xi) + self._mean
