import numpy as np
import pytest
from scipy.spatial import Delaunay as ScipyDelaunay

from geoquant.errors import DuplicatePointsError, InvalidInputError
from geoquant.triangulation import (
    Triangulation,
    delaunay,
    flip_graph,
    folding_constraints,
    is_regular,
    random_regular_triangulation,
    regular_triangulation,
)
from tests.conftest import grid_points


def mother_of_all_examples(twist=0.0):
    """Outer triangle, inner triangle scaled by 1/2 about the centroid (3, 2), twisted along its edges.

    Coordinates are dyadic rationals, so the float input is the exact configuration.
    """
    outer = np.array([[0.0, 0.0], [6.0, 0.0], [3.0, 6.0]])
    inner = np.array([[1.5, 1.0], [4.5, 1.0], [3.0, 4.0]])
    inner = inner + twist * (np.roll(inner, -1, axis=0) - inner)
    return np.vstack([outer, inner])


def pinwheels(points):
    """The two 'pinwheel' triangulations of the outer/inner triangle configuration."""
    a = [[3, 4, 5]] + [[i, (i + 1) % 3, 3 + i] for i in range(3)] + [[3 + i, 3 + (i + 1) % 3, (i + 1) % 3] for i in range(3)]
    b = [[3, 4, 5]] + [[i, (i + 1) % 3, 3 + (i + 1) % 3] for i in range(3)] + [[3 + i, 3 + (i + 1) % 3, i] for i in range(3)]
    return Triangulation(points, a), Triangulation(points, b)


# ------------------------------------------------------------ regular_triangulation
@pytest.mark.parametrize("d", [2, 3, 4])
def test_paraboloid_lift_is_scipy_delaunay(d, rng):
    pts = rng.random((40, d))
    t = regular_triangulation(pts, (pts**2).sum(axis=1))
    assert t == Triangulation(pts, ScipyDelaunay(pts).simplices)


def test_1d_convex_heights_give_the_chain_and_lifted_points_drop_out():
    x = np.array([0.3, -1.0, 2.0, 0.0, 1.0])
    t = regular_triangulation(x, x**2)
    assert t == delaunay(x)
    h = x**2
    h[4] += 5.0  # x = 1 lifted far above the chord from 0.3 to 2
    t = regular_triangulation(x, h)
    assert 4 not in t.used_points and t.n_simplices == 3


def test_lifted_centre_is_left_out_pulled_centre_is_used():
    pts = np.array([[0, 0], [1, 0], [0, 1], [1, 1], [0.5, 0.5]])
    up = regular_triangulation(pts, [0, 0, 0, 0, 1])
    down = regular_triangulation(pts, [0, 0, 0, 0, -1])
    assert (up.n_simplices, up.is_fine) == (2, False)
    assert (down.n_simplices, down.is_fine) == (4, True)
    # corner (1, 1) raised: the fold runs along the diagonal 1-2 that avoids it
    t = regular_triangulation(pts[:4], [0, 0, 0, 1])
    assert sorted(map(tuple, t.simplices)) == [(0, 1, 2), (1, 2, 3)]


def test_invariant_under_affine_change_and_scaling_of_heights(rng):
    pts = rng.random((30, 2))
    h = rng.random(30)
    t = regular_triangulation(pts, h)
    t2 = regular_triangulation(pts, 7.5 * h + pts @ [3.0, -2.0] + 11.0)
    assert t == t2


@pytest.mark.parametrize(
    "points",
    [grid_points(4, 4), grid_points(5, 3), np.array([[i, j, k] for i in range(3) for j in range(3) for k in range(3)], float)],
    ids=["4x4", "5x3", "3x3x3"],
)
@pytest.mark.parametrize("kind", ["zero", "paraboloid"])
def test_nongeneric_heights_still_give_a_valid_regular_triangulation(points, kind):
    h = np.zeros(len(points)) if kind == "zero" else (points**2).sum(axis=1)
    t = regular_triangulation(points, h)
    Triangulation(points, t.simplices)  # full geometric validation
    # every point lies on the (flat or paraboloid) lower hull, so every point is used
    assert t.is_fine
    cert = is_regular(t)
    assert cert and cert.verify()


def test_points_on_hull_edges_with_a_flat_lift_are_used():
    # collinear points along the hull: Qhull reports them only as coplanar
    pts = np.array([[0, 0], [1, 0], [2, 0], [3, 0], [0, 2], [3, 2], [1.5, 1]])
    t = regular_triangulation(pts, np.zeros(7))
    Triangulation(pts, t.simplices)
    assert t.is_fine


def test_regular_triangulation_bad_heights():
    pts = grid_points(3, 3)
    with pytest.raises(InvalidInputError, match="'heights'"):
        regular_triangulation(pts, np.zeros(8))
    with pytest.raises(InvalidInputError, match="'heights'"):
        regular_triangulation(pts, np.zeros((9, 1)))
    h = np.zeros(9)
    h[3] = np.nan
    with pytest.raises(InvalidInputError, match="'heights'"):
        regular_triangulation(pts, h)
    with pytest.raises(DuplicatePointsError, match="'points'"):
        regular_triangulation(np.vstack([pts, pts[:1]]), np.zeros(10))


# ------------------------------------------------------------ is_regular
@pytest.mark.parametrize("d", [1, 2, 3])
def test_delaunay_is_regular_and_the_paraboloid_satisfies_every_folding_inequality(d, rng):
    pts = rng.random((25, d))
    t = delaunay(pts)
    circuits, lam, n_ridges = folding_constraints(t)
    assert n_ridges == len(circuits) > 0
    folds = (lam * (pts**2).sum(axis=1)[circuits]).sum(axis=1)
    assert np.all(folds > 0)
    cert = is_regular(t)
    assert bool(cert) and cert.is_regular and cert.verify()
    assert np.all(cert.constraints @ cert.heights >= 1 - 1e-7)
    assert regular_triangulation(pts, cert.heights) == t


def test_folding_coefficients_are_affine_dependences(rng):
    pts = rng.random((20, 2))
    t = random_regular_triangulation(pts, seed=1, fine=False)
    circuits, lam, n_ridges = folding_constraints(t)
    assert len(circuits) > n_ridges  # some unused points
    # sum_j lam_j (p_j, 1) = 0 and the point that must lie above has a positive coefficient
    np.testing.assert_allclose(np.einsum("kj,kjd->kd", lam, pts[circuits]), 0, atol=1e-12)
    np.testing.assert_allclose(lam.sum(axis=1), 0, atol=1e-12)
    assert np.all(lam[:, -1] > 0)


def test_non_fine_triangulations_are_certified_with_unused_points_above(rng):
    pts = rng.random((15, 2))
    t = regular_triangulation(pts, rng.random(15))
    assert not t.is_fine
    cert = is_regular(t)
    assert cert and cert.verify()
    unused = np.setdiff1d(np.arange(15), t.used_points)
    # unused points lie strictly above the lifted surface
    s, lam = t.barycentric(pts[unused])
    surface = (lam * cert.heights[t.simplices[s]]).sum(axis=1)
    assert np.all(cert.heights[unused] > surface)


def test_all_64_fine_triangulations_of_the_3x3_grid_are_regular():
    tris, _ = flip_graph(grid_points(3, 3))
    assert len(tris) == 64
    certs = [is_regular(t) for t in tris]
    assert all(certs)
    assert all(c.verify() for c in certs)


def test_mother_of_all_examples_symmetric_both_pinwheels_non_regular():
    pts = mother_of_all_examples(0.0)
    for t in pinwheels(pts):
        cert = is_regular(t)
        assert not cert and cert.heights is None
        y = cert.multipliers
        assert np.all(y >= 0) and y.sum() == pytest.approx(1.0)
        # the combination of the inequalities has all coefficients 0: "0 > 0"
        np.testing.assert_allclose(cert.constraints.T @ y, 0, atol=1e-9)
        assert cert.verify(exact=True)


def test_mother_of_all_examples_twisted_one_pinwheel_regular_other_not():
    pts = mother_of_all_examples(1 / 8)
    a, b = pinwheels(pts)
    ca, cb = is_regular(a), is_regular(b)
    assert bool(ca) != bool(cb)
    regular, non_regular = (ca, cb) if ca else (cb, ca)
    assert regular.verify() and non_regular.verify()
    assert regular_triangulation(pts, regular.heights) == regular.triangulation
    # the opposite twist swaps the roles
    a2, b2 = pinwheels(mother_of_all_examples(-1 / 8))
    assert bool(is_regular(a2)) == bool(cb) and bool(is_regular(b2)) == bool(ca)


def test_mother_of_all_examples_counts():
    # 18 triangulations, 16 regular (the two pinwheels are not); 8 fine, 6 regular
    pts = mother_of_all_examples(0.0)
    fine, _ = flip_graph(pts)
    every, _ = flip_graph(pts, fine=False)
    assert (len(fine), sum(bool(is_regular(t)) for t in fine)) == (8, 6)
    assert (len(every), sum(bool(is_regular(t)) for t in every)) == (18, 16)


def test_verify_rejects_tampered_certificates(rng):
    cert = is_regular(delaunay(rng.random((12, 2))))
    good = cert.heights.copy()
    cert.heights = good[::-1].copy()
    assert not cert.verify()
    cert.heights = good
    assert cert.verify()
    bad = is_regular(pinwheels(mother_of_all_examples(0.0))[0])
    y = bad.multipliers.copy()
    bad.multipliers = np.ones_like(y) / len(y)
    assert not bad.verify()
    bad.multipliers = y
    assert bad.verify()


def test_is_regular_rejects_non_triangulations():
    with pytest.raises(InvalidInputError, match="'tri'"):
        is_regular(grid_points(3, 3))


def test_all_387_triangulations_of_the_3x3_grid_are_regular():
    tris, _ = flip_graph(grid_points(3, 3), fine=False)
    assert len(tris) == 387
    assert all(is_regular(t) for t in tris)


@pytest.mark.slow
def test_exactly_4_of_46456_fine_triangulations_of_the_4x4_grid_are_not_regular():
    tris, _ = flip_graph(grid_points(4, 4))
    assert len(tris) == 46456
    bad = [c for c in map(is_regular, tris) if not c]
    assert len(bad) == 4
    assert all(c.verify(exact=True) for c in bad)


# ------------------------------------------------------------ random regular
@pytest.mark.parametrize("d", [1, 2, 3])
def test_random_regular_is_fine_regular_and_seeded(d, rng):
    pts = rng.random((25, d))
    t = random_regular_triangulation(pts, seed=5)
    assert t.is_fine
    Triangulation(pts, t.simplices)
    assert t == random_regular_triangulation(pts, seed=5)
    cert = is_regular(t)
    assert cert and cert.verify()


def test_random_regular_varies_with_the_seed(rng):
    pts = rng.random((30, 2))
    keys = {random_regular_triangulation(pts, seed=s).key() for s in range(6)}
    assert len(keys) >= 3


def test_random_regular_on_grids_uses_collinear_hull_points():
    pts = grid_points(5, 4)
    for s in range(3):
        t = random_regular_triangulation(pts, seed=s)
        assert t.is_fine
        Triangulation(pts, t.simplices)


def test_random_regular_not_fine_is_regular(rng):
    pts = rng.random((30, 2))
    t = random_regular_triangulation(pts, seed=2, fine=False)
    Triangulation(pts, t.simplices)
    assert not t.is_fine  # i.i.d. heights leave interior points above the lower hull
    assert is_regular(t).verify()


def test_random_regular_bad_seed():
    with pytest.raises(InvalidInputError, match="'seed'"):
        random_regular_triangulation(grid_points(3, 3), seed=-1)
