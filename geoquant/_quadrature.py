"""Quadrature on simplices: rules, barycentric lattices, uniform refinement, clipping to a box.

The one home of simplex quadrature (layer 0: numpy only). The piecewise-linear
error engine (:func:`geoquant.interpolate.simplex_errors`) and the comparison's
metrics for methods that are not piecewise linear both build on it, so every
error in geoquant uses the same rule under the same name, ``degree``.

* :func:`grundmann_moeller` -- the Grundmann--Moeller rule on the ``d``-simplex
  (A. Grundmann, H. M. Moeller, "Invariant integration formulas for the
  n-simplex by combinatorial methods", SIAM J. Numer. Anal. 15 (1978)
  282--290), exact for polynomials of degree ``<= degree``. Its index is
  ``s = degree // 2`` (exact degree ``2s + 1``: an even ``degree`` gets the
  next odd rule). Some weights are negative, harmless for smooth integrands.
* :func:`barycentric_lattice` -- the lattice ``{beta / order : |beta| = order}``
  searched for maximum errors.
* :func:`refine_simplices` -- uniform subdivision (``2**d`` children per level
  in 1D/2D: midpoints; in 2D the four children are similar to the parent), used
  where the integrand is smooth only at a finer scale.
* :func:`clip_simplices_to_box` -- intersect 1D intervals / 2D triangles with an
  axis-aligned box (Sutherland--Hodgman) and fan-triangulate the pieces; each
  piece remembers its parent.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

from ._deprecation import renamed_arguments
from .errors import UnsupportedError

__all__ = [
    "grundmann_moeller",
    "barycentric_lattice",
    "vertex_simplex_volumes",
    "quadrature_nodes",
    "refine_simplices",
    "clip_simplices_to_box",
    "rule_index",
]


def _compositions(total: int, parts: int) -> Iterator[tuple[int, ...]]:
    """All tuples of ``parts`` non-negative ints summing to ``total``."""
    for bars in itertools.combinations(range(total + parts - 1), parts - 1):
        prev, out = -1, []
        for b in bars:
            out.append(b - prev - 1)
            prev = b
        out.append(total + parts - 1 - prev - 1)
        yield tuple(out)


def rule_index(degree: int) -> int:
    """Grundmann--Moeller index ``s`` of the smallest rule exact for ``degree`` (``degree // 2``)."""
    return max(0, int(degree) // 2)


@renamed_arguments(dim="n_dims")
def grundmann_moeller(n_dims: int, *, degree: int = 7) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The Grundmann--Moeller rule on the ``n_dims``-simplex, exact for polynomials of degree ``<= degree``.

    Parameters
    ----------
    n_dims : int
        Dimension of the simplex.
    degree : int, default 7
        Polynomial degree integrated exactly; the rule has index
        ``s = degree // 2`` and is exact up to degree ``2s + 1``.

    Returns
    -------
    bary : (n_nodes, n_dims + 1) ndarray
        Barycentric coordinates of the nodes.
    weights : (n_nodes,) ndarray
        Weights normalised to sum to 1: the integral over a simplex of volume
        ``V`` is ``V * weights @ f(nodes)``. Some weights are negative.

    Examples
    --------
    >>> bary, w = grundmann_moeller(2, degree=7)
    >>> bary.shape, round(float(w.sum()), 12)
    ((20, 3), 1.0)
    """
    d, s = int(n_dims), rule_index(degree)
    nodes, weights = [], []
    for i in range(s + 1):
        denom = d + 2 * s + 1 - 2 * i
        w = (-1) ** i * 2.0 ** (-2 * s) * denom ** (2 * s + 1) / (math.factorial(i) * math.factorial(d + 2 * s + 1 - i))
        for beta in _compositions(s - i, d + 1):
            nodes.append([(2 * b + 1) / denom for b in beta])
            weights.append(w * math.factorial(d))
    return np.array(nodes), np.array(weights)


def barycentric_lattice(dim: int, order: int) -> NDArray[np.float64]:
    """Barycentric lattice of ``order`` on the ``dim``-simplex: ``(n_lattice, dim + 1)``.

    The points ``beta / order`` for non-negative integer ``beta`` with
    ``|beta| = order``: the vertices of the simplex's ``order**dim`` congruent
    sub-simplices (edges ``(v_i - v_j) / order``).
    """
    return np.array(list(_compositions(int(order), int(dim) + 1)), dtype=float) / int(order)


def vertex_simplex_volumes(vertices: np.ndarray, *, signed: bool = False) -> NDArray[np.float64]:
    """Volumes of simplices given by vertex coordinates.

    Parameters
    ----------
    vertices : (n_simplices, n_dims + 1, n_dims) ndarray
    signed : bool
        Keep the orientation's sign.

    Returns
    -------
    (n_simplices,) ndarray
    """
    k, _, d = vertices.shape
    if k == 0:
        return np.zeros(0)
    edges = vertices[:, 1:, :] - vertices[:, :1, :]
    det = edges[:, 0, 0] if d == 1 else np.linalg.det(edges)
    vol = det / math.factorial(d)
    return vol if signed else np.abs(vol)


def quadrature_nodes(vertices: np.ndarray, degree: int = 7) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Nodes and absolute weights of the rule on every simplex.

    Parameters
    ----------
    vertices : (n_simplices, n_dims + 1, n_dims) ndarray
    degree : int
        See :func:`grundmann_moeller`.

    Returns
    -------
    nodes : (n_simplices, n_nodes, n_dims) ndarray
    weights : (n_simplices, n_nodes) ndarray
        Already multiplied by each simplex volume, so ``sum(weights * g(nodes))``
        approximates the integral of ``g`` over the union of the simplices.
    """
    bary, w = grundmann_moeller(vertices.shape[2], degree=degree)
    nodes = np.einsum("qv,kvd->kqd", bary, vertices)
    return nodes, vertex_simplex_volumes(vertices)[:, None] * w[None, :]


# --- subdivision -------------------------------------------------------------------------


def _refine_once(vertices: np.ndarray) -> NDArray[np.float64]:
    k, d = vertices.shape[0], vertices.shape[2]
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


def refine_simplices(vertices: np.ndarray, levels: int) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Split each simplex uniformly ``levels`` times.

    Parameters
    ----------
    vertices : (n_simplices, n_dims + 1, n_dims) ndarray
        ``n_dims`` 1 or 2 (for ``levels > 0``).
    levels : int

    Returns
    -------
    children : (n_simplices * 2**(n_dims * levels), n_dims + 1, n_dims) ndarray
        Grouped by parent, in the parents' order.
    parent : (n_simplices * 2**(n_dims * levels),) int ndarray
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


def _clip_polygon(poly: list[NDArray[np.float64]], lo: NDArray[np.float64], hi: NDArray[np.float64]) -> list[NDArray[np.float64]]:
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


def clip_simplices_to_box(vertices: np.ndarray, box: np.ndarray) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Intersect simplices with an axis-aligned box and split the pieces into simplices.

    Parameters
    ----------
    vertices : (n_simplices, n_dims + 1, n_dims) ndarray
        Simplices (intervals in 1D, triangles in 2D).
    box : (n_dims, 2) ndarray
        ``box[j] = (lo_j, hi_j)``.

    Returns
    -------
    pieces : (n_pieces, n_dims + 1, n_dims) ndarray
        Simplices whose union is ``union(simplices) & box`` (pieces of zero
        volume dropped): first the simplices inside the box, then the pieces of
        the cut ones.
    parent : (n_pieces,) int ndarray
        Index of the simplex each piece comes from.
    """
    d = vertices.shape[2]
    lo, hi = box[:, 0], box[:, 1]
    if d == 1:
        a = np.minimum(vertices[:, 0, 0], vertices[:, 1, 0])
        b = np.maximum(vertices[:, 0, 0], vertices[:, 1, 0])
        a2, b2 = np.maximum(a, lo[0]), np.minimum(b, hi[0])
        keep = b2 > a2
        return np.stack([a2[keep], b2[keep]], 1)[:, :, None], np.flatnonzero(keep)
    if d != 2:
        raise UnsupportedError(f"the inner region is implemented in 1D and 2D, found dimension {d}")
    inside = np.all((vertices >= lo) & (vertices <= hi), axis=(1, 2))
    outside = (
        np.all(vertices[:, :, 0] <= lo[0], 1)
        | np.all(vertices[:, :, 0] >= hi[0], 1)
        | np.all(vertices[:, :, 1] <= lo[1], 1)
        | np.all(vertices[:, :, 1] >= hi[1], 1)
    )
    pieces: list[np.ndarray] = [vertices[inside]]
    parents: list[np.ndarray] = [np.flatnonzero(inside)]
    extra: list[np.ndarray] = []
    extra_parent: list[int | np.integer] = []
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
    vol = vertex_simplex_volumes(pieces_arr)
    scale = float(np.prod(hi - lo)) if np.all(hi > lo) else 1.0
    keep = vol > 1e-14 * scale
    return pieces_arr[keep], parent_arr[keep]
