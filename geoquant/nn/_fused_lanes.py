"""Building blocks of the fused CPU kernels: compiler options, small stack arrays, and the float32 1D
backward with neurons in vector lanes (:func:`_backward_1d_lanes`, called by
:func:`geoquant.nn._fused._backward_model`).

Conventions as in :mod:`geoquant.nn._fused`.
"""

from __future__ import annotations

from typing import Any

import numba as nb
import numpy as np
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["POINT_BLOCK", "NEURON_BLOCK"]

_FM = {"reassoc", "contract"}
_OPTS: dict[str, Any] = dict(fastmath=_FM, cache=True, nogil=True, boundscheck=False)

#: points per register block of the 1D forward kernel (:mod:`geoquant.nn._fused`); neurons per vector
#: block of the float32 1D backward kernel (module constants: the compiler unrolls the loops over them)
POINT_BLOCK = 32
NEURON_BLOCK = 64


@intrinsic
def _local_ptr(typingctx, like, size):  # pragma: no cover - compiled
    """Pointer to ``size`` (a literal) uninitialised elements of ``like``'s dtype on the stack."""
    if not isinstance(size, types.IntegerLiteral):
        return None
    count = size.literal_value
    dtype = like.dtype

    def codegen(context, builder, signature, args):
        ty = context.get_data_type(dtype)
        return cgutils.alloca_once(builder, ty, size=context.get_constant(types.intp, count))

    return types.CPointer(dtype)(like, size), codegen


@nb.njit(inline="always", **_OPTS)
def _local(like, size):  # pragma: no cover - compiled
    """A small scratch array on the stack (``size`` a literal), which the compiler can keep in registers."""
    return nb.carray(_local_ptr(like, size), size)  # type: ignore[call-arg]


@nb.njit(**_OPTS)
def _backward_1d_lanes(W, a, XT, rb, b, zero, G, ga, lr, gsum, keep):  # pragma: no cover - compiled
    """:func:`_backward_1d` with ``NEURON_BLOCK`` neurons side by side (float32).

    The sums over points run one point after another for a block of neurons held in
    vector registers (no reductions across a vector); the neurons past ``k`` in the
    last block get zero weights (``z = 0``, masked out) and are not written back.
    ``keep=False`` (the GD step) skips writing ``G`` and ``ga``.
    """
    k = W.shape[1]
    n = XT.shape[2]
    x0 = XT[b, 0]
    v0 = _local(rb, NEURON_BLOCK)
    v1 = _local(rb, NEURON_BLOCK)
    h0 = _local(rb, NEURON_BLOCK)
    h1 = _local(rb, NEURON_BLOCK)
    total = zero
    for j0 in range(0, k, NEURON_BLOCK):
        if j0 + NEURON_BLOCK <= k:  # a whole block: loops of constant length
            _lanes_load(W, b, j0, NEURON_BLOCK, v0, v1, h0, h1, zero)
        else:
            _lanes_load(W, b, j0, k - j0, v0, v1, h0, h1, zero)
        for i in range(n):
            xi = x0[i]
            ri = rb[i]
            for jj in range(NEURON_BLOCK):
                z = v0[jj] * xi + v1[jj]
                rm = ri if z > zero else zero
                h0[jj] += rm * xi
                h1[jj] += rm
        if j0 + NEURON_BLOCK <= k:
            total += _lanes_store(W, a, b, j0, NEURON_BLOCK, v0, v1, h0, h1, zero, G, ga, lr, keep)
        else:
            total += _lanes_store(W, a, b, j0, k - j0, v0, v1, h0, h1, zero, G, ga, lr, keep)
    gsum[b] += total


@nb.njit(inline="always", **_OPTS)
def _lanes_load(W, b, j0, nj, v0, v1, h0, h1, zero):  # pragma: no cover - compiled
    """Weights of neurons ``j0 .. j0 + nj - 1`` into the lanes (zeros past them), sums zeroed.

    The model's weights are read through a flat view (``[w_j, b_j]`` at ``2j, 2j + 1``: a
    constant stride) with unsigned indices (no wraparound of negative indices), so that
    the compiler sees consecutive pairs and vectorises the loop.
    """
    for jj in range(NEURON_BLOCK):
        v0[jj] = zero
        v1[jj] = zero
        h0[jj] = zero
        h1[jj] = zero
    Wf = W[b].reshape(2 * W.shape[1])
    base = np.uint64(2 * j0)
    for jj in range(nj):
        q = base + np.uint64(2 * jj)
        v0[jj] = Wf[q]
        v1[jj] = Wf[q + np.uint64(1)]


@nb.njit(inline="always", **_OPTS)
def _lanes_store(W, a, b, j0, nj, v0, v1, h0, h1, zero, G, ga, lr, keep):  # pragma: no cover - compiled
    """Sums of lanes ``0 .. nj - 1`` into ``G``, ``ga`` (with ``keep``) and, with ``lr.size``, the GD
    update; returns their total (flat views and unsigned indices, as in :func:`_lanes_load`)."""
    total = zero
    k = W.shape[1]
    base = np.uint64(2 * j0)
    one = np.uint64(1)
    if keep:
        Gf = G[b].reshape(2 * k)
        gab = ga[b]
        for jj in range(nj):
            q = base + np.uint64(2 * jj)
            Gf[q] = h0[jj]
            Gf[q + one] = h1[jj]
            gab[np.uint64(j0 + jj)] = v0[jj] * h0[jj] + v1[jj] * h1[jj]
    for jj in range(nj):
        total += h0[jj] + h1[jj] + (v0[jj] * h0[jj] + v1[jj] * h1[jj])
    if lr.shape[0] > 0:
        lrb = lr[b]
        Wf = W[b].reshape(2 * k)
        ab = a[b]
        for jj in range(nj):
            q = base + np.uint64(2 * jj)
            j = np.uint64(j0 + jj)
            s = lrb * ab[j]
            Wf[q] = v0[jj] - s * h0[jj]
            Wf[q + one] = v1[jj] - s * h1[jj]
            ab[j] -= lrb * (v0[jj] * h0[jj] + v1[jj] * h1[jj])
    return total
