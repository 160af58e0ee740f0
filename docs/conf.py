"""Sphinx configuration of the geoquant documentation.

Build (warnings are errors):  python3 -m sphinx -W --keep-going -b html docs docs/_build/html
Check in headless Chromium:   python3 tools/check_docs.py docs/_build/html
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # the checkout's geoquant, not an installed one
sys.path.insert(0, str(HERE / "_ext"))

os.environ.setdefault("MPLBACKEND", "Agg")

from geoquant import __version__  # noqa: E402

project = "geoquant"
author = "the geoquant authors"
copyright = "the geoquant authors"
version = release = __version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "stub_api",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "auto_examples/*.ipynb",
                    "auto_examples/*.py", "auto_examples/*.zip", "auto_examples/*.md5",
                    "auto_examples/*.json"]

# the Markdown pages (theory notes, spec reference, extending, interop, changelog)
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

# autodoc / numpydoc: the API pages are generated from the stubs (docs/_ext/stub_api.py)
autodoc_typehints = "none"  # the numpydoc "Parameters" sections give the types
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks: set[str] = set()
numpydoc_xref_param_type = False

# the gallery: examples/gallery/plot_*.py, run at build time; skipped while the folder does not exist
GALLERY = ROOT / "examples" / "gallery"
HAS_GALLERY = GALLERY.is_dir() and (GALLERY / "README.txt").is_file()
if HAS_GALLERY:
    extensions.append("sphinx_gallery.gen_gallery")
    sphinx_gallery_conf = {
        "examples_dirs": "../examples/gallery",
        "gallery_dirs": "auto_examples",
        "filename_pattern": r"/plot_",
        "download_all_examples": False,
        "remove_config_comments": True,
        "within_subsection_order": "FileNameSortKey",
        "matplotlib_animations": False,
        "reset_modules": ("matplotlib",),
    }
else:
    exclude_patterns.append("auto_examples")

html_theme = "pydata_sphinx_theme"
html_title = f"geoquant {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 4,
}
html_static_path: list[str] = []
html_last_updated_fmt = ""


def _drop_missing_gallery(app, docname, source):  # type: ignore[no-untyped-def]
    """Without examples/gallery the index's toctree leaves the gallery out (no dangling entry)."""
    if docname == root_doc and not HAS_GALLERY:
        source[0] = source[0].replace("   auto_examples/index\n", "")


def setup(app):  # type: ignore[no-untyped-def]
    app.connect("source-read", _drop_missing_gallery)
