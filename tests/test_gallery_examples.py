"""The gallery's examples (examples/gallery/plot_*.py, rendered by sphinx-gallery) run cleanly.

Each script runs in a fresh interpreter with the Agg backend, as sphinx-gallery runs it,
with DeprecationWarning and FutureWarning turned into errors: it must exit 0, print no
traceback and no warning, and print the numbers it computes. Together they take about
25 s of CPU (about 50 s of wall time on two busy cores), so the runs are marked slow (``pytest -m slow tests/test_gallery_examples.py``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GALLERY = ROOT / "examples" / "gallery"
SCRIPTS = sorted(GALLERY.glob("plot_*.py"))

def test_gallery_has_readme_and_examples():
    readme = (GALLERY / "README.txt").read_text().splitlines()
    assert readme[1] == "=" * len(readme[0])
    assert len(SCRIPTS) >= 5


@pytest.mark.slow
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_gallery_example_runs(script, tmp_path):
    doc = script.read_text().split('"""')[1].strip().splitlines()
    assert set(doc[1]) == {"="} and len(doc[1]) >= len(doc[0]), f"{script.name}: title not underlined with '='"
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    proc = subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning", "-W", "error::FutureWarning", str(script)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "Traceback" not in out, out
    assert "Warning" not in proc.stderr, proc.stderr
    assert any(ch.isdigit() for ch in proc.stdout), f"{script.name} printed no numbers"
