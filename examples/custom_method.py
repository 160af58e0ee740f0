"""Add a method family: a piecewise-constant nearest-neighbour interpolant, checked, run in a study
and shown in its report (docs/extending.md, "Add a method family").

    python examples/custom_method.py [out_dir]

Prints the study's result rows for the new family and where the report was written.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import ClassVar

import numpy as np

from geoquant.compare import Method, Param, check_method, register_method
from geoquant.study import load_results, run_study


# 1. The family: a Method (a function, with predict) whose class attributes are its capability tags.
@register_method
class NearestNeighbour(Method):
    """The value of the nearest sample (ties: the lower index): piecewise constant on Voronoi cells."""

    name = "nearest_neighbour"
    family = "voronoi"  # a new family label: any identifier; reports list it after the shipped ones
    description = "value of the nearest sample (piecewise constant)"
    dims = None  # any dimension
    trains = False  # no training state, no ensemble
    needs_target = False  # fits on the samples alone
    exact = True  # what it reports is what it computes, no heuristic search
    piecewise_linear = False  # errors by quadrature, not simplex by simplex
    params_schema: ClassVar[dict] = {"chunk": Param("int", 4096, min=1, doc="query points per distance block")}

    def _fit(self, X, y, target, seed):
        self._X, self._y = X, y
        self._info["n_cells"] = int(len(X))

    def _predict(self, xi):
        out = np.empty(len(xi))
        step = self.params["chunk"]
        for s in range(0, len(xi), step):
            d = ((xi[s:s + step, None, :] - self._X[None, :, :]) ** 2).sum(axis=-1)
            out[s:s + step] = self._y[np.argmin(d, axis=1)]
        return out

    def state(self):
        return {"sites": self._X}


SPEC = """
[study]
name = "custom-method"
seeds = [0, 1]

[[targets]]
name = "runge"
dim = 1
sizes = [8, 16, 32]

[[targets]]
name = "franke"
dim = 2
sizes = [16, 32]

[[samplers]]
kind = "uniform"

[[methods]]
name = "nearest_neighbour"

[[methods]]
name = "delaunay"
"""


def main(out_dir: str | None = None) -> dict:
    # 2. The contract every method meets (raises, listing every failure, when one fails).
    check_method(NearestNeighbour)

    # 3. A study that runs it beside a shipped method (in this process, where it is registered).
    root = Path(out_dir or tempfile.mkdtemp(prefix="geoquant-custom-"))
    root.mkdir(parents=True, exist_ok=True)
    spec = root / "spec.toml"
    spec.write_text(SPEC)
    run = run_study(spec, root / "study", workers=0, progress=False)
    df = load_results(root / "study")
    nn = df[df["method_name"] == "nearest_neighbour"]
    print(nn[["target", "n", "seed", "family", "l2_hull", "linf_hull"]].to_string(index=False))

    # 4. The report shows the new family like a shipped one.
    from geoquant.report import make_report

    report = make_report(root / "study", root / "report", progress=False)
    print(f"{run.n_done} tasks done, {run.n_failed} failed; report: {report.html}")
    return {"results": df, "report": report, "n_failed": run.n_failed}


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
