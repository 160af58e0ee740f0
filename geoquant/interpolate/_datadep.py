"""Data-dependent triangulations that minimise the L2 error of the interpolant of a target.

The triangulation engine takes costs as callables and never integrates a target itself
(:mod:`geoquant.triangulation`'s ``"min_l2_error"`` criterion needs ``l2_cost=``); these
conveniences take the target ``f``, build its values and cost with :func:`target_l2_cost`
and pass them down.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import SeedLike, check_points
from ..triangulation import Triangulation, data_dependent_triangulation, lawson_flip
from ._errors import target_l2_cost

__all__ = ["l2_lawson_flip", "l2_data_dependent_triangulation"]


def l2_lawson_flip(
    tri: Triangulation, f: Callable[[NDArray[np.float64]], ArrayLike], *, max_flips: int | None = None
) -> Triangulation:
    """Lawson flips that lower the squared L2 error of the interpolant of ``f`` to a local optimum.

    :func:`geoquant.triangulation.lawson_flip` with criterion ``"min_l2_error"``, its values and
    cost built from ``f`` by :func:`target_l2_cost`.

    Parameters
    ----------
    tri : Triangulation
        Starting planar triangulation.
    f : callable
        The target, ``(..., 2) -> (...)``.
    max_flips : int, optional
        See :func:`geoquant.triangulation.lawson_flip`.

    Returns
    -------
    Triangulation
        No flip of a strictly convex quadrilateral lowers the squared L2 error.

    Examples
    --------
    >>> import numpy as np
    >>> from geoquant.triangulation import delaunay
    >>> pts = np.random.default_rng(0).random((20, 2))
    >>> ridge = lambda x: np.abs(x[..., 0] - x[..., 1])
    >>> l2_lawson_flip(delaunay(pts), ridge).is_fine
    True
    """
    values, cost = target_l2_cost(f, tri.points)
    return lawson_flip(tri, "min_l2_error", values, max_flips=max_flips, l2_cost=cost)


def l2_data_dependent_triangulation(
    points: ArrayLike,
    f: Callable[[NDArray[np.float64]], ArrayLike],
    start: Literal["delaunay", "random"] | Triangulation = "delaunay",
    *,
    seed: SeedLike = 0,
    max_flips: int | None = None,
) -> Triangulation:
    """:func:`geoquant.triangulation.data_dependent_triangulation` minimising the L2 error of ``f``'s interpolant.

    Parameters
    ----------
    points : (n_points, 2) array_like
    f : callable
        The target, ``(..., 2) -> (...)``.
    start, seed, max_flips
        See :func:`geoquant.triangulation.data_dependent_triangulation`.

    Returns
    -------
    Triangulation
    """
    pts = check_points(points, "points")
    values, cost = target_l2_cost(f, pts)
    return data_dependent_triangulation(pts, values, "min_l2_error", start, seed=seed, max_flips=max_flips,
                                        l2_cost=cost)
