"""Build a study's report: one self-contained HTML page and a Markdown summary.

The report reads the study directory only (results JSON, gallery ``.npz``,
manifest); it never refits a method or recomputes an error. Figures are PNG
images embedded in the page as base64 ``data:`` URIs, so the page is a single
file that opens anywhere. Their resolution is capped so that the page stays
under ``max_bytes`` (default 5 MB): the figures are drawn at ``dpi`` and, if
the page would be larger, redrawn once at the resolution that fits; if even
that is not enough, gallery cases are left out, and the page says so.
"""

from __future__ import annotations

import os

from collections.abc import Callable
from typing import Any

import base64
import json
import html
import io
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._fileio import atomic_write_bytes, storage_error
from ..compare._studydir import read_manifest
from ..errors import InvalidInputError
from ..nn import INTERPOLATION_RTOL
from ._findings import oracle_mask
from ._tags import trains_mask

__all__ = ["make_report", "Report"]

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:1.5em auto;max-width:1200px;
color:#222;line-height:1.4;padding:0 1em}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
p.summary{font-size:1.05em;background:#f6f8fa;border-left:4px solid #1f77b4;padding:.6em .9em}
p.summary.partial{border-left-color:#d62728}span.partial{color:#b00;font-weight:600}
div.tw{overflow-x:auto;max-width:100%;margin:.6em 0}
table.tbl{border-collapse:collapse;font-size:.82em}
table.tbl td,table.tbl th{border:1px solid #ddd;padding:.2em .5em;text-align:right;white-space:nowrap}
table.tbl th{background:#f3f3f3}table.tbl td:first-child{text-align:left}
details{margin:.5em 0;border:1px solid #e3e3e3;border-radius:4px;padding:.3em .7em}
details>summary{cursor:pointer;font-weight:600}
figure{margin:1em 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.85em;color:#555}.note{font-size:.85em;color:#555}
code{background:#f5f5f5;padding:0 .2em}dl.defs dt{font-weight:600}dl.defs dd{margin:0 0 .3em 1.5em}
"""


@dataclass
class Report:
    """Where the report went and how big it is.

    Attributes
    ----------
    html : Path
        The self-contained page (``index.html``).
    markdown : Path
        The Markdown summary (``summary.md``).
    n_figures : int
    size_bytes : int
        Size of the HTML page.
    dpi : int
        Resolution the figures were drawn at.
    dropped : int
        Gallery figures left out to respect the size cap.
    skipped : list of dict
        Damaged files left out (``file``, ``reason``); the page lists them.
    """

    html: Path
    markdown: Path
    n_figures: int
    size_bytes: int
    dpi: int
    dropped: int = 0
    skipped: list = field(default_factory=list)


@dataclass
class _Figure:
    section: str
    caption: str
    build: Callable[..., Any]  # () -> Figure, or None when there is nothing to draw
    optional: bool = False  # may be dropped to respect the size cap
    png: bytes = b""


def _render(fig_spec: _Figure, dpi: int) -> bytes:
    import matplotlib
    import matplotlib.pyplot as plt

    # Mathtext stays on (matplotlib's own log-tick labels are mathtext); labels that come from the study's
    # files reach the builders escaped (mathsafe: '$' -> '\$'), so they are drawn as the text they are.
    with matplotlib.rc_context({"text.usetex": False}):
        fig = fig_spec.build()
        if fig is None:
            return b""
        from ._figures import plain_log_axes

        plain_log_axes(fig)  # tick labels as plain numbers on every log axis
        buf = io.BytesIO()
        # "tight": the saved image grows to hold every legend and label drawn outside the axes (none is cut off)
        fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", pad_inches=0.08)
        plt.close(fig)
    return buf.getvalue()


def mathsafe(text):
    """``text`` as matplotlib draws it literally: every ``$`` escaped (``\\$``), so a label from a study's files
    never starts mathtext. Non-strings pass through."""
    return text.replace("$", "\\$") if isinstance(text, str) else text


#: label columns of the results that reach figures (method, target and sampler names from the spec)
_LABEL_COLUMNS = ("method", "method_name", "target", "target_label", "sampler")


def mathsafe_frame(df):
    """A copy of ``df`` whose label columns are :func:`mathsafe` (for the figures only; tables escape HTML)."""
    out = df.copy()
    for c in _LABEL_COLUMNS:
        if c in out.columns:
            out[c] = out[c].map(mathsafe)
    return out


def _mathsafe_cases(cases: list) -> list:
    out = []
    for c in cases:
        c = dict(c)
        c["key"] = tuple(mathsafe(v) for v in c["key"])
        for k in ("name", "network", "delaunay", "triangulation"):
            c[k] = mathsafe(c[k])
        c["oracles"] = [mathsafe(m) for m in c["oracles"]]
        out.append(c)
    return out


def _load_cases(study_dir, df, skipped: list):
    """Gallery cases: (target, dim, sampler, n, seed) -> {label: {family, name, arrays}}.

    A gallery file that cannot be read is left out and added to ``skipped``.
    """
    from ..compare import load_gallery
    from ..errors import GeoquantError

    cases: dict[tuple, dict[str, dict]] = {}
    d = df[(df["status"] == "done") & df["gallery_file"].notna()]
    d = d.assign(_trains=trains_mask(d), _oracle=oracle_mask(d))
    for _, r in d.iterrows():
        key = (r.get("target_label", r["target"]), int(r["dim"]), r["sampler"], int(r["n"]), int(r["seed"]))
        if r["restart"] != 0:
            continue
        try:
            arrays = load_gallery(study_dir, r["gallery_file"])
        except GeoquantError as exc:
            skipped.append({"file": str(r["gallery_file"]), "reason": str(exc)})
            continue
        cases.setdefault(key, {})[r["method"]] = {"family": r["family"], "name": r["method_name"],
                                                  "trains": bool(r["_trains"]), "oracle": bool(r["_oracle"]),
                                                  "arrays": arrays}
    return cases


def _pick_gallery(cases: dict, per_target: int):
    """Per (target, dim, sampler): the smallest and largest n (up to ``per_target`` sizes)."""
    by: dict[tuple, list[tuple]] = {}
    for key in sorted(cases):
        by.setdefault(key[:3], []).append(key)
    out: list[tuple] = []
    for group, keys in by.items():
        seed0 = min(k[4] for k in keys)
        keys = sorted(k for k in keys if k[4] == seed0)
        ns = sorted({k[3] for k in keys})
        if len(ns) > per_target:
            idx = np.unique(np.round(np.linspace(0, len(ns) - 1, per_target)).astype(int))
            ns = [ns[i] for i in idx]
        out.extend(k for k in keys if k[3] in ns)
    return out


def make_report(study_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str], *, max_bytes: int = 5_000_000,
                dpi: int = 90, gallery_per_target: int = 2, progress: bool | None = None) -> Report:
    """Write ``out_dir/index.html`` (self-contained) and ``out_dir/summary.md`` for a study.

    The page opens with the summary (at most five sentences written from the
    results, the first saying whether the study is complete) and its table,
    then at most four key figures, then the details (findings, training
    states, figures per case, tables), collapsed where long, and the
    definitions. The Markdown summary holds the same text and tables.

    Parameters
    ----------
    study_dir : str or Path
        A study directory written by :func:`geoquant.compare.run_study`.
    out_dir : str or Path
        Created if needed.
    max_bytes : int
        Size cap of the HTML page (figures are downscaled, then gallery cases
        dropped, to respect it).
    dpi : int
        Resolution of the figures before any downscaling.
    gallery_per_target : int
        Sample sizes shown in the gallery per target (smallest and largest first).
    progress : bool, optional
        Progress bar over the figures (default: on a terminal).

    Returns
    -------
    Report
    """
    from tqdm.auto import tqdm

    from ..compare import load_results
    from . import _findings as FD
    from ._summary import compute_summary

    study_dir = Path(study_dir)
    if not (study_dir / "manifest.json").is_file():
        raise InvalidInputError(f"'study_dir' must be a study directory (with manifest.json), found {str(study_dir)!r}")
    if max_bytes < 100_000:
        raise InvalidInputError(f"'max_bytes' must be >= 100000, found {max_bytes}")
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise storage_error(exc, out_dir, "create the report directory") from None
    manifest = read_manifest(study_dir)
    df = load_results(study_dir)
    skipped = list(df.attrs.get("damaged", []))  # result files left out, said on the page
    if manifest is None:
        skipped.append({"file": "manifest.json", "reason": "unreadable or not a manifest; study details omitted"})
        manifest = {}
    n_planned = manifest.get("n_tasks")
    summary = compute_summary(df, n_planned if isinstance(n_planned, int) else None)
    findings = FD.compute_findings(df)

    rates = _rates(df[df["status"] == "done"])
    fdf = mathsafe_frame(df)  # the figures' copy: labels from the spec drawn as text
    figs = _figures(study_dir, fdf, summary, rates, gallery_per_target, skipped)
    bar = tqdm(total=len(figs), desc="report figures", disable=(not progress) if progress is not None else None)

    def render(f, d):
        out = _render(f, d)
        bar.update(1)
        return out

    used_dpi, dropped = _apply_size_cap(figs, render, dpi=dpi, max_bytes=max_bytes)
    bar.close()
    figs = [f for f in figs if f.png]
    size_note = (
        f"Figures are PNG images embedded as base64 at {used_dpi} dpi"
        + (f" (downscaled from {dpi} dpi)" if used_dpi != dpi else "")
        + f" so that this page stays under {max_bytes / 1e6:.1f} MB"
        + (f"; {dropped} gallery figure(s) were left out to respect that cap" if dropped else "")
        + ". The report reads stored results only."
    )
    blocks = _document(manifest, df, summary, findings, rates, figs, skipped, size_note)
    page = _html_page(manifest, blocks, figs)
    html_path = out_dir / "index.html"
    md_path = out_dir / "summary.md"
    # atomic: a full disk or a kill leaves the previous report in place, never a truncated one
    atomic_write_bytes(html_path, page.encode("utf-8"))
    atomic_write_bytes(md_path, _markdown(manifest, blocks, html_path, used_dpi, dropped).encode("utf-8"))
    return Report(html_path, md_path, len(figs), len(page.encode("utf-8")), used_dpi, dropped, skipped)


def _case_mask(done, keys, key):
    mask = np.ones(len(done), bool)
    for k, v in zip(keys, key):
        mask &= (done[k] == v).values
    return mask


def _rates(done) -> dict:
    """metric -> fitted rates (:func:`geoquant.compare.fit_rates`) of each rate metric, every rate of a case that
    fails the Delaunay self-check (of the first metric) marked pre-asymptotic."""
    from ..compare import fit_rates, mark_pre_asymptotic, rate_self_check
    from . import _tables as T

    rates = {m: fit_rates(done, m) for m in T.RATE_METRICS if m in done.columns}
    check = rate_self_check(next(iter(rates.values()))) if rates else None
    if check is not None:
        rates = {m: mark_pre_asymptotic(r, check) for m, r in rates.items()}
    return rates


def _figures(study_dir, fdf, summary, rates: dict, gallery_per_target: int, skipped: list) -> list:
    """Every figure of the report (unrendered): the key figures first, then those per case and the gallery."""
    from . import _figures as F
    from . import _findings as FD
    from . import _gallery as G
    from . import _keyfigs as K
    from . import _tables as T

    done = fdf[fdf["status"] == "done"]
    labels = done.groupby("method")["method_name"].first().to_dict() if not done.empty else {}
    colors = F.method_colors(labels)
    cases = _load_cases(study_dir, fdf, skipped)
    sel = _mathsafe_cases(summary.cases)
    metric = summary.metric
    nets = done[trains_mask(done)]
    figs: list[_Figure] = [
        _Figure("key", "Error against n per case, at every n: Delaunay (median over seeds, band min–max), the best "
                "triangulation that does not use the true target, the oracle (dotted; it chooses using the true "
                "target), the best network setting of the summary (band min–max; filled markers where every run fits "
                f"its data), and the reference slope -2/d through Delaunay's first point ({metric}).",
                lambda: K.fig_key_error_vs_n(done, sel, colors, metric)),
        _Figure("key", "The networks' error over Delaunay's on the same samples (median of the per-seed ratio) "
                "against their init scale, at the n of the summary; one line per network entry (a PyTorch-init "
                "entry's scale multiplies PyTorch's default); filled markers where every run fits its data.",
                lambda: K.fig_ratio_vs_init(done, sel, colors, metric)),
    ]
    pick = K.pick_gallery_network(cases, sel, done)
    if pick is not None:
        key, label = pick
        row = done[(done["method"] == label) & (done["n"] == key[3]) & (done["seed"] == key[4])
                   & (done["dim"] == key[1]) & (done["sampler"] == key[2])
                   & (done["target_label" if "target_label" in done.columns else "target"] == key[0])]
        m = {c: row[c].iloc[0] for c in ("l2_inner", "nearest_l2", "train_status") if c in row.columns and len(row)}
        figs.append(_Figure("key", "One network beside its nearest triangulation: the network g, the interpolant of "
                            "its own values g(X) on its nearest fine triangulation (in 1D the only one: the linear "
                            "interpolant of g(X)), the target and the data; below, the network's error |f − g| and "
                            "its distance to that interpolant.",
                            lambda key=key, label=label, m=m: K.fig_network_beside_triangulation(
                                cases[key], label, key, colors, m)))
    figs.append(_Figure("key", "Where every network ended (train_status over all n, seeds and restarts; definitions "
                        "under 'Definitions').", lambda: K.fig_end_states(nets)))

    keys = FD.case_columns(done) if not done.empty else []
    rate_lookup = {}
    for rm, r in rates.items():
        for _, row in r.iterrows():
            rate_lookup[tuple(mathsafe(row[k]) for k in keys) + (mathsafe(row["method"]), rm)] = (
                row["slope_mean"], row["slope_lo"], row["slope_hi"], bool(row.get("pre_asymptotic", False)))
    groups = sorted(done.groupby(keys).groups) if not done.empty else []
    for key in groups:
        key = key if isinstance(key, tuple) else (key,)
        sub = done[_case_mask(done, keys, key)]
        nk = len(keys)
        rl = {(k[nk], k[nk + 1]): v for k, v in rate_lookup.items() if k[:nk] == key}
        case = dict(zip(keys, key))
        title = f"{case.get('target_label', case.get('target'))} ({case['dim']}D, {case['sampler']} samples)"
        figs.append(_Figure("rates", f"Error against n, {title}: one panel per method family; line = median over "
                            "seeds, band = min–max over seeds, dashed = reference slope -2/d; filled markers exact, "
                            "hollow markers heuristic; legend: fitted rate of the RMS error on the inner region "
                            "(log-log slope per seed, mean and bootstrap 95% interval over seeds; marked "
                            "pre-asymptotic where the case fails the Delaunay self-check).",
                            lambda sub=sub, rl=rl, title=title: F.fig_error_vs_n(sub, rl, colors, title,
                                                                                 metrics=T.RATE_METRICS[:2])))
        figs.append(_Figure("bounds", f"Linf error on the inner region of each method over Waldron's bound ½·M·R² of "
                            f"the Delaunay triangulation, {title}. Delaunay must stay below 1.",
                            lambda sub=sub, title=title: F.fig_bound_ratio(sub, colors, title)))
        figs.append(_Figure("distances", f"Networks against triangulations, {title}: each network's L2 distance to "
                            "the Delaunay interpolant of its own values at the data (between_l2, circles) and to its "
                            "nearest fine triangulation (nearest_l2, triangles) against its L2 error; filled = "
                            f"interpolating (train RMSE ≤ {INTERPOLATION_RTOL:g}·std(y)), hollow = not; dashed: "
                            "distance = error.",
                            lambda sub=sub, title=title: F.fig_network_distances(sub, colors, title)))
        figs.append(_Figure("regime", f"Regime, {title}: L2 error and final training loss of the small-init "
                            "networks against init scale (median over seeds), from the kernel regime (large) to "
                            "quantisation (small).",
                            lambda sub=sub, title=title: F.fig_regime(sub, colors, title)))
    for key in _pick_gallery(cases, gallery_per_target):
        tgt, dim, smp, n, seed = key
        case = cases[key]
        title = f"{tgt} {dim}D, {smp}, n={n}, seed {seed}"
        if dim == 1:
            figs.append(_Figure("gallery", f"{title}: fits (top; triangles = network kinks) and |f − g| (bottom).",
                                lambda case=case, title=title: G.fig_gallery_1d(case, colors, title), optional=True))
        elif dim == 2:
            figs.append(_Figure("gallery", f"{title}: |f − g| per method with triangles (piecewise-linear methods) or "
                                "breaklines (networks; width ∝ gradient jump); dotted box = inner region.",
                                lambda case=case, title=title: G.fig_gallery_2d(case, colors, title), optional=True))
        if any("state_W" in c["arrays"] for c in case.values()):
            figs.append(_Figure("quantization", f"{title}: neuron geometry of the networks / theory engine.",
                                lambda case=case, title=title: G.fig_quantization(case, colors, title),
                                optional=True))
    return figs


_TEXT_BUDGET = 400_000  # bytes kept for the tables and text of the page


def _page_bytes(figs) -> int:
    return sum(len(f.png) * 4 // 3 + 200 for f in figs) + _TEXT_BUDGET  # base64 is 4/3 of the PNG


def _apply_size_cap(figs, render, *, dpi: int, max_bytes: int):
    """Render ``figs`` (setting ``f.png``) so that the page fits ``max_bytes``.

    Draw at ``dpi``; if the page would be too large, redraw once at the dpi
    that fits (PNG size grows like dpi**2; 8% margin, at least 30 dpi); if it
    still does not fit, drop optional (gallery) figures from the end.
    Returns ``(used_dpi, n_dropped)``; dropped figures are removed from ``figs``.
    """
    for f in figs:
        f.png = render(f, dpi)
    used = dpi
    if _page_bytes(figs) > max_bytes and figs:
        scale = np.sqrt(max(max_bytes - _TEXT_BUDGET, 1) / max(_page_bytes(figs) - _TEXT_BUDGET, 1)) * 0.92
        used = max(30, int(dpi * scale))
        for f in figs:
            f.png = render(f, used)
    dropped = 0
    while _page_bytes(figs) > max_bytes and any(f.optional for f in figs):
        figs.pop(max(i for i, f in enumerate(figs) if f.optional))
        dropped += 1
    return used, dropped




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

#: tables with more rows than this are collapsed (<details>) on the page
_LONG_TABLE = 12


def _b64(png: bytes) -> str:
    return base64.b64encode(png).decode("ascii")


def _skipped_lines(skipped, limit: int = 20) -> list:
    lines = [f"{d['file']}: {d['reason']}" for d in skipped[:limit]]
    if len(skipped) > limit:
        lines.append(f"... and {len(skipped) - limit} more")
    return lines


@dataclass
class _Block:
    """One piece of the report, rendered to HTML and to Markdown by the same walk.

    kind: ``"summary"`` (sentences), ``"h2"``, ``"p"``, ``"note"``, ``"list"`` (items; ``(text, ref)``),
    ``"table"`` (title, table), ``"figures"`` (a figure section, HTML only), ``"defs"`` (items ``(term,
    definition)``) or ``"group"`` (title, children; a ``<details>`` on the page, open when ``collapse`` is False).
    """

    kind: str
    text: str = ""
    table: Any = None
    items: list = field(default_factory=list)
    children: list = field(default_factory=list)
    collapse: bool | None = None
    anchor: str = ""
    partial: bool = False
    html_only: bool = False


def _table_block(title, table, anchor="", note="") -> _Block:
    return _Block("table", title, table=table, anchor=anchor, items=[note] if note else [])


def _summary_table(summary):
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


def _end_state_defs(df) -> list:
    from ._findings import STATUS_DEFINITIONS, status_order

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


def _document(manifest, df, summary, findings, rates, figs, skipped, size_note) -> list:
    """The report as a list of blocks (the same for the HTML page and the Markdown summary)."""
    from . import _findings as FD
    from . import _tables as T

    done = df[df["status"] == "done"] if not df.empty else df
    nets = done[trains_mask(done)]
    blocks = [_Block("summary", items=list(summary.sentences), partial=summary.partial)]
    st = _summary_table(summary)
    if st is not None:
        blocks.append(_Block("group", "The numbers of the summary, per case", collapse=len(st) > _LONG_TABLE,
                             children=[_table_block("", st, anchor="S")]))
    if skipped:
        blocks.append(_Block("note", f"Skipped {len(skipped)} damaged file(s) (left out of every table and figure; a "
                             "rerun of the study moves them to quarantine/ and reruns their tasks): "
                             + "; ".join(_skipped_lines(list(skipped)))))
    if manifest.get("description"):
        blocks.append(_Block("note", f"Study: {manifest['description']}"))
    if any(f.section == "key" for f in figs):
        blocks += [_Block("h2", "Key figures", anchor="key", html_only=True), _Block("figures", "key")]
    blocks.append(_Block("h2", "Details", anchor="details", html_only=True))
    fitems = [(f.text, f.table) for f in findings.items]
    ftables = [_table_block(f"{tid}. {title}", t, anchor=tid) for tid, (title, t) in findings.tables.items()]
    blocks.append(_Block("group", f"Findings: {len(fitems)} sentences per case, each with the table (F1…) holding "
                         "its numbers", anchor="findings", collapse=True, children=[
                             _Block("note", "Written from the results; intervals are over seeds (each seed is a "
                                    "different sample, shared by all methods)."),
                             _Block("list", items=fitems), *ftables]))
    tr = FD.training_state_table(nets) if not nets.empty else None
    if tr is not None:
        children = [_table_block("Per network method", tr)]
        regime = FD.training_state_by_regime(nets)
        if regime is not None:
            children.append(_table_block("Per case, regime (init scale, width, step size) and n", regime))
        detail = T.training_table(df)
        if detail is not None and not detail.empty:
            children.append(_table_block("Network errors beside training state and distances to triangulations "
                                         "(per case)", detail, note=_DETAIL_NOTE))
        blocks.append(_Block("group", "Training state of the networks", collapse=True, children=children))
    else:
        why = ("the study trains no network" if nets.empty else
               "not measured in this study (the results hold no train_status)")
        blocks.append(_Block("group", "Training state of the networks", collapse=True,
                             children=[_Block("note", f"None: {why}.")]))
    for key, heading in _SECTIONS:
        k = sum(f.section == key for f in figs)
        if k:
            blocks.append(_Block("group", f"{heading} ({k} figure{'s' if k != 1 else ''})", collapse=True,
                                 children=[_Block("figures", key)]))
    blocks.append(_Block("group", "Fitted rates", collapse=True, children=[_table_block("", T.rate_table(rates))]))
    blocks.append(_Block("group", "L2 error on the inner region at the largest n (median [min–max] over seeds)",
                         collapse=True, children=[_table_block("", T.error_table(done), note=_ERROR_NOTE)]))
    blocks.append(_Block("group", "Linf error on the inner region of each method over Waldron's bound ½·M·R² of the "
                         "Delaunay triangulation, at the largest n (median)", collapse=True,
                         children=[_table_block("", T.bound_table(done))]))
    defs = [("metrics", _METRICS_NOTE)] + _end_state_defs(df)
    blocks += [_Block("h2", "Definitions", anchor="definitions"), _Block("defs", items=defs)]
    versions = manifest.get("environment", {}).get("versions", {})
    devices = sorted({str(d) for d in df["device"].dropna().unique()}) if not df.empty else []
    run = [_Block("note", f"Created {manifest.get('created', '')}; report generated {time.strftime('%Y-%m-%d %H:%M:%S')}. "
                  f"Devices: {', '.join(devices) or '–'}. Versions: "
                  + ", ".join(f"{k} {v}" for k, v in versions.items() if v)
                  + f". Seed policy: {manifest.get('seed_policy', '')}. {size_note}"),
           _table_block("Tasks per method", T.status_table(df)),
           _table_block("Timings", T.timing_table(df) if not df.empty else None)]
    failures = T.failure_table(df)
    if not failures.empty:
        run.append(_table_block("Failed tasks (first 20)", failures))
    blocks.append(_Block("group", "The run: tasks, timings, versions", collapse=True, children=run))
    return blocks


def _html_blocks(blocks, figs, esc=html.escape) -> list:
    from . import _tables as T

    out: list[str] = []
    for b in blocks:
        aid = f" id='{esc(b.anchor)}'" if b.anchor else ""
        if b.kind == "summary":
            first, rest = (b.items[0], b.items[1:]) if b.items else ("", [])
            lead = f"<span class='partial'>{esc(first)}</span>" if b.partial else esc(first)
            out.append(f"<p class='summary{' partial' if b.partial else ''}' id='summary'>{lead} "
                       + " ".join(esc(x) for x in rest) + "</p>")
        elif b.kind == "h2":
            out.append(f"<h2{aid}>{esc(b.text)}</h2>")
        elif b.kind == "p":
            out.append(f"<p{aid}>{esc(b.text)}</p>")
        elif b.kind == "note":
            out.append(f"<p class='note'{aid}>{esc(b.text)}</p>")
        elif b.kind == "list":
            out.append("<ul>" + "".join(
                f"<li>{esc(t)}" + (f" <a href='#{esc(ref)}'>[{esc(ref)}]</a>" if ref else "") + "</li>"
                for t, ref in b.items) + "</ul>")
        elif b.kind == "table":
            head = f"<h3{aid}>{esc(b.text)}</h3>" if b.text else (f"<a{aid}></a>" if aid else "")
            note = "".join(f"<p class='note'>{esc(n)}</p>" for n in b.items)
            out.append(head + note + T.to_html(b.table))
        elif b.kind == "figures":
            for f in (f for f in figs if f.section == b.text):
                out.append(f"<figure><img alt='{esc(f.caption[:80])}' src='data:image/png;base64,{_b64(f.png)}'>"
                           f"<figcaption>{esc(f.caption)}</figcaption></figure>")
        elif b.kind == "defs":
            out.append("<dl class='defs'>" + "".join(f"<dt>{esc(t)}</dt><dd>{esc(d)}</dd>" for t, d in b.items)
                       + "</dl>")
        elif b.kind == "group":
            inner = "\n".join(_html_blocks(b.children, figs, esc))
            rows = sum(len(c.table) for c in b.children if c.kind == "table" and c.table is not None)
            collapse = b.collapse if b.collapse is not None else rows > _LONG_TABLE
            out.append(f"<details{aid}{'' if collapse else ' open'}><summary>{esc(b.text)}</summary>\n{inner}\n"
                       "</details>")
    return out


def _html_page(manifest, blocks, figs) -> str:
    esc = html.escape
    name = manifest.get("study", "study")
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>geoquant report: {esc(name)}</title><style>{_CSS}</style></head><body>",
        f"<h1>geoquant study report: {esc(name)}</h1>",
        *_html_blocks(blocks, figs),
        "</body></html>",
    ]
    return "\n".join(parts)


def _md_blocks(blocks, level: int = 2) -> list:
    from . import _tables as T

    out: list[str] = []
    for b in blocks:
        if b.html_only:
            continue
        if b.kind == "summary":
            out += [("**" + T.md_escape(b.items[0]) + "**" if b.partial else T.md_escape(b.items[0]))
                    + (" " + " ".join(T.md_escape(x) for x in b.items[1:]) if len(b.items) > 1 else ""), ""]
        elif b.kind == "h2":
            out += [f"{'#' * level} {T.md_escape(b.text)}", ""]
        elif b.kind in ("p", "note"):
            out += [T.md_escape(b.text), ""]
        elif b.kind == "list":
            out += [f"- {T.md_escape(t)}" + (f" [{ref}]" if ref else "") for t, ref in b.items] + [""]
        elif b.kind == "table":
            if b.text:
                out += [f"{'#' * (level + 1)} {T.md_escape(b.text)}", ""]
            out += [T.md_escape(n) for n in b.items] + ([""] if b.items else [])
            out += [T.to_markdown(b.table)]
        elif b.kind == "defs":
            out += [f"- **{T.md_escape(t)}**: {T.md_escape(d)}" for t, d in b.items] + [""]
        elif b.kind == "group":
            children = [c for c in b.children if c.kind != "figures"]
            if not children:
                continue
            out += [f"{'#' * level} {T.md_escape(b.text)}", ""] + _md_blocks(children, level + 1)
    return out


def _markdown(manifest, blocks, html_path, used_dpi, dropped) -> str:
    from . import _tables as T

    name = manifest.get("study", "study")
    lines = [f"# geoquant study: {T.md_escape(name)}", ""]
    lines += _md_blocks(blocks[:1])
    lines += [f"Full report with figures: [{html_path.name}]({html_path.name}) (self-contained HTML, figures at "
              f"{used_dpi} dpi" + (f", {dropped} gallery figures left out for size" if dropped else "") + ").", ""]
    lines += _md_blocks(blocks[1:])
    return "\n".join(lines) + "\n"
