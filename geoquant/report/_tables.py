"""Summary tables of a study (pandas) and their HTML / Markdown rendering."""

from __future__ import annotations

import html

import numpy as np

__all__ = ["rate_table", "bound_table", "error_table", "status_table", "timing_table", "failure_table", "training_table",
           "to_html", "to_markdown", "RATE_METRICS"]

#: metrics whose rates the report fits: the RMS over the fixed inner region first (the self-checked rate)
RATE_METRICS = ("rms_inner", "linf_inner", "rms_hull")


def _fmt_rate(mean, lo, hi, k, pre=False):
    if not np.isfinite(mean):
        return "–"
    s = f"{mean:+.2f}"
    if np.isfinite(lo) and np.isfinite(hi):
        s += f" [{lo:+.2f}, {hi:+.2f}]"
    return s + f" ({k})" + (" pre-asymptotic" if pre else "")


def rate_table(rates: dict):
    """One row per (target label, dim, sampler, method): the rate of each metric, the mean slope over seeds
    with its bootstrap 95% interval and the number of seeds, marked "pre-asymptotic" where the case failed the
    Delaunay self-check (a ``pre_asymptotic`` column, :func:`geoquant.compare.mark_pre_asymptotic`).

    Parameters
    ----------
    rates : dict
        metric -> DataFrame of :func:`geoquant.compare.fit_rates`.
    """
    import pandas as pd

    frames = []
    for metric, r in rates.items():
        if r.empty:
            continue
        r = r.copy()
        pre = r["pre_asymptotic"] if "pre_asymptotic" in r.columns else [False] * len(r)
        r[f"rate {metric}"] = [_fmt_rate(m, lo, hi, k, bool(p)) for m, lo, hi, k, p in
                               zip(r.slope_mean, r.slope_lo, r.slope_hi, r.n_seeds, pre)]
        keys = _keys(r) + ["method"]
        frames.append(r.set_index(keys)[[f"rate {metric}"]])
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, axis=1).reset_index()
    sizes = next(iter(rates.values()))
    if "sizes" in sizes:
        keys = _keys(sizes) + ["method"]
        out = out.merge(sizes[keys + ["sizes"]], how="left", on=keys)
    return out.fillna("–")


def _keys(df) -> list:
    """Case columns present in ``df``: the target label (else name), dim, sampler."""
    return ["target_label" if "target_label" in df.columns else "target", "dim", "sampler"]


def _case_label(d):
    return d[_keys(d)[0]].astype(str) + " " + d["dim"].astype(str) + "D n=" + d["n"].astype(str)


def _at_largest_n(df):
    keys = _keys(df) + (["target_params"] if "target_params" in df.columns else [])
    idx = df.groupby(keys)["n"].transform("max")
    return df[df["n"] == idx]


def bound_table(df, metric="linf_ratio_inner"):
    """Median (over seeds) of ``metric`` at each target's largest n: methods x targets. ``linf_ratio_inner`` is
    each method's Linf error over Waldron's bound of the *Delaunay* triangulation of the sample (one bound per
    sample, shared by every method)."""
    d = _at_largest_n(df)
    d = d[d[metric].notna()]
    if d.empty:
        import pandas as pd

        return pd.DataFrame()
    d = d.assign(case=_case_label(d))
    t = d.pivot_table(index="method", columns="case", values=metric, aggfunc="median")
    return t.map(lambda v: f"{v:.3g}" if np.isfinite(v) else "–").reset_index()


#: one-letter codes of the training statuses in compact table cells
STATUS_LETTERS = {"interpolating": "i", "spurious_stationary": "s", "pinned": "p", "stalled": "t", "unstable": "u",
                  "budget": "b", "stationary": "S"}


def status_tag(statuses) -> str:
    """Compact counts of training statuses, e.g. ``"i2 s1"`` (2 interpolating, 1 stationary); an end state
    without a letter is written by name (``"i1 pinned 2"``).

    Parameters
    ----------
    statuses : iterable of str
        ``train_status`` values (see :data:`geoquant.theory.END_STATES`; ``S`` marks the coarse
        ``stationary`` of results written before end states existed).
    """
    from ._cases import status_order

    vals = [str(v) for v in statuses]
    return " ".join(f"{STATUS_LETTERS[s]}{vals.count(s)}" if s in STATUS_LETTERS else f"{s} {vals.count(s)}"
                    for s in status_order(vals))


def error_table(df, metric="l2_inner"):
    """Median (min–max over seeds) of ``metric`` at each target's largest n: methods x targets
    (``*``: heuristic entries, see ``load_results``' ``exact``; network entries end with their
    training statuses over the seeds, :func:`status_tag`)."""
    import pandas as pd

    d = _at_largest_n(df)
    d = d[d[metric].notna()]
    if d.empty:
        return pd.DataFrame()
    d = d.assign(case=_case_label(d))
    g = d.groupby(["method", "case"])[metric].agg(["median", "min", "max"])
    # "*": some seeds' values are heuristic (flip-walk local optima, sampled means), not exact
    ex = (d.groupby(["method", "case"])["exact"].agg(lambda v: bool(pd.Series(v).fillna(True).astype(bool).all()))
          if "exact" in d.columns else pd.Series(True, index=g.index))
    g["txt"] = [f"{a:.3g} [{b:.2g}–{c:.2g}]" + ("" if e else "*")
                for a, b, c, e in zip(g["median"], g["min"], g["max"], ex.reindex(g.index).fillna(True))]
    if "train_status" in d.columns:  # where each network ended, beside its error
        tags = d[d["train_status"].notna()].groupby(["method", "case"])["train_status"].agg(status_tag)
        g["txt"] = [t + (f" ({tags[k]})" if k in tags.index else "") for k, t in zip(g.index, g["txt"])]
    out = g["txt"].unstack("case").fillna("–").reset_index()
    if "oracle" in d.columns:  # methods that chose with the true target are oracles, not competitors
        oracles = set(d.loc[d["oracle"].fillna(False).astype(bool), "method"])
        out["method"] = [f"{m} (oracle)" if m in oracles else m for m in out["method"]]
    return out


def status_table(df):
    import pandas as pd

    if df.empty:
        return pd.DataFrame(columns=["method", "done", "failed"])
    t = df.groupby(["method", "status"]).size().unstack(fill_value=0)
    for c in ("done", "failed"):
        if c not in t:
            t[c] = 0
    return t[["done", "failed"]].reset_index()


def training_table(df):
    """Where every network ended, beside its error: one row per (network method, target, dim, n).

    Counts of ``train_status`` over seeds, and medians over seeds of the
    relative train RMSE, the gradient norm, the gradient-flow time, the L2
    error on the inner region, its split into fit error (``fit_l2``) and
    between-data behaviour against Delaunay (``between_l2``), and the distance
    to the nearest fine triangulation (``nearest_l2``; ``*`` marks heuristic
    minima); beside the status, the median (and count) over the interpolating
    networks of ``minnorm_cost_ratio`` and ``minnorm_sup`` (the network against
    the minimum representation-cost interpolant; "–" where none interpolates).
    """
    import pandas as pd

    if df.empty or "train_status" not in df.columns:
        return pd.DataFrame()
    d = df[(df["status"] == "done") & df["train_status"].notna()]
    if d.empty:
        return pd.DataFrame()
    from ._cases import status_counts

    rows = []
    label = _keys(d)[0]  # the target's label, as in every other table
    for (method, target, dim, n), g in d.groupby(["method", label, "dim", "n"], sort=True):
        status = status_counts(g["train_status"])
        ratio = pd.to_numeric(g.get("minnorm_cost_ratio"), errors="coerce") if "minnorm_cost_ratio" in g else None
        sup = pd.to_numeric(g.get("minnorm_sup"), errors="coerce") if "minnorm_sup" in g else None
        near = f"{g['nearest_l2'].median():.3g}" + ("" if g["nearest_exact"].astype(bool).all() else "*")
        rows.append({
            "method": method, "case": f"{target} {dim}D n={n}", "status (seeds)": status,
            "minnorm cost ratio": _median_or_dash(ratio, "{:.3f}"), "minnorm sup": _median_or_dash(sup, "{:.3g}"),
            "train RMSE/std": f"{g['train_rmse_rel'].median():.2g}", "grad norm": f"{g['grad_norm'].median():.2g}",
            "flow time": f"{g['flow_time'].median():.3g}", "l2_inner": f"{g['l2_inner'].median():.3g}",
            "fit_l2": f"{g['fit_l2'].median():.3g}", "between_l2": f"{g['between_l2'].median():.3g}",
            "nearest_l2": near,
        })
    return pd.DataFrame(rows)


def _median_or_dash(v, fmt):
    """Median of the finite values of ``v`` (and how many) or "–" (e.g. no interpolating network)."""
    if v is None:
        return "–"
    v = v[np.isfinite(v.astype(float))]
    return "–" if v.empty else fmt.format(float(v.median())) + f" ({len(v)})"


def timing_table(df):
    d = df[df["status"] == "done"]
    t = d.groupby("method")[["fit_s", "eval_s"]].median()
    t.columns = ["median fit s", "median eval s"]
    return t.map(lambda v: f"{v:.3g}" if np.isfinite(v) else "–").reset_index()


def failure_table(df, limit=20):
    d = df[df["status"] != "done"]
    return d[["method", _keys(d)[0], "dim", "n", "seed", "error"]].head(limit)


def to_html(df, classes="tbl") -> str:
    """A DataFrame as an escaped HTML table (no jinja2 needed)."""
    if df is None or df.empty:
        return "<p><em>(none)</em></p>"
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    rows = []
    for _, r in df.iterrows():
        rows.append("<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in r.values) + "</tr>")
    # wide tables scroll inside their box instead of running off the page
    return (f'<div class="tw"><table class="{classes}"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody>'
            '</table></div>')


def _cell(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}" if np.isfinite(v) else "–"
    if v is None:
        return "–"
    return str(v)


def md_escape(text) -> str:
    """Text as inert Markdown: no HTML, no links or images, no code spans, no table cells broken.

    HTML special characters become entities; ``\\ [ ] ` |`` are backslash-escaped;
    newlines become spaces.
    """
    text = html.escape(str(text), quote=False).replace("\r", " ").replace("\n", " ")
    for ch in "\\[]`|":
        text = text.replace(ch, "\\" + ch)
    return text


def to_markdown(df) -> str:
    """A DataFrame as a GitHub Markdown table (every cell through :func:`md_escape`)."""
    if df is None or df.empty:
        return "_(none)_\n"
    cols = [str(c) for c in df.columns]
    esc = md_escape

    lines = ["| " + " | ".join(esc(c) for c in cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for _, r in df.iterrows():
        lines.append("| " + " | ".join(esc(_cell(v)) for v in r.values) + " |")
    return "\n".join(lines) + "\n"
