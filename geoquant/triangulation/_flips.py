"""Flips of planar triangulations and the flip graph.

An *edge flip* replaces the diagonal ``uv`` of a strictly convex quadrilateral
``u a v c`` formed by two triangles by the other diagonal ``ac``. Lawson (1972)
showed that edge flips connect all fine triangulations of a planar point set, so
a breadth-first search from the Delaunay triangulation visits every one of them.
Triangulations that leave points out are reached with two more kinds of flips
(the flips of the point set's circuits, De Loera--Rambau--Santos ch. 2--3): a
point is inserted into the triangle that contains it (or into the one or two
triangles sharing the edge it lies on), or removed when its star is exactly such
a configuration. Every orientation decision is exact (:mod:`._predicates`), so
degenerate inputs such as lattice grids are handled without tolerances.

Only the plane is supported: in higher dimensions flips are bistellar moves on
circuits of ``d + 2`` points and the flip graph may even be disconnected
(``d >= 5``), see theory notes section 7.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import sparse

from .._validation import SeedLike, _shape_str, as_generator, check_int, check_option, check_points
from ..errors import InvalidInputError, TooLargeError, UnsupportedError
from ._delaunay import delaunay
from ._mesh import OrientTable, boundary_edges, flippable_mask, interior_edges
from ._triangulation import Triangulation

if TYPE_CHECKING:  # matplotlib is imported only when a plot is drawn
    from matplotlib.axes import Axes

__all__ = ["flippable_edges", "flip", "flip_graph", "plot_flip_graph", "graph_layout"]

# --------------------------------------------------------------- kernels
# Interior edges, hull edges and the flippability rule live in the one planar mesh (._mesh).


def _encode(simp: np.ndarray, n: int) -> np.ndarray:
    """Sorted int64 codes of row-sorted simplices (rows in canonical order <=> codes sorted)."""
    return np.sort((simp[:, 0] * n + simp[:, 1]) * n + simp[:, 2])


def _decode(codes: np.ndarray, n: int) -> np.ndarray:
    return np.column_stack([codes // (n * n), (codes // n) % n, codes % n])


def _edge_flip_codes(orient: OrientTable, simp: np.ndarray, codes: np.ndarray, n: int) -> list[np.ndarray]:
    """Code vectors of all triangulations one edge flip away."""
    u, v, a, c, t1, t2 = interior_edges(simp, n)
    ok = flippable_mask(orient, u, v, a, c)
    if not ok.any():
        return []
    u, v, a, c, t1, t2 = u[ok], v[ok], a[ok], c[ok], t1[ok], t2[ok]
    k = len(u)
    new1 = np.sort(np.column_stack([a, c, u]), axis=1)
    new2 = np.sort(np.column_stack([a, c, v]), axis=1)
    block = np.repeat(codes[None, :], k, axis=0)
    rows = np.arange(k)
    block[rows, t1] = (new1[:, 0] * n + new1[:, 1]) * n + new1[:, 2]
    block[rows, t2] = (new2[:, 0] * n + new2[:, 1]) * n + new2[:, 2]
    block.sort(axis=1)
    return list(block)


def _vertex_flip_codes(orient: OrientTable, simp: np.ndarray, codes: np.ndarray, n: int) -> list[np.ndarray]:
    """Code vectors one insertion or removal flip away (triangulations that need not be fine)."""
    out = []
    m = len(simp)
    used = np.zeros(n, dtype=bool)
    used[simp.reshape(-1)] = True

    def replace(drop: Sequence[int] | np.ndarray, add: Any) -> None:  # add: rows of 3 vertex indices
        keep = np.ones(m, dtype=bool)
        keep[list(drop)] = False
        add = np.sort(np.asarray(add, dtype=np.int64).reshape(-1, 3), axis=1)
        new = np.concatenate([codes[keep], (add[:, 0] * n + add[:, 1]) * n + add[:, 2]])
        new.sort()
        out.append(new)

    # insertions of unused points (circuits {3 | 1} and {2 | 1})
    unused = np.flatnonzero(~used)
    if len(unused):
        s0, s1, s2 = simp[:, 0:1], simp[:, 1:2], simp[:, 2:3]
        p = unused[None, :]
        sigma = orient(simp[:, 0], simp[:, 1], simp[:, 2])[:, None]
        o = np.stack([orient(s0, s1, p), orient(s1, s2, p), orient(s2, s0, p)]) * sigma[None]  # (3, m, k)
        inside = (o >= 0).all(axis=0)
        for col in range(len(unused)):
            q = int(unused[col])
            hits = np.flatnonzero(inside[:, col])
            if not len(hits):  # pragma: no cover - every point lies in the hull
                continue
            add = []
            for t in hits:
                x, y, z = simp[t]
                zero = np.flatnonzero(o[:, t, col] == 0)
                if len(zero) == 0:
                    add += [(x, y, q), (y, z, q), (z, x, q)]
                else:  # q on the edge opposite the vertex not on it: split that edge
                    e = [(x, y), (y, z), (z, x)][int(zero[0])]
                    apex = ({x, y, z} - set(e)).pop()
                    add += [(e[0], q, apex), (q, e[1], apex)]
            replace(hits, add)
    # removals of used points whose star is a flip configuration
    star: list[list[int]] = [[] for _ in range(n)]
    for ti, row in enumerate(simp):
        for w in row:
            star[w].append(ti)
    bnd = boundary_edges(simp, n)
    on_hull = np.zeros(n, dtype=bool)
    on_hull[bnd.reshape(-1)] = True
    for v in np.flatnonzero(used):
        tris = star[v]
        link = sorted(set(simp[tris].reshape(-1).tolist()) - {int(v)})
        if not on_hull[v] and len(tris) == 3:
            replace(tris, [link])
        elif (not on_hull[v] and len(tris) == 4) or (on_hull[v] and len(tris) == 2):
            lk = np.array(link)
            ii, jj = np.triu_indices(len(lk), 1)
            # every pair of link vertices collinear with q (two at a "+" crossing)
            for pair in np.flatnonzero(orient(lk[ii], np.full(len(ii), v), lk[jj]) == 0):
                a, b = int(lk[ii[pair]]), int(lk[jj[pair]])
                others = [w for w in link if w not in (a, b)]
                replace(tris, [(a, b, w) for w in others])
    return out


def _check_tri2d(tri: object, name: str = "tri") -> Triangulation:
    if not isinstance(tri, Triangulation):
        raise InvalidInputError(f"'{name}' must be a geoquant Triangulation, found {type(tri).__name__}")
    if tri.n_dims != 2:
        raise UnsupportedError(
            f"flips are implemented for planar triangulations only, '{name}' has n_dims={tri.n_dims}"
        )
    return tri


# ---------------------------------------------------------------- public
def flippable_edges(tri: Triangulation) -> np.ndarray:
    """Edges of a planar triangulation that can be flipped.

    Parameters
    ----------
    tri : Triangulation
        A triangulation in the plane.

    Returns
    -------
    (n_flippable, 2) ndarray of int64
        Interior edges ``(u, v)``, ``u < v``, in lexicographic order, whose two
        triangles form a strictly convex quadrilateral (decided exactly).

    Raises
    ------
    InvalidInputError
        ``tri`` is not a Triangulation.
    UnsupportedError
        ``tri`` is not planar.
    """
    tri = _check_tri2d(tri)
    u, v, a, c, _, _ = interior_edges(tri.simplices, tri.n_points)
    ok = flippable_mask(_orient_for(tri), u, v, a, c)
    e = np.column_stack([u[ok], v[ok]])
    return e[np.lexsort((e[:, 1], e[:, 0]))] if len(e) else e.reshape(0, 2)


def _orient_for(tri: Triangulation) -> OrientTable:
    """Cached exact orientation helper of a triangulation's points."""
    key = "_flips_orient"
    if key not in tri._cache:
        tri._cache[key] = OrientTable(tri.points)
    return tri._cache[key]


def flip(tri: Triangulation, edge: ArrayLike) -> Triangulation:
    """Flip one edge of a planar triangulation.

    Parameters
    ----------
    tri : Triangulation
        A triangulation in the plane.
    edge : (2,) array_like of int
        An interior edge ``(u, v)`` (either order) whose two triangles form a
        strictly convex quadrilateral, see :func:`flippable_edges`.

    Returns
    -------
    Triangulation
        The triangulation with ``uv`` replaced by the other diagonal.

    Raises
    ------
    InvalidInputError
        ``edge`` is not a pair of point indices, not an edge, a hull edge, or
        its quadrilateral is not strictly convex.
    UnsupportedError
        ``tri`` is not planar.
    """
    tri = _check_tri2d(tri)
    try:
        e = np.asarray(edge)
    except (TypeError, ValueError):  # pragma: no cover - ragged input
        raise InvalidInputError("'edge' must be a pair of point indices") from None
    if e.shape != (2,) or not np.issubdtype(e.dtype, np.integer):
        raise InvalidInputError(f"'edge' must be a pair of integer point indices, found {e!r} of shape {_shape_str(e.shape)}")
    u, v = sorted(int(i) for i in e)
    n = tri.n_points
    if u < 0 or v >= n:
        raise InvalidInputError(f"'edge' must index points in 0 <= i < {n}, found {[u, v]}")
    eu, ev, a, c, t1, t2 = interior_edges(tri.simplices, n)
    hit = np.flatnonzero((eu == u) & (ev == v))
    if not len(hit):
        is_edge = len(tri.edges) and bool(((tri.edges[:, 0] == u) & (tri.edges[:, 1] == v)).any())
        what = "a hull edge (it has one triangle)" if is_edge else "not an edge of the triangulation"
        raise InvalidInputError(f"'edge' must be an interior edge of 'tri', found {[u, v]}, which is {what}")
    h = hit[0]
    if not flippable_mask(_orient_for(tri), eu[h : h + 1], ev[h : h + 1], a[h : h + 1], c[h : h + 1])[0]:
        raise InvalidInputError(
            f"'edge' {[u, v]} cannot be flipped: its quadrilateral {[u, int(a[h]), v, int(c[h])]} is not strictly convex"
        )
    simp = tri.simplices.copy()
    simp[t1[h]] = sorted((int(a[h]), int(c[h]), u))
    simp[t2[h]] = sorted((int(a[h]), int(c[h]), v))
    return Triangulation(tri.points, simp, validate=False)


def flip_graph(
    points: ArrayLike, *, fine: bool = True, limit: int = 100_000
) -> tuple[list[Triangulation], sparse.csr_matrix]:
    """All triangulations of a planar point set, connected by flips (breadth-first search).

    Parameters
    ----------
    points : (n_points, 2) array_like or Triangulation
        The point set; a Triangulation starts the search there instead of at
        the Delaunay triangulation.
    fine : bool, default True
        Only fine triangulations (every point used), connected by edge flips
        (Lawson: this graph is connected). With ``False``, every triangulation,
        fine or not, also connected by insertion and removal flips of points.
    limit : int, default 100000
        Most triangulations to visit.

    Returns
    -------
    triangulations : list of Triangulation
        In breadth-first order from the start (index 0).
    adjacency : (n, n) scipy.sparse.csr_matrix
        Symmetric 0/1 matrix: ``adjacency[i, j] = 1`` when one flip turns
        triangulation ``i`` into ``j``.

    Raises
    ------
    TooLargeError
        More than ``limit`` triangulations.
    InvalidInputError, DuplicatePointsError, DegenerateInputError, UnsupportedError
        Bad points, not planar.

    Examples
    --------
    >>> import numpy as np
    >>> xs, ys = np.meshgrid(np.arange(3.0), np.arange(3.0))
    >>> tris, adj = flip_graph(np.column_stack([xs.ravel(), ys.ravel()]))
    >>> len(tris)   # fine triangulations of the 3x3 grid
    64
    """
    from tqdm.auto import tqdm

    limit = check_int(limit, "limit", min_value=1)
    if isinstance(points, Triangulation):
        start = _check_tri2d(points, "points")
        pts = start.points
        if fine and not start.is_fine:
            raise InvalidInputError("'points' is a Triangulation that is not fine; pass fine=False to start from it")
    else:
        pts = check_points(points, "points")
        if pts.shape[1] != 2:
            raise UnsupportedError(f"flip graphs are implemented for planar point sets only, 'points' has {pts.shape[1]} columns")
        start = delaunay(pts)
    n = len(pts)
    orient = OrientTable(pts)
    first = _encode(start.simplices, n)
    index = {first.tobytes(): 0}
    nodes = [first]
    rows, cols = [], []
    head = 0
    with tqdm(total=None, desc="flip graph", unit="tri", disable=None, leave=False) as bar:
        while head < len(nodes):
            codes = nodes[head]
            simp = _decode(codes, n)
            nbrs = _edge_flip_codes(orient, simp, codes, n)
            if not fine:
                nbrs += _vertex_flip_codes(orient, simp, codes, n)
            for new in nbrs:
                key = new.tobytes()
                j = index.get(key)
                if j is None:
                    j = len(nodes)
                    if j >= limit:
                        raise TooLargeError(
                            f"the flip graph of these {n} points has more than limit={limit} "
                            f"{'fine ' if fine else ''}triangulations; raise 'limit' (memory grows with it) "
                            "or count them with geoquant.triangulation's counting functions instead"
                        )
                    index[key] = j
                    nodes.append(new)
                if head < j:
                    rows.append(head)
                    cols.append(j)
            head += 1
            bar.update(1)
    N = len(nodes)
    r, c = np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64)
    adj = sparse.csr_matrix(
        (np.ones(2 * len(r), dtype=np.int8), (np.concatenate([r, c]), np.concatenate([c, r]))), shape=(N, N)
    )
    tris = [Triangulation(pts, _decode(codes, n), validate=False) for codes in nodes]
    return tris, adj


# --------------------------------------------------------------- layout
def graph_layout(
    adjacency: ArrayLike | sparse.spmatrix,
    *,
    method: Literal["spectral", "spring"] = "spectral",
    seed: SeedLike = 0,
    iterations: int = 200,
) -> np.ndarray:
    """2D coordinates for the nodes of a graph.

    Parameters
    ----------
    adjacency : (n, n) array_like or scipy sparse matrix
        Symmetric adjacency (nonzero = edge).
    method : {"spectral", "spring"}
        ``"spectral"``: the eigenvectors of the graph Laplacian ``L = D - A``
        for its 2nd and 3rd smallest eigenvalues. ``"spring"``:
        Fruchterman--Reingold force-directed layout started from the spectral
        one (O(n^2) per iteration; graphs above 3000 nodes fall back to spectral).
    seed : int
        Seeds the spring layout's jitter.
    iterations : int
        Spring iterations.

    Returns
    -------
    (n, 2) ndarray
        Centred coordinates scaled to max-abs 1.
    """
    check_option(method, "method", ("spectral", "spring"))
    iterations = check_int(iterations, "iterations", min_value=0)
    A = sparse.csr_matrix(adjacency, dtype=float)
    if A.shape[0] != A.shape[1]:
        raise InvalidInputError(f"'adjacency' must be square, found shape {_shape_str(A.shape)}")
    A = ((A + A.T) > 0).astype(float)
    A.setdiag(0)
    A.eliminate_zeros()
    n = A.shape[0]
    if n <= 2:
        pos = np.zeros((n, 2))
        if n == 2:
            pos[:, 0] = [-1.0, 1.0]
        return pos
    pos = _spectral(A)
    if method == "spring" and n <= 3000:
        pos = _spring(A, pos, as_generator(seed), iterations)
    pos = pos - pos.mean(axis=0)
    scale = np.abs(pos).max()
    return pos / scale if scale > 0 else pos


def _spectral(A: sparse.csr_matrix) -> np.ndarray:
    n = A.shape[0]
    deg = np.asarray(A.sum(axis=1)).ravel()
    L = sparse.diags(deg) - A
    if n <= 1500:
        w, vec = np.linalg.eigh(L.toarray())
    else:
        from scipy.sparse.linalg import eigsh

        # shift-invert around a small negative shift: L - sigma I is positive definite
        w, vec = eigsh(L.tocsc(), k=3, sigma=-1e-3, which="LM")
        order = np.argsort(w)
        w, vec = w[order], vec[:, order]
    return np.ascontiguousarray(vec[:, 1:3])


def _spring(A: sparse.csr_matrix, pos: np.ndarray, rng: np.random.Generator, iterations: int) -> np.ndarray:
    n = A.shape[0]
    pos = pos / max(np.abs(pos).max(), 1e-12) + 1e-3 * rng.standard_normal(pos.shape)
    k = 1.0 / np.sqrt(n)  # ideal edge length in a unit box
    coo = A.tocoo()
    mask = coo.row < coo.col
    ei, ej = coo.row[mask], coo.col[mask]
    temp = 0.1
    for _ in range(iterations):
        delta = pos[:, None, :] - pos[None, :, :]
        dist = np.sqrt((delta**2).sum(axis=2)) + 1e-9
        disp = (delta * (k * k / dist**2)[:, :, None]).sum(axis=1)  # repulsion k^2/d along delta/d
        d_e = pos[ei] - pos[ej]
        len_e = np.sqrt((d_e**2).sum(axis=1)) + 1e-9
        f = d_e * (len_e / k)[:, None]  # attraction d^2/k along delta/d
        np.add.at(disp, ei, -f)
        np.add.at(disp, ej, f)
        length = np.sqrt((disp**2).sum(axis=1)) + 1e-12
        pos = pos + disp / length[:, None] * np.minimum(length, temp)[:, None]
        temp *= 0.98
    return pos


def plot_flip_graph(
    graph_or_points: tuple | sparse.spmatrix | ArrayLike,  # (triangulations, adjacency), adjacency, or points
    ax: Axes | None = None,
    *,
    layout: Literal["spectral", "spring"] = "spectral",
    node_color: ArrayLike | None = None,
    fine: bool = True,
    limit: int = 100_000,
    seed: SeedLike = 0,
    node_size: float = 12.0,
) -> Axes:
    """Draw a flip graph with matplotlib.

    Parameters
    ----------
    graph_or_points : tuple (triangulations, adjacency), sparse adjacency, or (n_points, 2) array_like
        The output of :func:`flip_graph`, an adjacency matrix, or a point set
        whose flip graph is computed with ``fine`` and ``limit``.
    ax : matplotlib Axes, optional
        Drawn into; a new figure is made when omitted.
    layout : {"spectral", "spring"}
        See :func:`graph_layout`.
    node_color : (n_nodes,) array_like, optional
        Values mapped to colours (e.g. interpolation errors, or a regularity flag).
    fine, limit
        Passed to :func:`flip_graph` when points are given.
    seed : int
        Seeds the spring layout.
    node_size : float
        Marker area.

    Returns
    -------
    matplotlib Axes
    """
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    if isinstance(graph_or_points, tuple) and len(graph_or_points) == 2 and sparse.issparse(graph_or_points[1]):
        adj = graph_or_points[1]
    elif sparse.issparse(graph_or_points):
        adj = graph_or_points
    else:
        _, adj = flip_graph(graph_or_points, fine=fine, limit=limit)
    pos = graph_layout(adj, method=layout, seed=seed)
    coo = sparse.triu(sparse.csr_matrix(adj), k=1).tocoo()
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 5))
    segs = np.stack([pos[coo.row], pos[coo.col]], axis=1)
    # matplotlib's stub asks for a Sequence; the (n_edges, 2, 2) array is what it accepts at run time
    ax.add_collection(LineCollection(segs, colors="0.6", linewidths=0.5, zorder=1))  # type: ignore[arg-type]
    if node_color is not None:
        node_color = np.asarray(node_color, dtype=float)
        if node_color.shape != (len(pos),):
            raise InvalidInputError(f"'node_color' must have shape ({len(pos)},), found {_shape_str(node_color.shape)}")
        sc = ax.scatter(pos[:, 0], pos[:, 1], c=node_color, s=node_size, zorder=2, cmap="viridis")
        ax.figure.colorbar(sc, ax=ax, shrink=0.8)
    else:
        ax.scatter(pos[:, 0], pos[:, 1], s=node_size, zorder=2, color="C0")
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(f"flip graph: {len(pos)} triangulations, {coo.nnz} flips")
    ax.autoscale_view()
    return ax
