"""The typing stubs (``__init__.pyi``) are the one list of each package's public names: every
name in ``__all__`` is in the stub, imports at run time from the module the stub names, and the
lazy packages stay lazy."""

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import geoquant
from geoquant._lazy import stub_deprecated, stub_names

PACKAGES = ["geoquant", "geoquant.triangulation", "geoquant.nn", "geoquant.theory", "geoquant.compare",
            "geoquant.study", "geoquant.report", "geoquant.interpolate", "geoquant.points", "geoquant.targets",
            "geoquant.compare.methods"]


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_name_is_in_the_stub_and_importable(package):
    module = importlib.import_module(package)
    stub = Path(module.__file__).with_suffix(".pyi")
    names = stub_names(stub)
    assert sorted(names) == list(module.__all__)
    assert len(module.__all__) == len(set(module.__all__)) > 0
    for name in module.__all__:
        value = getattr(module, name)
        source = importlib.import_module(names[name], package)
        assert getattr(source, name) is value, f"{package}.{name} is not {source.__name__}.{name}"
        assert name in dir(module)
    with pytest.raises(AttributeError, match="has no attribute 'not_a_name'"):
        getattr(module, "not_a_name")


@pytest.mark.parametrize("package", PACKAGES)
def test_stub_only_reexports(package):
    # a stub holds imports only (the names' types come from their modules), each as `name as name`
    stub = Path(importlib.import_module(package).__file__).with_suffix(".pyi")
    tree = ast.parse(stub.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the docstring
        if isinstance(node, ast.Assign) and [t.id for t in node.targets if isinstance(t, ast.Name)] == ["__deprecated__"]:
            continue  # names that moved to another package (checked below)
        assert isinstance(node, ast.ImportFrom) and node.level > 0, ast.dump(node)
        assert all(a.asname == a.name for a in node.names)


@pytest.mark.parametrize("package", PACKAGES)
def test_moved_names_warn_and_are_the_new_objects(package):
    # a name that moved keeps working for one release: the same object, with a DeprecationWarning
    module = importlib.import_module(package)
    moved = stub_deprecated(Path(module.__file__).with_suffix(".pyi"))
    for old, new in moved.items():
        new_module, _, new_name = new.rpartition(".")
        with pytest.warns(DeprecationWarning, match=f"{package}.{old} is deprecated.*use {new}"):
            value = getattr(module, old)
        assert value is getattr(importlib.import_module(new_module), new_name)
        assert old not in module.__all__


def test_the_study_machinery_moved_out_of_compare():
    import geoquant.compare
    import geoquant.study

    assert {"run_study", "load_results", "load_spec", "StudySpec"} <= set(geoquant.study.__all__)
    assert not {"run_study", "load_results", "load_spec", "StudySpec"} & set(geoquant.compare.__all__)
    assert len(stub_deprecated(Path(geoquant.compare.__file__).with_suffix(".pyi"))) == 14


def test_top_level_names_match_the_subpackages():
    # a name re-exported by geoquant from a subpackage is that subpackage's public name
    for name, module in stub_names(Path(geoquant.__file__).with_suffix(".pyi")).items():
        sub = importlib.import_module(module, "geoquant")
        if sub.__name__ in PACKAGES:
            assert name in sub.__all__, f"geoquant.{name}: not in {sub.__name__}.__all__"


def test_import_stays_lazy():
    code = ("import sys, geoquant; geoquant.delaunay; geoquant.sample_points; "
            "print(sorted(m for m in ('torch', 'matplotlib', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(geoquant.__file__).parents[1])
    assert out.stdout.strip() == "[]"
