"""The wiring table: named callables that an engine uses and a higher layer provides.

Layers point down: the triangulation engine takes costs as callables and never
imports interpolation. A few public conveniences of an engine still name such a
cost by a string -- ``lawson_flip(tri, "min_l2_error", f)`` needs the L2 error
of the interpolant of ``f``, which :mod:`geoquant.interpolate` computes. The
engine asks for it here by name; this table (the composition root for such
plug-ins, and the only place that names the provider) says which module
defines it, and that module is imported on first use, so ``import geoquant``
stays cheap and no engine module imports a layer above it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

__all__ = ["provider"]

# name -> (module, attribute)
_PROVIDERS: dict[str, tuple[str, str]] = {
    # (f, points) -> (values at the points, cost(points, simplices, values) -> per-triangle squared L2 errors)
    "target_l2_cost": ("geoquant.interpolate", "target_l2_cost"),
}


def provider(name: str) -> Callable:
    """The callable registered under ``name`` (its module is imported on first use)."""
    module, attr = _PROVIDERS[name]
    return getattr(importlib.import_module(module), attr)
