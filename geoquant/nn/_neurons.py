"""The numpy side of one-hidden-layer ReLU networks: the forward pass and per-neuron quantities.

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

from collections.abc import Sequence
from typing import Any, NamedTuple, Protocol, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._deprecation import renamed_arguments, warn_deprecated
from .._validation import _shape_str, as_float_array, check_int, check_positive, check_query
from ..errors import InvalidInputError, UnsupportedError


class NetworkLike(Protocol):
    """A one-hidden-layer network given by its weights (e.g. a TrainResult).

    ``W`` is ``(..., width, d+1)`` (rows ``[w_j | b_j]``) and ``a`` ``(..., width)``.
    """

    @property
    def W(self) -> np.ndarray: ...

    @property
    def a(self) -> np.ndarray: ...


#: What the neuron-geometry functions take as ``W``: weight rows or a result with ``.W`` and ``.a``.
Weights: TypeAlias = "ArrayLike | NetworkLike"
#: The weights of one model / of a stack as arrays of known rank: the overloads of the functions that
#: take either (:func:`split_models`) return one entry, or one per model.
OneModel: TypeAlias = "np.ndarray[tuple[int, int], np.dtype[Any]]"
ModelStack: TypeAlias = "np.ndarray[tuple[int, int, int], np.dtype[Any]]"

__all__ = [
    "with_output_offset",
    "network_forward",
    "augment",
    "NeuronDirections",
    "neuron_directions",
    "neuron_amplitudes",
    "dead_neurons",
    "resolve_network",
    "check_data",
    "result_offset",
    "check_offset",
    "row_norms",
    "single_models",
    "split_models",
    "select_neurons",
    # deprecated
    "relu_forward",
    "network_function",
]

# Largest (chunk of points) x width block of pre-activations network_forward holds at once (~128 MB).
_CHUNK_ELEMENTS = 2**24


def augment(points: ArrayLike) -> NDArray[np.float64]:
    """Append the constant 1 to each point: ``(..., n_points, n_dims) -> (..., n_points, n_dims + 1)``."""
    points = np.asarray(points, dtype=np.float64)
    return np.concatenate([points, np.ones(points.shape[:-1] + (1,))], axis=-1)


#: depth-1 evaluations with at least this many (point, neuron) pairs run the compiled kernel of ._fused
_FUSED_MIN_WORK = 200_000


def network_forward(
    W: Weights,
    a: ArrayLike | None,
    points: ArrayLike,
    c: ArrayLike | None = None,
    *,
    hidden: Sequence[ArrayLike] = (),
    augmented: bool = False,
    chunk_elements: int = _CHUNK_ELEMENTS,
    check_input: bool = True,
) -> NDArray[np.float64]:
    """The forward pass ``f(x) = sum_j a_j relu(w_j . x + b_j) + c`` of one network or a stack, in float64.

    The one numpy evaluation of a ReLU network in geoquant (the trainer's results,
    theory, comparison and report call it). One model is ``relu(X~ @ W.T) @ a (+ c)``
    with ``X~ = [points | 1]``; a stack of models is evaluated model by model with
    that same arithmetic, so model ``k`` of a stack gives bit for bit what ``W[k], a[k]``
    alone give.

    Parameters
    ----------
    W : (width, n_dims + 1) or (n_models, width, n_dims + 1) array_like, or a result
        Hidden rows ``[w_j | b_j]``; or an object with ``.W`` and ``.a`` (a
        :class:`~geoquant.nn.TrainResult`, with ``a=None``), whose output offset
        ``.c`` and deeper layers ``.hidden`` are used unless given.
    a : (width,) or (n_models, width) array_like, or None with a result
        Output weights.
    points : (..., n_dims) array_like, or for a stack (n_models, n_points, n_dims)
        Points (shared by all models, or one set per model); with
        ``augmented=True`` already ``[points | 1]`` with ``n_dims + 1`` columns.
    c : float or (n_models,) array_like, optional
        Output offset (not added when None).
    hidden : sequence of (width, width + 1) or (n_models, width, width + 1) array_like
        Deeper hidden layers ``[V | v]`` (``h <- relu(V h + v)``).
    augmented : bool
        ``points`` already carry the column of ones.
    chunk_elements : int
        Points are processed in chunks so that ``n_points_chunk * width`` stays
        below this (memory; chunking does not change the values). Depth-1 networks in 1D
        and 2D with at least ``_FUSED_MIN_WORK`` (point, neuron) pairs run the compiled
        kernel of :mod:`geoquant.nn._fused` instead (no temporaries; the sums over neurons
        in another order, so values differ from the numpy path in the last bits).
    check_input : bool
        Validate the arguments (shapes, finite values; InvalidInputError naming the
        argument). ``False`` skips the checks for clean float arrays in hot loops
        (as scikit-learn's ``check_input``); non-finite weights then propagate.

    Returns
    -------
    (...) or (n_models, n_points) ndarray

    Examples
    --------
    >>> import numpy as np
    >>> W = np.array([[1.0, 0.0], [-1.0, 0.5]]); a = np.array([2.0, 1.0])
    >>> network_forward(W, a, np.array([[-1.0], [0.0], [1.0]]))
    array([1.5, 0.5, 2. ])
    """
    if hasattr(W, "W") and hasattr(W, "a") and a is None:
        c = getattr(W, "c", None) if c is None else c
        hidden = tuple(getattr(W, "hidden", ()) or ()) or hidden
        result: Any = W
        W, a = result.W, result.a
    if check_input:
        return _forward(*_checked_forward_args(W, a, points, c, hidden, augmented, chunk_elements),
                        augmented=augmented)
    return _forward(W, a, points, c, hidden, chunk_elements, augmented=augmented)


def _checked_forward_args(
    W: Any, a: Any, points: ArrayLike, c: ArrayLike | None, hidden: Sequence[ArrayLike], augmented: bool,
    chunk_elements: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64] | None,
           list[NDArray[np.float64]], int]:
    """The arguments of :func:`network_forward` validated (InvalidInputError naming the argument)."""
    W = as_float_array(W, "W", ndim=(2, 3))
    if W.shape[-1] < 2:
        raise InvalidInputError(
            f"'W' must have at least 2 columns ([w | b] with input dimension d >= 1), found {W.shape[-1]}"
        )
    if a is None:
        raise InvalidInputError("'a' (output weights, shape (..., width)) is required when 'W' is an array, found None")
    a = as_float_array(a, "a")
    if a.shape != W.shape[:-1]:
        raise InvalidInputError(
            f"'a' must have shape {_shape_str(W.shape[:-1])} to match 'W' of shape {_shape_str(W.shape)}, "
            f"found {_shape_str(a.shape)}"
        )
    n_cols = W.shape[-1] if augmented else W.shape[-1] - 1
    pts = as_float_array(points, "points")
    if pts.ndim == 0 or pts.shape[-1] != n_cols or (W.ndim == 3 and pts.ndim not in (2, 3)) or (
            W.ndim == 3 and pts.ndim == 3 and pts.shape[0] != W.shape[0]):
        want = f"(..., {n_cols})" if W.ndim == 2 else f"(n_points, {n_cols}) or ({W.shape[0]}, n_points, {n_cols})"
        raise InvalidInputError(f"'points' must have shape {want}, found {_shape_str(pts.shape)}")
    offset = None if c is None else check_offset(c)
    if offset is not None and offset.ndim != 0 and (W.ndim == 2 or offset.shape != (W.shape[0],)):
        want = "a scalar" if W.ndim == 2 else f"a scalar or shape ({W.shape[0]},)"
        raise InvalidInputError(f"'c' must be {want}, found shape {_shape_str(offset.shape)}")
    width = W.shape[-2]
    layers = [as_float_array(V, "hidden") for V in hidden]
    for V in layers:
        if V.shape != W.shape[:-2] + (width, width + 1):
            raise InvalidInputError(
                f"'hidden' layers must have shape {_shape_str(W.shape[:-2] + (width, width + 1))}, "
                f"found {_shape_str(V.shape)}"
            )
    return W, a, pts, offset, layers, check_int(chunk_elements, "chunk_elements", min_value=1)


def _forward(
    W: Any, a: Any, X: ArrayLike, c: ArrayLike | None, hidden: Sequence[ArrayLike],
    chunk_elements: int, *, augmented: bool,
) -> NDArray[np.float64]:
    """:func:`network_forward` without validation (clean arrays)."""
    W = np.asarray(W, dtype=np.float64)
    a = np.asarray(a, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    if W.ndim == 3:
        hid = [np.asarray(V, dtype=np.float64) for V in hidden]
        cs = None if c is None else np.broadcast_to(np.asarray(c, dtype=np.float64), (W.shape[0],))
        outs = np.empty((W.shape[0], X.shape[-2]))
        for k in range(W.shape[0]):
            outs[k] = _forward(
                W[k], a[k], X[k] if X.ndim == 3 else X, None if cs is None else cs[k], [V[k] for V in hid],
                chunk_elements, augmented=augmented,
            )
        return outs
    Xt = X if augmented else augment(X)
    lead = Xt.shape[:-1]
    Xt = Xt.reshape(-1, Xt.shape[-1])
    n = Xt.shape[0]
    if not hidden and W.ndim == 2 and W.shape[1] in (2, 3) and n * W.shape[0] >= _FUSED_MIN_WORK:
        # depth 1 in 1D / 2D: the compiled kernel (no (n, width) temporaries; ~30x faster on large queries)
        from ._fused import forward_outputs

        f = np.empty((1, n))
        forward_outputs(np.ascontiguousarray(W)[None], np.ascontiguousarray(a)[None],
                        np.ascontiguousarray(Xt.T)[None], np.ones(1, dtype=bool), f)
        out1 = f[0] if c is None else f[0] + np.asarray(c, dtype=np.float64)
        return out1.reshape(lead)
    step = max(1, int(chunk_elements) // max(1, W.shape[0]))
    out: NDArray[np.float64]
    if n <= step:
        out = _forward_one(W, a, Xt, hidden)
    else:
        out = np.empty(n)
        for s in range(0, n, step):
            out[s : s + step] = _forward_one(W, a, Xt[s : s + step], hidden)
    if c is not None:
        out = out + np.asarray(c, dtype=np.float64)
    return out.reshape(lead)


def _forward_one(
    W: NDArray[np.float64], a: NDArray[np.float64], Xt: NDArray[np.float64], hidden: Sequence[ArrayLike]
) -> NDArray[np.float64]:
    H = np.maximum(Xt @ W.T, 0.0)
    for V in hidden:
        V = np.asarray(V, dtype=np.float64)
        k = V.shape[0]
        H = np.maximum(H @ V[:, :k].T + V[:, k], 0.0)
    return H @ a


# --------------------------------------------------------------------------- #
# validation of networks and data
# --------------------------------------------------------------------------- #
def resolve_network(
    W: Any, a: Any, *, ndims: tuple[int, ...] | None = None, need_a: bool = True
) -> tuple[NDArray[np.float64], Any]:
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


def check_data(X: ArrayLike, d: int, name: str = "points") -> np.ndarray:
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


def result_offset(obj: object, c: ArrayLike | None) -> ArrayLike:
    """The output offset ``c`` if given, else a result's ``c`` (None -> 0)."""
    if c is not None:
        return c
    if hasattr(obj, "W") and hasattr(obj, "a"):
        rc = getattr(obj, "c", None)
        if rc is not None:
            return np.asarray(rc, dtype=np.float64)
    return 0.0


def with_output_offset(W: ArrayLike, a: ArrayLike, c: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``(W, a)`` of ``sum_j a_j relu(w_j . (x, 1)) + c``: the output offset ``c`` carried by a constant neuron.

    The neuron ``relu(0 . x + 1) = 1`` has no kink, so the network's function is unchanged; this is for
    the functions that take a network as ``(W, a)`` only (distances, the theory engine).

    Parameters
    ----------
    W : (width, n_dims + 1) array_like
    a : (width,) array_like
    c : float
        The output offset (0: ``(W, a)`` returned unchanged, as float arrays).

    Returns
    -------
    W : (width + 1, n_dims + 1) ndarray
    a : (width + 1,) ndarray

    Examples
    --------
    >>> W, a = with_output_offset([[1.0, 0.0]], [2.0], 0.5)
    >>> W.tolist(), a.tolist()
    ([[1.0, 0.0], [0.0, 1.0]], [2.0, 0.5])
    """
    W = np.asarray(W, dtype=float)
    a = np.asarray(a, dtype=float)
    if c == 0.0:
        return W, a
    one = np.zeros((1, W.shape[1]))
    one[0, -1] = 1.0
    return np.vstack([W, one]), np.append(a, c)


def check_offset(c: ArrayLike, name: str = "c") -> NDArray[np.float64]:
    """A finite output offset: a 0-d scalar or an array (shape checked by the caller)."""
    # as_float_array would turn a scalar into shape (1,); keep 0-d scalars 0-d
    try:
        offset = np.asarray(c, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidInputError(f"'{name}' must be a real number or array, found {c!r}") from None
    if not np.all(np.isfinite(offset)):
        raise InvalidInputError(f"'{name}' must be finite, found {c!r}")
    return offset


def row_norms(W: np.ndarray) -> np.ndarray:
    """Euclidean norms along the last axis without underflow for tiny rows (e.g. 1e-300)."""
    scale = np.max(np.abs(W), axis=-1, keepdims=True)
    safe = np.where(scale > 0, scale, 1.0)
    return np.linalg.norm(W / safe, axis=-1) * scale[..., 0]


def single_models(W: NDArray[np.float64], a: Any) -> list[tuple[NDArray[np.float64], Any]]:
    """Iterate over single models: yields (W (width, d+1), a (width,))."""
    if W.ndim == 2:
        return [(W, a)]
    return [(W[k], a[k]) for k in range(W.shape[0])]


def split_models(W: Any, a: Any) -> tuple[Any, Any, bool]:  # W: weights or a result (duck-typed)
    """``(W, a, is_stack)``: the rule by which the neuron-geometry functions take one model or a stack.

    ``W (width, d+1)`` is one model and ``W (n_models, width, d+1)`` a stack (the
    function then returns one entry per model); a result (an object with ``.W`` and
    ``.a``) holding exactly one model gives that model's arrays (one model), a result
    holding several is passed on as a stack. Shapes are checked by the caller
    (:func:`resolve_network`).
    """
    if hasattr(W, "W") and getattr(W, "hidden", None):
        return W, a, False  # resolve_network refuses deeper networks with its own message
    if hasattr(W, "W") and np.ndim(W.W) == 3 and a is None:
        if np.shape(W.W)[0] == 1:
            return W.W[0], W.a[0], False
        return W, a, True
    if hasattr(W, "W"):
        return W, a, False
    return W, a, np.ndim(W) == 3


def select_neurons(
    Wm: NDArray[np.float64], am: Any, frac: float, Xc: NDArray[np.float64] | None = None, exclude_dead: bool = True
) -> tuple[NDArray[np.bool_], NDArray[np.bool_], NDArray[np.bool_], NDArray[np.float64]]:
    """The one rule for which neurons count (groups, kinks, breaklines, regions, theory's creases).

    Neuron ``j`` is *small* when its amplitude ``|a_j| ||[w_j | b_j]||`` is 0 or
    below ``frac`` times the largest amplitude of the model; with data ``Xc``
    and ``exclude_dead`` it is *dead* when ``w_j . x_i + b_j <= 0`` at every
    point. Returns ``(keep, small, dead, amplitude)``, each ``(width,)``, for
    one model ``Wm (width, d+1)``, ``am (width,)``.
    """
    amp = np.abs(am) * np.linalg.norm(Wm, axis=-1)
    top = float(amp.max()) if amp.size else 0.0
    small = (amp <= 0.0) | (amp < frac * top)
    if Xc is not None and exclude_dead:
        pre = Xc @ Wm[:, :-1].T + Wm[:, -1]
        dead = np.all(pre <= 0.0, axis=0) & ~small
    else:
        dead = np.zeros(amp.shape, dtype=bool)
    return ~small & ~dead, small, dead, amp


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


def neuron_directions(W: Weights, *, atol: float = 0.0) -> NeuronDirections:
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
    W, _ = resolve_network(W, None, need_a=False)
    atol = check_positive(atol, "atol", strict=False)
    norms = row_norms(W)
    valid = norms > atol
    safe = np.where(valid, norms, 1.0)
    directions = np.where(valid[..., None], W / safe[..., None], 0.0)
    return NeuronDirections(directions, valid)


def neuron_amplitudes(W: Weights, a: ArrayLike | None = None) -> np.ndarray:
    """Amplitudes ``|a_j| * ||[w_j | b_j]||``.

    Parameters
    ----------
    W : (..., width, d+1) array_like, or an object with ``.W`` and ``.a``
    a : (..., width) array_like

    Returns
    -------
    (..., width) ndarray
    """
    W, a = resolve_network(W, a)
    return np.abs(a) * row_norms(W)


@renamed_arguments(X="points")
def dead_neurons(W: Weights, points: ArrayLike) -> np.ndarray:
    """Neurons inactive on every data point: ``w_j . x_i + b_j <= 0`` for all ``i``.

    Parameters
    ----------
    W : (..., width, d+1) array_like or object with ``.W``
    points : (n_points, d) array_like
        Data points; a 1-D array is read as points in 1D (formerly ``X``; the old keyword warns
        until 0.3.0).

    Returns
    -------
    (..., width) ndarray of bool
        Zero-norm neurons count as dead.
    """
    W, _ = resolve_network(W, None, need_a=False)
    X = check_data(points, W.shape[-1] - 1)
    pre = np.einsum("...jk,ik->...ji", W[..., :-1], X) + W[..., -1:]
    return np.all(pre <= 0.0, axis=-1)


# --------------------------------------------------------------------------- #
# deprecated forwards (one release): network_forward is the one forward
# --------------------------------------------------------------------------- #
def relu_forward(
    W: ArrayLike,
    a: ArrayLike,
    X: ArrayLike,
    c: ArrayLike | None = None,
    *,
    hidden: Sequence[ArrayLike] = (),
    augmented: bool = False,
    chunk_elements: int = _CHUNK_ELEMENTS,
) -> NDArray[np.float64]:
    """Deprecated: :func:`network_forward` with ``check_input=False`` (removed in geoquant 0.3.0)."""
    warn_deprecated("geoquant.nn.relu_forward", "geoquant.nn.network_forward")
    return network_forward(W, a, X, c, hidden=hidden, augmented=augmented, chunk_elements=chunk_elements,
                           check_input=False)


def network_function(
    W: Weights,
    a: Any = None,  # (..., width) array_like, or the query points in network_function(result, x)
    x: ArrayLike | None = None,
    output_bias: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Deprecated: use :func:`network_forward` (``network_forward(W, a, points, c)``; removed in geoquant 0.3.0).

    Evaluates ``f(x) = sum_j a_j relu(w_j . x + b_j) + output_bias`` with its old
    conveniences: ``network_function(result, x)``, 1D ``x`` without the last axis,
    ``output_bias`` defaulting to the result's ``c`` (else 0).
    """
    warn_deprecated("geoquant.nn.network_function", "geoquant.nn.network_forward")
    if x is None and a is not None and hasattr(W, "W") and hasattr(W, "a"):
        x, a = a, None  # network_function(result, x)
    output_bias = result_offset(W, output_bias)
    W, a = resolve_network(W, a, ndims=(2, 3))
    d = W.shape[-1] - 1
    if x is None:
        raise InvalidInputError("'x' (query points, shape (..., d)) is required, found None")
    x = check_query(x, d, "x")
    lead = x.shape[:-1]
    pts = x.reshape(-1, d)
    Ws = W if W.ndim == 3 else W[None]
    As = a if a.ndim == 2 else a[None]
    bias = check_offset(output_bias, "output_bias")
    if W.ndim == 2 and bias.ndim != 0:
        raise InvalidInputError(f"'output_bias' must be a scalar for a single model, found shape {_shape_str(bias.shape)}")
    if bias.ndim > 1 or (bias.ndim == 1 and bias.shape[0] != Ws.shape[0]):
        raise InvalidInputError(
            f"'output_bias' must be a scalar or have shape ({Ws.shape[0]},), found {_shape_str(bias.shape)}"
        )
    out = network_forward(Ws, As, pts, check_input=False)
    out += bias.reshape(-1, 1) if bias.ndim == 1 else float(bias)
    out = out.reshape((Ws.shape[0],) + lead)
    return out if W.ndim == 3 else out[0]
