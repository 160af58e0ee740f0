"""Piecewise-linear interpolants on triangulations, their exact errors and bounds.

Errors are computed simplex by simplex and returned per simplex, so the error
of any other triangulation made of the same simplices is a sum (L1, squared
L2) or a maximum (Linf) of numbers already computed, with no new evaluation of
the target.

Quadrature (L2, L1): the Grundmann-Moeller rule of index ``s`` on each simplex,
exact for polynomials of degree ``2s + 1`` (default ``s = 3``: degree 7). The
squared error ``(f - I f)^2`` of a quadratic ``f`` is a quartic, so L2 errors of
quadratic targets are exact to round-off; for other smooth targets the rule's
error falls like ``h^(2s+2)`` times a derivative of order ``2s + 2``.

Linf: the maximum of ``|f - I f|`` over the barycentric lattice of order ``N``
on each simplex (its ``N^d`` sub-simplices have edges ``(v_i - v_j) / N``). The
returned value is a lower bound of the true maximum; with a Hessian bound
``M`` it is also within ``accuracy = 1/2 * M * r^2`` of it, ``r`` the
smallest-ball radius of a sub-simplex (``R_min / N`` in 2D; the Jung bound
``diam / N * sqrt(d / (2(d+1)))`` in general), because ``f - I f`` differs
from its own lattice interpolant by at most that (Waldron's bound).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from ._validation import as_float_array, check_int, check_option, check_positive, check_values
from .errors import DegenerateInputError, InvalidInputError
from .triangulation._triangulation import Triangulation, simplex_volumes

__all__ = [
    "PiecewiseLinearInterpolant",
    "ErrorResult",
    "interpolation_error",
    "simplex_errors",
    "error_bounds",
    "min_enclosing_radius",
    "circumspheres",
    "grundmann_moeller",
]

_NORMS = ("l2", "linf", "l1")


def _check_triangulation(tri, name: str = "tri") -> Triangulation:
    if not isinstance(tri, Triangulation):
        raise InvalidInputError(f"'{name}' must be a geoquant Triangulation, found {type(tri).__name__}")
    return tri


class PiecewiseLinearInterpolant:
    """Linear interpolant of point values on a triangulation, in any dimension.

    Parameters
    ----------
    tri : Triangulation
        Any triangulation (Delaunay or not, fine or not).
    values : (n_points,) array_like
        Values at the points (values of unused points are ignored).

    Notes
    -----
    Calling the interpolant on ``xi`` of shape ``(..., n_dims)`` returns shape
    ``(...)``; points outside the convex hull give NaN (by definition, the
    interpolant exists only on the hull), points on its boundary are inside.

    Examples
    --------
    An affine function is reproduced exactly; outside the hull the interpolant is undefined (NaN):

    >>> from geoquant import delaunay
    >>> tri = delaunay([[0, 0], [1, 0], [0, 1], [1, 1]])
    >>> f = PiecewiseLinearInterpolant(tri, [0.0, 1.0, 2.0, 3.0])  # x + 2 y at the vertices
    >>> f([[0.25, 0.5], [2.0, 2.0]])
    array([1.25,  nan])
    """

    def __init__(self, tri: Triangulation, values):
        self.tri = _check_triangulation(tri)
        self.values = check_values(values, tri.n_points, "values")

    def __call__(self, xi) -> np.ndarray:
        s, lam = self.tri.barycentric(xi)
        vals = self.values[self.tri.simplices[np.where(s >= 0, s, 0)]]
        out = np.einsum("...k,...k->...", lam, vals)
        return np.where(s >= 0, out, np.nan)

    @property
    def gradients(self) -> np.ndarray:
        """(n_simplices, n_dims) gradient of the interpolant on each simplex."""
        return _simplex_gradients(self.tri.points, self.tri.simplices, self.values)

    def __repr__(self):
        return f"PiecewiseLinearInterpolant({self.tri!r})"


def _simplex_gradients(points, simplices, values):
    v = points[simplices]
    edges = v[:, 1:, :] - v[:, :1, :]  # (m, d, d)
    dv = values[simplices[:, 1:]] - values[simplices[:, :1]]  # (m, d)
    return np.linalg.solve(edges, dv[..., None])[..., 0]


# --------------------------------------------------------------- quadrature
def _compositions(total: int, parts: int):
    """All tuples of ``parts`` non-negative ints summing to ``total``."""
    for bars in itertools.combinations(range(total + parts - 1), parts - 1):
        prev, out = -1, []
        for b in bars:
            out.append(b - prev - 1)
            prev = b
        out.append(total + parts - 1 - prev - 1)
        yield tuple(out)


def grundmann_moeller(d: int, s: int = 3):
    """Grundmann-Moeller rule on the d-simplex, exact for degree ``2s + 1``.

    Returns
    -------
    bary : (n_nodes, d + 1) ndarray
        Barycentric coordinates of the nodes.
    weights : (n_nodes,) ndarray
        Weights normalised to sum to 1: the integral over a simplex of volume
        ``V`` is ``V * weights @ f(nodes)``. Some weights are negative.
    """
    nodes, weights = [], []
    for i in range(s + 1):
        denom = d + 2 * s + 1 - 2 * i
        w = (-1) ** i * 2.0 ** (-2 * s) * denom ** (2 * s + 1) / (math.factorial(i) * math.factorial(d + 2 * s + 1 - i))
        for beta in _compositions(s - i, d + 1):
            nodes.append([(2 * b + 1) / denom for b in beta])
            weights.append(w * math.factorial(d))
    return np.array(nodes), np.array(weights)


def barycentric_lattice(d: int, n: int) -> np.ndarray:
    """Barycentric lattice points of order n: (n_pts, d + 1)."""
    return np.array(list(_compositions(n, d + 1)), dtype=float) / n


@dataclass
class ErrorResult:
    """Interpolation error of a piecewise-linear interpolant, simplex by simplex.

    Attributes
    ----------
    norm : str
        "l2", "l1" or "linf".
    total : float
        The error over the hull: ``sqrt(sum(per_simplex))`` for L2,
        ``sum(per_simplex)`` for L1, ``max(per_simplex)`` for Linf.
    per_simplex : (n_simplices,) ndarray
        L2: integral of ``(f - I f)^2`` over each simplex; L1: integral of
        ``|f - I f|``; Linf: max of ``|f - I f|`` over the simplex's lattice.
    accuracy : (n_simplices,) ndarray or None
        Linf only, when a Hessian bound is known: the true maximum on each
        simplex is at most ``per_simplex + accuracy``.
    method : str
        The quadrature or refinement used.
    """

    norm: str
    total: float
    per_simplex: np.ndarray
    accuracy: np.ndarray | None = None
    method: str = ""

    def combine(self, mask) -> float:
        """Total error of the sub-collection of simplices selected by ``mask``."""
        part = self.per_simplex[mask]
        if self.norm == "l2":
            return float(np.sqrt(part.sum()))
        if self.norm == "l1":
            return float(part.sum())
        return float(part.max()) if len(part) else 0.0


def _eval_target(f, x: np.ndarray) -> np.ndarray:
    """Evaluate ``f`` on points (..., d), raising if it returns the wrong shape or NaN."""
    y = as_float_array(f(x), "f", finite=False)
    if y.shape != x.shape[:-1]:
        if x.shape[-1] == 1 and y.shape == x.shape:
            y = y[..., 0]
        else:
            raise InvalidInputError(
                f"'f' must map points of shape (..., d) to values of shape (...); for input {x.shape} it returned {y.shape}"
            )
    if not np.all(np.isfinite(y)):
        raise InvalidInputError("'f' returned NaN or inf inside the convex hull of the points")
    return y


def simplex_errors(
    points,
    simplices,
    f,
    norm: str = "l2",
    *,
    values=None,
    quad_index: int = 3,
    linf_order: int | None = None,
    hessian_bound: float | None = None,
    chunk: int = 20000,
) -> ErrorResult:
    """Per-simplex interpolation errors of ``f`` for arbitrary simplices.

    Like :func:`interpolation_error` but for any ``(k, d+1)`` index array (the
    simplices need not form a triangulation), e.g. to cost every candidate
    triangle of a point set once.

    Parameters
    ----------
    points : (n_points, n_dims) array_like
    simplices : (n_simplices, n_dims + 1) array_like of int
    f : callable
        Maps ``(..., n_dims)`` to ``(...)``; a :class:`geoquant.targets.Target` works.
    norm : {"l2", "linf", "l1"}
    values : (n_points,) array_like, optional
        Data values at the points (default ``f(points)``).
    quad_index : int
        Grundmann-Moeller index s (degree ``2s + 1``) for L2/L1.
    linf_order : int, optional
        Lattice order N for Linf (default 8 in 1D-2D, 4 in 3D, 2 above).
    hessian_bound : float, optional
        M for the Linf accuracy (default ``f.hessian_bound`` if present).
    """
    check_option(norm, "norm", _NORMS)
    if not callable(f):
        raise InvalidInputError(f"'f' must be callable on points of shape (..., n_dims), found {type(f).__name__}")
    pts = as_float_array(points, "points", ndim=(1, 2))
    if pts.ndim == 1:
        pts = pts[:, None]
    d = pts.shape[1]
    simp = _check_simplices(simplices, len(pts))
    m = len(simp)
    if simp.shape[1] != d + 1:
        raise InvalidInputError(f"'simplices' must have shape (n_simplices, {d + 1}), found {simp.shape}")
    quad_index = check_int(quad_index, "quad_index", min_value=0)
    check_int(chunk, "chunk", min_value=1)
    vals = _eval_target(f, pts) if values is None else check_values(values, len(pts), "values")
    if norm == "linf":
        n_ord = check_int(linf_order if linf_order is not None else (8 if d <= 2 else 4 if d == 3 else 2), "linf_order", min_value=1)
        bary = barycentric_lattice(d, n_ord)
    else:
        bary, weights = grundmann_moeller(d, quad_index)
    out = np.empty(m)
    for lo in range(0, m, chunk):
        sl = simp[lo : lo + chunk]
        v = pts[sl]  # (c, d+1, d)
        x = np.einsum("qk,ckd->cqd", bary, v)
        interp = bary @ vals[sl].T  # (q, c)
        err = _eval_target(f, x) - interp.T  # (c, q)
        if norm == "linf":
            out[lo : lo + chunk] = np.abs(err).max(axis=1)
        else:
            vol = simplex_volumes(pts, sl)
            integrand = err**2 if norm == "l2" else np.abs(err)
            out[lo : lo + chunk] = vol * (integrand @ weights)
    if norm == "l2":
        out = np.maximum(out, 0.0)  # negative GM weights can give -1e-20 on exact fits
        total = float(np.sqrt(out.sum()))
        method = f"Grundmann-Moeller index {quad_index} (degree {2 * quad_index + 1})"
    elif norm == "l1":
        out = np.maximum(out, 0.0)
        total = float(out.sum())
        method = f"Grundmann-Moeller index {quad_index} (degree {2 * quad_index + 1}) on |f - If| (not polynomial: approximate)"
    else:
        total = float(out.max()) if m else 0.0
        method = f"barycentric lattice of order {n_ord}"
    accuracy = None
    if norm == "linf":
        M = hessian_bound if hessian_bound is not None else getattr(f, "hessian_bound", None)
        if M is not None:
            M = check_positive(M, "hessian_bound", strict=False)
            if d == 2:
                r = min_enclosing_radius(pts, simp) / n_ord
            else:
                v = pts[simp]
                diam = np.max(np.linalg.norm(v[:, :, None, :] - v[:, None, :, :], axis=-1), axis=(1, 2))
                r = diam / n_ord * math.sqrt(d / (2 * (d + 1)))
            accuracy = 0.5 * M * r**2
    return ErrorResult(norm=norm, total=total, per_simplex=out, accuracy=accuracy, method=method)


def interpolation_error(tri: Triangulation, f, norm: str = "l2", **kwargs) -> ErrorResult:
    """Error of the linear interpolant of ``f`` on ``tri`` over the convex hull.

    Parameters
    ----------
    tri : Triangulation
    f : callable
        The target, mapping ``(..., n_dims)`` to ``(...)``; the interpolant uses
        ``f`` at the points (or ``values=`` if given).
    norm : {"l2", "linf", "l1"}
    **kwargs
        Passed to :func:`simplex_errors` (``values``, ``quad_index``,
        ``linf_order``, ``hessian_bound``).

    Returns
    -------
    ErrorResult
        ``total`` and ``per_simplex`` (see :class:`ErrorResult`).

    Examples
    --------
    For ``|x|^2`` the largest error on a triangle is ``R_min^2`` (docs/theory.md §8, check 8): the unit
    square's two right triangles have their circumcentre on the hypotenuse, ``R_min^2 = 1/2``:

    >>> from geoquant import delaunay
    >>> tri = delaunay([[0, 0], [1, 0], [0, 1], [1, 1]])
    >>> err = interpolation_error(tri, lambda x: (x**2).sum(-1), norm="linf")
    >>> err.per_simplex.round(12).tolist(), round(err.total, 12)
    ([0.5, 0.5], 0.5)
    """
    tri = _check_triangulation(tri)
    if not callable(f):
        raise InvalidInputError(f"'f' must be callable on points of shape (..., {tri.n_dims}), found {type(f).__name__}")
    unknown = sorted(set(kwargs) - set(_ERROR_OPTIONS))
    if unknown:
        raise InvalidInputError(
            f"interpolation_error got unknown keyword(s) {', '.join(map(repr, unknown))}; "
            f"the options are {', '.join(_ERROR_OPTIONS)}"
        )
    return simplex_errors(tri.points, tri.simplices, f, norm, **kwargs)


_ERROR_OPTIONS = ("values", "quad_index", "linf_order", "hessian_bound", "chunk")


# ----------------------------------------------------------------- geometry
def _check_simplices(simplices, n_points: int, name: str = "simplices") -> np.ndarray:
    """Index rows ``(m, k)`` as int64, refusing non-integer, ragged or out-of-range indices."""
    try:
        raw = np.asarray(simplices)
    except (TypeError, ValueError):
        raise InvalidInputError(f"'{name}' must be an integer array of shape (n_simplices, n_dims + 1)") from None
    if raw.size and not np.issubdtype(raw.dtype, np.integer):
        raise InvalidInputError(f"'{name}' must hold integer indices, found dtype {raw.dtype}")
    simp = raw.astype(np.int64) if raw.size else np.zeros((0, 2), dtype=np.int64)
    if simp.ndim != 2 or simp.shape[1] < 2:
        raise InvalidInputError(f"'{name}' must have shape (n_simplices, n_dims + 1), found {simp.shape}")
    if simp.size and (simp.min() < 0 or simp.max() >= n_points):
        bad = simp[(simp < 0) | (simp >= n_points)][0]
        raise InvalidInputError(f"'{name}' must index points in 0 <= i < {n_points}, found {int(bad)}")
    return simp


def _simplex_vertices(points, simplices, name: str = "simplices") -> np.ndarray:
    """Vertex coordinates ``(m, k, d)`` of validated index rows."""
    pts = as_float_array(points, "points", ndim=(1, 2))
    if pts.ndim == 1:
        pts = pts[:, None]
    return pts[_check_simplices(simplices, len(pts), name)]


def circumspheres(points, simplices):
    """Circumcentres and circumradii of full-dimensional simplices.

    Parameters
    ----------
    points : (n_points, n_dims) array_like
    simplices : (n_simplices, n_dims + 1) array_like of int

    Returns
    -------
    centres : (n_simplices, n_dims) ndarray
    radii : (n_simplices,) ndarray
        Accurate for thin simplices too (slivers have large, finite circumradii).

    Raises
    ------
    DegenerateInputError
        A simplex is flat (its circumsphere does not exist).
    """
    v = _simplex_vertices(points, simplices)
    if v.shape[1] != v.shape[2] + 1:
        raise InvalidInputError(f"'simplices' must have {v.shape[2] + 1} vertices each, found {v.shape[1]}")
    c, r = _subset_circumspheres(v)
    bad = np.flatnonzero(~np.isfinite(r))
    if len(bad):
        raise DegenerateInputError(
            f"'simplices' must be full-dimensional to have a circumsphere, found {len(bad)} flat simplices, "
            f"first at index {int(bad[0])}"
        )
    return c, r


def _subset_circumspheres(v: np.ndarray):
    """Centre (in the affine hull) and radius of the circumsphere of each vertex set v (m, k+1, d).

    Solved in a frame centred on the first vertex and scaled per simplex, through a QR
    factorisation of the edge matrix (not its Gram matrix, whose condition number is the
    square), so thin simplices keep their accuracy. Flat vertex sets give NaN centres and
    infinite radii.
    """
    m, k1, d = v.shape
    k = k1 - 1
    with np.errstate(all="ignore"):
        scale = np.max(np.abs(v - v[:, :1, :]), axis=(1, 2))
        scale = np.where(scale > 0, scale, 1.0)
        a = (v[:, 1:, :] - v[:, :1, :]) / scale[:, None, None]  # (m, k, d), entries <= 1
        q, rr = np.linalg.qr(np.swapaxes(a, 1, 2))  # a^T = Q R, Q (m, d, k), R (m, k, k)
        rhs = 0.5 * np.einsum("mkd,mkd->mk", a, a)
        # a c = rhs with c = Q y (the centre lies in the span of the edges): R^T y = rhs
        diag = np.abs(np.einsum("mii->mi", rr))
        flat = np.any(diag <= 1e-14 * np.max(diag, axis=1, keepdims=True), axis=1) | (diag.max(axis=1) == 0)
        y = np.zeros((m, k))
        for i in range(k):
            y[:, i] = (rhs[:, i] - np.einsum("mj,mj->m", rr[:, :i, i], y[:, :i])) / np.where(flat, 1.0, rr[:, i, i])
        local = np.einsum("mdk,mk->md", q, y)
        centre = v[:, 0, :] + local * scale[:, None]
        radius = np.linalg.norm(local, axis=1) * scale
    centre[flat] = np.nan
    radius[flat] = np.inf
    return centre, radius


def min_enclosing_radius(points, simplices) -> np.ndarray:
    """Radius of the smallest ball containing each simplex.

    Parameters
    ----------
    points : (n_points, n_dims) array_like
    simplices : (n_simplices, k) array_like of int
        Vertex index rows (``k = n_dims + 1`` for simplices).

    Returns
    -------
    (n_simplices,) ndarray
        The circumradius when the circumcentre lies in the simplex, smaller for
        obtuse simplices. The smallest enclosing ball is the circumball of some face;
        among the faces whose circumball (centred in the face's affine hull) holds every
        vertex, it is the one of least radius. Always finite: the ball of the longest
        edge's farthest vertex pair is a fallback candidate for flat vertex sets.
    """
    v = _simplex_vertices(points, simplices)
    m, k, _ = v.shape
    # centre every simplex on its vertex mean so that the containment test's rounding is
    # relative to the simplex's own size, not to the size of the coordinates
    v = v - v.mean(axis=1, keepdims=True)
    best = np.full(m, np.inf)
    scale = np.max(np.linalg.norm(v, axis=2), axis=1)
    for size in range(2, k + 1):
        for subset in itertools.combinations(range(k), size):
            c, r = _subset_circumspheres(v[:, list(subset), :])
            with np.errstate(invalid="ignore"):
                dist = np.linalg.norm(v - c[:, None, :], axis=2).max(axis=1)
                ok = np.isfinite(r) & (dist <= r * (1 + 1e-9) + 1e-12 * scale)
            best = np.where(ok & (r < best), r, best)
    if m and not np.all(np.isfinite(best)):  # pragma: no cover - the full circumball always qualifies
        raise DegenerateInputError("'simplices' must be full-dimensional, found flat simplices")
    return best


def error_bounds(tri: Triangulation, M: float) -> np.ndarray:
    """Waldron's sharp Linf bound per simplex: ``1/2 * M * R_min^2``.

    Parameters
    ----------
    tri : Triangulation
    M : float
        Bound on the spectral norm of the target's Hessian over the hull.

    Returns
    -------
    (n_simplices,) ndarray
        ``sup_S |f - I f| <= bound[S]`` for every ``f`` with Hessian norm ``<= M``;
        equality for ``f = M/2 |x|^2``.

    Examples
    --------
    Waldron's bound is sharp for ``|x|^2`` (``M = 2``): it equals the errors of :func:`interpolation_error`'s example.

    >>> from geoquant import delaunay
    >>> error_bounds(delaunay([[0, 0], [1, 0], [0, 1], [1, 1]]), 2.0).round(12).tolist()
    [0.5, 0.5]
    """
    tri = _check_triangulation(tri)
    M = check_positive(M, "M", strict=False)
    return 0.5 * M * min_enclosing_radius(tri.points, tri.simplices) ** 2
