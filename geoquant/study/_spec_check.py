"""How is one table of a study spec checked against its schema, and how does a problem name its key path?"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NoReturn

from ..errors import SpecError
from .._params import BadValue, Param, show

#: Where the spec format is documented (named in every "unknown key" error).
SPEC_DOC = "docs/study-spec.md"


def _err(path: str, expected: str, found: object) -> SpecError:
    return SpecError(f"{path}: expected {expected}, found {show(found)}")


def _check(table: Mapping[str, Any], key: str, param: Param, path: str) -> Any:
    try:
        return param.check(table.get(key, param.default))
    except BadValue as exc:
        return _raise(f"{path}.{key}" if path else key, exc.expected, table.get(key))


def _raise(path: str, expected: str, found: object) -> NoReturn:
    raise _err(path, expected, found)


def _check_keys(table: Iterable[str], allowed: Iterable[str], path: str) -> None:
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        where = f"{path}." if path else ""
        raise SpecError(
            f"{where}{unknown[0]}: unknown key; expected one of {', '.join(sorted(allowed))} "
            f"(the spec format: {SPEC_DOC})"
        )


def _table(doc: Mapping[str, Any], key: str, path: str, *, required: bool = False) -> dict[str, Any]:
    v = doc.get(key)
    if v is None:
        if required:
            raise SpecError(f"{path}: missing; expected a table")
        return {}
    if not isinstance(v, dict):
        raise _err(path, "a table", v)
    return v


def _array_of_tables(doc: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    v = doc.get(key)
    if v is None or (isinstance(v, list) and not v):
        raise SpecError(f"{key}: missing; expected at least one [[{key}]] table")
    if not isinstance(v, list) or not all(isinstance(t, dict) for t in v):
        raise _err(key, f"an array of tables ([[{key}]])", v)
    return v
