"""Triangulation <-> scipy.spatial.Delaunay and matplotlib.tri.Triangulation (issue 24 item 3): round trips
keep the points bit for bit and the set of simplices exactly; what cannot be converted is refused, clearly."""

import matplotlib.tri as mtri
import numpy as np
import pytest
from scipy.spatial import Delaunay

from geoquant.errors import DegenerateInputError, GeoquantError, InvalidInputError, UnsupportedError
from geoquant.triangulation import Triangulation, delaunay, flip, flippable_edges
from geoquant.triangulation._predicates import orientation


def _simplex_set(simplices):
    return {tuple(sorted(r)) for r in np.asarray(simplices).tolist()}


def _point_sets():
    rng = np.random.default_rng(24)
    yield "uniform30", rng.uniform(-1, 1, (30, 2))
    yield "grid_jittered", np.array([[i + 1e-3 * rng.standard_normal(), j + 1e-3 * rng.standard_normal()]
                                     for i in range(4) for j in range(4)])
    yield "tiny", rng.uniform(0, 1e-8, (12, 2))


@pytest.mark.parametrize("name, X", list(_point_sets()), ids=lambda v: v if isinstance(v, str) else "")
def test_scipy_round_trip(name, X):
    d = Delaunay(X)
    tri = Triangulation.from_scipy(d)
    assert np.array_equal(tri.points, d.points)
    assert _simplex_set(tri.simplices) == _simplex_set(d.simplices) and tri.n_simplices == len(d.simplices)
    back = tri.to_scipy()
    assert isinstance(back, Delaunay)
    assert np.array_equal(back.points, tri.points)
    assert Triangulation.from_scipy(back) == tri
    # geoquant's own Delaunay triangulation of points in general position is the one scipy computes
    assert delaunay(X).to_scipy().simplices.shape == d.simplices.shape


def test_scipy_3d_round_trip():
    X = np.random.default_rng(3).uniform(size=(25, 3))
    d = Delaunay(X)
    tri = Triangulation.from_scipy(d)
    assert tri.n_dims == 3 and _simplex_set(tri.simplices) == _simplex_set(d.simplices)
    assert Triangulation.from_scipy(tri.to_scipy()) == tri


def test_to_scipy_refuses_a_triangulation_that_is_not_qhulls():
    X = np.random.default_rng(5).uniform(size=(12, 2))
    dt = delaunay(X)
    other = flip(dt, flippable_edges(dt)[0])  # a valid triangulation, not the Delaunay one
    assert other != dt
    with pytest.raises(UnsupportedError, match="only Qhull's Delaunay triangulation") as exc:
        other.to_scipy()
    # the message counts the shared simplices: a flip changes exactly two
    assert f"of which {dt.n_simplices - 2} are Qhull's" in str(exc.value)
    with pytest.raises(UnsupportedError, match="n_dims=1"):
        Triangulation([[0.0], [1.0], [3.0]], [[0, 1], [1, 2]]).to_scipy()


@pytest.mark.parametrize("name, X", list(_point_sets()), ids=lambda v: v if isinstance(v, str) else "")
def test_matplotlib_round_trip(name, X):
    m = mtri.Triangulation(X[:, 0], X[:, 1])  # matplotlib's own (Qhull) triangulation
    tri = Triangulation.from_matplotlib(m)
    assert np.array_equal(tri.points, X)
    assert _simplex_set(tri.simplices) == _simplex_set(m.triangles)
    back = tri.to_matplotlib()
    assert np.array_equal(back.x, X[:, 0]) and np.array_equal(back.y, X[:, 1])
    assert _simplex_set(back.triangles) == _simplex_set(tri.simplices)
    assert (orientation(X[back.triangles]) > 0).all()  # anticlockwise, as matplotlib expects
    assert Triangulation.from_matplotlib(back) == tri


def test_matplotlib_round_trip_of_any_triangulation():
    # to_matplotlib takes every triangulation, not only Delaunay: a flipped one and one that is not fine
    X = np.random.default_rng(7).uniform(size=(15, 2))
    dt = delaunay(X)
    flipped = flip(dt, flippable_edges(dt)[-1])
    coarse = Triangulation(np.vstack([[[0, 0], [1, 0], [0, 1], [1, 1]], [[0.5, 0.4]]]), [[0, 1, 2], [1, 2, 3]])
    assert not coarse.is_fine
    for tri in (flipped, coarse):
        m = tri.to_matplotlib()
        assert len(m.x) == tri.n_points
        assert Triangulation.from_matplotlib(m) == tri
    # matplotlib's trifinder locates points in the same triangles as geoquant
    q = np.random.default_rng(8).uniform(0.05, 0.95, (200, 2))
    m = flipped.to_matplotlib()
    found = m.get_trifinder()(q[:, 0], q[:, 1])
    inside = found >= 0
    mine = flipped.find_simplex(q)
    assert inside.sum() > 100
    assert [_simplex_set([m.triangles[k]]) for k in found[inside]] == \
        [_simplex_set([flipped.simplices[k]]) for k in mine[inside]]


def test_bad_input_names_the_argument():
    with pytest.raises(InvalidInputError, match=r"'delaunay' must be a scipy.spatial.Delaunay, found ndarray"):
        Triangulation.from_scipy(np.zeros((3, 2)))
    with pytest.raises(InvalidInputError, match=r"'triangulation' must be a matplotlib.tri.Triangulation, found Delaunay"):
        Triangulation.from_matplotlib(Delaunay(np.random.default_rng(0).uniform(size=(5, 2))))
    X = np.random.default_rng(1).uniform(size=(10, 2))
    m = mtri.Triangulation(X[:, 0], X[:, 1])
    m.set_mask(np.arange(len(m.triangles)) == 0)
    with pytest.raises(InvalidInputError, match=r"'triangulation' must have no masked triangles.*found 1 masked"):
        Triangulation.from_matplotlib(m)
    # triangles that leave a hole in the hull are refused by the geometry check
    m2 = mtri.Triangulation(X[:, 0], X[:, 1])
    holed = mtri.Triangulation(X[:, 0], X[:, 1], m2.triangles[1:])
    with pytest.raises(DegenerateInputError):
        Triangulation.from_matplotlib(holed)
    with pytest.raises(UnsupportedError, match="expected n_dims=2, found n_dims=3"):
        Triangulation.from_scipy(Delaunay(np.random.default_rng(2).uniform(size=(8, 3)))).to_matplotlib()
    for cls in (InvalidInputError, UnsupportedError):
        assert issubclass(cls, GeoquantError)
