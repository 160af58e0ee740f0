"""``geoquant methods``: the registered methods with their family, dimensions and parameters."""

from __future__ import annotations

from typing import Any

from ._common import print_json


def register(sub: Any) -> None:
    p = sub.add_parser(
        "methods",
        help="list the methods a study can compare (family, dimensions, parameters, defaults, what each is)",
        description="List the registered methods of geoquant.compare: family, kind (a method is a function; a "
                    "statistic is a number without predict), supported dimensions, what each produces, and its "
                    "parameters with defaults (the keys of a [[methods]] table).",
    )
    p.add_argument("--family", help="only the methods of this family (e.g. triangulation, network, theory, baseline)")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(func=run)


def _first_paragraph(doc: str | None) -> str:
    return " ".join((doc or "").strip().split("\n\n")[0].split())


def method_families() -> list[str]:
    """The families of the registered methods: the shipped ones (:data:`geoquant.compare.METHOD_FAMILIES`) in
    that order, then any other a registered method names, in registry order."""
    from ..compare import METHOD_FAMILIES, list_methods, method_class

    seen = dict.fromkeys(method_class(name).family for name in list_methods())
    return [f for f in METHOD_FAMILIES if f in seen] + [f for f in seen if f not in METHOD_FAMILIES]


def method_table(family: str | None = None) -> list[dict[str, Any]]:
    """One dict per registered method (of ``family``, any family label a registered method carries): name,
    family, kind (method/statistic), dims, description, parameters."""
    from .._validation import check_option
    from ..compare import list_methods, method_class

    if family is not None:
        check_option(family, "--family", method_families())
    out = []
    for name in list_methods():
        cls = method_class(name)
        if family is not None and cls.family != family:
            continue
        params = {k: {"default": p.default, "expected": p.expected, "doc": p.doc} for k, p in cls.params_schema.items()}
        kind = "method" if cls.pointwise else "statistic"
        out.append({"name": name, "family": cls.family, "kind": kind, "dims": list(cls.dims) if cls.dims else "any",
                    "description": cls.description or _first_paragraph(cls.__doc__), "parameters": params})
    return out


def run(args: Any) -> int:
    rows = method_table(args.family)
    if args.json:
        print_json({"methods": rows})
        return 0
    for r in rows:
        dims = "any dim" if r["dims"] == "any" else "dim " + "/".join(map(str, r["dims"]))
        kind = "; statistic (a number, no predict)" if r["kind"] == "statistic" else ""
        print(f"{r['name']}  [{r['family']}; {dims}{kind}]")
        print(f"    {r['description']}")
        for k, p in r["parameters"].items():
            print(f"    {k} = {p['default']!r}   ({p['expected']}){': ' + p['doc'] if p['doc'] else ''}")
    print("\nEvery method also takes label, dims, min_n and max_n in a [[methods]] table (docs/study-spec.md).")
    return 0
