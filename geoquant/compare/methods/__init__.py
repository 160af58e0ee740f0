"""Methods behind one fit/predict interface, one module per family.

Every competitor in a study is a :class:`Method` registered by name; importing this package
registers all built-in families. See :mod:`._base` for the interface.
"""

from . import _baselines, _networks, _references, _triangulations  # noqa: F401  (register the families)
from ._base import METHOD_FAMILIES, Method, get_method, list_methods, method_class, register_method

__all__ = ["Method", "register_method", "get_method", "method_class", "list_methods", "METHOD_FAMILIES"]
