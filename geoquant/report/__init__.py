"""Study reports: one self-contained HTML page (figures embedded as base64 PNG,
size-capped) and a Markdown summary, built from a study directory's stored
results only.

Names are loaded lazily from their private modules (PEP 562).
"""

from __future__ import annotations

import importlib

# public name -> private module that defines it
_LAZY = {
    "make_report": "._report",
    "Report": "._report",
}

__all__ = sorted(_LAZY)


def __getattr__(name):
    try:
        module = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'geoquant.report' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
