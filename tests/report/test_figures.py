"""Report figures: fixed distinct colours, small multiples, legends outside the data, reference slopes,
hollow markers for heuristic values, labelled log ticks, the gallery's breakline count."""

import numpy as np
import pandas as pd
import pytest

from geoquant.report import _figures as F
from geoquant.report import _gallery as G

SHIPPED = ["delaunay", "triangulation_best", "triangulation_worst", "triangulation_mean", "triangulation_random",
           "data_dependent", "network_small", "network_standard", "theory", "clough_tocher", "cubic_spline", "rbf",
           "knn", "gp", "kernel_ridge"]


def test_every_method_gets_its_own_fixed_colour():
    labels = {m: m for m in SHIPPED}
    labels.update({f"net_{k}": "network_small" for k in range(12)})  # a wide sweep of one method
    c = F.method_colors(labels)
    assert len(set(c.values())) == len(c)  # distinct, none falls back to a shared colour
    assert c["cubic_spline"] != c["delaunay"] and c["cubic_spline"] != c["clough_tocher"]
    # fixed: a method's colour does not depend on which other methods are in the report
    assert F.method_colors({"cubic_spline": "cubic_spline", "knn": "knn"}) == {
        "cubic_spline": c["cubic_spline"], "knn": c["knn"]}
    # a spare colour is never one of the preferred ones
    assert not set(c[f"net_{k}"] for k in range(12)) & set(F._PREFERRED.values())


def _results(dim=2, n_methods=8):
    rows = []
    for k in range(n_methods):
        for n in (10, 20, 40):
            for s in range(3):
                rows.append({"method": f"tri_{k}", "family": "triangulation", "n": n, "seed": s, "dim": dim,
                             "rms_inner": (1 + k) * (1 + 0.1 * s) / n, "linf_inner": 2.0 * (1 + k) / n,
                             "linf_ratio_inner": 0.5, "exact": not (k == 0 and n == 40)})
    for n in (10, 20, 40):
        for s in range(3):
            rows.append({"method": "net", "family": "network", "n": n, "seed": s, "dim": dim,
                         "rms_inner": 0.5 / n ** 0.5, "linf_inner": 1.0 / n ** 0.5, "linf_ratio_inner": 0.9,
                         "exact": True})
    return pd.DataFrame(rows)


def test_small_multiples_have_at_most_six_lines_and_the_legend_is_outside():
    df = _results()
    panels = F.panels_by_family(df)
    assert [len(m) for _, m in panels] == [6, 2, 1]  # 8 triangulation methods split 6 + 2
    colors = F.method_colors({m: m for m in df["method"].unique()})
    fig = F.fig_error_vs_n(df, {}, colors, "t")
    fig.canvas.draw()
    axes = fig.axes
    assert len(axes) == 2 * 3
    renderer = fig.canvas.get_renderer()
    (legend,) = fig.legends
    lb = legend.get_window_extent(renderer)
    for ax in axes:
        medians = [ln for ln in ax.get_lines() if ln.get_linestyle() == "-"]
        assert len(medians) <= F.MAX_LINES
        assert not lb.overlaps(ax.get_window_extent(renderer))
        # several labelled ticks on the log error axis
        labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()
                  and ax.get_ylim()[0] <= t.get_position()[1] <= ax.get_ylim()[1]]
        assert len(labels) >= 3


def test_reference_slope_is_minus_two_over_d_and_heuristic_markers_are_hollow():
    for dim in (1, 2):
        df = _results(dim=dim)
        fig = F.fig_error_vs_n(df, {}, F.method_colors({m: m for m in df["method"].unique()}), "t")
        ax = fig.axes[0]
        (ref,) = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
        x, y = ref.get_data()
        slope = np.polyfit(np.log(x), np.log(y), 1)[0]
        assert slope == pytest.approx(-2.0 / dim, abs=1e-12)
        hollow = [ln for ln in ax.get_lines() if ln.get_marker() == "o" and ln.get_markerfacecolor() == "white"]
        # tri_0 at n = 40 is the one heuristic point of the first (l2) panel
        assert len(hollow) == 1 and list(hollow[0].get_data()[0]) == [40]


def test_seed_band_spans_min_to_max_over_seeds():
    df = _results()
    agg, exact = F._seed_curve(df[df.method == "tri_1"], "rms_inner")
    np.testing.assert_allclose(agg["min"].values, 2.0 / np.array([10, 20, 40]))
    np.testing.assert_allclose(agg["max"].values, 2.0 * 1.2 / np.array([10, 20, 40]))
    assert exact.all()


def test_gallery_breakline_count_is_plural_aware():
    assert G.plural(1, "breakline") == "1 breakline" and G.plural(0, "kink") == "0 kinks"
    # one neuron with a large amplitude: one breakline x = 0.5 crossing the box
    W = np.array([[1.0, 0.0, -0.5]])
    lines = G._network_segments(W, np.array([2.0]), [[0.0, 1.0], [0.0, 1.0]])
    assert len(lines) == 1
    xy, jump = lines[0]
    np.testing.assert_allclose(xy[:, 0], 0.5)
    assert jump == pytest.approx(2.0)


def _network_rows():
    rows = []
    rng = np.random.default_rng(3)
    for label, scale in (("net[init_scale=0.1]", 0.1), ("net[init_scale=0.01]", 0.01), ("std", 1.0)):
        for seed in range(3):
            err = float(rng.uniform(0.01, 0.2))
            rows.append({"method": label, "method_name": "network_small", "family": "network", "n": 8,
                         "seed": seed, "width": 100, "init_scale": scale, "l2_inner": err,
                         "between_l2": err * 0.1, "nearest_l2": err * 0.05, "train_loss": scale * (seed + 1),
                         "train_status": "interpolating" if seed == 0 else "stationary"})
    rows.append({"method": "delaunay", "method_name": "delaunay", "family": "triangulation", "n": 8, "seed": 0,
                 "l2_inner": 0.1, "between_l2": np.nan, "nearest_l2": np.nan, "train_loss": np.nan,
                 "init_scale": np.nan, "width": np.nan, "train_status": None})
    return pd.DataFrame(rows)


def test_distance_figure_plots_every_network_once_filled_when_it_interpolates():
    import matplotlib.pyplot as plt

    df = _network_rows()
    fig = F.fig_network_distances(df, F.method_colors({}), "t")
    ax = fig.axes[0]
    pts = {"filled": set(), "hollow": set()}
    for line in ax.lines[:-1]:  # the last line is the diagonal
        kind = "hollow" if line.get_markerfacecolor() == "white" else "filled"
        pts[kind] |= {(round(x, 12), round(y, 12)) for x, y in zip(line.get_xdata(), line.get_ydata())}
    nets = df[df["family"] == "network"]
    for col in ("between_l2", "nearest_l2"):
        for _, r in nets.iterrows():
            kind = "filled" if r["train_status"] == "interpolating" else "hollow"
            assert (round(r["l2_inner"], 12), round(r[col], 12)) in pts[kind]
    assert len(pts["filled"]) + len(pts["hollow"]) == 2 * len(nets)
    plt.close(fig)
    assert F.fig_network_distances(df[df["family"] != "network"], {}, "t") is None


def test_regime_figure_plots_median_error_and_loss_per_init_scale():
    import matplotlib.pyplot as plt

    df = _network_rows()
    fig = F.fig_regime(df, {}, "t")
    left, right = fig.axes[0].lines, fig.axes[1].lines
    assert len(left) == len(right) == 1  # "net" has two init scales; "std" has one and is left out
    nets = df[df["method"].str.startswith("net[")]
    for line, col in ((left[0], "l2_inner"), (right[0], "train_loss")):
        med = nets.groupby("init_scale")[col].median()
        np.testing.assert_allclose(line.get_xdata(), med.index.values)
        np.testing.assert_allclose(line.get_ydata(), med.values)
    plt.close(fig)
    assert F.fig_regime(df[df["method"] == "std"], {}, "t") is None
