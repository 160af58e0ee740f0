"""Regular triangulations: lifting, and random regular triangulations.

A triangulation ``T`` of a point set ``A`` in ``R^d`` is *regular* when some
heights ``h`` make ``T`` the projection of the lower faces of the lifted points
``(a_i, h_i)`` in ``R^(d+1)`` (De Loera, Rambau, Santos, *Triangulations*,
Def. 2.2.10). Delaunay is the case ``h = |a|^2``.

* :func:`regular_triangulation` computes the lower hull with Qhull and, for
  non-generic heights (a lower face with more than ``d + 1`` points), refines
  each such face by a fixed tie-break described there, so the output is always a
  triangulation and always regular.
* :func:`random_regular_triangulation` lifts with seeded random heights.

Deciding whether a given triangulation is regular (the folding LP and its
certificates) is :mod:`._regularity`.
"""

from __future__ import annotations


import numpy as np
from numpy.typing import ArrayLike
from scipy import sparse

from .._validation import SeedLike, _shape_str, as_float_array, as_generator, check_points, normalized_frame
from ..errors import DegenerateInputError, GeoquantError, InvalidInputError
from ._triangulation import Triangulation, canonical_simplices, simplex_volumes

__all__ = ["regular_triangulation", "random_regular_triangulation"]

# Lifted faces that are flat to within this fraction of the point set's diameter
# (after the heights are normalised, see _lower_faces) count as one flat face.
_FLAT_RTOL = 1e-11
# Unit facet normals whose last component is above -_VERTICAL_TOL are vertical
# (or upper) facets: they project to nothing.
_VERTICAL_TOL = 1e-9
# Fixed seed of the last tie-break lifting: it must not depend on the user's
# seed, so that regular_triangulation is a function of (points, heights) only.
_TIEBREAK_SEED = 20240611


# ----------------------------------------------------------------- lifting
def _lower_faces(pts: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Point sets of the lower faces of the lifted points ``(pts_i, h_i)``.

    Parameters
    ----------
    pts : (m, d) float64, affinely spanning ``R^d``
    h : (m,) float64

    Returns
    -------
    simplices : (k, d + 1) int64 ndarray
        The lower faces that are simplices (local indices).
    big : list of int64 arrays
        The other lower faces: local indices of every point whose lift lies on
        the face's supporting hyperplane (not only Qhull's vertices), each
        spanning ``R^d``. A flat lift gives one face holding all points.
    """
    m, d = pts.shape
    x = pts - pts.mean(axis=0)  # centring keeps Qhull's round-off relative to the set
    diam = float(np.max(np.ptp(x, axis=0)))
    # The subdivision does not change when an affine function is added to the
    # heights or they are scaled by a positive factor: remove the least-squares
    # affine part (huge tilts would make lower facets look vertical) and scale
    # the rest to the diameter, so that tolerances are relative.
    design = np.column_stack([x, np.ones(m)])
    coef, *_ = np.linalg.lstsq(design, h, rcond=None)
    r = h - design @ coef
    rmax = float(np.max(np.abs(r)))
    hmax = float(np.max(np.abs(h)))
    noise = 1e3 * np.finfo(float).eps * hmax  # round-off of the heights themselves
    if rmax <= noise or rmax == 0.0:
        if m == d + 1:
            return np.arange(m)[None, :], []
        return np.zeros((0, d + 1), dtype=np.int64), [np.arange(m)]
    r = r * (diam / rmax)
    # absolute tolerance: relative flatness, but never below the round-off of h itself
    tol = diam * max(_FLAT_RTOL, noise / rmax)
    lifted = np.column_stack([x, r])
    # A point far above the centre makes the hull full-dimensional even when all
    # lifted points are (nearly) on one hyperplane; it lies strictly above every
    # lower facet, so it never belongs to one.
    top = np.zeros((1, d + 1))
    top[0, d] = r.max() + diam
    from scipy.spatial import ConvexHull

    hull = ConvexHull(np.vstack([lifted, top]))  # scipy always adds "Qt"
    eq = hull.equations
    lower = np.flatnonzero(eq[:, d] < -_VERTICAL_TOL)
    simp = hull.simplices[lower]
    keep = ~(simp == m).any(axis=1)  # cannot happen (see above); be safe
    lower, simp = lower[keep], simp[keep]
    normal, offset = eq[lower, : d + 1], eq[lower, d + 1]
    k = len(lower)

    # Group Qhull's simplicial pieces into faces: neighbours whose far vertex lies
    # on this piece's hyperplane belong to the same (non-simplicial) face.
    local = np.full(len(eq), -1, dtype=np.int64)
    local[lower] = np.arange(k)
    nb = local[hull.neighbors[lower]]  # (k, d+1), -1 where the neighbour is not lower
    j_idx, i_idx = np.nonzero(nb >= 0)
    t_idx = nb[j_idx, i_idx]
    far = simp[t_idx]
    not_shared = ~(far[:, :, None] == simp[j_idx][:, None, :]).any(axis=2)
    far_vertex = far[np.arange(len(far)), np.argmax(not_shared, axis=1)]
    dist = np.abs(np.einsum("kd,kd->k", lifted[far_vertex], normal[j_idx]) + offset[j_idx])
    # Qhull's "Qt" may emit zero-volume pieces inside a ridge; their vertices lie on
    # both neighbouring planes, so they join a face only through their equation,
    # which Qt copies from the merged facet they come from.
    vol = np.abs(simplex_volumes(x, simp))
    solid_mask = vol > 1e-12 * diam**d
    e_j, e_t = eq[lower[j_idx]], eq[lower[t_idx]]
    same_eq = (np.abs(e_j[:, : d + 1] - e_t[:, : d + 1]).max(axis=1) <= 1e-9) & (
        np.abs(e_j[:, d + 1] - e_t[:, d + 1]) <= 1e-9 * diam
    )
    same = same_eq | ((dist <= tol) & solid_mask[j_idx] & solid_mask[t_idx])
    from scipy.sparse.csgraph import connected_components

    graph = sparse.coo_matrix((np.ones(int(same.sum())), (j_idx[same], t_idx[same])), shape=(k, k))
    n_faces, face_of = connected_components(graph, directed=False)

    # Points on a face but not Qhull vertices (Qhull drops "coplanar" points):
    # candidates in a ball around each non-degenerate piece, kept when they lie on
    # its hyperplane and in its (closed) projection.
    solid = np.flatnonzero(solid_mask)
    extra_face, extra_pt = [], []
    if len(solid):
        from scipy.spatial import cKDTree

        v = x[simp[solid]]
        centre = v.mean(axis=1)
        radius = np.sqrt(((v - centre[:, None, :]) ** 2).sum(axis=2).max(axis=1)) * (1 + 1e-9) + tol
        cand = cKDTree(x).query_ball_point(centre, radius)
        counts = np.fromiter((len(c) for c in cand), dtype=np.int64, count=len(cand))
        if counts.sum():
            pj = np.repeat(np.arange(len(solid)), counts)
            pi = np.fromiter((i for c in cand for i in c), dtype=np.int64, count=int(counts.sum()))
            sj = solid[pj]
            on = np.abs(np.einsum("kd,kd->k", lifted[pi], normal[sj]) + offset[sj]) <= tol
            pj, pi, sj = pj[on], pi[on], sj[on]
            if len(pi):
                from ._locate import affine_transforms

                inv, ref = affine_transforms(x, simp[solid])
                b = np.einsum("kij,kj->ki", inv[pj], x[pi] - ref[pj])
                lam_min = np.minimum(b.min(axis=1), 1.0 - b.sum(axis=1))
                inside = lam_min >= -1e-9
                extra_face.append(face_of[sj[inside]])
                extra_pt.append(pi[inside])
    face_ids = np.concatenate([np.repeat(face_of, d + 1)] + extra_face)
    point_ids = np.concatenate([simp.reshape(-1)] + extra_pt)
    pairs = np.unique(np.column_stack([face_ids, point_ids]), axis=0)
    starts = np.concatenate([[0], np.flatnonzero(np.diff(pairs[:, 0])) + 1, [len(pairs)]])
    sizes = np.diff(starts)
    # faces with d + 1 points (the generic case) are simplices: vectorised
    first = starts[:-1][sizes == d + 1]
    simplices = pairs[first[:, None] + np.arange(d + 1), 1] if len(first) else np.zeros((0, d + 1), dtype=np.int64)
    # drop flat groups (a nearly vertical facet misread as lower)
    simplices = simplices[np.abs(simplex_volumes(x, simplices)) > 1e-12 * diam**d]
    big = []
    for a, b in zip(starts[:-1][sizes > d + 1], starts[1:][sizes > d + 1]):
        f = pairs[a:b, 1]
        sv = np.linalg.svd(x[f] - x[f].mean(axis=0), compute_uv=False)
        if np.sum(sv > 1e-10 * sv[0]) == d:
            big.append(f)
    return simplices, big


def _regular_cells(pts: np.ndarray, h: np.ndarray, tiebreaks: list[np.ndarray]) -> np.ndarray:
    """Simplices (local index rows) of the lower hull of ``(pts, h)``, refined by the tie-breaks."""
    d = pts.shape[1]
    simplices, big = _lower_faces(pts, h)
    out = [simplices]
    circuits = []
    for face in big:
        if len(face) == d + 2 and tiebreaks:
            circuits.append(face)
            continue
        if not tiebreaks:
            raise DegenerateInputError(
                f"'heights' give a lower face with {len(face)} points that the generic tie-break did not "
                "split into simplices; perturb the heights"
            )
        out.append(face[_regular_cells(pts[face], tiebreaks[0][face], tiebreaks[1:])])
    if circuits:
        out.append(_split_circuits(pts, np.array(circuits), tiebreaks))
    return np.concatenate(out)


def _split_circuits(pts: np.ndarray, faces: np.ndarray, tiebreaks: list[np.ndarray]) -> np.ndarray:
    """Refine faces of exactly ``d + 2`` points (circuits), all at once.

    A set ``Z`` of ``d + 2`` points spanning ``R^d`` has an affine dependence
    ``lambda`` (unique up to scale) and exactly two triangulations,
    ``{Z - j : lambda_j > 0}`` and ``{Z - j : lambda_j < 0}``; heights ``w``
    select the first when ``lambda . w > 0`` (the positive side is lifted up).
    This is the lower-hull computation of :func:`_lower_faces` in closed form,
    without a Qhull call per face (lattice grids have one such face per cell).
    """
    F, k = faces.shape
    v = pts[faces]  # (F, d+2, d)
    mat = np.concatenate([np.swapaxes(v - v.mean(axis=1, keepdims=True), 1, 2), np.ones((F, 1, k))], axis=1)
    lam = np.linalg.svd(mat)[2][:, -1, :]  # (F, d+2) null vectors
    lam /= np.abs(lam).max(axis=1, keepdims=True)
    lam[np.abs(lam) < 1e-10] = 0.0
    side = np.zeros(F)
    for w in tiebreaks:
        todo = side == 0
        if not todo.any():
            break
        wf = w[faces[todo]]
        wf = wf - wf.mean(axis=1, keepdims=True)  # lambda sums to 0: same value, less round-off
        val = (lam[todo] * wf).sum(axis=1)
        size = (np.abs(lam[todo]) * np.abs(wf)).sum(axis=1)
        side[np.flatnonzero(todo)] = np.where(np.abs(val) > 1e-9 * size, np.sign(val), 0.0)
    if (side == 0).any():
        raise DegenerateInputError(
            "'heights' give a lower face that the generic tie-break did not split into simplices; perturb the heights"
        )
    rows = []
    for j in range(k):
        sel = np.sign(lam[:, j]) == side
        if sel.any():
            rows.append(np.delete(faces[sel], j, axis=1))
    return np.concatenate(rows)


def _tiebreaks(pts: np.ndarray) -> list[np.ndarray]:
    """The lexicographic tie-break liftings: ``|x|^2``, then fixed generic heights."""
    c = pts - pts.mean(axis=0)
    return [(c**2).sum(axis=1), np.random.default_rng(_TIEBREAK_SEED).random(len(pts))]


def _regular_simplices(pts: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Canonical simplices of the regular triangulation of clean ``pts`` with heights ``h``."""
    n, d = pts.shape
    if d == 1:
        return _regular_simplices_1d(pts[:, 0], h)
    simp = canonical_simplices(_regular_cells(pts, h, _tiebreaks(pts)))
    # The refinement is a triangulation by construction; a volume check catches
    # tolerance trouble (e.g. wildly scaled heights) instead of returning garbage.
    from scipy.spatial import ConvexHull

    total = float(simplex_volumes(pts, simp).sum())
    hull_vol = ConvexHull(pts).volume
    if not np.isclose(total, hull_vol, rtol=1e-8, atol=0.0):
        raise GeoquantError(
            f"regular_triangulation: the lower-hull simplices cover volume {total:.12g} but the convex hull "
            f"has {hull_vol:.12g}; the heights are too badly scaled for the float64 lifting"
        )
    return simp


def _regular_simplices_1d(x: np.ndarray, h: np.ndarray) -> np.ndarray:
    """1D: the lower convex hull of (x, h) by a monotone-chain scan (exact up to rounding)."""
    order = np.lexsort((h, x))
    xs, hs = x[order], h[order]
    scale = max(float(np.max(np.abs(h))), 1e-300)
    stack: list[int] = []
    for i in range(len(xs)):
        while len(stack) >= 2:
            a, b = stack[-2], stack[-1]
            # keep b only if it lies strictly below the chord a -> i; points on the
            # chord (collinear lift) are kept, matching the tie-break |x|^2 of d >= 2
            cross = (xs[b] - xs[a]) * (hs[i] - hs[a]) - (hs[b] - hs[a]) * (xs[i] - xs[a])
            if cross < -_FLAT_RTOL * scale * (xs[i] - xs[a]):
                stack.pop()
            else:
                break
        stack.append(i)
    idx = order[stack]
    return canonical_simplices(np.column_stack([idx[:-1], idx[1:]]))


def regular_triangulation(points: ArrayLike, heights: ArrayLike) -> Triangulation:
    """The regular triangulation induced by lifting ``points`` to ``heights``.

    Parameters
    ----------
    points : (n_points, n_dims) array_like
        At least ``n_dims + 1`` affinely independent points, no duplicates.
        A 1-D array is read as points on a line.
    heights : (n_points,) array_like
        Finite heights; adding an affine function or scaling by a positive
        factor gives the same triangulation.

    Returns
    -------
    Triangulation
        The projection of the lower hull of ``(points_i, heights_i)``. Points
        lifted strictly above the lower hull are not used (the result need not
        be fine); every point whose lift lies on the lower hull is used.

    Notes
    -----
    Non-generic heights make some lower faces non-simplicial (e.g. ``|x|^2`` on
    cocircular points, or constant heights). Each such face is triangulated by
    the regular triangulation of its points for the tie-break heights ``|x|^2``
    (the Delaunay triangulation of the face), and faces that are still
    non-simplicial (cospherical points) by a fixed generic lifting. Because the
    tie-breaks are global, neighbouring faces are refined alike, and the result
    is the regular triangulation for ``heights + e |x|^2 + e^2 g`` with small
    ``e > 0`` -- a regular triangulation refining the regular subdivision.
    Lifted faces that are flat to within a relative ``1e-11`` are treated as
    flat. Qhull computes the hull; points that Qhull reports only as coplanar
    are put back by testing every point against each lower face.

    Raises
    ------
    InvalidInputError, DuplicatePointsError, DegenerateInputError
        Bad points (see :func:`geoquant.triangulation.delaunay`), or ``heights``
        of the wrong shape or not finite.

    Examples
    --------
    >>> import numpy as np
    >>> pts = np.array([[0, 0], [1, 0], [0, 1], [1, 1], [0.5, 0.5]])
    >>> regular_triangulation(pts, [0, 0, 0, 0, 1]).n_simplices   # centre lifted up: unused
    2
    >>> regular_triangulation(pts, [0, 0, 0, 0, -1]).n_simplices  # centre pulled down: used
    4
    """
    pts = check_points(points, "points")
    h = _check_heights(heights, len(pts))
    return Triangulation(pts, _regular_simplices(pts, h), validate=False)


def _check_heights(heights: ArrayLike, n: int) -> np.ndarray:
    h = as_float_array(heights, "heights", ndim=1)
    if h.shape != (n,):
        raise InvalidInputError(f"'heights' must have shape ({n},) to match the points, found {_shape_str(h.shape)}")
    return h


# ------------------------------------------------------ random regular
def random_regular_triangulation(
    points: ArrayLike, *, seed: SeedLike = 0, fine: bool = True
) -> Triangulation:
    """A random regular triangulation of a point set in any dimension.

    Parameters
    ----------
    points : (n_points, n_dims) array_like
    seed : int, numpy Generator or SeedSequence
        Same seed, same triangulation.
    fine : bool, default True
        Use every point. The heights are the strictly convex ``|x|^2`` (which
        puts every point on the lower hull) plus seeded uniform noise scaled to
        each point's squared nearest-neighbour distance; when the noise pushes a
        point off the lower hull, the noise is halved and the lift recomputed
        (at worst down to plain ``|x|^2``, a Delaunay triangulation). With
        ``fine=False`` the heights are i.i.d. uniform, and points lifted above
        the lower hull are left out.

    Returns
    -------
    Triangulation
        Regular by construction (fine when ``fine``). In 1D the fine one is the
        unique sorted chain. The distribution is not uniform over regular
        triangulations; it is a seeded spread around Delaunay.

    Raises
    ------
    InvalidInputError, DuplicatePointsError, DegenerateInputError
        Bad points or seed.
    """
    pts = check_points(points, "points")
    rng = as_generator(seed)
    n, d = pts.shape
    g = rng.random(int(n))
    # Lift in the centred unit frame: regularity is invariant under affine maps of the points
    # (heights unchanged), and O(1) coordinates keep Qhull's lifted hull well scaled for
    # 1e-300 or 1e300 input.
    x = normalized_frame(pts)
    if not fine:
        return Triangulation(pts, _regular_simplices(x, g), validate=False)
    from scipy.spatial import cKDTree

    x = x - x.mean(axis=0)
    q = (x**2).sum(axis=1)
    nn = cKDTree(x).query(x, k=2)[0][:, 1]
    t = 2.0
    for _ in range(60):
        simp = _regular_simplices(x, q + t * nn**2 * g)
        if len(np.unique(simp)) == n:
            return Triangulation(pts, simp, validate=False)
        t /= 2.0
    return Triangulation(pts, _regular_simplices(x, q), validate=False)
