"""Study reports: one self-contained HTML page (figures embedded as base64 PNG,
size-capped) and a Markdown summary, built from a study directory's stored
results only.

Names are loaded lazily from their private modules (PEP 562).
"""

from __future__ import annotations

from .._lazy import attach

# public name -> private module that defines it
_LAZY = {
    "make_report": "._report",
    "Report": "._report",
}

__getattr__, __dir__, __all__ = attach(__name__, _LAZY, globals())
