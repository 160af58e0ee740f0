"""Initial parameters of stacked networks, reproducible on every device.

Each model draws from its own ``torch.Generator`` on the CPU, seeded with its
own 64-bit seed, in float64; the trainer then casts and moves the tensors. So a
model's initialization depends only on its seed and shape -- not on the device,
the dtype or the other models in the batch -- and a batched run can be
reproduced model by model.

Schemes (``scale`` is the model's ``init_scale``):

``"balanced"``
    ``(w_j, b_j)`` uniform on the unit sphere of R^{d+1} times ``scale``, and
    ``a_j = +-scale`` with a random sign, so ``a_j^2 - ||(w_j, b_j)||^2 = 0``,
    the quantity gradient flow conserves (docs/theory.md section 1). Hidden layers of
    deeper networks get rows uniform on the sphere times ``scale``.
``"gaussian"``
    every entry of ``W``, ``a`` (and hidden layers) i.i.d. ``N(0, scale^2)``.
``"pytorch"``
    ``torch.nn.Linear``'s default (Kaiming-uniform with ``a = sqrt(5)``): each
    layer's weights and biases uniform on ``(-1/sqrt(fan_in), 1/sqrt(fan_in))``,
    times ``scale`` (``scale = 1`` is PyTorch's own init).

The output bias, when present, starts at 0.
"""

from __future__ import annotations

import math
import numbers
import re

from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from .._validation import as_float_array, check_int
from ..errors import InvalidInputError

__all__ = ["INITS", "initialize", "model_seeds", "resolve_init_scale"]

INITS = ("balanced", "gaussian", "pytorch")

_WIDTH_POWER = re.compile(r"^\s*width\s*\^\s*\(?\s*([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*\)?\s*$")


def resolve_init_scale(init_scale: Any, *, width: int, n_models: int, init: str) -> NDArray[np.float64]:
    """Per-model init scales ``(n_models,)`` from a number, an array or ``"width^p"``.

    ``init_scale`` may be

    * ``None``: ``1e-4`` for ``"balanced"``/``"gaussian"``, ``1`` for ``"pytorch"``;
    * a positive number or an ``(n_models,)`` array of them;
    * a string ``"width^p"`` (e.g. ``"width^-0.5"`` for ``width**-gamma`` with
      ``gamma = 0.5``), the scaling used in condensation phase diagrams.
    """
    if init_scale is None:
        init_scale = 1.0 if init == "pytorch" else 1e-4
    if isinstance(init_scale, str):
        match = _WIDTH_POWER.match(init_scale)
        if not match:
            raise InvalidInputError(
                f"'init_scale' must be a positive number, an (n_models,) array or a string "
                f"'width^p' such as 'width^-0.5', found {init_scale!r}"
            )
        init_scale = float(width) ** float(match.group(1))
    if isinstance(init_scale, bool):
        raise InvalidInputError(f"'init_scale' must be a positive number, an array or 'width^p', found {init_scale!r}")
    if isinstance(init_scale, numbers.Real):
        arr = np.array([float(init_scale)])
        if not np.isfinite(arr[0]):
            raise InvalidInputError(f"'init_scale' must be finite, found {init_scale!r}")
    else:
        arr = as_float_array(init_scale, "init_scale", ndim=1)
    if arr.shape[0] not in (1, n_models):
        raise InvalidInputError(
            f"'init_scale' must be a scalar or have shape ({n_models},) (n_models), found ({arr.shape[0]},)"
        )
    if np.any(arr <= 0):
        raise InvalidInputError(f"'init_scale' must be > 0, found {arr.min()!r}")
    return np.broadcast_to(arr, (n_models,)).astype(np.float64).copy()


def model_seeds(seed: Any, n_models: int) -> list[int]:
    """Per-model 64-bit seeds.

    An int seed is expanded with ``numpy.random.SeedSequence(seed)`` into
    ``n_models`` independent seeds (so runs with seeds 0 and 1 share no model);
    a sequence of ``n_models`` ints is used as given, which is how a single model
    of a batch is reproduced on its own: ``seed=[result.config["model_seeds"][i]]``.
    """
    if isinstance(seed, (list, tuple, np.ndarray)):
        seeds = list(seed)
        if len(seeds) != n_models:
            raise InvalidInputError(
                f"'seed' must be an int or a sequence of n_models = {n_models} ints, found {len(seeds)} seeds"
            )
        out = []
        for s in seeds:
            s = check_int(s if not isinstance(s, np.integer) else int(s), "seed", min_value=0)
            if s >= 2**64:
                raise InvalidInputError(f"'seed' entries must be < 2**64, found {s}")
            out.append(s)
        return out
    if isinstance(seed, np.integer):
        seed = int(seed)
    seed = check_int(seed, "seed", min_value=0)
    state = np.random.SeedSequence(seed).generate_state(n_models, dtype=np.uint64)
    return [int(s) for s in state]


def _sphere(gen: torch.Generator, rows: int, cols: int) -> torch.Tensor:
    v = torch.randn(rows, cols, generator=gen, dtype=torch.float64)
    norms = v.norm(dim=1, keepdim=True)
    # a Gaussian row of norm exactly 0 has probability 0; guard anyway
    return v / torch.clamp(norms, min=1e-300)


def _uniform(gen: torch.Generator, shape: tuple[int, ...], bound: float) -> torch.Tensor:
    return (torch.rand(*shape, generator=gen, dtype=torch.float64) * 2.0 - 1.0) * bound


def initialize(
    n_models: int,
    width: int,
    n_dims: int,
    *,
    init: str,
    scales: np.ndarray,
    seeds: list[int],
    depth: int = 1,
    output_bias: bool = False,
) -> dict:
    """Draw initial parameters (float64, CPU).

    Parameters
    ----------
    n_models, width, n_dims : int
    init : {"balanced", "gaussian", "pytorch"}
    scales : (n_models,) ndarray
        Per-model init scale (see :func:`resolve_init_scale`).
    seeds : list of n_models ints
        Per-model seeds (see :func:`model_seeds`).
    depth : int
        Number of hidden layers.
    output_bias : bool

    Returns
    -------
    dict with ``"W"`` (n_models, width, n_dims + 1), ``"a"`` (n_models, width),
    ``"c"`` (n_models,) or None and ``"hidden"`` (tuple of depth - 1 tensors
    (n_models, width, width + 1)).
    """
    p = n_dims + 1
    W = torch.empty(n_models, width, p, dtype=torch.float64)
    a = torch.empty(n_models, width, dtype=torch.float64)
    hidden = [torch.empty(n_models, width, width + 1, dtype=torch.float64) for _ in range(depth - 1)]
    for i in range(n_models):
        gen = torch.Generator(device="cpu")
        gen.manual_seed(int(seeds[i]))
        s = float(scales[i])
        if init == "balanced":
            W[i] = _sphere(gen, width, p) * s
            negative = torch.rand(width, generator=gen, dtype=torch.float64) < 0.5
            a[i] = torch.full((width,), s, dtype=torch.float64).masked_fill_(negative, -s)
            for V in hidden:
                V[i] = _sphere(gen, width, width + 1) * s
        elif init == "gaussian":
            W[i] = torch.randn(width, p, generator=gen, dtype=torch.float64) * s
            a[i] = torch.randn(width, generator=gen, dtype=torch.float64) * s
            for V in hidden:
                V[i] = torch.randn(width, width + 1, generator=gen, dtype=torch.float64) * s
        else:  # pytorch: Linear(fan_in, fan_out) draws weight then bias, both U(+-1/sqrt(fan_in))
            bound = 1.0 / math.sqrt(n_dims)
            W[i, :, :n_dims] = _uniform(gen, (width, n_dims), bound) * s
            W[i, :, n_dims] = _uniform(gen, (width,), bound) * s
            hb = 1.0 / math.sqrt(width)
            for V in hidden:
                V[i, :, :width] = _uniform(gen, (width, width), hb) * s
                V[i, :, width] = _uniform(gen, (width,), hb) * s
            a[i] = _uniform(gen, (width,), hb) * s
    c = torch.zeros(n_models, dtype=torch.float64) if output_bias else None
    return {"W": W, "a": a, "c": c, "hidden": tuple(hidden)}
