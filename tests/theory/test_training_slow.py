"""Theory against small-initialization gradient descent (slow: trains networks)."""

import numpy as np
import pytest

from geoquant.theory import basins, extremal_directions, predict_function, sup_distance
from geoquant.theory._alignment import augment

pytestmark = pytest.mark.slow

X_MIX = np.array([-1.0, -0.6, -0.2, 0.2, 0.5, 0.9])
Y_MIX = np.array([0.3, -0.5, 0.4, -0.2, 0.6, -0.1])


def _train(X, y, **kw):
    from geoquant.nn import train_gd

    kw.setdefault("dtype", "float64")
    kw.setdefault("device", "cpu")
    return train_gd(np.asarray(X, float).reshape(len(X), -1), y, progress=False, **kw)


def _own_endpoint_fraction(X, y, res, step, tol=1e-2):
    """Fraction of live neurons (sign of a unchanged) within tol of the endpoint of their own basin flow."""
    X = np.asarray(X, float).reshape(len(X), -1)
    k = int(np.flatnonzero(res.checkpoints.steps == step)[0])
    W = np.asarray(res.checkpoints.W[k, 0], float)
    a = np.asarray(res.checkpoints.a[k, 0], float)
    W0, a0 = np.asarray(res.init_W[0], float), np.asarray(res.init_a[0], float)
    B = basins(X, y, starts=W0)
    U = W / np.linalg.norm(W, axis=1, keepdims=True)
    s = np.sign(a0)
    end = np.where((s > 0)[:, None], B[1].end, B[-1].end)
    ang = np.arccos(np.clip(np.sum(U * end, axis=1), -1, 1))
    live = np.any(U @ augment(X).T > 0, axis=1) & (np.sign(a) == s)  # GD can flip the sign of shrinking a
    lab = np.where(s > 0, B[1].labels, B[-1].labels)
    dead_now = ~np.any(U @ augment(X).T > 0, axis=1)
    # neurons not yet at a boundary attractor may still slide along a hyperplane through its data points
    Xh = augment(X) / np.linalg.norm(augment(X), axis=1, keepdims=True)
    ok = ang < tol
    for j in np.flatnonzero(live & ~ok & (lab >= 0)):
        thr = (B[1] if s[j] > 0 else B[-1]).extremal[lab[j]].through
        ok[j] = bool(thr) and np.min(np.abs(Xh[list(thr)] @ U[j])) < tol
    return float(np.mean(ang[live] < tol)), float(np.mean(ok[live])), float(np.mean((lab == -1) == dead_now))


def test_check3_check4_all_positive():
    x = np.array([-0.8, -0.3, 0.1, 0.6, 0.9])
    y = np.array([0.5, 1.0, 0.7, 1.2, 0.4])
    lam, lr = 1e-12, 0.1
    (e,) = extremal_directions(x, y)
    ck = int(0.75 * np.log(1 / lam) / e.rate / lr)
    res = _train(x, y, width=300, init_scale=lam, lr=lr, n_steps=3000, checkpoints=[ck], seed=3)
    k = int(np.flatnonzero(res.checkpoints.steps == ck)[0])
    W, a = np.asarray(res.checkpoints.W[k, 0], float), np.asarray(res.checkpoints.a[k, 0], float)
    U = W / np.linalg.norm(W, axis=1, keepdims=True)
    A = augment(x[:, None])
    live = (a > 0) & np.any(U @ A.T > 0, axis=1)
    assert np.mean(U[live] @ e.direction > 0.999) > 0.99
    Wf, af = np.asarray(res.W[0], float), np.asarray(res.a[0], float)
    assert np.all(~np.any(Wf[af < 0] @ A.T > 0, axis=1))  # a < 0 neurons end dead
    coef = np.polyfit(x, y, 1)
    assert res.loss[-1, 0] == pytest.approx(0.0449366, abs=1e-7)
    assert sup_distance((Wf, af), predict_function(x, y), x) < 1e-4
    amp = np.abs(af) * np.linalg.norm(Wf, axis=1)
    g = Wf[amp > 1e-3 * amp.max()]
    assert np.allclose(g / np.linalg.norm(g, axis=1, keepdims=True), coef / np.linalg.norm(coef), atol=1e-4)


def test_bf_stall():
    x, y = np.array([-0.75, -0.5, 0.125]), np.array([1.1, 0.1, 0.8])
    res = _train(x, y, width=200, init_scale=1e-6, lr=0.2, n_steps=4000)
    assert res.loss[-1, 0] == pytest.approx(0.0875214, abs=1e-7)


@pytest.mark.parametrize("d", [1, 2])
def test_alignment_phase_matches_basins(d):
    if d == 1:
        X, y = X_MIX[:, None], Y_MIX
    else:
        rng = np.random.default_rng(1)
        X, y = rng.uniform(-1, 1, (6, 2)), rng.normal(size=6)
    lam, lr = 1e-12, 0.05
    rate = max(e.rate for e in extremal_directions(X, y) if e.stable)
    ck = int(0.5 * np.log(1 / lam) / rate / lr)
    res = _train(X, y, width=300, init_scale=lam, lr=lr, n_steps=ck, checkpoints=[ck])
    at_end, on_path, dead_agree = _own_endpoint_fraction(X, y, res, ck)
    assert at_end > (0.95 if d == 1 else 0.7)
    assert on_path > 0.97
    assert dead_agree > 0.98


def test_final_function_is_a_predicted_one_2d():
    rng = np.random.default_rng(2)
    X, y = rng.uniform(-1, 1, (6, 2)), rng.normal(size=6)
    p = predict_function(X, y)
    lam, lr = 1e-6, 0.2
    steps = int(1.5 * p.escape_times[-1] * np.log(1 / lam) / lr)
    res = _train(X, y, width=500, init_scale=lam, lr=lr, n_steps=steps)
    assert res.loss[-1, 0] == pytest.approx(p.loss, rel=1e-4)
    assert sup_distance((np.asarray(res.W[0], float), np.asarray(res.a[0], float)), p, X) < 1e-3
