"""Share of annotated parameters in geoquant's public API.

The public API is every name that a package's typing stub (``geoquant/**/__init__.pyi``)
re-exports: for a function, its parameters; for a class, the parameters of ``__init__``,
``__call__`` and its public methods (``self``/``cls`` not counted). A parameter counts as
annotated when it carries a type annotation; return annotations are counted separately.
Only the source is read (``ast``), so the script runs on any checkout without importing it.

Usage::

    python3 tools/count_annotations.py [ROOT] [--by-name]

ROOT is a repository root (default: this checkout), e.g. ``/work/main`` for a before/after.
"""

from __future__ import annotations

import argparse
import ast
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Count:
    """Annotated parameters and returns of one public definition."""

    name: str
    params: int = 0
    annotated: int = 0
    returns: int = 0
    returns_annotated: int = 0


def _function(node: ast.FunctionDef | ast.AsyncFunctionDef, name: str, *, method: bool) -> Count:
    a = node.args
    params = [*a.posonlyargs, *a.args, *a.kwonlyargs]
    if method and not any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in node.decorator_list):
        params = params[1:]  # self / cls
    params += [p for p in (a.vararg, a.kwarg) if p is not None]
    return Count(name, len(params), sum(p.annotation is not None for p in params), 1, int(node.returns is not None))


def count_definition(tree: ast.Module, name: str, qualname: str) -> list[Count]:
    """Counts for the top-level function or class ``name`` of a parsed module (empty if not there)."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return [_function(node, qualname, method=False)]
        if isinstance(node, ast.ClassDef) and node.name == name:
            out = []
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
                    item.name in ("__init__", "__call__") or not item.name.startswith("_")
                ):
                    is_property = any(isinstance(d, ast.Name) and d.id == "property" for d in item.decorator_list)
                    c = _function(item, f"{qualname}.{item.name}", method=True)
                    if is_property:  # a property has no parameters; its return type still counts
                        c.params = c.annotated = 0
                    out.append(c)
            return out
    return []


def stub_exports(stub: Path) -> dict[str, str]:
    """Name -> relative module of each ``from .module import name as name`` in a stub."""
    out = {}
    for node in ast.parse(stub.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            for alias in node.names:
                if alias.asname in (None, alias.name):
                    out[alias.name] = "." * node.level + (node.module or "")
    return out


def _lazy_exports(init: Path) -> dict[str, str]:
    """Name -> module of an ``__init__.py`` that lists them in a ``_LAZY`` dict (before the stubs)."""
    out: dict[str, str] = {}
    for node in ast.parse(init.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and node.level > 0 and node.module not in ("_lazy", None):  # the errors
            out.update({a.asname or a.name: "." * node.level + (node.module or "") for a in node.names})
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "_LAZY" for t in node.targets):
            out.update(ast.literal_eval(node.value))
    return out


def public_counts(root: Path) -> list[Count]:
    """Counts for every public definition of the package under ``root/geoquant``."""
    pkg = root / "geoquant"
    out, seen = [], set()
    for init in sorted(pkg.rglob("__init__.py")):
        stub = init.with_suffix(".pyi")
        exports = stub_exports(stub) if stub.exists() else _lazy_exports(init)
        for name, module in exports.items():
            base = init.parent
            rel = module.lstrip(".")
            for _ in range(len(module) - len(rel) - 1):
                base = base.parent
            path = base.joinpath(*rel.split(".")) if rel else base
            if path.is_dir() or not path.with_suffix(".py").exists():
                continue  # re-exported from a subpackage: counted there
            key = (str(path), name)
            if key in seen:
                continue
            seen.add(key)
            tree = ast.parse(path.with_suffix(".py").read_text(encoding="utf-8"))
            qual = ".".join(init.parent.relative_to(root).parts) + "." + name
            out += count_definition(tree, name, qual)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", nargs="?", default=str(Path(__file__).resolve().parents[1]))
    ap.add_argument("--by-name", action="store_true", help="one line per public definition")
    args = ap.parse_args(argv)
    counts = public_counts(Path(args.root))
    if args.by_name:
        for c in counts:
            print(f"{c.annotated:3d}/{c.params:<3d} params  return {'yes' if c.returns_annotated else 'no '}  {c.name}")
    p, a = sum(c.params for c in counts), sum(c.annotated for c in counts)
    r, ra = sum(c.returns for c in counts), sum(c.returns_annotated for c in counts)
    print(f"{args.root}: {len(counts)} public functions/methods; parameters annotated {a} of {p} "
          f"({100.0 * a / max(p, 1):.1f}%); return types {ra} of {r} ({100.0 * ra / max(r, 1):.1f}%)")


if __name__ == "__main__":
    main()
