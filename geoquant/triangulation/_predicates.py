"""Exact geometric predicates in the plane: orientation and in-circle.

Both predicates return the *sign* of a determinant and never a wrong one:

1. a floating-point filter evaluates the determinant in float64 together with
   Shewchuk's a-priori error bound (``ccwerrboundA`` / ``iccerrboundA``); when
   the magnitude exceeds the bound the float sign is certain;
2. otherwise (near-degenerate, degenerate, underflow or overflow) the
   determinant is recomputed exactly with Python integers: every float64 is
   ``m * 2**e`` with integer ``m``, so after scaling all coordinates by a
   common power of two the arithmetic is exact integer arithmetic.

The vectorised forms evaluate the filter for all inputs with numpy and run the
exact stage only on the uncertain entries, so degenerate-heavy inputs such as
lattice grids stay cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import as_float_array
from ..errors import InvalidInputError

__all__ = ["orient2d", "incircle", "orient2d_exact", "incircle_exact", "orientation"]

_EPS = np.finfo(np.float64).eps / 2.0  # unit roundoff 2**-53, Shewchuk's "epsilon"
# Shewchuk (1997), "Adaptive precision floating-point arithmetic and fast robust
# geometric predicates": bounds on the error of the plain float evaluation,
# relative to the permanent (sum of absolute values of the products).
_CCW_BOUND = (3.0 + 16.0 * _EPS) * _EPS
_ICC_BOUND = (10.0 + 96.0 * _EPS) * _EPS
# Below this permanent the products may have lost bits to gradual underflow, which the
# relative bound does not cover: go exact.
_TINY = 1e-280


def _to_exact_ints(coords: np.ndarray) -> np.ndarray:
    """Exact integer images of float64 values under one common power-of-two scaling.

    Returns an object array of Python ints ``round(coords * 2**k)`` with the same
    shape, where ``k`` is chosen so that every value is an integer (hence exact).
    Signs of homogeneous polynomials are invariant under the common scaling.
    """
    flat = coords.ravel()
    fracs = [Fraction(float(v)) for v in flat]
    denom = 1
    for f in fracs:
        if f.denominator > denom:  # all denominators are powers of two
            denom = f.denominator
    out = np.empty(flat.shape, dtype=object)
    for i, f in enumerate(fracs):
        out[i] = f.numerator * (denom // f.denominator)
    return out.reshape(coords.shape)


def _sign_obj(x: np.ndarray) -> np.ndarray:
    return np.array([(v > 0) - (v < 0) for v in x.ravel()], dtype=np.int64).reshape(x.shape)


def _orient_det(ax: Any, ay: Any, bx: Any, by: Any, cx: Any, cy: Any) -> Any:
    return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)


def _incircle_det(ax: Any, ay: Any, bx: Any, by: Any, cx: Any, cy: Any, dx: Any, dy: Any) -> Any:
    adx, ady = ax - dx, ay - dy
    bdx, bdy = bx - dx, by - dy
    cdx, cdy = cx - dx, cy - dy
    alift = adx * adx + ady * ady
    blift = bdx * bdx + bdy * bdy
    clift = cdx * cdx + cdy * cdy
    return (
        alift * (bdx * cdy - cdx * bdy)
        + blift * (cdx * ady - adx * cdy)
        + clift * (adx * bdy - bdx * ady)
    )


def orient2d_exact(a: ArrayLike, b: ArrayLike, c: ArrayLike) -> int:
    """Exact sign of ``orient2d`` for three single points (slow path, no filter)."""
    ints = _to_exact_ints(np.array([a, b, c], dtype=np.float64).reshape(3, 2))
    det = _orient_det(*ints.ravel())
    return (det > 0) - (det < 0)


def orient2d_sign(a: Sequence[float], b: Sequence[float], c: Sequence[float]) -> int:
    """Exact orientation sign of three single points given as ``(x, y)`` float pairs.

    The scalar kernel of the mutable mesh: the plain float determinant when
    Shewchuk's error bound certifies its sign, else :func:`orient2d_exact`.
    Python floats keep it cheap in per-flip loops.
    """
    (ax, ay), (bx, by), (cx, cy) = a, b, c
    left = (bx - ax) * (cy - ay)
    right = (by - ay) * (cx - ax)
    det = left - right
    perm = abs(left) + abs(right)
    if abs(det) > _CCW_BOUND * perm and perm > _TINY:
        return 1 if det > 0 else -1
    return orient2d_exact(a, b, c)


def incircle_exact(a: ArrayLike, b: ArrayLike, c: ArrayLike, d: ArrayLike) -> int:
    """Exact sign of ``incircle`` for four single points (slow path, no filter)."""
    ints = _to_exact_ints(np.array([a, b, c, d], dtype=np.float64).reshape(4, 2))
    det = _incircle_det(*ints.ravel())
    return (det > 0) - (det < 0)


def _broadcast_points(
    name_arrays: Sequence[tuple[str, ArrayLike]],
) -> tuple[list[NDArray[np.float64]], tuple[int, ...]]:
    arrays = []
    for name, arr in name_arrays:
        a = as_float_array(arr, name)  # refuses NaN/inf, text and complex
        if a.ndim == 0 or a.shape[-1] != 2:
            raise InvalidInputError(f"'{name}' must have shape (..., 2), found {a.shape}")
        arrays.append(a)
    try:
        shape = np.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError:
        shapes = ", ".join(f"'{n}' {a.shape}" for (n, _), a in zip(name_arrays, arrays))
        raise InvalidInputError(f"the points must broadcast against each other, found {shapes}") from None
    return [np.broadcast_to(a, shape).reshape(-1, 2) for a in arrays], shape[:-1]


def orient2d(a: ArrayLike, b: ArrayLike, c: ArrayLike) -> Any:  # int, or an int64 array for arrays of points
    """Exact orientation of the triangle ``(a, b, c)``.

    Parameters
    ----------
    a, b, c : (..., 2) array_like
        Points; leading axes broadcast against each other.

    Returns
    -------
    int or (...) int64 ndarray
        ``+1`` if ``c`` lies strictly left of the directed line ``a -> b``
        (counter-clockwise turn), ``-1`` if strictly right, ``0`` if the three
        points are collinear. The sign is exact for any finite float64 input.
    """
    (a, b, c), shape = _broadcast_points((("a", a), ("b", b), ("c", c)))
    ax, ay, bx, by, cx, cy = a[:, 0], a[:, 1], b[:, 0], b[:, 1], c[:, 0], c[:, 1]
    with np.errstate(all="ignore"):
        left = (bx - ax) * (cy - ay)
        right = (by - ay) * (cx - ax)
        det = left - right
        perm = np.abs(left) + np.abs(right)
        sure = (np.abs(det) > _CCW_BOUND * perm) & (perm > _TINY) & np.isfinite(perm)
    out = np.where(sure, np.sign(np.where(sure, det, 0.0)), 0).astype(np.int64)
    bad = np.flatnonzero(~sure)
    if bad.size:
        pts = np.stack([a[bad], b[bad], c[bad]], axis=1)  # (k, 3, 2)
        ints = _to_exact_ints(pts)
        det_exact = _orient_det(
            ints[:, 0, 0], ints[:, 0, 1], ints[:, 1, 0], ints[:, 1, 1], ints[:, 2, 0], ints[:, 2, 1]
        )
        out[bad] = _sign_obj(np.asarray(det_exact, dtype=object))
    out = out.reshape(shape)
    return int(out) if out.ndim == 0 else out


def incircle(a: ArrayLike, b: ArrayLike, c: ArrayLike, d: ArrayLike) -> Any:  # int, or an int64 array
    """Exact in-circle test of ``d`` against the circle through ``a, b, c``.

    Parameters
    ----------
    a, b, c, d : (..., 2) array_like
        Points; leading axes broadcast against each other.

    Returns
    -------
    int or (...) int64 ndarray
        With ``(a, b, c)`` counter-clockwise: ``+1`` if ``d`` lies strictly inside
        the circumcircle, ``-1`` if strictly outside, ``0`` if the four points are
        cocircular (or ``a, b, c`` are collinear and ``d`` is on their line). The
        sign flips when ``(a, b, c)`` is clockwise (Shewchuk's convention). Exact
        for any finite float64 input.
    """
    (a, b, c, d), shape = _broadcast_points((("a", a), ("b", b), ("c", c), ("d", d)))
    ax, ay, bx, by = a[:, 0], a[:, 1], b[:, 0], b[:, 1]
    cx, cy, dx, dy = c[:, 0], c[:, 1], d[:, 0], d[:, 1]
    with np.errstate(all="ignore"):
        adx, ady = ax - dx, ay - dy
        bdx, bdy = bx - dx, by - dy
        cdx, cdy = cx - dx, cy - dy
        bdxcdy, cdxbdy = bdx * cdy, cdx * bdy
        cdxady, adxcdy = cdx * ady, adx * cdy
        adxbdy, bdxady = adx * bdy, bdx * ady
        alift = adx * adx + ady * ady
        blift = bdx * bdx + bdy * bdy
        clift = cdx * cdx + cdy * cdy
        det = alift * (bdxcdy - cdxbdy) + blift * (cdxady - adxcdy) + clift * (adxbdy - bdxady)
        perm = (
            (np.abs(bdxcdy) + np.abs(cdxbdy)) * alift
            + (np.abs(cdxady) + np.abs(adxcdy)) * blift
            + (np.abs(adxbdy) + np.abs(bdxady)) * clift
        )
        sure = (np.abs(det) > _ICC_BOUND * perm) & (perm > _TINY) & np.isfinite(perm)
    out = np.where(sure, np.sign(np.where(sure, det, 0.0)), 0).astype(np.int64)
    bad = np.flatnonzero(~sure)
    if bad.size:
        pts = np.stack([a[bad], b[bad], c[bad], d[bad]], axis=1)  # (k, 4, 2)
        ints = _to_exact_ints(pts)
        det_exact = _incircle_det(*(ints[:, i // 2, i % 2] for i in range(8)))
        out[bad] = _sign_obj(np.asarray(det_exact, dtype=object))
    out = out.reshape(shape)
    return int(out) if out.ndim == 0 else out


def orient2d_table(points: NDArray[np.float64]) -> NDArray[np.int8]:
    """Exact orientation of every ordered triple of ``points``.

    Parameters
    ----------
    points : (n_points, 2) float64 ndarray

    Returns
    -------
    (n_points, n_points, n_points) int8 ndarray
        ``table[i, j, k] = orient2d(points[i], points[j], points[k])``.

    Notes
    -----
    Evaluated in blocks of rows ``i`` (about 2**21 triples each), so the float
    temporaries stay small; the int8 table itself takes ``n**3`` bytes.
    """
    n = len(points)
    x, y = points[:, 0], points[:, 1]
    out = np.empty((n, n, n), dtype=np.int8)
    dx = x[None, :] - x[:, None]  # dx[i, j] = x_j - x_i
    dy = y[None, :] - y[:, None]
    block = max(1, (1 << 21) // max(n * n, 1))
    ints = None
    for i0 in range(0, n, block):
        i1 = min(n, i0 + block)
        with np.errstate(all="ignore"):
            left = dx[i0:i1, :, None] * dy[i0:i1, None, :]  # (x_j - x_i)(y_k - y_i)
            right = dy[i0:i1, :, None] * dx[i0:i1, None, :]  # (y_j - y_i)(x_k - x_i)
            det = left - right
            perm = np.abs(left) + np.abs(right)
            sure = (np.abs(det) > _CCW_BOUND * perm) & (perm > _TINY) & np.isfinite(perm)
        sub = np.sign(np.where(sure, det, 0.0)).astype(np.int8)
        # the diagonal cases (repeated index) are exactly zero; skip the exact stage for them
        i, j, k = np.nonzero(~sure)
        i += i0
        keep = (i != j) & (j != k) & (i != k)
        i, j, k = i[keep], j[keep], k[keep]
        sub[~sure] = 0
        out[i0:i1] = sub
        if i.size:
            if ints is None:
                ints = _to_exact_ints(points)
            X, Y = ints[:, 0], ints[:, 1]
            det_exact = (X[j] - X[i]) * (Y[k] - Y[i]) - (Y[j] - Y[i]) * (X[k] - X[i])
            out[i, j, k] = _sign_obj(np.asarray(det_exact, dtype=object))
    return out


def _bareiss_det(rows: list[list[int]]) -> int:
    """Exact determinant of a square integer matrix (fraction-free Gaussian elimination)."""
    a = [list(r) for r in rows]
    n = len(a)
    sign, prev = 1, 1
    for k in range(n - 1):
        if a[k][k] == 0:
            swap = next((i for i in range(k + 1, n) if a[i][k] != 0), None)
            if swap is None:
                return 0
            a[k], a[swap] = a[swap], a[k]
            sign = -sign
        for i in range(k + 1, n):
            for j in range(k + 1, n):
                a[i][j] = (a[i][j] * a[k][k] - a[i][k] * a[k][j]) // prev
        prev = a[k][k]
    return sign * a[n - 1][n - 1]


# Normalised volume |det| / prod(edge norms) above which the float64 determinant's sign is
# certain: LU with partial pivoting perturbs the rows by at most ~ d * 2**d * eps relative
# (plus the rounding of the edge vectors), far below 1e-10 for any d <= 12.
_ORIENT_FILTER = 1e-10


def orientation(vertices: ArrayLike) -> NDArray[np.int64]:
    """Exact orientation sign of simplices in any dimension.

    Parameters
    ----------
    vertices : (n_simplices, n_dims + 1, n_dims) array_like
        Vertex coordinates of each simplex.

    Returns
    -------
    (n_simplices,) int64 ndarray
        The exact sign of ``det[v_1 - v_0, ..., v_d - v_0]``: ``0`` exactly when the
        simplex is flat. A float filter decides well-shaped simplices; the rest
        (slivers, underflow, overflow) are decided with exact integer arithmetic,
        so the answer does not depend on the scale of the coordinates.
    """
    v = np.asarray(vertices, dtype=np.float64)
    m, k, d = v.shape
    if m == 0:
        return np.zeros(0, dtype=np.int64)
    if d == 1:
        return np.sign(v[:, 1, 0] - v[:, 0, 0]).astype(np.int64)  # exact: rounding keeps the sign
    if d == 2:
        return np.asarray(orient2d(v[:, 0], v[:, 1], v[:, 2]), dtype=np.int64).reshape(m)
    with np.errstate(all="ignore"):
        # scale each simplex by a power of two (exact) so that its entries are O(1)
        big = np.max(np.abs(v), axis=(1, 2))
        expo = np.frexp(np.where(big > 0, big, 1.0))[1]
        vs = np.ldexp(v, -expo[:, None, None])
        e = vs[:, 1:, :] - vs[:, :1, :]
        det = np.linalg.det(e)
        norms = np.prod(np.linalg.norm(e, axis=2), axis=1)
        sure = np.isfinite(det) & (np.abs(det) > _ORIENT_FILTER * norms) & (norms > 1e-200)
    out = np.where(sure, np.sign(np.where(sure, det, 0.0)), 0).astype(np.int64)
    for i in np.flatnonzero(~sure):
        ints = _to_exact_ints(v[i])
        rows = [[int(ints[r + 1, c] - ints[0, c]) for c in range(d)] for r in range(d)]
        det_exact = _bareiss_det(rows)
        out[i] = (det_exact > 0) - (det_exact < 0)
    return out
