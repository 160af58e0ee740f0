"""Typed parameters for methods and study specs.

A :class:`Param` knows its default, checks a value and says in words what it
expects, so that a malformed spec is reported as
``methods[2].width: expected a positive integer, found "ten"`` and a bad
keyword to a method as ``'width' must be a positive integer, found 'ten'``.
"""

from __future__ import annotations

import json
import numbers
from dataclasses import dataclass, field
from collections.abc import Mapping
from typing import Any, Callable

__all__ = ["Param", "BadValue", "show", "check_params"]


class BadValue(Exception):
    """Internal: a value did not match a :class:`Param` (``expected`` says what would)."""

    def __init__(self, expected: str):
        super().__init__(expected)
        self.expected = expected


def show(value: Any) -> str:
    """A value as it would be written in TOML/JSON (strings in double quotes)."""
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)


def _is_int(v: Any) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _is_real(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and v == v and abs(v) != float("inf")


@dataclass(frozen=True)
class Param:
    """A typed parameter.

    Parameters
    ----------
    kind : {"int", "float", "bool", "str", "choice", "int_list", "dict"}
    default : object
        Default value; ``None`` allowed when ``optional``.
    min, max : number, optional
        Inclusive bounds (``min_exclusive`` makes the lower bound strict).
    choices : tuple of str, optional
        Allowed values for ``kind="choice"``.
    optional : bool
        Whether ``None`` (absent) is allowed.
    doc : str
        One line shown in ``list_methods`` / docs.
    """

    kind: str
    default: Any = None
    min: float | None = None
    max: float | None = None
    min_exclusive: bool = False
    choices: tuple[Any, ...] = ()
    optional: bool = False
    doc: str = ""
    extra_check: Callable[[Any], object] | None = field(default=None, compare=False)

    @property
    def expected(self) -> str:
        k = self.kind
        if k in ("int", "float", "int_list"):
            noun = {"int": "integer", "float": "number", "int_list": "list of integers"}[k]
            if self.min == 0 and self.min_exclusive and self.max is None:
                text = ("a non-empty list of positive integers" if k == "int_list" else f"a positive {noun}")
            elif self.min == 0 and not self.min_exclusive and self.max is None:
                text = ("a list of non-negative integers" if k == "int_list" else f"a non-negative {noun}")
            else:
                text = {"int": "an integer", "float": "a number", "int_list": "a list of integers"}[k]
                parts = []
                if self.min is not None:
                    parts.append(f"{'>' if self.min_exclusive else '>='} {self.min:g}")
                if self.max is not None:
                    parts.append(f"<= {self.max:g}")
                if parts:
                    text += (" with entries " if k == "int_list" else " ") + " and ".join(parts)
        elif k == "bool":
            text = "true or false"
        elif k == "str":
            text = "a string"
        elif k == "choice":
            text = "one of " + ", ".join(show(c) for c in self.choices)
        elif k == "dict":
            text = "a table (key = value pairs)"
        else:  # pragma: no cover - programming error
            raise ValueError(k)
        if self.optional:
            text += " (or omitted)"
        return text

    def _in_range(self, v: Any) -> bool:
        if self.min is not None and (v <= self.min if self.min_exclusive else v < self.min):
            return False
        if self.max is not None and v > self.max:
            return False
        return True

    def check(self, value: Any) -> Any:
        """Return the cleaned value or raise :class:`BadValue`."""
        if value is None:
            if self.optional:
                return None
            raise BadValue(self.expected)
        clean = _CLEAN.get(self.kind)
        if clean is not None:  # (an unknown kind is refused by ``expected``, not here)
            value = clean(self, value)
        if self.extra_check is not None:
            self.extra_check(value)
        return value

    def _bad(self) -> BadValue:
        return BadValue(self.expected)


# one cleaner per kind: the value checked against the Param (raises BadValue) and normalised
def _clean_int(p: Param, value: Any) -> int:
    if not _is_int(value) or not p._in_range(value):
        raise p._bad()
    return int(value)


def _clean_float(p: Param, value: Any) -> float:
    if not _is_real(value) or not p._in_range(value):
        raise p._bad()
    return float(value)


def _clean_bool(p: Param, value: Any) -> Any:
    if not isinstance(value, bool):
        raise p._bad()
    return value


def _clean_str(p: Param, value: Any) -> Any:
    if not isinstance(value, str) or not value:
        raise p._bad()
    return value


def _clean_choice(p: Param, value: Any) -> Any:
    if value not in p.choices:
        raise p._bad()
    return value


def _clean_int_list(p: Param, value: Any) -> list[int]:
    if (
        not isinstance(value, (list, tuple))
        or (p.min_exclusive and not value)
        or not all(_is_int(v) and p._in_range(v) for v in value)
    ):
        raise p._bad()
    return [int(v) for v in value]


def _clean_dict(p: Param, value: Any) -> dict:
    if not isinstance(value, dict):
        raise p._bad()
    return dict(value)


_CLEAN: dict[str, Callable[[Param, Any], Any]] = {
    "int": _clean_int, "float": _clean_float, "bool": _clean_bool, "str": _clean_str, "choice": _clean_choice,
    "int_list": _clean_int_list, "dict": _clean_dict,
}


def positive_int(default: int | None = None, **kw: Any) -> Param:
    """A positive integer parameter (``kw``: the other :class:`Param` fields)."""
    return Param("int", default, min=0, min_exclusive=True, **kw)


def positive_float(default: float | None = None, **kw: Any) -> Param:
    """A positive number parameter (``kw``: the other :class:`Param` fields)."""
    return Param("float", default, min=0, min_exclusive=True, **kw)


def check_params(schema: Mapping[str, Param], given: Mapping[str, Any], *, owner: str) -> dict[str, Any]:
    """Fill defaults and check keyword arguments against ``schema``.

    Raises :class:`~geoquant.errors.InvalidInputError` naming the parameter
    (library use); the spec parser calls :meth:`Param.check` itself to name the
    TOML key path instead.
    """
    from .errors import InvalidInputError

    unknown = sorted(set(given) - set(schema))
    if unknown:
        raise InvalidInputError(
            f"{owner} got unknown parameter(s) {', '.join(repr(u) for u in unknown)}; "
            f"valid parameters: {', '.join(sorted(schema)) or '(none)'}"
        )
    out: dict[str, Any] = {}
    for name, p in schema.items():
        v = given.get(name, p.default)
        try:
            out[name] = p.check(v)
        except BadValue as exc:
            raise InvalidInputError(f"{owner}: '{name}' must be {exc.expected}, found {show(v)}") from None
    return out
