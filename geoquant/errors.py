"""Exceptions raised by geoquant.

Every error geoquant raises on purpose is a :class:`GeoquantError`. Errors about
bad arguments also derive from :class:`ValueError`, so code that already catches
``ValueError`` keeps working. Messages name the argument, what was expected and
what was found, e.g. ``'simplices' must index points in 0 <= i < 12, found 15``.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "GeoquantError",
    "InvalidInputError",
    "DegenerateInputError",
    "DuplicatePointsError",
    "TooLargeError",
    "UnsupportedError",
    "SpecError",
    "StorageError",
    "SolverError",
    "UserCodeError",
]


class GeoquantError(Exception):
    """Base class of every error raised by geoquant."""


class InvalidInputError(GeoquantError, ValueError):
    """An argument has the wrong type, shape, value or option name."""


class DegenerateInputError(InvalidInputError):
    """Input is well formed but geometrically degenerate.

    Examples: fewer than ``d + 1`` affinely independent points, all points
    collinear, a simplex of zero volume.
    """


class DuplicatePointsError(DegenerateInputError):
    """Two or more points coincide (exactly or within a relative tolerance).

    Attributes
    ----------
    indices : list of tuple of int
        Groups of indices of points that coincide.
    """

    def __init__(self, message: str, indices: Iterable[Iterable[int]] = ()) -> None:
        super().__init__(message)
        self.indices = [tuple(int(i) for i in g) for g in indices]


class TooLargeError(GeoquantError):
    """The requested work is too large to finish in reasonable time or memory.

    The message states how large the work is and what to do instead.
    """


class UnsupportedError(GeoquantError, NotImplementedError):
    """The operation is not available for this input (e.g. dimension)."""


class SpecError(InvalidInputError):
    """A study specification is malformed; the message names the key path."""


class StorageError(GeoquantError):
    """A file could not be written or read back (disk full, permissions, damaged file).

    The message names the file and the cause in plain words (``disk full``,
    ``permission denied``, ...), and what was kept (writes are atomic: the
    previous version of the file stays in place).
    """


class SolverError(GeoquantError):
    """A numerical solver (e.g. HiGHS for integer programs) failed or returned an inconsistent answer."""


class UserCodeError(GeoquantError):
    """A user's code run by geoquant -- a study target named ``"module:function"`` -- could not be
    imported, called ``sys.exit()``, or ran past its time limit; the message names the code and the cause."""
