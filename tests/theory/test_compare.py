"""Comparisons: exact sup distance, kinks at data points, nearest triangulation, direction matching."""

import numpy as np
import pytest

from geoquant.errors import InvalidInputError
from geoquant.triangulation import count_triangulations
from geoquant.theory import (
    compare_directions,
    extremal_directions,
    kink_distances,
    nearest_triangulation_sup,
    predict_function,
    sup_distance,
)
from geoquant.theory._alignment import augment


def _net(W, a):
    return lambda x: np.maximum(augment(x) @ W.T, 0.0) @ a


def test_sup_distance_exact_vs_dense(rng):
    for d in (1, 2):
        X = rng.uniform(-1, 1, (8, d))
        W1, a1 = rng.normal(size=(5, d + 1)), rng.normal(size=5)
        W2, a2 = rng.normal(size=(4, d + 1)), rng.normal(size=4)
        exact = sup_distance((W1, a1), (W2, a2), X)
        # dense sampling inside the hull never exceeds it and comes close
        if d == 1:
            P = np.linspace(X.min(), X.max(), 200001)[:, None]
        else:
            lam = rng.dirichlet(np.ones(len(X)) * 0.05, size=200000)
            P = lam @ X
        dense = np.max(np.abs(_net(W1, a1)(P) - _net(W2, a2)(P)))
        assert dense <= exact + 1e-12
        assert dense >= exact * (0.999 if d == 1 else 0.95)


def test_kink_distances():
    x = np.array([-1, -0.6, -0.2, 0.2, 0.5, 0.9])
    y = np.array([0.3, -0.5, 0.4, -0.2, 0.6, -0.1])
    p = predict_function(x, y, refit="cells")
    k, dist = kink_distances(p, x)
    assert np.all((k > -1) & (k < 0.9))
    assert np.allclose(dist, 0.0)  # this prediction bends at data points only
    bf = predict_function([-0.75, -0.5, 0.125], [1.1, 0.1, 0.8], refit="cells")
    k2, _ = kink_distances(bf, [-0.75, -0.5, 0.125])
    assert k2.size == 0  # the kink (x = 10.46) is outside the data
    k3, d3 = kink_distances(np.array([0.0, 0.3, 5.0]), x, inside=False)
    assert np.allclose(d3, [0.2, 0.1, 4.1])
    W = np.array([[1.0, -0.3], [2.0, 1.0]])
    k4, d4 = kink_distances((W, np.array([1.0, -1.0])), x)
    assert np.allclose(np.sort(k4), [-0.5, 0.3]) and np.allclose(np.sort(d4), [0.1, 0.1])


def test_nearest_triangulation_recovers_interpolant():
    from geoquant.interpolate import PiecewiseLinearInterpolant
    from geoquant.triangulation import flip_graph

    rng = np.random.default_rng(3)
    X = rng.uniform(0, 1, (6, 2))
    tris, _ = flip_graph(X)
    T0 = tris[len(tris) // 2]
    v = rng.normal(size=6)
    I0 = PiecewiseLinearInterpolant(T0, v)
    # creases of I0 lie on the lines through its edges
    E = X[T0.edges]
    n = np.column_stack([E[:, 0, 1] - E[:, 1, 1], E[:, 1, 0] - E[:, 0, 0]])
    lines = np.column_stack([n, -np.sum(n * E[:, 0], axis=1)])
    res = nearest_triangulation_sup(I0, X, v, creases=lines)
    assert res.exhaustive and res.n_candidates == len(tris)
    assert res.self_distance < 1e-9 and res.self_tri.key() == T0.key()
    assert res.data_distance < 1e-9
    assert np.sum(res.self_distances < 1e-9) == 1
    # every other triangulation is at a positive distance, measured at the exact candidates
    k = int(np.argsort(res.self_distances)[1])
    P = rng.dirichlet(np.ones(6) * 0.05, size=100000) @ X
    dense = np.max(np.abs(I0(P) - PiecewiseLinearInterpolant(res.candidates[k], v)(P)))
    assert dense <= res.self_distances[k] + 1e-12 and dense >= 0.9 * res.self_distances[k]


def test_compare_directions_synthetic(rng):
    x = np.array([-1, -0.6, -0.2, 0.2, 0.5, 0.9])
    y = np.array([0.3, -0.5, 0.4, -0.2, 0.6, -0.1])
    ext = [e for e in extremal_directions(x, y) if e.stable]
    W, a = [], []
    for e in ext:
        for _ in range(20):
            w = e.direction + 1e-4 * rng.normal(size=2)
            W.append(w * 1e-3)
            a.append(e.sign * 1e-3)
    cmp = compare_directions(np.array(W), np.array(a), x, y, angle_tol=1e-2)
    assert len(cmp.signs) == len(ext)
    assert np.all(cmp.matched(1e-3))
    assert np.all(cmp.extremal_angles[[i for i, e in enumerate(cmp.extremal) if e.stable]] < 1e-3)
    with pytest.raises(InvalidInputError, match="'a'"):
        compare_directions(np.array(W), None, x, y)
    with pytest.raises(InvalidInputError, match="points"):
        compare_directions(np.array(W), np.array(a))


def test_nearest_triangulation_sampled_and_prediction():
    rng = np.random.default_rng(4)
    X = rng.uniform(0, 1, (7, 2))
    y = rng.normal(size=7)
    p = predict_function(X, y)
    full = nearest_triangulation_sup(p, X, y)
    part = nearest_triangulation_sup(p, X, y, limit=3, n_samples=40, seed=1)
    assert full.exhaustive and not part.exhaustive
    assert part.n_candidates <= 40
    # sampled candidates are a subset: their best is never better than the exhaustive best
    assert part.self_distance >= full.self_distance - 1e-12
    assert part.data_distance >= full.data_distance - 1e-12
    assert np.isclose(full.self_distance, full.self_distances.min())
    # the result says how much of the set it compared: all of it, or n_candidates of n_triangulations
    assert full.n_triangulations == full.n_candidates == count_triangulations(X, fine=True) > 3
    assert part.n_triangulations == full.n_triangulations > part.n_candidates
    assert nearest_triangulation_sup(p, X, triangulations=full.candidates[:2]).n_triangulations is None


def test_nearest_triangulation_is_deprecated_for_nearest_triangulation_sup():
    import geoquant
    from geoquant.theory import nearest_triangulation

    X = np.random.default_rng(4).uniform(0, 1, (6, 2))
    f = lambda x: np.abs(x[:, 0] - 0.5) + x[:, 1] ** 2  # noqa: E731
    new = nearest_triangulation_sup(f, X, X[:, 0])
    with pytest.warns(DeprecationWarning, match="nearest_triangulation_sup"):
        old = nearest_triangulation(f, X, X[:, 0])
    assert old.self_distance == new.self_distance and old.data_distance == new.data_distance
    assert np.array_equal(old.self_distances, new.self_distances)
    assert geoquant.nearest_triangulation is nearest_triangulation


def test_errors():
    from geoquant.errors import UnsupportedError

    X = np.random.default_rng(0).uniform(0, 1, (5, 2))
    f = lambda x: x[:, 0]  # noqa: E731
    with pytest.raises(InvalidInputError, match="limit"):
        nearest_triangulation_sup(f, X, limit=0)
    with pytest.raises(InvalidInputError, match="n_samples"):
        nearest_triangulation_sup(f, X, n_samples=0)
    with pytest.raises(InvalidInputError, match="'f'"):
        nearest_triangulation_sup(3.0, X)
    with pytest.raises(InvalidInputError, match="points"):
        nearest_triangulation_sup(f, np.arange(4.0))
    with pytest.raises(UnsupportedError, match="n_dims"):
        sup_distance(f, f, np.random.default_rng(0).normal(size=(6, 3)))
    with pytest.raises(InvalidInputError, match="points"):
        kink_distances([0.5], X)
    with pytest.raises(InvalidInputError, match="'W'"):
        sup_distance((np.ones((3, 2)), np.ones(2)), f, np.arange(4.0))
