"""Slow checks of the sound comparison on the quickstart's 1D data sets."""

from pathlib import Path

import pytest

from geoquant.compare import get_method
from geoquant.study import load_spec
from geoquant.compare.methods._networks import train_networks
from geoquant.study._runner import make_data
from geoquant.study._spec import _n_in_range

QUICKSTART = Path(__file__).resolve().parents[2] / "geoquant" / "data" / "studies" / "quickstart.toml"


def _datasets_1d(seed=0):
    """The quickstart's 1D samples of one seed, drawn as the study draws them (its sampler)."""
    spec = load_spec(QUICKSTART)
    (sampler,) = spec.samplers
    for t in spec.targets:
        if t["dim"] != 1:
            continue
        for n in t["sizes"]:
            settings = {"target": {"name": t["name"], "dim": 1, "params": t["params"]},
                        "sampler": {"kind": sampler["kind"], "params": sampler["params"]}, "n": n, "seed": seed}
            _, X, y = make_data(settings)
            yield f"{t['name']}-{n}", X, y


def _network_entries_1d():
    spec = load_spec(QUICKSTART)
    return [m for m in spec.methods if m["family"] == "network" and 1 in m["dims"]]


@pytest.mark.slow
def test_halving_the_flow_tolerance_changes_the_final_loss_by_under_one_percent():
    # issue 9, item 2: the stated end does not depend on the integrator's accuracy
    # (flow: half the integrator's tolerance; GD: half the step over the same gradient-flow time)
    for m in _network_entries_1d():
        p = m["params"]
        half = {"rtol": p["rtol"] / 2} if p["mode"] == "flow" else {"lr": p["lr"] / 2}
        for name, X, y in _datasets_1d():
            if not _n_in_range(X.shape[0], m):
                continue
            a = train_networks([X], [y], [p], [0])["info"]
            b = train_networks([X], [y], [{**p, **half}], [0])["info"]
            la, lb = a["train_loss"][0], b["train_loss"][0]
            both_fit = a["train_status"][0] == b["train_status"][0] == "interpolating"
            assert both_fit or abs(la - lb) <= 0.01 * max(la, lb), (m["label"], name, la, lb)
            assert a["train_status"][0] == b["train_status"][0], (m["label"], name, a["train_status"], b["train_status"])


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="measured on the quickstart's samples before corners were added (seed 0, width 100, rtol 1e-5, t_max "
    "2000): runge n=8/16/32 within 3.5e-6/2.8e-6/6.8e-6 (both stationary at the same loss), but sines n=8 0.473 "
    "(flow at budget after 2.35e6 evaluations, loss 0.05581 vs theory 0.05552) and n=16 0.206 (budget, loss "
    "0.05084 vs 0.05075): a different function at nearly the same loss. On the samples with corners: runge "
    "n=4/8/16 within 6.8e-7/1.5e-6/1.0e-6 (stationary at the theory's loss); sines n=4 had not finished after "
    "12 min; sines n=8-32 and runge n=32 not run",
)
def test_float64_flow_at_init_1e12_ends_at_the_theory_methods_function():
    # issue 9, item 5: the theory method (refit="flow") is the init -> 0 limit of small-init training
    from geoquant.theory import sup_distance

    measured = {}
    for name, X, y in _datasets_1d():
        th = get_method("theory").fit(X, y)
        p = get_method("network_small", width=100, init_scale=1e-12, t_max=2000.0, rtol=1e-5, dtype="float64",
                       rmse_tol=1e-6).params
        net = get_method("network_small", **p)
        res = train_networks([X], [y], [p], [0])
        net.adopt(X, y, res, 0)
        d = sup_distance((net.W, net.a), (th.W, th.a), X)
        measured[name] = (d, res["info"]["train_status"][0], res["info"]["train_loss"][0], th.info()["final_loss"])
        print(name, measured[name])
    far = {k: v for k, v in measured.items() if not v[0] <= 1e-2}
    assert not far, far
