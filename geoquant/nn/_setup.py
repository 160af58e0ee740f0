"""Argument checking and the starting state shared by the GD and flow trainers.

Everything the public training functions accept is validated here, once, with
messages naming the argument; the loops below assume clean tensors.
"""

from __future__ import annotations

import hashlib
import numbers
import os
from dataclasses import dataclass

import numpy as np
import torch

from .._validation import (
    as_float_array,
    check_int,
    check_memory,
    check_option,
    check_points,
    check_positive,
)
from ..errors import InvalidInputError
from ._init import INITS, initialize, model_seeds, resolve_init_scale
from ._io import load_result
from ._losses import get_loss
from ._model import augment
from ._result import TrainResult

__all__ = ["Problem", "prepare", "resolve_device", "per_model", "DTYPES"]

DTYPES = {"float32": torch.float32, "float64": torch.float64}


def resolve_device(device) -> torch.device:
    """``None`` -> CUDA when available, else CPU; otherwise check the request."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise InvalidInputError(f"'device' must be None, 'cpu', 'cuda' or 'cuda:N', found {device!r} ({exc})") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise InvalidInputError(f"'device' is {device!r} but CUDA is not available on this machine")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise InvalidInputError(
                f"'device' {device!r} names a GPU that does not exist ({torch.cuda.device_count()} visible)"
            )
        if dev.index is None:
            dev = torch.device("cuda", torch.cuda.current_device())
    elif dev.type != "cpu":
        raise InvalidInputError(f"'device' must be 'cpu' or a CUDA device, found {device!r}")
    return dev


def per_model(value, name: str, n_models: int, *, strict: bool = True, allow_inf: bool = False) -> np.ndarray:
    """A positive scalar or ``(n_models,)`` array -> ``(n_models,)`` float64."""
    if isinstance(value, bool):
        raise InvalidInputError(f"'{name}' must be a positive number or an (n_models,) array, found {value!r}")
    if isinstance(value, numbers.Real):
        v = check_positive(value, name, strict=strict, allow_inf=allow_inf)
        return np.full(n_models, v)
    arr = as_float_array(value, name, ndim=1, finite=not allow_inf)
    if np.any(np.isnan(arr)):
        raise InvalidInputError(f"'{name}' must not contain NaN")
    if arr.shape[0] not in (1, n_models):
        raise InvalidInputError(
            f"'{name}' must be a scalar or have shape ({n_models},) (n_models), found ({arr.shape[0]},)"
        )
    bad = arr <= 0 if strict else arr < 0
    if np.any(bad):
        raise InvalidInputError(f"'{name}' must be {'> 0' if strict else '>= 0'}, found {arr[bad].ravel()[0]!r}")
    return np.broadcast_to(arr, (n_models,)).astype(np.float64).copy()


@dataclass
class Problem:
    """Validated data, sizes and the starting parameters of a training run."""

    X: np.ndarray  # (n_points, d) or (n_models, n_points, d), float64
    y: np.ndarray  # (n_models, n_points) float64
    n_models: int
    width: int
    n_dims: int
    n_points: int
    depth: int
    output_bias: bool
    loss: str
    dtype: torch.dtype
    device: torch.device
    start: dict  # float64 CPU tensors W, a, c, hidden to start from
    init: dict  # initial parameters (numpy, for the result)
    config: dict
    previous: object = None  # TrainResult resumed from, or None

    def device_params(self):
        """Starting parameters cast and moved to the training device (list: W, a, [c], *hidden)."""
        s = self.start
        out = [s["W"], s["a"]] + ([s["c"]] if s["c"] is not None else []) + list(s["hidden"])
        return [t.to(dtype=self.dtype, device=self.device).contiguous() for t in out]

    def device_data(self):
        """``(Xt, y)`` on the training device: augmented inputs and targets."""
        X = torch.as_tensor(self.X, dtype=torch.float64)
        Xt = augment(X).to(dtype=self.dtype, device=self.device).contiguous()
        y = torch.as_tensor(self.y, dtype=torch.float64).to(dtype=self.dtype, device=self.device).contiguous()
        return Xt, y


def _check_data(X, y, n_models, loss):
    Xa = as_float_array(X, "points", ndim=(1, 2, 3))
    if Xa.ndim == 3:
        if Xa.shape[0] != n_models:
            raise InvalidInputError(
                f"'points' with a model axis must have shape (n_models={n_models}, n_points, n_dims), found {Xa.shape}"
            )
        if Xa.shape[1] < 1 or Xa.shape[2] < 1:
            raise InvalidInputError(f"'points' must hold at least one point with one coordinate, found shape {Xa.shape}")
    else:
        Xa = check_points(Xa, "points", min_points=1, duplicate_rtol=None, full_rank=False)
    n = Xa.shape[-2]
    ya = as_float_array(y, "values", ndim=(1, 2))
    if ya.ndim == 1:
        if ya.shape[0] != n:
            raise InvalidInputError(f"'values' must have shape ({n},) or ({n_models}, {n}) to match 'points', found {ya.shape}")
        ya = np.broadcast_to(ya, (n_models, n)).copy()
    elif ya.shape != (n_models, n):
        raise InvalidInputError(f"'values' must have shape ({n},) or ({n_models}, {n}) to match 'points', found {ya.shape}")
    check_targets = get_loss(loss).check_targets
    problem = check_targets(ya) if check_targets is not None else None
    if problem is not None:
        raise InvalidInputError(problem)
    return Xa, ya


def _data_hash(x: np.ndarray) -> str:
    """Fingerprint of training data (float64 values and shape), stored so a resume can check it."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    return hashlib.sha256(repr(x.shape).encode() + x.tobytes()).hexdigest()


def _load_previous(resume_from):
    if isinstance(resume_from, TrainResult):
        return resume_from
    if isinstance(resume_from, (str, os.PathLike)):
        return load_result(resume_from)
    raise InvalidInputError(
        f"'resume_from' must be a TrainResult or a directory written by save_checkpoints, "
        f"found {type(resume_from).__name__}"
    )


def check_training_memory(n_models: int, width: int, depth: int, n_points: int, n_dims: int, dtype: str) -> None:
    """Refuse (TooLargeError) an ensemble whose working arrays cannot fit the memory budget.

    The estimate counts the per-step pre-activation and mask arrays
    ``(n_models, width, n_points)`` (three of them), the parameters with their
    gradients and integrator stages (about twelve copies), and the hidden
    ``width x width`` layers of deeper networks.
    """
    item = 4 if dtype == "float32" else 8
    per_model = float(width) * (3.0 * n_points + 12.0 * (n_dims + 2)) + (depth - 1) * 12.0 * float(width) ** 2
    check_memory(
        item * float(n_models) * per_model,
        f"training {n_models} network(s) of width {width} (depth {depth}) on {n_points} points in {n_dims}D",
        "lower 'width' or 'n_models', or split the ensemble into several runs",
    )


def prepare(
    X,
    y,
    *,
    width,
    n_models,
    init_scale,
    init,
    seed,
    device,
    dtype,
    loss,
    output_bias,
    depth,
    resume_from,
    method,
) -> Problem:
    """Validate the common arguments and build the starting state."""
    n_models = check_int(n_models, "n_models", min_value=1)
    width = check_int(width, "width", min_value=1)
    depth = check_int(depth, "depth", min_value=1)
    check_option(init, "init", INITS)
    loss = get_loss(loss).name  # a name in the loss table (a registered Loss is stored by its name)
    check_option(dtype, "dtype", tuple(DTYPES))
    if not isinstance(output_bias, (bool, np.bool_)):
        raise InvalidInputError(f"'output_bias' must be True or False, found {output_bias!r}")
    output_bias = bool(output_bias)
    dev = resolve_device(device)
    try:
        shape = np.shape(X)
    except (TypeError, ValueError):  # ragged input: _check_data reports it
        shape = ()
    if len(shape) in (1, 2, 3):  # refuse before the data are copied per model
        check_training_memory(n_models, width, depth, shape[-2] if len(shape) > 1 else shape[0],
                              shape[-1] if len(shape) > 1 else 1, dtype)
    Xa, ya = _check_data(X, y, n_models, loss)
    d = Xa.shape[-1]
    n = Xa.shape[-2]
    check_training_memory(n_models, width, depth, n, d, dtype)

    previous = None
    if resume_from is not None:
        previous = _load_previous(resume_from)
        pc = previous.config
        expect = {
            "n_models": n_models,
            "width": width,
            "n_dims": d,
            "depth": depth,
            "output_bias": output_bias,
        }
        found = {
            "n_models": previous.n_models,
            "width": previous.width,
            "n_dims": previous.n_dims,
            "depth": previous.depth,
            "output_bias": previous.c is not None,
        }
        for key in expect:
            if expect[key] != found[key]:
                raise InvalidInputError(
                    f"'resume_from' holds a run with {key}={found[key]!r}, but this call has {key}={expect[key]!r}"
                )
        # the data and the loss must be the ones the run was trained on
        for key, now in (("loss", loss), ("n_points", int(n)), ("shared_X", Xa.ndim == 2)):
            if key in pc and pc[key] != now:
                raise InvalidInputError(
                    f"'resume_from' holds a run with {key}={pc[key]!r}, but this call has {key}={now!r}; "
                    "resume with the settings and data of the run"
                )
        for key, arr, what in (("X_sha256", Xa, "'points'"), ("y_sha256", ya, "'values'")):
            if key in pc and pc[key] != _data_hash(arr):
                raise InvalidInputError(
                    f"'resume_from' holds a run trained on other data: {what} differ from the run's "
                    f"({key} {str(pc[key])[:12]}..., this call {_data_hash(arr)[:12]}...); resume with the same data"
                )
        if pc.get("method", "gd") != method:
            raise InvalidInputError(
                f"'resume_from' holds a {pc.get('method', 'gd')!r} run; it cannot be resumed with method={method!r}"
            )
        t = lambda x: torch.as_tensor(np.asarray(x), dtype=torch.float64)  # noqa: E731
        start: dict = {
            "W": t(previous.W),
            "a": t(previous.a),
            "c": None if previous.c is None else t(previous.c),
            "hidden": tuple(t(h) for h in previous.hidden),
        }
        init_np = {
            "W": previous.init_W,
            "a": previous.init_a,
            "c": previous.init_c,
            "hidden": tuple(previous.init_hidden),
        }
        scales = np.asarray(pc.get("init_scale", [np.nan] * n_models), dtype=np.float64)
        seeds = list(pc.get("model_seeds", []))
        init = pc.get("init", init)
    else:
        scales = resolve_init_scale(init_scale, width=width, n_models=n_models, init=init)
        seeds = model_seeds(seed, n_models)
        start = initialize(
            n_models, width, d, init=init, scales=scales, seeds=seeds, depth=depth, output_bias=output_bias
        )
        np_dtype = np.float32 if dtype == "float32" else np.float64
        # the initial parameters as the training dtype sees them
        init_np = {
            "W": start["W"].numpy().astype(np_dtype),
            "a": start["a"].numpy().astype(np_dtype),
            "c": None if start["c"] is None else start["c"].numpy().astype(np_dtype),
            "hidden": tuple(h.numpy().astype(np_dtype) for h in start["hidden"]),
        }

    config = {
        "method": method,
        "n_models": n_models,
        "width": width,
        "n_dims": int(d),
        "n_points": int(n),
        "depth": depth,
        "output_bias": output_bias,
        "loss": loss,
        "init": init,
        "init_scale": [float(s) for s in scales],
        "seed": (
            previous.config.get("seed")
            if previous is not None
            else (int(seed) if isinstance(seed, numbers.Integral) else [int(s) for s in seed])
        ),
        "model_seeds": [int(s) for s in seeds],
        "dtype": dtype,
        "device": str(dev),
        "device_name": torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu",
        "torch_version": torch.__version__,
        "shared_X": Xa.ndim == 2,
        "X_sha256": _data_hash(Xa),
        "y_sha256": _data_hash(ya),
        "resumed": previous is not None,
    }
    try:
        from .._version import __version__

        config["geoquant_version"] = __version__
    except ImportError:  # pragma: no cover
        pass
    return Problem(
        X=Xa,
        y=ya,
        n_models=n_models,
        width=width,
        n_dims=int(d),
        n_points=int(n),
        depth=depth,
        output_bias=output_bias,
        loss=loss,
        dtype=DTYPES[dtype],
        device=dev,
        start=start,
        init=init_np,
        config=config,
        previous=previous,
    )
