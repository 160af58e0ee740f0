"""1D network distances integrate between every breakpoint of the network (issue 20, bug 1).

A small-initialisation network has clusters of nearly coincident kinks; ``kinks_1d`` merges each cluster
into one position (a count of distinct kinks), but the function bends at every neuron's own kink. The
distances of the Evaluator must integrate between the real breakpoints: checked here against an
independent fine-grid integration that knows nothing of breakpoints.
"""

import numpy as np
import pytest

from geoquant.compare._distances import _network_breakpoints_1d, _network_kinks_1d, _pl_distance_1d
from geoquant.compare._metrics import EvalConfig, Evaluator
from geoquant.targets import get_target


class _Net:
    family = "network"
    name = "network_small"
    piecewise_linear = False
    triangulation = None

    def __init__(self, W, a):
        self.W, self.a = W, a

    def exact_metrics(self, evaluator):
        return None

    def predict(self, x):
        x = np.asarray(x, dtype=float).reshape(-1, 1)
        return np.maximum(np.column_stack([x, np.ones(len(x))]) @ self.W.T, 0.0) @ self.a


def _clustered_network(seed):
    """Three clusters of 4-5 neurons each, kinks spread over ~0.02 inside each cluster (as small init makes)."""
    rng = np.random.default_rng(seed)
    centres = [0.23, 0.48, 0.77]
    W, a = [], []
    for c in centres:
        for _ in range(int(rng.integers(4, 6))):
            k = c + rng.uniform(-0.012, 0.012)
            s = rng.choice([-1.0, 1.0])
            scale = rng.uniform(0.3, 1.5)
            W.append([s * scale, -s * scale * k])  # relu(s (x - k)) * scale
            a.append(rng.normal() * 2.0)
    W.append([1.0, 0.2])  # an affine part on the hull
    a.append(0.4)
    return np.array(W), np.array(a)


def _grid_l2(g, x, gx, lo, hi, m=400_001):
    """||g - I(g(x))||_L2(lo, hi) by the composite trapezoid rule on a fine uniform grid (no breakpoints)."""
    t = np.linspace(lo, hi, m)
    order = np.argsort(x)
    e = g(t) - np.interp(t, x[order], gx[order])
    return float(np.sqrt(np.trapezoid(e * e, t)))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_between_l2_of_a_clustered_network_agrees_with_a_fine_grid(seed):
    net = _clustered_network(seed)
    net = _Net(*net)
    tgt = get_target("sines", n_dims=1)
    x = np.concatenate([[0.0, 1.0], np.random.default_rng(10 + seed).uniform(0, 1, 10)])
    y = np.asarray(tgt(x[:, None]), dtype=float)
    ev = Evaluator(tgt, x[:, None], y, EvalConfig())
    d = ev.network_distances(net)
    lo, hi = 0.1, 0.9  # the inner region of [0, 1] at the default margin
    gx = net.predict(x)
    ref = _grid_l2(net.predict, x, gx, lo, hi)
    assert d["between_l2"] == pytest.approx(ref, rel=1e-6)
    assert d["nearest_l2"] == d["between_l2"]
    # the merged kink positions are not the breakpoints: integrating between them is measurably wrong
    merged = _network_kinks_1d(net, x[:, None])
    assert len(merged) < len(_network_breakpoints_1d(net))
    wrong = _pl_distance_1d(net.predict, x, gx, merged, lo, hi)
    assert abs(wrong - ref) > 1e-3 * ref


def test_nearest_knots_l2_with_every_data_point_a_knot_is_the_between_distance():
    # with as many knots as interior data points the spline is the linear interpolant of g(x)
    W, a = _clustered_network(3)
    net = _Net(W, a)
    tgt = get_target("runge", n_dims=1)
    x = np.array([-1.0, -0.4, 0.1, 1.0])  # 2 interior points, 3 kink clusters: knots capped at 2
    y = np.asarray(tgt(x[:, None]), dtype=float)
    ev = Evaluator(tgt, x[:, None], y, EvalConfig(regions=("hull",)))
    d = ev.network_distances(net)
    ref = _grid_l2(net.predict, x, net.predict(x), -1.0, 1.0, m=800_001)
    assert d["between_l2"] == pytest.approx(ref, rel=1e-6)
    assert d["nearest_knots_l2"] == pytest.approx(ref, rel=1e-6)


def test_breakpoints_are_every_live_neurons_kink():
    W = np.array([[2.0, -1.0], [0.0, 1.0], [-1.0, 0.25], [3.0, 0.0]])
    a = np.array([1.0, 5.0, -2.0, 0.0])  # a constant neuron (w = 0) and a neuron with a = 0 have no kink
    got = _network_breakpoints_1d(_Net(W, a))
    np.testing.assert_array_equal(got, [0.25, 0.5])


def test_n_directions_counts_neuron_groups_by_direction_and_sign():
    # 3 directions, each carried by 3 neurons of different norms; one of them also by a negative neuron
    base = np.array([[1.0, -0.3], [-1.0, 0.6], [0.5, 0.2]])
    W = np.concatenate([base * s for s in (0.5, 1.0, 2.0)] + [base[:1]])
    a = np.concatenate([np.ones(9), [-1.0]])
    tgt = get_target("sines", n_dims=1)
    x = np.linspace(0, 1, 9)
    ev = Evaluator(tgt, x[:, None], np.asarray(tgt(x[:, None]), dtype=float), EvalConfig(regions=("hull",)))
    assert ev.network_distances(_Net(W, a))["n_directions"] == 4
