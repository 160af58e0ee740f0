"""Boundary checks shared by the public functions.

Validate once at the boundary: these helpers turn user input into clean,
C-contiguous float64 / int64 arrays or raise an :class:`InvalidInputError`
whose message names the argument, the expectation and what was found.
Kernels below the boundary assume clean input and do not re-check.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Collection
from typing import Any, TypeAlias, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .errors import (
    DegenerateInputError,
    DuplicatePointsError,
    InvalidInputError,
    TooLargeError,
)

# Largest working memory one call may plan to use before it is refused up front with a
# TooLargeError (estimated size and what to do instead). Override with the environment
# variable GEOQUANT_MEMORY_BUDGET_GB (a number of GiB, e.g. "64" on a large machine).
DEFAULT_MEMORY_BUDGET = 4 * 2**30

_T = TypeVar("_T")

#: What a public ``seed=`` accepts (see :func:`as_generator`).
SeedLike: TypeAlias = "int | np.random.SeedSequence | np.random.Generator"


def memory_budget() -> int:
    """Bytes one call may plan to allocate (``GEOQUANT_MEMORY_BUDGET_GB`` or 4 GiB)."""
    raw = os.environ.get("GEOQUANT_MEMORY_BUDGET_GB")
    if raw:
        try:
            gb = float(raw)
        except ValueError:
            raise InvalidInputError(f"GEOQUANT_MEMORY_BUDGET_GB must be a number of GiB, found {raw!r}") from None
        if not gb > 0 or not np.isfinite(gb):
            raise InvalidInputError(f"GEOQUANT_MEMORY_BUDGET_GB must be a positive number of GiB, found {raw!r}")
        return int(gb * 2**30)
    return DEFAULT_MEMORY_BUDGET


def _size_str(n_bytes: float) -> str:
    for unit, k in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20)):
        if n_bytes >= k:
            return f"{n_bytes / k:.3g} {unit}"
    return f"{n_bytes:.0f} bytes"


def check_memory(n_bytes: float, what: str, advice: str) -> None:
    """Refuse work whose estimated memory exceeds :func:`memory_budget`.

    Parameters
    ----------
    n_bytes : float
        Estimated bytes (a float, so that huge estimates do not overflow).
    what : str
        The work and the argument that sizes it, e.g. ``"sectors of 2000 points"``.
    advice : str
        What to do instead.

    Raises
    ------
    TooLargeError
        The message gives the estimate, the budget and the advice.
    """
    budget = memory_budget()
    if not n_bytes <= budget:
        raise TooLargeError(
            f"{what} needs about {_size_str(float(n_bytes))} of memory, more than the "
            f"{_size_str(budget)} budget (GEOQUANT_MEMORY_BUDGET_GB); {advice}"
        )

__all__ = [
    "as_float_array",
    "check_points",
    "check_values",
    "check_query",
    "check_option",
    "check_positive",
    "check_int",
    "as_generator",
    "find_duplicates",
    "check_span",
    "normalized_frame",
    "memory_budget",
    "check_memory",
    "check_fraction",
    "check_angle",
]


def _shape_str(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(s) for s in shape) + (",)" if len(shape) == 1 else ")")


def as_float_array(x: ArrayLike, name: str, *, ndim: int | tuple[int, ...] | None = None, finite: bool = True) -> NDArray[np.float64]:
    """Convert ``x`` to a C-contiguous float64 array, checking rank and finiteness.

    Complex input is refused (casting would silently drop the imaginary parts), as are
    strings, bytes and objects that are not numbers.
    """
    try:
        raw = np.asarray(x)
        if np.iscomplexobj(raw):
            raise InvalidInputError(
                f"'{name}' must be real-valued, found a complex array (dtype {raw.dtype}); "
                "pass the real part explicitly if that is what you mean"
            )
        textual = raw.dtype.kind in "USV"
        if textual or (raw.dtype.kind == "O" and any(isinstance(v, (str, bytes, complex)) for v in raw.ravel()[:1000])):
            what = "text" if textual else "objects that are not real numbers"
            raise InvalidInputError(f"'{name}' must be a numeric array, found {what} (dtype {raw.dtype})")
        arr = np.asarray(raw, dtype=np.float64)
        arr = np.ascontiguousarray(arr) if arr.ndim else arr  # keep 0-d scalars 0-d
    except InvalidInputError:
        raise
    except (TypeError, ValueError, OverflowError) as exc:
        raise InvalidInputError(f"'{name}' must be a numeric array, got {type(x).__name__}: {exc}") from None
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(f"{k}-D" for k in allowed)
            raise InvalidInputError(f"'{name}' must be a {want} array, found shape {_shape_str(arr.shape)}")
    if finite and arr.size and not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))
        first = tuple(int(i) for i in bad[0])
        raise InvalidInputError(
            f"'{name}' must be finite, found {len(bad)} NaN/inf entries (first at index {first})"
        )
    return arr


def normalized_frame(points: np.ndarray) -> np.ndarray:
    """The points centred at their bounding box's centre and scaled to unit extent.

    Computed without overflow for coordinates up to the float64 limit and without
    underflow for subnormal ones (scaling is by a power of two first).
    """
    big = float(np.max(np.abs(points))) if points.size else 0.0
    if big == 0.0:
        return points.copy()
    expo = np.frexp(big)[1]
    p = np.ldexp(points, -expo)  # exact for normal numbers, |p| <= 1
    lo, hi = p.min(axis=0), p.max(axis=0)
    p = p - 0.5 * (lo + hi)
    ext = float(np.max(hi - lo))
    return p / ext if ext > 0 else p


def _exact_duplicates(points: np.ndarray) -> list[tuple[int, ...]]:
    _, inverse, counts = np.unique(points, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    return [tuple(int(i) for i in np.flatnonzero(inverse == g)) for g in np.flatnonzero(counts > 1)]


def check_span(points: np.ndarray, name: str) -> None:
    """Refuse finite coordinates whose differences overflow float64 (e.g. points at -1e308 and 1e308).

    Geometry works with differences of coordinates (edges, areas, distances); when one
    overflows to infinity no engine can give a meaningful answer.
    """
    if points.ndim != 2 or not points.size:
        return
    lo, hi = points.min(axis=0), points.max(axis=0)
    with np.errstate(over="ignore", invalid="ignore"):
        span = hi - lo
    bad = np.flatnonzero(~np.isfinite(span))
    if bad.size:
        k = int(bad[0])
        raise InvalidInputError(
            f"'{name}' must have coordinates whose differences are finite in float64, found coordinates from "
            f"{lo[k]:.3g} to {hi[k]:.3g} along axis {k}, whose difference overflows; rescale the points "
            "(for example divide by a power of two: triangulations do not change)"
        )


def _duplicates_on_line(x: np.ndarray, tol: float) -> list[tuple[int, ...]]:
    """1D: runs of sorted neighbours closer than ``tol``; O(n log n) without a tree (fast for 10^7 points)."""
    order = np.argsort(x)  # groups are sorted below, so stability is not needed
    close = np.diff(x[order]) <= tol
    if not close.any():
        return []
    groups: list[tuple[int, ...]] = []
    start, prev = None, -2
    for i in np.flatnonzero(close):
        if start is None or i != prev + 1:
            if start is not None:
                groups.append(tuple(sorted(int(j) for j in order[start : prev + 2])))
            start = i
        prev = int(i)
    groups.append(tuple(sorted(int(j) for j in order[start : prev + 2])))
    return sorted(groups)


#: up to this many points :func:`find_duplicates` compares all pairs (a k-d tree above)
_BRUTE_PAIRS_MAX = 256


def find_duplicates(points: np.ndarray, rtol: float = 1e-10) -> list[tuple[int, ...]]:
    """Groups of indices of points closer than ``rtol * diameter`` (exact when rtol=0).

    Up to 256 points all pairs are compared; above, a k-d tree finds the close
    pairs (O(n log n)).
    """
    n, d = points.shape
    if n < 2:
        return []
    if rtol == 0:
        return _exact_duplicates(points)
    if rtol > 0:
        # work in the unit frame: distances of 1e200 coordinates would overflow, those of
        # 1e-160 coordinates underflow (and report distinct points as coinciding)
        points = normalized_frame(points)
    scale = float(np.max(np.ptp(points, axis=0))) if n else 0.0
    tol = rtol * scale
    if tol == 0.0:
        return _exact_duplicates(points)
    groups: list[tuple[int, ...]]
    if d == 1:
        return _duplicates_on_line(points[:, 0], tol)
    if n <= _BRUTE_PAIRS_MAX:  # all pairs: cheaper than importing scipy.spatial (0.2 s) for small samples
        diff = points[:, None, :] - points[None, :, :]
        close = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff)) <= tol
        pairs = np.argwhere(np.triu(close, 1))
    else:
        from scipy.spatial import cKDTree

        pairs = cKDTree(points).query_pairs(tol, output_type="ndarray")
    if len(pairs) == 0:
        return []
    # union-find over close pairs so that groups are reported once
    parent = np.arange(n)

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in pairs:
        ri, rj = root(i), root(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
    roots = np.array([root(i) for i in range(n)])
    groups = []
    for r in np.unique(roots[np.unique(pairs.ravel())]):
        members = np.flatnonzero(roots == r)
        groups.append(tuple(int(i) for i in members))
    return groups


def check_points(
    points: ArrayLike,
    name: str = "points",
    *,
    min_points: int | None = None,
    dim: int | None = None,
    duplicate_rtol: float | None = 1e-10,
    full_rank: bool = True,
) -> np.ndarray:
    """Validate a point set and return it as clean ``(n_points, n_dims)`` float64.

    Parameters
    ----------
    points : (n_points, n_dims) array_like
        A 1-D array is read as ``n_points`` points in 1D.
    name : str
        Argument name used in error messages.
    min_points : int, optional
        Smallest allowed number of points (default ``n_dims + 1``).
    dim : int, optional
        Required dimension.
    duplicate_rtol : float or None
        Points closer than ``duplicate_rtol`` times the diameter are duplicates;
        ``0`` checks exact duplicates only, ``None`` skips the check.
    full_rank : bool
        Require ``n_dims + 1`` affinely independent points.

    Raises
    ------
    InvalidInputError, DuplicatePointsError, DegenerateInputError
    """
    arr = as_float_array(points, name, ndim=(1, 2))
    if arr.ndim == 1:
        arr = arr[:, None]
    n, d = arr.shape
    if d < 1:
        raise InvalidInputError(f"'{name}' must have at least one coordinate column, found shape {_shape_str(arr.shape)}")
    if dim is not None and d != dim:
        raise InvalidInputError(f"'{name}' must have {dim} columns (n_dims), found {d}")
    check_span(arr, name)
    need = d + 1 if min_points is None else min_points
    if n < need:
        raise DegenerateInputError(f"'{name}' must hold at least {need} points in {d}D, found {n}")
    if duplicate_rtol is not None:
        duplicate_rtol = check_positive(duplicate_rtol, "duplicate_rtol", strict=False)
        groups = find_duplicates(arr, duplicate_rtol)
        if groups:
            shown = ", ".join(str(g) for g in groups[:5])
            more = f" and {len(groups) - 5} more groups" if len(groups) > 5 else ""
            raise DuplicatePointsError(
                f"'{name}' must not contain duplicate points, found {len(groups)} group(s) of coinciding "
                f"points at indices {shown}{more}",
                groups,
            )
    if full_rank:
        frame = normalized_frame(arr)
        centred = frame - frame.mean(axis=0)
        sv = np.linalg.svd(centred, compute_uv=False)
        rank = int(np.sum(sv > 1e-10 * max(sv[0], 1e-300))) if sv.size else 0
        if rank < d:
            what = {0: "all equal", 1: "collinear", 2: "coplanar"}.get(rank, f"in a {rank}-dimensional affine subspace")
            raise DegenerateInputError(
                f"'{name}' must contain {d + 1} affinely independent points in {d}D, "
                f"but all {n} points are {what} (affine rank {rank})"
            )
    return arr


def check_values(values: ArrayLike, n_points: int, name: str = "values") -> NDArray[np.float64]:
    """Validate data values ``(n_points,)`` as finite float64."""
    arr = as_float_array(values, name, ndim=1)
    if arr.shape[0] != n_points:
        raise InvalidInputError(f"'{name}' must have shape ({n_points},) to match the points, found {_shape_str(arr.shape)}")
    return arr


def check_query(xi: ArrayLike, n_dims: int, name: str = "xi", *, finite: bool = True) -> NDArray[np.float64]:
    """Validate query points ``(..., n_dims)``; 1D queries may omit the last axis."""
    arr = as_float_array(xi, name, finite=finite)
    if n_dims == 1 and (arr.ndim == 0 or arr.shape[-1] != 1):
        arr = arr[..., None]
    if arr.ndim == 0 or arr.shape[-1] != n_dims:
        raise InvalidInputError(
            f"'{name}' must have shape (..., {n_dims}), found {_shape_str(arr.shape)}"
        )
    return arr


def check_option(value: _T, name: str, options: Collection[Any]) -> _T:
    """Check that ``value`` is one of ``options`` (case-sensitive)."""
    if value not in options:
        opts = ", ".join(repr(o) for o in options)
        raise InvalidInputError(f"'{name}' must be one of {opts}, found {value!r}")
    return value


def check_positive(value: object, name: str, *, strict: bool = True, allow_inf: bool = False) -> float:
    """Check a positive (or non-negative) finite real number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidInputError(f"'{name}' must be a real number, found {value!r}")
    v = float(value)
    if np.isnan(v) or (np.isinf(v) and not allow_inf) or (v <= 0 if strict else v < 0):
        raise InvalidInputError(f"'{name}' must be {'> 0' if strict else '>= 0'} and finite, found {value!r}")
    return v


def check_int(value: object, name: str, *, min_value: int | None = None, max_value: int | None = None) -> int:
    """Check an integer in ``[min_value, max_value]``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidInputError(f"'{name}' must be an integer, found {value!r}")
    v = int(value)
    if min_value is not None and v < min_value:
        raise InvalidInputError(f"'{name}' must be >= {min_value}, found {v}")
    if max_value is not None and v > max_value:
        raise InvalidInputError(f"'{name}' must be <= {max_value}, found {v}")
    return v


def as_generator(seed: int | np.random.SeedSequence | np.random.Generator | None) -> np.random.Generator:
    """Turn ``seed`` (None, int, SeedSequence or Generator) into a Generator.

    ``seed=None`` is allowed only to mean "fresh entropy"; geoquant's public
    functions default to an explicit integer seed so results are reproducible.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, (numbers.Integral, np.random.SeedSequence)):
        if isinstance(seed, numbers.Integral) and int(seed) < 0:
            raise InvalidInputError(f"'seed' must be a non-negative integer, found {seed}")
        return np.random.default_rng(int(seed) if isinstance(seed, numbers.Integral) else seed)
    raise InvalidInputError(f"'seed' must be an int, a numpy SeedSequence or Generator, found {type(seed).__name__}")


def check_fraction(value: object, name: str) -> float:
    """Check a fraction in ``[0, 1)`` (e.g. a relative amplitude threshold)."""
    v = check_positive(value, name, strict=False)
    if v >= 1:
        raise InvalidInputError(f"'{name}' must be in [0, 1), found {value!r}")
    return v


def check_angle(value: object, name: str) -> float:
    """Check an angle in radians in ``[0, pi]`` (e.g. an angular tolerance)."""
    v = check_positive(value, name, strict=False)
    if v > np.pi:
        raise InvalidInputError(f"'{name}' must be an angle in radians in [0, pi], found {value!r}")
    return v
