"""The piecewise-linear interpolant of point values on a triangulation."""

from __future__ import annotations


import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import check_values
from ..errors import InvalidInputError
from ..triangulation import Triangulation


def _check_triangulation(tri: object, name: str = "tri") -> Triangulation:
    if not isinstance(tri, Triangulation):
        raise InvalidInputError(f"'{name}' must be a geoquant Triangulation, found {type(tri).__name__}")
    return tri


class PiecewiseLinearInterpolant:
    """Linear interpolant of point values on a triangulation, in any dimension.

    Parameters
    ----------
    tri : Triangulation
        Any triangulation (Delaunay or not, fine or not).
    values : (n_points,) array_like
        Values at the points (values of unused points are ignored).

    Notes
    -----
    Calling the interpolant on ``xi`` of shape ``(..., n_dims)`` returns shape
    ``(...)``; points outside the convex hull give NaN (by definition, the
    interpolant exists only on the hull), points on its boundary are inside.

    Examples
    --------
    An affine function is reproduced exactly; outside the hull the interpolant is undefined (NaN):

    >>> from geoquant import delaunay
    >>> tri = delaunay([[0, 0], [1, 0], [0, 1], [1, 1]])
    >>> f = PiecewiseLinearInterpolant(tri, [0.0, 1.0, 2.0, 3.0])  # x + 2 y at the vertices
    >>> f([[0.25, 0.5], [2.0, 2.0]])
    array([1.25,  nan])
    """

    def __init__(self, tri: Triangulation, values: ArrayLike) -> None:
        self.tri = _check_triangulation(tri)
        self.values = check_values(values, tri.n_points, "values")

    def __call__(self, xi: ArrayLike) -> NDArray[np.float64]:
        s, lam = self.tri.barycentric(xi)
        vals = self.values[self.tri.simplices[np.where(s >= 0, s, 0)]]
        out = np.einsum("...k,...k->...", lam, vals)
        return np.where(s >= 0, out, np.nan)

    @property
    def gradients(self) -> NDArray[np.float64]:
        """(n_simplices, n_dims) gradient of the interpolant on each simplex."""
        return _simplex_gradients(self.tri.points, self.tri.simplices, self.values)

    def __repr__(self) -> str:
        return f"PiecewiseLinearInterpolant({self.tri!r})"


def _simplex_gradients(points: np.ndarray, simplices: np.ndarray, values: np.ndarray) -> np.ndarray:
    v = points[simplices]
    edges = v[:, 1:, :] - v[:, :1, :]  # (m, d, d)
    dv = values[simplices[:, 1:]] - values[simplices[:, :1]]  # (m, d)
    return np.linalg.solve(edges, dv[..., None])[..., 0]
