"""Flip-walk speed, new (one exact mesh) vs a baseline FlipWalk file, in the same process.

Usage::

    PYTHONPATH=$PWD python3 benchmarks/flipwalk_speed.py /path/to/old/geoquant/compare/_flipwalk.py

The baseline file is loaded standalone (the pre-mesh FlipWalk needs only numpy).
Prints seconds per run (best of 3) and the ratio new / old; also checks that both
produce the same samples.
"""

from __future__ import annotations

import importlib.util
import sys
import time

import numpy as np

from geoquant.triangulation._flipwalk import FlipWalk
from geoquant.points import sample_points
from geoquant.triangulation import delaunay


def best_of(fn, k=3):
    out = []
    for _ in range(k):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return min(out)


def main(old_path: str) -> None:
    spec = importlib.util.spec_from_file_location("old_flipwalk", old_path)
    old = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(old)
    for n in (40, 160):
        X = sample_points(n, 2, "uniform", seed=0)
        simp = delaunay(X).simplices

        def run(cls):
            s, _ = cls(X, simp, None, seed=1).sample(5)
            return s

        assert all(np.array_equal(a, b) for a, b in zip(run(FlipWalk), run(old.FlipWalk)))
        t_new, t_old = best_of(lambda: run(FlipWalk)), best_of(lambda: run(old.FlipWalk))
        print(f"n = {n:4d}: new {t_new:6.2f} s, old {t_old:6.2f} s, new / old = {t_new / t_old:.2f} (same samples)")


if __name__ == "__main__":
    main(sys.argv[1])
