"""Direction groups of one-hidden-layer ReLU networks: neurons that point the same way.

:func:`cluster_directions` (one model, or a list for a stack) groups the neurons by
the angle between their unit directions ``[w_j | b_j] / ||[w_j | b_j]||`` (separately
for each sign of ``a``); :func:`condensed_network` replaces every group by one neuron.
Conventions are those of :mod:`geoquant.nn._neurons`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._deprecation import renamed_arguments, warn_deprecated
from .._validation import check_angle, check_fraction, check_option
from ..errors import InvalidInputError
from ._clustering import cluster_angles
from ._creases import FLAT_RTOL, as_domain, line_geometry
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
    from shapely.geometry.base import BaseGeometry

__all__ = [
    "NeuronGroup",
    "NeuronClusters",
    "cluster_directions",
    "cluster_directions_models",
    "condensed_network",
    "condensed_network_models",
]


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

    def __iter__(self) -> Iterator[NeuronGroup]:
        return iter(self.groups)

    def __getitem__(self, i: int) -> NeuronGroup:
        return self.groups[i]


@overload
def cluster_directions(
    W: OneModel, a: ArrayLike | None = ..., *, angle_tol: float = ..., min_amplitude_fraction: float = ..., points: ArrayLike | None = ...,
    exclude_dead: bool = ..., domain: BaseGeometry | ArrayLike | None = ...,
    method: Literal["agglomerative", "dbscan"] = ...,
) -> NeuronClusters: ...
@overload
def cluster_directions(
    W: ModelStack, a: ArrayLike | None = ..., *, angle_tol: float = ..., min_amplitude_fraction: float = ..., points: ArrayLike | None = ...,
    exclude_dead: bool = ..., domain: BaseGeometry | ArrayLike | None = ...,
    method: Literal["agglomerative", "dbscan"] = ...,
) -> list[NeuronClusters]: ...
@overload
def cluster_directions(
    W: Weights, a: ArrayLike | None = ..., *, angle_tol: float = ..., min_amplitude_fraction: float = ..., points: ArrayLike | None = ...,
    exclude_dead: bool = ..., domain: BaseGeometry | ArrayLike | None = ...,
    method: Literal["agglomerative", "dbscan"] = ...,
) -> NeuronClusters | list[NeuronClusters]: ...
@renamed_arguments(X="points")
def cluster_directions(
    W: Weights,
    a: ArrayLike | None = None,
    *,
    angle_tol: float = 1e-2,
    min_amplitude_fraction: float = 1e-3,
    points: ArrayLike | None = None,
    exclude_dead: bool = True,
    domain: BaseGeometry | ArrayLike | None = None,
    method: Literal["agglomerative", "dbscan"] = "agglomerative",
) -> NeuronClusters | list[NeuronClusters]:
    """Group the neurons of a model (or of each of a stack) by direction, separately for each sign of ``a``.

    Parameters
    ----------
    W : (width, d+1) or (n_models, width, d+1) array_like, or an object with ``.W`` and ``.a``
        One model, or a stack (see :func:`geoquant.nn._neurons.split_models`: a
        result holding one model is that model).
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
    points : (n_points, d) array_like, optional
        Data (formerly ``X``; the old keyword warns until 0.3.0). With ``exclude_dead`` the neurons
        dead on every data point are left out and counted in ``n_dead``. In 2D and without
        ``domain`` the groups' lines are clipped to the bounding box of ``points``.
    exclude_dead : bool
    domain : shapely Polygon or (2, 2) box, optional
        2D: clip each group's line to it (``NeuronGroup.line``).
    method : {"agglomerative", "dbscan"}

    Returns
    -------
    NeuronClusters, or for a stack a list of them (one per model)
        Groups sorted by decreasing amplitude.

    Examples
    --------
    >>> import numpy as np
    >>> W = np.array([[1.0, -0.5], [2.0, -1.0], [-1.0, 0.2]])  # neurons 0 and 1 point the same way
    >>> cl = cluster_directions(W, np.array([1.0, 1.0, 1.0]))
    >>> [(g.count, g.members.tolist()) for g in cl], cl[0].kink
    ([(2, [0, 1]), (1, [2])], 0.5)
    >>> W2 = np.array([[[1.0, 0.0], [2.0, 0.0]], [[1.0, 0.0], [0.0, 1.0]]])  # a stack: 2 models, width 2
    >>> [len(cl) for cl in cluster_directions(W2, np.ones((2, 2)))]
    [1, 2]
    """
    W, a, stack = split_models(W, a)
    each = _clusters_each(
        W, a, angle_tol=angle_tol, min_amplitude_fraction=min_amplitude_fraction, X=points,
        exclude_dead=exclude_dead, domain=domain, method=method,
    )
    return each if stack else each[0]


def _clusters_each(
    W: Weights, a: ArrayLike | None, *, angle_tol: float, min_amplitude_fraction: float, X: ArrayLike | None,
    exclude_dead: bool, domain: BaseGeometry | ArrayLike | None, method: str,
) -> list[NeuronClusters]:
    """:func:`cluster_directions` of each model (a 2-D ``W`` is one model: a list of one)."""
    W, a = resolve_network(W, a, ndims=(2, 3))
    d = W.shape[-1] - 1
    angle_tol = check_angle(angle_tol, "angle_tol")
    frac = check_fraction(min_amplitude_fraction, "min_amplitude_fraction")
    check_option(method, "method", ("agglomerative", "dbscan"))
    Xc = check_data(X, d) if X is not None else None
    poly = None
    if d == 2:
        if domain is not None:
            poly = as_domain(domain)
        elif Xc is not None:
            lo, hi = Xc.min(axis=0), Xc.max(axis=0)
            if np.all(hi > lo):
                poly = as_domain(np.column_stack([lo, hi]))
    elif domain is not None:
        raise InvalidInputError(f"'domain' is only used for 2D networks (d = 2), found d = {d}")

    results = []
    for Wm, am in single_models(W, a):
        keep, small, dead, amp = select_neurons(Wm, am, frac, Xc, exclude_dead)
        norms = np.linalg.norm(Wm, axis=-1)
        groups = []
        for s in (1, -1):
            idx = np.flatnonzero(keep & (np.sign(am) == s))
            if idx.size == 0:
                continue
            U = Wm[idx] / norms[idx, None]
            labels = cluster_angles(U, angle_tol, method=method)
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
                if d == 1 and abs(direction[0]) > FLAT_RTOL:
                    kink = float(-direction[1] / direction[0])
                if d == 2 and poly is not None:
                    line = line_geometry(direction, poly)
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
    return results


@overload
def condensed_network(
    W: OneModel, a: ArrayLike | None = ..., *, angle_tol: float = ..., min_amplitude_fraction: float = ..., points: ArrayLike | None = ...,
    exclude_dead: bool = ..., method: Literal["agglomerative", "dbscan"] = ...,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]: ...
@overload
def condensed_network(
    W: ModelStack, a: ArrayLike | None = ..., *, angle_tol: float = ..., min_amplitude_fraction: float = ..., points: ArrayLike | None = ...,
    exclude_dead: bool = ..., method: Literal["agglomerative", "dbscan"] = ...,
) -> list[tuple[NDArray[np.float64], NDArray[np.float64]]]: ...
@overload
def condensed_network(
    W: Weights, a: ArrayLike | None = ..., *, angle_tol: float = ..., min_amplitude_fraction: float = ..., points: ArrayLike | None = ...,
    exclude_dead: bool = ..., method: Literal["agglomerative", "dbscan"] = ...,
) -> tuple[NDArray[np.float64], NDArray[np.float64]] | list[tuple[NDArray[np.float64], NDArray[np.float64]]]: ...
@renamed_arguments(X="points")
def condensed_network(
    W: Weights,
    a: ArrayLike | None = None,
    *,
    angle_tol: float = 1e-2,
    min_amplitude_fraction: float = 1e-3,
    points: ArrayLike | None = None,
    exclude_dead: bool = True,
    method: Literal["agglomerative", "dbscan"] = "agglomerative",
) -> tuple[NDArray[np.float64], NDArray[np.float64]] | list[tuple[NDArray[np.float64], NDArray[np.float64]]]:
    """A network (or each of a stack) with each direction group replaced by one neuron.

    Group ``g`` becomes the neuron ``[w | b] = direction_g`` with output weight
    ``sign_g * amplitude_g``; this equals the original network exactly when all
    members share one direction, and differs by at most
    ``amplitude_g * spread_g * ||(x, 1)||`` per group otherwise. Small (and,
    with data, dead) neurons are dropped.

    Parameters
    ----------
    W : (width, d+1) or (n_models, width, d+1) array_like, or an object with ``.W`` and ``.a``
        One model, or a stack (as for :func:`cluster_directions`).
    a : (width,) or (n_models, width) array_like
    angle_tol, min_amplitude_fraction, points, exclude_dead, method
        As for :func:`cluster_directions`.

    Returns
    -------
    (W_c (k, d+1) ndarray, a_c (k,) ndarray), or for a stack a list of such pairs (one per model)
        ``W_c``: unit directions of the groups; ``a_c``: their signed summed amplitudes.

    Examples
    --------
    >>> import numpy as np
    >>> W = np.array([[3.0, 4.0], [6.0, 8.0], [0.0, 1.0]])  # neurons 0 and 1 share a direction
    >>> Wc, ac = condensed_network(W, np.array([1.0, 1.0, -2.0]))
    >>> Wc, ac
    (array([[0.6, 0.8],
           [0. , 1. ]]), array([15., -2.]))
    >>> W2 = np.array([[[3.0, 4.0], [6.0, 8.0]], [[3.0, 4.0], [0.0, 1.0]]])  # a stack of 2 models
    >>> [ac.tolist() for _, ac in condensed_network(W2, np.ones((2, 2)))]
    [[15.0], [5.0, 1.0]]
    """
    W, a, stack = split_models(W, a)
    each = _condensed_each(
        W, a, angle_tol=angle_tol, min_amplitude_fraction=min_amplitude_fraction, X=points,
        exclude_dead=exclude_dead, method=method,
    )
    return each if stack else each[0]


def _condensed_each(
    W: Weights, a: ArrayLike | None, *, angle_tol: float, min_amplitude_fraction: float, X: ArrayLike | None,
    exclude_dead: bool, method: str,
) -> list[tuple[NDArray[np.float64], NDArray[np.float64]]]:
    """:func:`condensed_network` of each model (a 2-D ``W`` is one model: a list of one pair)."""
    clusters = _clusters_each(
        W, a, angle_tol=angle_tol, min_amplitude_fraction=min_amplitude_fraction, X=X,
        exclude_dead=exclude_dead, domain=None, method=method,
    )
    W_arr, _ = resolve_network(W, a, ndims=(2, 3))
    d1 = W_arr.shape[-1]
    out = []
    for cl in clusters:
        Wc = np.array([g.direction for g in cl.groups], dtype=np.float64).reshape(-1, d1)
        ac = np.array([g.signed_amplitude for g in cl.groups], dtype=np.float64)
        out.append((Wc, ac))
    return out


# --------------------------------------------------------------------------- #
# deprecated (one release): the functions above take a stack too
# --------------------------------------------------------------------------- #
def cluster_directions_models(
    W: Weights,
    a: ArrayLike | None = None,
    *,
    angle_tol: float = 1e-2,
    min_amplitude_fraction: float = 1e-3,
    X: ArrayLike | None = None,
    exclude_dead: bool = True,
    domain: BaseGeometry | ArrayLike | None = None,
    method: Literal["agglomerative", "dbscan"] = "agglomerative",
) -> list[NeuronClusters]:
    """Deprecated: use :func:`cluster_directions`, which takes a stack too (removed in geoquant 0.3.0). Always a list."""
    warn_deprecated("geoquant.nn.cluster_directions_models", "geoquant.nn.cluster_directions")
    return _clusters_each(
        W, a, angle_tol=angle_tol, min_amplitude_fraction=min_amplitude_fraction, X=X,
        exclude_dead=exclude_dead, domain=domain, method=method,
    )


def condensed_network_models(
    W: Weights,
    a: ArrayLike | None = None,
    *,
    angle_tol: float = 1e-2,
    min_amplitude_fraction: float = 1e-3,
    X: ArrayLike | None = None,
    exclude_dead: bool = True,
    method: Literal["agglomerative", "dbscan"] = "agglomerative",
) -> list[tuple[NDArray[np.float64], NDArray[np.float64]]]:
    """Deprecated: use :func:`condensed_network`, which takes a stack too (removed in geoquant 0.3.0). Always a list."""
    warn_deprecated("geoquant.nn.condensed_network_models", "geoquant.nn.condensed_network")
    return _condensed_each(
        W, a, angle_tol=angle_tol, min_amplitude_fraction=min_amplitude_fraction, X=X,
        exclude_dead=exclude_dead, method=method,
    )
