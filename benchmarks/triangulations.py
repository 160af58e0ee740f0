"""Benchmark: counting, enumerating and costing all triangulations, against TOPCOM.

Run from the repository root (takes a few minutes)::

    nice python benchmarks/triangulations.py [--report FILE]   (then copy the tables into reports/benchmarks.md)
        [--topcom-timeout 120] [--quick]

What is measured, in this process and against TOPCOM (``apt-get install topcom``,
installed by this script when missing and possible) on the same points:

1. counts of fine and of all triangulations on convex polygons, lattice grids
   3x3 .. 4x5 and uniform random sets of 10-16 points: the counts must be
   identical (the script exits non-zero otherwise); time ratio TOPCOM / ours;
2. enumeration rate (triangulations per second) of ``enumerate_triangulations``
   against ``topcom-points2allfinetriangs`` writing to /dev/null, and the memory
   of our process before and after the enumeration (it must stay flat);
3. the 5x5 grid count (TOPCOM is not run: at its rate it would take about an hour);
4. best / mean / worst squared L2 interpolation error of a target over all fine
   triangulations of the 4x5 grid (cost_statistics, goal < 10 s);
5. exact best and worst L2 triangulations (``optimal_triangulation``, integer
   program) of uniform random sets of 40, 80, 160 points against the flip walk
   the comparison used before (``search="flip_walk"``), in the same process;
   goal on 2 cores: best < 10 s, worst < 60 s at n = 160; and the paper
   study's triangulation time before/after (``--optimal-only`` runs just this);
6. exact fine counts of uniform random sets of 22-30 points and of the 6x6 grid:
   ``count_triangulations`` (lean evaluation) against the generic evaluation of the
   same DAG in the same process (same sub-polygons and counts, checked); goal on 2
   cores: n = 30 in < 60 s (``--count-only`` runs this and section 7);
7. uniform sampling past 25 points (100 draws at n = 26, 28) and cost statistics
   (n = 24, 26) whose min / max must equal ``optimal_triangulation``'s.

Times are CPU seconds (process time for ours, children's user+sys for TOPCOM),
because the benchmark machine is shared; wall times are printed alongside.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geoquant.interpolate import simplex_errors  # noqa: E402
from geoquant.targets import get_target  # noqa: E402
from geoquant.triangulation import cost_statistics, count_triangulations, enumerate_triangulations  # noqa: E402
from geoquant.triangulation import _count  # noqa: E402

TOPCOM = {
    "count_fine": "topcom-points2nallfinetriangs",
    "count_all": "topcom-points2nalltriangs",
    "enum_fine": "topcom-points2allfinetriangs",
}


# ------------------------------------------------------------------------------------- setup
def ensure_topcom() -> bool:
    if shutil.which(TOPCOM["count_fine"]):
        return True
    print("TOPCOM not found; trying `apt-get install -y topcom` ...", flush=True)
    try:
        subprocess.run(["apt-get", "install", "-y", "topcom"], check=True, capture_output=True, timeout=600,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    except (OSError, subprocess.SubprocessError) as exc:
        print(f"could not install TOPCOM ({exc}); TOPCOM columns will be empty")
        return False
    return bool(shutil.which(TOPCOM["count_fine"]))


def grid(m, n):
    xs, ys = np.meshgrid(np.arange(m, dtype=float), np.arange(n, dtype=float), indexing="ij")
    return np.column_stack([xs.ravel(), ys.ravel()])


def convex(n):
    # integer points on a parabola: exact, in convex position
    x = np.arange(n, dtype=float)
    return np.column_stack([x, x**2])


def topcom_input(points) -> str:
    # homogenised [x, y, 1], written as exact rationals (TOPCOM reads p/q, not decimals)
    rows = []
    for x, y in points:
        fx, fy = Fraction(float(x)), Fraction(float(y))
        rows.append(f"[{fx.numerator}/{fx.denominator},{fy.numerator}/{fy.denominator},1]")
    return "[\n" + ",\n".join(rows) + "\n]\n"


def run_topcom(cmd, points, timeout, count_lines=False):
    """(result, cpu seconds, wall seconds); result None on timeout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    try:
        out = subprocess.run([cmd], input=topcom_input(points), capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, float("nan"), time.perf_counter() - t0
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if count_lines:
        return sum(1 for line in out.stdout.splitlines() if line.startswith("T[")), cpu, wall
    return int(out.stdout.strip().split()[-1]), cpu, wall


def timed(fn, *args, repeat=1, **kw):
    """(result, best CPU seconds, wall of that run)."""
    best = None
    for _ in range(repeat):
        _count._CACHE.clear()  # never time a cached DAG
        c0, w0 = time.process_time(), time.perf_counter()
        res = fn(*args, **kw)
        c1, w1 = time.process_time(), time.perf_counter()
        if best is None or c1 - c0 < best[1]:
            best = (res, c1 - c0, w1 - w0)
    return best


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


# ----------------------------------------------------------------------------------- benchmark
def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--report", default=None, help="also write the markdown tables to this file")
    ap.add_argument("--topcom-timeout", type=float, default=120.0)
    ap.add_argument("--quick", action="store_true", help="small cases only (smoke test)")
    ap.add_argument("--optimal-only", action="store_true", help="only section 5 (exact optimal vs flip walk)")
    ap.add_argument("--optimal-sizes", type=int, nargs="+", default=[40, 80, 160])
    ap.add_argument("--engine-only", action="store_true", help="section 5 without the comparison methods")
    ap.add_argument("--count-only", action="store_true", help="only section 6 (large exact counts, new vs old)")
    ap.add_argument("--count-sizes", type=int, nargs="+", default=[25, 28, 30])
    ap.add_argument("--count-seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--count-one", default=None, help=argparse.SUPPRESS)  # internal: one case, JSON out
    ap.add_argument("--with-baseline", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--worst-only", action="store_true",
                    help="only the exact worst triangulation at n = 160 over several seeds and targets")
    ap.add_argument("--worst-baseline-limit", type=float, default=120.0,
                    help="wall-clock cap of the previous path (cuts to integrality) per instance, s")
    ap.add_argument("--worst-limit", type=float, default=120.0, help="wall-clock cap of the new path per instance, s")
    ap.add_argument("--worst-seeds", type=int, nargs="+", default=list(range(7)))
    ap.add_argument("--worst-previous", choices=["descent", "windows"], default="descent",
                    help="the previous path: 'descent' = cuts to integrality then one branch and bound "
                         "(_DESCENT = False); 'windows' = the windows with crossing cliques and odd cycles only "
                         "(_STRONG = False)")
    ap.add_argument("--worst-targets", nargs="+", default=["franke", "runge", "sines", "gaussian"])
    return ap


def _write(path: str | None, lines: list[str]) -> None:
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text("\n".join(lines) + "\n")


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    if args.count_one:
        import json

        print(json.dumps(_count_one(args.count_one, args.with_baseline)))
        return 0
    if args.worst_only:
        _write(args.report, bench_worst(baseline_limit=args.worst_baseline_limit, new_limit=args.worst_limit,
                                        instances=[(sd, t) for sd in args.worst_seeds for t in args.worst_targets],
                                        previous=args.worst_previous))
        return 0
    if args.count_only:
        _write(args.report, bench_large_counts(args.count_sizes, seeds=tuple(args.count_seeds))
               + bench_sampling_statistics())
        return 0
    if args.optimal_only:
        _write(args.report, bench_optimal(args.optimal_sizes, engine_only=args.engine_only))
        return 0
    have_topcom = ensure_topcom()
    lines: list[str] = []

    def emit(s=""):
        print(s, flush=True)
        lines.append(s)

    emit(f"machine: {platform.machine()}, {os.cpu_count()} cores (shared), Python {platform.python_version()}, "
         f"numpy {np.__version__}; TOPCOM {'1.1.2 (Debian)' if have_topcom else 'not available'}")
    emit()
    mismatch = _bench_counts(args, emit, have_topcom)
    mismatch += _bench_enumeration(args, emit, have_topcom)
    _bench_larger_counts(args, emit)
    _bench_error_statistics(emit)
    lines += bench_optimal([40] if args.quick else args.optimal_sizes)
    lines += bench_large_counts([20] if args.quick else args.count_sizes, grid66=not args.quick)
    lines += bench_sampling_statistics(*(((20,), (16,), 10) if args.quick else ()))
    if mismatch:
        emit(f"**{mismatch} count mismatches against TOPCOM**")
    _write(args.report, lines)
    return 1 if mismatch else 0


def _count_cases() -> list[tuple[str, np.ndarray]]:
    """The point sets of sections 1 and 2 (the random ones drawn in order from one seeded generator)."""
    rng = np.random.default_rng(2024)
    cases = [(f"convex {n}-gon", convex(n)) for n in (8, 10, 12, 14)]
    cases += [(f"grid {m}x{n}", grid(m, n)) for m, n in ((3, 3), (3, 4), (4, 4), (3, 5), (4, 5))]
    cases += [(f"random {n}", rng.random((n, 2))) for n in (10, 12, 14, 16)]
    return cases


def _bench_counts(args, emit, have_topcom) -> int:
    """Section 1: counts against TOPCOM; returns the number of mismatches."""
    cases = _count_cases()
    if args.quick:
        cases = cases[:2] + cases[4:7] + cases[9:11]
    emit("### Counts (identical to TOPCOM where TOPCOM finished) and count time")
    emit()
    emit("| points | fine | count | ours CPU s | TOPCOM CPU s | TOPCOM/ours | ours wall s | TOPCOM wall s |")
    emit("|---|---|---:|---:|---:|---:|---:|---:|")
    mismatch = 0
    for name, pts in cases:
        for fine in (True, False):
            ours, cpu, wall = timed(count_triangulations, pts, fine=fine, repeat=3)
            tc, tcpu, twall = (None, float("nan"), float("nan"))
            if have_topcom:
                # TOPCOM enumerates internally: skip hopeless runs instead of waiting for the timeout
                if ours <= 2e8 * (args.topcom_timeout / 120.0):
                    tc, tcpu, twall = run_topcom(TOPCOM["count_fine" if fine else "count_all"], pts,
                                                 args.topcom_timeout)
            if tc is not None and tc != ours:
                mismatch += 1
            tc_s = "—" if tc is None else (f"{tcpu:.3f}" if tc == ours else f"MISMATCH {tc}")
            ratio = f"{tcpu / cpu:,.0f}x" if tc is not None and cpu > 0 else "—"
            twall_s = "—" if tc is None else f"{twall:.2f}"
            if tc is None and have_topcom:
                tc_s = "skipped (> ~2e8)" if ours > 2e8 * (args.topcom_timeout / 120.0) else f"> {args.topcom_timeout:.0f} (timeout)"
            emit(f"| {name} | {'fine' if fine else 'all'} | {ours:,} | {cpu:.3f} | {tc_s} | {ratio} | {wall:.2f} | {twall_s} |")
    emit()
    return mismatch


def _bench_enumeration(args, emit, have_topcom) -> int:
    """Section 2: enumeration rate and memory against TOPCOM; returns the number of mismatches."""
    mismatch = 0
    emit("### Enumeration of fine triangulations: rate and memory")
    emit()
    emit("| points | count | ours: Triangulation objects / s | TOPCOM allfinetriangs / s | ratio ours/TOPCOM "
         "| RSS after 1000 (MB) | RSS at end (MB) |")
    emit("|---|---:|---:|---:|---:|---:|---:|")
    enum_cases = [("grid 4x4", grid(4, 4))] + ([] if args.quick else [("grid 3x6", grid(3, 6)), ("random 14", _count_cases()[-2][1])])
    for name, pts in enum_cases:
        n_expected = count_triangulations(pts)
        it = enumerate_triangulations(pts)
        c0 = time.process_time()
        n = 0
        for _ in it:
            n += 1
            if n == 1000:
                rss_early = rss_mb()
        cpu = time.process_time() - c0
        rss_end = rss_mb()
        assert n == n_expected
        rate = n / cpu
        trate_s, ratio_s = "—", "—"
        if have_topcom:
            tn, tcpu, _ = run_topcom(TOPCOM["enum_fine"], pts, args.topcom_timeout, count_lines=True)
            if tn is not None:
                if tn != n:
                    mismatch += 1
                trate = tn / tcpu
                trate_s, ratio_s = f"{trate:,.0f}", f"{rate / trate:.2f}"
        emit(f"| {name} | {n:,} | {rate:,.0f} | {trate_s} | {ratio_s} | {rss_early:.1f} | {rss_end:.1f} |")
    emit()
    return mismatch


def _bench_larger_counts(args, emit) -> None:
    """Section 3: larger counts (ours only)."""
    emit("### Larger counts (ours only)")
    emit()
    emit("| points | fine | count | CPU s | wall s | sub-polygons |")
    emit("|---|---|---:|---:|---:|---:|")
    big = [("grid 5x5", grid(5, 5), True), ("grid 4x5", grid(4, 5), False)]
    if not args.quick:
        big += [("grid 5x6", grid(5, 6), True), ("grid 6x6", grid(6, 6), True),
                ("random 20", np.random.default_rng(0).random((20, 2)), True)]
    for name, pts, fine in big:
        _count._CACHE.clear()
        struct = _count.build_structure(pts, fine=fine, max_states=_count.DEFAULT_MAX_STATES, what="bench")
        c0, w0 = time.process_time(), time.perf_counter()
        n = _count.total_count(struct)
        cpu, wall = time.process_time() - c0, time.perf_counter() - w0
        emit(f"| {name} | {'fine' if fine else 'all'} | {n:,} | {cpu:.2f} | {wall:.2f} | {len(struct.memo):,} |")
    emit()


def _bench_error_statistics(emit) -> None:
    """Section 4: the squared L2 error over all fine triangulations of the 4x5 grid."""
    emit("### Squared L2 interpolation error over all fine triangulations (cost_statistics)")
    emit()
    emit("| points | target | triangulations | best | mean | std | worst | CPU s | wall s |")
    emit("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    # [0, 0.75] x [0, 1]: dividing by 4 keeps the lattice exact in binary (dividing by 3 would not,
    # and the exact predicates would then see a perturbed lattice with more triangulations)
    pts = grid(4, 5) / 4.0
    for tname in ("franke", "gaussian"):
        target = get_target(tname, n_dims=2)

        def cost(s, target=target):
            return simplex_errors(pts, s, target, "l2").per_simplex

        st, cpu, wall = timed(cost_statistics, pts, cost)
        emit(f"| grid 4x5 | {tname} | {st.count:,} | {st.min:.4g} | {st.mean:.4g} | {st.std:.3g} | {st.max:.4g} "
             f"| {cpu:.2f} | {wall:.2f} |")
    emit()

#: wall-clock cap of the engine-only integer programs (the unrefined worst case at n = 160 does not finish)
ENGINE_TIME_LIMIT = 120.0


def bench_optimal(sizes, target_name="franke", seeds=(0,), engine_only=False) -> list[str]:
    """Section 5: exact best / worst L2 triangulations against the flip walk, same points, same process."""
    from geoquant.compare import get_method
    from geoquant.points import sample_points

    lines: list[str] = []

    def emit(s=""):
        print(s, flush=True)
        lines.append(s)

    with open("/proc/loadavg") as fh:
        load = fh.read().split()[:3]
    if not engine_only:
        emit("### Exact best / worst L2 triangulations (integer program) vs the flip walk")
        emit()
        emit(f"Target {target_name} (2D), uniform random points; the comparison's hull L2 cost; load average at "
             f"start {' '.join(load)} on {os.cpu_count()} cores. CPU = process time (HiGHS and numpy), wall alongside. "
             "Flip walk: `search=\"flip_walk\", n_samples=100` (the previous default above 20 points).")
        emit()
        emit("| n | seed | which | exact l2sq | flip-walk l2sq | exact CPU s | exact wall s | flip CPU s | flip wall s "
             "| CPU ratio flip/exact | optimal |")
        emit("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---|")
    target = get_target(target_name, n_dims=2)
    per_n = {}
    for n in [] if engine_only else sizes:
        for seed in seeds:
            X = sample_points(n, 2, "uniform", seed=seed, domain=target.domain)
            y = target(X)
            for which, name in (("min", "triangulation_best"), ("max", "triangulation_worst")):
                c0, w0 = time.process_time(), time.perf_counter()
                ex = get_method(name).fit(X, y, target=target, seed=seed)
                ce, we = time.process_time() - c0, time.perf_counter() - w0
                c0, w0 = time.process_time(), time.perf_counter()
                fw = get_method(name, search="flip_walk", n_samples=100).fit(X, y, target=target, seed=seed)
                cf, wf = time.process_time() - c0, time.perf_counter() - w0
                ie, iw = ex.info(), fw.info()
                ve = ie[f"l2sq_{which}"]
                vf = iw["l2sq_local_opt"]
                ok = (ve <= vf * (1 + 1e-9)) if which == "min" else (ve >= vf * (1 - 1e-9))
                emit(f"| {n} | {seed} | {'best' if which == 'min' else 'worst'} | {ve:.6g} | {vf:.6g} | {ce:.2f} | "
                     f"{we:.2f} | {cf:.2f} | {wf:.2f} | {cf / max(ce, 1e-9):.2f} | "
                     f"{ie['exact']}{'' if ok else ' (WORSE THAN FLIP WALK)'} |")
                acc = per_n.setdefault(n, [0.0, 0.0])
                acc[0] += ce / len(seeds)
                acc[1] += cf / len(seeds)
    emit()
    emit("Engine only: `optimal_triangulation` with the interpolation module's L2 error "
         "(`simplex_errors(points, s, target, \"l2\")`, degree-7 rule, no refinement, no Linf lattice), "
         "same points; `cost s` is the cost evaluation on every empty triangle, included in `CPU s`.")
    emit()
    emit("| n | empty triangles | which | l2sq | CPU s | wall s | cost CPU s | optimal | solver path |")
    emit("|---:|---:|---|---:|---:|---:|---:|---|---|")
    from geoquant.errors import TooLargeError
    from geoquant.triangulation import optimal_triangulation

    refined = []
    for n in sizes:
        X = sample_points(n, 2, "uniform", seed=0, domain=target.domain)
        spent = [0.0]
        seen = []

        def cost(s):
            seen.append(np.array(s))
            c0 = time.process_time()
            out = simplex_errors(X, s, target, "l2").per_simplex
            spent[0] += time.process_time() - c0
            return out

        for which in ("min", "max"):
            spent[0] = 0.0
            c0, w0 = time.process_time(), time.perf_counter()
            try:  # capped: the unrefined worst case at n = 160 ran past 320 s CPU without proof
                r = optimal_triangulation(X, cost, sense=which, time_limit=ENGINE_TIME_LIMIT)
            except TooLargeError:  # nothing found within the limit
                r = None
            ce, we = time.process_time() - c0, time.perf_counter() - w0
            if r is None:
                emit(f"| {n} | - | {'best' if which == 'min' else 'worst'} | - | {ce:.2f} | {we:.2f} | {spent[0]:.2f} | "
                     f"none within {ENGINE_TIME_LIMIT:.0f} s | - |")
                continue
            path = "LP integral" if r.status.startswith("LP relaxation") else "branch and bound"
            proof = "True" if r.optimal else f"False (stopped at {ENGINE_TIME_LIMIT:.0f} s wall, gap {r.gap:.2g})"
            emit(f"| {n} | {r.n_candidates:,} | {'best' if which == 'min' else 'worst'} | {r.cost:.6g} | {ce:.2f} | "
                 f"{we:.2f} | {spent[0]:.2f} | {proof} | {path} |")
        # the comparison's cost (degree 7, refine 2: what triangulation_best/worst pay) on the same triangles
        c0, w0 = time.process_time(), time.perf_counter()
        simplex_errors(X, seen[-1], target, "l2", values=target(X), degree=7, refine=2)
        refined.append((n, len(seen[-1]), time.process_time() - c0, time.perf_counter() - w0, spent[0]))
    emit()
    emit("The comparison's cost alone (`simplex_errors(..., \"l2\", degree=7, refine=2)`, 16 children x 20 nodes "
         "per triangle) on every empty triangle, against the unrefined cost (last `cost CPU s` above) in this process:")
    emit()
    emit("| n | empty triangles | refined cost CPU s | wall s | ratio to the unrefined cost |")
    emit("|---:|---:|---:|---:|---:|")
    for n, k, c, w, base in refined:
        emit(f"| {n} | {k:,} | {c:.2f} | {w:.2f} | {c / max(base, 1e-9):.1f} |")
    emit()
    if engine_only:
        return lines
    # paper study (geoquant/data/studies/paper.toml): 3 two-dimensional targets x 2 samplers x 10 seeds per size
    tasks = 3 * 2 * 10
    before = sum(v[1] for v in per_n.values()) * tasks
    after = sum(v[0] for v in per_n.values()) * tasks
    emit(f"Paper study estimate (best + worst on {tasks} samples at each of n = {', '.join(map(str, per_n))}; "
         f"n <= 20 use the counting DP either way): flip walk {before / 3600:.2f} CPU h, exact {after / 3600:.2f} CPU h "
         f"(ratio {before / max(after, 1e-9):.2f}).")
    emit()
    return lines


#: the n = 160 instances of the exact worst triangulation (issue 25.3): seeds x targets
WORST_INSTANCES = [(seed, t) for seed in range(7) for t in ("franke", "runge", "sines", "gaussian")]


def bench_worst(n=160, instances=None, baseline_limit=120.0, new_limit=120.0, previous="descent") -> list[str]:
    """Exact worst (maximum L2) triangulation at n = 160: windows of reduced-cost fixing vs the previous path.

    The cost is the comparison's (``simplex_errors(..., "l2", degree=7, refine=2)``, as
    ``triangulation_worst`` pays it), evaluated once per instance and shared by both solves.
    New: rounds of cuts, each followed by branch and bound in the cheap windows below the
    Lagrangian bound (``_optimal._Windows``).
    Previous path (``_optimal._DESCENT = False``): cuts until the LP is integral (up to 60
    rounds), then a greedy incumbent, reduced-cost fixing and one HiGHS branch and bound,
    capped at ``baseline_limit`` s wall. With ``previous="windows"`` the previous path is the
    windows with the crossing cliques and odd cycles only (``_optimal._STRONG = False``: no
    overlap cliques, no flip cuts, no purge). Where both prove optimality the optima must agree.
    """
    from geoquant.points import sample_points
    from geoquant.targets import get_target
    from geoquant.triangulation import _optimal, optimal_triangulation
    from geoquant.errors import TooLargeError

    lines: list[str] = []

    def emit(s=""):
        print(s, flush=True)
        lines.append(s)

    with open("/proc/loadavg") as fh:
        load = fh.read().split()[:3]
    emit(f"### Exact worst L2 triangulation at n = {n}: windows of reduced-cost fixing vs the previous path")
    emit()
    emit(f"Uniform points `sample_points({n}, 2, 'uniform', seed=seed, domain=target.domain)`, the comparison's "
         f"squared L2 cost (degree 7, refine 2) on every empty triangle, evaluated once (`cost CPU s`); load "
         f"average at start {' '.join(load)} on {os.cpu_count()} cores. New: `optimal_triangulation(..., "
         f"sense='max', time_limit={new_limit:.0f})` (rounds of cuts; after each, branch and bound in the windows "
         "of reduced-cost fixing below the Lagrangian bound that leave HiGHS at most 45 % of the triangles; after "
         "10 rounds, any window; cuts: crossing cliques, odd cycles, overlap cliques of triangles, optimality "
         "cuts of improving flips, slack cuts dropped each round). Previous: the same call with "
         + ("`_STRONG = False` (the same windows with crossing cliques and odd cycles only, every cut kept)"
            if previous == "windows" else
            "`_DESCENT = False` (cuts until the LP is integral, then one branch and bound)")
         + f", capped at {baseline_limit:.0f} s wall. CPU = "
         "process time of the solve (HiGHS runs 2 threads); the goal (< 60 s CPU) is on cost + solve.")
    emit()
    emit("| seed | target | empty triangles | worst l2sq | cost CPU s | new solve CPU s | new wall s | cost + solve CPU s "
         "| new path | previous CPU s | previous wall s | previous result | CPU ratio previous/new |")
    emit("|---:|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---|---:|")
    totals, met = [], 0
    for seed, tname in instances or WORST_INSTANCES:
        target = get_target(tname, n_dims=2)
        X = sample_points(n, 2, "uniform", seed=seed, domain=target.domain)
        y = target(X)
        cache: dict[bytes, np.ndarray] = {}
        spent = [0.0]

        def cost(s, X=X, y=y, target=target, cache=cache, spent=spent):
            key = np.ascontiguousarray(s).tobytes()
            if key not in cache:
                c0 = time.process_time()
                cache[key] = simplex_errors(X, s, target, "l2", values=y, degree=7, refine=2).per_simplex
                spent[0] += time.process_time() - c0
            return cache[key]

        c0, w0 = time.process_time(), time.perf_counter()
        try:
            r = optimal_triangulation(X, cost, sense="max", time_limit=new_limit)
        except TooLargeError:
            r = None
        cpu_new, wall_new = time.process_time() - c0 - spent[0], time.perf_counter() - w0
        if r is None:
            path = f"**no triangulation within {new_limit:.0f} s wall**"
        elif not r.optimal:
            path = f"**not proven within {new_limit:.0f} s wall** (best {r.cost:.6g}, gap {r.gap:.2g})"
        elif r.status.startswith("LP"):
            path = "LP relaxation integral"
        else:
            windows = r.status.split("branch and bound in ")[1].split(" window")[0]
            path = f"{windows} window(s)"
        saved = _optimal._DESCENT, _optimal._STRONG
        setattr(_optimal, "_STRONG" if previous == "windows" else "_DESCENT", False)
        try:
            c0, w0 = time.process_time(), time.perf_counter()
            try:
                old = optimal_triangulation(X, cost, sense="max", time_limit=baseline_limit)
            except TooLargeError:
                old = None
            cpu_old, wall_old = time.process_time() - c0, time.perf_counter() - w0
        finally:
            _optimal._DESCENT, _optimal._STRONG = saved
        new_ok = r is not None and r.optimal
        if old is None:
            res_old = f"no triangulation in {baseline_limit:.0f} s wall"
        elif old.optimal and new_ok:
            if abs(old.cost - r.cost) > 1e-9 * abs(r.cost):
                raise SystemExit(f"optimum mismatch seed {seed} {tname}: new {r.cost} previous {old.cost}")
            res_old = "same optimum"
        elif old.optimal:
            res_old = f"optimum {old.cost:.6g}"
        else:
            res_old = f"not proven in {baseline_limit:.0f} s wall (best {old.cost:.6g}, gap {old.gap:.2g})"
            if new_ok and old.cost > r.cost * (1 + 1e-9):
                raise SystemExit(f"seed {seed} {tname}: previous path found {old.cost} > new optimum {r.cost}")
        ratio = f"{cpu_old / max(cpu_new, 1e-9):.2f}" + ("" if old is not None and old.optimal or not new_ok
                                                         else " (at least)")
        total = spent[0] + cpu_new
        totals.append(total)
        met += new_ok and total < 60
        emit(f"| {seed} | {tname} | {sum(len(v) for v in cache.values()):,} | "
             f"{'-' if r is None else f'{r.cost:.6g}'} | {spent[0]:.2f} | {cpu_new:.2f} | {wall_new:.2f} | "
             f"{total:.2f} | {path} | {cpu_old:.2f} | {wall_old:.2f} | {res_old} | {ratio} |")
    emit()
    emit(f"cost + solve CPU over {len(totals)} instances: max {max(totals):.1f} s, median "
         f"{float(np.median(totals)):.1f} s; proven optimal in < 60 s CPU: {met} of {len(totals)} "
         "(goal: every instance)")
    emit()
    return lines


def _count_one(spec: str, baseline: bool) -> dict:
    """One count in this (fresh) process: the kernel, then the lean Python evaluation on the same DAG."""
    import json  # noqa: F401  (the caller reads our JSON line)

    from geoquant.triangulation._count_kernel import warm_up
    from geoquant.triangulation._count_planar import PlanarDecomposition

    kind, _, arg = spec.partition(":")
    pts = grid(int(arg), int(arg)) if kind == "grid" else np.random.default_rng(int(kind)).random((int(arg), 2))
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    c0, w0 = time.process_time(), time.perf_counter()
    load_s = warm_up()  # numba: load the cached kernels (compiles them on the first run after install)
    c_load = time.process_time() - c0
    _count._CACHE.clear()
    struct = _count.build_structure(pts, fine=True, max_states=_count.DEFAULT_COUNT_MAX_STATES, what="bench")
    new = _count.total_count(struct)
    cpu_new, wall_new = time.process_time() - c0, time.perf_counter() - w0
    states = len(struct.memo)
    peak_new = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    interior = struct.n_interior
    del struct
    out = {"spec": spec, "n": len(pts), "interior": interior, "count": str(new), "cpu": cpu_new, "wall": wall_new,
           "load_cpu": c_load, "load_wall": load_s, "states": states, "peak_mb": peak_new, "rss0_mb": rss0}
    if baseline:
        import gc

        from geoquant.triangulation._count_fast import count_fine

        gc.collect()
        base = PlanarDecomposition(pts, fine=True, max_states=10**9)
        c0 = time.process_time()
        with _count.deep_recursion(base):
            old = count_fine(base)
        out["cpu_python"] = time.process_time() - c0
        out["peak_python_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if old != new:
            raise SystemExit(f"mismatch on {spec}: kernel {new}, Python {old}")
    return out


def bench_large_counts(sizes, seeds=(0,), grid66=True, baseline_max=28) -> list[str]:
    """Section 6: exact fine counts past 25 points, compiled kernel vs the lean Python evaluation.

    Each case runs in a fresh process (its peak memory is its own): the kernel first (CPU time
    including loading numba's cached kernels), then -- up to ``baseline_max`` points -- the lean
    Python evaluation of the same DAG (the previous default) in the same process, counts checked equal.
    """
    import json

    lines: list[str] = []

    def emit(s=""):
        print(s, flush=True)
        lines.append(s)

    with open("/proc/loadavg") as fh:
        load = fh.read().split()[:3]
    emit("### Exact fine counts past 25 points: compiled kernel vs the lean Python evaluation")
    emit()
    emit(f"Uniform random points `np.random.default_rng(seed).random((n, 2))` and the 6x6 grid; load average at "
         f"start {' '.join(load)} on {os.cpu_count()} cores (shared with other work). Each case in a fresh "
         "process. New: `count_triangulations` (compiled kernel `geoquant/triangulation/_count_kernel.py`; its CPU "
         "time includes importing numba and loading the cached kernels, shown separately). Baseline in the same "
         "process: the lean Python evaluation `_count_fast.count_fine` of the same DAG (the previous default), "
         f"run up to n = {baseline_max}; counts checked equal. Peak RSS: the whole process after the kernel "
         "(numpy, numba and the interpreter included).")
    emit()
    emit("| points | interior | count | kernel CPU s | wall s | of which numba load CPU s | sub-polygons "
         "| peak RSS MB | Python CPU s | CPU ratio Python/kernel |")
    emit("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    cases = [f"{seed}:{n}" for n in sizes for seed in seeds] + (["grid:6"] if grid66 else [])
    for spec in cases:
        n = 36 if spec == "grid:6" else int(spec.split(":")[1])
        cmd = [sys.executable, __file__, "--count-one", spec] + (["--with-baseline"] if n <= baseline_max else [])
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            tail = (res.stderr.strip().splitlines() or ["?"])[-1]
            emit(f"| {spec} | - | {tail[:160]} | - | - | - | - | - | - | - |")
            continue
        r = json.loads(res.stdout.strip().splitlines()[-1])
        name = "grid 6x6" if spec == "grid:6" else f"random {r['n']} (seed {spec.split(':')[0]})"
        base = (f"{r['cpu_python']:.2f} | {r['cpu_python'] / r['cpu']:.2f}" if "cpu_python" in r else "- | -")
        emit(f"| {name} | {r['interior']} | {int(r['count']):,} | {r['cpu']:.2f} | {r['wall']:.2f} | "
             f"{r['load_cpu']:.2f} | {r['states']:,} | {r['peak_mb']:.0f} | {base} |")
    emit()
    return lines


def bench_sampling_statistics(sample_sizes=(26, 28), stats_sizes=(24, 26), k=100) -> list[str]:
    """Section 7: uniform sampling and cost statistics past 25 points, checked against optimal_triangulation."""
    from geoquant.triangulation import optimal_triangulation, sample_triangulations

    lines: list[str] = []

    def emit(s=""):
        print(s, flush=True)
        lines.append(s)

    emit("### Uniform sampling and cost statistics past 25 points")
    emit()
    emit(f"Uniform random points (seed 0). Sampling: `sample_triangulations(points, {k}, seed=0)` from scratch "
         "(builds and counts the DAG, then unranks exact uniform big-integer indices). Statistics: "
         "`cost_statistics` of the squared-area cost (sum over triangles) with `max_states=10**7`; its min and max "
         "are compared with `optimal_triangulation` (integer program) on the same points in the same run.")
    emit()
    emit("| n | what | result | CPU s | wall s |")
    emit("|---:|---|---|---:|---:|")
    for n in sample_sizes:
        pts = np.random.default_rng(0).random((n, 2))
        _count._CACHE.clear()
        draws, cpu, wall = timed(sample_triangulations, pts, k, seed=0)
        assert len(draws) == k and all(t.is_fine for t in draws)
        emit(f"| {n} | sample {k} | {len({t.simplices.tobytes() for t in draws})} distinct | {cpu:.2f} | {wall:.2f} |")
    for n in stats_sizes:
        pts = np.random.default_rng(0).random((n, 2))

        def cost(s, pts=pts):
            p = pts[s]
            a = (p[:, 1, 0] - p[:, 0, 0]) * (p[:, 2, 1] - p[:, 0, 1]) - (p[:, 2, 0] - p[:, 0, 0]) * (p[:, 1, 1] - p[:, 0, 1])
            return (0.5 * a) ** 2

        st, cpu, wall = timed(cost_statistics, pts, cost, max_states=10**7)
        lo = optimal_triangulation(pts, cost)
        hi = optimal_triangulation(pts, cost, sense="max")
        agree = abs(lo.cost - st.min) <= 1e-9 * abs(st.min) and abs(hi.cost - st.max) <= 1e-9 * abs(st.max)
        if not agree:
            raise SystemExit(f"cost_statistics min/max {st.min}/{st.max} != optimal {lo.cost}/{hi.cost} at n = {n}")
        emit(f"| {n} | cost_statistics | {st.count:,} triangulations; min {st.min:.6g} = IP min, max {st.max:.6g} = "
             f"IP max; mean {st.mean:.6g}, std {st.std:.3g} | {cpu:.2f} | {wall:.2f} |")
    emit()
    return lines


if __name__ == "__main__":
    sys.exit(main())
