"""Why small initialisation does not interpolate the quickstart's 1D data (issue 9, item 7).

Early alignment (Maennel et al. 2018; docs/theory.md) sends every small neuron to a few directions
of the alignment potential ``G(w) = sum_i r_i relu(w . x~_i)`` or kills it. Gradient descent can then
stop at a *spurious* stationary point (Boursier & Flammarion, "Early alignment in two-layer networks
training is a two-edged sword", JMLR 2025): every live neuron sits where ``G`` and its gradient
vanish, while elsewhere on the circle ``|G|`` is large -- a neuron of the right sign there would lower
the loss (adding a balanced neuron ``s * eps * (u, 1)`` changes the loss by ``-s eps^2 G(u) + O(eps^4)``),
but the network has none left there. The quickstart's runge data at n = 4 (seed 0) is such a case.
"""

import numpy as np

from geoquant import get_target, sample_points, train_gd
from geoquant.nn import dead_neurons
from geoquant.theory import alignment_field, alignment_potential, residual_weights


def _runge_n4():
    tgt = get_target("runge", n_dims=1)
    X = sample_points(4, 1, "uniform", seed=0, corners=True, domain=np.asarray(tgt.domain))
    y = np.asarray(tgt(X), dtype=np.float64).reshape(-1)
    return X, y - y.mean()


def test_small_init_stops_at_a_spurious_stationary_point_with_an_open_escape_direction():
    X, y = _runge_n4()
    res = train_gd(X, y, width=100, init_scale=1e-2, lr=0.02, n_steps=40_000, dtype="float64", seed=0,
                   records=20)
    W, a = np.asarray(res.W, dtype=np.float64).reshape(100, 2), np.asarray(res.a, dtype=np.float64).reshape(100)
    f = np.asarray(res.predict(X), dtype=np.float64).reshape(-1)
    r = residual_weights(X, y, f)  # -dL/df(x_i), L = 1/2 mean (f - y)^2

    # not a fit: the train RMSE stays a few per cent of std(y)
    rel_rmse = np.sqrt(np.mean((f - y) ** 2)) / y.std()
    assert rel_rmse > 0.01

    # stationary: dL/da_j = -G(w_j), dL/dw_j = -a_j D(w_j), all ~ 0
    grad = np.sqrt(np.sum(alignment_potential(X, r, W) ** 2) + np.sum((a[:, None] * alignment_field(X, r, W)) ** 2))
    # the best direction for a new neuron (either sign): max |G| on the unit circle
    theta = np.linspace(-np.pi, np.pi, 20_001)
    U = np.stack([np.cos(theta), np.sin(theta)], axis=1)
    G = alignment_potential(X, r, U)
    g_max = np.abs(G).max()
    assert g_max > 1e3 * grad, (g_max, grad)

    # ... and no live neuron of the network is anywhere near it: at every live neuron's direction
    # G is below 1% of that maximum
    live = ~dead_neurons(W, X) & (a != 0)
    assert live.sum() >= 10
    u_live = W[live] / np.linalg.norm(W[live], axis=1, keepdims=True)
    assert np.abs(alignment_potential(X, r, u_live)).max() < 1e-2 * g_max
