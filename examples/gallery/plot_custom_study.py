"""
A custom study: error against sample size
=========================================

A *study* compares methods over targets, samplers, sample sizes and seeds, one result
file per task. It is described by a TOML spec (the format is in docs/study-spec.md);
here the spec is a Python string: two methods (Delaunay interpolation and k-nearest
neighbours), Franke's function, two sample sizes and two seeds, run in this process
with :func:`geoquant.study.run_study` into a temporary directory and read back with
:func:`geoquant.study.load_results` as a pandas DataFrame.
"""

# %%
# The spec
# --------
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

from geoquant.study import load_results, run_study

spec_text = """
[study]
name = "gallery-custom"
description = "Delaunay interpolation against k-nearest neighbours on Franke's function"
seeds = [0, 1]

[[targets]]
name = "franke"
dim = 2
sizes = [16, 64]

[[samplers]]
kind = "uniform"
params = { corners = true }   # the square's corners in every sample: the hull is the square

[[methods]]
name = "delaunay"

[[methods]]
name = "knn"
n_neighbors = 3
"""

# %%
# Run and load
# ------------
# ``workers=0`` runs the tasks in this process; rerunning into the same directory would
# resume (nothing left to do).
with tempfile.TemporaryDirectory() as tmp:
    out_dir = Path(tmp) / "study"
    run = run_study(spec_text, out_dir, workers=0, progress=False)
    print(f"{run.n_done} tasks done, {run.n_failed} failed")
    df = load_results(out_dir)

print(f"{len(df)} results with {df.shape[1]} columns, e.g. "
      + ", ".join(c for c in ["n", "seed", "method", "family", "l2_hull", "linf_hull", "fit_s"] if c in df))
table = df.groupby(["method", "n"])["l2_hull"].agg(["mean", "min", "max"])
print(table.round(4).to_string())

# %%
# Error against n
# ---------------
# Each seed is a point, the line joins the means over seeds. On a log-log scale the slope
# is the convergence rate; with two sizes it is only a first look (a study with more sizes
# and :func:`geoquant.compare.fit_rates` measures it).
fig, ax = plt.subplots(figsize=(6.5, 4.5), constrained_layout=True)
for (method, group), color in zip(df.groupby("method"), ["tab:blue", "tab:orange"]):
    ax.plot(group["n"], group["l2_hull"], "o", color=color, alpha=0.5)
    means = group.groupby("n")["l2_hull"].mean()
    ax.plot(means.index, means.values, "-", color=color, label=f"{method} (mean of 2 seeds)")
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xticks([16, 64], labels=["16", "64"])
ax.set_xticks([], minor=True)
ax.set_xlim(12, 85)
ax.set_xlabel("number of samples n")
ax.set_ylabel("L2 error over the square")
ax.set_title("Franke's function: error against sample size")
ax.legend()
plt.show()
