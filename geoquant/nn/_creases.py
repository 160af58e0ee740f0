"""Creases of one-hidden-layer ReLU networks: kinks in 1D, breaklines in 2D.

The one crease extractor of geoquant: theory (:func:`geoquant.theory.network_lines`),
comparison and report read a network's kinks and crease lines here, with one
rule for which neurons count (:func:`geoquant.nn._neurons.select_neurons`: amplitude at
least ``min_amplitude_fraction`` times the largest) and one rule for which have
no crease (``|w| <= 1e-12 ||[w | b]||``: a constant neuron).

* :func:`crease_lines`: the raw creases, one per counting neuron, unmerged
  (``-b / w`` in 1D; unit-normal lines ``(n, c)`` in 2D).
* :func:`kinks_1d` (one model, or a list for a stack): merged kinks with
  multiplicities and slope jumps.
* :func:`breaklines` (one model, or a list per model for a stack): merged crease
  lines clipped to a domain, with gradient jumps.

Conventions (amplitudes, jumps, small and dead neurons) are those of
:mod:`geoquant.nn._neurons`. shapely is imported inside the functions that draw
lines (an optional heavy dependency at this layer boundary).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._deprecation import renamed_arguments, warn_deprecated
from .._validation import _shape_str, as_float_array, check_angle, check_fraction
from ..errors import DegenerateInputError, InvalidInputError
from ._clustering import cluster_angles, cluster_scalars
from ._neurons import (
    ModelStack,
    OneModel,
    Weights,
    check_data,
    resolve_network,
    select_neurons,
    single_models,
    split_models,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from shapely.geometry.base import BaseGeometry

__all__ = [
    "FLAT_RTOL",
    "Kinks",
    "Breakline",
    "crease_lines",
    "kinks_1d",
    "kinks_1d_models",
    "breaklines",
    "breaklines_models",
    "as_domain",
    "line_geometry",
    "long_segment",
    "line_groups",
    "check_2d",
]

# A neuron whose spatial part is this small relative to its full norm has no
# kink / line in any bounded region we could draw: it is (numerically) a constant.
FLAT_RTOL = 1e-12


def as_domain(domain: BaseGeometry | ArrayLike, name: str = "domain") -> BaseGeometry:
    """A polygonal shapely geometry from a shapely (Multi)Polygon or a (2, 2) box array."""
    import shapely
    from shapely.geometry import box
    from shapely.geometry.base import BaseGeometry

    if isinstance(domain, BaseGeometry):
        if domain.geom_type not in ("Polygon", "MultiPolygon"):
            raise InvalidInputError(
                f"'{name}' must be a shapely Polygon/MultiPolygon or a (2, 2) box [[xmin, xmax], [ymin, ymax]], "
                f"found a {domain.geom_type}"
            )
        if domain.is_empty or not domain.is_valid or domain.area <= 0:
            why = "empty" if domain.is_empty else ("invalid" if not domain.is_valid else "of zero area")
            raise DegenerateInputError(f"'{name}' must be a valid polygon of positive area, found one that is {why}")
        return shapely.normalize(domain)
    arr = as_float_array(domain, name)
    if arr.shape != (2, 2):
        raise InvalidInputError(
            f"'{name}' must be a shapely polygon or a (2, 2) box [[xmin, xmax], [ymin, ymax]], "
            f"found shape {_shape_str(arr.shape)}"
        )
    if not (arr[0, 0] < arr[0, 1] and arr[1, 0] < arr[1, 1]):
        raise DegenerateInputError(f"'{name}' box must have xmin < xmax and ymin < ymax, found {arr.tolist()}")
    return box(arr[0, 0], arr[1, 0], arr[0, 1], arr[1, 1])


# --------------------------------------------------------------------------- #
# line geometry (2D)
# --------------------------------------------------------------------------- #
def line_geometry(direction: np.ndarray, poly: BaseGeometry) -> BaseGeometry | None:
    """Clip the line ``u[:2] . x + u[2] = 0`` to ``poly``; None when it misses it."""
    from shapely.geometry import MultiLineString

    w, b = direction[:2], direction[2]
    wn = float(np.hypot(*w))
    if wn <= FLAT_RTOL * float(np.linalg.norm(direction)):
        return None
    seg = long_segment(w / wn, b / wn, poly.bounds)
    if seg is None:
        return None
    inter = seg.intersection(poly)
    parts = [g for g in getattr(inter, "geoms", [inter]) if g.geom_type == "LineString" and g.length > 0]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else MultiLineString(parts)


def long_segment(n: np.ndarray, c: float, bounds: Sequence[float], margin: float = 0.05) -> BaseGeometry | None:
    """The part of the line ``n . x + c = 0`` (``|n| = 1``) spanning the box ``bounds``
    enlarged by ``margin``; None if the line misses that box's circumscribed disc."""
    from shapely.geometry import LineString

    xmin, ymin, xmax, ymax = bounds
    m = np.array([(xmin + xmax) / 2.0, (ymin + ymax) / 2.0])
    R = 0.5 * float(np.hypot(xmax - xmin, ymax - ymin)) * (1.0 + margin)
    dist = float(n @ m + c)
    if abs(dist) >= R:
        return None
    q = m - dist * n
    t = np.array([-n[1], n[0]])
    L = 1.1 * R
    return LineString([q - L * t, q + L * t])


# --------------------------------------------------------------------------- #
# 1D: kinks
# --------------------------------------------------------------------------- #
@dataclass
class Kinks:
    """Kinks of a 1D network, sorted by position.

    Attributes
    ----------
    positions : (k,) ndarray
        Kink positions ``x = -b / w`` (amplitude-weighted mean over merged neurons).
    counts : (k,) ndarray of int
        Multiplicity: number of neurons merged into each kink.
    jumps : (k,) ndarray
        Slope jump ``f'(x+) - f'(x-) = sum_j a_j |w_j|`` at each kink.
    members : list of (count,) ndarray of int
        Neuron indices of each kink.
    n_small : int
        Negligible neurons left out.
    n_dead : int
        Neurons dead on the data left out (0 without data).
    n_flat : int
        Non-negligible neurons with ``w = 0`` (constant, no kink).
    """

    positions: np.ndarray
    counts: np.ndarray
    jumps: np.ndarray
    members: list
    n_small: int = 0
    n_dead: int = 0
    n_flat: int = 0

    def __len__(self) -> int:
        return int(self.positions.shape[0])


@overload
def kinks_1d(
    W: OneModel, a: ArrayLike | None = ..., *, angle_tol: float = ..., min_amplitude_fraction: float = ...,
    points: ArrayLike | None = ..., exclude_dead: bool = ...,
) -> Kinks: ...
@overload
def kinks_1d(
    W: ModelStack, a: ArrayLike | None = ..., *, angle_tol: float = ..., min_amplitude_fraction: float = ...,
    points: ArrayLike | None = ..., exclude_dead: bool = ...,
) -> list[Kinks]: ...
@overload
def kinks_1d(
    W: Weights, a: ArrayLike | None = ..., *, angle_tol: float = ..., min_amplitude_fraction: float = ...,
    points: ArrayLike | None = ..., exclude_dead: bool = ...,
) -> Kinks | list[Kinks]: ...
@renamed_arguments(X="points")
def kinks_1d(
    W: Weights,
    a: ArrayLike | None = None,
    *,
    angle_tol: float = 1e-2,
    min_amplitude_fraction: float = 1e-3,
    points: ArrayLike | None = None,
    exclude_dead: bool = False,
) -> Kinks | list[Kinks]:
    """Kinks of a 1D network (or of each of a stack), with multiplicities and slope jumps.

    Kinks are merged by position, whatever the sign of ``a`` or the side on
    which the neuron is active: all of them bend ``f`` at the same point. Two
    positions are compared by the angle between the lines ``(1, -x)``, i.e.
    ``|arctan x1 - arctan x2|`` — the angle between the neurons' directions on
    the circle — and merged by complete linkage with threshold ``angle_tol``
    (near ``x = 0`` this is an absolute distance ``angle_tol``; far away kinks
    merge over ``angle_tol * (1 + x^2)``).

    Parameters
    ----------
    W : (width, 2) or (n_models, width, 2) array_like, or an object with ``.W`` and ``.a``
        One model, or a stack (see :func:`geoquant.nn._neurons.split_models`: a
        result holding one model is that model).
    a : (width,) or (n_models, width) array_like
    angle_tol : float
        Merging tolerance in radians (0 merges only identical positions).
    min_amplitude_fraction : float
        Relative amplitude threshold for negligible neurons (see module notes).
    points : (n_points,) or (n_points, 1) array_like, optional
        Data (formerly ``X``; the old keyword warns until 0.3.0); with ``exclude_dead=True``
        neurons dead on it are left out.
    exclude_dead : bool

    Returns
    -------
    Kinks, or for a stack a list of Kinks (one per model)

    Examples
    --------
    >>> import numpy as np
    >>> W = np.array([[1.0, -0.5], [2.0, -1.0], [-1.0, 0.2]])  # kinks at 0.5, 0.5, 0.2
    >>> k = kinks_1d(W, np.array([1.0, 1.0, -1.0]))
    >>> k.positions, k.counts, k.jumps
    (array([0.2, 0.5]), array([1, 2]), array([-1.,  3.]))
    >>> [len(k) for k in kinks_1d(np.stack([W, 2 * W]), np.ones((2, 3)))]  # a stack: one Kinks per model
    [2, 2]
    """
    W, a, stack = split_models(W, a)
    each = _kinks_each(W, a, angle_tol=angle_tol, min_amplitude_fraction=min_amplitude_fraction, X=points,
                       exclude_dead=exclude_dead)
    return each if stack else each[0]


def _kinks_each(
    W: Weights, a: ArrayLike | None, *, angle_tol: float, min_amplitude_fraction: float, X: ArrayLike | None,
    exclude_dead: bool,
) -> list[Kinks]:
    """:func:`kinks_1d` of each model (a 2-D ``W`` is one model: a list of one)."""
    W, a = resolve_network(W, a, ndims=(2, 3))
    if W.shape[-1] != 2:
        raise InvalidInputError(
            f"'W' must have 2 columns [w | b] for kinks_1d (input dimension 1), found {W.shape[-1]}"
        )
    angle_tol = check_angle(angle_tol, "angle_tol")
    frac = check_fraction(min_amplitude_fraction, "min_amplitude_fraction")
    Xc = check_data(X, 1) if X is not None else None
    results = []
    for Wm, am in single_models(W, a):
        keep, small, dead, amp = select_neurons(Wm, am, frac, Xc, exclude_dead)
        w, b = Wm[:, 0], Wm[:, 1]
        flat = keep & (np.abs(w) <= FLAT_RTOL * np.linalg.norm(Wm, axis=-1))
        idx = np.flatnonzero(keep & ~flat)
        # angle of the kink on the projective line; arctan2 stays accurate for tiny |w|
        theta = np.arctan2(-b[idx] * np.sign(w[idx]), np.abs(w[idx]))
        if idx.size and angle_tol > 0:
            labels = cluster_scalars(theta, angle_tol)
        else:
            _, inv = np.unique(theta, return_inverse=True)
            labels = inv.ravel()
        k = int(labels.max()) + 1 if idx.size else 0
        pos = np.empty(k)
        counts = np.empty(k, dtype=np.int64)
        jumps = np.empty(k)
        members = []
        for g in range(k):
            sel = labels == g
            mem = idx[sel]
            pos[g] = np.tan(np.average(theta[sel], weights=amp[mem]))
            counts[g] = mem.size
            jumps[g] = np.sum(am[mem] * np.abs(w[mem]))
            members.append(np.sort(mem))
        order = np.argsort(pos, kind="stable")
        results.append(
            Kinks(
                positions=pos[order],
                counts=counts[order],
                jumps=jumps[order],
                members=[members[i] for i in order],
                n_small=int(small.sum()),
                n_dead=int(dead.sum()),
                n_flat=int(flat.sum()),
            )
        )
    return results


def kinks_1d_models(
    W: Weights,
    a: ArrayLike | None = None,
    *,
    angle_tol: float = 1e-2,
    min_amplitude_fraction: float = 1e-3,
    X: ArrayLike | None = None,
    exclude_dead: bool = False,
) -> list[Kinks]:
    """Deprecated: use :func:`kinks_1d`, which takes a stack too (removed in geoquant 0.3.0). Always a list."""
    warn_deprecated("geoquant.nn.kinks_1d_models", "geoquant.nn.kinks_1d")
    return _kinks_each(W, a, angle_tol=angle_tol, min_amplitude_fraction=min_amplitude_fraction, X=X,
                       exclude_dead=exclude_dead)


def crease_lines(W: ArrayLike, a: ArrayLike | None = None, *, min_amplitude_fraction: float = 1e-3) -> NDArray[np.float64]:
    """The raw creases of one network, one per counting neuron, unmerged, in neuron order.

    Neurons count by :func:`geoquant.nn._neurons.select_neurons` (amplitude
    ``|a_j| ||[w_j | b_j]||`` positive and at least ``min_amplitude_fraction``
    times the largest) when ``a`` is given, every nonzero neuron otherwise
    (unit directions of a predicted function); neurons with
    ``|w| <= 1e-12 ||[w | b]||`` are constant and have no crease.

    Parameters
    ----------
    W : (width, 2) or (width, 3) array_like
        Rows ``[w_j | b_j]`` of one model on 1D or 2D inputs.
    a : (width,) array_like, optional
        Output weights (for the amplitude rule).
    min_amplitude_fraction : float

    Returns
    -------
    (k,) ndarray or (k, 3) ndarray
        1D: kink positions ``-b / w``. 2D: lines ``(n1, n2, c)`` with
        ``n1^2 + n2^2 = 1``, the crease ``n . x + c = 0``.

    Examples
    --------
    >>> import numpy as np
    >>> crease_lines(np.array([[2.0, -1.0], [0.0, 1.0]]), np.array([1.0, 1.0]))
    array([0.5])
    """
    W, a = resolve_network(W, a, ndims=(2,), need_a=a is not None)
    if W.shape[1] not in (2, 3):
        raise InvalidInputError(f"'W' must have 2 or 3 columns (a network on 1D or 2D inputs), found {W.shape[1]}")
    frac = check_fraction(min_amplitude_fraction, "min_amplitude_fraction")
    if a is None:
        keep = np.linalg.norm(W, axis=1) > 0
    else:
        keep = select_neurons(W, a, frac)[0]
    Wk = W[keep]
    if W.shape[1] == 2:
        ok = np.abs(Wk[:, 0]) > FLAT_RTOL * np.linalg.norm(Wk, axis=1)
        return -Wk[ok, 1] / Wk[ok, 0]
    nrm = np.hypot(Wk[:, 0], Wk[:, 1])
    ok = nrm > FLAT_RTOL * np.linalg.norm(Wk, axis=1)
    return Wk[ok] / nrm[ok, None]


# --------------------------------------------------------------------------- #
# 2D: breaklines
# --------------------------------------------------------------------------- #
@dataclass
class Breakline:
    """One crease line of a 2D network clipped to a domain.

    Attributes
    ----------
    line : shapely LineString (MultiLineString for a non-convex domain)
    normal : (2,) ndarray
        Unit normal ``n``; the line is ``n . x + offset = 0``.
    offset : float
    jump : float
        Jump of the derivative along ``n`` across the line, ``sum_j a_j |w_j|``;
        the gradient jumps by ``jump * normal`` when crossing in direction ``n``.
    count : int
        Neurons merged into the line.
    members : (count,) ndarray of int
    """

    line: object
    normal: np.ndarray
    offset: float
    jump: float
    count: int
    members: np.ndarray


def check_2d(W: np.ndarray) -> None:
    if W.shape[-1] != 3:
        raise InvalidInputError(
            f"'W' must have 3 columns [w1, w2 | b] for a 2D network (input dimension 2), found {W.shape[-1]}"
        )


def line_groups(Wm: np.ndarray, am: np.ndarray, keep: np.ndarray, tol: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unsigned clustering of the lines of the kept, non-flat neurons.

    Returns (idx, labels, U): kept neuron indices, line labels and their unit
    [n | c] rows (normalised by the spatial norm's sign-free direction).
    """
    wn = np.linalg.norm(Wm[:, :2], axis=1)
    has_line = keep & (wn > FLAT_RTOL * np.linalg.norm(Wm, axis=1))
    idx = np.flatnonzero(has_line)
    U = Wm[idx] / np.linalg.norm(Wm[idx], axis=1, keepdims=True)
    labels = cluster_angles(U, tol, unsigned=True) if idx.size else np.zeros(0, dtype=np.int64)
    return idx, labels, U


@overload
def breaklines(
    W: OneModel, a: ArrayLike | None = ..., domain: object = ..., *, angle_tol: float = ...,
    min_amplitude_fraction: float = ...,
) -> list[Breakline]: ...
@overload
def breaklines(
    W: ModelStack, a: ArrayLike | None = ..., domain: object = ..., *, angle_tol: float = ...,
    min_amplitude_fraction: float = ...,
) -> list[list[Breakline]]: ...
@overload
def breaklines(
    W: Weights, a: ArrayLike | None = ..., domain: object = ..., *, angle_tol: float = ...,
    min_amplitude_fraction: float = ...,
) -> list[Breakline] | list[list[Breakline]]: ...
def breaklines(
    W: Weights,
    a: ArrayLike | None = None,
    domain: object = None,
    *,
    angle_tol: float = 1e-2,
    min_amplitude_fraction: float = 1e-3,
) -> list[Breakline] | list[list[Breakline]]:
    """Crease lines of a 2D network (or of each of a stack) clipped to a domain, with their gradient jumps.

    Neurons whose lines agree within ``angle_tol`` (as unoriented lines, so
    ``w -> -w`` and either sign of ``a`` share a line) are merged and their
    jumps summed. Lines that miss the domain are left out.

    Parameters
    ----------
    W : (width, 3) or (n_models, width, 3) array_like, or an object with ``.W`` and ``.a``
        One model, or a stack (see :func:`geoquant.nn._neurons.split_models`: a
        result holding one model is that model).
    a : (width,) or (n_models, width) array_like
    domain : shapely Polygon/MultiPolygon or (2, 2) array_like ``[[xmin, xmax], [ymin, ymax]]``
    angle_tol : float
        Angle in radians between the neurons' unit ``[w | b]`` up to sign; 0
        merges only identical lines.
    min_amplitude_fraction : float
        Relative amplitude threshold for negligible neurons.

    Returns
    -------
    list of Breakline, or for a stack a list of them per model
        Each list sorted by decreasing ``|jump|``.

    Examples
    --------
    >>> import numpy as np
    >>> W = np.array([[1.0, 0.0, -0.5], [-2.0, 0.0, 1.0]])  # both crease along x = 0.5
    >>> [(b.count, b.jump) for b in breaklines(W, np.array([1.0, 1.0]), [[0, 1], [0, 1]])]
    [(2, 3.0)]
    """
    W, a, stack = split_models(W, a)
    each = _breaklines_each(W, a, domain, angle_tol=angle_tol, min_amplitude_fraction=min_amplitude_fraction)
    return each if stack else each[0]


def _breaklines_each(
    W: Weights, a: ArrayLike | None, domain: object, *, angle_tol: float, min_amplitude_fraction: float
) -> list[list[Breakline]]:
    """:func:`breaklines` of each model (a 2-D ``W`` is one model: a list of one list)."""
    W, a = resolve_network(W, a, ndims=(2, 3))
    check_2d(W)
    if domain is None:
        raise InvalidInputError("'domain' (shapely polygon or (2, 2) box) is required, found None")
    poly = as_domain(domain)
    angle_tol = check_angle(angle_tol, "angle_tol")
    frac = check_fraction(min_amplitude_fraction, "min_amplitude_fraction")
    results = []
    for Wm, am in single_models(W, a):
        keep, _, _, amp = select_neurons(Wm, am, frac)
        idx, labels, U = line_groups(Wm, am, keep, angle_tol)
        out = []
        for g in range(int(labels.max()) + 1 if idx.size else 0):
            sel = labels == g
            mem = idx[sel]
            Ug = U[sel]
            # orient members like the heaviest one before averaging
            ref = Ug[np.argmax(amp[mem])]
            Ug = Ug * np.where(Ug @ ref < 0, -1.0, 1.0)[:, None]
            mean = amp[mem] @ Ug
            wn = np.linalg.norm(mean[:2])
            normal, offset = mean[:2] / wn, float(mean[2] / wn)
            geom = line_geometry(np.append(normal, offset), poly)
            if geom is None:
                continue
            out.append(
                Breakline(
                    line=geom,
                    normal=normal,
                    offset=offset,
                    jump=float(np.sum(am[mem] * np.linalg.norm(Wm[mem, :2], axis=1))),
                    count=int(mem.size),
                    members=np.sort(mem),
                )
            )
        out.sort(key=lambda bl: (-abs(bl.jump), int(bl.members[0])))
        results.append(out)
    return results


def breaklines_models(
    W: Weights,
    a: ArrayLike | None = None,
    domain: object = None,
    *,
    angle_tol: float = 1e-2,
    min_amplitude_fraction: float = 1e-3,
) -> list[list[Breakline]]:
    """Deprecated: use :func:`breaklines`, which takes a stack too (removed in geoquant 0.3.0). Always a list per model."""
    warn_deprecated("geoquant.nn.breaklines_models", "geoquant.nn.breaklines")
    return _breaklines_each(W, a, domain, angle_tol=angle_tol, min_amplitude_fraction=min_amplitude_fraction)
