"""Benchmark: evaluate a piecewise-linear interpolant of 10^4 random 2D points at 10^6 queries.

Baselines run in the same process on the same data:
- scipy's LinearNDInterpolator on the same (Delaunay) triangulation;
- matplotlib's LinearTriInterpolator on a non-Delaunay triangulation (a random
  regular one), where scipy cannot be used.

Prints a markdown table with the ratios (baseline time / our time; > 1 means
geoquant is faster). Usage: ``python benchmarks/interpolate.py [--points N --queries Q --repeat R]``.
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np


def best_of(fn, repeat):
    times = []
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--points", type=int, default=10_000)
    ap.add_argument("--queries", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    import matplotlib.tri as mtri
    from scipy.interpolate import LinearNDInterpolator
    from scipy.spatial import ConvexHull, Delaunay

    from geoquant.interpolate import PiecewiseLinearInterpolant
    from geoquant.triangulation import Triangulation

    rng = np.random.default_rng(args.seed)
    pts = rng.random((args.points, 2))
    vals = np.sin(4 * pts[:, 0]) * np.cos(3 * pts[:, 1])
    q = rng.random((args.queries, 2))
    rows = []

    # --- same Delaunay triangulation: geoquant vs scipy ---
    sp_tri = Delaunay(pts)
    tri = Triangulation(pts, sp_tri.simplices)
    t_build, ours = best_of(lambda: PiecewiseLinearInterpolant(Triangulation(pts, sp_tri.simplices), vals), 1)
    ours = PiecewiseLinearInterpolant(tri, vals)
    ours(q[:1000])  # build the locator once (reported separately)
    t0 = time.perf_counter()
    ours2 = PiecewiseLinearInterpolant(Triangulation(pts, sp_tri.simplices, validate=False), vals)
    ours2(q[:1])
    t_index = time.perf_counter() - t0
    t_ours, a = best_of(lambda: ours(q), args.repeat)
    sp = LinearNDInterpolator(sp_tri, vals)
    sp(q[:1000])
    t_sp, b = best_of(lambda: sp(q), args.repeat)
    ok = ~np.isnan(a)
    assert np.array_equal(ok, ~np.isnan(b)), "inside/outside disagreement"
    err = float(np.max(np.abs(a[ok] - b[ok])))
    rows.append(("Delaunay, vs scipy LinearNDInterpolator", t_sp, t_ours, t_sp / t_ours, err))

    # --- non-Delaunay triangulation: geoquant vs matplotlib ---
    h = rng.random(len(pts))
    hull = ConvexHull(np.column_stack([pts, np.sum(pts**2, axis=1) + 0.02 * h]))
    lower = hull.simplices[hull.equations[:, -2] < -1e-12]
    reg = Triangulation(pts, lower)
    ours_r = PiecewiseLinearInterpolant(reg, vals)
    ours_r(q[:1000])
    t_ours_r, a = best_of(lambda: ours_r(q), args.repeat)
    mt = mtri.Triangulation(pts[:, 0], pts[:, 1], reg.simplices)
    mi = mtri.LinearTriInterpolator(mt, vals)
    mi(q[:1000, 0], q[:1000, 1])
    t_mpl, b = best_of(lambda: mi(q[:, 0], q[:, 1]), args.repeat)
    b = np.ma.filled(b, np.nan)
    ok = ~np.isnan(a) & ~np.isnan(b)
    err = float(np.max(np.abs(a[ok] - b[ok])))
    rows.append(("non-Delaunay, vs matplotlib LinearTriInterpolator", t_mpl, t_ours_r, t_mpl / t_ours_r, err))

    print(f"# interpolate benchmark: {args.points} points, {args.queries} queries, best of {args.repeat}")
    print(f"machine: {platform.machine()}, {platform.processor() or platform.system()}, numpy {np.__version__}")
    print(f"geoquant Triangulation build + validation: {t_build:.3f} s; locator index build: {t_index:.3f} s\n")
    print("| case | baseline s | geoquant s | ratio (baseline/ours) | max abs diff |")
    print("|---|---|---|---|---|")
    for name, tb, to, r, e in rows:
        print(f"| {name} | {tb:.3f} | {to:.3f} | {r:.2f} | {e:.1e} |")


if __name__ == "__main__":
    main()
