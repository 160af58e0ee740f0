"""Damaged study directories: every damaged result file is found, readers skip it and say so,
a rerun moves it to quarantine/ and reruns its task, and the study ends equal to an undamaged one."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from geoquant.study import DETERMINISTIC_COLUMNS, load_gallery, load_results, run_study, study_status
from geoquant.compare._metrics import METRIC_COLUMNS
from geoquant.errors import GeoquantError

SPEC = """
[study]
name = "damage"
seeds = [0, 1]
sizes = [6, 9]
gallery_seeds = [0]

[[targets]]
name = "runge"
dim = 1

[[samplers]]
kind = "uniform"

[[methods]]
name = "delaunay"

[[methods]]
name = "knn"
"""

# the same tasks plus one more method: another study whose results share task ids
OTHER = SPEC.replace('name = "damage"', 'name = "other"') + '\n[[methods]]\nname = "rbf"\n'
N_TASKS = 2 * 2 * 2


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("damaged")
    (tmp / "spec.toml").write_text(SPEC)
    (tmp / "other.toml").write_text(OTHER)
    run_study(tmp / "spec.toml", tmp / "clean", workers=0, progress=False)
    run_study(tmp / "other.toml", tmp / "other", workers=0, progress=False)
    return tmp


def _cols(df):
    return df[DETERMINISTIC_COLUMNS + METRIC_COLUMNS].reset_index(drop=True)


def _records(d):
    out = {}
    for p in sorted((d / "results").glob("*.json")):
        try:
            rec = json.loads(p.read_text())
        except ValueError:
            continue
        if isinstance(rec, dict) and "task_id" in rec:
            out[p.stem] = rec
    return out


def _with_gallery(d):
    return sorted(t for t, r in _records(d).items() if r.get("gallery_file"))


def _without_gallery(d):
    return sorted(t for t, r in _records(d).items() if not r.get("gallery_file"))


# each case damages a copy of the clean study; returns (task ids that must rerun, reason pattern, n damaged files)
def foreign_json(d, src):
    (d / "results" / "notes.json").write_text(json.dumps({"hello": "world"}))
    return [], "foreign name", 1


def foreign_json_with_an_id_name(d, src):
    (d / "results" / ("0" * 20 + ".json")).write_text("[1, 2, 3]")
    return [], "not a result record", 1


def no_task_id(d, src):
    tid = _without_gallery(src / "clean")[0]
    p = d / "results" / f"{tid}.json"
    rec = json.loads(p.read_text())
    del rec["task_id"]
    p.write_text(json.dumps(rec))
    return [tid], "no 'task_id'", 1


def truncated_json(d, src):
    tid = _without_gallery(src / "clean")[1]
    p = d / "results" / f"{tid}.json"
    p.write_bytes(p.read_bytes()[:50])
    return [tid], "unreadable JSON", 1


def spoofed_id(d, src):
    # a result claims to be another task: the missing task must not look done
    a, b = _without_gallery(src / "clean")[:2]
    rec = json.loads((d / "results" / f"{a}.json").read_text())
    rec["task_id"] = b
    (d / "results" / f"{b}.json").write_text(json.dumps(rec))
    return [b], "do not hash to its task_id", 1


def altered_metrics_settings(d, src):
    tid = _without_gallery(src / "clean")[2]
    p = d / "results" / f"{tid}.json"
    rec = json.loads(p.read_text())
    rec["settings"]["n"] = 1000
    p.write_text(json.dumps(rec))
    return [tid], "do not hash to its task_id", 1


def altered_metric(d, src):
    tid = _with_gallery(src / "clean")[2]
    p = d / "results" / f"{tid}.json"
    rec = json.loads(p.read_text())
    rec["metrics"]["l2_hull"] = 0.0
    p.write_text(json.dumps(rec))
    return [tid], "checksum", 2


def copied_from_another_study(d, src):
    # a task of the other study that this spec does not have
    other = src / "other"
    mine = set(_records(src / "clean"))
    tid = next(t for t in sorted(_records(other)) if t not in mine)
    shutil.copy(other / "results" / f"{tid}.json", d / "results" / f"{tid}.json")
    if (other / "results" / f"{tid}.npz").exists():
        shutil.copy(other / "results" / f"{tid}.npz", d / "results" / f"{tid}.npz")
    n = 1 + (d / "results" / f"{tid}.npz").exists()
    return [], "not a task of this study", n


def same_task_from_another_study(d, src):
    # same task id (same settings), but written by another study (other spec fingerprint)
    tid = _without_gallery(src / "clean")[3]
    shutil.copy(src / "other" / "results" / f"{tid}.json", d / "results" / f"{tid}.json")
    return [tid], "another study", 1


def bad_gallery(d, src):
    tid = _with_gallery(src / "clean")[0]
    p = d / "results" / f"{tid}.npz"
    p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2])
    return [tid], "gallery file", 2


def missing_gallery(d, src):
    tid = _with_gallery(src / "clean")[1]
    (d / "results" / f"{tid}.npz").unlink()
    return [tid], "is missing", 1


def symlink_in_results(d, src):
    target = d.parent / "elsewhere.json"
    target.write_text("{}")
    tid = _without_gallery(src / "clean")[0]
    (d / "results" / f"{tid}.json").unlink()
    (d / "results" / f"{tid}.json").symlink_to(target)
    return [tid], "foreign name or type", 1


CASES = [foreign_json, foreign_json_with_an_id_name, no_task_id, truncated_json, spoofed_id, altered_metrics_settings,
         altered_metric,
         copied_from_another_study, same_task_from_another_study, bad_gallery, missing_gallery, symlink_in_results]


@pytest.mark.parametrize("damage", CASES, ids=[c.__name__ for c in CASES])
def test_damaged_file_is_skipped_then_quarantined_and_rerun(clean, tmp_path, damage):
    d = tmp_path / "study"
    shutil.copytree(clean / "clean", d, symlinks=True)
    rerun, reason, n_files = damage(d, clean)
    before = {p.name: p.read_bytes() for p in (d / "results").iterdir() if not p.is_symlink()}

    # readers: skip the damage and say what they skipped, never raise
    status = study_status(d)
    damaged = status.attrs["damaged"]
    assert len(damaged) == n_files and any(reason in x["reason"] for x in damaged), damaged
    assert status.loc["total", "pending"] == len(rerun)
    assert status.loc["total", "done"] == N_TASKS - len(rerun)
    df = load_results(d)
    assert len(df) == N_TASKS - len(rerun) and not set(rerun) & set(df["task_id"])
    assert df.attrs["damaged"] == damaged
    for g in df["gallery_file"].dropna():
        load_gallery(d, g)  # every gallery a reader is offered is readable
    # the readers changed nothing
    assert {p.name: p.read_bytes() for p in (d / "results").iterdir() if not p.is_symlink()} == before

    # resume: the damaged files go to quarantine/ (listed), their tasks rerun, the rest is kept
    run = run_study(d / "spec.toml", d, workers=0, progress=False)
    assert run.n_done == len(rerun) and run.n_skipped == N_TASKS - len(rerun)
    assert sorted(x["file"] for x in run.quarantined) == sorted(f"results/{x['file']}" for x in damaged)
    index = json.loads((d / "quarantine" / "index.json").read_text())
    assert [x["moved_to"] for x in index] == [x["moved_to"] for x in run.quarantined]
    for x in index:
        assert (d / x["moved_to"]).exists() or (d / x["moved_to"]).is_symlink()
    df = load_results(d)
    assert df.attrs["damaged"] == []
    pd.testing.assert_frame_equal(_cols(df), _cols(load_results(clean / "clean")), rtol=1e-12)
    assert study_status(d).loc["total", "pending"] == 0


def test_report_and_cli_on_a_directory_with_every_damage(clean, tmp_path, capsys):
    from geoquant.cli import main
    from geoquant.report import make_report

    d = tmp_path / "study"
    shutil.copytree(clean / "clean", d, symlinks=True)
    rerun, n_files = set(), 0
    # the cases that damage distinct tasks (spoofed ids and links are covered above)
    for damage in [c for c in CASES if c not in (spoofed_id, symlink_in_results)]:
        r, _, n = damage(d, clean)
        rerun |= set(r)
        n_files += n
    (d / "manifest.json").write_text('{"runs": [')  # truncated manifest
    assert main(["study", "status", str(d)]) == 0
    out = capsys.readouterr().out
    assert f"skipped {n_files} damaged result file(s)" in out
    assert main(["study", "status", str(d), "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["damaged"]) == n_files

    rep = make_report(d, tmp_path / "report", progress=False)
    page = rep.html.read_text()
    assert f"Skipped {n_files + 1} damaged file(s)" in page  # + the manifest
    assert "Skipped" in rep.markdown.read_text()
    assert len(rep.skipped) == n_files + 1

    assert main(["study", str(d / "spec.toml"), "--out", str(d), "--workers", "0", "--quiet", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["done"] == len(rerun)
    assert len(summary["quarantined"]) == n_files + 1  # + the manifest, replaced by a new one
    assert json.loads((d / "manifest.json").read_text())["n_tasks"] == N_TASKS
    df = load_results(d)
    pd.testing.assert_frame_equal(_cols(df), _cols(load_results(clean / "clean")), rtol=1e-12)
    rep = make_report(d, tmp_path / "report", progress=False)
    assert rep.skipped == [] and "Skipped" not in rep.html.read_text()


def test_load_gallery_refuses_paths_and_damage(clean, tmp_path):
    d = tmp_path / "study"
    shutil.copytree(clean / "clean", d)
    with pytest.raises(GeoquantError, match="'task_id_or_file'"):
        load_gallery(d, "../../etc/passwd")
    tid = _with_gallery(d)[0]
    arrays = load_gallery(d, tid)
    assert all(isinstance(v, np.ndarray) for v in arrays.values())
    (d / "results" / f"{tid}.npz").write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(GeoquantError, match="unreadable"):
        load_gallery(d, tid)
