"""The one error engine: exact per-simplex L2 / L1 / Linf errors of a piecewise-linear function."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._deprecation import warn_deprecated
from .._quadrature import (
    barycentric_lattice,
    clip_simplices_to_box,
    grundmann_moeller,
    refine_simplices,
    rule_index,
    vertex_simplex_volumes,
)
from .._validation import as_float_array, check_int, check_memory, check_option, check_positive, check_values
from ..errors import InvalidInputError, UnsupportedError
from ..points import check_domain
from ..triangulation import Triangulation

from ._bounds import _check_simplices, min_enclosing_radius
from ._interpolant import _check_triangulation


_NORMS = ("l2", "linf", "l1")


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
        One number per simplex, in the units of its norm:

        * ``"l2"``: the **squared** L2 error, ``integral of (f - I f)^2`` over
          the simplex (units of ``f**2 * volume``). The L2 error of any set of
          simplices is ``sqrt(sum(per_simplex[set]))`` (:meth:`combine`); a
          per-triangle cost for :func:`geoquant.triangulation.optimal_triangulation`
          is ``per_simplex`` itself, not its square (or use
          :func:`geoquant.interpolate.l2_optimal_triangulation`).
        * ``"l1"``: ``integral of |f - I f|`` (units of ``f * volume``).
        * ``"linf"``: ``max |f - I f|`` over the lattice (refined: also the rule
          nodes), in units of ``f``.
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

    def combine(self, mask: np.ndarray) -> float:
        """Total error of the sub-collection of simplices selected by ``mask``."""
        part = self.per_simplex[mask]
        if self.norm == "l2":
            return float(np.sqrt(part.sum()))
        if self.norm == "l1":
            return float(part.sum())
        return float(part.max()) if len(part) else 0.0


def _eval_target(f: Callable[[NDArray[np.float64]], ArrayLike], x: np.ndarray) -> np.ndarray:
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


def _eval_nodes(f: Callable[[NDArray[np.float64]], ArrayLike], x: np.ndarray) -> np.ndarray:
    """``f`` at nodes ``(m, q, d)``, called once on the flat ``(m * q, d)`` array; returns ``(m, q)``."""
    return _eval_target(f, x.reshape(-1, x.shape[-1])).reshape(x.shape[:-1])


#: working set of one block of simplices (bytes): small blocks are cache-friendly and bound the peak memory
_BLOCK_BYTES = 32 * 2**20


def _parent_affine(x: np.ndarray, T: np.ndarray, pv: np.ndarray) -> np.ndarray:
    """``(m, q)`` values at ``x (m, q, d)`` of the affine functions with values ``pv (m, d+1)`` at vertices ``T``."""
    A = np.transpose(T[:, 1:, :] - T[:, :1, :], (0, 2, 1))
    lam = np.linalg.solve(A, np.transpose(x - T[:, :1, :], (0, 2, 1)))
    return (1.0 - lam.sum(axis=1)) * pv[:, :1] + np.einsum("mdq,md->mq", lam, pv[:, 1:])


def _error_arrays(
    pts: np.ndarray,
    vals: np.ndarray,
    simp: np.ndarray,
    f: Callable[[NDArray[np.float64]], ArrayLike],
    norms: Sequence[str],
    *,
    degree: int,
    refine: int,
    linf_order: int,
    box: np.ndarray | None,
    chunk: int,
) -> dict[str, np.ndarray]:
    """The error engine: per-simplex errors of the interpolant of ``vals`` for each norm in ``norms``.

    Returns a dict norm -> ``(n_simplices,)`` array (see :class:`ErrorResult`), ``chunk``
    simplices at a time. Plain simplices (no box, no refinement) use the rule's barycentric
    nodes directly; otherwise each simplex is clipped to ``box`` and refined, and the
    interpolant on a piece is its parent's affine function (nodes' coordinates solved in it).
    """
    k, d = len(simp), pts.shape[1]
    bary, weights = grundmann_moeller(d, degree=degree)
    lat = barycentric_lattice(d, linf_order if refine == 0 else max(2, -(-linf_order // 2**refine)))
    integrals = [n for n in norms if n != "linf"]
    out = {n: np.zeros(k) for n in norms}
    for lo in range(0, k, chunk):
        sl = simp[lo : lo + chunk]
        cells = pts[sl]
        if box is None and refine == 0:
            if integrals:
                err = _eval_nodes(f, np.einsum("qk,ckd->cqd", bary, cells)) - (bary @ vals[sl].T).T
                vol = vertex_simplex_volumes(cells)
                for n in integrals:
                    out[n][lo : lo + chunk] = np.maximum(vol * ((err**2 if n == "l2" else np.abs(err)) @ weights), 0.0)
            if "linf" in norms:
                err = _eval_nodes(f, np.einsum("qk,ckd->cqd", lat, cells)) - (lat @ vals[sl].T).T
                out["linf"][lo : lo + chunk] = np.abs(err).max(axis=1)
            continue
        if box is None:
            pieces, parent = cells, np.arange(len(sl))
        else:
            pieces, parent = clip_simplices_to_box(cells, box)
        if len(pieces) == 0:
            continue
        if refine:
            pieces, sub = refine_simplices(pieces, refine)
            parent = parent[sub]
        parents = (cells[parent], vals[sl[parent]])
        nodes = np.einsum("qv,kvd->kqd", bary, pieces)
        err = _eval_nodes(f, nodes) - _parent_affine(nodes, *parents)
        if integrals:
            vol = vertex_simplex_volumes(pieces)
            for n in integrals:
                part = vol * ((err**2 if n == "l2" else np.abs(err)) @ weights)
                out[n][lo : lo + chunk] = np.bincount(parent, weights=np.maximum(part, 0.0), minlength=len(sl))
        if "linf" in norms:
            latp = np.einsum("qv,kvd->kqd", lat, pieces)
            lin = np.abs(_eval_nodes(f, latp) - _parent_affine(latp, *parents)).max(axis=1)
            if refine:  # the rule's nodes are evaluated anyway: they count for the max too
                lin = np.maximum(lin, np.abs(err).max(axis=1))
            mx = np.zeros(len(sl))
            np.maximum.at(mx, parent, lin)
            out["linf"][lo : lo + chunk] = mx
    return out


def _check_degree(degree: int | None, quad_index: int | None) -> int:
    """The rule's ``degree``; the deprecated ``quad_index`` s is accepted as ``degree = 2 s + 1``."""
    if quad_index is not None:
        s = check_int(quad_index, "quad_index", min_value=0)
        if degree is not None:
            raise InvalidInputError("give the rule as 'degree' only, found both 'degree' and the deprecated 'quad_index'")
        warnings.warn(
            f"'quad_index' is deprecated: pass degree={2 * s + 1} (the rule's exact polynomial degree 2 * quad_index + 1)",
            DeprecationWarning,
            stacklevel=4,
        )
        return 2 * s + 1
    return check_int(7 if degree is None else degree, "degree", min_value=0)


def _prepare(
    points: ArrayLike,
    simplices: ArrayLike,
    f: Callable[[NDArray[np.float64]], ArrayLike],
    *,
    degree: int | None,
    refine: int,
    linf_order: int | None,
    box: ArrayLike | None,
    chunk: int | None,
) -> tuple[np.ndarray, np.ndarray, int, int, int, np.ndarray | None, int]:
    """Validated inputs of the engine: points, simplices, degree, refine, lattice order, box, block size."""
    if not callable(f):
        raise InvalidInputError(f"'f' must be callable on points of shape (..., n_dims), found {type(f).__name__}")
    pts = as_float_array(points, "points", ndim=(1, 2))
    if pts.ndim == 1:
        pts = pts[:, None]
    d = pts.shape[1]
    simp = _check_simplices(simplices, len(pts))
    if len(simp) and simp.shape[1] != d + 1:
        raise InvalidInputError(f"'simplices' must have shape (n_simplices, {d + 1}), found {simp.shape}")
    simp = simp.reshape(-1, d + 1)
    degree = check_int(degree, "degree", min_value=0)
    refine = check_int(refine, "refine", min_value=0)
    b = None if box is None else check_domain(box, d, "box")
    if (refine or b is not None) and d > 2:
        raise UnsupportedError(f"'refine' and 'box' are implemented in 1D and 2D, found dimension {d}")
    n_ord = check_int(linf_order if linf_order is not None else (8 if d <= 2 else 4 if d == 3 else 2), "linf_order", min_value=1)
    n_nodes = len(grundmann_moeller(d, degree=degree)[1]) + math.comb(n_ord + d, d)
    pieces = (1 if b is None or d == 1 else 5) * 2 ** (d * refine)  # a triangle cut by a box: at most 5 pieces
    per_simplex = pieces * n_nodes * 8 * (4 * d + 16)  # bytes: nodes, coordinates, values, temporaries
    check_memory(per_simplex, f"interpolation errors with refine={refine} and degree={degree} (per simplex)",
                 "lower 'refine' or 'degree'")
    if chunk is None:
        chunk = max(1, _BLOCK_BYTES // per_simplex)
    else:
        chunk = check_int(chunk, "chunk", min_value=1)
        check_memory(per_simplex * float(chunk), f"a block of chunk={chunk} simplices", "lower 'chunk'")
    return pts, simp, degree, refine, n_ord, b, chunk


def simplex_errors(
    points: ArrayLike,
    simplices: ArrayLike,
    f: Callable[[NDArray[np.float64]], ArrayLike],
    norm: Literal["l2", "linf", "l1"] = "l2",
    *,
    values: ArrayLike | None = None,
    degree: int | None = None,
    linf_order: int | None = None,
    hessian_bound: float | None = None,
    refine: int = 0,
    box: ArrayLike | None = None,
    chunk: int | None = None,
    quad_index: int | None = None,
) -> ErrorResult:
    """Per-simplex interpolation errors of ``f`` for arbitrary simplices: the one error engine.

    For ``norm="l2"`` each entry of ``per_simplex`` is the **squared** L2 error
    of its simplex (``integral of (f - I f)^2``); ``total`` is the L2 error.

    Like :func:`interpolation_error` but for any ``(k, d+1)`` index array (the
    simplices need not form a triangulation), e.g. to cost every candidate
    triangle of a point set once. Vectorised over blocks of simplices whose
    working set is bounded (about 32 MiB; the memory budget of
    :func:`geoquant._validation.check_memory` is enforced).

    Parameters
    ----------
    points : (n_points, n_dims) array_like
    simplices : (n_simplices, n_dims + 1) array_like of int
    f : callable
        Maps ``(m, n_dims)`` to ``(m,)``; a :class:`geoquant.targets.Target` works.
    norm : {"l2", "linf", "l1"}
    values : (n_points,) array_like, optional
        Data values at the points (default ``f(points)``).
    degree : int, default 7
        Polynomial degree the Grundmann-Moeller rule integrates exactly (L2, L1;
        see :func:`geoquant._quadrature.grundmann_moeller`).
    linf_order : int, optional
        Lattice order N for Linf (default 8 in 1D-2D, 4 in 3D, 2 above). With
        ``refine > 0`` each child gets order ``max(2, ceil(N / 2**refine))`` and
        the rule's nodes count too, so the resolution per simplex is at least N.
    hessian_bound : float, optional
        M for the Linf accuracy (default ``f.hessian_bound`` if present).
    refine : int, default 0
        Uniform subdivisions of each simplex (1D and 2D) before the rule is
        applied; the interpolant stays the simplex's affine function on every
        child. More accurate for targets that vary below the simplex size.
    box : (n_dims, 2) array_like, optional
        Restrict every simplex to ``simplex & box`` (1D and 2D; pieces
        fan-triangulated, each keeping its parent's interpolant).
    chunk : int, optional
        Simplices per block (default: from the working-set size).
    quad_index : int, optional
        Deprecated: the rule's index s; use ``degree = 2 s + 1``.

    Returns
    -------
    ErrorResult
        ``per_simplex`` of shape ``(n_simplices,)``: for ``"l2"`` the
        **squared** error ``integral of (f - I f)^2`` per simplex (``total`` is
        the square root of its sum); for ``"l1"`` ``integral of |f - I f|``;
        for ``"linf"`` ``max |f - I f|``.

    Examples
    --------
    >>> import numpy as np
    >>> pts = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    >>> res = simplex_errors(pts, [[0, 1, 2]], lambda x: (x**2).sum(-1), "l2")
    >>> abs(res.total**2 - 11 / 180) < 1e-15  # integral of (x^2 - x + y^2 - y)^2 over the triangle
    True
    """
    check_option(norm, "norm", _NORMS)
    pts, simp, degree, refine, n_ord, b, chunk = _prepare(
        points, simplices, f, degree=_check_degree(degree, quad_index), refine=refine, linf_order=linf_order,
        box=box, chunk=chunk,
    )
    d, m = pts.shape[1], len(simp)
    vals = _eval_target(f, pts) if values is None else check_values(values, len(pts), "values")
    out = _error_arrays(pts, vals, simp, f, (norm,), degree=degree, refine=refine, linf_order=n_ord, box=b,
                        chunk=chunk)[norm]
    s = rule_index(degree)
    how = (f" on each simplex split {refine} times" if refine else "") + (" clipped to the box" if b is not None else "")
    if norm == "l2":
        total = float(np.sqrt(out.sum()))
        method = f"Grundmann-Moeller index {s} (degree {2 * s + 1}){how}"
    elif norm == "l1":
        total = float(out.sum())
        method = f"Grundmann-Moeller index {s} (degree {2 * s + 1}) on |f - If|{how} (not polynomial: approximate)"
    else:
        total = float(out.max()) if m else 0.0
        method = f"barycentric lattice of order {n_ord}{how}"
    accuracy = None
    if norm == "linf":
        M = hessian_bound if hessian_bound is not None else getattr(f, "hessian_bound", None)
        if M is not None:
            M = check_positive(M, "hessian_bound", strict=False)
            # refined: a child (similar to its parent, scale 2**-refine) carries a lattice of order
            # max(2, ceil(N / 2**refine)); clipped pieces lie inside their parent, so the parent's
            # radius bounds theirs
            n_eff = n_ord if refine == 0 else max(2, -(-n_ord // 2**refine)) * 2**refine
            if d == 2:
                r = min_enclosing_radius(pts, simp) / n_eff
            else:
                v = pts[simp]
                diam = np.max(np.linalg.norm(v[:, :, None, :] - v[:, None, :, :], axis=-1), axis=(1, 2))
                r = diam / n_eff * math.sqrt(d / (2 * (d + 1)))
            accuracy = 0.5 * M * r**2
    return ErrorResult(norm=norm, total=total, per_simplex=out, accuracy=accuracy, method=method)


def interpolation_error(
    tri: Triangulation,
    f: Callable[[NDArray[np.float64]], ArrayLike],
    norm: Literal["l2", "linf", "l1"] = "l2",
    **kwargs: Any,
) -> ErrorResult:
    """Error of the linear interpolant of ``f`` on ``tri`` over the convex hull.

    Parameters
    ----------
    tri : Triangulation
    f : callable
        The target, mapping ``(m, n_dims)`` to ``(m,)``; the interpolant uses
        ``f`` at the points (or ``values=`` if given).
    norm : {"l2", "linf", "l1"}
    **kwargs
        Passed to :func:`simplex_errors` (``values``, ``degree``,
        ``linf_order``, ``hessian_bound``, ``refine``, ``box``, ``chunk``).

    Returns
    -------
    ErrorResult
        ``total`` (the L2 / L1 / Linf error over the hull) and ``per_simplex``
        (for ``"l2"`` the **squared** error per simplex; see :class:`ErrorResult`).

    Examples
    --------
    For ``|x|^2`` the largest error on a triangle is ``R_min^2`` (docs/theory.md §8, check 8): the unit
    square's two right triangles have their circumcentre on the hypotenuse, ``R_min^2 = 1/2``:

    >>> from geoquant import delaunay
    >>> tri = delaunay([[0, 0], [1, 0], [0, 1], [1, 1]])
    >>> err = interpolation_error(tri, lambda x: (x**2).sum(-1), norm="linf")
    >>> err.per_simplex.round(12).tolist(), round(err.total, 12)
    ([0.5, 0.5], 0.5)

    An affine function is reproduced exactly:

    >>> tri = delaunay(np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
    >>> float(interpolation_error(tri, lambda x: 2 * x[..., 0] - x[..., 1], "linf").total) < 1e-12
    True
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


_ERROR_OPTIONS = ("values", "degree", "linf_order", "hessian_bound", "refine", "box", "chunk", "quad_index")


def pl_errors(
    points: ArrayLike,
    simplices: ArrayLike,
    f: Callable[[NDArray[np.float64]], ArrayLike] | ArrayLike,  # an array only in the deprecated order
    *deprecated_order: Any,
    values: ArrayLike | None = None,
    box: ArrayLike | None = None,
    degree: int = 7,
    refine: int = 2,
    linf_order: int = 8,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Squared-L2 and Linf errors per simplex at once (the comparison's call of the engine).

    Same engine and arguments as :func:`simplex_errors` (one evaluation of ``f`` per rule
    node and lattice point), returning both norms; defaults are the
    comparison's (``refine=2``, ``linf_order=8``).

    Parameters
    ----------
    points : (n_points, n_dims) array_like
    simplices : (n_simplices, n_dims + 1) array_like of int
    f : callable
    *deprecated_order
        The old order ``pl_errors(points, values, simplices, f)`` (``f`` fourth; the third
        argument is then not callable) is still accepted, with a ``DeprecationWarning``,
        until geoquant 0.3.0.
    values : (n_points,) array_like, optional
        Data values at the points (default ``f(points)``).
    box : (n_dims, 2) array_like, optional
    degree, refine, linf_order : int
        As in :func:`simplex_errors`.

    Returns
    -------
    l2sq : (n_simplices,) ndarray
        Integral of ``(f - I f)**2`` over each simplex (``& box``).
    linf : (n_simplices,) ndarray
        Max of ``|f - I f|`` over the lattice points of each simplex (``& box``).

    Examples
    --------
    >>> import numpy as np
    >>> pts = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    >>> l2sq, linf = pl_errors(pts, [[0, 1, 2]], lambda x: (x**2).sum(-1), refine=0)
    >>> bool(abs(l2sq[0] - 11 / 180) < 1e-15), float(linf[0])  # |f - I f| = 1/2 at the hypotenuse's midpoint
    (True, 0.5)
    """
    func: Any = f
    simp_in: Any = simplices
    if deprecated_order or not callable(f):
        if len(deprecated_order) != 1 or not callable(deprecated_order[0]) or values is not None:
            raise InvalidInputError(
                "pl_errors takes (points, simplices, f, *, values=None, ...); the deprecated order is "
                "(points, values, simplices, f)"
            )
        warn_deprecated("pl_errors(points, values, simplices, f)", "pl_errors(points, simplices, f, values=values)")
        values, simp_in, func = simplices, f, deprecated_order[0]
    pts, simp, degree, refine, n_ord, b, chunk = _prepare(
        points, simp_in, func, degree=degree, refine=refine, linf_order=linf_order, box=box, chunk=None
    )
    vals = _eval_target(func, pts) if values is None else check_values(values, len(pts), "values")
    out = _error_arrays(pts, vals, simp, func, ("l2", "linf"), degree=degree, refine=refine, linf_order=n_ord, box=b,
                        chunk=chunk)
    return out["l2"], out["linf"]


def target_l2_cost(
    f: Callable[[NDArray[np.float64]], ArrayLike], points: np.ndarray
) -> tuple[NDArray[np.float64], Callable[[np.ndarray, np.ndarray, np.ndarray], NDArray[np.float64]]]:
    """A target's values at the points and the squared-L2 interpolation cost of triangles.

    The cost that engines taking costs as callables need for "the L2 error of
    the interpolant of ``f``" (``lawson_flip``'s ``"min_l2_error"``, passed as ``l2_cost=``, e.g. by
    :func:`l2_lawson_flip`): the triangulation engine never imports this module.

    Parameters
    ----------
    f : callable
        Maps ``(..., n_dims)`` to ``(...)``.
    points : (n_points, n_dims) ndarray

    Returns
    -------
    values : (n_points,) ndarray
        ``f(points)``, checked finite and of the right shape.
    cost : callable
        ``cost(points, simplices (k, n_dims + 1), values) -> (k,)``: the
        integrals of ``(f - I f)**2`` over the simplices (:func:`simplex_errors`).
    """
    values = _eval_target(f, points)

    def cost(points: np.ndarray, simplices: np.ndarray, values: np.ndarray) -> NDArray[np.float64]:
        return simplex_errors(points, simplices, f, "l2", values=values).per_simplex

    return values, cost
