"""The distance from a network to the *set* of minimum-cost interpolants.

The minimum-cost interpolant is not unique (Savarese et al. 2019; in 1D every
function with the right jumps in the convex/concave stretches of the data is
one), so the sup distance to the one the solver returns
(:func:`geoquant.theory.minnorm_interpolant`) cannot show that a network is *not*
of minimum cost.  This module measures

    dist_eps(g) = inf { sup_{x in region} |g(x) - f(x)| :
                        f(x_i) = y_i,  R(f) <= (1 + eps) C* },

``R`` the representation cost (module :mod:`._minnorm`) and ``C*`` its minimum
over interpolants.

1D: an exact linear program (derived)
-------------------------------------
Let ``Z`` be the data, the kinks of ``g`` inside the data's hull and the ends of
the region.  Replace any feasible ``f`` by its linear interpolant at ``Z`` on the
hull, continued by ``f``'s own end slopes: (i) it still interpolates (the data
are nodes); (ii) its cost is no larger: each chord slope is an average of ``f'``
over its gap, so the sequence (end slope, chord slopes, end slope) has total
variation at most ``int |f''|`` and the end slopes are unchanged (Savarese's
``R(f) = max(int |f''|, |f'(-inf) + f'(+inf)|)``); (iii) its sup distance to ``g``
on the region is no larger: between two nodes both functions are linear, so the
difference peaks at nodes, where the two ``f`` agree.  So the infimum is a
linear program over the values ``F`` at ``Z``, the end slopes ``s_L, s_R`` and
bounds ``e_j`` on the slope jumps at the nodes::

    min delta   s.t.  F = y at the data,  |F_j - g(z_j)| <= delta (z_j in region),
                      |jump_j(F, s_L, s_R)| <= e_j,  sum e_j <= B,  |s_L + s_R| <= B,

with ``B = (1 + eps) C*`` -- exact, not a bound.  (Nodes closer than ``1e-12`` of
the data's range to a data point are that data point: ``g`` is then linear between
nodes up to that much.)

2D: a certified lower bound
---------------------------
The supremum over the region is bounded below by the maximum over a finite set
of points ``Q`` in it (default: the data and the centroids of the Delaunay
triangles in the region), and the set of functions by the set of value vectors
on ``P = data + Q`` of networks of cost at most ``B`` that interpolate -- which,
by the reduction of :mod:`._minnorm_lines` (with ``P`` in place of the data), are
exactly those of networks whose crease lines pass through points of ``P``.  The
resulting program (``min delta`` over such networks with the band rows and the
cost budget) is solved by the same column generation, and its value is bounded
from below by weak duality: the master's multipliers, repaired to be dual
feasible (band multipliers non-negative and summing to 1, the constant's row
balanced) with the price of cost set to the *exact* dual norm of the pricing
weights over all arcs, give ``lower = -(rhs . z) - B * dual_norm``.  So
``distance <= sup over Q <= true distance``; more nodes give a larger bound.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .._validation import as_float_array, check_memory, check_points, check_positive, check_query, check_values
from ..errors import InvalidInputError, UnsupportedError
from ..nn import network_forward
from ._minnorm import MinNormInterpolant, _network, minnorm_interpolant
from ._minnorm_lines import (
    Arcs,
    Deadline,
    Master,
    check_time_limit,
    column_generation,
    dual_norm,
    lines_memory,
    progress_bar,
)

__all__ = ["MinNormSetDistance", "minnorm_set_distance"]

#: relative slack on the budget ``B = (1 + eps) C* (1 + _BUDGET_SLACK)``: the solver's own minimiser stays feasible
_BUDGET_SLACK = 1e-9


@dataclass(eq=False)
class MinNormSetDistance:
    """The distance from a network to the set of (near-)minimum-cost interpolants.

    Attributes
    ----------
    distance : float
        1D: ``dist_eps(g)``, exact (a linear program).  2D: a certified lower
        bound on it (the maximum over ``nodes`` instead of the region, and weak
        duality; module docstring).
    exact : bool
        True in 1D.
    eps : float
        The cost tolerance: interpolants with ``R(f) <= (1 + eps) C*``.
    cost : float
        ``C*``, the minimum cost (:attr:`MinNormInterpolant.cost`).
    budget : float
        ``(1 + eps) C* (1 + 1e-9)`` (the small slack keeps the solver's own
        minimiser feasible in floating point).
    upper : float
        2D: the value of the final restricted program (an upper bound on the
        node-restricted problem, not on the true distance); 1D: ``distance``.
    nodes : (n_nodes, n_dims) ndarray
        Where the supremum is taken: 1D the breakpoints ``Z`` in the region; 2D
        the data and nodes in the region.
    network_values : (n_nodes,) ndarray
        ``g`` at the nodes.
    nearest_values : (n_nodes,) ndarray
        A nearest member's values at the nodes (1D: a piecewise-linear minimiser
        with kinks at the nodes; 2D: the restricted program's values).
    end_slopes : (2,) ndarray or None
        1D: the nearest member's slopes left of the data and right of them.
    iterations : int
        Master solves (2D); 1 in 1D.
    """

    distance: float
    exact: bool
    eps: float
    cost: float
    budget: float
    upper: float
    nodes: np.ndarray
    network_values: np.ndarray
    nearest_values: np.ndarray
    end_slopes: np.ndarray | None = None
    iterations: int = 1

    def __repr__(self) -> str:
        kind = "exact" if self.exact else "lower bound"
        return (f"MinNormSetDistance(distance={self.distance:.6g} ({kind}), eps={self.eps:g}, cost={self.cost:.10g}, "
                f"n_nodes={self.nodes.shape[0]})")


def _region(region: ArrayLike | None, X: np.ndarray) -> np.ndarray:
    d = X.shape[1]
    hull = np.column_stack([X.min(axis=0), X.max(axis=0)])
    if region is None:
        return hull
    r = as_float_array(region, "region")
    if r.shape != (d, 2) or np.any(r[:, 0] > r[:, 1]):
        raise InvalidInputError(f"'region' must be a box of shape ({d}, 2) with lower <= upper, found {r.tolist()}")
    return r


# ---------------------------------------------------------------------------
# 1D: exact LP
# ---------------------------------------------------------------------------
def _nodes_1d(x: np.ndarray, kinks: np.ndarray, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    """Sorted nodes (the data, the kinks inside the hull, ``lo``, ``hi``) and which are data."""
    x1, xn = float(x.min()), float(x.max())
    tol = 1e-12 * (xn - x1)
    extra = np.concatenate([kinks[(kinks > x1) & (kinks < xn)], [lo, hi]])
    extra = extra[(extra >= x1) & (extra <= xn)]
    xs = np.sort(x)
    # drop extra nodes within tol of a data point (they are that point) and of each other
    pos = np.clip(np.searchsorted(xs, extra), 1, xs.size - 1)
    near = np.minimum(np.abs(extra - xs[pos - 1]), np.abs(extra - xs[pos]))
    extra = np.unique(extra[near > tol])
    if extra.size > 1:
        extra = extra[np.concatenate([[True], np.diff(extra) > tol])]
    z = np.concatenate([xs, extra])
    is_data = np.concatenate([np.ones(xs.size, bool), np.zeros(extra.size, bool)])
    o = np.argsort(z, kind="stable")
    return z[o], is_data[o]


def _set_distance_1d(W: np.ndarray, a: np.ndarray, x: np.ndarray, y: np.ndarray, budget: float,
                     lo: float, hi: float, time_limit: float | None) -> tuple[float, np.ndarray, np.ndarray,
                                                                              np.ndarray, np.ndarray]:
    from scipy.optimize import linprog
    from scipy.sparse import csr_matrix, hstack, identity, vstack

    live = (W[:, 0] != 0) & (a != 0)
    kinks = -W[live, 1] / W[live, 0]
    z, is_data = _nodes_1d(x, kinks, lo, hi)
    g = network_forward(W, a, z[:, None], check_input=False)
    m = z.size
    h = np.diff(z)
    # slopes of the m - 1 gaps: S F; jumps at the m nodes: [s_1 - sL, s_2 - s_1, ..., sR - s_{m-1}]
    r = np.r_[np.arange(m - 1), np.arange(m - 1)]
    c = np.r_[np.arange(m - 1), np.arange(1, m)]
    S = csr_matrix((np.concatenate([-1 / h, 1 / h]), (r, c)), shape=(m - 1, m))
    jump_F = vstack([S[:1], S[1:] - S[:-1], -S[-1:]]).tocsr()
    js = np.zeros((m, 2))
    js[0, 0] = -1.0
    js[-1, 1] = 1.0
    J = hstack([jump_F, csr_matrix(js)])  # over [F (m) | sL, sR]
    nv = m + 2 + m + 1  # F, sL, sR, e, delta
    I = identity(m, format="csr")
    z1 = csr_matrix((m, 1))
    band = np.flatnonzero((z >= lo) & (z <= hi))
    B = csr_matrix((np.ones(band.size), (np.arange(band.size), band)), shape=(band.size, m))
    ones_b = csr_matrix(-np.ones((band.size, 1)))
    rows = [
        hstack([J, -I, z1]),  # jump - e <= 0
        hstack([-J, -I, z1]),  # -jump - e <= 0
        hstack([csr_matrix((1, m + 2)), csr_matrix(np.ones((1, m))), csr_matrix((1, 1))]),  # sum e <= B
        hstack([B, csr_matrix((band.size, 2 + m)), ones_b]),  # F - delta <= g
        hstack([-B, csr_matrix((band.size, 2 + m)), ones_b]),  # -F - delta <= -g
    ]
    ends = np.zeros((2, nv))
    ends[0, m], ends[0, m + 1] = 1.0, 1.0
    ends[1, m], ends[1, m + 1] = -1.0, -1.0
    A_ub = vstack(rows + [csr_matrix(ends)]).tocsr()
    b_ub = np.concatenate([np.zeros(2 * m), [budget], g[band], -g[band], [budget, budget]])
    yz = np.interp(z, np.sort(x), y[np.argsort(x, kind="stable")])  # the data's values at the data nodes
    lb = np.full(nv, -np.inf)
    ub = np.full(nv, np.inf)
    lb[:m][is_data] = ub[:m][is_data] = yz[is_data]
    lb[m + 2 :] = 0.0
    cost = np.zeros(nv)
    cost[-1] = 1.0
    options: dict[str, Any] = {"primal_feasibility_tolerance": 1e-9, "dual_feasibility_tolerance": 1e-9}
    if time_limit is not None:
        options["time_limit"] = max(float(time_limit), 1e-3)
    res = linprog(cost, A_ub=A_ub, b_ub=b_ub, bounds=np.column_stack([lb, ub]), method="highs", options=options)
    if res.status == 1 and time_limit is not None:
        from ..errors import TooLargeError

        raise TooLargeError(f"minnorm_set_distance did not finish within time_limit={time_limit:g} s; raise time_limit")
    if res.status != 0:
        from ..errors import SolverError

        raise SolverError(f"the 1D set-distance LP failed (HiGHS status {res.status}): {res.message}")
    F = res.x[:m]
    return float(res.x[-1]), z[band], g[band], F[band], res.x[m : m + 2].copy()


# ---------------------------------------------------------------------------
# 2D: certified lower bound by column generation
# ---------------------------------------------------------------------------
def _default_nodes_2d(X: np.ndarray, box: np.ndarray) -> np.ndarray:
    from ..triangulation import delaunay

    tri = delaunay(X)
    cent = X[tri.simplices].mean(axis=1)
    inside = np.all((cent >= box[:, 0]) & (cent <= box[:, 1]), axis=1)
    return np.asarray(cent[inside], dtype=np.float64)


def _start_columns(master: Master, W: np.ndarray, a: np.ndarray) -> None:
    """Columns that represent the network ``(W, a)`` on ``P``: each neuron as a combination of neurons
    with the same weights whose crease passes through a point of ``P`` (plus the free constant)."""
    P = master.arcs.P
    for (w0, w1, b), aj in zip(W, a):
        nw = float(np.hypot(w0, w1))
        if nw == 0 or aj == 0:
            continue
        u = np.array([w0, w1]) / nw
        beta = -(P @ u)  # the bias at which the crease passes through each point
        bb = b / nw
        below = np.flatnonzero(beta <= bb)  # active (or on the crease) at this bias
        if below.size == 0:
            continue  # zero on P
        k1 = int(below[np.argmax(beta[below])])  # the breakpoint at or below the bias
        ks = [k1]
        above = np.flatnonzero(beta > bb)
        if above.size:
            ks.append(int(above[np.argmin(beta[above])]))
        for k in ks:
            master.add(k, master.arcs.locate(k, u), float(np.sign(aj)))


def _set_distance_2d(W: np.ndarray, a: np.ndarray, X: np.ndarray, y: np.ndarray, mn: MinNormInterpolant,
                     budget: float, box: np.ndarray, nodes: np.ndarray, deadline: Deadline,
                     progress: bool | None) -> tuple[float, float, np.ndarray, np.ndarray, np.ndarray, int]:
    from scipy.sparse import csr_matrix, identity, vstack

    n = X.shape[0]
    scale = float(np.ptp(X, axis=0).max())
    if nodes.size:  # nodes on a data point are that data point
        dmin = np.min(np.linalg.norm(nodes[:, None, :] - X[None, :, :], axis=2), axis=1)
        nodes = nodes[dmin > 1e-9 * scale]
    P = np.concatenate([X, nodes])
    N = P.shape[0]
    in_box = np.all((P >= box[:, 0]) & (P <= box[:, 1]), axis=1)
    band = np.flatnonzero(in_box)
    g = network_forward(W, a, P, check_input=False)
    Sel = csr_matrix((np.ones(band.size), (np.arange(band.size), band)), shape=(band.size, N))
    F = vstack([identity(N, format="csr")[:n], Sel, -Sel]).tocsr()
    rhs = np.concatenate([y, g[band], -g[band]])
    dcoef = np.concatenate([np.zeros(n), -np.ones(2 * band.size)])
    arcs = Arcs(P)
    master = Master(arcs, F, rhs, n_zero=n, delta_coef=dcoef, budget=budget)
    _start_columns(master, mn.W, mn.a)  # feasible: the solver's interpolant costs C* <= budget
    with progress_bar(progress, f"minnorm set distance {N} points 2D", unit="solve") as bar:
        floor = 1e-10 * max(1.0, float(np.max(np.abs(y))), float(np.max(np.abs(g))))
        upper, x, z, _, _, iterations = column_generation(master, deadline, bar, stop_below=floor)
    # certified lower bound: repair the multipliers to dual feasibility, price cost by the exact dual norm
    R = F.shape[0]
    zf = z[:R].copy()
    zf[n:] = np.maximum(zf[n:], 0.0)
    tot = float(np.sum(zf[n:]))
    lower = 0.0
    if tot > 0:
        zf /= tot
        zeta = F.T @ zf
        zf[:n] -= float(np.sum(zeta)) / n
        pi = -(F.T @ zf)
        nu, _ = dual_norm(P, np.asarray(pi, dtype=np.float64), arcs)
        lower = max(0.0, float(-(rhs @ zf) - budget * nu))
    # the data rows alone bound the distance: |g(x_i) - y_i| <= delta at data in the region
    data_band = band[band < n]
    if data_band.size:
        lower = max(lower, float(np.max(np.abs(g[data_band] - y[data_band]))))
    V, U, c0 = master.neurons(x)
    Pt = np.column_stack([P, np.ones(N)])
    nearest = c0 + np.maximum(Pt @ V.T, 0.0).sum(axis=1) - np.maximum(Pt @ U.T, 0.0).sum(axis=1)
    return lower, float(upper), P[band], g[band], nearest[band], iterations


def minnorm_set_distance(
    W: ArrayLike,
    a: ArrayLike,
    points: ArrayLike,
    values: ArrayLike,
    *,
    eps: float = 1e-6,
    region: ArrayLike | None = None,
    nodes: ArrayLike | None = None,
    minnorm: MinNormInterpolant | None = None,
    time_limit: float | None = None,
    progress: bool | None = None,
) -> MinNormSetDistance:
    """Sup distance from a network to the set of interpolants of near-minimum representation cost.

    ``dist_eps(g) = inf { sup_region |g - f| : f(x_i) = y_i, R(f) <= (1 + eps) C* }``
    over all shallow ReLU networks ``f`` (any width; the cost of
    :func:`minnorm_interpolant`).  Exact in 1D (a linear program over the
    breakpoints of ``g`` and the data); a certified lower bound in 2D (the
    supremum over finitely many nodes, and weak duality).  See the module
    docstring for the derivations.

    Parameters
    ----------
    W : (width, n_dims + 1) array_like
        The network ``g``'s rows ``[w_j | b_j]``.
    a : (width,) array_like
        Its output weights: ``g(x) = sum_j a_j relu(w_j . x + b_j)``.
    points : (n_points, n_dims) array_like
        The data (n_dims 1 or 2).
    values : (n_points,) array_like
        The data's values.
    eps : float
        Cost tolerance (``>= 0``); the default ``1e-6`` is the set of minimisers
        up to the solver's accuracy.  The distance decreases as ``eps`` grows; a
        network that interpolates exactly with cost ratio ``r`` is at distance 0
        for ``eps >= r - 1``.
    region : (n_dims, 2) array_like, optional
        Box ``[[lo, hi], ...]`` where the supremum is taken, intersected with the
        data's hull in 1D (default: the data's bounding box; the hull in 1D).
    nodes : (n_nodes, 2) array_like, optional
        2D: the points besides the data where the supremum is taken (default:
        the centroids of the Delaunay triangles in the region).  Ignored in 1D.
    minnorm : MinNormInterpolant, optional
        :func:`minnorm_interpolant` of the same data (solved when omitted).
    time_limit : float, optional
        Seconds; past it :class:`TooLargeError`.
    progress : bool, optional
        2D column generation progress bar (None: on a terminal after 2 s).

    Returns
    -------
    MinNormSetDistance

    Raises
    ------
    InvalidInputError, UnsupportedError (n_dims >= 3), TooLargeError (memory
    budget or time limit), SolverError.

    Examples
    --------
    Convex data (0, 0), (1, 0), (2, 1), (3, 3): every convex interpolant with end
    slopes 0 and 2 costs the minimum 2, e.g. the spline and the function with one
    kink at 1.5 on [1, 2]; that one is in the set (distance 0), while the solver's
    spline is 0.5 away from it at x = 1.5:

    >>> import numpy as np
    >>> x, y = np.array([0.0, 1.0, 2.0, 3.0]), np.array([0.0, 0.0, 1.0, 3.0])
    >>> W, a = np.array([[1.0, -1.5]]), np.array([2.0])  # g = 2 relu(x - 1.5) interpolates at cost 2
    >>> mn = minnorm_interpolant(x, y)
    >>> round(mn.cost, 9), round(float(abs(mn([1.5]) - 0.0)), 9)
    (2.0, 0.5)
    >>> round(minnorm_set_distance(W, a, x, y, minnorm=mn).distance, 9)
    0.0
    """
    X = check_points(points, "points")
    y = check_values(values, X.shape[0], "values")
    W_, a_ = _network(W, a)
    n, d = X.shape
    if d > 2:
        raise UnsupportedError(f"minnorm_set_distance supports 'points' with n_dims 1 or 2, found n_dims={d}")
    if W_.shape[1] != d + 1:
        raise InvalidInputError(f"'W' must have shape (width, {d + 1}) for {d}D 'points', found {W_.shape}")
    eps = check_positive(eps, "eps", strict=False)
    limit = check_time_limit(time_limit)
    if progress is not None and not isinstance(progress, (bool, np.bool_)):
        raise InvalidInputError(f"'progress' must be None, True or False, found {progress!r}")
    box = _region(region, X)
    if minnorm is None:
        minnorm = minnorm_interpolant(X, y, time_limit=limit, progress=progress)
    elif not isinstance(minnorm, MinNormInterpolant) or minnorm.points.shape != X.shape \
            or not np.allclose(minnorm.points, X) or not np.allclose(minnorm.values, y):
        raise InvalidInputError("'minnorm' must be the MinNormInterpolant of 'points' and 'values'")
    budget = (1.0 + eps) * minnorm.cost * (1.0 + _BUDGET_SLACK)
    what = f"minnorm_set_distance on {n} points in {d}D"
    deadline = Deadline(limit, what, "raise time_limit, or use fewer points or nodes")
    if d == 1:
        lo, hi = max(float(box[0, 0]), float(X.min())), min(float(box[0, 1]), float(X.max()))
        if lo > hi:
            raise InvalidInputError(f"'region' must meet the data's hull [{X.min():g}, {X.max():g}], found "
                                    f"[{box[0, 0]:g}, {box[0, 1]:g}]")
        check_memory(8.0 * 40 * (n + W_.shape[0]) + 1e6, what, "use a network with fewer neurons")
        dist, zn, gz, Fz, ends = _set_distance_1d(W_, a_, X[:, 0], y, budget, lo, hi, deadline.left())
        return MinNormSetDistance(distance=dist, exact=True, eps=eps, cost=minnorm.cost, budget=budget, upper=dist,
                                  nodes=zn[:, None], network_values=gz, nearest_values=Fz, end_slopes=ends)
    Q = _default_nodes_2d(X, box) if nodes is None else check_query(nodes, 2, "nodes").reshape(-1, 2)
    check_memory(lines_memory(n + Q.shape[0], 2), what, "pass fewer 'nodes', or use fewer points")
    lower, upper, Pn, gz, fz, its = _set_distance_2d(W_, a_, X, y, minnorm, budget, box, Q, deadline, progress)
    return MinNormSetDistance(distance=lower, exact=False, eps=eps, cost=minnorm.cost, budget=budget, upper=upper,
                              nodes=Pn, network_values=gz, nearest_values=fz, iterations=its)
