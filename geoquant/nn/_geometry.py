"""Geometry of one-hidden-layer ReLU networks: directions, groups, kinks, breaklines, regions.

The network is ``f(x) = sum_j a_j relu(w_j . x + b_j) + c`` (docs/theory.md §1; the
trainer uses ``c = 0``). Neuron ``j`` is the row ``W[..., j, :] = [w_j | b_j]`` of
length ``d + 1``; ``a[..., j]`` is its output weight. Every function here works
on plain arrays, so it does not depend on the trainer; where convenient an
object with ``.W`` and ``.a`` (a ``TrainResult``) may be passed as ``W`` with
``a=None``.

Conventions used throughout
---------------------------
* **Direction** of a neuron: the unit vector ``u_j = [w_j | b_j] / ||[w_j | b_j]||``
  on the sphere ``S^d``. A neuron with ``[w_j | b_j] = 0`` has no direction; it is
  reported through a ``valid`` mask, never as NaN.
* **Amplitude**: ``|a_j| * ||[w_j | b_j]||``. Since relu is 1-homogeneous,
  ``a_j relu(w~_j . x~) = sign(a_j) * amplitude_j * relu(u_j . x~)``, so a group
  of neurons with (nearly) one direction acts as one neuron whose output weight
  is the signed summed amplitude.
* **Jump**: across the kink/hyperplane ``w_j . x + b_j = 0`` the derivative of
  ``f`` along the unit normal ``n = w_j / |w_j|`` jumps by ``a_j * |w_j|``. The
  value does not depend on which side of the hyperplane is active (for
  ``w -> -w`` the neuron switches off instead of on when crossing along ``n``,
  and its slope there is ``-a |w|``), so jumps of all neurons sharing a kink add.
  In 1D this is the jump ``f'(x+) - f'(x-)`` of the slope.
* **Small neurons**: neurons whose amplitude is below
  ``min_amplitude_fraction * max_k amplitude_k`` (per model) are treated as
  still at initialisation scale; they are left out of groups, kinks and piece
  counts and reported as ``n_small``. Neurons of zero amplitude are always small.
* **Dead neurons** (with data ``X``): ``w_j . x_i + b_j <= 0`` at every data
  point (docs/theory.md §2: the cell ``A = {}``; relu'(0) = 0 so they never revive).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from .._validation import as_float_array, check_int, check_memory, check_option, check_positive, check_query
from ..errors import DegenerateInputError, InvalidInputError, TooLargeError, UnsupportedError

__all__ = [
    "NeuronDirections",
    "NeuronGroup",
    "NeuronClusters",
    "Kinks",
    "Breakline",
    "LinearRegion",
    "neuron_directions",
    "neuron_amplitudes",
    "dead_neurons",
    "network_function",
    "cluster_directions",
    "condensed_network",
    "kinks_1d",
    "breaklines",
    "linear_regions",
    "count_linear_pieces",
]

# A neuron whose spatial part is this small relative to its full norm has no
# kink / line in any bounded region we could draw: it is (numerically) a constant.
_FLAT_RTOL = 1e-12
# Lines closer than this angle (radians) are the same line in linear_regions'
# exact mode; finer differences only create numerically meaningless slivers.
_LINE_DEDUP_TOL = 1e-9
# Above this many directions the (n, n) distance matrix of the agglomerative
# clustering costs more than ~800 MB.
_MAX_AGGLOMERATIVE = 10_000


# --------------------------------------------------------------------------- #
# validation helpers
# --------------------------------------------------------------------------- #
def _shape_str(shape) -> str:
    return "(" + ", ".join(str(s) for s in shape) + (",)" if len(shape) == 1 else ")")


def _resolve(W, a, *, ndims=None, need_a=True):
    """Unpack a result object, validate ``W (..., width, d+1)`` and ``a (..., width)``."""
    if hasattr(W, "W") and getattr(W, "hidden", None):
        raise UnsupportedError(
            f"'W' is a result with {len(W.hidden)} deeper hidden layer(s); neuron geometry is defined for "
            f"one-hidden-layer networks only"
        )
    if a is None and hasattr(W, "W") and hasattr(W, "a"):
        W, a = W.W, W.a
    elif hasattr(W, "W") and not isinstance(W, np.ndarray):
        W = W.W
    W = as_float_array(W, "W")
    if W.ndim < 2:
        raise InvalidInputError(
            f"'W' must be a (width, d+1) or (n_models, width, d+1) array of [w | b] rows, "
            f"found shape {_shape_str(W.shape)}"
        )
    if ndims is not None and W.ndim not in ndims:
        want = " or ".join({2: "(width, d+1)", 3: "(n_models, width, d+1)"}[k] for k in ndims)
        raise InvalidInputError(f"'W' must have shape {want}, found {_shape_str(W.shape)}")
    if W.shape[-1] < 2:
        raise InvalidInputError(
            f"'W' must have at least 2 columns ([w | b] with input dimension d >= 1), found {W.shape[-1]}"
        )
    if not need_a:
        return W, None
    if a is None:
        raise InvalidInputError(
            "'a' (output weights, shape (..., width)) is required when 'W' is an array, found None"
        )
    a = as_float_array(a, "a")
    if a.shape != W.shape[:-1]:
        raise InvalidInputError(
            f"'a' must have shape {_shape_str(W.shape[:-1])} to match 'W' of shape {_shape_str(W.shape)}, "
            f"found {_shape_str(a.shape)}"
        )
    return W, a


def _check_data(X, d: int, name: str = "X") -> np.ndarray:
    """Data points ``(n_points, d)``; a 1-D array is read as n points in 1D."""
    arr = as_float_array(X, name, ndim=(1, 2))
    if arr.ndim == 1:
        if d != 1:
            raise InvalidInputError(f"'{name}' must have shape (n_points, {d}), found {_shape_str(arr.shape)}")
        arr = arr[:, None]
    if arr.shape[1] != d:
        raise InvalidInputError(
            f"'{name}' must have shape (n_points, {d}) to match the network's input dimension {d}, "
            f"found {_shape_str(arr.shape)}"
        )
    if arr.shape[0] == 0:
        raise InvalidInputError(f"'{name}' must hold at least one point, found 0")
    return arr


def _check_fraction(value, name: str) -> float:
    v = check_positive(value, name, strict=False)
    if v >= 1:
        raise InvalidInputError(f"'{name}' must be in [0, 1), found {value!r}")
    return v


def _check_tol(value, name: str) -> float:
    v = check_positive(value, name, strict=False)
    if v > np.pi:
        raise InvalidInputError(f"'{name}' must be an angle in radians in [0, pi], found {value!r}")
    return v


def _result_bias(obj, output_bias):
    """``output_bias`` if given, else a result's output bias ``c`` (None -> 0)."""
    if output_bias is not None:
        return output_bias
    if hasattr(obj, "W") and hasattr(obj, "a"):
        c = getattr(obj, "c", None)
        if c is not None:
            return np.asarray(c, dtype=np.float64)
    return 0.0


def _check_bias(output_bias) -> np.ndarray:
    # as_float_array would turn a scalar into shape (1,); keep 0-d scalars 0-d
    try:
        bias = np.asarray(output_bias, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidInputError(f"'output_bias' must be a real number or array, found {output_bias!r}") from None
    if not np.all(np.isfinite(bias)):
        raise InvalidInputError(f"'output_bias' must be finite, found {output_bias!r}")
    return bias


def _as_domain(domain, name: str = "domain"):
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


def _row_norms(W: np.ndarray) -> np.ndarray:
    """Euclidean norms along the last axis without underflow for tiny rows (e.g. 1e-300)."""
    scale = np.max(np.abs(W), axis=-1, keepdims=True)
    safe = np.where(scale > 0, scale, 1.0)
    return np.linalg.norm(W / safe, axis=-1) * scale[..., 0]


def _models(W, a):
    """Iterate over single models: yields (W (width, d+1), a (width,))."""
    if W.ndim == 2:
        return [(W, a)]
    return [(W[k], a[k]) for k in range(W.shape[0])]


# --------------------------------------------------------------------------- #
# per-neuron quantities
# --------------------------------------------------------------------------- #
class NeuronDirections(NamedTuple):
    """Unit directions of the neurons and which of them exist.

    Attributes
    ----------
    directions : (..., width, d+1) ndarray
        ``[w_j | b_j] / ||[w_j | b_j]||``; rows of zero-norm neurons are all zeros.
    valid : (..., width) ndarray of bool
        False where the neuron's norm is ``<= atol`` (no direction).
    """

    directions: np.ndarray
    valid: np.ndarray


def neuron_directions(W, *, atol: float = 0.0) -> NeuronDirections:
    """Directions of the neurons on the sphere ``S^d``.

    Parameters
    ----------
    W : (..., width, d+1) array_like or object with ``.W``
        Hidden-layer rows ``[w_j | b_j]``.
    atol : float
        Neurons with ``||[w_j | b_j]|| <= atol`` have no direction (default: only
        exactly zero rows).

    Returns
    -------
    NeuronDirections
        ``(directions, valid)``: unit vectors, and a mask that is False for
        neurons without a direction, whose rows in ``directions`` are zeros (not NaN).
    """
    W, _ = _resolve(W, None, need_a=False)
    atol = check_positive(atol, "atol", strict=False)
    norms = _row_norms(W)
    valid = norms > atol
    safe = np.where(valid, norms, 1.0)
    directions = np.where(valid[..., None], W / safe[..., None], 0.0)
    return NeuronDirections(directions, valid)


def neuron_amplitudes(W, a=None) -> np.ndarray:
    """Amplitudes ``|a_j| * ||[w_j | b_j]||``.

    Parameters
    ----------
    W : (..., width, d+1) array_like, or an object with ``.W`` and ``.a``
    a : (..., width) array_like

    Returns
    -------
    (..., width) ndarray
    """
    W, a = _resolve(W, a)
    return np.abs(a) * _row_norms(W)


def dead_neurons(W, X) -> np.ndarray:
    """Neurons inactive on every data point: ``w_j . x_i + b_j <= 0`` for all ``i``.

    Parameters
    ----------
    W : (..., width, d+1) array_like or object with ``.W``
    X : (n_points, d) array_like
        Data points; a 1-D array is read as points in 1D.

    Returns
    -------
    (..., width) ndarray of bool
        Zero-norm neurons count as dead.
    """
    W, _ = _resolve(W, None, need_a=False)
    X = _check_data(X, W.shape[-1] - 1)
    pre = np.einsum("...jk,ik->...ji", W[..., :-1], X) + W[..., -1:]
    return np.all(pre <= 0.0, axis=-1)


def network_function(W, a=None, x=None, output_bias=None) -> np.ndarray:
    """Evaluate ``f(x) = sum_j a_j relu(w_j . x + b_j) + output_bias`` with numpy.

    Parameters
    ----------
    W : (width, d+1) or (n_models, width, d+1) array_like, or an object with ``.W`` and ``.a``
    a : (width,) or (n_models, width) array_like
    x : (..., d) array_like
        Query points; in 1D the last axis may be omitted.
    output_bias : float or (n_models,) array_like, optional
        Default: the result's output bias ``c`` when ``W`` is a result that has
        one, else 0.

    Returns
    -------
    (...) or (n_models, ...) ndarray
    """
    if x is None and a is not None and hasattr(W, "W") and hasattr(W, "a"):
        x, a = a, None  # network_function(result, x)
    output_bias = _result_bias(W, output_bias)
    W, a = _resolve(W, a, ndims=(2, 3))
    d = W.shape[-1] - 1
    if x is None:
        raise InvalidInputError("'x' (query points, shape (..., d)) is required, found None")
    x = check_query(x, d, "x")
    lead = x.shape[:-1]
    pts = x.reshape(-1, d)
    Ws = W if W.ndim == 3 else W[None]
    As = a if a.ndim == 2 else a[None]
    bias = _check_bias(output_bias)
    if W.ndim == 2 and bias.ndim != 0:
        raise InvalidInputError(f"'output_bias' must be a scalar for a single model, found shape {_shape_str(bias.shape)}")
    if bias.ndim > 1 or (bias.ndim == 1 and bias.shape[0] != Ws.shape[0]):
        raise InvalidInputError(
            f"'output_bias' must be a scalar or have shape ({Ws.shape[0]},), found {_shape_str(bias.shape)}"
        )
    out = np.empty((Ws.shape[0], pts.shape[0]))
    # Chunk the points so the (models, chunk, width) pre-activations stay ~32 MB.
    chunk = max(1, int(4_000_000 // max(1, Ws.shape[0] * Ws.shape[1])))
    for s in range(0, pts.shape[0], chunk):
        p = pts[s : s + chunk]
        pre = np.einsum("pk,mjk->mpj", p, Ws[..., :-1]) + Ws[:, None, :, -1]
        out[:, s : s + chunk] = np.einsum("mpj,mj->mp", np.maximum(pre, 0.0), As)
    out += bias.reshape(-1, 1) if bias.ndim == 1 else float(bias)
    out = out.reshape((Ws.shape[0],) + lead)
    return out if W.ndim == 3 else out[0]


# --------------------------------------------------------------------------- #
# clustering of directions
# --------------------------------------------------------------------------- #
def _angles_between(U: np.ndarray, unsigned: bool) -> np.ndarray:
    """Pairwise angles (radians) between unit rows, accurate for tiny angles.

    The chord length |u - v| is computed directly (no 1 - u.v cancellation) and
    turned into the angle 2 arcsin(|u - v| / 2). ``unsigned`` treats u and -u as
    the same (lines, not oriented directions).
    """
    from scipy.spatial.distance import cdist

    chord = cdist(U, U)
    if unsigned:
        chord = np.minimum(chord, cdist(U, -U))
    ang = 2.0 * np.arcsin(np.minimum(chord / 2.0, 1.0))
    np.fill_diagonal(ang, 0.0)
    return ang


def _relabel(labels: np.ndarray) -> np.ndarray:
    """Number clusters 0, 1, ... in order of first appearance (deterministic output)."""
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first))
    return order[inverse.ravel()]


def _cluster(U: np.ndarray, tol: float, *, method: str = "agglomerative", unsigned: bool = False) -> np.ndarray:
    """Cluster unit vectors ``U (n, k)`` by angle; returns labels ``(n,)``.

    ``agglomerative``: complete linkage on the angular distance, so every two
    members of a cluster are less than ``tol`` apart. ``dbscan``: connected
    components of the graph "angle <= tol" (single linkage, chains possible),
    computed with a tree, for many neurons.
    """
    n = U.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if n == 1 or tol == 0.0:
        if tol == 0.0:
            # only exact duplicates share a cluster
            key = U
            if unsigned:
                # canonical sign: first nonzero coordinate positive
                first = U[np.arange(n), np.argmax(U != 0, axis=1)]
                key = U * np.where(first < 0, -1.0, 1.0)[:, None]
            _, inv = np.unique(key, axis=0, return_inverse=True)
            return _relabel(inv.ravel())
        return np.zeros(1, dtype=np.int64)
    if method == "dbscan" and not unsigned:
        from sklearn.cluster import DBSCAN

        eps = 2.0 * np.sin(min(tol, np.pi) / 2.0)
        labels = DBSCAN(eps=eps, min_samples=1, metric="euclidean").fit(U).labels_
        return _relabel(labels)
    if n > _MAX_AGGLOMERATIVE:
        raise TooLargeError(
            f"clustering {n} neuron directions with complete linkage needs a {n} x {n} distance matrix "
            f"({n * n * 8 / 1e9:.1f} GB); raise 'min_amplitude_fraction' to drop small neurons, "
            f"or pass method='dbscan'"
        )
    from sklearn.cluster import AgglomerativeClustering

    D = _angles_between(U, unsigned)
    labels = AgglomerativeClustering(
        n_clusters=None, metric="precomputed", linkage="complete", distance_threshold=tol
    ).fit(D).labels_
    return _relabel(labels)


@dataclass
class NeuronGroup:
    """Neurons of one model whose directions agree within the angular tolerance.

    Attributes
    ----------
    direction : (d+1,) ndarray
        Unit vector: the amplitude-weighted mean of the members' directions.
    count : int
        Number of member neurons.
    amplitude : float
        Summed amplitude ``sum_j |a_j| ||[w_j | b_j]||``.
    sign : int
        Sign of ``a`` shared by all members (+1 or -1).
    members : (count,) ndarray of int
        Indices of the member neurons along the width axis.
    jump : float
        Summed jump ``sum_j a_j |w_j|`` of the derivative along the unit normal
        ``w / |w|`` across the group's kink/hyperplane (in 1D: the slope jump).
    spread : float
        Largest angle (radians) between a member's direction and ``direction``.
    kink : float or None
        1D only: the group's kink ``x = -b / w`` of ``direction``; None in other
        dimensions or when ``w = 0`` (a constant neuron has no kink).
    line : shapely geometry or None
        2D only: the line ``w . x + b = 0`` of ``direction`` clipped to the
        domain (LineString; MultiLineString for a non-convex domain); None when
        no domain is known or the line misses the domain.
    """

    direction: np.ndarray
    count: int
    amplitude: float
    sign: int
    members: np.ndarray
    jump: float
    spread: float
    kink: float | None = None
    line: object | None = None

    @property
    def signed_amplitude(self) -> float:
        """``sign * amplitude``: the output weight of the equivalent single neuron."""
        return self.sign * self.amplitude


@dataclass
class NeuronClusters:
    """Result of :func:`cluster_directions` for one model; iterates over its groups.

    Attributes
    ----------
    groups : list of NeuronGroup
        Sorted by decreasing amplitude.
    n_small : int
        Neurons left out as negligible (amplitude below the threshold, incl. zero).
    n_dead : int
        Neurons left out as dead on the data (0 when no data were given).
    width : int
        Number of neurons of the model.
    """

    groups: list = field(default_factory=list)
    n_small: int = 0
    n_dead: int = 0
    width: int = 0

    def __len__(self) -> int:
        return len(self.groups)

    def __iter__(self):
        return iter(self.groups)

    def __getitem__(self, i):
        return self.groups[i]


def _select(Wm, am, frac, Xc=None, exclude_dead=True):
    """Masks (keep, small, dead) for one model."""
    amp = np.abs(am) * np.linalg.norm(Wm, axis=-1)
    top = float(amp.max()) if amp.size else 0.0
    small = (amp <= 0.0) | (amp < frac * top)
    if Xc is not None and exclude_dead:
        pre = Xc @ Wm[:, :-1].T + Wm[:, -1]
        dead = np.all(pre <= 0.0, axis=0) & ~small
    else:
        dead = np.zeros(amp.shape, dtype=bool)
    return ~small & ~dead, small, dead, amp


def _line_geometry(direction, poly):
    """Clip the line ``u[:2] . x + u[2] = 0`` to ``poly``; None when it misses it."""
    from shapely.geometry import MultiLineString

    w, b = direction[:2], direction[2]
    wn = float(np.hypot(*w))
    if wn <= _FLAT_RTOL * float(np.linalg.norm(direction)):
        return None
    seg = _long_segment(w / wn, b / wn, poly.bounds)
    if seg is None:
        return None
    inter = seg.intersection(poly)
    parts = [g for g in getattr(inter, "geoms", [inter]) if g.geom_type == "LineString" and g.length > 0]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else MultiLineString(parts)


def _long_segment(n, c, bounds, margin: float = 0.05):
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


def cluster_directions(
    W,
    a=None,
    *,
    angle_tol: float = 1e-2,
    min_amplitude_fraction: float = 1e-3,
    X=None,
    exclude_dead: bool = True,
    domain=None,
    method: str = "agglomerative",
):
    """Group the neurons of each model by direction, separately for each sign of ``a``.

    Parameters
    ----------
    W : (width, d+1) or (n_models, width, d+1) array_like, or an object with ``.W`` and ``.a``
    a : (width,) or (n_models, width) array_like
    angle_tol : float
        Angular tolerance in radians. With ``method="agglomerative"`` (complete
        linkage on the angle between directions, scikit-learn) every two members
        of a group are less than ``angle_tol`` apart; with ``"dbscan"`` groups
        are the connected components of "angle <= angle_tol" (cheaper for many
        neurons, but groups can chain).
    min_amplitude_fraction : float
        Neurons with amplitude ``< min_amplitude_fraction * max amplitude`` of
        their model are negligible (still at initialisation scale): left out and
        counted in ``n_small``.
    X : (n_points, d) array_like, optional
        Data. With ``exclude_dead`` the neurons dead on every data point are left
        out and counted in ``n_dead``. In 2D and without ``domain`` the groups'
        lines are clipped to the bounding box of ``X``.
    exclude_dead : bool
    domain : shapely Polygon or (2, 2) box, optional
        2D: clip each group's line to it (``NeuronGroup.line``).
    method : {"agglomerative", "dbscan"}

    Returns
    -------
    NeuronClusters or list of NeuronClusters
        One per model (a list when ``W`` is 3-D). Groups are sorted by
        decreasing amplitude.
    """
    W, a = _resolve(W, a, ndims=(2, 3))
    d = W.shape[-1] - 1
    angle_tol = _check_tol(angle_tol, "angle_tol")
    frac = _check_fraction(min_amplitude_fraction, "min_amplitude_fraction")
    check_option(method, "method", ("agglomerative", "dbscan"))
    Xc = _check_data(X, d) if X is not None else None
    poly = None
    if d == 2:
        if domain is not None:
            poly = _as_domain(domain)
        elif Xc is not None:
            lo, hi = Xc.min(axis=0), Xc.max(axis=0)
            if np.all(hi > lo):
                poly = _as_domain(np.column_stack([lo, hi]))
    elif domain is not None:
        raise InvalidInputError(f"'domain' is only used for 2D networks (d = 2), found d = {d}")

    results = []
    for Wm, am in _models(W, a):
        keep, small, dead, amp = _select(Wm, am, frac, Xc, exclude_dead)
        norms = np.linalg.norm(Wm, axis=-1)
        groups = []
        for s in (1, -1):
            idx = np.flatnonzero(keep & (np.sign(am) == s))
            if idx.size == 0:
                continue
            U = Wm[idx] / norms[idx, None]
            labels = _cluster(U, angle_tol, method=method)
            for g in range(labels.max() + 1):
                mem = idx[labels == g]
                Ug = U[labels == g]
                weights = amp[mem]
                mean = weights @ Ug
                direction = mean / np.linalg.norm(mean)
                spread = float(np.max(2.0 * np.arcsin(np.minimum(np.linalg.norm(Ug - direction, axis=1) / 2.0, 1.0))))
                jump = float(np.sum(am[mem] * np.linalg.norm(Wm[mem, :-1], axis=1)))
                kink = None
                line = None
                if d == 1 and abs(direction[0]) > _FLAT_RTOL:
                    kink = float(-direction[1] / direction[0])
                if d == 2 and poly is not None:
                    line = _line_geometry(direction, poly)
                groups.append(
                    NeuronGroup(
                        direction=direction,
                        count=int(mem.size),
                        amplitude=float(weights.sum()),
                        sign=s,
                        members=np.sort(mem),
                        jump=jump,
                        spread=spread,
                        kink=kink,
                        line=line,
                    )
                )
        groups.sort(key=lambda g: (-g.amplitude, -g.sign, int(g.members[0])))
        results.append(
            NeuronClusters(groups=groups, n_small=int(small.sum()), n_dead=int(dead.sum()), width=int(Wm.shape[0]))
        )
    return results[0] if W.ndim == 2 else results


def condensed_network(
    W,
    a=None,
    *,
    angle_tol: float = 1e-2,
    min_amplitude_fraction: float = 1e-3,
    X=None,
    exclude_dead: bool = True,
    method: str = "agglomerative",
):
    """The network with each direction group replaced by one neuron.

    Group ``g`` becomes the neuron ``[w | b] = direction_g`` with output weight
    ``sign_g * amplitude_g``; this equals the original network exactly when all
    members share one direction, and differs by at most
    ``amplitude_g * spread_g * ||(x, 1)||`` per group otherwise. Small (and,
    with data, dead) neurons are dropped.

    Parameters
    ----------
    As for :func:`cluster_directions`.

    Returns
    -------
    (W_c (k, d+1), a_c (k,)) or list of such pairs (one per model when ``W`` is 3-D)
    """
    clusters = cluster_directions(
        W, a, angle_tol=angle_tol, min_amplitude_fraction=min_amplitude_fraction, X=X,
        exclude_dead=exclude_dead, method=method,
    )
    single = isinstance(clusters, NeuronClusters)
    W_arr, _ = _resolve(W, a, ndims=(2, 3))
    d1 = W_arr.shape[-1]
    out = []
    for cl in [clusters] if single else clusters:
        Wc = np.array([g.direction for g in cl.groups]).reshape(-1, d1)
        ac = np.array([g.signed_amplitude for g in cl.groups], dtype=np.float64)
        out.append((Wc, ac))
    return out[0] if single else out


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


def kinks_1d(
    W,
    a=None,
    *,
    angle_tol: float = 1e-2,
    min_amplitude_fraction: float = 1e-3,
    X=None,
    exclude_dead: bool = False,
):
    """Kinks of a 1D network with multiplicities and slope jumps.

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
    a : (width,) or (n_models, width) array_like
    angle_tol : float
        Merging tolerance in radians (0 merges only identical positions).
    min_amplitude_fraction : float
        Relative amplitude threshold for negligible neurons (see module notes).
    X : (n_points,) or (n_points, 1) array_like, optional
        Data; with ``exclude_dead=True`` neurons dead on it are left out.
    exclude_dead : bool

    Returns
    -------
    Kinks or list of Kinks
        One per model (a list when ``W`` is 3-D).
    """
    W, a = _resolve(W, a, ndims=(2, 3))
    if W.shape[-1] != 2:
        raise InvalidInputError(
            f"'W' must have 2 columns [w | b] for kinks_1d (input dimension 1), found {W.shape[-1]}"
        )
    angle_tol = _check_tol(angle_tol, "angle_tol")
    frac = _check_fraction(min_amplitude_fraction, "min_amplitude_fraction")
    Xc = _check_data(X, 1) if X is not None else None
    results = []
    for Wm, am in _models(W, a):
        keep, small, dead, amp = _select(Wm, am, frac, Xc, exclude_dead)
        w, b = Wm[:, 0], Wm[:, 1]
        flat = keep & (np.abs(w) <= _FLAT_RTOL * np.linalg.norm(Wm, axis=-1))
        idx = np.flatnonzero(keep & ~flat)
        # angle of the kink on the projective line; arctan2 stays accurate for tiny |w|
        theta = np.arctan2(-b[idx] * np.sign(w[idx]), np.abs(w[idx]))
        if idx.size and angle_tol > 0:
            labels = _cluster_1d(theta, angle_tol)
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
    return results[0] if W.ndim == 2 else results


def _cluster_1d(theta: np.ndarray, tol: float) -> np.ndarray:
    """Complete-linkage clusters of scalars with diameter < tol (scikit-learn)."""
    if theta.size == 1:
        return np.zeros(1, dtype=np.int64)
    if theta.size > _MAX_AGGLOMERATIVE:
        raise TooLargeError(
            f"merging {theta.size} kinks with complete linkage needs a {theta.size}^2 distance matrix; "
            f"raise 'min_amplitude_fraction' to drop small neurons"
        )
    from sklearn.cluster import AgglomerativeClustering

    labels = AgglomerativeClustering(
        n_clusters=None, metric="euclidean", linkage="complete", distance_threshold=tol
    ).fit(theta[:, None]).labels_
    return _relabel(labels)


# --------------------------------------------------------------------------- #
# 2D: breaklines and linear regions
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


def _check_2d(W):
    if W.shape[-1] != 3:
        raise InvalidInputError(
            f"'W' must have 3 columns [w1, w2 | b] for a 2D network (input dimension 2), found {W.shape[-1]}"
        )


def _line_groups(Wm, am, keep, tol):
    """Unsigned clustering of the lines of the kept, non-flat neurons.

    Returns (idx, labels, U): kept neuron indices, line labels and their unit
    [n | c] rows (normalised by the spatial norm's sign-free direction).
    """
    wn = np.linalg.norm(Wm[:, :2], axis=1)
    has_line = keep & (wn > _FLAT_RTOL * np.linalg.norm(Wm, axis=1))
    idx = np.flatnonzero(has_line)
    U = Wm[idx] / np.linalg.norm(Wm[idx], axis=1, keepdims=True)
    labels = _cluster(U, tol, unsigned=True) if idx.size else np.zeros(0, dtype=np.int64)
    return idx, labels, U


def breaklines(
    W,
    a=None,
    domain=None,
    *,
    angle_tol: float = 1e-2,
    min_amplitude_fraction: float = 1e-3,
):
    """Crease lines of a 2D network clipped to a domain, with their gradient jumps.

    Neurons whose lines agree within ``angle_tol`` (as unoriented lines, so
    ``w -> -w`` and either sign of ``a`` share a line) are merged and their
    jumps summed. Lines that miss the domain are left out.

    Parameters
    ----------
    W : (width, 3) or (n_models, width, 3) array_like, or an object with ``.W`` and ``.a``
    a : (width,) or (n_models, width) array_like
    domain : shapely Polygon/MultiPolygon or (2, 2) array_like ``[[xmin, xmax], [ymin, ymax]]``
    angle_tol : float
        Angle in radians between the neurons' unit ``[w | b]`` up to sign; 0
        merges only identical lines.
    min_amplitude_fraction : float
        Relative amplitude threshold for negligible neurons.

    Returns
    -------
    list of Breakline, or a list of such lists (one per model when ``W`` is 3-D)
        Sorted by decreasing ``|jump|``.
    """
    W, a = _resolve(W, a, ndims=(2, 3))
    _check_2d(W)
    if domain is None:
        raise InvalidInputError("'domain' (shapely polygon or (2, 2) box) is required, found None")
    poly = _as_domain(domain)
    angle_tol = _check_tol(angle_tol, "angle_tol")
    frac = _check_fraction(min_amplitude_fraction, "min_amplitude_fraction")
    results = []
    for Wm, am in _models(W, a):
        keep, _, _, amp = _select(Wm, am, frac)
        idx, labels, U = _line_groups(Wm, am, keep, angle_tol)
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
            geom = _line_geometry(np.append(normal, offset), poly)
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
    return results[0] if W.ndim == 2 else results


class LinearRegion(NamedTuple):
    """A maximal polygon on which the network is one affine map ``x -> gradient . x + offset``.

    Attributes
    ----------
    polygon : shapely Polygon (possibly non-convex after merging)
    gradient : (2,) ndarray
    offset : float
    """

    polygon: object
    gradient: np.ndarray
    offset: float

    def __call__(self, x):
        """Evaluate the affine map at ``x (..., 2)``."""
        x = np.asarray(x, dtype=np.float64)
        return x @ self.gradient + self.offset


def _regions_kernel(Wm, am, poly, bias, line_tol, rtol, max_lines):
    """Split ``poly`` by the lines of the neurons (Wm, am) and merge equal maps.

    All neurons in (Wm, am) count for the affine maps; those with a line in the
    domain also cut it. Lines within ``line_tol`` (unoriented) are cut once.
    """
    import shapely
    from shapely.ops import polygonize, unary_union
    from shapely.strtree import STRtree

    idx, labels, U = _line_groups(Wm, am, np.ones(am.shape, dtype=bool), line_tol)
    segments = []
    for g in range(int(labels.max()) + 1 if idx.size else 0):
        u = U[np.flatnonzero(labels == g)[0]]
        wn = np.hypot(u[0], u[1])
        seg = _long_segment(u[:2] / wn, u[2] / wn, poly.bounds)
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

    def root(i):
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


def linear_regions(
    W,
    a=None,
    domain=None,
    *,
    output_bias=None,
    angle_tol: float = 0.0,
    min_amplitude_fraction: float = 0.0,
    rtol: float = 1e-9,
    max_lines: int = 400,
):
    """Linear regions of a 2D network inside a domain, with their affine maps.

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
    a : (width,) or (n_models, width) array_like
    domain : shapely Polygon/MultiPolygon or (2, 2) array_like ``[[xmin, xmax], [ymin, ymax]]``
    output_bias : float or (n_models,) array_like, optional
        Added to every offset. Default: the result's output bias ``c`` when
        ``W`` is a result that has one, else 0.
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
    list of LinearRegion, or a list of such lists (one per model when ``W`` is 3-D)
        Regions as ``(polygon, gradient (2,), offset)``; their areas sum to the
        domain's area.
    """
    output_bias = _result_bias(W, output_bias)
    W, a = _resolve(W, a, ndims=(2, 3))
    _check_2d(W)
    if domain is None:
        raise InvalidInputError("'domain' (shapely polygon or (2, 2) box) is required, found None")
    poly = _as_domain(domain)
    bias = _check_bias(output_bias)
    n_models = W.shape[0] if W.ndim == 3 else 1
    if not (bias.ndim == 0 or (W.ndim == 3 and bias.shape == (n_models,))):
        want = "a scalar" if W.ndim == 2 else f"a scalar or shape ({n_models},)"
        raise InvalidInputError(f"'output_bias' must be {want}, found shape {_shape_str(bias.shape)}")
    biases = np.broadcast_to(bias, (n_models,))
    angle_tol = _check_tol(angle_tol, "angle_tol")
    frac = _check_fraction(min_amplitude_fraction, "min_amplitude_fraction")
    rtol = check_positive(rtol, "rtol", strict=False)
    max_lines = check_int(max_lines, "max_lines", min_value=1)
    results = []
    for (Wm, am), bias in zip(_models(W, a), biases):
        bias = float(bias)
        if angle_tol > 0:
            Wk, ak = condensed_network(Wm, am, angle_tol=angle_tol, min_amplitude_fraction=frac)
        else:
            keep, _, _, _ = _select(Wm, am, frac)
            Wk, ak = Wm[keep], am[keep]
        line_tol = max(angle_tol, _LINE_DEDUP_TOL)
        results.append(_regions_kernel(Wk, ak, poly, bias, line_tol, rtol, max_lines))
    return results[0] if W.ndim == 2 else results


def count_linear_pieces(
    W,
    a=None,
    X=None,
    *,
    hull=None,
    angle_tol: float = 1e-2,
    min_amplitude_fraction: float = 1e-3,
    jump_rtol: float = 1e-6,
    max_lines: int = 400,
):
    """Number of linear pieces of the network over the convex hull of the data.

    * 1D: ``1 +`` the number of merged kinks (:func:`kinks_1d`) strictly inside
      ``[min X, max X]`` (farther than ``1e-6`` of its length from the ends)
      whose slope jump exceeds ``jump_rtol * sum_j |a_j| |w_j|``; kinks whose
      neurons cancel do not separate pieces.
    * 2D: the regions of :func:`linear_regions` of the
      :func:`condensed_network` inside the convex hull of ``X``, after merging
      adjacent regions with equal maps (to ``jump_rtol``).

    Parameters
    ----------
    W : (width, d+1) or (n_models, width, d+1) array_like, or an object with ``.W`` and ``.a``; d = 1 or 2
    a : (width,) or (n_models, width) array_like
    X : (n_points, d) array_like, optional
        Data whose convex hull is used.
    hull : optional
        Instead of ``X``: ``(lo, hi)`` in 1D, a shapely polygon or (2, 2) box in 2D.
    angle_tol, min_amplitude_fraction : float
        Merging of neurons, as in :func:`cluster_directions` / :func:`kinks_1d`.
    jump_rtol : float
        Relative size below which a kink/line does not separate pieces.
    max_lines : int
        2D only; see :func:`linear_regions`.

    Returns
    -------
    int, or (n_models,) ndarray of int when ``W`` is 3-D
    """
    W, a = _resolve(W, a, ndims=(2, 3))
    d = W.shape[-1] - 1
    if d not in (1, 2):
        raise InvalidInputError(f"'W' must describe a network on 1D or 2D inputs (2 or 3 columns), found {d + 1} columns")
    if (X is None) == (hull is None):
        raise InvalidInputError("exactly one of 'X' (data points) and 'hull' must be given")
    jump_rtol = check_positive(jump_rtol, "jump_rtol", strict=False)
    frac = _check_fraction(min_amplitude_fraction, "min_amplitude_fraction")
    angle_tol = _check_tol(angle_tol, "angle_tol")
    counts = []
    if d == 1:
        if X is not None:
            Xc = _check_data(X, 1)
            lo, hi = float(Xc.min()), float(Xc.max())
        else:
            h = as_float_array(hull, "hull").ravel()
            if h.shape != (2,) or not h[0] < h[1]:
                raise InvalidInputError(f"'hull' must be (lo, hi) with lo < hi in 1D, found {h.tolist()}")
            lo, hi = float(h[0]), float(h[1])
        margin = 1e-6 * (hi - lo)
        all_kinks = kinks_1d(W, a, angle_tol=angle_tol, min_amplitude_fraction=frac)
        for (Wm, am), kk in zip(_models(W, a), [all_kinks] if W.ndim == 2 else all_kinks):
            keep, _, _, _ = _select(Wm, am, frac)
            S = float(np.sum(np.abs(am[keep] * Wm[keep, 0])))
            inside = (kk.positions > lo + margin) & (kk.positions < hi - margin)
            big = np.abs(kk.jumps) > jump_rtol * S
            counts.append(1 + int(np.sum(inside & big)))
    else:
        if X is not None:
            from shapely.geometry import MultiPoint

            Xc = _check_data(X, 2)
            poly = MultiPoint(Xc).convex_hull
            if poly.geom_type != "Polygon" or poly.area <= 0:
                raise DegenerateInputError(
                    f"'X' must span a convex hull of positive area, found {Xc.shape[0]} points whose hull is a "
                    f"{poly.geom_type}"
                )
        else:
            poly = _as_domain(hull, "hull")
        for Wm, am in _models(W, a):
            Wc, ac = condensed_network(Wm, am, angle_tol=angle_tol, min_amplitude_fraction=frac)
            regions = _regions_kernel(Wc, ac, poly, 0.0, max(angle_tol, _LINE_DEDUP_TOL), jump_rtol, max_lines)
            counts.append(len(regions))
    return counts[0] if W.ndim == 2 else np.asarray(counts, dtype=np.int64)
