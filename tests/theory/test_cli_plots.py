"""The quantize subcommand and the theory plots."""

import argparse
import json

import numpy as np
import pytest

from geoquant._cli import quantize
from geoquant.theory import extremal_directions, plot_potential, plot_predicted, predict_function


def _run(argv, capsys):
    p = argparse.ArgumentParser()
    sub = p.add_subparsers()
    quantize.register(sub)
    args = p.parse_args(["quantize", *argv])
    rc = args.func(args)
    return rc, capsys.readouterr().out


@pytest.fixture
def csv1(tmp_path):
    f = tmp_path / "p.csv"
    f.write_text("x,value\n-0.8,0.5\n-0.3,1\n0.1,0.7\n0.6,1.2\n0.9,0.4\n")
    return f


def test_quantize_json_all_positive(csv1, capsys, tmp_path):
    png = tmp_path / "g.png"
    rc, out = _run([str(csv1), "--json", "--plot", str(png)], capsys)
    assert rc == 0
    doc = json.loads(out)
    assert doc["n_sectors"] == 10
    stable_pos = [e for e in doc["extremal"] if e["sign"] == 1 and e["stable"]]
    assert len(stable_pos) == 1 and stable_pos[0]["kink"] == pytest.approx(-0.76 / 0.09)
    assert doc["predicted"][0]["loss"] == pytest.approx(0.0449366, abs=1e-7)
    assert png.exists() and png.stat().st_size > 1000


def test_quantize_text_2d(tmp_path, capsys):
    f = tmp_path / "q.csv"
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (5, 2))
    y = rng.normal(size=5)
    f.write_text("x,y,h\n" + "\n".join(f"{a},{b},{c}" for (a, b), c in zip(X, y)) + "\n")
    rc, out = _run([str(f), "--values", "h"], capsys)
    assert rc == 0
    assert "22 activation sectors" in out
    assert "predicted function: loss" in out and "line:" in out


def test_plots_mark_every_extremal_direction():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = np.array([-1, -0.6, -0.2, 0.2, 0.5, 0.9])
    y = np.array([0.3, -0.5, 0.4, -0.2, 0.6, -0.1])
    ext = extremal_directions(x, y)
    ax = plot_potential(x, y, extremal=ext, trained=(np.array([[1.0, 0.5], [-1.0, 0.2]]), np.array([1.0, -1.0])))
    markers = [ln for ln in ax.lines if ln.get_marker() in ("^", "v")]
    assert len(markers) == len(ext)
    plt.close(ax.figure)
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, (5, 2))
    y2 = rng.normal(size=5)
    ext2 = extremal_directions(X, y2)
    ax = plot_potential(X, y2, extremal=ext2, resolution=60)
    assert len([ln for ln in ax.lines if ln.get_marker() in ("^", "v")]) == len(ext2)
    plt.close(ax.figure)
    p = predict_function(X, y2)
    ax = plot_predicted(p)
    assert len(ax.lines) == len(p.lines)
    plt.close(ax.figure)
