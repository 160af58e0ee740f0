"""
Geometry of a point set: Delaunay, interpolation error and Waldron's bound
===========================================================================

Sample points in the unit square, triangulate them (Delaunay), interpolate Franke's
function linearly on the triangulation and measure the error triangle by triangle.
Waldron's sharp bound says that on every triangle ``S``

.. math:: \\sup_S |f - I f| \\le \\tfrac12 M R_S^2,

where ``M`` bounds the spectral norm of the Hessian of ``f`` and ``R_S`` is the radius of
the smallest ball enclosing ``S``. :func:`geoquant.error_bounds` gives the bound per
triangle; :func:`geoquant.interpolation_error` the error.
"""

# %%
# Points, target and triangulation
# --------------------------------
# ``sample_points(n, n_dims, seed=...)`` draws distinct points; ``corners=True`` puts the
# four corners of the box first, so the convex hull is the whole square.
import matplotlib.pyplot as plt
import numpy as np

import geoquant as gq

points = gq.sample_points(40, 2, seed=0, corners=True)
f = gq.get_target("franke")  # value, gradient, Hessian and a certified bound M on [0, 1]^2
tri = gq.delaunay(points)
print(f"{len(points)} points, {tri.n_simplices} Delaunay triangles, Hessian bound M = {f.hessian_bound:.3g}")

# %%
# Error per triangle against the bound
# ------------------------------------
# The sup-norm error of the interpolant on each triangle, and Waldron's bound
# ``1/2 M R^2`` on it. The ratio is at most 1 on every triangle.
linf = gq.interpolation_error(tri, f, "linf")
l2 = gq.interpolation_error(tri, f, "l2")
bounds = gq.error_bounds(tri, f.hessian_bound)
ratio = linf.per_simplex / bounds
assert np.all(linf.per_simplex <= bounds)
print(f"sup error {linf.total:.4f}, L2 error {l2.total:.4f} over the hull")
print(f"bound holds on all {tri.n_simplices} triangles; error / bound: "
      f"median {np.median(ratio):.3f}, max {ratio.max():.3f}")

# %%
# The triangulation coloured by error
# -----------------------------------
# Left: each triangle coloured by its sup error; right: by the fraction of Waldron's bound
# that error reaches (1 would mean the bound is attained; it is for ``M/2 |x|^2`` only).
fig, axes = plt.subplots(1, 2, figsize=(10, 4.5), constrained_layout=True)
for ax, values, title, label in [
    (axes[0], linf.per_simplex, "sup error per triangle", "sup error"),
    (axes[1], ratio, "error / Waldron's bound", r"error / $\frac{1}{2} M R_S^2$"),
]:
    coll = ax.tripcolor(points[:, 0], points[:, 1], tri.simplices, facecolors=values,
                        cmap="magma", edgecolors="white", linewidth=0.5)
    ax.plot(points[:, 0], points[:, 1], "o", color="tab:cyan", ms=3)
    ax.set_aspect("equal")
    ax.set_title(title)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    fig.colorbar(coll, ax=ax, label=label, shrink=0.85)
fig.suptitle(f"Franke's function on {len(points)} points: Delaunay, {tri.n_simplices} triangles")
plt.show()
