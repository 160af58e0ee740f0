"""Checkpoints: log-spaced schedules, save/load without pickles, exact resume."""

import json
import os

import numpy as np
import pytest

from geoquant.errors import InvalidInputError
from geoquant.nn import load_result, save_checkpoints, train_gd
from geoquant.nn._checkpoint import log_schedule, log_times

X = np.linspace(-1, 1, 7)
Y = np.sin(3 * X)


def test_log_schedule_is_log_spaced_and_resumable():
    s = log_schedule(0, 10**6, 61)
    assert s[0] == 1 and s[-1] == 10**6 and np.all(np.diff(s) > 0)
    # about 10 points per decade once the rounding to integers stops merging them
    per_decade = [np.sum((s >= 10**k) & (s < 10 ** (k + 1))) for k in range(2, 6)]
    assert all(9 <= c <= 11 for c in per_decade)
    # a resumed run continues the global grid: the tail of the straight grid
    assert np.array_equal(log_schedule(1000, 10**6, 61), s[s > 1000])
    assert log_schedule(5, 5, 10).size == 0
    assert np.array_equal(log_schedule(0, 7, 0), [7])
    t = log_times(0.0, 10.0, 5, 1e-3)
    assert t[-1] == 10.0 and t[0] == pytest.approx(1e-3) and np.allclose(np.diff(np.log(t)), np.log(10))


@pytest.fixture(scope="module")
def result():
    return train_gd(
        X, Y, width=9, n_models=3, lr=[0.05, 0.1, 0.2], n_steps=400, init="gaussian", init_scale=0.3,
        dtype="float64", checkpoints=12, output_bias=True, progress=False, seed=3,
    )


def test_checkpoints_are_consistent(result):
    ck = result.checkpoints
    assert ck.steps[0] == 0 and ck.steps[-1] == 400 and np.all(np.diff(ck.steps) > 0)
    assert ck.W.dtype == np.float32 and ck.W.shape == (len(ck), 3, 9, 2)
    # step 0 is the initialization, the last checkpoint the final state (in float32)
    np.testing.assert_array_equal(ck.W[0], result.init_W.astype(np.float32))
    np.testing.assert_array_equal(ck.a[-1], result.a.astype(np.float32))
    # the stored loss belongs to the stored parameters
    for i in (0, len(ck) // 2, len(ck) - 1):
        f = result.predict(X, checkpoint=i)
        np.testing.assert_allclose(ck.loss[i], 0.5 * np.mean((f - Y) ** 2, axis=1), rtol=1e-5)
    step, W, a, loss = ck[3]
    assert step == ck.steps[3] and W.shape == (3, 9, 2) and a.shape == (3, 9) and loss.shape == (3,)
    assert ck[3].c.shape == (3,)
    # checkpoint steps are also loss-record steps, with the same loss
    for i, s in enumerate(ck.steps):
        j = int(np.flatnonzero(result.steps == s)[0])
        np.testing.assert_allclose(result.loss[j], ck.loss[i], rtol=1e-12)


def test_save_load_round_trip_without_pickles(result, tmp_path):
    d = save_checkpoints(result, tmp_path / "run")
    assert sorted(os.listdir(d)) == ["checkpoints.npz", "config.json", "result.npz"]
    for name in ("result.npz", "checkpoints.npz"):
        with np.load(os.path.join(d, name), allow_pickle=False) as z:
            assert all(z[k].dtype != object for k in z.files)
    with np.load(os.path.join(d, "checkpoints.npz"), allow_pickle=False) as z:
        assert z["W"].dtype == np.float32
    back = load_result(d)
    assert back.W.dtype == np.float64  # final state keeps the training precision
    np.testing.assert_array_equal(back.W, result.W)
    np.testing.assert_array_equal(back.c, result.c)
    np.testing.assert_array_equal(back.init_a, result.init_a)
    np.testing.assert_array_equal(back.loss, result.loss)
    np.testing.assert_array_equal(back.steps, result.steps)
    np.testing.assert_array_equal(back.checkpoints.W, result.checkpoints.W)
    assert back.failed == result.failed and back.plateaus == result.plateaus
    assert back.config["model_seeds"] == result.config["model_seeds"]
    json.load(open(os.path.join(d, "config.json")))
    np.testing.assert_array_equal(back.predict(X), result.predict(X))


@pytest.mark.parametrize("via_disk", [False, True])
def test_resume_equals_training_straight_through(tmp_path, via_disk):
    kw = dict(width=12, n_models=2, lr=[0.1, 0.3], init_scale=1e-3, dtype="float64", progress=False, seed=8)
    straight = train_gd(X, Y, n_steps=500, **kw)
    first = train_gd(X, Y, n_steps=180, **kw)
    src = save_checkpoints(first, tmp_path / "first") if via_disk else first
    resumed = train_gd(X, Y, n_steps=320, resume_from=src, **kw)
    np.testing.assert_array_equal(resumed.W, straight.W)
    np.testing.assert_array_equal(resumed.a, straight.a)
    np.testing.assert_array_equal(resumed.init_W, straight.init_W)
    assert resumed.config["steps_done"] == 500 and resumed.steps[-1] == 500
    assert np.all(np.diff(resumed.steps) > 0) and resumed.steps[0] == 0
    np.testing.assert_allclose(resumed.loss[-1], straight.loss[-1], rtol=1e-14)
    np.testing.assert_allclose(resumed.times[-1], [50.0, 150.0])
    assert resumed.n_evals.tolist() == [500, 500]
    assert np.all(np.diff(resumed.checkpoints.steps) > 0)


def test_resume_keeps_failed_models_frozen():
    kw = dict(width=5, n_models=2, init="gaussian", init_scale=0.5, dtype="float64", progress=False, seed=[1, 2])
    L0 = train_gd(X, Y, lr=0.1, n_steps=0, **kw).loss[0]
    first = train_gd(X, Y, lr=[0.1, 500.0], n_steps=50, max_loss=[1e8, 10 * L0[1]], **kw)
    assert [i for i, _ in first.failed] == [1]
    resumed = train_gd(X, Y, lr=[0.1, 500.0], n_steps=50, resume_from=first, **kw)
    assert [i for i, _ in resumed.failed] == [1]
    np.testing.assert_array_equal(resumed.W[1], first.W[1])
    assert resumed.n_evals[1] == first.n_evals[1]


def test_resume_and_load_errors(tmp_path):
    first = train_gd(X, Y, width=6, n_steps=5, progress=False)
    with pytest.raises(InvalidInputError, match="'resume_from'.*width"):
        train_gd(X, Y, width=7, n_steps=5, resume_from=first, progress=False)
    with pytest.raises(InvalidInputError, match="'directory'"):
        load_result(tmp_path)
    with pytest.raises(InvalidInputError, match="'directory'"):
        train_gd(X, Y, width=6, n_steps=5, resume_from=str(tmp_path / "missing"), progress=False)
    with pytest.raises(InvalidInputError, match="'step'"):
        first.checkpoints.index(100)
