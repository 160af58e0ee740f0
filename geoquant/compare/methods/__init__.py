"""Methods behind one fit/predict interface, one module per family.

Every competitor in a study is registered by name and is of one of two kinds: a
:class:`Method` (a function, with ``predict``) or a :class:`Statistic` (a number computed
from the samples, without ``predict``); both derive from :class:`Competitor`. Importing this
package registers all built-in families. See :mod:`._base` for the interface.
"""

from __future__ import annotations

from . import _baselines, _networks, _references, _triangulations  # noqa: F401  (register the families)
from ..._lazy import attach_stub

# the public names and their modules are listed once, in __init__.pyi
__getattr__, __dir__, __all__ = attach_stub(__name__, __file__, globals())
