"""Matplotlib helpers shared by the engines: triangulations, interpolants, errors.

Every function takes ``ax=None`` (a new figure is made) and returns the Axes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # matplotlib is imported only when a plot is drawn
    from matplotlib.axes import Axes

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import check_int, check_memory
from .errors import InvalidInputError, UnsupportedError
from .interpolate import PiecewiseLinearInterpolant, interpolation_error
from .triangulation import Triangulation

__all__ = ["plot_triangulation", "plot_interpolant_1d", "plot_error_map"]


def _axes(ax: Axes | None) -> Axes:
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(5, 4.5))
    return ax


def plot_triangulation(tri: Triangulation, values: ArrayLike | None = None, *, error: ArrayLike | None = None,
                       ax: Axes | None = None, cmap: str = "viridis", show_points: bool = True,
                       annotate: bool = False) -> Axes:
    """Draw a 2D triangulation with its points, optional values and per-simplex error.

    Parameters
    ----------
    tri : Triangulation
        A 2D triangulation.
    values : (n_points,) array_like, optional
        Point values, drawn as the colour of the points.
    error : (n_simplices,) array_like or ErrorResult, optional
        Per-simplex error, drawn as the face colour of each triangle.
    ax : matplotlib Axes, optional
    """
    if not isinstance(tri, Triangulation):
        raise InvalidInputError(f"'tri' must be a Triangulation, found {type(tri).__name__}")
    if tri.n_dims != 2:
        raise UnsupportedError(f"plot_triangulation draws 2D triangulations, found n_dims={tri.n_dims}")
    ax = _axes(ax)
    p = tri.points
    if error is not None:
        err = np.asarray(getattr(error, "per_simplex", error), dtype=float)
        if err.shape != (tri.n_simplices,):
            raise InvalidInputError(f"'error' must have shape ({tri.n_simplices},), found {err.shape}")
        tpc = ax.tripcolor(p[:, 0], p[:, 1], tri.simplices, facecolors=err, cmap="magma", edgecolors="none")
        ax.figure.colorbar(tpc, ax=ax, label="error per simplex")
    ax.triplot(p[:, 0], p[:, 1], tri.simplices, color="0.3", lw=0.7)
    if show_points:
        if values is not None:
            vals = np.asarray(values, dtype=float)
            sc = ax.scatter(p[:, 0], p[:, 1], c=vals, cmap=cmap, s=22, zorder=3, edgecolors="k", linewidths=0.4)
            ax.figure.colorbar(sc, ax=ax, label="value")
        else:
            used = np.zeros(tri.n_points, dtype=bool)
            used[tri.used_points] = True
            ax.scatter(p[used, 0], p[used, 1], s=12, color="k", zorder=3)
            if (~used).any():
                ax.scatter(p[~used, 0], p[~used, 1], s=18, facecolors="none", edgecolors="r", zorder=3, label="unused")
    if annotate:
        for i, (x, y) in enumerate(p):
            ax.annotate(str(i), (x, y), fontsize=7, xytext=(2, 2), textcoords="offset points")
    ax.set_aspect("equal")
    return ax


def plot_error_map(tri: Triangulation, f: Callable[[NDArray[np.float64]], ArrayLike], *, ax: Axes | None = None,
                   resolution: int = 200, cmap: str = "magma") -> Axes:
    """Heat map of ``|f - I f|`` over the hull of a 2D triangulation, with its edges."""
    if not isinstance(tri, Triangulation):
        raise InvalidInputError(f"'tri' must be a geoquant Triangulation, found {type(tri).__name__}")
    if not callable(f):
        raise InvalidInputError(f"'f' must be callable on points of shape (..., 2), found {type(f).__name__}")
    if tri.n_dims != 2:
        raise UnsupportedError(f"plot_error_map draws 2D triangulations, found n_dims={tri.n_dims}")
    resolution = check_int(resolution, "resolution", min_value=2)
    # the grid, its locations, barycentric coordinates and values: ~12 floats per grid point
    check_memory(96.0 * resolution**2, f"plot_error_map with resolution={resolution} ({resolution}^2 grid points)",
                 "a resolution of a few hundred is finer than any screen")
    ax = _axes(ax)
    p = tri.points
    lo, hi = p.min(axis=0), p.max(axis=0)
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = np.stack([gx, gy], axis=-1)
    interp = PiecewiseLinearInterpolant(tri, f(p))
    err = np.abs(np.asarray(f(grid)) - interp(grid))
    im = ax.pcolormesh(gx, gy, np.ma.masked_invalid(err), cmap=cmap, shading="auto")
    ax.figure.colorbar(im, ax=ax, label="|f - If|")
    ax.triplot(p[:, 0], p[:, 1], tri.simplices, color="w", lw=0.5)
    ax.scatter(p[:, 0], p[:, 1], s=8, color="w", zorder=3)
    ax.set_aspect("equal")
    return ax


def plot_interpolant_1d(tri: Triangulation, values: ArrayLike | None = None, *,
                        target: Callable[[NDArray[np.float64]], ArrayLike] | None = None, ax: Axes | None = None,
                        resolution: int = 800) -> Axes:
    """Plot a 1D interpolant against its target, with the data points.

    Parameters
    ----------
    tri : Triangulation
        A 1D triangulation.
    values : (n_points,) array_like, optional
        Data values (default ``target(points)``).
    target : callable, optional
        Drawn over the hull when given, with the Linf error in the legend.
    """
    if tri.n_dims != 1:
        raise UnsupportedError(f"plot_interpolant_1d draws 1D triangulations, found n_dims={tri.n_dims}")
    if values is None:
        if target is None:
            raise InvalidInputError("plot_interpolant_1d needs 'values' or 'target'")
        values = target(tri.points)
    resolution = check_int(resolution, "resolution", min_value=2)
    check_memory(64.0 * resolution, f"plot_interpolant_1d with resolution={resolution}",
                 "a resolution of a few thousand is finer than any screen")
    ax = _axes(ax)
    x = tri.points[:, 0]
    xs = np.linspace(x.min(), x.max(), resolution)
    interp = PiecewiseLinearInterpolant(tri, values)
    label = "linear interpolant"
    if target is not None:
        ax.plot(xs, target(xs[:, None]), color="0.5", lw=1.5, label="target")
        err = interpolation_error(tri, target, "linf")
        label += f" (Linf error {err.total:.3g})"
    ax.plot(xs, interp(xs), color="C0", lw=1.2, label=label)
    ax.scatter(x, values, color="k", s=16, zorder=3, label="data")
    ax.legend(fontsize=8)
    ax.set_xlabel("x")
    return ax
