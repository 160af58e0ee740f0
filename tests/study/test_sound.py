"""A sound comparison: network distances to triangulations, regime grids, labels, training state in studies."""

import itertools

import numpy as np
import pytest
from scipy.integrate import quad

from geoquant.study import load_results, load_spec, run_study, study_status
from geoquant.compare._distances import _pl_distance_1d, nearest_knot_spline_1d, nearest_triangulation
from geoquant.compare._metrics import EvalConfig, Evaluator
from geoquant.errors import SpecError
from geoquant.interpolate import PiecewiseLinearInterpolant
from geoquant.targets import get_target
from geoquant.theory import END_STATES
from geoquant.triangulation import Triangulation


def _relu_net_1d(kinks, jumps, c0, s0, x0):
    """f(x) = c0 + s0 (x - x0) + sum_k jump_k relu(x - kink_k) on x >= x0 - 1 as relu neurons (no bias term)."""
    W = [[1.0, 1.0 - x0], [1.0, -x0]]  # relu(x - x0 + 1) - relu(x - x0) = 1 on x >= x0
    a = [c0, s0 - c0]
    for k, j in zip(kinks, jumps):
        W.append([1.0, -k])
        a.append(j)
    return np.array(W), np.array(a)


class _Net:
    family = "network"
    name = "network_small"
    piecewise_linear = False
    triangulation = None

    def exact_metrics(self, evaluator):
        return None

    def __init__(self, W, a):
        self.W, self.a = W, a

    def predict(self, x):
        x = np.asarray(x, dtype=float)
        shape = x.shape[:-1] if x.ndim > 1 else x.shape
        x = x.reshape(-1, self.W.shape[1] - 1)
        return (np.maximum(np.column_stack([x, np.ones(len(x))]) @ self.W.T, 0.0) @ self.a).reshape(shape)


def test_pl_distance_1d_is_exact_against_adaptive_quadrature():
    rng = np.random.default_rng(0)
    x = np.sort(rng.uniform(0, 1, 7))
    W, a = _relu_net_1d(rng.uniform(0, 1, 4), rng.normal(size=4), 0.3, -1.0, x[0])
    g = _Net(W, a)
    kinks = -W[:, 1] / W[:, 0]
    gx = g.predict(x)
    got = _pl_distance_1d(g.predict, x, gx, kinks, 0.1, 0.9)
    ref = quad(lambda t: (g.predict([t])[0] - np.interp(t, x, gx)) ** 2, 0.1, 0.9, points=list(kinks) + list(x),
               limit=200)[0]
    assert got == pytest.approx(np.sqrt(ref), rel=1e-9)


def test_nearest_knot_spline_agrees_with_brute_force_over_subsets():
    rng = np.random.default_rng(1)
    x = rng.permutation(np.linspace(0, 1, 8) + rng.uniform(-0.03, 0.03, 8))
    W, a = _relu_net_1d(rng.uniform(0, 1, 3), rng.normal(size=3), 0.0, 0.5, x.min())
    g = _Net(W, a)
    kinks = -W[:, 1] / W[:, 0]
    gx = g.predict(x)
    order = np.argsort(x)
    for k in (0, 1, 2, 3):
        knots, l2 = nearest_knot_spline_1d(x, gx, g.predict, k, kinks=kinks)
        best = np.inf
        for sub in itertools.combinations(order[1:-1], k):
            idx = np.array([order[0], *sorted(sub, key=lambda i: x[i]), order[-1]])
            d = _pl_distance_1d(g.predict, x[idx], gx[idx], kinks, x.min(), x.max())
            best = min(best, d)
        assert l2 == pytest.approx(best, rel=1e-9, abs=1e-14)
        assert len(knots) == k + 2 and x[knots[0]] == x.min() and x[knots[-1]] == x.max()
    # with every data point a knot it is the linear interpolant of the data
    full = nearest_knot_spline_1d(x, gx, g.predict, 100, kinks=kinks)[1]
    assert full == pytest.approx(_pl_distance_1d(g.predict, x, gx, kinks, x.min(), x.max()), rel=1e-12)


def test_network_that_is_the_linear_spline_has_zero_between_data_distance():
    f = get_target("sines", n_dims=1)
    rng = np.random.default_rng(2)
    x = np.sort(rng.uniform(0, 1, 9))
    y = f(x[:, None])
    slopes = np.diff(y) / np.diff(x)
    W, a = _relu_net_1d(x[1:-1], np.diff(slopes), y[0], slopes[0], x[0])
    net = _Net(W, a)
    np.testing.assert_allclose(net.predict(x), y, atol=1e-12)
    ev = Evaluator(f, x[:, None], y, EvalConfig())
    d = ev.network_distances(net)
    assert d["between_l2"] < 1e-12 and d["nearest_l2"] < 1e-12 and d["nearest_exact"] is True
    assert d["n_kinks"] == 7 and d["nearest_knots_l2"] < 1e-12  # kinks at the 7 interior data points
    # the fit error is Delaunay's own error on the inner region
    from geoquant.compare import get_method

    de = ev.evaluate(get_method("delaunay").fit(x, y))
    assert d["fit_l2"] == pytest.approx(de["l2_inner"], rel=1e-12)
    # and the full evaluation keeps the triangle inequality l2 <= fit + between
    out = ev.evaluate(net)
    assert out["l2_inner"] <= d["fit_l2"] + d["between_l2"] + 1e-9


def _pl_function(X, simplices, values):
    interp = PiecewiseLinearInterpolant(Triangulation(X, simplices), values)
    return lambda q: interp(np.asarray(q, dtype=float))


def test_nearest_triangulation_finds_the_triangulation_a_function_is_linear_on():
    from geoquant.triangulation import sample_triangulations

    rng = np.random.default_rng(3)
    X = rng.uniform(0, 1, size=(9, 2))
    (T,) = sample_triangulations(X, 1, seed=4)
    simp = np.asarray(T.simplices if hasattr(T, "simplices") else T)
    vals = rng.normal(size=9)
    g = _pl_function(X, simp, vals)
    got, l2sq, exact = nearest_triangulation(g, X, vals)
    assert exact and l2sq < 1e-20
    canon = lambda s: sorted(map(tuple, np.sort(np.asarray(s), axis=1)))  # noqa: E731
    assert canon(got) == canon(simp)


def test_nearest_triangulation_old_argument_order_warns_and_agrees():
    X = np.random.default_rng(2).uniform(0, 1, (6, 2))
    g = lambda p: np.abs(p[..., 0] - 0.4) * p[..., 1]  # noqa: E731
    vals = g(X)
    new = nearest_triangulation(g, X, vals)
    with pytest.warns(DeprecationWarning, match=r"nearest_triangulation\(f, points, values\)"):
        old = nearest_triangulation(X, vals, g)
    assert np.array_equal(old[0], new[0]) and old[1:] == new[1:]


def test_nearest_triangulation_exact_minimum_against_enumeration_by_dp_and_by_integer_program():
    from geoquant.compare._metrics import pl_errors
    from geoquant.triangulation import enumerate_triangulations

    rng = np.random.default_rng(5)
    X = rng.uniform(0, 1, size=(7, 2))

    def g(q):
        q = np.asarray(q, dtype=float)
        return np.abs(q[..., 0] - 0.4) + np.maximum(q[..., 1] - q[..., 0], 0.0)

    vals = g(X)
    _, l2sq, exact = nearest_triangulation(g, X, vals)
    totals = [pl_errors(X, np.asarray(t.simplices if hasattr(t, "simplices") else t), g, values=vals, linf_order=2)[0].sum()
              for t in enumerate_triangulations(X)]
    assert exact and l2sq == pytest.approx(min(totals), rel=1e-12)
    # above exact_max_points the integer program (optimal_triangulation) answers: the same exact minimum
    simp, l2sq_ip, exact_ip = nearest_triangulation(g, X, vals, exact_max_points=3)
    n_tri = len(next(iter(enumerate_triangulations(X))).simplices)
    assert exact_ip and l2sq_ip == pytest.approx(min(totals), rel=1e-9) and len(simp) == n_tri


#: a one-network study on sines 1D (n = 6); tests append the network entry's parameters
_ONE_NETWORK_SPEC = """
[study]
seeds = [0]
[[targets]]
name = "sines"
dim = 1
sizes = [6]
[[samplers]]
kind = "uniform"
[[methods]]
name = "network_small"
"""


def test_regime_axes_expand_to_a_grid_and_reject_repeats():
    base = _ONE_NETWORK_SPEC + 'label = "net"\n'
    spec = load_spec(base + "init_scale = [0.1, 1e-4, 1e-10]\nwidth = [10, 20]\nlr = 0.1\n")
    labels = [m["label"] for m in spec.methods]
    assert len(labels) == 6 and labels[0] == "net[init_scale=0.1,width=10]"
    assert {(m["params"]["init_scale"], m["params"]["width"]) for m in spec.methods} == set(
        itertools.product([0.1, 1e-4, 1e-10], [10, 20]))
    assert len(spec.tasks()) == 6
    with pytest.raises(SpecError, match="init_scale"):
        load_spec(base + "init_scale = [0.1, 0.1]\n")
    with pytest.raises(SpecError, match="init_scale"):
        load_spec(base + "init_scale = [0.1, -1.0]\n")


def test_impossible_gd_budget_is_a_clear_error_in_a_spec_and_in_the_library():
    # issue 9, bad input: 1e9 / 1e-6 = 1e15 GD steps would run for years, never silently
    from geoquant.compare import get_method
    from geoquant.compare.methods._networks import MAX_GD_STEPS
    from geoquant.errors import InvalidInputError

    base = _ONE_NETWORK_SPEC + 'mode = "gd"\n'
    with pytest.raises(SpecError, match=r"methods\[0\].*impossible budget.*t_max = 1e\+09 at lr = 1e-06.*1e\+15 GD steps"):
        load_spec(base + "t_max = 1e9\nlr = 1e-6\n")
    with pytest.raises(InvalidInputError, match=r"impossible budget: n_steps = 100000001"):
        get_method("network_small", mode="gd", n_steps=MAX_GD_STEPS + 1)
    # the same budget is fine for the adaptive flow (its evaluation budget stops it), and at the cap for GD
    assert get_method("network_small", mode="flow", t_max=1e9, lr=1e-6).params["t_max"] == 1e9
    assert get_method("network_small", mode="gd", t_max=MAX_GD_STEPS * 0.5, lr=0.5).params["lr"] == 0.5
    assert len(load_spec(base + "t_max = 5000.0\nlr = 0.05\n").methods) == 1


SPEC = """
[study]
name = "sound"
seeds = [0, 1]
sizes = [6]

[[targets]]
name = "sines"
dim = 1

[[targets]]
name = "franke"
dim = 2
sizes = [8]

[[samplers]]
kind = "uniform"

[[methods]]
name = "delaunay"

[[methods]]
name = "triangulation_best"

[[methods]]
name = "network_small"
width = 8
init_scale = [1e-1, 1e-3]
t_max = 30.0

[[methods]]
name = "network_small"
label = "net_gd"
mode = "gd"
width = 8
init_scale = 0.1
lr = 0.05
t_max = 5.0
"""


@pytest.fixture(scope="module")
def sound_study(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sound")
    spec = tmp / "spec.toml"
    spec.write_text(SPEC)
    out = tmp / "out"
    run_study(spec, out, workers=0, progress=False)
    return out


def test_load_results_has_every_contract_column(sound_study):
    df = load_results(sound_study)
    contract = ["train_loss", "train_rmse_rel", "grad_norm", "flow_time", "train_steps", "loss_increases",
                "train_status", "init_scale", "width", "lr", "fit_l2", "between_l2", "nearest_l2", "nearest_exact",
                "exact", "oracle"]
    assert set(contract) <= set(df.columns)
    assert (df["status"] == "done").all()
    net = df[df["family"] == "network"]
    other = df[df["family"] != "network"]
    assert len(net) == 2 * 2 * 3
    assert set(net["train_status"]) <= set(END_STATES)
    assert set(net["trainer_status"]) <= {"interpolating", "stationary", "unstable", "budget"}
    # the certificate columns are there for every network
    assert net[["escape_value", "escape_sign"]].notna().all().all() and (net["escape_value"] >= 0).all()
    assert set(net["escape_sign"]) <= {1, -1}
    assert net[["train_loss", "grad_norm", "flow_time", "fit_l2", "between_l2", "nearest_l2"]].notna().all().all()
    assert other[["train_loss", "fit_l2", "init_scale"]].isna().all().all()
    # the training state is consistent: 1/2 mean squared loss <-> relative RMSE, flow time = budget or less
    np.testing.assert_allclose(net["train_rmse_rel"] * 0 + np.sqrt(2 * net["train_loss"]),
                               np.sqrt(2 * net["train_loss"]))
    assert (net[net["method"] != "net_gd"]["flow_time"] <= 30.0 + 1e-9).all()
    gd = net[net["method"] == "net_gd"]
    assert (gd["lr"] == 0.05).all() and (gd["train_steps"] == 100).all()
    assert net[net["method"] != "net_gd"]["lr"].isna().all()
    assert set(net["init_scale"]) == {0.1, 1e-3} and (net["width"] == 8).all()
    # distances: nearest <= between (Delaunay is one candidate); 1D: equal; l2 <= fit + between
    assert (net["nearest_l2"] <= net["between_l2"] * (1 + 1e-9) + 1e-15).all()
    one = net[net["dim"] == 1]
    np.testing.assert_allclose(one["nearest_l2"], one["between_l2"], rtol=1e-12)
    assert (net["l2_inner"] <= (net["fit_l2"] + net["between_l2"]) * (1 + 1e-3) + 1e-9).all()
    assert net["nearest_exact"].astype(bool).all()  # 6 and 8 points: exact
    # labels: best triangulation is an oracle; everything here is exact
    assert df.loc[df["method_name"] == "triangulation_best", "oracle"].all()
    assert not df.loc[df["method_name"] != "triangulation_best", "oracle"].any()
    assert df["exact"].astype(bool).all()


def test_study_status_counts_training_statuses(sound_study):
    st = study_status(sound_study)
    df = load_results(sound_study)
    for label, g in df[df["family"] == "network"].groupby("method"):
        counts = g["train_status"].value_counts()
        for s in END_STATES:
            assert st.loc[label, s] == counts.get(s, 0)
        assert st.loc[label, list(END_STATES)].sum() == st.loc[label, "done"]
    assert st.loc["delaunay", list(END_STATES)].sum() == 0


def test_impossible_budget_and_unstable_step_are_flagged_in_the_result():
    from geoquant.compare import get_method

    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, 8)
    y = np.sin(3 * X)
    m = get_method("network_small", width=10, init_scale=1e-10, t_max=1.0).fit(X, y, seed=0)
    assert "earliest escape time" in m.info()["warning"] and m.info()["train_status"] == "budget"
    m = get_method("network_small", mode="gd", width=20, init="gaussian", init_scale=0.5, lr=3.0, n_steps=300).fit(
        X, y, seed=5)
    assert m.info()["train_status"] == "unstable"
    assert m.info()["loss_increases"] > 0 or "stability limit" in (m.info()["warning"] or "") or \
        "training_failure" in m.info()


def test_theory_trainer_directions_are_the_networks_initial_directions():
    from geoquant.compare import get_method
    from geoquant.compare.methods._networks import train_networks

    X = np.array([-0.8, -0.3, 0.1, 0.6, 0.9])
    y = np.array([0.5, -1.0, 0.7, -1.2, 0.4])
    p = get_method("network_small", width=6, init_scale=1e-3, t_max=1.0).params
    res = train_networks([X[:, None]], [y], [p], [7])
    from geoquant.nn import train_gd

    r = train_gd(X[:, None], y, width=6, init_scale=1e-3, lr=1e-9, n_steps=0, seed=[7], checkpoints=0,
                 progress=False, dtype="float64")
    from geoquant.nn._init import initialize

    start = initialize(1, 6, 1, init="balanced", scales=np.ones(1), seeds=[7])
    np.testing.assert_allclose(start["W"][0].numpy() * 1e-3, r.init_W[0], rtol=1e-12)
    np.testing.assert_array_equal(np.sign(start["a"][0].numpy()), np.sign(r.init_a[0]))
    assert res["W"].shape == (1, 6, 2)
    limit = get_method("theory").fit(X, y, seed=7)
    finite = get_method("theory", directions="trainer", width=6).fit(X, y, seed=7)
    assert limit.info()["regime"] == "init -> 0 limit" and finite.info()["regime"].startswith("finite init")
    # the infinite-width limit can only fit at least as well as a subset of its starting directions
    assert limit.info()["final_loss"] <= finite.info()["final_loss"] + 1e-9


def test_nearest_triangulation_bound_brackets_the_minimum():
    # exact: the bound is the minimum; under a time limit: best found >= proven bound (and >= the true minimum)
    rng = np.random.default_rng(8)
    X = rng.uniform(0, 1, size=(26, 2))

    def g(q):
        q = np.asarray(q, dtype=float)
        return np.abs(q[..., 0] - 0.45) + np.maximum(q[..., 1] - 0.6 * q[..., 0], 0.0)

    vals = g(X)
    _, l2sq, exact, lower = nearest_triangulation(g, X, vals, return_bound=True)
    assert exact and lower == pytest.approx(l2sq, rel=1e-6, abs=1e-15)
    _, l2q, exq, lowq = nearest_triangulation(g, X, vals, return_bound=True, time_limit=1e-3)
    assert lowq <= l2sq * (1 + 1e-6) + 1e-15 <= l2q * (1 + 1e-6) + 2e-15
