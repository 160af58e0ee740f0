"""A killed study leaves no process behind: SIGTERM stops it like Ctrl-C, and after
SIGKILL of the study process its pool workers, fork server and resource tracker end too."""

import os
import signal
import subprocess
import sys
import time

import pytest

from geoquant.study import load_results

from .test_sigkill import SPEC

_CLI = [sys.executable, "-m", "geoquant", "study"]


def _group(pgid):
    """Live (non-zombie) processes of a process group."""
    out = subprocess.run(["ps", "-eo", "pid=,pgid=,stat="], capture_output=True, text=True).stdout
    return [int(p) for p, g, st in (line.split()[:3] for line in out.splitlines() if line.strip())
            if int(g) == pgid and not st.startswith("Z")]


def _start(tmp_path, out):
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(_CLI + [str(spec), "--out", str(out), "--workers", "2", "--quiet"], env=env,
                            start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:  # wait until the pool is at work
        if len(_group(proc.pid)) >= 4 and (out / "results").is_dir() and any((out / "results").glob("*.json")):
            break
        time.sleep(0.05)
    if proc.poll() is not None:
        pytest.skip("the study finished before it could be killed")
    return proc


def _left_after(pgid, wait_s=10.0):
    deadline = time.monotonic() + wait_s
    while _group(pgid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return _group(pgid)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_killed_study_leaves_no_process(tmp_path, sig):
    out = tmp_path / "study"
    proc = _start(tmp_path, out)
    n_before = len(_group(proc.pid))
    assert n_before >= 4  # the CLI, the fork server, the resource tracker and the workers
    os.kill(proc.pid, sig)  # the study process only, as timeout/Slurm/systemd or the OOM killer would
    proc.wait(timeout=60)
    stdout, stderr = proc.communicate()
    left = _left_after(proc.pid)
    for pid in left:  # clean up before failing
        os.kill(pid, signal.SIGKILL)
    assert left == [], f"{len(left)} of {n_before} processes left after {sig.name}"
    if sig == signal.SIGTERM:
        assert proc.returncode == 128 + signal.SIGTERM
        assert "terminated (SIGTERM)" in stderr and "Traceback" not in stderr
    # every finished result is intact (resuming after kills is checked in test_sigkill.py)
    df = load_results(out)
    assert len(df) >= 1 and df["task_id"].is_unique and df.attrs["damaged"] == []
