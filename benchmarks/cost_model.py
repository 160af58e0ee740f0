"""Calibrate the study cost model (issue 21, item 4): seconds per cost term on this machine.

A dry run of a short study estimates it from :meth:`Method.cost_terms` and the seconds per term
stored in ``geoquant/data/cost_model.json`` (rescaled by :func:`geoquant.study._costmodel.probe`),
instead of timing samples that would take longer than a tenth of the study. This script measures
those seconds, in CPU seconds of this process (one thread, as a pool worker):

* ``task_1d``, ``task_2d``: the mean of one task (fit and evaluation, through the study's runner) of
  the cheap shipped methods (delaunay, data_dependent, triangulation_best, knn) at small sizes;
* ``network_call_<d>d``, ``network_<d>d``, ``gd_step``, ``gd_work``: least squares over network
  ensembles of several shapes, each run through the runner at two GD budgets: ``seconds =
  network_call_<d>d + models x network_<d>d + steps x gd_step + steps x width x n x (d + 2) x models
  x gd_work``;
* ``pool_start``: a local process pool's start (its workers import torch and the methods' modules).

Then it checks the model on the shipped ``first`` study: the model's estimate against the study run
in a process pool here (wall), and writes ``geoquant/data/cost_model.json`` (``--write``).

Usage::

    python benchmarks/cost_model.py [--write]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from geoquant.study import dry_run, load_spec, run_study  # noqa: E402
from geoquant.study._costmodel import probe  # noqa: E402
from geoquant.study._study import _sample_unit  # noqa: E402
from geoquant.study._runner import run_unit  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "geoquant", "data", "cost_model.json")


def cheap_task_seconds(reps: int = 2) -> dict[str, float]:
    spec = load_spec({
        "study": {"name": "calibrate-cheap", "seeds": [0, 1]},
        "targets": [{"name": "sines", "dim": 1, "sizes": [6, 12, 24, 48]},
                    {"name": "franke", "dim": 2, "sizes": [8, 12]}],
        "samplers": [{"kind": "uniform", "params": {"corners": True}}],
        "methods": [{"name": "delaunay"}, {"name": "data_dependent", "criterion": "jnd"},
                    {"name": "triangulation_best", "n_samples": 20}, {"name": "knn"}],
    })
    tasks = spec.tasks()
    run_unit(_sample_unit(tasks[:8], None))  # imports (a pool worker pays them once, in pool_start)
    per_dim: dict[int, list[float]] = {1: [], 2: []}
    for _ in range(reps):
        for t in tasks:
            c0 = time.process_time()
            (rec,) = run_unit(_sample_unit([t], None))
            assert rec["status"] == "done", rec.get("error")
            per_dim[t.settings["target"]["dim"]].append(time.process_time() - c0)
    return {f"task_{d}d": float(np.mean(v)) for d, v in per_dim.items()}


def network_rows() -> tuple[list[list[float]], list[float], list[str]]:
    """Rows (models, steps, work) per dimension and the seconds of each ensemble through the runner."""
    shapes = [  # (target, dim, n, width, seeds)
        ("sines", 1, 6, 50, 2), ("sines", 1, 24, 50, 2), ("sines", 1, 48, 100, 4), ("sines", 1, 64, 200, 3),
        ("sines", 1, 12, 50, 6),
        ("franke", 2, 8, 50, 2), ("franke", 2, 12, 50, 2), ("franke", 2, 24, 100, 3), ("franke", 2, 12, 100, 6),
    ]
    A, b, names = [], [], []
    for first in (True, False):  # the first pass warms up (imports, compiled kernels) and is not recorded
        for row, dt, name in _network_pass(shapes[:1] if first else shapes):
            if not first:
                A.append(row)
                b.append(dt)
                names.append(name)
    return A, b, names


def _network_pass(shapes):
    for tname, dim, n, width, seeds in shapes:
        for t_max in (20.0, 200.0):
            spec = load_spec({
                "study": {"name": "calibrate-net", "seeds": list(range(seeds))},
                "targets": [{"name": tname, "dim": dim, "sizes": [n]}],
                "samplers": [{"kind": "uniform", "params": {"corners": True}}],
                "methods": [{"name": "network_small", "center": True, "width": width, "init_scale": 1e-2,
                             "mode": "gd", "lr": 0.05, "t_max": t_max}],
            })
            tasks = spec.tasks()
            units: dict[str, list] = {}
            for t in tasks:
                units.setdefault(t.unit_key(), []).append(t)
            (members,) = units.values()
            c0 = time.process_time()
            recs = run_unit(_sample_unit(members, None))
            dt = time.process_time() - c0
            assert all(r["status"] == "done" for r in recs)
            steps = float(np.ceil(t_max / 0.05 - 1e-9))
            # terms: network_call_1d, network_call_2d (once per ensemble), network_1d, network_2d (per model),
            # gd_step, gd_work
            row = [0.0, 0.0, 0.0, 0.0, steps, steps * width * n * (dim + 2) * len(members)]
            row[dim - 1] = 1.0
            row[dim + 1] = float(len(members))
            yield row, dt, f"{tname} {dim}D n={n} width={width} models={len(members)} t_max={t_max:g}"


def pool_start_seconds() -> float:
    """Wall seconds of a 2-worker pool running one trivial task per worker (start, imports, shutdown)."""
    spec = "\n".join([
        '[study]', 'name = "calibrate-pool"', 'seeds = [0, 1]',
        '[[targets]]', 'name = "sines"', 'dim = 1', 'sizes = [4]',
        '[[samplers]]', 'kind = "uniform"',
        '[[methods]]', 'name = "delaunay"',
        '[[methods]]', 'name = "network_small"', 'mode = "gd"', 'lr = 0.05', 't_max = 0.05', 'width = 2',
    ]) + "\n"
    with tempfile.TemporaryDirectory() as d:
        w0 = time.perf_counter()
        run_study(spec, out=os.path.join(d, "s"), workers=2, progress=False)
        return time.perf_counter() - w0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--write", action="store_true", help="write geoquant/data/cost_model.json")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)  # one thread, as a pool worker of a 2-core machine
    load0 = os.getloadavg()
    probe_cpu, probe_wall = probe(5)
    print(f"probe {probe_cpu:.4f} s CPU ({probe_wall:.4f} s wall); load {load0}")
    seconds = cheap_task_seconds()
    A, b, names = network_rows()
    x, *_ = np.linalg.lstsq(np.asarray(A), np.asarray(b), rcond=None)
    x = np.maximum(x, 0.0)
    seconds.update(dict(zip(["network_call_1d", "network_call_2d", "network_1d", "network_2d", "gd_step", "gd_work"],
                            map(float, x))))
    pred = np.asarray(A) @ x
    print("network ensembles (CPU s through the runner; model):")
    for nm, meas, p in zip(names, b, pred):
        print(f"  {nm:55s} {meas:7.3f} s  model {p:7.3f} s  ratio {p / meas:5.2f}")
    seconds["pool_start"] = pool_start_seconds()
    for k, v in seconds.items():
        print(f"  {k:12s} {v:.6g} s")
    cal = {"script": "benchmarks/cost_model.py", "measured": datetime.date.today().isoformat(),
           "machine": f"{platform.machine()} {platform.processor() or ''} {os.cpu_count()} CPUs".strip(),
           "load_average": [round(v, 2) for v in load0], "probe_cpu_s": probe_cpu, "seconds": seconds}
    if args.write:
        with open(OUT, "w") as fh:
            json.dump(cal, fh, indent=1, sort_keys=True)
            fh.write("\n")
        print(f"wrote {OUT}")
    # the model on the shipped first study against a real run in a process pool
    from geoquant.study import _costmodel

    _costmodel.calibration.cache_clear()
    if args.write:
        w0 = time.perf_counter()
        plan = dry_run("first")
        t_dry = time.perf_counter() - w0
        with tempfile.TemporaryDirectory() as d:
            w0 = time.perf_counter()
            run_study("first", out=os.path.join(d, "s"), progress=False)
            t_run = time.perf_counter() - w0
        print(f"first: model estimate {plan['estimate_s']:.1f} s ({plan['estimate_from']}), at the present load "
              f"{plan['estimate_now_s']:.1f} s; measured {t_run:.1f} s wall (ratio {plan['estimate_now_s'] / t_run:.2f}); "
              f"dry run {t_dry:.2f} s in process ({100 * t_dry / t_run:.1f}% of the study); load {os.getloadavg()}")


if __name__ == "__main__":
    main()
