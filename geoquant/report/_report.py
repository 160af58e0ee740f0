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

import base64
import html
import io
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InvalidInputError

__all__ = ["make_report", "Report"]

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:1.5em auto;max-width:1200px;
color:#222;line-height:1.4;padding:0 1em}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
table.tbl{border-collapse:collapse;font-size:.82em;margin:.6em 0}
table.tbl td,table.tbl th{border:1px solid #ddd;padding:.2em .5em;text-align:right}
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
    """

    html: Path
    markdown: Path
    n_figures: int
    size_bytes: int
    dpi: int
    dropped: int = 0


@dataclass
class _Figure:
    section: str
    caption: str
    build: object  # callable () -> Figure
    optional: bool = False  # may be dropped to respect the size cap
    png: bytes = b""


def _render(fig_spec: _Figure, dpi: int) -> bytes:
    import matplotlib.pyplot as plt

    fig = fig_spec.build()
    if fig is None:
        return b""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)  # layouts are set by the builders (no second "tight" draw)
    plt.close(fig)
    return buf.getvalue()


def _load_cases(study_dir, df):
    """Gallery cases: (target, dim, sampler, n, seed) -> {label: {family, name, arrays}}."""
    from ..compare import load_gallery

    cases = {}
    d = df[(df["status"] == "done") & df["gallery_file"].notna()]
    for _, r in d.iterrows():
        key = (r["target"], int(r["dim"]), r["sampler"], int(r["n"]), int(r["seed"]))
        if r["restart"] != 0:
            continue
        cases.setdefault(key, {})[r["method"]] = {
            "family": r["family"],
            "name": r["method_name"],
            "arrays": load_gallery(study_dir, r["gallery_file"]),
        }
    return cases


def _pick_gallery(cases: dict, per_target: int):
    """Per (target, dim, sampler): the smallest and largest n (up to ``per_target`` sizes)."""
    by = {}
    for key in sorted(cases):
        by.setdefault(key[:3], []).append(key)
    out = []
    for group, keys in by.items():
        seed0 = min(k[4] for k in keys)
        keys = sorted(k for k in keys if k[4] == seed0)
        ns = sorted({k[3] for k in keys})
        if len(ns) > per_target:
            idx = np.unique(np.round(np.linspace(0, len(ns) - 1, per_target)).astype(int))
            ns = [ns[i] for i in idx]
        out.extend(k for k in keys if k[3] in ns)
    return out


def make_report(study_dir, out_dir, *, max_bytes: int = 5_000_000, dpi: int = 90, gallery_per_target: int = 2,
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

    from ..compare import fit_rates, load_results
    from . import _figures as F
    from . import _tables as T

    study_dir = Path(study_dir)
    if not (study_dir / "manifest.json").is_file():
        raise InvalidInputError(f"'study_dir' must be a study directory (with manifest.json), found {str(study_dir)!r}")
    if max_bytes < 100_000:
        raise InvalidInputError(f"'max_bytes' must be >= 100000, found {max_bytes}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = json.loads((study_dir / "manifest.json").read_text())
    df = load_results(study_dir)
    done = df[df["status"] == "done"]
    labels = done.groupby("method")["method_name"].first().to_dict() if not done.empty else {}
    colors = F.method_colors(labels)

    rates = {m: fit_rates(done, m) for m in T.RATE_METRICS}
    rate_lookup = {}
    for metric, r in rates.items():
        for _, row in r.iterrows():
            rate_lookup[(row["target"], row["dim"], row["sampler"], row["method"], metric)] = (
                row["slope_mean"], row["slope_std"])

    figs: list[_Figure] = []
    groups = sorted(done.groupby(["target", "dim", "sampler"]).groups) if not done.empty else []
    for tgt, dim, smp in groups:
        sub = done[(done["target"] == tgt) & (done["dim"] == dim) & (done["sampler"] == smp)]
        rl = {(k[3], k[4]): v for k, v in rate_lookup.items() if k[:3] == (tgt, dim, smp)}
        title = f"{tgt} ({dim}D, {smp} samples)"
        figs.append(_Figure("rates", f"Error against n, {title}: median over seeds, band = min–max over seeds; "
                            "legend: fitted rate (log-log slope per seed, mean ± std).",
                            lambda sub=sub, rl=rl, title=title: F.fig_error_vs_n(sub, rl, colors, title)))
        figs.append(_Figure("bounds", f"Linf error on the inner region over Waldron's bound ½·M·R² of the Delaunay "
                            f"triangulation, {title}. Delaunay must stay below 1.",
                            lambda sub=sub, title=title: F.fig_bound_ratio(sub, colors, title)))
    cases = _load_cases(study_dir, df)
    for key in _pick_gallery(cases, gallery_per_target):
        tgt, dim, smp, n, seed = key
        case = cases[key]
        title = f"{tgt} {dim}D, {smp}, n={n}, seed {seed}"
        if dim == 1:
            figs.append(_Figure("gallery", f"{title}: fits (top; triangles = network kinks) and |f − g| (bottom).",
                                lambda case=case, title=title: F.fig_gallery_1d(case, colors, title), optional=True))
        elif dim == 2:
            figs.append(_Figure("gallery", f"{title}: |f − g| per method with triangles (piecewise-linear methods) or "
                                "breaklines (networks; width ∝ gradient jump); dotted box = inner region.",
                                lambda case=case, title=title: F.fig_gallery_2d(case, colors, title), optional=True))
        if any("state_W" in c["arrays"] for c in case.values()):
            figs.append(_Figure("quantization", f"{title}: neuron geometry of the networks / theory engine.",
                                lambda case=case, title=title: F.fig_quantization(case, colors, title),
                                optional=True))

    bar = tqdm(total=len(figs), desc="report figures", disable=(not progress) if progress is not None else None)

    def render(f, d):
        out = _render(f, d)
        bar.update(1)
        return out

    used_dpi, dropped = _apply_size_cap(figs, render, dpi=dpi, max_bytes=max_bytes)
    bar.close()
    figs = [f for f in figs if f.png]

    tables = {
        "rates": T.rate_table(rates),
        "bounds": T.bound_table(done),
        "errors": T.error_table(done),
        "status": T.status_table(df),
        "training": T.training_table(df),
        "timing": T.timing_table(df) if not df.empty else None,
        "failures": T.failure_table(df),
    }
    page = _html_page(manifest, df, figs, tables, used_dpi, dpi, dropped, max_bytes)
    html_path = out_dir / "index.html"
    html_path.write_text(page, encoding="utf-8")
    md_path = out_dir / "summary.md"
    md_path.write_text(_markdown(manifest, df, tables, html_path, used_dpi, dropped), encoding="utf-8")
    return Report(html_path, md_path, len(figs), html_path.stat().st_size, used_dpi, dropped)


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
    "for small n, sampled above). Rates are least-squares slopes of log(error) against log(n) per seed, reported as "
    "mean ± std over seeds (in parentheses the number of seeds)."
)


def _b64(png: bytes) -> str:
    return base64.b64encode(png).decode("ascii")


def _html_page(manifest, df, figs, tables, used_dpi, dpi, dropped, max_bytes):
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
        f"<p class='note'>{n_done} task(s) done, {n_failed} failed, of {manifest.get('n_tasks', '?')} in the spec. "
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
    parts.append(f"<p class='note'>{esc(size_note)}</p>")
    parts.append(f"<p class='note'>{_METRICS_NOTE}</p>")
    parts.append("<h2>Fitted rates</h2>" + T.to_html(tables["rates"]))
    parts.append("<h2>L2 error on the inner region at the largest n (median [min–max] over seeds)</h2>"
                 + T.to_html(tables["errors"]))
    parts.append("<h2>Linf / Waldron bound of Delaunay on the inner region at the largest n (median)</h2>"
                 + T.to_html(tables["bounds"]))
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
    parts.append("<h2>Training state of the networks</h2><p>Medians over seeds; fit_l2 = L2(I_Delaunay(f_net(X)) - f), "
                 "between_l2 = L2(f_net - I_Delaunay(f_net(X))), nearest_l2 = min over fine triangulations "
                 "(* = flip-walk local minimum, not exact).</p>" + T.to_html(tables["training"]))
    parts.append("<h2>Tasks per method</h2>" + T.to_html(tables["status"]))
    parts.append("<h2>Timings</h2>" + T.to_html(tables["timing"]))
    if not tables["failures"].empty:
        parts.append("<h2>Failed tasks (first 20)</h2>" + T.to_html(tables["failures"]))
    parts.append("</body></html>")
    return "\n".join(parts)


def _markdown(manifest, df, tables, html_path, used_dpi, dropped):
    from . import _tables as T

    name = manifest.get("study", "study")
    n_done = int((df["status"] == "done").sum()) if not df.empty else 0
    n_failed = int((df["status"] != "done").sum()) if not df.empty else 0
    lines = [
        f"# geoquant study: {name}",
        "",
        f"{n_done} task(s) done, {n_failed} failed, of {manifest.get('n_tasks', '?')}. "
        f"Full report with figures: [{html_path.name}]({html_path.name}) (self-contained HTML, figures at {used_dpi} dpi"
        + (f", {dropped} gallery figures left out for size" if dropped else "") + ").",
        "",
        "Rates: least-squares slope of log(error) against log(n) per seed, mean ± std over seeds (number of seeds). "
        "`inner` = the target's box shrunk by the study's margin, intersected with the hull.",
        "",
        "## Fitted rates",
        "",
        T.to_markdown(tables["rates"]),
        "## L2 error on the inner region at the largest n",
        "",
        T.to_markdown(tables["errors"]),
        "## Linf / Waldron bound of Delaunay (inner region, largest n, median)",
        "",
        T.to_markdown(tables["bounds"]),
        "## Tasks per method",
        "",
        T.to_markdown(tables["status"]),
        "",
        "## Training state of the networks",
        "",
        "Medians over seeds; fit_l2 = L2(I_Delaunay(f_net(X)) - f), between_l2 = L2(f_net - I_Delaunay(f_net(X))), "
        "nearest_l2 = min over fine triangulations (* = flip-walk local minimum, not exact).",
        "",
        T.to_markdown(tables["training"]),
    ]
    if not tables["failures"].empty:
        lines += ["## Failed tasks (first 20)", "", T.to_markdown(tables["failures"])]
    return "\n".join(lines) + "\n"
