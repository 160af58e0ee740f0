"""Neuron geometry: directions, groups, kinks, breaklines, linear regions."""

import itertools

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon, box

from geoquant.errors import DegenerateInputError, InvalidInputError, TooLargeError
from geoquant.nn import (
    breaklines,
    cluster_directions,
    condensed_network,
    count_linear_pieces,
    dead_neurons,
    kinks_1d,
    linear_regions,
    network_forward,
    neuron_amplitudes,
    neuron_directions,
)


def relu(z):
    return np.maximum(z, 0.0)


def brute_f(W, a, x):
    """Slow reference: loop over neurons."""
    x = np.atleast_2d(x)
    out = np.zeros(x.shape[0])
    for (w_b, aj) in zip(W, a):
        out += aj * relu(x @ w_b[:-1] + w_b[-1])
    return out


def neuron_at(kink, *, scale=1.0, right=True):
    """1D neuron row [w, b] with its kink at ``kink``, active to the right (or left)."""
    w = scale if right else -scale
    return [w, -w * kink]


# --------------------------------------------------------------------------- #
# per-neuron quantities
# --------------------------------------------------------------------------- #
def test_directions_unit_and_zero_norm_flagged():
    W = np.array([[[3.0, 4.0], [0.0, 0.0], [-1.0, 0.0]], [[0.0, 0.0], [0.0, 2.0], [1e-300, 0.0]]])
    dirs, valid = neuron_directions(W)
    assert dirs.shape == W.shape and valid.shape == W.shape[:-1]
    assert not np.any(np.isnan(dirs))
    np.testing.assert_array_equal(valid, [[True, False, True], [False, True, True]])
    np.testing.assert_allclose(np.linalg.norm(dirs[valid], axis=-1), 1.0)
    np.testing.assert_array_equal(dirs[~valid], 0.0)
    np.testing.assert_allclose(dirs[0, 0], [0.6, 0.8])
    # atol marks tiny neurons as direction-less too
    _, valid_tol = neuron_directions(W, atol=1e-12)
    assert not valid_tol[1, 2]


def test_amplitudes_and_homogeneity(rng):
    W = rng.normal(size=(4, 6, 3))
    a = rng.normal(size=(4, 6))
    amp = neuron_amplitudes(W, a)
    np.testing.assert_allclose(amp, np.abs(a) * np.sqrt(np.sum(W**2, axis=-1)))
    # rescaling (a, w) -> (a / c, c w) leaves f unchanged but amplitude is invariant too
    c = rng.uniform(0.5, 2.0, size=(4, 6))
    np.testing.assert_allclose(neuron_amplitudes(W * c[..., None], a / c), amp)
    x = rng.normal(size=(10, 2))
    np.testing.assert_allclose(network_forward(W * c[..., None], a / c, x), network_forward(W, a, x))


def test_network_forward_matches_brute_force(rng):
    W = rng.normal(size=(3, 7, 3))
    a = rng.normal(size=(3, 7))
    x = rng.normal(size=(20, 2))
    out = network_forward(W, a, x, [0.0, 1.0, -2.0])
    assert out.shape == (3, 20)
    for m, c in enumerate([0.0, 1.0, -2.0]):
        np.testing.assert_allclose(out[m], brute_f(W[m], a[m], x) + c)
    # a result-like object works in place of (W, a); its output offset c is added
    W1, a1 = rng.normal(size=(5, 2)), rng.normal(size=5)
    xs = np.linspace(-2, 2, 9)[:, None]
    np.testing.assert_allclose(network_forward(W1, a1, xs), brute_f(W1, a1, xs))

    class R:
        pass

    r = R()
    r.W, r.a, r.c = W1, a1, 0.5
    np.testing.assert_allclose(network_forward(r, None, xs), brute_f(W1, a1, xs) + 0.5)


def test_dead_neurons_known_and_brute_force(rng):
    X = np.linspace(0.0, 1.0, 5)
    W = np.array([
        [1.0, -2.0],   # active only for x > 2: dead
        [-1.0, -0.5],  # active only for x < -0.5: dead
        [1.0, 0.0],    # active for x > 0: alive
        [-1.0, 0.0],   # zero at x = 0, negative elsewhere: dead (relu'(0) = 0)
        [0.0, 0.0],    # zero-norm: dead
        [0.0, 1.0],    # constant active: alive
    ])
    np.testing.assert_array_equal(dead_neurons(W, X), [True, True, False, True, True, False])
    W2 = rng.normal(size=(3, 40, 3))
    X2 = rng.uniform(-1, 1, size=(30, 2))
    expect = np.array([[all(w[:2] @ x + w[2] <= 0 for x in X2) for w in Wm] for Wm in W2])
    np.testing.assert_array_equal(dead_neurons(W2, X2), expect)


# --------------------------------------------------------------------------- #
# clustering
# --------------------------------------------------------------------------- #
def _direction(theta):
    return np.array([np.cos(theta), np.sin(theta)])


def test_cluster_merges_within_tolerance_and_splits_by_sign():
    t0, t1 = 0.3, 2.0
    W = np.array([
        _direction(t0), 2 * _direction(t0 + 1e-3), 0.5 * _direction(t0 - 2e-3),  # a > 0 cluster
        _direction(t0), _direction(t0 + 1e-3),                                      # same directions, a < 0
        _direction(t1),                                                             # far away
        1e-5 * _direction(-1.0),                                                    # negligible
        [0.0, 0.0],                                                                 # zero norm
    ])
    a = np.array([1.0, 1.0, 2.0, -1.0, -3.0, 0.5, 1e-5, 1.0])
    cl = cluster_directions(W, a, angle_tol=1e-2, min_amplitude_fraction=1e-3)
    assert cl.n_small == 2 and cl.n_dead == 0 and cl.width == 8
    assert len(cl) == 3
    by_members = {tuple(g.members): g for g in cl}
    assert set(by_members) == {(0, 1, 2), (3, 4), (5,)}
    gp, gn, gf = by_members[(0, 1, 2)], by_members[(3, 4)], by_members[(5,)]
    assert (gp.sign, gn.sign, gf.sign) == (1, -1, 1)
    assert (gp.count, gn.count, gf.count) == (3, 2, 1)
    np.testing.assert_allclose(gp.amplitude, 1.0 + 2.0 + 1.0)
    np.testing.assert_allclose(gn.amplitude, 4.0)
    np.testing.assert_allclose(np.linalg.norm(gp.direction), 1.0)
    assert abs(np.arctan2(gp.direction[1], gp.direction[0]) - t0) < 2e-3
    assert gp.spread < 1e-2
    # slope jump = sum a_j |w_j|; kink of the group direction = -b / w
    np.testing.assert_allclose(gp.jump, 1.0 * abs(np.cos(t0)) + 1.0 * abs(2 * np.cos(t0 + 1e-3))
                               + 2.0 * abs(0.5 * np.cos(t0 - 2e-3)))
    np.testing.assert_allclose(gf.kink, -np.tan(t1))
    # groups sorted by decreasing amplitude
    amps = [g.amplitude for g in cl]
    assert amps == sorted(amps, reverse=True)
    # tighter tolerance splits the positive cluster (spread 3e-3)
    cl2 = cluster_directions(W, a, angle_tol=1e-3, min_amplitude_fraction=1e-3)
    assert len(cl2) > 3


def test_complete_linkage_no_chaining_but_dbscan_chains():
    thetas = np.array([0.0, 0.006, 0.012, 0.018])
    W = np.stack([_direction(t) for t in thetas])
    a = np.ones(4)
    agg = cluster_directions(W, a, angle_tol=0.01)
    assert len(agg) == 2  # diameter 0.018 > 0.01 cannot be one complete-linkage group
    db = cluster_directions(W, a, angle_tol=0.01, method="dbscan")
    assert len(db) == 1 and db[0].count == 4


def test_cluster_diameter_bound_random(rng):
    # random directions on S^2, clustered: every pair inside a group is < tol apart
    U = rng.normal(size=(300, 3))
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    a = rng.choice([-1.0, 1.0], size=300)
    tol = 0.3
    cl = cluster_directions(U, a, angle_tol=tol, min_amplitude_fraction=0.0)
    seen = np.concatenate([g.members for g in cl])
    assert np.array_equal(np.sort(seen), np.arange(300))
    for g in cl:
        assert np.all(np.sign(a[g.members]) == g.sign)
        V = U[g.members]
        ang = np.arccos(np.clip(V @ V.T, -1, 1))
        assert ang.max() < tol + 1e-9


def test_cluster_excludes_dead_with_data_and_lines_in_2d():
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    W = np.array([
        [1.0, 0.0, -0.5],   # line x = 0.5, alive
        [0.0, 1.0, -5.0],   # active for y > 5: dead on X
        [1.0, 1.0, -1.0],   # line x + y = 1
    ])
    a = np.array([1.0, 1.0, -1.0])
    cl = cluster_directions(W, a, points=X)
    assert cl.n_dead == 1 and len(cl) == 2
    lines = {tuple(g.members): g.line for g in cl}
    assert lines[(0,)].length == pytest.approx(1.0)       # clipped to the bounding box [0, 1]^2
    assert lines[(2,)].length == pytest.approx(np.sqrt(2))
    cl_all = cluster_directions(W, a, points=X, exclude_dead=False)
    assert cl_all.n_dead == 0 and len(cl_all) == 3
    assert {tuple(g.members): g.line for g in cl_all}[(1,)] is None  # line y = 5 misses the box


def test_condensed_network_sums_amplitudes(rng):
    base = rng.normal(size=(4, 3))
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    # 5 copies of each direction with random positive rescalings: condensing is exact
    W = np.repeat(base, 5, axis=0) * rng.uniform(0.5, 2, size=(20, 1))
    a = np.repeat([1.0, -1.0, 2.0, -0.5], 5) * rng.uniform(0.5, 2, size=20)
    Wc, ac = condensed_network(W, a, angle_tol=1e-6, min_amplitude_fraction=0.0)
    assert Wc.shape == (4, 3)
    x = rng.normal(size=(50, 2))
    np.testing.assert_allclose(network_forward(Wc, ac, x), network_forward(W, a, x), atol=1e-12)


def test_batched_cluster_returns_one_result_per_model(rng):
    W = rng.normal(size=(3, 10, 2))
    a = rng.normal(size=(3, 10))
    res = cluster_directions(W, a, angle_tol=1e-6)
    assert isinstance(res, list) and len(res) == 3
    assert [sum(g.count for g in r) + r.n_small for r in res] == [10, 10, 10]


def _groups(cl):
    return [(g.count, g.sign, g.members.tolist(), g.amplitude, g.jump, g.direction.tolist()) for g in cl]


def test_cluster_directions_one_model_gives_one_and_a_stack_a_list(rng):
    # 2 copies of 4 directions per model (scaled), so every model has 4 groups of 2 (and n_small = 0)
    base = rng.normal(size=(3, 4, 3))
    W = np.concatenate([base, 2.5 * base], axis=1)
    a = np.abs(rng.normal(size=(3, 8))) + 0.5
    many = cluster_directions(W, a, angle_tol=1e-6)
    assert len(many) == 3 and all(len(cl) == 4 and [g.count for g in cl] == [2] * 4 for cl in many)
    for k in range(3):
        single = cluster_directions(W[k], a[k], angle_tol=1e-6)
        assert _groups(single) == _groups(many[k])
        one = cluster_directions(W[k : k + 1], a[k : k + 1], angle_tol=1e-6)
        assert isinstance(one, list) and len(one) == 1 and _groups(one[0]) == _groups(single)


def test_condensed_network_one_model_gives_one_pair_and_a_stack_a_list(rng):
    W = rng.normal(size=(3, 6, 2))
    W = np.concatenate([W, 3.0 * W[:, :2]], axis=1)  # neurons 6, 7 duplicate 0, 1
    a = rng.normal(size=(3, 8))
    a[:, 6:] = np.sign(a[:, :2])  # same sign as their twins: merged
    many = condensed_network(W, a, angle_tol=1e-6, min_amplitude_fraction=0.0)
    assert len(many) == 3
    x = rng.normal(size=(40, 1))
    for k in range(3):
        Wc, ac = condensed_network(W[k], a[k], angle_tol=1e-6, min_amplitude_fraction=0.0)
        assert Wc.shape == (6, 2) and ac.shape == (6,)
        assert np.array_equal(Wc, many[k][0]) and np.array_equal(ac, many[k][1])
        # exact merging reproduces the network
        np.testing.assert_allclose(network_forward(Wc, ac, x), network_forward(W[k], a[k], x), atol=1e-12)
    (Wc1, ac1), = condensed_network(W[1:2], a[1:2], angle_tol=1e-6, min_amplitude_fraction=0.0)
    assert np.array_equal(Wc1, many[1][0]) and np.array_equal(ac1, many[1][1])


# --------------------------------------------------------------------------- #
# 1D kinks
# --------------------------------------------------------------------------- #
def test_kinks_known_multiplicities_and_jumps():
    rows = [
        neuron_at(-0.5, scale=1.0), neuron_at(-0.5, scale=2.0, right=False), neuron_at(-0.5 + 1e-4, scale=0.5),
        neuron_at(0.25, scale=1.5),
        neuron_at(0.7), neuron_at(0.7 + 2e-4, right=False),
    ]
    W = np.array(rows)
    a = np.array([1.0, -2.0, 3.0, 0.5, 1.0, 1.0])
    kk = kinks_1d(W, a, angle_tol=1e-2)
    np.testing.assert_allclose(kk.positions, [-0.5, 0.25, 0.7], atol=3e-4)
    np.testing.assert_array_equal(kk.counts, [3, 1, 2])
    # jump = sum_j a_j |w_j| regardless of the active side
    np.testing.assert_allclose(kk.jumps, [1.0 * 1 - 2.0 * 2 + 3.0 * 0.5, 0.5 * 1.5, 1.0 + 1.0])
    assert [m.tolist() for m in kk.members] == [[0, 1, 2], [3], [4, 5]]
    # with zero tolerance the perturbed neurons are separate kinks
    assert len(kinks_1d(W, a, angle_tol=0.0)) == 5


def test_kinks_reproduce_finite_difference_slope_jumps(rng):
    kinks = np.array([-0.8, -0.3, 0.1, 0.45, 0.9])
    W = np.array([neuron_at(k, scale=s, right=r)
                  for k, s, r in zip(kinks, rng.uniform(0.5, 2, 5), [True, False, True, False, True])])
    a = rng.normal(size=5)
    kk = kinks_1d(W, a, angle_tol=1e-3)
    np.testing.assert_allclose(kk.positions, kinks, atol=1e-12)
    h = 1e-6
    for x, jump in zip(kk.positions, kk.jumps):
        def f(t):
            return float(network_forward(W, a, [[t]])[0])
        right = (f(x + h) - f(x)) / h
        left = (f(x) - f(x - h)) / h
        assert right - left == pytest.approx(jump, abs=1e-6)


def test_kinks_skip_small_flat_and_dead():
    W = np.array([neuron_at(0.2), neuron_at(-0.4), [0.0, 1.0], neuron_at(3.0), neuron_at(0.6)])
    a = np.array([1.0, 1e-8, 1.0, 1.0, 0.0])
    kk = kinks_1d(W, a)
    assert kk.n_small == 2 and kk.n_flat == 1
    np.testing.assert_allclose(kk.positions, [0.2, 3.0])
    kd = kinks_1d(W, a, points=np.linspace(-1, 1, 5), exclude_dead=True)
    assert kd.n_dead == 1 and len(kd) == 1


def test_count_linear_pieces_1d():
    W = np.array([neuron_at(-0.5), neuron_at(0.0), neuron_at(0.3), neuron_at(0.3, right=False), neuron_at(2.0)])
    # the two neurons at 0.3: relu(z) - relu(-z) = z is affine, so that kink cancels
    a = np.array([1.0, -1.0, 1.0, -1.0, 1.0])
    X = np.linspace(-1, 1, 11)
    assert count_linear_pieces(W, a, X) == 3  # kinks at -0.5 and 0 inside; 0.3 cancels; 2.0 outside
    assert count_linear_pieces(W, a, hull=(-0.6, 3.0)) == 4
    # a kink exactly on the hull boundary does not create a piece
    assert count_linear_pieces(W, a, hull=(-0.5, 0.25)) == 2
    # brute force on a fine grid: runs of equal slope; a cell holding a kink has an
    # intermediate slope and forms a run of length 1, which is not a piece
    xs = np.linspace(-1, 1, 3001) + 1e-5
    slopes = np.diff(network_forward(W, a, xs[:, None])) / np.diff(xs)
    starts = np.flatnonzero(np.r_[True, np.abs(np.diff(slopes)) > 1e-8])
    lengths = np.diff(np.r_[starts, slopes.size])
    assert count_linear_pieces(W, a, X) == np.sum(lengths >= 2)
    batched = count_linear_pieces(np.stack([W, W]), np.stack([a, -a]), X)
    assert batched.dtype == np.int64
    np.testing.assert_array_equal(batched, [3, 3])
    np.testing.assert_array_equal(count_linear_pieces(W[None], a[None], X), [3])
    assert type(count_linear_pieces(W, a, X)) is int


# --------------------------------------------------------------------------- #
# 2D: breaklines and regions
# --------------------------------------------------------------------------- #
BOX = np.array([[-1.0, 1.0], [-1.0, 1.0]])


def expected_region_count(W, poly):
    """Arrangement formula for lines in general position: 1 + L + #intersections inside."""
    lines = []
    for w1, w2, b in W:
        seg = shapely.geometry.LineString([(-100, (-b + 100 * w1) / w2), (100, (-b - 100 * w1) / w2)]) \
            if abs(w2) > 1e-12 else shapely.geometry.LineString([(-b / w1, -100), (-b / w1, 100)])
        if seg.intersection(poly).length > 0:
            lines.append((w1, w2, b))
    n_inter = 0
    for (p, q) in itertools.combinations(lines, 2):
        A = np.array([p[:2], q[:2]])
        x = np.linalg.solve(A, -np.array([p[2], q[2]]))
        if poly.contains(shapely.geometry.Point(x)):
            n_inter += 1
    return 1 + len(lines) + n_inter


def sample_in(poly, n, rng):
    xmin, ymin, xmax, ymax = poly.bounds
    pts = rng.uniform([xmin, ymin], [xmax, ymax], size=(20 * n, 2))
    inside = shapely.contains_xy(poly, pts[:, 0], pts[:, 1])
    return np.vstack([pts[inside][:n], np.asarray(poly.representative_point().coords)])


def check_regions(W, a, poly, regions, rng, bias=0.0):
    assert sum(r.polygon.area for r in regions) == pytest.approx(poly.area, rel=1e-9)
    # regions do not overlap
    assert shapely.unary_union([r.polygon for r in regions]).area == pytest.approx(poly.area, rel=1e-9)
    for r in regions:
        pts = sample_in(r.polygon, 20, rng)
        np.testing.assert_allclose(r(pts), brute_f(W, a, pts) + bias, atol=1e-10)


def test_three_lines_in_a_box():
    W = np.array([[1.0, 0.2, -0.1], [-0.3, 1.0, 0.2], [1.0, 1.0, 0.3]])
    a = np.array([1.0, -0.7, 0.4])
    poly = box(-1, -1, 1, 1)
    regions = linear_regions(W, a, BOX)
    assert len(regions) == expected_region_count(W, poly) == 7  # 1 + 3 lines + 3 crossings
    check_regions(W, a, poly, regions, np.random.default_rng(1))
    # line 3 shifted to x + y = -0.8: its crossing with line 1 moves to y = -1.125: 1 + 3 + 2
    W2 = W.copy()
    W2[2, 2] = 0.8
    regions2 = linear_regions(W2, a, BOX, c=0.5)
    assert len(regions2) == expected_region_count(W2, poly) == 6
    check_regions(W2, a, poly, regions2, np.random.default_rng(2), bias=0.5)


def test_random_arrangement_matches_formula(rng):
    # some lines miss the box (|b| large): they only shift the maps
    W = rng.normal(size=(25, 3)) * [1.0, 1.0, 1.2]
    a = rng.normal(size=25)
    poly = box(-1, -1, 1, 1)
    regions = linear_regions(W, a, BOX)
    assert len(regions) == expected_region_count(W, poly)
    check_regions(W, a, poly, regions, rng)


def test_regions_in_nonconvex_domain(rng):
    L = Polygon([(0, 0), (2, 0), (2, 1), (1, 1), (1, 2), (0, 2)])
    W = rng.normal(size=(8, 3))
    W[:, 2] = -(W[:, :2] @ rng.uniform(0, 2, size=(8, 2)).T).diagonal()  # lines through points of [0, 2]^2
    a = rng.normal(size=8)
    regions = linear_regions(W, a, L)
    check_regions(W, a, L, regions, rng)


def test_cancelling_neurons_merge_regions():
    # relu(z) - relu(-z) = z: no crease along x = 0.2, so only the line y = 0.1 cuts
    W = np.array([[1.0, 0.0, -0.2], [-1.0, 0.0, 0.2], [0.0, 1.0, -0.1]])
    a = np.array([1.0, -1.0, 2.0])
    regions = linear_regions(W, a, BOX)
    assert len(regions) == 2
    check_regions(W, a, box(-1, -1, 1, 1), regions, np.random.default_rng(3))
    assert sorted(r.polygon.area for r in regions) == pytest.approx([1.8, 2.2])
    # the same neurons not cancelling: 4 regions
    assert len(linear_regions(W, np.array([1.0, 1.0, 2.0]), BOX)) == 4


def test_breakline_jumps_match_numerical_gradient(rng):
    W = np.array([[1.0, 0.5, -0.2], [-2.0, 1.0, 0.3], [0.5, -1.0, 0.1], [1.0, 0.5, -0.2]])
    a = np.array([0.7, -1.1, 0.4, 0.3])
    bls = breaklines(W, a, BOX, angle_tol=1e-6)
    assert len(bls) == 3 and sorted(bl.count for bl in bls) == [1, 1, 2]
    h = 1e-6
    for bl in bls:
        mid = np.asarray(bl.line.interpolate(0.5, normalized=True).coords[0])
        assert bl.normal @ mid + bl.offset == pytest.approx(0.0, abs=1e-12)

        def grad(p):
            e = np.eye(2) * h
            return np.array([(brute_f(W, a, p + e[k]) - brute_f(W, a, p - e[k]))[0] / (2 * h) for k in range(2)])

        eps = 1e-3
        jump = grad(mid + eps * bl.normal) - grad(mid - eps * bl.normal)
        np.testing.assert_allclose(jump, bl.jump * bl.normal, atol=1e-5)
    # lines that miss the domain are not reported
    assert len(breaklines(W, a, [[5.0, 6.0], [5.0, 6.0]])) == 0


def test_count_linear_pieces_2d(rng):
    X = rng.uniform(-1, 1, size=(40, 2))
    W = np.array([[1.0, 0.2, -0.1], [-0.3, 1.0, 0.2], [1.0, 1.0, 0.3]])
    a = np.array([1.0, -0.7, 0.4])
    hull = shapely.geometry.MultiPoint(X).convex_hull
    assert count_linear_pieces(W, a, X) == expected_region_count(W, hull)
    # duplicated neurons (condensation) and a tiny one do not add pieces
    Wd = np.vstack([W, W * 2.0, [[0.3, -1.0, 0.05]]])
    ad = np.concatenate([a, a / 2.0, [1e-9]])
    assert count_linear_pieces(Wd, ad, X) == expected_region_count(W, hull)
    assert count_linear_pieces(W, a, hull=BOX) == 7


def test_linear_regions_with_tolerances_use_condensed_network(rng):
    base = np.array([[1.0, 0.2, -0.1], [-0.3, 1.0, 0.2]])
    W = np.vstack([base, base + 1e-5 * rng.normal(size=(2, 3)), [[1.0, 1.0, 0.3]]])
    a = np.array([1.0, -0.7, 1.0, -0.7, 1e-9])
    regions = linear_regions(W, a, BOX, angle_tol=1e-3, min_amplitude_fraction=1e-3)
    assert len(regions) == 4
    exact = linear_regions(W, a, BOX)
    assert len(exact) > 4  # near-duplicate lines and the tiny neuron cut slivers


def _region_key(regions):
    return [(r.polygon.wkb, r.gradient.tolist(), r.offset) for r in regions]


class _Result:
    def __init__(self, W, a, c):
        self.W, self.a, self.c = W, a, c


def test_linear_regions_one_model_gives_a_list_and_a_stack_a_list_per_model(rng):
    W = rng.normal(size=(3, 4, 3))
    a = rng.normal(size=(3, 4))
    c = np.array([0.5, -1.0, 2.0])
    many = linear_regions(W, a, BOX, c=c)
    assert len(many) == 3
    for k in range(3):
        single = linear_regions(W[k], a[k], BOX, c=c[k])
        assert _region_key(single) == _region_key(many[k])
        assert sum(r.polygon.area for r in single) == pytest.approx(4.0, rel=1e-12)
        # each region's map is the network on the region
        for r in single:
            p = np.asarray(r.polygon.representative_point().coords[0])
            assert r(p) == pytest.approx(network_forward(W[k], a[k], p) + c[k], abs=1e-12)
        assert _region_key(linear_regions(W[k : k + 1], a[k : k + 1], BOX, c=c[k : k + 1])[0]) == _region_key(single)
    # a result's output offset c: per model for the stack, the scalar for a one-model result
    assert [_region_key(r) for r in linear_regions(_Result(W, a, c), domain=BOX)] == [_region_key(r) for r in many]
    one = linear_regions(_Result(W[1:2], a[1:2], c[1:2]), domain=BOX)
    assert _region_key(one) == _region_key(many[1])
    # without c the regions are the same and every offset is lower by that model's c
    plain = linear_regions(W, a, BOX)
    for k in range(3):
        assert [r.polygon.wkb for r in plain[k]] == [r.polygon.wkb for r in many[k]]
        assert [r.offset + c[k] for r in plain[k]] == pytest.approx([r.offset for r in many[k]], abs=1e-12)


def test_too_many_lines_refused(rng):
    W = rng.normal(size=(30, 3)) * [1.0, 1.0, 0.2]
    with pytest.raises(TooLargeError, match="max_lines"):
        linear_regions(W, rng.normal(size=30), BOX, max_lines=10)


# --------------------------------------------------------------------------- #
# bad input
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: neuron_amplitudes(np.ones(3), np.ones(3)), "'W'"),
        (lambda: neuron_amplitudes(np.ones((3, 1)), np.ones(3)), "'W'"),
        (lambda: neuron_amplitudes(np.ones((3, 2)), np.ones(4)), "'a'"),
        (lambda: neuron_amplitudes(np.ones((3, 2)), None), "'a'"),
        (lambda: neuron_amplitudes([[np.nan, 1.0]], [1.0]), "'W'"),
        (lambda: neuron_directions(np.ones((3, 2)), atol=-1.0), "'atol'"),
        (lambda: dead_neurons(np.ones((3, 3)), np.ones((4, 3))), "'points'"),
        (lambda: network_forward(np.ones((3, 3)), np.ones(3), np.ones((4, 1))), "'points'"),
        (lambda: network_forward(np.ones((3, 2)), np.ones(3), np.ones((4, 1)), [1.0, 2.0]), "'c'"),
        (lambda: network_forward(np.ones((2, 3, 2)), np.ones((2, 3)), np.ones((4, 1)), [1.0, 2.0, 3.0]), "'c'"),
        (lambda: network_forward(np.ones((2, 3, 2)), np.ones((2, 3)), np.ones((3, 4, 1))), "'points'"),
        (lambda: network_forward(np.full((3, 2), np.nan), np.ones(3), np.ones((4, 1))), "'W'"),
        (lambda: network_forward(np.ones((3, 2)), np.ones(2), np.ones((4, 1))), "'a'"),
        (lambda: network_forward(np.ones((3, 2)), np.ones(3), np.ones((4, 1)), hidden=[np.ones((3, 3))]), "'hidden'"),
        (lambda: cluster_directions(np.ones((3, 2)), np.ones(3), angle_tol=-0.1), "'angle_tol'"),
        (lambda: cluster_directions(np.ones((3, 2)), np.ones(3), min_amplitude_fraction=1.0),
         "'min_amplitude_fraction'"),
        (lambda: cluster_directions(np.ones((3, 2)), np.ones(3), method="kmeans"), "'method'"),
        (lambda: cluster_directions(np.ones((3, 2)), np.ones(3), domain=BOX), "'domain'"),
        (lambda: cluster_directions(np.ones((2, 2, 3, 2)), np.ones((2, 2, 3))), "'W'"),
        (lambda: kinks_1d(np.ones((3, 3)), np.ones(3)), "'W'"),
        (lambda: breaklines(np.ones((3, 2)), np.ones(3), BOX), "'W'"),
        (lambda: breaklines(np.ones((3, 3)), np.ones(3), None), "'domain'"),
        (lambda: breaklines(np.ones((3, 3)), np.ones(3), np.ones(3)), "'domain'"),
        (lambda: breaklines(np.ones((3, 3)), np.ones(3), shapely.geometry.Point(0, 0)), "'domain'"),
        (lambda: linear_regions(np.ones((3, 3)), np.ones(3), BOX, c=[1.0, 2.0]), "'c'"),
        (lambda: linear_regions(np.ones((2, 3, 3)), np.ones((2, 3)), BOX, c=[1.0, 2.0, 3.0]), "'c'"),
        (lambda: linear_regions(np.ones((3, 3)), np.ones(3), BOX, max_lines=0), "'max_lines'"),
        (lambda: count_linear_pieces(np.ones((3, 2)), np.ones(3)), "'points'"),
        (lambda: count_linear_pieces(np.ones((3, 4)), np.ones(3), np.ones((5, 3))), "'W'"),
        (lambda: count_linear_pieces(np.ones((3, 2)), np.ones(3), hull=(1.0, 0.0)), "'hull'"),
    ],
)
def test_bad_input_names_argument(call, name):
    with pytest.raises(InvalidInputError) as info:
        call()
    assert name in str(info.value)


def test_degenerate_domains_and_hulls():
    with pytest.raises(DegenerateInputError, match="'domain'"):
        linear_regions(np.ones((3, 3)), np.ones(3), [[1.0, 0.0], [0.0, 1.0]])
    with pytest.raises(DegenerateInputError, match="'points'"):
        count_linear_pieces(np.ones((3, 3)), np.ones(3), np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]))
