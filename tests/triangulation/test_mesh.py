"""The one planar mesh: structure after flips, and its exact flippability rule."""

import numpy as np
import pytest

from geoquant.triangulation import (
    NearDegeneracyWarning,
    PlanarMesh,
    Triangulation,
    count_triangulations,
    delaunay,
    flippable_edges,
    random_regular_triangulation,
)
from tests.conftest import grid_points

E = 2.0**-53
edge_key = PlanarMesh.edge_key


def near_collinear_quad():
    """Points a, b, u, v where u lies 2**-53-ish strictly left of the line ab (the float determinant is 0)."""
    a, b, u, v = (0.5 + E, 0.5), (24.0, 24.0), (12.0, 12.0), (12.0, 0.0)
    return np.array([a, b, u, v]), np.array([[2, 3, 0], [2, 3, 1]])


def float_orient(p, q, r):
    return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])


def test_near_collinear_quadrilateral_is_strictly_convex_exactly():
    P, simp = near_collinear_quad()
    assert float_orient(P[0], P[1], P[2]) == 0.0  # floats cannot see it...
    mesh = PlanarMesh(P, simp)
    assert mesh.orient(0, 1, 2) == 1  # ...the exact predicate does: u strictly left of a -> b
    assert mesh.is_flippable((2, 3))
    assert flippable_edges(Triangulation(P, simp)).tolist() == [[2, 3]]
    with pytest.warns(NearDegeneracyWarning):  # collinear up to rounding, not exactly
        assert count_triangulations(P) == 2  # four points in strictly convex position


@pytest.mark.parametrize("kind", ["grid", "random"])
def test_mesh_flippability_agrees_with_the_vectorised_rule_along_a_flip_sequence(kind):
    pts = grid_points(4, 4) if kind == "grid" else np.random.default_rng(3).random((25, 2))
    tri = random_regular_triangulation(pts, seed=1) if kind == "random" else delaunay(pts)
    mesh = PlanarMesh(tri.points, tri.simplices)
    rng = np.random.default_rng(0)
    n_edges = len(mesh.edges)
    for _ in range(60):
        now = Triangulation(tri.points, mesh.simplices())  # validates: still a proper triangulation
        expect = sorted(map(tuple, flippable_edges(now).tolist()))
        got = [e for e in mesh.interior_edges() if mesh.is_flippable(e)]
        assert got == expect
        assert len(mesh.edges) == n_edges  # a flip keeps the number of edges
        u, v, a, c, t1, t2 = mesh.quad(got[rng.integers(len(got))])
        assert mesh.flip(u, v, a, c, t1, t2) == edge_key(a, c)
        assert edge_key(u, v) not in mesh.edges and mesh.quad(edge_key(a, c)) is not None
        assert sorted(mesh.triangles[t1]) == sorted((a, c, u)) and sorted(mesh.triangles[t2]) == sorted((a, c, v))


def test_flip_twice_restores_the_triangulation_and_age_orders_the_new_triangles():
    pts = np.random.default_rng(5).random((12, 2))
    tri = delaunay(pts)
    mesh = PlanarMesh(tri.points, tri.simplices)
    e = next(e for e in mesh.interior_edges() if mesh.is_flippable(e))
    u, v, a, c, t1, t2 = mesh.quad(e)
    mesh.flip(u, v, a, c, t1, t2)
    assert mesh.age[t1] < mesh.age[t2] and min(mesh.age[t1], mesh.age[t2]) >= len(tri.simplices)
    q = mesh.quad(edge_key(a, c), oldest_first=True)
    assert q[4] == t1  # (a, c, u) was made first
    mesh.flip(*q)
    assert Triangulation(pts, mesh.simplices()) == tri


def test_mesh_interior_edge_count_is_euler():
    # a fine triangulation of n points with h on the hull has 3n - 3 - h edges, 2n - 2 - h triangles
    pts = np.random.default_rng(7).random((30, 2))
    tri = delaunay(pts)
    mesh = PlanarMesh(tri.points, tri.simplices)
    from scipy.spatial import ConvexHull

    h = len(ConvexHull(pts).vertices)
    assert len(mesh.edges) == 3 * 30 - 3 - h
    assert len(mesh.interior_edges()) == 3 * 30 - 3 - 2 * h
