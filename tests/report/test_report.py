"""The study report: a self-contained, size-capped HTML page built from stored results only."""

import argparse
import base64
import json
import re
import shutil
import struct
import subprocess

import numpy as np
import pytest

from geoquant.compare import fit_rates
from geoquant.study import load_results, run_study
from geoquant.compare.methods import Competitor
from geoquant.report import make_report

SPEC = """
[study]
name = "report-test"
seeds = [0, 1]

[[targets]]
name = "runge"
dim = 1
sizes = [6, 9, 12]

[[targets]]
name = "franke"
dim = 2
sizes = [6, 8]

[[samplers]]
kind = "uniform"

[[methods]]
name = "delaunay"

[[methods]]
name = "triangulation_best"

[[methods]]
name = "triangulation_mean"

[[methods]]
name = "knn"

[[methods]]
name = "network_small"
width = 12
n_steps = 120
lr = 0.3

[[methods]]
name = "theory"
"""


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rep")
    spec = tmp / "spec.toml"
    spec.write_text(SPEC)
    out = tmp / "study"
    run = run_study(spec, out, workers=0, progress=False)
    assert run.n_failed == 0
    return out


@pytest.fixture(scope="module")
def report(study, tmp_path_factory):
    # built with every fitting and error routine disabled: the report must read stored results only
    import geoquant.compare.methods._networks as methods
    import geoquant.compare._metrics as metrics

    def boom(*a, **k):
        raise AssertionError("the report must not refit or re-evaluate")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Competitor, "fit", boom)  # the base of both kinds (Method, Statistic)
        mp.setattr(methods, "train_networks", boom)
        mp.setattr(metrics.Evaluator, "evaluate", boom)
        mp.setattr(metrics, "pl_errors", boom)
        return make_report(study, tmp_path_factory.mktemp("out") / "r", progress=False)


def _imgs(page):
    return re.findall(r"<img [^>]*src='([^']*)'", page)


def _png_size(data: bytes):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    w, h = struct.unpack(">II", data[16:24])
    return w, h


def test_page_is_self_contained_and_every_figure_is_a_png(report):
    page = report.html.read_text()
    srcs = _imgs(page)
    assert len(srcs) == report.n_figures >= 2 * 2 + 2  # rates + bounds per target, gallery, quantization
    for s in srcs:
        assert s.startswith("data:image/png;base64,")
        w, h = _png_size(base64.b64decode(s.split(",", 1)[1]))
        assert w > 50 and h > 50
    assert not re.search(r"(src|href)\s*=\s*['\"](?!data:|#)", page)  # nothing loaded from elsewhere (links: in-page)
    for heading in ("Fitted rates", "Gallery", "Quantization", "Waldron"):
        assert heading in page
    assert report.size_bytes == report.html.stat().st_size <= 5_000_000
    assert f"at {report.dpi} dpi" in page


def test_rates_in_the_summary_are_the_fitted_slopes(study, report):
    md = report.markdown.read_text().split("## Fitted rates", 1)[1]
    df = load_results(study)
    r = fit_rates(df, "rms_hull")  # a rate metric of the report (rms_inner is absent: no corners in this study)
    assert r["slope_mean"].notna().all()
    for _, row in r.iterrows():
        cell = f"{row.slope_mean:+.2f} \\[{row.slope_lo:+.2f}, {row.slope_hi:+.2f}\\] ({row.n_seeds})"
        line = next(ln for ln in md.splitlines() if ln.startswith(f"| {row.target} | {row.dim} | uniform | {row.method} |"))
        assert cell in line
    assert "index.html" in report.markdown.read_text()


def test_size_cap_downscales_then_drops_gallery_figures():
    from geoquant.report._report import _TEXT_BUDGET, _apply_size_cap, _Figure

    def render(f, dpi):  # a PNG whose size grows like dpi**2, as a real one does
        return b"x" * int(f.build * (dpi / 100) ** 2)

    def figs(sizes, optional):
        return [_Figure("s", "c", build=b, optional=o) for b, o in zip(sizes, optional)]

    # fits: drawn once at the requested dpi
    fs = figs([100_000] * 3, [False] * 3)
    assert _apply_size_cap(fs, render, dpi=100, max_bytes=2_000_000) == (100, 0)
    # too large: one redraw at a lower dpi that fits
    fs = figs([600_000] * 3, [False, True, True])
    used, dropped = _apply_size_cap(fs, render, dpi=100, max_bytes=2_000_000)
    assert dropped == 0 and 30 <= used < 100
    assert sum(len(f.png) * 4 // 3 + 200 for f in fs) + _TEXT_BUDGET <= 2_000_000
    # even 30 dpi is too large: optional figures are dropped from the end, required ones kept
    fs = figs([5_000_000, 5_000_000, 40_000_000, 40_000_000], [False, False, True, True])
    used, dropped = _apply_size_cap(fs, render, dpi=100, max_bytes=2_000_000)
    assert used == 30 and dropped == 2 and len(fs) == 2


def test_cli(study, tmp_path, capsys):
    from geoquant._cli import report as cli_report

    parser = argparse.ArgumentParser()
    cli_report.register(parser.add_subparsers())
    # a cap below the natural size of the page: the figures are redrawn at a lower dpi
    args = parser.parse_args(["report", str(study), "-o", str(tmp_path / "cli"), "--json", "--max-mb", "0.47",
                              "--gallery-per-target", "0"])
    assert args.func(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["html"].endswith("index.html") and out["size_bytes"] <= 470_000
    # rates, bounds and network distances per target, no gallery (one init scale: no regime figure), and the four
    # key figures (error against n, ratio against init scale, one network beside its triangulation, end states)
    assert out["figures"] == 2 * 3 + 4
    assert out["dpi"] < 90 and "downscaled from 90 dpi" in open(out["html"]).read()


_MARKER = """<script>
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var ok = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
  var el = document.createElement('div'); el.id = 'gq-marker';
  el.textContent = 'IMAGES ' + ok + '/' + imgs.length;
  document.body.appendChild(el);
});
</script>"""


@pytest.mark.skipif(shutil.which("chromium") is None and shutil.which("chromium-browser") is None,
                    reason="headless Chromium not installed")
def test_every_figure_loads_in_headless_chromium(report, tmp_path):
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    page = report.html.read_text().replace("</body>", _MARKER + "</body>")
    probe = tmp_path / "probe.html"
    probe.write_text(page)
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=10000", "--dump-dom", probe.as_uri()]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    m = re.search(r"IMAGES (\d+)/(\d+)", res.stdout)
    assert m, res.stderr[-2000:]
    ok, total = int(m.group(1)), int(m.group(2))
    assert total == report.n_figures and ok == total
    # a screenshot of the top of the page (findings, then figures) renders: a PNG that is not blank
    shot = tmp_path / "shot.png"
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'profile2'}",
           "--hide-scrollbars", "--window-size=1280,4000", f"--screenshot={shot}", report.html.as_uri()]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert shot.is_file(), res.stderr[-2000:]
    import matplotlib.image as mpimg

    img = mpimg.imread(shot)
    assert img.shape[0] >= 1000 and img.shape[1] >= 1000
    assert img[..., :3].std() > 0.05  # text and figures, not a blank page


def test_report_leads_with_the_summary_then_key_figures_then_the_details(study, tmp_path, monkeypatch):
    """With the network training-state and distance columns present (synthetic values on the real
    network rows), the page opens with the summary (its first sentence: the tasks done against those
    planned), then the key figures, then the details (findings, training state, tables), and the
    interpolating share in the sentences is the count in the data."""
    import geoquant.study as gc

    df = load_results(study)
    nets = df["family"] == "network"
    k = int(nets.sum())
    status = np.array(["interpolating", "budget", "spurious_stationary"])[np.arange(k) % 3]
    df.loc[nets, "train_status"] = status
    for c, v in (("train_rmse_rel", 1e-4), ("train_loss", 1e-8), ("grad_norm", 1e-6), ("flow_time", 36.0),
                 ("train_steps", 120), ("loss_increases", 0), ("init_scale", 1e-4), ("width", 12), ("lr", 0.3)):
        df.loc[nets, c] = v
    df.loc[nets, "between_l2"] = 0.5 * df.loc[nets, "l2_inner"]
    df.loc[nets, "nearest_l2"] = 0.25 * df.loc[nets, "l2_inner"]
    monkeypatch.setattr(gc, "load_results", lambda d, **kw: df.copy())
    rep = make_report(study, tmp_path / "r", progress=False, gallery_per_target=0)
    page = rep.html.read_text()
    idx = [page.index(x) for x in ("id='summary'", "id='key'", "<img", "id='findings'",
                                    "Training state of the networks", "<summary>Fitted rates")]
    assert idx == sorted(idx)
    first = page.split("id='summary'>", 1)[1]
    n_all = len(df)
    assert first.startswith(f"Complete study: all {n_all} planned tasks ran ({n_all} done, 0 failed).")
    n_int = int((status == "interpolating").sum())
    assert f"network_small: {n_int} of {k} networks interpolate" in page
    assert "0.5x their l2_inner" in page and "0.25x their l2_inner" in page
    md = rep.markdown.read_text()
    assert md.index("Complete study") < md.index("## Findings") < md.index("## Training state") \
        < md.index("## Fitted rates")


def test_error_table_shows_each_networks_training_status_beside_its_error():
    # issue 9, item 1: the training state stands beside every network error (counts over seeds)
    import pandas as pd

    from geoquant.report._tables import error_table, status_tag

    rows = []
    for seed, (st, err) in enumerate([("interpolating", 0.1), ("spurious_stationary", 0.3), ("interpolating", 0.2)]):
        rows.append({"method": "network_small", "target": "runge", "dim": 1, "sampler": "uniform", "n": 8,
                     "seed": seed, "l2_inner": err, "exact": True, "train_status": st, "family": "network"})
        rows.append({"method": "delaunay", "target": "runge", "dim": 1, "sampler": "uniform", "n": 8,
                     "seed": seed, "l2_inner": err / 2, "exact": True, "train_status": None, "family": "triangulation"})
    t = error_table(pd.DataFrame(rows)).set_index("method")
    assert t.loc["network_small", "runge 1D n=8"] == "0.2 [0.1–0.3] (i2 s1)"
    assert t.loc["delaunay", "runge 1D n=8"] == "0.1 [0.05–0.15]"
    assert status_tag(["budget", "unstable", "budget"]) == "u1 b2"
    assert status_tag([]) == ""


def test_a_user_target_has_one_label_in_every_table():
    # issue 21: a user target was `wave` in some tables and `mytargets:wave` in others
    import pandas as pd

    from geoquant.report._findings import compute_findings, training_state_by_regime
    from geoquant.report._tables import bound_table, error_table, failure_table, training_table

    rows = []
    for seed in (0, 1):
        for n in (6, 12):
            base = {"target": "mytargets:wave", "target_label": "wave", "target_params": "{}", "dim": 1,
                    "sampler": "uniform", "n": n, "seed": seed, "restart": 0, "status": "done", "exact": True,
                    "oracle": False, "linf_ratio_inner": 0.5}
            rows.append({**base, "method": "delaunay", "method_name": "delaunay", "family": "triangulation",
                         "l2_inner": 1.0 / n})
            rows.append({**base, "method": "net", "method_name": "network_small", "family": "network",
                         "l2_inner": 2.0 / n, "train_status": "budget", "train_rmse_rel": 0.5, "grad_norm": 1e-3,
                         "flow_time": 10.0, "fit_l2": 2.0 / n, "between_l2": 0.1 / n, "nearest_l2": 0.1 / n,
                         "nearest_exact": True, "init_scale": 0.1, "width": 10, "lr": 0.05})
    rows.append({**rows[0], "status": "failed", "error": "boom", "l2_inner": None})
    df = pd.DataFrame(rows)
    done = df[df.status == "done"]
    f = compute_findings(df)
    texts = [error_table(done), bound_table(done), training_table(df), failure_table(df),
             training_state_by_regime(done[done.family == "network"])] + [t for _, t in f.tables.values()]
    cells = " ".join(t.to_csv() for t in texts) + " ".join(x.text for x in f.items)
    assert "wave" in cells and "mytargets" not in cells
