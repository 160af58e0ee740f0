"""The findings of a study, written from its results: sentences, each backed by a table.

Every sentence of the findings section is produced here from a DataFrame of
:func:`geoquant.compare.load_results` and names the table (``F1`` ... ``F7``)
whose rows hold every number it quotes; the report prints the tables right
under the sentences. Nothing is hand-written about the outcome: a measurement
the study does not hold (e.g. the network-to-triangulation distances, when the
results have no ``between_l2`` column) gives the sentence "not measured in this
study" instead of a number.

A *case* is one (target label, target parameters, dimension, sampler): rates
and comparisons are never pooled over different targets or parameters.

Intervals are over seeds: each seed draws its own sample, every method sees
the same samples, so the comparison of two methods is paired by seed. The
interval quoted for a ratio is ``[min, max]`` of the per-seed ratios (with
``k`` seeds: an interval that holds for every seed seen, not a confidence
interval).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Finding", "Findings", "compute_findings", "case_columns", "training_state_table", "TRAIN_COLUMNS",
           "DISTANCE_COLUMNS"]

#: Network training-state columns of load_results (see the study's column contract).
TRAIN_COLUMNS = ("train_status", "train_loss", "train_rmse_rel", "grad_norm", "flow_time", "train_steps",
                 "loss_increases")
#: Network-to-triangulation distance columns.
DISTANCE_COLUMNS = ("fit_l2", "between_l2", "nearest_l2", "nearest_exact")
#: ``train_status`` values (the end states of geoquant.theory), in the order the tables show them; results written
#: before end states existed may also hold the coarse ``"stationary"``.
TRAIN_STATES = ("interpolating", "spurious_stationary", "pinned", "stalled", "unstable", "budget", "stationary")


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


def case_columns(df) -> list:
    """The columns that identify a case (target label/params, dim, sampler) present in ``df``."""
    cols = ["target_label", "target_params", "dim", "sampler"]
    if "target_label" not in df.columns:
        cols[0] = "target"
    return [c for c in cols if c in df.columns]


def _case_name(key, cols) -> str:
    d = dict(zip(cols, key))
    name = str(d.get("target_label", d.get("target", "?")))
    return f"{name} {int(d['dim'])}D ({d.get('sampler', '?')})"


def _has(df, col) -> bool:
    return col in df.columns and df[col].notna().any()


def _fmt(v) -> str:
    return f"{v:.3g}" if np.isfinite(v) else "–"


def _oracle_mask(df):
    if "oracle" in df.columns:
        return df["oracle"].fillna(False).astype(bool)
    return df["method_name"].isin(("triangulation_best", "triangulation_worst"))


def _exact_mask(df):
    """Whether each row's value is exact (``exact`` column, else ``info_exact``, else True)."""
    for col in ("exact", "info_exact"):
        if col in df.columns:
            return df[col].map(lambda v: True if v is None or (isinstance(v, float) and np.isnan(v)) else bool(v))
    import pandas as pd

    return pd.Series(True, index=df.index)


def _largest_n(d):
    return d[d["n"] == d["n"].max()]


def _per_seed(d, metric):
    """Per method: metric per seed (mean over restarts)."""
    return d.groupby(["method", "seed"])[metric].mean().unstack("seed")


def compute_findings(df, metric: str = "l2_inner") -> Findings:
    """Write the findings of a study.

    Parameters
    ----------
    df : pandas.DataFrame
        :func:`geoquant.compare.load_results` of the study (failed rows are ignored).
    metric : str
        The error that ranks the methods (``l2_inner``; ``l2_hull`` when the
        study has no inner region).

    Returns
    -------
    Findings
    """
    import pandas as pd

    out = Findings()
    done = df[df["status"] == "done"] if "status" in df.columns else df
    if not _has(done, metric):
        metric = "l2_hull" if _has(done, "l2_hull") else metric
    if done.empty or not _has(done, metric):
        out.items.append(Finding("closest", "No task finished with an error measurement; there is nothing to report.",
                                 measured=False))
        return out
    cols = case_columns(done)
    cases = list(done.groupby(cols, sort=True))

    # F1: closest family at the largest n ------------------------------------------------
    rows = []
    sentences = []
    for key, d in cases:
        key = key if isinstance(key, tuple) else (key,)
        dn = _largest_n(d[d[metric].notna()])
        if dn.empty:
            continue
        n = int(dn["n"].iloc[0])
        fair = dn[~_oracle_mask(dn)]
        per = _per_seed(fair, metric)
        med = per.median(axis=1)
        fam = fair.groupby("method")["family"].first()
        best_by_family: dict[str, str] = {}
        for m in med.sort_values().index:
            best_by_family.setdefault(fam[m], m)
        ranking = sorted(best_by_family.items(), key=lambda kv: med[kv[1]])
        for rank, (family, m) in enumerate(ranking, 1):
            vals = per.loc[m].dropna()
            rows.append({"case": _case_name(key, cols), "n": n, "rank": rank, "family": family, "best method": m,
                         f"{metric} median": float(med[m]), "min": float(vals.min()), "max": float(vals.max()),
                         "seeds": int(len(vals))})
        if not ranking:
            continue
        (f1, m1) = ranking[0]
        txt = f"{_case_name(key, cols)}, n={n}: the {f1} family is closest to the target ({m1}, {metric} " \
              f"{_fmt(med[m1])})"
        if len(ranking) > 1:
            (f2, m2) = ranking[1]
            both = per.loc[[m1, m2]].dropna(axis=1)
            ratio = (both.loc[m2] / both.loc[m1]).replace([np.inf, -np.inf], np.nan).dropna()
            if len(ratio):
                txt += (f"; the next family, {f2} ({m2}), has {_fmt(float(np.median(ratio)))}x its error "
                        f"(per-seed ratio, min–max [{_fmt(float(ratio.min()))}, {_fmt(float(ratio.max()))}] over "
                        f"{len(ratio)} seed(s))")
        sentences.append(txt + ".")
    if rows:
        out.tables["F1"] = ("Closest method family per case at the largest n (oracle methods, which choose "
                            "using the true target, excluded)", pd.DataFrame(rows))
        for s in sentences:
            out.items.append(Finding("closest", s, "F1"))

    nets = done[done["family"] == "network"]

    # F2: networks against Delaunay ----------------------------------------------------------
    rows = []
    for key, d in cases:
        key = key if isinstance(key, tuple) else (key,)
        dn = _largest_n(d[d[metric].notna()])
        if dn.empty or "delaunay" not in set(dn["method_name"]):
            continue
        per = _per_seed(dn, metric)
        ref = dn.loc[dn["method_name"] == "delaunay", "method"].iloc[0]
        for m in sorted(dn.loc[dn["family"] == "network", "method"].unique()):
            both = per.loc[[ref, m]].dropna(axis=1)
            ratio = (both.loc[m] / both.loc[ref]).replace([np.inf, -np.inf], np.nan).dropna()
            if not len(ratio):
                continue
            rows.append({"case": _case_name(key, cols), "n": int(dn["n"].iloc[0]), "network": m,
                         "ratio to Delaunay (median)": float(np.median(ratio)), "min": float(ratio.min()),
                         "max": float(ratio.max()), "seeds": int(len(ratio))})
    if rows:
        t = pd.DataFrame(rows)
        out.tables["F2"] = (f"Networks' {metric} over Delaunay's on the same sample (per-seed ratio) at the largest n",
                            t)
        for case, g in t.groupby("case", sort=False):
            parts = [f"{r['network']} {_fmt(r['ratio to Delaunay (median)'])}x "
                     f"[{_fmt(r['min'])}, {_fmt(r['max'])}]" for _, r in g.iterrows()]
            out.items.append(Finding("networks", f"{case}, n={g['n'].iloc[0]}: against Delaunay on the same samples, "
                                     f"the networks' {metric} is " + "; ".join(parts)
                                     + " times Delaunay's (median [min, max] of the per-seed ratio).", "F2"))
    elif not nets.empty:
        out.items.append(Finding("networks", "No case has both networks and Delaunay at its largest n, so they are "
                                 "not compared.", measured=False))

    # F3: distances of networks to triangulations -----------------------------------------
    if nets.empty:
        out.items.append(Finding("distance", "The study trains no network, so no network-to-triangulation distance "
                                 "is reported.", measured=False))
    elif not (_has(nets, "between_l2") or _has(nets, "nearest_l2")):
        out.items.append(Finding("distance", "Network-to-triangulation distances (between_l2, nearest_l2) are not "
                                 "measured in this study.", measured=False))
    else:
        rows = []
        for key, d in nets.groupby(cols, sort=True):
            key = key if isinstance(key, tuple) else (key,)
            dn = _largest_n(d)
            for m, g in dn.groupby("method"):
                row = {"case": _case_name(key, cols), "n": int(dn["n"].iloc[0]), "method": m, "models": len(g)}
                err = g[metric].astype(float)
                row[f"{metric} median"] = float(err.median())
                for c in ("between_l2", "nearest_l2", "fit_l2"):
                    row[f"{c} median"] = float(g[c].astype(float).median()) if _has(g, c) else np.nan
                for c in ("between_l2", "nearest_l2"):
                    if _has(g, c):
                        r = (g[c].astype(float) / err).replace([np.inf, -np.inf], np.nan).dropna()
                        row[f"{c}/{metric} median"] = float(r.median()) if len(r) else np.nan
                        row[f"{c}/{metric} min"] = float(r.min()) if len(r) else np.nan
                        row[f"{c}/{metric} max"] = float(r.max()) if len(r) else np.nan
                if "nearest_exact" in g.columns:
                    ex = g["nearest_exact"].dropna()
                    row["nearest exact"] = f"{int(ex.astype(bool).sum())}/{len(ex)}"
                rows.append(row)
        t = pd.DataFrame(rows)
        out.tables["F3"] = ("Networks at the largest n: distance to Delaunay's interpolant of their own values "
                            "(between_l2), to their nearest triangulation (nearest_l2), and their error", t)
        for _, r in t.iterrows():
            parts = []
            for c, what in (("between_l2", "Delaunay"), ("nearest_l2", "their nearest triangulation")):
                k = f"{c}/{metric} median"
                if k in r and np.isfinite(r[k]):
                    parts.append(f"{_fmt(r[f'{c} median'])} from {what} ({_fmt(r[k])}x their {metric}, per-model "
                                 f"range [{_fmt(r[f'{c}/{metric} min'])}, {_fmt(r[f'{c}/{metric} max'])}])")
            if not parts:
                continue
            tail = ""
            if "nearest exact" in r and isinstance(r["nearest exact"], str):
                tail = f"; nearest triangulation exact for {r['nearest exact']} models"
            out.items.append(Finding("distance", f"{r['case']}, n={r['n']}: {r['method']} networks are (median L2) "
                                     + " and ".join(parts) + tail + ".", "F3"))

    # F3: training state -------------------------------------------------------------------
    if not nets.empty:
        t = training_state_table(nets)
        if t is None:
            out.items.append(Finding("interpolating", "The networks' training state (train_status) is not measured in "
                                     "this study, so the share of networks that interpolate is unknown.",
                                     measured=False))
        else:
            out.tables["F4"] = ("Training state of the networks (all sizes, seeds and restarts)", t)
            for _, r in t.iterrows():
                n_nets = int(r["models"])
                n_interp = int(r["interpolating"])
                others = ", ".join(f"{int(r[s])} {s}" for s in TRAIN_STATES[1:] if int(r[s]))
                out.items.append(Finding(
                    "interpolating",
                    f"{r['method']}: {n_interp} of {n_nets} networks interpolate ({100.0 * n_interp / n_nets:.0f}%; train RMSE <= "
                    f"1e-3 std(y))" + (f"; the others: {others}" if others else "") + ".", "F4"))

    # F10: what the networks that fit do between the data (every n) -------------------------------
    if not nets.empty and _has(nets, "train_status") and _has(nets, "nearest_l2"):
        fit = nets[nets["train_status"] == "interpolating"]
        if len(fit):
            t = between_data_of_fits(fit, cols, metric)
            out.tables["F10"] = ("Interpolating networks, every n: distance to their nearest triangulation's "
                                 "interpolant of the data (nearest_l2; in 1D the linear interpolant) against their "
                                 "error", t)
            for m, g in fit.groupby("method"):
                d = g["nearest_l2"].astype(float)
                e = g[metric].astype(float)
                out.items.append(Finding(
                    "between", f"{m}: its {len(g)} interpolating network(s) (n = "
                    f"{', '.join(str(int(v)) for v in sorted(g['n'].unique()))}) are {_fmt(d.min())} to "
                    f"{_fmt(d.max())} (median {_fmt(d.median())}) from their nearest triangulation's interpolant "
                    f"of the data, against errors {_fmt(e.min())} to {_fmt(e.max())} ({metric}).", "F10"))

    # F4: rates against -2/d, with the Delaunay self-check -------------------------------------
    from ..compare import fit_rates, mark_pre_asymptotic, rate_self_check
    from ..compare._rates import RATE_METRIC, SELF_CHECK_HALF_WIDTH, SELF_CHECK_WINDOWS

    rate_metric = RATE_METRIC if _has(done, RATE_METRIC) else metric
    by = cols + ["method"]
    rates = fit_rates(done, rate_metric, by=by)
    rates = rates[np.isfinite(rates["slope_mean"].astype(float))] if not rates.empty else rates
    if rates.empty:
        out.items.append(Finding("rates", "No method has two or more sample sizes, so no rate is fitted.",
                                 measured=False))
    else:
        check = rate_self_check(rates)
        rates = mark_pre_asymptotic(rates, check)
        cols_shown = [c for c in cols if not (c == "target_params" and (rates[c] == "{}").all())]
        ck = check.copy()
        ck["interval"] = [f"[{a:+.3f}, {b:+.3f}]" if np.isfinite(a) and np.isfinite(b) else "–"
                          for a, b in zip(ck["check_lo"], ck["check_hi"])]
        ck["window"] = [f"[{w[0]:+.1f}, {w[1]:+.1f}]" if isinstance(w, tuple) else "–" for w in ck["window"]]
        ck = ck[cols_shown + ["check_slope", "interval", "check_half_width", "window", "passed", "reason"]]
        out.tables["F8"] = (f"Self-check: Delaunay's rate of {rate_metric} (bootstrap 95% interval over seeds) "
                            f"against its window; half-width must be < {SELF_CHECK_HALF_WIDTH}",
                            ck.reset_index(drop=True))
        for _, r in check.iterrows():
            key = tuple(r[c] for c in cols_shown)
            if not np.isfinite(r["check_slope"]):
                text = f"{_case_name(key, cols_shown)}: no Delaunay rate, so every rate of this case is pre-asymptotic."
            else:
                win = SELF_CHECK_WINDOWS.get(int(r["dim"]), (np.nan, np.nan))
                text = (f"{_case_name(key, cols_shown)}: Delaunay's slope is {r['check_slope']:+.3f} (95% interval "
                        f"[{r['check_lo']:+.3f}, {r['check_hi']:+.3f}], half-width {r['check_half_width']:.3f}; "
                        f"window [{win[0]:+.1f}, {win[1]:+.1f}], theory {-2.0 / int(r['dim']):+.0f}): "
                        + ("the self-check passes." if r["passed"] else
                           f"the self-check fails ({r['reason']}), so every rate of this case is marked "
                           "pre-asymptotic."))
            out.items.append(Finding("rates", text, "F8"))
        fam = done.groupby("method")["family"].first()
        rt = rates.copy()
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
        rt = rt[cols_shown + ["family", "method", "slope_mean", "slope_std", "n_seeds", "interval", "reference",
                        "vs reference", "pre_asymptotic", "sizes"]]
        out.tables["F5"] = (f"Fitted rates of {rate_metric} against n (log-log slope per seed; mean and bootstrap "
                            "95% interval over seeds) against the reference slope -2/d; pre_asymptotic where the "
                            "case fails the Delaunay self-check (F8)", rt.reset_index(drop=True))
        for key, g in rt.groupby(cols_shown, sort=True):
            key = key if isinstance(key, tuple) else (key,)
            ref = float(g["reference"].iloc[0])
            groups = {v: sorted(g.loc[g["vs reference"] == v, "method"]) for v in ("≈", "slower", "faster")}
            bits = []
            for v, what in (("≈", "consistent with it"), ("slower", "slower (less negative)"),
                            ("faster", "faster")):
                if groups[v]:
                    bits.append(f"{', '.join(groups[v])} {what}")
            pre = " (pre-asymptotic: the Delaunay self-check fails)" if g["pre_asymptotic"].any() else ""
            out.items.append(Finding("rates", f"{_case_name(key, cols_shown)}{pre}: against the reference slope "
                                     f"{ref:+.2f} (-2/d), " + "; ".join(bits) + ".", "F5"))

    # F9: networks against the minimum-norm interpolant ----------------------------------------
    if _has(done, "minnorm_cost_ratio"):
        mn = done[pd.to_numeric(done["minnorm_cost_ratio"], errors="coerce").notna()]
        t = mn.groupby(cols + ["method", "n"]).agg(
            networks=("minnorm_cost_ratio", "size"),
            ratio_median=("minnorm_cost_ratio", "median"), ratio_min=("minnorm_cost_ratio", "min"),
            ratio_max=("minnorm_cost_ratio", "max"), sup_median=("minnorm_sup", "median"),
            sup_max=("minnorm_sup", "max")).reset_index()
        out.tables["F9"] = ("Interpolating networks against the minimum representation-cost interpolant of their "
                            "data: cost ratio sum|a||w| / minimum and sup distance on the evaluation region", t)
        for m, g in mn.groupby("method"):
            r = g["minnorm_cost_ratio"].astype(float)
            sup = g["minnorm_sup"].astype(float)
            out.items.append(Finding(
                "minnorm", f"{m}: over {len(g)} interpolating networks the cost ratio to the minimum-norm interpolant "
                f"is {r.median():.3f} (median; range {r.min():.3f}–{r.max():.3f}) and the sup distance to it "
                f"{sup.median():.3g} (median; max {sup.max():.3g}).", "F9"))

    # F5: exactness --------------------------------------------------------------------------
    ex = _exact_mask(done)
    heur = done[~ex]
    if len(heur):
        t = heur.groupby(["method", "n"]).size().rename("heuristic rows").reset_index()
        out.tables["F6"] = ("Rows whose value is a heuristic (e.g. a flip-walk local optimum), not an exact "
                            "optimum; hollow markers in the figures", t)
        out.items.append(Finding("exactness", f"{len(heur)} of {len(done)} results are heuristic, not exact ("
                                 f"{', '.join(sorted(heur['method'].unique()))}); their values bound the exact "
                                 "optimum from one side only.", "F6"))

    # F6: warnings (e.g. a user target's Hessian bound exceeded) ----------------------------------
    if "warnings" in df.columns and df["warnings"].notna().any():
        w = df[df["warnings"].notna()]
        t = w.groupby([cols[0], "warnings"]).size().rename("rows").reset_index()
        out.tables["F7"] = ("Warnings recorded with the results", t)
        for _, r in t.iterrows():
            out.items.append(Finding("warnings", f"Warning on {r['rows']} result(s): {r['warnings']}.", "F7"))
    return out


def between_data_of_fits(fit, cols, metric: str = "l2_inner"):
    """Per case, method and n: the interpolating networks' distance to their nearest triangulation's
    interpolant (``nearest_l2``) and their error, median / min / max over the networks."""
    import pandas as pd

    rows = []
    for key, g in fit.groupby(cols + ["method", "n"], sort=True):
        key = key if isinstance(key, tuple) else (key,)
        d, e = g["nearest_l2"].astype(float), g[metric].astype(float)
        rows.append({"case": _case_name(key[:len(cols)], cols), "method": key[len(cols)], "n": int(key[-1]),
                     "networks": len(g), "nearest_l2 median": float(d.median()), "nearest_l2 min": float(d.min()),
                     "nearest_l2 max": float(d.max()), f"{metric} median": float(e.median()),
                     "nearest_l2/" + metric + " max": float((d / e).max())})
    return pd.DataFrame(rows)


def training_state_table(nets):
    """Per network method: counts of each ``train_status`` and medians of the training columns.

    Returns None when the results hold no ``train_status``.
    """
    import pandas as pd

    if not _has(nets, "train_status"):
        return None
    rows = []
    for m, g in nets.groupby("method"):
        st = g["train_status"].fillna("unknown")
        row = {"method": m, "models": int(len(g))}
        for s in TRAIN_STATES:
            row[s] = int((st == s).sum())
        for c in ("train_rmse_rel", "train_loss", "grad_norm", "flow_time", "train_steps", "loss_increases"):
            row[f"median {c}"] = float(pd.to_numeric(g[c], errors="coerce").median()) if c in g.columns else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def training_state_by_regime(nets):
    """Training state per network method and regime (init_scale, width, lr) and n: counts per status."""
    if not _has(nets, "train_status"):
        return None
    axes = [c for c in ("init_scale", "width", "lr") if _has(nets, c)]
    keys = ["method"] + axes + ["n"]
    t = nets.assign(train_status=nets["train_status"].fillna("unknown")).groupby(keys)["train_status"] \
        .value_counts().unstack(fill_value=0)
    for s in TRAIN_STATES:
        if s not in t.columns:
            t[s] = 0
    return t[list(TRAIN_STATES)].reset_index()
