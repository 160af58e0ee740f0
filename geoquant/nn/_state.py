"""Where a training run ended: interpolating, stationary, unstable or out of budget.

A trained network is only comparable with an interpolant when one knows what
training reached. :func:`training_state` reads it off the final parameters and
the recorded loss curve of each model, for the loss it was trained with
(``result.config["loss"]``, looked up in the loss table :mod:`geoquant.nn._losses`;
squared ``L = 1/2 mean (f - y)^2`` unless the config says otherwise):

``train_loss``
    Final ``L``.
``train_rmse_rel``
    The loss's fit error (:attr:`Loss.fit_error <geoquant.nn.Loss>`); for the squared
    loss ``sqrt(2 L) / std(y)``: training RMSE relative to the spread of the data.
``grad_norm``
    Euclidean norm of ``grad L`` over all parameters (float64).
``stationarity``
    The scale-free measure the trainer's stationarity stop uses
    (:func:`stationarity`): the larger of ``|grad L| / |theta|`` and the fastest
    relative growth ``max_j d log|theta_j| / dt = max_j -g_j . theta_j / |theta_j|^2``
    of any neuron ``j`` under gradient flow. A small-initialisation network sits
    near the saddle at the origin with a tiny ``|grad L|``; its neurons still grow
    at relative rates ``~|D|`` (theory notes section 2), so the plain gradient
    norm cannot tell the start of training from a stall, this measure can.
``sharpness``
    Largest eigenvalue of the Gauss--Newton matrix ``J^T J / n`` at the final
    parameters (``J`` the Jacobian of the outputs at the data): at an
    interpolating minimum the Hessian of ``L``. GD with step ``lr`` is stable
    there only if ``lr <= 2 / sharpness``. (The squared loss's Gauss--Newton matrix,
    whatever the training loss: for a loss with ``ell'' <= 1``, such as the logistic
    one, it bounds that loss's Gauss--Newton matrix from above.)
``loss_increases``
    Recorded loss values that exceed the previous record by more than
    ``INCREASE_RTOL`` (relative): a stable GD step or an accurate flow never
    raises the loss.
``train_status``
    ``"interpolating"`` when the model fits: ``train_rmse_rel <= fit_tol`` of the loss
    (``INTERPOLATION_RTOL`` for the squared loss); else
    ``"unstable"`` when the model failed (diverged / NaN), the loss rose between
    records or a GD step exceeds ``2 / sharpness``; else ``"stationary"`` when
    ``stationarity < grad_tol`` or the loss plateaued: it fell by less than
    ``PLATEAU_RTOL`` (relative) over the second half of the run's gradient-flow
    time (a spurious stationary point: loss above the interpolation level and
    no measurable progress; degenerate stalls such as the affine fit of theory
    check 4 are approached so slowly that the gradient stays ~1e-3 long after
    the loss has converged to 6 digits); else ``"budget"`` (still moving when
    the budget ran out).
``plateau_drop``
    That relative loss decrease over the second half of the run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._deprecation import renamed_arguments
from .._validation import check_positive
from ._losses import INTERPOLATION_RTOL, get_loss

__all__ = [
    "training_state",
    "stationarity",
    "gauss_newton_sharpness",
    "TRAIN_STATUSES",
    "INTERPOLATION_RTOL",
    "INCREASE_RTOL",
    "DEFAULT_GRAD_TOL",
    "PLATEAU_RTOL",
    "plateau_drop",
]

TRAIN_STATUSES = ("interpolating", "stationary", "unstable", "budget")
#: a record counts as a loss increase when it exceeds the previous one by this fraction
INCREASE_RTOL = 1e-2
#: default tolerance of :func:`stationarity` below which a model counts as stationary
DEFAULT_GRAD_TOL = 1e-6
#: a loss that falls by less than this fraction over the second half of the run has plateaued
PLATEAU_RTOL = 1e-3


def _per_neuron(xs: Sequence[Any], ys: Sequence[Any]) -> tuple[Any, Any]:
    """Sum over each neuron's parameters of ``x * y``: ``(n_models, width)`` (+ per-model extras)."""
    import torch

    per, extra = None, None
    for x, y in zip(xs, ys):
        v = x * y
        if v.dim() == 3:
            # (a matrix-vector product: torch's reduction over a last axis of length 2-3 is several times slower)
            v = v @ torch.ones(v.shape[2], dtype=v.dtype, device=v.device)
        elif v.dim() == 1:
            extra = v if extra is None else extra + v
            continue
        per = v if per is None else per + v
    return per, extra


def stationarity(params: Sequence[Any], grads: Sequence[Any]) -> Any:
    """Scale-free stationarity measure of each model (see the module docstring).

    Parameters
    ----------
    params, grads : lists of tensors
        ``[W (n_models, width, d + 1), a (n_models, width), ...]`` and the
        gradients of the loss in the same order (per-model extras such as an
        output bias are ``(n_models,)`` and enter the norms only).

    Returns
    -------
    (n_models,) float64 tensor
        ``max(|g| / |theta|, max_j max(0, -g_j . theta_j) / |theta_j|^2)``.
    """
    import torch

    pp, pe = _per_neuron(params, params)
    gg, ge = _per_neuron(grads, grads)
    pg, _ = _per_neuron(params, grads)
    p_tot = pp.sum(dim=1) + (pe if pe is not None else 0.0)
    g_tot = gg.sum(dim=1) + (ge if ge is not None else 0.0)
    rel = torch.sqrt(g_tot) / torch.sqrt(torch.clamp(p_tot, min=1e-300))
    growth = torch.clamp(-pg, min=0.0) / torch.clamp(pp, min=1e-300)
    growth = torch.where(pp > 0, growth, 0.0).amax(dim=1)
    return torch.maximum(rel, growth).to(torch.float64)


def gauss_newton_sharpness(W: ArrayLike, a: ArrayLike, X: ArrayLike) -> NDArray[np.float64]:
    """Largest eigenvalue of ``J^T J / n`` for depth-1 networks without output bias.

    Parameters
    ----------
    W : (n_models, width, n_dims + 1) ndarray
    a : (n_models, width) ndarray
    X : (n_points, n_dims) or (n_models, n_points, n_dims) ndarray

    Returns
    -------
    (n_models,) ndarray
        Computed through the ``n x n`` kernel ``J J^T / n`` (same nonzero
        spectrum): ``K_ik = (H_i . H_k + (x~_i . x~_k) sum_j a_j^2 M_ij M_kj) / n``
        with ``H = relu(W x~)``, ``M = 1[W x~ > 0]``.
    """
    W = np.asarray(W, dtype=np.float64)
    a = np.asarray(a, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    m = W.shape[0]
    if X.ndim == 2:
        X = np.broadcast_to(X, (m,) + X.shape)
    Xt = np.concatenate([X, np.ones(X.shape[:-1] + (1,))], axis=-1)  # (m, n, d+1)
    Z = np.einsum("mnp,mwp->mnw", Xt, W)
    H = np.maximum(Z, 0.0)
    Ma = (Z > 0) * a[:, None, :]
    n = Xt.shape[1]
    K = (H @ np.transpose(H, (0, 2, 1)) + (Xt @ np.transpose(Xt, (0, 2, 1))) * (Ma @ np.transpose(Ma, (0, 2, 1)))) / n
    return np.linalg.eigvalsh(K)[:, -1]


def count_increases(loss: ArrayLike) -> NDArray[np.int64]:
    """``(n_models,)`` number of records where the loss rose by more than ``INCREASE_RTOL``.

    Parameters
    ----------
    loss : (n_records, n_models) array_like
    """
    L = np.asarray(loss, dtype=np.float64)
    if L.ndim != 2 or L.shape[0] < 2:
        return np.zeros(L.shape[-1] if L.ndim else 0, dtype=np.int64)
    prev, nxt = L[:-1], L[1:]
    ok = np.isfinite(prev) & np.isfinite(nxt)
    return np.sum(ok & (nxt > prev * (1.0 + INCREASE_RTOL)), axis=0).astype(np.int64)


def plateau_drop(loss: ArrayLike, times: ArrayLike) -> NDArray[np.float64]:
    """``(n_models,)`` relative loss decrease ``(L(t/2) - L(t)) / L(t/2)`` over the second half of each run.

    ``L(t/2)`` is the last record at or before half the final time. Records
    after a model stopped repeat its final loss, so the final time is the last
    record where the loss still changed.
    """
    L = np.asarray(loss, dtype=np.float64)
    T = np.asarray(times, dtype=np.float64)
    if L.ndim != 2 or L.shape[0] < 2:
        return np.full(L.shape[-1] if L.ndim == 2 else 0, np.nan)
    if T.ndim == 1:
        T = np.repeat(T[:, None], L.shape[1], axis=1)
    out = np.full(L.shape[1], np.nan)
    for i in range(L.shape[1]):
        changed = np.flatnonzero(L[1:, i] != L[:-1, i])
        end = changed[-1] + 1 if changed.size else L.shape[0] - 1
        t_end = T[end, i]
        half = np.flatnonzero(T[: end + 1, i] <= 0.5 * t_end)
        j = half[-1] if half.size else 0
        if np.isfinite(L[j, i]) and L[j, i] > 0:
            out[i] = (L[j, i] - L[end, i]) / L[j, i]
    return out


@renamed_arguments(X="points", y="values")
def training_state(
    result: Any, points: ArrayLike, values: ArrayLike, *, grad_tol: float = DEFAULT_GRAD_TOL, lr: ArrayLike | None = None,
    min_plateau_time: ArrayLike | None = None,
) -> list[dict[str, Any]]:
    """Training state of every model of a :class:`TrainResult` (see the module docstring).

    Parameters
    ----------
    result : TrainResult
        Depth-1 networks without output bias, trained with any loss of the table
        (``result.config["loss"]``, default ``"squared"``).
    points : (n_points, n_dims) or (n_models, n_points, n_dims) array_like
        The training inputs (formerly ``X``; the old keyword warns until 0.3.0).
    values : (n_points,) or (n_models, n_points) array_like
        The training targets (formerly ``y``).
    grad_tol : float
        Tolerance of :func:`stationarity`.
    lr : float or (n_models,) array_like, optional
        GD step sizes (checked against ``2 / sharpness``); None for gradient flow.
    min_plateau_time : float or (n_models,) array_like, optional
        A loss plateau counts as stationary only for runs that reached this
        gradient-flow time (e.g. the earliest time a neuron can escape the
        initial saddle: a tiny network's loss is flat before it).

    Returns
    -------
    list of dict
        Per model: ``train_loss, train_rmse_rel, grad_norm, stationarity,
        sharpness, lr_stability_limit, flow_time, train_steps, loss_increases,
        train_status``.
    """
    import torch

    from ._model import augment, loss_and_grads

    grad_tol = check_positive(grad_tol, "grad_tol")
    m = result.n_models
    W = np.asarray(result.W, dtype=np.float64)
    a = np.asarray(result.a, dtype=np.float64)
    X = np.asarray(points, dtype=np.float64)
    Y = np.asarray(values, dtype=np.float64)
    Y = np.array(np.broadcast_to(Y, (m, Y.shape[-1])) if Y.ndim == 1 else Y)
    Xt = augment(torch.as_tensor(np.ascontiguousarray(X)))
    Wt, at = torch.as_tensor(W), torch.as_tensor(a)
    loss = get_loss((getattr(result, "config", None) or {}).get("loss", "squared"))
    L_t, gW, ga, _ = loss_and_grads(Wt, at, None, Xt, torch.as_tensor(np.ascontiguousarray(Y)), loss.name)
    L = L_t.numpy()
    gnorm = torch.sqrt((gW * gW).sum(dim=(1, 2)) + (ga * ga).sum(dim=1)).numpy()
    stat = stationarity([Wt, at], [gW, ga]).numpy()
    sharp = gauss_newton_sharpness(W, a, X)
    rmse_rel = loss.fit_error(L, Y)
    incr = count_increases(result.loss)
    times = result.times
    drop = plateau_drop(result.loss, times if times is not None else result.steps)
    flow_time = np.asarray(times[-1], dtype=np.float64) if times is not None and len(times) else np.zeros(m)
    steps = np.asarray(result.n_evals if result.n_evals is not None else np.zeros(m), dtype=np.int64).reshape(-1)
    lr_arr = None if lr is None else np.broadcast_to(np.asarray(lr, dtype=np.float64), (m,))
    # a flow run that spent its evaluation budget ran out of budget; every other failure is a blow-up
    t_min = np.zeros(m) if min_plateau_time is None else np.broadcast_to(np.asarray(min_plateau_time, float), (m,))
    failed = {i for i, why in result.failed if not str(why).startswith("evaluation budget")}
    out = []
    for i in range(m):
        limit = float(2.0 / sharp[i]) if sharp[i] > 0 else float("inf")
        above = lr_arr is not None and lr_arr[i] > limit
        if rmse_rel[i] <= loss.fit_tol and i not in failed:
            status = "interpolating"
        elif i in failed or incr[i] > 0 or above:
            status = "unstable"
        elif stat[i] < grad_tol or (
            np.isfinite(drop[i]) and drop[i] < PLATEAU_RTOL and flow_time[i] >= t_min[i]
        ):
            status = "stationary"
        else:
            status = "budget"
        out.append(
            {
                "train_loss": float(L[i]),
                "train_rmse_rel": float(rmse_rel[i]),
                "grad_norm": float(gnorm[i]),
                "stationarity": float(stat[i]),
                "sharpness": float(sharp[i]),
                "lr_stability_limit": limit,
                "step_above_limit": bool(above),
                "flow_time": float(flow_time[i]),
                "train_steps": int(steps[i]),
                "loss_increases": int(incr[i]),
                "plateau_drop": float(drop[i]),
                "train_status": status,
            }
        )
    return out
