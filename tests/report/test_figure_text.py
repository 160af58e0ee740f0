"""Every figure of a report reads: tick labels are plain numbers (no raw mathtext), labels from the spec are drawn
as the text they are, nothing is cut off, and in a browser a figure shows at its own size."""

import base64
import re
import shutil
import struct
import subprocess

import numpy as np
import pytest

from geoquant.study import run_study
from geoquant.report import make_report

SPEC = """
[study]
name = "figure-text"
seeds = [0, 1]
[[targets]]
name = "runge"
dim = 1
sizes = [5, 7]
[[targets]]
name = "franke"
dim = 2
sizes = [6, 8]
[[samplers]]
kind = "uniform"
params = { corners = true }
[[methods]]
name = "delaunay"
[[methods]]
name = "triangulation_best"
[[methods]]
name = "knn"
[[methods]]
name = "network_small"
label = "net$x$"
width = 8
init_scale = [0.1, 0.01]
mode = "gd"
lr = 0.3
n_steps = 40
"""


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("figtext")
    (tmp / "s.toml").write_text(SPEC)
    run = run_study(tmp / "s.toml", tmp / "s", workers=0, progress=False)
    assert run.n_failed == 0
    return tmp / "s"


def _number(text):
    return float(text.replace("\u2212", "-"))


@pytest.fixture(scope="module")
def drawn(study, tmp_path_factory):
    """Every figure the report draws: (caption, [(kind, text, value-or-None)]) after a full draw."""
    import matplotlib.figure as mfig
    from matplotlib.text import Text

    import geoquant.report._report as R

    seen = []
    real_render = R._render

    def render(spec, dpi):
        original = mfig.Figure.savefig

        def save(fig, *a, **k):
            fig.canvas.draw()
            texts = []
            for ax in fig.axes:
                for axis, name in ((ax.xaxis, "x"), (ax.yaxis, "y")):
                    log = axis.get_scale() == "log"
                    lo, hi = sorted(ax.get_xlim() if name == "x" else ax.get_ylim())
                    for tick in axis.get_major_ticks():
                        lab = tick.label1
                        if lab.get_visible() and lab.get_text() and lo * 0.999 <= tick.get_loc() <= hi * 1.001:
                            texts.append(("log tick" if log else "tick", lab.get_text(), tick.get_loc()))
                if ax.get_legend():
                    texts += [("legend", t.get_text(), None) for t in ax.get_legend().get_texts()]
            for leg in fig.legends:
                texts += [("legend", t.get_text(), None) for t in leg.get_texts()]
            texts += [("text", t.get_text(), None) for t in fig.findobj(Text) if t.get_text()]
            seen.append((spec.section, spec.caption, texts))
            return original(fig, *a, **k)

        mfig.Figure.savefig = save
        try:
            return real_render(spec, dpi)
        finally:
            mfig.Figure.savefig = original

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(R, "_render", render)
        rep = make_report(study, tmp_path_factory.mktemp("rep") / "r", progress=False)
    return rep, seen


def test_every_figure_is_drawn_including_the_four_key_figures(drawn):
    rep, seen = drawn
    sections = [s for s, _, _ in seen]
    assert sections.count("key") == 4
    for name in ("rates", "bounds", "distances", "regime", "gallery", "quantization"):
        assert name in sections, name
    assert rep.n_figures == len(seen)


def test_tick_labels_read_as_numbers_and_no_text_is_raw_mathtext(drawn):
    from matplotlib.text import Text

    _, seen = drawn
    n_log = 0
    for section, caption, texts in seen:
        for kind, text, loc in texts:
            shown, ismath = Text(text=text)._preprocess_math(text)
            assert not ismath and "mathdefault" not in shown, (section, caption[:50], kind, text)
            if kind == "log tick":
                n_log += 1
                assert "$" not in text
                assert _number(text) == pytest.approx(loc, rel=0.02), (section, text, loc)
    assert n_log > 50  # the report's log axes were all checked


def test_labels_from_the_spec_are_drawn_as_text(drawn):
    """A method labelled 'net$x$' is shown as 'net$x$' (escaped for matplotlib), not as math."""
    from matplotlib.text import Text

    _, seen = drawn
    legends = [Text(text=t)._preprocess_math(t)[0] for _, _, texts in seen for kind, t, _ in texts
               if kind == "legend"]
    assert any(t.startswith("net$x$") for t in legends)


def _png_size(data: bytes):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


_chromium = shutil.which("chromium") or shutil.which("chromium-browser")


def _browser(tmp_path, *args):
    cmd = [_chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--force-device-scale-factor=1", f"--user-data-dir={tmp_path / 'profile'}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180)


@pytest.mark.skipif(_chromium is None, reason="headless Chromium not installed")
def test_a_figure_in_the_browser_is_its_png_pixel_for_pixel(drawn, tmp_path):
    """Screenshot of a key figure shown at its natural size: the same size and pixels as the PNG (nothing
    clipped or rescaled), and on the report page at 1400 px every figure keeps its aspect and fits the page."""
    import matplotlib.image as mpimg

    rep, _ = drawn
    page = rep.html.read_text()
    src = re.findall(r"<img [^>]*src='data:image/png;base64,([^']*)'", page)[0]
    png = base64.b64decode(src)
    w, h = _png_size(png)
    (tmp_path / "fig.png").write_bytes(png)
    probe = tmp_path / "probe.html"
    probe.write_text("<html><body style='margin:0;background:#fff'>"
                     f"<img style='display:block' src='data:image/png;base64,{src}'></body></html>")
    shot = tmp_path / "shot.png"
    res = _browser(tmp_path, f"--window-size={w},{h}", f"--screenshot={shot}", probe.as_uri())
    assert shot.is_file(), res.stderr[-2000:]
    a = mpimg.imread(shot)[..., :3]
    b = mpimg.imread(tmp_path / "fig.png")[..., :3]
    assert a.shape == b.shape == (h, w, 3)
    assert float(np.abs(a - b).mean()) < 0.01
    js = """<script>
window.addEventListener('load', function () {
  document.querySelectorAll('details').forEach(function (d) { d.open = true; });
  var W = window.innerWidth, bad = [];
  Array.prototype.slice.call(document.images).forEach(function (i, k) {
    var r = i.getBoundingClientRect(), cw = i.clientWidth, ch = i.clientHeight;  // client*: without the border
    var aspect = Math.abs(cw / ch - i.naturalWidth / i.naturalHeight);
    if (r.right > W + 1 || aspect > 0.02 || cw > i.naturalWidth) bad.push(k);
  });
  var el = document.createElement('div'); el.id = 'gq';
  el.textContent = 'CHECK ' + document.images.length + ' bad=' + bad.join(',') + ' overflow=' +
                   (document.documentElement.scrollWidth - W);
  document.body.appendChild(el);
});
</script>"""
    (tmp_path / "page.html").write_text(page.replace("</body>", js + "</body>"))
    res = _browser(tmp_path, "--window-size=1400,1000", "--virtual-time-budget=10000", "--dump-dom",
                   (tmp_path / "page.html").as_uri())
    m = re.search(r"CHECK (\d+) bad=([\d,]*) overflow=(-?\d+)", res.stdout)
    assert m, res.stderr[-2000:]
    assert int(m.group(1)) == rep.n_figures and m.group(2) == ""
    assert int(m.group(3)) <= 0  # wide tables scroll inside their box: the page itself never scrolls sideways
