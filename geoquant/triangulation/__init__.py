"""Triangulation engine: Delaunay in any dimension, every triangulation of a planar
point set (count, enumerate, sample, statistics), regular and data-dependent
triangulations, flips, exact optimal fine triangulations (integer programming).

Names are loaded lazily from their private modules (PEP 562), so importing the
package stays cheap and each module is imported only when used.
"""

from __future__ import annotations

from .._lazy import attach_stub

# the public names and their modules are listed once, in __init__.pyi
__getattr__, __dir__, __all__ = attach_stub(__name__, __file__, globals())
