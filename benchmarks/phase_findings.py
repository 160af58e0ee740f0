"""The phase study's measurements as tables: end states, error ratios and rates per regime, distances, widths.

    python benchmarks/phase_findings.py STUDY_DIR [--out reports/phase/measurements.md] [--min-n 64]

Reads a study run from ``geoquant/data/studies/phase.toml`` (or any study with networks beside ``delaunay``) and writes
one Markdown file of tables, every number computed here from the stored results:

* end states of every network, per dimension, regime family and n (the share that is not ``budget``);
* the network / Delaunay ratio of the RMS error on the inner region, per regime and n (median and range
  over seeds, the sample being the same for both);
* rates of the RMS error in n fitted over ``n >= min_n`` per regime, beside Delaunay's over the same sizes
  (bootstrap 95% intervals over seeds), and Delaunay's self-check over every size ``>= min_n``;
* the decomposition ``fit_l2`` (what the network's own values at the data give as an interpolant) against
  ``between_l2`` (what it does between the data), the distance to its nearest fine triangulation relative to
  its error, the network / minimum-norm interpolant error ratio;
* the number of quantised directions against n and width, and the sup distance between the widths' functions
  on the same data (:func:`geoquant.study.width_comparison`).

The words of ``reports/phase/README.md`` are written from these tables.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

import geoquant.compare as gc
import geoquant.study as gs
from geoquant.theory import END_STATES


def _regime(method: str) -> tuple[str, str, str]:
    """(family, init, width) of a network's method label: ``net_2d[init_scale=0.01,width=100]`` -> small."""
    fam = "pytorch" if "pytorch" in method else "small"
    init = re.search(r"init_scale=([^,\]]+)", method)
    width = re.search(r"width=(\d+)", method)
    return fam, (init.group(1) if init else "pytorch"), (width.group(1) if width else "")


def _q(v) -> str:
    v = np.asarray(v, dtype=float)
    v = v[np.isfinite(v)]
    if not len(v):
        return "–"
    med = np.median(v)
    if len(v) == 1:
        return f"{med:.3g}"
    return f"{med:.3g} [{v.min():.3g}–{v.max():.3g}]"


def _table(rows: list[list], head: list[str]) -> str:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def end_states(nets: pd.DataFrame) -> tuple[str, dict]:
    rows = []
    for (dim, fam, n), g in nets.groupby(["dim", "family_", "n"], sort=True):
        c = g["train_status"].value_counts()
        rows.append([f"{dim}D", fam, n] + [int(c.get(s, 0)) for s in END_STATES] + [len(g)])
    tot = nets["train_status"].value_counts()
    share = 1.0 - tot.get("budget", 0) / max(len(nets), 1)
    rows.append(["all", "", ""] + [int(tot.get(s, 0)) for s in END_STATES] + [len(nets)])
    summary = {"n_networks": len(nets), "not_budget_share": share, **{s: int(tot.get(s, 0)) for s in END_STATES}}
    return _table(rows, ["dim", "init", "n"] + list(END_STATES) + ["networks"]), summary


def ratios(df: pd.DataFrame, nets: pd.DataFrame, ref: str, col: str = "rms_inner") -> tuple[str, pd.DataFrame]:
    base = df[df["method"] == ref][["target_label", "dim", "n", "seed", col]].rename(columns={col: "ref"})
    m = nets.merge(base, on=["target_label", "dim", "n", "seed"], how="inner")
    m["ratio"] = m[col] / m["ref"]
    rows = []
    for (dim, tgt, meth), g in m.groupby(["dim", "target_label", "method"], sort=True):
        per_n = {n: _q(gn["ratio"]) for n, gn in g.groupby("n")}
        rows.append([f"{dim}D", tgt, meth] + [per_n.get(n, "–") for n in sorted(m["n"].unique())])
    return _table(rows, ["dim", "target", "network"] + [f"n={n}" for n in sorted(m["n"].unique())]), m


def rates(df: pd.DataFrame, nets: pd.DataFrame, min_n: int) -> tuple[str, str, pd.DataFrame]:
    big = df[df["n"] >= min_n]
    rows, out = [], []
    for dim in sorted(nets["dim"].unique()):
        sizes = sorted(nets[(nets["dim"] == dim) & (nets["n"] >= min_n)]["n"].unique())
        sub = big[(big["dim"] == dim) & big["n"].isin(sizes)]
        r = gc.fit_rates(sub[sub["method"].isin(list(nets["method"].unique()) + ["delaunay", "minnorm"])])
        out.append(r)
        for _, x in r.iterrows():
            if not np.isfinite(x["slope_mean"]):
                continue
            rows.append([f"{dim}D", x["target_label"], x["method"], f"{x['slope_mean']:+.2f}",
                         f"[{x['slope_lo']:+.2f}, {x['slope_hi']:+.2f}]", x["sizes"], int(x["n_seeds"])])
    table = _table(rows, ["dim", "target", "method", "rate", "95% interval", "sizes", "seeds"])
    dl = gc.fit_rates(big[big["method"] == "delaunay"])
    check = gc.rate_self_check(dl)
    crow = [[f"{int(x['dim'])}D", x["target_label"], f"{x['check_slope']:+.3f}",
             f"[{x['check_lo']:+.3f}, {x['check_hi']:+.3f}]", "passed" if x["passed"] else f"failed: {x['reason']}",
             dl[(dl["target_label"] == x["target_label"]) & (dl["dim"] == x["dim"])]["sizes"].iloc[0]]
            for _, x in check.iterrows()]
    ctable = _table(crow, ["dim", "target", "Delaunay rate", "95% interval", "self-check", "sizes"])
    return table, ctable, pd.concat(out, ignore_index=True) if out else pd.DataFrame()


def distances(nets: pd.DataFrame) -> str:
    rows = []
    for (dim, tgt, meth), g in nets.groupby(["dim", "target_label", "method"], sort=True):
        nmax = g["n"].max()
        h = g[g["n"] == nmax]
        rows.append([f"{dim}D", tgt, meth, nmax, _q(h["fit_l2"]), _q(h["between_l2"]),
                     _q(h["nearest_l2"] / h["l2_inner"]), f"{int(h['nearest_exact'].astype(bool).sum())}/{len(h)}",
                     _q(h["train_rmse_rel"])])
    return _table(rows, ["dim", "target", "network", "n", "fit_l2", "between_l2", "nearest / own error",
                         "nearest exact", "train RMSE/std"])


def directions(nets: pd.DataFrame) -> str:
    rows = []
    sizes = sorted(nets["n"].unique())
    for (dim, init, width), g in nets.groupby(["dim", "init_", "width_"], sort=True):
        per_n = {n: _q(gn["n_directions"]) for n, gn in g.groupby("n")}
        rows.append([f"{dim}D", init, width] + [per_n.get(n, "–") for n in sizes])
    return _table(rows, ["dim", "init", "width"] + [f"n={n}" for n in sizes])


def widths(study: Path, df: pd.DataFrame) -> str:
    w = gs.width_comparison(study, df)
    if w.empty:
        return "(no pair of stored networks differing only in width)"
    w["init_"] = [("pytorch" if "pytorch" in str(e) else f"{s:g}") for e, s in zip(w["entry"], w["init_scale"])]
    rows = []
    sizes = sorted(w["n"].unique())
    for (dim, init), g in w.groupby(["dim", "init_"], sort=True):
        per_n = {n: _q(gn["sup_rel"]) for n, gn in g.groupby("n")}
        nd = g.groupby("n")
        dirs = {n: f"{np.median(gn['n_directions_small']):.0f} / {np.median(gn['n_directions_large']):.0f}"
                for n, gn in nd}
        rows.append([f"{dim}D", init] + [per_n.get(n, "–") for n in sizes] + [len(g)]
                    + ["; ".join(f"{n}: {dirs[n]}" for n in sizes if n in dirs)])
    return _table(rows, ["dim", "init"] + [f"n={n}" for n in sizes] + ["pairs", "directions 100 / 1000 (median)"])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("study")
    ap.add_argument("--out", default="reports/phase/measurements.md")
    ap.add_argument("--min-n", type=int, default=64)
    a = ap.parse_args(argv)
    study = Path(a.study)
    df = gs.load_results(study)
    df = df[df["status"] == "done"].copy()
    nets = df[df["family"] == "network"].copy()
    reg = [_regime(m) for m in nets["method"]]
    nets["family_"] = [("pytorch" if r[0] == "pytorch" else f"small {r[1]}") for r in reg]
    nets["init_"] = [r[1] for r in reg]
    nets["width_"] = [r[2] for r in reg]
    es, summary = end_states(nets)
    rt, _ = ratios(df, nets, "delaunay")
    rm, _ = ratios(df, nets, "minnorm")
    rtab, ctab, _ = rates(df, nets, a.min_n)
    parts = [
        f"# Phase study: measurements\n\nFrom `{study}` ({len(df)} finished tasks, {len(nets)} networks), by "
        f"`benchmarks/phase_findings.py`. Error = RMS error on the inner region (`rms_inner`, the same region "
        f"at every n). Cells: median [min–max] over seeds.\n",
        f"## End states\n\n{summary['not_budget_share']:.1%} of {summary['n_networks']} networks end in a state "
        f"other than `budget`.\n\n{es}\n",
        f"## Network / Delaunay error ratio\n\n{rt}\n",
        f"## Network / minimum-norm interpolant error ratio\n\n{rm}\n",
        f"## Rates over n >= {a.min_n} (sizes where networks ran)\n\n{rtab}\n\n"
        f"### Delaunay's self-check (every size >= {a.min_n})\n\n{ctab}\n",
        "## Fit against between-data error, nearest triangulation (largest n)\n\n"
        "`fit_l2` = L2 error of the Delaunay interpolant of the network's values at the data; `between_l2` = "
        "L2 distance from the network to that interpolant; `nearest / own error` = distance to the nearest "
        "fine triangulation's interpolant of its values over its own L2 error.\n\n" + distances(nets) + "\n",
        "## Quantised directions (n_directions) against n and width\n\n" + directions(nets) + "\n",
        "## Width independence: sup distance between widths 100 and 1000 on the same data "
        "(divided by the range of the data values)\n\n" + widths(study, df) + "\n",
    ]
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text("\n".join(parts))
    print(f"wrote {a.out}: {len(nets)} networks, not budget {summary['not_budget_share']:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
