"""Regression tests for the hardening pass: silent wrong answers, up-front size refusals,
damaged files and the CLI's error lines."""

import numpy as np
import pytest

import geoquant as gq
from geoquant._validation import check_memory, memory_budget, normalized_frame
from geoquant.errors import DegenerateInputError, InvalidInputError, SpecError, TooLargeError


# ------------------------------------------------------------------------------ silent wrong answers
@pytest.mark.parametrize("call", [
    lambda: gq.delaunay(np.array([[0, 0], [1, 0], [0, 1]]) + 0j),
    lambda: gq.sample_points(5, 1, domain=[0, 1 + 1j]),
    lambda: gq.PiecewiseLinearInterpolant(gq.delaunay([[0, 0], [1, 0], [0, 1]]), [1, 2, 3j]),
    lambda: gq.get_target("franke")(np.array([[0.1, 0.2]]) + 0j),
])
def test_complex_values_are_refused_not_truncated(call):
    with pytest.raises(InvalidInputError, match="real-valued"):
        call()


def test_evaluate_refuses_nan_in_y_and_mismatched_arrays():
    X = gq.sample_points(8, 2, seed=1)
    f = gq.get_target("franke")
    m = gq.get_method("delaunay")
    m.fit(X, f(X))
    y = f(X)
    y[3] = np.nan
    with pytest.raises(InvalidInputError, match="'values'.*finite"):
        gq.evaluate(m, f, X, y)
    with pytest.raises(InvalidInputError, match="'values'.*shape"):
        gq.evaluate(m, f, X, f(X)[:-1])


def test_find_plateaus_refuses_a_nan_loss():
    with pytest.raises(InvalidInputError, match="'loss'.*finite"):
        gq.find_plateaus(np.arange(1, 6), [1.0, 0.5, np.nan, 0.2, 0.2])


def test_family_labels_are_open_and_unknown_metric_is_refused():
    # a family is any label (a user's family included): one nobody registered has no methods
    assert gq.list_methods("networks") == []
    assert gq.list_methods("network") == ["network_small", "network_standard"]
    with pytest.raises(InvalidInputError, match="'family'"):
        gq.list_methods(3)
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"method": ["m"] * 2, "seed": [0, 0], "n": [10, 20], "status": ["done"] * 2, "l2_hull": [1.0, 0.5]})
    with pytest.raises(InvalidInputError, match="'metric'.*l2_hull"):
        gq.fit_rates(df, "l2_hul")
    assert gq.fit_rates(df, "l2_hull")["slope_pooled"].iloc[0] == pytest.approx(-1.0)


def test_train_flow_refuses_t_first_after_t_max():
    with pytest.raises(InvalidInputError, match="'t_first'"):
        gq.train_flow([-0.5, 0.0, 0.5], [1.0, 0.0, 1.0], width=3, t_max=1.0, t_first=2.0, progress=False)


def test_point_file_column_names_must_be_one_printable_line(tmp_path):
    p = tmp_path / "p.csv"
    p.write_text('x,y,"val\nue"\n0,0,1\n1,0,2\n0,1,3\n')
    with pytest.raises(InvalidInputError, match="printable"):
        gq.load_points(p)
    with pytest.raises(InvalidInputError, match="'value_name'"):
        gq.write_points(tmp_path / "q.csv", [[0, 0], [1, 0], [0, 1]], [1, 2, 3], value_name="a\nb")


def test_interpolation_error_names_an_unknown_keyword():
    tri = gq.delaunay(gq.sample_points(6, 2, seed=0))
    with pytest.raises(InvalidInputError, match="'linf_ordr'.*linf_order"):
        gq.interpolation_error(tri, gq.get_target("franke"), "linf", linf_ordr=4)


def test_register_method_refuses_garbage():
    for cls in (None, 3, int, "network"):
        with pytest.raises(InvalidInputError, match="'cls'"):
            gq.register_method(cls)


@pytest.mark.parametrize("spec", [None, b"[study]", 3.5])
def test_load_spec_refuses_non_paths(spec):
    with pytest.raises(SpecError, match="'spec'"):
        gq.load_spec(spec)


def test_load_spec_refuses_a_binary_file(tmp_path):
    p = tmp_path / "s.toml"
    p.write_bytes(bytes(range(256)))
    with pytest.raises(SpecError, match="UTF-8|TOML"):
        gq.load_spec(p)


def test_cost_callable_returning_text_is_refused():
    with pytest.raises(InvalidInputError, match="'cost'"):
        gq.cost_statistics(gq.sample_points(5, 2, seed=0), lambda s: np.array(["1"] * len(s)))


def test_bound_ratios_are_never_zero_or_inf_for_close_1d_points():
    """The quickstart stored Linf/bound = 0.0 when the Waldron bound was inf; now bounds are finite."""
    from geoquant.compare import Evaluator

    X = np.array([0.1, 0.1 + 1e-9, 0.4, 0.7, 0.7 + 1e-9, 0.95])
    f = gq.get_target("sines", n_dims=1)
    ev = Evaluator(f, X, f(X))
    assert np.all(np.isfinite(ev.bounds)) and np.all(ev.bounds > 0)
    m = gq.get_method("delaunay")
    m.fit(X[:, None], f(X))
    out = ev.evaluate(m)
    for key in ("linf_ratio_hull", "linf_ratio_inner"):
        assert out[key] is None or (0 < out[key] <= 1 + 1e-9)


# ------------------------------------------------------------------------------ scale handling
@pytest.mark.parametrize("scale", [1e-310, 1e-160, 1.0, 1e150, 1e300])
def test_points_at_any_scale_are_neither_duplicates_nor_coinciding(scale):
    pts = np.array([[0, 0], [1, 0], [0, 1], [1, 1], [0.5, 0.5]]) * scale
    assert gq._validation.check_points(pts).shape == (5, 2)
    assert gq.delaunay(pts).n_simplices == 4


@pytest.mark.parametrize("k", [-1070, -530, 0, 500, 996])
def test_exact_counts_are_scale_invariant(k):
    """2**k scaling is exact, so collinear triples stay collinear: 1e-322 to 1e300."""
    base = np.array([[0, 0], [2, 0], [0, 2], [2, 2], [1, 1], [1, 0]], float)
    assert gq.count_triangulations(np.ldexp(base, k)) == gq.count_triangulations(base)


def test_duplicates_are_still_found_at_any_scale():
    for scale in (1e-310, 1e-160, 1.0, 1e200):
        pts = np.array([[0, 0], [1, 0], [0, 1], [1, 1], [1, 1]]) * scale
        with pytest.raises(DegenerateInputError, match=r"\(3, 4\)"):
            gq.delaunay(pts)


def test_normalized_frame_is_centred_unit_and_finite():
    for scale in (1e-310, 1.0, 1e300):
        f = normalized_frame(np.array([[0.0, 0.0], [4.0, 1.0], [1.0, 2.0]]) * scale)
        assert np.all(np.isfinite(f))
        assert np.ptp(f, axis=0).max() == pytest.approx(1.0)
        np.testing.assert_allclose(f.min(axis=0) + f.max(axis=0), 0.0, atol=1e-15)


# ------------------------------------------------------------------------------ size refusals
REFUSALS = [
    ("train_gd width", lambda: gq.train_gd([0.0, 0.5, 1.0], [0.0, 1.0, 0.0], width=10**9, n_steps=1, progress=False)),
    ("train_gd n_models", lambda: gq.train_gd([0.0, 0.5, 1.0], [0.0, 1.0, 0.0], width=10, n_models=10**9, n_steps=1, progress=False)),
    ("train_gd checkpoints", lambda: gq.train_gd([0.0, 0.5, 1.0], [0.0, 1.0, 0.0], width=4, n_steps=1, checkpoints=10**9, progress=False)),
    ("plot_error_map", lambda: gq.plot_error_map(gq.delaunay(gq.sample_points(6, 2, seed=0)), gq.get_target("franke"), resolution=10**6)),
    ("sectors", lambda: gq.sectors(gq.sample_points(2000, 2, seed=0))),
    ("fourier", lambda: gq.get_target("fourier", n_dims=2, n_terms=10**9)),
    ("delaunay 6D", lambda: gq.delaunay(gq.sample_points(3000, 6, seed=0))),
    ("sample_triangulations", lambda: gq.sample_triangulations(gq.sample_points(6, 2, seed=0), 10**9)),
    ("sample_points", lambda: gq.sample_points(10**10, 1)),
]


@pytest.mark.parametrize("name,call", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_runaways_are_refused_up_front_with_the_estimated_size(name, call):
    with pytest.raises(TooLargeError, match=r"needs about [0-9.]+ [GT]iB|records, more than"):
        call()


def test_wide_csv_is_refused(tmp_path):
    p = tmp_path / "w.csv"
    p.write_text(",".join(["x", "y"] + [f"c{i}" for i in range(2000)]) + "\n" + ",".join(["0"] * 2002) + "\n")
    with pytest.raises(TooLargeError, match="2002 columns"):
        gq.load_points(p)


def test_spec_width_above_a_million_is_refused():
    text = open("geoquant/data/studies/quickstart.toml").read()
    import re

    with pytest.raises(SpecError, match="width"):
        gq.load_spec(re.sub(r"width = \d+", "width = 1e9", text, count=1))


def test_memory_budget_env_var(monkeypatch):
    monkeypatch.setenv("GEOQUANT_MEMORY_BUDGET_GB", "0.5")
    assert memory_budget() == 2**29
    check_memory(2**28, "a small thing", "")
    with pytest.raises(TooLargeError, match="a big thing needs about 1 GiB.*512 MiB budget.*do less"):
        check_memory(2**30, "a big thing", "do less")
    monkeypatch.setenv("GEOQUANT_MEMORY_BUDGET_GB", "lots")
    with pytest.raises(InvalidInputError, match="GEOQUANT_MEMORY_BUDGET_GB"):
        memory_budget()


def test_delaunay_memory_estimate_accepts_the_study_sizes():
    from geoquant.triangulation._delaunay import delaunay_memory

    # the sizes geoquant's studies and tests triangulate are far inside the default budget
    for n, d in [(160, 2), (10**5, 2), (2000, 3), (500, 4), (300, 6)]:
        assert delaunay_memory(n, d) < memory_budget()


# ------------------------------------------------------------------------------ damaged files
@pytest.mark.parametrize("content", [
    b"",
    b"x,y\n",
    bytes(range(256)),
    b"x,y\n0,0\n1,0\n0,\x001\n",
    b"x,y\n0,0\n1,0\n0,1e400\n",
    b"x,y\n0,0\n1,0\n0,1,7\n",
    b"\xef\xbb\xbfx,y\n0,0\n1,0\n0,nan\n",
    b"x,x\n0,0\n1,0\n0,1\n",
])
def test_damaged_point_files_are_refused_naming_the_path(tmp_path, content):
    p = tmp_path / "d.csv"
    p.write_bytes(content)
    with pytest.raises(InvalidInputError, match="'path'|'points'"):
        gq.load_points(p)


def test_damaged_npy_files_are_refused(tmp_path):
    p = tmp_path / "d.npy"
    np.save(p, np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]))
    p.write_bytes(p.read_bytes()[:-5])  # truncated
    with pytest.raises(InvalidInputError, match="'path'"):
        gq.load_points(p)
    q = tmp_path / "o.npy"
    np.save(q, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(InvalidInputError, match="'path'"):
        gq.load_points(q)


# ------------------------------------------------------------------------------ CLI lines
def test_cli_error_lines_never_say_error_twice(tmp_path, capsys):
    from geoquant.cli import main

    p = tmp_path / "p.csv"
    gq.write_points(p, [[0, 0], [1, 0], [0, 1]], [1.0, 2.0, 3.0])
    assert main(["error", str(p), "--target", "nope"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("geoquant error: 'name'") and "error: error:" not in err
    with pytest.raises(SystemExit):
        main(["error", str(p)])
    assert "error: error:" not in capsys.readouterr().err


def test_cli_counts_are_singular_for_one(tmp_path, capsys):
    from geoquant.cli import main

    p = tmp_path / "p.csv"
    gq.write_points(p, [[0, 0], [1, 0], [0, 1]], [1.0, 2.0, 3.0])
    assert main(["delaunay", str(p)]) == 0
    assert capsys.readouterr().out.startswith("1 simplex on 3 points")
    assert gq._text.plural(1, "breakline") == "1 breakline" and gq._text.plural(2, "breakline") == "2 breaklines"
