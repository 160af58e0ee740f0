"""The deprecated names of geoquant.nn (one release): each warns and gives what its replacement gives."""

import numpy as np
import pytest

import geoquant
import geoquant.nn as nn
from geoquant.compare.methods._networks import network_forward as compare_network_forward

BOX = [[-1, 1], [-1, 1]]


@pytest.fixture
def nets():
    rng = np.random.default_rng(5)
    W1, a1 = rng.normal(size=(3, 6, 2)), rng.normal(size=(3, 6))
    W2, a2 = rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 5))
    X1 = rng.uniform(-1, 1, (30, 1))
    X2 = rng.uniform(-1, 1, (30, 2))
    return W1, a1, X1, W2, a2, X2


def _same(x, y):
    """Equal, element for element (arrays bit for bit, nested lists/tuples/records recursively)."""
    if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
        return np.array_equal(x, y)
    if isinstance(x, (list, tuple)):
        return type(x) is type(y) and len(x) == len(y) and all(_same(u, v) for u, v in zip(x, y))
    if hasattr(x, "__dataclass_fields__"):
        return all(_same(getattr(x, f), getattr(y, f)) for f in x.__dataclass_fields__ if f not in ("line", "polygon")) \
            and getattr(x, "polygon", None) == getattr(y, "polygon", None)
    return x == y


def test_forward_aliases_warn_and_give_network_forward(nets):
    W1, a1, X1, W2, a2, X2 = nets
    c = np.array([0.5, -1.0, 2.0])
    ref = nn.network_forward(W1, a1, X1, c)
    with pytest.warns(DeprecationWarning, match="network_forward"):
        assert np.array_equal(nn.relu_forward(W1, a1, X1, c), ref)
    with pytest.warns(DeprecationWarning, match="network_forward"):
        assert np.array_equal(nn.evaluate_network(W1, a1, X1, c=c), ref)
    with pytest.warns(DeprecationWarning, match="network_forward"):
        assert np.array_equal(nn.network_function(W1, a1, X1[:, 0], output_bias=c), ref)
    with pytest.warns(DeprecationWarning, match="network_forward"):
        assert np.array_equal(geoquant.network_function(W1, a1, X1[:, 0], output_bias=c), ref)
    with pytest.warns(DeprecationWarning, match="geoquant.nn.network_forward"):
        assert np.array_equal(compare_network_forward(W2[0], a2[0], X2, 0.25), nn.network_forward(W2[0], a2[0], X2, 0.25))


def test_models_twins_warn_and_give_the_merged_function_on_a_stack(nets):
    W1, a1, X1, W2, a2, X2 = nets
    steps = np.arange(1, 65)
    loss = np.column_stack([np.where(steps < 16, 1.0, 0.5), 1.0 / steps])
    cases = [
        (nn.find_plateaus_models, nn.find_plateaus, (steps, loss), {}),
        (nn.kinks_1d_models, nn.kinks_1d, (W1, a1), dict(X=X1, exclude_dead=True)),
        (nn.cluster_directions_models, nn.cluster_directions, (W2, a2), dict(X=X2)),
        (nn.condensed_network_models, nn.condensed_network, (W1, a1), {}),
        (nn.breaklines_models, nn.breaklines, (W2, a2, BOX), {}),
        (nn.linear_regions_models, nn.linear_regions, (W2, a2, BOX), dict(min_amplitude_fraction=1e-3)),
        (nn.count_linear_pieces_models, nn.count_linear_pieces, (W2, a2, X2), {}),
    ]
    for old, new, args, kw in cases:
        with pytest.warns(DeprecationWarning, match=new.__name__):
            got = old(*args, **kw)
        new_kw = {("points" if k == "X" else k): v for k, v in kw.items()}  # the merged functions' new name
        assert _same(got, new(*args, **new_kw)), old.__name__
    # the old names always give one entry per model, also for one model
    with pytest.warns(DeprecationWarning):
        one = nn.kinks_1d_models(W1[0], a1[0])
    assert len(one) == 1 and np.array_equal(one[0].positions, nn.kinks_1d(W1[0], a1[0]).positions)


def test_output_bias_keyword_warns_and_is_c(nets):
    *_, W2, a2, X2 = nets
    c = np.array([0.5, -1.0])
    ref = nn.linear_regions(W2, a2, BOX, c=c)
    with pytest.warns(DeprecationWarning, match="output_bias"):
        old = nn.linear_regions(W2, a2, BOX, output_bias=c)
    assert [[r.offset for r in m] for m in old] == [[r.offset for r in m] for m in ref]
    with pytest.warns(DeprecationWarning), pytest.raises(geoquant.errors.InvalidInputError, match="once"):
        nn.linear_regions(W2, a2, BOX, c=c, output_bias=c)


def test_train_gd_old_keywords_warn_and_train_the_same_networks():
    rng = np.random.default_rng(2)
    P = rng.uniform(-1, 1, (9, 2))
    V = np.sin(3 * P[:, 0]) * P[:, 1]
    kw = dict(width=7, n_models=2, init_scale=0.3, lr=0.05, n_steps=40, seed=4, device="cpu", progress=False)
    ref = nn.train_gd(points=P, values=V, **kw)
    with pytest.warns(DeprecationWarning) as rec:
        old = nn.train_gd(X=P, y=V, **kw)
    assert sorted(str(w.message).split(" is ")[0] for w in rec) == [
        "the argument 'X' of train_gd", "the argument 'y' of train_gd"]
    for name in ("W", "a", "loss", "steps"):
        assert np.array_equal(getattr(old, name), getattr(ref, name)), name
    with pytest.warns(DeprecationWarning, match="'X' of TrainResult.predict"):
        assert np.array_equal(ref.predict(X=P[:4]), ref.predict(P[:4]))
    with pytest.raises(geoquant.errors.InvalidInputError, match="'points' only"):
        nn.train_gd(points=P, X=P, values=V, **kw)


def test_analysis_old_keyword_X_warns_and_gives_the_same_result(nets):
    W1, a1, X1, W2, a2, X2 = nets
    cases = [
        (nn.cluster_directions, (W2, a2), X2),
        (nn.condensed_network, (W2, a2), X2),
        (nn.kinks_1d, (W1, a1), X1),
        (nn.count_linear_pieces, (W1, a1), X1),
        (nn.dead_neurons, (W2,), X2),
    ]
    for func, args, pts in cases:
        extra = {} if func in (nn.count_linear_pieces, nn.dead_neurons) else {"exclude_dead": True}
        with pytest.warns(DeprecationWarning, match=f"'X' of {func.__name__}"):
            got = func(*args, X=pts, **extra)
        assert _same(got, func(*args, points=pts, **extra)), func.__name__
    # the data change the answer, so the keyword really reaches the function
    assert not _same(nn.dead_neurons(W2, points=X2), nn.dead_neurons(W2, points=X2 + 5.0))
