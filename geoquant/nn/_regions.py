"""Linear regions of one-hidden-layer ReLU networks: where the network is one affine map.

:func:`linear_regions` cuts a 2D domain by the network's crease lines
(:mod:`geoquant.nn._creases`) and merges adjacent pieces with equal maps;
:func:`count_linear_pieces` counts the pieces over the data hull in 1D and 2D.
Both take one model, or a stack (one entry per model).
shapely is imported inside the functions (an optional heavy dependency).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._deprecation import renamed_arguments, warn_deprecated
from .._validation import (
    _shape_str,
    as_float_array,
    check_angle,
    check_fraction,
    check_int,
    check_memory,
    check_positive,
)
from ..errors import DegenerateInputError, InvalidInputError, TooLargeError
from ._creases import _kinks_each, as_domain, check_2d, line_groups, long_segment
from ._directions import condensed_network
from ._neurons import (
    ModelStack,
    OneModel,
    Weights,
    check_data,
    check_offset,
    resolve_network,
    result_offset,
    select_neurons,
    single_models,
    split_models,
)

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

__all__ = [
    "LinearRegion",
    "linear_regions",
    "linear_regions_models",
    "count_linear_pieces",
    "count_linear_pieces_models",
]

# Lines closer than this angle (radians) are the same line in linear_regions'
# exact mode; finer differences only create numerically meaningless slivers.
LINE_DEDUP_TOL = 1e-9


class LinearRegion(NamedTuple):
    """A maximal polygon on which the network is one affine map ``x -> gradient . x + offset``.

    Attributes
    ----------
    polygon : shapely Polygon (possibly non-convex after merging)
    gradient : (2,) ndarray
    offset : float
    """

    polygon: BaseGeometry
    gradient: np.ndarray
    offset: float

    def __call__(self, x: ArrayLike) -> np.ndarray:
        """Evaluate the affine map at ``x (..., 2)``."""
        x = np.asarray(x, dtype=np.float64)
        return x @ self.gradient + self.offset


def _regions_kernel(
    Wm: np.ndarray, am: np.ndarray, poly: BaseGeometry, bias: float | np.ndarray, line_tol: float, rtol: float, max_lines: int
) -> list[LinearRegion]:
    """Split ``poly`` by the lines of the neurons (Wm, am) and merge equal maps.

    All neurons in (Wm, am) count for the affine maps; those with a line in the
    domain also cut it. Lines within ``line_tol`` (unoriented) are cut once.
    """
    import shapely
    from shapely.ops import polygonize, unary_union
    from shapely.strtree import STRtree

    idx, labels, U = line_groups(Wm, am, np.ones(am.shape, dtype=bool), line_tol)
    segments = []
    for g in range(int(labels.max()) + 1 if idx.size else 0):
        u = U[np.flatnonzero(labels == g)[0]]
        wn = np.hypot(u[0], u[1])
        seg = long_segment(u[:2] / wn, u[2] / wn, poly.bounds)
        if seg is not None:
            segments.append(seg)
    n_seg = len(segments)
    check_memory(2048.0 * (n_seg * (n_seg + 1) / 2 + 1), f"linear regions cut by {n_seg} lines (up to {n_seg * (n_seg + 1) // 2 + 1} regions)",
                 "raise 'min_amplitude_fraction' or 'angle_tol' to merge neurons")
    if len(segments) > max_lines:
        raise TooLargeError(
            f"the domain is cut by {len(segments)} distinct lines (limit 'max_lines' = {max_lines}), "
            f"up to {len(segments) ** 2 // 2} regions; raise 'min_amplitude_fraction' or 'angle_tol' "
            f"to merge neurons, or raise 'max_lines'"
        )
    if segments:
        # Noding the domain boundary with segments that overhang it makes every
        # crossing a vertex; faces outside the domain (the overhang) are dropped below.
        noded = unary_union([poly.boundary, *segments])
        faces = [f for f in polygonize(noded) if f.area > 0]
        faces = [f for f in faces if poly.contains(f.representative_point())]
    else:
        faces = list(getattr(poly, "geoms", [poly]))

    S = float(np.sum(np.abs(am) * np.linalg.norm(Wm[:, :2], axis=1))) + np.finfo(float).tiny
    grads = np.empty((len(faces), 2))
    offs = np.empty(len(faces))
    for k, f in enumerate(faces):
        p = np.asarray(f.representative_point().coords[0])
        active = Wm[:, :2] @ p + Wm[:, 2] > 0.0
        grads[k] = am[active] @ Wm[active, :2]
        offs[k] = am[active] @ Wm[active, 2] + bias

    # Merge faces sharing an edge whose maps agree: f is continuous, so equal
    # gradients across a shared edge of positive length mean equal affine maps.
    parent = np.arange(len(faces))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    if len(faces) > 1:
        diam = float(np.hypot(poly.bounds[2] - poly.bounds[0], poly.bounds[3] - poly.bounds[1]))
        tree = STRtree(faces)
        pairs = tree.query(faces, predicate="touches")
        for i, j in zip(*pairs):
            if i >= j or np.linalg.norm(grads[i] - grads[j]) > rtol * S:
                continue
            shared = faces[i].boundary.intersection(faces[j].boundary)
            if shared.length > 1e-12 * diam:
                ri, rj = root(i), root(j)
                if ri != rj:
                    parent[max(ri, rj)] = min(ri, rj)
    roots = np.array([root(i) for i in range(len(faces))], dtype=np.int64)
    regions = []
    for r in np.unique(roots):
        mem = np.flatnonzero(roots == r)
        geom = faces[mem[0]] if mem.size == 1 else unary_union([faces[i] for i in mem])
        big = mem[np.argmax([faces[i].area for i in mem])]
        regions.append(LinearRegion(shapely.normalize(geom), grads[big].copy(), float(offs[big])))
    regions.sort(key=lambda r: (round(r.polygon.centroid.x, 12), round(r.polygon.centroid.y, 12)))
    return regions


@overload
def linear_regions(
    W: OneModel, a: ArrayLike | None = ..., domain: BaseGeometry | ArrayLike | None = ..., *, c: ArrayLike | None = ..., angle_tol: float = ...,
    min_amplitude_fraction: float = ..., rtol: float = ..., max_lines: int = ..., output_bias: ArrayLike | None = ...,
) -> list[LinearRegion]: ...
@overload
def linear_regions(
    W: ModelStack, a: ArrayLike | None = ..., domain: BaseGeometry | ArrayLike | None = ..., *, c: ArrayLike | None = ..., angle_tol: float = ...,
    min_amplitude_fraction: float = ..., rtol: float = ..., max_lines: int = ..., output_bias: ArrayLike | None = ...,
) -> list[list[LinearRegion]]: ...
@overload
def linear_regions(
    W: Weights, a: ArrayLike | None = ..., domain: BaseGeometry | ArrayLike | None = ..., *, c: ArrayLike | None = ..., angle_tol: float = ...,
    min_amplitude_fraction: float = ..., rtol: float = ..., max_lines: int = ..., output_bias: ArrayLike | None = ...,
) -> list[LinearRegion] | list[list[LinearRegion]]: ...
def linear_regions(
    W: Weights,
    a: ArrayLike | None = None,
    domain: BaseGeometry | ArrayLike | None = None,
    *,
    c: ArrayLike | None = None,
    angle_tol: float = 0.0,
    min_amplitude_fraction: float = 0.0,
    rtol: float = 1e-9,
    max_lines: int = 400,
    output_bias: ArrayLike | None = None,
) -> list[LinearRegion] | list[list[LinearRegion]]:
    """Linear regions of a 2D network (or of each of a stack) inside a domain, with their affine maps.

    The domain is cut by the crease lines of the neurons that cross it
    (neurons whose lines miss the domain are active everywhere or nowhere in it
    and only shift the maps); adjacent pieces whose gradients agree to
    ``rtol * sum_j |a_j| |w_j|`` are merged (this happens across lines whose
    neurons cancel). Each region's map is read off the activation pattern at an
    interior point.

    With the defaults (``angle_tol = 0``, ``min_amplitude_fraction = 0``) every
    neuron counts and the maps reproduce the network exactly. For trained
    networks pass tolerances: neurons below the amplitude threshold are then
    ignored, and with ``angle_tol > 0`` the regions and maps are those of
    :func:`condensed_network` (one neuron per direction group).

    Parameters
    ----------
    W : (width, 3) or (n_models, width, 3) array_like, or an object with ``.W`` and ``.a``
        One model, or a stack (see :func:`geoquant.nn._neurons.split_models`: a
        result holding one model is that model).
    a : (width,) or (n_models, width) array_like
    domain : shapely Polygon/MultiPolygon or (2, 2) array_like ``[[xmin, xmax], [ymin, ymax]]``
    c : float or (n_models,) array_like, optional
        The network's output offset, added to every region's offset. Default: the
        result's ``c`` when ``W`` is a result that has one, else 0.
    angle_tol : float
        Directions closer than this (radians) are merged (see above).
    min_amplitude_fraction : float
        Relative amplitude threshold for negligible neurons.
    rtol : float
        Relative tolerance for equal gradients.
    max_lines : int
        Refuse (TooLargeError) arrangements of more distinct lines.

    Returns
    -------
    list of LinearRegion, or for a stack a list of them per model
        Regions as ``(polygon, gradient (2,), offset)``; their areas sum to the
        domain's area.

    Notes
    -----
    ``output_bias`` is the deprecated name of ``c`` (removed in geoquant 0.3.0).

    Examples
    --------
    >>> import numpy as np
    >>> W = np.array([[1.0, 0.0, -0.5], [0.0, 1.0, -0.5]])  # creases x = 0.5 and y = 0.5
    >>> regions = linear_regions(W, np.array([1.0, 2.0]), [[0, 1], [0, 1]])
    >>> [(r.gradient.tolist(), r.offset, r.polygon.area) for r in regions]  # doctest: +NORMALIZE_WHITESPACE
    [([0.0, 0.0], 0.0, 0.25), ([0.0, 2.0], -1.0, 0.25), ([1.0, 0.0], -0.5, 0.25), ([1.0, 2.0], -1.5, 0.25)]
    >>> W2 = np.array([[[1.0, 0.0, -0.5]], [[0.0, 1.0, 2.0]]])  # a stack; model 1's line misses the box
    >>> [len(r) for r in linear_regions(W2, np.ones((2, 1)), [[0, 1], [0, 1]])]
    [2, 1]
    """
    c, c_name = _renamed_offset(c, output_bias, "linear_regions")
    offset = result_offset(W, c)
    W, a, stack = split_models(W, a)
    if not stack and c is None and np.ndim(offset) == 1 and np.shape(offset)[0] == 1:
        offset = np.asarray(offset)[0]  # a one-model result's c
    each = _regions_each(
        W, a, domain, offset, c_name=c_name, angle_tol=angle_tol, min_amplitude_fraction=min_amplitude_fraction,
        rtol=rtol, max_lines=max_lines,
    )
    return each if stack else each[0]


def _renamed_offset(c: ArrayLike | None, output_bias: ArrayLike | None, func: str) -> tuple[ArrayLike | None, str]:
    """``(c, name)``: the output offset given as ``c`` or under its deprecated name ``output_bias`` (warns)."""
    if output_bias is None:
        return c, "c"
    warn_deprecated(f"the argument 'output_bias' of geoquant.nn.{func}", "'c'", stacklevel=4)
    if c is not None:
        raise InvalidInputError("give the output offset once: 'c' (or its deprecated name 'output_bias'), not both")
    return output_bias, "output_bias"


def _regions_each(
    W: Weights, a: ArrayLike | None, domain: BaseGeometry | ArrayLike | None, c: ArrayLike | None, *, c_name: str, angle_tol: float,
    min_amplitude_fraction: float, rtol: float, max_lines: int,
) -> list[list[LinearRegion]]:
    """:func:`linear_regions` of each model (a 2-D ``W`` is one model: a list of one list)."""
    c = result_offset(W, c)
    W, a = resolve_network(W, a, ndims=(2, 3))
    check_2d(W)
    if domain is None:
        raise InvalidInputError("'domain' (shapely polygon or (2, 2) box) is required, found None")
    poly = as_domain(domain)
    bias = check_offset(c, c_name)
    n_models = W.shape[0] if W.ndim == 3 else 1
    if not (bias.ndim == 0 or (W.ndim == 3 and bias.shape == (n_models,))):
        want = "a scalar" if W.ndim == 2 else f"a scalar or shape ({n_models},)"
        raise InvalidInputError(f"'{c_name}' must be {want}, found shape {_shape_str(bias.shape)}")
    biases = np.broadcast_to(bias, (n_models,))
    angle_tol = check_angle(angle_tol, "angle_tol")
    frac = check_fraction(min_amplitude_fraction, "min_amplitude_fraction")
    rtol = check_positive(rtol, "rtol", strict=False)
    max_lines = check_int(max_lines, "max_lines", min_value=1)
    results = []
    for (Wm, am), bias_k in zip(single_models(W, a), biases):
        bias = float(bias_k)  # type: ignore[assignment]
        if angle_tol > 0:
            Wk, ak = condensed_network(Wm, am, angle_tol=angle_tol, min_amplitude_fraction=frac)
        else:
            keep, _, _, _ = select_neurons(Wm, am, frac)
            Wk, ak = Wm[keep], am[keep]
        line_tol = max(angle_tol, LINE_DEDUP_TOL)
        results.append(_regions_kernel(Wk, ak, poly, bias, line_tol, rtol, max_lines))
    return results


@overload
def count_linear_pieces(
    W: OneModel, a: ArrayLike | None = ..., points: ArrayLike | None = ..., *, hull: BaseGeometry | ArrayLike | tuple[float, float] | None = ..., angle_tol: float = ...,
    min_amplitude_fraction: float = ..., jump_rtol: float = ..., max_lines: int = ...,
) -> int: ...
@overload
def count_linear_pieces(
    W: ModelStack, a: ArrayLike | None = ..., points: ArrayLike | None = ..., *, hull: BaseGeometry | ArrayLike | tuple[float, float] | None = ..., angle_tol: float = ...,
    min_amplitude_fraction: float = ..., jump_rtol: float = ..., max_lines: int = ...,
) -> NDArray[np.int64]: ...
@overload
def count_linear_pieces(
    W: Weights, a: ArrayLike | None = ..., points: ArrayLike | None = ..., *, hull: BaseGeometry | ArrayLike | tuple[float, float] | None = ..., angle_tol: float = ...,
    min_amplitude_fraction: float = ..., jump_rtol: float = ..., max_lines: int = ...,
) -> int | NDArray[np.int64]: ...
@renamed_arguments(X="points")
def count_linear_pieces(
    W: Weights,
    a: ArrayLike | None = None,
    points: ArrayLike | None = None,
    *,
    hull: BaseGeometry | ArrayLike | tuple[float, float] | None = None,
    angle_tol: float = 1e-2,
    min_amplitude_fraction: float = 1e-3,
    jump_rtol: float = 1e-6,
    max_lines: int = 400,
) -> int | NDArray[np.int64]:
    """Number of linear pieces of a network (or of each of a stack) over the convex hull of the data.

    * 1D: ``1 +`` the number of merged kinks (:func:`kinks_1d`) strictly inside
      ``[min points, max points]`` (farther than ``1e-6`` of its length from the ends)
      whose slope jump exceeds ``jump_rtol * sum_j |a_j| |w_j|``; kinks whose
      neurons cancel do not separate pieces.
    * 2D: the regions of :func:`linear_regions` of the
      :func:`condensed_network` inside the convex hull of ``points``, after merging
      adjacent regions with equal maps (to ``jump_rtol``).

    Parameters
    ----------
    W : (width, d+1) or (n_models, width, d+1) array_like, or an object with ``.W`` and ``.a``; d = 1 or 2
        One model, or a stack (see :func:`geoquant.nn._neurons.split_models`: a
        result holding one model is that model).
    a : (width,) or (n_models, width) array_like
    points : (n_points, d) array_like, optional
        Data whose convex hull is used (formerly ``X``; the old keyword warns until 0.3.0).
    hull : optional
        Instead of ``points``: ``(lo, hi)`` in 1D, a shapely polygon or (2, 2) box in 2D.
    angle_tol, min_amplitude_fraction : float
        Merging of neurons, as in :func:`cluster_directions` / :func:`kinks_1d`.
    jump_rtol : float
        Relative size below which a kink/line does not separate pieces.
    max_lines : int
        2D only; see :func:`linear_regions`.

    Returns
    -------
    int, or for a stack an (n_models,) ndarray of int

    Examples
    --------
    >>> import numpy as np
    >>> W = np.array([[1.0, 0.0], [1.0, -0.5], [-1.0, 2.0]])  # kinks at 0, 0.5, 2
    >>> count_linear_pieces(W, np.ones(3), np.array([-1.0, 1.0]))
    3
    >>> W2 = np.array([[[1.0, -0.5], [1.0, 0.5]], [[1.0, -0.5], [1.0, -2.0]]])  # a stack: kinks 0.5, -0.5 | 0.5, 2
    >>> count_linear_pieces(W2, np.ones((2, 2)), hull=(0.0, 1.0))
    array([2, 2])
    >>> count_linear_pieces(W2, np.ones((2, 2)), hull=(-1.0, 3.0))
    array([3, 3])
    """
    W, a, stack = split_models(W, a)
    each = _pieces_each(
        W, a, points, hull=hull, angle_tol=angle_tol, min_amplitude_fraction=min_amplitude_fraction,
        jump_rtol=jump_rtol, max_lines=max_lines,
    )
    return each if stack else int(each[0])


def _pieces_each(
    W: Weights, a: ArrayLike | None, X: ArrayLike | None, *, hull: BaseGeometry | ArrayLike | tuple[float, float] | None, angle_tol: float,
    min_amplitude_fraction: float, jump_rtol: float, max_lines: int,
) -> NDArray[np.int64]:
    """:func:`count_linear_pieces` of each model (a 2-D ``W`` is one model: shape ``(1,)``)."""
    W, a = resolve_network(W, a, ndims=(2, 3))
    d = W.shape[-1] - 1
    if d not in (1, 2):
        raise InvalidInputError(f"'W' must describe a network on 1D or 2D inputs (2 or 3 columns), found {d + 1} columns")
    if (X is None) == (hull is None):
        raise InvalidInputError("exactly one of 'points' and 'hull' must be given")
    jump_rtol = check_positive(jump_rtol, "jump_rtol", strict=False)
    frac = check_fraction(min_amplitude_fraction, "min_amplitude_fraction")
    angle_tol = check_angle(angle_tol, "angle_tol")
    counts = []
    if d == 1:
        if X is not None:
            Xc = check_data(X, 1)
            lo, hi = float(Xc.min()), float(Xc.max())
        else:
            h = as_float_array(hull, "hull").ravel()  # type: ignore[arg-type]  # None: refused there, with the message
            if h.shape != (2,) or not h[0] < h[1]:
                raise InvalidInputError(f"'hull' must be (lo, hi) with lo < hi in 1D, found {h.tolist()}")
            lo, hi = float(h[0]), float(h[1])
        margin = 1e-6 * (hi - lo)
        all_kinks = _kinks_each(W, a, angle_tol=angle_tol, min_amplitude_fraction=frac, X=None, exclude_dead=False)
        for (Wm, am), kk in zip(single_models(W, a), all_kinks):
            keep, _, _, _ = select_neurons(Wm, am, frac)
            S = float(np.sum(np.abs(am[keep] * Wm[keep, 0])))
            inside = (kk.positions > lo + margin) & (kk.positions < hi - margin)
            big = np.abs(kk.jumps) > jump_rtol * S
            counts.append(1 + int(np.sum(inside & big)))
    else:
        if X is not None:
            from shapely.geometry import MultiPoint

            Xc = check_data(X, 2)
            poly = MultiPoint(Xc).convex_hull
            if poly.geom_type != "Polygon" or poly.area <= 0:
                raise DegenerateInputError(
                    f"'points' must span a convex hull of positive area, found {Xc.shape[0]} points whose hull is a "
                    f"{poly.geom_type}"
                )
        else:
            poly = as_domain(hull, "hull")
        for Wm, am in single_models(W, a):
            Wc, ac = condensed_network(Wm, am, angle_tol=angle_tol, min_amplitude_fraction=frac)
            regions = _regions_kernel(Wc, ac, poly, 0.0, max(angle_tol, LINE_DEDUP_TOL), jump_rtol, max_lines)
            counts.append(len(regions))
    return np.asarray(counts, dtype=np.int64)


# --------------------------------------------------------------------------- #
# deprecated (one release): the functions above take a stack too
# --------------------------------------------------------------------------- #
def linear_regions_models(
    W: Weights,
    a: ArrayLike | None = None,
    domain: BaseGeometry | ArrayLike | None = None,
    *,
    output_bias: ArrayLike | None = None,
    angle_tol: float = 0.0,
    min_amplitude_fraction: float = 0.0,
    rtol: float = 1e-9,
    max_lines: int = 400,
) -> list[list[LinearRegion]]:
    """Deprecated: use :func:`linear_regions` (with ``c`` for ``output_bias``), which takes a stack too
    (removed in geoquant 0.3.0). Always a list per model."""
    warn_deprecated("geoquant.nn.linear_regions_models", "geoquant.nn.linear_regions")
    return _regions_each(
        W, a, domain, output_bias, c_name="output_bias", angle_tol=angle_tol,
        min_amplitude_fraction=min_amplitude_fraction, rtol=rtol, max_lines=max_lines,
    )


def count_linear_pieces_models(
    W: Weights,
    a: ArrayLike | None = None,
    X: ArrayLike | None = None,
    *,
    hull: BaseGeometry | ArrayLike | tuple[float, float] | None = None,
    angle_tol: float = 1e-2,
    min_amplitude_fraction: float = 1e-3,
    jump_rtol: float = 1e-6,
    max_lines: int = 400,
) -> NDArray[np.int64]:
    """Deprecated: use :func:`count_linear_pieces`, which takes a stack too (removed in geoquant 0.3.0).
    Always an array."""
    warn_deprecated("geoquant.nn.count_linear_pieces_models", "geoquant.nn.count_linear_pieces")
    return _pieces_each(
        W, a, X, hull=hull, angle_tol=angle_tol, min_amplitude_fraction=min_amplitude_fraction,
        jump_rtol=jump_rtol, max_lines=max_lines,
    )
