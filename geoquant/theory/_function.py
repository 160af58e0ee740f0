"""The predicted function of the saddle-to-saddle reconstruction: a value type.

:class:`PredictedFunction` (and its :class:`Stage` records) is what
:mod:`._predict` computes and what :mod:`._distance` and :mod:`._compare`
measure; it lives below all three so that they import it without a cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import check_query
from ..errors import UnsupportedError
from ..nn import crease_lines, network_forward
from ._extremal import ExtremalDirection
from ._kinks import kink_positions

__all__ = ["Stage", "PredictedFunction"]

#: a neuron bends when ``|w| > _FLAT_RTOL ||[w | b]||`` (the rule of :func:`geoquant.nn.crease_lines`)
_FLAT_RTOL = 1e-12
#: kinks closer than ``_MERGE_TOL * max(1, max |kink|)`` are one kink
_MERGE_TOL = 1e-9


@dataclass(frozen=True, eq=False)
class Stage:
    """One escape event of the saddle-to-saddle reconstruction.

    Attributes
    ----------
    index : int
    direction : ExtremalDirection
        The extremal direction of the current potential ``G_k`` whose cluster escaped.
    time : float
        Escape time in units of ``log(1/lambda)`` (gradient-flow time; GD with
        step ``lr`` reaches it after ``time * log(1/lambda) / lr`` steps).
    rate : float
        Growth rate ``s G_k`` of the escaping cluster.
    loss_before, loss_after : float
        ``1/2 mean (f - y)^2`` before the escape and after the fit.
    fitted : (n_points,) ndarray
        Network values at the data after the fit.
    margin : float
        ``1 - u`` of the next dormant cluster when this one escapes (``u`` its accumulated growth in
        units of ``log(1/lambda)``; ``inf`` when none is tracked): at init scale ``lambda`` that
        cluster's norm is ``lambda^margin`` during this fit, which the limit takes as 0.
    """

    index: int
    direction: ExtremalDirection
    time: float
    rate: float
    loss_before: float
    loss_after: float
    fitted: np.ndarray
    margin: float = float("inf")


@dataclass(eq=False)
class PredictedFunction:
    """The function the reconstruction predicts: ``f(x) = sum_j c_j relu(w_j . (x, 1))``.

    Attributes
    ----------
    points : (n_points, n_dims) ndarray; values : (n_points,) ndarray
    stages : list of Stage
    weights : (m, n_dims + 1) ndarray
        Unit neuron directions ``[w | b]``.
    coefficients : (m,) ndarray
        Signed output coefficients ``c_j`` (``c_j = a_j |w_j|`` of a trained net).
    fitted : (n_points,) ndarray
    loss : float
        ``1/2 mean (f(x_i) - y_i)^2``.
    stalled : bool
        True when no dormant cluster could grow any more (a stationary point of
        the small-initialization dynamics); False when ``max_stages`` stopped it.
    refit : str
    choices : tuple of int
        The branch taken at each stage (index into the escape candidates); all
        zeros for :func:`predict_function`.
    """

    points: np.ndarray
    values: np.ndarray
    stages: list
    weights: np.ndarray
    coefficients: np.ndarray
    fitted: np.ndarray
    loss: float
    stalled: bool
    refit: str
    choices: tuple = ()
    _meta: dict = field(default_factory=dict, repr=False)

    @property
    def n_dims(self) -> int:
        return int(self.points.shape[1])

    def __call__(self, x: ArrayLike) -> NDArray[np.float64]:
        """Evaluate at ``x (..., n_dims)`` (1D queries may omit the last axis)."""
        x = check_query(x, self.n_dims, "x")
        return network_forward(self.weights, self.coefficients, x, check_input=False)

    @property
    def kinks(self) -> NDArray[np.float64]:
        """d = 1: sorted distinct kink positions ``-b/w`` of the neurons."""
        if self.n_dims != 1:
            raise UnsupportedError(f"'kinks' is for 1D data, found n_dims={self.n_dims}; use 'lines'")
        # the rule of geoquant.nn.crease_lines (|w| > 1e-12 ||[w | b]||), merged within 1e-9 of the largest
        # kink, sorted by numpy's default sort (as always)
        return kink_positions(self.weights, flat_tol=_FLAT_RTOL, flat_relative=True, merge_tol=_MERGE_TOL,
                              merge_scale="largest", stable_sort=False)

    @property
    def lines(self) -> NDArray[np.float64]:
        """d = 2: ``(m', 3)`` crease lines ``a x + b y + c = 0`` with ``a^2 + b^2 = 1``."""
        if self.n_dims != 2:
            raise UnsupportedError(f"'lines' is for 2D data, found n_dims={self.n_dims}; use 'kinks'")
        return crease_lines(self.weights)

    @property
    def limit_scale(self) -> float:
        """d = 1: the init scale below which this init -> 0 prediction applies (two finite-init effects).

        The smaller of (a) ``exp(-tau / t_1)``, with ``tau`` the time 99% of each sign's uniform initial
        directions need to enter their final cells and ``t_1`` the first escape time: from a larger
        initialization GD still carries neurons on their way when the residual first changes, which the
        limit has already sent to their attractors or killed (see :mod:`geoquant.theory._transient`);
        and (b) ``1e-4 ** (1 / margin)`` over the stages (:attr:`Stage.margin`): below it the next dormant
        cluster is still smaller than the norm ``1e-4`` at which the fit starts an escaping one, as the
        limit assumes. ``inf`` when nothing escapes. Later stages' transients are not counted.
        """
        if "limit_scale" not in self._meta:
            if self.n_dims != 1:
                raise UnsupportedError(f"'limit_scale' is for 1D data, found n_dims={self.n_dims}")
            from ._transient import limit_scale

            scale = float("inf")
            if self.stages:
                scale = limit_scale(self.points, self.values, float(self.stages[0].time))
                for s in self.stages:
                    scale = min(scale, 1e-4 ** (1.0 / s.margin) if s.margin > 0 else 0.0)
            self._meta["limit_scale"] = scale
        return float(self._meta["limit_scale"])

    @property
    def escape_times(self) -> NDArray[np.float64]:
        return np.array([s.time for s in self.stages])

    def __repr__(self) -> str:
        return (
            f"PredictedFunction(n_stages={len(self.stages)}, n_neurons={len(self.coefficients)}, "
            f"loss={self.loss:.6g}, stalled={self.stalled}, refit={self.refit!r})"
        )
