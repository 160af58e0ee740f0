"""Before/after check of the one planar mesh: run in two checkouts, compare with ``==``.

Usage (from each checkout's root, so that its own ``geoquant`` is imported)::

    python3 benchmarks/mesh_before_after.py dump /tmp/old.pkl     # in the old checkout
    python3 benchmarks/mesh_before_after.py dump /tmp/new.pkl     # in the new checkout
    python3 benchmarks/mesh_before_after.py compare /tmp/old.pkl /tmp/new.pkl

Flip walks (samples, totals, greedy descents), Lawson flips for every criterion,
data-dependent triangulations, flip graphs, flippable edges and the flip-walk
best/worst triangulation methods, all on fixed seeds in general position (plus
lattice grids, where every decision is exact in both). Prints the seconds of
each part (separate processes: informative only, not a speed claim).
"""

from __future__ import annotations

import pickle
import sys
import time

import numpy as np


def dump(path: str) -> None:
    from geoquant.compare import get_method
    from geoquant.triangulation._flipwalk import FlipWalk
    from geoquant.compare._metrics import pl_errors
    from geoquant.points import sample_points
    from geoquant.targets import get_target
    from geoquant.triangulation import (
        criterion_value,
        data_dependent_triangulation,
        delaunay,
        flip,
        flip_graph,
        flippable_edges,
        lawson_flip,
        random_regular_triangulation,
    )

    out: dict = {}
    times: dict = {}
    f = get_target("runge", n_dims=2)

    t0 = time.perf_counter()
    for seed in range(4):
        X = sample_points(40, 2, "uniform", seed=seed, domain=f.domain)
        y = f(X)
        cost = lambda s, X=X, y=y: pl_errors(X, s, f, values=y)[0]  # noqa: E731
        walk = FlipWalk(X, delaunay(X).simplices, cost, seed=seed)
        samples, totals = walk.sample(6, burn_in=400, thin=60)
        out[f"walk{seed}"] = ([s.tolist() for s in samples], totals.tolist())
        walk.descend(1.0)
        out[f"descend{seed}"] = (walk.simplices().tolist(), float(walk.total))
        w2 = FlipWalk(X, samples[-1], cost, seed=seed)
        w2.descend(-1.0)
        out[f"ascend{seed}"] = (w2.simplices().tolist(), float(w2.total))
        plain = FlipWalk(X, delaunay(X).simplices, None, seed=seed + 10)
        s3, _ = plain.sample(3)
        out[f"plain{seed}"] = [s.tolist() for s in s3]
    times["flip walks"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    for seed in range(3):
        X = sample_points(30, 2, "uniform", seed=seed, domain=f.domain)
        for which in ("triangulation_best", "triangulation_worst"):
            m = get_method(which, search="flip_walk", exact_max_points=3, n_samples=8).fit(X, f(X), target=f, seed=seed)
            info = {k: v for k, v in m.info().items() if isinstance(v, (int, float, str, bool)) and k != "fit_s"}  # fit_s: a timing
            out[f"{which}{seed}"] = (m.triangulation.simplices.tolist(), info)
    times["best/worst by flip walk"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    ridge = lambda x: np.abs(x[..., 0] - 2 * x[..., 1])  # noqa: E731
    xs, ys = np.meshgrid(np.arange(6.0), np.arange(6.0))
    grid = np.column_stack([xs.ravel(), ys.ravel()])
    for seed in range(3):
        X = np.random.default_rng(seed).random((35, 2))
        start = random_regular_triangulation(X, seed=seed + 5)
        z = np.sin(3 * X[:, 0]) * X[:, 1]
        for crit in ("max_min_angle", "min_edge_length", "abn", "jnd"):
            t = lawson_flip(start, crit, z)
            out[f"lawson{seed}{crit}"] = (t.simplices.tolist(), criterion_value(t, crit, z))
        t = lawson_flip(start, "min_l2_error", f)
        out[f"lawson{seed}l2"] = (t.simplices.tolist(), criterion_value(t, "min_l2_error", f))
        def area(P, s, v):
            e1, e2 = P[s[:, 1]] - P[s[:, 0]], P[s[:, 2]] - P[s[:, 0]]
            return np.abs(e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]) ** 1.5

        t = lawson_flip(start, area)
        out[f"lawson{seed}callable"] = (t.simplices.tolist(), criterion_value(t, area))
        for crit in ("jnd", "abn"):
            t = data_dependent_triangulation(grid, ridge, crit, start="random", seed=seed)
            out[f"ddt-grid{seed}{crit}"] = t.simplices.tolist()
            t = data_dependent_triangulation(X, ridge, crit)
            out[f"ddt{seed}{crit}"] = t.simplices.tolist()
    times["Lawson / data-dependent"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    for seed in range(2):
        X = np.random.default_rng(seed).random((8, 2))
        tris, adj = flip_graph(X)
        out[f"graph{seed}"] = ([t.simplices.tolist() for t in tris], adj.toarray().tolist())
        tris, adj = flip_graph(X[:7], fine=False)
        out[f"graphall{seed}"] = ([t.simplices.tolist() for t in tris], adj.toarray().tolist())
        d = delaunay(X)
        e = flippable_edges(d)
        out[f"flippable{seed}"] = e.tolist()
        out[f"flip{seed}"] = flip(d, e[0]).simplices.tolist()
    tris, _ = flip_graph(grid[:16].copy())
    out["graph-grid"] = [t.simplices.tolist() for t in tris]
    times["flip graphs"] = time.perf_counter() - t0

    with open(path, "wb") as fh:
        pickle.dump(out, fh)
    for k, v in times.items():
        print(f"{k:28s} {v:7.2f} s")


def compare(a: str, b: str) -> int:
    with open(a, "rb") as fh:
        old = pickle.load(fh)
    with open(b, "rb") as fh:
        new = pickle.load(fh)
    same = [k for k in old if k in new and old[k] == new[k]]
    diff = sorted(set(old) ^ set(new) | {k for k in old if k in new and old[k] != new[k]})
    print(f"{len(same)} of {len(old)} results identical (==); differing: {diff or 'none'}")
    return 1 if diff else 0


if __name__ == "__main__":
    if sys.argv[1] == "dump":
        dump(sys.argv[2])
    else:
        sys.exit(compare(sys.argv[2], sys.argv[3]))
