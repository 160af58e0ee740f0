"""The documentation site (issue 24 item 1): it builds with warnings as errors, its API reference
lists every public name of the stubs, and every page, link and image checks out in headless Chromium
(tools/check_docs.py)."""

import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load_tool(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check_docs = _load_tool("check_docs", ROOT / "tools" / "check_docs.py")
CHROMIUM = check_docs.find_chromium()
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on PATH (tools/check_docs.py needs it)")


def _missing_docs_packages():
    names = ["sphinx", "numpydoc", "sphinx_gallery", "pydata_sphinx_theme", "myst_parser"]
    return [n for n in names if importlib.util.find_spec(n) is None]


def test_api_pages_list_every_stub_name(tmp_path):
    sys.path.insert(0, str(ROOT / "docs" / "_ext"))
    try:
        stub_api = _load_tool("stub_api", ROOT / "docs" / "_ext" / "stub_api.py")
    finally:
        sys.path.pop(0)
    from geoquant._lazy import stub_deprecated, stub_names

    stub_api.generate(tmp_path)
    assert sorted(p.stem for p in tmp_path.glob("geoquant*.rst")) == sorted(stub_api.PACKAGES)
    for package in stub_api.PACKAGES:
        stub = stub_api._stub_path(package)
        text = (tmp_path / f"{package}.rst").read_text(encoding="utf-8")
        for name in stub_names(stub):
            assert f"{package}.{name}\n" in text, f"{package}.{name} missing from its API page"
        deprecated = text.partition("\nDeprecated\n")[2]
        for name in stub_api.deprecated_names(stub) | set(stub_deprecated(stub)):
            assert f"{package}.{name}" in deprecated, f"{package}.{name} not in the Deprecated section"
    # the top-level names are under "# deprecated" in geoquant/__init__.pyi
    assert {"nearest_triangulation", "network_function"} <= stub_api.deprecated_names(ROOT / "geoquant" / "__init__.pyi")


@needs_chromium
def test_check_docs_finds_broken_links_and_images(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "there.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (tmp_path / "index.html").write_text(
        '<html><body><main><p>hello</p><a href="sub/page.html#x">ok</a><img src="there.png">'
        '<a href="https://example.org/">external</a></main></body></html>')
    (tmp_path / "sub" / "page.html").write_text(
        '<html><body><div role="main">text<a href="../missing.html">gone</a><img src="../nope.png"></div>'
        '</body></html>')
    (tmp_path / "empty.html").write_text("<html><body><p>no main element</p></body></html>")
    assert check_docs.main([str(tmp_path), "--jobs", "1"]) == 1
    problems = check_docs.check_page(CHROMIUM, tmp_path / "sub" / "page.html", tmp_path)[2]
    assert any("missing.html" in p for p in problems) and any("nope.png" in p for p in problems)
    assert check_docs.check_page(CHROMIUM, tmp_path / "index.html", tmp_path) == (1, 1, [])
    assert "no main content" in check_docs.check_page(CHROMIUM, tmp_path / "empty.html", tmp_path)[2][0]


@pytest.mark.slow
@pytest.mark.timeout(3600)
@needs_chromium
@pytest.mark.skipif(bool(_missing_docs_packages()), reason=f"docs packages missing: {_missing_docs_packages()} "
                    "(pip install '.[docs]')")
def test_docs_build_and_check(tmp_path, capsys):
    out = tmp_path / "html"
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               MPLBACKEND="Agg")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
                           str(ROOT / "docs"), str(out)], cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    assert done.returncode == 0, f"sphinx -W failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    assert (out / "index.html").is_file() and (out / "api" / "geoquant.nn.html").is_file()
    rc = check_docs.main([str(out)])
    report = capsys.readouterr().out
    assert rc == 0, report
    with capsys.disabled():
        print(f"\ndocs: built in {seconds:.0f} s; {report.strip().splitlines()[-1]}")
