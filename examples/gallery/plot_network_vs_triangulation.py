"""
A network beside the linear interpolant of its data
===================================================

A trained ReLU network is a piecewise-linear function, and so is the linear interpolant
of its data on a triangulation (in 1D: the broken line through the data points). How far
apart are they? :func:`geoquant.theory.sup_distance` computes ``sup |f - g|`` over the
convex hull of the data exactly, from the kinks of both functions.

We train two 1D networks from small initialization on samples of Runge's function
``1 / (1 + 25 x^2)``: on 4 points and on 8 points.
"""

# %%
# Training
# --------
import matplotlib.pyplot as plt
import numpy as np

import geoquant as gq
import geoquant.nn as gqnn
import geoquant.theory as gqt

runge = gq.get_target("runge", n_dims=1)
runs = {}
for n, seed in ((4, 7), (8, 2)):
    x = gq.sample_points(n, 1, seed=seed, domain=[-1, 1])
    y = runge(x)
    res = gqnn.train_gd(x, y, width=50, n_models=1, init_scale=1e-3, lr=0.5, n_steps=10000,
                        seed=0, device="cpu", dtype="float64", progress=False)
    runs[n] = (x, y, res)

# %%
# Distance to the interpolant
# ---------------------------
# The interpolant lives on the Delaunay triangulation of the points (in 1D the sorted
# intervals, the only fine triangulation). The network ``(W, a)`` and the interpolant are
# compared over the hull of the data; the kinks show which data points the network
# bends at.
summary = {}
for n, (x, y, res) in runs.items():
    interpolant = gq.PiecewiseLinearInterpolant(gq.delaunay(x), y)
    net = (res.W[0], res.a[0])
    dist = gqt.sup_distance(net, interpolant, x)
    fit = np.max(np.abs(gqnn.network_forward(res.W[0], res.a[0], x) - y))
    kinks = gqnn.kinks_1d(res, None)
    lo, hi = x.min(), x.max()
    inside = kinks.positions[(kinks.positions > lo) & (kinks.positions < hi)]
    summary[n] = (interpolant, dist)
    print(f"n = {n}: final loss {res.final_loss[0]:.2e}, max |f(x_i) - y_i| = {fit:.4f}, "
          f"sup |network - interpolant| = {dist:.4f}")
    print(f"        interior data points {np.sort(x[:, 0])[1:-1].round(3).tolist()}, "
          f"kinks inside the hull {np.round(inside, 3).tolist()}")

# %%
# Both functions
# --------------
# With 4 points the network bends at the two interior data points and is the
# interpolant up to a small distance; with 8 points it stalls at a simpler function, one
# kink for six interior points, far from the interpolant. The interpolant exists only on
# the hull of the data; the network goes on linearly beyond it.
fig, axes = plt.subplots(1, 2, figsize=(12, 4.3), constrained_layout=True, sharey=True)
grid = np.linspace(-1, 1, 801)
for ax, (n, (x, y, res)) in zip(axes, runs.items()):
    interpolant, dist = summary[n]
    ax.plot(grid, runge(grid[:, None]), ":", color="0.5", label="target (Runge)")
    ax.plot(grid, interpolant(grid[:, None]), "--", color="tab:green", lw=2, label="linear interpolant")
    ax.plot(grid, gqnn.network_forward(res.W[0], res.a[0], grid[:, None]), color="tab:blue",
            label="network (width 50)")
    ax.plot(x[:, 0], y, "o", color="black", label="data")
    ax.set_title(f"{n} points: sup distance {dist:.3f}")
    ax.set_xlabel("x")
axes[0].set_ylabel("f(x)")
axes[0].legend(loc="upper left", fontsize="small")
plt.show()
