"""Do the phase study's 2D `budget` networks reach an end state with 4x the flow time? (issue 20)

Runs ``benchmarks/specs/phase_budget_2d_x4.toml`` -- the phase study's 2D small-initialisation networks
at width 100 on n = 16 and 32 (both 2D targets, 4 init scales, 3 seeds: 48 networks), trained by the same
GD (lr 0.05) to flow time 2e4 instead of 5e3 -- and tabulates each network's end state against the
one it reached in the phase study (same data, seeds and initialisation; the first 5e3 of the longer run
are the phase study's run).

Usage::

    python benchmarks/phase_budget_extension.py --phase studies/phase --out studies/phase_budget_2d_x4
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import pandas as pd  # noqa: E402

from geoquant.study import load_results, run_study  # noqa: E402

SPEC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "specs", "phase_budget_2d_x4.toml")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--phase", required=True, help="the phase study's directory (its results are the 5e3 runs)")
    ap.add_argument("--out", required=True, help="study directory of the 2e4 runs (resumes)")
    args = ap.parse_args()
    w0 = time.perf_counter()
    run_study(SPEC, out=args.out, progress=False)
    wall = time.perf_counter() - w0
    new = load_results(args.out)
    old = load_results(args.phase)
    old = old[(old.method_name == "network_small") & (old.dim == 2) & (old.width == 100) & old.n.isin([16, 32])]
    key = ["target_label", "n", "seed", "init_scale"]
    m = old[key + ["train_status", "plateau_drop"]].merge(new[key + ["train_status", "plateau_drop"]], on=key,
                                                          suffixes=("_5e3", "_2e4"))
    print(f"{len(m)} networks; study {wall:.0f} s wall, training {new.info_train_s.sum():.0f} s")
    print(pd.crosstab(m.train_status_5e3, m.train_status_2e4, margins=True).to_string())
    for t in ("5e3", "2e4"):
        share = float((m[f"train_status_{t}"] != "budget").mean())
        print(f"not budget at t = {t}: {100 * share:.0f}%")
    b = m[m.train_status_5e3 == "budget"]
    print("median loss decrease over the last half, networks `budget` at 5e3, by init scale:")
    print(b.groupby("init_scale")[["plateau_drop_5e3", "plateau_drop_2e4"]].median().to_string())


if __name__ == "__main__":
    main()
