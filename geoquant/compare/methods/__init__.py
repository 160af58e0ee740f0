"""Methods behind one fit/predict interface, one module per family.

Every competitor in a study is registered by name and is of one of two kinds: a
:class:`Method` (a function, with ``predict``) or a :class:`Statistic` (a number computed
from the samples, without ``predict``); both derive from :class:`Competitor`. Importing this
package registers all built-in families. See :mod:`._base` for the interface.
"""

from . import _baselines, _networks, _references, _triangulations  # noqa: F401  (register the families)
from ._base import (
    METHOD_FAMILIES,
    Competitor,
    Method,
    MethodTags,
    Statistic,
    get_method,
    list_methods,
    method_class,
    method_tags,
    register_method,
    registration_problems,
)

__all__ = ["Competitor", "Method", "Statistic", "MethodTags", "register_method", "get_method", "method_class", "method_tags",
           "list_methods", "METHOD_FAMILIES", "registration_problems"]
