"""The summary on top of a report: at most five sentences, written from the results.

The question a study answers: *do the networks generalize like triangulation
interpolants here, and like which triangulation?* :func:`compute_summary`
answers it from a DataFrame of :func:`geoquant.study.load_results`:

1. coverage: the tasks done against those planned (a partial study says so first);
2. the networks against Delaunay at the largest n where both ran (per case: the
   best network setting, median of the per-seed error ratio);
3. the same networks against the best triangulation that does not use the true
   target, and the oracle (the L2-best triangulation, chosen with the target), labelled;
4. where those networks ended: whether they fit their data (``train_status``);
5. what they do between the data: their distance to the interpolant of their own
   values on their nearest fine triangulation and on Delaunay's, against their error.

Each sentence's numbers are the rows of :attr:`Summary.table` (one row per case),
which the report prints under the sentences.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..nn import INTERPOLATION_RTOL
from ._cases import (
    has_values,
    case_columns,
    case_name,
    largest_shared_n,
    oracle_mask,
    per_seed,
    ranking_metric,
    seed_ratio,
    status_counts,
)
from ._tags import tag_mask, trains_mask

__all__ = ["Summary", "compute_summary", "SIMILAR", "NEAR"]

#: an error ratio to Delaunay within [1/SIMILAR, SIMILAR] reads "like Delaunay"
SIMILAR = 1.25
#: a distance to a triangulation's interpolant below NEAR x the network's own error reads "close to it"
NEAR = 0.1


@dataclass
class Summary:
    """The summary sentences and the numbers behind them.

    Attributes
    ----------
    sentences : list of str
        At most five; the first says whether the study is complete.
    table : pandas.DataFrame
        One row per case compared (see the module docstring).
    cases : list of dict
        Per case compared: ``key`` (case columns), ``name``, ``n``, ``network``
        (best setting), ``delaunay``, ``triangulation`` (best non-oracle
        triangulation method), ``oracles`` (oracle methods run at that n).
    partial : bool
        Fewer tasks ran than the spec plans.
    n_done, n_failed : int
    n_planned : int or None
    metric : str
    """

    sentences: list = field(default_factory=list)
    table: Any = None
    cases: list = field(default_factory=list)
    partial: bool = False
    n_done: int = 0
    n_failed: int = 0
    n_planned: int | None = None
    metric: str = "l2_inner"


def _x(v) -> str:
    """A ratio as ``1.9x`` (two significant digits)."""
    return f"{v:.2g}x" if np.isfinite(v) else "–"


def _g(v) -> str:
    return f"{v:.3g}" if np.isfinite(v) else "–"


def _share(v) -> str:
    """A fraction of an error: ``0.43%`` below 1, else ``1.2x``."""
    if not np.isfinite(v):
        return "–"
    return f"{100 * v:.2g}%" if v < 1 else f"{v:.2g}x"


def coverage_sentence(n_done: int, n_failed: int, n_planned: int | None) -> tuple[str, bool]:
    """The first sentence: tasks done / planned; ``(sentence, partial)``."""
    ran = n_done + n_failed
    if n_planned is None:
        return (f"Tasks: {ran} ran ({n_done} done, {n_failed} failed) of an unknown number planned (the study's "
                "manifest is unreadable).", False)
    if ran < n_planned:
        return (f"Partial study: {ran} of {n_planned} planned tasks ran ({n_done} done, {n_failed} failed); every "
                "number below covers only those.", True)
    tail = "; the failures are listed at the end" if n_failed else ""
    return f"Complete study: all {n_planned} planned tasks ran ({n_done} done, {n_failed} failed{tail}).", False


def _case_row(key, cols, d, metric):
    """The summary row of one case, or None when it has no networks and Delaunay at a common n."""
    n = largest_shared_n(d, metric)
    if n is None:
        return None, None
    dn = d[(d["n"] == n) & d[metric].notna()]
    per = per_seed(dn, metric)
    med = per.median(axis=1)
    oracles = set(dn.loc[oracle_mask(dn), "method"])
    trains = set(dn.loc[trains_mask(dn), "method"])
    # a triangulation one can pick: a piecewise-linear method (not a statistic over triangulations)
    pl = set(dn.loc[tag_mask(dn, "piecewise_linear"), "method"])
    nets = [m for m in med.index if m in trains]
    best_net = min(nets, key=lambda m: med[m])
    dela = dn.loc[dn["method_name"] == "delaunay", "method"].iloc[0]
    tris = [m for m in med.index if m in pl and m not in oracles and np.isfinite(med[m])]
    # ties (e.g. the unique fine triangulation in 1D) go to Delaunay
    best_tri = min(tris, key=lambda m: (med[m], m != dela, m)) if tris else dela
    r_del = seed_ratio(per, best_net, dela)
    r_tri = seed_ratio(per, best_net, best_tri)
    rows_net = dn[dn["method"] == best_net]
    all_nets = dn[trains_mask(dn)]
    err = all_nets[metric].astype(float)
    row: dict[str, Any] = {
        "case": case_name(key, cols), "n": n, "best network": best_net, f"network {metric}": float(med[best_net]),
        "× Delaunay": float(np.median(r_del)) if len(r_del) else np.nan,
        "× Delaunay min": float(r_del.min()) if len(r_del) else np.nan,
        "× Delaunay max": float(r_del.max()) if len(r_del) else np.nan,
        "best non-oracle triangulation": best_tri, f"triangulation {metric}": float(med[best_tri]),
        "× it": float(np.median(r_tri)) if len(r_tri) else np.nan,
    }
    ors = sorted(oracles, key=lambda m: (med.get(m, np.inf), m))
    r_or = {m: seed_ratio(per, m, dela) for m in ors}
    row["oracle × Delaunay"] = "; ".join(f"{m} {_x(float(np.median(r)))}" for m, r in r_or.items() if len(r)) or "–"
    if has_values(rows_net, "train_status"):
        row["end states (best network)"] = status_counts(rows_net["train_status"])
        row["fit"] = int((rows_net["train_status"] == "interpolating").sum())
        row["runs"] = int(len(rows_net))
        row["_statuses"] = rows_net["train_status"].tolist()
    if has_values(rows_net, "train_rmse_rel"):
        row["train RMSE/std(y) median"] = float(rows_net["train_rmse_rel"].astype(float).median())
        if has_values(rows_net, "train_status"):  # of the runs that do not fit (the end-state sentence quotes it)
            row["_rmse_other"] = rows_net.loc[rows_net["train_status"] != "interpolating",
                                              "train_rmse_rel"].astype(float).tolist()
    for c in ("nearest_l2", "between_l2", "fit_l2"):
        if has_values(all_nets, c):
            row[f"{c}/{metric} median"] = float((all_nets[c].astype(float) / err).replace(
                [np.inf, -np.inf], np.nan).median())
    sel = {"key": key, "name": case_name(key, cols), "n": n, "network": best_net, "delaunay": dela,
           "triangulation": best_tri, "oracles": [m for m in ors if len(r_or[m])]}
    return row, sel


def _versus_delaunay(t, metric: str) -> str:
    ratios = t["× Delaunay"].astype(float)
    worse, better = int((ratios > SIMILAR).sum()), int((ratios < 1 / SIMILAR).sum())
    verdict = (f"worse than Delaunay (ratio > {SIMILAR:g}) in {worse} of {len(t)} case(s), better (< {1 / SIMILAR:g}) "
               f"in {better}, comparable in {len(t) - worse - better}")
    if len(t) <= 4:
        parts = [f"{r['case']} n={r['n']}: {_x(r['× Delaunay'])} ({r['best network']})" for _, r in t.iterrows()]
        body = "; ".join(parts)
    else:
        body = (f"{_x(ratios.min())}–{_x(ratios.max())} over {len(t)} cases (median {_x(float(ratios.median()))}; "
                "per case in the table below)")
    return (f"Networks against Delaunay at the largest n where both ran (median per-seed ratio of {metric}, best "
            f"network setting per case): {body} — {verdict}.")


def _versus_best_triangulation(t, metric: str) -> str:
    same = all(r["best non-oracle triangulation"] == _delaunay_label(r) for _, r in t.iterrows())
    if len(t) <= 4:
        parts = [f"{r['case']} {_x(r['× it'])} ({r['best non-oracle triangulation']})" for _, r in t.iterrows()]
        body = "; ".join(parts)
    else:
        v = t["× it"].astype(float)
        body = f"{_x(v.min())}–{_x(v.max())} (median {_x(float(v.median()))})"
    head = ("Delaunay is also the best triangulation that does not use the true target in every case"
            if same else f"Against the best triangulation that does not use the true target: {body}")
    ors = [o for o in t["oracle × Delaunay"] if o != "–"]
    if ors:
        many = any(";" in o for o in ors)
        oracle = (("; the oracles (they pick their triangulation using the true target, which no method that sees "
                   "only the data can do) are at " if many else
                   "; the oracle (it picks its triangulation using the true target, which no method that sees only "
                   "the data can do) is at ")
                  + "; ".join(f"{c}: {o}" for c, o in zip(t["case"], t["oracle × Delaunay"]) if o != "–")
                  + " Delaunay's error")
    else:
        oracle = "; no oracle triangulation was run"
    return head + oracle + "."


def _delaunay_label(row) -> str:
    return str(row.get("_delaunay", "delaunay"))


def _end_states(t, nets_all) -> str:
    if "fit" not in t.columns or t["fit"].isna().all():
        return ("Whether the networks fit their data is not recorded in this study (no train_status), so their "
                "errors cannot be read as those of interpolants.")
    fit, runs = int(t["fit"].sum()), int(t["runs"].sum())
    states = status_counts([s for cell in t["_statuses"] if isinstance(cell, list) for s in cell])
    others = ", ".join(p for p in states.split(", ") if not p.endswith(" interpolating"))
    other = [v for cell in t.get("_rmse_other", []) if isinstance(cell, list) for v in cell if np.isfinite(v)]
    rm = f"; their median train RMSE {_g(float(np.median(other)))}·std(y)" if other else ""
    total = nets_all["train_status"]
    k = int((total == "interpolating").sum())
    lead = (f"These networks fit their data (train RMSE ≤ {INTERPOLATION_RTOL:g}·std(y)) in {fit} of {runs} runs"
            if fit else f"None of these {runs} network runs fits its data (train RMSE ≤ {INTERPOLATION_RTOL:g}·std(y))")
    tail = ("" if fit == runs else f" ({'the others' if fit else 'they'} ended {others}{rm})")
    gist = "" if fit else ", so their errors are not those of interpolants of the data"
    return (f"{lead}{tail}{gist}; over all {len(total)} network runs of the study {k} fit their data "
            f"({100.0 * k / max(len(total), 1):.0f}%).")


def _between(t, metric: str) -> str:
    near_c, betw_c, fit_c = (f"{c}/{metric} median" for c in ("nearest_l2", "between_l2", "fit_l2"))
    if near_c not in t.columns and betw_c not in t.columns:
        return ("Networks' distances to triangulation interpolants (nearest_l2, between_l2) are not measured in this "
                "study, so which triangulation they resemble is not answered.")
    near = float(t[near_c].median()) if near_c in t.columns else np.nan
    betw = float(t[betw_c].median()) if betw_c in t.columns else np.nan
    fit = float(t[fit_c].median()) if fit_c in t.columns else np.nan
    head = (f"Between the data, the networks at these sizes are a median {_share(near)} of their error from the "
            f"interpolant of their own values on their nearest fine triangulation (nearest_l2) and {_share(betw)} "
            f"from Delaunay's (between_l2)")
    ref = near if np.isfinite(near) else betw
    if not np.isfinite(ref):
        return head + "."
    if ref < NEAR:
        like = "so they behave like linear interpolants of their own values"
        if np.isfinite(betw) and np.isfinite(near) and betw > 1.5 * near and betw >= NEAR:
            like += ", on triangulations other than Delaunay's"
        elif np.isfinite(betw):
            like += ", as close to Delaunay's as to any triangulation's"
        if np.isfinite(fit) and fit > 0.5:
            like += (", and most of their error is the misfit at the data (fit_l2 = "
                     + (f"{_share(fit)} of their error)" if fit < 1 else f"{_share(fit)} their error)"))
    else:
        like = (f"so they are not close to any triangulation's interpolant of their values (more than "
                f"{_share(NEAR)} of their error)")
    return f"{head}: {like}."


def compute_summary(df, n_planned: int | None = None, metric: str = "l2_inner") -> Summary:
    """The summary of a study (see the module docstring).

    Parameters
    ----------
    df : pandas.DataFrame
        :func:`geoquant.study.load_results` of the study (failed rows included).
    n_planned : int, optional
        Tasks in the spec (the manifest's ``n_tasks``); None when unknown.
    metric : str
        The error compared (``l2_inner``; ``l2_hull`` when the study has no inner region).

    Returns
    -------
    Summary
    """
    import pandas as pd

    status = df["status"] if "status" in df.columns else pd.Series(["done"] * len(df))
    n_done = int((status == "done").sum())
    n_failed = int((status != "done").sum())
    first, partial = coverage_sentence(n_done, n_failed, n_planned)
    out = Summary([first], pd.DataFrame(), [], partial, n_done, n_failed, n_planned, metric)
    done = df[status == "done"]
    metric = out.metric = ranking_metric(done, metric)
    if done.empty or not has_values(done, metric):
        out.sentences.append("No task finished with an error measurement, so there is nothing to compare yet.")
        return out
    nets = done[trains_mask(done)]
    if nets.empty:
        out.sentences.append("The study trains no network, so it does not say whether networks generalize like "
                             "triangulation interpolants; the findings below compare the other methods.")
        return out
    cols = case_columns(done)
    rows = []
    for key, d in done.groupby(cols, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        row, sel = _case_row(key, cols, d, metric)
        if row is not None:
            row["_delaunay"] = sel["delaunay"]
            rows.append(row)
            out.cases.append(sel)
    if not rows:
        out.sentences.append("No case has networks and Delaunay at a common n, so the networks are not compared "
                             "with triangulation interpolants.")
        return out
    t = pd.DataFrame(rows)
    out.sentences += [_versus_delaunay(t, metric), _versus_best_triangulation(t, metric),
                      _end_states(t, nets), _between(t, metric)]
    out.table = t.drop(columns=["_delaunay"] + [c for c in ("fit", "runs", "_rmse_other", "_statuses")
                                                  if c in t.columns])
    return out
