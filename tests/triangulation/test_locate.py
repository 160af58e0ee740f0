"""Point location: the compiled 2D locator against the vectorised one, scipy and matplotlib.

Same answers on random queries (unique containing triangle: equal to scipy's
``Delaunay.find_simplex`` and matplotlib's trapezoid map), and on degenerate ones
(vertices, edge midpoints, the hull boundary, outside the hull: equal to the
vectorised path, and the returned triangle contains the query).
"""

import numpy as np
import pytest

from geoquant.triangulation import Triangulation, delaunay, random_regular_triangulation
from geoquant.triangulation._locate import SimplexLocator


def _fan(n, seed):
    th = np.sort(np.random.default_rng(seed).random(n)) * 2 * np.pi
    pts = np.column_stack([np.cos(th), np.sin(th)])
    return pts, np.array([[0, i, i + 1] for i in range(1, n - 1)])


def _cases():
    rng = np.random.default_rng(0)
    pts = rng.random((400, 2))
    yield "delaunay", pts, delaunay(pts).simplices
    yield "regular", pts, random_regular_triangulation(pts, seed=1).simplices
    yield "fan", *_fan(300, 2)
    g = np.array([[i, j] for i in range(12) for j in range(9)], dtype=float)  # collinear rows: ties everywhere
    yield "grid", g, delaunay(g).simplices


CASES = list(_cases())


def _queries(pts, simp, seed):
    rng = np.random.default_rng(seed)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    random = lo + (hi - lo) * rng.random((3000, 2))
    e = simp[:, [0, 1]]
    mids = 0.5 * (pts[e[:, 0]] + pts[e[:, 1]])
    outside = np.array([[lo[0] - 1, lo[1]], [hi[0] + 0.5, hi[1] + 0.5], [lo[0], hi[1] + 1e-3 * (hi[1] - lo[1])]])
    return random, pts.copy(), mids, outside


def _contains(pts, simp, s, x, tol=1e-9):
    v = pts[simp[s]]
    T = np.stack([v[:, 0] - v[:, 2], v[:, 1] - v[:, 2]], axis=-1)
    b = np.linalg.solve(T, (x - v[:, 2])[..., None])[..., 0]
    lam = np.column_stack([b, 1 - b.sum(axis=1)])
    return np.all(lam >= -tol, axis=1)


@pytest.mark.parametrize("name,pts,simp", CASES, ids=[c[0] for c in CASES])
def test_compiled_equals_vectorised_on_random_and_degenerate_queries(name, pts, simp):
    new = SimplexLocator(pts, simp)
    old = SimplexLocator(pts, simp, compiled=False)
    assert getattr(new, "_compiled", False)
    for q in _queries(pts, simp, 1):
        s1, l1 = new.locate(q)
        s0, l0 = old.locate(q)
        assert np.array_equal(s1, s0)
        inside = s1 >= 0
        np.testing.assert_allclose(l1[inside], l0[inside], rtol=0, atol=1e-12)
        assert np.all(np.isnan(l1[~inside]))
        assert np.all(_contains(pts, simp, s1[inside], q[inside]))
    # vertices and edge midpoints are inside (closed triangles); far points are outside
    _, verts, mids, outside = _queries(pts, simp, 1)
    assert np.all(new.locate(verts)[0] >= 0) and np.all(new.locate(mids)[0] >= 0)
    assert np.all(new.locate(outside[:2])[0] == -1)


@pytest.mark.parametrize("name,pts,simp", CASES, ids=[c[0] for c in CASES])
def test_same_as_matplotlib_trapezoid_map_on_generic_queries(name, pts, simp):
    import matplotlib.tri as mtri

    q = _queries(pts, simp, 2)[0]
    finder = mtri.TrapezoidMapTriFinder(mtri.Triangulation(pts[:, 0], pts[:, 1], simp))
    ref = np.asarray(finder(q[:, 0], q[:, 1]), dtype=np.int64)
    tri = Triangulation(pts, simp)
    got = tri.find_simplex(q)
    assert np.array_equal(got < 0, ref < 0)
    inside = got >= 0
    assert np.array_equal(tri.simplices[got[inside]], np.sort(simp[ref[inside]], axis=1))


def test_same_as_scipy_on_delaunay():
    from scipy.spatial import Delaunay

    rng = np.random.default_rng(5)
    pts = rng.random((2000, 2))
    sp = Delaunay(pts)
    q = rng.random((20000, 2)) * 1.2 - 0.1
    tri = Triangulation(pts, sp.simplices)  # rows in canonical order: compare the triangles themselves
    got, ref = tri.find_simplex(q), sp.find_simplex(q)
    assert np.array_equal(got < 0, ref < 0)
    inside = got >= 0
    assert np.array_equal(tri.simplices[got[inside]], np.sort(sp.simplices[ref[inside]], axis=1))
