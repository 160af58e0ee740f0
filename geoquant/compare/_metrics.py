"""Errors of a fitted method on the hull and on an inner region, bound ratios (rates: ``_rates``; distances: ``_distances``).

The evaluation is split by question over one shared :class:`~._evalcontext.EvalContext` (the data set's
Delaunay triangulation, regions, bounds and quadrature): :func:`error_metrics` (the errors),
:func:`bound_metrics` (bound ratios and RMS), :func:`~._netdistances.network_distances` (a network against
the data's interpolants and its nearest triangulation) and :class:`~._minnorm_compare.MinnormComparison`
(a network against the minimum representation-cost interpolant). :class:`Evaluator` asks them all.

Regions
-------
``hull``
    The convex hull of the training points (the union of any fine
    triangulation's simplices).
``inner``
    The hull intersected with the target's box shrunk by ``inner_margin`` times
    its width on every side (default 10%). Thin hull triangles along the
    boundary dominate Delaunay errors for uniform points in a square (their
    longest edges do not shrink with n, theory notes section 6), so rates are
    read on the inner region.

Quadrature
----------
* Piecewise-linear methods: the error engine
  :func:`geoquant.interpolate.simplex_errors` / :func:`~geoquant.interpolate.pl_errors`,
  simplex by simplex of the method's *own* triangulation, where ``f - I f`` is
  smooth: the Grundmann--Moeller rule of ``degree`` (``quadrature_degree`` in
  the spec) for L2, a barycentric lattice for Linf, on each simplex split
  ``refine`` times (the interpolant is the simplex's affine function on every
  child). With ``refine = 0`` the hull errors are ``interpolation_error``
  itself. Refining matters for sharp targets on coarse samples: for ``runge``
  with 25 points, a single degree-7 rule per triangle is 12% off, the refined
  rule agrees with finer ones to 1e-4. On the inner region the engine clips each
  simplex to the inner box (``box=``; pieces fan-triangulated, the interpolant
  stays the parent's affine function).
* Every other method: the Delaunay simplices (clipped for ``inner``) are
  split ``refine`` times uniformly (4**refine children per triangle in 2D,
  2**refine per interval in 1D) and the same Grundmann--Moeller rule is applied
  to ``(f - g)**2`` on every child; Linf is the maximum of ``|f - g|`` over the
  rule's nodes and a barycentric lattice of every child of order
  ``max(2, linf_order / 2**refine)`` (so at least the resolution of the
  piecewise-linear path per Delaunay simplex; a lower bound of the true maximum). The children resolve kinks of networks only up
  to their size, so for networks these are quadrature estimates, not exact.

Bounds
------
``bound_<region>`` is Waldron's bound ``1/2 M R_min^2`` of the *Delaunay*
triangulation (maximum over its simplices meeting the region), ``M`` the
target's certified Hessian bound. ``linf_ratio_<region> = linf / bound``
(<= 1 for the Delaunay interpolant, a theorem) and
``l2_ratio_<region> = l2 / (bound * sqrt(volume))`` (also <= 1 for Delaunay).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import numpy as np
from numpy.typing import ArrayLike

from .._deprecation import renamed_arguments
from ..errors import InvalidInputError
from ..interpolate import pl_errors
from ._evalcontext import REGIONS, EvalConfig, EvalContext
from ._minnorm_compare import (MINNORM_COLUMNS, MINNORM_MAX_N, MINNORM_SET_MAX_N, MINNORM_TIME_LIMIT,
                               MinnormComparison)
from ._netdistances import DISTANCE_COLUMNS, network_distances
from .methods import method_tags

if TYPE_CHECKING:
    from ..targets import Target
    from .methods import Method, Statistic

__all__ = [
    "EvalConfig", "EvalContext", "Evaluator", "evaluate", "error_metrics", "bound_metrics", "pl_errors", "REGIONS",
    "METRIC_COLUMNS", "DISTANCE_COLUMNS", "MINNORM_COLUMNS", "MINNORM_MAX_N", "MINNORM_SET_MAX_N",
    "MINNORM_TIME_LIMIT",
]

METRIC_COLUMNS = [
    f"{m}_{r}" for r in REGIONS for m in ("l2", "linf", "bound", "linf_ratio", "l2_ratio", "vol")
] + ["train_rmse"] + [f"rms_{r}" for r in REGIONS] + ["inner_full"]


# -- the errors ---------------------------------------------------------------------------------------
def error_metrics(ctx: EvalContext, method: Method) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """``l2_<region>``, ``linf_<region>`` and ``train_rmse`` of a fitted :class:`Method` (module docstring).

    Returns
    -------
    (columns, per_simplex)
        ``per_simplex``: region -> squared L2 error per simplex of the method's own triangulation
        (piecewise-linear methods; empty otherwise).
    """
    per_simplex: dict[str, np.ndarray] = {}
    if method.piecewise_linear and method.triangulation is not None:
        out = _pl_metrics(ctx, method, per_simplex)
    else:
        out = _generic_metrics(ctx, method)
    fx = method.predict(ctx.X)
    if not np.all(np.isfinite(fx)):
        raise InvalidInputError(f"method {method.name!r} predicted NaN/inf at training points")
    out["train_rmse"] = float(np.sqrt(np.mean((fx - ctx.y) ** 2)))
    return out, per_simplex


def _pl_metrics(ctx: EvalContext, method: Method, per_simplex: dict[str, np.ndarray]) -> dict[str, float]:
    """Exact per-simplex errors on the method's own triangulation."""
    tri = method.triangulation
    assert tri is not None  # error_metrics checks
    out = {}
    for r in ctx.regions:
        # on the hull with refine = 0 this is interpolation_error itself (the same engine, same arithmetic)
        box = None if r == "hull" else ctx.inner_box
        c = ctx.config
        sq, lin = pl_errors(ctx.X, tri.simplices, ctx.target, values=ctx.y, box=box, degree=c.quadrature_degree,
                            refine=c.refine, linf_order=c.linf_order)
        out[f"l2_{r}"] = float(np.sqrt(sq.sum()))
        out[f"linf_{r}"] = float(lin.max()) if len(lin) else 0.0
        per_simplex[r] = sq  # squared L2 error per simplex (integral of (f - I f)^2)
    return out


def _generic_metrics(ctx: EvalContext, method: Method) -> dict[str, float]:
    """Quadrature on the refined Delaunay cells (every method that is not piecewise linear)."""
    out = {}
    for r in ctx.regions:
        nodes, weights, f_nodes, lat, f_lat = ctx.generic_nodes(r)
        g = method.predict(nodes)
        gl = method.predict(lat)
        if not (np.all(np.isfinite(g)) and np.all(np.isfinite(gl))):
            raise InvalidInputError(
                f"method {method.name!r} predicted NaN/inf inside the convex hull ({r} region)"
            )
        out[f"l2_{r}"] = float(np.sqrt(max(float(np.sum(weights * (f_nodes - g) ** 2)), 0.0)))
        out[f"linf_{r}"] = float(max(np.abs(f_nodes - g).max(), np.abs(f_lat - gl).max()))
    return out


def bound_metrics(ctx: EvalContext, out: dict[str, Any]) -> dict[str, Any]:
    """``bound_``, ``vol_``, ``linf_ratio_``, ``l2_ratio_``, ``rms_`` per region and ``inner_full``,
    from the error columns in ``out`` (module docstring, "Bounds")."""
    cols: dict[str, Any] = {}
    for r in ctx.regions:
        b, vol = ctx.bound[r], ctx.volume[r]
        cols[f"bound_{r}"] = b
        cols[f"vol_{r}"] = vol
        linf, l2 = out.get(f"linf_{r}"), out.get(f"l2_{r}")
        # a ratio exists only for a positive finite bound; never store 0.0 or inf for "no bound"
        usable = b is not None and np.isfinite(b) and b > 0
        cols[f"linf_ratio_{r}"] = None if linf is None or not usable else float(linf / b)
        cols[f"l2_ratio_{r}"] = None if l2 is None or not usable or not vol > 0 else float(l2 / (b * np.sqrt(vol)))
        cols[f"rms_{r}"] = None if l2 is None or not vol > 0 else float(l2 / np.sqrt(vol))
    if "inner" in ctx.regions:
        cols["inner_full"] = 1.0 if ctx.inner_full else 0.0
        if not ctx.inner_full:  # a region that differs between samples: no RMS to fit rates to
            cols["rms_inner"] = None
    return cols


def _is_network(method: Any) -> bool:
    """Whether the distances to triangulations and the minnorm comparison apply: a trained network."""
    try:
        return method_tags(method).trains
    except InvalidInputError:  # not a Competitor (a duck-typed stand-in): what its class declares
        return bool(getattr(type(method), "trains", False))


# -- all questions, in the order a study asks them ----------------------------------------------------
class Evaluator(EvalContext):
    """Everything a study measures of the methods fitted to one data set.

    An :class:`~._evalcontext.EvalContext` (the Delaunay triangulation, the inner cells, the
    Waldron bounds, the quadrature nodes and the target's values there, built once) that asks
    every question of a fitted method: :meth:`evaluate` costs one ``predict`` call per region
    for each method, plus the network questions (:meth:`network_distances`,
    :meth:`minnorm_comparison`) for methods tagged ``trains``.

    Parameters
    ----------
    target : Target
        Callable ``(..., d) -> (...)`` with ``.domain (d, 2)`` and ``.hessian_bound``.
    points : (n_points, n_dims) ndarray
        The data points (kept as the attribute ``X``).
    values : (n_points,) ndarray
        The target's values at ``points`` (kept as the attribute ``y``).
    config : EvalConfig

    Attributes
    ----------
    last_per_simplex : dict
        After :meth:`evaluate`: region -> squared L2 error per simplex of a piecewise-linear
        method's triangulation (the gallery's ``per_simplex_<region>``).
    last_nearest : dict
        After :meth:`evaluate` of a network: its nearest fine triangulation and its values at
        the data (the gallery's ``near_*``).
    """

    @renamed_arguments(X="points", y="values")
    def __init__(self, target: Target, points: ArrayLike, values: ArrayLike, config: EvalConfig | None = None) -> None:
        super().__init__(target, points, values, config)
        self._minnorm = MinnormComparison(self)  # solves the data's minnorm program once, on first use
        self.last_per_simplex: dict[str, np.ndarray] = {}
        self.last_nearest: dict[str, np.ndarray] = {}

    def evaluate(self, method: Method | Statistic) -> dict:
        """Metrics of a fitted method or statistic (see the module docstring for the columns)."""
        self.last_per_simplex = {}
        self.last_nearest = {}
        network = _is_network(method)
        out = method.exact_metrics(self)
        if out is None:
            if not getattr(method, "pointwise", True):  # a Statistic has no predict() to measure
                raise InvalidInputError(f"statistic {method.name!r}: exact_metrics() returned None, expected its metrics")
            fitted = cast("Method", method)
            out, self.last_per_simplex = error_metrics(self, fitted)
            if network:
                out.update(self.network_distances(fitted))
        else:
            out = dict(out)
            out.setdefault("train_rmse", None)
        out.update(bound_metrics(self, out))
        if network:
            out.update(self.minnorm_comparison(method))
        return {k: (None if v is None else (v if isinstance(v, bool) else float(v))) for k, v in out.items()}

    def network_distances(self, method: Method) -> dict:
        """The :data:`DISTANCE_COLUMNS` of a fitted network (:func:`~._netdistances.network_distances`);
        keeps its nearest triangulation in :attr:`last_nearest`."""
        d = network_distances(self, method)
        self.last_nearest = d.nearest
        return d.columns

    def minnorm_comparison(self, method: Any) -> dict:
        """The :data:`MINNORM_COLUMNS` of a fitted network (:class:`~._minnorm_compare.MinnormComparison`;
        the data's minnorm interpolant is solved once per evaluator)."""
        return self._minnorm(method)


@renamed_arguments(X="points", y="values")
def evaluate(method: Method | Statistic, target: Target, points: ArrayLike, values: ArrayLike,
             config: EvalConfig | None = None) -> dict:
    """Metrics of a fitted ``method`` against ``target`` at the data ``points`` ``(n_points, n_dims)`` with
    sampled ``values`` ``(n_points,)`` (convenience wrapper of :class:`Evaluator`)."""
    return Evaluator(target, points, values, config).evaluate(method)
