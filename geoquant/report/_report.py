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

import io
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .._fileio import atomic_write_bytes, storage_error
from ..study import read_manifest
from ..errors import InvalidInputError
from ..nn import INTERPOLATION_RTOL
from ._content import report_blocks
from ._document import Block, to_html, to_markdown
from ._cases import case_columns, oracle_mask
from ._tags import trains_mask

if TYPE_CHECKING:
    import pandas as pd

    from ._summary import Summary

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


def mathsafe(text: Any) -> Any:
    """``text`` as matplotlib draws it literally: every ``$`` escaped (``\\$``), so a label from a study's files
    never starts mathtext. Non-strings pass through."""
    return text.replace("$", "\\$") if isinstance(text, str) else text


#: label columns of the results that reach figures (method, target and sampler names from the spec)
_LABEL_COLUMNS = ("method", "method_name", "target", "target_label", "sampler")


def mathsafe_frame(df: pd.DataFrame) -> pd.DataFrame:
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


def _load_cases(study_dir: Path, df: pd.DataFrame, skipped: list) -> dict[tuple, dict[str, dict]]:
    """Gallery cases: (target, dim, sampler, n, seed) -> {label: {family, name, arrays}}.

    A gallery file that cannot be read is left out and added to ``skipped``.
    """
    from ..study import load_gallery
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


def _pick_gallery(cases: dict, per_target: int) -> list[tuple]:
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
        A study directory written by :func:`geoquant.study.run_study`.
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

    from ..study import load_results
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

    def render(f: _Figure, d: int) -> bytes:
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
    html_path = out_dir / "index.html"
    md_path = out_dir / "summary.md"
    page_link = Block.link("Full report with figures: ", html_path.name, html_path.name,
                           f" (self-contained HTML, figures at {used_dpi} dpi"
                           + (f", {dropped} gallery figures left out for size" if dropped else "") + ").",
                           only="markdown")
    blocks = report_blocks(manifest, df, summary, findings, rates, figs, skipped, size_note=size_note,
                           page_link=page_link)
    page = to_html(blocks, figs, title=blocks[0].text, css=_CSS)
    # atomic: a full disk or a kill leaves the previous report in place, never a truncated one
    atomic_write_bytes(html_path, page.encode("utf-8"))
    atomic_write_bytes(md_path, to_markdown(blocks).encode("utf-8"))
    return Report(html_path, md_path, len(figs), len(page.encode("utf-8")), used_dpi, dropped, skipped)


def _case_mask(done: pd.DataFrame, keys: list, key: tuple) -> np.ndarray:
    mask = np.ones(len(done), bool)
    for k, v in zip(keys, key):
        mask &= (done[k] == v).values
    return mask


def _rates(done: pd.DataFrame) -> dict:
    """metric -> fitted rates (:func:`geoquant.compare.fit_rates`) of each rate metric, every rate of a case that
    fails the Delaunay self-check (of the first metric) marked pre-asymptotic."""
    from ..compare import fit_rates, mark_pre_asymptotic, rate_self_check
    from . import _tables as T

    rates = {m: fit_rates(done, m) for m in T.RATE_METRICS if m in done.columns}
    check = rate_self_check(next(iter(rates.values()))) if rates else None
    if check is not None:
        rates = {m: mark_pre_asymptotic(r, check) for m, r in rates.items()}
    return rates


def _figures(study_dir: Path, fdf: pd.DataFrame, summary: Summary, rates: dict, gallery_per_target: int,
             skipped: list) -> list[_Figure]:
    """Every figure of the report (unrendered): the key figures first, then those per case and the gallery."""
    from . import _figures as F
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

    keys = case_columns(done) if not done.empty else []
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


def _page_bytes(figs: list[_Figure]) -> int:
    return sum(len(f.png) * 4 // 3 + 200 for f in figs) + _TEXT_BUDGET  # base64 is 4/3 of the PNG


def _apply_size_cap(figs: list[_Figure], render: Callable[[_Figure, int], bytes], *, dpi: int,
                    max_bytes: int) -> tuple[int, int]:
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
