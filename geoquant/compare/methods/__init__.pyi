"""Typing stub of ``geoquant.compare.methods``: the one list of its public names.

Type checkers read it; at run time ``geoquant._lazy.attach_stub`` reads it too and imports
each name's module the first time the name is used (the families register on import).
"""

from ._base import (
    Competitor as Competitor,
    Method as Method,
    Statistic as Statistic,
    MethodTags as MethodTags,
    register_method as register_method,
    get_method as get_method,
    method_class as method_class,
    method_tags as method_tags,
    list_methods as list_methods,
    METHOD_FAMILIES as METHOD_FAMILIES,
    registration_problems as registration_problems,
)
