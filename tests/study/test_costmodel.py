"""The calibrated cost model of short studies' dry runs (issue 21, item 4)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from geoquant.compare import method_class
from geoquant.study import load_spec
from geoquant.study._costmodel import PER_CALL_TERMS, calibration, unit_costs
from geoquant.study._study import dry_run

SPEC = {
    "study": {"name": "cost", "seeds": [0, 1, 2]},
    "targets": [{"name": "sines", "dim": 1, "sizes": [6, 12]}, {"name": "franke", "dim": 2, "sizes": [8]}],
    "samplers": [{"kind": "uniform", "params": {"corners": True}}],
    "methods": [{"name": "delaunay"}, {"name": "knn"},
                {"name": "network_small", "width": 20, "init_scale": [1e-2, 1e-1], "mode": "gd", "lr": 0.05,
                 "t_max": 50.0}],
}


def _units(spec):
    units = {}
    for t in spec.tasks():
        units.setdefault(t.unit_key(), []).append(t)
    return units


def test_unit_costs_are_the_calibrated_sum_of_terms():
    """Cheap tasks add one task term each; an ensemble pays its call and its GD steps once, its models and their
    arithmetic per member (hand formula from the calibration)."""
    sec = calibration()["seconds"]
    units = _units(load_spec(SPEC))
    costs = unit_costs(units, speed=2.0)
    assert costs is not None and set(costs) == set(units)
    n_ensembles = 0
    for key, tasks in units.items():
        t0 = tasks[0]
        d, n = t0.settings["target"]["dim"], t0.settings["n"]
        if t0.tags.trains:
            n_ensembles += 1
            m = len(tasks)
            assert m == 6  # 3 seeds x 2 init scales train together
            steps = 1000  # t_max 50 / lr 0.05
            want = (sec[f"network_call_{d}d"] + m * sec[f"network_{d}d"] + steps * sec["gd_step"]
                    + m * steps * 20 * n * (d + 2) * sec["gd_work"])
        else:
            want = len(tasks) * sec[f"task_{d}d"]
        assert costs[key] == pytest.approx(2.0 * want, rel=1e-12)
    assert n_ensembles == 3
    assert set(PER_CALL_TERMS) <= set(sec)


def test_the_model_refuses_what_it_does_not_know():
    """Gradient flow (adaptive steps), large samples and methods without cost terms: unknown (None)."""
    net = method_class("network_small")
    p = dict(method_class("network_small")(mode="gd", lr=0.05, t_max=10.0).params)
    assert net.cost_terms(1, 16, p) is not None
    assert net.cost_terms(1, 128, p) is None
    assert net.cost_terms(2, 64, p) is None
    assert net.cost_terms(1, 16, {**p, "mode": "flow"}) is None
    assert method_class("minnorm").cost_terms(1, 8, {}) is None
    assert method_class("triangulation_best").cost_terms(2, 30, {}) is None  # the counting DP grows fast
    flow = {**SPEC, "methods": [{"name": "network_small", "width": 20, "t_max": 5.0}]}  # mode flow by default
    assert unit_costs(_units(load_spec(flow)), 1.0) is None
    big = {**SPEC, "methods": [{"name": "delaunay"}], "targets": [{"name": "franke", "dim": 2, "sizes": [500]}]}
    assert unit_costs(_units(load_spec(big)), 1.0) is None


def test_a_short_shipped_study_is_estimated_without_running_anything():
    """The shipped first study: the cost model's estimate, no sample timed, torch never imported."""
    code = ("import sys, json; from geoquant.study import dry_run; p = dry_run('first'); "
            "print(json.dumps({'from': p['estimate_from'], 'est': p['estimate_s'], 'samples': len(p['sample']), "
            "'torch': 'torch' in sys.modules, 'by': p['by_method_s']}))")
    out = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
                     .stdout.strip().splitlines()[-1])
    assert out["from"] == "cost model" and out["samples"] == 0 and out["torch"] is False
    assert out["est"] > 0 and set(out["by"]) == {"delaunay", "triangulation_best", "data_dependent", "knn",
                                                  "network_small", "network_fit"}


def test_quick_s_zero_times_samples_and_a_long_model_estimate_falls_back():
    plan = dry_run(SPEC, workers=0, quick_s=0.0, sample_s=0.05)
    assert plan["estimate_from"] == "samples" and plan["sample"]
    # the model knows every task but puts it above quick_s: timed samples decide
    plan = dry_run(SPEC, workers=0, quick_s=1e-9, sample_s=0.05)
    assert plan["estimate_from"] == "samples"
    plan = dry_run(SPEC, workers=0)
    assert plan["estimate_from"] == "cost model" and not plan["sample"] and plan["estimate_now_s"] >= plan["estimate_s"]


def test_cli_says_where_the_estimate_comes_from(capsys):
    from geoquant.cli import main

    assert main(["study", "first", "--dry-run"]) == 0
    text = capsys.readouterr().out
    assert "from the calibrated cost model" in text and "timed samples" not in text
