"""Exact orientation and in-circle predicates: signs checked against rational arithmetic."""

from fractions import Fraction
from itertools import product

import numpy as np
import pytest

from geoquant.errors import InvalidInputError
from geoquant.triangulation import incircle, orient2d
from geoquant.triangulation._predicates import orient2d_exact, orient2d_table


def _sign(v):
    return (v > 0) - (v < 0)


def exact_orient(a, b, c):
    ax, ay, bx, by, cx, cy = (Fraction(float(v)) for v in (*a, *b, *c))
    return _sign((bx - ax) * (cy - ay) - (by - ay) * (cx - ax))


def exact_incircle(a, b, c, d):
    (ax, ay), (bx, by), (cx, cy), (dx, dy) = (tuple(Fraction(float(v)) for v in p) for p in (a, b, c, d))
    rows = [(px - dx, py - dy) for px, py in ((ax, ay), (bx, by), (cx, cy))]
    m = [(u, v, u * u + v * v) for u, v in rows]
    det = (
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
        - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    )
    return _sign(det)


def naive_orient(a, b, c):
    return np.sign((b[..., 0] - a[..., 0]) * (c[..., 1] - a[..., 1]) - (b[..., 1] - a[..., 1]) * (c[..., 0] - a[..., 0]))


def test_orient2d_simple_signs():
    assert orient2d([0, 0], [1, 0], [0, 1]) == 1
    assert orient2d([0, 0], [0, 1], [1, 0]) == -1
    assert orient2d([0, 0], [1, 1], [3, 3]) == 0
    assert isinstance(orient2d([0, 0], [1, 0], [0, 1]), int)


def test_orient2d_kettner_classroom_example():
    """Kettner et al., 'Classroom examples of robustness problems': p near (0.5, 0.5)
    moved by single ulps against q = (12, 12), r = (24, 24). Plain floats get many
    signs wrong; the filtered predicate must match rational arithmetic everywhere."""
    ulp = 2.0**-53
    i, j = np.meshgrid(np.arange(64), np.arange(64), indexing="ij")
    p = np.stack([0.5 + i * ulp, 0.5 + j * ulp], axis=-1)
    q = np.array([12.0, 12.0])
    r = np.array([24.0, 24.0])
    got = orient2d(p, q, r)
    want = np.array([[exact_orient(p[a, b], q, r) for b in range(64)] for a in range(64)])
    np.testing.assert_array_equal(got, want)
    # the example is meaningful: naive evaluation is wrong somewhere and all three signs occur
    assert np.any(naive_orient(p, q, r) != want)
    assert set(np.unique(want)) == {-1, 0, 1}


def test_orient2d_collinear_grid_and_table():
    xs, ys = np.meshgrid(np.arange(4.0), np.arange(4.0), indexing="ij")
    pts = np.column_stack([xs.ravel(), ys.ravel()]) * 0.1  # 0.1 is not exact: collinearity is not obvious
    table = orient2d_table(pts)
    n = len(pts)
    want = np.zeros((n, n, n), dtype=np.int64)
    for a, b, c in product(range(n), repeat=3):
        want[a, b, c] = exact_orient(pts[a], pts[b], pts[c])
    np.testing.assert_array_equal(table, want)
    # scaled lattice by 0.1 is not exactly collinear in binary: some triples that look
    # collinear are not, the table must agree with exact arithmetic rather than with geometry
    i, j, k = np.meshgrid(np.arange(n), np.arange(n), np.arange(n), indexing="ij")
    np.testing.assert_array_equal(orient2d(pts[i], pts[j], pts[k]), want)


def test_orient2d_extreme_magnitudes():
    # products underflow (1e-200 squared) or overflow (1e200 squared): the exact stage decides
    for scale in (1e-200, 1e-160, 1e160, 1e200):
        a, b = np.array([0.0, 0.0]), np.array([1.0, 1.0]) * scale
        c_on = np.array([3.0, 3.0]) * scale
        c_left = np.array([3.0 * scale, np.nextafter(3.0 * scale, np.inf)])
        assert orient2d(a, b, c_on) == 0
        assert orient2d(a, b, c_left) == exact_orient(a, b, c_left) == 1
    tiny = 5e-324  # smallest subnormal
    assert orient2d([0, 0], [tiny, 0], [0, tiny]) == 1
    assert orient2d([0, 0], [tiny, tiny], [2 * tiny, 2 * tiny]) == 0


def test_orient2d_random_near_degenerate_matches_rational():
    rng = np.random.default_rng(3)
    a = rng.random((300, 2))
    b = rng.random((300, 2))
    t = rng.random((300, 1))
    c = a + t * (b - a)  # on the segment up to rounding
    c = c + rng.integers(-2, 3, size=c.shape) * np.spacing(c)  # a few ulps off
    got = orient2d(a, b, c)
    want = np.array([exact_orient(a[k], b[k], c[k]) for k in range(300)])
    np.testing.assert_array_equal(got, want)
    assert got.shape == (300,)
    assert orient2d_exact(a[0], b[0], c[0]) == want[0]


def test_incircle_cocircular_and_perturbed():
    # Pythagorean points on the circle of radius 5: exactly cocircular
    a, b, c = [5.0, 0.0], [3.0, 4.0], [-4.0, 3.0]  # counter-clockwise
    for d in ([0.0, 5.0], [-5.0, 0.0], [4.0, -3.0], [-3.0, -4.0]):
        assert incircle(a, b, c, d) == 0
    d_in = [0.0, np.nextafter(5.0, 0.0)]
    d_out = [0.0, np.nextafter(5.0, 10.0)]
    assert incircle(a, b, c, d_in) == 1
    assert incircle(a, b, c, d_out) == -1
    assert incircle(b, a, c, d_in) == -1  # clockwise flips the sign
    assert incircle([0, 0], [1, 0], [0, 1], [0.5, 0.5]) == 1


def test_incircle_lattice_quadruples_match_rational():
    xs, ys = np.meshgrid(np.arange(3.0), np.arange(3.0), indexing="ij")
    pts = np.column_stack([xs.ravel(), ys.ravel()]) * 0.3
    rng = np.random.default_rng(0)
    idx = rng.integers(0, len(pts), size=(500, 4))
    got = incircle(pts[idx[:, 0]], pts[idx[:, 1]], pts[idx[:, 2]], pts[idx[:, 3]])
    want = [exact_incircle(*pts[row]) for row in idx]
    np.testing.assert_array_equal(got, want)
    assert 0 in got  # many cocircular quadruples on a lattice


def test_incircle_near_degenerate_random():
    rng = np.random.default_rng(7)
    theta = rng.random((200, 4)) * 2 * np.pi
    p = np.stack([np.cos(theta), np.sin(theta)], axis=-1)  # on the unit circle up to rounding
    got = incircle(p[:, 0], p[:, 1], p[:, 2], p[:, 3])
    want = [exact_incircle(*p[k]) for k in range(200)]
    np.testing.assert_array_equal(got, want)


def test_predicates_reject_bad_shapes():
    with pytest.raises(InvalidInputError, match="'c'"):
        orient2d([0, 0], [1, 0], [0, 1, 2])
    with pytest.raises(InvalidInputError, match="'d'"):
        incircle([0, 0], [1, 0], [0, 1], 3.0)
