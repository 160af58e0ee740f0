import importlib
import subprocess
import sys

import pytest

import geoquant

SUBPACKAGES = ["geoquant", "geoquant.triangulation", "geoquant.nn", "geoquant.theory", "geoquant.compare"]


@pytest.mark.parametrize("modname", SUBPACKAGES)
def test_every_public_name_exists(modname):
    mod = importlib.import_module(modname)
    assert len(mod.__all__) == len(set(mod.__all__))
    for name in mod.__all__:
        assert getattr(mod, name) is not None, f"{modname}.{name}"


def test_errors_are_geoquant_errors():
    assert issubclass(geoquant.InvalidInputError, ValueError)
    for name in ("InvalidInputError", "DegenerateInputError", "DuplicatePointsError", "TooLargeError",
                 "UnsupportedError", "SpecError", "StorageError"):
        assert issubclass(getattr(geoquant, name), geoquant.GeoquantError)


def test_import_is_light():
    # geometry work must not pay for torch
    code = "import sys, geoquant; geoquant.delaunay([[0,0],[1,0],[0,1]]); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_version_cli():
    out = subprocess.run([sys.executable, "-m", "geoquant", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"geoquant {geoquant.__version__}"
