"""Training results on disk survive kills and damage: a save killed at any moment leaves the
previous result or the new one, complete; damaged files and mismatched resumes raise a clear error."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from geoquant.errors import GeoquantError, InvalidInputError
from geoquant.nn import load_result, save_checkpoints, train_gd

X = np.linspace(-1, 1, 7)
Y = np.sin(3 * X)

# A child that saves two distinguishable results (tag 1, tag 2) over each other forever. Every
# array of a save carries its tag, so a mix of two saves is detected.
_SAVER = r"""
import sys, types
import numpy as np
from geoquant.nn._checkpoint import Checkpoints
from geoquant.nn._io import save_checkpoints

m, width, d = 4, 2000, 2
rng = np.random.default_rng(0)
u = rng.random((m, width, d + 1))

def fake(tag):
    steps = np.array([0, 10 * tag, 100 * tag], dtype=np.int64)
    ck = Checkpoints(steps[[0, 2]], np.repeat((10 * tag + u)[None].astype(np.float32), 2, axis=0),
                     np.full((2, m, width), tag, np.float32), np.full((2, m), tag, float))
    return types.SimpleNamespace(
        W=10 * tag + u, a=np.full((m, width), float(tag)), init_W=u, init_a=np.zeros((m, width)),
        loss=np.full((3, m), float(tag)), steps=steps, times=np.zeros((3, m)), n_evals=np.full(m, tag),
        failed=[], converged=[], plateaus=[[] for _ in range(m)], c=None, init_c=None, hidden=(), init_hidden=(),
        checkpoints=ck,
        config={"method": "gd", "depth": 1, "n_models": m, "width": width, "n_dims": d, "steps_done": 100 * tag,
                "model_seeds": list(range(m)), "init_scale": [1.0] * m, "tag": tag})

a, b = fake(1), fake(2)
out = sys.argv[1]
save_checkpoints(a, out)
print("ready", flush=True)
i = 0
while True:
    i += 1
    save_checkpoints(b if i % 2 else a, out)
"""


def _check_whole(res):
    """The loaded result is one complete save (all files from the same one)."""
    tag = res.config["tag"]
    assert tag in (1, 2)
    assert res.config["steps_done"] == 100 * tag == res.steps[-1]
    assert np.all(np.floor(res.W / 10) == tag)
    assert np.all(res.a == tag) and np.all(res.loss == tag) and np.all(res.n_evals == tag)
    assert np.all(np.floor(res.checkpoints.W / 10) == tag) and np.all(res.checkpoints.a == tag)
    return tag


def test_save_killed_at_random_moments_leaves_a_complete_result(tmp_path):
    n_kills = int(os.environ.get("GEOQUANT_TEST_KILLS", "10"))
    out = tmp_path / "run"
    rng = np.random.default_rng(15)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    seen, inside = set(), 0
    for _ in range(n_kills):
        proc = subprocess.Popen([sys.executable, "-c", _SAVER, str(out)], env=env, stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        inside += (out / ".saving").exists()
        seen.add(_check_whole(load_result(out)))
        # the result stays loadable after being resumed from / saved over again
    assert seen  # each kill left a loadable result
    # a later save over a killed one completes it and cleans up
    res = load_result(out)
    save_checkpoints(res, out)
    assert not (out / ".saving").exists()
    assert _check_whole(load_result(out)) == res.config["tag"]
    print(f"{n_kills} kills, {inside} inside a save's staging, results lost: 0, tags seen {sorted(seen)}")


def test_interrupted_staging_is_finished_or_ignored(tmp_path):
    old = train_gd(X, Y, width=5, n_steps=10, progress=False, dtype="float64")
    new = train_gd(X, Y, width=5, n_steps=10, resume_from=old, progress=False, dtype="float64")
    out = tmp_path / "run"
    save_checkpoints(old, out)
    # a save killed before its config.json was staged: ignored, the old result loads
    (out / ".saving").mkdir()
    save_checkpoints(new, tmp_path / "tmpnew")
    shutil.copy(tmp_path / "tmpnew" / "result.npz", out / ".saving" / "result.npz")
    (out / ".saving" / ".tmp-abc.npz").write_bytes(b"PK\x03")
    assert load_result(out).config["steps_done"] == 10
    # a save killed while moving the staged files in: the new result loads (mixed names resolved)
    shutil.copy(tmp_path / "tmpnew" / "checkpoints.npz", out / "checkpoints.npz")
    shutil.copy(tmp_path / "tmpnew" / "config.json", out / ".saving" / "config.json")
    res = load_result(out)
    assert res.config["steps_done"] == 20 and len(res.checkpoints) == len(new.checkpoints)
    np.testing.assert_array_equal(res.W, new.W)
    # the next save finishes the move first, then writes
    save_checkpoints(res, out)
    assert not (out / ".saving").exists()
    np.testing.assert_array_equal(load_result(out).W, new.W)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    d = tmp_path_factory.mktemp("ck") / "run"
    res = \
        train_gd(X, Y, width=6, n_models=3, lr=[0.05, 0.05, 400.0], n_steps=30, progress=False, seed=1,
                 max_loss=[1e8, 1e8, 1.0])
    assert [i for i, _ in res.failed] == [2]
    save_checkpoints(res, d)
    return d


def _edit_npz(path, **changes):
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    for k, v in changes.items():
        if v is None:
            arrays.pop(k)
        else:
            arrays[k] = v(arrays[k]) if callable(v) else v
    np.savez(path, **arrays)


def _edit_config(path, **changes):
    cfg = json.loads(path.read_text())
    for k, v in changes.items():
        if v is None:
            cfg.pop(k)
        else:
            cfg[k] = v
    path.write_text(json.dumps(cfg))


def _nan_first(x):
    x = x.astype(float).copy()
    x.flat[0] = np.nan
    return x


DAMAGE = {
    "steps_done_negative": (lambda d: _edit_config(d / "config.json", steps_done=-5), "'steps_done'.*>= 0"),
    "steps_done_not_the_last_step": (lambda d: _edit_config(d / "config.json", steps_done=7), "steps_done=7"),
    "model_seeds_missing": (lambda d: _edit_config(d / "config.json", model_seeds=None), "'model_seeds'"),
    "model_seeds_short": (lambda d: _edit_config(d / "config.json", model_seeds=[1]), "'model_seeds'.*3 integers"),
    "depth_string": (lambda d: _edit_config(d / "config.json", depth="x"), "'depth'"),
    "init_scale_string": (lambda d: _edit_config(d / "config.json", init_scale="x"), "'init_scale'.*3 positive"),
    "max_loss_short": (lambda d: _edit_config(d / "config.json", max_loss=[1.0]), "'max_loss'"),
    "config_not_json": (lambda d: (d / "config.json").write_text("{ nope"), "config.json is not valid JSON"),
    "config_a_list": (lambda d: (d / "config.json").write_text("[1]"), "JSON object"),
    "W_nan": (lambda d: _edit_npz(d / "result.npz", W=_nan_first), "'W' holds 1 NaN"),
    "a_wrong_shape": (lambda d: _edit_npz(d / "result.npz", a=lambda x: x[:, :2]), "'a' must be numeric of shape"),
    "W_missing": (lambda d: _edit_npz(d / "result.npz", W=None), "lacks the array.*W"),
    "failed_index_out_of_range": (lambda d: _edit_npz(d / "result.npz", failed_index=np.array([7])),
                                  "'failed_index' must index models 0 <= i < 3"),
    "failed_index_float": (lambda d: _edit_npz(d / "result.npz", failed_index=np.array([0.5])), "'failed_index'"),
    "plateau_model_negative": (lambda d: _edit_npz(d / "result.npz", plateau_model=lambda x: x * 0 - 1),
                               "'plateau_model'"),
    "steps_decreasing": (lambda d: _edit_npz(d / "result.npz", steps=lambda x: x[::-1].copy()), "increasing"),
    "checkpoint_W_nan": (lambda d: _edit_npz(d / "checkpoints.npz", W=_nan_first), "checkpoints.npz array 'W'"),
    "checkpoint_a_wrong_shape": (lambda d: _edit_npz(d / "checkpoints.npz", a=lambda x: x[:1]), "'a' must be"),
    "result_truncated": (lambda d: (d / "result.npz").write_bytes((d / "result.npz").read_bytes()[:200]),
                         "result.npz is unreadable"),
    "checkpoints_garbage": (lambda d: (d / "checkpoints.npz").write_bytes(b"\x00" * 64), "checkpoints.npz is unreadable"),
    "result_pickled_object": (lambda d: _edit_npz(d / "result.npz", loss=np.array([object()], dtype=object)),
                              "unreadable"),
    "config_missing": (lambda d: (d / "config.json").unlink(), "lacks config.json"),
}



@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_damaged_result_raises_a_clear_error(saved, tmp_path, case):
    d = tmp_path / "run"
    shutil.copytree(saved, d)
    load_result(d)  # sound before the damage
    damage, pattern = DAMAGE[case]
    damage(d)
    with pytest.raises(InvalidInputError, match=pattern):
        load_result(d)
    with pytest.raises(GeoquantError, match="'directory'"):
        train_gd(X, Y, width=6, n_models=3, n_steps=5, resume_from=d, progress=False)


def test_resume_refuses_other_loss_data_or_points(saved):
    kw = dict(width=6, n_models=3, n_steps=5, progress=False, resume_from=saved)
    with pytest.raises(InvalidInputError, match="loss='squared'.*loss='logistic'"):
        train_gd(X, np.sign(Y) + (Y == 0), loss="logistic", **kw)
    with pytest.raises(InvalidInputError, match="n_points=7.*n_points=6"):
        train_gd(X[:6], Y[:6], **kw)
    with pytest.raises(InvalidInputError, match="'values' differ"):
        train_gd(X, Y + 1e-9, **kw)
    with pytest.raises(InvalidInputError, match="'points' differ"):
        train_gd(X[::-1].copy(), Y, **kw)
    res = train_gd(X, Y, **kw)  # the same data resumes
    assert res.config["steps_done"] == 35


def test_cli_train_checks_out_before_training(tmp_path, capsys):
    from geoquant.cli import main

    pts = tmp_path / "p.csv"
    pts.write_text("x\n" + "\n".join(str(v) for v in X) + "\n")
    afile = tmp_path / "afile"
    afile.write_text("keep me")
    base = ["train", str(pts), "--target", "runge", "--width", "4", "--steps", "5", "--no-plots"]
    assert main(base + ["--out", str(afile)]) == 1
    err = capsys.readouterr().err
    assert "'--out' must be a directory, found a file" in err and "Traceback" not in err
    assert afile.read_text() == "keep me"
    assert main(base + ["--out", str(afile / "sub")]) == 1
    assert "'--out' is not a writable directory" in capsys.readouterr().err
    if os.geteuid() != 0:  # root writes anywhere
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o500)
        assert main(base + ["--out", str(ro)]) == 1
        assert "permission denied" in capsys.readouterr().err
    assert main(base + ["--out", str(tmp_path / "ok")]) == 0
    assert load_result(tmp_path / "ok").config["steps_done"] == 5
