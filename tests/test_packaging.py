"""The package installed, not editable, works (issue 24 item 2): the shipped studies and point sets are
package data read with importlib.resources, a shipped study runs by name from any directory, and the
sdist -> wheel -> fresh virtual environment chain carries them."""

import os
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import geoquant
from geoquant._resources import shipped_points, shipped_studies
from geoquant.study import load_spec
from geoquant.errors import GeoquantError, InvalidInputError, SpecError

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "geoquant" / "data"


def test_one_home_for_shipped_files():
    # the package directory is the only copy: no top-level data/ beside it
    assert not (ROOT / "data").exists()
    assert shipped_studies() == sorted(p.stem for p in (SHIPPED / "studies").glob("*.toml"))
    assert shipped_points() == sorted(p.stem for p in (SHIPPED / "points").glob("*.csv"))
    assert {"first", "quickstart", "paper", "small_init", "phase"} <= set(shipped_studies())


def test_shipped_study_by_name_is_the_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # any directory
    for name in shipped_studies():
        by_name, by_path = load_spec(name, check_samples=False), load_spec(SHIPPED / "studies" / f"{name}.toml",
                                                                          check_samples=False)
        assert by_name.source == by_path.source
        assert [t.id for t in by_name.tasks()] == [t.id for t in by_path.tasks()]
    assert load_spec("first.toml", check_samples=False).source == load_spec("first", check_samples=False).source


def test_a_file_of_the_same_name_wins(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = (SHIPPED / "studies" / "first.toml").read_text().replace('name = "first"', 'name = "mine"', 1)
    (tmp_path / "first").write_text(text)
    assert load_spec("first", check_samples=False).name == "mine"


def test_unknown_name_lists_the_shipped_studies(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SpecError) as exc:
        load_spec("no_such_study")
    msg = str(exc.value)
    assert isinstance(exc.value, GeoquantError)
    assert "'no_such_study'" in msg and all(n in msg for n in shipped_studies())
    # a path (with a separator) is never looked up among the shipped names
    with pytest.raises(SpecError, match="cannot read"):
        load_spec("sub/first")


def test_shipped_points_by_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in shipped_points():
        ps = geoquant.load_points(name)
        ref = geoquant.load_points(SHIPPED / "points" / f"{name}.csv")
        assert (ps.points == ref.points).all() and (ps.values() == ref.values()).all()
    with pytest.raises(InvalidInputError, match="random20_2d") as exc:
        geoquant.load_points("no_such_points")
    assert "'path'" in str(exc.value)


def test_cli_names_a_shipped_study_from_another_directory(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(ROOT)
    out = subprocess.run([sys.executable, "-m", "geoquant", "study", "first", "--dry-run", "--no-timing"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    n = len(load_spec("first", check_samples=False).tasks())
    assert re.search(rf"study first: {n} tasks", out.stdout)
    bad = subprocess.run([sys.executable, "-m", "geoquant", "study", "nope", "--out", "o"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "quickstart" in bad.stderr and "Traceback" not in bad.stderr


def _build(hook: str, src: Path, dist: Path) -> Path:
    """Run the setuptools PEP 517 hook ``hook`` in ``src`` (offline: no build isolation, nothing downloaded)."""
    code = f"from setuptools import build_meta as b; print(b.{hook}({str(dist)!r}))"
    res = subprocess.run([sys.executable, "-c", code], cwd=src, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    return dist / res.stdout.strip().splitlines()[-1]


@pytest.mark.slow
def test_sdist_wheel_venv_runs_a_shipped_study(tmp_path):
    # the sdist from a clean copy of the tracked files; the wheel from the unpacked sdist (so the sdist is complete)
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.split("\n")
    src = tmp_path / "src"
    for f in filter(None, files):
        if (ROOT / f).is_file():
            (src / f).parent.mkdir(parents=True, exist_ok=True)
            (src / f).write_bytes((ROOT / f).read_bytes())
    dist = tmp_path / "dist"
    dist.mkdir()
    sdist = _build("build_sdist", src, dist)
    with tarfile.open(sdist) as tf:
        names = tf.getnames()
        tf.extractall(tmp_path / "unpacked", filter="data")
    assert any(n.endswith("geoquant/data/studies/first.toml") for n in names)
    wheel = _build("build_wheel", tmp_path / "unpacked" / sdist.name.removesuffix(".tar.gz"), dist)
    with zipfile.ZipFile(wheel) as zf:
        inside = set(zf.namelist())
    assert {f"geoquant/data/studies/{n}.toml" for n in shipped_studies()} <= inside
    assert {f"geoquant/data/points/{n}.csv" for n in shipped_points()} <= inside
    assert "geoquant/py.typed" in inside

    # a fresh environment whose numpy/torch/... are the system's; geoquant is the wheel, not the editable copy
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True, timeout=300)
    py = venv / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--force-reinstall",
                    str(wheel)], check=True, timeout=300, capture_output=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    run = tmp_path / "elsewhere"
    run.mkdir()
    where = subprocess.run([str(py), "-c", "import geoquant; print(geoquant.__file__, geoquant.__version__)"],
                           cwd=run, env=env, capture_output=True, text=True, check=True).stdout.split()
    assert Path(where[0]).is_relative_to(venv), where
    assert where[1] == geoquant.__version__
    res = subprocess.run([str(venv / "bin" / "geoquant"), "study", "first", "--out", str(run / "out"),
                          "--workers", "0", "--quiet", "--json"], cwd=run, env=env, capture_output=True, text=True,
                         timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    n = len(load_spec("first", check_samples=False).tasks())
    assert f'"n_tasks": {n}' in res.stdout and '"failed": 0' in res.stdout
    assert len(list((run / "out").rglob("*.json"))) >= n


def test_citation_and_changelog_follow_the_one_version():
    # the version lives in geoquant/_version.py; CITATION.cff and CHANGELOG.md must name the same one
    yaml = pytest.importorskip("yaml")
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0" and cff["version"] == geoquant.__version__
    assert {"message", "title", "authors"} <= set(cff)
    (paper,) = [r for r in cff["references"] if "1803.08367" in r["url"]]
    assert [a["family-names"] for a in paper["authors"]] == ["Maennel", "Bousquet", "Gelly"] and paper["year"] == 2018
    assert f"## [{geoquant.__version__}]" in (ROOT / "CHANGELOG.md").read_text()
