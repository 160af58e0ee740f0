"""Benchmark: the minimum-norm interpolant at scale against the full program, in one process.

Run from the repository root (a few minutes; the full programs dominate)::

    nice python benchmarks/minnorm.py [--quick] [--report FILE]   (then copy the tables into reports/benchmarks.md)

What is measured (issue 25 item 1), on the same data in this process:

1. ``minnorm_interpolant`` with ``method="lines"`` (the default: an LP over the 2n
   kink-at-a-data-point neurons in 1D, column generation over the arcs of the lines
   through the data in 2D) against ``method="full"`` (the program over all
   activation cells) where the full program runs: 1D n = 256 and 2D n = 40; the
   costs must agree to 1e-6 (relative; the script exits non-zero otherwise) and
   both answers carry their certified gap.
2. ``method="lines"`` alone at 1D n = 2048 and 2D n = 160 and 256 (the phase
   study's sizes; the full program at 1D n = 2048 is refused up front by its
   memory estimate, which is printed); goals on the shared 2 cores: 1D n = 2048
   in < 5 s CPU, 2D n = 160 in < 60 s CPU.
3. ``minnorm_set_distance`` (issue 20): 1D n = 2048 and 2D n = 16, 32, 64 with 24
   nodes (the study's ``minnorm_set_sup``), for an interpolating network with a
   random hidden layer.

Data: uniform points in [-1, 1]^d (seed 0), values of a smooth function
(``sin(3 x) cos(2 y)``; 1D ``sin(3 x) + x``) and, for the scale rows, also N(0, 1)
noise (a harder, non-smooth case).  Times are CPU seconds (``time.process_time``,
all threads of this process), wall seconds beside them; the load average is
printed with every table because the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time

import numpy as np

sys.path.insert(0, os.getcwd())


def _data(n: int, d: int, kind: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, d))
    if kind == "noise":
        return X, rng.normal(size=n)
    if d == 1:
        return X, np.sin(3 * X[:, 0]) + X[:, 0]
    return X, np.sin(3 * X[:, 0]) * np.cos(2 * X[:, 1])


def _timed(fn, *args, **kw):
    c, w = time.process_time(), time.perf_counter()
    out = fn(*args, **kw)
    return out, time.process_time() - c, time.perf_counter() - w


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _load() -> str:
    return "load average " + ", ".join(f"{v:.1f}" for v in os.getloadavg())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes only (a smoke test)")
    ap.add_argument("--report", help="also write the tables to this file")
    ap.add_argument("--sections", default="full,scale,set",
                    help="comma-separated subset of full (against the full program), scale, set (set distance)")
    args = ap.parse_args()

    from geoquant.errors import TooLargeError
    from geoquant.theory import minnorm_interpolant, minnorm_set_distance
    from geoquant.theory._minnorm import minnorm_memory

    lines: list[str] = []

    def emit(s: str = "") -> None:
        print(s, flush=True)
        lines.append(s)

    emit(f"machine: {platform.machine()}, {platform.system()}, numpy {np.__version__}, {os.cpu_count()} CPUs; {_load()}")
    sections = set(args.sections.split(","))

    # 1. against the full program
    if "full" in sections:
        _against_full(args, emit, minnorm_interpolant)
    # 2. at scale
    if "scale" in sections:
        _scale(args, emit, minnorm_interpolant, minnorm_memory, TooLargeError)
    # 3. the distance to the set of minimisers
    if "set" in sections:
        _set(args, emit, minnorm_interpolant, minnorm_set_distance)
    if args.report:
        with open(args.report, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
    if not OK[0]:
        print("FAILED: a cost differs from the full program's by more than 1e-6", file=sys.stderr)
        return 1
    return 0


OK = [True]


def _against_full(args, emit, minnorm_interpolant) -> None:
    emit("\n### Against the full program (same data, same process)\n")
    emit("| case | full CPU s (wall) | lines CPU s (wall) | ratio full/lines (CPU) | cost full | cost lines "
         "| rel. diff | certified gap lines / full |")
    emit("|---|---:|---:|---:|---:|---:|---:|---:|")
    cases = [(1, 64 if args.quick else 256), (2, 12 if args.quick else 40)]
    for d, n in cases:
        X, y = _data(n, d, "smooth")
        full, cf, wf = _timed(minnorm_interpolant, X, y, method="full", progress=False)
        fast, cl, wl = _timed(minnorm_interpolant, X, y, progress=False)
        rel = abs(fast.cost - full.cost) / full.cost
        OK[0] &= rel <= 1e-6
        emit(f"| {d}D n = {n} | {cf:.2f} ({wf:.1f}) | {cl:.3f} ({wl:.2f}) | {cf / cl:.0f}x | {full.cost:.10g} "
             f"| {fast.cost:.10g} | {rel:.1e} | {fast.gap:.1e} / {full.gap:.1e} |")
    emit(f"\n{_load()}; peak RSS of this process so far {_rss_mb():.0f} MB")


def _scale(args, emit, minnorm_interpolant, minnorm_memory, TooLargeError) -> None:
    emit("\n### At scale (method \"lines\")\n")
    emit("| case | values | CPU s | wall s | cost | certified gap | residual | neurons | master solves |")
    emit("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    scale = [(1, 256), (1, 2048), (2, 40), (2, 160), (2, 256)] if not args.quick else [(1, 256), (2, 24)]
    for d, n in scale:
        for kind in ("smooth", "noise"):
            X, y = _data(n, d, kind)
            mn, c, w = _timed(minnorm_interpolant, X, y, progress=False)
            emit(f"| {d}D n = {n} | {kind} | {c:.2f} | {w:.1f} | {mn.cost:.10g} | {mn.gap:.1e} | {mn.residual:.1e} "
                 f"| {mn.width} | {mn.iterations} |")
    emit(f"\n{_load()}; peak RSS of this process so far {_rss_mb():.0f} MB")
    X, y = _data(2048, 1, "smooth")
    try:
        minnorm_interpolant(X, y, method="full")
        emit("full program at 1D n = 2048: ran (not expected under the default budget)")
    except TooLargeError as exc:
        emit(f"\nfull program at 1D n = 2048: refused up front (estimate {minnorm_memory(2048, 1, 'full') / 2**30:.1f} "
             f"GiB): {exc}")


def _set(args, emit, minnorm_interpolant, minnorm_set_distance) -> None:
    emit("\n### Distance to the set of minimum-cost interpolants (minnorm_set_distance)\n")
    emit("| case | nodes | CPU s | wall s | distance | exact | master solves |")
    emit("|---|---:|---:|---:|---:|---|---:|")
    rng = np.random.default_rng(1)
    for d, n in ([(1, 2048), (2, 16), (2, 32), (2, 64)] if not args.quick else [(1, 256), (2, 16)]):
        X, y = _data(n, d, "smooth")
        Wh = rng.normal(size=(2 * n, d + 1))
        a = np.linalg.lstsq(np.maximum(np.column_stack([X, np.ones(n)]) @ Wh.T, 0), y, rcond=None)[0]
        mn = minnorm_interpolant(X, y, progress=False)
        nodes = rng.uniform(-0.9, 0.9, (24, 2)) if d == 2 else None
        r, c, w = _timed(minnorm_set_distance, Wh, a, X, y, minnorm=mn, nodes=nodes, progress=False)
        emit(f"| {d}D n = {n} | {r.nodes.shape[0]} | {c:.2f} | {w:.1f} | {r.distance:.6g} | {r.exact} "
             f"| {r.iterations} |")
    emit(f"\n{_load()}; peak RSS of this process {_rss_mb():.0f} MB")


if __name__ == "__main__":
    raise SystemExit(main())
