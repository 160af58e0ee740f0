"""The findings of a study, written from its results: sentences, each backed by a table.

Every sentence of the findings section is produced here from a DataFrame of
:func:`geoquant.study.load_results` and names the table (``F1`` ... ``F10``)
whose rows hold every number it quotes; the report prints the tables right
under the sentences (HTML and Markdown render the same :class:`Findings`).
Nothing is hand-written about the outcome: a measurement the study does not
hold (e.g. the network-to-triangulation distances, when the results have no
``between_l2`` column) gives the sentence "not measured in this study" instead
of a number.

One function per finding (:data:`FINDINGS`, in page order), each reading a
shared :class:`_Context` and adding its sentences and its one table to a
:class:`Findings`; the table of the k-th finding is ``F<k>`` (:func:`table_id`),
so the tables are numbered in the order the page prints them.

A *case* is one (target label, target parameters, dimension, sampler): rates
and comparisons are never pooled over different targets or parameters.

Intervals are over seeds: each seed draws its own sample, every method sees
the same samples, so the comparison of two methods is paired by seed. The
interval quoted for a ratio is ``[min, max]`` of the per-seed ratios (with
``k`` seeds: an interval that holds for every seed seen, not a confidence
interval).

Oracle methods (``oracle`` column: they choose using the true target, e.g. the
L2-best triangulation) are never dropped silently: they are ranked apart from
the other methods and shown with the label "oracle".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..nn import INTERPOLATION_RTOL
from ._cases import (
    TRAIN_STATES,
    exact_mask,
    fmt3,
    has_values,
    largest_n_rows,
    case_columns,
    case_name,
    largest_shared_n,
    oracle_mask,
    per_seed,
    ranking_metric,
    seed_ratio,
    status_counts,
    status_order,
)
from ._tags import trains_mask

__all__ = ["Finding", "Findings", "compute_findings", "training_state_table", "training_state_by_regime",
           "between_data_of_fits", "FINDINGS", "table_id"]

@dataclass
class Finding:
    """One sentence of the findings and the table it is read from.

    Attributes
    ----------
    key : str
        ``"closest"``, ``"networks"``, ``"distance"``, ``"interpolating"``, ``"rates"``,
        ``"minnorm"``, ``"between"``, ``"exactness"``, ``"warnings"``.
    text : str
        The sentence (plain text).
    table : str
        Id of the table holding its numbers (``"F1"`` ... ``"F10"``), or ``""`` when the
        sentence says the measurement is absent.
    measured : bool
        False when the study does not hold the measurement.
    """

    key: str
    text: str
    table: str = ""
    measured: bool = True


@dataclass
class Findings:
    """Sentences and their tables.

    Attributes
    ----------
    items : list of Finding
    tables : dict
        Table id -> (title, pandas.DataFrame).
    """

    items: list = field(default_factory=list)
    tables: dict = field(default_factory=dict)

    def add(self, key: str, text: str, table: str = "", measured: bool = True) -> None:
        self.items.append(Finding(key, text, table, measured))


@dataclass
class _Context:
    """What every finding reads: the done rows, the ranking metric, the case columns and groups."""

    df: Any
    done: Any
    metric: str
    cols: list
    cases: list
    nets: Any
    cache: dict = field(default_factory=dict)


# --- one function per finding ---------------------------------------------------------------


@dataclass
class _Ranking:
    """One case at its largest n: per-seed errors, their medians, and the closest method of each family."""

    n: int
    per: Any  # method x seed
    med: Any  # method -> median over seeds
    families: Any  # method -> family
    oracles: list  # oracle methods, closest first (ties by name)
    ranking: list  # (family, its closest non-oracle method), closest family first
    trains: set  # methods that train


def _rank_families(dn, metric: str) -> _Ranking:
    per = per_seed(dn, metric)
    med = per.median(axis=1)
    fam = dn.groupby("method")["family"].first()
    oracles = set(dn.loc[oracle_mask(dn), "method"])
    best_by_family: dict[str, str] = {}
    for m in med.sort_values().index:
        if m not in oracles:
            best_by_family.setdefault(fam[m], m)
    ranking = sorted(best_by_family.items(), key=lambda kv: med[kv[1]])
    return _Ranking(int(dn["n"].iloc[0]), per, med, fam, sorted(oracles, key=lambda m: (med.get(m, np.inf), m)),
                    ranking, set(dn.loc[trains_mask(dn), "method"]))


def _closest_rows(case: str, r: _Ranking, metric: str) -> list:
    """The table rows of one case: the closest method of each family by rank, then the oracles."""
    rows = []
    for rank, (family, m) in enumerate(r.ranking, 1):
        vals = r.per.loc[m].dropna()
        rows.append({"case": case, "n": r.n, "rank": str(rank), "family": family, "best method": m,
                     f"{metric} median": float(r.med[m]), "min": float(vals.min()), "max": float(vals.max()),
                     "seeds": int(len(vals))})
    for m in r.oracles:
        vals = r.per.loc[m].dropna()
        rows.append({"case": case, "n": r.n, "rank": "oracle", "family": r.families[m], "best method": m,
                     f"{metric} median": float(r.med[m]), "min": float(vals.min()) if len(vals) else np.nan,
                     "max": float(vals.max()) if len(vals) else np.nan, "seeds": int(len(vals))})
    return rows


def _closest_sentence(case: str, r: _Ranking, dn, metric: str) -> str:
    """The closest family of one case, whether its networks fit, the next family and the oracle."""
    (f1, m1) = r.ranking[0]
    txt = (f"{case}, n={r.n}: among methods that do not use the true target the {f1} family is "
           f"closest to it ({m1}, {metric} {fmt3(r.med[m1])}")
    if m1 in r.trains and has_values(dn, "train_status"):
        st = dn.loc[dn["method"] == m1, "train_status"]
        fit = int((st == "interpolating").sum())
        txt += f"; {fit} of {len(st)} of its networks fit their data"
    txt += ")"
    if len(r.ranking) > 1:
        (f2, m2) = r.ranking[1]
        ratio = seed_ratio(r.per, m2, m1)
        if len(ratio):
            txt += (f"; the next family, {f2} ({m2}), has {fmt3(float(np.median(ratio)))}x its error "
                    f"(per-seed ratio, min–max [{fmt3(float(ratio.min()))}, {fmt3(float(ratio.max()))}] over "
                    f"{len(ratio)} seed(s))")
    best_oracle = r.oracles[0] if r.oracles else None
    if best_oracle is not None and np.isfinite(r.med.get(best_oracle, np.nan)):
        txt += (f"; the oracle {best_oracle} (it chooses using the true target) has {metric} "
                f"{fmt3(r.med[best_oracle])}")
    return txt + "."


def closest_family(ctx: _Context, out: Findings, tid: str) -> None:
    """Per case at the largest n, the closest method of each family; oracles ranked apart and labelled."""
    import pandas as pd

    metric, cols = ctx.metric, ctx.cols
    rows, sentences = [], []
    for key, d in ctx.cases:
        dn = largest_n_rows(d[d[metric].notna()])
        if dn.empty:
            continue
        r = _rank_families(dn, metric)
        rows += _closest_rows(case_name(key, cols), r, metric)
        if r.ranking:
            sentences.append(_closest_sentence(case_name(key, cols), r, dn, metric))
    if rows:
        out.tables[tid] = ("Closest method of each family per case at the largest n (ranked among the methods "
                           "that do not use the true target; oracle methods, which choose using it, listed "
                           "after them with rank 'oracle')", pd.DataFrame(rows))
        for s in sentences:
            out.add("closest", s, tid)


def networks_vs_delaunay(ctx: _Context, out: Findings, tid: str) -> None:
    """Every network method over Delaunay on the same samples, at the largest n where both ran."""
    import pandas as pd

    metric, cols = ctx.metric, ctx.cols
    rows = []
    for key, d in ctx.cases:
        n = largest_shared_n(d, metric)
        if n is None:
            continue
        dn = d[(d["n"] == n) & d[metric].notna()]
        per = per_seed(dn, metric)
        ref = dn.loc[dn["method_name"] == "delaunay", "method"].iloc[0]
        for m in sorted(dn.loc[trains_mask(dn), "method"].unique()):
            ratio = seed_ratio(per, m, ref)
            if not len(ratio):
                continue
            g = dn[dn["method"] == m]
            row = {"case": case_name(key, cols), "n": n, "network": m,
                   "ratio to Delaunay (median)": float(np.median(ratio)), "min": float(ratio.min()),
                   "max": float(ratio.max()), "seeds": int(len(ratio))}
            if has_values(g, "train_status"):
                row["end states"] = status_counts(g["train_status"])
            rows.append(row)
    if rows:
        t = pd.DataFrame(rows)
        out.tables[tid] = (f"Networks' {metric} over Delaunay's on the same sample (per-seed ratio) at the largest "
                            "n where both ran", t)
        for case, g in t.groupby("case", sort=False):
            parts = [f"{r['network']} {fmt3(r['ratio to Delaunay (median)'])}x "
                     f"[{fmt3(r['min'])}, {fmt3(r['max'])}]" for _, r in g.iterrows()]
            out.add("networks", f"{case}, n={g['n'].iloc[0]}: against Delaunay on the same samples, the networks' "
                    f"{metric} is " + "; ".join(parts) + " times Delaunay's (median [min, max] of the per-seed "
                    "ratio).", tid)
    elif not ctx.nets.empty:
        out.add("networks", "No case has networks and Delaunay at a common n, so they are not compared.",
                measured=False)


def network_distances(ctx: _Context, out: Findings, tid: str) -> None:
    """The networks' distances to Delaunay's and their nearest triangulation's interpolant, against their error."""
    import pandas as pd

    nets, metric, cols = ctx.nets, ctx.metric, ctx.cols
    if nets.empty:
        out.add("distance", "The study trains no network, so no network-to-triangulation distance is reported.",
                measured=False)
        return
    if not (has_values(nets, "between_l2") or has_values(nets, "nearest_l2")):
        out.add("distance", "Network-to-triangulation distances (between_l2, nearest_l2) are not measured in this "
                "study.", measured=False)
        return
    rows = []
    for key, d in nets.groupby(cols, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        dn = largest_n_rows(d)
        for m, g in dn.groupby("method"):
            row = {"case": case_name(key, cols), "n": int(dn["n"].iloc[0]), "method": m, "models": len(g)}
            err = g[metric].astype(float)
            row[f"{metric} median"] = float(err.median())
            for c in ("between_l2", "nearest_l2", "fit_l2"):
                row[f"{c} median"] = float(g[c].astype(float).median()) if has_values(g, c) else np.nan
            for c in ("between_l2", "nearest_l2"):
                if has_values(g, c):
                    r = (g[c].astype(float) / err).replace([np.inf, -np.inf], np.nan).dropna()
                    row[f"{c}/{metric} median"] = float(r.median()) if len(r) else np.nan
                    row[f"{c}/{metric} min"] = float(r.min()) if len(r) else np.nan
                    row[f"{c}/{metric} max"] = float(r.max()) if len(r) else np.nan
            if "nearest_exact" in g.columns:
                ex = g["nearest_exact"].dropna()
                row["nearest exact"] = f"{int(ex.astype(bool).sum())}/{len(ex)}"
            rows.append(row)
    t = pd.DataFrame(rows)
    out.tables[tid] = ("Networks at the largest n: distance to Delaunay's interpolant of their own values "
                        "(between_l2), to their nearest triangulation (nearest_l2), and their error", t)
    for _, r in t.iterrows():
        parts = []
        for c, what in (("between_l2", "Delaunay"), ("nearest_l2", "their nearest triangulation")):
            k = f"{c}/{metric} median"
            if k in r and np.isfinite(r[k]):
                parts.append(f"{fmt3(r[f'{c} median'])} from {what} ({fmt3(r[k])}x their {metric}, per-model "
                             f"range [{fmt3(r[f'{c}/{metric} min'])}, {fmt3(r[f'{c}/{metric} max'])}])")
        if not parts:
            continue
        tail = ""
        if "nearest exact" in r and isinstance(r["nearest exact"], str):
            tail = f"; nearest triangulation exact for {r['nearest exact']} models"
        out.add("distance", f"{r['case']}, n={r['n']}: {r['method']} networks are (median L2) "
                + " and ".join(parts) + tail + ".", tid)


def training_states(ctx: _Context, out: Findings, tid: str) -> None:
    """Where the networks ended (counts per end state), per network method."""
    nets = ctx.nets
    if nets.empty:
        return
    t = training_state_table(nets)
    if t is None:
        out.add("interpolating", "The networks' training state (train_status) is not measured in this study, so "
                "the share of networks that interpolate is unknown.", measured=False)
        return
    out.tables[tid] = ("Training state of the networks (all sizes, seeds and restarts)", t)
    states = [c for c in status_order(nets["train_status"]) if c in t.columns]
    for _, r in t.iterrows():
        n_nets = int(r["models"])
        n_interp = int(r["interpolating"]) if "interpolating" in r else 0
        others = ", ".join(f"{int(r[s])} {s}" for s in states if s != "interpolating" and int(r[s]))
        out.add("interpolating",
                f"{r['method']}: {n_interp} of {n_nets} networks interpolate ({100.0 * n_interp / n_nets:.0f}%; "
                f"train RMSE <= {INTERPOLATION_RTOL:g} std(y))" + (f"; the others: {others}" if others else "") + ".",
                tid)


def between_data(ctx: _Context, out: Findings, tid: str) -> None:
    """What the networks that fit do between the data (every n)."""
    nets, metric = ctx.nets, ctx.metric
    if nets.empty or not has_values(nets, "train_status") or not has_values(nets, "nearest_l2"):
        return
    fit = nets[nets["train_status"] == "interpolating"]
    if not len(fit):
        return
    t = between_data_of_fits(fit, ctx.cols, metric)
    out.tables[tid] = ("Interpolating networks, every n: distance to their nearest triangulation's interpolant of "
                         "the data (nearest_l2; in 1D the linear interpolant) against their error", t)
    for m, g in fit.groupby("method"):
        d = g["nearest_l2"].astype(float)
        e = g[metric].astype(float)
        out.add("between", f"{m}: its {len(g)} interpolating network(s) (n = "
                f"{', '.join(str(int(v)) for v in sorted(g['n'].unique()))}) are {fmt3(d.min())} to "
                f"{fmt3(d.max())} (median {fmt3(d.median())}) from their nearest triangulation's interpolant "
                f"of the data, against errors {fmt3(e.min())} to {fmt3(e.max())} ({metric}).", tid)


@dataclass
class _RateFit:
    """The rates every rate finding reads: the metric, the fitted rates (marked pre-asymptotic where the case
    fails the self-check), the Delaunay self-check and the case columns shown."""

    metric: str
    rates: Any
    check: Any
    cols: list


def _rate_fit(ctx: _Context) -> _RateFit | None:
    """The study's rates (fitted once per :class:`_Context`); None when no method has two sample sizes."""
    from ..compare import RATE_METRIC, fit_rates, mark_pre_asymptotic, rate_self_check

    if "rates" not in ctx.cache:
        done, cols = ctx.done, ctx.cols
        rate_metric = RATE_METRIC if has_values(done, RATE_METRIC) else ctx.metric
        rt = fit_rates(done, rate_metric, by=cols + ["method"])
        rt = rt[np.isfinite(rt["slope_mean"].astype(float))] if not rt.empty else rt
        fit = None
        if not rt.empty:
            check = rate_self_check(rt)
            rt = mark_pre_asymptotic(rt, check)
            cols_shown = [c for c in cols if not (c == "target_params" and (rt[c] == "{}").all())]
            fit = _RateFit(rate_metric, rt, check, cols_shown)
        ctx.cache["rates"] = fit
    return ctx.cache["rates"]


def _self_check_sentence(r, cols_shown: list) -> str:
    from ..compare import SELF_CHECK_WINDOWS

    key = tuple(r[c] for c in cols_shown)
    if not np.isfinite(r["check_slope"]):
        return f"{case_name(key, cols_shown)}: no Delaunay rate, so every rate of this case is pre-asymptotic."
    win = SELF_CHECK_WINDOWS.get(int(r["dim"]), (np.nan, np.nan))
    return (f"{case_name(key, cols_shown)}: Delaunay's slope is {r['check_slope']:+.3f} (95% interval "
            f"[{r['check_lo']:+.3f}, {r['check_hi']:+.3f}], half-width {r['check_half_width']:.3f}; "
            f"window [{win[0]:+.1f}, {win[1]:+.1f}], theory {-2.0 / int(r['dim']):+.0f}): "
            + ("the self-check passes." if r["passed"] else
               f"the self-check fails ({r['reason']}), so every rate of this case is marked "
               "pre-asymptotic."))


def delaunay_self_check(ctx: _Context, out: Findings, tid: str) -> None:
    """Per case, Delaunay's rate against its window: where it fails, every rate of the case is pre-asymptotic."""
    from ..compare import SELF_CHECK_HALF_WIDTH

    fit = _rate_fit(ctx)
    if fit is None:  # said by fitted_rates
        return
    ck = fit.check.copy()
    ck["interval"] = [f"[{a:+.3f}, {b:+.3f}]" if np.isfinite(a) and np.isfinite(b) else "–"
                      for a, b in zip(ck["check_lo"], ck["check_hi"])]
    ck["window"] = [f"[{w[0]:+.1f}, {w[1]:+.1f}]" if isinstance(w, tuple) else "–" for w in ck["window"]]
    ck = ck[fit.cols + ["check_slope", "interval", "check_half_width", "window", "passed", "reason"]]
    out.tables[tid] = (f"Self-check: Delaunay's rate of {fit.metric} (bootstrap 95% interval over seeds) "
                       f"against its window; half-width must be < {SELF_CHECK_HALF_WIDTH}", ck.reset_index(drop=True))
    for _, r in fit.check.iterrows():
        out.add("rates", _self_check_sentence(r, fit.cols), tid)


def _rates_against_reference(fit: _RateFit, done):
    """The fitted rates with their family, the reference -2/d, the interval and where it lies against it."""
    fam = done.groupby("method")["family"].first()
    rt = fit.rates.copy()
    rt["family"] = rt["method"].map(fam)
    rt["reference"] = -2.0 / rt["dim"].astype(float)
    # a rate is consistent with the reference when the reference is inside its bootstrap 95% interval
    # (min-max over seeds when there is one seed only: no interval)
    lo = np.where(np.isfinite(rt["slope_lo"]), rt["slope_lo"], rt["slope_min"])
    hi = np.where(np.isfinite(rt["slope_hi"]), rt["slope_hi"], rt["slope_max"])
    rt["interval"] = [f"[{a:+.2f}, {b:+.2f}]" for a, b in zip(lo, hi)]
    tol = 1e-9 * np.maximum(1.0, np.abs(rt["reference"]))  # a slope equal to the reference is not "faster"
    rt["vs reference"] = np.where(hi < rt["reference"] - tol, "faster",
                                  np.where(lo > rt["reference"] + tol, "slower", "≈"))
    return rt[fit.cols + ["family", "method", "slope_mean", "slope_std", "n_seeds", "interval", "reference",
                          "vs reference", "pre_asymptotic", "sizes"]]


def fitted_rates(ctx: _Context, out: Findings, tid: str) -> None:
    """Every method's rate against the reference slope -2/d (pre-asymptotic where the self-check fails)."""
    fit = _rate_fit(ctx)
    if fit is None:
        out.add("rates", "No method has two or more sample sizes, so no rate is fitted.", measured=False)
        return
    rt = _rates_against_reference(fit, ctx.done)
    out.tables[tid] = (f"Fitted rates of {fit.metric} against n (log-log slope per seed; mean and bootstrap "
                       "95% interval over seeds) against the reference slope -2/d; pre_asymptotic where the "
                       f"case fails the Delaunay self-check ({table_id(delaunay_self_check)})", rt.reset_index(drop=True))
    for key, g in rt.groupby(fit.cols, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        ref = float(g["reference"].iloc[0])
        groups = {v: sorted(g.loc[g["vs reference"] == v, "method"]) for v in ("≈", "slower", "faster")}
        bits = [f"{', '.join(groups[v])} {what}" for v, what in
                (("≈", "consistent with it"), ("slower", "slower (less negative)"), ("faster", "faster")) if groups[v]]
        pre = " (pre-asymptotic: the Delaunay self-check fails)" if g["pre_asymptotic"].any() else ""
        out.add("rates", f"{case_name(key, fit.cols)}{pre}: against the reference slope {ref:+.2f} (-2/d), "
                + "; ".join(bits) + ".", tid)


def minnorm(ctx: _Context, out: Findings, tid: str) -> None:
    """Interpolating networks against the minimum representation-cost interpolant of their data."""
    import pandas as pd

    done = ctx.done
    if not has_values(done, "minnorm_cost_ratio"):
        return
    mn = done[pd.to_numeric(done["minnorm_cost_ratio"], errors="coerce").notna()]
    t = mn.groupby(ctx.cols + ["method", "n"]).agg(
        networks=("minnorm_cost_ratio", "size"),
        ratio_median=("minnorm_cost_ratio", "median"), ratio_min=("minnorm_cost_ratio", "min"),
        ratio_max=("minnorm_cost_ratio", "max"), sup_median=("minnorm_sup", "median"),
        sup_max=("minnorm_sup", "max")).reset_index()
    out.tables[tid] = ("Interpolating networks against the minimum representation-cost interpolant of their "
                        "data: cost ratio sum|a||w| / minimum and sup distance on the evaluation region", t)
    for m, g in mn.groupby("method"):
        r = g["minnorm_cost_ratio"].astype(float)
        sup = g["minnorm_sup"].astype(float)
        out.add("minnorm", f"{m}: over {len(g)} interpolating networks the cost ratio to the minimum-norm interpolant "
                f"is {r.median():.3f} (median; range {r.min():.3f}–{r.max():.3f}) and the sup distance to it "
                f"{sup.median():.3g} (median; max {sup.max():.3g}).", tid)


def exactness(ctx: _Context, out: Findings, tid: str) -> None:
    """Rows whose value is a heuristic (a flip-walk local optimum, a sampled mean), not exact."""
    done = ctx.done
    heur = done[~exact_mask(done)]
    if not len(heur):
        return
    t = heur.groupby(["method", "n"]).size().rename("heuristic rows").reset_index()
    out.tables[tid] = ("Rows whose value is a heuristic (e.g. a flip-walk local optimum), not an exact "
                        "optimum; hollow markers in the figures", t)
    out.add("exactness", f"{len(heur)} of {len(done)} results are heuristic, not exact ("
            f"{', '.join(sorted(heur['method'].unique()))}); their values bound the exact optimum from one side "
            "only.", tid)


def recorded_warnings(ctx: _Context, out: Findings, tid: str) -> None:
    """Warnings recorded with the results (e.g. a user target's Hessian bound exceeded)."""
    df = ctx.df
    if "warnings" not in df.columns or not df["warnings"].notna().any():
        return
    w = df[df["warnings"].notna()]
    t = w.groupby([ctx.cols[0], "warnings"]).size().rename("rows").reset_index()
    out.tables[tid] = ("Warnings recorded with the results", t)
    for _, r in t.iterrows():
        out.add("warnings", f"Warning on {r['rows']} result(s): {r['warnings']}.", tid)


#: The findings in the order the report prints them; the table of the k-th is ``F<k>`` (:func:`table_id`).
FINDINGS: tuple[Callable[[_Context, Findings, str], None], ...] = (
    closest_family, networks_vs_delaunay, network_distances, training_states, between_data, delaunay_self_check,
    fitted_rates, minnorm, exactness, recorded_warnings,
)


def table_id(finding: Callable[[_Context, Findings, str], None]) -> str:
    """``"F<k>"``: the id of the table of ``finding``, the k-th of :data:`FINDINGS`."""
    return f"F{FINDINGS.index(finding) + 1}"


def compute_findings(df, metric: str = "l2_inner") -> Findings:
    """Write the findings of a study (each finding of :data:`FINDINGS` in turn).

    Parameters
    ----------
    df : pandas.DataFrame
        :func:`geoquant.study.load_results` of the study (failed rows are ignored).
    metric : str
        The error that ranks the methods (``l2_inner``; ``l2_hull`` when the
        study has no inner region).

    Returns
    -------
    Findings
    """
    out = Findings()
    done = df[df["status"] == "done"] if "status" in df.columns else df
    metric = ranking_metric(done, metric)
    if done.empty or not has_values(done, metric):
        out.add("closest", "No task finished with an error measurement; there is nothing to report.", measured=False)
        return out
    cols = case_columns(done)
    ctx = _Context(df=df, done=done, metric=metric, cols=cols, cases=[
        (k if isinstance(k, tuple) else (k,), d) for k, d in done.groupby(cols, sort=True)],
        nets=done[trains_mask(done)])
    for finding in FINDINGS:
        finding(ctx, out, table_id(finding))
    return out


def between_data_of_fits(fit, cols, metric: str = "l2_inner"):
    """Per case, method and n: the interpolating networks' distance to their nearest triangulation's
    interpolant (``nearest_l2``) and their error, median / min / max over the networks."""
    import pandas as pd

    rows = []
    for key, g in fit.groupby(cols + ["method", "n"], sort=True):
        key = key if isinstance(key, tuple) else (key,)
        d, e = g["nearest_l2"].astype(float), g[metric].astype(float)
        rows.append({"case": case_name(key[:len(cols)], cols), "method": key[len(cols)], "n": int(key[-1]),
                     "networks": len(g), "nearest_l2 median": float(d.median()), "nearest_l2 min": float(d.min()),
                     "nearest_l2 max": float(d.max()), f"{metric} median": float(e.median()),
                     "nearest_l2/" + metric + " max": float((d / e).max())})
    return pd.DataFrame(rows)


def training_state_table(nets):
    """Per network method: counts of each ``train_status`` (every value the study recorded, known ones first)
    and medians of the training columns.

    Returns None when the results hold no ``train_status``.
    """
    import pandas as pd

    if not has_values(nets, "train_status"):
        return None
    states = status_order(nets["train_status"])
    for s in TRAIN_STATES:  # the known states always have a column (0 when none ended there)
        if s not in states:
            states.append(s)
    states = status_order(states)
    rows = []
    for m, g in nets.groupby("method"):
        st = g["train_status"].fillna("unknown")
        row = {"method": m, "models": int(len(g))}
        for s in states:
            row[s] = int((st == s).sum())
        for c in ("train_rmse_rel", "train_loss", "grad_norm", "flow_time", "train_steps", "loss_increases"):
            row[f"median {c}"] = float(pd.to_numeric(g[c], errors="coerce").median()) if c in g.columns else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def training_state_by_regime(nets):
    """Training state per network method, case, regime (init_scale, width, lr) and n: counts per status."""
    if not has_values(nets, "train_status"):
        return None
    axes = [c for c in ("init_scale", "width", "lr") if has_values(nets, c)]
    cols = case_columns(nets)
    nets = nets.assign(case=[case_name(k, cols) for k in zip(*(nets[c] for c in cols))])
    keys = ["method", "case"] + axes + ["n"]  # one row per case: an n of two cases is never pooled
    t = nets.assign(train_status=nets["train_status"].fillna("unknown")).groupby(keys)["train_status"] \
        .value_counts().unstack(fill_value=0)
    states = status_order(list(t.columns) + list(TRAIN_STATES))
    for s in states:
        if s not in t.columns:
            t[s] = 0
    return t[states].reset_index()
