"""The report's content, assembled once as blocks (:mod:`geoquant.report._document`) for the page and the summary.

Order: the title, the summary (and, in Markdown, the link to the page), the numbers of the summary, notes
(damaged files, the study's description), the key figures, then the details (findings, training states, the
figures per case, the tables of rates and errors), the definitions and the run.
"""

from __future__ import annotations

import json
import time
from typing import Any

from . import _findings as FD
from . import _tables as T
from ._document import LONG_TABLE, Block, table_block
from ._tags import trains_mask

__all__ = ["report_blocks"]

#: figure sections of the details, in page order
_SECTIONS = [
    ("rates", "Error against n and fitted rates, per case"),
    ("bounds", "Errors relative to Waldron's bound of the Delaunay triangulation, per case"),
    ("distances", "Networks against triangulations, per case"),
    ("regime", "Regime: error and training loss against init scale, per case"),
    ("gallery", "Gallery"),
    ("quantization", "Quantization: neuron geometry"),
]

_METRICS_NOTE = (
    "Errors are measured on the convex hull of the samples (hull) and on the inner region "
    "(the target's box shrunk by the study's margin, intersected with the hull), where thin hull triangles along the "
    "boundary do not dominate. Piecewise-linear methods: exact per-simplex Grundmann–Möller quadrature "
    "(interpolation_error; inner region: their simplices clipped to the box). Other methods: the same "
    "rule on uniformly refined Delaunay simplices applied to (f − g)²; Linf on a barycentric lattice (a lower bound). "
    "triangulation_mean is the root of the mean squared L2 error over all fine triangulations (exact "
    "for small n, sampled above). rms_<region> = L2 / sqrt(volume of the region); "
    "rms_inner is kept only where the inner region is the whole inner box (the hull contains it, e.g. "
    "when the sampler includes the box's corners), so it is the same region for every n. Rates are least-squares "
    "slopes of log(error) against log(n) per seed, reported as the mean over seeds with its percentile-bootstrap 95% "
    "interval (in parentheses the number of seeds). Self-check: Delaunay's slope of rms_inner must lie in "
    "[-2.2, -1.8] in 1D and [-1.1, -0.9] in 2D with a 95% half-width below 0.1, else every rate of that case is "
    "marked pre-asymptotic. Oracle methods (triangulation_best, triangulation_worst) choose their triangulation "
    "using the true target: they are bounds no method that sees only the data can reach, shown and labelled "
    "'oracle', never ranked with the others."
)

_ERROR_NOTE = ("* = heuristic entries (not exact). Network entries end with where training ended over the seeds "
               "(i = interpolating, s = stationary, u = unstable, b = budget; other end states by name, e.g. i2 s1).")

_DETAIL_NOTE = ("Medians over seeds; fit_l2 = L2(I_Delaunay(f_net(X)) - f), between_l2 = L2(f_net - I_Delaunay(f_net(X))), "
                "nearest_l2 = min over fine triangulations T of L2(f_net - I_T(f_net(X))) (* = flip-walk local minimum, "
                "not exact).")

def _skipped_lines(skipped: list, limit: int = 20) -> list:
    lines = [f"{d['file']}: {d['reason']}" for d in skipped[:limit]]
    if len(skipped) > limit:
        lines.append(f"... and {len(skipped) - limit} more")
    return lines


def _summary_table(summary: Any) -> Any:
    """The summary's numbers, one row per case, ratios as ``median [min–max]``."""
    t = summary.table
    if t is None or t.empty:
        return None
    out = t[["case", "n", "best network"]].copy()
    out["× Delaunay [min–max over seeds]"] = [
        f"{a:.3g} [{b:.3g}–{c:.3g}]" for a, b, c in zip(t["× Delaunay"], t["× Delaunay min"], t["× Delaunay max"])]
    out["best non-oracle triangulation"] = t["best non-oracle triangulation"]
    out["network × it"] = t["× it"]
    out["oracle × Delaunay"] = t["oracle × Delaunay"]
    for c in ("end states (best network)", "train RMSE/std(y) median"):
        if c in t.columns:
            out[c] = t[c]
    for c in t.columns:
        if c.endswith("median") and "/" in c:
            out[c.replace(" median", "") + " (median, all networks)"] = t[c]
    return out


def _end_state_defs(df: Any) -> list:
    """The definitions of the end states the networks of the study reached, and of the trainer's stop."""
    from ._cases import STATUS_DEFINITIONS, status_order

    nets = df[(df["status"] == "done") & trains_mask(df)] if not df.empty else df
    if nets.empty or "train_status" not in nets.columns or nets["train_status"].isna().all():
        return []
    tols = set()
    for p in nets["params"].dropna():
        try:
            v = json.loads(p).get("rmse_tol")
        except (TypeError, ValueError):
            continue
        if v is not None:
            tols.add(float(v))
    stop = ("train RMSE ≤ rmse_tol·std(y), this study's rmse_tol " + ", ".join(f"{v:g}" for v in sorted(tols))
            if tols else "train RMSE ≤ rmse_tol·std(y)")
    out = [("training stops", f"when a network's {stop} (rmse_tol, a network parameter: the trainer's stop), when it "
            "is stationary (grad_tol), or at its budget t_max in gradient-flow time")]
    for s in status_order(list(nets["train_status"])):
        out.append((s, STATUS_DEFINITIONS.get(s, "an end state recorded by the trainer (see geoquant.nn's "
                                                 "training_state)")))
    return out


def _head(manifest: dict, summary: Any, skipped: list, page_link: Block) -> list:
    """The title, the summary, the link to the page (Markdown), the summary's numbers and the notes."""
    blocks = [Block("title", f"geoquant study report: {manifest.get('study', 'study')}"),
              Block("summary", items=list(summary.sentences), partial=summary.partial), page_link]
    st = _summary_table(summary)
    if st is not None:
        blocks.append(Block("group", "The numbers of the summary, per case", collapse=len(st) > LONG_TABLE,
                            children=[table_block("", st, anchor="S")]))
    if skipped:
        blocks.append(Block("note", f"Skipped {len(skipped)} damaged file(s) (left out of every table and figure; a "
                            "rerun of the study moves them to quarantine/ and reruns their tasks): "
                            + "; ".join(_skipped_lines(list(skipped)))))
    if manifest.get("description"):
        blocks.append(Block("note", f"Study: {manifest['description']}"))
    return blocks


def _findings_group(findings: Any) -> Block:
    """The findings' sentences, each naming its table, then the tables F1, F2, ..."""
    fitems = [(f.text, f.table) for f in findings.items]
    ftables = [table_block(f"{tid}. {title}", t, anchor=tid) for tid, (title, t) in findings.tables.items()]
    return Block("group", f"Findings: {len(fitems)} sentences per case, each with the table (F1…) holding "
                 "its numbers", anchor="findings", collapse=True, children=[
                     Block("note", "Written from the results; intervals are over seeds (each seed is a "
                           "different sample, shared by all methods)."),
                     Block("list", items=fitems), *ftables])


def _training_group(df: Any, nets: Any) -> Block:
    """Where the networks ended: per method, per regime, and beside their errors and distances."""
    tr = FD.training_state_table(nets) if not nets.empty else None
    if tr is None:
        why = ("the study trains no network" if nets.empty else
               "not measured in this study (the results hold no train_status)")
        return Block("group", "Training state of the networks", collapse=True,
                     children=[Block("note", f"None: {why}.")])
    children = [table_block("Per network method", tr)]
    regime = FD.training_state_by_regime(nets)
    if regime is not None:
        children.append(table_block("Per case, regime (init scale, width, step size) and n", regime))
    detail = T.training_table(df)
    if detail is not None and not detail.empty:
        children.append(table_block("Network errors beside training state and distances to triangulations "
                                    "(per case)", detail, note=_DETAIL_NOTE))
    return Block("group", "Training state of the networks", collapse=True, children=children)


def _figure_groups(figs: list) -> list:
    """One collapsed group per figure section of the details that holds a figure (page only)."""
    out = []
    for key, heading in _SECTIONS:
        k = sum(f.section == key for f in figs)
        if k:
            out.append(Block("group", f"{heading} ({k} figure{'s' if k != 1 else ''})", collapse=True,
                             children=[Block("figures", key, only="html")]))
    return out


def _table_groups(rates: dict, done: Any) -> list:
    """The fitted rates, the errors and the errors over Waldron's bound, at the largest n."""
    return [
        Block("group", "Fitted rates", collapse=True, children=[table_block("", T.rate_table(rates))]),
        Block("group", "L2 error on the inner region at the largest n (median [min–max] over seeds)",
              collapse=True, children=[table_block("", T.error_table(done), note=_ERROR_NOTE)]),
        Block("group", "Linf error on the inner region of each method over Waldron's bound ½·M·R² of the "
              "Delaunay triangulation, at the largest n (median)", collapse=True,
              children=[table_block("", T.bound_table(done))]),
    ]


def _run_group(manifest: dict, df: Any, size_note: str) -> Block:
    """When and where the study ran, with what; tasks, timings and failures per method."""
    versions = manifest.get("environment", {}).get("versions", {})
    devices = sorted({str(d) for d in df["device"].dropna().unique()}) if not df.empty else []
    run = [Block("note", f"Created {manifest.get('created', '')}; report generated "
                 f"{time.strftime('%Y-%m-%d %H:%M:%S')}. Devices: {', '.join(devices) or '–'}. Versions: "
                 + ", ".join(f"{k} {v}" for k, v in versions.items() if v)
                 + f". Seed policy: {manifest.get('seed_policy', '')}. {size_note}"),
           table_block("Tasks per method", T.status_table(df)),
           table_block("Timings", T.timing_table(df) if not df.empty else None)]
    failures = T.failure_table(df)
    if not failures.empty:
        run.append(table_block("Failed tasks (first 20)", failures))
    return Block("group", "The run: tasks, timings, versions", collapse=True, children=run)


def report_blocks(manifest: dict, df: Any, summary: Any, findings: Any, rates: dict, figs: list, skipped: list, *,
                  size_note: str, page_link: Block) -> list:
    """The report as a list of blocks, the same for the HTML page and the Markdown summary.

    Parameters
    ----------
    manifest : dict
        The study's manifest (empty when unreadable).
    df : pandas.DataFrame
        :func:`geoquant.compare.load_results` of the study.
    summary, findings
        :func:`geoquant.report._summary.compute_summary` and :func:`geoquant.report._findings.compute_findings`.
    rates : dict
        Metric -> fitted rates.
    figs : list
        The rendered figures (``section``, ``caption``, ``png``).
    skipped : list of dict
        Damaged files left out (``file``, ``reason``).
    size_note : str
        How the figures were sized.
    page_link : Block
        The Markdown summary's link to the page.
    """
    done = df[df["status"] == "done"] if not df.empty else df
    nets = done[trains_mask(done)]
    blocks = _head(manifest, summary, skipped, page_link)
    if any(f.section == "key" for f in figs):
        blocks += [Block("h2", "Key figures", anchor="key", only="html"), Block("figures", "key", only="html")]
    blocks.append(Block("h2", "Details", anchor="details", only="html"))
    blocks += [_findings_group(findings), _training_group(df, nets), *_figure_groups(figs),
               *_table_groups(rates, done)]
    defs = [("metrics", _METRICS_NOTE)] + _end_state_defs(df)
    blocks += [Block("h2", "Definitions", anchor="definitions"), Block("defs", items=defs)]
    blocks.append(_run_group(manifest, df, size_note))
    return blocks
