"""Before/after check for the typing branch: the same calls on fixed seeds give bit-identical results.

Runs a set of calls in a subprocess from each of two checkouts (default: /work/main, the old code,
and this checkout) and compares every returned array with ``==`` (NaN == NaN).

Usage: ``python3 benchmarks/types_bitident.py [OLD_ROOT] [NEW_ROOT]``
"""

import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np

CALLS = r'''
import pickle, sys
import numpy as np
import geoquant as gq
from geoquant import theory, nn
from geoquant._validation import as_generator, find_duplicates
out = {}
for kind in ("uniform", "grid", "sobol", "halton", "clustered"):
    out["sample_" + kind] = gq.sample_points(16, 2, kind, seed=np.int64(3))
out["sample_polygon"] = gq.sample_points(20, 2, "polygon", polygon=[[0, 0], [2, 0], [1, 1.5]], seed=4)
out["rng"] = as_generator(np.int64(7)).random(5)
x = np.array([[0.0], [1.0], [1.0 + 1e-13], [2.0], [3.0], [3.0], [3.0 + 1e-14], [5.0]])
out["dups_1d"] = np.array([v for g in find_duplicates(x) for v in g + (-1,)])
X2 = gq.sample_points(12, 2, seed=5)
s = theory.sectors(X2)
out["sectors_patterns"] = s.patterns
out["sectors_dirs"] = s.directions
X1 = np.array([[-0.8], [-0.3], [0.1], [0.6], [0.9]]); y1 = np.array([0.5, 1.0, 0.7, 1.2, 0.4])
ex = theory.extremal_directions(X1, y1)
out["extremal"] = np.array([[e.sign, e.rate, e.kink] for e in ex])
b = theory.basins(X1, y1, n_samples=200, seed=np.int64(2))
out["basins"] = b.positive.labels if hasattr(b, "positive") else np.asarray(getattr(b, "labels", []))
m = theory.minnorm_interpolant(X1, y1)
out["minnorm"] = np.concatenate([m.W.ravel(), m.a.ravel(), [m.cost]])
tri = gq.delaunay(X2)
out["delaunay"] = tri.simplices
out["l2"] = gq.interpolation_error(tri, gq.get_target("franke"), norm="l2").per_simplex
out["bounds"] = gq.error_bounds(tri, 2.0)
out["targets"] = np.array(gq.list_targets())
r = nn.train_gd(X1, y1, width=8, n_models=2, n_steps=300, seed=np.int64(1))
out["train_W"] = r.W
out["train_loss"] = r.loss
p = theory.predict_function(X1, y1)
out["predict"] = np.array([p.loss, *p.kinks])
pickle.dump(out, open(sys.argv[1], "wb"))
'''


def run(root: str, dest: Path) -> dict:
    subprocess.run([sys.executable, "-c", CALLS, str(dest)], cwd=root, check=True)
    return pickle.loads(dest.read_bytes())


def main() -> None:
    old = sys.argv[1] if len(sys.argv) > 1 else "/work/main"
    new = sys.argv[2] if len(sys.argv) > 2 else str(Path(__file__).resolve().parents[1])
    tmp = Path("/tmp") / "types_bitident"
    tmp.mkdir(exist_ok=True)
    a, b = run(old, tmp / "old.pkl"), run(new, tmp / "new.pkl")
    assert a.keys() == b.keys()
    same = 0
    for k in a:
        x, y = np.asarray(a[k]), np.asarray(b[k])
        ok = x.shape == y.shape and x.dtype == y.dtype and bool(np.all((x == y) | ((x != x) & (y != y))))
        same += ok
        print(f"{'identical' if ok else 'DIFFERENT'}  {k}  {x.shape}")
    print(f"{same} of {len(a)} results bit-identical ({old} vs {new})")


if __name__ == "__main__":
    main()
