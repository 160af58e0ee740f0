"""User targets (name = "module:function"), target labels, parameter sweeps, distinct targets."""

import json

import numpy as np
import pytest

from geoquant.compare import fit_rates
from geoquant.study import load_results, run_study
from geoquant.study._spec import load_spec
from geoquant.errors import InvalidInputError, SpecError
from geoquant.targets import CallableTarget, get_target, import_callable, sampled_hessian_norm

MODULE = """
import numpy as np

def bowl(x, a=1.0):
    return a * np.sum(np.asarray(x) ** 2, axis=-1)
"""

SPEC = """
[study]
name = "user"
seeds = [0, 1]

[[targets]]
name = "gq_user_bowl:bowl"
dim = 2
domain = [[0.0, 1.0], [0.0, 1.0]]
hessian_bound = 2.0
label = "bowl"
sizes = [6, 12, 24]
sweep = { a = [1.0, 3.0] }

[[samplers]]
kind = "uniform"

[[methods]]
name = "delaunay"
"""


@pytest.fixture(scope="module")
def user_study(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("user")
    (tmp / "gq_user_bowl.py").write_text(MODULE)
    spec = tmp / "spec.toml"
    spec.write_text(SPEC)
    out = tmp / "out"
    run = run_study(spec, out, workers=0, progress=False)
    assert run.n_failed == 0 and run.n_done == 2 * 3 * 2
    return load_results(out)


def test_sweep_expands_into_labelled_targets(user_study):
    df = user_study
    assert sorted(df["target_label"].unique()) == ["bowl(a=1.0)", "bowl(a=3.0)"]
    assert sorted(df["target_params"].unique()) == ['{"a": 1.0}', '{"a": 3.0}']
    # same seed -> same sample; the interpolation error of a*|x|^2 is linear in a
    a1 = df[df.target_label == "bowl(a=1.0)"].set_index(["n", "seed"])["l2_inner"]
    a3 = df[df.target_label == "bowl(a=3.0)"].set_index(["n", "seed"])["l2_inner"]
    np.testing.assert_allclose(a3 / a1, 3.0, rtol=1e-9)
    # Waldron with the user's bound M = 2 holds for a = 1
    assert (df[df.target_label == "bowl(a=1.0)"]["linf_ratio_hull"] <= 1 + 1e-9).all()


def test_rates_are_fitted_per_target(user_study):
    r = fit_rates(user_study, "l2_inner")
    assert len(r) == 2 and sorted(r["target_label"]) == ["bowl(a=1.0)", "bowl(a=3.0)"]
    # errors differ by the factor 3 only: equal slopes, fitted separately
    assert r["slope_mean"].iloc[0] == pytest.approx(r["slope_mean"].iloc[1], abs=1e-9)


def test_exceeded_hessian_bound_is_a_warning_in_the_results(user_study):
    w = user_study.set_index("target_label")["warnings"]
    assert w.loc["bowl(a=1.0)"].isna().all()
    assert w.loc["bowl(a=3.0)"].str.contains("sampled Hessian norm 6 at").all()
    assert w.loc["bowl(a=3.0)"].str.contains("exceeds the given hessian_bound 2").all()


def test_callable_target_derivatives_match_an_analytic_target():
    franke = get_target("franke")
    t = CallableTarget(lambda x: franke(x), 2, franke.domain, franke.hessian_bound, "franke:copy")
    x = np.random.default_rng(3).random((50, 2))
    np.testing.assert_allclose(t(x), franke(x), rtol=0, atol=0)
    np.testing.assert_allclose(t.gradient(x), franke.gradient(x), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(t.hessian(x), franke.hessian(x), rtol=1e-4, atol=1e-4)
    value, _ = sampled_hessian_norm(t, n_samples=500, seed=0)
    assert value <= franke.hessian_bound * (1 + 1e-3)


def test_callable_target_shape_is_checked():
    t = CallableTarget(lambda x: np.zeros(3), 2, [0, 1], 1.0, "m:f")
    with pytest.raises(InvalidInputError, match="must map x of shape"):
        t(np.zeros((5, 2)))
    with pytest.raises(InvalidInputError, match="module:function"):
        import_callable("nocolon")
    with pytest.raises(InvalidInputError, match="cannot import module 'gq_no_such_module'"):
        import_callable("gq_no_such_module:f")


BASE = """
[study]
name = "t"
sizes = [6]

[[targets]]
name = "runge"
dim = 1

[[samplers]]
kind = "uniform"

[[methods]]
name = "delaunay"
"""


def test_spec_errors_for_targets(tmp_path):
    user = BASE.replace('name = "runge"', 'name = "gq_user_bowl:bowl"')
    with pytest.raises(SpecError, match=r"^targets\[0\]\.hessian_bound: expected a positive number"):
        load_spec(user)
    with pytest.raises(SpecError, match=r"^targets\[0\]\.domain: expected one \[low, high\]"):
        load_spec(user.replace("dim = 1", "dim = 1\nhessian_bound = 2.0"))
    with pytest.raises(SpecError, match=r"^targets\[0\]\.domain: expected 1 pair"):
        load_spec(user.replace("dim = 1", "dim = 1\nhessian_bound = 2.0\ndomain = [[1.0, 0.0]]"))
    with pytest.raises(SpecError, match=r"^targets\[0\]\.hessian_bound: expected it only with a user target"):
        load_spec(BASE.replace("dim = 1", "dim = 1\nhessian_bound = 2.0"))
    with pytest.raises(SpecError, match=r"docs/study-spec\.md"):
        load_spec(BASE.replace("dim = 1", "dim = 1\ncolour = 2"))
    with pytest.raises(SpecError, match=r"^targets\[0\]\.sweep\.a: expected a non-empty list"):
        load_spec(BASE.replace("dim = 1", "dim = 1\nsweep = { a = 3 }"))


def test_duplicate_targets_are_refused_and_different_params_kept_apart():
    twice = BASE + '\n[[targets]]\nname = "runge"\ndim = 1\n'
    with pytest.raises(SpecError, match=r"^targets\[1\]: expected a target different from targets\[0\]"):
        load_spec(twice)
    other = BASE + '\n[[targets]]\nname = "runge"\ndim = 1\nparams = { a = 5.0 }\n'
    spec = load_spec(other)
    from geoquant.study._spec_targets import target_label

    labels = {target_label(t.settings["target"]) for t in spec.tasks()}
    assert labels == {"runge", "runge(a=5.0)"}
    same_label = BASE.replace("dim = 1", 'dim = 1\nlabel = "r"') + \
        '\n[[targets]]\nname = "runge"\ndim = 1\nlabel = "r"\nparams = { a = 5.0 }\n'
    with pytest.raises(SpecError, match=r"^targets\[1\]\.label: expected a label unique"):
        load_spec(same_label)


def test_plain_targets_keep_their_task_settings():
    (t,) = load_spec(BASE).tasks()
    assert t.settings["target"] == {"name": "runge", "dim": 1, "params": {}}
    assert json.loads(json.dumps(t.settings)) == t.settings


# ------------------------------------------------------------------ reading runs no user code (issue 22)
LOUD = "raise RuntimeError('imported!')\n"


def test_reading_a_spec_never_imports_its_user_targets(tmp_path):
    import sys

    (tmp_path / "gq_loud_target.py").write_text(LOUD)
    path = tmp_path / "spec.toml"
    path.write_text(SPEC.replace("gq_user_bowl:bowl", "gq_loud_target:bowl"))
    spec = load_spec(path)
    assert "gq_loud_target" not in sys.modules
    (t,) = {x["name"] for x in spec.targets}
    assert t == "gq_loud_target:bowl" and spec.targets[0]["_domain"] == [[0.0, 1.0], [0.0, 1.0]]
    assert len(spec.tasks()) == 2 * 3 * 2


def test_user_target_names_and_time_limit_are_checked():
    user = BASE.replace('name = "runge"', 'name = "not a module:f"').replace(
        "dim = 1", "dim = 1\nhessian_bound = 2.0\ndomain = [[0.0, 1.0]]")
    with pytest.raises(SpecError, match=r'^targets\[0\]\.name: expected "module:function"'):
        load_spec(user)
    ok = user.replace("not a module:f", "pkg.mod:Cls.f")
    assert load_spec(ok).user_target_time_limit == 600.0
    with pytest.raises(SpecError, match=r"^study\.user_target_time_limit: expected a number > 0 and <= 1e\+07, found -1"):
        load_spec(ok.replace('name = "t"', 'name = "t"\nuser_target_time_limit = -1'))
    from geoquant.study._spec import spec_fingerprint

    limited = load_spec(ok.replace('name = "t"', 'name = "t"\nuser_target_time_limit = 5'))
    assert limited.user_target_time_limit == 5.0
    assert spec_fingerprint(limited) == spec_fingerprint(load_spec(ok))  # an execution setting, not the study


def test_user_code_is_searched_only_where_the_docs_say(tmp_path, monkeypatch):
    from geoquant.study._usercode import prepare_user_code, search_path

    src, study, extra = tmp_path / "src", tmp_path / "study", tmp_path / "extra"
    for d in (src, study, extra):
        d.mkdir()
    (src / "spec.toml").write_text(SPEC)
    spec = load_spec(src / "spec.toml")
    monkeypatch.chdir(study)
    path, left_out = search_path(spec, out=study)
    assert path == [str(src.resolve())] and left_out == [str(study.resolve())]
    path, _ = search_path(spec, out=study, extra=[extra, study])  # named explicitly: searched, first
    assert path == [str(extra.resolve()), str(study.resolve()), str(src.resolve())]
    # a spec stored in a study directory: that directory is not searched
    (study / "spec.toml").write_text(SPEC)
    (study / "manifest.json").write_text("{}")
    (study / "gq_user_bowl.py").write_text(MODULE)
    stored = load_spec(study / "spec.toml")
    assert search_path(stored, out=tmp_path / "new")[0] == []
    with pytest.raises(SpecError, match=r"cannot find module 'gq_user_bowl'.*--target-path"):
        prepare_user_code(stored, tmp_path / "new")
    assert prepare_user_code(stored, tmp_path / "new", [study])["path"] == [str(study.resolve())]
    with pytest.raises(InvalidInputError, match="'target_path'"):
        search_path(stored, extra=[tmp_path / "missing"])


def test_sys_exit_in_user_code_is_a_user_code_error(tmp_path, monkeypatch):
    from geoquant.errors import UserCodeError

    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "gq_exits_on_import.py").write_text("import sys\nsys.exit(7)\n")
    with pytest.raises(UserCodeError, match=r"importing module 'gq_exits_on_import' called sys\.exit\(7\)"):
        import_callable("gq_exits_on_import:f")
    (tmp_path / "gq_needs_dep.py").write_text("import gq_no_such_dependency\n")
    with pytest.raises(UserCodeError, match="importing module 'gq_needs_dep' failed: ModuleNotFoundError"):
        import_callable("gq_needs_dep:f")
    t = CallableTarget(lambda x: exit(3), 1, [0, 1], 1.0, "m:f")
    with pytest.raises(UserCodeError, match=r"target 'm:f' called sys\.exit\(3\)"):
        t(np.zeros((4, 1)))


def test_an_unprepared_unit_imports_from_installed_packages_only(tmp_path, monkeypatch):
    from geoquant.study._runner import run_unit

    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend("")  # as `python -m` would
    (tmp_path / "gq_unprepared.py").write_text(MODULE)
    (t,) = load_spec(BASE.replace('name = "runge"', 'name = "gq_unprepared:bowl"').replace(
        "dim = 1", "dim = 1\nhessian_bound = 2.0\ndomain = [[0.0, 1.0]]")).tasks()
    (rec,) = run_unit({"key": "k", "tasks": [{"id": t.id, "settings": t.settings, "gallery": False}]})
    assert rec["status"] == "failed" and "cannot import module 'gq_unprepared'" in rec["error"]["message"]
