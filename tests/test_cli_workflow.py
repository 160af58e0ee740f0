"""The study workflow from the command line: listings, dry run, exit status, progress lines."""

import io
import json

import pytest

from geoquant.cli import main
from geoquant.compare import load_results
from geoquant.compare._spec import load_spec
from geoquant.compare._study import ProgressLines, run_study

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
    assert [s["method"] for s in plan["sample"]] == ["delaunay", "knn", "rbf_broken"]
    assert [s["runs"] for s in plan["sample"]] == [8, 8, 8]
    assert plan["estimate_s"] == pytest.approx(sum(s["scaled_s"] * s["runs"] for s in plan["sample"]), rel=1e-2,
                                               abs=1e-2)


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


def test_dry_run_cuts_a_network_budget_given_in_flow_time():
    # a t_max budget overrides n_steps (GD: n_steps = ceil(t_max / lr)); the timed sample must cut
    # t_max itself, else it trains the whole budget and then multiplies it again
    from geoquant.compare._study import _shorten_budget, dry_run

    p = {"t_max": 3000.0, "lr": 0.02, "n_steps": 10_000}
    assert _shorten_budget(p, 300) == pytest.approx(500.0)
    assert p["t_max"] == pytest.approx(6.0) and p["n_steps"] == 10_000
    p = {"t_max": None, "lr": 0.05, "n_steps": 3000}
    assert _shorten_budget(p, 300) == pytest.approx(10.0) and p["n_steps"] == 300
    p = {"t_max": 5.0, "lr": 0.05, "n_steps": 3000}  # already shorter than the sample
    assert _shorten_budget(p, 300) == 1.0 and p["t_max"] == 5.0
    spec = {
        "study": {"name": "budget", "seeds": [0]},
        "targets": [{"name": "sines", "dim": 1, "sizes": [6]}],
        "samplers": [{"kind": "uniform"}],
        "methods": [{"name": "network_small", "width": 10, "mode": "gd", "lr": 0.02, "t_max": 3000.0}],
    }
    plan = dry_run(spec, workers=0, max_steps=50)
    (sample,) = plan["sample"]
    assert sample["status"] == "done" and sample["budget_factor"] == pytest.approx(3000.0 / (50 * 0.02))
