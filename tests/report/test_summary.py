"""The summary on top of the report: at most five sentences, their numbers computed from the data."""

import re

import numpy as np
import pandas as pd
import pytest

from geoquant.report._summary import compute_summary

from .test_findings import synthetic


def _numbers(text):
    return [float(x) for x in re.findall(r"(?<![\w.])(\d+(?:\.\d+)?(?:e-?\d+)?)x", text)]


def test_summary_of_a_complete_study_answers_the_question_with_the_datas_numbers():
    df = synthetic()  # 36 rows; network = 2, 3, 4 x Delaunay per seed at n = 40; oracle 0.1 x Delaunay
    s = compute_summary(df, n_planned=36)
    assert len(s.sentences) <= 5 and not s.partial
    assert s.sentences[0] == "Complete study: all 36 planned tasks ran (36 done, 0 failed)."
    # networks against Delaunay at n = 40: the median per-seed ratio is 3
    assert "bump 2D (uniform) n=40: 3x (network_small)" in s.sentences[1]
    assert "worse than Delaunay (ratio > 1.25) in 1 of 1 case(s), better (< 0.8) in 0, comparable in 0" \
        in s.sentences[1]
    # the best non-oracle triangulation is Delaunay; the oracle is shown, labelled, at 0.1 x Delaunay
    assert s.sentences[2].startswith("Delaunay is also the best triangulation that does not use the true target")
    assert "the oracle (it picks its triangulation using the true target" in s.sentences[2]
    assert "triangulation_best 0.1x" in s.sentences[2]
    # end states of those networks: seeds 0, 1 interpolate at n = 40, seed 2 is at its budget
    assert "These networks fit their data (train RMSE ≤ 0.001·std(y)) in 2 of 3 runs" in s.sentences[3]
    assert "(the others ended 1 budget; their median train RMSE 0.1·std(y))" in s.sentences[3]
    assert "over all 9 network runs of the study 6 fit their data (67%)" in s.sentences[3]
    # distances: nearest_l2 = 0.25 x error, between_l2 = 0.5 x error by construction: not close
    assert "a median 25% of their error" in s.sentences[4] and "and 50% from Delaunay's" in s.sentences[4]
    assert "not close to any triangulation's interpolant" in s.sentences[4]
    row = s.table.iloc[0]
    assert row["n"] == 40 and row["best network"] == "network_small"
    assert (row["× Delaunay"], row["× Delaunay min"], row["× Delaunay max"]) == pytest.approx((3.0, 2.0, 4.0))
    assert s.cases[0]["triangulation"] == "delaunay" and s.cases[0]["oracles"] == ["triangulation_best"]


def test_a_partial_study_says_so_first():
    df = synthetic()
    s = compute_summary(df, n_planned=50)
    assert s.partial
    assert s.sentences[0].startswith("Partial study: 36 of 50 planned tasks ran (36 done, 0 failed)")
    failed = df.assign(status=np.where(df.n == 40, "failed", "done"))
    s = compute_summary(failed, n_planned=36)
    assert s.sentences[0] == ("Complete study: all 36 planned tasks ran (24 done, 12 failed; the failures are "
                              "listed at the end).")
    # networks and Delaunay now share n = 20 at most
    assert "n=20" in s.sentences[1]


def test_networks_that_never_fit_are_said_not_to_be_interpolants():
    """The user's case of issue 21: networks closest to the target that never fit their data, beside a
    better oracle triangulation."""
    df = synthetic()
    nets = df.family == "network"
    df.loc[nets, "train_status"] = "budget"
    df.loc[nets, "train_rmse_rel"] = 0.75
    df.loc[nets & (df.n == 40), "l2_inner"] = 0.174
    df.loc[(df.method == "triangulation_best") & (df.n == 40), "l2_inner"] = 0.068
    df.loc[(df.method == "delaunay") & (df.n == 40), "l2_inner"] = 0.2
    s = compute_summary(df, n_planned=36)
    assert "0.87x (network_small)" in s.sentences[1]
    assert "triangulation_best 0.34x" in s.sentences[2]
    assert s.sentences[3].startswith("None of these 3 network runs fits its data")
    assert "(they ended 3 budget" in s.sentences[3]
    assert "their median train RMSE 0.75·std(y)" in s.sentences[3] and "not those of interpolants" in s.sentences[3]


def test_close_to_a_triangulation_other_than_delaunay():
    df = synthetic()
    nets = df.family == "network"
    df.loc[nets, "nearest_l2"] = 0.01 * df.loc[nets, "l2_inner"]
    df.loc[nets, "between_l2"] = 0.2 * df.loc[nets, "l2_inner"]
    s = compute_summary(df, n_planned=36)
    assert "a median 1% of their error" in s.sentences[4]
    assert "behave like linear interpolants of their own values, on triangulations other than Delaunay's" \
        in s.sentences[4]


def test_without_networks_or_measurements():
    df = synthetic()
    s = compute_summary(df[df.family != "network"], n_planned=None)
    assert s.sentences[0].startswith("Tasks: 27 ran (27 done, 0 failed) of an unknown number planned")
    assert "trains no network" in s.sentences[1] and len(s.sentences) == 2
    s = compute_summary(synthetic(with_network_columns=False), n_planned=36)
    assert "not recorded in this study" in s.sentences[3] and "not measured in this study" in s.sentences[4]
    s = compute_summary(df.assign(status="failed"), n_planned=36)
    assert "nothing to compare" in s.sentences[1]


def test_more_than_four_cases_are_summarised_as_a_range():
    frames = [synthetic(params={"w": k}, label=f"bump{k}") for k in range(5)]
    for k, f in enumerate(frames):
        f.loc[f.family == "network", "l2_inner"] *= 1 + k
    s = compute_summary(pd.concat(frames, ignore_index=True), n_planned=180)
    assert "3x–15x over 5 cases (median 9x" in s.sentences[1]
    assert len(s.table) == 5
