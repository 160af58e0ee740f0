"""Figures of the alignment potential and of predicted functions (matplotlib).

* :func:`plot_potential`: ``G`` on the circle (d = 1: angle vs ``G``, sector
  boundaries dashed) or on the sphere (d = 2: an equirectangular map with
  longitude ``atan2(w_2, w_1)`` and latitude ``arcsin(b)`` of the unit direction
  ``(w_1, w_2, b)``, the great circles ``w . x~_i = 0`` drawn over it), with the
  extremal directions marked (up triangles: ``a > 0`` attractors = local maxima,
  down triangles: ``a < 0`` attractors = local minima, hollow: saddles) and
  optionally the directions of a trained network (size ~ amplitude).
* :func:`plot_predicted`: a predicted function with its kinks / crease lines.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # matplotlib is imported only when a plot is drawn
    from matplotlib.axes import Axes

    from ._extremal import ExtremalDirection
    from ..nn import NetworkLike
    from ._predict import PredictedFunction

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import check_points
from ..errors import InvalidInputError, UnsupportedError
from ..nn import network_forward
from ._alignment import augment, residual_weights
from ._extremal import extremal_directions

__all__ = ["plot_potential", "plot_predicted"]


def _ax(ax: Axes | None, **kw: Any) -> Axes:
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(**kw)
    return ax


def _trained_dirs(
    trained: NetworkLike | tuple[ArrayLike, ArrayLike] | None, model: int = 0
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.float64]] | None:
    """(directions (k, D), signs (k,), amplitudes (k,)) of a network."""
    if trained is None:
        return None
    if isinstance(trained, tuple):
        W, a = trained
    else:
        W, a = trained.W, trained.a
    W = np.asarray(W, dtype=float)
    a = np.asarray(a, dtype=float)
    if W.ndim == 3:
        W, a = W[model], a[model]
    nrm = np.linalg.norm(W, axis=1)
    ok = nrm > 0
    amp = np.abs(a[ok]) * nrm[ok]
    return W[ok] / nrm[ok, None], np.sign(a[ok]).astype(int), amp


def _lonlat(P: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    return np.arctan2(P[..., 1], P[..., 0]), np.arcsin(np.clip(P[..., 2], -1, 1))


def plot_potential(points: ArrayLike, values: ArrayLike | None = None, *, f: ArrayLike | Callable[[NDArray[np.float64]], ArrayLike] | None = None,
                   r: ArrayLike | None = None, ax: Axes | None = None,
                   extremal: list[ExtremalDirection] | None = None, trained: Any = None, model: int = 0,
                   resolution: int = 720, max_trained: int = 5000) -> Axes:
    """Plot the alignment potential ``G`` on the sphere of directions.

    Parameters
    ----------
    points : (n_points, n_dims) array_like, n_dims 1 or 2
    values, f, r : the residual (``r = (y - f)/n``; ``f`` default 0)
    ax : matplotlib Axes, optional
    extremal : list of ExtremalDirection, optional (computed when omitted)
    trained : network ``(W, a)`` or an object with ``.W``/``.a``, optional
        Its neuron directions are overlaid (``model`` picks one of a batch).
    resolution : int
        Grid points along the angle (d = 1) or longitude (d = 2).

    Returns
    -------
    matplotlib Axes
    """
    X = check_points(points, "points")
    d = X.shape[1]
    if d > 2:
        raise UnsupportedError(f"plot_potential supports n_dims 1 or 2, found {d}")
    if r is None:
        if values is None:
            raise InvalidInputError("plot_potential needs 'values' (with optional 'f') or 'r', found neither")
        r = residual_weights(X, values, f)
    r = np.asarray(r, dtype=float)
    if extremal is None:
        extremal = extremal_directions(X, r=r)
    Xt = augment(X)
    tr = _trained_dirs(trained, model)
    if tr is not None and len(tr[0]) > max_trained:
        keep = np.argsort(-tr[2])[:max_trained]
        tr = (tr[0][keep], tr[1][keep], tr[2][keep])
    if d == 1:
        ax = _ax(ax, figsize=(7, 3.5))
        th = np.linspace(-np.pi, np.pi, resolution * 4 + 1)
        P = np.column_stack([np.cos(th), np.sin(th)])
        G = np.maximum(P @ Xt.T, 0.0) @ r
        ax.plot(th, G, color="0.2", lw=1.2, label="G")
        for x in X[:, 0]:
            for s in (1, -1):
                b = s * np.array([1.0, -x]) / np.hypot(1.0, x)
                ax.axvline(np.arctan2(b[1], b[0]), color="0.8", lw=0.6, ls="--", zorder=0)
        for e in extremal:
            t = np.arctan2(e.direction[1], e.direction[0])
            mk = "^" if e.sign > 0 else "v"
            col = "tab:red" if e.sign > 0 else "tab:blue"
            ax.plot([t], [e.value], mk, ms=9, mfc=col if e.stable else "none", mec=col, zorder=5)
        if tr is not None:
            U, S, A = tr
            t = np.arctan2(U[:, 1], U[:, 0])
            Gt = np.maximum(U @ Xt.T, 0.0) @ r
            size = 4 + 40 * A / max(A.max(), 1e-300)
            ax.scatter(t, Gt, s=size, c=np.where(S > 0, "tab:orange", "tab:cyan"), alpha=0.5, lw=0, zorder=4,
                       label="trained neurons")
        ax.set_xlabel("angle of (w, b) on the circle [rad]")
        ax.set_ylabel("G")
        ax.set_xlim(-np.pi, np.pi)
        ax.set_title("alignment potential G (▲ a>0 attractors, ▼ a<0, hollow: saddles)", fontsize=9)
        return ax
    ax = _ax(ax, figsize=(9, 4.5))
    lon = np.linspace(-np.pi, np.pi, resolution)
    lat = np.linspace(-np.pi / 2, np.pi / 2, resolution // 2)
    LO, LA = np.meshgrid(lon, lat)
    P = np.stack([np.cos(LA) * np.cos(LO), np.cos(LA) * np.sin(LO), np.sin(LA)], axis=-1)
    G = np.maximum(P @ Xt.T, 0.0) @ r
    vmax = float(np.max(np.abs(G))) or 1.0
    mesh = ax.pcolormesh(LO, LA, G, cmap="RdBu_r", vmin=-vmax, vmax=vmax, shading="auto")
    ax.figure.colorbar(mesh, ax=ax, label="G", shrink=0.8)
    from ._sectors import _tangent_basis

    tt = np.linspace(0, 2 * np.pi, 721)
    for xh in Xt / np.linalg.norm(Xt, axis=1, keepdims=True):
        u1, u2 = _tangent_basis(xh)
        C = np.cos(tt)[:, None] * u1 + np.sin(tt)[:, None] * u2
        clo, cla = _lonlat(C)
        br = np.flatnonzero(np.abs(np.diff(clo)) > np.pi)
        for seg in np.split(np.arange(len(tt)), br + 1):
            ax.plot(clo[seg], cla[seg], color="0.3", lw=0.4, alpha=0.6)
    if tr is not None:
        U, S, A = tr
        ulo, ula = _lonlat(U)
        size = 3 + 30 * A / max(A.max(), 1e-300)
        ax.scatter(ulo, ula, s=size, c=np.where(S > 0, "tab:orange", "tab:cyan"), alpha=0.6, lw=0, zorder=4)
    for e in extremal:
        elo, ela = _lonlat(e.direction)
        mk = "^" if e.sign > 0 else "v"
        col = "darkred" if e.sign > 0 else "navy"
        ax.plot([elo], [ela], mk, ms=9, mfc=col if e.stable else "none", mec=col, zorder=5)
    ax.set_xlim(-np.pi, np.pi)
    ax.set_ylim(-np.pi / 2, np.pi / 2)
    ax.set_xlabel("longitude atan2(w2, w1) [rad]")
    ax.set_ylabel("latitude arcsin(b) [rad]")
    ax.set_title("G on the sphere of directions (▲ a>0 attractors, ▼ a<0, hollow: saddles)", fontsize=9)
    return ax


def plot_predicted(pred: PredictedFunction, ax: Axes | None = None, *, trained: Any = None, model: int = 0,
                   resolution: int = 400) -> Axes:
    """Plot a :class:`PredictedFunction` with its data, kinks (d = 1) or crease lines (d = 2).

    ``trained`` (a network ``(W, a)`` or object with ``.W``/``.a``) is drawn over it in d = 1.
    """
    X, y = pred.points, pred.values
    if pred.n_dims == 1:
        ax = _ax(ax, figsize=(7, 3.5))
        lo, hi = float(X.min()), float(X.max())
        pad = 0.1 * (hi - lo)
        xs = np.linspace(lo - pad, hi + pad, resolution)
        ax.plot(xs, pred(xs), color="tab:red", lw=1.5, label=f"predicted (loss {pred.loss:.3g})")
        if trained is not None:
            if isinstance(trained, tuple):
                W, a = trained
            else:
                W, a = trained.W, trained.a
            W, a = np.asarray(W, float), np.asarray(a, float)
            if W.ndim == 3:
                W, a = W[model], a[model]
            ft = network_forward(W, a, xs[:, None], check_input=False)
            ax.plot(xs, ft, color="k", lw=1, ls="--", label="trained")
        for k in pred.kinks:
            if lo - pad <= k <= hi + pad:
                ax.axvline(k, color="tab:red", lw=0.6, ls=":")
        ax.plot(X[:, 0], y, "ko", ms=5, label="data")
        ax.legend(fontsize=8)
        ax.set_xlabel("x")
        ax.set_ylabel("f(x)")
        return ax
    ax = _ax(ax, figsize=(5.5, 5))
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = 0.05 * (hi - lo)
    gx = np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution // 2)
    gy = np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution // 2)
    GX, GY = np.meshgrid(gx, gy)
    Z = pred(np.stack([GX, GY], axis=-1))
    cs = ax.contourf(GX, GY, Z, levels=20, cmap="viridis")
    ax.figure.colorbar(cs, ax=ax, shrink=0.8)
    for a_, b_, c_ in pred.lines:
        if abs(b_) > abs(a_):
            ax.plot(gx, -(a_ * gx + c_) / b_, color="w", lw=0.8)
        else:
            ax.plot(-(b_ * gy + c_) / a_, gy, color="w", lw=0.8)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="viridis", edgecolors="k", s=40, zorder=5)
    ax.set_xlim(gx[0], gx[-1])
    ax.set_ylim(gy[0], gy[-1])
    ax.set_aspect("equal")
    ax.set_title(f"predicted function (loss {pred.loss:.3g}), crease lines in white", fontsize=9)
    return ax
