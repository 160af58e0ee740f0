"""Known exact results about small-initialisation dynamics, as tests.

* Orthogonal inputs (Boursier, Pillaud-Vivien & Flammarion, NeurIPS 2022): when the
  augmented inputs ``(x_i, 1)`` are pairwise orthogonal, gradient flow from a small
  initialisation reaches zero loss for any labels.
* Escape time (docs/theory.md §2): a cluster of neurons aligned with the first escaping
  extremal direction ``p`` (rate ``G0``) carries ``f = M(t) relu(p . x~)``; while
  the other neurons are negligible, ``M' = 2 M (G0 - M |phi|^2 / n)``
  (``phi_i = relu(p . x~_i)``), a logistic curve with ceiling ``M* = n G0 / |phi|^2``.
  The loss falls half way from its initial plateau to the rank-one fit ``L1 = L0 -
  G0 M* / 2`` when ``M = (1 - 1/sqrt 2) M*``, at
  ``t = t_engine + (log(M* / m) - log(1 + sqrt 2)) / (2 G0)``, where
  ``t_engine = log(1/lambda) / G0`` is the theory engine's escape time (growth of
  ``|w|`` from ``lambda`` to 1) and ``m = M(t_a) exp(-2 G0 t_a) / lambda^2`` is the
  measured size of the cluster (its mass in units of ``lambda^2``, read at a
  checkpoint ``t_a`` after the alignment and before the escape).
* Stable extremal directions with a negative rate attract shrinking neurons
  (``ExtremalDirection.growing``).
"""

from pathlib import Path

import numpy as np
import pytest

from geoquant.theory import extremal_directions, predict_function
from geoquant.theory._alignment import augment

POINTS = Path(__file__).resolve().parents[2] / "geoquant" / "data" / "points"


def _load_1d(name):
    d = np.loadtxt(POINTS / f"{name}.csv", delimiter=",", skiprows=1)
    return d[:, 0], d[:, 1]


# ---------------------------------------------------------------------------
# growing flag
# ---------------------------------------------------------------------------
def _frozen_field_flow(X, r, W, a, dt, n_steps):
    """Euler steps of the small-init ODE with frozen residual weights ``r`` (docs/theory.md §1):
    ``a' = w . D(w)``, ``w' = a D(w)``, ``D(w) = sum_{i: w . x~_i > 0} r_i x~_i``."""
    Xt = augment(X)
    norms = []
    for _ in range(n_steps):
        act = (W @ Xt.T > 0).astype(float)
        D = (act * r) @ Xt
        ga = np.sum(W * D, axis=1)
        W = W + dt * a[:, None] * D
        a = a + dt * ga
        norms.append(np.linalg.norm(W, axis=1))
    return W, a, np.array(norms)


def test_growing_flag_is_the_sign_of_the_rate():
    for seed in range(10):
        rng = np.random.default_rng(seed)
        for d in (1, 2):
            X, y = rng.uniform(-1, 1, (6, d)), rng.normal(size=6)
            for e in extremal_directions(X, y):
                assert e.growing == (e.rate > 0)
                assert abs(e.rate) > 0  # listed directions have a non-zero rate here


def test_stable_direction_with_negative_rate_attracts_shrinking_neurons():
    rng = np.random.default_rng(10)
    X, y = rng.uniform(-1, 1, (6, 1)), rng.normal(size=6)
    shrink = [e for e in extremal_directions(X, y) if e.stable and not e.growing]
    assert len(shrink) == 1
    e = shrink[0]
    assert e.rate < 0 and e.kind == "boundary"
    # neurons of sign e.sign started near e.direction stay there and decay like exp(rate t)
    k = 16
    tangent = np.array([-e.direction[1], e.direction[0]])
    U = e.direction[None, :] + np.linspace(-0.02, 0.02, k)[:, None] * tangent[None, :]
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    eps = 1e-6
    W0, a0 = eps * U, e.sign * eps * np.ones(k)
    dt, n_steps = 1e-3, 20000
    W, a, norms = _frozen_field_flow(X, y / len(y), W0, a0, dt, n_steps)
    cos = (W / np.linalg.norm(W, axis=1, keepdims=True)) @ e.direction
    assert np.all(cos > 1 - 1e-4)
    assert np.all(np.sign(a) == e.sign)
    # growth rate of log|w| over the second half (after the alignment)
    slope = (np.log(norms[-1]) - np.log(norms[n_steps // 2])) / (dt * (n_steps - n_steps // 2 - 1))
    assert np.allclose(slope, e.rate, rtol=0.02)
    assert np.all(norms[-1] < norms[0])


# ---------------------------------------------------------------------------
# escape time of the first plateau
# ---------------------------------------------------------------------------
def _escape_ratio(x, y, lam, width=100, seed=0):
    from geoquant.nn import train_flow

    stage = predict_function(x, y).stages[0]
    e, G0 = stage.direction, stage.rate
    assert stage.time * G0 == pytest.approx(1.0, rel=1e-9)  # engine: |w| from lambda to 1
    t_engine = stage.time * np.log(1 / lam)
    n = len(x)
    L0 = 0.5 * np.mean(y**2)
    phi = np.maximum(augment(x[:, None]) @ e.direction, 0.0)
    M_star = n * G0 / (phi @ phi)
    L_half = L0 - G0 * M_star / 4  # half way from L0 to the rank-one fit L0 - G0 M*/2
    t_a = 0.5 * t_engine
    res = train_flow(
        x[:, None], y, width=width, init_scale=lam, t_max=1.5 * t_engine, checkpoints=[t_a], records=1500,
        t_first=0.3 * t_engine, seed=seed, progress=False,
    )
    ck = res.checkpoints
    k = int(np.argmin(np.abs(np.asarray(ck.steps, float) - t_a)))
    t_ck = float(ck.steps[k])
    W, a = np.asarray(ck.W[k, 0], float), np.asarray(ck.a[k, 0], float)
    U = W / np.linalg.norm(W, axis=1, keepdims=True)
    cluster = (np.sign(a) == e.sign) & (U @ e.direction > 0.999)
    M_a = e.sign * float(np.sum(a[cluster] * (W[cluster] @ e.direction)))
    m = M_a * np.exp(-2 * G0 * t_ck) / lam**2  # measured cluster size (mass / lambda^2)
    t_pred = t_engine + (np.log(M_star / m) - np.log(1 + np.sqrt(2))) / (2 * G0)
    loss, t = res.loss[:, 0], res.times[:, 0]
    i = int(np.flatnonzero(loss <= L_half)[0])
    assert i > 0 and loss[0] == pytest.approx(L0, rel=1e-6)
    t_meas = t[i - 1] + (t[i] - t[i - 1]) * (loss[i - 1] - L_half) / (loss[i - 1] - loss[i])
    return t_meas / t_pred, t_meas / t_engine, int(cluster.sum())


def test_escape_time_all_positive_labels():
    x, y = _load_1d("five_1d")
    ratio, lead, size = _escape_ratio(x, y, 1e-6)
    assert size >= 20
    assert abs(ratio - 1) < 0.1
    assert abs(lead - 1) > 0.1  # the cluster-size correction is needed at this lambda


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, lam",
    [("five_1d", 1e-10), ("boursier_1d", 1e-6), ("boursier_1d", 1e-9), ("mixed_1d", 1e-6), ("mixed_1d", 1e-9)],
)
def test_escape_time_slow(name, lam):
    x, y = _load_1d(name)
    ratio, _, size = _escape_ratio(x, y, lam)
    assert size >= 5
    assert abs(ratio - 1) < 0.1


# ---------------------------------------------------------------------------
# orthogonal inputs
# ---------------------------------------------------------------------------
def _orthogonal_2d():
    # (x_i, 1) . (x_j, 1) = x_i . x_j + 1 = 0: three points at radius sqrt(2), 120 degrees apart
    ang = 2 * np.pi * np.arange(3) / 3 + 0.3
    return np.sqrt(2) * np.column_stack([np.cos(ang), np.sin(ang)])


@pytest.mark.slow
@pytest.mark.parametrize("d", [1, 2])
def test_orthogonal_inputs_reach_zero_loss_for_any_labels(d):
    from geoquant.nn import train_flow

    X = _orthogonal_2d() if d == 2 else np.array([[-2.0], [0.5]])
    Xt = augment(X)
    G = Xt @ Xt.T
    assert np.allclose(G - np.diag(np.diag(G)), 0.0, atol=1e-12)
    n = len(X)
    rng = np.random.default_rng(d)
    signs = np.array(np.meshgrid(*[[-1.0, 1.0]] * n)).reshape(n, -1).T  # every sign pattern
    Y = np.concatenate([signs * rng.uniform(0.2, 2.0, signs.shape), rng.normal(size=(2, n))])
    res = train_flow(
        X, Y, width=50, n_models=len(Y), init_scale=1e-6, t_max=200.0, tol=1e-11, rtol=1e-6,
        seed=list(range(len(Y))), progress=False, records=50,
    )
    assert not res.failed
    final = np.array([np.min(res.loss[:, k]) for k in range(len(Y))])
    assert np.all(final < 1e-10), final
    assert sorted(i for i, _ in res.converged) == list(range(len(Y)))


# ---------------------------------------------------------------------------
# 1D small-init interpolating networks against the minimum-norm interpolant
# ---------------------------------------------------------------------------
def _hanin_allowed_gaps(x, y):
    """Gaps ``(x_i, x_{i+1})`` in which a minimum-norm interpolant may bend (x sorted).

    Interior gaps: Hanin (2021) -- only where the discrete curvatures at both ends
    have the same (non-zero) sign.  End gaps: with Savarese's cost (no free linear
    unit) a minimiser is linear there when ``|s_first + s_last| <= V`` (``V`` the
    total variation of the data's slopes; derived: any extra slope change at the
    ends adds to ``int |f''|``), and may bend when the end term dominates.
    """
    s = np.diff(y) / np.diff(x)
    eps = np.sign(np.diff(s))  # eps[j] at the interior point x[j + 1]
    n = len(x)
    allowed = np.zeros(n - 1, dtype=bool)
    for i in range(1, n - 2):
        allowed[i] = eps[i - 1] != 0 and eps[i - 1] == eps[i]
    ends_bend = abs(s[0] + s[-1]) > np.sum(np.abs(np.diff(s)))
    allowed[0] = allowed[-1] = ends_bend
    return allowed


def _interp_data(seed, n=5):
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-1, 1, n))
    y = rng.normal(size=n)
    return x, y - y.mean()


@pytest.fixture(scope="module")
def trained_seed34():
    """Zero-mean labels on 5 points where small-init GD interpolates (lambda = 1e-6)."""
    from geoquant.nn import train_gd

    x, y = _interp_data(34)
    p = predict_function(x, y)
    lam, lr = 1e-6, 0.05
    n_steps = int(1.5 * p.escape_times[-1] * np.log(1 / lam) / lr)
    res = train_gd(
        x[:, None], y, width=100, n_models=2, init_scale=lam, lr=lr, n_steps=n_steps, tol=1e-14, dtype="float64",
        seed=[0, 1], progress=False, checkpoints=0,
    )
    nets = [(np.asarray(res.W[m], float), np.asarray(res.a[m], float)) for m in range(2)]
    return x, y, p, res, nets


def _kinks(W, a, x):
    amp = np.abs(a) * np.linalg.norm(W, axis=1)
    big = (amp > 1e-3 * amp.max()) & (W[:, 0] != 0)
    k = -W[big, 1] / W[big, 0]
    return k[(k > x[0]) & (k < x[-1])]


@pytest.mark.slow
def test_small_init_interpolant_is_the_saddle_to_saddle_function(trained_seed34):
    """Measured: GD interpolates and lands on the theory engine's predicted function,
    whose cost is 1.23 x the minimum (so small-init GD is not minimum-norm here)."""
    from geoquant.theory import minnorm_interpolant, representation_cost, sup_distance

    x, y, p, res, nets = trained_seed34
    mn = minnorm_interpolant(x, y)
    pred_cost = float(np.sum(np.abs(p.coefficients) * np.abs(np.asarray(p.weights)[:, 0])))
    assert p.loss < 1e-12
    for m, (W, a) in enumerate(nets):
        assert res.loss[-1, m] < 1e-8
        assert representation_cost(W, a) == pytest.approx(pred_cost, rel=1e-3)
        assert sup_distance((W, a), p, x[:, None]) < 1e-3
        assert representation_cost(W, a) / mn.cost > 1.2


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="measured (seed 34, lambda 1e-6, width 100): GD follows the saddle-to-saddle prediction, with a kink at "
    "x = -0.973 in the end gap where the minimum-norm interpolant is linear, and cost ratio 1.231 to minnorm",
)
def test_small_init_interpolant_meets_the_minnorm_characterisation(trained_seed34):
    """Issue 10's claim: kinks within 1e-2 of a data point or in a gap where Hanin's
    condition allows one, and cost ratio to minnorm <= 1.05."""
    from geoquant.theory import minnorm_interpolant, representation_cost

    x, y, _, res, nets = trained_seed34
    mn = minnorm_interpolant(x, y)
    allowed = _hanin_allowed_gaps(x, y)
    for m, (W, a) in enumerate(nets):
        assert res.loss[-1, m] < 1e-8
        k = _kinks(W, a, x)
        near = np.min(np.abs(k[:, None] - x[None, :]), axis=1) <= 1e-2
        gap = np.searchsorted(x, k) - 1
        assert np.all(near | allowed[gap])
        assert representation_cost(W, a) / mn.cost <= 1.05


def test_hanin_allowed_gaps_agree_with_the_minnorm_interpolant():
    """Where the rule forbids a bend, the exact minimum-norm interpolant is linear."""
    from geoquant.theory import minnorm_interpolant

    for seed in range(8):
        x, y = _interp_data(200 + seed, n=7)
        mn = minnorm_interpolant(x, y)
        allowed = _hanin_allowed_gaps(x, y)
        for i in np.flatnonzero(~allowed):
            t = np.linspace(x[i], x[i + 1], 101)
            chord = y[i] + (y[i + 1] - y[i]) / (x[i + 1] - x[i]) * (t - x[i])
            assert np.max(np.abs(mn(t[:, None]) - chord)) <= 1e-8
