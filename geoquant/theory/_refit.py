"""How are the active neurons refitted after an escape (non-negative least squares on cells, L-BFGS polish, gradient flow)?"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.optimize import nnls

from ..nn import network_forward
from ._sectors import Sectors


def _loss(fitted: np.ndarray, y: np.ndarray) -> float:
    return float(0.5 * np.mean((fitted - y) ** 2))


def _adjacent_cells(sec: Sectors, Xh: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Cells whose closure contains the direction ``p``."""
    vals = Xh @ p
    fixed = np.abs(vals) > sec.atol
    return np.flatnonzero(np.all(sec.patterns[:, fixed] == (vals[fixed] > 0), axis=1))


def _fit(
    units: Sequence[tuple], sec: Sectors, Xt: np.ndarray, y: np.ndarray, refit: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Least squares over the active units with sign constraints; returns (fitted, W, c)."""
    cols, owners = [], []
    for u, (key, s) in enumerate(units):
        if refit == "cells":
            rays = sec.vertices[sec.cell_vertices[key]]  # type: ignore[index]  # refit="cells" builds sectors with vertices
        else:
            rays = np.asarray(key)[None, :]
        for e in rays:
            cols.append(s * np.maximum(Xt @ e, 0.0))
            owners.append((u, e))
    if not cols:
        return np.zeros_like(y), np.zeros((0, Xt.shape[1])), np.zeros(0)
    A = np.column_stack(cols)
    mu, _ = nnls(A, y, maxiter=50 * A.shape[1])
    fitted = A @ mu
    vecs: dict = {}
    for (u, e), m in zip(owners, mu):
        if m > 0:
            vecs[u] = vecs.get(u, 0.0) + m * e
    rows, c = [], []
    for u, v in vecs.items():
        nv = float(np.linalg.norm(v))
        if nv > 0:
            rows.append(v / nv)
            c.append(units[u][1] * nv)
    W = np.array(rows).reshape(-1, Xt.shape[1])
    return fitted, W, np.array(c)


def _polish(Xt: np.ndarray, y: np.ndarray, W: np.ndarray, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Finish the fit with L-BFGS on the active parameters (from a point near the end of the flow)."""
    from scipy.optimize import minimize

    n = len(y)
    m, D = W.shape

    def fun(theta: np.ndarray) -> tuple[float, np.ndarray]:
        Wt = theta[: m * D].reshape(m, D)
        at = theta[m * D:]
        pre = Xt @ Wt.T
        act = pre > 0.0
        f = np.where(act, pre, 0.0) @ at
        rho = (y - f) / n
        Dm = (act * rho[:, None]).T @ Xt
        g = np.concatenate([(-at[:, None] * Dm).ravel(), -np.sum(Wt * Dm, axis=1)])
        return 0.5 * np.mean((f - y) ** 2), g

    res = minimize(fun, np.concatenate([W.ravel(), a]), jac=True, method="L-BFGS-B",
                   options={"maxiter": 20000, "ftol": 1e-16, "gtol": 1e-14, "maxcor": 30})
    theta = res.x
    W2, a2 = theta[: m * D].reshape(m, D), theta[m * D:]
    # keep the flow's answer if L-BFGS did not improve it (it must not jump elsewhere)
    L0 = fun(np.concatenate([W.ravel(), a]))[0]
    if res.fun <= L0:
        return W2, a2
    return W, a


def _flow_fit(
    Xt: np.ndarray,
    y: np.ndarray,
    W: np.ndarray,
    a: np.ndarray,
    U: np.ndarray,
    S: np.ndarray,
    scale0: float,
    t_min: float,
    *,
    max_steps: int = 60_000,
    rtol: float = 1e-5,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """Gradient descent (small steps: a discretised gradient flow) on the active neurons only.

    ``W (m, D), a (m,)`` are the active neurons (the escaping one still tiny);
    ``U (k, D), S (k,)`` are the dormant clusters' directions, moved along
    ``S (I - u u^T) D(u)`` with the current residual (they stay infinitesimal).
    Runs at least the time ``t_min`` (the escape), then until the loss changes by
    less than ``rtol`` (relative) over 1000 steps; then L-BFGS finishes the fit
    of the active neurons (the dormant directions are moved afterwards by the
    exact flow of the final potential, see ``_Engine.move``).
    """
    n = len(y)
    W, a, U = W.copy(), a.copy(), U.copy()
    xt2 = float(np.max(np.sum(Xt**2, axis=1)))
    lr_dir = 0.05 / scale0
    t = 0.0
    prev = np.inf
    steps = 0
    while steps < max_steps:
        lr = min(lr_dir, 1.0 / max(xt2 * (np.sum(a**2) + np.sum(W**2)), 1e-300))
        for _ in range(250):
            pre = Xt @ W.T
            act = pre > 0.0
            f = np.where(act, pre, 0.0) @ a
            rho = (y - f) / n
            D = (act * rho[:, None]).T @ Xt
            ga = np.sum(W * D, axis=1)
            W += lr * a[:, None] * D
            a += lr * ga
            if len(U):
                Dd = ((U @ Xt.T > 0.0) * rho) @ Xt
                U += lr * S[:, None] * (Dd - np.sum(Dd * U, axis=1, keepdims=True) * U)
                U /= np.linalg.norm(U, axis=1, keepdims=True)
        steps += 250
        t += 250 * lr
        if t >= t_min and steps % 1000 == 0:
            L = _loss(network_forward(W, a, Xt, augmented=True, check_input=False), y)
            if abs(prev - L) <= rtol * max(L, 1e-300) or L < 1e-28:
                break
            prev = L
    W, a = _polish(Xt, y, W, a)
    return W, a, U, steps < max_steps
