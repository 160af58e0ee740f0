"""How far a fitted network is from the data's interpolants: one question of the evaluation.

:func:`network_distances` over an :class:`~._evalcontext.EvalContext`; the columns are
:data:`DISTANCE_COLUMNS` (network rows only, NaN elsewhere).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ._distances import (_network_breakpoints_1d, _network_kinks_1d, _pl_distance_1d, nearest_knot_spline_1d,
                         nearest_triangulation)
from ._evalcontext import EvalContext

if TYPE_CHECKING:
    from .methods import Method

__all__ = ["DISTANCE_COLUMNS", "NetworkDistances", "network_distances"]

#: network rows only (NaN elsewhere): the split of a network's error and its distance to triangulations,
#: all L2 on the evaluation region of ``l2_inner`` (the hull when the inner region is not evaluated)
DISTANCE_COLUMNS = ["fit_l2", "between_l2", "nearest_l2", "nearest_exact", "nearest_lower_l2", "n_kinks",
                    "nearest_knots_l2", "n_directions"]


@dataclass
class NetworkDistances:
    """The answer of :func:`network_distances`.

    Attributes
    ----------
    columns : dict
        The :data:`DISTANCE_COLUMNS` values.
    nearest : dict
        The network's nearest fine triangulation for the gallery: ``simplices`` and
        ``values`` (the network at the data).
    """

    columns: dict[str, float | bool | None]
    nearest: dict[str, np.ndarray] = field(default_factory=dict)


def network_distances(ctx: EvalContext, method: Method) -> NetworkDistances:
    """How far a fitted network is from the data's interpolants (region of ``l2_inner``).

    With ``g = f_net`` and ``I_T`` linear interpolation on a triangulation
    ``T`` of the training points:

    ``fit_l2``
        ``||I_Del(g(X)) - f||``: the error the network's own values at the
        data would have as a Delaunay interpolant (zero fit error iff it
        interpolates ``y``; then this is Delaunay's own error).
    ``between_l2``
        ``||g - I_Del(g(X))||``: what the network does between the data,
        measured against Delaunay. ``l2 <= fit_l2 + between_l2``.
    ``nearest_l2``, ``nearest_exact``
        ``min_T ||g - I_T(g(X))||`` over fine triangulations ``T``
        (:func:`nearest_triangulation`): exact at every size (counting DP
        up to 20 points, integer program above); ``nearest_exact`` False
        only where a time limit (``nearest_time_limit``) struck, then
        ``nearest_lower_l2`` is the program's proven lower bound (equal to
        ``nearest_l2`` when exact): the true distance lies between them. In 1D the fine
        triangulation is unique (``nearest_l2 = between_l2``).
    ``n_directions``
        The network's quantised directions: groups of its live, non-negligible neurons
        by direction and sign (:func:`geoquant.nn.cluster_directions`, angle 1e-2).
    ``n_kinks``, ``nearest_knots_l2`` (1D)
        The network's kinks inside the hull (:func:`geoquant.nn.kinks_1d`,
        live neurons) and the distance to the nearest linear spline with
        that many interior knots at data points, interpolating ``g`` there
        (:func:`nearest_knot_spline_1d`, exact dynamic programme).

    In 1D every distance but ``fit_l2`` is exact (both functions are piecewise
    linear; integrated between their breakpoints); in 2D they use the
    quadrature of :func:`~geoquant.interpolate.pl_errors`.
    """
    region = ctx.distance_region
    gx = np.asarray(method.predict(ctx.X), dtype=float)
    fit = float(np.sqrt(ctx.l2sq(gx, ctx.tri.simplices, ctx.target, region).sum()))
    out: dict[str, float | bool | None] = {"fit_l2": fit, "n_directions": None}
    W = getattr(method, "W", None)
    if W is not None:
        from ..nn import cluster_directions

        out["n_directions"] = float(len(cluster_directions(W, getattr(method, "a"), points=ctx.X)))
    if ctx.dim == 1:
        return _distances_1d(ctx, method, gx, out)
    return _distances_2d(ctx, method, gx, out)


def _distances_1d(ctx: EvalContext, method: Method, gx: np.ndarray,
                  out: dict[str, float | bool | None]) -> NetworkDistances:
    """1D: exact integrals between the breakpoints; the fine triangulation is unique."""
    box = ctx.region_box(ctx.distance_region)
    X = ctx.X
    lo, hi = float(X.min()), float(X.max())
    if box is not None:
        lo, hi = max(lo, float(box[0, 0])), min(hi, float(box[0, 1]))
    kinks = _network_kinks_1d(method, X)  # merged: how many distinct kinks
    breaks = _network_breakpoints_1d(method)  # every breakpoint: exact integrals
    between = _pl_distance_1d(method.predict, X[:, 0], gx, breaks, lo, hi)
    inside = kinks[(kinks > X.min()) & (kinks < X.max())]
    knots_l2 = nearest_knot_spline_1d(X[:, 0], gx, method.predict, len(inside), kinks=breaks, region=(lo, hi))[1]
    out.update(between_l2=between, nearest_l2=between, nearest_exact=True, nearest_lower_l2=between,
               n_kinks=float(len(inside)),
               nearest_knots_l2=knots_l2)
    order = np.argsort(X[:, 0], kind="stable")  # the unique fine triangulation in 1D
    return NetworkDistances(out, {"simplices": np.stack([order[:-1], order[1:]], axis=1), "values": gx})


def _distances_2d(ctx: EvalContext, method: Method, gx: np.ndarray,
                  out: dict[str, float | bool | None]) -> NetworkDistances:
    """2D: against Delaunay and the nearest fine triangulation (quadrature of the error engine)."""
    region = ctx.distance_region
    c = ctx.config
    between = float(np.sqrt(ctx.l2sq(gx, ctx.tri.simplices, method.predict, region).sum()))
    near, l2sq, exact, lower = nearest_triangulation(method.predict, ctx.X, gx, box=ctx.region_box(region), seed=0,
                                                     degree=c.quadrature_degree, refine=c.refine,
                                                     time_limit=c.nearest_time_limit, return_bound=True)
    out.update(between_l2=between, nearest_l2=float(np.sqrt(max(l2sq, 0.0))), nearest_exact=bool(exact),
               nearest_lower_l2=float(np.sqrt(max(lower, 0.0))),
               n_kinks=None, nearest_knots_l2=None)
    # for the gallery: the network beside the interpolant of its own values on that triangulation
    return NetworkDistances(out, {"simplices": np.asarray(near, dtype=np.int64), "values": gx})
