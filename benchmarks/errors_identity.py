"""Before/after check of the piecewise-linear error engine: same numbers from two source trees.

Run the dump in each tree (its ``geoquant`` is imported from the current directory),
then compare::

    (cd /work/main && python3 /path/to/benchmarks/errors_identity.py dump /tmp/old.npz)
    (cd /work/wt/x && python3 benchmarks/errors_identity.py dump /tmp/new.npz)
    python3 benchmarks/errors_identity.py compare /tmp/old.npz /tmp/new.npz

The cases are the quickstart's (geoquant/data/studies/quickstart.toml): targets runge and
sines (1D, n = 8, 16, 32) and franke and runge (2D, n = 10, 20, 40), uniform points,
seed 0; methods delaunay, triangulation_best / worst / mean / random,
data_dependent (jnd), rbf and a small network (network_small, width 20, a short
flow from seed 0), evaluated by the
comparison's Evaluator (every metric column) with the per-simplex errors it kept,
plus the engine called directly: ``simplex_errors`` (L2, L1, Linf) on the Delaunay
triangulation and ``pl_errors`` on the hull and the inner box. ``compare``
prints, per quantity, whether it is bit-identical (``==``) and otherwise the
largest relative difference.
"""

from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.getcwd())

CASES = [("runge", 1, n) for n in (8, 16, 32)] + [("sines", 1, n) for n in (8, 16, 32)] + \
        [("franke", 2, n) for n in (10, 20, 40)] + [("runge", 2, n) for n in (10, 20, 40)]
METHODS = [("delaunay", {}), ("triangulation_best", {}), ("triangulation_worst", {}), ("triangulation_mean", {}),
           ("triangulation_random", {}), ("data_dependent", {"criterion": "jnd"}), ("rbf", {}),
           ("network_small", {"width": 20, "t_max": 2.0})]


def dump(path: str) -> None:
    from geoquant.compare import EvalConfig, Evaluator, get_method
    from geoquant.compare._metrics import pl_errors
    from geoquant.interpolate import simplex_errors
    from geoquant.points import sample_points
    from geoquant.targets import get_target

    out = {}
    for name, dim, n in CASES:
        t = get_target(name, n_dims=dim)
        X = sample_points(n, dim, "uniform", seed=0, domain=t.domain)
        y = t(X)
        ev = Evaluator(t, X, y, EvalConfig())
        key = f"{name}{dim}d_n{n}"
        simp = ev.tri.simplices
        for norm in ("l2", "l1", "linf"):
            out[f"{key}/simplex_errors_{norm}"] = simplex_errors(X, simp, t, norm).per_simplex
        for region, box in (("hull", None), ("inner", ev.inner_box)):
            l2, li = pl_errors(X, simp, t, values=y, box=box)
            out[f"{key}/pl_errors_{region}_l2sq"], out[f"{key}/pl_errors_{region}_linf"] = l2, li
        for mname, params in METHODS:
            m = get_method(mname, **params).fit(X, y, target=t, seed=0)
            res = ev.evaluate(m)
            for col, v in sorted(res.items()):
                if v is not None and not isinstance(v, bool):
                    out[f"{key}/{mname}/{col}"] = np.array([v], dtype=float)
            for region, per in getattr(ev, "last_per_simplex", {}).items():
                out[f"{key}/{mname}/per_simplex_{region}"] = np.asarray(per, dtype=float)
        print(key, flush=True)
    np.savez(path, **out)


def compare(a_path: str, b_path: str) -> int:
    a, b = np.load(a_path), np.load(b_path)
    keys = sorted(set(a.files) | set(b.files))
    n_same, worst, missing = 0, (0.0, ""), []
    for k in keys:
        if k not in a.files or k not in b.files:
            missing.append(k)
            continue
        x, y = a[k], b[k]
        if x.shape == y.shape and np.array_equal(x, y):
            n_same += 1
            continue
        scale = np.maximum(np.abs(x), np.abs(y))
        rel = float(np.max(np.abs(x - y) / np.where(scale > 0, scale, 1.0))) if x.shape == y.shape else np.inf
        print(f"differs: {k}: largest relative difference {rel:.3g}")
        worst = max(worst, (rel, k))
    print(f"{n_same} of {len(keys) - len(missing)} quantities bit-identical; largest relative difference "
          f"{worst[0]:.3g} ({worst[1] or '-'}); missing in one file: {missing or 'none'}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "dump":
        dump(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "compare":
        sys.exit(compare(sys.argv[2], sys.argv[3]))
    else:
        sys.exit(__doc__)
