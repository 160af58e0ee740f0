"""Batched full-batch GD: agreement with per-model runs, conservation laws, the
small-initialization theory checks (docs/theory.md section 8, checks 1, 3, 4),
failures, stopping, plateaus, validation."""

import numpy as np
import pytest
import torch

from geoquant.errors import InvalidInputError
from geoquant.nn import TrainResult, find_plateaus, train_gd
from geoquant.nn._model import augment, loss_and_grads

X5 = np.array([-0.8, -0.3, 0.1, 0.6, 0.9])
Y5 = np.array([0.5, 1.0, 0.7, 1.2, 0.4])
LS_AFFINE_LOSS = 0.0449366  # docs/theory.md check 4 (1/2 * mean)


def _quiet(**kw):
    kw.setdefault("progress", False)
    return kw


def test_result_shapes_and_loss_history():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (12, 2))
    y = np.sin(X[:, 0]) + X[:, 1]
    r = train_gd(X, y, width=8, n_models=3, lr=0.1, n_steps=300, init_scale=0.1, **_quiet(records=50))
    assert isinstance(r, TrainResult)
    assert r.W.shape == (3, 8, 3) and r.a.shape == (3, 8) and r.init_W.shape == (3, 8, 3)
    assert r.W.dtype == np.float32
    assert r.loss.shape == (len(r.steps), 3)
    assert r.steps[0] == 0 and r.steps[-1] == 300 and np.all(np.diff(r.steps) > 0)
    # the last row is the loss of the final parameters, 1/2 * mean squared error
    f = r.predict(X)
    np.testing.assert_allclose(r.final_loss, 0.5 * np.mean((f - y) ** 2, axis=1), rtol=1e-4)
    # the first row is the loss at initialization
    f0 = TrainResult(**{**r.__dict__, "W": r.init_W, "a": r.init_a}).predict(X)
    np.testing.assert_allclose(r.loss[0], 0.5 * np.mean((f0 - y) ** 2, axis=1), rtol=1e-4)
    assert r.final_loss.max() < r.loss[0].min()
    np.testing.assert_allclose(r.times[:, 1], r.steps * 0.1)
    assert r.config["n_models"] == 3 and r.config["torch_version"] == torch.__version__
    assert r.config["device"] == "cpu" and len(r.config["model_seeds"]) == 3


def test_batched_run_equals_per_model_loop():
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, (10, 2))
    y = rng.normal(size=10)
    lrs = np.array([0.05, 0.1, 0.2])
    scales = np.array([1e-2, 1e-1, 0.5])
    kw = dict(width=6, n_steps=200, dtype="float64", init="gaussian", **_quiet())
    batch = train_gd(X, y, n_models=3, lr=lrs, init_scale=scales, seed=4, **kw)
    for i in range(3):
        one = train_gd(X, y, n_models=1, lr=lrs[i], init_scale=scales[i], seed=[batch.config["model_seeds"][i]], **kw)
        np.testing.assert_allclose(one.init_W[0], batch.init_W[i], rtol=0, atol=0)
        np.testing.assert_allclose(one.W[0], batch.W[i], rtol=1e-11, atol=1e-13)
        np.testing.assert_allclose(one.a[0], batch.a[i], rtol=1e-11, atol=1e-13)
        np.testing.assert_allclose(one.loss[:, 0], batch.loss[:, i], rtol=1e-11)


def test_per_model_data_equals_separate_runs():
    rng = np.random.default_rng(2)
    X = rng.uniform(-1, 1, (2, 7, 1))
    y = rng.normal(size=(2, 7))
    kw = dict(width=5, n_steps=150, lr=0.1, dtype="float64", init_scale=0.3, **_quiet())
    batch = train_gd(X, y, n_models=2, seed=[3, 9], **kw)
    for i, s in enumerate([3, 9]):
        one = train_gd(X[i], y[i], n_models=1, seed=[s], **kw)
        np.testing.assert_allclose(one.W[0], batch.W[i], rtol=1e-11, atol=1e-13)


def test_same_seed_same_result_and_different_seed_differs():
    kw = dict(width=10, n_models=2, lr=0.2, n_steps=100, init_scale=1e-2, **_quiet())
    r1 = train_gd(X5, Y5, seed=5, **kw)
    r2 = train_gd(X5, Y5, seed=5, **kw)
    r3 = train_gd(X5, Y5, seed=6, **kw)
    assert np.array_equal(r1.W, r2.W) and np.array_equal(r1.loss, r2.loss)
    assert not np.allclose(r1.init_W, r3.init_W)


def test_gd_step_changes_conserved_quantity_by_exactly_lr_squared_term():
    # a_j^2 - |w_j|^2 changes by lr^2 (g_a^2 - |g_w|^2) per step: the O(lr) term vanishes
    # identically (docs/theory.md section 1), so the per-step drift is quadratic in lr.
    rng = np.random.default_rng(3)
    X = rng.uniform(-1, 1, (9, 2))
    y = rng.normal(size=9)
    for lr in (0.1, 0.05):
        r = train_gd(X, y, width=12, lr=lr, n_steps=1, init="gaussian", init_scale=0.7, dtype="float64", **_quiet())
        W0 = torch.tensor(r.init_W)
        a0 = torch.tensor(r.init_a)
        _, gW, ga, _ = loss_and_grads(W0, a0, None, augment(torch.tensor(X)), torch.tensor(y)[None])
        predicted = lr**2 * (ga**2 - (gW**2).sum(-1)).numpy()
        drift = (r.a**2 - (r.W**2).sum(-1)) - (r.init_a**2 - (r.init_W**2).sum(-1))
        np.testing.assert_allclose(drift, predicted, rtol=1e-6, atol=1e-15)
        assert np.abs(predicted).max() > 1e-6  # the identity is not vacuous here


def test_conservation_drift_per_unit_time_is_linear_in_lr():
    # over a fixed time T: steps = T / lr, drift per step ~ lr^2, so total drift ~ lr:
    # halving lr halves the drift (and quarters the drift per step).
    rng = np.random.default_rng(4)
    X = rng.uniform(-1, 1, (9, 2))
    y = rng.normal(size=9)
    T = 2.0
    drifts = []
    for lr in (0.04, 0.02, 0.01):
        r = train_gd(
            X, y, width=12, lr=lr, n_steps=int(round(T / lr)), init="gaussian", init_scale=0.7, dtype="float64",
            **_quiet(),
        )
        d = (r.a**2 - (r.W**2).sum(-1)) - (r.init_a**2 - (r.init_W**2).sum(-1))
        drifts.append(np.abs(d).sum())
    assert drifts[0] / drifts[1] == pytest.approx(2.0, rel=0.1)
    assert drifts[1] / drifts[2] == pytest.approx(2.0, rel=0.1)


def test_all_positive_labels_align_then_stall_at_affine_fit():
    # docs/theory.md checks 3 and 4 on x = (-.8, -.3, .1, .6, .9), y = (.5, 1, .7, 1.2, .4)
    Xt = np.column_stack([X5, np.ones(5)])
    u = Xt.T @ Y5
    u /= np.linalg.norm(u)  # normalize(sum_i y_i (x_i, 1)): the only positive extremal direction
    coef = np.linalg.lstsq(Xt, Y5, rcond=None)[0]
    assert 0.5 * np.mean((Xt @ coef - Y5) ** 2) == pytest.approx(LS_AFFINE_LOSS, abs=1e-7)
    r = train_gd(
        X5, Y5, width=100, init_scale=1e-6, lr=0.2, n_steps=1000, dtype="float64", seed=0,
        checkpoints=[0, 60, 1000], **_quiet(),
    )
    # alignment phase: loss still at its initial value, live a > 0 neurons point along u
    ck = r.checkpoints[r.checkpoints.index(60)]
    assert ck.loss[0] > 0.99 * r.loss[0, 0]
    W, a = ck.W[0].astype(float), ck.a[0].astype(float)
    live_pos = (a > 0) & (W @ Xt.T > 0).any(axis=1)
    assert live_pos.sum() >= 10
    cos = W[live_pos] @ u / np.linalg.norm(W[live_pos], axis=1)
    assert cos.min() > 0.999
    # a < 0 neurons end dead: w . x~_i <= 0 on every data point
    W, a = r.W[0], r.a[0]
    assert ((W[a < 0] @ Xt.T) <= 0).all()
    # the stall: the least-squares affine fit, with every grown neuron along (coef, intercept)
    assert r.final_loss[0] == pytest.approx(LS_AFFINE_LOSS, abs=1e-7)
    grown = np.abs(a) > 0.1 * np.abs(a).max()
    assert (a[grown] > 0).all()
    v = coef / np.linalg.norm(coef)
    assert (W[grown] @ v / np.linalg.norm(W[grown], axis=1)).min() > 0.999
    # plateaus: the origin saddle at the initial loss, then the stall at the affine loss
    onsets = [p[0] for p in r.plateaus[0]]
    levels = [p[1] for p in r.plateaus[0]]
    assert levels[0] == pytest.approx(0.5 * np.mean(Y5**2), rel=1e-3)
    assert levels[-1] == pytest.approx(LS_AFFINE_LOSS, rel=1e-4)
    assert onsets[-1] < 300


def test_diverging_model_fails_and_is_frozen_while_others_go_on():
    rng = np.random.default_rng(5)
    X = rng.uniform(-1, 1, (8, 2))
    y = rng.normal(size=8)
    kw = dict(width=6, n_steps=200, init="gaussian", init_scale=0.5, dtype="float64", **_quiet())
    L0 = train_gd(X, y, n_models=1, lr=0.1, seed=[2], **{**kw, "n_steps": 0}).loss[0, 0]
    # model 1 takes a huge step; its loss jumps far above 10 * L0 (its divergence threshold)
    both = train_gd(X, y, n_models=2, lr=[0.1, 500.0], seed=[1, 2], max_loss=[1e8, 10 * L0], **kw)
    alone = train_gd(X, y, n_models=1, lr=0.1, seed=[1], **kw)
    assert [i for i, _ in both.failed] == [1]
    assert "diverged" in both.failed[0][1] and "at step 1" in both.failed[0][1]
    # the other model is untouched by the failure
    np.testing.assert_allclose(both.W[0], alone.W[0], rtol=1e-12)
    # the failed model is frozen (finite, no further evaluations) at the parameters of step 1
    one = train_gd(X, y, n_models=1, lr=500.0, seed=[2], **{**kw, "n_steps": 1})
    np.testing.assert_allclose(both.W[1], one.W[0], rtol=1e-12)
    assert both.n_evals.tolist() == [200, 1]
    assert both.loss[-1, 1] > 10 * L0
    assert not both.ok[1] and both.ok[0]


def test_nonfinite_loss_fails_only_that_model():
    # float32 overflow: (f - 1e20)^2 is inf for model 1 from the start
    rng = np.random.default_rng(6)
    X = rng.uniform(-1, 1, (8, 1))
    y = rng.normal(size=8)
    Y = np.stack([y, y * 1e20])
    r = train_gd(X, Y, width=4, n_models=2, lr=0.05, n_steps=50, init="gaussian", init_scale=1.0, seed=[3, 4], **_quiet())
    assert [i for i, _ in r.failed] == [1]
    assert "NaN/inf" in r.failed[0][1] and "step 0" in r.failed[0][1]
    np.testing.assert_array_equal(r.W[1], r.init_W[1])
    alone = train_gd(X, y, width=4, n_models=1, lr=0.05, n_steps=50, init="gaussian", init_scale=1.0, seed=[3], **_quiet())
    np.testing.assert_allclose(r.W[0], alone.W[0], rtol=1e-6)


def test_tol_stops_models_and_records_convergence():
    rng = np.random.default_rng(7)
    X = rng.uniform(-1, 1, (6, 1))
    y = X[:, 0] * 0.5 + 0.2
    kw = dict(width=20, init="gaussian", init_scale=0.5, dtype="float64", **_quiet())
    r = train_gd(X, y, n_models=2, lr=[0.05, 0.2], n_steps=20000, tol=1e-4, seed=[1, 2], **kw)
    assert sorted(i for i, _ in r.converged) == [0, 1]
    steps = dict(r.converged)
    assert (r.final_loss <= 1e-4).all()
    assert r.config["steps_done"] < 20000  # stopped early once every model was done
    np.testing.assert_array_equal(r.n_evals, [steps[0], steps[1]])
    # each model is frozen at the first step whose loss is <= tol
    for i, lr in enumerate([0.05, 0.2]):
        before = train_gd(X, y, n_models=1, lr=lr, n_steps=steps[i] - 1, seed=[i + 1], **kw)
        at = train_gd(X, y, n_models=1, lr=lr, n_steps=steps[i], seed=[i + 1], **kw)
        assert before.final_loss[0] > 1e-4 >= at.final_loss[0]
        np.testing.assert_allclose(r.W[i], at.W[0], rtol=1e-12)


def test_logistic_loss_separates_labels():
    rng = np.random.default_rng(8)
    X = rng.uniform(-1, 1, (30, 2))
    y = np.where(X[:, 0] + 0.3 * X[:, 1] > 0, 1.0, -1.0)
    r = train_gd(X, y, width=16, lr=0.5, n_steps=1500, loss="logistic", init="gaussian", init_scale=0.3, **_quiet())
    f = r.predict(X)[0]
    assert (np.sign(f) == y).mean() == 1.0
    assert r.final_loss[0] == pytest.approx(np.mean(np.log1p(np.exp(-y * f))), rel=1e-4)


def test_output_bias_and_depth_two_train():
    X = np.linspace(-1, 1, 9)
    y = X**2 + 3.0
    kw = dict(width=10, lr=0.1, n_steps=3000, init="gaussian", init_scale=0.3, dtype="float64", **_quiet())
    rb = train_gd(X, y, output_bias=True, **kw)
    assert rb.c is not None and rb.c.shape == (1,) and rb.init_c[0] == 0
    # a free output bias makes the mean residual vanish at a stationary point (dL/dc = mean(f - y))
    res = rb.predict(X)[0] - y
    assert abs(res.mean()) < 1e-3 * np.abs(y).mean()
    assert rb.c[0] > 0.5
    rd = train_gd(X, y, width=8, depth=2, lr=0.02, n_steps=300, init="pytorch", dtype="float64", **_quiet())
    assert rd.depth == 2 and rd.hidden[0].shape == (1, 8, 9)
    assert rd.final_loss[0] < 0.5 * rd.loss[0, 0]
    f = rd.predict(X)[0]
    assert rd.final_loss[0] == pytest.approx(0.5 * np.mean((f - y) ** 2), rel=1e-10)


def test_find_plateaus_on_synthetic_curve():
    steps = np.unique(np.round(np.logspace(0, 6, 400)).astype(np.int64))
    t = steps.astype(float)
    # 1.0 until ~1e2, sharp drop to 0.5 held until ~1e4, drop to 0.1 held to the end
    loss = 0.1 + 0.4 / (1 + (t / 3e4) ** 8) + 0.5 / (1 + (t / 1.5e2) ** 8)
    pl = find_plateaus(steps, loss, rtol=0.01, window=2.0)
    assert len(pl) == 3
    assert [round(lv, 2) for _, lv in pl] == [1.0, 0.5, 0.1]
    assert 150 < pl[1][0] < 600 and 3e4 < pl[2][0] < 1.2e5
    # a steadily decaying loss has none
    assert find_plateaus(steps, 1.0 / t, rtol=0.01) == []
    with pytest.raises(InvalidInputError, match="'loss'"):
        find_plateaus(steps, loss[:-1])
    with pytest.raises(InvalidInputError, match="'window'"):
        find_plateaus(steps, loss, window=1.0)
    # a stack of curves: one list per column, each the single curve's list
    stack = np.column_stack([loss, 1.0 / t, loss])
    assert find_plateaus(steps, stack, rtol=0.01) == [pl, [], pl]
    assert find_plateaus(steps, loss[:, None], rtol=0.01) == [pl]


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"width": 0}, "width"),
        ({"n_models": 0}, "n_models"),
        ({"lr": -0.1}, "lr"),
        ({"lr": [0.1, 0.2, 0.3]}, "lr"),
        ({"init": "xavier"}, "init"),
        ({"loss": "hinge"}, "loss"),
        ({"dtype": "float16"}, "dtype"),
        ({"n_steps": -1}, "n_steps"),
        ({"tol": -1.0}, "tol"),
        ({"device": "tpu"}, "device"),
        ({"init_scale": "width^x"}, "init_scale"),
        ({"seed": -3}, "seed"),
        ({"checkpoints": [-1, 5]}, "checkpoints"),
        ({"checkpoints": [0, 10**9]}, "checkpoints"),
        ({"progress": "yes"}, "progress"),
        ({"method": "adam"}, "method"),
        ({"rtol": 1e-3}, "rtol"),
        ({"output_bias": "no"}, "output_bias"),
        ({"depth": 0}, "depth"),
        ({"max_loss": 0.0}, "max_loss"),
        ({"cuda_graphs": 1}, "cuda_graphs"),
        ({"resume_from": 3}, "resume_from"),
    ],
)
def test_argument_errors_name_the_argument(kwargs, name):
    args = dict(width=4, n_models=2, lr=0.1, n_steps=10, progress=False)
    args.update(kwargs)
    with pytest.raises(InvalidInputError, match=name):
        train_gd(X5, Y5, **args)


def test_data_errors_name_the_argument():
    with pytest.raises(InvalidInputError, match="'values'"):
        train_gd(X5, Y5[:-1], width=3, n_steps=1, progress=False)
    with pytest.raises(InvalidInputError, match="'values'"):
        train_gd(X5, np.ones((3, 5)), width=3, n_models=2, n_steps=1, progress=False)
    with pytest.raises(InvalidInputError, match="'points'"):
        train_gd(np.ones((3, 5, 1)), Y5, width=3, n_models=2, n_steps=1, progress=False)
    with pytest.raises(InvalidInputError, match="'points'"):
        train_gd(np.array([0.0, np.nan, 1.0, 2.0, 3.0]), Y5, width=3, n_steps=1, progress=False)
    with pytest.raises(InvalidInputError, match="'values'"):
        train_gd(X5, Y5, width=3, n_steps=1, loss="logistic", progress=False)
    with pytest.raises(InvalidInputError, match="'points'"):
        r = train_gd(X5, Y5, width=3, n_steps=1, progress=False)
        r.predict(np.ones((4, 2)))
