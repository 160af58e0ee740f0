"""The files shipped inside the package: study specs and point sets, read with :mod:`importlib.resources`.

They live in one place, ``geoquant/data/studies/*.toml`` and ``geoquant/data/points/*.csv``,
and are installed with the package (``[tool.setuptools.package-data]``), so a study or a point
set can be named instead of given by path from any directory:

>>> "first" in shipped_studies() and "random20_2d" in shipped_points()
True
>>> shipped_study_text("first").startswith("#")
True
"""

from __future__ import annotations

import atexit
import contextlib
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import InvalidInputError

if TYPE_CHECKING:  # importlib.resources.abc from Python 3.11 on
    from importlib.abc import Traversable

__all__ = ["shipped_studies", "shipped_points", "shipped_study_text", "shipped_study_file", "shipped_points_path",
           "is_bare_name", "shipped_data_text"]

_STUDY_SUFFIX = ".toml"
_POINTS_SUFFIX = ".csv"
_keep = contextlib.ExitStack()
atexit.register(_keep.close)


def _dir(kind: str) -> Traversable:
    return resources.files("geoquant").joinpath("data").joinpath(kind)


def _names(kind: str, suffix: str) -> list[str]:
    d = _dir(kind)
    if not d.is_dir():
        return []
    return sorted(e.name[: -len(suffix)] for e in d.iterdir() if e.name.endswith(suffix) and e.is_file())


def shipped_studies() -> list[str]:
    """The names of the shipped study specs (``geoquant study NAME`` runs one), sorted.

    Returns
    -------
    list of str
        E.g. ``["first", "paper", "phase", "quickstart", "small_init"]``.
    """
    return _names("studies", _STUDY_SUFFIX)


def shipped_points() -> list[str]:
    """The names of the shipped point sets (``load_points(NAME)`` reads one), sorted.

    Returns
    -------
    list of str
        E.g. ``["boursier_1d", "five_1d", ...]``.
    """
    return _names("points", _POINTS_SUFFIX)


def is_bare_name(text: str) -> bool:
    """True when ``text`` could be a shipped name: no path separator, no newline, not empty."""
    return bool(text) and not any(c in text for c in "/\\\n") and text not in (".", "..")


def _entry(kind: str, name: str, suffix: str, names: list[str], what: str) -> Traversable:
    stem = name[: -len(suffix)] if name.endswith(suffix) else name
    if stem not in names:
        raise InvalidInputError(
            f"{what}: expected a file path or the name of a shipped {kind} ({', '.join(names) or 'none shipped'}), "
            f"found {name!r} (no such file, and no shipped {kind} of that name)"
        )
    return _dir("studies" if kind == "study" else "points").joinpath(stem + suffix)


def shipped_study_file(name: str) -> Traversable:
    """The resource of the shipped study ``name`` (with or without ``.toml``).

    Raises
    ------
    InvalidInputError
        ``name`` is not a shipped study; the message lists the shipped names.
    """
    return _entry("study", name, _STUDY_SUFFIX, shipped_studies(), "spec")


def shipped_study_text(name: str) -> str:
    """The TOML text of the shipped study ``name`` (see :func:`shipped_study_file`)."""
    return shipped_study_file(name).read_text(encoding="utf-8")


def shipped_points_path(name: str) -> Path:
    """A file-system path of the shipped point set ``name`` (with or without ``.csv``).

    An installed package is a directory, whose resource is its own path; a zipped
    one is extracted to a temporary file kept until the interpreter exits.

    Raises
    ------
    InvalidInputError
        ``name`` is not a shipped point set; the message lists the shipped names.
    """
    entry = _entry("point set", name, _POINTS_SUFFIX, shipped_points(), "'path'")
    if isinstance(entry, Path):
        return entry
    return Path(_keep.enter_context(resources.as_file(entry)))


def shipped_data_text(name: str) -> str:
    """The text of a file shipped directly in ``geoquant/data`` (e.g. ``"cost_model.json"``)."""
    entry = resources.files("geoquant").joinpath("data").joinpath(name)
    if not entry.is_file():
        raise InvalidInputError(f"'name' must name a file shipped in geoquant/data, found {name!r}")
    return entry.read_text(encoding="utf-8")
