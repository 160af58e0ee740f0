"""Figures: they draw the right mathematical objects (kinks, breaklines, plateaus, neurons)."""

from dataclasses import dataclass, field

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from geoquant.errors import InvalidInputError, UnsupportedError  # noqa: E402
from geoquant.nn import breaklines, kinks_1d, network_forward  # noqa: E402
from geoquant.nn._plots import (  # noqa: E402
    plot_breaklines_2d,
    plot_fit_1d,
    plot_loss,
    plot_orientation_amplitude,
)


@dataclass
class Record:
    step: int
    W: np.ndarray
    a: np.ndarray
    loss: np.ndarray


@dataclass
class FakeResult:
    W: np.ndarray
    a: np.ndarray
    init_W: np.ndarray
    init_a: np.ndarray
    loss: np.ndarray
    steps: np.ndarray
    plateaus: list
    checkpoints: list = field(default_factory=list)
    c: np.ndarray | None = None


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def by_gid(ax, gid):
    return [a for a in ax.get_children() if a.get_gid() == gid]


def assert_png(ax, path):
    ax.figure.savefig(path, dpi=50)
    with open(path, "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"


def neuron_at(kink, scale=1.0, right=True):
    w = scale if right else -scale
    return [w, -w * kink]


def result_1d(rng, n_models=2):
    """Stack of hand-built 1D nets with kinks at -0.5 (x2), 0.2 and 3.0 (outside the data)."""
    W = np.array([neuron_at(-0.5), neuron_at(-0.5, 2.0, right=False), neuron_at(0.2), neuron_at(3.0),
                  [0.0, 0.0]])
    a = np.array([1.0, 0.5, -1.5, 0.7, 1.0])
    Ws = np.stack([W] * n_models)
    As = np.stack([a] * n_models)
    init_W = 1e-3 * rng.normal(size=Ws.shape)
    init_a = 1e-3 * rng.choice([-1.0, 1.0], size=As.shape)
    steps = np.unique(np.geomspace(1, 1e4, 40).astype(int))
    loss = np.stack([np.interp(np.log(steps), [0, 3, 4, 7, 8, 9.3], [0.5, 0.5, 0.1, 0.1, 1e-3, 1e-3])] * n_models, 1)
    plateaus = [[(1, 0.5), (60, 0.1), (3000, 1e-3)], [(1, 0.5), (60, 0.1)]][:n_models]
    ckpts = [Record(int(s), t * Ws + (1 - t) * init_W, t * As + (1 - t) * init_a, loss[0])
             for s, t in [(10, 0.25), (100, 0.5), (1000, 0.75)]]
    return FakeResult(Ws, As, init_W, init_a, loss, steps.astype(np.int64), plateaus, ckpts)


def test_fit_1d_draws_function_kinks_and_data(rng, tmp_path):
    res = result_1d(rng)
    X = np.linspace(-1, 1, 9)
    y = np.abs(X)
    ax = plot_fit_1d(res, X, y, model=1, target=lambda x: np.abs(x[..., 0]), interpolant=True)
    kinks = kinks_1d(res.W[1], res.a[1])
    inside = kinks.positions[(kinks.positions > -1.1) & (kinks.positions < 1.1)]
    lines = by_gid(ax, "kink")
    # -0.5 (multiplicity 2) and 0.2 inside the drawn range, 3.0 outside
    assert len(lines) == len(inside) == 2
    np.testing.assert_allclose(sorted(l.get_xdata()[0] for l in lines), [-0.5, 0.2])
    (fit,) = by_gid(ax, "fit")
    xs, fx = fit.get_xdata(), fit.get_ydata()
    np.testing.assert_allclose(fx, network_forward(res.W[1], res.a[1], np.asarray(xs)[:, None]))
    assert set(np.round([-0.5, 0.2], 12)) <= set(np.round(xs, 12))  # curve bends exactly at the kinks
    assert len(by_gid(ax, "target")) == 1 and len(by_gid(ax, "interpolant")) == 1
    (data,) = by_gid(ax, "data")
    np.testing.assert_allclose(data.get_offsets(), np.column_stack([X, y]))
    assert_png(ax, tmp_path / "fit.png")


def test_fit_1d_uses_output_bias_and_pair_input(rng):
    res = result_1d(rng, n_models=1)
    res.c = np.array([2.5])
    X = np.linspace(-1, 1, 5)
    ax = plot_fit_1d(res, X, X)
    (fit,) = by_gid(ax, "fit")
    np.testing.assert_allclose(fit.get_ydata(), network_forward(res.W[0], res.a[0], np.asarray(fit.get_xdata())[:, None]) + 2.5)
    ax2 = plot_fit_1d((res.W[0], res.a[0]), X, X)
    assert len(by_gid(ax2, "kink")) == 2


def test_loss_log_log_with_plateaus(rng, tmp_path):
    res = result_1d(rng)
    ax = plot_loss(res)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert len(by_gid(ax, "loss")) == 2
    marks = by_gid(ax, "plateau")
    assert len(marks) == sum(len(p) for p in res.plateaus) == 5
    np.testing.assert_allclose(sorted(m.get_xdata()[0] for m in marks), [1, 1, 60, 60, 3000])
    assert_png(ax, tmp_path / "loss.png")
    ax1 = plot_loss(res, models=[1], mark_plateaus=True)
    assert len(by_gid(ax1, "plateau")) == 2 and len(by_gid(ax1, "loss")) == 1


def test_orientation_amplitude_1d(rng, tmp_path):
    res = result_1d(rng)
    ax = plot_orientation_amplitude(res, model=0)
    assert ax.get_yscale() == "log"
    finals = by_gid(ax, "final")
    pts = np.vstack([f.get_offsets() for f in finals])
    W, a = res.W[0], res.a[0]
    amp = np.abs(a) * np.linalg.norm(W, axis=1)
    live = amp > 0  # the zero-norm neuron cannot be drawn on a log axis
    assert pts.shape[0] == live.sum() == 4
    expect = np.column_stack([np.arctan2(W[live, 1], W[live, 0]), amp[live]])
    np.testing.assert_allclose(np.array(sorted(map(tuple, pts))), np.array(sorted(map(tuple, expect))))
    # a > 0 and a < 0 are drawn as separate scatters
    assert len(finals) == 2
    inits = by_gid(ax, "initial")
    assert sum(len(i.get_offsets()) for i in inits) == 5
    # trajectories: init -> 3 checkpoints -> final, 4 segments per drawable neuron
    (traj,) = by_gid(ax, "trajectories")
    states = [(res.init_W[0], res.init_a[0])] + [(r.W[0], r.a[0]) for r in res.checkpoints] + [(W, a)]
    ang = np.array([np.arctan2(w[:, 1], w[:, 0]) for w, _ in states])
    amps = np.array([np.abs(aa) * np.linalg.norm(w, axis=1) for w, aa in states])
    ok = (amps[:-1] > 0) & (amps[1:] > 0) & (np.abs(np.diff(ang, axis=0)) <= np.pi)
    assert len(traj.get_segments()) == ok.sum() > 0
    assert_png(ax, tmp_path / "orientation.png")


def test_orientation_amplitude_trajectory_breaks_at_wrap():
    # one neuron crosses the angle pi -> -pi between the two states: its segment is dropped
    W0 = np.array([[1.0, 0.1], [-1.0, 0.05]])
    W1 = np.array([[1.0, 0.3], [-1.0, -0.05]])
    a = np.array([1.0, 1.0])
    ax = plot_orientation_amplitude(W1, a, init_W=W0, init_a=a, trajectories=[])
    assert by_gid(ax, "trajectories") == []  # no intermediate states: nothing drawn
    ax = plot_orientation_amplitude(W1, a, init_W=W0, init_a=a, trajectories=[(0.5 * (W0 + W1), a)])
    (traj,) = by_gid(ax, "trajectories")
    # neuron 0: 2 segments; neuron 1 jumps from angle ~pi to ~-pi between mid (b = 0) ... and final
    angles = [np.arctan2(w[:, 1], w[:, 0]) for w in (W0, 0.5 * (W0 + W1), W1)]
    expect = sum(int(abs(angles[t + 1][j] - angles[t][j]) <= np.pi) for t in range(2) for j in range(2))
    assert len(traj.get_segments()) == expect == 3


def test_orientation_amplitude_2d_colours_by_elevation(rng, tmp_path):
    W = rng.normal(size=(7, 3))
    a = rng.normal(size=7)
    ax = plot_orientation_amplitude(W, a, trajectories=False)
    finals = by_gid(ax, "final")
    vals = np.concatenate([f.get_array() for f in finals])
    elev = np.arctan2(W[:, 2], np.linalg.norm(W[:, :2], axis=1))
    np.testing.assert_allclose(np.sort(vals), np.sort(elev))
    assert len(ax.figure.axes) == 2  # colour bar
    assert_png(ax, tmp_path / "orientation2d.png")


def test_breaklines_2d_heatmap_and_lines(rng, tmp_path):
    W = np.array([[[1.0, 0.2, -0.1], [-0.3, 1.0, 0.2], [1.0, 1.0, 0.3], [1.0, 0.0, -5.0]]])
    a = np.array([[1.0, -0.7, 0.4, 1.0]])
    res = FakeResult(W, a, W, a, np.ones((2, 1)), np.array([0, 1]), [[]])
    X = rng.uniform(-1, 1, size=(30, 2))
    y = network_forward(W[0], a[0], X)
    domain = np.array([[-1.0, 1.0], [-1.0, 1.0]])
    ax = plot_breaklines_2d(res, X, y, domain=domain, resolution=50)
    # the 4th neuron's line x = 5 misses the domain
    assert len(by_gid(ax, "breakline")) == len(breaklines(W[0], a[0], domain)) == 3
    (im,) = by_gid(ax, "heatmap")
    g = np.linspace(-1, 1, 50)
    gx, gy = np.meshgrid(g, g)
    np.testing.assert_allclose(im.get_array(), network_forward(W[0], a[0], np.stack([gx, gy], -1)))
    for ln in by_gid(ax, "breakline"):
        xy = np.column_stack([ln.get_xdata(), ln.get_ydata()])
        # each drawn line lies on a neuron's line w . x + b = 0
        res_lines = np.abs(xy @ W[0, :3, :2].T + W[0, :3, 2])
        assert np.any(np.all(res_lines < 1e-9, axis=0))
    assert_png(ax, tmp_path / "breaklines.png")
    ax2 = plot_breaklines_2d((W[0], a[0]), X)  # default domain: padded bounding box of X
    assert len(by_gid(ax2, "data")) == 1


def test_plots_with_real_train_result(rng):
    _result = pytest.importorskip("geoquant.nn._result")
    _ckpt = pytest.importorskip("geoquant.nn._checkpoint")
    fake = result_1d(rng)
    ck = _ckpt.Checkpoints(
        np.array([10, 100]), np.stack([fake.init_W, fake.W]).astype(np.float32),
        np.stack([fake.init_a, fake.a]).astype(np.float32), fake.loss[:2],
    )
    res = _result.TrainResult(
        W=fake.W, a=fake.a, loss=fake.loss, steps=fake.steps, checkpoints=ck, failed=[],
        plateaus=fake.plateaus, init_W=fake.init_W, init_a=fake.init_a, config={},
    )
    ax = plot_orientation_amplitude(res, model=1)
    assert len(by_gid(ax, "trajectories")) == 1
    assert len(by_gid(plot_loss(res), "plateau")) == 5
    assert len(by_gid(plot_fit_1d(res, np.linspace(-1, 1, 5), np.zeros(5)), "kink")) == 2


def test_plot_bad_input():
    W = np.array([[1.0, 0.0], [1.0, -0.5]])
    a = np.ones(2)
    with pytest.raises(InvalidInputError, match="'values'"):
        plot_fit_1d((W, a), np.linspace(0, 1, 4), np.ones(3))
    with pytest.raises(InvalidInputError, match="'result'"):
        plot_breaklines_2d((W, a), np.ones((4, 2)))
    with pytest.raises(InvalidInputError, match="'model'"):
        plot_fit_1d((W[None], a[None]), np.linspace(0, 1, 4), np.ones(4), model=3)
    with pytest.raises(InvalidInputError, match="'init_W'"):
        plot_orientation_amplitude(W, a, init_W=W)
    with pytest.raises(InvalidInputError, match="'result'"):
        plot_loss(object())

    deep = FakeResult(W[None], a[None], W[None], a[None], np.ones((2, 1)), np.array([0, 1]), [[]])
    deep.hidden = (np.ones((1, 2, 3)),)
    with pytest.raises(UnsupportedError, match="'W'"):
        plot_fit_1d(deep, np.linspace(0, 1, 4), np.ones(4))
