"""The training losses of the networks, in one table: :class:`Loss`, :func:`register_loss`, :func:`get_loss`.

A loss is ``L = mean_i ell(f(x_i), y_i)`` per model. Everything the trainers and
:func:`geoquant.nn._state.training_state` need to know about it is one :class:`Loss`
record, looked up by name in :data:`LOSSES`:

* ``value_and_residual(f, y) -> (L, r)``: the loss of each model and ``r = dL/df``
  (torch tensors ``f, y (n_models, n_points)`` -> ``L (n_models,)``, ``r (n_models,
  n_points)``); the hand-written gradients (:func:`geoquant.nn._model.grads_from_residual`),
  gradient flow and autograd all start from it;
* ``fit_error(L, y) -> (n_models,)`` with ``fit_tol``: what "fits the data" means
  (``fit_error <= fit_tol``: the ``"interpolating"`` training state);
* ``check_targets(y)``: None, or what is wrong with the targets (e.g. logistic labels).

Shipped (docs/theory.md section 1, with the ``1/n`` factor; the theory checks depend on it):

* ``"squared"``: ``L = 1/2 mean_i (f_i - y_i)^2``, ``r = (f - y) / n``; fits when the
  training RMSE ``sqrt(2 L)`` is at most ``INTERPOLATION_RTOL`` (1e-3) times ``std(y)``.
* ``"logistic"``: ``L = mean_i log(1 + exp(-y_i f_i))`` for labels ``y_i = +-1``,
  ``r = -y sigmoid(-y f) / n``; fits when ``n L < log 2`` (``fit_tol`` the float below 1), which forces every margin
  ``y_i f_i > 0`` (each term is below ``log 2``): every point classified correctly.

A new loss is one :class:`Loss` passed to :func:`register_loss`; then ``train_gd(...,
loss=name)`` trains with it (docs/extending.md, "Add a loss").
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._deprecation import renamed_arguments
from ..errors import InvalidInputError

__all__ = ["Loss", "LOSSES", "register_loss", "get_loss", "INTERPOLATION_RTOL"]

#: train RMSE / std(y) at or below which a network interpolates its data (the squared loss's fit)
INTERPOLATION_RTOL = 1e-3


@dataclass(frozen=True)
class Loss:
    """One training loss ``L = mean_i ell(f(x_i), y_i)`` (per model) and what fitting means for it.

    Attributes
    ----------
    name : str
        The name ``train_gd(loss=...)`` takes and ``TrainResult.config["loss"]`` stores.
    value_and_residual : callable ``(f, y) -> (L, r)``
        ``f, y`` torch tensors ``(n_models, n_points)``; returns the loss ``L
        (n_models,)`` and its gradient ``r = dL/df (n_models, n_points)`` (the ``1/n``
        of the mean included). Written with out-of-place torch operations, so that
        autograd (deeper networks) can differentiate ``L`` too.
    fit_error : callable ``(L, y) -> (n_models,) ndarray``
        A scale-free measure of how far each model is from fitting its data, from
        its float64 loss ``L (n_models,)`` and targets ``y (n_models, n_points)``.
    fit_tol : float
        A model fits (training state ``"interpolating"``) when ``fit_error <= fit_tol``.
    check_targets : callable ``(y) -> str or None``, optional
        ``None`` when the targets ``y (n_models, n_points)`` suit the loss, else a
        description of the first bad value (the trainers raise InvalidInputError with it).
    description : str
        One line for listings and error messages.
    """

    name: str
    value_and_residual: Callable[[Any, Any], tuple[Any, Any]]
    fit_error: Callable[[NDArray[np.float64], NDArray[np.float64]], NDArray[np.float64]]
    fit_tol: float
    check_targets: Callable[[NDArray[np.float64]], str | None] | None = None
    description: str = ""

    @renamed_arguments(y="values")
    def fits(self, L: ArrayLike, values: ArrayLike) -> NDArray[np.bool_]:
        """``(n_models,)`` bool: which models fit their data (``fit_error(L, values) <= fit_tol``).

        ``values`` (formerly ``y``; the old keyword warns until 0.3.0) are the targets ``(n_models, n_points)``.
        """
        L = np.asarray(L, dtype=np.float64)
        y = np.asarray(values, dtype=np.float64)
        return np.asarray(self.fit_error(L, y) <= self.fit_tol)


#: the table of losses by name; filled by :func:`register_loss`
LOSSES: dict[str, Loss] = {}


def register_loss(loss: Loss, *, replace: bool = False) -> Loss:
    """Add a loss to the table, so that the trainers take its name (``train_gd(..., loss=loss.name)``).

    Parameters
    ----------
    loss : Loss
    replace : bool
        Allow replacing a registered loss of the same name (the shipped ones included).

    Returns
    -------
    Loss
        ``loss`` itself.
    """
    if not isinstance(loss, Loss):
        raise InvalidInputError(f"'loss' must be a geoquant.nn.Loss, found {type(loss).__name__}")
    if not isinstance(loss.name, str) or not loss.name:
        raise InvalidInputError(f"'loss.name' must be a non-empty string, found {loss.name!r}")
    if not callable(loss.value_and_residual) or not callable(loss.fit_error):
        raise InvalidInputError("'loss.value_and_residual' and 'loss.fit_error' must be callables")
    if loss.check_targets is not None and not callable(loss.check_targets):
        raise InvalidInputError("'loss.check_targets' must be None or a callable")
    tol = loss.fit_tol
    if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not math.isfinite(tol) or tol < 0:
        raise InvalidInputError(f"'loss.fit_tol' must be a finite number >= 0, found {tol!r}")
    if loss.name in LOSSES and not replace:
        raise InvalidInputError(f"a loss named {loss.name!r} is registered already (pass replace=True to replace it)")
    LOSSES[loss.name] = loss
    return loss


def get_loss(name: str | Loss) -> Loss:
    """The registered loss of this name (a :class:`Loss` is returned as it is)."""
    if isinstance(name, Loss):
        return name
    try:
        return LOSSES[name]
    except (KeyError, TypeError):
        opts = ", ".join(repr(k) for k in LOSSES)
        raise InvalidInputError(f"'loss' must be one of {opts}, found {name!r}") from None


# --------------------------------------------------------------------------- #
# the shipped losses
# --------------------------------------------------------------------------- #
def _squared_value_and_residual(f: Any, y: Any) -> tuple[Any, Any]:
    n = f.shape[-1]
    res = f - y
    L = 0.5 * (res * res).mean(dim=-1)
    r = res / n
    return L, r


def _squared_fit_error(L: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    """Training RMSE ``sqrt(2 L)`` relative to ``std(y)`` (1 where the targets are constant)."""
    std = y.std(axis=1)
    return np.asarray(np.sqrt(2.0 * np.maximum(L, 0.0)) / np.where(std > 0, std, 1.0))


def _logistic_value_and_residual(f: Any, y: Any) -> tuple[Any, Any]:
    import torch

    n = f.shape[-1]
    margin = -y * f
    L = torch.nn.functional.softplus(margin).mean(dim=-1)
    r = -y * torch.sigmoid(margin) / n
    return L, r


def _logistic_fit_error(L: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    """``n L / log 2``: below 1, every term ``log(1 + exp(-y_i f_i)) < log 2``, so every margin is positive."""
    return np.asarray(y.shape[-1] * np.asarray(L, dtype=np.float64) / math.log(2.0))


def _labels(y: NDArray[np.float64]) -> str | None:
    bad = y[np.abs(y) != 1.0]
    if bad.size == 0:
        return None
    return f"'values' must hold labels -1 or +1 for the logistic loss, found {bad.ravel()[0]!r}"


SQUARED = register_loss(Loss(
    "squared", _squared_value_and_residual, _squared_fit_error, INTERPOLATION_RTOL,
    description="L = 1/2 mean_i (f(x_i) - y_i)^2",
))
LOGISTIC = register_loss(Loss(
    "logistic", _logistic_value_and_residual, _logistic_fit_error, math.nextafter(1.0, 0.0), check_targets=_labels,
    description="L = mean_i log(1 + exp(-y_i f(x_i))), labels y_i = +-1",
))
