"""1D network distances before and after the breakpoint fix (issue 20, bug 1), on a study's stored networks.

    python benchmarks/distances_1d_old_new.py STUDY_DIR

For every 1D network of the study with stored weights (``gallery_seeds``), ``between_l2 = ||g - I(g(X))||``
on the inner region is integrated twice, exactly between breakpoints: between the network's merged kink
clusters (``kinks_1d(...).positions``, what the old code used) and between every neuron's breakpoint
``-b_j / w_j`` (the fix). The second must equal the stored column (a check of this script); the first
shows how far off the old numbers were. Prints the ratio old / new per method label.
"""

from __future__ import annotations

import sys

import numpy as np

import geoquant.study as gs
from geoquant.compare._distances import _network_breakpoints_1d, _network_kinks_1d, _pl_distance_1d
from geoquant.compare.methods._networks import network_forward


class _Net:
    """A stored network as the distance helpers read it (``.W``, ``.a``, ``.predict``)."""

    def __init__(self, W, a, c):
        self.W, self.a, self.c = W, a, c

    def predict(self, x):
        return network_forward(self.W, self.a, np.asarray(x, dtype=float).reshape(-1, 1), self.c)


def main(study: str) -> int:
    df = gs.load_results(study)
    d = df[(df["family"] == "network") & (df["dim"] == 1) & (df["status"] == "done") & df["gallery_file"].notna()]
    rows = []
    for _, r in d.iterrows():
        arr = gs.load_gallery(study, r["gallery_file"])
        if "state_W" not in arr:
            continue
        X = np.asarray(arr["X"], dtype=float)
        net = _Net(np.asarray(arr["state_W"], float).reshape(-1, 2), np.asarray(arr["state_a"], float).reshape(-1),
                   float(arr.get("state_c", 0.0)))
        lo_d, hi_d = float(X.min()), float(X.max())  # corners are in every sample: the hull is the domain
        m = 0.1 * (hi_d - lo_d)  # inner_margin of the phase and quickstart specs
        lo, hi = lo_d + m, hi_d - m
        gx = net.predict(X)
        old = _pl_distance_1d(net.predict, X[:, 0], gx, _network_kinks_1d(net, X), lo, hi)
        new = _pl_distance_1d(net.predict, X[:, 0], gx, _network_breakpoints_1d(net), lo, hi)
        rows.append((r["method"], r["n"], old, new, float(r["between_l2"])))
    if not rows:
        print("no stored 1D networks")
        return 1
    a = np.array([(o, n, s) for _, _, o, n, s in rows])
    agree = np.abs(a[:, 1] - a[:, 2]) <= 1e-9 + 1e-6 * np.abs(a[:, 2])
    print(f"{len(rows)} networks; recomputed = stored between_l2 in {agree.sum()} of {len(rows)}")
    ratio = a[:, 0] / np.where(a[:, 1] > 0, a[:, 1], np.nan)
    methods = np.array([m for m, *_ in rows])
    for label in sorted(set(methods)):
        r = ratio[methods == label]
        r = r[np.isfinite(r)]
        if not len(r):
            continue
        print(f"  {label:>40}: old/new median {np.median(r):.3f}, range {r.min():.3f}-{r.max():.3f} "
              f"({len(r)} networks; old lower by > 1% in {(r < 0.99).sum()})")
    r = ratio[np.isfinite(ratio)]
    print(f"  all: old/new median {np.median(r):.3f}, range {r.min():.3f}-{r.max():.3f}; old lower by > 1% in "
          f"{(r < 0.99).sum()} of {len(r)}, by > 10% in {(r < 0.9).sum()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
