from math import comb

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from scipy import sparse  # noqa: E402

from geoquant.errors import InvalidInputError, TooLargeError, UnsupportedError  # noqa: E402
from geoquant.triangulation import (  # noqa: E402
    Triangulation,
    delaunay,
    flip,
    flip_graph,
    flippable_edges,
    graph_layout,
    plot_flip_graph,
    random_regular_triangulation,
)
from tests.conftest import grid_points  # noqa: E402


def convex_polygon(n):
    ang = 2 * np.pi * np.arange(n) / n
    return np.column_stack([np.cos(ang), np.sin(ang)])


def brute_flippable(tri):
    """Flippable edges by definition: interior edge, two triangles, convex union (floats, exact on integers)."""
    out = []
    for u, v in tri.edges:
        owners = [s for s in tri.simplices if u in s and v in s]
        if len(owners) != 2:
            continue
        a = next(w for w in owners[0] if w not in (u, v))
        c = next(w for w in owners[1] if w not in (u, v))
        p = tri.points

        def orient(i, j, k):
            return np.sign((p[j, 0] - p[i, 0]) * (p[k, 1] - p[i, 1]) - (p[j, 1] - p[i, 1]) * (p[k, 0] - p[i, 0]))

        if orient(a, c, u) * orient(a, c, v) < 0:
            out.append((u, v))
    return sorted(out)


# ------------------------------------------------------------ counts
@pytest.mark.parametrize("n", range(4, 10))
def test_convex_polygon_catalan_and_degree(n):
    tris, adj = flip_graph(convex_polygon(n))
    assert len(tris) == comb(2 * n - 4, n - 2) // (n - 1)  # Catalan C_{n-2}
    deg = np.asarray(adj.sum(axis=1)).ravel()
    assert np.all(deg == n - 3)  # every diagonal of a convex polygon triangulation flips


def test_3x3_grid_has_64_fine_and_387_triangulations():
    fine, _ = flip_graph(grid_points(3, 3))
    every, _ = flip_graph(grid_points(3, 3), fine=False)
    assert len(fine) == 64 and all(t.is_fine for t in fine)
    assert len(every) == 387
    assert sum(t.is_fine for t in every) == 64
    assert len({t.key() for t in every}) == 387


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_strip_1_by_n_gives_central_binomial(n):
    tris, _ = flip_graph(grid_points(2, n + 1))
    assert len(tris) == comb(2 * n, n)


def test_3x4_grid_852():
    tris, _ = flip_graph(grid_points(3, 4))
    assert len(tris) == 852


@pytest.mark.slow
def test_4x4_grid_46456():
    tris, adj = flip_graph(grid_points(4, 4))
    assert len(tris) == 46456
    assert (adj != adj.T).nnz == 0


def test_every_visited_triangulation_is_valid_and_distinct():
    tris, adj = flip_graph(grid_points(3, 3))
    for t in tris:
        Triangulation(t.points, t.simplices)  # full geometric validation
    assert len({t.key() for t in tris}) == len(tris)


def test_adjacency_matches_flippable_edges_and_flip():
    tris, adj = flip_graph(grid_points(3, 3))
    index = {t.key(): i for i, t in enumerate(tris)}
    assert (adj != adj.T).nnz == 0
    for i, t in enumerate(tris):
        edges = flippable_edges(t)
        assert adj[i].nnz == len(edges)
        nbrs = {index[flip(t, e).key()] for e in edges}
        assert nbrs == set(adj[i].indices)


def test_bfs_from_any_start_reaches_the_same_set():
    pts = np.random.default_rng(3).random((7, 2))
    a, _ = flip_graph(pts)
    b, _ = flip_graph(random_regular_triangulation(pts, seed=4))
    assert {t.key() for t in a} == {t.key() for t in b}


def test_interior_point_triangle():
    pts = np.array([[0, 0], [4, 0], [0, 4], [1, 1]], float)
    fine, _ = flip_graph(pts)
    every, adj = flip_graph(pts, fine=False)
    assert len(fine) == 1
    assert len(every) == 2 and adj.nnz == 2  # insert / remove the interior point


def test_limit_raises_too_large():
    with pytest.raises(TooLargeError, match="limit=100"):
        flip_graph(grid_points(4, 4), limit=100)
    with pytest.raises(InvalidInputError, match="'limit'"):
        flip_graph(grid_points(3, 3), limit=0)


def test_flip_graph_rejects_non_planar():
    with pytest.raises(UnsupportedError, match="planar"):
        flip_graph(np.random.default_rng(0).random((6, 3)))


# ------------------------------------------------------------ single flips
@pytest.mark.parametrize("seed", [0, 1])
def test_flippable_edges_match_brute_force(seed):
    tri = random_regular_triangulation(grid_points(4, 3), seed=seed)
    got = [tuple(e) for e in flippable_edges(tri)]
    assert got == brute_flippable(tri)
    poly = delaunay(convex_polygon(8))
    assert len(flippable_edges(poly)) == 5


def test_flip_is_an_involution_and_valid(rng):
    pts = rng.random((20, 2))
    t = delaunay(pts)
    for u, v in flippable_edges(t):
        t2 = flip(t, (v, u))  # either order
        Triangulation(pts, t2.simplices)
        e2 = {tuple(e) for e in t2.edges}
        assert (u, v) not in e2
        (new,) = e2 - {tuple(e) for e in t.edges}
        assert flip(t2, new) == t


def test_flip_rejects_bad_edges():
    t = delaunay(grid_points(3, 3))
    hull_edge = (0, 1)
    with pytest.raises(InvalidInputError, match="'edge'.*hull edge"):
        flip(t, hull_edge)
    with pytest.raises(InvalidInputError, match="'edge'.*not an edge"):
        flip(t, (0, 8))
    with pytest.raises(InvalidInputError, match="'edge'"):
        flip(t, (0, 1, 2))
    with pytest.raises(InvalidInputError, match="'edge'"):
        flip(t, (0, 99))
    with pytest.raises(InvalidInputError, match="'edge'"):
        flip(t, (0.5, 1.0))
    # a non-convex quadrilateral: the interior vertex of a triangle with one inner point
    pts = np.array([[0, 0], [4, 0], [0, 4], [1, 1]], float)
    t = delaunay(pts)
    with pytest.raises(InvalidInputError, match="'edge'.*not strictly convex"):
        flip(t, (0, 3))
    # the 3x3 grid's star from the centre: edge 1-4 lies between triangles 0-1-4 and 1-2-4,
    # whose union is the triangle 0-2-4 (0, 1, 2 are collinear), not a convex quadrilateral;
    # only the four diagonals (unit squares) flip
    t = Triangulation(grid_points(3, 3), [[0, 1, 4], [0, 3, 4], [1, 2, 4], [2, 4, 5], [3, 4, 6], [4, 6, 7], [4, 5, 8], [4, 7, 8]])
    assert [tuple(e) for e in flippable_edges(t)] == [(0, 4), (2, 4), (4, 6), (4, 8)]
    with pytest.raises(InvalidInputError, match="not strictly convex"):
        flip(t, (1, 4))


def test_flips_need_a_planar_triangulation(rng):
    t3 = delaunay(rng.random((8, 3)))
    with pytest.raises(UnsupportedError, match="n_dims=3"):
        flippable_edges(t3)
    with pytest.raises(UnsupportedError):
        flip(t3, (0, 1))
    with pytest.raises(InvalidInputError, match="'tri'"):
        flippable_edges(grid_points(3, 3))


# ------------------------------------------------------------ layout and plot
def test_spectral_layout_of_a_cycle_is_a_regular_polygon():
    # the flip graph of a convex pentagon is a 5-cycle
    _, adj = flip_graph(convex_polygon(5))
    pos = graph_layout(adj)
    r = np.linalg.norm(pos - pos.mean(axis=0), axis=1)
    np.testing.assert_allclose(r, r[0], rtol=1e-8)
    # neighbours are 72 degrees apart
    coo = sparse.triu(adj, 1).tocoo()
    ang = np.arctan2(pos[:, 1], pos[:, 0])
    diff = np.abs(np.angle(np.exp(1j * (ang[coo.row] - ang[coo.col]))))
    np.testing.assert_allclose(diff, 2 * np.pi / 5, rtol=1e-8)


def test_spring_layout_is_finite_and_seeded():
    _, adj = flip_graph(convex_polygon(7))
    a = graph_layout(adj, method="spring", seed=1)
    b = graph_layout(adj, method="spring", seed=1)
    assert a.shape == (42, 2) and np.all(np.isfinite(a))
    np.testing.assert_array_equal(a, b)
    # connected nodes end up closer than average
    coo = sparse.triu(adj, 1).tocoo()
    d_edge = np.linalg.norm(a[coo.row] - a[coo.col], axis=1).mean()
    d_all = np.linalg.norm(a[:, None] - a[None], axis=2).mean()
    assert d_edge < d_all
    with pytest.raises(InvalidInputError, match="'method'"):
        graph_layout(adj, method="circle")


def test_plot_flip_graph_draws_every_flip():
    graph = flip_graph(grid_points(3, 3))
    fig, ax = plt.subplots()
    out = plot_flip_graph(graph, ax=ax, node_color=np.arange(64))
    assert out is ax
    (lines,) = ax.collections[:1]
    assert len(lines.get_segments()) == graph[1].nnz // 2
    plt.close(fig)
    ax2 = plot_flip_graph(convex_polygon(6), layout="spring")
    assert len(ax2.collections[0].get_segments()) == 14 * 3 // 2
    plt.close(ax2.figure)
    with pytest.raises(InvalidInputError, match="'node_color'"):
        plot_flip_graph(graph, node_color=np.arange(3))


def test_all_flip_moves_are_reversible_and_valid():
    # every move generated from a triangulation is undone by a move generated from its result,
    # so the adjacency is the full flip graph; and every result is a proper triangulation
    from geoquant.triangulation._flips import _decode, _edge_flip_codes, _encode, _vertex_flip_codes
    from geoquant.triangulation._mesh import OrientTable

    pts = grid_points(3, 3)
    tris, adj = flip_graph(pts, fine=False)
    n, orient = len(pts), OrientTable(pts)
    index = {_encode(t.simplices, n).tobytes(): i for i, t in enumerate(tris)}
    directed = set()
    for i, t in enumerate(tris):
        codes = _encode(t.simplices, n)
        simp = _decode(codes, n)
        moves = _edge_flip_codes(orient, simp, codes, n) + _vertex_flip_codes(orient, simp, codes, n)
        for new in moves:
            directed.add((i, index[new.tobytes()]))
        if i % 10 == 0:
            for new in moves:
                Triangulation(pts, _decode(new, n))
    assert all((j, i) in directed for i, j in directed)
    coo = adj.tocoo()
    assert set(zip(coo.row.tolist(), coo.col.tolist())) == directed


@pytest.mark.parametrize("fine", [True, False])
def test_flip_graph_agrees_with_the_independent_enumeration(fine):
    # Lawson's theorem (and its extension with insertion/removal flips) checked against the
    # counting/enumeration engine, a different algorithm, on points in general position and a grid
    from geoquant.triangulation import enumerate_triangulations

    for pts in (np.random.default_rng(11).random((8, 2)), grid_points(3, 3)):
        bfs, _ = flip_graph(pts, fine=fine)
        enum = list(enumerate_triangulations(pts, fine=fine))
        assert {t.key() for t in bfs} == {t.key() for t in enum}
        assert len(enum) == len(bfs)
