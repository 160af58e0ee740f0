"""Every study shipped in geoquant/data/studies/ parses, and its task plan is what its header says."""

from pathlib import Path

import pytest

from geoquant.study import load_spec
from geoquant.study._study import dry_run

STUDIES_DIR = Path(__file__).resolve().parents[2] / "geoquant" / "data" / "studies"
STUDIES = sorted(STUDIES_DIR.glob("*.toml"))


def test_the_shipped_studies_are_found():
    assert {p.stem for p in STUDIES} >= {"quickstart", "paper", "small_init"}


@pytest.mark.parametrize("path", STUDIES, ids=lambda p: p.stem)
def test_shipped_study_plans(path):
    spec = load_spec(path)
    plan = dry_run(spec, time_sample=False)
    assert plan["n_tasks"] == len(spec.tasks()) > 0
    assert sum(plan["by_method"].values()) == plan["n_tasks"]


def test_quickstart_trains_small_init_networks_long_at_n4_in_1d():
    # issue 9, item 7: the configuration where small initialisation can interpolate the 1D data
    tasks = [t for t in load_spec(STUDIES_DIR / "quickstart.toml").tasks()
             if t.method_label.startswith("network_small_long")]
    assert {t.settings["n"] for t in tasks} == {4}
    assert {t.settings["target"]["dim"] for t in tasks} == {1}
    assert {t.settings["method"]["params"]["init_scale"] for t in tasks} == {0.1, 0.01}
    assert len(tasks) == 2 * 2 * 3  # 2 init scales x 2 targets x 3 seeds


def test_min_n_and_max_n_select_the_sample_sizes():
    from geoquant.errors import SpecError

    spec = {
        "study": {"name": "sizes", "seeds": [0]},
        "targets": [{"name": "sines", "dim": 1, "sizes": [4, 8, 16, 32]}],
        "samplers": [{"kind": "uniform"}],
        "methods": [{"name": "delaunay", "label": "mid", "min_n": 8, "max_n": 16},
                    {"name": "delaunay", "label": "big", "min_n": 16},
                    {"name": "delaunay", "label": "all"}],
    }
    ns = {}
    for t in load_spec(spec).tasks():
        ns.setdefault(t.method_label, []).append(t.settings["n"])
    assert ns == {"mid": [8, 16], "big": [16, 32], "all": [4, 8, 16, 32]}
    spec["methods"] = [{"name": "delaunay", "min_n": 17, "max_n": 16}]
    with pytest.raises(SpecError, match=r"methods\[0\]\.min_n: expected at most max_n = 16, found 17"):
        load_spec(spec)


def test_a_spec_without_min_n_keeps_its_fingerprint():
    # the fingerprint guards a study directory: if adding an optional key changed it, every study
    # written before would read as "another study" and be rerun; pinned from the code before min_n
    from geoquant.study._spec import spec_fingerprint

    spec = {"study": {"name": "fp", "seeds": [0, 1]},
            "targets": [{"name": "sines", "dim": 1, "sizes": [4, 8]}],
            "samplers": [{"kind": "uniform", "params": {"corners": True}}],
            "methods": [{"name": "delaunay"}, {"name": "knn", "max_n": 8}]}
    assert spec_fingerprint(load_spec(spec)) == "a71bc30c4c884f6e81e4954f8ef9999012213e788a6a582e0bdcd68886691288"
    spec["methods"][0]["min_n"] = 8
    assert spec_fingerprint(load_spec(spec)) != "a71bc30c4c884f6e81e4954f8ef9999012213e788a6a582e0bdcd68886691288"


#: the shipped studies' fingerprints: a code change that alters them (a method's declared dims, family or a
#: parameter default enters the parsed spec) makes every existing study directory of that spec refuse to
#: resume or load ("spec.toml was changed after the study ran")
SHIPPED_FINGERPRINTS = {
    "first": "02197dff9fb2d317417719a7c06697989b009c17e988b716a1847f0a693f936a",
    "paper": "3f3b5a32bc1941b5dbbec8e57cb60ac297803af70869ab95fa497aa8660560e0",
    "phase": "886b69f6355880e05eaa90cb6595c6c95e5829656c316a9ee8d3bc9212bb95bc",
    "quickstart": "9bcd110f18314056df91ad620a4b6b40361fde5d07053c35f0776ec3045f99bd",
    "small_init": "aa485442c8e4e7d2bf925a464ba8af60a632ecaa1cc145761756b5ed53ab039c",
}


@pytest.mark.parametrize("name", sorted(SHIPPED_FINGERPRINTS))
def test_shipped_study_fingerprints_do_not_move(name):
    from geoquant.study._spec import spec_fingerprint

    assert spec_fingerprint(load_spec(name)) == SHIPPED_FINGERPRINTS[name]
