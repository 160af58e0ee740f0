"""The outcome of training a batch of networks: :class:`TrainResult`."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._deprecation import renamed_arguments
from .._validation import as_float_array, check_int
from ..errors import InvalidInputError
from ._checkpoint import Checkpoints
from ._neurons import network_forward

__all__ = ["TrainResult"]


@dataclass
class TrainResult:
    """Parameters, histories and events of ``n_models`` trained networks.

    Attributes
    ----------
    W : (n_models, width, n_dims + 1) ndarray
        Final first-layer parameters, row ``j`` = ``(w_j, b_j)``, in the training
        dtype (float32 or float64).
    a : (n_models, width) ndarray
        Final output weights.
    loss : (n_recorded, n_models) float64 ndarray
        Loss on the recorded steps ``steps``; row 0 is the initial loss and the
        last row the final loss per model. Squared loss is
        ``1/2 * mean_i (f(x_i) - y_i)^2``; logistic ``mean_i log(1 + exp(-y_i f(x_i)))``.
        A failed model's entries after its failure are the loss at its frozen
        parameters.
    steps : (n_recorded,) ndarray
        Recorded steps: int64 step counts for gradient descent, float64 times
        for gradient flow (log-spaced, starting at 0).
    checkpoints : Checkpoints
        Log-spaced parameter snapshots (float32), a sequence of
        ``(step, W, a, loss)``.
    failed : list of (int, str)
        ``(model index, reason)`` for each model that diverged or produced
        NaN/inf; the reason names the step. Failed models are frozen at their
        last finite parameters.
    plateaus : list (n_models) of list of (onset, loss)
        Plateaus of each model's loss curve (see :func:`find_plateaus_models`); onset
        is a step (GD) or a time (flow).
    init_W, init_a : ndarray
        Initial parameters (same shapes as ``W``, ``a``).
    config : dict
        Every setting of the run (JSON-serialisable): sizes, init, scales, seeds
        (``model_seeds``), learning rates, loss, dtype, device, torch version,
        ``steps_done``, ...
    c, init_c : (n_models,) ndarray or None
        Output bias (only with ``output_bias=True``).
    hidden, init_hidden : tuple of (n_models, width, width + 1) ndarrays
        Deeper hidden layers ``[V | v]`` (``depth > 1``).
    times : (n_recorded, n_models) float64 ndarray
        Gradient-flow time of each record: ``step * lr`` for gradient descent,
        the integration time for gradient flow.
    n_evals : (n_models,) int64 ndarray
        Gradient evaluations spent per model (GD: steps taken while active).
    converged : list of (int, step)
        Models that reached the loss tolerance ``tol`` and the step (or time)
        at which they did; they are frozen from then on.
    """

    W: np.ndarray
    a: np.ndarray
    loss: np.ndarray
    steps: np.ndarray
    checkpoints: Checkpoints
    failed: list
    plateaus: list
    init_W: np.ndarray
    init_a: np.ndarray
    config: dict
    c: np.ndarray | None = None
    init_c: np.ndarray | None = None
    hidden: tuple = field(default_factory=tuple)
    init_hidden: tuple = field(default_factory=tuple)
    times: np.ndarray | None = None
    n_evals: np.ndarray | None = None
    converged: list = field(default_factory=list)

    # -- sizes -------------------------------------------------------------
    @property
    def n_models(self) -> int:
        return int(self.W.shape[0])

    @property
    def width(self) -> int:
        return int(self.W.shape[1])

    @property
    def n_dims(self) -> int:
        return int(self.W.shape[2] - 1)

    @property
    def depth(self) -> int:
        return 1 + len(self.hidden)

    @property
    def method(self) -> str:
        """``"gd"`` or ``"flow"``."""
        return str(self.config.get("method", "gd"))

    @property
    def final_loss(self) -> np.ndarray:
        """``(n_models,)`` loss at the final parameters (last row of ``loss``)."""
        return self.loss[-1]

    @property
    def ok(self) -> np.ndarray:
        """``(n_models,)`` bool: True for models that did not fail."""
        mask = np.ones(self.n_models, dtype=bool)
        for i, _ in self.failed:
            mask[i] = False
        return mask

    # -- evaluation ----------------------------------------------------------
    @renamed_arguments(X="points")
    def predict(self, points: ArrayLike, checkpoint: int | None = None) -> NDArray[np.float64]:
        """Network outputs at ``points``, in float64.

        Parameters
        ----------
        points : (n_points, n_dims) or (n_models, n_points, n_dims) array_like
            Query points (1-D input is read as points in 1D when ``n_dims == 1``); formerly ``X``
            (the old keyword warns until 0.3.0).
        checkpoint : int, optional
            Index into :attr:`checkpoints` to evaluate a snapshot instead of the
            final parameters.

        Returns
        -------
        (n_models, n_points) ndarray
        """
        X = as_float_array(points, "points", ndim=(1, 2, 3))
        d = self.n_dims
        if X.ndim == 1:
            if d != 1:
                raise InvalidInputError(f"'points' must have shape (n_points, {d}), found {X.shape}")
            X = X[:, None]
        if X.shape[-1] != d:
            raise InvalidInputError(f"'points' must have {d} columns (n_dims), found {X.shape[-1]}")
        if X.ndim == 3 and X.shape[0] != self.n_models:
            raise InvalidInputError(
                f"'points' with a model axis must have shape ({self.n_models}, n_points, {d}), found {X.shape}"
            )
        if checkpoint is None:
            W, a, c, hidden = self.W, self.a, self.c, self.hidden
        else:
            i = check_int(checkpoint, "checkpoint", min_value=-len(self.checkpoints), max_value=len(self.checkpoints) - 1)
            ck = self.checkpoints[i]
            W, a, c, hidden = ck.W, ck.a, ck.c, ck.hidden
        return network_forward(W, a, X, c, hidden=hidden, check_input=False)

    def __repr__(self) -> str:
        fl = self.final_loss
        return (
            f"TrainResult(method={self.method!r}, n_models={self.n_models}, width={self.width}, "
            f"n_dims={self.n_dims}, depth={self.depth}, steps_done={self.config.get('steps_done')}, "
            f"final_loss=[{np.nanmin(fl) if fl.size else float('nan'):.3g} .. "
            f"{np.nanmax(fl) if fl.size else float('nan'):.3g}], failed={len(self.failed)})"
        )
