"""An interpolating network against the minimum representation-cost interpolant: one question of the evaluation.

:class:`MinnormComparison` over an :class:`~._evalcontext.EvalContext` solves the data's minnorm
program once (on first use) and compares every network with it; the columns are
:data:`MINNORM_COLUMNS` (interpolating network rows only, NaN elsewhere).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..nn import with_output_offset
from ..errors import GeoquantError
from ._evalcontext import EvalContext

__all__ = ["MINNORM_COLUMNS", "MINNORM_MAX_N", "MINNORM_SET_MAX_N", "MINNORM_TIME_LIMIT", "MinnormComparison"]

#: Interpolating network rows only (NaN elsewhere): the network against the minimum representation-cost interpolant
#: of its data (:class:`MinnormComparison`).
MINNORM_COLUMNS = ["minnorm_cost_ratio", "minnorm_sup", "minnorm_set_sup"]

#: Largest sample per dimension on which the minnorm comparison is solved (:func:`geoquant.theory.minnorm_interpolant`,
#: method "lines"; on the shared 2-core machine, CPU seconds: 1D n = 2048 about 1 s; 2D n = 160 about 6 s and
#: n = 256 about 20-30 s; reports/benchmarks.md).  Larger samples get NaN and the reason in the record's info
#: (``minnorm_note``).
MINNORM_MAX_N = {1: 4096, 2: 256}

#: Largest sample per dimension on which ``minnorm_set_sup`` is computed (1D: one sparse LP per network; 2D: a
#: column generation over the data and the nodes, per network).
MINNORM_SET_MAX_N = {1: 4096, 2: 64}

#: Seconds allowed to one minnorm solve and to one set distance (past it: NaN and the reason in ``minnorm_note``).
MINNORM_TIME_LIMIT = 900.0

#: 2D ``minnorm_set_sup``: nodes where the supremum is taken besides the data (the evaluation points where the
#: network is farthest from the solver's interpolant, at least ``_SET_NODE_SPACING`` of the box's diameter apart)
_SET_NODES = 24
_SET_NODE_SPACING = 0.05


class MinnormComparison:
    """Networks fitted to one data set against its minimum representation-cost interpolant(s).

    Parameters
    ----------
    ctx : EvalContext
        The data set; its minnorm interpolant is solved on the first call and kept.

    Calling it with a fitted network gives the :data:`MINNORM_COLUMNS`:

    ``minnorm_cost_ratio``
        ``sum_j |a_j| ||w_j|| / C*`` where ``C*`` is the minimum of that cost over all interpolants
        (:func:`geoquant.theory.minnorm_interpolant`); ``>= 1`` up to the network's own fit
        error (a network that does not interpolate exactly may cost a little less).
    ``minnorm_sup``
        ``sup |f_net - f_minnorm|`` over the region of ``l2_inner`` (the hull when the inner
        region is not evaluated), ``f_minnorm`` the one interpolant the solver returns. 1D: exact (both
        are piecewise linear; the maximum over the union of their kinks and the region's ends). 2D: the
        maximum over the region's quadrature nodes and Linf lattice (those of ``linf_inner``), a lower
        bound.  The minimiser is not unique, so a large value does not show that the network is not of
        minimum cost; ``minnorm_set_sup`` does.
    ``minnorm_set_sup``
        The sup distance over the same region from the network to the *set* of interpolants of cost
        ``<= (1 + 1e-6) C*`` (:func:`geoquant.theory.minnorm_set_distance`). 1D: exact (a linear
        program over the breakpoints). 2D: a certified lower bound: the supremum over the data in the
        region and the 24 evaluation points where the network is farthest from the solver's
        interpolant (at least 5% of the box's diameter apart), by weak duality. Up to
        :data:`MINNORM_SET_MAX_N` points.

    Only for networks whose ``train_status`` is ``"interpolating"``; NaN otherwise, and NaN
    with the reason in the method's info (``minnorm_note``) above :data:`MINNORM_MAX_N` points
    or where the solver fails or runs past :data:`MINNORM_TIME_LIMIT`.
    """

    def __init__(self, ctx: EvalContext) -> None:
        self.ctx = ctx
        self.solved: Any = None  # MinNormInterpolant, or the reason its solve failed (str)

    def _solve(self) -> Any:
        if self.solved is None:
            from ..theory import minnorm_interpolant

            try:
                self.solved = minnorm_interpolant(self.ctx.X, self.ctx.y, time_limit=MINNORM_TIME_LIMIT,
                                                  progress=False)
            except GeoquantError as exc:  # a solver failure, the time limit or a missing optional dependency
                self.solved = f"failed: {type(exc).__name__}: {exc}"
        return self.solved

    def __call__(self, method: Any) -> dict[str, float | None]:  # a fitted network Method: reads .W, .a, ._info
        """The :data:`MINNORM_COLUMNS` of a fitted network (see the class docstring)."""
        ctx = self.ctx
        nan: dict[str, float | None] = {c: None for c in MINNORM_COLUMNS}
        info: Any = getattr(method, "_info", None)  # a dict whenever status below is "interpolating"
        status = (info or {}).get("train_status")
        if status != "interpolating" or getattr(method, "W", None) is None:
            return nan
        n = len(ctx.X)
        limit = MINNORM_MAX_N.get(ctx.dim, 0)
        if n > limit:
            info["minnorm_note"] = (f"skipped: n = {n} > {limit} points in {ctx.dim}D (the minnorm solve grows "
                                    "with the number of activation sectors)")
            return nan
        mn = self._solve()
        if isinstance(mn, str):
            info["minnorm_note"] = mn
            return nan
        from ..theory import representation_cost

        W = np.asarray(method.W, dtype=float)
        a = np.asarray(method.a, dtype=float)
        ratio = representation_cost(W, a) / mn.cost if mn.cost > 0 else None
        bp, box = self._sup_points(W, mn)
        diff = np.abs(np.asarray(method.predict(bp), dtype=float) - mn(bp))
        sup = float(np.max(diff))
        W, a = with_output_offset(W, a, float(getattr(method, "c", 0.0) or 0.0))  # a centred network's output offset
        return {"minnorm_cost_ratio": ratio, "minnorm_sup": sup,
                "minnorm_set_sup": self._set_sup(W, a, mn, box, bp, diff, info)}

    def _sup_points(self, W: np.ndarray, mn: Any) -> tuple[np.ndarray, np.ndarray]:
        """Where ``minnorm_sup`` is taken and the region's box: 1D the breakpoints, 2D the quadrature nodes."""
        ctx = self.ctx
        region = ctx.distance_region
        if ctx.dim == 1:
            lo, hi = float(ctx.X.min()), float(ctx.X.max())
            if region == "inner":
                lo, hi = max(lo, float(ctx.inner_box[0, 0])), min(hi, float(ctx.inner_box[0, 1]))
            live = W[:, 0] != 0
            bp = np.concatenate([[lo, hi], -W[live, 1] / W[live, 0], mn.kinks])
            return bp[(bp >= lo) & (bp <= hi)][:, None], np.array([[lo, hi]])
        nodes, _, _, lat, _ = ctx.generic_nodes(region)
        bp = np.concatenate([nodes.reshape(-1, ctx.dim), lat])
        box = ctx.inner_box if region == "inner" else np.column_stack([ctx.X.min(axis=0), ctx.X.max(axis=0)])
        return bp, box

    def _set_sup(self, W: np.ndarray, a: np.ndarray, mn: Any, box: np.ndarray, bp: np.ndarray,
                 diff: np.ndarray, info: dict) -> float | None:
        """``minnorm_set_sup``; None with a note where skipped or failed."""
        ctx = self.ctx
        n = len(ctx.X)
        limit = MINNORM_SET_MAX_N.get(ctx.dim, 0)
        if n > limit:
            info["minnorm_note"] = f"minnorm_set_sup skipped: n = {n} > {limit} points in {ctx.dim}D"
            return None
        from ..theory import minnorm_set_distance

        nodes = _spread_nodes(bp, diff, box) if ctx.dim == 2 else None
        try:
            r = minnorm_set_distance(W, a, ctx.X, ctx.y, minnorm=mn, region=box, nodes=nodes,
                                     time_limit=MINNORM_TIME_LIMIT, progress=False)
        except GeoquantError as exc:
            info["minnorm_note"] = f"minnorm_set_sup failed: {type(exc).__name__}: {exc}"
            return None
        return float(r.distance)


def _spread_nodes(bp: np.ndarray, diff: np.ndarray, box: np.ndarray) -> np.ndarray:
    """The points where the network is farthest from the solver's interpolant, spread out (2D)."""
    spacing = _SET_NODE_SPACING * float(np.linalg.norm(box[:, 1] - box[:, 0]))
    chosen: list[np.ndarray] = []
    for i in np.argsort(-diff, kind="stable"):
        if len(chosen) == _SET_NODES:
            break
        if all(np.linalg.norm(bp[i] - c) >= spacing for c in chosen):
            chosen.append(bp[i])
    return np.array(chosen).reshape(-1, 2)
