"""
A small training run and its breaklines
=======================================

A one-hidden-layer ReLU network ``f(x) = sum_j a_j relu(w_j . x + b_j)`` is piecewise
linear: each neuron creases ``f`` along the line ``w_j . x + b_j = 0``. Trained by
gradient descent from a *small* initialization, the neurons first align with a few
directions, so a network with 50 neurons ends with only a handful of distinct crease
lines ("breaklines"). :func:`geoquant.nn.train_gd` trains it; :func:`geoquant.nn.breaklines`
merges neurons that crease along the same line and reports each line's gradient jump.
"""

# %%
# Data and training
# -----------------
# Twelve points in the unit square with the values of a Gaussian bump, a network of
# width 50 initialized at scale 1e-3, 3000 steps of full-batch gradient descent (float64
# on the CPU, a fraction of a second).
import matplotlib.pyplot as plt
import numpy as np

import geoquant as gq
import geoquant.nn as gqnn

points = gq.sample_points(12, 2, seed=1)
values = gq.get_target("gaussian")(points)
res = gqnn.train_gd(points, values, width=50, n_models=1, init_scale=1e-3, lr=0.5, n_steps=3000,
                    seed=0, device="cpu", dtype="float64", progress=False)

# The loss of the best affine fit: small initialization first passes near it.
design = np.column_stack([points, np.ones(len(points))])
coef, *_ = np.linalg.lstsq(design, values, rcond=None)
affine_loss = 0.5 * np.mean((design @ coef - values) ** 2)
print(f"loss: initial {res.loss[0, 0]:.5f}, best affine fit {affine_loss:.5f}, final {res.final_loss[0]:.5f}")

# %%
# Breaklines
# ----------
# Of the 50 neurons only some grew from the small initialization (the others keep an
# amplitude ``|a_j| ||(w_j, b_j)||`` near zero); of those, some crease outside the square.
# The rest share a few lines: ``count`` neurons on each.
amplitudes = gqnn.neuron_amplitudes(res).ravel()
grown = int(np.sum(amplitudes > 1e-3 * amplitudes.max()))
lines = gqnn.breaklines(res, None, [[0, 1], [0, 1]])
print(f"{grown} of {res.config['width']} neurons grew; {sum(b.count for b in lines)} of them crease "
      f"the unit square, along {len(lines)} distinct lines")
for b in lines:
    print(f"  normal ({b.normal[0]:+.3f}, {b.normal[1]:+.3f}), offset {b.offset:+.3f}: "
          f"{b.count} neurons, gradient jump {b.jump:+.3f}")

# %%
# The network's function with its breaklines and the data (coloured by their values, on
# the heat map's scale), and the loss curve against the affine fit's loss.
fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 4.5), constrained_layout=True)
gqnn.plot_breaklines_2d(res, points, values, domain=[[0, 1], [0, 1]], ax=ax0)
ax0.set_title(f"network (width 50) and its {len(lines)} breaklines; data as circles")
ax1.loglog(res.steps[1:], res.loss[1:, 0], label="training loss")
ax1.axhline(affine_loss, color="tab:red", ls="--", label="best affine fit")
ax1.set_xlabel("gradient descent step")
ax1.set_ylabel("loss  $\\frac{1}{2}\\,$mean$(f(x_i) - y_i)^2$")
ax1.set_title("loss curve")
ax1.legend()

# %%
# The 1D case: kinks
# ------------------
# In one dimension the creases are points, the kinks (:func:`geoquant.nn.kinks_1d`).
# Eight samples of Runge's function on [-1, 1]; the network is drawn with the linear
# interpolant of the data and its kinks as vertical lines (labelled with the number of
# neurons merged into each). This run stalls at a function with a single kink inside the
# data range: small initialization has found a simple function, not the interpolant.
x = gq.sample_points(8, 1, seed=2, domain=[-1, 1])
runge = gq.get_target("runge", n_dims=1)
y = runge(x)
res1 = gqnn.train_gd(x, y, width=50, n_models=1, init_scale=1e-3, lr=0.5, n_steps=3000,
                     seed=0, device="cpu", dtype="float64", progress=False)
kinks = gqnn.kinks_1d(res1, None)
inside = (kinks.positions > -1) & (kinks.positions < 1)
print(f"1D: final loss {res1.final_loss[0]:.2e}; {len(kinks)} kinks, {inside.sum()} inside [-1, 1] at "
      + ", ".join(f"{p:+.3f}" for p in kinks.positions[inside]))
fig1, ax = plt.subplots(figsize=(7, 4), constrained_layout=True)
gqnn.plot_fit_1d(res1, x, y, target=runge, interpolant=True, ax=ax)
ax.set_title(f"1D network (width 50), loss {res1.final_loss[0]:.1e}: "
             f"{inside.sum()} kink(s) inside [-1, 1]")
plt.show()
