"""``geoquant targets``: the registered targets with their dimensions, parameters and defaults."""

from __future__ import annotations

from ._common import print_json


def register(sub) -> None:
    p = sub.add_parser(
        "targets",
        help="list the target functions a study can use (names, dimensions, parameters, defaults)",
        description="List the registered targets: formula, dimensions, parameters with defaults. A study spec "
                    "may also name a target of its own as name = \"module:function\" (see docs/study-spec.md).",
    )
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(func=run)


def target_table() -> list:
    """One dict per registered target: name, description, dims, default_dim, parameters (name -> default)."""
    from .. import targets as gt

    out = []
    for name in gt.list_targets():
        info = gt.target_info(name)
        out.append({"name": name, "description": info.description, "dims": list(info.dims) if info.dims else "any",
                    "default_dim": info.default_dim, "parameters": info.parameters})
    return out


def run(args) -> int:
    rows = target_table()
    if args.json:
        print_json({"targets": rows})
        return 0
    for r in rows:
        dims = "any dim" if r["dims"] == "any" else "dim " + "/".join(map(str, r["dims"]))
        print(f"{r['name']}  ({dims})")
        print(f"    {r['description']}")
        params = ", ".join(f"{k}={v!r}" if v is not None else f"{k}=(default)" for k, v in r["parameters"].items())
        print(f"    parameters: {params}")
    print("\nIn a study spec: [[targets]] name = \"NAME\", dim = D, params = { ... }; or name = \"module:function\" "
          "with hessian_bound and domain (docs/study-spec.md).")
    return 0
