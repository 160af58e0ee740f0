"""Simplex balls (circumspheres, smallest enclosing balls) and Waldron's Linf bound built on them."""

from __future__ import annotations

import itertools

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import as_float_array, check_positive
from ..errors import DegenerateInputError, InvalidInputError
from ..triangulation import Triangulation

from ._interpolant import _check_triangulation


def _check_simplices(simplices: ArrayLike, n_points: int, name: str = "simplices") -> np.ndarray:
    """Index rows ``(m, k)`` as int64, refusing non-integer, ragged or out-of-range indices."""
    try:
        raw = np.asarray(simplices)
    except (TypeError, ValueError):
        raise InvalidInputError(f"'{name}' must be an integer array of shape (n_simplices, n_dims + 1)") from None
    if raw.size and not np.issubdtype(raw.dtype, np.integer):
        raise InvalidInputError(f"'{name}' must hold integer indices, found dtype {raw.dtype}")
    simp = raw.astype(np.int64) if raw.size else np.zeros((0, 2), dtype=np.int64)
    if simp.ndim != 2 or simp.shape[1] < 2:
        raise InvalidInputError(f"'{name}' must have shape (n_simplices, n_dims + 1), found {simp.shape}")
    if simp.size and (simp.min() < 0 or simp.max() >= n_points):
        bad = simp[(simp < 0) | (simp >= n_points)][0]
        raise InvalidInputError(f"'{name}' must index points in 0 <= i < {n_points}, found {int(bad)}")
    return simp


def _simplex_vertices(points: ArrayLike, simplices: ArrayLike, name: str = "simplices") -> np.ndarray:
    """Vertex coordinates ``(m, k, d)`` of validated index rows."""
    pts = as_float_array(points, "points", ndim=(1, 2))
    if pts.ndim == 1:
        pts = pts[:, None]
    return pts[_check_simplices(simplices, len(pts), name)]


def circumspheres(points: ArrayLike, simplices: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Circumcentres and circumradii of full-dimensional simplices.

    Parameters
    ----------
    points : (n_points, n_dims) array_like
    simplices : (n_simplices, n_dims + 1) array_like of int

    Returns
    -------
    centres : (n_simplices, n_dims) ndarray
    radii : (n_simplices,) ndarray
        Accurate for thin simplices too (slivers have large, finite circumradii).

    Raises
    ------
    DegenerateInputError
        A simplex is flat (its circumsphere does not exist).
    """
    v = _simplex_vertices(points, simplices)
    if v.shape[1] != v.shape[2] + 1:
        raise InvalidInputError(f"'simplices' must have {v.shape[2] + 1} vertices each, found {v.shape[1]}")
    c, r = _subset_circumspheres(v)
    bad = np.flatnonzero(~np.isfinite(r))
    if len(bad):
        raise DegenerateInputError(
            f"'simplices' must be full-dimensional to have a circumsphere, found {len(bad)} flat simplices, "
            f"first at index {int(bad[0])}"
        )
    return c, r


def _subset_circumspheres(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centre (in the affine hull) and radius of the circumsphere of each vertex set v (m, k+1, d).

    Solved in a frame centred on the first vertex and scaled per simplex, through a QR
    factorisation of the edge matrix (not its Gram matrix, whose condition number is the
    square), so thin simplices keep their accuracy. Flat vertex sets give NaN centres and
    infinite radii.
    """
    m, k1, d = v.shape
    k = k1 - 1
    with np.errstate(all="ignore"):
        scale = np.max(np.abs(v - v[:, :1, :]), axis=(1, 2))
        scale = np.where(scale > 0, scale, 1.0)
        a = (v[:, 1:, :] - v[:, :1, :]) / scale[:, None, None]  # (m, k, d), entries <= 1
        q, rr = np.linalg.qr(np.swapaxes(a, 1, 2))  # a^T = Q R, Q (m, d, k), R (m, k, k)
        rhs = 0.5 * np.einsum("mkd,mkd->mk", a, a)
        # a c = rhs with c = Q y (the centre lies in the span of the edges): R^T y = rhs
        diag = np.abs(np.einsum("mii->mi", rr))
        flat = np.any(diag <= 1e-14 * np.max(diag, axis=1, keepdims=True), axis=1) | (diag.max(axis=1) == 0)
        y = np.zeros((m, k))
        for i in range(k):
            y[:, i] = (rhs[:, i] - np.einsum("mj,mj->m", rr[:, :i, i], y[:, :i])) / np.where(flat, 1.0, rr[:, i, i])
        local = np.einsum("mdk,mk->md", q, y)
        centre = v[:, 0, :] + local * scale[:, None]
        radius = np.linalg.norm(local, axis=1) * scale
    centre[flat] = np.nan
    radius[flat] = np.inf
    return centre, radius


def min_enclosing_radius(points: ArrayLike, simplices: ArrayLike) -> NDArray[np.float64]:
    """Radius of the smallest ball containing each simplex.

    Parameters
    ----------
    points : (n_points, n_dims) array_like
    simplices : (n_simplices, k) array_like of int
        Vertex index rows (``k = n_dims + 1`` for simplices).

    Returns
    -------
    (n_simplices,) ndarray
        The circumradius when the circumcentre lies in the simplex, smaller for
        obtuse simplices. The smallest enclosing ball is the circumball of some face;
        among the faces whose circumball (centred in the face's affine hull) holds every
        vertex, it is the one of least radius. Always finite: the ball of the longest
        edge's farthest vertex pair is a fallback candidate for flat vertex sets.
    """
    v = _simplex_vertices(points, simplices)
    m, k, _ = v.shape
    # centre every simplex on its vertex mean so that the containment test's rounding is
    # relative to the simplex's own size, not to the size of the coordinates
    v = v - v.mean(axis=1, keepdims=True)
    best = np.full(m, np.inf)
    scale = np.max(np.linalg.norm(v, axis=2), axis=1)
    for size in range(2, k + 1):
        for subset in itertools.combinations(range(k), size):
            c, r = _subset_circumspheres(v[:, list(subset), :])
            with np.errstate(invalid="ignore"):
                dist = np.linalg.norm(v - c[:, None, :], axis=2).max(axis=1)
                ok = np.isfinite(r) & (dist <= r * (1 + 1e-9) + 1e-12 * scale)
            best = np.where(ok & (r < best), r, best)
    if m and not np.all(np.isfinite(best)):  # pragma: no cover - the full circumball always qualifies
        raise DegenerateInputError("'simplices' must be full-dimensional, found flat simplices")
    return best


def error_bounds(tri: Triangulation, M: float) -> NDArray[np.float64]:
    """Waldron's sharp Linf bound per simplex: ``1/2 * M * R_min^2``.

    Parameters
    ----------
    tri : Triangulation
    M : float
        Bound on the spectral norm of the target's Hessian over the hull.

    Returns
    -------
    (n_simplices,) ndarray
        ``sup_S |f - I f| <= bound[S]`` for every ``f`` with Hessian norm ``<= M``;
        equality for ``f = M/2 |x|^2``.

    Examples
    --------
    Waldron's bound is sharp for ``|x|^2`` (``M = 2``): it equals the errors of :func:`interpolation_error`'s example.

    >>> from geoquant import delaunay
    >>> error_bounds(delaunay([[0, 0], [1, 0], [0, 1], [1, 1]]), 2.0).round(12).tolist()
    [0.5, 0.5]
    """
    tri = _check_triangulation(tri)
    M = check_positive(M, "M", strict=False)
    return 0.5 * M * min_enclosing_radius(tri.points, tri.simplices) ** 2
