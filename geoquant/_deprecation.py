"""One home for deprecations: an old public name keeps working for one release, with a warning.

A renamed function keeps its old name as a thin wrapper made by :func:`deprecated_alias` (or,
where the arguments changed, a wrapper that calls :func:`warn_deprecated` and translates them).
The wrapper stays listed in its package's ``__init__.pyi`` under a ``# deprecated`` heading until
:data:`REMOVED_IN`; CHANGELOG.md lists every deprecated name with its replacement.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

#: The release in which the deprecated names are removed.
REMOVED_IN = "0.3.0"

_F = TypeVar("_F", bound=Callable[..., Any])


def warn_deprecated(old: str, new: str, *, stacklevel: int = 3) -> None:
    """Warn (``DeprecationWarning``) that ``old`` is deprecated in favour of ``new``.

    Parameters
    ----------
    old, new : str
        Qualified names, e.g. ``"geoquant.nn.evaluate_network"`` and ``"geoquant.nn.network_forward"``.
    stacklevel : int
        Passed to :func:`warnings.warn`; the default points at the caller of the deprecated function.
    """
    warnings.warn(
        f"{old} is deprecated and will be removed in geoquant {REMOVED_IN}; use {new}",
        DeprecationWarning,
        stacklevel=stacklevel,
    )


def deprecated_alias(func: _F, old: str, new: str) -> _F:
    """``func`` under its old name: same arguments, same result, plus a ``DeprecationWarning``.

    >>> import warnings
    >>> def area(r): return 3 * r * r
    >>> old_area = deprecated_alias(area, "pkg.old_area", "pkg.area")
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     old_area(2), w[0].category.__name__
    (12, 'DeprecationWarning')
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        warn_deprecated(old, new)
        return func(*args, **kwargs)

    wrapper.__doc__ = f"Deprecated alias of :func:`{new}` (removed in {REMOVED_IN})."
    return wrapper  # type: ignore[return-value]


def renamed_arguments(**old_to_new: str) -> Callable[[_F], _F]:
    """Decorator: a function whose keyword arguments were renamed accepts the old names for one release.

    Each ``old=new`` pair maps a deprecated keyword to its new name; calling with the old name warns
    (``DeprecationWarning``) and passes the value on under the new one; giving both is an error.
    Positional calls are unaffected.

    >>> import warnings
    >>> @renamed_arguments(X="points")
    ... def centroid(points): return sum(points) / len(points)
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     centroid(X=[1.0, 3.0]), w[0].category.__name__
    (2.0, 'DeprecationWarning')
    """

    def decorate(func: _F) -> _F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for old, new in old_to_new.items():
                if old in kwargs:
                    if new in kwargs:
                        from .errors import InvalidInputError

                        raise InvalidInputError(
                            f"give {new!r} only, found both {new!r} and its deprecated name {old!r}"
                        )
                    warn_deprecated(f"the argument {old!r} of {func.__qualname__}", repr(new))
                    kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
