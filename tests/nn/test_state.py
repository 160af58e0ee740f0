"""Training state of trained networks: gradient norm, sharpness, stationarity, status."""

import numpy as np
import pytest
import torch

from geoquant.nn import train_gd
from geoquant.nn._state import count_increases, gauss_newton_sharpness, stationarity, training_state

# docs/theory.md check 4: small-init GD on these points stalls at the least-squares affine fit
X5 = np.array([-0.8, -0.3, 0.1, 0.6, 0.9])[:, None]
Y5 = np.array([0.5, 1.0, 0.7, 1.2, 0.4])


def _net(seed=0, width=6, d=1):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(1, width, d + 1)), rng.normal(size=(1, width))


def _loss(W, a, X, y):
    Xt = np.column_stack([X, np.ones(len(X))])
    return 0.5 * np.mean((np.maximum(Xt @ W.T, 0) @ a - y) ** 2)


def test_count_increases_counts_rises_above_one_percent():
    L = np.array([[1.0, 1.0], [0.5, 1.005], [0.6, 1.0], [0.6, 2.0], [0.1, 1.0]])
    np.testing.assert_array_equal(count_increases(L), [1, 1])


def test_gradient_norm_and_sharpness_against_finite_differences():
    W, a = _net(1)
    rng = np.random.default_rng(2)
    X = rng.uniform(-1, 1, size=(7, 1))
    y = rng.normal(size=7)

    class R:  # the fields training_state reads
        n_models = 1
        loss = np.array([[1.0], [0.5]])
        times = np.array([[0.0], [3.0]])
        n_evals = np.array([12])
        failed = []

    R.W, R.a = W, a
    st = training_state(R, X, y)[0]
    theta = np.concatenate([W[0].ravel(), a[0]])

    def L(t):
        return _loss(t[:12].reshape(6, 2), t[12:], X, y)

    h = 1e-6
    g = np.array([(L(theta + h * e) - L(theta - h * e)) / (2 * h) for e in np.eye(theta.size)])
    assert st["grad_norm"] == pytest.approx(np.linalg.norm(g), rel=1e-6)
    assert st["train_loss"] == pytest.approx(L(theta), rel=1e-12)
    assert st["train_rmse_rel"] == pytest.approx(np.sqrt(2 * L(theta)) / y.std(), rel=1e-12)
    assert st["flow_time"] == 3.0 and st["train_steps"] == 12

    # Gauss-Newton sharpness: top eigenvalue of J^T J / n, J by finite differences of the outputs
    def f(t):
        Xt = np.column_stack([X, np.ones(7)])
        return np.maximum(Xt @ t[:12].reshape(6, 2).T, 0) @ t[12:]

    J = np.column_stack([(f(theta + h * e) - f(theta - h * e)) / (2 * h) for e in np.eye(theta.size)])
    lam = np.linalg.eigvalsh(J.T @ J / 7)[-1]
    assert st["sharpness"] == pytest.approx(lam, rel=1e-6)
    assert gauss_newton_sharpness(W, a, X)[0] == pytest.approx(lam, rel=1e-6)


def test_interpolating_network_is_stationary_with_zero_measure():
    W, a = _net(3)
    X = np.linspace(-1, 1, 9)[:, None]
    Xt = np.column_stack([X, np.ones(9)])
    y = np.maximum(Xt @ W[0].T, 0) @ a[0]  # the network's own values: loss 0, gradient 0

    class R:
        n_models = 1
        loss = np.array([[1.0], [0.0]])
        times = np.array([[0.0], [1.0]])
        n_evals = np.array([1])
        failed = []

    R.W, R.a = W, a
    st = training_state(R, X, y)[0]
    assert st["train_status"] == "interpolating"
    assert st["grad_norm"] < 1e-14 and st["stationarity"] < 1e-14


def test_stationarity_is_scale_free_and_sees_growing_neurons():
    # a tiny balanced network: |grad L| ~ scale, but the neurons grow at relative rate ~|D|
    W, a = _net(4, width=5)
    rows = W[0] / np.linalg.norm(W[0], axis=1, keepdims=True)
    from geoquant.nn._model import augment, loss_and_grads

    vals = []
    for s in (1e-3, 1e-6):
        Wt = torch.as_tensor(rows[None] * s)
        at = torch.as_tensor(np.abs(a) / np.abs(a) * s)
        L, gW, ga, _ = loss_and_grads(Wt, at, None, augment(torch.as_tensor(X5)), torch.as_tensor(Y5[None]))
        vals.append(float(stationarity([Wt, at], [gW, ga])[0]))
    assert vals[0] == pytest.approx(vals[1], rel=1e-2)
    assert vals[0] > 1e-2


def test_flow_ends_at_the_affine_stall_and_calls_it_stationary():
    # docs/theory.md check 4: the plateau is the least-squares affine loss 0.0449366, a spurious stationary point;
    # a model whose neurons all die sits at the origin (loss 1/2 mean y^2, gradient exactly 0) and stops there
    res = train_gd(X5, Y5, width=10, n_models=2, init_scale=1e-5, method="flow", t_max=3000.0, grad_tol=1e-6,
                   tol=1e-12, seed=[0, 1], dtype="float64", checkpoints=0, progress=False)
    states = training_state(res, X5, Y5, grad_tol=1e-6)
    assert [st["train_status"] for st in states] == ["stationary", "stationary"]
    assert states[0]["train_loss"] == pytest.approx(0.0449366, rel=1e-4)
    assert states[0]["plateau_drop"] < 1e-3 and states[0]["loss_increases"] == 0
    assert states[1]["train_loss"] == pytest.approx(0.5 * np.mean(Y5**2), rel=1e-12)
    assert states[1]["grad_norm"] == 0.0 and res.config["stationary_at"][1] < 3000.0


def test_gd_step_above_the_stability_limit_is_unstable():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(8, 1))
    y = np.sin(3 * X[:, 0])
    kw = dict(width=20, init_scale=0.5, init="gaussian", n_steps=400, seed=[5], dtype="float64", checkpoints=0,
              progress=False, records=100)
    stable = train_gd(X, y, lr=0.05, **kw)
    st = training_state(stable, X, y, lr=0.05)[0]
    assert st["loss_increases"] == 0 and not st["step_above_limit"]
    assert 0.05 < st["lr_stability_limit"]
    big = 2.5 * st["lr_stability_limit"]
    bad = train_gd(X, y, lr=big, max_loss=np.inf, **kw)
    sb = training_state(bad, X, y, lr=big)[0]
    assert sb["train_status"] == "unstable"
    assert sb["loss_increases"] > 0 or sb["step_above_limit"] or len(bad.failed) == 1


def test_per_model_loss_tolerance_stops_each_model_at_its_own_level():
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, size=(6, 1))
    y = rng.normal(size=6)
    tol = np.array([0.2, 0.05]) * 0.5 * np.mean(y**2)
    res = train_gd(X, y, width=30, n_models=2, init_scale=0.3, init="gaussian", lr=0.05, n_steps=20000, tol=tol,
                   seed=[1, 1], dtype="float64", checkpoints=0, progress=False)
    conv = dict(res.converged)
    assert set(conv) == {0, 1} and conv[0] < conv[1]
    assert res.final_loss[0] <= tol[0] and res.final_loss[1] <= tol[1] < res.loss[:, 1].max()
