"""``geoquant train``: trains from a point file and writes a result that reloads
to the numbers it reports."""

import argparse
import json
import os
import sys

import numpy as np
import pytest

from geoquant._cli import train as train_cli
from geoquant.errors import InvalidInputError
from geoquant.nn import load_result

X5 = np.array([-0.8, -0.3, 0.1, 0.6, 0.9])
Y5 = np.array([0.5, 1.0, 0.7, 1.2, 0.4])


def _parse(argv):
    parser = argparse.ArgumentParser(prog="geoquant")
    sub = parser.add_subparsers(dest="command")
    train_cli.register(sub)
    return parser.parse_args(["train", *argv])


def _write_csv(path, header, rows):
    with open(path, "w") as fh:
        fh.write(",".join(header) + "\n")
        for r in rows:
            fh.write(",".join(repr(float(v)) for v in r) + "\n")
    return str(path)


@pytest.fixture
def points_1d(tmp_path):
    return _write_csv(tmp_path / "pts.csv", ["x", "value"], zip(X5, Y5))


def test_train_values_column_stalls_at_affine_fit_and_reloads(points_1d, tmp_path, capsys):
    out = str(tmp_path / "run")
    args = _parse(
        [points_1d, "--values", "value", "--out", out, "--width", "40", "--models", "2", "--steps", "800",
         "--lr", "0.2", "--init-scale", "1e-5", "--dtype", "float64", "--device", "cpu", "--json"]
    )
    assert args.func(args) == 0
    summary = json.loads(capsys.readouterr().out)
    with open(os.path.join(out, "summary.json")) as fh:
        assert json.load(fh) == summary
    # docs/theory.md check 4: the all-positive data stall at the least-squares affine loss
    np.testing.assert_allclose(summary["final_loss"], [0.0449366, 0.0449366], atol=1e-7)
    # the saved parameters reproduce the reported losses
    r = load_result(out)
    f = r.predict(X5)
    np.testing.assert_allclose(summary["final_loss"], 0.5 * np.mean((f - Y5) ** 2, axis=1), rtol=1e-10)
    assert summary["config"]["width"] == 40 and summary["failed"] == []
    assert summary["plateaus"][0][-1]["loss"] == pytest.approx(0.0449366, abs=1e-6)
    # every grown neuron points along the affine fit: one direction cluster per model
    if summary["n_clusters"] is not None:
        assert summary["n_clusters"] == [1, 1]
    for name in summary["files"].values():
        assert os.path.isfile(name)


def test_train_target_2d_flow(tmp_path):
    from geoquant.targets import get_target

    rng = np.random.default_rng(0)
    P = rng.uniform(0, 1, (12, 2))
    path = _write_csv(tmp_path / "p2.csv", ["x", "y"], P)
    out = str(tmp_path / "run2")
    args = _parse(
        [path, "--target", "franke", "--out", out, "--width", "20", "--steps", "40", "--lr", "0.5", "--flow",
         "--init-scale", "0.3", "--init", "gaussian", "--device", "cpu", "--no-plots"]
    )
    assert args.func(args) == 0
    with open(os.path.join(out, "summary.json")) as fh:
        summary = json.load(fh)
    assert summary["method"] == "flow" and summary["config"]["t_max"] == pytest.approx(20.0)
    y = get_target("franke", n_dims=2)(P)
    r = load_result(out)
    f = r.predict(P)[0]
    assert summary["final_loss"][0] == pytest.approx(0.5 * np.mean((f - y) ** 2), rel=1e-6)
    assert summary["final_loss"][0] < r.loss[0, 0]


def test_missing_plot_module_is_reported_not_fatal(points_1d, tmp_path, monkeypatch, capsys):
    import geoquant.nn as gn

    monkeypatch.setitem(sys.modules, "geoquant.nn._plots", None)  # import now fails
    for name in ("plot_loss", "plot_orientation_amplitude", "plot_fit_1d", "plot_breaklines_2d"):
        monkeypatch.delitem(vars(gn), name, raising=False)  # names loaded before are looked up again
    out = str(tmp_path / "run3")
    args = _parse([points_1d, "--values", "value", "--out", out, "--width", "5", "--steps", "20", "--device", "cpu"])
    assert args.func(args) == 0
    with open(os.path.join(out, "summary.json")) as fh:
        summary = json.load(fh)
    assert any("plots skipped" in n for n in summary["notes"])
    assert "plots skipped" in capsys.readouterr().err
    assert os.path.isfile(os.path.join(out, "result.npz"))


def test_cli_errors(points_1d, tmp_path):
    with pytest.raises(SystemExit):
        _parse([points_1d, "--values", "value", "--target", "franke", "--out", str(tmp_path)])
    with pytest.raises(SystemExit):
        _parse([points_1d, "--out", str(tmp_path)])
    args = _parse([points_1d, "--values", "value", "--out", str(tmp_path / "x"), "--init-scale", "width^x"])
    with pytest.raises(InvalidInputError, match="init_scale"):
        args.func(args)
    args = _parse([points_1d, "--values", "nope", "--out", str(tmp_path / "y")])
    with pytest.raises(InvalidInputError, match="column"):
        args.func(args)
