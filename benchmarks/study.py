"""Study throughput: tasks per second in process, in the local process pool and on
a Dask LocalCluster, against calling the methods directly in a loop.

    python benchmarks/study.py [--seeds 8] [--workers 2] [--write FILE]   (then copy the tables into reports/benchmarks.md)

Every run is on the same machine in the same process tree; ratios are against
the direct loop (the same fits and evaluations without the study machinery:
no spec expansion, no result files, no process boundaries). The per-task
overhead of a study is ``(wall_study - wall_direct) / n_tasks`` when both run on
one core; with several workers, throughput is the number to compare.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

SPEC = """
[study]
name = "bench"
seeds = {seeds}

[[targets]]
name = "runge"
dim = 1
sizes = [8, 16, 32]

[[targets]]
name = "franke"
dim = 2
sizes = [10, 20, 40]

[[samplers]]
kind = "uniform"

[[methods]]
name = "delaunay"

[[methods]]
name = "knn"

[[methods]]
name = "rbf"
"""


def direct_loop(spec):
    """The same tasks, fitted and evaluated in a plain loop (one Evaluator per sample, as the study)."""
    from geoquant.compare import EvalConfig, Evaluator, get_method
    from geoquant.study._runner import make_data
    from geoquant.study._spec import method_seed

    tasks = spec.tasks()
    t0 = time.perf_counter()
    cache = {}
    for t in tasks:
        s = t.settings
        key = t.data_key()
        if key not in cache:
            target, X, y = make_data(s)
            cache = {key: (target, X, y, Evaluator(target, X, y, EvalConfig()))}
        target, X, y, ev = cache[key]
        m = get_method(s["method"]["name"], **s["method"]["params"]).fit(X, y, target=target,
                                                                         seed=method_seed(s["seed"]))
        ev.evaluate(m)
    return time.perf_counter() - t0, len(tasks)


ONE_TASK = """
[study]
name = "startup"
seeds = [0]
[[targets]]
name = "runge"
dim = 1
sizes = [8]
[[samplers]]
kind = "uniform"
[[methods]]
name = "knn"
"""


def timed_study(spec_path, out, **kw):
    from geoquant.study import run_study

    t0 = time.perf_counter()
    run = run_study(spec_path, out, progress=False, **kw)
    wall = time.perf_counter() - t0
    assert run.n_failed == 0 and run.n_done == run.n_tasks, run.summary()
    return wall, run.n_tasks


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=2, help="repeat each run, keep the fastest (noisy machines)")
    ap.add_argument("--write", metavar="FILE", help="write the Markdown section here")
    args = ap.parse_args(argv)

    from geoquant.study import load_spec

    tmp = Path(tempfile.mkdtemp(prefix="gq-bench-"))
    try:
        spec_path = tmp / "spec.toml"
        spec_path.write_text(SPEC.format(seeds=list(range(args.seeds))))
        spec = load_spec(spec_path)
        # warm imports (sklearn, scipy.interpolate) so no run pays them first
        direct_loop(load_spec(SPEC.format(seeds=[0])))
        rows = []
        t_direct, n = min(direct_loop(spec) for _ in range(args.repeat))
        rows.append(("direct loop (no study machinery)", t_direct, 0.0, 0.0))
        one = tmp / "one.toml"
        one.write_text(ONE_TASK)
        runs = [("study, in process (workers=0)", dict(workers=0)),
                (f"study, local process pool ({args.workers} workers)", dict(workers=args.workers))]
        try:
            import distributed  # noqa: F401

            runs.append((f"study, Dask LocalCluster ({args.workers} worker processes)", dict(dask_local=args.workers)))
        except ImportError:
            print("dask[distributed] not installed: Dask row skipped", file=sys.stderr)
        for i, (name, kw) in enumerate(runs):
            # fixed cost: a one-task study on the same executor (pool / cluster start, worker imports)
            ones = [timed_study(one, tmp / f"one{i}-{r}", **kw)[0] for r in range(args.repeat)]
            wall = min(timed_study(spec_path, tmp / f"run{i}-{r}", **kw)[0] for r in range(args.repeat))
            # the first one-task run is cold (pool fork server / cluster start, imports); later runs
            # in this process reuse the pool's fork server
            rows.append((name, wall, ones[0], min(ones)))
        t_serial = rows[1][1]
        overhead_ms = (t_serial - t_direct) / n * 1e3
        lines = [
            "## Study throughput (benchmarks/study.py)",
            "",
            f"{n} tasks: 2 targets (runge 1D, franke 2D) x 3 sizes x {args.seeds} seeds x 3 fast methods "
            "(delaunay, knn, rbf), each fitted and evaluated on the hull and the inner region. "
            f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python "
            f"{platform.python_version()}; OMP_NUM_THREADS=1; fastest of {args.repeat} runs each. "
            "*startup* is the wall time of a one-task study on the same executor: *cold* the first in this "
            "process (starting the pool's fork server or the Dask cluster, importing scikit-learn/scipy in the "
            "workers), *warm* a later one (the fork server stays up; a Dask cluster is started per study). "
            "*steady tasks/s* = tasks / (wall - warm startup).",
            "",
            "| run | wall s | tasks/s | startup s, cold / warm | steady tasks/s | wall vs direct loop |",
            "|---|---|---|---|---|---|",
        ]
        for name, wall, cold, warm in rows:
            steady = n / max(wall - warm, 1e-9)
            lines.append(f"| {name} | {wall:.2f} | {n / wall:.1f} | {cold:.2f} / {warm:.2f} | {steady:.1f} | "
                         f"{t_direct / wall:.2f}x |")
        lines += [
            "",
            f"Per-task overhead of the study machinery in process (spec expansion, one atomic JSON result "
            f"file per task written with fsync of file and directory, gallery .npz for one seed): "
            f"{overhead_ms:.1f} ms per task (the direct loop spends {t_direct / n * 1e3:.1f} ms per task "
            "fitting and evaluating).",
            "",
        ]
        if hasattr(os, "getloadavg"):
            lines.append(f"Load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs "
                         "(other work on the machine slows the parallel runs most).")
            lines.append("")
        text = "\n".join(lines)
        print(text)
        if args.write:
            Path(args.write).parent.mkdir(parents=True, exist_ok=True)
            Path(args.write).write_text(text)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
