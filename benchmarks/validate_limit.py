"""The theory engine's init -> 0 limit against long float64 gradient descent (issue 20, bug 3).

For each 1D data set: the limit prediction (``predict_function``, default ``directions`` of the limit:
every stable extremal direction and the particles of every flat cell) and float64 full-batch GD from
balanced initialisation at scales 1e-6 and 1e-12 (width 100, lr 0.05, seed 0), trained until the
gradient-flow time ``T = 1.5 * (last predicted escape time) * log(1/init) + 20000``. Reports the final
losses, the sup distance between the two functions over the data's hull (exact: both are piecewise
linear, maximum over the union of their kinks) and GD's end state.

Cases: the quickstart's sines samples at n = 8 and 16 (corners, seed 0; the case of the issue) and
held-out sets the engine was not tuned on (other seeds, sizes and targets).

Writes ``reports/theory_limit.md``. Usage::

    python benchmarks/validate_limit.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from geoquant import get_target, sample_points, train_gd  # noqa: E402
from geoquant.theory import end_state, predict_function, sup_distance  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")

CASES = [
    # (label, target, n, seed, centre)
    ("quickstart sines n=8 (issue)", "sines", 8, 0, False),
    ("quickstart sines n=16 (issue)", "sines", 16, 0, False),
    ("held-out sines n=8 seed 1", "sines", 8, 1, False),
    ("held-out sines n=12 seed 2", "sines", 12, 2, False),
    ("held-out runge n=10 seed 3 (centred)", "runge", 10, 3, True),
    ("held-out gaussian n=9 seed 4", "gaussian", 9, 4, False),
]


def data(name, n, seed, centre):
    tgt = get_target(name, n_dims=1)
    X = sample_points(n, 1, "uniform", seed=seed, corners=True, domain=np.asarray(tgt.domain))
    y = np.asarray(tgt(X), dtype=np.float64).reshape(-1)
    return X, (y - y.mean() if centre else y)


def run(case, lam, lr=0.05, width=100):
    label, name, n, seed, centre = case
    X, y = data(name, n, seed, centre)
    t0 = time.process_time()
    p = predict_function(X, y)
    t_pred = time.process_time() - t0
    last = max([float(s.time) for s in p.stages], default=1.0)
    T = 1.5 * last * np.log(1.0 / lam) + 20000.0
    t0 = time.process_time()
    res = train_gd(X, y, width=width, init_scale=lam, lr=lr, n_steps=int(np.ceil(T / lr)), dtype="float64", seed=0,
                   records=200, progress=False)
    t_gd = time.process_time() - t0
    W = np.asarray(res.W, dtype=np.float64).reshape(width, 2)
    a = np.asarray(res.a, dtype=np.float64).reshape(width)
    loss = np.asarray(res.loss, dtype=np.float64)[:, 0]
    times = np.asarray(res.times if res.times is not None else res.steps * lr, dtype=np.float64).reshape(len(loss), -1)[:, 0]
    half = np.flatnonzero(times <= 0.5 * times[-1])
    drop = (loss[half[-1]] - loss[-1]) / loss[half[-1]] if half.size and loss[half[-1]] > 0 else np.nan
    es = end_state(X, y, W, a, training={"plateau_drop": float(drop)})
    sup = sup_distance((W, a), p, X)
    return {"case": label, "init": lam, "T": T, "gd_loss": float(loss[-1]), "limit_loss": float(p.loss),
            "stages": len(p.stages), "sup": float(sup), "end_state": es.status, "t_pred": t_pred, "t_gd": t_gd,
            "y_range": float(y.max() - y.min())}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="only the two cases of the issue at init 1e-6")
    args = ap.parse_args(argv)
    cases = CASES[:2] if args.quick else CASES
    inits = (1e-6,) if args.quick else (1e-6, 1e-12)
    rows = []
    for case in cases:
        for lam in inits:
            r = run(case, lam)
            rows.append(r)
            print(f"{r['case']:40s} init {lam:g}: GD loss {r['gd_loss']:.6g}, limit {r['limit_loss']:.6g} "
                  f"({r['stages']} stages), sup {r['sup']:.3g}, {r['end_state']}, GD {r['t_gd']:.0f} CPU s",
                  flush=True)
    lines = [
        "# The theory limit against long float64 gradient descent",
        "",
        "Written by `python benchmarks/validate_limit.py` (issue 20). The limit is `predict_function`'s default "
        "(every stable extremal direction and the neurons of every flat cell); GD is float64 full-batch GD from "
        "balanced initialisation, width 100, lr 0.05, seed 0, to flow time T = 1.5 x (last predicted escape time) "
        "x log(1/init) + 20000. `sup` is the exact sup distance between the two functions over the data's hull; "
        "`y range` puts it in scale. CPU seconds on this machine.",
        "",
        "| case | init | T | GD loss | limit loss | stages | sup | y range | GD end state | GD CPU s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['case']} | {r['init']:g} | {r['T']:.0f} | {r['gd_loss']:.6g} | {r['limit_loss']:.6g} | "
                     f"{r['stages']} | {r['sup']:.3g} | {r['y_range']:.3g} | {r['end_state']} | {r['t_gd']:.0f} |")
    path = os.path.join(ROOT, "reports", "theory_limit.md")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    print(f"written: {path}")


if __name__ == "__main__":
    main()
