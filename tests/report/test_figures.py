"""Report figures: fixed distinct colours, small multiples, legends outside the data, reference slopes,
hollow markers for heuristic values, labelled log ticks, the gallery's breakline count."""

import numpy as np
import pandas as pd
import pytest

from geoquant.report import _figures as F

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
    assert F.plural(1, "breakline") == "1 breakline" and F.plural(0, "kink") == "0 kinks"
    # one neuron with a large amplitude: one breakline x = 0.5 crossing the box
    W = np.array([[1.0, 0.0, -0.5]])
    lines = F.network_lines(W, np.array([2.0]), [[0.0, 1.0], [0.0, 1.0]])
    assert len(lines) == 1
    xy, jump = lines[0]
    np.testing.assert_allclose(xy[:, 0], 0.5)
    assert jump == pytest.approx(2.0)
