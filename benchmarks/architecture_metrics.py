"""The architecture numbers of issue 23, measured on a source tree (default: this checkout).

    python3 benchmarks/architecture_metrics.py [ROOT]

Prints: the package map (modules and lines per package), the number of places that choose
behaviour by comparing a method family with a string, the public single-model/``*_models`` twins,
imports of another package's private module or name, the McCabe complexity of the most complex
functions (ruff C901, ``--ignore-noqa``, so reasons written beside a function do not hide it), the
share of modules type-checked with ``disallow_untyped_defs`` and the errors of ``mypy
--check-untyped-defs``, the public packages without a typing stub, and the modules missing from
README's Architecture section. Run it on two trees (before / after a change) to compare them.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import tomllib
from collections import Counter
from pathlib import Path

SHARED_KERNELS = {"_validation", "_json", "_fileio", "_text", "_quadrature", "_lazy", "_deprecation", "_resources",
                  "_params", "_version", "errors", "_providers"}


def modules(root: Path) -> dict[str, Path]:
    out = {}
    for p in sorted((root / "geoquant").rglob("*.py")):
        if "data" in p.relative_to(root / "geoquant").parts:
            continue
        name = ".".join(p.relative_to(root).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = p
    return out


def package_of(mod: str) -> str:
    parts = mod.split(".")
    return parts[1] if len(parts) > 1 else ""


def package_map(mods: dict[str, Path]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for m, p in mods.items():
        pkg = package_of(m) if (len(m.split(".")) > 2 or p.name == "__init__.py") else "(top-level modules)"
        e = out.setdefault(pkg, {"modules": 0, "lines": 0})
        e["modules"] += 1
        e["lines"] += len(p.read_text(encoding="utf-8").splitlines())
    return dict(sorted(out.items()))


def _resolve(mod: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = mod.split(".")
    if path.name != "__init__.py":
        base = base[:-1]
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def private_imports(mods: dict[str, Path]) -> list[tuple[str, str]]:
    """(importing module, imported thing) for each import of another package's private module or name."""
    hits = []
    for m, p in mods.items():
        src_pkg = package_of(m)
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom):
                continue
            full = _resolve(m, p, node)
            if not full.startswith("geoquant."):
                continue
            parts = full.split(".")
            tgt_pkg = parts[1]
            if tgt_pkg in SHARED_KERNELS or tgt_pkg == src_pkg:
                continue
            private_module = any(x.startswith("_") for x in parts[2:])
            private_names = [a.name for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
            if private_module or private_names:
                hits.append((m, full + (":" + ",".join(private_names) if private_names else "")))
    return hits


def _is_family(e: ast.expr) -> bool:
    if isinstance(e, ast.Name):
        return e.id in ("family", "fam")
    if isinstance(e, ast.Attribute):
        return e.attr == "family"
    if isinstance(e, ast.Subscript):
        s = e.slice
        return isinstance(s, ast.Constant) and s.value == "family"
    if isinstance(e, ast.Call) and isinstance(e.func, ast.Attribute) and e.func.attr == "get":
        return bool(e.args) and isinstance(e.args[0], ast.Constant) and e.args[0].value == "family"
    return False


def _is_str(e: ast.expr) -> bool:
    if isinstance(e, ast.Constant):
        return isinstance(e.value, str)
    if isinstance(e, (ast.Tuple, ast.List, ast.Set)):
        return bool(e.elts) and all(_is_str(x) for x in e.elts)
    return False


def family_checks(mods: dict[str, Path]) -> list[str]:
    """Comparisons of a method family with a string literal (``family == "network"``, ``f in ("a", "b")``)."""
    hits = []
    for m, p in mods.items():
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare):
                sides = [node.left, *node.comparators]
                if any(_is_family(s) for s in sides) and any(_is_str(s) for s in sides):
                    hits.append(f"{m}:{node.lineno}")
    return hits


def stub_names(stub: Path) -> set[str]:
    names = set()
    for node in ast.parse(stub.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom):
            names |= {a.asname for a in node.names if a.asname == a.name}
    return names


def current_stub_text(stub: Path) -> str:
    """The stub without its deprecated part (the names after a ``# deprecated`` heading stay one release)."""
    text = stub.read_text(encoding="utf-8")
    return text.split("\n# deprecated", 1)[0]


def public_twins(root: Path) -> tuple[list[str], list[str]]:
    """Public ``*_models`` names (a twin of a single-model function) from every package stub: (current,
    deprecated)."""
    cur, dep = [], []
    for stub in sorted((root / "geoquant").rglob("__init__.pyi")):
        pkg = ".".join(stub.parent.relative_to(root).parts)
        all_names = stub_names(stub)
        now = set()
        for node in ast.parse(current_stub_text(stub)).body:
            if isinstance(node, ast.ImportFrom):
                now |= {a.asname for a in node.names if a.asname == a.name}
        cur += [f"{pkg}.{n}" for n in sorted(now) if n.endswith("_models")]
        dep += [f"{pkg}.{n}" for n in sorted(all_names - now) if n.endswith("_models")]
    return cur, dep


def same_name_twice(root: Path) -> list[str]:
    """Current public names that two subpackages export as different objects (one name, two concepts),
    resolved by importing the tree in a subprocess (deprecated names left out)."""
    pkgs = {}
    for stub in sorted((root / "geoquant").rglob("__init__.pyi")):
        if stub.parent == root / "geoquant":
            continue  # the top level re-exports the subpackages' names
        names = set()
        for node in ast.parse(current_stub_text(stub)).body:
            if isinstance(node, ast.ImportFrom):
                names |= {a.asname for a in node.names if a.asname == a.name}
        pkgs[".".join(stub.parent.relative_to(root).parts)] = sorted(names)
    code = (
        "import importlib, json, sys, warnings\n"
        "warnings.simplefilter('ignore')\n"
        f"pkgs = {pkgs!r}\n"
        "seen = {}\n"
        "for pkg, names in pkgs.items():\n"
        "    mod = importlib.import_module(pkg)\n"
        "    for n in names:\n"
        "        seen.setdefault(n, {})[pkg] = id(getattr(mod, n))\n"
        "print(json.dumps({n: sorted(h) for n, h in seen.items() if len(set(h.values())) > 1}))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True,
                       env={**__import__("os").environ, "PYTHONPATH": str(root)})
    found = json.loads(r.stdout or "{}")
    return [f"{n} {homes}" for n, homes in sorted(found.items())]


def complexity(root: Path) -> list[tuple[int, str]]:
    r = subprocess.run(["ruff", "check", "geoquant", "--select", "C901", "--ignore-noqa", "--output-format", "json",
                        "--config", "lint.mccabe.max-complexity=10"], cwd=root, capture_output=True, text=True)
    out = []
    for d in json.loads(r.stdout or "[]"):
        m = re.search(r"`(.+)` is too complex \((\d+) > ", d["message"])
        if m:
            out.append((int(m.group(2)), f"{Path(d['filename']).relative_to(root)}:{m.group(1)}"))
    return sorted(out, reverse=True)


def typing_coverage(root: Path, mods: dict[str, Path]) -> dict:
    conf = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    strict: set[str] = set()
    everywhere = bool(conf.get("disallow_untyped_defs"))
    for o in conf.get("overrides", []):
        if o.get("disallow_untyped_defs"):
            ms = o["module"] if isinstance(o["module"], list) else [o["module"]]
            for pat in ms:
                strict |= {m for m in mods if m == pat or (pat.endswith(".*") and m.startswith(pat[:-2]))}
    n_strict = len(mods) if everywhere else len(strict)
    r = subprocess.run(["mypy", "geoquant", "--check-untyped-defs", "--no-incremental"], cwd=root,
                       capture_output=True, text=True)
    m = re.search(r"Found (\d+) errors? in (\d+) files?", r.stdout)
    return {"modules": len(mods), "disallow_untyped_defs": n_strict,
            "check_untyped_defs_errors": int(m.group(1)) if m else 0,
            "check_untyped_defs_files": int(m.group(2)) if m else 0}


def missing_stubs(root: Path) -> list[str]:
    out = []
    for init in sorted((root / "geoquant").rglob("__init__.py")):
        rel = init.parent.relative_to(root / "geoquant")
        if any(part.startswith("_") for part in rel.parts) or "data" in rel.parts:
            continue
        if not init.with_suffix(".pyi").exists():
            out.append(".".join(init.parent.relative_to(root).parts))
    return out


def readme_missing(root: Path, mods: dict[str, Path]) -> list[str]:
    text = (root / "README.md").read_text(encoding="utf-8")
    start = text.find("## Architecture")
    section = text[start: text.find("\n## ", start + 5)] if start >= 0 else ""
    missing = []
    for m, p in mods.items():
        rel = str(p.relative_to(root / "geoquant"))
        short = rel.removesuffix("/__init__.py").removesuffix(".py")
        if p.name == "__init__.py" and m.count(".") == 0:
            continue
        if rel not in section and f"{short}.py" not in section and f"{Path(rel).name}" not in section \
                and (p.name != "__init__.py" or f"{short}/" not in section):
            missing.append(rel)
    return missing


def main(root: Path) -> None:
    mods = modules(root)
    print(f"# architecture metrics of {root}\n")
    pm = package_map(mods)
    print("package map (modules, lines):")
    for pkg, e in pm.items():
        print(f"  {pkg or 'geoquant'}: {e['modules']} modules, {e['lines']} lines")
    fam = family_checks(mods)
    print(f"\nstring family checks: {len(fam)} in {len({h.split(':')[0] for h in fam})} modules")
    for h in fam:
        print(f"  {h}")
    tw, tw_dep = public_twins(root)
    print(f"\npublic *_models twins: {len(tw)} {tw}; deprecated (kept one release): {len(tw_dep)}")
    dup = same_name_twice(root)
    print(f"\none public name in two packages (different modules): {len(dup)}")
    for d in dup:
        print(f"  {d}")
    pi = private_imports(mods)
    print(f"\nimports of another package's private module or name: {len(pi)}")
    for src, tgt in pi:
        print(f"  {src} -> {tgt}")
    cx = complexity(root)
    print(f"\nfunctions over complexity 10: {len(cx)}; over 15: {sum(c > 15 for c, _ in cx)}; "
          f"largest: {cx[0] if cx else None}")
    for c, f in cx:
        if c > 15:
            print(f"  {c} {f}")
    tc = typing_coverage(root, mods)
    print(f"\nmypy: disallow_untyped_defs on {tc['disallow_untyped_defs']} of {tc['modules']} modules; "
          f"--check-untyped-defs: {tc['check_untyped_defs_errors']} errors in {tc['check_untyped_defs_files']} files")
    ms = missing_stubs(root)
    print(f"\npublic packages without __init__.pyi: {len(ms)} {ms}")
    rm = readme_missing(root, mods)
    print(f"\nmodules missing from README's Architecture section: {len(rm)}")
    if rm:
        print("  " + ", ".join(rm))
    counts = Counter(package_of(s) + "->" + package_of(t.split(":")[0]) for s, t in pi)
    print(f"\nprivate imports by package pair: {dict(counts)}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[1]).resolve())
