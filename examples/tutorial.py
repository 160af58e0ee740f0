"""geoquant tutorial: the geometry of one point set, then a study of your own.

Run from the repository root::

    python3 examples/tutorial.py --out /tmp/geoquant-tutorial

Part 1 takes nine points in the unit square and asks the questions the toolkit is
built around: how many triangulations do they have, which one interpolates a
target best, where does Delaunay rank, and does Waldron's bound hold?

Part 2 runs a small comparison study on a target function written here (not one
of geoquant's), sweeps one of its parameters, and writes the report, whose
summary says how the networks compare with the triangulations and whose findings
say which method family came closest. The spec format is
documented in docs/study-spec.md. The test suite runs this script
(tests/test_tutorial.py).
"""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path

import numpy as np

import geoquant as gq


def geometry() -> dict:
    """Part 1: triangulations of nine points, their interpolation errors and Waldron's bound."""
    X = gq.sample_points(9, 2, seed=0)  # (9, 2) uniform in [0, 1]^2
    f = gq.get_target("franke")  # value, gradient, Hessian and a certified bound M on [0, 1]^2

    tri = gq.delaunay(X)
    n_tri = gq.count_triangulations(X)  # all fine triangulations (every point a vertex)
    every = list(gq.enumerate_triangulations(X))
    assert len(every) == n_tri
    print(f"{len(X)} points: Delaunay has {len(tri.simplices)} triangles; the set has {n_tri} triangulations")

    # L2 error of the linear interpolant on each triangulation (exact per-simplex quadrature)
    l2 = np.array([gq.interpolation_error(t, f, "l2").total for t in every])
    l2_del = gq.interpolation_error(tri, f, "l2").total
    rank = int(np.sum(l2 < l2_del - 1e-12)) + 1
    print(f"L2 error: best {l2.min():.4g}, Delaunay {l2_del:.4g} (rank {rank} of {n_tri}), worst {l2.max():.4g}")

    # Waldron: on every simplex, max |f - I f| <= 1/2 M R^2 (R = radius of the smallest enclosing ball)
    linf = gq.interpolation_error(tri, f, "linf")
    bounds = gq.error_bounds(tri, f.hessian_bound)
    assert np.all(linf.per_simplex <= bounds)
    print(f"Waldron's bound holds on all {len(bounds)} triangles; largest ratio {np.max(linf.per_simplex / bounds):.3f}")

    sample = gq.sample_triangulations(X, 5, seed=1)  # uniform over all triangulations
    print("5 uniformly sampled triangulations: L2 errors "
          + ", ".join(f"{gq.interpolation_error(t, f, 'l2').total:.3g}" for t in sample))
    return {"n_triangulations": n_tri, "rank": rank, "l2_min": float(l2.min()), "l2_delaunay": float(l2_del)}


TARGET_MODULE = '''
import numpy as np


def ridge(x, k=4.0):
    """tanh(k (x + y - 1)): a smooth step across the diagonal of the unit square."""
    x = np.asarray(x, dtype=float)
    return np.tanh(k * (x[..., 0] + x[..., 1] - 1.0))
'''

SPEC = '''
[study]
name = "tutorial"
description = "Delaunay, the best triangulation and k-nearest neighbours on a target of our own"
seeds = [0, 1]
sizes = [6, 10, 16]

[[targets]]
name = "tutorial_targets:ridge"   # tutorial_targets.py next to this spec
dim = 2
domain = [[0.0, 1.0], [0.0, 1.0]]
# |d2/dt2 tanh(k t)| <= (4 / 3^1.5) k^2 and the Hessian is that times (1, 1)(1, 1)^T (norm 2):
# M = 2 * 0.7698 * k^2, i.e. 24.7 for k = 4. For k = 8 the bound below is too small on purpose:
# the results then carry a warning.
hessian_bound = 24.7
label = "ridge"
sweep = { k = [4.0, 8.0] }

[[samplers]]
kind = "uniform"

[[methods]]
name = "delaunay"

[[methods]]
name = "triangulation_best"

[[methods]]
name = "knn"
n_neighbors = 3
'''


def custom_study(out: Path) -> dict:
    """Part 2: a study with a user target and a parameter sweep, then its report."""
    from geoquant.study import load_results, run_study
    from geoquant.report import make_report

    out.mkdir(parents=True, exist_ok=True)
    (out / "tutorial_targets.py").write_text(textwrap.dedent(TARGET_MODULE))
    spec = out / "tutorial.toml"
    spec.write_text(SPEC)
    study_dir = out / "study"
    run = run_study(spec, study_dir, workers=0, progress=False)
    print(run.summary())

    df = load_results(study_dir)
    print(df.groupby(["target_label", "method"])["l2_inner"].median().unstack().round(4).to_string())
    warned = sorted(df.loc[df["warnings"].notna(), "target_label"].unique())
    print(f"targets whose Hessian bound was exceeded when sampled: {warned}")

    rep = make_report(study_dir, out / "report", gallery_per_target=1, progress=False)
    md = rep.markdown.read_text().splitlines()
    print("summary: " + md[2])  # the report opens with the summary: at most five sentences from the data
    findings = [ln for ln in md if ln.startswith("- ") and not ln.startswith("- **")]
    print("findings:\n  " + "\n  ".join(findings))
    print(f"report: {rep.html}")
    return {"n_done": run.n_done, "n_failed": run.n_failed, "warned": warned, "report": str(rep.html),
            "findings": findings}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="tutorial-output", help="directory for the study and its report")
    args = parser.parse_args(argv)
    return {"geometry": geometry(), "study": custom_study(Path(args.out))}


if __name__ == "__main__":
    main()
