"""The one numpy forward pass (network_forward) and the one crease extractor (nn._creases)."""

import ast
import pathlib

import numpy as np
import pytest

from geoquant.errors import InvalidInputError
from geoquant.nn import (
    Kinks,
    breaklines,
    crease_lines,
    kinks_1d,
    network_forward,
)


def brute(W, a, X, c=0.0, hidden=()):
    """Slow reference: neuron by neuron, point by point, layer by layer."""
    out = np.empty(len(X))
    for i, x in enumerate(X):
        h = np.array([max(0.0, float(np.dot(w[:-1], x) + w[-1])) for w in W])
        for V in hidden:
            k = V.shape[0]
            h = np.array([max(0.0, float(np.dot(V[j, :k], h) + V[j, k])) for j in range(k)])
        out[i] = float(np.dot(a, h)) + c
    return out


@pytest.fixture
def net(rng):
    W = rng.normal(size=(3, 7, 3))
    a = rng.normal(size=(3, 7))
    X = rng.uniform(-2, 2, (40, 2))
    return W, a, X


def test_network_forward_matches_brute_force(net):
    W, a, X = net
    for k in range(3):
        np.testing.assert_allclose(network_forward(W[k], a[k], X, 0.5), brute(W[k], a[k], X, 0.5), rtol=1e-13, atol=1e-13)


def test_network_forward_deep_matches_brute_force(rng):
    W = rng.normal(size=(2, 5, 2))
    a = rng.normal(size=(2, 5))
    V = rng.normal(size=(2, 5, 6))
    X = rng.uniform(-1, 1, (25, 1))
    out = network_forward(W, a, X, np.array([0.1, -0.2]), hidden=[V])
    for k in range(2):
        np.testing.assert_allclose(out[k], brute(W[k], a[k], X, [0.1, -0.2][k], [V[k]]), rtol=1e-12, atol=1e-12)
    # the unchecked path (TrainResult.predict's) is the same arithmetic
    assert np.array_equal(network_forward(W, a, X, np.array([0.1, -0.2]), hidden=[V], check_input=False), out)


def test_network_forward_stack_chunks_and_shapes_are_bit_identical(net, rng):
    W, a, X = net
    one = np.stack([network_forward(W[k], a[k], X) for k in range(3)])
    assert np.array_equal(network_forward(W, a, X), one)  # a stack = each model alone, bit for bit
    assert np.array_equal(network_forward(W, a, X, chunk_elements=7 * 3), one)  # chunks of 3 points
    Xs = rng.uniform(-1, 1, (3, 11, 2))  # one point set per model
    assert np.array_equal(network_forward(W, a, Xs)[1], network_forward(W[1], a[1], Xs[1]))
    grid = X.reshape(4, 10, 2)  # leading axes are kept
    assert np.array_equal(network_forward(W[0], a[0], grid), network_forward(W[0], a[0], X).reshape(4, 10))
    Xt = np.concatenate([X, np.ones((40, 1))], axis=1)
    assert np.array_equal(network_forward(W[0], a[0], Xt, augmented=True), network_forward(W[0], a[0], X))
    # an output offset of 0 changes nothing, with or without the checks
    assert np.array_equal(network_forward(W, a, X, 0.0, check_input=False), one)


def test_network_forward_positive_homogeneity(net):
    """relu is 1-homogeneous: scaling [w | b] by s > 0 and a by 1/s leaves f unchanged."""
    W, a, X = net
    s = np.array([2.0, 0.5, 4.0, 1.0, 8.0, 0.25, 1.0])  # powers of two: exact
    assert np.array_equal(network_forward(W[0] * s[:, None], a[0] / s, X), network_forward(W[0], a[0], X))


# --------------------------------------------------------------------------- creases
def test_kinks_1d_one_model_gives_kinks_and_a_stack_a_list(rng):
    W = rng.normal(size=(4, 6, 2))
    a = rng.normal(size=(4, 6))
    single = kinks_1d(W[2], a[2])
    assert isinstance(single, Kinks)
    many = kinks_1d(W, a)
    assert isinstance(many, list) and len(many) == 4 and all(isinstance(k, Kinks) for k in many)
    one = kinks_1d(W[2:3], a[2:3])  # a stack of one model is still a stack
    assert isinstance(one, list) and len(one) == 1
    for k in (many[2], one[0]):
        assert np.array_equal(k.positions, single.positions) and np.array_equal(k.jumps, single.jumps)


def test_breaklines_one_model_gives_a_list_and_a_stack_a_list_per_model(rng):
    W = rng.normal(size=(3, 6, 3))
    a = rng.normal(size=(3, 6))
    box = [[-1, 1], [-1, 1]]
    single = breaklines(W[1], a[1], box)
    many = breaklines(W, a, box)
    assert len(many) == 3 and all(isinstance(x, list) for x in many)
    assert [(b.count, b.jump, b.offset) for b in many[1]] == [(b.count, b.jump, b.offset) for b in single]
    assert len(breaklines(W[1:2], a[1:2], box)) == 1


class _Result:
    def __init__(self, W, a, hidden=()):
        self.W, self.a, self.hidden = W, a, hidden


def test_single_model_functions_on_results(rng):
    W = rng.normal(size=(1, 5, 2))
    a = rng.normal(size=(1, 5))
    k = kinks_1d(_Result(W, a))  # a one-model result is one model
    assert isinstance(k, Kinks) and np.array_equal(k.positions, kinks_1d(W[0], a[0]).positions)
    two = kinks_1d(_Result(np.concatenate([W, W]), np.concatenate([a, a])))  # several models: a list
    assert len(two) == 2 and np.array_equal(two[1].positions, k.positions)
    from geoquant.errors import UnsupportedError

    with pytest.raises(UnsupportedError, match="hidden layer"):
        kinks_1d(_Result(W, a, hidden=(np.zeros((1, 5, 6)),)))


def test_kinks_1d_known_merge_and_jumps():
    # neurons 0 and 1 share the kink 0.5 (slope jumps 1*1 + 1*2), neuron 2 has its kink at 0.2 (jump -1*1)
    W = np.array([[1.0, -0.5], [2.0, -1.0], [-1.0, 0.2], [0.0, 3.0]])  # the last one is constant
    a = np.array([1.0, 1.0, -1.0, 1.0])
    k = kinks_1d(W, a)
    np.testing.assert_allclose(k.positions, [0.2, 0.5], rtol=1e-15)
    assert k.counts.tolist() == [1, 2] and k.n_flat == 1
    np.testing.assert_allclose(k.jumps, [-1.0, 3.0], rtol=1e-15)
    # the jump is the change of slope of the network function across the kink
    h = 1e-6
    for x0, j in zip(k.positions, k.jumps):
        f = lambda x: network_forward(W, a, np.array([[x]]))[0]  # noqa: E731
        slope_r = (f(x0 + 2 * h) - f(x0 + h)) / h
        slope_l = (f(x0 - h) - f(x0 - 2 * h)) / h
        assert slope_r - slope_l == pytest.approx(j, abs=1e-6)


def test_crease_lines_brute_force_and_one_threshold_rule(rng):
    W = rng.normal(size=(9, 3))
    a = rng.normal(size=9)
    a[3] = 1e-9  # negligible amplitude: no crease
    W[5, :2] = 0.0  # constant neuron: no crease
    L = crease_lines(W, a, min_amplitude_fraction=1e-3)
    amp = np.abs(a) * np.linalg.norm(W, axis=1)
    want = [W[j] / np.hypot(*W[j, :2]) for j in range(9) if amp[j] >= 1e-3 * amp.max() and j != 5]
    np.testing.assert_allclose(L, np.array(want), rtol=1e-15)
    np.testing.assert_allclose(np.hypot(L[:, 0], L[:, 1]), 1.0, rtol=1e-15)
    # theory's network_lines is this extractor
    from geoquant.theory import network_lines

    assert np.array_equal(network_lines(W, a), L)
    # the same neurons as the merged breaklines (angle_tol = 0 merges only identical lines)
    bl = breaklines(W, a, [[-50, 50], [-50, 50]], angle_tol=0.0, min_amplitude_fraction=1e-3)
    assert sorted(int(m) for b in bl for m in b.members) == [j for j in range(9) if j not in (3, 5)]


def test_crease_lines_1d():
    W = np.array([[2.0, -1.0], [0.0, 1.0], [-4.0, 1.0]])
    assert np.array_equal(crease_lines(W, np.ones(3)), np.array([0.5, 0.25]))
    assert np.array_equal(crease_lines(W), np.array([0.5, 0.25]))  # no amplitudes: every nonzero neuron
    with pytest.raises(InvalidInputError, match="'W'"):
        crease_lines(np.ones((3, 4)), np.ones(3))


def test_report_draws_the_kinks_and_lines_nn_finds(rng):
    """report/_gallery has no extractor of its own: its kinks/lines are nn.kinks_1d's / nn.breaklines'."""
    from geoquant.report._gallery import _network_segments, network_kinks

    W1, a1 = rng.normal(size=(8, 2)), rng.normal(size=8)
    pos, jumps = network_kinks(W1, a1, -1.0, 1.0)
    k = kinks_1d(W1, a1)
    sel = (k.positions >= -1) & (k.positions <= 1)
    assert np.array_equal(pos, k.positions[sel]) and np.array_equal(jumps, k.jumps[sel])
    W2, a2 = rng.normal(size=(6, 3)), rng.normal(size=6)
    box = np.array([[-1.0, 1.0], [-1.0, 1.0]])
    drawn = _network_segments(W2, a2, box)
    want = breaklines(W2, a2, box)
    assert len(drawn) == sum(len(getattr(b.line, "geoms", [b.line])) for b in want)
    assert [j for _, j in drawn] == [b.jump for b in want for _ in getattr(b.line, "geoms", [b.line])]


def _imports(path, package):
    """Modules of ``package`` imported anywhere in ``path`` (function-local imports included)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            out.add(f"{package}.{node.module}")
    return out


def test_nn_import_graph_has_no_cycles():
    root = pathlib.Path(__file__).resolve().parents[2] / "geoquant" / "nn"
    graph = {f"nn.{p.stem}": _imports(p, "nn") for p in root.glob("_*.py")}
    state = {}

    def visit(n, stack):
        state[n] = 1
        for m in graph.get(n, ()):
            if state.get(m) == 1:
                raise AssertionError(f"import cycle: {' -> '.join(stack + [n, m])}")
            if m in graph and not state.get(m):
                visit(m, stack + [n])
        state[n] = 2

    for n in graph:
        if not state.get(n):
            visit(n, [])
    assert max(len(p.read_text().splitlines()) for p in root.glob("*.py")) <= 600


@pytest.mark.parametrize("d", [1, 2])
def test_network_forward_compiled_path_agrees_with_the_numpy_path(d, monkeypatch):
    # large depth-1 evaluations run the fused kernel; the plain numpy arithmetic is the reference
    from geoquant.nn import _neurons

    rng = np.random.default_rng(d)
    W, a, X = rng.normal(size=(300, d + 1)), rng.normal(size=300), rng.uniform(-1, 1, (2000, d))
    assert 300 * 2000 >= _neurons._FUSED_MIN_WORK
    fast = network_forward(W, a, X, 0.25)
    monkeypatch.setattr(_neurons, "_FUSED_MIN_WORK", 10**18)
    ref = network_forward(W, a, X, 0.25)
    np.testing.assert_allclose(fast, ref, rtol=1e-12, atol=1e-12 * np.abs(ref).max())
    assert fast.shape == ref.shape == (2000,)
