"""The report's key figures: at most four, drawn under the summary from the same selection.

1. :func:`fig_key_error_vs_n` -- per case, the error against n of Delaunay (median and
   min-max band over seeds), the best triangulation that does not use the target, the
   oracle (labelled), the best network setting, and the reference slope ``-2/d``;
2. :func:`fig_ratio_vs_init` -- the networks' error over Delaunay's (per-seed ratio,
   median) against the init scale, at the largest n where both ran;
3. :func:`fig_network_beside_triangulation` -- one network of the gallery beside the
   interpolant of its own values on its nearest fine triangulation;
4. :func:`fig_end_states` -- where every network ended (``train_status``, any values).

Each takes plain data (results rows, gallery arrays) and returns a matplotlib Figure,
or None when there is nothing to draw.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._figures import _plain_log, _plt
from ._tags import case_tag, trains_mask

__all__ = ["fig_key_error_vs_n", "fig_ratio_vs_init", "fig_network_beside_triangulation", "fig_end_states",
           "STATUS_COLORS", "pick_gallery_network"]

#: colours of the known end states; any other value takes a spare colour (by name, fixed per report)
STATUS_COLORS = {"interpolating": "#2ca02c", "stationary": "#ff7f0e", "unstable": "#d62728", "budget": "#7f7f7f",
                 "unknown": "#c7c7c7"}
_SPARE = ("#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#1f77b4", "#393b79", "#637939")


def _grid(n_panels: int, per_row: int = 4):
    cols = min(per_row, max(n_panels, 1))
    rows = int(np.ceil(max(n_panels, 1) / cols))
    return rows, cols


def _seed_curve(g, metric):
    per = g.groupby(["n", "seed"])[metric].mean()
    return per.groupby("n").agg(["median", "min", "max"]).sort_index()


def _fit_share(g):
    """Per n: the share of runs that fit their data (NaN without train_status)."""
    if "train_status" not in g.columns or g["train_status"].isna().all():
        return None
    return (g["train_status"] == "interpolating").groupby(g["n"]).mean().sort_index()


def fig_key_error_vs_n(done, cases: list, colors: dict, metric: str = "l2_inner"):
    """Key figure 1: error against n per case (see the module docstring).

    Parameters
    ----------
    done : DataFrame
        Done rows of the study.
    cases : list of dict
        :attr:`geoquant.report._summary.Summary.cases` (``key``, ``name``, ``n``, ``network``,
        ``delaunay``, ``triangulation``, ``oracles``).
    colors : dict
        Method label -> colour.
    metric : str
    """
    if not cases:
        return None
    plt = _plt()
    from ._cases import case_columns

    cols = case_columns(done)
    rows, ncol = _grid(len(cases))
    fig, axes = plt.subplots(rows, ncol, figsize=(3.4 * ncol + 0.4, 3.0 * rows + 1.3), squeeze=False)
    handles: dict[str, Any] = {}
    for ax, case in zip(axes.ravel(), cases):
        mask = np.ones(len(done), bool)
        for c, v in zip(cols, case["key"]):
            mask &= (done[c] == v).values
        d = done[mask & done[metric].notna().values & (done[metric] > 0).values]
        dim = int(d["dim"].iloc[0])
        roles = [(case["delaunay"], "Delaunay", "-", True)]
        if case["triangulation"] != case["delaunay"]:
            roles.append((case["triangulation"], "best other triangulation", "-", False))
        roles += [(m, "oracle", ":", False) for m in case["oracles"]]
        roles.append((case["network"], "best network", "-", True))
        for method, role, ls, band in roles:
            g = d[d["method"] == method]
            if g.empty:
                continue
            agg = _seed_curve(g, metric)
            x = np.asarray(agg.index, float)
            col = colors.get(method, "#000000")
            if band:
                ax.fill_between(x, agg["min"], agg["max"], color=col, alpha=0.18, lw=0)
            lab = f"{method} ({role})" if role != "Delaunay" else method
            (line,) = ax.plot(x, agg["median"], ls=ls, color=col, lw=1.6, label=lab)
            handles.setdefault(lab, line)
            share = _fit_share(g) if role == "best network" else None
            if share is not None:
                full = share.reindex(agg.index).fillna(0).values >= 1.0
                ax.plot(x[full], agg["median"].values[full], "o", color=col, ms=5)
                ax.plot(x[~full], agg["median"].values[~full], "o", color=col, mfc="white", mew=1.3, ms=5)
        ref = d[d["method"] == case["delaunay"]]
        if not ref.empty:
            agg = _seed_curve(ref, metric)
            ns = np.asarray(agg.index, float)
            if len(ns) > 1:
                (rl,) = ax.plot(ns, agg["median"].iloc[0] * (ns / ns[0]) ** (-2.0 / dim), ls="--", color="0.45",
                                lw=1.0, label="slope -2/d")
                handles.setdefault("slope -2/d", rl)
        ax.axvline(case["n"], color="0.75", lw=0.8, ls=":")
        ax.set_xscale("log")
        ax.set_yscale("log")
        sizes = sorted(int(v) for v in d["n"].unique())
        ax.set_xticks(sizes if len(sizes) <= 8 else sizes[:: int(np.ceil(len(sizes) / 8))])
        ax.set_xticklabels([str(int(v)) for v in ax.get_xticks()])
        from matplotlib.ticker import NullFormatter

        ax.xaxis.set_minor_formatter(NullFormatter())
        _plain_log(ax, "y")
        ax.grid(True, which="major", alpha=0.3)
        ax.set_title(case["name"], fontsize=9.5)
        ax.set_xlabel("n (sample size)")
        ax.set_ylabel(metric.replace("_", " "))
    for ax in axes.ravel()[len(cases):]:
        ax.axis("off")
    from matplotlib.lines import Line2D

    extra = [Line2D([], [], marker="o", ls="none", color="0.3", ms=5, label="all network runs fit their data"),
             Line2D([], [], marker="o", ls="none", color="0.3", mfc="white", mew=1.3, ms=5, label="some do not")]
    labels = list(handles) + [e.get_label() for e in extra]
    fig.legend(list(handles.values()) + extra, labels, loc="lower center", ncol=min(4, len(labels)), fontsize=8,
               frameon=False, bbox_to_anchor=(0.5, 0.0))
    fig.suptitle("Error against n: median over seeds, band = min–max over seeds (dotted vertical: the n compared "
                 "in the summary)", fontsize=10)
    n_leg_rows = int(np.ceil(len(labels) / min(4, len(labels))))
    fig.subplots_adjust(left=0.8 / fig.get_figwidth(), right=0.98, top=1.0 - 0.55 / fig.get_figheight(),
                        bottom=(0.75 + 0.2 * n_leg_rows) / fig.get_figheight(), wspace=0.35, hspace=0.45)
    return fig


def _decades(axis) -> None:
    """Plain labels on whole decades of a log axis (``0.001``, ``1e-6``; every other decade past five), no minor labels."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    # at most 5 labelled decades (every other one beyond): a 3-inch panel over 1e-6 ... 1 ran its labels together
    axis.set_major_locator(LogLocator(base=10, subs=(1.0,), numticks=5))
    axis.set_major_formatter(FuncFormatter(
        lambda v, _: f"{v:g}" if 1e-3 <= v <= 1e3 else f"{v:.0e}".replace("e-0", "e-").replace("e+0", "e")))
    axis.set_minor_formatter(NullFormatter())


def _entry(method: str) -> str:
    return str(method).split("[", 1)[0]


def fig_ratio_vs_init(done, cases: list, colors: dict, metric: str = "l2_inner"):
    """Key figure 2: each network entry's error over Delaunay's against its init scale, per case, at the n of
    the summary (median of the per-seed ratio; filled markers where every run fits its data). None when no
    network records an init scale."""
    if not cases or "init_scale" not in done.columns:
        return None
    from ._cases import case_columns, per_seed

    cols = case_columns(done)
    panels = []
    for case in cases:
        mask = np.ones(len(done), bool)
        for c, v in zip(cols, case["key"]):
            mask &= (done[c] == v).values
        d = done[mask & (done["n"] == case["n"]).values & done[metric].notna().values]
        nets = d[trains_mask(d) & d["init_scale"].notna()]
        if nets.empty:
            continue
        per = per_seed(d, metric)
        ref = per.loc[case["delaunay"]]
        pts = []
        for m, g in nets.groupby("method"):
            r = (per.loc[m] / ref).replace([np.inf, -np.inf], np.nan).dropna()
            if not len(r):
                continue
            fit = (g["train_status"] == "interpolating").all() if "train_status" in g.columns else False
            init = _init_kind(g)
            pts.append((_entry(m) + init, float(g["init_scale"].iloc[0]), float(np.median(r)), bool(fit), m))
        if pts:
            panels.append((case, pts))
    if not panels:
        return None
    plt = _plt()
    rows, ncol = _grid(len(panels))
    fig, axes = plt.subplots(rows, ncol, figsize=(3.4 * ncol + 0.4, 3.0 * rows + 1.3), squeeze=False)
    handles: dict[str, Any] = {}
    all_x = [p[1] for _, pts in panels for p in pts]
    for ax, (case, pts) in zip(axes.ravel(), panels):
        by: dict[str, list] = {}
        for p in pts:
            by.setdefault(p[0], []).append(p)
        for entry, ps in sorted(by.items()):
            ps.sort(key=lambda p: p[1])
            col = colors.get(ps[0][4], colors.get(entry, "#000000"))
            x, y = np.array([p[1] for p in ps]), np.array([p[2] for p in ps])
            fit = np.array([p[3] for p in ps])
            (line,) = ax.plot(x, y, "-", color=col, lw=1.3, label=entry)
            ax.plot(x[fit], y[fit], "o", color=col, ms=5.5)
            ax.plot(x[~fit], y[~fit], "o", color=col, mfc="white", mew=1.3, ms=5.5)
            handles.setdefault(entry, line)
        ax.axhline(1.0, color="k", lw=0.9, ls="--")
        ax.set_xscale("log")
        ax.set_yscale("log")
        lo, hi = min(all_x), max(all_x)
        ax.set_xlim(hi * 3, lo / 3)  # larger init on the left: from the kernel regime to quantisation
        ys = [p[2] for p in pts] + [1.0]
        ax.set_ylim(min(ys) / 1.6, max(ys) * 1.6)
        _plain_log(ax, "y")
        _decades(ax.xaxis)
        ax.grid(True, which="major", alpha=0.3)
        ax.set_title(f"{case['name']}, n={case['n']}", fontsize=9.5)
        ax.set_xlabel("init scale (smaller →)")
        ax.set_ylabel(f"{metric.replace('_', ' ')} / Delaunay's")
    for ax in axes.ravel()[len(panels):]:
        ax.axis("off")
    from matplotlib.lines import Line2D

    extra = [Line2D([], [], ls="--", color="k", lw=0.9, label="Delaunay (ratio 1)"),
             Line2D([], [], marker="o", ls="none", color="0.3", ms=5, label="all runs fit their data"),
             Line2D([], [], marker="o", ls="none", color="0.3", mfc="white", mew=1.3, ms=5, label="some do not")]
    labels = list(handles) + [e.get_label() for e in extra]
    ncl = min(4, len(labels))
    fig.legend(list(handles.values()) + extra, labels, loc="lower center", ncol=ncl, fontsize=8, frameon=False,
               bbox_to_anchor=(0.5, 0.0))
    fig.suptitle("Networks' error over Delaunay's on the same samples (median per-seed ratio) against init scale",
                 fontsize=10)
    fig.subplots_adjust(left=0.8 / fig.get_figwidth(), right=0.98, top=1.0 - 0.55 / fig.get_figheight(),
                        bottom=(0.75 + 0.2 * int(np.ceil(len(labels) / ncl))) / fig.get_figheight(), wspace=0.35,
                        hspace=0.45)
    return fig


def _init_kind(g) -> str:
    """`` (PyTorch init x scale)`` for an entry whose init is PyTorch's (its init scale multiplies that)."""
    import json

    try:
        init = json.loads(g["params"].iloc[0]).get("init") if "params" in g.columns else None
    except (TypeError, ValueError):
        init = None
    return " (PyTorch init × scale)" if init == "pytorch" else ""


def pick_gallery_network(cases_arrays: dict, summary_cases: list, done):
    """The gallery sample of key figure 3: ``(key, label)`` of one network whose arrays are stored.

    Preference: a case of the summary at its compared n (1D first), its best network setting, else any
    network of that sample; an interpolating network first. None when no network has gallery arrays.
    """
    best = None
    for case in summary_cases:
        for key, methods in sorted(cases_arrays.items()):
            tgt, dim, smp, n, seed = key
            if n != case["n"] or case["name"] != f"{tgt} {dim}D ({smp})":
                continue
            nets = [m for m, c in methods.items() if case_tag(c, "trains") and "g_grid" in c["arrays"]
                    and ("near_grid" in c["arrays"] or dim == 1)]
            if not nets:
                continue
            status = _status_of(done, key, nets)
            nets.sort(key=lambda m: (m != case["network"], status.get(m) != "interpolating", m))
            cand = (dim != 1, key, nets[0])
            if best is None or cand[0] < best[0]:
                best = cand
    return None if best is None else best[1:]


def _status_of(done, key, methods) -> dict:
    if "train_status" not in done.columns:
        return {}
    tgt, dim, smp, n, seed = key
    label = "target_label" if "target_label" in done.columns else "target"
    d = done[(done[label] == tgt) & (done["dim"] == dim) & (done["sampler"] == smp) & (done["n"] == n)
             & (done["seed"] == seed) & done["method"].isin(methods)]
    return dict(zip(d["method"], d["train_status"]))


def fig_network_beside_triangulation(case: dict, label: str, key: tuple, colors: dict, metrics: dict | None = None):
    """Key figure 3: one network beside the interpolant of its own values on its nearest fine triangulation.

    1D: the target, the data, the network and that interpolant (the linear interpolant of
    the network's values at the data: the only fine triangulation), and below, on a log
    scale, the network's error ``|f - g|`` and its distance to that interpolant. 2D: the
    same two maps with the network's breaklines and the triangulation's edges.

    Parameters
    ----------
    case : dict
        label -> {"family", "name", "arrays"} of one sample (gallery arrays).
    label : str
        The network to show.
    key : tuple
        ``(target, dim, sampler, n, seed)``.
    colors : dict
    metrics : dict, optional
        Numbers for the title (``l2_inner``, ``nearest_l2``, ``train_status``).
    """
    plt = _plt()
    arr = case[label]["arrays"]
    tgt, dim, smp, n, seed = key
    g = arr["g_grid"].astype(float)
    f = arr["f_grid"].astype(float)
    col = colors.get(label, "C1")
    m = metrics or {}
    title = (f"{label} on {tgt} {dim}D ({smp}), n={n}, seed {seed}"
             + (f": L2 error {m['l2_inner']:.3g}" if np.isfinite(m.get("l2_inner", np.nan)) else "")
             + (f", distance to its nearest triangulation {m['nearest_l2']:.3g}"
                if np.isfinite(m.get("nearest_l2", np.nan)) else "")
             + (f" ({m['train_status']})" if isinstance(m.get("train_status"), str) else ""))
    if dim == 1:
        x = arr["grid"][:, 0].astype(float)
        X, y = arr["X"][:, 0].astype(float), arr["y"].astype(float)
        if "near_grid" in arr:
            near = arr["near_grid"].astype(float)
            gx = arr["near_values"].astype(float)
        else:  # older studies: the linear interpolant of the network's values at the data (from its weights)
            from ..nn import network_forward

            W, a = arr["state_W"].astype(float), arr["state_a"].astype(float)
            c = float(arr["state_c"]) if "state_c" in arr else 0.0
            gx = network_forward(W, a, arr["X"].astype(float), c, check_input=False)
            order = np.argsort(X)
            near = np.interp(x, X[order], gx[order])
        fig = plt.figure(figsize=(9.6, 6.2))
        gs = fig.add_gridspec(2, 1, height_ratios=[3, 2], hspace=0.32, left=0.09, right=0.72, top=0.9, bottom=0.1)
        ax = fig.add_subplot(gs[0])
        ax.plot(x, f, color="k", lw=1.6, label="target f")
        ax.plot(X, y, "ko", ms=4, zorder=5, label="data (X, y)")
        ax.plot(x, g, color=col, lw=1.5, label=f"network g ({label})")
        ax.plot(x, near, color="0.35", lw=1.2, ls="--", label="interpolant of g(X) on its\nnearest triangulation")
        ax.plot(X, gx, "s", color=col, mfc="white", ms=4.5, zorder=6, label="g(X)")
        lo, hi = float(arr["domain"][0, 0]), float(arr["domain"][0, 1])
        ax.set_xlim(lo, hi)
        ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False)
        ax2 = fig.add_subplot(gs[1], sharex=ax)
        e1 = np.maximum(np.abs(f - g), 1e-12)
        e2 = np.maximum(np.abs(g - near), 1e-12)
        ax2.semilogy(x, e1, color=col, lw=1.2, label="|f − g| (error)")
        ax2.semilogy(x, e2, color="0.35", lw=1.2, ls="--", label="|g − its triangulation's\ninterpolant|")
        for xv in X:
            ax2.axvline(xv, color="0.88", lw=0.5, zorder=0)
        top = float(np.nanmax(np.concatenate([e1, e2])))
        ax2.set_ylim(max(top * 1e-5, 1e-12), top * 2)
        _plain_log(ax2, "y")
        ax2.set_xlabel("x")
        ax2.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False)
        fig.suptitle(title, fontsize=10)
        return fig
    if "near_grid" not in arr:
        return None
    from matplotlib.collections import LineCollection
    from matplotlib.colors import LogNorm

    from ._gallery import _network_segments

    grid = arr["grid"].astype(float)
    G = int(round(np.sqrt(len(grid))))
    xs, ys = grid[:G, 0], grid[::G, 1]
    X = arr["X"].astype(float)
    maps = [(np.abs(f - g).reshape(G, G), "|f − g| (error) and the network's breaklines"),
            (np.abs(g - arr["near_grid"].astype(float)).reshape(G, G),
             "|g − interpolant of g(X)| and its nearest triangulation")]
    vmax = max(float(np.nanpercentile(mp, 99)) for mp, _ in maps) or 1.0
    norm = LogNorm(vmin=vmax * 1e-3, vmax=vmax, clip=True)
    fig, axes = plt.subplots(1, 2, figsize=(9.6, 4.6))
    im = None
    for i, (ax, (mp, name)) in enumerate(zip(axes, maps)):
        im = ax.imshow(np.maximum(mp, vmax * 1e-3), origin="lower", extent=(xs[0], xs[-1], ys[0], ys[-1]),
                       cmap="viridis", norm=norm, aspect="auto", interpolation="nearest")
        if i == 0 and "state_W" in arr:
            lines = _network_segments(arr["state_W"].astype(float), arr["state_a"].astype(float), arr["domain"])
            if lines:
                ax.add_collection(LineCollection([xy for xy, _ in lines], colors="white", linewidths=0.8))
        if i == 1:
            P = X[arr["near_simplices"]]
            segs = np.concatenate([P[:, [0, 1]], P[:, [1, 2]], P[:, [2, 0]]])
            ax.add_collection(LineCollection(segs, colors="white", linewidths=0.6))  # type: ignore[arg-type]
        ax.plot(X[:, 0], X[:, 1], "o", ms=2.5, color="k", mfc="w", mew=0.5)
        ax.set_xlim(arr["domain"][0])
        ax.set_ylim(arr["domain"][1])
        ax.set_title(name, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    cb = fig.colorbar(im, ax=list(axes), shrink=0.85, pad=0.02)
    cb.set_label("absolute value (log scale)", fontsize=8)
    from matplotlib.ticker import FuncFormatter

    cb.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.2g}"))
    cb.ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
    fig.suptitle(title, fontsize=10)
    return fig


def fig_end_states(nets):
    """Key figure 4: where the networks ended: one bar per network method, one segment per ``train_status``
    value (any value the study records), counts over every n, seed and restart. None without ``train_status``."""
    if nets.empty or "train_status" not in nets.columns or nets["train_status"].isna().all():
        return None
    from ._cases import status_order

    st = nets["train_status"].where(nets["train_status"].notna(), "unknown").astype(str)
    states = status_order(st)
    spare = iter(_SPARE)
    colors = {s: STATUS_COLORS.get(s) or next(spare, "#000000") for s in states}
    methods = sorted(nets["method"].unique())
    counts = {m: st[nets["method"] == m].value_counts() for m in methods}
    plt = _plt()
    height = 0.42 * len(methods) + 1.5
    fig, ax = plt.subplots(figsize=(9.6, height))
    y = np.arange(len(methods))[::-1]
    left = np.zeros(len(methods))
    for s in states:
        v = np.array([int(counts[m].get(s, 0)) for m in methods], float)
        ax.barh(y, v, left=left, color=colors[s], label=s, height=0.65)
        for yi, li, vi in zip(y, left, v):
            if vi > 0:
                ax.text(li + vi / 2, yi, str(int(vi)), ha="center", va="center", fontsize=7.5,
                        color="white" if s in ("interpolating", "unstable", "budget") else "black")
        left += v
    ax.set_yticks(y)
    ax.set_yticklabels(methods, fontsize=8.5)
    ax.set_xlabel("network runs (all n, seeds and restarts)")
    ax.set_xlim(0, max(left.max(), 1) * 1.02)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=min(len(states), 7), fontsize=8, frameon=False)
    fig.tight_layout()
    return fig
