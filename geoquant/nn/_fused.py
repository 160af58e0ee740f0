"""Fused CPU kernels for depth-1 networks: outputs and loss gradients in two passes, no big temporaries.

A step of ``n_models`` networks of width ``k`` on ``n`` points touches every
pre-activation ``z_ij = w_j . x~_i`` (an ``(n_models, k, n)`` array). Built from
batched matrix products, the step writes that array, rewrites it (relu), builds
the mask, and reads both four more times; on the CPU the products have an
inner dimension of ``d + 1 <= 3`` or a single vector, shapes for which BLAS runs
far below both the machine's matmul peak and its memory bandwidth (measured in
``benchmarks/train.py``). These kernels never store ``z``: the forward pass
computes it, applies relu and accumulates the outputs; the backward pass
recomputes it (``d + 1`` fused multiply-adds, cheaper than reading it back) and
accumulates the masked gradient sums, all in registers and L1 cache.

Conventions (as :mod:`geoquant.nn._model`): ``relu'(0) = 0`` (the mask is
``z > 0``); weights are ``W (n_models, k, d + 1)`` (``[w | b]``), inputs the
transposed ``XT (n_models, d + 1, n)`` (last row all ones), so that the inner
loops (over points) run over contiguous memory. Accumulators have the dtype of the inputs
(float32 or float64). Summation order: vectorised partial sums (the compiler
may reassociate the sums over points; ``fastmath`` is limited to reassociation
and contraction, so NaN/inf propagate as IEEE says). Results are deterministic
for a given machine and thread count does not change them (one model is one
unit of work).

Models with ``active[b] == False`` are skipped (their outputs are left as they
were in the output buffers): a model that has stopped costs nothing.

Small shapes (the phase study's 512 networks of width 100 on 32 points) are bound
by the work around the inner loops, so the 1D kernels block them: the forward sums
``POINT_BLOCK`` points at a time in registers (each output is still the sum over
neurons in order, so the bits do not change), and the float32 backward holds
``NEURON_BLOCK`` neurons in vector lanes and runs over the points one by one (no
reductions across a vector; float32 sums then run in point order, float64 keeps the
order of :func:`_backward_1d`). A whole GD step in one call is
:func:`geoquant.nn._fused_gd.gd_step`, built on these kernels.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from ._fused_lanes import _OPTS, NEURON_BLOCK, POINT_BLOCK, _backward_1d_lanes, _local

__all__ = ["forward_outputs", "backward_sums", "sliding_crossings", "pinned", "set_threads", "POINT_BLOCK",
           "NEURON_BLOCK"]


@nb.njit(**_OPTS)
def _forward_model(W, a, XT, b, zero, fb):  # pragma: no cover - compiled
    """Outputs of model ``b`` into ``fb`` (n,): NaN when a weight is not finite, else the kernel for
    its input dimension (one call per model; the loops over points stay in the callee)."""
    p = W.shape[2]
    n = XT.shape[2]
    for i in range(n):
        fb[i] = zero
    if not _finite_model(W, a, b):
        for i in range(n):
            fb[i] = np.nan
        return
    if p == 2:
        _forward_1d(W, a, XT, b, zero, fb)
    elif p == 3:
        _forward_2d(W, a, XT, b, zero, fb)
    else:
        _forward_nd(W, a, XT, b, zero, fb)


@nb.njit(**_OPTS)
def _finite_model(W, a, b):  # pragma: no cover - compiled
    """Whether every weight of model ``b`` is finite: ``sum(w * 0)`` is 0 unless some ``w`` is NaN or
    inf (then NaN); a branch-free sum over contiguous memory, which vectorises."""
    zero = W.dtype.type(0)
    Wf = W[b].reshape(W.shape[1] * W.shape[2])
    ab = a[b]
    t = zero
    for q in range(Wf.shape[0]):
        t += Wf[q] * zero
    for j in range(ab.shape[0]):
        t += ab[j] * zero
    return t == zero


@nb.njit(**_OPTS)
def _forward_1d(W, a, XT, b, zero, fb):  # pragma: no cover - compiled
    """Outputs of model ``b`` on 1D inputs (``d + 1 = 2``), accumulated into ``fb``.

    Blocks of ``POINT_BLOCK`` points are summed in a small local buffer the compiler keeps in
    registers (over all neurons, then stored once); the points past the last whole block go
    neuron by neuron. Each output is the same sum in the same order either way (neurons
    ``0 .. k-1``, one multiply-add each), so the blocking does not change a bit.
    """
    k = W.shape[1]
    n = XT.shape[2]
    ab = a[b]
    x0 = XT[b, 0]
    w0 = W[b, :, 0]
    w1 = W[b, :, 1]
    acc = _local(fb, POINT_BLOCK)
    xs = _local(fb, POINT_BLOCK)
    n_full = n - n % POINT_BLOCK
    for i0 in range(0, n_full, POINT_BLOCK):
        for ii in range(POINT_BLOCK):
            acc[ii] = fb[i0 + ii]
            xs[ii] = x0[i0 + ii]
        for j in range(k):
            u0 = w0[j]
            u1 = w1[j]
            aj = ab[j]
            for ii in range(POINT_BLOCK):
                z = u0 * xs[ii] + u1
                acc[ii] += aj * (z if z > zero else zero)
        for ii in range(POINT_BLOCK):
            fb[i0 + ii] = acc[ii]
    for j in range(k):
        u0 = w0[j]
        u1 = w1[j]
        aj = ab[j]
        for i in range(n_full, n):
            z = u0 * x0[i] + u1
            fb[i] += aj * (z if z > zero else zero)


@nb.njit(**_OPTS)
def _forward_2d(W, a, XT, b, zero, fb):  # pragma: no cover - compiled
    """Outputs of model ``b`` on 2D inputs (``d + 1 = 3``), accumulated into ``fb``."""
    k = W.shape[1]
    n = XT.shape[2]
    ab = a[b]
    x0 = XT[b, 0]
    x1 = XT[b, 1]
    w0 = W[b, :, 0]
    w1 = W[b, :, 1]
    w2 = W[b, :, 2]
    for j in range(k):
        u0 = w0[j]
        u1 = w1[j]
        u2 = w2[j]
        aj = ab[j]
        for i in range(n):
            z = u0 * x0[i] + u1 * x1[i] + u2
            fb[i] += aj * (z if z > zero else zero)


@nb.njit(**_OPTS)
def _forward_nd(W, a, XT, b, zero, fb):  # pragma: no cover - compiled
    """Outputs of model ``b`` in any dimension (pre-activations one neuron at a time), into ``fb``."""
    k, p = W.shape[1], W.shape[2]
    n = XT.shape[2]
    ab = a[b]
    zs = np.empty(n, dtype=fb.dtype)
    for j in range(k):
        for i in range(n):
            zs[i] = W[b, j, p - 1]
        for c in range(p - 1):
            u = W[b, j, c]
            xc = XT[b, c]
            for i in range(n):
                zs[i] += u * xc[i]
        aj = ab[j]
        for i in range(n):
            z = zs[i]
            fb[i] += aj * (z if z > zero else zero)


@nb.njit(**_OPTS)
def _backward_model(W, a, XT, rb, b, zero, G, ga, lr, gsum, keep=True):  # pragma: no cover - compiled
    """Gradient sums of model ``b`` (residual ``rb`` (n,)) into ``G[b]`` and ``ga[b]``; with ``lr.size``
    also the GD update of neuron ``j`` right after its sums (they need only its old weights).
    The kernel for the input dimension runs (one call per model; the loops over points stay in the callee)."""
    p = W.shape[2]
    if p == 2 and rb.itemsize == 4:  # float32
        _backward_1d_lanes(W, a, XT, rb, b, zero, G, ga, lr, gsum, keep)
    elif p == 2:
        _backward_1d(W, a, XT, rb, b, zero, G, ga, lr, gsum)
    elif p == 3:
        _backward_2d(W, a, XT, rb, b, zero, G, ga, lr, gsum)
    else:
        _backward_nd(W, a, XT, rb, b, zero, G, ga, lr, gsum)


@nb.njit(**_OPTS)
def _backward_1d(W, a, XT, rb, b, zero, G, ga, lr, gsum):  # pragma: no cover - compiled
    """:func:`_backward_model` on 1D inputs (``d + 1 = 2``)."""
    k = W.shape[1]
    n = XT.shape[2]
    update = lr.shape[0] > 0
    x0 = XT[b, 0]
    w0 = W[b, :, 0]
    w1 = W[b, :, 1]
    for j in range(k):
        u0 = w0[j]
        u1 = w1[j]
        g0 = zero
        g1 = zero
        for i in range(n):
            xi = x0[i]
            z = u0 * xi + u1
            ri = rb[i] if z > zero else zero
            g0 += ri * xi
            g1 += ri
        G[b, j, 0] = g0
        G[b, j, 1] = g1
        ga[b, j] = u0 * g0 + u1 * g1
        gsum[b] += g0 + g1 + ga[b, j]
        if update:
            s = lr[b] * a[b, j]
            W[b, j, 0] -= s * g0
            W[b, j, 1] -= s * g1
            a[b, j] -= lr[b] * ga[b, j]


@nb.njit(**_OPTS)
def _backward_2d(W, a, XT, rb, b, zero, G, ga, lr, gsum):  # pragma: no cover - compiled
    """:func:`_backward_model` on 2D inputs (``d + 1 = 3``)."""
    k = W.shape[1]
    n = XT.shape[2]
    update = lr.shape[0] > 0
    x0 = XT[b, 0]
    x1 = XT[b, 1]
    w0 = W[b, :, 0]
    w1 = W[b, :, 1]
    w2 = W[b, :, 2]
    for j in range(k):
        u0 = w0[j]
        u1 = w1[j]
        u2 = w2[j]
        g0 = zero
        g1 = zero
        g2 = zero
        for i in range(n):
            xi0 = x0[i]
            xi1 = x1[i]
            z = u0 * xi0 + u1 * xi1 + u2
            ri = rb[i] if z > zero else zero
            g0 += ri * xi0
            g1 += ri * xi1
            g2 += ri
        G[b, j, 0] = g0
        G[b, j, 1] = g1
        G[b, j, 2] = g2
        ga[b, j] = u0 * g0 + u1 * g1 + u2 * g2
        gsum[b] += g0 + g1 + g2 + ga[b, j]
        if update:
            s = lr[b] * a[b, j]
            W[b, j, 0] -= s * g0
            W[b, j, 1] -= s * g1
            W[b, j, 2] -= s * g2
            a[b, j] -= lr[b] * ga[b, j]


@nb.njit(**_OPTS)
def _backward_nd(W, a, XT, rb, b, zero, G, ga, lr, gsum):  # pragma: no cover - compiled
    """:func:`_backward_model` in any dimension (masked residual one neuron at a time)."""
    k, p = W.shape[1], W.shape[2]
    n = XT.shape[2]
    update = lr.shape[0] > 0
    rm = np.empty(n, dtype=rb.dtype)
    for j in range(k):
        for i in range(n):
            rm[i] = W[b, j, p - 1]
        for c in range(p - 1):
            u = W[b, j, c]
            xc = XT[b, c]
            for i in range(n):
                rm[i] += u * xc[i]
        for i in range(n):
            rm[i] = rb[i] if rm[i] > zero else zero
        s = zero
        for c in range(p):
            xc = XT[b, c]
            g = zero
            for i in range(n):
                g += rm[i] * xc[i]
            G[b, j, c] = g
            s += W[b, j, c] * g
            gsum[b] += g
        ga[b, j] = s
        gsum[b] += s
        if update:
            for c in range(p):
                W[b, j, c] -= lr[b] * a[b, j] * G[b, j, c]
            a[b, j] -= lr[b] * s


@nb.njit(**_OPTS)
def _slide_model(W0, W1, a, G, r, XT, b, zero, pin):  # pragma: no cover - compiled
    """Sliding surfaces of model ``b`` crossed between ``W0`` and ``W1`` (see :func:`sliding_crossings`)."""
    k, p = W1.shape[1], W1.shape[2]
    n = XT.shape[2]
    for j in range(k):
        if pin[b, j] >= 0:
            continue
        best = -1
        best_d = np.inf
        for i in range(n):
            z0 = W0[b, j, p - 1]
            z1 = W1[b, j, p - 1]
            xx = zero + 1
            gx = G[b, j, p - 1]
            for c in range(p - 1):
                xc = XT[b, c, i]
                z0 += W0[b, j, c] * xc
                z1 += W1[b, j, c] * xc
                xx += xc * xc
                gx += G[b, j, c] * xc
            if (z0 > zero) == (z1 > zero):
                continue
            # normal velocity d(z)/dt = -a_j G_j . x_i on the side the neuron is on now, and on the other
            vn = -a[b, j] * gx
            jump = a[b, j] * r[b, i] * xx
            if z1 > zero:
                v_act = vn
                v_in = vn + jump
            else:
                v_act = vn - jump
                v_in = vn
            if v_act < zero and v_in > zero:
                d = abs(z1) / np.sqrt(xx)
                if d < best_d:
                    best_d = d
                    best = i
        pin[b, j] = best


@nb.njit(**_OPTS)
def _pins(W, a, G, r, XT, pin, mode, which, offset, v_act, v_in):  # pragma: no cover - compiled
    """Pinned-neuron bookkeeping (see :func:`pinned`): one loop over (model, neuron) for each mode."""
    m, k, p = W.shape
    zero = W.dtype.type(0)
    for b in range(m):
        for j in range(k):
            i = pin[b, j]
            if i < 0:
                if mode == 1:
                    v_act[b, j] = zero
                    v_in[b, j] = zero
                continue
            xx = zero
            for c in range(p):
                xx += XT[b, c, i] * XT[b, c, i]
            if mode == 0:  # project G[b, j] onto the tangent of the surface
                gx = zero
                for c in range(p):
                    gx += G[b, j, c] * XT[b, c, i]
                coef = gx / xx
                for c in range(p):
                    G[b, j, c] -= coef * XT[b, c, i]
            elif mode == 1:  # normal velocities on the active and the inactive side
                gx = zero
                z = zero
                for c in range(p):
                    gx += G[b, j, c] * XT[b, c, i]
                    z += W[b, j, c] * XT[b, c, i]
                vn = -a[b, j] * gx
                jump = a[b, j] * r[b, i] * xx
                if z > zero:
                    v_act[b, j] = vn
                    v_in[b, j] = vn + jump
                else:
                    v_act[b, j] = vn - jump
                    v_in[b, j] = vn
            elif which[b, j]:  # mode 2: snap W[b, j] to z = -offset |w| |x|
                wx = zero
                ww = zero
                for c in range(p):
                    wx += W[b, j, c] * XT[b, c, i]
                    ww += W[b, j, c] * W[b, j, c]
                coef = (wx + offset * np.sqrt(ww * xx)) / xx
                for c in range(p):
                    W[b, j, c] -= coef * XT[b, c, i]


@nb.njit(**_OPTS)
def _forward_serial(W, a, XT, active, zero, f):  # pragma: no cover - compiled
    for b in range(W.shape[0]):
        if active[b]:
            _forward_model(W, a, XT, b, zero, f[b])
        else:
            f[b, :] = zero


@nb.njit(parallel=True, **_OPTS)
def _forward_parallel(W, a, XT, active, zero, f):  # pragma: no cover - compiled
    for b in nb.prange(W.shape[0]):
        if active[b]:
            _forward_model(W, a, XT, b, zero, f[b])
        else:
            f[b, :] = zero


@nb.njit(**_OPTS)
def _backward_serial(W, a, XT, r, active, zero, G, ga, lr, gsum):  # pragma: no cover - compiled
    for b in range(W.shape[0]):
        gsum[b] = zero
        if active[b]:
            _backward_model(W, a, XT, r[b], b, zero, G, ga, lr, gsum)
        else:
            G[b, :, :] = zero
            ga[b, :] = zero


@nb.njit(parallel=True, **_OPTS)
def _backward_parallel(W, a, XT, r, active, zero, G, ga, lr, gsum):  # pragma: no cover - compiled
    for b in nb.prange(W.shape[0]):
        gsum[b] = zero
        if active[b]:
            _backward_model(W, a, XT, r[b], b, zero, G, ga, lr, gsum)
        else:
            G[b, :, :] = zero
            ga[b, :] = zero


@nb.njit(**_OPTS)
def _slide_serial(W0, W1, a, G, r, XT, active, zero, pin):  # pragma: no cover - compiled
    for b in range(W1.shape[0]):
        if active[b]:
            _slide_model(W0, W1, a, G, r, XT, b, zero, pin)


@nb.njit(parallel=True, **_OPTS)
def _slide_parallel(W0, W1, a, G, r, XT, active, zero, pin):  # pragma: no cover - compiled
    for b in nb.prange(W1.shape[0]):
        if active[b]:
            _slide_model(W0, W1, a, G, r, XT, b, zero, pin)


_THREADS = [1]
#: calls with fewer (models x neurons x points) than this run on one thread: below it the start of
#: a parallel region costs more than it saves (and far more on a loaded machine)
PARALLEL_MIN_WORK = 1 << 22


def set_threads(n: int) -> None:
    """Use up to ``n`` threads for the kernels (one model per task; results do not depend on it)."""
    n = max(1, min(int(n), nb.config.NUMBA_NUM_THREADS))  # type: ignore[attr-defined]
    _THREADS[0] = n
    if n > 1:
        nb.set_num_threads(n)


def pinned(mode: str, W: np.ndarray, XT: np.ndarray, pin: np.ndarray, *, a=None, G=None, r=None, which=None,
           offset: float = 0.0, v_act=None, v_in=None) -> None:
    """Bookkeeping of neurons pinned on a data point's surface ``z_ij = 0`` (``pin[b, j] = i``, -1: none).

    ``mode="project"``: ``G[b, j] -= (G[b, j] . x~_i / |x~_i|^2) x~_i`` (the
    velocity's component normal to the surface removed), in place.
    ``mode="velocities"``: ``v_act``, ``v_in`` ``(n_models, k)`` receive the normal
    velocity ``dz_ij/dt`` of the flow ``W' = -a G`` on the side where point ``i``
    is active and where it is not (``G``, ``r`` unprojected, evaluated at ``W``;
    0 for unpinned neurons).
    ``mode="snap"``: the neurons with ``which[b, j]`` are moved along ``x~_i`` to
    ``z_ij = -offset |w_j| |x~_i|``, in place.
    """
    code = {"project": 0, "velocities": 1, "snap": 2}[mode]
    dummy2 = np.zeros((1, 1), dtype=W.dtype)
    _pins(W, dummy2 if a is None else a, W if G is None else G, dummy2 if r is None else r, XT, pin, code,
          np.zeros((1, 1), dtype=np.bool_) if which is None else which, W.dtype.type(offset),
          dummy2 if v_act is None else v_act, dummy2 if v_in is None else v_in)


def _parallel(W, XT) -> bool:
    return _THREADS[0] > 1 and W.shape[0] > 1 and W.shape[0] * W.shape[1] * XT.shape[2] >= PARALLEL_MIN_WORK


def forward_outputs(W: np.ndarray, a: np.ndarray, XT: np.ndarray, active: np.ndarray, f: np.ndarray) -> None:
    """Network outputs ``f[b, i] = sum_j a[b, j] relu(W[b, j] . XT[b, :, i])`` into ``f`` (in place).

    Parameters
    ----------
    W : (n_models, k, d + 1) float ndarray, C-contiguous
        ``[w | b]`` per neuron.
    a : (n_models, k) ndarray, same dtype
    XT : (n_models, d + 1, n) ndarray, same dtype, C-contiguous
        Augmented inputs transposed (last row ones).
    active : (n_models,) bool ndarray
        Models to compute; the rows of the others are set to 0.
    f : (n_models, n) ndarray, same dtype
        Output buffer. A model with a non-finite weight gets NaN outputs.
    """
    kernel = _forward_parallel if _parallel(W, XT) else _forward_serial
    kernel(W, a, XT, active, W.dtype.type(0), f)


def backward_sums(W: np.ndarray, XT: np.ndarray, r: np.ndarray, active: np.ndarray, G: np.ndarray,
                  ga: np.ndarray, *, a: np.ndarray | None = None, lr: np.ndarray | None = None,
                  gsum: np.ndarray | None = None) -> None:
    """Masked gradient sums into ``G`` and ``ga`` (in place); optionally the GD update too.

    ``G[b, j] = sum_i r[b, i] 1[z_bij > 0] XT[b, :, i]`` (so ``dL/dW_j = a_j G_j``)
    and ``ga[b, j] = W[b, j] . G[b, j] = sum_i r[b, i] relu(z_bij)`` (``dL/da_j``),
    with ``r = dL/df`` ``(n_models, n)``. Arrays as in :func:`forward_outputs`;
    ``G`` is ``(n_models, k, d + 1)``, ``ga`` ``(n_models, k)``; rows of inactive
    models are set to 0.

    With ``lr`` (n_models,) and ``a`` given, the GD step is applied in place as
    well: ``W[b, j] -= lr[b] a[b, j] G[b, j]`` and ``a[b, j] -= lr[b] ga[b, j]``
    (each neuron right after its own sums, which need only its old weights).
    ``gsum`` (n_models,) receives the sum of each model's ``G`` and ``ga``
    (finite exactly when they all are).
    """
    kernel = _backward_parallel if _parallel(W, XT) else _backward_serial
    empty = np.zeros(0, dtype=W.dtype)
    kernel(W, empty.reshape(0, 0) if a is None else a, XT, r, active, W.dtype.type(0), G, ga,
           empty if lr is None else lr, np.zeros(W.shape[0], dtype=W.dtype) if gsum is None else gsum)


def sliding_crossings(W0: np.ndarray, W1: np.ndarray, a: np.ndarray, G: np.ndarray, r: np.ndarray,
                      XT: np.ndarray, active: np.ndarray, pin: np.ndarray) -> None:
    """Data points whose surface ``z_ij = 0`` a neuron crossed between ``W0`` and ``W1`` and now slides on.

    For every neuron ``j`` of an active model with ``pin[b, j] < 0``: among the
    points ``i`` with ``sign(z_ij)`` different at ``W0`` and ``W1``, those where
    the flow ``W' = -a_j G_j`` (``G``, ``r`` evaluated at ``W1``) points back
    toward the surface from both sides (the normal velocity is negative on the
    side ``z > 0`` and positive on the side ``z < 0``: a Filippov sliding mode);
    ``pin[b, j]`` is set to the nearest such point (distance ``|z_ij| / |x~_i|``)
    or -1 (in place).
    """
    kernel = _slide_parallel if _parallel(W1, XT) else _slide_serial
    kernel(W0, W1, a, G, r, XT, active, W1.dtype.type(0), pin)

