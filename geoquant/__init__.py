"""geoquant: ReLU networks trained by gradient descent from small initialization,
side by side with linear interpolants over triangulations of the same points.

The public surface is curated here; implementations live in private modules.
Names load lazily (PEP 562), so ``import geoquant`` does not import torch or
matplotlib until a name that needs them is used.
"""

from __future__ import annotations

from ._lazy import attach_stub

from ._version import __version__
from .errors import (
    DegenerateInputError,
    DuplicatePointsError,
    GeoquantError,
    InvalidInputError,
    SpecError,
    SolverError,
    StorageError,
    TooLargeError,
    UnsupportedError,
    UserCodeError,
)

# the public names and their modules are listed once, in __init__.pyi; the errors and the
# version above load eagerly, every other name the first time it is used
__getattr__, __dir__, __all__ = attach_stub(__name__, __file__, globals())
