"""The exact maximum of the alignment potential over directions: the best place for a new neuron.

``G(w) = sum_i r_i relu(w . x~_i)`` (:mod:`geoquant.theory._alignment`) is linear on each
activation cell, so its extrema on the unit sphere lie at finitely many candidate directions
generated from the vertices of the arrangement of the data's hyperplanes. The escape certificate
of a spurious stationary point (:func:`geoquant.theory.end_state`) is this maximum.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import InvalidInputError, UnsupportedError
from ._alignment import _check_xr, _potential, augment
from ._sectors import vertex_star

__all__ = ["alignment_maximum"]


def _unit_rows(V: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length; zero rows dropped."""
    nrm = np.linalg.norm(V, axis=1)
    ok = nrm > 0
    return V[ok] / nrm[ok, None]


def _candidates_1d(Xh: np.ndarray, rX: np.ndarray) -> np.ndarray:
    """Directions on the circle where ``G`` can attain its extrema: the arcs' critical points and their ends."""
    # the 2n points where a data point switches on or off: w . x~_i = 0
    ends = _unit_rows(np.column_stack([Xh[:, 1], -Xh[:, 0]]))
    ends = np.concatenate([ends, -ends])
    ang = np.sort(np.mod(np.arctan2(ends[:, 1], ends[:, 0]), 2 * np.pi))
    mid = 0.5 * (ang + np.append(ang[1:], ang[0] + 2 * np.pi))
    mids = np.column_stack([np.cos(mid), np.sin(mid)])
    g = ((mids @ Xh.T) > 0) @ rX  # the field of every arc (G = w . g on the arc)
    return np.concatenate([ends, _unit_rows(g), -_unit_rows(g)])


def _candidates_2d(Xh: np.ndarray, rX: np.ndarray, atol: float) -> np.ndarray:
    """Directions on the sphere where ``G`` can attain its extrema (see :func:`alignment_maximum`)."""
    n = len(Xh)
    out = [Xh, -Xh]
    if n < 2:
        return np.concatenate(out)
    i, j = np.triu_indices(n, 1)
    V = np.cross(Xh[i], Xh[j])
    nv = np.linalg.norm(V, axis=1)
    keep = nv > atol  # parallel circles (coincident points cannot occur: points are distinct) have no vertex
    i, j, V = i[keep], j[keep], V[keep] / nv[keep, None]
    for sgn in (1.0, -1.0):
        P = sgn * V
        for lo in range(0, len(P), 4096):
            Pc, ic, jc = P[lo:lo + 4096], i[lo:lo + 4096], j[lo:lo + 4096]
            vals = Pc @ Xh.T
            on = np.abs(vals) <= atol
            simple = on.sum(axis=1) <= 2
            out.append(Pc)
            # simple vertices: the four cells around the vertex and the two arcs of each circle through it
            isx, jsx = ic[simple], jc[simple]
            base = ((vals[simple] > atol).astype(np.float64)) @ rX
            gi, gj = rX[isx], rX[jsx]
            for g in (base, base + gi, base + gj, base + gi + gj):
                out.extend([_unit_rows(g), _unit_rows(-g)])
            for circle, other in ((isx, gj), (jsx, gi)):
                nrm = Xh[circle]
                for g in (base, base + other):
                    gp = g - np.sum(g * nrm, axis=1, keepdims=True) * nrm
                    out.extend([_unit_rows(gp), _unit_rows(-gp)])
            # degenerate vertices (three or more circles: collinear data points): every cell around them
            for k in np.flatnonzero(~simple):
                p = Pc[k]
                S = np.sign(vals[k]).astype(np.int8)
                S[on[k]] = 0
                inc = np.flatnonzero(on[k])
                _, _, pats = vertex_star(p, inc, Xh, S)
                G = np.asarray(pats, dtype=np.float64) @ rX
                out.extend([_unit_rows(G), _unit_rows(-G)])
                for l_ in inc:
                    Gp = G - (G @ Xh[l_])[:, None] * Xh[l_]
                    out.extend([_unit_rows(Gp), _unit_rows(-Gp)])
    return np.concatenate(out)


def alignment_maximum(points: ArrayLike, r: ArrayLike, *, sign: int = 1, atol: float = 1e-10) -> tuple[float, NDArray[np.float64]]:
    """The exact maximum of ``sign * G`` over unit directions, and a direction attaining it (n_dims 1 or 2).

    ``G(w) = sum_i r_i relu(w . x~_i)`` is linear on each activation cell
    (``G = w . D_sigma``), so on the unit sphere its maximum lies at the
    critical point ``D_sigma / |D_sigma|`` of a cell, at the critical point of
    an edge (on the great circle ``w . x~_l = 0`` the potential is linear too:
    the projection of ``D`` onto that plane), or at a vertex of the
    arrangement. Every such candidate is generated from the vertices (in 2D:
    the four cells and four arcs around each vertex; every cell around a
    vertex where three or more circles meet) and ``G`` is evaluated at all of
    them: ``O(n^3)`` operations in 2D, ``O(n^2)`` in 1D, no cell enumeration.

    Parameters
    ----------
    points : (n_points, n_dims) array_like
        Inputs ``x_i``, n_dims 1 or 2.
    r : (n_points,) array_like
        Residual weights (:func:`residual_weights`).
    sign : {1, -1}
        ``1``: the best direction for a new ``a > 0`` neuron (largest ``G``);
        ``-1``: for an ``a < 0`` neuron (smallest ``G``).
    atol : float
        Tolerance on ``w^ . x^_i`` deciding that a direction lies on a circle.

    Returns
    -------
    value : float
        ``max_{|w| = 1} sign * G(w)`` (0 when ``r = 0``).
    direction : (n_dims + 1,) ndarray
        A unit ``[w | b]`` with ``sign * G = value``.

    Examples
    --------
    One positive residual: the best direction points at that data point.

    >>> v, w = alignment_maximum([[0.0], [1.0]], [0.5, 0.0])
    >>> round(v, 12), w.round(6).tolist()
    (0.5, [0.0, 1.0])
    """
    X, r = _check_xr(points, r)
    if sign not in (1, -1):
        raise InvalidInputError(f"'sign' must be 1 or -1, found {sign!r}")
    if X.shape[1] > 2:
        raise UnsupportedError(f"alignment_maximum supports 'points' with n_dims 1 or 2, found n_dims={X.shape[1]}")
    return _extrema(X, r, atol)[0 if sign == 1 else 1]


def _extrema(X: np.ndarray, r: np.ndarray, atol: float = 1e-10) -> tuple[tuple[float, np.ndarray], tuple[float, np.ndarray]]:
    """``((max G, argmax), (max -G, argmax))`` over unit directions (kernel of :func:`alignment_maximum`)."""
    d = X.shape[1]
    Xt = augment(X)
    Xh = Xt / np.linalg.norm(Xt, axis=1, keepdims=True)
    rX = r[:, None] * Xt
    C = _candidates_1d(Xh, rX) if d == 1 else _candidates_2d(Xh, rX, atol)
    dead = np.zeros((1, d + 1))
    dead[0, -1] = -1.0  # w = (0, -1): no data point active, G = 0 (so both maxima are >= 0)
    C = np.concatenate([dead, C])
    hi, lo = (-np.inf, C[0]), (-np.inf, C[0])
    for k0 in range(0, len(C), 65536):
        G = _potential(Xt, r, C[k0:k0 + 65536])
        i, j = int(np.argmax(G)), int(np.argmin(G))
        if G[i] > hi[0]:
            hi = (float(G[i]), C[k0 + i])
        if -G[j] > lo[0]:
            lo = (float(-G[j]), C[k0 + j])
    return (hi[0], np.array(hi[1], dtype=np.float64)), (lo[0], np.array(lo[1], dtype=np.float64))
