"""
Counting triangulations and the L2-optimal one
==============================================

A small point set has many triangulations, and the linear interpolant of a target
depends on which one is used. :func:`geoquant.count_triangulations` counts the fine
triangulations (every point a vertex) exactly, without listing them;
:func:`geoquant.l2_optimal_triangulation` finds the one whose interpolant has the smallest
L2 error, exactly, by an integer program over the empty triangles of the points. Here we
ask where Delaunay, the triangulation most software uses, ranks among all of them.
"""

# %%
# A small point set and its triangulations
# ----------------------------------------
import matplotlib.pyplot as plt
import numpy as np

import geoquant as gq

points = gq.sample_points(12, 2, seed=3, corners=True)
f = gq.get_target("franke")
n_tri = gq.count_triangulations(points)
print(f"{len(points)} points have {n_tri} fine triangulations")

# %%
# Delaunay against the L2-best and L2-worst triangulations
# --------------------------------------------------------
# ``per_simplex`` of an L2 error is the *squared* error per triangle; ``total`` its
# square root summed over the hull.
dela = gq.delaunay(points)
l2_dela = gq.interpolation_error(dela, f, "l2")
best = gq.l2_optimal_triangulation(points, f)
worst = gq.l2_optimal_triangulation(points, f, sense="max")
print(f"L2 error: best {best.l2:.4f} (optimal: {best.optimal}), Delaunay {l2_dela.total:.4f}, "
      f"worst {worst.l2:.4f}")
print(f"Delaunay's error is {l2_dela.total / best.l2:.2f} times the best one")

# %%
# Where does Delaunay rank? With some twenty thousand triangulations we can list them all
# (:func:`geoquant.enumerate_triangulations`) and cost each one. The squared L2 error of a
# triangulation is the sum of its triangles' squared errors, so each distinct triangle is
# integrated once (:func:`geoquant.simplex_errors`) and the sums are gathered from them.
every = list(gq.enumerate_triangulations(points))
assert len(every) == n_tri
stacked = np.stack([np.sort(t.simplices, axis=1) for t in every])  # (n_tri, n_triangles, 3)
triangles, which = np.unique(stacked.reshape(-1, 3), axis=0, return_inverse=True)
sq = gq.simplex_errors(points, triangles, f, "l2").per_simplex
l2_all = np.sqrt(sq[which.ravel()].reshape(len(every), -1).sum(axis=1))
rank = int(np.sum(l2_all < l2_dela.total - 1e-12)) + 1
assert np.isclose(l2_all.min(), best.l2) and np.isclose(l2_all.max(), worst.l2)
print(f"{len(triangles)} distinct triangles occur; Delaunay ranks {rank} of {n_tri} "
      f"(better than {100 * (1 - rank / n_tri):.0f}% of them)")
print("the enumeration's best and worst agree with the integer program")

# %%
# The two triangulations side by side
# -----------------------------------
# Each triangle coloured by its share of the squared L2 error, on one colour scale; the
# histogram shows the L2 error of every triangulation of the set.
fig, axes = plt.subplots(1, 3, figsize=(14, 4.4), constrained_layout=True,
                         gridspec_kw={"width_ratios": [1, 1, 1.1]})
vmax = max(l2_dela.per_simplex.max(), best.per_simplex.max())
for ax, tri, err, title in [
    (axes[0], dela, l2_dela.per_simplex, f"Delaunay: L2 error {l2_dela.total:.4f}"),
    (axes[1], best.triangulation, best.per_simplex, f"L2-optimal: L2 error {best.l2:.4f}"),
]:
    coll = ax.tripcolor(points[:, 0], points[:, 1], tri.simplices, facecolors=err, vmin=0, vmax=vmax,
                        cmap="viridis", edgecolors="white", linewidth=0.8)
    ax.plot(points[:, 0], points[:, 1], "o", color="tab:red", ms=4)
    ax.set_aspect("equal")
    ax.set_title(title)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
fig.colorbar(coll, ax=axes[:2], label="squared L2 error per triangle", shrink=0.85)
axes[2].hist(l2_all, bins=40, color="0.6")
axes[2].axvline(best.l2, color="tab:green", label="optimal")
axes[2].axvline(l2_dela.total, color="tab:blue", label=f"Delaunay (rank {rank})")
axes[2].axvline(worst.l2, color="tab:red", label="worst")
axes[2].set_ylim(0, 1.3 * axes[2].get_ylim()[1])
axes[2].set_xlabel("L2 error of the interpolant")
axes[2].set_ylabel("number of triangulations")
axes[2].set_title(f"all {n_tri} triangulations")
axes[2].legend(loc="upper left", ncols=3, fontsize="small")
fig.get_layout_engine().set(wspace=0.06)
plt.show()
