"""Relating trained networks and predicted functions to the theory and to triangulations.

* :func:`compare_directions`: the direction clusters of a trained network against
  the extremal directions of ``G`` (docs/theory.md §2), by angle on the sphere.
* :func:`kink_distances`: d = 1, the distance of each kink inside the data hull
  to the nearest data point ("kinks at data points" is not a theorem: interior
  extremal directions have kinks ``-sum_s r_i / sum_s r_i x_i`` off the data).
* ``sup |f - g|`` over the convex hull of the data (:func:`sup_distance`, exact
  for piecewise linear ``f, g`` whose kinks/creases are known) lives in
  :mod:`._distance`, below both this module and :mod:`._predict`.
* :func:`nearest_triangulation_sup`: d = 2, the fine triangulation ``T`` of the data
  whose linear interpolant is nearest to a function ``f`` in the sup norm on
  the hull, among every fine triangulation when there are at most ``limit`` of them,
  else among a uniform sample (the result says which, and how many of how many
  were compared).  (The exact L2-nearest triangulation at every size is
  :func:`geoquant.compare._distances.nearest_triangulation`.)  Two comparisons
  are made, both reported:

  - ``self``: ``f`` against ``I_T(f(X))``, the interpolant of ``f``'s own values at
    the data.  Distance 0 means ``f`` *is* piecewise linear on ``T`` (on the hull).
  - ``data``: ``f`` against ``I_T(y)``, the interpolant of the data values; for an
    interpolating network (``f(X) = y``) both agree.

  A shallow ReLU net bends along whole lines with a constant jump, a triangulation
  interpolant along edge segments (docs/theory.md §3), so in d = 2 distance 0 is the
  exception; the nearest ``T`` and its distance measure how close the analogy is.

Exactness: for piecewise linear functions the max of ``|f - I_T f|`` over the hull
is attained at a vertex of the overlay of their creases, i.e. at a data point,
where a crease line meets a segment between two data points, or where two crease
lines meet inside the hull.  These candidate points are used, so the distances are
exact when the crease lines are given (predicted functions, or networks with at
most ``max_lines`` distinct lines); beyond that, lines closer than ``1e-6`` are
merged, which moves the result by at most the function change across that gap.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._deprecation import deprecated_alias
from .._validation import SeedLike, check_int, check_points, check_values
from ..errors import InvalidInputError, TooLargeError
from ..nn import cluster_directions
from ._distance import FunctionLike, _as_callable, _candidates, _net_arrays, network_lines
from ._extremal import ExtremalDirection, extremal_directions
from ._function import PredictedFunction

if TYPE_CHECKING:
    from ..nn import NetworkLike
    from ..triangulation import Triangulation

__all__ = [
    "DirectionComparison",
    "compare_directions",
    "kink_distances",
    "NearestTriangulation",
    "nearest_triangulation_sup",
    "nearest_triangulation",
]


# ---------------------------------------------------------------------------
# directions
# ---------------------------------------------------------------------------
@dataclass(eq=False)
class DirectionComparison:
    """Trained direction clusters against extremal directions (one model).

    Attributes
    ----------
    directions : (k, n_dims + 1) ndarray
        Unit directions of the trained clusters (amplitude-weighted means).
    signs : (k,) int ndarray
    amplitudes : (k,) ndarray
        Summed ``|a_j| |w_j|`` of each cluster.
    counts : (k,) int ndarray
    nearest : (k,) int ndarray
        Index into ``extremal`` of the nearest extremal direction of the same
        sign (-1 if none).
    angles : (k,) ndarray
        Angle (rad) to it (``inf`` if none).
    extremal : list of ExtremalDirection
        All extremal directions of ``G`` for the residual used.
    extremal_angles : (len(extremal),) ndarray
        For each extremal direction, the angle to the nearest cluster of its sign.
    """

    directions: np.ndarray
    signs: np.ndarray
    amplitudes: np.ndarray
    counts: np.ndarray
    nearest: np.ndarray
    angles: np.ndarray
    extremal: list
    extremal_angles: np.ndarray

    def matched(self, tol: float = 1e-2) -> NDArray[np.bool_]:
        """Mask of clusters within ``tol`` rad of an extremal direction of their sign."""
        return self.angles <= tol

    def __repr__(self) -> str:
        return (
            f"DirectionComparison(n_clusters={len(self.signs)}, n_extremal={len(self.extremal)}, "
            f"max_angle={float(np.max(self.angles, initial=0.0)):.3g})"
        )


def compare_directions(
    W: ArrayLike | NetworkLike,
    a: ArrayLike | None = None,
    points: ArrayLike | None = None,
    values: ArrayLike | None = None,
    *,
    f: ArrayLike | Callable[[NDArray[np.float64]], ArrayLike] | None = None,
    r: ArrayLike | None = None,
    model: int = 0,
    angle_tol: float = 1e-2,
    min_amplitude_fraction: float = 1e-3,
    extremal: Sequence[ExtremalDirection] | None = None,
    reference: tuple[ArrayLike, ArrayLike] | None = None,
) -> DirectionComparison:
    """Compare a network's direction clusters with the extremal directions of ``G``.

    Parameters
    ----------
    W, a : network parameters ``(width, d+1)``/``(width,)`` (or with a leading
        ``n_models`` axis, see ``model``), or an object with ``.W`` and ``.a``.
    points, values : the data; ``f`` (default 0) or ``r`` select the residual
        whose potential ``G`` is used (``f = 0``: the alignment phase).
    angle_tol, min_amplitude_fraction : passed to :func:`geoquant.nn.cluster_directions`.
    extremal : list of ExtremalDirection, optional
        Precomputed extremal directions (then ``values``/``f``/``r`` are unused).
    reference : ((k, d+1) array_like, (k,) array_like), optional
        Reference directions and signs to compare with instead of the extremal
        directions (e.g. the neurons of a predicted function); then
        ``DirectionComparison.extremal`` is empty and ``extremal_angles`` refers
        to these references.

    Returns
    -------
    DirectionComparison
    """
    Wm, am = _net_arrays(W, a, model)
    if points is None:
        raise InvalidInputError("'points' must be given to compare directions with the theory")
    X = check_points(points, "points")
    if Wm.shape[1] != X.shape[1] + 1:
        raise InvalidInputError(f"'W' must have {X.shape[1] + 1} columns for {X.shape[1]}D points, found {Wm.shape[1]}")
    if reference is not None:
        E = np.asarray(reference[0], dtype=np.float64).reshape(-1, X.shape[1] + 1)
        E = E / np.linalg.norm(E, axis=1, keepdims=True)
        Es = np.asarray(reference[1]).astype(np.int64).reshape(-1)
        extremal = []
    else:
        if extremal is None:
            extremal = extremal_directions(X, values, f=f, r=r) if r is None else extremal_directions(X, r=r)
        E = np.array([e.direction for e in extremal]).reshape(-1, X.shape[1] + 1)
        Es = np.array([e.sign for e in extremal], dtype=np.int64)
    groups = cluster_directions(Wm, am, angle_tol=angle_tol, min_amplitude_fraction=min_amplitude_fraction, points=X)
    dirs = np.array([g.direction for g in groups]).reshape(-1, X.shape[1] + 1)
    signs = np.array([g.sign for g in groups], dtype=np.int64)
    amps = np.array([g.amplitude for g in groups])
    counts = np.array([g.count for g in groups], dtype=np.int64)
    ang = np.arccos(np.clip(dirs @ E.T, -1.0, 1.0)) if len(E) and len(dirs) else np.zeros((len(dirs), len(E)))
    same = signs[:, None] == Es[None, :]
    angm = np.where(same, ang, np.inf)
    nearest = np.where(np.isfinite(angm).any(axis=1), np.argmin(angm, axis=1), -1) if len(E) else np.full(len(dirs), -1)
    angles = angm.min(axis=1) if len(E) else np.full(len(dirs), np.inf)
    ext_ang = angm.min(axis=0) if len(dirs) else np.full(len(E), np.inf)
    return DirectionComparison(dirs, signs, amps, counts, nearest.astype(np.int64), angles, list(extremal), ext_ang)


# ---------------------------------------------------------------------------
# 1D: kinks at data points
# ---------------------------------------------------------------------------
def kink_distances(
    kinks: ArrayLike | PredictedFunction | NetworkLike | tuple[ArrayLike, ArrayLike], points: ArrayLike, *, inside: bool = True
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Distance from each kink to the nearest data point (d = 1).

    Parameters
    ----------
    kinks : (k,) array_like, PredictedFunction, or a network ``(W, a)`` tuple
    points : (n_points,) or (n_points, 1) array_like
    inside : bool
        Keep only kinks strictly inside the data hull (outside kinks do not
        change the function on the hull).

    Returns
    -------
    kinks : (k',) ndarray
    distances : (k',) ndarray
    """
    X = check_points(points, "points", dim=1)
    if isinstance(kinks, PredictedFunction):
        k = kinks.kinks
    elif isinstance(kinks, tuple):
        k = network_lines(*kinks)
    elif hasattr(kinks, "W") and hasattr(kinks, "a"):
        k = network_lines(kinks)
    else:
        k = np.asarray(kinks, dtype=float).ravel()
    x = np.sort(X[:, 0])
    if inside:
        k = k[(k > x[0]) & (k < x[-1])]
    dist = np.min(np.abs(k[:, None] - x[None, :]), axis=1) if k.size else np.zeros(0)
    return k, dist


# ---------------------------------------------------------------------------
# 2D: nearest triangulation
# ---------------------------------------------------------------------------
@dataclass(eq=False)
class NearestTriangulation:
    """The fine triangulations nearest to a function in the sup norm (see :func:`nearest_triangulation_sup`).

    Attributes
    ----------
    self_tri, self_distance : Triangulation, float
        ``argmin_T sup_hull |f - I_T(f(X))|`` and its distance.
    data_tri, data_distance : Triangulation or None, float
        ``argmin_T sup_hull |f - I_T(y)|`` (None without values).
    self_distances, data_distances : (n_candidates,) ndarray
        Distances for every candidate triangulation.
    n_candidates : int
        How many triangulations were compared.
    exhaustive : bool
        True when every fine triangulation was compared; False when sampled (or
        when the candidates were given).
    candidates : list of Triangulation
        The compared triangulations (the distances index this list).
    n_triangulations : int or None
        How many fine triangulations the points have (``n_candidates`` when
        exhaustive; counted exactly when sampled; None when the candidates were given):
        a sampled result compared ``n_candidates`` of ``n_triangulations``.
    """

    self_tri: object
    self_distance: float
    data_tri: object
    data_distance: float
    self_distances: np.ndarray
    data_distances: np.ndarray
    n_candidates: int
    exhaustive: bool
    candidates: list
    n_triangulations: int | None = None

    def __repr__(self) -> str:
        return (
            f"NearestTriangulation(self_distance={self.self_distance:.4g}, data_distance={self.data_distance:.4g}, "
            f"n_candidates={self.n_candidates}, exhaustive={self.exhaustive}, "
            f"n_triangulations={self.n_triangulations})"
        )


def _interp_values(P: np.ndarray, X: np.ndarray, simplices: np.ndarray, V: np.ndarray) -> np.ndarray:
    """Interpolants of the columns of ``V (n, k)`` on one triangulation at points ``P (m, 2)`` -> (m, k)."""
    A = X[simplices]  # (t, 3, 2)
    T = np.stack([A[:, 1] - A[:, 0], A[:, 2] - A[:, 0]], axis=2)  # (t, 2, 2)
    Tinv = np.linalg.inv(T)
    lam12 = np.einsum("tij,mtj->mti", Tinv, P[:, None, :] - A[None, :, 0, :])  # (m, t, 2)
    lam = np.concatenate([1.0 - lam12.sum(axis=2, keepdims=True), lam12], axis=2)
    score = lam.min(axis=2)
    best = np.argmax(score, axis=1)
    lb = lam[np.arange(len(P)), best]  # (m, 3)
    return np.einsum("mk,mkj->mj", lb, V[simplices[best]])


def _candidate_triangulations(
    X: np.ndarray, limit: int, n_samples: int, seed: SeedLike
) -> tuple[list[Triangulation], bool, int]:
    """Every fine triangulation (at most ``limit``) or distinct uniform draws: (list, exhaustive, how many exist)."""
    from ..triangulation import count_triangulations, enumerate_triangulations, sample_triangulations

    try:
        tris = list(enumerate_triangulations(X, fine=True, limit=limit))
        return tris, True, len(tris)
    except TooLargeError:
        pass
    out, keys = [], set()
    for t in sample_triangulations(X, n_samples, seed=seed, fine=True):
        if t.key() not in keys:  # draws are with replacement
            keys.add(t.key())
            out.append(t)
    return out, False, count_triangulations(X, fine=True)


def nearest_triangulation_sup(
    f: FunctionLike,
    points: ArrayLike,
    values: ArrayLike | None = None,
    *,
    creases: ArrayLike | None = None,
    limit: int = 5000,
    n_samples: int = 500,
    seed: SeedLike = 0,
    triangulations: Sequence[Triangulation] | None = None,
    max_lines: int = 400,
) -> NearestTriangulation:
    """The fine triangulation of the data whose interpolant is nearest to ``f`` in the sup norm (d = 2).

    Exhaustive when the points have at most ``limit`` fine triangulations; above,
    a **sample**: the result's ``exhaustive`` is False and it compared
    ``n_candidates`` of ``n_triangulations``. (For the exact L2-nearest
    triangulation at every size see :func:`geoquant.compare._distances.nearest_triangulation`.)

    Parameters
    ----------
    f : PredictedFunction, network ``(W, a)`` tuple / TrainResult-like, or callable on ``(m, 2)``
    points : (n_points, 2) array_like
    values : (n_points,) array_like, optional
        Data values for the ``I_T(y)`` comparison.
    creases : (k, 3) array_like, optional
        Crease lines of a plain callable ``f`` (for an exact sup).
    limit : int
        Compare every fine triangulation when there are at most this many
        (:func:`geoquant.triangulation.enumerate_triangulations`); otherwise
        ``n_samples`` uniform draws (:func:`~geoquant.triangulation.sample_triangulations`,
        duplicates dropped).
    triangulations : sequence of Triangulation, optional
        Candidates to use instead.

    Returns
    -------
    NearestTriangulation
        Distances are ``sup`` over the hull, computed at the exact candidate
        points of the module docstring; ``exhaustive``, ``n_candidates`` and
        ``n_triangulations`` say how much of the set was compared.
    """
    X = check_points(points, "points", dim=2)
    y = check_values(values, X.shape[0], "values") if values is not None else None
    limit = check_int(limit, "limit", min_value=1)
    n_samples = check_int(n_samples, "n_samples", min_value=1)
    fc, cr = _as_callable(*f) if isinstance(f, tuple) else _as_callable(f)
    parts = [np.asarray(c, dtype=float).reshape(-1, 3) for c in (cr, creases) if c is not None]
    P = _candidates(X, np.concatenate(parts) if parts else None, max_lines)
    fP = np.asarray(fc(P), dtype=float)
    fX = np.asarray(fc(X), dtype=float)
    n_total: int | None
    if triangulations is None:
        tris, exhaustive, n_total = _candidate_triangulations(X, limit, n_samples, seed)
    else:
        tris, exhaustive, n_total = list(triangulations), False, None
    if not tris:
        raise InvalidInputError("no candidate triangulations")
    V = np.column_stack([fX] + ([y] if y is not None else []))
    ds, dd = np.empty(len(tris)), np.full(len(tris), np.inf)
    for k, t in enumerate(tris):
        I = _interp_values(P, X, np.asarray(t.simplices), V)
        ds[k] = np.max(np.abs(fP - I[:, 0]))
        if y is not None:
            dd[k] = np.max(np.abs(fP - I[:, 1]))
    ks = int(np.argmin(ds))
    kd = int(np.argmin(dd)) if y is not None else -1
    return NearestTriangulation(
        self_tri=tris[ks],
        self_distance=float(ds[ks]),
        data_tri=tris[kd] if y is not None else None,
        data_distance=float(dd[kd]) if y is not None else float("nan"),
        self_distances=ds,
        data_distances=dd,
        n_candidates=len(tris),
        exhaustive=exhaustive,
        candidates=tris,
        n_triangulations=n_total,
    )


#: deprecated: the sup-norm nearest triangulation had the same name as the exact L2 one in geoquant.compare
nearest_triangulation = deprecated_alias(
    nearest_triangulation_sup, "geoquant.theory.nearest_triangulation", "geoquant.theory.nearest_triangulation_sup"
)
