"""How far is a fitted network from the piecewise-linear interpolants of its own values (1D knots, 2D triangulations)?"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._deprecation import warn_deprecated
from ..errors import InvalidInputError, TooLargeError
from ..interpolate import simplex_errors

__all__ = ["nearest_triangulation", "nearest_knot_spline_1d"]


def _network_kinks_1d(method: Any, X: np.ndarray) -> np.ndarray:  # a fitted network Method: reads .W, .a
    """Sorted kink positions of a fitted 1D network, merged into clusters (live, non-negligible neurons).

    A count of the network's distinct kinks (``n_kinks``), **not** its breakpoints: a merged
    position is an amplitude-weighted mean of several nearby kinks. Integrals between the
    network's breakpoints use :func:`_network_breakpoints_1d`.
    """
    W = getattr(method, "W", None)
    if W is None:
        return np.zeros(0)
    from ..nn import kinks_1d

    return np.asarray(kinks_1d(method.W, method.a, points=X, exclude_dead=True).positions, dtype=float)


def _network_breakpoints_1d(method: Any) -> np.ndarray:  # a fitted network Method: reads .W, .a
    """Every breakpoint ``-b_j / w_j`` of a fitted 1D network, sorted, unmerged.

    One per neuron with ``w_j != 0`` and ``a_j != 0`` (dead, small and cancelling
    neurons included: an extra breakpoint never spoils an exact piecewise-linear
    integral, a missing one does). Without weights (not a network) an empty array.
    """
    W = getattr(method, "W", None)
    if W is None:
        return np.zeros(0)
    W = np.asarray(W, dtype=float).reshape(-1, 2)
    a = np.asarray(method.a, dtype=float).reshape(-1)
    live = (W[:, 0] != 0) & (a != 0)
    with np.errstate(over="ignore"):
        k = -W[live, 1] / W[live, 0]
    return np.sort(k[np.isfinite(k)])


def _pl_sq_integral(xs: np.ndarray, e: np.ndarray) -> float:
    """Exact integral of ``e**2`` for ``e`` linear between sorted breakpoints ``xs``."""
    h = np.diff(xs)
    return float(np.sum(h * (e[:-1] ** 2 + e[:-1] * e[1:] + e[1:] ** 2) / 3.0))


def _pl_distance_1d(
    g: Callable[[np.ndarray], ArrayLike], x: np.ndarray, gx: np.ndarray, kinks: np.ndarray, lo: float, hi: float
) -> float:
    """``||g - I(g(x))||_L2(lo, hi)`` exactly, for ``g`` piecewise linear with breakpoints ``kinks``."""
    if not hi > lo:
        return 0.0
    order = np.argsort(x)
    xs, vs = x[order], gx[order]
    bp = np.unique(np.concatenate([[lo, hi], xs, kinks]))
    bp = bp[(bp >= lo) & (bp <= hi)]
    e = np.asarray(g(bp[:, None]), dtype=float) - np.interp(bp, xs, vs)
    return float(np.sqrt(max(_pl_sq_integral(bp, e), 0.0)))


def nearest_knot_spline_1d(
    x: np.ndarray,
    values_at_points: np.ndarray,
    f_net: Callable[[np.ndarray], ArrayLike],
    n_knots: int,
    *,
    kinks: np.ndarray | None = None,
    region: tuple[float, float] | None = None,
) -> tuple[NDArray[np.int64], float]:
    """The linear spline with ``n_knots`` interior knots at data points nearest to a network (1D).

    The spline interpolates the network at its knots and at the two end points
    of the data; among all choices of ``n_knots`` interior data points it
    minimises ``||f_net - spline||`` on ``region`` (exact dynamic programme over
    the sorted points, ``O(n^2 n_knots)``; exact integrals when ``kinks`` lists
    all breakpoints of ``f_net``).

    Parameters
    ----------
    x : (n_points,) ndarray
    values_at_points : (n_points,) ndarray
        ``f_net(x)``.
    f_net : callable ``(m, 1) -> (m,)``
    n_knots : int
        Interior knots (capped at ``n_points - 2``: then the spline is the linear
        interpolant of all data).
    kinks : (k,) ndarray, optional
        Breakpoints of ``f_net``.
    region : (lo, hi), optional
        Integration interval (default the data's hull).

    Returns
    -------
    knots : (n_knots + 2,) ndarray of int
        Indices (into ``x``) of the knots including both ends, sorted by position.
    l2 : float
    """
    x = np.asarray(x, dtype=float).reshape(-1)
    order = np.argsort(x)
    xs, vs = x[order], np.asarray(values_at_points, dtype=float)[order]
    n = len(xs)
    k = int(min(max(n_knots, 0), n - 2))
    lo, hi = (xs[0], xs[-1]) if region is None else (float(region[0]), float(region[1]))
    kinks = np.zeros(0) if kinks is None else np.asarray(kinks, dtype=float)
    grid = np.unique(np.concatenate([xs, kinks, [lo, hi]]))
    g_grid = np.asarray(f_net(grid[:, None]), dtype=float)
    cost = np.full((n, n), np.inf)
    for i in range(n - 1):
        for j in range(i + 1, n):
            a, b = max(xs[i], lo), min(xs[j], hi)
            if not b > a:
                cost[i, j] = 0.0
                continue
            sel = (grid >= a) & (grid <= b)
            bp = grid[sel]
            line = vs[i] + (vs[j] - vs[i]) * (bp - xs[i]) / (xs[j] - xs[i])
            cost[i, j] = _pl_sq_integral(bp, g_grid[sel] - line)
    # best[c, j]: least cost of a spline from point 0 to point j using c interior knots
    best = np.full((k + 1, n), np.inf)
    prev = np.full((k + 1, n), -1, dtype=np.int64)
    best[0, 1:] = cost[0, 1:]
    prev[0, 1:] = 0
    for c in range(1, k + 1):
        for j in range(c + 1, n):
            cand = best[c - 1, c:j] + cost[c:j, j]
            i = int(np.argmin(cand))
            best[c, j], prev[c, j] = cand[i], c + i
    path, j, c = [n - 1], n - 1, k
    while j > 0:
        j = int(prev[c, j])
        c -= 1
        path.append(j)
    knots = order[np.array(path[::-1])]
    return knots, float(np.sqrt(max(best[k, n - 1], 0.0)))


def nearest_triangulation(f: Callable[[np.ndarray], ArrayLike] | ArrayLike, points: ArrayLike,
                          values: ArrayLike | Callable[[np.ndarray], ArrayLike], *,
                          box: np.ndarray | None = None, exact_max_points: int = 20, seed: int = 0,
                          degree: int = 7, refine: int = 2, time_limit: float = 600.0,
                          return_bound: bool = False) -> tuple:
    """The fine triangulation ``T`` minimising ``||f - I_T(f(X))||`` (squared L2, additive per simplex).

    Exact over all fine triangulations up to ``exact_max_points`` points (the
    counting DP's per-triangle-cost statistics, ``cost_statistics(...).argmin``);
    above, exact by the integer program of
    :func:`geoquant.triangulation.optimal_triangulation` (within ``time_limit``
    seconds; past it the best found, not exact); only if that finds nothing,
    a **heuristic**: greedy flip descent from Delaunay to a local minimum.
    (The sup-norm nearest triangulation, by enumeration or sampling, is
    :func:`geoquant.theory.nearest_triangulation_sup`; both take ``f, points, values``.)

    Parameters
    ----------
    f : callable ``(m, 2) -> (m,)``
        The function, e.g. a fitted network.
    points : (n_points, 2) array_like
    values : (n_points,) array_like
        ``f(points)``: the values the interpolants take at the points.
    box : (2, 2) ndarray, optional
        Restrict the integral to ``simplex & box`` (the inner region).
    exact_max_points : int
    seed : int
    degree, refine : int
        Quadrature of :func:`geoquant.interpolate.simplex_errors`.
    time_limit : float
        Seconds for the integer program above ``exact_max_points``.
    return_bound : bool
        Also return a proven lower bound on the minimum (the minimum itself when exact;
        the integer program's bound past its time limit; 0 for the flip-walk heuristic).

    Returns
    -------
    simplices : (k, 3) ndarray of int
    l2sq : float
        The minimised squared distance.
    exact : bool
        Whether it is the exact minimum over all fine triangulations.
    lower : float
        With ``return_bound=True``: a lower bound on the minimised squared distance.

    Notes
    -----
    The old argument order ``(points, values, f)`` (before geoquant 0.2) is recognised
    (``f`` is the one callable) and still accepted, with a ``DeprecationWarning``, until
    geoquant 0.3.0.
    """
    f_net: Callable[[np.ndarray], ArrayLike] | ArrayLike
    if callable(values) and not callable(f):  # the old order (points, values_at_points, f_net)
        warn_deprecated("nearest_triangulation(points, values, f)", "nearest_triangulation(f, points, values)")
        f_net, points, values = values, f, points
    else:
        f_net = f
    if not callable(f_net):
        raise InvalidInputError(f"'f' must be callable on points of shape (m, 2), found {type(f_net).__name__}")
    from ..triangulation import exact_cost_statistics, walk_from_delaunay

    X = np.asarray(points, dtype=float)
    vals = np.asarray(values, dtype=float)

    def cost(simplices: np.ndarray) -> np.ndarray:
        return simplex_errors(X, simplices, f_net, "l2", values=vals, degree=degree, refine=refine, box=box).per_simplex

    if X.shape[0] <= exact_max_points:
        st = exact_cost_statistics(X, cost)
        if st is not None:
            simp = st.argmin.simplices if hasattr(st.argmin, "simplices") else np.asarray(st.argmin)
            out = (np.asarray(simp, dtype=np.int64), float(st.min), True)
            return out + (float(st.min),) if return_bound else out
    from ..triangulation import optimal_triangulation

    try:
        r = optimal_triangulation(X, cost, sense="min", time_limit=time_limit)
    except TooLargeError:  # the time limit struck before any triangulation was found
        r = None
    if r is not None:
        out = (np.asarray(r.triangulation.simplices, dtype=np.int64), float(r.cost), bool(r.optimal))
        return out + (min(float(r.bound), float(r.cost)),) if return_bound else out
    walk = walk_from_delaunay(X, cost, seed)
    walk.descend(1.0)
    out = (walk.simplices(), float(walk.total), False)
    return out + (0.0,) if return_bound else out
