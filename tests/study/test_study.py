"""Studies: result files, resume, failures, executors, network ensembles."""

import json
import os

import numpy as np
import pandas as pd
import pytest

from geoquant.study import DETERMINISTIC_COLUMNS, load_gallery, load_results, run_study, study_status
from geoquant.compare._metrics import METRIC_COLUMNS
from geoquant.errors import GeoquantError

SPEC = """
[study]
name = "tiny"
seeds = [0, 1]
sizes = [6, 12]

[[targets]]
name = "runge"
dim = 1

[[targets]]
name = "franke"
dim = 2
sizes = [8, 16]

[[samplers]]
kind = "uniform"

[[methods]]
name = "delaunay"

[[methods]]
name = "knn"
n_neighbors = 2

[[methods]]
name = "rbf"
label = "rbf_broken"
kernel = "no_such_kernel"
"""

NET_SPEC = """
[study]
name = "nets"
seeds = [0, 1]
sizes = [6]

[[targets]]
name = "runge"
dim = 1

[[samplers]]
kind = "uniform"

[[methods]]
name = "network_small"
width = 8
n_steps = 150
lr = 0.3
restarts = 2
dtype = "float64"
"""


def _write(tmp_path, text, name="spec.toml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def _snapshot(out):
    d = out / "results"
    return {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in d.iterdir()}


@pytest.fixture(scope="module")
def serial_study(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("study")
    spec = _write(tmp, SPEC)
    out = tmp / "out"
    run = run_study(spec, out, workers=0, progress=False)
    return spec, out, run


def test_results_files_manifest_and_failures(serial_study):
    spec, out, run = serial_study
    n_tasks = 2 * 2 * 3 + 2 * 2 * 3
    assert run.n_tasks == n_tasks and run.n_done == n_tasks - 8 and run.n_failed == 8
    assert (out / "spec.toml").read_text() == spec.read_text()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["n_tasks"] == n_tasks and manifest["seeds"] == [0, 1]
    assert manifest["environment"]["versions"]["numpy"] == np.__version__
    assert "seed s draws the sample" in manifest["seed_policy"]
    files = sorted(p.name for p in (out / "results").iterdir())
    assert not any(f.startswith(".tmp-") for f in files)
    assert len([f for f in files if f.endswith(".json")]) == n_tasks
    df = load_results(out)
    assert len(df) == n_tasks and df["task_id"].is_unique
    failed = df[df["status"] == "failed"]
    assert set(failed["method"]) == {"rbf_broken"}
    rec = json.loads((out / "results" / f"{failed['task_id'].iloc[0]}.json").read_text())
    assert "Traceback" in rec["error"]["traceback"] and "kernel" in rec["error"]["message"]
    assert rec["error"]["type"] == "ValueError"
    assert rec["settings"]["method"]["params"]["kernel"] == "no_such_kernel"
    done = df[df["status"] == "done"]
    assert done["l2_hull"].notna().all() and (done["l2_hull"] > 0).all()
    assert (done[done["method"] == "delaunay"]["linf_ratio_hull"] <= 1 + 1e-9).all()
    st = study_status(out)
    assert st.loc["total", "done"] == n_tasks - 8 and st.loc["rbf_broken", "failed"] == 8
    assert st.loc["total", "pending"] == 0


def test_gallery_arrays_are_stored_for_the_gallery_seed(serial_study):
    _, out, _ = serial_study
    df = load_results(out)
    done = df[df["status"] == "done"]
    assert done[done["seed"] == 0]["gallery_file"].notna().all()
    assert done[done["seed"] == 1]["gallery_file"].isna().all()
    row = done[(done["method"] == "delaunay") & (done["seed"] == 0) & (done["dim"] == 2)].iloc[0]
    g = load_gallery(out, row["gallery_file"])
    assert g["X"].shape == (row["n"], 2) and g["state_simplices"].shape[1] == 3
    np.testing.assert_allclose(g["per_simplex_hull"].sum(), row["l2_hull"] ** 2, rtol=1e-12)
    assert g["f_grid"].shape == g["g_grid"].shape == (g["grid"].shape[0],)


def test_rerun_skips_done_and_retry_reruns_failed_only(serial_study):
    spec, out, _ = serial_study
    before = _snapshot(out)
    again = run_study(spec, out, workers=0, progress=False)
    assert (again.n_done, again.n_failed, again.n_skipped) == (0, 0, again.n_tasks)
    assert _snapshot(out) == before
    retry = run_study(spec, out, workers=0, retry_failed=True, progress=False)
    assert (retry.n_done, retry.n_failed) == (0, 8)
    after = _snapshot(out)
    df = load_results(out)
    failed_files = {f"{t}.json" for t in df[df["status"] == "failed"]["task_id"]}
    for name, (mtime, data) in before.items():
        if name in failed_files:
            assert after[name][0] >= mtime  # rewritten
        else:
            assert after[name] == (mtime, data)  # done results untouched
    assert len(json.loads((out / "manifest.json").read_text())["runs"]) == 3


def test_other_spec_in_same_dir_and_concurrent_runs_are_refused(serial_study, tmp_path):
    spec, out, _ = serial_study
    other = _write(tmp_path, SPEC.replace("seeds = [0, 1]", "seeds = [0, 1, 2]"))
    with pytest.raises(GeoquantError, match="holds a different study"):
        run_study(other, out, workers=0, progress=False)
    import fcntl

    fd = os.open(out / ".lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(GeoquantError, match="another geoquant study is running"):
            run_study(spec, out, workers=0, progress=False)
    finally:
        os.close(fd)
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "x.txt").write_text("x")
    with pytest.raises(GeoquantError, match="not empty and holds no study"):
        run_study(spec, tmp_path / "junk", workers=0, progress=False)


def _deterministic(df):
    return df[DETERMINISTIC_COLUMNS + METRIC_COLUMNS].reset_index(drop=True)


def test_process_pool_and_dask_give_the_serial_table(serial_study, tmp_path):
    spec, out, _ = serial_study
    ref = _deterministic(load_results(out))
    pool = run_study(spec, tmp_path / "pool", workers=2, progress=False)
    assert pool.executor.startswith("local process pool")
    pd.testing.assert_frame_equal(_deterministic(load_results(tmp_path / "pool")), ref, rtol=1e-12)
    pytest.importorskip("distributed")
    dask = run_study(spec, tmp_path / "dask", dask_local=1, dask_processes=False, progress=False)
    assert dask.executor.startswith("Dask LocalCluster")
    pd.testing.assert_frame_equal(_deterministic(load_results(tmp_path / "dask")), ref, rtol=1e-12)
    # an existing scheduler, by address (--scheduler tcp://HOST:PORT)
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        remote = run_study(spec, tmp_path / "remote", scheduler=cluster.scheduler_address, progress=False)
    assert remote.executor == f"Dask scheduler at {cluster.scheduler_address}"
    pd.testing.assert_frame_equal(_deterministic(load_results(tmp_path / "remote")), ref, rtol=1e-12)


def test_dask_missing_gives_a_clear_error(monkeypatch, tmp_path):
    import builtins

    real = builtins.__import__

    def fake(name, *a, **k):
        if name == "distributed" or name.startswith("distributed."):
            raise ImportError("No module named 'distributed'")
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", fake)
    spec = _write(tmp_path, SPEC)
    with pytest.raises(GeoquantError, match=r"pip install 'geoquant\[dask\]'"):
        run_study(spec, tmp_path / "o", scheduler="tcp://127.0.0.1:1", progress=False)


def test_networks_train_as_one_ensemble_and_resume_deterministically(tmp_path):
    spec = _write(tmp_path, NET_SPEC)
    out = tmp_path / "o"
    run_study(spec, out, workers=0, progress=False)
    df = load_results(out)
    assert len(df) == 4 and (df["status"] == "done").all()
    # 2 seeds x 2 restarts share (target, sampler, n) and the ensemble parameters: one train_gd call
    assert (df["info_ensemble_size"] == 4).all()
    first = _deterministic(df)
    # lose one result: the rerun retrains the whole ensemble, writes only the missing file
    victim = df["task_id"].iloc[2]
    keep = _snapshot(out)
    (out / "results" / f"{victim}.json").unlink()
    (out / "results" / f"{victim}.npz").unlink(missing_ok=True)
    again = run_study(spec, out, workers=0, progress=False)
    assert (again.n_done, again.n_skipped) == (1, 3)
    after = _snapshot(out)
    for name, v in keep.items():
        if not name.startswith(victim):
            assert after[name] == v
    pd.testing.assert_frame_equal(_deterministic(load_results(out)), first, rtol=1e-12)
    W = [load_gallery(out, f)["state_W"] for f in load_results(out)["gallery_file"].dropna()]
    assert len(W) == 1 and W[0].shape == (8, 2)  # gallery: seed 0, restart 0 only
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["runs"][0]["devices_available"]  # probed because the study trains networks


@pytest.mark.gpu
def test_network_ensembles_run_on_cuda(tmp_path):
    spec = _write(tmp_path, NET_SPEC)
    run_study(spec, tmp_path / "o", workers=0, device="cuda", progress=False)
    df = load_results(tmp_path / "o")
    assert (df["status"] == "done").all() and df["device"].str.startswith("cuda").all()
