"""Delaunay triangulation in any dimension that always uses every point.

Qhull (through scipy) may leave out points that lie on hull edges or are
coplanar with a facet (scipy reports them in ``Delaunay.coplanar``) and, with
its ``Qz``/joggle options, may emit flat simplices. A triangulation that skips
a data point cannot interpolate it, so such points are put back by stellar
subdivision: every simplex whose closure contains the point is split at it.
For points on a shared face both sides are split alike, so the result stays a
proper (face-to-face) triangulation.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from numpy.typing import ArrayLike

from .._validation import check_memory, check_points, normalized_frame
from ._locate import affine_transforms
from ._predicates import orientation
from ._triangulation import Triangulation

__all__ = ["delaunay", "insert_points"]


def delaunay(points: ArrayLike) -> Triangulation:
    """Delaunay triangulation of a point set in any dimension, using every point.

    Parameters
    ----------
    points : (n_points, n_dims) array_like
        At least ``n_dims + 1`` affinely independent points, no duplicates.
        A 1-D array is read as points on a line.

    Returns
    -------
    Triangulation
        A fine triangulation: in 1D the sorted intervals; above, Qhull's
        Delaunay triangulation with any point Qhull left out inserted by
        stellar subdivision (for degenerate input, e.g. cocircular points,
        the Delaunay triangulation is not unique and one of them is returned).

    Raises
    ------
    InvalidInputError, DuplicatePointsError, DegenerateInputError
        NaN/inf, wrong shape, duplicates, too few or affinely dependent points.

    Examples
    --------
    >>> import numpy as np
    >>> xs, ys = np.meshgrid(np.arange(5.0), np.arange(5.0))
    >>> tri = delaunay(np.column_stack([xs.ravel(), ys.ravel()]))
    >>> tri.n_simplices, tri.is_fine
    (32, True)
    """
    pts = check_points(points, "points")
    n, d = pts.shape
    if d == 1:
        order = np.argsort(pts[:, 0], kind="stable")
        simplices = np.column_stack([order[:-1], order[1:]])
        return Triangulation(pts, simplices)
    check_memory(delaunay_memory(n, d), f"the Delaunay triangulation of {n} points in {d}D",
                 "use fewer points or fewer dimensions (the simplex count grows steeply with the dimension)")
    from scipy.spatial import Delaunay

    options = "Qbb Qc Qz Q12" + (" Qx" if d > 4 else "")
    # Qhull works in a centred frame scaled to unit size, so 1e-300 or 1e300 coordinates
    # neither underflow nor overflow; the result is checked on the original points.
    frame = normalized_frame(pts)
    qh = Delaunay(frame, qhull_options=options)
    simplices = np.asarray(qh.simplices, dtype=np.int64)
    # drop only the simplices that are exactly flat (Qhull's triangulated coplanar facets);
    # a relative volume threshold would also drop tiny valid simplices of multi-scale input
    simplices = simplices[orientation(pts[simplices]) != 0]
    missing = np.setdiff1d(np.arange(n), np.unique(simplices))
    if len(missing):
        simplices = insert_points(frame, simplices, missing)
    return Triangulation(pts, simplices)


# Expected Delaunay simplices per point for uniform random points: Dwyer's asymptotic
# constants (rounded up) for large n; below that, in 6D and above, the count per point
# still grows like n^((d - 5) / 2) (fitted to Qhull on 60-300 random points, rounded up).
_SIMPLICES_PER_POINT = {2: 2.0, 3: 6.8, 4: 31.8, 5: 200.0, 6: 1300.0}
_SMALL_N_FACTOR = {6: 25.0, 7: 7.0, 8: 2.5}


def delaunay_memory(n_points: int, n_dims: int) -> float:
    """Estimated peak bytes of Qhull's Delaunay triangulation (about 1.3 KB per 6D simplex)."""
    per = _SIMPLICES_PER_POINT.get(n_dims, 1300.0 * 7.0 ** max(n_dims - 6, 0))
    if n_dims >= 6:
        a = _SMALL_N_FACTOR.get(n_dims, 2.5 * 0.35 ** (n_dims - 8))
        per = min(per, a * float(n_points) ** ((n_dims - 5) / 2))
    return float(n_points) * per * (400.0 + 150.0 * n_dims)


def insert_points(points: np.ndarray, simplices: np.ndarray, indices: Iterable[int], *, tol: float = 1e-10) -> np.ndarray:
    """Insert points into a triangulation by stellar subdivision.

    Parameters
    ----------
    points : (n_points, n_dims) ndarray
    simplices : (n_simplices, n_dims + 1) ndarray of int
        A triangulation of the convex hull of ``points`` (not all used).
    indices : sequence of int
        Points to insert; each must lie in the hull.
    tol : float
        Barycentric tolerance for "in the closure of a simplex".

    Returns
    -------
    (n_simplices', n_dims + 1) ndarray of int64
    """
    simplices = np.asarray(simplices, dtype=np.int64)
    for p in indices:
        inv, ref = affine_transforms(points, simplices)
        b = np.einsum("mij,mj->mi", inv, points[p] - ref)
        lam = np.column_stack([b, 1.0 - b.sum(axis=1)])
        containing = np.flatnonzero(lam.min(axis=1) >= -tol)
        if not len(containing):  # pragma: no cover - every point lies in the hull
            continue
        new = []
        for s in containing:
            for k in np.flatnonzero(lam[s] > tol):
                row = simplices[s].copy()
                row[k] = p
                new.append(row)
        keep = np.ones(len(simplices), dtype=bool)
        keep[containing] = False
        simplices = np.concatenate([simplices[keep], np.asarray(new, dtype=np.int64)])
    return simplices
