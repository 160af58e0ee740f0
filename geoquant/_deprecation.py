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
