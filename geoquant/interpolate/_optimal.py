"""The L2-best (or L2-worst) fine triangulation of a target, in one call.

:func:`l2_optimal_triangulation` wires the error engine to the exact integer
program of :func:`geoquant.triangulation.optimal_triangulation`: the cost of a
triangle is the **squared** L2 error ``integral over the triangle of (f - I f)^2``
of its linear interpolant (``simplex_errors(..., "l2").per_simplex``), and the
squared L2 error of a triangulation is the sum of its triangles' costs, so the
integer program's sum objective is exactly ``||f - I_T f||_2^2``. (Squaring
``per_simplex`` again would minimise a sum of fourth powers: another objective.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..triangulation import OptimalTriangulation

__all__ = ["l2_optimal_triangulation", "L2OptimalTriangulation"]


@dataclass(frozen=True)
class L2OptimalTriangulation(OptimalTriangulation):
    """An :class:`~geoquant.triangulation.OptimalTriangulation` for the L2 interpolation error.

    Attributes
    ----------
    cost : float
        The **squared** L2 error of the interpolant on the triangulation found,
        ``||f - I_T f||_2^2`` over the convex hull (or over ``hull & box``): the
        sum of ``per_simplex``.
    l2 : float
        Its L2 error, ``sqrt(cost)`` (units of ``f`` times ``volume**0.5``).
    per_simplex : (n_simplices,) ndarray
        Squared L2 error of each simplex of ``triangulation`` (same order as
        ``triangulation.simplices``).

    The other attributes are those of ``OptimalTriangulation`` (``bound`` and
    ``gap`` are on the squared error too).
    """

    l2: float = float("nan")
    per_simplex: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)


def l2_optimal_triangulation(
    points: ArrayLike,
    f: Callable[[NDArray[np.float64]], ArrayLike],
    *,
    values: ArrayLike | None = None,
    sense: Literal["min", "max"] = "min",
    degree: int = 7,
    refine: int = 0,
    box: ArrayLike | None = None,
    time_limit: float | None = None,
) -> L2OptimalTriangulation:
    """The fine triangulation of ``points`` whose linear interpolant of ``f`` has the smallest L2 error, exactly.

    One call of :func:`geoquant.triangulation.optimal_triangulation` with the
    per-triangle cost ``simplex_errors(points, triangles, f, "l2", ...).per_simplex``,
    the squared L2 error of each candidate triangle (not squared again): the
    sum over a triangulation's triangles is its squared L2 error, which the
    integer program minimises (or maximises, ``sense="max"``) over all fine
    triangulations.

    Parameters
    ----------
    points : (n_points, n_dims) array_like
        ``n_dims`` 1 or 2 (in 1D the fine triangulation is unique).
    f : callable
        The target, ``(m, n_dims) -> (m,)``; a :class:`geoquant.targets.Target` works.
    values : (n_points,) array_like, optional
        Data values interpolated at the points (default ``f(points)``).
    sense : {"min", "max"}
        The L2-best (default) or L2-worst fine triangulation.
    degree : int, default 7
        Degree of the Grundmann-Moeller rule (:func:`simplex_errors`).
    refine : int, default 0
        Uniform subdivisions of each triangle for the quadrature (use 2 for
        targets that vary below the triangle size, as the studies do).
    box : (n_dims, 2) array_like, optional
        Measure the error on ``hull & box`` only.
    time_limit : float, optional
        Seconds for the solver (see :func:`~geoquant.triangulation.optimal_triangulation`;
        ``optimal`` is False when it stopped first).

    Returns
    -------
    L2OptimalTriangulation
        ``triangulation``, ``cost`` (the **squared** L2 error), ``l2``
        (``sqrt(cost)``), ``per_simplex`` (squared, per simplex of the
        triangulation), ``optimal``, ``bound``, ``gap``.

    Examples
    --------
    On the unit square with a centre point every fine triangulation uses the centre; for
    ``f = x^2`` the L2-best one is found among all of them:

    >>> import numpy as np
    >>> pts = np.array([[0, 0], [1, 0], [1, 1], [0, 1], [0.4, 0.6]])
    >>> best = l2_optimal_triangulation(pts, lambda x: x[..., 0] ** 2)
    >>> best.optimal, best.triangulation.n_simplices, bool(np.isclose(best.l2 ** 2, best.cost))
    (True, 4, True)
    """
    from ..triangulation import optimal_triangulation
    from ._errors import _eval_target, simplex_errors

    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim == 1:
        pts = pts[:, None]
    if values is None:
        if pts.ndim == 2 and np.all(np.isfinite(pts)):
            vals = _eval_target(f, pts)
        else:  # optimal_triangulation reports the bad points
            vals = None
    else:
        vals = np.asarray(values, dtype=np.float64)

    def cost(simplices: np.ndarray) -> np.ndarray:
        # squared L2 per triangle: summed by the program, never squared again
        return simplex_errors(pts, simplices, f, "l2", values=vals, degree=degree, refine=refine, box=box).per_simplex

    res = optimal_triangulation(pts, cost, sense=sense, reduce="sum", time_limit=time_limit)
    per = cost(np.asarray(res.triangulation.simplices))
    return L2OptimalTriangulation(
        res.triangulation, res.cost, res.optimal, res.bound, res.gap, res.status, res.sense, res.reduce,
        res.n_candidates, res.seconds, l2=float(np.sqrt(max(res.cost, 0.0))), per_simplex=per,
    )
