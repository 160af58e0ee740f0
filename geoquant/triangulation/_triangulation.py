"""The :class:`Triangulation` of a point set in any dimension.

A triangulation is stored as a point array and an index array of simplices. The
simplices are kept in a canonical order (each row sorted, rows sorted
lexicographically) so that two triangulations made of the same simplices compare
equal and hash alike, whatever order they were built in.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._quadrature import vertex_simplex_volumes
from .._validation import _shape_str, check_points, check_query, normalized_frame
from ..errors import DegenerateInputError, InvalidInputError, UnsupportedError
from ._locate import SimplexLocator
from ._predicates import orientation

if TYPE_CHECKING:
    import matplotlib.tri
    import scipy.spatial

__all__ = ["Triangulation", "canonical_simplices", "simplex_volumes", "vertex_simplex_volumes"]


def canonical_simplices(simplices: np.ndarray) -> np.ndarray:
    """Sort each row, then the rows lexicographically; returns a new int64 array."""
    s = np.sort(np.asarray(simplices, dtype=np.int64), axis=1)
    if len(s) == 0:
        return s
    order = np.lexsort(s.T[::-1])
    return np.ascontiguousarray(s[order])


def simplex_volumes(points: np.ndarray, simplices: np.ndarray, *, signed: bool = False) -> np.ndarray:
    """d-dimensional volumes of the simplices ``(n_simplices,)``."""
    return vertex_simplex_volumes(points[simplices], signed=signed)


def _facet_measures(points: np.ndarray, facets: np.ndarray) -> np.ndarray:
    """(d-1)-dimensional measures of facets given as ``(k, d)`` index rows."""
    d = points.shape[1]
    if d == 1:
        return np.ones(len(facets))
    v = points[facets]  # (k, d, d)
    e = v[:, 1:, :] - v[:, :1, :]  # (k, d-1, d)
    if d == 2:
        return np.linalg.norm(e[:, 0, :], axis=1)
    # |det R| of a QR factorisation of the edge vectors: accurate for slivers, where the
    # Gram determinant |e1|^2 |e2|^2 - (e1.e2)^2 cancels catastrophically
    r = np.linalg.qr(np.swapaxes(e, 1, 2), mode="r")
    return np.abs(np.prod(np.einsum("kii->ki", r), axis=1)) / math.factorial(d - 1)


class Triangulation:
    """A triangulation of a point set in any dimension ``d >= 1``.

    Parameters
    ----------
    points : (n_points, n_dims) array_like
        The point set. A 1-D array is read as points on a line.
    simplices : (n_simplices, n_dims + 1) array_like of int
        Vertex indices of each simplex.
    validate : bool, default True
        Check that the simplices are non-degenerate and cover the convex hull
        of the points without overlapping. Enumeration loops that build many
        triangulations of already-validated points pass ``False``.

    Attributes
    ----------
    points : (n_points, n_dims) ndarray of float64
    simplices : (n_simplices, n_dims + 1) ndarray of int64
        Canonical order: each row ascending, rows in lexicographic order.
    n_points, n_dims, n_simplices : int
    is_fine : bool
        Whether every point is a vertex of some simplex.

    Raises
    ------
    InvalidInputError
        Wrong shapes or indices out of range.
    DegenerateInputError
        A simplex of zero volume, overlapping simplices, or simplices that do
        not cover the convex hull.

    Examples
    --------
    Two triangles over the unit square, sharing the diagonal from (1, 0) to (0, 1):

    >>> tri = Triangulation([[0, 0], [1, 0], [0, 1], [1, 1]], [[0, 1, 2], [1, 3, 2]])
    >>> tri.n_points, tri.n_dims, tri.n_simplices
    (4, 2, 2)
    >>> tri.edges.tolist()
    [[0, 1], [0, 2], [1, 2], [1, 3], [2, 3]]
    """

    def __init__(self, points: ArrayLike, simplices: ArrayLike, *, validate: bool = True) -> None:
        if validate:
            pts = check_points(points, "points")
        else:
            pts = np.ascontiguousarray(np.asarray(points, dtype=np.float64))
            if pts.ndim == 1:
                pts = pts[:, None]
        n, d = pts.shape
        try:
            s = np.asarray(simplices)
        except (TypeError, ValueError):  # pragma: no cover - ragged lists
            raise InvalidInputError("'simplices' must be an integer array of shape (n_simplices, n_dims + 1)") from None
        if validate:
            if s.ndim != 2 or s.shape[1] != d + 1:
                raise InvalidInputError(
                    f"'simplices' must have shape (n_simplices, {d + 1}) for {d}D points, found {_shape_str(s.shape)}"
                )
            if len(s) == 0:
                raise InvalidInputError("'simplices' must hold at least one simplex, found none")
            if not np.issubdtype(s.dtype, np.integer):
                if not np.all(np.isfinite(s)) or not np.all(s == np.round(s)):
                    raise InvalidInputError(f"'simplices' must hold integer indices, found dtype {s.dtype}")
            s = s.astype(np.int64)
            bad = (s < 0) | (s >= n)
            if bad.any():
                raise InvalidInputError(
                    f"'simplices' must index points in 0 <= i < {n}, found {int(s[bad][0])}"
                )
            srt = np.sort(s, axis=1)
            rep = np.flatnonzero((np.diff(srt, axis=1) == 0).any(axis=1))
            if len(rep):
                raise DegenerateInputError(
                    f"'simplices' must have {d + 1} distinct vertices each, found a repeated vertex in simplex {int(rep[0])}: {s[rep[0]].tolist()}"
                )
        self.points = pts
        self.simplices = canonical_simplices(s)
        self.n_points, self.n_dims = n, d
        self.n_simplices = len(self.simplices)
        self._cache: dict = {}
        if validate:
            self._validate_geometry()

    @classmethod
    def _from_canonical(cls, points: np.ndarray, simplices: np.ndarray) -> "Triangulation":
        """Trusted constructor: clean float64 ``points`` and simplices already in canonical order.

        Enumeration builds millions of triangulations of one validated point
        set; this skips conversion, sorting and validation.
        """
        self = cls.__new__(cls)
        self.points = points
        self.simplices = simplices
        self.n_points, self.n_dims = points.shape
        self.n_simplices = len(simplices)
        self._cache = {}
        return self

    # ------------------------------------------------------------------ checks
    def _validate_geometry(self) -> None:
        pts, simp, d = self.points, self.simplices, self.n_dims
        # flatness by the exact orientation predicate: scale-free, so tiny valid simplices of
        # multi-scale input pass and exactly flat ones fail whatever the coordinates' size
        flat = np.flatnonzero(orientation(pts[simp]) == 0)
        if len(flat):
            k = int(flat[0])
            raise DegenerateInputError(
                f"'simplices' must not contain degenerate (zero-volume) simplices, found {len(flat)}, "
                f"first {simp[k].tolist()} (its vertices are affinely dependent)"
            )
        # measures are compared in a centred unit frame, so huge or tiny coordinates
        # neither overflow nor underflow
        frame = normalized_frame(pts)
        vol = simplex_volumes(frame, simp)
        dup = np.flatnonzero((np.diff(simp, axis=0) == 0).all(axis=1))
        if len(dup):
            raise DegenerateInputError(f"'simplices' must be distinct, found simplex {simp[dup[0]].tolist()} twice")
        facets, owner, opposite = self._facet_table()
        uniq, inverse, counts = np.unique(facets, axis=0, return_inverse=True, return_counts=True)
        inverse = inverse.ravel()
        if counts.max() > 2:
            f = uniq[np.argmax(counts)]
            raise DegenerateInputError(
                f"'simplices' overlap: facet {f.tolist()} is shared by {counts.max()} simplices (at most 2 allowed)"
            )
        # Two simplices sharing a facet must lie on opposite sides of it.
        shared = counts[inverse] == 2
        if shared.any():
            idx = np.flatnonzero(shared)
            side = self._side_of_facet(facets[idx], opposite[idx])
            order = np.argsort(inverse[idx], kind="stable")
            pair_side = side[order].reshape(-1, 2)
            same = np.flatnonzero(pair_side[:, 0] == pair_side[:, 1])
            if len(same):
                f = facets[idx][order][2 * same[0]]
                raise DegenerateInputError(
                    f"'simplices' overlap: the two simplices on facet {f.tolist()} lie on the same side of it"
                )
        # Volume and boundary measure must match the convex hull's.
        boundary = uniq[counts == 1]
        if d == 1:
            lo, hi = frame[:, 0].min(), frame[:, 0].max()
            hull_vol, hull_area = hi - lo, 2.0
        else:
            from scipy.spatial import ConvexHull

            hull = ConvexHull(frame)
            # the hull's boundary measured by the same formula as the simplices' facets, on its
            # triangulated facets (Qhull's own area of merged near-coplanar facets is approximate)
            hull_vol, hull_area = hull.volume, float(_facet_measures(frame, hull.simplices).sum())
        total = float(vol.sum())
        if not math.isclose(total, hull_vol, rel_tol=1e-9, abs_tol=1e-14):
            what = "overlap" if total > hull_vol else "do not cover the convex hull"
            raise DegenerateInputError(
                f"'simplices' {what}: their volumes sum to {total:.12g}, the convex hull's volume is {hull_vol:.12g}"
            )
        area = float(_facet_measures(frame, boundary).sum())
        if not math.isclose(area, hull_area, rel_tol=1e-9, abs_tol=1e-14):
            raise DegenerateInputError(
                "'simplices' do not form a proper triangulation: the unmatched facets measure "
                f"{area:.12g} but the hull's boundary measures {hull_area:.12g} (a vertex lies inside "
                "another simplex's face, or simplices overlap)"
            )

    def _facet_table(self) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
        """All (simplex, facet) incidences: facet vertex rows, owner simplex, opposite vertex."""
        if "facets" not in self._cache:
            simp = self.simplices
            m, k = simp.shape
            facets = np.empty((m, k, k - 1), dtype=np.int64)
            for j in range(k):
                facets[:, j, :] = np.delete(simp, j, axis=1)
            owner = np.repeat(np.arange(m), k)
            opposite = simp.reshape(-1)
            self._cache["facets"] = (facets.reshape(m * k, k - 1), owner, opposite)
        return self._cache["facets"]

    def _side_of_facet(self, facets: np.ndarray, opposite: np.ndarray) -> np.ndarray:
        """Sign of the orientation of (facet vertices..., opposite vertex)."""
        return orientation(self.points[np.concatenate([facets, opposite[:, None]], axis=1)])

    # ------------------------------------------------------------- properties
    @property
    def volumes(self) -> np.ndarray:
        """(n_simplices,) volumes."""
        if "volumes" not in self._cache:
            self._cache["volumes"] = simplex_volumes(self.points, self.simplices)
        return self._cache["volumes"]

    @property
    def used_points(self) -> np.ndarray:
        """Sorted indices of the points that are vertices of some simplex."""
        return np.unique(self.simplices)

    @property
    def is_fine(self) -> bool:
        """True when every point is a vertex of some simplex."""
        return len(self.used_points) == self.n_points

    @property
    def edges(self) -> np.ndarray:
        """(n_edges, 2) sorted unique vertex pairs."""
        if "edges" not in self._cache:
            k = self.n_dims + 1
            ii, jj = np.triu_indices(k, 1)
            e = np.stack([self.simplices[:, ii], self.simplices[:, jj]], axis=-1).reshape(-1, 2)
            self._cache["edges"] = np.unique(e, axis=0)
        return self._cache["edges"]

    @property
    def neighbors(self) -> np.ndarray:
        """(n_simplices, n_dims + 1): the simplex across the facet opposite vertex k, -1 on the hull."""
        if "neighbors" not in self._cache:
            facets, owner, _ = self._facet_table()
            m, k = self.simplices.shape
            _, inverse = np.unique(facets, axis=0, return_inverse=True)
            inverse = inverse.ravel()
            order = np.argsort(inverse, kind="stable")
            inv_sorted = inverse[order]
            nb = np.full(m * k, -1, dtype=np.int64)
            same = np.flatnonzero(inv_sorted[1:] == inv_sorted[:-1])
            a, b = order[same], order[same + 1]
            nb[a] = owner[b]
            nb[b] = owner[a]
            self._cache["neighbors"] = nb.reshape(m, k)
        return self._cache["neighbors"]

    @property
    def hull_facets(self) -> np.ndarray:
        """(n_facets, n_dims) vertex rows of the facets on the convex hull boundary."""
        facets, _, _ = self._facet_table()
        nb = self.neighbors.reshape(-1)
        return facets[nb == -1]

    # -------------------------------------------------------- point location
    @property
    def _locator(self) -> SimplexLocator:
        if "locator" not in self._cache:
            self._cache["locator"] = SimplexLocator(self.points, self.simplices)
        return self._cache["locator"]

    def find_simplex(self, xi: ArrayLike, *, tol: float = 1e-10) -> NDArray[np.int64]:
        """Index of a simplex containing each query point, ``-1`` outside the hull.

        Parameters
        ----------
        xi : (..., n_dims) array_like
            Query points (in 1D the last axis may be omitted).
        tol : float
            Points whose barycentric coordinates are all ``>= -tol`` count as inside,
            so points on the hull boundary are found despite round-off.

        Returns
        -------
        (...) ndarray of int64
        """
        x = check_query(xi, self.n_dims, "xi")
        flat = x.reshape(-1, self.n_dims)
        s, _ = self._locator.locate(flat, tol)
        return s.reshape(x.shape[:-1])

    def barycentric(self, xi: ArrayLike, *, tol: float = 1e-10) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Containing simplex and barycentric coordinates of query points.

        Returns
        -------
        simplex : (...) ndarray of int64
            ``-1`` outside the hull.
        lam : (..., n_dims + 1) ndarray
            Coordinates with respect to ``simplices[simplex]`` (summing to 1);
            NaN rows for points outside the hull, which is documented, not silent:
            check ``simplex >= 0``.
        """
        x = check_query(xi, self.n_dims, "xi")
        flat = x.reshape(-1, self.n_dims)
        s, lam = self._locator.locate(flat, tol)
        return s.reshape(x.shape[:-1]), lam.reshape(x.shape[:-1] + (self.n_dims + 1,))

    # ----------------------------------------------------------- interop
    @classmethod
    def from_scipy(cls, delaunay: "scipy.spatial.Delaunay") -> "Triangulation":
        """The triangulation held by a :class:`scipy.spatial.Delaunay` object.

        Parameters
        ----------
        delaunay : scipy.spatial.Delaunay
            Its ``points`` ``(n_points, n_dims)`` and ``simplices``
            ``(n_simplices, n_dims + 1)`` become the triangulation's (any
            ``n_dims >= 2``). Points Qhull left out (``delaunay.coplanar``)
            stay in ``points`` and are not vertices: the result is then not fine.

        Returns
        -------
        Triangulation
            The same points (bit for bit) and the same simplices, in canonical order.

        Raises
        ------
        InvalidInputError
            ``delaunay`` is not a ``scipy.spatial.Delaunay``.
        DegenerateInputError
            Qhull returned a simplex of zero volume (degenerate input).

        Examples
        --------
        >>> from scipy.spatial import Delaunay
        >>> tri = Triangulation.from_scipy(Delaunay([[0, 0], [1, 0], [0, 1], [1, 1.1]]))
        >>> tri.n_simplices, tri.to_scipy().simplices.shape
        (2, (2, 3))
        """
        from scipy.spatial import Delaunay

        if not isinstance(delaunay, Delaunay):
            raise InvalidInputError(f"'delaunay' must be a scipy.spatial.Delaunay, found {type(delaunay).__name__}")
        return cls(np.array(delaunay.points, dtype=np.float64), np.array(delaunay.simplices, dtype=np.int64))

    def to_scipy(self) -> "scipy.spatial.Delaunay":
        """This triangulation as a :class:`scipy.spatial.Delaunay`, when it is the one scipy computes.

        A ``scipy.spatial.Delaunay`` object can only hold Qhull's Delaunay
        triangulation of its points (its neighbours, hull and point location
        come from Qhull). So this builds ``Delaunay(self.points)`` and returns it
        only when its simplices are exactly this triangulation's; any other
        triangulation (a regular, data-dependent or optimal one, a flip of the
        Delaunay one, or a Delaunay triangulation of cocircular points that Qhull
        breaks the other way) is refused rather than silently replaced. Use
        :meth:`to_matplotlib` (2D) or ``points`` / ``simplices`` for those.

        Returns
        -------
        scipy.spatial.Delaunay
            ``points`` ``(n_points, n_dims)`` equal to :attr:`points` and
            ``simplices`` ``(n_simplices, n_dims + 1)`` equal to :attr:`simplices`
            up to the order of the rows and of the vertices in a row.

        Raises
        ------
        UnsupportedError
            ``n_dims == 1`` (Qhull triangulates from 2D up), or this triangulation
            is not Qhull's Delaunay triangulation of its points.
        """
        if self.n_dims < 2:
            raise UnsupportedError(
                f"to_scipy: scipy.spatial.Delaunay needs points of 2 or more dimensions, found n_dims={self.n_dims}"
            )
        from scipy.spatial import Delaunay

        out = Delaunay(self.points)
        if not np.array_equal(canonical_simplices(out.simplices), self.simplices):
            raise UnsupportedError(
                "to_scipy: a scipy.spatial.Delaunay holds only Qhull's Delaunay triangulation of its points; "
                f"expected this triangulation to be it, found {self.n_simplices} simplices of which "
                f"{self._n_shared(out.simplices)} are Qhull's (of {len(out.simplices)}). Use to_matplotlib() (2D) "
                "or the points / simplices arrays instead"
            )
        return out

    def _n_shared(self, simplices: np.ndarray) -> int:
        mine = {tuple(r) for r in self.simplices.tolist()}
        return sum(tuple(r) in mine for r in canonical_simplices(simplices).tolist())

    @classmethod
    def from_matplotlib(cls, triangulation: "matplotlib.tri.Triangulation") -> "Triangulation":
        """The triangulation held by a :class:`matplotlib.tri.Triangulation`.

        Parameters
        ----------
        triangulation : matplotlib.tri.Triangulation
            Its ``x``, ``y`` ``(n_points,)`` become the points ``(n_points, 2)``
            and its ``triangles`` ``(n_triangles, 3)`` the simplices. It must not
            have masked triangles, and its triangles must cover the convex hull
            of the points without overlapping (checked).

        Returns
        -------
        Triangulation

        Raises
        ------
        InvalidInputError
            ``triangulation`` is not a ``matplotlib.tri.Triangulation``, or it has
            masked triangles (a masked triangulation does not cover its hull).
        DegenerateInputError
            Triangles of zero area, overlapping, or not covering the hull.

        Examples
        --------
        >>> import matplotlib.tri as mtri
        >>> m = mtri.Triangulation([0, 1, 0, 1], [0, 0, 1, 1], [[0, 1, 2], [1, 3, 2]])
        >>> Triangulation.from_matplotlib(m).simplices.tolist()
        [[0, 1, 2], [1, 2, 3]]
        """
        from matplotlib.tri import Triangulation as MplTriangulation

        if not isinstance(triangulation, MplTriangulation):
            raise InvalidInputError(
                f"'triangulation' must be a matplotlib.tri.Triangulation, found {type(triangulation).__name__}"
            )
        mask = triangulation.mask
        if mask is not None and np.any(mask):
            raise InvalidInputError(
                "'triangulation' must have no masked triangles (a triangulation covers the convex hull of its points), "
                f"found {int(np.count_nonzero(mask))} masked of {len(triangulation.triangles)}; build a new "
                "matplotlib.tri.Triangulation from get_masked_triangles() if that subset covers the hull"
            )
        pts = np.column_stack([np.asarray(triangulation.x, dtype=np.float64),
                               np.asarray(triangulation.y, dtype=np.float64)])
        return cls(pts, np.asarray(triangulation.triangles, dtype=np.int64))

    def to_matplotlib(self) -> "matplotlib.tri.Triangulation":
        """This triangulation as a :class:`matplotlib.tri.Triangulation` (2D only).

        Returns
        -------
        matplotlib.tri.Triangulation
            ``x``, ``y`` ``(n_points,)`` the columns of :attr:`points`;
            ``triangles`` ``(n_simplices, 3)`` the rows of :attr:`simplices`,
            each ordered anticlockwise (as matplotlib expects). Points that are
            no vertex (a triangulation that is not fine) are kept.

        Raises
        ------
        UnsupportedError
            ``n_dims != 2``.
        """
        if self.n_dims != 2:
            raise UnsupportedError(
                f"to_matplotlib: matplotlib.tri.Triangulation is planar; expected n_dims=2, found n_dims={self.n_dims}"
            )
        from matplotlib.tri import Triangulation as MplTriangulation

        tri = self.simplices.copy()
        cw = orientation(self.points[tri]) < 0
        tri[cw] = tri[cw][:, [0, 2, 1]]
        return MplTriangulation(self.points[:, 0].copy(), self.points[:, 1].copy(), tri)

    # ----------------------------------------------------------- identity
    def key(self) -> bytes:
        """Hashable canonical key of the simplices (independent of input order)."""
        return self.simplices.tobytes()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Triangulation):
            return NotImplemented
        return (
            self.points.shape == other.points.shape
            and self.simplices.shape == other.simplices.shape
            and np.array_equal(self.simplices, other.simplices)
            and np.array_equal(self.points, other.points)
        )

    def __hash__(self) -> int:
        return hash((self.key(), self.points.shape))

    def __repr__(self) -> str:
        return (
            f"Triangulation(n_points={self.n_points}, n_dims={self.n_dims}, "
            f"n_simplices={self.n_simplices}, fine={self.is_fine})"
        )
