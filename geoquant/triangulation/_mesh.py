"""The planar triangulation data structure: one mutable mesh on the exact predicates.

Every algorithm that flips edges of a planar triangulation -- the flip graph and
:func:`flip` (:mod:`._flips`), Lawson's local optimisation and data-dependent
triangulations (:mod:`._datadep`), the flip walks of the comparison
(:mod:`geoquant.triangulation._flipwalk`) -- decides *which* edges can be flipped here,
with the same exact orientation predicate (:mod:`._predicates`), so a
near-degenerate quadrilateral gets one answer everywhere.

As in CGAL, the data structure (triangles, the edge -> triangles map, the flip)
is separate from the geometric predicate it is given: :class:`PlanarMesh` takes
an ``orient(i, j, k) -> {-1, 0, 1}`` on point indices and defaults to the exact
filtered :func:`._predicates.orient2d_sign`.

An interior edge ``uv`` with opposite vertices ``a`` and ``c`` is *flippable*
when the quadrilateral ``u a v c`` is strictly convex. Its two triangles lie on
opposite sides of ``uv``, so this holds iff ``u`` and ``v`` lie strictly on
opposite sides of the other diagonal ``ac``:
``orient(a, c, u) * orient(a, c, v) < 0``.

Two forms, one rule:

* :class:`PlanarMesh` -- scalar and mutable, for loops of single flips
  (Lawson, flip walks);
* :func:`interior_edges` and :func:`flippable_mask` over an
  :class:`OrientTable` -- vectorised over all edges of an immutable simplex
  array (the flip graph's breadth-first search, :func:`flippable_edges`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from ._predicates import orient2d, orient2d_sign, orient2d_table

__all__ = ["PlanarMesh", "OrientTable", "interior_edges", "boundary_edges", "flippable_mask", "edge_key"]

# Exact orientation tables cost n^3 bytes; above this many points use orient2d.
_TABLE_MAX_POINTS = 150


def edge_key(i: int, j: int) -> tuple[int, int]:
    """The canonical key ``(min, max)`` of an undirected edge."""
    return (i, j) if i < j else (j, i)


# ------------------------------------------------------------ mutable mesh
class PlanarMesh:
    """A mutable triangulation of planar points: triangles and an edge -> triangles map.

    Parameters
    ----------
    points : (n_points, 2) ndarray of float64
    simplices : (n_simplices, 3) array_like of int
        The triangles; row ``t`` becomes triangle id ``t``.
    orient : callable, optional
        ``orient(i, j, k) -> int`` in ``{-1, 0, 1}``, the orientation sign of
        the points with indices ``i, j, k``. Default: the exact filtered
        predicate :func:`geoquant.triangulation._predicates.orient2d_sign`.

    Examples
    --------
    >>> import numpy as np
    >>> square = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    >>> mesh = PlanarMesh(square, [[0, 1, 2], [0, 2, 3]])
    >>> mesh.interior_edges(), mesh.is_flippable((0, 2))
    ([(0, 2)], True)
    >>> mesh.flip(*mesh.quad((0, 2)))
    (1, 3)
    >>> mesh.simplices().tolist()
    [[1, 3, 0], [1, 3, 2]]

    Attributes
    ----------
    triangles : list of [int, int, int]
        Vertex triples by triangle id; a flip reuses the two ids it replaces.
    edges : dict
        ``(u, v)`` with ``u < v`` -> list of the one (hull) or two triangle
        ids that hold the edge.
    age : list of int
        Creation stamp of each triangle id: row ``t`` starts at ``t``; a flip
        stamps its two new triangles with the next two values, ``(a, c, u)``
        first. :meth:`quad` with ``oldest_first=True`` orders a quadrilateral's
        triangles by it, which makes a walk's choices depend only on the
        sequence of flips, not on how the edge lists were updated.
    """

    edge_key = staticmethod(edge_key)

    def __init__(
        self, points: np.ndarray, simplices: ArrayLike, orient: Callable[[int, int, int], int] | None = None
    ) -> None:
        self.points = points
        if orient is None:
            xy = [tuple(p) for p in np.asarray(points, dtype=np.float64).tolist()]  # python floats: fast scalars

            def orient(i: int, j: int, k: int) -> int:
                return orient2d_sign(xy[i], xy[j], xy[k])

        self.orient = orient
        self.triangles: list[list[int]] = [list(map(int, row)) for row in np.asarray(simplices)]
        self.age: list[int] = list(range(len(self.triangles)))
        self._clock = len(self.triangles)
        self.edges: dict[tuple[int, int], list[int]] = {}
        for t, row in enumerate(self.triangles):
            for k in range(3):
                self.edges.setdefault(edge_key(row[k], row[(k + 1) % 3]), []).append(t)

    # -- queries
    def third(self, t: int, u: int, v: int) -> int:
        """The vertex of triangle ``t`` other than ``u`` and ``v``."""
        for w in self.triangles[t]:
            if w != u and w != v:
                return w
        raise AssertionError("degenerate triangle")  # pragma: no cover

    def other_triangle(self, edge: tuple[int, int], t: int) -> tuple[int, ...] | None:
        """Vertex triple of the triangle across ``edge`` from triangle ``t`` (None on the hull)."""
        for s in self.edges[edge_key(*edge)]:
            if s != t:
                return tuple(self.triangles[s])
        return None

    def interior_edges(self) -> list[tuple[int, int]]:
        """Edges held by two triangles, sorted."""
        return sorted(e for e, ts in self.edges.items() if len(ts) == 2)

    def quad(self, edge: tuple[int, int], *, oldest_first: bool = False) -> tuple[int, int, int, int, int, int] | None:
        """``(u, v, a, c, t1, t2)`` of an interior edge ``(u, v)``, ``u < v`` (None if not interior).

        ``t1 = uva`` and ``t2 = uvc`` in the order of the edge's list, or with
        ``oldest_first`` the older triangle (smaller :attr:`age`) first.
        """
        ts = self.edges.get(edge)
        if ts is None or len(ts) != 2:
            return None
        u, v = edge
        t1, t2 = ts
        if oldest_first and self.age[t1] > self.age[t2]:
            t1, t2 = t2, t1
        return u, v, self.third(t1, u, v), self.third(t2, u, v), t1, t2

    def is_convex(self, u: int, v: int, a: int, c: int) -> bool:
        """Whether the quadrilateral ``u a v c`` around the diagonal ``uv`` is strictly convex (exact)."""
        return self.orient(a, c, u) * self.orient(a, c, v) < 0

    def is_flippable(self, edge: tuple[int, int]) -> bool:
        """Whether ``edge`` (``u < v``) is interior with a strictly convex quadrilateral."""
        q = self.quad(edge)
        return q is not None and self.is_convex(*q[:4])

    # -- the one mutation
    def flip(self, u: int, v: int, a: int, c: int, t1: int, t2: int) -> tuple[int, int]:
        """Replace the diagonal ``uv`` of triangles ``t1 = uva``, ``t2 = uvc`` by ``ac``.

        Triangle ``t1`` becomes ``(a, c, u)`` and ``t2`` becomes ``(a, c, v)``.
        The caller has checked :meth:`is_convex`. Returns the new edge's key.
        """
        self.triangles[t1] = [a, c, u]
        self.triangles[t2] = [a, c, v]
        self.age[t1], self.age[t2] = self._clock, self._clock + 1
        self._clock += 2
        del self.edges[edge_key(u, v)]
        self.edges[edge_key(a, c)] = [t1, t2]
        va, uc = self.edges[edge_key(v, a)], self.edges[edge_key(u, c)]
        va[va.index(t1)] = t2  # triangle (a, c, v) now holds edge va
        uc[uc.index(t2)] = t1  # triangle (a, c, u) now holds edge uc
        return edge_key(a, c)

    def simplices(self) -> np.ndarray:
        """(n_simplices, 3) int64 array of the triangles by id."""
        return np.array(self.triangles, dtype=np.int64)


# ------------------------------------------------------------ vectorised form
class OrientTable:
    """Exact orientation signs of index triples, from a precomputed table for small point sets."""

    def __init__(self, points: np.ndarray) -> None:
        self.points = points
        self.table = orient2d_table(points) if len(points) <= _TABLE_MAX_POINTS else None

    def __call__(self, i: ArrayLike, j: ArrayLike, k: ArrayLike) -> np.ndarray:
        i, j, k = (np.asarray(a, dtype=np.int64) for a in (i, j, k))
        if self.table is not None:
            return self.table[i, j, k].astype(np.int64)
        if i.size == 0:
            return np.zeros(i.shape, dtype=np.int64)
        p = self.points
        return np.asarray(orient2d(p[i], p[j], p[k]), dtype=np.int64).reshape(i.shape)


def interior_edges(
    simp: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Interior edges of a triangulation with canonical (row-sorted) simplices.

    Parameters
    ----------
    simp : (n_simplices, 3) ndarray of int64
        Rows sorted ascending.
    n : int
        Number of points.

    Returns
    -------
    u, v : (k,) int64
        Edge endpoints, ``u < v``.
    a, c : (k,) int64
        The opposite vertices in the two triangles.
    t1, t2 : (k,) int64
        The two triangles (row indices of ``simp``).
    """
    m = len(simp)
    e: np.ndarray = simp[:, [1, 2, 0, 2, 0, 1]].reshape(m, 3, 2)  # edge opposite vertex k
    e = np.sort(e, axis=2).reshape(-1, 2)
    opp = simp.reshape(-1)
    tri = np.repeat(np.arange(m), 3)
    key = e[:, 0] * n + e[:, 1]
    order = np.argsort(key, kind="stable")
    ks = key[order]
    dup = np.flatnonzero(ks[1:] == ks[:-1])
    i1, i2 = order[dup], order[dup + 1]
    return e[i1, 0], e[i1, 1], opp[i1], opp[i2], tri[i1], tri[i2]


def boundary_edges(simp: np.ndarray, n: int) -> np.ndarray:
    """(k, 2) hull edges (edges of exactly one triangle)."""
    m = len(simp)
    e = np.sort(simp[:, [1, 2, 0, 2, 0, 1]].reshape(m, 3, 2), axis=2).reshape(-1, 2)
    key = e[:, 0] * n + e[:, 1]
    uniq, counts = np.unique(key, return_counts=True)
    single = uniq[counts == 1]
    return np.column_stack([single // n, single % n])


def flippable_mask(orient: OrientTable, u: ArrayLike, v: ArrayLike, a: ArrayLike, c: ArrayLike) -> np.ndarray:
    """Mask of edges whose quadrilateral ``u a v c`` is strictly convex (the rule of :meth:`PlanarMesh.is_convex`)."""
    return orient(a, c, u) * orient(a, c, v) < 0
