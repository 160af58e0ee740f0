"""Gradient flow of many shallow ReLU networks, integrated with adaptive steps: the :func:`train_flow` front-end.

The arguments are checked here; the integrator (Bogacki--Shampine 3(2) with
per-neuron relative error control, dense output at record times) and its loop
are the training engine's (:func:`geoquant.nn._engine_flow.run_flow`, over
:mod:`geoquant.nn._engine`, shared with :func:`geoquant.nn.train_gd`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Literal

import numpy as np
import torch
from numpy.typing import ArrayLike

from .._deprecation import renamed_arguments
from .._validation import check_int, check_positive
from ..errors import InvalidInputError
from ._engine import check_schedule_arg
from ._flow_run import run_flow
from ._result import TrainResult
from ._setup import per_model, prepare

__all__ = ["train_flow"]


@renamed_arguments(X="points", y="values")
def train_flow(
    points: ArrayLike,
    values: ArrayLike,
    *,
    width: int,
    t_max: float,
    n_models: int = 1,
    init_scale: float | ArrayLike | str | None = None,
    init: Literal["balanced", "gaussian", "pytorch"] = "balanced",
    rtol: float = 1e-3,
    atol: float | None = None,
    h_max: float | None = None,
    tol: float | ArrayLike | None = None,
    grad_tol: float | None = None,
    seed: int | Sequence[int] = 0,
    device: str | torch.device | None = None,
    dtype: Literal["float32", "float64"] = "float64",
    loss: str = "squared",
    checkpoints: int | ArrayLike = 20,
    records: int = 200,
    t_first: float | None = None,
    progress: bool | None = None,
    output_bias: bool = False,
    depth: int = 1,
    max_loss: float | ArrayLike | None = None,
    max_evals: int = 10_000_000,
    resume_from: TrainResult | str | os.PathLike | None = None,
    sliding: bool | None = None,
) -> TrainResult:
    """Integrate the gradient flow of ``n_models`` ReLU networks with adaptive steps.

    Same networks, data, initialization and result as :func:`train_gd`; instead
    of fixed GD steps the flow ``theta' = -grad L(theta)`` is integrated up to
    time ``t_max`` with a per-model adaptive Bogacki--Shampine 3(2) scheme with
    per-neuron relative error control (see the module docstring). The result's
    ``steps`` are the record *times*, ``n_evals`` the gradient evaluations per
    model, and plateau onsets are times.

    Parameters
    ----------
    points, values, width, n_models, init_scale, init, seed, device, loss, output_bias, depth, max_loss
        As for :func:`train_gd` (``points`` and ``values`` were formerly ``X`` and ``y``; the old
        keywords warn until 0.3.0).
    t_max : float
        Integration time (GD with learning rate ``lr`` for ``n`` steps covers
        ``lr * n``).
    rtol : float
        Relative local error allowed per step and neuron.
    atol : float, optional
        Absolute error floor per neuron; default ``1e-6 * rtol * init scale``
        (tiny: the control stays relative).
    h_max : float, optional
        Largest step (default: unbounded).
    tol : float or (n_models,) array_like, optional
        A model whose loss falls to ``tol`` (its own entry) stops.
    grad_tol : float, optional
        A model whose stationarity measure (:func:`geoquant.nn._state.stationarity`:
        relative gradient norm and fastest relative neuron growth) falls below
        ``grad_tol`` stops; ``config["stationary_at"]`` holds the time (None if not).
    dtype : {"float64", "float32"}
        Default float64 (error control near float32 precision is fragile).
    checkpoints, records : int
        Number of log-spaced checkpoint/record times in ``[t_first, t_max]``.
    t_first : float, optional
        First record time (default ``t_max * 1e-5``).
    progress : None or bool
        tqdm bar over time.
    max_evals : int
        Gradient evaluations allowed per model; a model exceeding it stops
        (listed as failed: "evaluation budget").
    resume_from : TrainResult or path, optional
        Continue a flow run up to time ``t_max`` (absolute).
    sliding : bool or None
        Depth 1: integrate sliding modes as such (None: in 1D only). A neuron whose kink (in 2D its
        breakline) reaches a data point from where the flow on both sides pushes it
        back is held on that point, its velocity projected onto the surface
        ``w_j . x~_i = 0`` (the Filippov solution the flow follows there), and let
        go when that stops. Without it the integrator chatters across the point
        with steps of about ``rtol / |rho_i|``; both converge to the same flow as
        ``rtol -> 0`` (``config["flow_pins"]``: the neurons pinned at the end).
        A kink in 1D sits on one data point at a time; a 2D breakline can pass
        through two, where holding it on one of them leaves it chattering on the
        other (measured: more evaluations than without, hence off by default there).

    Returns
    -------
    TrainResult
    """
    prob = prepare(
        points, values, width=width, n_models=n_models, init_scale=init_scale, init=init, seed=seed, device=device,
        dtype=dtype, loss=loss, output_bias=output_bias, depth=depth, resume_from=resume_from, method="flow",
    )
    m = prob.n_models
    t_max = check_positive(t_max, "t_max", strict=False)
    rtol = check_positive(rtol, "rtol")
    if tol is not None:
        tol = per_model(tol, "tol", m, strict=False)
    if grad_tol is not None:
        grad_tol = check_positive(grad_tol, "grad_tol")
    h_max = np.inf if h_max is None else check_positive(h_max, "h_max")
    if sliding is None:
        sliding = prob.n_dims == 1
    if not isinstance(sliding, (bool, np.bool_)):
        raise InvalidInputError(f"'sliding' must be None, True or False, found {sliding!r}")
    max_evals = check_int(max_evals, "max_evals", min_value=1)
    n_ck = check_schedule_arg(checkpoints, "checkpoints", integer=False)
    records = check_int(records, "records", min_value=0)
    prev = prob.previous
    start = float(prev.config.get("t_done", 0.0)) if prev is not None else 0.0  # type: ignore[attr-defined]
    if t_max < start:
        raise InvalidInputError(f"'t_max' must be >= the resumed run's time {start:g}, found {t_max:g}")
    t_first = t_max * 1e-5 if t_first is None else check_positive(t_first, "t_first")
    if t_first > t_max:
        raise InvalidInputError(f"'t_first' must be <= 't_max' ({t_max:g}), found {t_first:g}")
    if atol is None:
        atol = 1e-6 * rtol * float(np.min(prob.config["init_scale"]))
    else:
        atol = check_positive(atol, "atol", strict=False)
    atol = max(atol, 1e-300)
    return run_flow(
        prob, t_max=t_max, rtol=rtol, atol=atol, h_max=h_max, tol=tol, grad_tol=grad_tol, max_evals=max_evals,
        n_ck=n_ck, records=records, t_first=t_first, max_loss=max_loss, progress=progress, sliding=bool(sliding),
    )
