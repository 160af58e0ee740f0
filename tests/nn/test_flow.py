"""Gradient flow with adaptive steps: agreement with small-step GD at a fraction
of the gradient evaluations, conservation, resume, validation."""

import numpy as np
import pytest

from geoquant.errors import InvalidInputError
from geoquant.nn import train_flow, train_gd

X = np.linspace(-1, 1, 6)
Y = np.abs(X) - 0.3  # mixed signs: neurons escape, then the fit stalls
GRID = np.linspace(-1, 1, 401)  # dense grid over the data hull
KW = dict(width=50, init_scale=1e-4, seed=1, progress=False)


@pytest.fixture(scope="module")
def flow_and_gd():
    T, lr = 60.0, 0.005
    times = [25.0, T]
    flow = train_flow(X, Y, t_max=T, checkpoints=times, **KW)
    gd = train_gd(
        X, Y, lr=lr, n_steps=int(T / lr), dtype="float64", checkpoints=[int(t / lr) for t in times], **KW
    )
    return flow, gd


def test_flow_reaches_the_gd_function_with_10x_fewer_gradient_evaluations(flow_and_gd):
    flow, gd = flow_and_gd
    assert flow.failed == [] and flow.method == "flow"
    # something happened: the function moved far from ~0 at initialization
    assert np.abs(flow.predict(GRID)).max() > 0.2
    sup = np.abs(flow.predict(GRID) - gd.predict(GRID)).max()
    assert sup < 1e-3
    assert flow.n_evals[0] * 10 <= gd.n_evals[0]
    assert flow.final_loss[0] == pytest.approx(gd.final_loss[0], rel=1e-4)


def _balance_drift(r):
    d = (r.a**2 - (r.W**2).sum(-1)) - (r.init_a**2 - (r.init_W**2).sum(-1))
    return np.abs(d).max() / (r.a**2).max()


def test_flow_error_and_balance_drift_shrink_with_rtol(flow_and_gd):
    # at t = 25 the function changes quickly; a 100x tighter tolerance must move
    # the coarse solution by little, the GD run (error O(lr)) must agree to a few lr,
    # and the conserved a_j^2 - |w_j|^2 must drift less
    flow, gd = flow_and_gd
    coarse = train_flow(X, Y, t_max=25.0, checkpoints=0, **KW)
    fine = train_flow(X, Y, t_max=25.0, rtol=1e-5, checkpoints=0, **KW)
    fine_25 = fine.predict(GRID)
    assert np.abs(fine_25).max() > 0.05
    assert np.abs(coarse.predict(GRID) - fine_25).max() < 1e-3
    assert np.abs(gd.predict(GRID, checkpoint=0) - fine_25).max() < 2e-3
    assert fine.n_evals[0] > coarse.n_evals[0]
    assert _balance_drift(coarse) < 1e-5
    assert _balance_drift(fine) < 0.1 * _balance_drift(coarse)


def test_train_gd_method_flow_integrates_lr_times_steps():
    a = train_gd(X, Y, lr=0.5, n_steps=20, method="flow", dtype="float64", checkpoints=0, **KW)
    b = train_flow(X, Y, t_max=10.0, checkpoints=0, **KW)
    np.testing.assert_array_equal(a.W, b.W)
    assert a.config["t_max"] == 10.0 and a.steps[-1] == 10.0


def test_flow_resume_equals_straight_run():
    straight = train_flow(X, Y, t_max=30.0, checkpoints=[15.0, 30.0], records=30, t_first=1e-4, **KW)
    first = train_flow(X, Y, t_max=15.0, checkpoints=[15.0], records=30, t_first=1e-4, **KW)
    second = train_flow(X, Y, t_max=30.0, checkpoints=[30.0], records=30, t_first=1e-4, resume_from=first, **KW)
    np.testing.assert_allclose(second.W, straight.W, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(second.init_W, straight.init_W)
    assert second.steps[-1] == 30.0 and second.config["t_done"] == 30.0
    assert np.all(np.diff(second.steps) > 0)


def test_dense_output_records_match_checkpoint_losses():
    r = train_flow(X, Y, t_max=30.0, checkpoints=[10.0, 20.0, 30.0], records=40, **KW)
    # records come from interpolation, checkpoints are integrator states: at the
    # shared final time they coincide; in between the recorded loss is monotone
    assert r.loss[-1, 0] == pytest.approx(r.checkpoints.loss[-1, 0], rel=1e-12)
    assert np.all(np.diff(r.loss[:, 0]) <= 1e-9)


def test_flow_evaluation_budget_marks_failure():
    r = train_flow(X, Y, t_max=60.0, max_evals=40, checkpoints=0, **KW)
    assert [i for i, _ in r.failed] == [0]
    assert "evaluation budget" in r.failed[0][1]
    assert r.n_evals[0] <= 40 + 3


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"t_max": -1.0}, "t_max"),
        ({"rtol": 0.0}, "rtol"),
        ({"atol": -1.0}, "atol"),
        ({"h_max": 0.0}, "h_max"),
        ({"max_evals": 0}, "max_evals"),
        ({"checkpoints": [100.0]}, "checkpoints"),
        ({"t_first": 0.0}, "t_first"),
    ],
)
def test_flow_argument_errors(kwargs, name):
    args = dict(t_max=1.0, **KW)
    args.update(kwargs)
    with pytest.raises(InvalidInputError, match=name):
        train_flow(X, Y, **args)


def test_flow_cannot_resume_gd_and_method_flow_needs_scalar_lr():
    gd = train_gd(X, Y, width=5, n_steps=3, progress=False)
    with pytest.raises(InvalidInputError, match="resume_from"):
        train_flow(X, Y, width=5, t_max=1.0, resume_from=gd, progress=False)
    with pytest.raises(InvalidInputError, match="lr"):
        train_gd(X, Y, width=5, n_models=2, lr=[0.1, 0.2], method="flow", progress=False)


# --- sliding modes ----------------------------------------------------------------------------------------
XS = np.linspace(-1, 1, 12) + 0.03 * np.sin(7 * np.arange(12))
XS[0], XS[-1] = -1.0, 1.0
YS = 1 / (1 + 25 * XS**2)
YS = YS - YS.mean()
KS = dict(width=20, n_models=2, init_scale=1e-3, seed=[0, 1], checkpoints=0, progress=False)
KS_NOCK = {k: v for k, v in KS.items() if k != "checkpoints"}


@pytest.fixture(scope="module")
def sliding_pair():
    on = train_flow(XS, YS, t_max=80.0, rtol=1e-4, **KS)
    off = train_flow(XS, YS, t_max=80.0, rtol=1e-4, sliding=False, **KS)
    return on, off


def test_sliding_reaches_the_same_flow_with_far_fewer_evaluations(sliding_pair):
    on, off = sliding_pair
    assert on.config["sliding"] is True and off.config["sliding"] is False  # 1D: on by default
    assert on.failed == [] and off.failed == []
    assert on.config["sliding_events"]["pinned"] > 0
    grid = np.linspace(-1, 1, 801)
    assert np.abs(on.predict(grid) - off.predict(grid)).max() < 1e-3 * YS.std()
    np.testing.assert_allclose(on.final_loss, off.final_loss, rtol=1e-4)
    # measured: 692 and 2069 evaluations against 15316 and 14287
    assert np.all(on.n_evals * 5 <= off.n_evals)


def test_pinned_neurons_sit_on_their_point_and_slide_there(sliding_pair):
    # independent check of the Filippov condition at the end, in numpy: the flow pushes the kink back
    # onto the data point from both sides
    on, _ = sliding_pair
    pins = on.config["flow_pins"]
    assert len(pins) > 0
    Xt = np.stack([XS, np.ones_like(XS)], axis=1)
    for b, j, i in pins:
        W, a = on.W[b].astype(np.float64), on.a[b].astype(np.float64)
        z = W @ Xt.T  # (k, n)
        f = np.maximum(z, 0.0).T @ a
        r = (f - YS) / len(XS)
        assert abs(z[j, i]) <= 1e-8 * np.linalg.norm(W[j]) * np.linalg.norm(Xt[i])
        others = (z[j] > 0) & (np.arange(len(XS)) != i)
        G = (r[others, None] * Xt[others]).sum(axis=0)
        v_in = -a[j] * G @ Xt[i]  # d z_ji / dt with point i inactive
        v_act = v_in - a[j] * r[i] * Xt[i] @ Xt[i]  # ... and active
        assert v_act < 0 < v_in


def test_sliding_resume_equals_straight_run():
    straight = train_flow(XS, YS, t_max=60.0, checkpoints=[30.0, 60.0], records=20, t_first=1e-3, **KS_NOCK)
    first = train_flow(XS, YS, t_max=30.0, checkpoints=[30.0], records=20, t_first=1e-3, **KS_NOCK)
    assert first.config["flow_pins"]
    second = train_flow(XS, YS, t_max=60.0, checkpoints=[60.0], records=20, t_first=1e-3, resume_from=first,
                        **KS_NOCK)
    np.testing.assert_allclose(second.W, straight.W, rtol=1e-10, atol=1e-14)
    assert second.config["flow_pins"] == straight.config["flow_pins"]


def test_sliding_argument_is_checked():
    with pytest.raises(InvalidInputError, match="sliding"):
        train_flow(X, Y, t_max=1.0, sliding="yes", **KW)
