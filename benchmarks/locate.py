"""Benchmark: point location in 2D triangulations against matplotlib's trapezoid map and scipy.

``python benchmarks/locate.py [--points N --queries Q --repeat R]``. In one process, on the
same points and queries, each case times (best of R, runs interleaved; the slow path once):

- ``Triangulation.find_simplex`` (the compiled bucket grid of ``_locate.py``; the public call,
  query validation included),
- matplotlib's compiled ``TrapezoidMapTriFinder`` (any triangulation),
- scipy's ``Delaunay.find_simplex`` (Delaunay only),
- the previous vectorised numpy locator (``SimplexLocator(..., compiled=False)``), the slow path,

on a Delaunay triangulation, a random regular (non-Delaunay) one, a fan of a convex polygon
(long slivers from one vertex) and the worst-L2 triangulation-like "strips" of a grid. Answers
are checked equal (the same triangle for every query, by its vertices) before a row is printed.
Index build times are printed separately (excluded from the ratios for every method).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=10_000)
    ap.add_argument("--queries", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)

    import matplotlib.tri as mtri
    from scipy.spatial import Delaunay

    from geoquant.triangulation import Triangulation, random_regular_triangulation
    from geoquant.triangulation._locate import SimplexLocator

    rng = np.random.default_rng(0)
    n, nq = args.points, args.queries
    pts = rng.random((n, 2))
    q = rng.random((nq, 2)) * 1.1 - 0.05
    sp = Delaunay(pts)
    cases = [("Delaunay", pts, sp.simplices, sp, q),
             ("random regular (non-Delaunay)", pts, random_regular_triangulation(pts, seed=1).simplices, None, q)]
    th = np.sort(rng.random(n)) * 2 * np.pi
    circ = np.column_stack([np.cos(th), np.sin(th)])
    cases.append(("fan of a convex polygon (slivers)", circ, np.array([[0, i, i + 1] for i in range(1, n - 1)]),
                  None, rng.random((nq, 2)) * 2.2 - 1.1))
    m = int(np.sqrt(n))
    g = np.array([[i, j * 7.0] for i in range(m) for j in range(m)], dtype=float)
    strips = []  # every cell split by its long diagonal (a legal, far from Delaunay triangulation of a stretched grid)
    for i in range(m - 1):
        for j in range(m - 1):
            a, b, c, d = i * m + j, (i + 1) * m + j, (i + 1) * m + j + 1, i * m + j + 1
            strips += [[a, b, c], [a, c, d]]
    cases.append(("stretched grid 1:7", g, np.array(strips), None,
                  g.min(axis=0) + (g.max(axis=0) - g.min(axis=0)) * rng.random((nq, 2))))

    with open("/proc/loadavg") as fh:
        load = " ".join(fh.read().split()[:3])
    print(f"# point location: {n} points, {nq} queries, best of {args.repeat}; "
          f"{platform.machine()}, {os.cpu_count()} cores, load average {load}")
    print()
    print("| triangulation | ours s | matplotlib trapezoid map s | ratio mpl/ours | scipy s | ratio scipy/ours "
          "| previous numpy s | ratio previous/ours | build ours / mpl s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    worst_mpl = np.inf
    for name, P, S, spd, Q in cases:
        tri = Triangulation(P, S)
        t0 = time.perf_counter()
        tri._locator  # noqa: B018  (build the index)
        b_ours = time.perf_counter() - t0
        t0 = time.perf_counter()
        finder = mtri.TrapezoidMapTriFinder(mtri.Triangulation(P[:, 0], P[:, 1], S))
        b_mpl = time.perf_counter() - t0
        old = SimplexLocator(tri.points, tri.simplices, compiled=False)
        times: dict[str, list[float]] = {"ours": [], "mpl": [], "scipy": [], "old": []}
        for rep in range(args.repeat):
            for key in times:
                if (key == "scipy" and spd is None) or (key == "old" and rep):  # the slow path once
                    continue
                t0 = time.perf_counter()
                if key == "ours":
                    s_ours = tri.find_simplex(Q)
                elif key == "mpl":
                    s_mpl = np.asarray(finder(Q[:, 0], Q[:, 1]), dtype=np.int64)
                elif key == "scipy":
                    s_sp = spd.find_simplex(Q)
                else:
                    s_old = old.locate(Q)[0]
                times[key].append(time.perf_counter() - t0)
        inside = s_ours >= 0

        def same(other, rows):
            return (np.array_equal(other < 0, ~inside)
                    and np.array_equal(tri.simplices[s_ours[inside]], np.sort(rows[other[inside]], axis=1)))

        assert np.array_equal(s_old, s_ours), name
        assert same(s_mpl, S), name
        t = {k: min(v) for k, v in times.items() if v}
        r_mpl = t["mpl"] / t["ours"]
        worst_mpl = min(worst_mpl, r_mpl)
        sp_cells = "- | -"
        if spd is not None:
            assert same(s_sp, spd.simplices), name
            sp_cells = f"{t['scipy']:.3f} | {t['scipy'] / t['ours']:.2f}"
        print(f"| {name} | {t['ours']:.3f} | {t['mpl']:.3f} | {r_mpl:.2f} | {sp_cells} | {t['old']:.3f} "
              f"| {t['old'] / t['ours']:.2f} | {b_ours:.3f} / {b_mpl:.3f} |", flush=True)
    print()
    print(f"answers identical to matplotlib, scipy and the previous locator on every query; "
          f"smallest ratio against matplotlib {worst_mpl:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
