"""Predicted functions of small-initialization gradient descent (saddle to saddle).

What is derived and what is heuristic
-------------------------------------
* **Derived** (docs/theory.md §2): while the network is tiny, each neuron's direction
  follows ``d w^/dt = s (I - w^ w^T) D(w^)`` and ``log|w|`` grows at rate ``s G(w^)``;
  with initial scale ``lambda -> 0`` and time measured in units of ``log(1/lambda)``
  the directions jump instantly to the stable extremal directions of their
  basins, and a cluster of neurons at direction ``p`` escapes (reaches size
  ``O(1)``) when its accumulated log-growth ``int s G dt`` reaches 1.
* **Heuristic [D/U in docs/theory.md §3]**: what happens after an escape.  Here the
  escaping cluster joins the *active* set and the loss is minimised over the
  active neurons only ("fit"), the residual changes, the still-dormant clusters
  flow (instantly) to the attractors of the new potential ``G_k`` and keep
  accumulating ``s G_k``; the next cluster whose accumulated growth reaches 1
  escapes, and so on.  This is the Alternating-Gradient-Flow picture
  (arXiv 2506.06489) in the small-initialization limit.  It is a reconstruction,
  not a theorem: real training has finite ``lambda`` and width, the fit phase
  is not instantaneous and active neurons may leave the cells the fit allows.
  The loop stops ("stalls") when no dormant cluster can grow: exactly the
  spurious stationary points of docs/theory.md §5 (e.g. the affine least-squares fit
  for all-positive data).

The fit ("refit"; its kernels live in :mod:`._refit`)
-----------------------------------------------------
``"flow"`` (default): the active neurons are trained by small-step gradient
descent on the loss while the dormant clusters' directions follow the changing
field ``D`` (they stay infinitesimal; a dormant cluster sitting on a hyperplane
is split into one particle per adjacent cell); when the loss changes by less
than 1e-5 (relative) per 1000 steps, L-BFGS finishes the fit of the active
neurons.  The escaping cluster enters as a cloud, not a point: its direction and
``2 d`` directions ``1e-3`` away along the sphere (on a hyperplane: on both
sides of it), together of norm ``1e-4``, balanced.  The fit may take the
members to different cells, e.g. when the cluster's kink reaches a data point
and the members past it are pushed on while the others are pushed back: the
cluster splits, as GD's clusters do (held-out sines n = 12 seed 2 of
benchmarks/validate_limit.py: GD from 1e-60 ends at loss 0.0013750, a single
representative at 0.0015465, the cloud at 0.0013748, for cloud widths 1e-4 to
1e-2); members left in one cell are merged into one neuron.  Dormant clusters
at one direction are one cluster only if their accumulated growths agree: the
laggers stay dormant when the leader escapes.  Afterwards the dormant clusters
flow to the attractors of the new ``G``.  This follows the real dynamics most
closely (active neurons rotate and may change cells; dormant directions move
during the fit); the order of escapes whose times are close depends on the
finite ``lambda`` of a real run, and the alignment transient on it too
(:attr:`PredictedFunction.limit_scale`).
``"cells"``: a cluster that escaped at direction ``p`` may rotate only within the
closed cells whose closure contains ``p``.  On the data, ``relu(v . x~_i)`` is
linear in ``v`` on a closed cell, so the best fit is a non-negative least-squares
problem in the extreme rays of the cells with unique fitted values
(``scipy.optimize.nnls`` on sign-flipped features); dormant clusters jump from
their old attractors by the flow of the new ``G``.
``"fixed"``: the escaped directions stay fixed and only the output weights are
fitted, with ``sign(c_j) = s_j`` (the construction ``f_k = argmin L`` over
``sum_j c_j relu(w_j . x~)`` of docs/theory.md §3).

Off the data the predicted function is ``sum_j c_j relu(w_j . x~)`` with the
fitted neurons; between data points it is determined by the fit only through
the kinks/creases the fitted neurons have (e.g. in 1D a cell allows the kink
anywhere in a gap between two data points; the fit picks one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from .._validation import (
    as_float_array,
    check_fraction,
    check_int,
    check_option,
    check_points,
    check_positive,
    check_values,
)
from ..errors import InvalidInputError, TooLargeError, UnsupportedError
from ..nn import network_forward
from ._alignment import augment
from ._basins import flow_directions
from ._distance import sup_distance
from ._extremal import ExtremalDirection, extremal_directions
from ._function import PredictedFunction, Stage
from ._refit import _adjacent_cells, _fit, _flow_fit, _loss
from ._sectors import _normalize, sectors as _sectors_fn

__all__ = ["predict_function", "reachable_functions"]


@dataclass(eq=False)
class _Cluster:
    direction: np.ndarray
    sign: int
    u: float  # accumulated log-growth / log(1/lambda); escapes at 1


@dataclass(eq=False)
class _State:
    fitted: np.ndarray
    units: tuple
    W: np.ndarray  # flow: raw neuron parameters; cells/fixed: unit directions
    a: np.ndarray  # flow: raw output weights; cells/fixed: signed coefficients
    clusters: list
    t: float
    stages: list
    choices: tuple
    converged: bool = True


#: the flow refit's numerical start norm and cloud spread of an escaping cluster (``predict_function``'s defaults)
_ESCAPE_NORM = 1e-4
_CLOUD_SPREAD = 1e-3


class _Engine:
    def __init__(
        self, X: np.ndarray, y: np.ndarray, refit: str, rtol: float, eps: float = _ESCAPE_NORM,
        spread: float = _CLOUD_SPREAD,
    ) -> None:
        self.X, self.y = X, y
        self.n, self.d = X.shape
        self.Xt = augment(X)
        self.Xh = _normalize(self.Xt)
        self.sec = _sectors_fn(X, method="geometric")
        self.refit = refit
        self.rtol = rtol
        self.eps = eps
        self.spread = spread
        self.u_tol = 1e-9  # accumulated growths (units of log(1/lambda)) closer than this are one cluster
        self.scale0 = float(np.sum(np.abs(y / self.n) * np.linalg.norm(self.Xt, axis=1)))
        self._ext_cache: dict = {}

    def extremal(self, fitted: np.ndarray) -> list[ExtremalDirection]:
        key = np.round(fitted, 12).tobytes()
        if key not in self._ext_cache:
            r = (self.y - fitted) / self.n
            self._ext_cache[key] = extremal_directions(self.X, r=r, sectors=self.sec, rtol=self.rtol)
        return self._ext_cache[key]

    def rate_tol(self) -> float:
        return 1e-7 * self.scale0

    def move(self, clusters: list[_Cluster], fitted: np.ndarray) -> list[_Cluster]:
        """Flow the dormant clusters to the attractors of the current G (splitting at boundaries)."""
        r = (self.y - fitted) / self.n
        out = []
        for c in clusters:
            cells = _adjacent_cells(self.sec, self.Xh, c.direction)
            if len(cells) == 1:
                starts = [c.direction]
            else:
                starts = [(1 - 1e-6) * c.direction + 1e-6 * self.sec.directions[k] for k in cells]
            ends, pats = flow_directions(self.Xt, r, np.array(starts), c.sign, atol=self.sec.atol)
            for e, pat in zip(ends, pats):
                if not np.any(pat):
                    continue  # dead: never revives
                out.append(_Cluster(e, c.sign, c.u))
        # clusters that reached the same direction with the same accumulated growth are one; with different
        # growth they are not: their norms differ by a factor lambda^(du), so when the leader escapes the
        # laggers are still dormant there (a set of initial directions of positive measure) and move on
        merged: list[_Cluster] = []
        for c in sorted(out, key=lambda c: -c.u):
            if not any(m.sign == c.sign and float(m.direction @ c.direction) > 1 - 1e-12 and m.u - c.u <= self.u_tol
                       for m in merged):
                merged.append(c)
        return merged

    def straddle(self, p: np.ndarray) -> np.ndarray:
        """``(k, d + 1)``: ``p`` itself in an open cell, else one direction nudged into each adjacent cell."""
        cells = _adjacent_cells(self.sec, self.Xh, p)
        if len(cells) <= 1:
            return p[None, :].copy()
        Q = (1 - self.spread) * p[None, :] + self.spread * self.sec.directions[cells]
        return Q / np.linalg.norm(Q, axis=1, keepdims=True)

    def cloud(self, p: np.ndarray) -> np.ndarray:
        """``(2 d + 1, d + 1)``: ``p`` and ``p +- spread t`` for a tangent basis ``t`` at ``p`` (unit rows).

        The neurons of an escaping cluster: a cloud around its attractor, not a point. They fit as one
        neuron unless the fit takes them across a hyperplane that splits them (e.g. a cluster whose kink
        reaches a data point while the neurons past it are pushed on and those before it are pushed
        back); a single representative cannot split and stays on one side.
        """
        D = self.d + 1
        T = np.linalg.svd(np.eye(D) - np.outer(p, p))[0][:, : D - 1].T  # orthonormal tangent basis at p
        Q = np.vstack([p, p + self.spread * T, p - self.spread * T])
        return Q / np.linalg.norm(Q, axis=1, keepdims=True)

    def merge_unsplit(self, W: np.ndarray, a: np.ndarray, m0: int) -> tuple[np.ndarray, np.ndarray]:
        """Merge the members ``m0:`` of the escaped cloud that the fit left in one cell into one neuron.

        Members with the same activation pattern on the data are one neuron there: ``sum_j a_j relu(w_j .
        x~_i) = relu(u . x~_i)`` with ``u = sum_j a_j w_j`` (one cell is a convex cone), kept balanced
        (``|a| = |w| = sqrt|u|``). Only members the fit took to different cells stay apart: a split.
        """
        if len(W) - m0 <= 1:
            return W, a
        pats = (self.Xt @ W[m0:].T > 0).T
        rows, coef = [W[:m0]], [a[:m0]]
        for pat in np.unique(pats, axis=0):
            j = m0 + np.flatnonzero(np.all(pats == pat, axis=1))
            u = a[j] @ W[j]
            nu = float(np.linalg.norm(u))
            if nu == 0.0:
                continue
            s = float(np.sign(a[j[0]]))
            rows.append((s * u / np.sqrt(nu))[None, :])
            coef.append(np.array([s * np.sqrt(nu)]))
        return np.vstack(rows), np.concatenate(coef)

    def rate(self, c: _Cluster, fitted: np.ndarray) -> float:
        r = (self.y - fitted) / self.n
        return float(c.sign * (np.maximum(self.Xt @ c.direction, 0.0) @ r))

    def record_for(self, c: _Cluster, fitted: np.ndarray) -> ExtremalDirection:
        best, ang = None, np.inf
        for e in self.extremal(fitted):
            if e.sign != c.sign:
                continue
            a = float(np.arccos(np.clip(e.direction @ c.direction, -1, 1)))
            if a < ang:
                best, ang = e, a
        if best is not None and ang < 1e-6:
            return best
        # an endpoint that is not a listed extremal direction (e.g. on a flat arc)
        G = float(np.maximum(self.Xt @ c.direction, 0.0) @ ((self.y - fitted) / self.n))
        return ExtremalDirection(
            direction=c.direction, sign=c.sign, value=G, kind="boundary", stable=False,
            cell=(self.Xh @ c.direction) > self.sec.atol, through=(), adjacent=(), codim=-1,
        )

    def units_for(self, c: _Cluster) -> list[tuple]:
        if self.refit == "cells":
            return [(int(k), c.sign) for k in _adjacent_cells(self.sec, self.Xh, c.direction)]
        return [(tuple(np.round(c.direction, 14)), c.sign)]

    # -- the state machine ------------------------------------------------------
    def initial(self, starts: np.ndarray | None = None, signs: ArrayLike | None = None) -> _State:
        ext = self.extremal(np.zeros(self.n))
        if starts is None:
            # the init -> 0 limit at infinite width: every stable extremal direction holds neurons (it
            # has an open basin), and so does every flat cell (flat_particles), both signs
            clusters = [_Cluster(e.direction.copy(), e.sign, 0.0) for e in ext if e.stable]
            clusters += [_Cluster(p, sg, 0.0) for p in self.flat_particles() for sg in (1, -1)]
        else:
            # finite width: only the attractors reached from the given initial directions
            clusters = []
            r = self.y / self.n
            for sg in (1, -1):
                sel = starts[signs == sg]
                if len(sel) == 0:
                    continue
                ends, pats = flow_directions(self.Xt, r, sel, sg, atol=self.sec.atol)
                ends = ends[np.any(pats, axis=1)]  # dead: never revives
                # distinct endpoints (many starts reach the same attractor): exact duplicates first
                ends = np.unique(np.round(ends, 12), axis=0) if len(ends) else ends
                for e in ends:
                    if not any(c.sign == sg and float(c.direction @ e) > 1 - 1e-10 for c in clusters):
                        clusters.append(_Cluster(e / np.linalg.norm(e), sg, 0.0))
        D = self.d + 1
        return _State(np.zeros(self.n), (), np.zeros((0, D)), np.zeros(0), clusters, 0.0, [], ())

    def flat_particles(self) -> np.ndarray:
        """Dormant particles of the flat cells of the initial potential: ``(m, d + 1)`` unit directions.

        In the init -> 0 limit at infinite width neurons start in every cell, both signs. Those in
        a cell with a non-zero field ``D_sigma`` flow to a stable extremal direction (a strict
        local maximum of ``s G``: its basin is open). Those in a *flat* cell (``D_sigma = 0``, e.g.
        only points with ``y_i = 0`` active) do not move and do not grow: they stay spread over the
        cell, and a later potential may send different parts of it to different attractors (the
        quickstart's sines data: the cell where only the corner ``x = 1``, ``y = 0`` is active holds
        the neurons of the third escape). Each flat cell keeps a particle at its interior direction
        and one near each of its vertices. In 1D that is every attractor reachable from a set of
        initial directions of positive measure (on an arc a linear potential has at most one
        critical point, so every later trajectory starts in a piece touching an end); in 2D a flat
        edge (zero projected field on a circle) is not represented.
        """
        sec = self.sec
        Xh = self.Xh
        D = sec.fields(self.y / self.n)
        tol = 1e-9 * float(np.sum(np.abs(self.y / self.n) * np.linalg.norm(self.Xt, axis=1)))
        flat = np.flatnonzero((np.linalg.norm(D, axis=1) <= tol) & sec.patterns.any(axis=1))
        parts = []
        for k in flat:
            parts.append(sec.directions[k])
            if sec.cell_vertices is not None and sec.vertices is not None:
                for v in np.asarray(sec.cell_vertices[k], dtype=np.int64):
                    q = sec.vertices[v] + 1e-3 * sec.directions[k]
                    parts.append(q / np.linalg.norm(q))
        P = np.array(parts).reshape(-1, self.d + 1)
        return P[np.any((P @ Xh.T) > 0, axis=1)] if len(P) else P

    def candidates(self, st: _State, population: str) -> tuple[list[_Cluster], np.ndarray, np.ndarray]:
        """(clusters, rates, order): the clusters that can grow, soonest escape first."""
        if population == "all":
            cand = [_Cluster(e.direction.copy(), e.sign, 0.0) for e in self.extremal(st.fitted) if e.stable]
        else:
            cand = st.clusters
        rates = np.array([self.rate(cl, st.fitted) for cl in cand])
        grow = np.flatnonzero(rates > self.rate_tol()) if len(cand) else np.zeros(0, dtype=np.int64)
        times = (1.0 - np.array([cand[i].u for i in grow])) / rates[grow] if grow.size else np.zeros(0)
        return cand, rates, grow[np.argsort(times, kind="stable")]

    def advance(
        self, st: _State, cand: list[_Cluster], rates: np.ndarray, pick: int, rank: int, track: bool
    ) -> _State:
        cl = cand[pick]
        dt = max((1.0 - cl.u) / rates[pick], 0.0)
        others = [
            _Cluster(o.direction.copy(), o.sign, o.u + rates[i] * dt) for i, o in enumerate(cand) if i != pick
        ] if track else []
        rec = self.record_for(cl, st.fitted)
        converged = st.converged
        if self.refit == "flow":
            members = self.cloud(cl.direction)  # the escaping cluster: a cloud the fit may split
            W = np.vstack([st.W, self.eps / np.sqrt(len(members)) * members])
            a = np.append(st.a, np.full(len(members), cl.sign * self.eps / np.sqrt(len(members))))
            # a dormant cluster on a hyperplane straddles it: one particle per adjacent cell
            parts = [(o, q) for o in others for q in self.straddle(o.direction)]
            U = np.array([q for _, q in parts]).reshape(-1, self.d + 1)
            S = np.array([o.sign for o, _ in parts], dtype=float)
            t_min = 2.0 * np.log(1.0 / self.eps) / rates[pick]
            W, a, U, ok = _flow_fit(self.Xt, self.y, W, a, U, S, self.scale0, t_min)
            W, a = self.merge_unsplit(W, a, len(st.W))
            converged = converged and ok
            amp = np.abs(a) * np.linalg.norm(W, axis=1)
            keep = amp > 1e-12 * max(float(amp.max(initial=0.0)), 1e-300)
            W, a = W[keep], a[keep]
            others = [_Cluster(u, o.sign, o.u) for (o, _), u in zip(parts, U)]
            fitted = network_forward(W, a, self.Xt, augmented=True, check_input=False)
            units: tuple = ()
        else:
            grown = list(st.units)
            for u in self.units_for(cl):
                if u not in grown:
                    grown.append(u)
            fitted, W, a = _fit(grown, self.sec, self.Xt, self.y, self.refit)
            units = tuple(grown)
        margin = min((1.0 - o.u for o in others), default=float("inf"))
        stage = Stage(len(st.stages), rec, st.t + dt, float(rates[pick]), _loss(st.fitted, self.y),
                      _loss(fitted, self.y), fitted.copy(), margin)
        clusters = self.move(others, fitted) if track else []
        return _State(fitted, units, W, a, clusters, st.t + dt, st.stages + [stage], st.choices + (rank,), converged)

    def function(self, st: _State, stalled: bool) -> PredictedFunction:
        if self.refit == "flow":
            nw = np.linalg.norm(st.W, axis=1)
            weights = st.W / np.maximum(nw, 1e-300)[:, None]
            coef = st.a * nw
        else:
            weights, coef = st.W, st.a
        return PredictedFunction(
            points=self.X, values=self.y, stages=st.stages, weights=weights, coefficients=coef, fitted=st.fitted,
            loss=_loss(st.fitted, self.y), stalled=stalled, refit=self.refit, choices=st.choices,
            _meta={"fit_converged": st.converged},
        )

    def state_key(self, st: _State, population: str) -> tuple:
        if self.refit == "flow":
            nw = np.linalg.norm(st.W, axis=1, keepdims=True)
            act: tuple | frozenset = tuple(sorted(map(tuple, np.round(np.hstack([st.W / np.maximum(nw, 1e-300), np.sign(st.a)[:, None]]), 6))))
        else:
            act = frozenset(st.units)
        dorm = () if population == "all" else tuple(
            sorted((c.sign,) + tuple(np.round(c.direction, 6)) for c in st.clusters)
        )
        return (act, dorm, tuple(np.round(st.fitted, 8)))


def _check_xy(points: ArrayLike, values: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    X = check_points(points, "points")
    if X.shape[1] > 2:
        raise UnsupportedError(f"predicted functions need 'points' with n_dims 1 or 2, found n_dims={X.shape[1]}")
    y = check_values(values, X.shape[0], "values")
    return X, y


def predict_function(
    points: ArrayLike,
    values: ArrayLike,
    *,
    refit: Literal["flow", "cells", "fixed"] = "flow",
    max_stages: int | None = None,
    rtol: float = 1e-9,
    starts: ArrayLike | None = None,
    signs: ArrayLike | None = None,
    escape_norm: float = _ESCAPE_NORM,
    cloud_spread: float = _CLOUD_SPREAD,
) -> PredictedFunction:
    """The function the saddle-to-saddle reconstruction predicts for small-init GD.

    Parameters
    ----------
    points : (n_points, n_dims) array_like
        Distinct inputs, n_dims 1 or 2.
    values : (n_points,) array_like
        Targets ``y``.
    refit : {"flow", "cells", "fixed"}
        How the active neurons are fitted after each escape (module docstring).
    max_stages : int, optional
        Cap on the number of escapes (default ``4 * n_sectors``).
    rtol : float
        Relative tolerance of the extremal-direction computation.
    starts : (m, n_dims + 1) array_like, optional
        Initial neuron directions ``[w | b]`` of a finite network (e.g. a
        trainer's ``init_W[k]``); then only the attractors reached from them hold
        dormant neurons.  Default: every stable extremal direction (infinite width).
    signs : (m,) array_like of +-1, required with ``starts``
        Signs of the output weights of those neurons.
    escape_norm : float
        ``refit="flow"``: the norm at which an escaping cluster enters the fit
        (the fitted neurons have norm about 1). Numerical: the limit is the
        answer as it goes to 0.
    cloud_spread : float
        ``refit="flow"``: the angular spread of the cloud of directions that
        represents an escaping cluster (it may split at a data point).
        Numerical, like ``escape_norm``. Where the prediction changes with these
        two the limit is ill-conditioned (a cluster splits, or the fit ends on a
        family of equally good functions): compare two values to check it
        (``benchmarks/validate_limit.py`` does).

    Returns
    -------
    PredictedFunction
        Callable; ``stages`` lists the escapes with their times (units of
        ``log(1/lambda)``) and losses.  The escape order follows the accumulated
        growth (a cluster escapes when ``int s G_k dt = 1``); this order and the
        fit are heuristic (see the module docstring), the alignment quantities
        are derived.

    Examples
    --------
    On the five points of docs/theory.md §8 (check 4) the prediction stalls at the affine
    least-squares fit, loss 0.0449366:

    >>> X = [[-0.8], [-0.3], [0.1], [0.6], [0.9]]
    >>> p = predict_function(X, [0.5, 1.0, 0.7, 1.2, 0.4])
    >>> round(p.loss, 7), p.stalled
    (0.0449366, True)
    """
    X, y = _check_xy(points, values)
    check_option(refit, "refit", ("flow", "cells", "fixed"))
    rtol = check_positive(rtol, "rtol")
    if starts is not None:
        starts = as_float_array(starts, "starts", ndim=2)
        if starts.shape[1] != X.shape[1] + 1 or np.any(np.linalg.norm(starts, axis=1) == 0):
            raise InvalidInputError(
                f"'starts' must be nonzero rows of length {X.shape[1] + 1} ([w | b]), found shape {starts.shape}"
            )
        if signs is None:
            raise InvalidInputError("'signs' must be given with 'starts' (the sign of each neuron's output weight)")
        signs = np.sign(as_float_array(signs, "signs", ndim=1)).astype(int)
        if signs.shape != (len(starts),) or np.any(signs == 0):
            raise InvalidInputError(f"'signs' must hold {len(starts)} nonzero values, found shape {signs.shape}")
        starts = _normalize(starts)
    # each in (0, 1): positive, then below 1
    escape_norm = check_fraction(check_positive(escape_norm, "escape_norm"), "escape_norm")
    cloud_spread = check_fraction(check_positive(cloud_spread, "cloud_spread"), "cloud_spread")
    eng = _Engine(X, y, refit, rtol, eps=escape_norm, spread=cloud_spread)
    max_stages = 4 * len(eng.sec) if max_stages is None else check_int(max_stages, "max_stages", min_value=0)
    st = eng.initial(starts, signs)
    while True:
        cand, rates, order = eng.candidates(st, "tracked")
        if order.size == 0:
            return eng.function(st, stalled=True)
        if len(st.stages) >= max_stages:
            return eng.function(st, stalled=False)
        st = eng.advance(st, cand, rates, int(order[0]), 0, track=True)


def _sup(f: PredictedFunction, g: PredictedFunction) -> float:
    return sup_distance(f, g, f.points)


def reachable_functions(
    points: ArrayLike,
    values: ArrayLike,
    *,
    refit: Literal["flow", "cells", "fixed"] = "flow",
    population: Literal["tracked", "all"] = "tracked",
    max_branches: int = 2000,
    max_stages: int | None = None,
    dedup_tol: float = 1e-6,
    rtol: float = 1e-9,
    progress: bool | None = None,
) -> list[PredictedFunction]:
    """All functions the reconstruction can reach over every order of escapes.

    At each stage every dormant cluster with positive growth rate may escape
    next (not only the soonest), which is what finite initial scale, finite
    width and random initialization can change.  Heuristic like
    :func:`predict_function` (module docstring).

    Parameters
    ----------
    points, values : see :func:`predict_function`
    refit : {"flow", "cells", "fixed"}
    population : {"tracked", "all"}
        ``"tracked"``: candidates are the stable extremal directions that hold
        dormant neurons (followed from the initial basins).  ``"all"``: every
        stable extremal direction with positive growth rate of the current
        potential, as if dormant neurons were everywhere (a superset).
    max_branches : int
        Largest number of explored branch states; past it a TooLargeError
        gives the count explored and the number still pending.
    max_stages : int, optional
        Cap on escapes per branch (default ``4 * n_sectors``).
    dedup_tol : float
        Functions closer than this in sup distance over the data hull are one.
    progress : None or bool
        A progress bar over the explored branch states, out of ``max_branches``
        (``None``: on a terminal only). With ``refit="flow"`` each state is a
        gradient-flow refit (seconds for a dozen points), so the default limit can
        mean many minutes: the bar shows where the search stands.

    Returns
    -------
    list of PredictedFunction
        Distinct functions, the greedy :func:`predict_function` first.
    """
    X, y = _check_xy(points, values)
    check_option(refit, "refit", ("flow", "cells", "fixed"))
    check_option(population, "population", ("tracked", "all"))
    max_branches = check_int(max_branches, "max_branches", min_value=1)
    dedup_tol = check_positive(dedup_tol, "dedup_tol", strict=False)
    rtol = check_positive(rtol, "rtol")
    eng = _Engine(X, y, refit, rtol)
    max_stages = 4 * len(eng.sec) if max_stages is None else check_int(max_stages, "max_stages", min_value=0)
    if progress is not None and not isinstance(progress, (bool, np.bool_)):
        raise InvalidInputError(f"'progress' must be None, True or False, found {progress!r}")
    from tqdm.auto import tqdm

    bar = tqdm(total=max_branches, desc="reachable_functions", unit="state", leave=False,
               disable=None if progress is None else not bool(progress))
    try:
        return _explore(eng, population, max_branches, max_stages, dedup_tol, bar)
    finally:
        bar.close()


def _explore(
    eng: _Engine, population: str, max_branches: int, max_stages: int, dedup_tol: float, bar: Any
) -> list[PredictedFunction]:
    track = population == "tracked"
    results: list[PredictedFunction] = []
    seen: set = set()
    explored = 0
    stack = [eng.initial()]
    while stack:
        st = stack.pop()
        cand, rates, order = eng.candidates(st, population)
        if order.size == 0 or len(st.stages) >= max_stages:
            results.append(eng.function(st, stalled=order.size == 0))
            continue
        children = []
        for rank, pick in enumerate(order):
            explored += 1
            if explored > max_branches:
                raise TooLargeError(
                    f"reachable_functions explored more than max_branches={max_branches} branch states "
                    f"({len(stack) + len(order) - rank} still pending, {len(results)} functions found so far); "
                    "raise 'max_branches' or lower 'max_stages'"
                )
            child = eng.advance(st, cand, rates, int(pick), rank, track)
            bar.update(1)
            key = eng.state_key(child, population)
            if key in seen:
                continue
            seen.add(key)
            children.append(child)
        stack.extend(reversed(children))  # the soonest escape is explored first
    results.sort(key=lambda p: p.choices)
    distinct: list[PredictedFunction] = []
    for p in results:
        if all(_sup(p, q) > dedup_tol for q in distinct):
            distinct.append(p)
    return distinct
