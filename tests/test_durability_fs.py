"""Security and file-system behaviour of everything geoquant writes: hostile values in a study
directory stay inert text in the report, a planted lock link is never followed, files honour the
umask, a full disk gives a plain message and keeps the previous files, --plot DIR writes inside DIR."""

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import numpy as np
import pytest

from geoquant.cli import main
from geoquant.study import load_results, run_study
from geoquant.study._results import _checksum
from geoquant.errors import GeoquantError, StorageError

DATA = "geoquant/data/points/random20_2d.csv"
PAYLOADS = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "[x](javascript:alert(1))",
            "$\\frac{1}{0$ and $x"]
SPEC = """
[study]
name = "fs"
seeds = [0]
sizes = [6, 8]

[[targets]]
name = "runge"
dim = 1

[[samplers]]
kind = "uniform"

[[methods]]
name = "delaunay"
label = {label}

[[methods]]
name = "knn"
"""


def _spec(tmp_path, label="delaunay"):
    p = tmp_path / "spec.toml"
    p.write_text(SPEC.format(label=json.dumps(label)))
    return p


def _hostile(obj, payload):
    """Every string (and every number) in a JSON document replaced by the payload."""
    if isinstance(obj, dict):
        return {k: _hostile(v, payload) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_hostile(v, payload) for v in obj]
    if isinstance(obj, (str, int, float)) and not isinstance(obj, bool):
        return payload
    return obj


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_values_in_a_study_directory_stay_inert_in_the_report(tmp_path, payload):
    from geoquant.report import make_report

    spec = _spec(tmp_path, label=payload)  # a label is printed in tables and drawn in figures (no TeX)
    out = tmp_path / "study"
    run_study(spec, out, workers=0, progress=False)
    man = out / "manifest.json"
    manifest = _hostile(json.loads(man.read_text()), payload)
    manifest["runs"] = [{"started": payload}]
    man.write_text(json.dumps(manifest))  # n_tasks, name, description, versions, seed policy, dates ...
    for p in (out / "results").glob("*.json"):  # every field outside the hashed settings
        rec = json.loads(p.read_text())
        rec["device"] = payload
        rec["info"] = {"note": payload}
        rec["timing"] = {"fit_s": 0.1, "eval_s": 0.1}
        if rec["status"] == "done" and "knn" in rec["settings"]["method"]["name"]:
            rec["status"], rec["error"] = "failed", {"message": payload, "type": payload}
        rec["checksum"] = _checksum(rec)  # a hostile writer can recompute it: the values must still stay inert
        p.write_text(json.dumps(rec))
    assert load_results(out).attrs["damaged"] == []
    rep = make_report(out, tmp_path / "report", progress=False)
    page, md = rep.html.read_text(), rep.markdown.read_text()
    for text in (page, md):
        assert "<script>alert" not in text and "<img src=x" not in text
    assert "[x](javascript:" not in md and "x\\](javascript" in md or payload != PAYLOADS[2]
    assert page.count("<script") == 0 and rep.n_figures >= 1


def test_a_symlinked_lock_is_never_followed(tmp_path):
    spec = _spec(tmp_path)
    out = tmp_path / "study"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (out / ".lock").symlink_to(victim)
    with pytest.raises(GeoquantError, match="symbolic link"):
        run_study(spec, out, workers=0, progress=False)
    assert victim.read_text() == "precious"
    (out / ".lock").unlink()
    (out / ".lock").symlink_to(tmp_path / "would_be_created")  # dangling
    with pytest.raises(GeoquantError, match="symbolic link"):
        run_study(spec, out, workers=0, progress=False)
    assert not (tmp_path / "would_be_created").exists()
    (out / ".lock").unlink()
    os.mkfifo(out / ".lock")  # not a regular file: refused without blocking
    with pytest.raises(GeoquantError, match="regular file"):
        run_study(spec, out, workers=0, progress=False)


def test_files_honour_the_umask(tmp_path):
    from geoquant.nn import save_checkpoints, train_gd
    from geoquant.report import make_report

    old = os.umask(0o027)
    try:
        spec = _spec(tmp_path)
        run_study(spec, tmp_path / "study", workers=0, progress=False)
        make_report(tmp_path / "study", tmp_path / "report", progress=False)
        res = train_gd(np.linspace(-1, 1, 5), np.arange(5.0), width=3, n_steps=3, progress=False)
        save_checkpoints(res, tmp_path / "run")
    finally:
        os.umask(old)
    made = [p for p in tmp_path.rglob("*") if p != spec]
    files = [p for p in made if p.is_file()]
    assert len(files) >= 12 and (tmp_path / "study" / "spec.toml") in files and (tmp_path / "study" / ".lock") in files
    for p in files:
        assert p.stat().st_mode & 0o777 == 0o640, (p, oct(p.stat().st_mode))
    for p in made:
        if p.is_dir():
            assert p.stat().st_mode & 0o777 == 0o750, (p, oct(p.stat().st_mode))


def test_plot_dir_writes_inside_the_directory(tmp_path, capsys):
    d = tmp_path / "plots"
    d.mkdir()
    assert main(["delaunay", DATA, "--plot", str(d)]) == 0
    assert (d / "delaunay.png").stat().st_size > 1000 and not (tmp_path / "plots.png").exists()
    assert main(["error", DATA, "--target", "franke", "--plot", str(tmp_path / "new") + os.sep]) == 0
    assert (tmp_path / "new" / "error.png").is_file()
    assert main(["delaunay", DATA, "--plot", str(tmp_path / "noext")]) == 0
    assert f"plot written to {tmp_path / 'noext.png'}" in capsys.readouterr().out
    assert main(["delaunay", DATA, "--plot", str(tmp_path / "bad.xyz")]) == 1
    assert "'--plot' must name a directory or a file" in capsys.readouterr().err


@pytest.fixture
def small_disk(tmp_path):
    """A 4 MB tmpfs (needs the right to mount; skipped with the reason otherwise)."""
    mnt = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    mnt.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no 'mount' command to make a small tmpfs")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here to fill a disk: {r.stderr.strip() or r.returncode}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def _fill(mnt: Path) -> None:
    with open(mnt / "filler", "wb", buffering=0) as fh:
        for chunk in (65536, 4096, 1):  # down to the last byte
            try:
                while True:
                    fh.write(b"\0" * chunk)
            except OSError:
                pass


def test_full_disk_gives_a_plain_message_and_keeps_previous_files(small_disk, tmp_path, capsys):
    from geoquant.nn import load_result, save_checkpoints, train_gd
    from geoquant.report import make_report

    spec = _spec(tmp_path)
    study = tmp_path / "study"
    run_study(spec, study, workers=0, progress=False)
    rep_dir = small_disk / "report"
    first = make_report(study, rep_dir, progress=False)
    old_page = first.html.read_bytes()
    res = train_gd(np.linspace(-1, 1, 5), np.arange(5.0), width=3, n_steps=3, progress=False)
    save_checkpoints(res, small_disk / "run")
    _fill(small_disk)

    # the report: a plain message, the previous page intact, no temporary left
    with pytest.raises(StorageError, match="disk full"):
        make_report(study, rep_dir, progress=False)
    assert first.html.read_bytes() == old_page
    assert main(["report", str(study), "--out", str(rep_dir)]) == 1
    err = capsys.readouterr().err
    assert "disk full" in err and "Traceback" not in err
    assert first.html.read_bytes() == old_page
    assert sorted(p.name for p in rep_dir.iterdir()) == ["index.html", "summary.md"]

    # a training save over the previous one: refused, the previous result loads
    res2 = train_gd(np.linspace(-1, 1, 5), np.arange(5.0), width=3, n_steps=3, progress=False, resume_from=res)
    with pytest.raises(StorageError, match="disk full"):
        save_checkpoints(res2, small_disk / "run")
    assert load_result(small_disk / "run").config["steps_done"] == 3

    # a study on the full disk: one plain line
    assert main(["study", str(spec), "--out", str(small_disk / "s"), "--workers", "0", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "disk full" in err and "Traceback" not in err
