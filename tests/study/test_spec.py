"""Study specs: expansion into tasks and SpecError messages naming the key path."""

import pytest

from geoquant.study import load_spec
from geoquant.study._spec import task_id
from geoquant.errors import SpecError

BASE = """
[study]
name = "t"
seeds = [0, 1, 2]
sizes = [8, 16]

[[targets]]
name = "runge"
dim = 1

[[targets]]
name = "franke"
dim = 2
sizes = [10, 20, 40]

[[samplers]]
kind = "uniform"

[[methods]]
name = "delaunay"

[[methods]]
name = "clough_tocher"

[[methods]]
name = "network_small"
width = 10
restarts = 2
"""


def test_expansion_counts_and_dims():
    spec = load_spec(BASE)
    tasks = spec.tasks()
    # runge 1D: 2 sizes x 3 seeds x (delaunay + 2 network restarts); clough_tocher is 2D-only
    # franke 2D: 3 sizes x 3 seeds x (delaunay + clough_tocher + 2 restarts)
    assert len(tasks) == 2 * 3 * 3 + 3 * 3 * 4
    assert len({t.id for t in tasks}) == len(tasks)
    assert {"method": "clough_tocher", "dim": 1, "reason": "clough_tocher does not support 1D"} in spec.skipped
    # defaults are filled in, so the settings determine the result
    net = next(t for t in tasks if t.method_label == "network_small")
    assert net.settings["method"]["params"]["init_scale"] == 1e-4
    assert net.settings["method"]["params"]["width"] == 10
    # gallery: the first seed only, restart 0 only
    assert {t.settings["seed"] for t in tasks if t.gallery} == {0}
    assert all(t.settings["restart"] == 0 for t in tasks if t.gallery)


def test_task_ids_are_stable_and_setting_sensitive():
    a = load_spec(BASE).tasks()
    b = load_spec(BASE.replace('name = "t"', 'name = "renamed"')).tasks()
    assert [t.id for t in a] == [t.id for t in b]  # the study name is not a task setting
    c = load_spec(BASE.replace("width = 10", "width = 11")).tasks()
    changed = {t.id for t in a} ^ {t.id for t in c}
    assert len(changed) == 2 * sum(t.method_label == "network_small" for t in a)
    s = dict(a[0].settings)
    assert task_id(s) == a[0].id and task_id({**s, "n": s["n"] + 1}) != a[0].id


def test_network_units_batch_seeds_and_restarts():
    tasks = load_spec(BASE).tasks()
    units = {}
    for t in tasks:
        units.setdefault(t.unit_key(), []).append(t)
    net_units = [u for k, u in units.items() if k.startswith("net-")]
    # one ensemble per (target, n): all seeds and restarts of the entry together
    assert len(net_units) == 2 + 3
    assert all(len(u) == 3 * 2 for u in net_units)
    data_units = [u for k, u in units.items() if k.startswith("data-")]
    assert len(data_units) == 2 * 3 + 3 * 3  # one per sample


@pytest.mark.parametrize(
    "old,new,path,expected",
    [
        ("width = 10", 'width = "ten"', "methods[2].width", 'expected a positive integer, found "ten"'),
        ("width = 10", "width = 0", "methods[2].width", "expected a positive integer, found 0"),
        ("width = 10", "width = 10\nwidht = 3", "methods[2].widht", "unknown parameter"),
        ("restarts = 2", "restarts = 2.5", "methods[2].restarts", "expected an integer >= 1 and <= 999, found 2.5"),
        ("seeds = [0, 1, 2]", "seeds = [0, -1]", "study.seeds", "non-negative integers"),
        ("seeds = [0, 1, 2]", "seeds = [0, 0]", "study.seeds", "distinct seeds"),
        ("sizes = [10, 20, 40]", 'sizes = "many"', "targets[1].sizes", "positive integers"),
        ("sizes = [8, 16]", "sizes = [1, 16]", "targets[0].sizes", "sample sizes >= 2"),
        ('name = "t"', 'name = "t"\ncolour = 1', "study.colour", "unknown key"),
        ('kind = "uniform"', 'kind = "uniform"\nparams = 3', "samplers[0].params", "expected a table"),
        ('kind = "uniform"', 'kind = "uniform"\nparams = {seed = 3}', "samplers[0].params.seed", "set by the study"),
        ('kind = "uniform"', 'kind = "uniform"\nparams = {n_dims = 2}', "samplers[0].params.n_dims", "set by the study"),
        ("dim = 1", "dim = 0", "targets[0].dim", "expected a positive integer, found 0"),
        ("restarts = 2\n", "restarts = 2\n[evaluation]\ninner_margin = 0.7\n", "evaluation.inner_margin", "<= 0.45"),
    ],
)
def test_malformed_values_name_key_path_and_expectation(old, new, path, expected):
    assert old in BASE
    with pytest.raises(SpecError) as exc:
        load_spec(BASE.replace(old, new, 1))
    msg = str(exc.value)
    assert msg.startswith(path + ":"), msg
    assert expected in msg


def test_the_documented_example_message():
    spec = BASE.replace("width = 10", 'width = "ten"')
    with pytest.raises(SpecError, match=r'^methods\[2\]\.width: expected a positive integer, found "ten"$'):
        load_spec(spec)


@pytest.mark.parametrize(
    "old,new,path,valid",
    [
        ('name = "clough_tocher"', 'name = "clough_tocker"', "methods[1].name", ["delaunay", "knn", "network_small"]),
        ('name = "runge"', 'name = "rungee"', "targets[0].name", ["runge", "franke"]),
        ('kind = "uniform"', 'kind = "unifrom"', "samplers[0].kind", ["uniform", "sobol"]),
    ],
)
def test_unknown_names_list_the_valid_ones(old, new, path, valid):
    with pytest.raises(SpecError) as exc:
        load_spec(BASE.replace(old, new, 1))
    msg = str(exc.value)
    assert msg.startswith(path + ": expected one of")
    for v in valid:
        assert f'"{v}"' in msg


def test_structural_errors():
    with pytest.raises(SpecError, match="not valid TOML"):
        load_spec(BASE.replace("width = 10", "width = 10 10"))
    with pytest.raises(SpecError, match=r"^methods: missing"):
        load_spec(BASE.split("[[methods]]")[0])
    with pytest.raises(SpecError, match=r"^methods\[1\]\.label: expected a label unique"):
        load_spec(BASE.replace('name = "clough_tocher"', 'name = "delaunay"'))
    # a method that supports none of the targets' dimensions
    only1d = BASE.replace('name = "franke"\ndim = 2\nsizes = [10, 20, 40]', 'name = "sines"\ndim = 1')
    with pytest.raises(SpecError, match=r"^methods\[1\]: method \"clough_tocher\" supports dimension\(s\) 2"):
        load_spec(only1d)
    # sampler settings are checked by drawing once: a grid needs k**dim points
    with pytest.raises(SpecError, match=r"^samplers\[0\]: cannot draw n=10 points"):
        load_spec(BASE.replace('kind = "uniform"', 'kind = "grid"\ndims = [2]'))
    with pytest.raises(SpecError, match=r"^spec: cannot read"):
        load_spec("/nonexistent/spec.toml")
    # a target parameter the target does not take
    with pytest.raises(SpecError, match=r"^targets\[0\]: get_target\(\"runge\""):
        load_spec(BASE.replace("dim = 1", "dim = 1\nparams = {wiggle = 2}", 1))


def test_label_distinguishes_two_entries_of_one_method():
    two = BASE + '\n[[methods]]\nname = "network_small"\nlabel = "net_wide"\nwidth = 40\n'
    spec = load_spec(two)
    labels = {t.method_label for t in spec.tasks()}
    assert {"network_small", "net_wide"} <= labels


def test_max_n_limits_a_method_to_small_samples():
    spec = load_spec(BASE.replace('name = "clough_tocher"', 'name = "clough_tocher"\nmax_n = 20'))
    ns = {t.settings["n"] for t in spec.tasks() if t.method_label == "clough_tocher"}
    assert ns == {10, 20}
    with pytest.raises(SpecError, match=r"^methods\[1\]\.max_n: expected a positive integer \(or omitted\), found -3"):
        load_spec(BASE.replace('name = "clough_tocher"', 'name = "clough_tocher"\nmax_n = -3'))
