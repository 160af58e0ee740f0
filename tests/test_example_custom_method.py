"""examples/custom_method.py (docs/extending.md, "Add a method family") runs: a new family passes the
method contract, runs in a study beside a shipped method and appears in the report."""

import runpy
from pathlib import Path

import numpy as np
import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "custom_method.py"


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    from geoquant.compare.methods import _base

    ns = runpy.run_path(str(EXAMPLE), run_name="custom_method_example")
    try:
        out = ns["main"](str(tmp_path_factory.mktemp("custom")))
        yield out
    finally:
        _base._REGISTRY.pop("nearest_neighbour", None)  # leave the registry as the other tests expect it


def test_the_new_family_runs_in_a_study_and_appears_in_the_report(example):
    df = example["results"]
    assert example["n_failed"] == 0
    nn = df[df["method_name"] == "nearest_neighbour"]
    assert len(nn) == 10 and set(nn["family"]) == {"voronoi"}
    # it interpolates: the value of the nearest sample at a sample is the sample
    assert np.all(nn["train_rmse"] == 0.0)
    page = Path(example["report"].html).read_text()
    assert "nearest_neighbour" in page and "voronoi" in page


def test_piecewise_constant_converges_at_first_order_and_loses_to_linear(example):
    df = example["results"]
    key = ["target", "n", "seed"]
    nn = df[df["method_name"] == "nearest_neighbour"].set_index(key)["l2_hull"]
    pl = df[df["method_name"] == "delaunay"].set_index(key)["l2_hull"]
    # a smooth target: the piecewise-constant error is O(h), the linear interpolant's O(h^2); at the
    # largest sample the linear one is ahead (seed mean)
    for target in ("runge", "franke"):
        assert nn.loc[target, 32].mean() > pl.loc[target, 32].mean()
    runge = nn.loc["runge"].groupby("n").mean()
    assert runge.is_monotonic_decreasing
    slope = np.polyfit(np.log(runge.index.to_numpy(float)), np.log(runge.to_numpy()), 1)[0]
    assert -1.6 < slope < -0.5  # first order in 1D: error ~ n^-1 (uniform samples, two seeds)
