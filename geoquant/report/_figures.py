"""Figures of a study report (matplotlib, Agg), drawn from stored results only.

Every builder takes plain data (DataFrames from :func:`geoquant.compare.load_results`
and gallery arrays from the ``.npz`` files) and returns a matplotlib Figure.
Nothing here fits a method or integrates an error: the gallery draws the
predictions the study stored on its plotting grid; the only computation is
locating a network's kinks/breaklines from its stored weights (a few hundred
neurons).
"""

from __future__ import annotations

import numpy as np

from .._text import plural

__all__ = [
    "method_colors",
    "fig_error_vs_n",
    "fig_bound_ratio",
    "fig_gallery_1d",
    "fig_gallery_2d",
    "fig_quantization",
]

_FAMILY_ORDER = {"triangulation": 0, "network": 1, "theory": 2, "baseline": 3}
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
    "cubic_spline": "#8c564b",
    "rbf": "#e377c2",
    "knn": "#393b79",
    "gp": "#637939",
    "kernel_ridge": "#843c39",
}


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _plain_log(ax, which="xy"):
    """Log axes with plain tick labels: matplotlib's default mathtext labels
    (``10^{-1}``, minor ``2x10^{-1}``) dominate the drawing time of a report."""
    from matplotlib.ticker import FuncFormatter, NullFormatter

    fmt = FuncFormatter(lambda v, _: f"{v:g}")
    for name in which:
        axis = ax.xaxis if name == "x" else ax.yaxis
        if axis.get_scale() == "log":
            axis.set_major_formatter(fmt)
            axis.set_minor_formatter(NullFormatter())


def _n_ticks(ax, ns):
    """Label the sample sizes themselves on a log n axis."""
    ns = sorted({int(v) for v in ns})
    if len(ns) > 12:
        ns = ns[:: int(np.ceil(len(ns) / 12))]
    ax.set_xticks(ns)
    ax.set_xticklabels([str(v) for v in ns])


def method_colors(methods: dict) -> dict:
    """A stable colour per method label.

    Parameters
    ----------
    methods : dict
        label -> registry name.
    """
    from matplotlib import colormaps

    spare = list(colormaps["tab20"].colors)
    used = set()
    out = {}
    for label in sorted(methods):
        c = _PREFERRED.get(label) or _PREFERRED.get(methods[label])
        if c is None or c in used:
            c = next(x for x in spare if x not in used) if any(x not in used for x in spare) else "k"
        used.add(c)
        out[label] = c
    return out


def _method_order(df):
    fam = df.groupby("method")["family"].first().to_dict()
    return sorted(fam, key=lambda m: (_FAMILY_ORDER.get(fam[m], 9), m))


def fig_error_vs_n(df, rates: dict, colors: dict, title: str, metrics=("l2_inner", "linf_inner", "l2_hull")):
    """Error against n on log-log axes: median over seeds, min-max band, rate in the legend.

    Parameters
    ----------
    df : DataFrame
        Rows of one (target, dim, sampler), status done.
    rates : dict
        ``(method, metric) -> (mean, std)`` slopes over seeds.
    """
    plt = _plt()
    metrics = [m for m in metrics if m in df.columns and df[m].notna().any()]
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics) + 2.2, 3.6), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        for method in _method_order(df):
            g = df[(df["method"] == method) & df[metric].notna() & (df[metric] > 0)]
            if g.empty:
                continue
            agg = g.groupby("n")[metric].agg(["median", "min", "max"]).sort_index()
            mean, std = rates.get((method, metric), (np.nan, np.nan))
            lab = method if not np.isfinite(mean) else f"{method} ({mean:+.2f}" + (
                f" ± {std:.2f})" if np.isfinite(std) else ")"
            )
            c = colors.get(method, "k")
            ax.plot(agg.index, agg["median"], "o-", color=c, ms=3.5, lw=1.4, label=lab)
            ax.fill_between(agg.index, agg["min"], agg["max"], color=c, alpha=0.15, lw=0)
        ax.set_xscale("log")
        ax.set_yscale("log")
        _plain_log(ax)
        _n_ticks(ax, df["n"].unique())
        ax.set_xlabel("n (sample size)")
        ax.set_ylabel(metric.replace("_", " "))
        ax.grid(True, which="both", alpha=0.25)
        ax.set_title(metric.replace("_", " ") + " (rate: slope vs n)", fontsize=9)
        h, lab = ax.get_legend_handles_labels()
        ax.legend(h, lab, fontsize=6.5, loc="best", framealpha=0.7)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig


def fig_bound_ratio(df, colors: dict, title: str, metric="linf_ratio_inner"):
    """Linf error over Waldron's Delaunay bound against n (median, min-max band), line at 1."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.8, 3.4))
    for method in _method_order(df):
        g = df[(df["method"] == method) & df[metric].notna() & (df[metric] > 0)]
        if g.empty:
            continue
        agg = g.groupby("n")[metric].agg(["median", "min", "max"]).sort_index()
        c = colors.get(method, "k")
        ax.plot(agg.index, agg["median"], "o-", color=c, ms=3.5, lw=1.3, label=method)
        ax.fill_between(agg.index, agg["min"], agg["max"], color=c, alpha=0.12, lw=0)
    ax.axhline(1.0, color="k", lw=0.8, ls="--")
    ax.set_xscale("log")
    ax.set_yscale("log")
    _plain_log(ax)
    _n_ticks(ax, df["n"].unique())
    ax.set_xlabel("n")
    ax.set_ylabel("Linf / (½ M R²) of Delaunay")
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(fontsize=6.5, loc="center left", bbox_to_anchor=(1.01, 0.5))
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


# --- network geometry from stored weights ----------------------------------------------


def network_kinks(W, a, lo, hi):
    """Kink positions and slope jumps of a 1D network inside ``[lo, hi]``."""
    try:
        from ..nn import kinks_1d

        k = kinks_1d(W, a)
        pos, jumps = np.asarray(k.positions, float), np.asarray(k.jumps, float)
    except Exception:  # fall back to the raw neurons (no merging)
        w, b = W[:, 0], W[:, 1]
        amp = np.abs(a) * np.abs(w)
        ok = (np.abs(w) > 0) & (amp > 1e-3 * max(amp.max(initial=0), 1e-300))
        pos, jumps = -b[ok] / w[ok], a[ok] * np.abs(w[ok])
    sel = (pos >= lo) & (pos <= hi)
    return pos[sel], jumps[sel]


def network_lines(W, a, box, merge_tol: float = 1e-3):
    """Breaklines of a 2D network clipped to ``box``: list of ``((x0, y0), (x1, y1), jump)``.

    Neurons with amplitude below 1e-3 of the largest are left out; lines that
    agree to ``merge_tol`` (unit normal and offset, up to sign) are merged and
    their gradient jumps ``a_j |w_j|`` summed. (:func:`geoquant.nn.breaklines`
    does this with a proper clustering, but imports scikit-learn, which alone
    costs seconds; the report only needs to draw the lines.)
    """
    wn = np.linalg.norm(W[:, :2], axis=1)
    amp = np.abs(a) * np.linalg.norm(W, axis=1)
    keep = (wn > 1e-12) & (amp > 1e-3 * max(amp.max(initial=0.0), 1e-300))
    if not keep.any():
        return []
    L = W[keep] / wn[keep, None]  # (n1, n2, c): n . x + c = 0 with |n| = 1
    L = L * np.where((L[:, 0] < 0) | ((L[:, 0] == 0) & (L[:, 1] < 0)), -1.0, 1.0)[:, None]
    jumps = (a * wn)[keep]
    key = np.round(L / merge_tol).astype(np.int64)
    _, inv = np.unique(key, axis=0, return_inverse=True)
    inv = inv.ravel()
    out = []
    (x0, x1), (y0, y1) = box[0], box[1]
    for g in range(inv.max() + 1):
        sel = inv == g
        w1, w2, b = L[sel].mean(axis=0)
        pts = []
        if abs(w2) > 1e-12:
            for x in (x0, x1):
                y = -(b + w1 * x) / w2
                if y0 - 1e-12 <= y <= y1 + 1e-12:
                    pts.append((x, y))
        if abs(w1) > 1e-12:
            for y in (y0, y1):
                x = -(b + w2 * y) / w1
                if x0 - 1e-12 <= x <= x1 + 1e-12:
                    pts.append((x, y))
        if len(pts) >= 2:
            out.append((np.array(pts[0]), np.array(pts[-1]), float(jumps[sel].sum())))
    return out


# --- gallery ---------------------------------------------------------------------------


def fig_gallery_1d(case: dict, colors: dict, title: str):
    """A 1D case: the fits (top) with network kinks, and |f - g| on a log scale (bottom).

    Parameters
    ----------
    case : dict
        label -> {"family", "name", "arrays"} for one sample (the arrays of
        its ``.npz``).
    """
    plt = _plt()
    any_arr = next(iter(case.values()))["arrays"]
    x = any_arr["grid"][:, 0].astype(float)
    f = any_arr["f_grid"].astype(float)
    X, y = any_arr["X"][:, 0], any_arr["y"]
    lo, hi = float(any_arr["domain"][0, 0]), float(any_arr["domain"][0, 1])
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(7.6, 5.6), sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    ax.plot(x, f, color="k", lw=1.6, label="target f")
    ax.plot(X, y, "ko", ms=3.5, zorder=5, label="samples")
    order = sorted(case, key=lambda m: (_FAMILY_ORDER.get(case[m]["family"], 9), m))
    shown_top = 0
    ymin, ymax = float(np.nanmin(f)), float(np.nanmax(f))
    pad = 0.25 * (ymax - ymin + 1e-12)
    for label in order:
        c = case[label]
        arr = c["arrays"]
        if "g_grid" not in arr:
            continue
        g = arr["g_grid"].astype(float)
        col = colors.get(label, "k")
        top = c["family"] in ("triangulation", "network", "theory") and (
            c["name"] not in ("triangulation_best", "triangulation_worst", "triangulation_random", "data_dependent")
        )
        if top:
            ax.plot(x, g, color=col, lw=1.2, ls="-" if c["family"] != "theory" else "--", label=label)
            shown_top += 1
        err = np.abs(f - g)
        ax2.semilogy(x, np.maximum(err, 1e-12), color=col, lw=1.0, label=label)
        if "state_W" in arr and "state_a" in arr:
            pos, jumps = network_kinks(arr["state_W"].astype(float), arr["state_a"].astype(float), lo, hi)
            if len(pos):
                ax.plot(pos, np.full(len(pos), ymin - 0.8 * pad), marker="^", ls="none", color=col, ms=6,
                        alpha=0.85, label=f"{label} kinks ({len(pos)})")
    for xv in X:
        ax2.axvline(xv, color="0.85", lw=0.6, zorder=0)
    ax.set_ylim(ymin - pad, ymax + pad)
    ax.legend(fontsize=6.5, loc="center left", bbox_to_anchor=(1.01, 0.5))
    ax2.legend(fontsize=6, loc="center left", bbox_to_anchor=(1.01, 0.5))
    ax2.set_ylabel("|f - g|")
    ax2.set_ylim(bottom=1e-6)
    _plain_log(ax2, "y")
    ax2.set_xlabel("x")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def fig_gallery_2d(case: dict, colors: dict, title: str, max_panels: int = 9):
    """A 2D case: |f - g| maps with each method's geometry drawn on top.

    Piecewise-linear methods show their triangles, networks their breaklines
    (line width ~ |gradient jump|), the theory engine its lines when it stores
    weights; all panels share one colour scale.
    """
    plt = _plt()
    from matplotlib.collections import LineCollection

    order = [m for m in sorted(case, key=lambda m: (_FAMILY_ORDER.get(case[m]["family"], 9), m))
             if "g_grid" in case[m]["arrays"]][:max_panels]
    any_arr = case[order[0]]["arrays"]
    grid = any_arr["grid"].astype(float)
    G = int(round(np.sqrt(len(grid))))
    xs, ys = grid[:G, 0], grid[::G, 1]
    f = any_arr["f_grid"].astype(float).reshape(G, G)
    X = any_arr["X"]
    box = any_arr["domain"].astype(float)
    inner = any_arr["inner_box"].astype(float)
    errs = {m: np.abs(f - case[m]["arrays"]["g_grid"].astype(float).reshape(G, G)) for m in order}
    ref = errs.get("delaunay", next(iter(errs.values())))
    vmax = float(np.nanpercentile(ref, 99)) if np.isfinite(ref).any() else 1.0
    vmax = vmax if vmax > 0 else 1.0
    ncols = min(3, len(order))
    nrows = int(np.ceil(len(order) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.3 * ncols + 0.8, 3.1 * nrows), squeeze=False)
    im = None
    for ax, label in zip(axes.ravel(), order):
        c = case[label]
        arr = c["arrays"]
        im = ax.imshow(errs[label], origin="lower", extent=(xs[0], xs[-1], ys[0], ys[-1]), cmap="magma_r",
                       vmin=0, vmax=vmax, aspect="auto", interpolation="nearest")
        if "state_simplices" in arr:
            s = arr["state_simplices"]
            P = X[s]
            segs = np.concatenate([P[:, [0, 1]], P[:, [1, 2]], P[:, [2, 0]]])
            ax.add_collection(LineCollection(segs, colors=colors.get(label, "b"), linewidths=0.5, alpha=0.9))
        if "state_W" in arr and "state_a" in arr and arr["state_W"].shape[-1] == 3:
            lines = network_lines(arr["state_W"].astype(float), arr["state_a"].astype(float), box)
            if lines:
                jumps = np.array([abs(j) for _, _, j in lines])
                lw = 0.4 + 2.0 * jumps / max(jumps.max(), 1e-300)
                segs = [np.array([p, q]) for p, q, _ in lines]
                ax.add_collection(LineCollection(segs, colors="c", linewidths=lw, alpha=0.9))
            ax.text(0.02, 0.02, plural(len(lines), "breakline"), transform=ax.transAxes, fontsize=6.5, color="c",
                    bbox=dict(facecolor="k", alpha=0.4, lw=0))
        ax.plot(X[:, 0], X[:, 1], "o", ms=2.2, color="k", mfc="w", mew=0.5)
        ax.add_patch(plt.Rectangle((inner[0, 0], inner[1, 0]), inner[0, 1] - inner[0, 0], inner[1, 1] - inner[1, 0],
                                   fill=False, ls=":", lw=0.7, ec="0.4"))
        ax.set_xlim(box[0])
        ax.set_ylim(box[1])
        ax.set_title(label, fontsize=8.5, color=colors.get(label, "k"))
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in axes.ravel()[len(order):]:
        ax.axis("off")
    if im is not None:
        cb = fig.colorbar(im, ax=axes.ravel().tolist(), shrink=0.8, pad=0.02)
        cb.set_label("|f - g|  (99th pct of Delaunay's = top)", fontsize=7)
    fig.suptitle(title, fontsize=10)
    return fig


def fig_quantization(case: dict, colors: dict, title: str):
    """Neuron geometry of the networks (and the theory engine) of one case.

    1D: each neuron's kink ``-b/w`` against its amplitude ``|a| ||(w, b)||``
    (log), data positions as grey lines: small-initialisation networks put
    their mass on few kinks at/near data points, standard ones spread.
    2D: orientation (azimuth of the crease normal) against amplitude, the
    offset as colour (:func:`geoquant.nn.plot_orientation_amplitude`).
    """
    plt = _plt()
    nets = [m for m in sorted(case, key=lambda m: (_FAMILY_ORDER.get(case[m]["family"], 9), m))
            if "state_W" in case[m]["arrays"]]
    if not nets:
        return None
    fig, axes = plt.subplots(1, len(nets), figsize=(4.0 * len(nets) + 0.6, 3.3), squeeze=False)
    for ax, label in zip(axes[0], nets):
        arr = case[label]["arrays"]
        W, a = arr["state_W"].astype(float), arr["state_a"].astype(float)
        if W.shape[-1] == 2:
            X = arr["X"][:, 0]
            for xv in X:
                ax.axvline(xv, color="0.8", lw=0.6, zorder=0)
            w, b = W[:, 0], W[:, 1]
            amp = np.abs(a) * np.linalg.norm(W, axis=1)
            ok = (np.abs(w) > 1e-12) & (amp > 0)
            pos = -b[ok] / w[ok]
            lo, hi = arr["domain"][0]
            span = hi - lo
            inside = (pos > lo - span) & (pos < hi + span)
            ax.scatter(np.clip(pos[inside], lo - span, hi + span), amp[ok][inside], s=9,
                       c=np.where(a[ok][inside] > 0, "C0", "C3"), alpha=0.7)
            ax.set_yscale("log")
            _plain_log(ax, "y")
            ax.set_xlim(lo - 0.1 * span, hi + 0.1 * span)
            ax.set_xlabel("kink position −b/w (data: grey)")
            ax.set_ylabel("amplitude |a|·|(w,b)|")
        else:
            try:
                from ..nn import plot_orientation_amplitude

                plot_orientation_amplitude((W, a), ax=ax, trajectories=False)
                _plain_log(ax)
            except Exception:
                theta = np.arctan2(W[:, 1], W[:, 0])
                amp = np.abs(a) * np.linalg.norm(W, axis=1)
                ax.scatter(theta, np.maximum(amp, 1e-300), s=9, c=-W[:, 2] / np.maximum(np.linalg.norm(W[:, :2], axis=1), 1e-300))
                ax.set_yscale("log")
                ax.set_xlabel("azimuth of crease normal")
                ax.set_ylabel("amplitude")
        ax.set_title(label, fontsize=9, color=colors.get(label, "k"))
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
