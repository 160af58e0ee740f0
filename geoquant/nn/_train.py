"""Full-batch gradient descent on many shallow ReLU networks at once: the :func:`train_gd` front-end.

The arguments are checked here; the loop, the masked in-place step, records,
checkpoints and stopping rules are the training engine's
(:func:`geoquant.nn._engine.run_gd`), shared with gradient flow
(:func:`geoquant.nn.train_flow`, which ``method="flow"`` dispatches to).
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import torch
from numpy.typing import ArrayLike

from .._deprecation import renamed_arguments
from .._validation import check_int, check_option, check_positive
from ..errors import InvalidInputError
from ._engine import check_schedule_arg, run_gd
from ._flow import train_flow
from ._result import TrainResult
from ._setup import per_model, prepare

__all__ = ["train_gd"]


@renamed_arguments(X="points", y="values")
def train_gd(
    points: ArrayLike,
    values: ArrayLike,
    *,
    width: int,
    n_models: int = 1,
    init_scale: float | ArrayLike | str | None = None,
    init: Literal["balanced", "gaussian", "pytorch"] = "balanced",
    lr: float | ArrayLike = 0.05,
    n_steps: int = 10_000,
    tol: float | ArrayLike | None = None,
    seed: int | Sequence[int] = 0,
    device: str | torch.device | None = None,
    dtype: Literal["float32", "float64"] = "float32",
    loss: str = "squared",
    checkpoints: int | ArrayLike = 20,
    records: int = 200,
    progress: bool | None = None,
    output_bias: bool = False,
    depth: int = 1,
    max_loss: float | ArrayLike | None = None,
    cuda_graphs: bool = True,
    resume_from: TrainResult | str | os.PathLike | None = None,
    method: Literal["gd", "flow"] = "gd",
    **flow_options: Any,
) -> TrainResult:
    """Train ``n_models`` one-hidden-layer ReLU networks by full-batch gradient descent.

    The networks are ``f(x) = sum_j a_j relu(w_j . x + b_j)`` (plus an output
    bias ``c`` with ``output_bias=True``; more hidden layers with ``depth``),
    all trained at once as one batched tensor program.

    Parameters
    ----------
    points : (n_points, n_dims) or (n_models, n_points, n_dims) array_like
        Inputs, shared by all models or one set per model. 1-D input is read
        as points in 1D. (Formerly ``X``; the old keyword warns until 0.3.0.)
    values : (n_points,) or (n_models, n_points) array_like
        Targets (labels -1/+1 for the logistic loss). (Formerly ``y``.)
    width : int
        Hidden neurons per layer.
    n_models : int
        Number of networks trained side by side.
    init_scale : float, (n_models,) array_like, str or None
        Scale of the initialization: a number, one per model, or
        ``"width^p"`` (e.g. ``"width^-0.5"``). None: 1e-4 (1 for
        ``init="pytorch"``).
    init : {"balanced", "gaussian", "pytorch"}
        ``"balanced"``: ``(w_j, b_j)`` uniform on the sphere times the scale,
        ``a_j = +-scale`` (so ``a_j^2 - ||(w_j, b_j)||^2 = 0``, conserved by
        gradient flow); ``"gaussian"``: i.i.d. ``N(0, scale^2)`` entries;
        ``"pytorch"``: ``nn.Linear``'s default times the scale.
    lr : float or (n_models,) array_like
        Learning rate(s).
    n_steps : int
        Number of GD steps (more steps when resuming).
    tol : float or (n_models,) array_like, optional
        A model whose loss falls to ``tol`` (its own entry, if an array) stops
        (frozen; listed in ``converged``); training ends when every model has
        stopped (checked at record steps).
    seed : int or sequence of n_models ints
        Seeds the initialization; an int is expanded into per-model seeds
        (``config["model_seeds"]``), a sequence gives them directly.
    device : None, str or torch.device
        None: CUDA when available, else CPU.
    dtype : {"float32", "float64"}
    loss : str
        A name in the loss table (:func:`geoquant.nn.register_loss` adds one).
        ``"squared"``: ``L = 1/2 * mean_i (f(x_i) - y_i)^2``; ``"logistic"``:
        ``L = mean_i log(1 + exp(-y_i f(x_i)))``.
    checkpoints : int or array_like of steps
        Number of log-spaced parameter checkpoints (plus the initial and final
        state), or the exact steps; 0 for none.
    records : int
        Number of log-spaced steps on which the loss is recorded (the initial
        and final steps always are). The host synchronises with the device only
        on these steps and the checkpoint steps.
    progress : None or bool
        tqdm progress bar: None shows it on a terminal, True always, False never.
    output_bias : bool
        Add a trainable output bias ``c`` (initialised at 0).
    depth : int
        Number of hidden layers; ``depth > 1`` uses autograd for the gradient.
    max_loss : float or (n_models,) array_like, optional
        A model whose loss exceeds this is marked failed ("diverged") and frozen.
        Default ``1e8 * max(initial loss, 1)``; ``inf`` disables the check.
        NaN/inf losses or gradients are always failures.
    cuda_graphs : bool
        On CUDA, capture the step (depth 1) in CUDA graphs and replay them
        (falls back to eager execution if capture fails; ``config["cuda_graphs"]``
        says which ran, ``config["cuda_graph_error"]`` why not).
    resume_from : TrainResult or path, optional
        Continue a run (its final parameters, step count, histories, failures)
        for ``n_steps`` more steps. Sizes must match; the data are given again.
        Resuming in float64 reproduces a run straight through.
    method : {"gd", "flow"}
        ``"flow"`` integrates the gradient flow instead (see :func:`train_flow`);
        it covers the time ``t_max = lr * n_steps`` unless ``t_max`` is given.
    **flow_options
        Passed to :func:`train_flow` when ``method="flow"`` (``t_max``,
        ``rtol``, ``atol``, ...).

    Returns
    -------
    TrainResult
        See :class:`TrainResult`; ``loss`` is recorded on ``steps``
        (log-spaced), its last row holds the final loss per model.

    Examples
    --------
    Three tiny networks from small initialization on five points stall at the least-squares affine
    loss 0.0449 (docs/theory.md §8, check 4):

    >>> import numpy as np
    >>> X = np.array([[-0.8], [-0.3], [0.1], [0.6], [0.9]])
    >>> y = np.array([0.5, 1.0, 0.7, 1.2, 0.4])
    >>> res = train_gd(X, y, width=20, n_models=3, init_scale=1e-3, lr=0.1, n_steps=3000, seed=0)
    >>> res.W.shape, res.a.shape
    ((3, 20, 2), (3, 20))
    >>> res.final_loss.round(3).tolist()
    [0.045, 0.045, 0.045]
    """
    check_option(method, "method", ("gd", "flow"))
    if method == "flow":
        if "t_max" not in flow_options or flow_options["t_max"] is None:
            if isinstance(lr, bool) or not isinstance(lr, numbers.Real):
                raise InvalidInputError(
                    "method='flow' needs 't_max', or a scalar 'lr' and 'n_steps' (t_max = lr * n_steps); "
                    f"found lr={lr!r}"
                )
            steps_ = check_int(n_steps, "n_steps", min_value=0)
            flow_options["t_max"] = check_positive(lr, "lr") * steps_
        return train_flow(
            points, values, width=width, n_models=n_models, init_scale=init_scale, init=init, tol=tol, seed=seed,
            device=device, dtype=dtype, loss=loss, checkpoints=checkpoints, records=records, progress=progress,
            output_bias=output_bias, depth=depth, max_loss=max_loss, resume_from=resume_from, **flow_options,
        )
    if flow_options:
        raise InvalidInputError(f"unexpected keyword argument(s) for method='gd': {', '.join(sorted(flow_options))}")

    prob = prepare(
        points, values, width=width, n_models=n_models, init_scale=init_scale, init=init, seed=seed, device=device,
        dtype=dtype, loss=loss, output_bias=output_bias, depth=depth, resume_from=resume_from, method="gd",
    )
    m = prob.n_models
    lr_arr = per_model(lr, "lr", m)
    n_steps = check_int(n_steps, "n_steps", min_value=0)
    if tol is not None:
        tol = per_model(tol, "tol", m, strict=False)
    n_ck = check_schedule_arg(checkpoints, "checkpoints", integer=True)
    records = check_int(records, "records", min_value=0)
    if not isinstance(cuda_graphs, (bool, np.bool_)):
        raise InvalidInputError(f"'cuda_graphs' must be True or False, found {cuda_graphs!r}")
    return run_gd(
        prob, lr_arr=lr_arr, n_steps=n_steps, tol=tol, n_ck=n_ck, records=records, max_loss=max_loss,
        cuda_graphs=cuda_graphs, progress=progress,
    )
