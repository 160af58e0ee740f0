"""The alignment field D(w) and the potential G(w) of a one-hidden-layer ReLU net.

For data ``(x_i, y_i)`` with augmented inputs ``x~_i = (x_i, 1)`` and residual
weights ``r_i`` (docs/theory.md §1–2)::

    D(w) = sum_{i : w . x~_i > 0} r_i x~_i          (the alignment field)
    G(w) = sum_i r_i relu(w . x~_i) = w . D(w)     (the alignment potential)

A neuron ``(a, w)`` of a balanced network (``a = s |w|``) moves its direction by
``d w^/dt = s (I - w^ w^T) D(w^)`` and its norm by ``d log|w|/dt = s G(w^)``: the
``a > 0`` neurons climb ``G`` on the sphere, the ``a < 0`` neurons descend it.

Package convention: the loss is ``L = 1/2 * mean_i (f(x_i) - y_i)^2``, so the
residual weights are ``r_i = (y_i - f(x_i)) / n`` (:func:`residual_weights`).  The
``1/n`` scales ``D`` and ``G`` uniformly; with it, ``G`` is the growth rate of
``log|w|`` per unit of gradient-flow time, and one GD step of size ``lr``
advances the time by ``lr``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import as_float_array, check_points, check_values
from ..errors import InvalidInputError

__all__ = ["residual_weights", "alignment_field", "alignment_potential", "augment"]


def augment(points: np.ndarray) -> NDArray[np.float64]:
    """Append the constant 1 to each point: ``(n, d) -> (n, d + 1)`` (the bias coordinate)."""
    points = np.asarray(points, dtype=np.float64)
    return np.concatenate([points, np.ones(points.shape[:-1] + (1,))], axis=-1)


def _check_xr(points: ArrayLike, weights: ArrayLike, name_w: str = "r") -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    X = check_points(points, "points", min_points=1, full_rank=False, duplicate_rtol=None)
    r = check_values(weights, X.shape[0], name_w)
    return X, r


def _check_w(w: ArrayLike, d1: int, name: str = "w") -> NDArray[np.float64]:
    arr = as_float_array(w, name)
    if arr.ndim == 0 or arr.shape[-1] != d1:
        raise InvalidInputError(
            f"'{name}' must have shape (..., {d1}) (weights followed by the bias), found shape {arr.shape}"
        )
    return arr


def residual_weights(
    points: ArrayLike, values: ArrayLike, f: ArrayLike | Callable[[NDArray[np.float64]], ArrayLike] | None = None
) -> NDArray[np.float64]:
    """Residual weights ``r_i = (y_i - f(x_i)) / n`` of the package's squared loss.

    Parameters
    ----------
    points : (n_points, n_dims) array_like
        Inputs ``x_i`` (a 1-D array is read as 1D data).
    values : (n_points,) array_like
        Targets ``y_i``.
    f : None, (n_points,) array_like or callable, optional
        Current network outputs at the data, or a callable evaluated on
        ``points``.  ``None`` means ``f = 0`` (the small-initialization start).

    Returns
    -------
    r : (n_points,) ndarray
        ``-dL/df(x_i)`` for ``L = 1/2 * mean_i (f(x_i) - y_i)^2``.
    """
    X = check_points(points, "points", min_points=1, full_rank=False, duplicate_rtol=None)
    y = check_values(values, X.shape[0], "values")
    n = X.shape[0]
    if f is None:
        fx = np.zeros(n)
    elif callable(f):
        fx = np.asarray(f(X), dtype=np.float64).reshape(-1)
        if fx.shape != (n,):
            raise InvalidInputError(f"'f' must return ({n},) values at the points, found shape {fx.shape}")
    else:
        fx = check_values(f, n, "f")
    if not np.all(np.isfinite(fx)):
        raise InvalidInputError("'f' must be finite at every data point, found NaN/inf")
    return (y - fx) / n


def _field(Xt: np.ndarray, r: np.ndarray, w: np.ndarray) -> np.ndarray:
    # kernel: Xt (n, D) augmented, r (n,), w (..., D) -> (..., D)
    active = (w @ Xt.T) > 0.0
    return (active * r) @ Xt


def _potential(Xt: np.ndarray, r: np.ndarray, w: np.ndarray) -> np.ndarray:
    return np.maximum(w @ Xt.T, 0.0) @ r


def alignment_field(points: ArrayLike, r: ArrayLike, w: ArrayLike) -> NDArray[np.float64]:
    """The alignment field ``D(w) = sum_{i: w . x~_i > 0} r_i x~_i``.

    Parameters
    ----------
    points : (n_points, n_dims) array_like
        Inputs ``x_i``.
    r : (n_points,) array_like
        Residual weights (see :func:`residual_weights`).
    w : (..., n_dims + 1) array_like
        Neuron parameters ``[weights | bias]``; any leading shape.

    Returns
    -------
    D : (..., n_dims + 1) ndarray
        Constant on each activation cell; ``D = grad G`` inside a cell.  Points
        with ``w . x~_i = 0`` count as inactive (``relu'(0) = 0``).
    """
    X, r = _check_xr(points, r)
    w = _check_w(w, X.shape[1] + 1)
    return _field(augment(X), r, w)


def alignment_potential(points: ArrayLike, r: ArrayLike, w: ArrayLike) -> NDArray[np.float64]:
    """The alignment potential ``G(w) = sum_i r_i relu(w . x~_i)``.

    Parameters
    ----------
    points : (n_points, n_dims) array_like
    r : (n_points,) array_like
    w : (..., n_dims + 1) array_like

    Returns
    -------
    G : (...) ndarray
        1-homogeneous in ``w``; ``G(w) = w . D(w)``.  On the unit sphere it is
        the growth rate of ``log|w|`` of an ``a > 0`` neuron (``-G`` for ``a < 0``).
    """
    X, r = _check_xr(points, r)
    w = _check_w(w, X.shape[1] + 1)
    return _potential(augment(X), r, w)

