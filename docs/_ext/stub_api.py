"""Sphinx extension: the API reference, one page per public package, generated from its stub.

Each public package of geoquant keeps the one list of its public names in ``__init__.pyi``
(read at run time by ``geoquant._lazy.attach_stub``). This extension reads the same stubs
with ``geoquant._lazy.stub_names`` / ``stub_deprecated`` and writes ``api/<package>.rst``:
every public name with its docstring (``autoclass`` / ``autofunction`` / ``autodata``, rendered
by numpydoc), and the names under a ``# deprecated`` heading of the stub (and the moved names
of its ``__deprecated__`` table) in a separate "Deprecated" section.

A name that several packages re-export (``geoquant.delaunay`` is ``geoquant.triangulation.delaunay``)
is indexed once, on the page of the most specific package that lists it; the other pages
show it with ``:no-index:`` and a link to that entry.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path
from typing import Any

from geoquant._lazy import stub_deprecated, stub_names

#: the public packages, in the order of the reference's table of contents
PACKAGES = [
    "geoquant",
    "geoquant.points",
    "geoquant.targets",
    "geoquant.triangulation",
    "geoquant.interpolate",
    "geoquant.nn",
    "geoquant.theory",
    "geoquant.compare",
    "geoquant.compare.methods",
    "geoquant.study",
    "geoquant.report",
]

# where a re-exported name is indexed: the most specific package first, the top level last
_CANONICAL_ORDER = sorted(PACKAGES, key=lambda p: (-p.count("."), PACKAGES.index(p)))


def _stub_path(package: str) -> Path:
    module = importlib.import_module(package)
    return Path(module.__file__).with_suffix(".pyi")  # type: ignore[arg-type]


def deprecated_names(stub: Path) -> set[str]:
    """The re-exported names of ``stub`` that sit under a ``# deprecated`` heading comment.

    A heading is a comment line starting at column 0; it rules the imports below it up to
    the next heading.
    """
    lines = stub.read_text(encoding="utf-8").splitlines()
    tree = ast.parse("\n".join(lines), filename=str(stub))
    names: set[str] = set()
    for node in tree.body:
        if not (isinstance(node, ast.ImportFrom) and node.level > 0):
            continue
        heading = ""
        for line in reversed(lines[: node.lineno - 1]):
            if line.startswith("#"):
                heading = line
                break
        if heading.lstrip("# ").lower().startswith("deprecated"):
            names.update(a.name for a in node.names if a.asname == a.name)
    return names


def _kind(obj: Any) -> str:
    if inspect.isclass(obj):
        return "class"
    if callable(obj) and not hasattr(obj, "__origin__"):
        return "function"
    return "data"


def _directive(package: str, name: str, obj: Any, canonical: str | None) -> list[str]:
    kind = _kind(obj)
    out = [f".. auto{kind}:: {package}.{name}"]
    if canonical is not None:
        out.append("   :no-index:")
    if kind == "data":
        out.append("   :annotation:")
    out.append("")
    if canonical is not None:
        role = {"class": "class", "function": "func", "data": "data"}[kind]
        out += [f"   The same object as :py:{role}:`{canonical}.{name}`.", ""]
    return out


def _title(text: str, char: str) -> list[str]:
    return [text, char * len(text), ""]


def _summary(package: str) -> str:
    doc = inspect.getdoc(importlib.import_module(package)) or ""
    return doc.strip().split("\n\n")[0].replace("\n", " ")


def generate(outdir: Path) -> list[str]:
    """Write ``outdir/<package>.rst`` for every public package and ``outdir/index.rst``.

    Files are rewritten only when their text changed (so incremental builds stay incremental).
    Returns the page names written or kept.
    """
    outdir.mkdir(parents=True, exist_ok=True)
    names = {p: stub_names(_stub_path(p)) for p in PACKAGES}
    objects = {p: {n: getattr(importlib.import_module(p), n) for n in names[p]} for p in PACKAGES}
    canonical: dict[tuple[int, str], str] = {}
    for package in _CANONICAL_ORDER:
        for name, obj in objects[package].items():
            canonical.setdefault((id(obj), name), package)

    pages = []
    for package in PACKAGES:
        stub = _stub_path(package)
        old = deprecated_names(stub)
        moved = stub_deprecated(stub)
        lines = [f".. _api-{package}:", ""] + _title(f"``{package}``", "=")
        lines += [f".. py:module:: {package}", ""]
        summary = _summary(package)
        if summary:
            lines += [summary, ""]
        lines += [f"Public names listed in ``{stub.relative_to(stub.parents[len(package.split('.'))])}``"
                  f" ({len(names[package]) - len(old)} current, {len(old) + len(moved)} deprecated).", ""]
        current = [n for n in names[package] if n not in old]
        for section, group in (("Functions", "function"), ("Classes", "class"), ("Constants", "data")):
            members = [n for n in current if _kind(objects[package][n]) == group]
            if not members:
                continue
            lines += _title(section, "-")
            for name in members:
                obj = objects[package][name]
                home = canonical[(id(obj), name)]
                lines += _directive(package, name, obj, None if home == package else home)
        if old or moved:
            lines += _title("Deprecated", "-")
            lines += ["These names still work for one release and warn when used; CHANGELOG.md names each "
                      "replacement.", ""]
            for name in sorted(moved):
                lines += [f"``{package}.{name}``", f"   Moved to :py:obj:`{moved[name]}`.", ""]
            for name in [n for n in names[package] if n in old]:
                obj = objects[package][name]
                home = canonical[(id(obj), name)]
                lines += _directive(package, name, obj, None if home == package else home)
        text = "\n".join(lines).rstrip() + "\n"
        path = outdir / f"{package}.rst"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        pages.append(package)

    index = _title("API reference", "=") + [
        "One page per public package, generated from the package's typing stub ``__init__.pyi`` "
        "(the one list of its public names). The top-level ``geoquant`` re-exports the most used "
        "names of the packages below it.",
        "",
        ".. toctree::",
        "   :maxdepth: 1",
        "",
    ] + [f"   {p}" for p in PACKAGES]
    text = "\n".join(index) + "\n"
    path = outdir / "index.rst"
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return pages


def _builder_inited(app: Any) -> None:
    generate(Path(app.srcdir) / "api")


def setup(app: Any) -> dict[str, Any]:
    app.connect("builder-inited", _builder_inited)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
