"""Counting triangulations: known counts, an independent brute force, invariances, errors."""

from fractions import Fraction
from itertools import combinations
from math import comb

import numpy as np
import pytest

from geoquant.errors import DegenerateInputError, DuplicatePointsError, InvalidInputError, TooLargeError, UnsupportedError
from geoquant.triangulation import NearDegeneracyWarning, count_triangulations
from tests.conftest import grid_points


def catalan(k):
    return comb(2 * k, k) // (k + 1)


def convex_polygon(n, seed=0):
    rng = np.random.default_rng(seed)
    theta = np.sort(rng.random(n)) * 2 * np.pi
    return np.column_stack([np.cos(theta), np.sin(theta)])


# ------------------------------------------------------------------------------------------
# independent brute force: a triangulation of a point set S (no point of S inside an edge)
# is exactly a maximal set of pairwise compatible segments; non-fine triangulations are the
# fine triangulations of the subsets S that contain every hull corner.


def _orient(a, b, c):
    v = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
    return (v > 0) - (v < 0)


def _strictly_between(p, a, b):
    if _orient(a, b, p) != 0 or p == a or p == b:
        return False
    return min(a, b) < p < max(a, b)  # tuples: lexicographic order is the order on a line


def _compatible(e, f, P):
    (a, b), (c, d) = e, f
    shared = {a, b} & {c, d}
    if len(shared) == 2:
        return True
    pa, pb, pc, pd = P[a], P[b], P[c], P[d]
    if shared:
        # sharing one endpoint: incompatible only if collinear and overlapping
        s = shared.pop()
        u = b if a == s else a
        v = d if c == s else c
        if _orient(P[s], P[u], P[v]) != 0:
            return True
        return not (_strictly_between(P[u], P[s], P[v]) or _strictly_between(P[v], P[s], P[u])
                    or ((P[u] > P[s]) == (P[v] > P[s])))
    o1, o2, o3, o4 = _orient(pa, pb, pc), _orient(pa, pb, pd), _orient(pc, pd, pa), _orient(pc, pd, pb)
    if o1 * o2 < 0 and o3 * o4 < 0:
        return False
    return not any(
        (_strictly_between(pc, pa, pb), _strictly_between(pd, pa, pb), _strictly_between(pa, pc, pd),
         _strictly_between(pb, pc, pd))
    )


def _maximal_cliques(nodes, adj):
    out = []

    def bk(r, p, x):
        if not p and not x:
            out.append(r)
            return
        pivot = max(p | x, key=lambda u: len(adj[u] & p))
        for v in list(p - adj[pivot]):
            bk(r | {v}, p & adj[v], x & adj[v])
            p = p - {v}
            x = x | {v}

    bk(frozenset(), set(nodes), set())
    return out


def _hull_corners(P):
    n = len(P)
    corners = []
    for i in range(n):
        others = [j for j in range(n) if j != i]
        inside = any(
            _orient(P[a], P[b], P[c]) != 0
            and all(_orient(u, v, P[i]) * _orient(P[a], P[b], P[c]) >= 0 for u, v in ((P[a], P[b]), (P[b], P[c]), (P[c], P[a])))
            for a, b, c in combinations(others, 3)
        ) or any(_strictly_between(P[i], P[a], P[b]) for a, b in combinations(others, 2))
        if not inside:
            corners.append(i)
    return corners


def brute_force_triangulations(points, fine=True):
    """Every (fine) triangulation as a frozenset of edges (original indices), by brute force."""
    P = [(Fraction(float(x)), Fraction(float(y))) for x, y in np.asarray(points, dtype=float)]
    n = len(P)
    corners = set(_hull_corners(P))
    optional = [i for i in range(n) if i not in corners]
    subsets = [range(n)] if fine else [
        sorted(corners | set(extra)) for r in range(len(optional) + 1) for extra in combinations(optional, r)
    ]
    result = []
    for S in subsets:
        S = list(S)
        edges = [
            (a, b) for a, b in combinations(S, 2)
            if not any(_strictly_between(P[c], P[a], P[b]) for c in S if c not in (a, b))
        ]
        adj = {e: {f for f in edges if f != e and _compatible(e, f, P)} for e in edges}
        for clique in _maximal_cliques(edges, adj):
            if {v for e in clique for v in e} == set(S):  # maximal sets on S use all of S
                result.append(frozenset(clique))
    return result


# ------------------------------------------------------------------------------------------
# known counts


@pytest.mark.parametrize("n", range(3, 13))
def test_convex_polygon_catalan(n):
    pts = convex_polygon(n, seed=n)
    assert count_triangulations(pts) == catalan(n - 2)
    assert count_triangulations(pts, fine=False) == catalan(n - 2)  # every point is a corner


def test_grid_3x3_fine_and_all():
    assert count_triangulations(grid_points(3, 3)) == 64
    assert count_triangulations(grid_points(3, 3), fine=False) == 387


@pytest.mark.parametrize("n", range(1, 8))
def test_two_row_lattice_binomial(n):
    assert count_triangulations(grid_points(2, n + 1)) == comb(2 * n, n)


def test_three_row_lattice():
    # OEIS A296165 / Kaibel-Ziegler
    assert [count_triangulations(grid_points(3, n + 1)) for n in range(1, 6)] == [6, 64, 852, 12170, 182132]


def test_4x4_and_4x5_grids():
    assert count_triangulations(grid_points(4, 4)) == 46456
    assert count_triangulations(grid_points(4, 4), fine=False) == 2799614
    assert count_triangulations(grid_points(4, 5)) == 2822648


def test_5x5_grid():
    # Kaibel-Ziegler; about 0.2 s here, so not marked slow
    assert count_triangulations(grid_points(5, 5)) == 736983568


@pytest.mark.slow
def test_6x6_grid():
    # Kaibel-Ziegler's table, (5, 5) squares
    assert count_triangulations(grid_points(6, 6)) == 260420548144996


# ------------------------------------------------------------------------------------------
# agreement with brute force, including degenerate (collinear) configurations


@pytest.mark.parametrize("seed", range(6))
def test_random_sets_match_brute_force(seed):
    rng = np.random.default_rng(seed)
    pts = rng.random((7 + seed % 2, 2))
    for fine in (True, False):
        assert count_triangulations(pts, fine=fine) == len(brute_force_triangulations(pts, fine))


@pytest.mark.parametrize("seed", range(6))
def test_lattice_subsets_match_brute_force(seed):
    # random subsets of a 4x4 lattice: many collinear triples, points inside hull edges
    rng = np.random.default_rng(100 + seed)
    pts = grid_points(4, 4)[np.sort(rng.choice(16, size=8, replace=False))]
    if np.linalg.matrix_rank(pts[1:] - pts[0]) < 2:
        pytest.skip("collinear draw")
    for fine in (True, False):
        assert count_triangulations(pts, fine=fine) == len(brute_force_triangulations(pts, fine))


def test_brute_force_reproduces_known_counts():
    # the brute force itself is checked on the known 3x3 numbers
    assert len(brute_force_triangulations(grid_points(3, 3))) == 64
    assert len(brute_force_triangulations(grid_points(3, 3), fine=False)) == 387


def test_points_on_hull_edges_only():
    # a triangle with points inside two of its sides and two inside it
    tri = np.array([[0, 0], [3, 0], [0, 3], [1, 0], [2, 0], [0, 1], [1, 1], [0.5, 0.75]], float)
    for fine in (True, False):
        assert count_triangulations(tri, fine=fine) == len(brute_force_triangulations(tri, fine))


# ------------------------------------------------------------------------------------------
# invariances


def test_count_invariant_under_permutation_and_affine_maps():
    rng = np.random.default_rng(5)
    pts = np.vstack([grid_points(3, 3), [[0.5, 0.25], [1.5, 1.75]]])
    ref = count_triangulations(pts)
    ref_all = count_triangulations(pts, fine=False)
    perm = rng.permutation(len(pts))
    rot = np.array([[0.0, -1.0], [1.0, 0.0]])  # exact quarter turn
    for q in (pts[perm], pts @ rot.T, pts * np.array([2.0, -0.5]) + 7.0, pts[:, ::-1]):
        assert count_triangulations(q) == ref
        assert count_triangulations(q, fine=False) == ref_all


# ------------------------------------------------------------------------------------------
# 1D


@pytest.mark.parametrize("n", [2, 3, 5, 9])
def test_line_counts(n):
    x = np.random.default_rng(n).permutation(n).astype(float) * 0.7
    assert count_triangulations(x) == 1
    assert count_triangulations(x[:, None], fine=False) == 2 ** (n - 2) if n >= 2 else 1


# ------------------------------------------------------------------------------------------
# errors


def test_three_dimensions_unsupported():
    with pytest.raises(UnsupportedError, match="random_regular_triangulation"):
        count_triangulations(np.random.default_rng(0).random((6, 3)))


def test_collinear_2d_points_rejected_with_1d_hint():
    pts = np.column_stack([np.arange(5.0), 2 * np.arange(5.0) + 1])
    with pytest.raises(DegenerateInputError, match="'points' are all collinear.*1D"):
        count_triangulations(pts)


def test_duplicates_rejected():
    pts = np.vstack([grid_points(2, 2), [[1.0, 1.0]]])
    with pytest.raises(DuplicatePointsError, match="'points'"):
        count_triangulations(pts)


def test_bad_fine_and_max_states():
    with pytest.raises(InvalidInputError, match="'fine'"):
        count_triangulations(grid_points(2, 2), fine="yes")
    with pytest.raises(InvalidInputError, match="'max_states'"):
        count_triangulations(grid_points(2, 2), max_states=0)


def test_state_budget_exceeded():
    with pytest.raises(TooLargeError, match="max_states=100.*random_regular_triangulation"):
        count_triangulations(grid_points(4, 4), max_states=100)


def test_hopeless_sizes_refused_up_front():
    rng = np.random.default_rng(0)
    with pytest.raises(TooLargeError, match="estimated.*interior"):
        count_triangulations(rng.random((60, 2)))
    with pytest.raises(TooLargeError, match="at most 80 points"):
        count_triangulations(convex_polygon(100))


def test_decimal_lattice_is_counted_exactly_and_warns():
    # 0.1 is not a binary fraction: the scaled lattice is a perturbed configuration (TOPCOM,
    # given the same exact rationals, also reports 82,300); the warning names the cause
    with pytest.warns(NearDegeneracyWarning, match="'points'.*collinear up to rounding"):
        assert count_triangulations(grid_points(4, 4) * 0.1) == 82300
    # scaling by a power of two is exact: same order type, no warning
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert count_triangulations(grid_points(4, 4) * 0.25) == 46456
