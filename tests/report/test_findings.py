"""The findings section: sentences written from the data, checked on synthetic results with known answers."""

import json
import re

import pandas as pd
import pytest

from geoquant.report._findings import compute_findings, training_state_table

SIZES = (10, 20, 40)
SEEDS = (0, 1, 2)
SEED_FACTOR = {0: 1.0, 1: 1.1, 2: 0.9}
NET_RATIO = {0: 2.0, 1: 3.0, 2: 4.0}  # network error / Delaunay error, per seed


def _row(method, name, family, n, seed, err, *, target="bump", params=None, label=None, restart=0, **extra):
    params = params or {}
    return {
        "task_id": f"{method}-{n}-{seed}-{restart}-{json.dumps(params)}", "status": "done", "target": target,
        "target_label": label or target, "target_params": json.dumps(params, sort_keys=True), "dim": 2,
        "sampler": "uniform", "n": n, "seed": seed, "restart": restart, "method": method, "method_name": name,
        "family": family, "l2_inner": err, **extra,
    }


def synthetic(with_network_columns=True, params=None, label=None, scale=1.0):
    """delaunay: n^-1 (rate = -2/d in 2D); network: NET_RATIO x delaunay and rate -1/2 (slower);
    gp: 5 x delaunay at rate -3/2 (faster); triangulation_best (oracle): 0.1 x delaunay."""
    rows = []
    for n in SIZES:
        for s in SEEDS:
            base = scale * SEED_FACTOR[s] / n
            kw = dict(params=params, label=label)
            rows.append(_row("delaunay", "delaunay", "triangulation", n, s, base, exact=True, **kw))
            rows.append(_row("triangulation_best", "triangulation_best", "triangulation", n, s, 0.1 * base,
                             exact=n < 40, oracle=True, **kw))
            rows.append(_row("gp", "gp", "baseline", n, s, 5.0 * scale * SEED_FACTOR[s] / 40 * (40 / n) ** 1.5,
                             exact=True, **kw))
            # network: at the largest n exactly NET_RATIO x Delaunay; rate -1/2 over the sizes
            net = NET_RATIO[s] * scale * SEED_FACTOR[s] / 40 * (40 / n) ** 0.5
            extra = {}
            if with_network_columns:
                status = "interpolating" if s < 2 else ("spurious_stationary" if n == 10 else "budget")
                extra = dict(train_status=status, train_rmse_rel=1e-4 if status == "interpolating" else 0.1,
                             train_loss=1e-6, grad_norm=1e-5, flow_time=10.0, train_steps=1000, loss_increases=0,
                             between_l2=0.5 * net, nearest_l2=0.25 * net, fit_l2=net, nearest_exact=(s != 2))
            rows.append(_row("network_small", "network_small", "network", n, s, net, exact=True, **kw, **extra))
    return pd.DataFrame(rows)


def _sentences(f, key):
    return [x for x in f.items if x.key == key]


def test_closest_family_and_the_paired_seed_interval():
    f = compute_findings(synthetic())
    (s,) = _sentences(f, "closest")
    # the oracle (10x better) is excluded; gp at n=40 is 5 x delaunay; the network 2..4 x
    assert "the triangulation family is closest" in s.text and "(delaunay," in s.text
    assert "next family, network (network_small), has 3x its error" in s.text
    assert "[2, 4] over 3 seed(s)" in s.text and s.table == "F1"
    t = f.tables["F1"][1]
    assert list(t["family"]) == ["triangulation", "network", "baseline", "triangulation"]
    assert list(t["rank"]) == ["1", "2", "3", "oracle"]
    assert t.loc[0, "l2_inner median"] == pytest.approx(1.0 / 40)
    # the oracle is not dropped: ranked apart, labelled, its value in the table and the sentence
    assert t.loc[3, "best method"] == "triangulation_best"
    assert t.loc[3, "l2_inner median"] == pytest.approx(0.1 / 40)
    assert "the oracle triangulation_best (it chooses using the true target) has l2_inner 0.0025" in s.text


def test_a_closest_network_family_says_whether_its_networks_fit():
    df = synthetic()
    df.loc[df.family == "network", "l2_inner"] *= 1e-3  # the networks are now closest
    (s,) = _sentences(compute_findings(df), "closest")
    # at n = 40 seeds 0, 1 interpolate, seed 2 is at its budget
    assert "the network family is closest" in s.text and "2 of 3 of its networks fit their data" in s.text


def test_distances_and_interpolating_share():
    f = compute_findings(synthetic())
    (d,) = _sentences(f, "distance")
    assert d.measured and d.table == "F3"
    assert "0.5x their l2_inner" in d.text and "0.25x their l2_inner" in d.text
    assert "exact for 2/3 models" in d.text
    (i,) = _sentences(f, "interpolating")
    # seeds 0 and 1 interpolate at every size: 6 of 9
    assert "6 of 9 networks interpolate (67%" in i.text and "1 spurious_stationary, 2 budget" in i.text
    t = training_state_table(synthetic()[lambda d: d.family == "network"])
    assert t.loc[0, ["interpolating", "spurious_stationary", "unstable", "budget"]].tolist() == [6, 1, 0, 2]


def test_rates_against_reference_slope():
    f = compute_findings(synthetic())
    rs = _sentences(f, "rates")
    (r,) = [s for s in rs if s.table == "F7"]
    (c,) = [s for s in rs if s.table == "F6"]  # the Delaunay self-check: slope -1 on every seed, half-width 0
    assert "Delaunay's slope is -1.000" in c.text and "the self-check passes" in c.text
    assert not f.tables["F7"][1]["pre_asymptotic"].any()
    assert "reference slope -1.00" in r.text
    t = f.tables["F7"][1].set_index("method")
    assert t.loc["delaunay", "slope_mean"] == pytest.approx(-1.0)
    assert t.loc["network_small", "slope_mean"] == pytest.approx(-0.5)
    assert t.loc["gp", "slope_mean"] == pytest.approx(-1.5)
    assert t.loc["delaunay", "vs reference"] == "≈"
    assert t.loc["network_small", "vs reference"] == "slower"
    assert t.loc["gp", "vs reference"] == "faster"
    assert re.search(r"delaunay, triangulation_best consistent with it", r.text)


def test_heuristic_rows_are_counted():
    f = compute_findings(synthetic())
    (e,) = _sentences(f, "exactness")
    assert e.text.startswith("3 of 36 results are heuristic") and "triangulation_best" in e.text


def test_absent_measurements_say_so():
    f = compute_findings(synthetic(with_network_columns=False))
    (d,) = _sentences(f, "distance")
    (i,) = _sentences(f, "interpolating")
    assert not d.measured and "not measured in this study" in d.text
    assert not i.measured and "not measured in this study" in i.text
    assert "F3" not in f.tables and "F4" not in f.tables


def test_targets_with_different_parameters_are_never_pooled():
    a = synthetic(params={"width": 0.1}, label="bump(width=0.1)")
    b = synthetic(params={"width": 0.3}, label="bump(width=0.3)", scale=7.0)
    # make b's delaunay rate differ: multiply by n^-1 more
    b.loc[b.method == "delaunay", "l2_inner"] *= 10.0 / b.loc[b.method == "delaunay", "n"]
    f = compute_findings(pd.concat([a, b], ignore_index=True))
    t = f.tables["F7"][1]
    dl = t[t.method == "delaunay"].set_index("target_label")["slope_mean"]
    assert dl["bump(width=0.1)"] == pytest.approx(-1.0) and dl["bump(width=0.3)"] == pytest.approx(-2.0)
    assert len(_sentences(f, "closest")) == 2


def test_nothing_done():
    df = synthetic().assign(status="failed")
    f = compute_findings(df)
    assert len(f.items) == 1 and not f.items[0].measured


def test_networks_against_delaunay_paired_by_seed():
    f = compute_findings(synthetic())
    (s,) = _sentences(f, "networks")
    # network / delaunay per seed at n = 40: exactly NET_RATIO = 2, 3, 4
    assert "network_small 3x [2, 4]" in s.text and s.table == "F2"
    t = f.tables["F2"][1]
    assert t.loc[0, "ratio to Delaunay (median)"] == pytest.approx(3.0)
    assert (t.loc[0, "min"], t.loc[0, "max"]) == (pytest.approx(2.0), pytest.approx(4.0))


def test_between_data_of_the_networks_that_fit():
    # seeds 0 and 1 interpolate at every size; nearest_l2 = 0.25 x their error by construction
    df = synthetic()
    f = compute_findings(df)
    (b,) = _sentences(f, "between")
    assert b.table == "F5" and "its 6 interpolating network(s) (n = 10, 20, 40)" in b.text
    fit = df[(df.family == "network") & (df.train_status == "interpolating")]
    d = 0.25 * fit["l2_inner"]
    assert f"{d.min():.3g} to {d.max():.3g}" in b.text
    t = f.tables["F5"][1]
    assert list(t["n"]) == list(SIZES) and list(t["networks"]) == [2, 2, 2]
    assert t["nearest_l2/l2_inner max"].tolist() == pytest.approx([0.25, 0.25, 0.25])
    # no interpolating network: no F10 and no sentence
    none = compute_findings(df.assign(train_status="budget"))
    assert "F5" not in none.tables and not _sentences(none, "between")


def test_tables_are_numbered_in_page_order_and_every_sentence_names_one():
    f = compute_findings(synthetic())
    ids = [int(t[1:]) for t in f.tables]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)  # printed F1, F2, ... in order, none twice
    assert {s.table for s in f.items if s.measured} <= set(f.tables)
    # the fitted rates' title names the self-check's table, which comes right before it
    (rates_id,) = {s.table for s in f.items if s.key == "rates" and "reference slope" in s.text}
    (check_id,) = {s.table for s in f.items if s.key == "rates" and "self-check passes" in s.text}
    assert int(check_id[1:]) == int(rates_id[1:]) - 1 and f"({check_id})" in f.tables[rates_id][0]
