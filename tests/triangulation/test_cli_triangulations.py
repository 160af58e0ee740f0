"""``geoquant triangulations ...`` through the real command-line entry point."""

import json

import numpy as np
import pytest

from geoquant.cli import main
from geoquant.interpolate import interpolation_error
from geoquant.targets import get_target
from geoquant.triangulation import Triangulation, enumerate_triangulations
from tests.conftest import grid_points


@pytest.fixture
def grid_csv(tmp_path):
    pts = grid_points(3, 3) / 2.0
    path = tmp_path / "grid.csv"
    lines = ["x,y"] + [f"{float(x)!r},{float(y)!r}" for x, y in pts]
    path.write_text("\n".join(lines) + "\n")
    return str(path), pts


def run_json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_count(capsys, grid_csv):
    path, _ = grid_csv
    assert run_json(capsys, ["triangulations", "count", path, "--json"])["count"] == 64
    assert run_json(capsys, ["triangulations", "count", path, "--all", "--json"])["count"] == 387
    assert main(["triangulations", "count", path]) == 0
    assert capsys.readouterr().out.startswith("64 fine triangulations of 9 points")


def test_enumerate_and_limit(capsys, grid_csv):
    path, pts = grid_csv
    doc = run_json(capsys, ["triangulations", "enumerate", path, "--json", "--limit", "64"])
    assert doc["count"] == 64
    keys = {Triangulation(pts, np.array(s), validate=True).key() for s in doc["triangulations"]}
    assert keys == {t.key() for t in enumerate_triangulations(pts)}
    assert main(["triangulations", "enumerate", path, "--limit", "10"]) == 1
    err = capsys.readouterr().err
    # refused at once by the lower bound (independent Delaunay flips: 16) rather than after counting (64)
    assert "at least 16 fine triangulations" in err and "'limit'=10" in err


def test_sample_seeded(capsys, grid_csv):
    path, pts = grid_csv
    a = run_json(capsys, ["triangulations", "sample", path, "--k", "4", "--seed", "7", "--json"])
    b = run_json(capsys, ["triangulations", "sample", path, "--k", "4", "--seed", "7", "--json"])
    assert a == b and a["k"] == 4 and len(a["triangulations"]) == 4
    for s in a["triangulations"]:
        Triangulation(pts, np.array(s), validate=True)


def test_best_matches_enumeration(capsys, grid_csv):
    path, pts = grid_csv
    doc = run_json(capsys, ["triangulations", "best", path, "--target", "franke", "--json"])
    f = get_target("franke", n_dims=2)
    errs = np.array([interpolation_error(t, f, "l2").total ** 2 for t in enumerate_triangulations(pts)])
    assert doc["count"] == 64
    assert doc["l2_squared"]["best"] == pytest.approx(errs.min(), rel=1e-10)
    assert doc["l2_squared"]["worst"] == pytest.approx(errs.max(), rel=1e-10)
    assert doc["l2_squared"]["mean"] == pytest.approx(errs.mean(), rel=1e-10)
    best = Triangulation(pts, np.array(doc["best_triangulation"]))
    assert interpolation_error(best, f, "l2").total ** 2 == pytest.approx(errs.min(), rel=1e-10)


def test_best_requires_target(capsys, grid_csv):
    path, _ = grid_csv
    assert main(["triangulations", "best", path]) == 1
    assert "'--target' is required" in capsys.readouterr().err


def _csv(tmp_path, pts, name="pts.csv"):
    path = tmp_path / name
    path.write_text("x,y\n" + "\n".join(f"{float(x)!r},{float(y)!r}" for x, y in pts) + "\n")
    return str(path)


def test_large_inputs_are_refused_at_once_with_a_message(tmp_path, capsys):
    # issue 22.3: 30+ points, even with --limit, used to run past 60 s without a word
    path = _csv(tmp_path, np.random.default_rng(130).random((40, 2)))
    for action in ("count", "sample", "enumerate"):
        assert main(["triangulations", action, path, "--limit", "1000"]) == 1
        err = capsys.readouterr().err
        assert "estimated" in err or "at least" in err
    path30 = _csv(tmp_path, np.random.default_rng(130).random((30, 2)), "p30.csv")
    assert main(["triangulations", "enumerate", path30, "--limit", "1000"]) == 1
    assert "at least" in capsys.readouterr().err  # the lower bound, in milliseconds


def test_time_limit_and_progress_lines(tmp_path, capsys, monkeypatch):
    from geoquant.triangulation import _count, _work

    path = _csv(tmp_path, np.random.default_rng(0).random((22, 2)))
    monkeypatch.setattr(_work, "PROGRESS_DELAY", 0.0)
    monkeypatch.setattr(_work, "LINE_INTERVAL", 0.0)
    _count._CACHE.clear()
    assert main(["triangulations", "count", path, "--json"]) == 0
    cap = capsys.readouterr()
    assert json.loads(cap.out)["count"] == 280_465_387_918
    assert "count_triangulations:" in cap.err  # progress lines off a terminal, JSON on stdout untouched
    _count._CACHE.clear()
    assert main(["triangulations", "count", path, "--quiet"]) == 0
    assert capsys.readouterr().err == ""
    state = [0.0]

    def clock():
        state[0] += 1.0
        return state[0]

    monkeypatch.setattr(_work.time, "perf_counter", clock)
    _count._CACHE.clear()
    assert main(["triangulations", "count", path, "--time-limit", "3", "--quiet"]) == 1
    assert "time_limit=3 s" in capsys.readouterr().err
    assert main(["triangulations", "count", path, "--time-limit", "0"]) == 1
    assert "'--time-limit'" in capsys.readouterr().err
