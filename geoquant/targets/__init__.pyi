"""Typing stub of ``geoquant.targets``: the one list of its public names.

Type checkers read it; at run time ``geoquant._lazy.attach_stub`` reads it too and imports
each name's module the first time the name is used.
"""

from ._base import (
    Target as Target,
    BOUND_KINDS as BOUND_KINDS,
)
from ._registry import (
    get_target as get_target,
    list_targets as list_targets,
    describe_target as describe_target,
    target_info as target_info,
    TargetInfo as TargetInfo,
)
from ._callable import (
    CallableTarget as CallableTarget,
    import_callable as import_callable,
    sampled_hessian_norm as sampled_hessian_norm,
)
