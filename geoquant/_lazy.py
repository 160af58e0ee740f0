"""Lazy re-exports for package ``__init__`` modules (PEP 562).

Each public package lists ``name -> module`` and calls :func:`attach`, which
returns the ``__getattr__``, ``__dir__`` and ``__all__`` of the package. A name's
module is imported the first time the name is used, so ``import geoquant``
stays cheap (no torch, no matplotlib) and each engine loads only when needed.
"""

from __future__ import annotations

import importlib


def attach(package: str, names: dict[str, str], eager: dict | None = None):
    """Lazy attribute access for ``package``.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    names : dict
        Public name -> module path (relative to ``package``, e.g. ``"._train"``).
    eager : dict, optional
        The package's ``globals()``: loaded values are cached there so each
        name is resolved once.

    Returns
    -------
    __getattr__, __dir__, __all__
    """

    def __getattr__(name):
        try:
            module = names[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(module, package), name)
        if eager is not None:
            eager[name] = value
        return value

    def __dir__():
        return sorted(set(eager or ()) | set(names))

    return __getattr__, __dir__, sorted(names)
