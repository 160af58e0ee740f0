"""Gallery figures of one sample: the fits, their errors and the networks' kinks/breaklines from stored weights."""

from __future__ import annotations

import numpy as np

from .._text import plural
from ..nn import breaklines, kinks_1d
from ._figures import _plain_log, _plt, method_order, panels_by_family
from ._tags import case_tag

__all__ = ["fig_gallery_1d", "fig_gallery_2d", "fig_quantization", "network_kinks"]


# --- network geometry from stored weights ----------------------------------------------


def network_kinks(W, a, lo, hi):
    """Kink positions and slope jumps of a 1D network inside ``[lo, hi]`` (:func:`geoquant.nn.kinks_1d`)."""
    k = kinks_1d(W, a)
    pos, jumps = np.asarray(k.positions, float), np.asarray(k.jumps, float)
    sel = (pos >= lo) & (pos <= hi)
    return pos[sel], jumps[sel]


def _network_segments(W, a, box):
    """Breaklines of a 2D network clipped to ``box``: list of ``(segment (k, 2) array, jump)``
    (:func:`geoquant.nn.breaklines`; merged lines carry the summed gradient jump)."""
    out = []
    for bl in breaklines(W, a, np.asarray(box, float)):
        geoms = getattr(bl.line, "geoms", [bl.line])
        for g in geoms:
            xy = np.asarray(g.coords, float)
            if len(xy) >= 2:
                out.append((xy, float(bl.jump)))
    return out


# --- gallery ---------------------------------------------------------------------------

#: Methods left out of the 1D overview panel (their fits are near-copies of Delaunay's; the error panels show them).
_NOT_IN_OVERVIEW = ("triangulation_random", "data_dependent")
#: Families drawn in the 1D overview panel (a display choice; theory dashed), besides every method that trains.
_OVERVIEW_FAMILIES = ("triangulation", "theory")


def _case_order(case: dict) -> list:
    """The method labels of a gallery sample in display order (family, then label)."""
    return method_order({m: c["family"] for m, c in case.items()})


def _in_overview(c: dict) -> bool:
    """Whether a gallery method's fit is drawn in the 1D overview panel: every method that trains, and the
    triangulation and theory methods that see only the data (no oracle), Delaunay's near-copies left out."""
    if case_tag(c, "trains"):
        return True
    return c["family"] in _OVERVIEW_FAMILIES and not case_tag(c, "oracle") and c["name"] not in _NOT_IN_OVERVIEW


def fig_gallery_1d(case: dict, colors: dict, title: str):
    """A 1D case: the fits (top) with network kinks, and |f - g| on a log scale below,
    one panel per method family (at most :data:`MAX_LINES` lines each).

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
    order = [m for m in _case_order(case) if "g_grid" in case[m]["arrays"]]
    import pandas as pd

    panels = panels_by_family(pd.DataFrame({"method": order, "family": [case[m]["family"] for m in order]}))
    ncol = max(len(panels), 1)
    fig = plt.figure(figsize=(3.1 * ncol + 3.6, 6.6))
    gs = fig.add_gridspec(2, ncol, height_ratios=[3, 2], hspace=0.35, wspace=0.25,
                          left=0.07, right=1.0 - 3.5 / fig.get_figwidth(), top=0.93, bottom=0.08)
    ax = fig.add_subplot(gs[0, :])
    ax.plot(x, f, color="k", lw=1.6, label="target f")
    ax.plot(X, y, "ko", ms=3.5, zorder=5, label="samples")
    ymin, ymax = float(np.nanmin(f)), float(np.nanmax(f))
    pad = 0.25 * (ymax - ymin + 1e-12)
    errs = {}
    for label in order:
        c = case[label]
        arr = c["arrays"]
        g = arr["g_grid"].astype(float)
        col = colors.get(label, "k")
        if _in_overview(c):
            ax.plot(x, g, color=col, lw=1.2, ls="--" if c["family"] == "theory" else "-", label=label)
        errs[label] = np.maximum(np.abs(f - g), 1e-12)
        if "state_W" in arr and "state_a" in arr:
            pos, jumps = network_kinks(arr["state_W"].astype(float), arr["state_a"].astype(float), lo, hi)
            if len(pos):
                ax.plot(pos, np.full(len(pos), ymin - 0.8 * pad), marker="^", ls="none", color=col, ms=6,
                        alpha=0.85, label=f"{label}: {plural(len(pos), 'kink')}")
    ax.set_ylim(ymin - pad, ymax + pad)
    ax.set_xlim(lo, hi)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    ax.set_title(title, fontsize=10)
    finite = [e[np.isfinite(e)] for e in errs.values()]  # NaN outside the hull: not drawn
    top_err = max((float(e.max()) for e in finite if e.size), default=1.0)
    handles = []
    for j, (ptitle, methods) in enumerate(panels):
        ax2 = fig.add_subplot(gs[1, j])
        for xv in X:
            ax2.axvline(xv, color="0.88", lw=0.5, zorder=0)
        for label in methods:
            handles += ax2.semilogy(x, errs[label], color=colors.get(label, "k"), lw=1.0, label=label)
        ax2.set_ylim(max(top_err * 1e-5, 1e-12), top_err * 2)
        ax2.set_xlim(lo, hi)
        ax2.set_xticks([lo, 0.5 * (lo + hi), hi])
        ax2.set_xticklabels([f"{lo:g}", f"{0.5 * (lo + hi):g}", f"{hi:g}"])
        _plain_log(ax2, "y")
        ax2.set_title(f"|f − g|: {ptitle}", fontsize=9)
        ax2.set_xlabel("x")
    fig.legend(handles, [h.get_label() for h in handles], loc="center left", fontsize=8, frameon=False,
               bbox_to_anchor=(1.0 - 3.4 / fig.get_figwidth(), 0.22), ncol=2 if len(handles) > 7 else 1)
    return fig


def fig_gallery_2d(case: dict, colors: dict, title: str, max_panels: int = 9):
    """A 2D case: |f - g| maps with each method's geometry drawn on top.

    Piecewise-linear methods show their triangles, networks their breaklines
    (line width ~ |gradient jump|), the theory engine its lines when it stores
    weights; all panels share one logarithmic colour scale spanning three
    decades below the largest 99th percentile of any panel.
    """
    plt = _plt()
    from matplotlib.collections import LineCollection

    order = [m for m in _case_order(case) if "g_grid" in case[m]["arrays"]][:max_panels]
    any_arr = case[order[0]]["arrays"]
    grid = any_arr["grid"].astype(float)
    G = int(round(np.sqrt(len(grid))))
    xs, ys = grid[:G, 0], grid[::G, 1]
    f = any_arr["f_grid"].astype(float).reshape(G, G)
    X = any_arr["X"]
    box = any_arr["domain"].astype(float)
    inner = any_arr["inner_box"].astype(float)
    errs = {m: np.abs(f - case[m]["arrays"]["g_grid"].astype(float).reshape(G, G)) for m in order}
    # one logarithmic colour scale for all panels: top = the largest 99th percentile of any panel,
    # three decades below it = bottom (smaller errors are drawn at the bottom colour)
    tops = [float(np.nanpercentile(e, 99)) for e in errs.values() if np.isfinite(e).any()]
    vmax = max([t for t in tops if t > 0], default=1.0)
    from matplotlib.colors import LogNorm

    norm = LogNorm(vmin=vmax * 1e-3, vmax=vmax, clip=True)
    ncols = min(3, len(order))
    nrows = int(np.ceil(len(order) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.3 * ncols + 0.8, 3.1 * nrows), squeeze=False)
    im = None
    for ax, label in zip(axes.ravel(), order):
        c = case[label]
        arr = c["arrays"]
        im = ax.imshow(np.maximum(errs[label], vmax * 1e-3), origin="lower", extent=(xs[0], xs[-1], ys[0], ys[-1]),
                       cmap="viridis", norm=norm, aspect="auto", interpolation="nearest")
        if "state_simplices" in arr:
            s = arr["state_simplices"]
            P = X[s]
            segs = np.concatenate([P[:, [0, 1]], P[:, [1, 2]], P[:, [2, 0]]])
            ax.add_collection(LineCollection(segs, colors="white", linewidths=0.5, alpha=0.9))  # type: ignore[arg-type]
        if "state_W" in arr and "state_a" in arr and arr["state_W"].shape[-1] == 3:
            lines = _network_segments(arr["state_W"].astype(float), arr["state_a"].astype(float), box)
            if lines:
                jumps = np.array([abs(j) for _, j in lines])
                lw = 0.4 + 2.0 * jumps / max(jumps.max(), 1e-300)
                ax.add_collection(LineCollection([xy for xy, _ in lines], colors="white", linewidths=lw, alpha=0.95))
            ax.text(0.02, 0.02, plural(len(lines), "breakline"), transform=ax.transAxes, fontsize=7, color="k",
                    bbox=dict(facecolor="white", alpha=0.8, lw=0))
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
        cb.set_label("|f - g| (log scale; top = largest 99th percentile of any panel)", fontsize=8)
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
    nets = [m for m in _case_order(case) if "state_W" in case[m]["arrays"]]
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
            from ..nn import plot_orientation_amplitude

            plot_orientation_amplitude((W, a), ax=ax, trajectories=False)
            _plain_log(ax)
        ax.set_title(label, fontsize=9, color=colors.get(label, "k"))
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
