import json

import numpy as np
import pytest

from geoquant.cli import main
from geoquant.points import write_points

DATA = "geoquant/data/points/random20_2d.csv"


def test_delaunay_json(capsys):
    assert main(["delaunay", DATA, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["n_points"] == 20 and doc["fine"]
    simp = np.array(doc["simplices"])
    assert simp.shape == (doc["n_simplices"], 3)


def test_error_json_bound_holds(capsys, tmp_path):
    plot = tmp_path / "err.png"
    assert main(["error", DATA, "--target", "franke", "--json", "--plot", str(plot)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert 0 < doc["linf_error"] <= doc["waldron_bound"]
    assert doc["bound_holds_per_simplex"]
    assert doc["l2_error"] > 0 and plot.stat().st_size > 1000


def test_error_1d_and_grid_quadratic_exact(capsys, tmp_path):
    # |x|^2 on a unit grid: every right triangle's max error is R_min^2 = 1/2 (hypotenuse / 2 squared)
    xs, ys = np.meshgrid(np.arange(4.0), np.arange(4.0))
    path = tmp_path / "grid.csv"
    write_points(path, np.column_stack([xs.ravel(), ys.ravel()]))
    assert main(["error", str(path), "--target", "quadratic", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["linf_error"] == pytest.approx(0.5, rel=1e-12)
    assert doc["waldron_bound"] == pytest.approx(0.5, rel=1e-12)


def test_cli_errors_are_reported(capsys, tmp_path):
    assert main(["error", DATA, "--target", "no-such-target"]) == 1
    assert "no-such-target" in capsys.readouterr().err
    assert main(["delaunay", str(tmp_path / "missing.csv")]) == 1
    assert "missing.csv" in capsys.readouterr().err
