"""Quadrature on simplices and clipping of simplices to a box.

The comparison integrates ``(f - g)**2`` for methods ``g`` that are not
piecewise linear on a known triangulation (networks, splines, kernels) and, for
every method, over the *inner region* (the target's box shrunk by a margin,
intersected with the hull). Both need a rule on arbitrary simplices:

* :func:`grundmann_moeller` -- the Grundmann--Moeller rule of degree ``2s+1`` on
  the ``d``-simplex (A. Grundmann, H. M. Moeller, SIAM J. Numer. Anal. 15
  (1978) 282--290), the same rule :func:`geoquant.interpolate.simplex_errors`
  uses. It is exact for polynomials of degree ``<= 2s+1`` and has some
  negative weights, harmless for the smooth integrands it meets.
* :func:`refine_simplices` -- uniform subdivision (2**d children per level in
  1D/2D), used where the integrand has kinks inside a cell (a network's
  breaklines), so that the rule sees a piecewise smooth function at finer scale.
* :func:`clip_simplices_to_box` -- intersect 1D intervals / 2D triangles with an
  axis-aligned box (Sutherland--Hodgman) and fan-triangulate the pieces; each
  piece remembers its parent so that a piecewise-linear interpolant stays affine
  on it and the rule stays as accurate as on the parent.
"""

from __future__ import annotations


import numpy as np

from ..errors import UnsupportedError

__all__ = [
    "grundmann_moeller",
    "lattice",
    "simplex_volumes",
    "quadrature_nodes",
    "refine_simplices",
    "clip_simplices_to_box",
]


def grundmann_moeller(dim: int, degree: int = 7):
    """The Grundmann--Moeller rule of odd degree ``degree`` on the ``dim``-simplex.

    A thin wrapper of :func:`geoquant.interpolate.grundmann_moeller` (index
    ``s = degree // 2``), so the comparison uses the very rule the exact
    per-simplex errors use.

    Returns
    -------
    bary : (n_nodes, dim + 1) ndarray
        Barycentric coordinates of the nodes.
    weights : (n_nodes,) ndarray
        Weights relative to the simplex volume (they sum to 1).
    """
    from ..interpolate import grundmann_moeller as _gm

    return _gm(int(dim), max(0, int(degree) // 2))


def lattice(dim: int, order: int) -> np.ndarray:
    """Barycentric lattice ``{beta / order : |beta| = order}``, ``(n, dim + 1)``: the
    lattice of :func:`geoquant.interpolate.simplex_errors`."""
    from ..interpolate import barycentric_lattice

    return barycentric_lattice(int(dim), int(order))


def simplex_volumes(vertices: np.ndarray) -> np.ndarray:
    """Volumes of simplices given as ``(k, d + 1, d)`` vertex coordinates."""
    from ..triangulation._triangulation import vertex_simplex_volumes

    return vertex_simplex_volumes(vertices)


def quadrature_nodes(vertices: np.ndarray, degree: int = 7):
    """Nodes and absolute weights of the rule on every simplex.

    Parameters
    ----------
    vertices : (k, d + 1, d) ndarray

    Returns
    -------
    nodes : (k, n_nodes, d) ndarray
    weights : (k, n_nodes) ndarray
        Already multiplied by each simplex volume, so ``sum(weights * g(nodes))``
        approximates the integral of ``g`` over the union of the simplices.
    """
    k, dp1, d = vertices.shape
    bary, w = grundmann_moeller(d, degree)
    nodes = np.einsum("qv,kvd->kqd", bary, vertices)
    return nodes, simplex_volumes(vertices)[:, None] * w[None, :]


# --- subdivision -------------------------------------------------------------------------


def _refine_once(vertices: np.ndarray) -> np.ndarray:
    k, dp1, d = vertices.shape
    if d == 1:
        a, b = vertices[:, 0], vertices[:, 1]
        m = 0.5 * (a + b)
        out = np.stack([np.stack([a, m], 1), np.stack([m, b], 1)], 1)
        return out.reshape(2 * k, 2, 1)
    if d == 2:
        a, b, c = vertices[:, 0], vertices[:, 1], vertices[:, 2]
        ab, bc, ca = 0.5 * (a + b), 0.5 * (b + c), 0.5 * (c + a)
        kids = [(a, ab, ca), (ab, b, bc), (ca, bc, c), (ab, bc, ca)]
        out = np.stack([np.stack(t, 1) for t in kids], 1)
        return out.reshape(4 * k, 3, 2)
    raise UnsupportedError(f"refining simplices is implemented in 1D and 2D, found dimension {d}")


def refine_simplices(vertices: np.ndarray, levels: int):
    """Split each simplex uniformly ``levels`` times.

    Returns
    -------
    children : (k * 2**(d*levels), d + 1, d) ndarray
    parent : (k * 2**(d*levels),) int ndarray
        Index of the original simplex each child lies in.
    """
    k = vertices.shape[0]
    parent = np.arange(k)
    for _ in range(int(levels)):
        before = vertices.shape[0]
        vertices = _refine_once(vertices)
        parent = np.repeat(parent, vertices.shape[0] // max(before, 1))
    return vertices, parent


# --- clipping to a box ---------------------------------------------------------------


def _clip_polygon(poly, lo, hi):
    """Sutherland--Hodgman: clip a convex polygon (list of 2-vectors) to a box."""
    for axis in (0, 1):
        for bound, keep_ge in ((lo[axis], True), (hi[axis], False)):
            if not poly:
                return poly
            out = []
            n = len(poly)
            for i in range(n):
                p, q = poly[i], poly[(i + 1) % n]
                pin = p[axis] >= bound if keep_ge else p[axis] <= bound
                qin = q[axis] >= bound if keep_ge else q[axis] <= bound
                if pin:
                    out.append(p)
                if pin != qin:
                    t = (bound - p[axis]) / (q[axis] - p[axis])
                    out.append(p + t * (q - p))
            poly = out
    return poly


def clip_simplices_to_box(vertices: np.ndarray, box: np.ndarray):
    """Intersect simplices with an axis-aligned box and split the pieces into simplices.

    Parameters
    ----------
    vertices : (k, d + 1, d) ndarray
        Simplices (intervals in 1D, triangles in 2D).
    box : (d, 2) ndarray
        ``box[j] = (lo_j, hi_j)``.

    Returns
    -------
    pieces : (m, d + 1, d) ndarray
        Simplices whose union is ``union(simplices) & box`` (pieces of zero
        volume dropped).
    parent : (m,) int ndarray
        Index of the simplex each piece comes from.
    """
    k, dp1, d = vertices.shape
    lo, hi = box[:, 0], box[:, 1]
    if d == 1:
        a = np.minimum(vertices[:, 0, 0], vertices[:, 1, 0])
        b = np.maximum(vertices[:, 0, 0], vertices[:, 1, 0])
        a2, b2 = np.maximum(a, lo[0]), np.minimum(b, hi[0])
        keep = b2 > a2
        pieces = np.stack([a2[keep], b2[keep]], 1)[:, :, None]
        return pieces, np.flatnonzero(keep)
    if d != 2:
        raise UnsupportedError(f"the inner region is implemented in 1D and 2D, found dimension {d}")
    inside = np.all((vertices >= lo) & (vertices <= hi), axis=(1, 2))
    outside = (
        np.all(vertices[:, :, 0] <= lo[0], 1)
        | np.all(vertices[:, :, 0] >= hi[0], 1)
        | np.all(vertices[:, :, 1] <= lo[1], 1)
        | np.all(vertices[:, :, 1] >= hi[1], 1)
    )
    pieces = [vertices[inside]]
    parents = [np.flatnonzero(inside)]
    extra, extra_parent = [], []
    for i in np.flatnonzero(~inside & ~outside):
        poly = _clip_polygon([v for v in vertices[i]], lo, hi)
        for j in range(1, len(poly) - 1):
            extra.append(np.stack([poly[0], poly[j], poly[j + 1]]))
            extra_parent.append(i)
    if extra:
        pieces.append(np.asarray(extra))
        parents.append(np.asarray(extra_parent, dtype=np.int64))
    pieces_arr = np.concatenate(pieces, 0) if pieces else np.zeros((0, 3, 2))
    parent_arr = np.concatenate(parents).astype(np.int64)
    vol = simplex_volumes(pieces_arr)
    scale = float(np.prod(hi - lo)) if np.all(hi > lo) else 1.0
    keep = vol > 1e-14 * scale
    return pieces_arr[keep], parent_arr[keep]
