"""Stacked ReLU networks: hand-written gradients, forward passes, initializations."""

import math

import numpy as np
import pytest
import torch

from geoquant.errors import InvalidInputError
from geoquant.nn._init import initialize, model_seeds, resolve_init_scale
from geoquant.nn import network_forward
from geoquant.nn._model import (
    augment,
    forward,
    loss_and_grads,
    loss_and_grads_autograd,
)

F64 = torch.float64


def _problem(shared, m=3, k=7, n=11, d=2, seed=0, labels=False):
    g = torch.Generator().manual_seed(seed)
    W = torch.randn(m, k, d + 1, generator=g, dtype=F64)
    a = torch.randn(m, k, generator=g, dtype=F64)
    c = torch.randn(m, generator=g, dtype=F64)
    X = torch.randn(n, d, generator=g, dtype=F64) if shared else torch.randn(m, n, d, generator=g, dtype=F64)
    y = torch.randn(m, n, generator=g, dtype=F64)
    if labels:
        y = torch.where(y > 0, 1.0, -1.0).to(F64)
    return W, a, c, augment(X), y


@pytest.mark.parametrize("loss", ["squared", "logistic"])
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("shared", [True, False])
def test_hand_gradients_equal_autograd(loss, bias, shared):
    W, a, c, Xt, y = _problem(shared, labels=loss == "logistic")
    c = c if bias else None
    L, gW, ga, gc = loss_and_grads(W, a, c, Xt, y, loss)
    L2, gW2, ga2, gc2, _ = loss_and_grads_autograd(W, a, c, Xt, y, loss)
    torch.testing.assert_close(L, L2, rtol=1e-13, atol=1e-15)
    torch.testing.assert_close(gW, gW2, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(ga, ga2, rtol=1e-12, atol=1e-14)
    if bias:
        torch.testing.assert_close(gc, gc2, rtol=1e-12, atol=1e-14)
    else:
        assert gc is None and gc2 is None


def test_gradients_match_finite_differences_of_numpy_network():
    # an independent check: central differences of the float64 numpy evaluation
    W, a, c, Xt, y = _problem(True, m=2, k=4, n=6, d=2, seed=3)
    X = Xt[:, :-1].numpy()

    def loss_np(Wn, an, cn):
        f = network_forward(Wn, an, X, cn)
        return 0.5 * np.mean((f - y.numpy()) ** 2, axis=1)

    L, gW, ga, gc = loss_and_grads(W, a, c, Xt, y, "squared")
    np.testing.assert_allclose(L.numpy(), loss_np(W.numpy(), a.numpy(), c.numpy()), rtol=1e-13)
    eps = 1e-6
    Wn, an, cn = W.numpy().copy(), a.numpy().copy(), c.numpy().copy()
    for idx in [(0, 1, 0), (1, 3, 2), (0, 2, 1)]:
        Wp, Wm = Wn.copy(), Wn.copy()
        Wp[idx] += eps
        Wm[idx] -= eps
        fd = (loss_np(Wp, an, cn) - loss_np(Wm, an, cn))[idx[0]] / (2 * eps)
        assert abs(fd - gW[idx].item()) < 1e-7
    for idx in [(0, 0), (1, 2)]:
        ap, am = an.copy(), an.copy()
        ap[idx] += eps
        am[idx] -= eps
        fd = (loss_np(Wn, ap, cn) - loss_np(Wn, am, cn))[idx[0]] / (2 * eps)
        assert abs(fd - ga[idx].item()) < 1e-7
    cp, cm = cn.copy(), cn.copy()
    cp[1] += eps
    cm[1] -= eps
    assert abs((loss_np(Wn, an, cp) - loss_np(Wn, an, cm))[1] / (2 * eps) - gc[1].item()) < 1e-7


def test_relu_derivative_at_zero_is_zero():
    # neuron 0 has its kink exactly on the data point x = 0.5 (z = 2*0.5 - 1 = 0)
    W = torch.tensor([[[2.0, -1.0], [1.0, 0.0]]], dtype=F64)
    a = torch.tensor([[1.5, -0.5]], dtype=F64)
    X = torch.tensor([[0.5], [1.0], [-1.0]], dtype=F64)
    y = torch.tensor([[1.0, 2.0, 0.5]], dtype=F64)
    L, gW, ga, _ = loss_and_grads(W, a, None, augment(X), y)
    # by the formula with 1[z > 0]: only x = 1 is active for neuron 0
    f = forward(W, a, augment(X))
    r = (f - y) / 3
    expect0 = 1.5 * r[0, 1] * torch.tensor([1.0, 1.0], dtype=F64)
    torch.testing.assert_close(gW[0, 0], expect0, rtol=1e-14, atol=0)
    # and autograd uses the same convention
    _, gW2, _, _, _ = loss_and_grads_autograd(W, a, None, augment(X), y)
    torch.testing.assert_close(gW, gW2, rtol=1e-14, atol=0)


def test_squared_loss_convention_half_mean():
    W = torch.zeros(1, 2, 2, dtype=F64)
    a = torch.zeros(1, 2, dtype=F64)
    y = torch.tensor([[1.0, 2.0, 3.0, 4.0]], dtype=F64)
    X = torch.linspace(0, 1, 4, dtype=F64)[:, None]
    L, _, _, _ = loss_and_grads(W, a, None, augment(X), y)
    assert L.item() == pytest.approx(0.5 * np.mean([1, 4, 9, 16]))


def test_workspace_does_not_change_result():
    W, a, c, Xt, y = _problem(True, m=4, k=9, n=5)
    ws = {"Z": torch.empty(4, 9, 5, dtype=F64), "M": torch.empty(4, 9, 5, dtype=F64)}
    ref = loss_and_grads(W, a, c, Xt, y)
    got = loss_and_grads(W, a, c, Xt, y, workspace=ws)
    for r, g in zip(ref, got):
        torch.testing.assert_close(r, g, rtol=0, atol=0)


@pytest.mark.parametrize("shared", [True, False])
def test_forward_matches_numpy_and_deep_network(shared):
    W, a, c, Xt, y = _problem(shared, m=2, k=5, n=8)
    X = Xt[..., :-1].numpy()
    np.testing.assert_allclose(forward(W, a, Xt, c).numpy(), network_forward(W, a, X, c.numpy()), rtol=1e-13)
    # depth 2, evaluated neuron by neuron
    V = torch.randn(2, 5, 6, dtype=F64, generator=torch.Generator().manual_seed(1))
    f = forward(W, a, Xt, None, (V,)).numpy()
    Wn, an, Vn = W.numpy(), a.numpy(), V.numpy()
    for m in range(2):
        Xm = X if shared else X[m]
        for i in range(Xm.shape[0]):
            h1 = np.maximum(Wn[m] @ np.append(Xm[i], 1.0), 0)
            h2 = np.maximum(Vn[m][:, :5] @ h1 + Vn[m][:, 5], 0)
            assert f[m, i] == pytest.approx(an[m] @ h2, rel=1e-12)
    np.testing.assert_allclose(network_forward(W, a, X, hidden=(V,)), f, rtol=1e-12)


def test_network_forward_chunks_agree():
    W, a, c, Xt, y = _problem(True, m=3, k=6, n=50)
    X = Xt[:, :-1].numpy()
    full = network_forward(W, a, X)
    chunked = network_forward(W, a, X, chunk_elements=3 * 6 * 7)
    np.testing.assert_allclose(full, chunked, rtol=1e-14)


# -- initialization -------------------------------------------------------------


def test_balanced_init_is_balanced_with_given_scale():
    p = initialize(3, 200, 2, init="balanced", scales=np.array([1e-4, 1e-2, 1.0]), seeds=[1, 2, 3])
    W, a = p["W"].numpy(), p["a"].numpy()
    norms = np.linalg.norm(W, axis=2)
    np.testing.assert_allclose(norms, np.array([1e-4, 1e-2, 1.0])[:, None] * np.ones((1, 200)), rtol=1e-12)
    np.testing.assert_allclose(a**2 - norms**2, 0.0, atol=1e-14)
    # random signs, both present; directions spread over the sphere (mean direction ~ 0)
    assert 60 < (a[2] > 0).sum() < 140
    assert np.linalg.norm((W[2] / norms[2][:, None]).mean(axis=0)) < 0.25


def test_gaussian_init_scale_and_width_power():
    scales = resolve_init_scale("width^-0.5", width=400, n_models=1, init="gaussian")
    assert scales[0] == pytest.approx(0.05)
    p = initialize(1, 400, 1, init="gaussian", scales=scales, seeds=[5])
    vals = np.concatenate([p["W"].numpy().ravel(), p["a"].numpy().ravel()])
    assert np.std(vals) == pytest.approx(0.05, rel=0.1)
    assert abs(np.mean(vals)) < 0.01


def test_pytorch_init_bounds():
    p = initialize(1, 300, 4, init="pytorch", scales=np.array([1.0]), seeds=[7], depth=2)
    W, a, (V,) = p["W"].numpy()[0], p["a"].numpy()[0], p["hidden"]
    assert np.abs(W).max() <= 1 / math.sqrt(4) and np.abs(W).max() > 0.45
    assert np.abs(a).max() <= 1 / math.sqrt(300) and np.abs(a).max() > 0.9 / math.sqrt(300)
    assert np.abs(V.numpy()).max() <= 1 / math.sqrt(300)
    # uniform: variance bound^2 / 3
    assert np.var(W[:, :4]) == pytest.approx(1 / 4 / 3, rel=0.1)


def test_init_depends_only_on_model_seed():
    seeds = model_seeds(11, 4)
    batch = initialize(4, 6, 2, init="balanced", scales=np.full(4, 1e-3), seeds=seeds)
    alone = initialize(1, 6, 2, init="balanced", scales=np.full(1, 1e-3), seeds=[seeds[2]])
    assert torch.equal(batch["W"][2], alone["W"][0]) and torch.equal(batch["a"][2], alone["a"][0])
    assert len(set(seeds)) == 4
    assert model_seeds(11, 4) == seeds
    assert model_seeds(12, 4)[0] != seeds[0]


@pytest.mark.parametrize(
    "value, message",
    [
        ("width^", "init_scale"),
        ("abc", "init_scale"),
        (-1.0, "init_scale"),
        ([1e-3, 1e-3, 1e-3], "init_scale"),
        (True, "init_scale"),
        (float("nan"), "init_scale"),
    ],
)
def test_init_scale_errors(value, message):
    with pytest.raises(InvalidInputError, match=message):
        resolve_init_scale(value, width=10, n_models=2, init="balanced")


def test_seed_errors():
    with pytest.raises(InvalidInputError, match="'seed'"):
        model_seeds(-1, 2)
    with pytest.raises(InvalidInputError, match="'seed'"):
        model_seeds([1, 2, 3], 2)
    with pytest.raises(InvalidInputError, match="'seed'"):
        model_seeds("x", 2)
