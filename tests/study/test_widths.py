"""Networks of two widths on the same data, compared from their stored weights (issue 20: width independence)."""

import numpy as np
import pytest

from geoquant.study import load_gallery, load_results, load_spec, run_study, width_comparison
from geoquant.nn import network_forward

SPEC = """
[study]
name = "widths"
seeds = [0, 1]
gallery_seeds = [0, 1]
[evaluation]
refine = 1
[[targets]]
name = "sines"
dim = 1
sizes = [6]
[[targets]]
name = "franke"
dim = 2
sizes = [8]
[[samplers]]
kind = "uniform"
params = { corners = true }
[[methods]]
name = "network_small"
label = "net"
width = [5, 9]
init_scale = 0.1
center = true
mode = "gd"
lr = 0.05
n_steps = 300
"""


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    d = tmp_path_factory.mktemp("widths")
    (d / "s.toml").write_text(SPEC)
    out = d / "study"
    run_study(load_spec(d / "s.toml"), out, workers=0, progress=False)
    return out


def test_width_pairs_and_their_sup_distance_against_a_dense_grid(study):
    df = load_results(study)
    wc = width_comparison(study, df)
    assert len(wc) == 2 * 2  # (1D, 2D) x 2 seeds, one pair of widths each
    assert set(zip(wc["width_small"], wc["width_large"])) == {(5, 9)}
    nets = df[df["family"] == "network"]
    for _, row in wc.iterrows():
        pair = nets[(nets["dim"] == row["dim"]) & (nets["seed"] == row["seed"])].sort_values("width")
        arrs = [load_gallery(study, f) for f in pair["gallery_file"]]
        X = arrs[0]["X"]
        lo, hi = X.min(axis=0), X.max(axis=0)
        if row["dim"] == 1:
            q = np.linspace(lo[0], hi[0], 200_001)[:, None]
        else:  # the hull is the box (corners in every sample)
            g = [np.linspace(lo[k], hi[k], 401) for k in range(2)]
            q = np.stack(np.meshgrid(*g), axis=-1).reshape(-1, 2)
        f = [network_forward(a["state_W"], a["state_a"], q, float(a["state_c"])) for a in arrs]
        dense = float(np.abs(f[0] - f[1]).max())
        # exact sup >= any sampled value, and close to a dense sample
        assert row["sup_distance"] >= dense - 1e-12
        assert row["sup_distance"] <= dense + (1e-6 if row["dim"] == 1 else 0.02 * max(dense, 1e-3))
        assert row["n_directions_small"] == pair["n_directions"].iloc[0]
