"""Distances between functions on the convex hull of the data: ``sup |f - g|``, exactly.

For piecewise linear ``f, g`` the max of ``|f - g|`` over the hull is attained at
a vertex of the overlay of their creases: at a data point, where a crease line
meets a segment between two data points, or where two crease lines meet inside
the hull. These candidate points are used, so the distances are exact when the
crease lines are given (predicted functions, or networks with at most
``max_lines`` distinct lines); beyond that, lines closer than ``1e-6`` are
merged, which moves the result by at most the function change across that gap.

Used by :mod:`._predict` (distinct reachable functions) and :mod:`._compare`
(nearest triangulations); it imports neither.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.spatial import ConvexHull

from .._validation import check_points
from ..errors import InvalidInputError, UnsupportedError
from ..nn import crease_lines, network_forward
from ._function import PredictedFunction

if TYPE_CHECKING:
    from ..nn import NetworkLike

__all__ = ["network_lines", "sup_distance"]


#: A function the distances accept: a predicted function, a network (``(W, a)`` or an object
#: with ``.W`` and ``.a``), or a callable on ``(m, d)`` points.
FunctionLike: TypeAlias = "PredictedFunction | NetworkLike | tuple[ArrayLike, ArrayLike] | Callable[[np.ndarray], ArrayLike]"


# ---------------------------------------------------------------------------
# functions and their creases
# ---------------------------------------------------------------------------
def _net_arrays(W: Any, a: Any, model: int = 0) -> tuple[np.ndarray, np.ndarray]:  # W: weights or a result
    if a is None and hasattr(W, "W") and hasattr(W, "a"):
        W, a = W.W, W.a
    W = np.asarray(W, dtype=np.float64)
    a = np.asarray(a, dtype=np.float64) if a is not None else None
    if a is None:
        raise InvalidInputError("'a' must be given with a weight array 'W' (or pass an object with .W and .a)")
    if W.ndim == 3:
        W, a = W[model], a[model]
    if W.ndim != 2 or a.shape != (W.shape[0],):
        raise InvalidInputError(f"'W' must be (width, d+1) with 'a' (width,), found {W.shape} and {a.shape}")
    return W, a


def network_lines(
    W: ArrayLike | NetworkLike, a: ArrayLike | None = None, *, model: int = 0, min_amplitude_fraction: float = 1e-3
) -> NDArray[np.float64]:
    """Crease lines (d = 2) or kinks (d = 1) of the non-negligible neurons of a network.

    Returns ``(k, 3)`` rows ``(a, b, c)`` normalised to ``a^2 + b^2 = 1`` for d = 2,
    or the ``(k,)`` kink positions for d = 1: :func:`geoquant.nn.crease_lines` of
    model ``model`` (the one crease extractor, with its amplitude rule).
    """
    Wm, am = _net_arrays(W, a, model)
    return crease_lines(Wm, am, min_amplitude_fraction=min_amplitude_fraction)


def _as_callable(f: Any, a: Any = None, model: int = 0) -> tuple[Callable[[np.ndarray], Any], Any]:
    """(callable on (m, d) -> (m,), kinks-or-lines or None)."""
    if isinstance(f, PredictedFunction):
        return f, (f.kinks if f.n_dims == 1 else f.lines)
    if a is not None or (hasattr(f, "W") and hasattr(f, "a")):
        W, aa = _net_arrays(f, a, model)

        def g(x: np.ndarray) -> np.ndarray:
            return network_forward(W, aa, x, check_input=False)

        return g, network_lines(W, aa)
    if callable(f):
        return f, None
    raise InvalidInputError(f"'f' must be a PredictedFunction, a network (W, a) or a callable, found {type(f).__name__}")


def _dedupe_lines(L: np.ndarray, max_lines: int) -> np.ndarray:
    if len(L) == 0:
        return L.reshape(0, 3)
    # orient each line canonically so that (l) and (-l) coincide
    s = np.where(np.abs(L[:, 0]) > 1e-12, np.sign(L[:, 0]), np.sign(L[:, 1]))
    L = L * s[:, None]
    L = np.unique(np.round(L, 12), axis=0)
    if len(L) > max_lines:
        L = np.unique(np.round(L, 6), axis=0)
    return L


def _candidates(X: np.ndarray, creases: ArrayLike | None, max_lines: int) -> np.ndarray:
    """Points where sup |f - g| over conv(X) is attained (module docstring)."""
    d = X.shape[1]
    if d == 1:
        lo, hi = float(X.min()), float(X.max())
        k = np.asarray(creases if creases is not None else [], dtype=float).ravel()
        k = k[(k > lo) & (k < hi)]
        return np.concatenate([X[:, 0], k])[:, None]
    pts = [X]
    L = _dedupe_lines(np.asarray(creases if creases is not None else np.zeros((0, 3)), dtype=float).reshape(-1, 3), max_lines)
    if len(L):
        n = X.shape[0]
        i, j = np.triu_indices(n, 1)
        P0, P1 = X[i], X[j]
        s0 = P0 @ L[:, :2].T + L[:, 2]  # (segments, lines)
        s1 = P1 @ L[:, :2].T + L[:, 2]
        seg, lin = np.nonzero(s0 * s1 < 0)
        t = s0[seg, lin] / (s0[seg, lin] - s1[seg, lin])
        pts.append(P0[seg] + t[:, None] * (P1[seg] - P0[seg]))
        if len(L) > 1:
            eq = ConvexHull(X).equations
            a, b = np.triu_indices(len(L), 1)
            A = np.stack([L[a, :2], L[b, :2]], axis=1)
            det = A[:, 0, 0] * A[:, 1, 1] - A[:, 0, 1] * A[:, 1, 0]
            ok = np.abs(det) > 1e-12
            if ok.any():
                rhs = -np.stack([L[a, 2], L[b, 2]], axis=1)[ok]
                sol = np.linalg.solve(A[ok], rhs[..., None])[..., 0]
                scale = float(np.max(np.abs(X)))
                inside = np.all(sol @ eq[:, :2].T + eq[:, 2] <= 1e-12 * max(scale, 1.0), axis=1)
                pts.append(sol[inside])
    return np.concatenate(pts, axis=0)


def sup_distance(
    f: FunctionLike, g: FunctionLike, points: ArrayLike, *, creases: ArrayLike | None = None, max_lines: int = 400
) -> float:
    """``sup |f - g|`` over the convex hull of ``points``.

    Parameters
    ----------
    f, g : PredictedFunction, network ``(W, a)`` tuple / TrainResult-like, or callable on ``(m, d)``
    points : (n_points, n_dims) array_like
    creases : array_like, optional
        Extra kinks (d = 1) or lines ``(k, 3)`` (d = 2) of plain callables.
    max_lines : int
        Above this many distinct crease lines, lines within 1e-6 are merged.

    Returns
    -------
    float
        Exact when all creases of ``f`` and ``g`` are known (module docstring).
    """
    X = check_points(points, "points")
    if X.shape[1] > 2:
        raise UnsupportedError(f"sup_distance supports n_dims 1 or 2, found {X.shape[1]}")
    f1, c1 = _as_callable(*f) if isinstance(f, tuple) else _as_callable(f)
    g1, c2 = _as_callable(*g) if isinstance(g, tuple) else _as_callable(g)
    parts = [np.asarray(c, dtype=float) for c in (c1, c2, creases) if c is not None]
    if X.shape[1] == 1:
        cr = np.concatenate([p.ravel() for p in parts]) if parts else None
    else:
        cr = np.concatenate([p.reshape(-1, 3) for p in parts]) if parts else None
    P = _candidates(X, cr, max_lines)
    return float(np.max(np.abs(np.asarray(f1(P)) - np.asarray(g1(P)))))
