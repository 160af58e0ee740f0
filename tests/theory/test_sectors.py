"""Activation sectors: exact counts (Cover, Zaslavsky) and agreement of the geometric and LP methods."""

import numpy as np
import pytest

from geoquant.errors import DegenerateInputError, DuplicatePointsError, InvalidInputError
from geoquant.theory import arrangement_count_2d, cover_count, sectors
from geoquant.theory._alignment import augment
from tests.conftest import grid_points


def _pattern_set(sec):
    return {p.tobytes() for p in np.packbits(sec.patterns, axis=1)}


def _check_interior(sec):
    Xh = augment(sec.points)
    Xh /= np.linalg.norm(Xh, axis=1, keepdims=True)
    vals = sec.directions @ Xh.T
    assert np.all(np.abs(vals) > 1e-12)
    assert np.array_equal(vals > 0, sec.patterns)
    assert np.allclose(np.linalg.norm(sec.directions, axis=1), 1.0)


@pytest.mark.parametrize("n", [2, 3, 5, 9])
def test_count_1d_is_2n(n, rng):
    sec = sectors(rng.uniform(-2, 2, n))
    assert len(sec) == 2 * n == cover_count(n, 1)
    _check_interior(sec)
    # dead cell and all-active cell exist in 1D
    assert sec.dead >= 0 and sec.index_of(np.ones(n, bool)) >= 0


@pytest.mark.parametrize("n", [3, 4, 6, 10])
def test_count_2d_general_position(n, rng):
    X = rng.uniform(-1, 1, (n, 2))
    sec = sectors(X)
    assert len(sec) == n * n - n + 2 == cover_count(n, 2) == arrangement_count_2d(X)
    _check_interior(sec)
    assert np.array_equal(sec.locate(sec.directions), np.arange(len(sec)))


@pytest.mark.parametrize("n", [4, 7])
def test_geometric_matches_lp_2d(n, rng):
    X = rng.normal(size=(n, 2))
    assert _pattern_set(sectors(X)) == _pattern_set(sectors(X, method="lp"))


def test_grid_3x3_degenerate():
    X = grid_points(3, 3)
    geo, lp = sectors(X), sectors(X, method="lp")
    # Zaslavsky: 8 lines with 3 points, 12 with 2 -> 2 + 2 * (8 * 2 + 12) = 58
    assert arrangement_count_2d(X) == 58
    assert len(geo) == len(lp) == 58
    assert _pattern_set(geo) == _pattern_set(lp)
    _check_interior(geo)
    assert len(geo) < cover_count(9, 2)


def test_grid_4x4_and_collinear_points():
    X = grid_points(4, 4)
    assert len(sectors(X)) == arrangement_count_2d(X) == 174
    # five points, four of them on one line
    Y = np.array([[0, 0], [1, 0], [2, 0], [3, 0], [1, 1]], float)
    assert len(sectors(Y)) == arrangement_count_2d(Y) == len(sectors(Y, method="lp"))
    # lines: the 4-point line (m=4) and 4 two-point lines -> 2 + 2 * (3 + 4) = 16
    assert arrangement_count_2d(Y) == 16


def test_euler_formula_on_sphere(rng):
    X = rng.uniform(-1, 1, (7, 2))
    sec = sectors(X)
    V = len(sec.vertices)
    E = int(np.sum(sec.vertex_signs == 0))  # sum over vertices of circles through them
    assert V - E + len(sec) == 2
    # every cell's vertices satisfy its closed sign constraints
    Xh = augment(X) / np.linalg.norm(augment(X), axis=1, keepdims=True)
    for k, cv in enumerate(sec.cell_vertices):
        s = np.where(sec.patterns[k], 1.0, -1.0)
        assert np.all(s * (sec.vertices[cv] @ Xh.T) >= -1e-12)


@pytest.mark.parametrize("n", [5, 7])
def test_count_3d_cover(n, rng):
    X = rng.uniform(-1, 1, (n, 3))
    sec = sectors(X)
    assert sec.method == "lp"
    assert len(sec) == cover_count(n, 3)
    _check_interior(sec)


def test_fields_are_pattern_sums(rng):
    X = rng.uniform(-1, 1, (5, 2))
    r = rng.normal(size=5)
    sec = sectors(X)
    D = sec.fields(r)
    k = 3
    expect = (r[sec.patterns[k]][:, None] * augment(X)[sec.patterns[k]]).sum(axis=0)
    assert np.allclose(D[k], expect)


def test_errors():
    with pytest.raises(DuplicatePointsError, match="points"):
        sectors([[0, 0], [0, 0], [1, 1], [2, 0]])
    with pytest.raises(DegenerateInputError, match="points"):
        sectors([[0, 0], [1, 1], [2, 2]])
    with pytest.raises(InvalidInputError, match="method"):
        sectors([0.0, 1.0], method="magic")
    with pytest.raises(InvalidInputError, match="method"):
        sectors(np.eye(4)[:, :3] + np.arange(4)[:, None] * 0.1, method="geometric")
    with pytest.raises(InvalidInputError, match="atol"):
        sectors([0.0, 1.0], atol=-1)
    sec = sectors([0.0, 1.0, 2.0])
    with pytest.raises(InvalidInputError, match="pattern"):
        sec.index_of([True])
    with pytest.raises(InvalidInputError, match="w"):
        sec.locate(np.zeros(3))
