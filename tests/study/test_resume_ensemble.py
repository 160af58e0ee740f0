"""Resume inside a network ensemble: an ensemble interrupted between two training segments continues from its
saved state and ends exactly where a run straight through ends."""

import json

import numpy as np
import pytest

from geoquant.study import load_results, run_study
from geoquant.compare.methods._networks import TRAIN_SEGMENTS, segment_ends, train_networks


def _data(n=7, seed=0):
    rng = np.random.default_rng(seed)
    X = np.sort(rng.uniform(-1, 1, (n, 1)), axis=0)
    return X, np.sin(3 * X[:, 0]) + 0.3 * X[:, 0]


def _params(mode, **kw):
    p = {"width": 16, "init": "balanced", "init_scale": 1e-2, "lr": 0.05, "n_steps": 400, "t_max": None,
         "tol": None, "rmse_tol": 5e-4, "grad_tol": 1e-6, "rtol": 1e-4, "mode": mode, "dtype": "float64",
         "center": False, "restarts": 1}
    p.update(kw)
    return p


@pytest.mark.parametrize("mode, extra", [("flow", {"t_max": 20.0}), ("gd", {"n_steps": 400})])
def test_interrupted_ensemble_resumes_bit_identically(tmp_path, mode, extra):
    X0, y0 = _data(seed=0)
    X1, y1 = _data(seed=1)
    Xs, ys = [X0, X1, X0], [y0, y1, y0]
    params = [_params(mode, **extra), _params(mode, **extra, init_scale=1e-1), _params(mode, **extra)]
    seeds = [0, 1, 2]
    straight = train_networks(Xs, ys, params, seeds)
    d = tmp_path / "unit"
    assert train_networks(Xs, ys, params, seeds, checkpoint_dir=str(d), stop_after=3) is None
    saved = json.loads((d / "config.json").read_text())["study_segment"]
    assert saved["done"] == 3
    resumed = train_networks(Xs, ys, params, seeds, checkpoint_dir=str(d))
    assert resumed["info"]["resumed_segments"] == [3, 3, 3]
    assert straight["info"]["resumed_segments"] == [0, 0, 0]
    np.testing.assert_array_equal(resumed["W"], straight["W"])  # bit-identical
    np.testing.assert_array_equal(resumed["a"], straight["a"])
    for k in ("train_status", "train_loss", "final_loss", "stationary_at", "converged_at", "train_steps"):
        assert resumed["info"][k] == straight["info"][k], k


def test_a_saved_state_of_another_ensemble_or_a_damaged_one_is_not_used(tmp_path):
    X0, y0 = _data()
    params = [_params("gd", n_steps=200)]
    straight = train_networks([X0], [y0], params, [0])
    d = tmp_path / "unit"
    train_networks([X0], [y0], params, [5], checkpoint_dir=str(d), stop_after=2)  # another seed
    again = train_networks([X0], [y0], params, [0], checkpoint_dir=str(d))
    assert again["info"]["resumed_segments"] == [0]
    np.testing.assert_array_equal(again["W"], straight["W"])
    train_networks([X0], [y0], params, [0], checkpoint_dir=str(d), stop_after=2)
    (d / "result.npz").write_bytes(b"garbage")
    again = train_networks([X0], [y0], params, [0], checkpoint_dir=str(d))
    assert again["info"]["resumed_segments"] == [0]
    np.testing.assert_array_equal(again["W"], straight["W"])


def test_segment_ends_depend_on_the_budget_only():
    assert segment_ends(8.0, 0, flow=True) == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
    assert segment_ends(0.0, 3, flow=False) == [1, 2, 3]  # never more segments than steps
    ends = segment_ends(0.0, 1000, flow=False)
    assert len(ends) == TRAIN_SEGMENTS and ends[-1] == 1000


SPEC = """
[study]
name = "resume"
seeds = [0, 1]
[[targets]]
name = "runge"
dim = 1
sizes = [6]
[[samplers]]
kind = "uniform"
params = { corners = true }
[[methods]]
name = "network_small"
width = 12
init_scale = 0.1
t_max = 30.0
"""


def test_a_study_interrupted_inside_an_ensemble_resumes_there(tmp_path, monkeypatch):
    """Ctrl-C in the middle of an ensemble's training: the rerun continues from its last segment and writes the
    same results as a study that was never interrupted."""
    import geoquant.nn as gnn

    spec = tmp_path / "s.toml"
    spec.write_text(SPEC)
    ref = run_study(spec, tmp_path / "ref", workers=0, progress=False)
    assert ref.n_done == 2
    real = gnn.train_gd
    calls = {"n": 0}

    def interrupted(*a, **k):
        calls["n"] += 1
        if calls["n"] == 4:  # after three segments were saved
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(gnn, "train_gd", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_study(spec, tmp_path / "s", workers=0, progress=False)
    saved = list((tmp_path / "s" / "training").iterdir())
    assert len(saved) == 1 and json.loads((saved[0] / "config.json").read_text())["study_segment"]["done"] == 3
    monkeypatch.setattr(gnn, "train_gd", real)
    run = run_study(spec, tmp_path / "s", workers=0, progress=False)
    assert run.n_done == 2 and run.n_skipped == 0
    assert not (tmp_path / "s" / "training").exists()  # removed once the results are written
    a, b = load_results(tmp_path / "ref"), load_results(tmp_path / "s")
    assert (b["info_resumed_segments"] == 3).all() and (a["info_resumed_segments"] == 0).all()
    for c in ("l2_inner", "train_loss", "between_l2", "train_status"):
        assert a[c].tolist() == b[c].tolist(), c


CTRL_C_SPEC = """
[study]
name = "ctrl-c"
seeds = [0, 1]
[[targets]]
name = "runge"
dim = 1
sizes = [6]
[[samplers]]
kind = "uniform"
params = { corners = true }
[[methods]]
name = "network_small"
width = 16
init_scale = 0.1
mode = "gd"
lr = 0.05
n_steps = 40000
"""


def test_ctrl_c_inside_an_ensemble_leaks_nothing_and_the_rerun_resumes_it(tmp_path):
    """Ctrl-C (SIGINT) on a study whose pool is training an ensemble: exit 130, no 'leaked semaphore' warning
    from the workers ended mid-training, the ensemble's saved state left in training/; the rerun resumes it
    from there and writes the results of a run that was never interrupted."""
    import signal
    import subprocess
    import sys
    import time

    spec = tmp_path / "s.toml"
    spec.write_text(CTRL_C_SPEC)
    out = tmp_path / "s"
    cmd = [sys.executable, "-m", "geoquant", "study", str(spec), "--out", str(out), "--workers", "2", "--quiet"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if list((out / "training").glob("*/config.json")):
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the study ended before an ensemble saved a segment"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "leaked semaphore" not in err and "resource_tracker" not in err, err
    saved = [json.loads(p.read_text())["study_segment"]["done"] for p in (out / "training").glob("*/config.json")]
    assert saved and all(k >= 1 for k in saved)
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    assert not (out / "training").exists()
    ref = run_study(spec, tmp_path / "ref", workers=0, progress=False)
    assert ref.n_done == 2
    a, b = load_results(tmp_path / "ref"), load_results(out)
    assert (b["info_resumed_segments"] >= 1).all() and (a["info_resumed_segments"] == 0).all()
    for c in ("l2_inner", "train_loss", "between_l2"):
        np.testing.assert_allclose(b[c].astype(float), a[c].astype(float), rtol=1e-9, err_msg=c)
    assert a["train_status"].tolist() == b["train_status"].tolist()
