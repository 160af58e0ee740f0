"""End states with certificates (issue 20, item 2) and the exact alignment maximum behind them."""

import numpy as np
import pytest
import torch

from geoquant import get_target, sample_points, train_gd
from geoquant.errors import InvalidInputError
from geoquant.theory import END_STATES, alignment_maximum, alignment_potential, end_state, pinned_share
from geoquant.theory import residual_weights


def _sphere(m):
    i = np.arange(m) + 0.5
    phi, th = np.arccos(1 - 2 * i / m), np.pi * (1 + 5**0.5) * i
    return np.column_stack([np.cos(th) * np.sin(phi), np.sin(th) * np.sin(phi), np.cos(phi)])


@pytest.mark.parametrize("d,n,seed", [(1, 7, 0), (1, 60, 1), (2, 9, 2), (2, 25, 3)])
def test_alignment_maximum_is_attained_and_no_direction_beats_it(d, n, seed):
    rng = np.random.default_rng(seed)
    X, r = rng.random((n, d)), rng.standard_normal(n) / n
    if d == 1:
        th = np.linspace(0, 2 * np.pi, 400_001)
        U = np.column_stack([np.cos(th), np.sin(th)])
    else:
        U = _sphere(300_000)
    for sign in (1, -1):
        v, w = alignment_maximum(X, r, sign=sign)
        assert np.linalg.norm(w) == pytest.approx(1.0)
        assert sign * alignment_potential(X, r, w) == pytest.approx(v, abs=1e-14)  # attained
        brute = float((sign * alignment_potential(X, r, U)).max())
        assert v >= brute - 1e-15  # no sampled direction beats it
        assert v <= brute + (0.02 if d == 2 else 1e-4) * np.abs(r).sum() * 2  # and the sample comes close


def test_alignment_maximum_on_a_grid_with_collinear_points_is_exact():
    # 3+ circles through one vertex (collinear data): the cells around it are enumerated, not assumed
    g = np.linspace(0, 1, 4)
    X = np.array([[a, b] for a in g for b in g])
    rng = np.random.default_rng(4)
    U = _sphere(400_000)
    for _ in range(3):
        r = rng.standard_normal(len(X)) / len(X)
        for sign in (1, -1):
            v, w = alignment_maximum(X, r, sign=sign)
            assert sign * alignment_potential(X, r, w) == pytest.approx(v, abs=1e-14)
            assert v >= float((sign * alignment_potential(X, r, U)).max()) - 1e-15


def test_alignment_maximum_rejects_bad_sign():
    with pytest.raises(InvalidInputError, match="'sign' must be 1 or -1"):
        alignment_maximum([[0.0], [1.0]], [1.0, 0.0], sign=0)


def _torch_sq_grads(X, y, W, a):
    """Per-neuron |dL/dw_j|^2 + (dL/da_j)^2 by autograd (independent of the numpy formula)."""
    Wt = torch.tensor(W, requires_grad=True)
    at = torch.tensor(a, requires_grad=True)
    Xt = torch.tensor(np.column_stack([X, np.ones(len(X))]))
    f = torch.relu(Xt @ Wt.T) @ at
    L = 0.5 * torch.mean((f - torch.tensor(y)) ** 2)
    L.backward()
    return (Wt.grad**2).sum(dim=1).numpy() + (at.grad**2).numpy()


def test_pinned_share_against_autograd():
    X = np.array([[0.0], [0.3], [0.55], [0.8], [1.0]])
    y = np.array([0.1, -0.4, 0.3, 0.9, -0.2])
    # neuron 0 has its kink exactly on x = 0.55 (pinned); neurons 1, 2 bend far from every data point
    W = np.array([[1.0, -0.55], [-0.7, 0.45], [1.3, -0.1]])
    a = np.array([0.8, 0.6, -0.3])
    g2 = _torch_sq_grads(X[:, 0:1], y, W, a)
    assert pinned_share(X, y, W, a) == pytest.approx(g2[0] / g2.sum(), rel=1e-12)
    # moving that kink off the point by more than the tolerance unpins it
    W2 = W.copy()
    W2[0, 1] = -0.56
    assert pinned_share(X, y, W2, a) == pytest.approx(0.0)


def test_end_states_follow_the_evidence():
    X = np.array([[0.0], [0.3], [0.55], [0.8], [1.0]])
    y = np.array([0.1, -0.4, 0.3, 0.9, -0.2])
    W = np.array([[1.0, -0.55], [-0.7, 0.45], [1.3, -0.1]])
    a = np.array([0.8, 0.6, -0.3])
    share = pinned_share(X, y, W, a)
    moving = {"stationarity": 1e-2, "plateau_drop": 0.3, "train_status": "budget"}
    flat = {"stationarity": 1e-2, "plateau_drop": 1e-4, "train_status": "stationary"}
    assert end_state(X, y, W, a, training=moving).status == "budget"
    expect = "pinned" if share >= 0.9 else "stalled"
    assert end_state(X, y, W, a, training=flat).status == expect
    assert end_state(X, y, W, a, training=flat, pin_share=min(share, 1.0)).status == "pinned"
    assert end_state(X, y, W, a, training=flat, pin_share=min(share + 1e-3, 1.0)).status == "stalled"
    assert end_state(X, y, W, a, training={**moving, "train_status": "unstable"}).status == "unstable"
    # a network that interpolates: the linear spline of the data as relu neurons
    xs = X[:, 0]
    slopes = np.diff(y) / np.diff(xs)
    Wi = [[1.0, 1.0], [1.0, 0.0]]  # relu(x + 1) - relu(x) = 1 on x >= 0
    ai = [y[0], slopes[0] - y[0]]
    for k, jump in zip(xs[1:-1], np.diff(slopes)):
        Wi.append([1.0, -k])
        ai.append(jump)
    s = end_state(X, y, np.array(Wi), np.array(ai), training=moving)
    assert s.status == "interpolating" and s.train_rmse_rel < 1e-12
    assert set(END_STATES) == {"interpolating", "spurious_stationary", "pinned", "stalled", "unstable", "budget"}


def test_small_init_gd_stop_is_certified_spurious_stationary():
    # the runge n = 4 stop of tests/theory/test_spurious_stationary.py, classified with its certificate
    tgt = get_target("runge", n_dims=1)
    X = sample_points(4, 1, "uniform", seed=0, corners=True, domain=np.asarray(tgt.domain))
    y = np.asarray(tgt(X), dtype=np.float64).reshape(-1)
    y = y - y.mean()
    res = train_gd(X, y, width=100, init_scale=1e-2, lr=0.02, n_steps=40_000, dtype="float64", seed=0, records=20)
    W, a = np.asarray(res.W, dtype=np.float64).reshape(100, 2), np.asarray(res.a, dtype=np.float64).reshape(100)
    s = end_state(X, y, W, a, training={"plateau_drop": 0.0})
    assert s.status == "spurious_stationary"
    r = residual_weights(X, y, res.predict(X).reshape(-1))
    th = np.linspace(-np.pi, np.pi, 200_001)
    G = alignment_potential(X, r, np.column_stack([np.cos(th), np.sin(th)]))
    best = max(G.max(), -G.min())
    assert best <= s.escape_value <= best * (1 + 1e-4)  # the exact maximum, above every sampled direction
    assert s.escape_value > 1e3 * s.grad_norm
    assert s.escape_angle > 5.0  # degrees: no live neuron of that sign near the escape direction


def test_end_state_rejects_mismatched_network():
    with pytest.raises(InvalidInputError, match="'W' must have shape"):
        end_state([[0.0], [1.0]], [0.0, 1.0], np.zeros((3, 3)), np.zeros(3))
