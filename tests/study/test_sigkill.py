"""A study killed with SIGKILL at random moments loses and duplicates nothing,
and resuming it gives the table of an uninterrupted run."""

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from geoquant.study import DETERMINISTIC_COLUMNS, load_results, run_study
from geoquant.compare._metrics import METRIC_COLUMNS

SPEC = """
[study]
name = "killme"
seeds = [0, 1, 2, 3]
sizes = [6, 10, 16, 24]

[[targets]]
name = "runge"
dim = 1

[[targets]]
name = "franke"
dim = 2

[[samplers]]
kind = "uniform"

[[methods]]
name = "delaunay"

[[methods]]
name = "knn"

[[methods]]
name = "rbf"
"""

_CLI = [sys.executable, "-m", "geoquant", "study"]


def _results(out):
    d = out / "results"
    if not d.is_dir():
        return {}
    snap = {}
    for p in d.iterdir():
        if p.name.startswith(".tmp-"):
            continue  # a killed write leaves at most a temporary, never a partial result
        data = p.read_bytes()
        if p.suffix == ".json":
            rec = json.loads(data)  # every result file is complete
            assert p.stem == rec["task_id"]
        snap[p.name] = data
    return snap


def test_sigkill_at_random_moments_then_resume(tmp_path):
    if importlib.util.find_spec("geoquant.cli") is None:  # pragma: no cover
        pytest.skip("geoquant.cli not importable")
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC)
    out = tmp_path / "killed"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}
    rng = np.random.default_rng(2024)
    prev = {}
    kills = finished_early = 0
    for attempt in range(6):
        proc = subprocess.Popen(
            _CLI + [str(spec), "--out", str(out), "--workers", "2", "--quiet"],
            env=env, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        # Kill at a random moment *of the study's progress* (after a random number of new
        # results, plus a random few milliseconds to land inside later writes), so the test
        # interrupts a running study on a fast idle machine as well as on a loaded one.
        start = len(_results(out))
        goal = start + int(rng.integers(1, 8))
        extra = rng.uniform(0.0, 0.05)
        deadline = time.monotonic() + 60
        while proc.poll() is None and len(_results(out)) < goal and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(extra)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the whole group: the CLI and its pool workers
            proc.wait()
            kills += 1
        else:
            finished_early += 1
            assert proc.returncode == 0, proc.stderr.read().decode()[-2000:]
        proc.stdout.close()
        proc.stderr.close()
        snap = _results(out)
        # nothing finished before is lost or changed
        for name, data in prev.items():
            assert snap.get(name) == data, f"{name} lost or rewritten after kill {attempt}"
        prev = snap
        if proc.returncode == 0:
            break
    assert kills >= 2, "the study finished before it could be killed twice; make the spec larger"
    done = subprocess.run(_CLI + [str(spec), "--out", str(out), "--workers", "2", "--quiet", "--json"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    final = _results(out)
    for name, data in prev.items():
        assert final[name] == data
    df = load_results(out)
    assert summary["n_tasks"] == len(df) == df["task_id"].nunique()
    assert summary["already_finished"] == len([n for n in prev if n.endswith(".json")])
    assert (df["status"] == "done").all()
    status = subprocess.run(_CLI + ["status", str(out), "--json"], env=env, capture_output=True, text=True)
    assert json.loads(status.stdout)["methods"]["total"]["pending"] == 0
    # the uninterrupted run (here in process) gives the same table
    ref = tmp_path / "clean"
    run_study(spec, ref, workers=0, progress=False)
    cols = DETERMINISTIC_COLUMNS + METRIC_COLUMNS
    pd.testing.assert_frame_equal(df[cols], load_results(ref)[cols], rtol=1e-12)
    runs = json.loads((out / "manifest.json").read_text())["runs"]
    assert len(runs) == kills + finished_early + 1
