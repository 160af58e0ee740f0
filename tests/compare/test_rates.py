"""Rates that mean something: a fixed evaluation region, RMS errors, bootstrap intervals, the Delaunay
self-check, and the minnorm columns of interpolating networks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geoquant.compare import (
    EvalConfig,
    Evaluator,
    bootstrap_interval,
    fit_rates,
    get_method,
    mark_pre_asymptotic,
    rate_self_check,
)
from geoquant.compare import _metrics as M
from geoquant.errors import InvalidInputError
from geoquant.points import sample_points
from geoquant.targets import get_target


# ----------------------------------------------------------------------------------------------
# the evaluation region: the same for every n when the sample holds the box's corners
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["uniform", "sobol", "halton", "clustered"])
@pytest.mark.parametrize("dim", [1, 2])
def test_corners_are_in_the_sample(kind, dim):
    box = np.array([[-1.0, 2.0], [0.5, 1.5]])[:dim]
    X = sample_points(3 * 2**dim + 1, dim, kind, seed=3, domain=box, corners=True)
    assert X.shape == (3 * 2**dim + 1, dim)
    corners = {tuple(c) for c in np.array(np.meshgrid(*box, indexing="ij")).reshape(dim, -1).T}
    assert {tuple(p) for p in X[: 2**dim]} == corners
    assert np.all((X >= box[:, 0]) & (X <= box[:, 1]))
    # seeded: same seed, same points; the drawn part is the kind's own draw of n - 2**dim points
    assert np.array_equal(X, sample_points(3 * 2**dim + 1, dim, kind, seed=3, domain=box, corners=True))
    assert np.array_equal(X[2**dim:], sample_points(3 * 2**dim + 1 - 2**dim, dim, kind, seed=3, domain=box))


@pytest.mark.parametrize("dim", [1, 2])
def test_inner_region_is_the_same_for_every_n_with_corners(dim):
    target = get_target("runge" if dim == 1 else "franke", n_dims=dim)
    box = np.asarray(target.domain, dtype=float).reshape(dim, 2)
    width = box[:, 1] - box[:, 0]
    expected = float(np.prod(0.8 * width))  # inner_margin 0.1 on each side
    for n in (2**dim, 2**dim + 1, 10, 40):
        for seed in range(4):
            X = sample_points(n, dim, "uniform", seed=seed, domain=box, corners=True)
            ev = Evaluator(target, X, target(X), EvalConfig())
            assert ev.inner_full
            assert ev.volume["inner"] == pytest.approx(expected, rel=1e-12)


def test_inner_region_without_corners_is_detected_and_its_rms_refused():
    target = get_target("franke", n_dims=2)
    found = False
    for seed in range(10):
        X = sample_points(10, 2, "uniform", seed=seed)
        ev = Evaluator(target, X, target(X), EvalConfig())
        full = ev.volume["inner"] >= 0.64 * (1 - 1e-9)
        assert ev.inner_full == full
        if not full:
            found = True
            m = get_method("delaunay")
            m.fit(X, target(X))
            out = ev.evaluate(m)
            assert out["inner_full"] == 0.0 and out["rms_inner"] is None
            assert out["rms_hull"] == pytest.approx(out["l2_hull"] / np.sqrt(out["vol_hull"]), rel=1e-12)
    assert found  # ten uniform samples of 10 points: some hull misses part of [0.1, 0.9]^2


def test_corners_bad_input():
    with pytest.raises(InvalidInputError, match="'corners'.*grid"):
        sample_points(9, 2, "grid", corners=True)
    with pytest.raises(InvalidInputError, match="'corners'.*polygon"):
        sample_points(9, 2, "polygon", polygon=[[0, 0], [1, 0], [0, 1]], corners=True)
    with pytest.raises(InvalidInputError, match="'n' must be at least 2\\*\\*n_dims = 4"):
        sample_points(3, 2, "uniform", corners=True)
    with pytest.raises(InvalidInputError, match="'corners' must be True or False"):
        sample_points(8, 2, "uniform", corners="yes")


def test_rms_inner_of_linear_interpolation_of_x_squared_is_h2_over_sqrt30():
    # f = x^2, f - I f = t (h - t) on each interval: integral h^5 / 30, so the RMS is h^2 / sqrt(30)
    target = get_target("quadratic", n_dims=1)
    for k in (11, 21, 41):  # spacing h = 1 / (k - 1); the inner region [0.1, 0.9] is aligned with the nodes
        X = np.linspace(0.0, 1.0, k)[:, None]
        ev = Evaluator(target, X, target(X), EvalConfig())
        m = get_method("delaunay")
        m.fit(X, target(X))
        out = ev.evaluate(m)
        h = 1.0 / (k - 1)
        assert out["inner_full"] == 1.0
        assert out["rms_inner"] == pytest.approx(h**2 / np.sqrt(30.0), rel=1e-9)
        assert out["rms_hull"] == pytest.approx(h**2 / np.sqrt(30.0), rel=1e-9)


# ----------------------------------------------------------------------------------------------
# bootstrap intervals and fitted rates
# ----------------------------------------------------------------------------------------------
def test_bootstrap_interval_basic_facts():
    assert bootstrap_interval([-1.0, -1.0, -1.0]) == (-1.0, -1.0)
    v = np.array([-1.2, -0.9, -1.05, -1.0, -0.95])
    lo, hi = bootstrap_interval(v, seed=4)
    assert (lo, hi) == bootstrap_interval(v, seed=4)
    assert v.min() <= lo < v.mean() < hi <= v.max()
    assert np.all(np.isnan(bootstrap_interval([-1.0])))
    lo99, hi99 = bootstrap_interval(v, level=0.99, seed=4)
    assert lo99 <= lo and hi99 >= hi
    with pytest.raises(InvalidInputError, match="'values' must be finite"):
        bootstrap_interval([1.0, np.nan])
    with pytest.raises(InvalidInputError, match="'level'"):
        bootstrap_interval([1.0, 2.0], level=1.5)


def test_bootstrap_interval_covers_the_mean_about_95_percent():
    rng = np.random.default_rng(0)
    hits = 0
    trials = 300
    for t in range(trials):
        v = rng.normal(-1.0, 0.1, size=20)
        lo, hi = bootstrap_interval(v, n_boot=1000, seed=t)
        hits += lo <= -1.0 <= hi
    # percentile bootstrap of a mean of 20 normals: coverage close to 0.95 (a little below);
    # binomial sd over 300 trials is 0.013
    assert 0.88 <= hits / trials <= 0.99


def _synthetic(slopes_by_method, sizes, dim=2, target="franke"):
    rows = []
    for method, slopes in slopes_by_method.items():
        for seed, s in enumerate(slopes):
            for n in sizes:
                rows.append({"status": "done", "target": target, "target_label": target, "target_params": "{}",
                             "dim": dim, "sampler": "uniform", "method": method, "n": n, "seed": seed,
                             "rms_inner": 3.0 * n**s})
    return pd.DataFrame(rows)


def test_fit_rates_recovers_per_seed_slopes_and_their_interval():
    slopes = [-1.02, -0.98, -1.0, -1.05, -0.97]
    df = _synthetic({"delaunay": slopes}, [16, 64, 256, 1024])
    r = fit_rates(df)
    assert r["metric"].iloc[0] == "rms_inner"
    row = r.iloc[0]
    assert row["slope_mean"] == pytest.approx(np.mean(slopes), abs=1e-12)
    assert row["n_seeds"] == 5
    lo, hi = bootstrap_interval(slopes, seed=0)
    assert (row["slope_lo"], row["slope_hi"]) == pytest.approx((lo, hi), abs=1e-12)
    assert row["half_width"] == pytest.approx((hi - lo) / 2, abs=1e-15)
    assert row["slope_lo"] < row["slope_mean"] < row["slope_hi"]


def test_self_check_passes_fails_and_marks_every_rate_of_the_case():
    sizes = [16, 64, 256, 1024]
    good = _synthetic({"delaunay": [-1.0, -1.01, -0.99, -1.0], "knn": [-0.5, -0.6, -0.55, -0.5]}, sizes)
    slow = _synthetic({"delaunay": [-0.8, -0.82, -0.79, -0.81], "knn": [-0.5] * 4}, sizes, target="runge")
    noisy = _synthetic({"delaunay": [-0.6, -1.4, -0.7, -1.3], "knn": [-0.5] * 4}, sizes, target="gaussian")
    d1 = _synthetic({"delaunay": [-2.0, -1.98, -2.02]}, sizes, dim=1, target="sines")
    alone = _synthetic({"knn": [-0.5, -0.5]}, sizes, target="ridge")
    rates = fit_rates(pd.concat([good, slow, noisy, d1, alone], ignore_index=True))
    check = rate_self_check(rates).set_index("target")
    assert bool(check.loc["franke", "passed"]) and check.loc["franke", "reason"] == ""
    assert bool(check.loc["sines", "passed"]) and check.loc["sines", "window"] == (-2.2, -1.8)
    assert not check.loc["runge", "passed"] and "outside [-1.1, -0.9]" in check.loc["runge", "reason"]
    assert not check.loc["gaussian", "passed"] and "half-width" in check.loc["gaussian", "reason"]
    assert not check.loc["ridge", "passed"] and "no delaunay rate" in check.loc["ridge", "reason"]
    marked = mark_pre_asymptotic(rates)
    pre = marked.groupby("target")["pre_asymptotic"].agg(["all", "any"])
    assert not pre.loc["franke", "any"] and not pre.loc["sines", "any"]
    assert pre.loc["runge", "all"] and pre.loc["gaussian", "all"] and pre.loc["ridge", "all"]
    assert len(marked) == len(rates)


# ----------------------------------------------------------------------------------------------
# the minnorm columns of interpolating networks
# ----------------------------------------------------------------------------------------------
def _as_network(W, a, status="interpolating", X=None, y=None, c=0.0):
    net = get_method("network_small")
    res = {"failed": {}, "W": [np.asarray(W, float)], "a": [np.asarray(a, float)], "c": [float(c)],
           "info": {"train_status": [status]}, "device": "cpu"}
    if X is not None:
        net.adopt(X, y, res, 0)
    else:
        net.set_trained(res, 0)
    return net


@pytest.mark.parametrize("dim", [1, 2])
def test_the_minnorm_interpolant_as_a_network_has_ratio_one_and_sup_zero(dim):
    from geoquant.theory import minnorm_interpolant

    target = get_target("runge", n_dims=dim)
    X = sample_points(7 if dim == 1 else 8, dim, "uniform", seed=1, domain=target.domain, corners=True)
    y = target(X)
    ev = Evaluator(target, X, y, EvalConfig())
    mn = minnorm_interpolant(X, y)
    out = ev.minnorm_comparison(_as_network(mn.W, mn.a, X=X, y=y))
    assert out["minnorm_cost_ratio"] == pytest.approx(1.0, abs=1e-9)
    assert out["minnorm_sup"] == pytest.approx(0.0, abs=1e-8)
    assert out["minnorm_set_sup"] == pytest.approx(0.0, abs=1e-7)

    # a neuron dead on the whole hull adds its cost and changes nothing there: ratio (C* + |a||w|) / C*, sup 0
    lo = X.min(axis=0)
    w = np.ones(dim)
    dead = np.concatenate([w, [-(w @ X.max(axis=0)) - 1.0]])  # w.x + b <= -1 on the box
    W2 = np.vstack([mn.W, dead])
    a2 = np.concatenate([mn.a, [2.0]])
    out2 = ev.minnorm_comparison(_as_network(W2, a2, X=X, y=y))
    extra = 2.0 * np.linalg.norm(w)
    assert out2["minnorm_cost_ratio"] == pytest.approx((mn.cost + extra) / mn.cost, rel=1e-9)
    assert out2["minnorm_sup"] == pytest.approx(0.0, abs=1e-8)
    assert np.all(lo >= X.min(axis=0))


def test_linear_spline_network_in_1d_ratio_at_least_one_and_exact_sup():
    from geoquant.theory import minnorm_interpolant

    target = get_target("sines", n_dims=1)
    X = sample_points(12, 1, "uniform", seed=5, domain=target.domain, corners=True)
    y = target(X)
    order = np.argsort(X[:, 0])
    xs, ys = X[order, 0], y[order]
    # the linear spline through the data as a ReLU network: slope s_0 from the left end, then kinks at the data
    slopes = np.diff(ys) / np.diff(xs)
    W = [[1.0, -xs[0]]]  # relu(x - x_0), x >= x_0 on the hull
    a = [slopes[0]]
    for i in range(1, len(xs) - 1):
        W.append([1.0, -xs[i]])
        a.append(slopes[i] - slopes[i - 1])
    W.append([0.0, 1.0])  # the constant y_0 (a bias-only neuron, free in the representation cost)
    a.append(ys[0])
    W, a = np.array(W), np.array(a)
    net = _as_network(W, a, X=X, y=y)
    assert np.allclose(net.predict(X), y, atol=1e-12)
    ev = Evaluator(target, X, y, EvalConfig())
    out = ev.minnorm_comparison(net)
    mn = minnorm_interpolant(X, y)
    assert out["minnorm_cost_ratio"] >= 1 - 1e-9
    assert out["minnorm_cost_ratio"] == pytest.approx(np.sum(np.abs(a) * np.abs(W[:, 0])) / mn.cost, rel=1e-12)
    # sup over the inner region [0.1, 0.9]: exact (breakpoints) against a dense grid
    grid = np.linspace(0.1, 0.9, 200_001)[:, None]
    dense = float(np.max(np.abs(net.predict(grid) - mn(grid))))
    assert dense <= out["minnorm_sup"] + 1e-12
    assert out["minnorm_sup"] <= dense + 1e-4
    # the distance to the set of minimisers: at most the distance to the one the solver returns
    assert 0.0 <= out["minnorm_set_sup"] <= out["minnorm_sup"] + 1e-9


@pytest.mark.parametrize("dim", [1, 2])
def test_a_centred_network_keeps_its_offset_in_the_set_distance(dim):
    """A centred network (``center = true``) is ``sum_j a_j relu(w_j . x + b_j) + c``: the minimum-norm
    interpolant of y - 0.7, shifted back by c = 0.7, is a minimiser of y (the cost leaves constants free),
    so its distance to the set is 0, and at most its distance to the solver's interpolant. Before the fix
    the offset was dropped: the distance was |c| = 0.7 while minnorm_sup said 0."""
    from geoquant.theory import minnorm_interpolant

    target = get_target("runge", n_dims=dim)
    X = sample_points(7 if dim == 1 else 8, dim, "uniform", seed=1, domain=target.domain, corners=True)
    y = target(X)
    ev = Evaluator(target, X, y, EvalConfig())
    mn0 = minnorm_interpolant(X, y - 0.7)
    net = _as_network(mn0.W, mn0.a, X=X, y=y, c=0.7)
    assert np.allclose(net.predict(X), y, atol=1e-7)
    out = ev.minnorm_comparison(net)
    assert out["minnorm_cost_ratio"] == pytest.approx(1.0, abs=1e-6)
    assert out["minnorm_set_sup"] == pytest.approx(0.0, abs=1e-6)
    assert out["minnorm_set_sup"] <= out["minnorm_sup"] + 1e-9


def test_minnorm_set_sup_sees_a_minimiser_that_minnorm_sup_calls_far():
    # convex data: the function with one kink at 1.5 on [1, 2] is a minimiser, 0.5 from the solver's spline
    target = get_target("sines", n_dims=1)
    X = np.array([[0.0], [0.25], [0.5], [0.75]])
    y = np.array([0.0, 0.0, 0.25, 0.75])
    ev = Evaluator(target, X, y, EvalConfig(regions=("hull",)))
    net = _as_network(np.array([[1.0, -0.375]]), np.array([2.0]), X=X, y=y)
    out = ev.minnorm_comparison(net)
    assert out["minnorm_cost_ratio"] == pytest.approx(1.0, abs=1e-9)
    assert out["minnorm_sup"] == pytest.approx(0.125, abs=1e-9)
    assert out["minnorm_set_sup"] == pytest.approx(0.0, abs=1e-9)


def test_minnorm_columns_are_nan_for_non_interpolating_networks_and_large_n(monkeypatch):
    target = get_target("runge", n_dims=1)
    X = sample_points(10, 1, "uniform", seed=0, domain=target.domain, corners=True)
    y = target(X)
    ev = Evaluator(target, X, y, EvalConfig())
    W = np.array([[1.0, 0.0], [0.0, 1.0]])
    net = _as_network(W, [0.3, 0.1], status="stationary", X=X, y=y)
    nan = {"minnorm_cost_ratio": None, "minnorm_sup": None, "minnorm_set_sup": None}
    assert ev.minnorm_comparison(net) == nan
    assert "minnorm_note" not in net.info()
    monkeypatch.setitem(M.MINNORM_MAX_N, 1, 5)
    net = _as_network(W, [0.3, 0.1], X=X, y=y)
    assert ev.minnorm_comparison(net) == nan
    assert "n = 10 > 5" in net.info()["minnorm_note"]
