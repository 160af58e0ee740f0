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
import html
import io
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._fileio import atomic_write_bytes, storage_error
from ..compare._studydir import read_manifest
from ..errors import InvalidInputError

__all__ = ["make_report", "Report"]

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:1.5em auto;max-width:1200px;
color:#222;line-height:1.4;padding:0 1em}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
table.tbl{border-collapse:collapse;font-size:.82em;margin:.6em 0}
table.tbl td,table.tbl th{border:1px solid #ddd;padding:.2em .5em;text-align:right;white-space:nowrap}
table.tbl th{background:#f3f3f3}table.tbl td:first-child{text-align:left}
figure{margin:1em 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.85em;color:#555}.note{font-size:.85em;color:#555}
code{background:#f5f5f5;padding:0 .2em}
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

    # labels come from the study's files: text, never TeX ('$' in a method label stays a '$')
    with matplotlib.rc_context({"text.parse_math": False, "text.usetex": False}):
        fig = fig_spec.build()
        if fig is None:
            return b""
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi)  # layouts are set by the builders (no second "tight" draw)
        plt.close(fig)
    return buf.getvalue()


def _load_cases(study_dir, df, skipped: list):
    """Gallery cases: (target, dim, sampler, n, seed) -> {label: {family, name, arrays}}.

    A gallery file that cannot be read is left out and added to ``skipped``.
    """
    from ..compare import load_gallery
    from ..errors import GeoquantError

    cases: dict[tuple, dict[str, dict]] = {}
    d = df[(df["status"] == "done") & df["gallery_file"].notna()]
    for _, r in d.iterrows():
        key = (r.get("target_label", r["target"]), int(r["dim"]), r["sampler"], int(r["n"]), int(r["seed"]))
        if r["restart"] != 0:
            continue
        try:
            arrays = load_gallery(study_dir, r["gallery_file"])
        except GeoquantError as exc:
            skipped.append({"file": str(r["gallery_file"]), "reason": str(exc)})
            continue
        cases.setdefault(key, {})[r["method"]] = {"family": r["family"], "name": r["method_name"], "arrays": arrays}
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


def make_report(study_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str], *, max_bytes: int = 5_000_000, dpi: int = 90, gallery_per_target: int = 2,
                progress: bool | None = None) -> Report:
    """Write ``out_dir/index.html`` (self-contained) and ``out_dir/summary.md`` for a study.

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

    from ..compare import fit_rates, load_results, mark_pre_asymptotic, rate_self_check
    from . import _figures as F
    from . import _findings as FD
    from . import _gallery as G
    from . import _tables as T

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
    done = df[df["status"] == "done"]
    labels = done.groupby("method")["method_name"].first().to_dict() if not done.empty else {}
    colors = F.method_colors(labels)

    findings = FD.compute_findings(df)
    rates = {m: fit_rates(done, m) for m in T.RATE_METRICS if m in done.columns}
    # the Delaunay self-check of the first rate metric marks every rate of a failing case pre-asymptotic
    check = rate_self_check(next(iter(rates.values()))) if rates else None
    if check is not None:
        rates = {m: mark_pre_asymptotic(r, check) for m, r in rates.items()}
    keys = FD.case_columns(done) if not done.empty else []
    rate_lookup = {}
    for metric, r in rates.items():
        for _, row in r.iterrows():
            rate_lookup[tuple(row[k] for k in keys) + (row["method"], metric)] = (
                row["slope_mean"], row["slope_lo"], row["slope_hi"], bool(row.get("pre_asymptotic", False)))

    figs: list[_Figure] = []
    groups = sorted(done.groupby(keys).groups) if not done.empty else []
    for key in groups:
        key = key if isinstance(key, tuple) else (key,)
        mask = np.ones(len(done), bool)
        for k, v in zip(keys, key):
            mask &= (done[k] == v).values
        sub = done[mask]
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
        figs.append(_Figure("bounds", f"Linf error on the inner region over Waldron's bound ½·M·R² of the Delaunay "
                            f"triangulation, {title}. Delaunay must stay below 1.",
                            lambda sub=sub, title=title: F.fig_bound_ratio(sub, colors, title)))
        figs.append(_Figure("distances", f"Networks against triangulations, {title}: each network's L2 distance to "
                            "the Delaunay interpolant of its own values at the data (between_l2, circles) and to its "
                            "nearest fine triangulation (nearest_l2, triangles) against its L2 error; filled = "
                            "interpolating (train RMSE ≤ 1e-3 std(y)), hollow = not; dashed: distance = error.",
                            lambda sub=sub, title=title: F.fig_network_distances(sub, colors, title)))
        figs.append(_Figure("regime", f"Regime, {title}: L2 error and final training loss of the small-init "
                            "networks against init scale (median over seeds), from the kernel regime (large) to "
                            "quantisation (small).",
                            lambda sub=sub, title=title: F.fig_regime(sub, colors, title)))
    cases = _load_cases(study_dir, df, skipped)
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

    bar = tqdm(total=len(figs), desc="report figures", disable=(not progress) if progress is not None else None)

    def render(f, d):
        out = _render(f, d)
        bar.update(1)
        return out

    used_dpi, dropped = _apply_size_cap(figs, render, dpi=dpi, max_bytes=max_bytes)
    bar.close()
    figs = [f for f in figs if f.png]

    nets = done[done["family"] == "network"] if not done.empty else done
    tables = {
        "findings": findings,
        "has_networks": not nets.empty,
        "training": FD.training_state_table(nets) if not nets.empty else None,
        "training_regime": FD.training_state_by_regime(nets) if not nets.empty else None,
        "rates": T.rate_table(rates),
        "bounds": T.bound_table(done),
        "errors": T.error_table(done),
        "status": T.status_table(df),
        "training_detail": T.training_table(df),
        "timing": T.timing_table(df) if not df.empty else None,
        "failures": T.failure_table(df),
    }
    page = _html_page(manifest, df, figs, tables, used_dpi, dpi, dropped, max_bytes, skipped)
    html_path = out_dir / "index.html"
    md_path = out_dir / "summary.md"
    # atomic: a full disk or a kill leaves the previous report in place, never a truncated one
    atomic_write_bytes(html_path, page.encode("utf-8"))
    atomic_write_bytes(md_path, _markdown(manifest, df, tables, html_path, used_dpi, dropped, skipped).encode("utf-8"))
    return Report(html_path, md_path, len(figs), len(page.encode("utf-8")), used_dpi, dropped, skipped)


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


_SECTIONS = [
    ("rates", "Error against n and fitted rates"),
    ("bounds", "Errors relative to Waldron's bound"),
    ("distances", "Networks against triangulations"),
    ("regime", "Regime: error and training loss against init scale"),
    ("gallery", "Gallery"),
    ("quantization", "Quantization: neuron geometry"),
]

_METRICS_NOTE = (
    "Errors are measured on the convex hull of the samples (<code>hull</code>) and on the <code>inner</code> region "
    "(the target's box shrunk by the study's margin, intersected with the hull), where thin hull triangles along the "
    "boundary do not dominate. Piecewise-linear methods: exact per-simplex Grundmann–Möller quadrature "
    "(<code>interpolation_error</code>; inner region: their simplices clipped to the box). Other methods: the same "
    "rule on uniformly refined Delaunay simplices applied to (f − g)²; Linf on a barycentric lattice (a lower bound). "
    "<code>triangulation_mean</code> is the root of the mean squared L2 error over all fine triangulations (exact "
    "for small n, sampled above). <code>rms_&lt;region&gt;</code> = L2 / sqrt(volume of the region); "
    "<code>rms_inner</code> is kept only where the inner region is the whole inner box (the hull contains it, e.g. "
    "when the sampler includes the box's corners), so it is the same region for every n. Rates are least-squares "
    "slopes of log(error) against log(n) per seed, reported as the mean over seeds with its percentile-bootstrap 95% "
    "interval (in parentheses the number of seeds). Self-check: Delaunay's slope of rms_inner must lie in "
    "[-2.2, -1.8] in 1D and [-1.1, -0.9] in 2D with a 95% half-width below 0.1, else every rate of that case is "
    "marked pre-asymptotic."
)


def _b64(png: bytes) -> str:
    return base64.b64encode(png).decode("ascii")


def _skipped_lines(skipped, limit: int = 20) -> list:
    lines = [f"{d['file']}: {d['reason']}" for d in skipped[:limit]]
    if len(skipped) > limit:
        lines.append(f"... and {len(skipped) - limit} more")
    return lines


def _html_page(manifest, df, figs, tables, used_dpi, dpi, dropped, max_bytes, skipped=()):
    from . import _tables as T

    esc = html.escape
    name = manifest.get("study", "study")
    versions = manifest.get("environment", {}).get("versions", {})
    devices = sorted({str(d) for d in df["device"].dropna().unique()}) if not df.empty else []
    n_done = int((df["status"] == "done").sum()) if not df.empty else 0
    n_failed = int((df["status"] != "done").sum()) if not df.empty else 0
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>geoquant report: {esc(name)}</title><style>{_CSS}</style></head><body>",
        f"<h1>geoquant study report: {esc(name)}</h1>",
    ]
    if manifest.get("description"):
        parts.append(f"<p>{esc(manifest['description'])}</p>")
    parts.append(
        f"<p class='note'>{n_done} task(s) done, {n_failed} failed, of {esc(str(manifest.get('n_tasks', '?')))} in "
        "the spec. "
        f"Created {esc(str(manifest.get('created', '')))}; report generated {esc(time.strftime('%Y-%m-%d %H:%M:%S'))}. "
        f"Devices: {esc(', '.join(devices) or '–')}. Versions: "
        + esc(", ".join(f"{k} {v}" for k, v in versions.items() if v))
        + f".<br>Seed policy: {esc(str(manifest.get('seed_policy', '')))}</p>"
    )
    size_note = (
        f"Figures are PNG images embedded as base64 at {used_dpi} dpi"
        + (f" (downscaled from {dpi} dpi)" if used_dpi != dpi else "")
        + f" so that this page stays under {max_bytes / 1e6:.1f} MB"
        + (f"; {dropped} gallery figure(s) were left out to respect that cap" if dropped else "")
        + ". The report reads stored results only."
    )
    if skipped:
        parts.append(f"<p class='note'><b>Skipped {len(skipped)} damaged file(s)</b> (left out of every table and "
                     "figure; a rerun of the study moves them to <code>quarantine/</code> and reruns their tasks):"
                     "<br>" + "<br>".join(esc(line) for line in _skipped_lines(list(skipped))) + "</p>")
    parts.append(_findings_html(tables["findings"]))
    parts.append(_training_html(tables))
    for key, heading in _SECTIONS:
        sec = [f for f in figs if f.section == key]
        if not sec:
            continue
        parts.append(f"<h2>{esc(heading)}</h2>")
        for f in sec:
            parts.append(
                f"<figure><img alt='{esc(f.caption[:80])}' src='data:image/png;base64,{_b64(f.png)}'>"
                f"<figcaption>{esc(f.caption)}</figcaption></figure>"
            )
    parts.append("<h2>Fitted rates</h2>" + T.to_html(tables["rates"]))
    parts.append("<h2>L2 error on the inner region at the largest n (median [min–max] over seeds)</h2>"
                 f"<p class='note'>{esc(_ERROR_NOTE)}</p>" + T.to_html(tables["errors"]))
    parts.append("<h2>Linf / Waldron bound of Delaunay on the inner region at the largest n (median)</h2>"
                 + T.to_html(tables["bounds"]))
    parts.append(f"<h2>How the numbers are measured</h2><p class='note'>{_METRICS_NOTE}</p>")
    parts.append(f"<p class='note'>{esc(size_note)}</p>")
    parts.append("<h2>Tasks per method</h2>" + T.to_html(tables["status"]))
    parts.append("<h2>Timings</h2>" + T.to_html(tables["timing"]))
    if not tables["failures"].empty:
        parts.append("<h2>Failed tasks (first 20)</h2>" + T.to_html(tables["failures"]))
    parts.append("</body></html>")
    return "\n".join(parts)


def _findings_html(findings) -> str:
    """The findings section: the sentences, each linked to the table it is read from, then the tables."""
    from . import _tables as T

    esc = html.escape
    out = ["<h2 id='findings'>Findings</h2>",
           "<p class='note'>Written from the results below; each sentence names the table (F1…) holding its "
           "numbers. Intervals are over seeds (each seed is a different sample, shared by all methods).</p><ul>"]
    for f in findings.items:
        ref = f" <a href='#{f.table}'>[{f.table}]</a>" if f.table else ""
        out.append(f"<li>{esc(f.text)}{ref}</li>")
    out.append("</ul>")
    for tid, (title, t) in findings.tables.items():
        out.append(f"<h3 id='{tid}'>{tid}. {esc(title)}</h3>" + T.to_html(t))
    return "\n".join(out)


_ERROR_NOTE = ("* = heuristic entries (not exact). Network entries end with where training ended over the seeds: "
               "i = interpolating, s = stationary, u = unstable, b = budget (e.g. i2 s1).")

_DETAIL_NOTE = ("Medians over seeds; fit_l2 = L2(I_Delaunay(f_net(X)) - f), between_l2 = L2(f_net - I_Delaunay(f_net(X))), "
                "nearest_l2 = min over fine triangulations T of L2(f_net - I_T(f_net(X))) (* = flip-walk local minimum, "
                "not exact).")


def _training_html(tables) -> str:
    from . import _tables as T

    t, tr = tables.get("training"), tables.get("training_regime")
    if t is None and tr is None:
        why = ("the study trains no network" if not tables.get("has_networks") else
               "not measured in this study (the results hold no train_status)")
        return f"<h2>Training state of the networks</h2><p class='note'>None: {why}.</p>"
    out = ["<h2>Training state of the networks</h2>",
           "<p class='note'>interpolating: train RMSE ≤ 1e-3·std(y); stationary: gradient norm below tolerance with "
           "the loss above it; unstable: the loss rose between records; budget: still moving when the steps ran "
           "out.</p>", T.to_html(t)]
    if tr is not None:
        out.append("<h3>Per regime (init scale, width, step size) and n</h3>" + T.to_html(tr))
    detail = tables.get("training_detail")
    if detail is not None and not detail.empty:
        out.append("<h3>Network errors beside training state and distances to triangulations (per case)</h3>"
                   f"<p class='note'>{html.escape(_DETAIL_NOTE)}</p>" + T.to_html(detail))
    return "\n".join(out)


def _findings_markdown(findings) -> list:
    from . import _tables as T

    lines = ["## Findings", ""]
    for f in findings.items:
        lines.append(f"- {T.md_escape(f.text)}" + (f" [{f.table}]" if f.table else ""))
    lines.append("")
    for tid, (title, t) in findings.tables.items():
        lines += [f"### {tid}. {T.md_escape(title)}", "", T.to_markdown(t)]
    return lines


def _markdown(manifest, df, tables, html_path, used_dpi, dropped, skipped=()):
    from . import _tables as T

    name = manifest.get("study", "study")
    n_done = int((df["status"] == "done").sum()) if not df.empty else 0
    n_failed = int((df["status"] != "done").sum()) if not df.empty else 0
    lines = [
        f"# geoquant study: {T.md_escape(name)}",
        "",
        f"{n_done} task(s) done, {n_failed} failed, of {T.md_escape(manifest.get('n_tasks', '?'))}. "
        f"Full report with figures: [{html_path.name}]({html_path.name}) (self-contained HTML, figures at {used_dpi} dpi"
        + (f", {dropped} gallery figures left out for size" if dropped else "") + ").",
        "",
        "Rates: least-squares slope of log(error) against log(n) per seed; mean over seeds [bootstrap 95% interval] "
        "(number of seeds); \"pre-asymptotic\" where Delaunay's slope fails the self-check ([-2.2, -1.8] in 1D, "
        "[-1.1, -0.9] in 2D, half-width < 0.1). `inner` = the target's box shrunk by the study's margin, intersected "
        "with the hull; `rms_*` = L2 / sqrt(volume).",
        "",
    ]
    if skipped:
        lines += [f"**Skipped {len(skipped)} damaged file(s)** (left out; a rerun of the study quarantines them and "
                  "reruns their tasks):", ""] + [f"- {T.md_escape(line)}" for line in _skipped_lines(list(skipped))] + [""]
    lines += [
        *_findings_markdown(tables["findings"]),
        "## Training state of the networks",
        "",
        T.to_markdown(tables["training"]) if tables["training"] is not None else "_(not measured in this study)_\n",
        "## Fitted rates",
        "",
        T.to_markdown(tables["rates"]),
        "## L2 error on the inner region at the largest n",
        "",
        _ERROR_NOTE,
        "",
        T.to_markdown(tables["errors"]),
        "## Linf / Waldron bound of Delaunay (inner region, largest n, median)",
        "",
        T.to_markdown(tables["bounds"]),
        "## Tasks per method",
        "",
        T.to_markdown(tables["status"]),
        "",
        "## Network errors beside training state and distances to triangulations (per case)",
        "",
        _DETAIL_NOTE,
        "",
        T.to_markdown(tables["training_detail"]),
    ]
    if not tables["failures"].empty:
        lines += ["## Failed tasks (first 20)", "", T.to_markdown(tables["failures"])]
    return "\n".join(lines) + "\n"
