"""Lazy re-exports for package ``__init__`` modules (PEP 562), read from typing stubs.

Each public package keeps its public names in one place, the typing stub
``__init__.pyi`` next to its ``__init__.py`` (one ``from .module import name as name``
line per name), and calls :func:`attach_stub`. Type checkers and IDEs read the stub;
at run time :func:`attach_stub` parses the same stub and returns the package's
``__getattr__``, ``__dir__`` and ``__all__``, so a name's module is imported the first
time the name is used: ``import geoquant`` stays cheap (no torch, no matplotlib) and
each engine loads only when needed. (The idea is lazy_loader's ``attach_stub``.)
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any


def stub_names(stub: str | Path) -> dict[str, str]:
    """Public name -> relative module of every ``from .module import name as name`` in ``stub``.

    Parameters
    ----------
    stub : str or Path
        Path of a package's ``__init__.pyi``.

    Returns
    -------
    dict of str to str
        For example ``{"train_gd": "._train"}``, in the stub's order.
    """
    tree = ast.parse(Path(stub).read_text(encoding="utf-8"), filename=str(stub))
    names: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            module = "." * node.level + (node.module or "")
            for alias in node.names:
                if alias.asname == alias.name:  # the stub convention for a re-export
                    names[alias.name] = module
    return names


def stub_deprecated(stub: str | Path) -> dict[str, str]:
    """Old public name -> its replacement's qualified name, from the stub's ``__deprecated__`` dict.

    A name that moved to another package stays importable from the old one for one release
    (:data:`geoquant._deprecation.REMOVED_IN`): the stub lists it in a literal
    ``__deprecated__ = {"run_study": "geoquant.study.run_study", ...}``; using it warns.
    """
    tree = ast.parse(Path(stub).read_text(encoding="utf-8"), filename=str(stub))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__deprecated__"
                                                for t in node.targets):
            table = ast.literal_eval(node.value)
            return {str(k): str(v) for k, v in table.items()}
    return {}


def attach_stub(
    package: str, init_file: str, eager: dict[str, Any] | None = None
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """Lazy attribute access for ``package``, with the names of its ``__init__.pyi``.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    init_file : str
        The package's ``__file__``; the stub is the ``.pyi`` next to it.
    eager : dict, optional
        The package's ``globals()``: loaded values are cached there so each
        name is resolved once.

    Returns
    -------
    __getattr__, __dir__, __all__
        ``__all__`` is the sorted list of the stub's re-exported names (deprecated names that
        moved elsewhere, the stub's ``__deprecated__``, resolve with a warning but are not listed).
    """
    names = stub_names(Path(init_file).with_suffix(".pyi"))
    moved = stub_deprecated(Path(init_file).with_suffix(".pyi"))

    def __getattr__(name: str) -> Any:
        if name in moved:  # a name that moved: warn, then hand out the new one (not cached: warn each time)
            from ._deprecation import warn_deprecated

            new_module, _, new_name = moved[name].rpartition(".")
            warn_deprecated(f"{package}.{name}", moved[name])
            return getattr(importlib.import_module(new_module), new_name)
        try:
            module = names[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(module, package), name)
        if eager is not None:
            eager[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(eager or ()) | set(names))

    return __getattr__, __dir__, sorted(names)
