import numpy as np
import pytest
from scipy.spatial import Delaunay as ScipyDelaunay

from geoquant.errors import DegenerateInputError, DuplicatePointsError, InvalidInputError
from geoquant.triangulation import Triangulation, delaunay
from geoquant.triangulation._delaunay import insert_points
from tests.conftest import grid_points


@pytest.mark.parametrize("m,n", [(2, 2), (3, 3), (5, 5), (4, 7)])
def test_grid_uses_every_point(m, n):
    t = delaunay(grid_points(m, n))
    assert t.is_fine
    assert t.n_simplices == 2 * (m - 1) * (n - 1)  # unit triangles of area 1/2 tile the (m-1)x(n-1) box
    np.testing.assert_allclose(t.volumes, 0.5)


def test_5x5_grid_32_triangles():
    t = delaunay(grid_points(5, 5))
    assert (t.n_simplices, t.is_fine, len(t.used_points)) == (32, True, 25)


def test_1d_sorted_intervals():
    x = np.array([0.3, -1.0, 2.0, 0.0])
    t = delaunay(x)
    assert t.n_dims == 1 and t.n_simplices == 3 and t.is_fine
    ends = np.sort(t.points[t.simplices, 0], axis=1)
    assert sorted(map(tuple, ends)) == [(-1.0, 0.0), (0.0, 0.3), (0.3, 2.0)]


def test_3d_points_on_hull_faces_and_edges_are_inserted(rng):
    cube = np.array([[i, j, k] for i in (0, 1) for j in (0, 1) for k in (0, 1)], dtype=float)
    on_faces = np.array([[0.5, 0.5, 0.0], [0.5, 0.0, 0.5], [0.0, 0.25, 0.75], [0.5, 0.0, 0.0], [1.0, 1.0, 0.5]])
    pts = np.vstack([cube, on_faces, rng.random((20, 3)) * 0.8 + 0.1])
    t = delaunay(pts)
    assert t.is_fine
    np.testing.assert_allclose(t.volumes.sum(), 1.0)


def test_delaunay_empty_circumcircle_property(rng):
    pts = rng.random((60, 2))
    t = delaunay(pts)
    from geoquant.interpolate import circumspheres

    c, r = circumspheres(t.points, t.simplices)
    dist = np.linalg.norm(t.points[None, :, :] - c[:, None, :], axis=2)
    assert np.all(dist >= r[:, None] - 1e-10)
    ref = ScipyDelaunay(pts)
    assert Triangulation(pts, ref.simplices) == t


def test_insert_points_stellar_subdivision():
    pts = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [2.0, 2.0], [1.0, 1.0], [1.0, 0.0]])
    simp = np.array([[0, 1, 3], [0, 3, 2]])
    out = insert_points(pts, simp, [4, 5])  # 4 on the shared diagonal, 5 on a hull edge
    t = Triangulation(pts, out)
    assert t.is_fine and t.n_simplices == 5


def test_bad_input():
    with pytest.raises(DegenerateInputError, match="'points'.*collinear"):
        delaunay([[0, 0], [1, 1], [2, 2], [3, 3]])
    with pytest.raises(DegenerateInputError, match="'points' must hold at least 3 points"):
        delaunay([[0, 0], [1, 1]])
    with pytest.raises(DuplicatePointsError, match="'points'"):
        delaunay([[0, 0], [1, 0], [0, 1], [1e-14, 0]])
    with pytest.raises(InvalidInputError, match="'points' must be a 1-D or 2-D array"):
        delaunay(np.zeros((2, 2, 2)))
    with pytest.raises(InvalidInputError, match="'points' must be finite"):
        delaunay([[0, 0], [1, 0], [0, np.inf]])
