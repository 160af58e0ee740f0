"""Study reports: one self-contained HTML page (figures embedded as base64 PNG,
size-capped) and a Markdown summary, built from a study directory's stored
results only.

Names are loaded lazily from their private modules (PEP 562).
"""

from __future__ import annotations

from .._lazy import attach_stub

# the public names and their modules are listed once, in __init__.pyi
__getattr__, __dir__, __all__ = attach_stub(__name__, __file__, globals())
