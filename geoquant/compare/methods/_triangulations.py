"""Linear interpolation on triangulations: Delaunay, best, worst, random, mean, data-dependent."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
from numpy.typing import ArrayLike

from ..._validation import as_float_array
from ...errors import InvalidInputError, UnsupportedError
from ..._params import Param, positive_int
from ._base import Method, Statistic, _need_target, register_method

if TYPE_CHECKING:
    from ...targets import Target
    from ...triangulation import Triangulation


class _PiecewiseLinear(Method):
    family = "triangulation"
    piecewise_linear = True
    #: the cost model's range (``cost_terms``): above these sizes per dimension the cost is timed
    cost_max_n: ClassVar[dict[int, int]] = {}

    @classmethod
    def cost_terms(cls, dim: int, n: int, params: dict) -> dict[str, float] | None:
        """One cheap task up to ``cost_max_n[dim]`` points, else unknown (timed by a dry run)."""
        return {f"task_{dim}d": 1.0} if n <= cls.cost_max_n.get(dim, 0) else None

    def _set_triangulation(self, tri: Triangulation) -> None:
        from ...interpolate import PiecewiseLinearInterpolant

        if not tri.is_fine:
            raise InvalidInputError(f"method {self.name!r} produced a triangulation that skips data points")
        self.triangulation = tri
        self._interp = PiecewiseLinearInterpolant(tri, self.y_)
        self._info["n_simplices"] = int(tri.n_simplices)

    def _predict(self, xi: np.ndarray) -> np.ndarray:
        return self._interp(xi)


@register_method
class DelaunayInterpolant(_PiecewiseLinear):
    """Linear interpolation on the Delaunay triangulation (in 1D: the linear spline)."""

    name = "delaunay"
    description = "linear interpolation on the Delaunay triangulation"
    cost_max_n = {1: 256, 2: 64}

    def _fit(self, X: np.ndarray, y: np.ndarray, target: Target | None, seed: int) -> None:
        from ...triangulation import delaunay

        self._set_triangulation(delaunay(X))


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


def _triangulation_api(name: str) -> Any:
    """A name from :mod:`geoquant.triangulation` (its private module while not yet re-exported)."""
    import importlib

    from ... import triangulation

    try:
        return getattr(triangulation, name)
    except AttributeError:
        home = {"cost_statistics": "_count", "count_triangulations": "_count", "sample_triangulations": "_enumerate"}
        return getattr(importlib.import_module(f"geoquant.triangulation.{home[name]}"), name)


def _pl_cost(X: np.ndarray, y: np.ndarray, target: Target) -> Callable[[np.ndarray], np.ndarray]:
    """Squared L2 error of the interpolant on each triangle (the evaluator's default rule: degree 7, refine 2)."""
    from ...interpolate import simplex_errors

    return lambda simplices: simplex_errors(X, simplices, target, "l2", values=y, degree=7, refine=2).per_simplex


def _extremal_triangulations(
    method: Method, X: np.ndarray, y: np.ndarray, target: Target, seed: int, which: Literal["min", "max"]
) -> tuple[Triangulation, dict]:
    """The best (``which="min"``) or worst (``"max"``) fine triangulation for the hull L2 error.

    Exact (counting DP over all triangulations) up to ``exact_max_points``
    points; above, exact by integer programming (``search="exact"``; with
    ``time_limit`` possibly the best found, ``info["exact"]`` False) or the
    best/worst of ``n_samples`` flip-walk samples improved by greedy flips to a
    local optimum (``search="flip_walk"``, heuristic). In 1D the fine
    triangulation is unique.
    Returns ``(triangulation, info)``.
    """
    from ...triangulation import Triangulation, delaunay, exact_cost_statistics, walk_from_delaunay

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
        from ...errors import TooLargeError as _TooLarge
        from ...triangulation import optimal_triangulation

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
    from ...triangulation import FlipWalk

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


def _as_triangulation(X: np.ndarray, t: Triangulation | ArrayLike) -> Triangulation:
    from ...triangulation import Triangulation

    if isinstance(t, Triangulation):
        return t
    return Triangulation(X, np.asarray(t, dtype=np.int64))


def _sampled_costs(
    X: np.ndarray, simplex_cost: Callable[[np.ndarray], ArrayLike], k: int, seed: int
) -> tuple[list[np.ndarray], np.ndarray]:
    """Totals of an additive cost over ``k`` flip-walk samples (costs computed once per distinct triangle)."""
    from ...triangulation import walk_from_delaunay

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
    cost_max_n = {1: 256, 2: 14}  # 2D: the counting DP over all triangulations is fast up to here
    oracle = True
    description = "fine triangulation minimising the hull L2 error"
    params_schema = _OPTIMUM_SCHEMA

    def _fit(self, X: np.ndarray, y: np.ndarray, target: Target | None, seed: int) -> None:
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

    def _fit(self, X: np.ndarray, y: np.ndarray, target: Target | None, seed: int) -> None:
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

    def _fit(self, X: np.ndarray, y: np.ndarray, target: Target | None, seed: int) -> None:
        from ...errors import TooLargeError
        from ...triangulation import delaunay

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
        from ...triangulation import walk_from_delaunay
        tris, _ = walk_from_delaunay(X, None, seed).sample(1)
        self._info["exact"] = False
        self._set_triangulation(_as_triangulation(X, tris[0]))


@register_method
class MeanTriangulation(Statistic):
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
    needs_target = True
    description = "mean squared L2 error over all fine triangulations"
    params_schema = _EXTREMAL_SCHEMA

    def _fit(self, X: np.ndarray, y: np.ndarray, target: Target | None, seed: int) -> None:
        _need_target(self, target)
        if X.shape[1] not in (1, 2):
            raise UnsupportedError(f"method {self.name!r} is implemented in 1D and 2D, found dimension {X.shape[1]}")

    def exact_metrics(self, evaluator: Any) -> dict:  # a compare.Evaluator
        self._check_fitted()
        X, seed = self.X_, self.seed_
        regions = list(evaluator.regions)

        def costs(region: str) -> Callable[[np.ndarray], np.ndarray]:
            return lambda simplices: evaluator.simplex_sq_errors(simplices, region)

        out, info = {}, {}
        if X.shape[1] == 1:
            from ...triangulation import delaunay

            tri = delaunay(X)
            for r in regions:
                s = float(np.sum(costs(r)(tri.simplices)))
                out[f"l2_{r}"] = np.sqrt(s)
                info[f"l2sq_{r}_mean"], info[f"l2sq_{r}_std"] = s, 0.0
            info.update(exact=True, n_triangulations=1)
        else:
            stats = {}
            if X.shape[0] <= self.params["exact_max_points"]:
                from ...triangulation import exact_cost_statistics

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
    cost_max_n = {1: 256, 2: 40}
    description = "data-dependent triangulation (edge flips on the data)"
    params_schema = {"criterion": Param("str", "jnd", doc="criterion of data_dependent_triangulation")}

    def _fit(self, X: np.ndarray, y: np.ndarray, target: Target | None, seed: int) -> None:
        from ...triangulation import delaunay

        if X.shape[1] == 1:
            self._set_triangulation(delaunay(X))
            return
        from ...triangulation import data_dependent_triangulation

        t = data_dependent_triangulation(X, y, criterion=self.params["criterion"])
        self._set_triangulation(_as_triangulation(X, t))

