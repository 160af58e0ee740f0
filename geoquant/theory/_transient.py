"""How small must the initialization be for the init -> 0 limit to apply? (the alignment transient, d = 1).

The limit (:func:`geoquant.theory.predict_function`) measures time in units of ``log(1/lambda)``, so the
direction flow ``d w^/dt = s (I - w^ w^T) D(w^)`` of the alignment phase, which lasts a time ``O(1)``, is
instantaneous there: every dormant neuron sits at its attractor (or has died) when the first cluster
escapes at ``t_1 log(1/lambda)``.  At a finite ``lambda`` a neuron whose transient ``tau`` (the real time
its direction needs to enter the cell it ends in) exceeds ``t_1 log(1/lambda)`` is still on its way when
the residual changes, and may take a path the limit has discarded.  ``tau`` is long where the field is
weak: a neuron crossing a cell whose active points have targets ``y_i`` near 0 moves at speed
``~ |y_i| / n``, e.g. ``tau ~ 300`` on held-out gaussian data whose corners have ``y = 0.0039``; there GD
from ``lambda = 1e-6 ... 1e-40`` keeps negative neurons alive past the first escape and escapes again,
while GD from ``1e-60`` ends at the limit (benchmarks/validate_limit.py).

Derived (1D, exact): on the circle of directions ``w = (cos theta, sin theta)`` the flow in a cell with
field ``D`` and target angle ``psi`` (that of ``s D``) is ``theta' = |D| sin(psi - theta)``, solved by
``tan((psi - theta)/2) = tan((psi - theta_0)/2) exp(-|D| t)``: the time to reach a cell boundary is
closed-form, and the trajectory is monotone in ``theta`` (a scalar flow), so it is followed cell by cell:
it stops inside a cell that contains its target (an interior attractor: ``tau`` is the time it entered
that cell), at a boundary where the next cell's flow points back (a boundary attractor: ``tau`` is the
arrival time) or on entering a flat cell (``D = 0``: dead, or a flat cell's dormant particle).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import check_int, check_points, check_positive, check_values
from ..errors import InvalidInputError, UnsupportedError
from ._alignment import augment

__all__ = ["transient_times", "limit_scale"]


def _wrap(a: NDArray[np.float64]) -> NDArray[np.float64]:
    return (a + np.pi) % (2 * np.pi) - np.pi


def _arcs(X: NDArray[np.float64], r: NDArray[np.float64], sign: int) -> tuple:
    """The cells of the circle: sorted boundary angles ``a (2n,)``, fields' norms and target angles per arc."""
    Xt = augment(X)
    phi = np.arctan2(Xt[:, 1], Xt[:, 0])  # the normal of point i's line w . x~_i = 0
    a = np.sort(np.mod(np.concatenate([phi + np.pi / 2, phi - np.pi / 2]), 2 * np.pi))
    nxt = np.append(a[1:], a[0] + 2 * np.pi)
    mid = 0.5 * (a + nxt)
    pat = (np.column_stack([np.cos(mid), np.sin(mid)]) @ Xt.T) > 0.0
    D = sign * (pat * r) @ Xt
    return a, nxt, np.linalg.norm(D, axis=1), np.arctan2(D[:, 1], D[:, 0])


def transient_times(
    points: ArrayLike, values: ArrayLike, sign: int, *, n_directions: int = 4096, rtol: float = 1e-9
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Real time each initial direction needs to enter the cell it ends in, under ``G`` of ``f = 0`` (d = 1).

    Parameters
    ----------
    points : (n_points, 1) array_like
    values : (n_points,) array_like
        Targets ``y`` (residual weights ``r = y / n``, the start of training).
    sign : {+1, -1}
        Sign of the neurons' output weights.
    n_directions : int
        Initial directions ``theta`` equally spaced on the circle (the uniform initial measure).
    rtol : float
        Fields below ``rtol * sum_i |r_i| |x~_i|`` are flat.

    Returns
    -------
    theta : (n_directions,) ndarray
        Initial angles (``w = (cos theta, sin theta)``, weight then bias).
    tau : (n_directions,) ndarray
        Gradient-flow time to the last cell change (0 for directions that start in their final cell).
    """
    X = check_points(points, "points")
    if X.shape[1] != 1:
        raise UnsupportedError(f"transient_times is exact in 1D only, found n_dims={X.shape[1]}")
    y = check_values(values, X.shape[0], "values")
    if sign not in (1, -1):
        raise InvalidInputError(f"'sign' must be +1 or -1, found {sign!r}")
    m = check_int(n_directions, "n_directions", min_value=1)
    rtol = check_positive(rtol, "rtol")
    r = y / len(y)
    tol = rtol * float(np.sum(np.abs(r) * np.linalg.norm(augment(X), axis=1)))
    a, nxt, nD, psi = _arcs(X, r, sign)
    K = len(a)
    theta = np.asarray((np.arange(m) + 0.5) * (2 * np.pi / m), dtype=np.float64)
    th = theta.copy()
    k = np.searchsorted(a, th, side="right") - 1  # arc index (arc K-1 wraps past 2 pi)
    k[k < 0] = K - 1
    tau = np.zeros(m)
    live = np.ones(m, dtype=bool)
    for _ in range(K + 2):  # a monotone trajectory visits each arc at most once
        idx = np.flatnonzero(live)
        if not idx.size:
            break
        kk = k[idx]
        flat = nD[kk] <= tol
        live[idx[flat]] = False
        idx, kk = idx[~flat], kk[~flat]
        lo, hi = a[kk], nxt[kk]
        inside = np.mod(psi[kk] - lo, 2 * np.pi) < (hi - lo)  # the target lies in the arc: it converges there
        live[idx[inside]] = False
        idx, kk = idx[~inside], kk[~inside]
        d = np.sign(np.sin(psi[kk] - th[idx]))
        b = np.where(d > 0, nxt[kk], a[kk])
        ratio = np.tan(_wrap(psi[kk] - th[idx]) / 2) / np.tan(_wrap(psi[kk] - b) / 2)
        tau[idx] += np.log(np.maximum(ratio, 1.0)) / nD[kk]
        th[idx] = np.mod(b, 2 * np.pi)
        k2 = np.mod(kk + d.astype(np.int64), K)
        # cross when the next cell moves on in the same sense (or is flat: the trajectory enters it and stops)
        d2 = np.sign(np.sin(psi[k2] - th[idx]))
        go = (d2 == d) | (nD[k2] <= tol)
        live[idx[~go]] = False
        k[idx[go]] = k2[go]
    return theta, tau


def limit_scale(
    points: ArrayLike, values: ArrayLike, first_escape: float, *, quantile: float = 0.99, n_directions: int = 4096
) -> float:
    """The init scale below which the alignment transient is over before the first escape (d = 1).

    ``exp(-tau_q / t_1)``, with ``tau_q`` the ``quantile`` of :func:`transient_times` over the uniform
    initial directions (the larger of the two signs) and ``t_1`` the first escape time in units of
    ``log(1/lambda)``: from initializations below it, all but a fraction ``1 - quantile`` of each sign's
    neurons are in their final cells when the first cluster escapes, as the limit assumes. Later stages'
    transients (a dormant cluster moving to the attractor of a new potential) are not counted.

    Parameters
    ----------
    points : (n_points, 1) array_like; values : (n_points,) array_like
    first_escape : float
        ``t_1 > 0`` (``PredictedFunction.stages[0].time``).
    quantile : float in (0, 1]
    n_directions : int

    Returns
    -------
    float
        In ``(0, 1]``.
    """
    t1 = check_positive(first_escape, "first_escape")
    q = check_positive(quantile, "quantile")
    if q > 1:
        raise InvalidInputError(f"'quantile' must be in (0, 1], found {quantile!r}")
    tau = max(float(np.quantile(transient_times(points, values, s, n_directions=n_directions)[1], q)) for s in (1, -1))
    return float(np.exp(-tau / t1))
