"""The GD step of depth-1 networks under the squared loss in one numba call, and the engine's glue.

:func:`gd_step` does what :meth:`geoquant.nn._engine.Engine.step` does with torch
operations around the fused kernels of :mod:`geoquant.nn._fused` -- outputs, residual,
loss, the tol / max_loss / NaN decisions, the masked backward with the update, the
failure bookkeeping, the step counter -- in one call per step, with no temporaries.
Its arithmetic is the torch step's, operation by operation: the loss is summed in the
order torch's CPU row sum uses (:func:`_torch_sum`), so that the two steps are
bit-identical. That order depends on torch's build and the machine's vector width, so
:func:`torch_sum_lanes` checks it against torch at the run's shape before the engine
uses the kernel (:func:`setup`); where it does not match, or for another loss, the
engine keeps the torch-ops step.
"""

from __future__ import annotations

from typing import Any

import numba as nb
import numpy as np
import torch

from ._fused import _backward_model, _forward_model, _parallel
from ._fused_lanes import _OPTS, _local
from ._losses import SQUARED, get_loss

__all__ = ["gd_step", "squared_loss_rows", "torch_sum_lanes", "setup", "step"]


#: the widest vector torch's row sums use (float32 lanes on AVX-512); see :func:`_torch_sum`
MAX_LANES = 16
_SUM_ACC = 4 * 4 * MAX_LANES  # accumulators of _torch_sum: 4 levels x 4 vectors x up to MAX_LANES lanes
_STRICT: dict[str, Any] = dict(cache=True, nogil=True, boundscheck=False)  # no fastmath: every operation as written


@nb.njit(**_STRICT)
def _torch_sum(x, n, lanes, zero):  # noqa: C901 - a port of torch's loop nest, kept in its shape  # pragma: no cover - compiled
    """``sum(x[:n])`` added in the order of torch's CPU row sum (``at::native`` cascade sum).

    torch sums a contiguous row of ``n >= lanes`` elements as ``n // lanes`` vectors of
    ``lanes`` elements in four interleaved vector accumulators (a cascade of four levels
    of ``2^p`` rows each, ``p = max(4, ceil(log2 rows) // 4)``), folds accumulators 1-3
    into 0, then adds the scalar tail and the lanes one by one to 0; a shorter row goes
    the same way with scalars (``lanes = 1``) and no final fold. Written without fastmath,
    so each addition rounds as torch's does; the engine checks the result against torch
    (:func:`squared_loss_rows`) before it relies on it.
    """
    vec = n >= lanes and lanes > 1
    V = lanes if vec else 1
    nvec = n // V
    size = nvec // 4
    w = 4 * V  # one group of four vectors; acc[level * w + row * V + lane]
    acc = _local(x, _SUM_ACC)
    bits = 0
    while (1 << bits) < size:  # ceil(log2 size)
        bits += 1
    level_power = max(4, bits // 4)
    level_step = 1 << level_power
    level_mask = level_step - 1
    cascade = size >= level_step  # else the levels above 0 stay 0
    for q in range(4 * w if cascade else w):
        acc[q] = zero
    i = 0
    while i + level_step <= size:
        for _ in range(level_step):
            for q in range(w):
                acc[q] += x[i * w + q]
            i += 1
        for lvl in range(1, 4):
            for q in range(w):
                acc[lvl * w + q] += acc[(lvl - 1) * w + q]
                acc[(lvl - 1) * w + q] = zero
            if (i & (level_mask << (lvl * level_power))) != 0:
                break
    while i < size:
        for q in range(w):
            acc[q] += x[i * w + q]
        i += 1
    for lvl in range(1, 4):
        for q in range(w):
            # without the cascade the levels hold +0: adding it only turns -0 into +0, as torch's does
            acc[q] += acc[lvl * w + q] if cascade else zero
    for row in range(4 * size, nvec):  # vectors past the last group of four
        for lane in range(V):
            acc[lane] += x[row * V + lane]
    for kk in range(1, 4):
        for lane in range(V):
            acc[lane] += acc[kk * V + lane]
    if not vec:
        return acc[0]
    total = zero
    for t in range(nvec * V, n):
        total += x[t]
    for lane in range(V):
        total += acc[lane]
    return total


@nb.njit(**_STRICT)
def _squared_loss(fb, yb, cb, has_c, rb, sq, nf, half, lanes, zero):  # pragma: no cover - compiled
    """The squared loss of one model as torch computes it (``_squared_value_and_residual``):
    ``res = (f + c) - y``, ``L = half * (sum(res * res) / n)``, ``r = res / n`` into ``rb``."""
    n = fb.shape[0]
    for i in range(n):
        res = (fb[i] + cb) - yb[i] if has_c else fb[i] - yb[i]
        sq[i] = res * res
        rb[i] = res / nf
    return half * (_torch_sum(sq, n, lanes, zero) / nf)


@nb.njit(**_STRICT)
def _loss_rows(f, y, c, has_c, lanes, L, r, gc):  # pragma: no cover - compiled
    zero = f.dtype.type(0)
    n = f.shape[1]
    nf = f.dtype.type(n)
    half = f.dtype.type(0.5)
    sq = np.empty(n, dtype=f.dtype)
    for b in range(f.shape[0]):
        L[b] = _squared_loss(f[b], y[b], c[b] if has_c else zero, has_c, r[b], sq, nf, half, lanes, zero)
        gc[b] = _torch_sum(r[b], n, lanes, zero)


@nb.njit(**_OPTS)
def _gd_model(W, a, XT, y, c, has_c, lr, tol, has_tol, max_loss, active, conv_step, fail_loss, fail_step, step,
              lanes, nf, half, f, r, sq, G, ga, gsum, gc, b, zero):  # pragma: no cover - compiled
    """One GD step of model ``b`` under the squared loss (see :func:`gd_step`)."""
    gc[b] = zero
    if not active[b]:
        return
    _forward_model(W, a, XT, b, zero, f[b])
    L = _squared_loss(f[b], y[b], c[b] if has_c else zero, has_c, r[b], sq[b], nf, half, lanes, zero)
    conv = has_tol and L <= tol[b]
    if conv:
        conv_step[b] = step
    # one comparison rejects NaN, inf and a diverging loss (NaN compares False)
    ok = not conv and L <= max_loss[b]
    if ok:
        gsum[b] = zero
        _backward_model(W, a, XT, r[b], b, zero, G, ga, lr, gsum, False)
        total = gsum[b]
        if has_c:
            gc[b] = _torch_sum(r[b], r.shape[1], lanes, zero)
            total = total + gc[b]
        # a gradient that overflowed with a finite loss: the update was applied, the model fails
        ok = np.isfinite(total)
    if not ok and not conv:
        fail_loss[b] = L
        fail_step[b] = step
    active[b] = ok


@nb.njit(**_OPTS)
def _gd_serial(W, a, XT, y, c, has_c, lr, tol, has_tol, max_loss, active, conv_step, fail_loss, fail_step, step_t,
               lanes, f, r, sq, G, ga, gsum, gc):  # pragma: no cover - compiled
    zero = W.dtype.type(0)
    nf = W.dtype.type(XT.shape[2])
    half = W.dtype.type(0.5)
    step = step_t[0]
    for b in range(W.shape[0]):
        _gd_model(W, a, XT, y, c, has_c, lr, tol, has_tol, max_loss, active, conv_step, fail_loss, fail_step, step,
                  lanes, nf, half, f, r, sq, G, ga, gsum, gc, b, zero)
    step_t[0] = step + 1


@nb.njit(parallel=True, **_OPTS)
def _gd_parallel(W, a, XT, y, c, has_c, lr, tol, has_tol, max_loss, active, conv_step, fail_loss, fail_step, step_t,
                 lanes, f, r, sq, G, ga, gsum, gc):  # pragma: no cover - compiled
    zero = W.dtype.type(0)
    nf = W.dtype.type(XT.shape[2])
    half = W.dtype.type(0.5)
    step = step_t[0]
    for b in nb.prange(W.shape[0]):
        _gd_model(W, a, XT, y, c, has_c, lr, tol, has_tol, max_loss, active, conv_step, fail_loss, fail_step, step,
                  lanes, nf, half, f, r, sq, G, ga, gsum, gc, b, zero)
    step_t[0] = step + 1


def squared_loss_rows(f: np.ndarray, y: np.ndarray, c: np.ndarray | None, lanes: int
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The squared loss as :func:`gd_step` computes it, for checking it against torch.

    Parameters
    ----------
    f, y : (n_models, n) float ndarray, same dtype, C-contiguous
        Outputs (without the output bias) and targets.
    c : (n_models,) ndarray or None
        Output bias.
    lanes : int
        Vector width (elements) of the row sums (see :func:`_torch_sum`).

    Returns
    -------
    L : (n_models,) ndarray
        ``0.5 * mean((f + c - y)^2)`` per row.
    r : (n_models, n) ndarray
        ``(f + c - y) / n``.
    gc : (n_models,) ndarray
        ``r.sum(axis=1)``.
    """
    m = f.shape[0]
    L = np.empty(m, dtype=f.dtype)
    r = np.empty_like(f)
    gc = np.empty(m, dtype=f.dtype)
    _loss_rows(f, y, np.zeros(m, dtype=f.dtype) if c is None else c, c is not None, int(lanes), L, r, gc)
    return L, r, gc


def gd_step(W: np.ndarray, a: np.ndarray, XT: np.ndarray, y: np.ndarray, c: np.ndarray | None, lr: np.ndarray,
            tol: np.ndarray | None, max_loss: np.ndarray, active: np.ndarray, conv_step: np.ndarray,
            fail_loss: np.ndarray, fail_step: np.ndarray, step: np.ndarray, lanes: int, work: dict[str, np.ndarray],
            gc: np.ndarray) -> None:
    """One masked GD step of every active model under the squared loss, all in place, in one call.

    Per active model ``b`` (the step of :meth:`geoquant.nn._engine.Engine.step`, with the
    same arithmetic): outputs ``f`` (NaN when a weight is not finite), ``res = f + c - y``,
    ``L = 0.5 mean(res^2)`` (summed in torch's order, see :func:`_torch_sum`),
    ``r = res / n``; ``L <= tol[b]``: converged (``conv_step[b] = step``); else ``L <=
    max_loss[b]`` (not NaN): ``W``, ``a`` updated as in :func:`backward_sums` and
    ``gc[b] = sum r`` (``dL/dc``, for the caller's update of ``c``); a non-finite gradient
    sum marks the model failed after its update. A model that fails gets ``fail_loss[b]
    = L``, ``fail_step[b] = step``; ``active[b]`` is cleared for every model that
    stopped. ``step[0]`` is incremented.

    Parameters
    ----------
    W : (n_models, k, d + 1) ndarray
    a : (n_models, k) ndarray
    XT : (n_models, d + 1, n) ndarray
    y : (n_models, n) ndarray
    c : (n_models,) ndarray or None
        Output bias (read only; the caller applies ``c -= lr gc``).
    lr, max_loss : (n_models,) ndarray
    tol : (n_models,) ndarray or None
    active : (n_models,) bool ndarray
    conv_step, fail_step : (n_models,) int64 ndarray
    fail_loss : (n_models,) ndarray
    step : (1,) int64 ndarray
        The step counter.
    lanes : int
        Vector width of torch's row sums for this dtype (checked by the caller).
    work : dict
        Scratch ``"f"``, ``"r"``, ``"sq"`` ``(n_models, n)``, ``"G"`` (like ``W``), ``"ga"``
        (like ``a``), ``"gsum"`` ``(n_models,)``.
    gc : (n_models,) ndarray
        Receives ``dL/dc`` (0 for models that did not step).
    """
    kernel = _gd_parallel if _parallel(W, XT) else _gd_serial
    m = W.shape[0]
    kernel(W, a, XT, y, np.zeros(m, dtype=W.dtype) if c is None else c, c is not None, lr,
           max_loss if tol is None else tol, tol is not None, max_loss, active, conv_step, fail_loss, fail_step, step,
           int(lanes), work["f"], work["r"], work["sq"], work["G"], work["ga"], work["gsum"], gc)


_LANES: dict[tuple[Any, int, int, bool, int], int] = {}


def torch_sum_lanes(dtype: torch.dtype, m: int, n: int, output_bias: bool) -> int:
    """The vector width with which :func:`squared_loss_rows` reproduces torch, or 0.

    Compares the squared loss, its residual and the residual's row sums (``dL/dc``)
    computed by the kernel with torch's (``SQUARED.value_and_residual``, ``sum``) on
    three random draws of shape ``(m, n)``, bit for bit, for the widths torch's CPU
    kernels use (32-, 64- and 16-byte vectors, then scalars); cached per shape, dtype
    and thread count.
    """
    key = (dtype, m, n, output_bias, torch.get_num_threads())
    if key in _LANES:
        return _LANES[key]
    g = torch.Generator().manual_seed(0)
    size = torch.empty((), dtype=dtype).element_size()
    draws = []
    for _ in range(3):  # the shape itself (torch may sum a single row differently), three draws
        f, y = torch.randn((2, m, n), generator=g, dtype=torch.float64).to(dtype)
        c = torch.randn(m, generator=g, dtype=torch.float64).to(dtype) if output_bias else None
        L, r = SQUARED.value_and_residual(f if c is None else f + c.unsqueeze(1), y)
        draws.append((f, y, c, [L, r, r.sum(dim=1)][: 3 if output_bias else 2]))
    found = 0
    for lanes in (32 // size, 64 // size, 16 // size, 1):
        if all(
            all(np.array_equal(u.numpy(), v) for u, v in
                zip(ref, squared_loss_rows(f.numpy(), y.numpy(), None if c is None else c.numpy(), lanes)))
            for f, y, c, ref in draws
        ):
            found = lanes
            break
    _LANES[key] = found
    return found


def setup(eng: Any) -> dict[str, Any]:
    """The arrays :func:`step` needs for the engine ``eng``, or ``{}`` where the one-call step does not apply.

    It applies to the squared loss (the registered one) with per-model ``lr`` and
    ``max_loss`` when the kernel's sums reproduce torch's at this shape
    (:func:`torch_sum_lanes`). Arrays are numpy views of the engine's tensors (the
    kernel updates them in place) and scratch buffers reused by every step.
    """
    m, n = eng.prob.n_models, eng.prob.n_points
    if get_loss(eng.loss_name).value_and_residual is not SQUARED.value_and_residual:
        return {}
    if eng.lr.shape != (m,) or eng.max_loss.shape != (m,):
        return {}
    lanes = torch_sum_lanes(eng.W.dtype, m, n, eng.has_c)
    if not lanes:
        return {}
    f = eng.f_buf.numpy()
    return {
        "lanes": lanes,
        "y": np.ascontiguousarray(np.broadcast_to(eng.y.numpy(), (m, n))),
        "tol": None if eng.tol is None else np.ascontiguousarray(np.broadcast_to(eng.tol.numpy(), (m,))),
        "step": eng.step_t.view(1).numpy(),
        "work": {"f": f, "r": np.empty_like(f), "sq": np.empty_like(f), "G": eng.G_buf.numpy(),
                 "ga": eng.ga_buf.numpy(), "gsum": np.zeros(m, dtype=f.dtype)},
        "gc": torch.zeros(m, dtype=eng.W.dtype),
    }


def step(eng: Any, gd: dict[str, Any]) -> None:
    """One GD step of the engine ``eng`` (arrays from :func:`setup`): the kernel, then the output bias's update."""
    c = eng.params[2] if eng.has_c else None
    gd_step(eng.W.numpy(), eng.a.numpy(), eng.XT_np, gd["y"], None if c is None else c.numpy(), eng.lr_np,
            gd["tol"], eng.max_loss.numpy(), eng.active.numpy(), eng.conv_step.numpy(), eng.fail_loss.numpy(),
            eng.fail_step.numpy(), gd["step"], gd["lanes"], gd["work"], gd["gc"].numpy())
    if c is not None:
        c.addcmul_(eng.lr, gd["gc"], value=-1.0)
