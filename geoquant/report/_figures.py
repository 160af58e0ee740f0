"""Figures of a study report (matplotlib, Agg), drawn from stored results only.

Every builder takes plain data (DataFrames from :func:`geoquant.study.load_results`
and gallery arrays from the ``.npz`` files) and returns a matplotlib Figure.
Nothing here fits a method or integrates an error: the gallery (``_gallery``) draws the
predictions the study stored on its plotting grid; the only computation is
locating a network's kinks/breaklines from its stored weights (a few hundred
neurons).
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np

from ._tags import family_rank, trains_mask

__all__ = [
    "method_colors",
    "fig_error_vs_n",
    "fig_bound_ratio",
]

#: Colours of the shipped methods, fixed across every figure of a report.
_PREFERRED = {
    "delaunay": "#1f77b4",
    "triangulation_best": "#2ca02c",
    "triangulation_worst": "#d62728",
    "triangulation_mean": "#bcbd22",
    "triangulation_random": "#7f7f7f",
    "data_dependent": "#17becf",
    "network_small": "#e6550d",
    "network_standard": "#fdae6b",
    "theory": "#9467bd",
    "clough_tocher": "#8c564b",
    "cubic_spline": "#c49c94",
    "rbf": "#e377c2",
    "knn": "#393b79",
    "gp": "#637939",
    "kernel_ridge": "#843c39",
}
#: Lines per panel of the small multiples.
MAX_LINES = 6
_LEGEND_IN = 3.3  # inches right of the panels kept for the legend


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _plain_log(ax, which="xy"):
    """Log axes with plain tick labels and several labelled ticks per decade: 1, 2, 5 x 10^k
    (evenly spaced round values below 0.7 decades; one per decade beyond 3.5 decades, where
    more labels would overlap). Call after the limits are set."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    fmt = FuncFormatter(lambda v, _: f"{v:g}")
    for name in which:
        axis = ax.xaxis if name == "x" else ax.yaxis
        if axis.get_scale() != "log":
            continue
        lo, hi = sorted(ax.get_xlim() if name == "x" else ax.get_ylim())
        decades = np.log10(hi / lo) if lo > 0 and hi > lo else 1.0
        subs = (1.0, 2.0, 5.0) if decades <= 3.5 else (1.0,)
        if decades < 0.7:  # a narrow range holds at most one 1..9 x 10^k: evenly spaced round values instead
            from matplotlib.ticker import MaxNLocator

            axis.set_major_locator(MaxNLocator(nbins=4))
        else:  # beyond 8 decades the locator labels every 2nd, 3rd... decade (at most about 8 labels)
            axis.set_major_locator(LogLocator(base=10, subs=subs, numticks=9 if decades > 8 else None))
        axis.set_major_formatter(fmt)
        axis.set_minor_formatter(NullFormatter())


def plain_log_axes(fig) -> None:
    """Every log axis of ``fig`` still on matplotlib's mathtext tick labels gets plain ones (:func:`_plain_log`):
    a report's tick labels read as numbers whichever builder drew the axes."""
    from matplotlib.ticker import LogFormatter

    for ax in fig.axes:
        for name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
            if axis.get_scale() == "log" and isinstance(axis.get_major_formatter(), LogFormatter):
                _plain_log(ax, name)


def _n_ticks(ax, ns):
    """Label the sample sizes themselves on a log n axis."""
    ns = sorted({int(v) for v in ns})
    if len(ns) > 12:
        ns = ns[:: int(np.ceil(len(ns) / 12))]
    ax.set_xticks(ns)
    ax.set_xticklabels([str(v) for v in ns])
    ax.xaxis.set_minor_formatter(__import__("matplotlib.ticker", fromlist=["NullFormatter"]).NullFormatter())


def _palette():
    """Distinct colours for methods without a preferred one (tab20, tab20b, Dark2), the preferred ones removed."""
    from matplotlib import colormaps
    from matplotlib.colors import ListedColormap, to_hex

    taken = set(_PREFERRED.values())
    out = []
    for name in ("tab20", "tab20b", "Dark2", "Set1"):
        colors: Any = cast(ListedColormap, colormaps[name]).colors  # qualitative maps: a list of colours
        for c in colors:
            h = to_hex(c)
            if h not in taken and h not in out:
                out.append(h)
    return out


def method_colors(methods: dict) -> dict:
    """One fixed colour per method label, distinct from every other method's.

    Labels whose label or registry name has a preferred colour get it (once:
    a second label of the same method gets a spare colour); the others take
    spare colours in sorted order, never one of the preferred colours.

    Parameters
    ----------
    methods : dict
        label -> registry name.
    """
    out, used = {}, set()
    for label in sorted(methods):  # preferred colours first, label before registry name
        c = _PREFERRED.get(label)
        if c is not None and c not in used:
            out[label] = c
            used.add(c)
    for label in sorted(methods):
        c = _PREFERRED.get(methods[label])
        if label not in out and c is not None and c not in used:
            out[label] = c
            used.add(c)
    spare = [c for c in _palette() if c not in used]
    for label in sorted(methods):
        if label not in out:
            out[label] = spare.pop(0) if spare else "#000000"
    return out


def method_order(families: dict) -> list:
    """Method labels by family (display order, :func:`geoquant.report._tags.family_order`), then by label.

    Parameters
    ----------
    families : dict
        label -> family.
    """
    rank = family_rank(families.values())
    return sorted(families, key=lambda m: (rank[families[m]], m))


def panels_by_family(df, max_lines: int = MAX_LINES):
    """Split the methods of ``df`` into panels: one per family, at most ``max_lines`` methods each.

    Returns
    -------
    list of (title, [method, ...])
    """
    fam = df.groupby("method")["family"].first().to_dict()
    out = []
    for family in family_rank(fam.values()):
        ms = sorted(m for m in fam if fam[m] == family)
        chunks = [ms[i:i + max_lines] for i in range(0, len(ms), max_lines)]
        for k, chunk in enumerate(chunks):
            out.append((str(family) + (f" ({k + 1}/{len(chunks)})" if len(chunks) > 1 else ""), chunk))
    return out


def _exact_column(g):
    for col in ("exact", "info_exact"):
        if col in g.columns:
            return g[col].map(lambda v: True if v is None or (isinstance(v, float) and np.isnan(v)) else bool(v))
    return None


def _seed_curve(g, metric):
    """Median, min and max over seeds per n (restarts averaged first), and whether every row at n is exact."""
    per = g.groupby(["n", "seed"])[metric].mean()
    agg = per.groupby("n").agg(["median", "min", "max"]).sort_index()
    ex = _exact_column(g)
    exact = g.assign(_ex=ex).groupby("n")["_ex"].all().reindex(agg.index) if ex is not None else None
    return agg, (exact.fillna(True).astype(bool).values if exact is not None else np.ones(len(agg), bool))


def _draw_curve(ax, agg, exact, color, label):
    ax.fill_between(agg.index, agg["min"], agg["max"], color=color, alpha=0.15, lw=0)
    (line,) = ax.plot(agg.index, agg["median"], "-", color=color, lw=1.4, label=label)
    x, y = np.asarray(agg.index, float), agg["median"].values
    if exact.any():
        ax.plot(x[exact], y[exact], "o", color=color, ms=4.5)
    if (~exact).any():
        ax.plot(x[~exact], y[~exact], "o", color=color, mfc="white", mew=1.3, ms=5.5)
    return line


def _reference_slope(ax, ns, y0, dim):
    """Dashed grey line ``C n^(-2/d)`` through ``(min n, y0)``."""
    ns = np.array(sorted(ns), float)
    ref = y0 * (ns / ns[0]) ** (-2.0 / dim)
    (line,) = ax.plot(ns, ref, ls="--", color="0.45", lw=1.1, label=f"slope -2/d = {-2.0 / dim:+.2g}")
    return line


def fig_error_vs_n(df, rates: dict, colors: dict, title: str, metrics=("rms_inner", "linf_inner")):
    """Error against n, small multiples: one row per metric, one column per method family.

    Each panel holds at most :data:`MAX_LINES` methods: the median over seeds
    (restarts averaged), a band from the smallest to the largest seed, filled
    markers where every value is exact and hollow ones where some are
    heuristic, and the reference slope ``-2/d`` (dashed). The legend sits
    outside the panels, with each method's fitted rate of the first metric.

    Parameters
    ----------
    df : DataFrame
        Rows of one case (target, dim, sampler), status done.
    rates : dict
        ``(method, metric) -> (mean, lo, hi, pre_asymptotic)``: mean slope over seeds, its bootstrap 95%
        interval and the self-check's mark (:func:`geoquant.compare.fit_rates`).
    colors : dict
        Method label -> colour (:func:`method_colors`).
    title : str
    metrics : sequence of str
    """
    plt = _plt()
    metrics = [m for m in metrics if m in df.columns and (df[m] > 0).any()]
    panels = panels_by_family(df)
    dim = int(df["dim"].iloc[0])
    ns = sorted(df["n"].unique())
    nrow, ncol = max(len(metrics), 1), max(len(panels), 1)
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.3 * ncol + _LEGEND_IN + 0.3, 2.9 * nrow + 0.6), squeeze=False)
    handles: dict[str, Any] = {}
    for i, metric in enumerate(metrics):
        d = df[df[metric].notna() & (df[metric] > 0)]
        lo, hi = d[metric].min(), d[metric].max()
        for j, (ptitle, methods) in enumerate(panels):
            ax = axes[i, j]
            first = None
            for method in methods:
                g = d[d["method"] == method]
                if g.empty:
                    continue
                agg, exact = _seed_curve(g, metric)
                mean, rlo, rhi, pre = rates.get((method, metrics[0]), (np.nan, np.nan, np.nan, False))
                lab = method if not np.isfinite(mean) else f"{method} ({mean:+.2f}" + (
                    f" [{rlo:+.2f}, {rhi:+.2f}]" if np.isfinite(rlo) else "") + (", pre-asympt.)" if pre else ")")
                line = _draw_curve(ax, agg, exact, colors.get(method, "#000000"), lab)
                handles.setdefault(method, line)
                first = agg["median"].iloc[0] if first is None else first
            if first is not None and len(ns) > 1:
                handles.setdefault("_ref", _reference_slope(ax, ns, first, dim))
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_ylim(lo / 1.4, hi * 1.4)  # one y range per metric: panels compare across families
            _n_ticks(ax, ns)
            _plain_log(ax, "y")
            ax.grid(True, which="major", alpha=0.3)
            if i == 0:
                ax.set_title(ptitle, fontsize=10)
            if i == nrow - 1:
                ax.set_xlabel("n (sample size)")
            if j == 0:
                ax.set_ylabel(metric.replace("_", " "))
    order = [m for _, ms in panels for m in ms if m in handles] + (["_ref"] if "_ref" in handles else [])
    from matplotlib.lines import Line2D

    extra = [Line2D([], [], marker="o", ls="none", color="0.3", ms=5, label="exact"),
             Line2D([], [], marker="o", ls="none", color="0.3", mfc="white", mew=1.3, ms=5.5, label="heuristic")]
    fig.legend([handles[m] for m in order] + extra, [handles[m].get_label() for m in order] + ["exact", "heuristic"],
               loc="center left", bbox_to_anchor=(1.0 - _LEGEND_IN / fig.get_figwidth(), 0.5), fontsize=8.5, frameon=False,
               title="method (rate [95% interval])", title_fontsize=8.5)
    fig.suptitle(title, fontsize=11)
    fig.subplots_adjust(left=0.75 / fig.get_figwidth() + 0.02, right=1.0 - (_LEGEND_IN + 0.15) / fig.get_figwidth(),
                        bottom=0.55 / fig.get_figheight() + 0.04, top=1.0 - 0.75 / fig.get_figheight(), wspace=0.28,
                        hspace=0.3)
    return fig


def fig_bound_ratio(df, colors: dict, title: str, metric="linf_ratio_inner"):
    """Linf error over Waldron's Delaunay bound against n, one panel per family, line at 1."""
    plt = _plt()
    d = df[df[metric].notna() & (df[metric] > 0)]
    panels = panels_by_family(d) if not d.empty else []
    if not panels:
        return None
    ns = sorted(df["n"].unique())
    fig, axes = plt.subplots(1, len(panels), figsize=(3.3 * len(panels) + _LEGEND_IN + 0.3, 3.2), squeeze=False)
    handles: dict[str, Any] = {}
    lo, hi = min(d[metric].min(), 0.5), max(d[metric].max(), 2.0)
    for ax, (ptitle, methods) in zip(axes[0], panels):
        for method in methods:
            g = d[d["method"] == method]
            if g.empty:
                continue
            agg, exact = _seed_curve(g, metric)
            handles.setdefault(method, _draw_curve(ax, agg, exact, colors.get(method, "#000000"), method))
        ax.axhline(1.0, color="k", lw=0.9, ls="--")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_ylim(lo / 1.4, hi * 1.4)
        _n_ticks(ax, ns)
        _plain_log(ax, "y")
        ax.grid(True, which="major", alpha=0.3)
        ax.set_title(ptitle, fontsize=10)
        ax.set_xlabel("n")
    axes[0, 0].set_ylabel("Linf / (½ M R²) of Delaunay")
    order = [m for _, ms in panels for m in ms if m in handles]
    fig.legend([handles[m] for m in order], order, loc="center left",
               bbox_to_anchor=(1.0 - _LEGEND_IN / fig.get_figwidth(), 0.5), fontsize=8.5, frameon=False)
    fig.suptitle(title, fontsize=11)
    fig.subplots_adjust(left=0.75 / fig.get_figwidth() + 0.02, right=1.0 - (_LEGEND_IN + 0.15) / fig.get_figwidth(), bottom=0.2,
                        top=0.8, wspace=0.28)
    return fig


def fig_network_distances(df, colors: dict, title: str):
    """Each network's distances to triangulations against its error (one point per task).

    x: the L2 error on the inner region (``l2_inner``); y: ``between_l2`` (circles,
    distance to the Delaunay interpolant of the network's own values at the
    data) and ``nearest_l2`` (triangles, to its nearest fine triangulation);
    filled markers: ``train_status == "interpolating"``, hollow: the rest. Points
    below the diagonal are networks closer to a triangulation than to the target.
    None when the results hold no network distances.
    """
    need = ("l2_inner", "between_l2", "nearest_l2", "train_status")
    if df.empty or any(c not in df.columns for c in need):
        return None
    d = df[trains_mask(df) & df["l2_inner"].notna() & df["between_l2"].notna()]
    if d.empty:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.6 + _LEGEND_IN, 3.8))
    vals = []
    for method, g in d.groupby("method", sort=True):
        color = colors.get(method, "#000000")
        fit = (g["train_status"] == "interpolating").values
        for col, marker in (("between_l2", "o"), ("nearest_l2", "^")):
            x, y = g["l2_inner"].values.astype(float), g[col].values.astype(float)
            ok = np.isfinite(y) & (y > 0) & (x > 0)
            vals += list(x[ok]) + list(y[ok])
            ax.plot(x[ok & fit], y[ok & fit], marker, color=color, ms=5, ls="none",
                    label=f"{method}: {col}" if (ok & fit).any() else None)
            ax.plot(x[ok & ~fit], y[ok & ~fit], marker, color=color, mfc="white", mew=1.2, ms=5, ls="none",
                    label=f"{method}: {col} (not interpolating)" if (ok & ~fit).any() else None)
    if not vals:
        plt.close(fig)
        return None
    lo, hi = min(vals) / 1.5, max(vals) * 1.5
    ax.plot([lo, hi], [lo, hi], ls="--", color="0.45", lw=1.0, label="distance = error")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.grid(True, which="major", alpha=0.3)
    ax.set_xlabel("L2 error of the network (inner region)")
    ax.set_ylabel("L2 distance to a triangulation's interpolant")
    fig.legend(loc="center left", bbox_to_anchor=(1.0 - _LEGEND_IN / fig.get_figwidth(), 0.5), fontsize=7.5,
               frameon=False)
    ax.set_title(title, fontsize=10)
    fig.subplots_adjust(left=0.9 / fig.get_figwidth() + 0.02, right=1.0 - (_LEGEND_IN + 0.15) / fig.get_figwidth(),
                        bottom=0.15, top=0.88)
    return fig


def fig_regime(df, colors: dict, title: str):
    """Error and final training loss of the small-initialisation networks against init scale.

    One line per spec entry (the method label before its ``[axis=value]`` suffix),
    width and n: the median over seeds at each ``init_scale``; left panel
    ``l2_inner``, right panel ``train_loss``. The passage from the kernel regime
    (large init) to quantisation (small init) is the seed paper's variable.
    None unless some such group has at least two init scales.
    """
    need = ("init_scale", "l2_inner", "train_loss", "method")
    if df.empty or any(c not in df.columns for c in need):
        return None
    d = df[trains_mask(df) & df["init_scale"].notna()]
    d = d.assign(entry=d["method"].astype(str).str.split("[", n=1).str[0])
    keys = ["entry"] + (["width"] if "width" in d.columns else []) + ["n"]
    groups = [(k, g) for k, g in d.groupby(keys, sort=True) if g["init_scale"].nunique() >= 2]
    if not groups:
        return None
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(2 * 3.4 + _LEGEND_IN + 0.3, 3.3), squeeze=False)
    for k, g in groups:
        label = " ".join(f"{n}={v}" if n != "entry" else str(v) for n, v in zip(keys, k))
        for ax, col in zip(axes[0], ("l2_inner", "train_loss")):
            med = g.groupby("init_scale")[col].median().sort_index()
            ax.plot(med.index.values, med.values, "o-", ms=4, lw=1.3, label=label if col == "l2_inner" else None,
                    color=None)
    for ax, name in zip(axes[0], ("L2 error (inner region)", "final training loss ½ MSE")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.invert_xaxis()
        ax.grid(True, which="major", alpha=0.3)
        ax.set_xlabel("init scale (smaller →)")
        ax.set_title(name, fontsize=10)
    fig.legend(loc="center left", bbox_to_anchor=(1.0 - _LEGEND_IN / fig.get_figwidth(), 0.5), fontsize=8,
               frameon=False)
    fig.suptitle(title, fontsize=11)
    fig.subplots_adjust(left=0.75 / fig.get_figwidth() + 0.02, right=1.0 - (_LEGEND_IN + 0.15) / fig.get_figwidth(),
                        bottom=0.2, top=0.8, wspace=0.3)
    return fig
