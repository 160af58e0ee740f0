"""The study workflow from the command line: listings, dry run, exit status, progress lines."""

import io
import json

import pytest

from geoquant.cli import main
from geoquant.study import load_results
from geoquant.study._spec import load_spec
from geoquant.study._study import ProgressLines, run_study

SPEC = """
[study]
name = "cli"
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


def test_targets_lists_every_target_with_its_defaults(capsys):
    from geoquant.targets import list_targets

    assert main(["targets", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)["targets"]
    assert [t["name"] for t in doc] == list_targets()
    runge = next(t for t in doc if t["name"] == "runge")
    assert runge["parameters"]["a"] == 25.0 and "domain" in runge["parameters"]
    assert main(["targets"]) == 0
    text = capsys.readouterr().out
    assert all(name in text for name in list_targets())


def test_methods_lists_every_method_with_parameters_and_defaults(capsys):
    from geoquant.compare import list_methods
    from geoquant.compare.methods import Statistic, method_class

    assert main(["methods", "--json"]) == 0
    doc = {m["name"]: m for m in json.loads(capsys.readouterr().out)["methods"]}
    assert sorted(doc) == list_methods()
    for name, m in doc.items():
        cls = method_class(name)
        assert m["family"] == cls.family and m["description"]
        assert m["kind"] == ("statistic" if issubclass(cls, Statistic) else "method")
        assert {k: p["default"] for k, p in m["parameters"].items()} == {
            k: p.default for k, p in cls.params_schema.items()}
    assert main(["methods", "--family", "network"]) == 0
    text = capsys.readouterr().out
    assert "network_small" in text and "delaunay" not in text
    assert main(["methods", "--family", "triangulation"]) == 0
    assert "triangulation_mean  [triangulation; any dim; statistic" in capsys.readouterr().out
    assert main(["methods", "--family", "nope"]) == 1
    assert "--family" in capsys.readouterr().err


def test_dry_run_counts_the_tasks_and_writes_nothing(tmp_path, capsys):
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC)
    assert main(["study", str(spec), "--dry-run", "--no-timing", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    tasks = load_spec(spec).tasks()
    assert plan["n_tasks"] == len(tasks) == 2 * 2 * 2 * 3
    assert plan["by_family"] == {"triangulation": 8, "baseline": 16}
    assert plan["by_method"] == {"delaunay": 8, "knn": 8, "rbf_broken": 8}
    assert plan["estimate_s"] is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spec.toml"]


def test_dry_run_times_a_sample_and_flags_a_failing_method(tmp_path, capsys):
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC)
    assert main(["study", str(spec), "--dry-run", "--workers", "0"]) == 1  # rbf_broken fails in the sample
    out = capsys.readouterr()
    assert "24 tasks" in out.out and "estimated time" in out.out and "FAILED" in out.out
    plan_ok = SPEC.replace('kernel = "no_such_kernel"', "")
    spec.write_text(plan_ok)
    assert main(["study", str(spec), "--dry-run", "--workers", "0", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert {s["method"] for s in plan["sample"]} == {"delaunay", "knn", "rbf_broken"}
    assert all(s["kind"] == "task" and s["runs"] == 2 for s in plan["sample"])  # 1 target per dimension x 2 seeds, per size
    # in process (workers 0) the units run one after another: the estimate is the sum over the methods
    assert plan["estimate_s"] == pytest.approx(sum(plan["by_method_s"].values()), rel=1e-2, abs=1e-2)
    assert plan["dry_run_s"] > 0


def test_study_exits_nonzero_after_writing_what_succeeded(tmp_path, capsys):
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC)
    out = tmp_path / "out"
    rc = main(["study", str(spec), "--out", str(out), "--workers", "0", "--quiet"])
    err = capsys.readouterr().err
    assert rc == 1
    df = load_results(out)
    assert (df["status"] == "done").sum() == 16 and (df["status"] == "failed").sum() == 8
    assert "8 task(s) of the study failed" in err and "8 x ValueError" in err and "rbf_broken" in err
    # a rerun finds nothing to do but the study still holds failures: still non-zero
    assert main(["study", str(spec), "--out", str(out), "--workers", "0", "--quiet"]) == 1
    capsys.readouterr()


def test_progress_lines_at_a_steady_interval():
    t = [0.0]
    buf = io.StringIO()
    p = ProgressLines("s", total=20, interval=10.0, stream=buf, clock=lambda: t[0])
    for k in range(10):  # one task every 2.5 s: a line at 10 s and at 20 s
        t[0] += 2.5
        p.update(done=1 if k != 3 else 0, failed=1 if k == 3 else 0)
    lines = buf.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[1] == "s: 8/20 tasks finished (1 failed), 0.40 tasks/s, about 30s left"
    t[0] += 1.0
    p.tick()  # not yet 10 s since the last line
    assert len(buf.getvalue().splitlines()) == 2


def test_a_study_outside_a_terminal_prints_progress_lines(tmp_path, capsys):
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC.replace('kernel = "no_such_kernel"', ""))
    run_study(spec, tmp_path / "out", workers=0, progress=None, progress_interval=1e-9)
    err = capsys.readouterr().err  # captured: not a terminal
    lines = [ln for ln in err.splitlines() if ln.startswith("cli: ")]
    assert len(lines) >= 2 and lines[-1].startswith("cli: 24/24 tasks finished (0 failed)")


def test_dry_run_extrapolates_an_ensemble_from_prefixes_of_its_budget(monkeypatch):
    """A network ensemble: one model through the runner on a short prefix (set-up and evaluation, a per model), then its
    training alone on prefixes grown 4x until one takes 0.15 s (c per iteration); with a fake clock the estimate
    is a + c x (the iterations left): all of GD's steps, or those a flow needs at the prefix's pace."""
    import geoquant.study._study as S

    clock = [0.0]
    seen = []

    def fake_run_unit(unit):
        p = unit["tasks"][0]["settings"]["method"]["params"]
        seen.append(("unit", p["n_steps"], p["t_max"]))
        clock[0] += 2.0
        return [{"status": "done", "info": {"t_done": 0.01 * 10}} for _ in unit["tasks"]]

    def fake_train(Xs, ys, params, seeds, device=None, max_evals=None):
        if max_evals is None:  # GD: the prefix is in t_max
            k = round(params[0]["t_max"] / params[0]["lr"])
            seen.append(("train", params[0]["n_steps"], k))
            clock[0] += 1e-4 * k
            return {"info": {}}
        k = (max_evals - 1) // 3
        clock[0] += 0.02 * k
        return {"info": {"t_done": [0.01 * k] * len(Xs)}}

    monkeypatch.setattr(S, "_cpu", lambda: clock[0])
    monkeypatch.setattr("geoquant.study._runner.run_unit", fake_run_unit)
    monkeypatch.setattr("geoquant.compare.methods._networks.train_networks", fake_train)

    def tasks(**net):
        return load_spec({"study": {"name": "budget", "seeds": [0, 1]},
                          "targets": [{"name": "sines", "dim": 1, "sizes": [6]}], "samplers": [{"kind": "uniform"}],
                          "methods": [{"name": "network_small", "width": 10, **net}]}).tasks()

    samples = []
    est = S._time_ensemble(tasks(mode="gd", lr=0.02, t_max=3000.0), None, samples)
    # 100 steps through the runner (2 s), then 400, 1600 steps of training alone: 1600 x 1e-4 s >= 0.15 s
    assert [k for what, _, k in seen if what == "train"] == [400, 1600]
    assert all(n == 10_000 for _, n, _ in seen)  # the prefix cuts t_max, never n_steps
    assert est == pytest.approx(2 * 2.0 + 1e-4 * (150_000 - 100))  # a: one model through the runner, x 2 models
    est = S._time_ensemble(tasks(t_max=300.0), None, samples)
    # 40 iterations take 0.8 s >= 0.15 s and reach t = 0.4: 30000 iterations at that pace for t_max = 300 (times
    # FLOW_PACE, the flow slowing down later), 0.02 s each
    assert est == pytest.approx(2 * 2.0 + 0.02 * (S.FLOW_PACE * 40 * 300.0 / 0.4 - 10))
    assert [s["kind"] for s in samples] == ["ensemble", "ensemble"] and samples[0]["runs"] == 2


def test_dry_run_extrapolation_and_schedule():
    from geoquant.study._study import _extrapolate, _makespan

    timed = {10: 1.0, 20: 4.0}
    assert _extrapolate(timed, 40) == pytest.approx(16.0)  # exponent 2 from the two largest sizes
    assert _extrapolate(timed, 5) == 1.0 and _extrapolate({10: 1.0}, 30) == pytest.approx(3.0)
    assert _extrapolate({10: 1.0, 20: 1.0}, 80) == pytest.approx(4.0)  # exponent clipped to >= 1
    assert _makespan([5, 4, 3, 3], 2) == 8 and _makespan([5, 4, 3, 3], 1) == 15


def test_dry_run_says_up_front_when_the_estimate_exceeds_the_budget(tmp_path, capsys):
    from geoquant._cli.study import parse_duration
    from geoquant.errors import InvalidInputError

    assert [parse_duration(t, "b") for t in ("3h", "90m", "1h30m", "600s", "600", "0.5h")] == \
        [10800, 5400, 5400, 600, 600, 1800]
    with pytest.raises(InvalidInputError, match="--budget"):
        parse_duration("soon", "--budget")
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC.replace('kernel = "no_such_kernel"', ""))
    assert main(["study", str(spec), "--dry-run", "--workers", "0", "--budget", "0.001s"]) == 1
    out = capsys.readouterr()
    assert out.out.splitlines()[0].startswith("estimated time about") and "EXCEEDS the budget of 0s" in out.out
    assert "at this machine's present load" in out.out.splitlines()[0]
    assert "exceeds the budget" in out.err
    spec.write_text(SPEC.replace('kernel = "no_such_kernel"', "").replace('[study]\n', '[study]\ntime_budget = 86400\n'))
    assert main(["study", str(spec), "--dry-run", "--workers", "0", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["budget_s"] == 86400 and plan["over_budget"] is False