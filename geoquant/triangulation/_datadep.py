"""Data-dependent triangulations: Lawson's local optimisation procedure (LOP).

Starting from any triangulation of a planar point set, repeatedly flip an edge
whose two triangles form a strictly convex quadrilateral when the flip improves
a local criterion, until no flip does (Lawson 1972; Dyn, Levin & Rippa, "Data
dependent triangulations for piecewise linear interpolation", IMA J. Numer.
Anal. 10 (1990) 137--154). Every flip strictly improves a global objective (a
sum of edge or triangle costs, or the sorted angle vector), so the procedure
terminates at a triangulation that no single flip improves -- a local, not
necessarily global, optimum.

Criteria
--------
``"max_min_angle"``
    Flip when the smallest of the six angles of the two triangles grows.
    Locally optimal <=> locally Delaunay <=> Delaunay (Lawson), so from any
    start this returns the Delaunay triangulation (points in general position).
``"min_edge_length"``
    Flip when the new diagonal is shorter; the total edge length decreases.
``"abn"`` (angle between normals) and ``"jnd"`` (jump in normal derivative)
    Dyn--Levin--Rippa edge costs of the piecewise-linear interpolant of
    ``values``: for an interior edge with triangles ``T1, T2`` and interpolant
    gradients ``g1, g2``, ABN is the angle between the graph normals
    ``(-g_i, 1)`` and JND is ``|g1 - g2|`` (the jump of the derivative normal
    to the edge: the tangential derivatives agree by continuity). The global
    objective is the sum over interior edges (DLR's l1 measure); a flip changes
    the costs of the diagonal and the four sides of its quadrilateral, and is
    made when that local sum decreases. ``"min_gradient_jump"`` is ``"jnd"``.
``"min_l2_error"``
    The cost of a triangle is the integral of ``(f - I f)^2`` over it; flip when the sum over
    the two triangles decreases (the global squared L2 error decreases). The engine never
    integrates a target itself: the caller passes the cost, ``l2_cost=cost`` with ``values``
    the target's values at the points, both from
    :func:`geoquant.interpolate.target_l2_cost` -- or calls the conveniences that take the
    target, :func:`geoquant.interpolate.l2_lawson_flip` and
    :func:`geoquant.interpolate.l2_data_dependent_triangulation`. (Passing the target itself as
    ``values`` without ``l2_cost`` is deprecated.)
callable
    ``cost(points, simplices, values) -> (k,)`` per-triangle costs for any
    ``(k, 3)`` index array; flip when the sum over the two triangles decreases.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any, Literal, TypeAlias

import numpy as np
from numpy.typing import ArrayLike

from .._deprecation import warn_deprecated
from .._validation import SeedLike, as_float_array, check_int, check_points, check_values
from ..errors import InvalidInputError, UnsupportedError
from ._delaunay import delaunay
from ._mesh import PlanarMesh, edge_key, interior_edges
from ._regular import random_regular_triangulation
from ._triangulation import Triangulation

__all__ = ["lawson_flip", "data_dependent_triangulation", "criterion_value", "CRITERIA", "L2Cost"]

CRITERIA = ("max_min_angle", "min_edge_length", "abn", "jnd", "min_gradient_jump", "min_l2_error")
_ALIASES = {"min_gradient_jump": "jnd"}

#: A named criterion (see :data:`CRITERIA`) or ``cost(points, simplices (k, 3), values) -> (k,)``.
Criterion: TypeAlias = (
    'Literal["max_min_angle", "min_edge_length", "abn", "jnd", "min_gradient_jump", "min_l2_error"]'
    " | Callable[[np.ndarray, np.ndarray, np.ndarray | None], ArrayLike]"
)
#: Data values at the points, or the target callable evaluated there.
Values: TypeAlias = "ArrayLike | Callable[[np.ndarray], ArrayLike]"
#: ``cost(points, simplices (k, 3), values) -> (k,)``: the squared L2 error of the interpolant per triangle
L2Cost: TypeAlias = "Callable[[np.ndarray, np.ndarray, np.ndarray], ArrayLike]"
# A flip must improve the local objective by this relative amount: it keeps
# round-off from flipping an edge back and forth and guarantees termination.
_RTOL = 1e-10
_ANGLE_TOL = 1e-12


# ------------------------------------------------------------ criteria
def _angles(P: np.ndarray, tri: Sequence[int]) -> tuple[float, ...]:
    out = []
    for k in range(3):
        p, q, r = P[tri[k]], P[tri[(k + 1) % 3]], P[tri[(k + 2) % 3]]
        e1, e2 = q - p, r - p
        out.append(math.atan2(abs(e1[0] * e2[1] - e1[1] * e2[0]), e1[0] * e2[0] + e1[1] * e2[1]))
    return tuple(out)


def _tri_angles(P: np.ndarray, simplices: np.ndarray) -> np.ndarray:
    """(k, 3) interior angles of triangles."""
    v = P[simplices]
    out = np.empty(simplices.shape)
    for k in range(3):
        e1 = v[:, (k + 1) % 3] - v[:, k]
        e2 = v[:, (k + 2) % 3] - v[:, k]
        cross = np.abs(e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0])
        out[:, k] = np.arctan2(cross, (e1 * e2).sum(axis=1))
    return out


def _gradients(P: np.ndarray, z: np.ndarray, simplices: np.ndarray) -> np.ndarray:
    """(k, 2) gradients of the linear interpolants on triangles."""
    v = P[simplices]
    e = v[:, 1:, :] - v[:, :1, :]
    dz = z[simplices[:, 1:]] - z[simplices[:, :1]]
    return np.linalg.solve(e, dz[..., None])[..., 0]


def _edge_cost(kind: str, g1: np.ndarray, g2: np.ndarray) -> np.ndarray:
    """ABN or JND edge cost from the gradients on the two sides (broadcasts)."""
    if kind == "jnd":
        return np.sqrt(((g1 - g2) ** 2).sum(axis=-1))
    n1 = np.concatenate([-g1, np.ones(g1.shape[:-1] + (1,))], axis=-1)
    n2 = np.concatenate([-g2, np.ones(g2.shape[:-1] + (1,))], axis=-1)
    cross = np.cross(n1, n2)
    return np.arctan2(np.sqrt((cross**2).sum(axis=-1)), (n1 * n2).sum(axis=-1))


class _Criterion:
    """Local flip decision and global objective of one criterion."""

    edge_based = False

    def __init__(
        self,
        name: str,
        points: np.ndarray,
        values: Any,  # checked (n_points,) values, or None for the geometric criteria
        cost_fn: Any = None,  # cost(points, simplices, values), required by the cost-based criteria
    ) -> None:
        self.name = name
        self.P = points
        self.z = values
        self.cost_fn = cost_fn
        self._tri_cost: dict = {}
        self._grad: dict = {}
        # Absolute floor of a significant improvement, so that round-off on exactly
        # tied configurations (e.g. affine data: every jump is 0) never triggers a flip.
        self.abs_tol = 0.0
        if values is not None and points is not None:
            diam = float(np.max(np.ptp(points, axis=0)))
            zscale = float(np.max(np.abs(values))) if len(values) else 0.0
            if name == "jnd":
                self.abs_tol = 1e-10 * zscale / diam
            elif name == "abn":
                self.abs_tol = 1e-10
            elif name == "min_l2_error":
                self.abs_tol = 1e-26 * zscale**2 * diam**2  # round-off of an exact (zero) error

    # -- per-triangle caches (keys: sorted vertex triples)
    def tri_cost(self, tris: list[tuple[int, int, int]]) -> list[float]:
        keys = [tuple(sorted(t)) for t in tris]
        missing = [k for k in dict.fromkeys(keys) if k not in self._tri_cost]
        if missing:
            vals = self._costs(np.array(missing, dtype=np.int64))
            for k, v in zip(missing, vals):
                self._tri_cost[k] = float(v)
        return [self._tri_cost[k] for k in keys]

    def _costs(self, simp: np.ndarray) -> np.ndarray:
        if self.name == "min_l2_error":  # the cost built from the target by interpolation (trusted)
            return self.cost_fn(self.P, simp, self.z)
        out = as_float_array(self.cost_fn(self.P, simp, self.z), "criterion", finite=False)
        if out.shape != (len(simp),) or not np.all(np.isfinite(out)):
            raise InvalidInputError(
                f"'criterion' callable must return finite costs of shape ({len(simp)},) for {len(simp)} "
                f"triangles, found shape {out.shape}"
            )
        return out

    def grad(self, t: Sequence[int]) -> tuple[float, float]:
        k = tuple(sorted(t))
        g = self._grad.get(k)
        if g is None:
            # 2x2 solve in plain floats: this runs once per triangle ever seen
            (x0, y0), (x1, y1), (x2, y2) = self.P[k[0]], self.P[k[1]], self.P[k[2]]
            z0, z1, z2 = self.z[k[0]], self.z[k[1]], self.z[k[2]]
            a, b, c, d = x1 - x0, y1 - y0, x2 - x0, y2 - y0
            det = a * d - b * c
            dz1, dz2 = z1 - z0, z2 - z0
            g = ((d * dz1 - b * dz2) / det, (a * dz2 - c * dz1) / det)
            self._grad[k] = g
        return g

    def edge_cost(self, g1: tuple[float, float], g2: tuple[float, float]) -> float:
        if self.name == "jnd":
            return math.hypot(g1[0] - g2[0], g1[1] - g2[1])
        # normals (-g, 1): angle = atan2(|n1 x n2|, n1 . n2)
        cx = -g1[1] + g2[1]
        cy = -g2[0] + g1[0]
        cz = g1[1] * g2[0] - g1[0] * g2[1]
        return math.atan2(math.sqrt(cx * cx + cy * cy + cz * cz), g1[0] * g2[0] + g1[1] * g2[1] + 1.0)

    # -- local decision: True when flipping uv -> ac improves
    def improves(self, mesh: PlanarMesh, u: int, v: int, a: int, c: int, t1: int, t2: int) -> bool:
        P = self.P
        if self.name == "max_min_angle":
            old = min(_angles(P, (u, v, a)) + _angles(P, (u, v, c)))
            new = min(_angles(P, (a, c, u)) + _angles(P, (a, c, v)))
            return new > old + _ANGLE_TOL
        if self.name == "min_edge_length":
            old = math.dist(P[u], P[v])
            new = math.dist(P[a], P[c])
            return new < old * (1.0 - _RTOL)
        if self.edge_based:
            old_in = {(u, a): (u, v, a), (v, a): (u, v, a), (u, c): (u, v, c), (v, c): (u, v, c)}
            new_in = {(u, a): (a, c, u), (v, a): (a, c, v), (u, c): (a, c, u), (v, c): (a, c, v)}
            old = self.edge_cost(self.grad((u, v, a)), self.grad((u, v, c)))
            new = self.edge_cost(self.grad((a, c, u)), self.grad((a, c, v)))
            for side, inner in old_in.items():
                outer = mesh.other_triangle(side, t1 if inner == (u, v, a) else t2)
                if outer is None:
                    continue
                g_out = self.grad(outer)
                old += self.edge_cost(self.grad(inner), g_out)
                new += self.edge_cost(self.grad(new_in[side]), g_out)
            return new < old - _RTOL * (old + new) - self.abs_tol
        old = sum(self.tri_cost([(u, v, a), (u, v, c)]))
        new = sum(self.tri_cost([(a, c, u), (a, c, v)]))
        return new < old - _RTOL * (abs(old) + abs(new)) - self.abs_tol

    # -- global objective
    def total(self, simplices: np.ndarray, n: int) -> float:
        P = self.P
        if self.name == "max_min_angle":
            return float(_tri_angles(P, simplices).min())
        if self.name == "min_edge_length":
            e = np.unique(np.sort(simplices[:, [0, 1, 1, 2, 0, 2]].reshape(-1, 2), axis=1), axis=0)
            return float(np.linalg.norm(P[e[:, 0]] - P[e[:, 1]], axis=1).sum())
        if self.edge_based:
            srt = np.sort(simplices, axis=1)
            *_, t1, t2 = interior_edges(srt, n)
            g = _gradients(P, self.z, srt)
            return float(_edge_cost(self.name, g[t1], g[t2]).sum())
        return float(self._costs(np.asarray(simplices, dtype=np.int64)).sum())


class _EdgeCriterion(_Criterion):
    edge_based = True


def _deprecated_target_l2_cost(values: Callable[[np.ndarray], ArrayLike], points: np.ndarray) -> tuple[Any, Any]:
    """The old form ``criterion="min_l2_error", values=f``: the interpolation layer builds the cost.

    Deprecated (removed in :data:`geoquant._deprecation.REMOVED_IN`); until then this one call
    reaches the layer above by name, the engine's only such import.
    """
    import importlib

    warn_deprecated("criterion 'min_l2_error' with the target as 'values'",
                    "l2_cost=cost, values from geoquant.interpolate.target_l2_cost(f, points), or "
                    "geoquant.interpolate.l2_lawson_flip / l2_data_dependent_triangulation", stacklevel=5)
    interpolate = importlib.import_module("geoquant.interpolate")  # removed in REMOVED_IN with the old form
    return interpolate.target_l2_cost(values, points)


def _make_criterion(criterion: Criterion, points: np.ndarray, values: Any, n: int,
                    l2_cost: L2Cost | None = None) -> _Criterion:
    """Validate ``criterion``, ``values`` and ``l2_cost`` together; return the criterion object."""
    name = _criterion_name(criterion)
    if l2_cost is not None and name != "min_l2_error":
        raise InvalidInputError(f"'l2_cost' is the cost of criterion 'min_l2_error', found criterion {criterion!r}")
    if l2_cost is not None and not callable(l2_cost):
        raise InvalidInputError(f"'l2_cost' must be a callable cost(points, simplices, values), found {l2_cost!r}")
    if callable(values):
        if name == "min_l2_error" and l2_cost is None:
            values, l2_cost = _deprecated_target_l2_cost(values, points)
        else:
            values = check_values(values(points), n, "values")
    elif values is not None:
        values = check_values(values, n, "values")
    if callable(criterion):
        return _Criterion("callable", points, values, cost_fn=criterion)
    if name in ("abn", "jnd"):
        if values is None:
            raise InvalidInputError(f"'values' must be given for criterion {criterion!r}: (n_points,) data values or a callable")
        return _EdgeCriterion(name, points, values)
    if name == "min_l2_error":
        if l2_cost is None or values is None:
            raise InvalidInputError(
                "'values' must be the target's values at the points with l2_cost= its L2 cost for criterion "
                "'min_l2_error' (both from geoquant.interpolate.target_l2_cost), "
                f"found {type(values).__name__} without l2_cost"
            )
        return _Criterion(name, points, values, cost_fn=l2_cost)
    return _Criterion(name, points, values)


def _criterion_name(criterion: Criterion) -> str:
    """The canonical name of a named criterion; ``"callable"`` for a cost callable."""
    if callable(criterion):
        return "callable"
    if not isinstance(criterion, str) or criterion not in CRITERIA:
        opts = ", ".join(repr(c) for c in CRITERIA)
        raise InvalidInputError(f"'criterion' must be one of {opts} or a callable, found {criterion!r}")
    return _ALIASES.get(criterion, criterion)


# ------------------------------------------------------------ public
def lawson_flip(
    tri: Triangulation,
    criterion: Criterion = "max_min_angle",
    values: Values | None = None,
    *,
    max_flips: int | None = None,
    l2_cost: L2Cost | None = None,
) -> Triangulation:
    """Locally optimal triangulation by Lawson flips for a criterion.

    Parameters
    ----------
    tri : Triangulation
        Starting triangulation in the plane (fine or not; flips keep the vertex set).
    criterion : str or callable
        One of ``"max_min_angle"``, ``"min_edge_length"``, ``"abn"``,
        ``"jnd"`` (alias ``"min_gradient_jump"``), ``"min_l2_error"``, or a
        callable ``cost(points, simplices, values) -> (k,)`` of per-triangle
        costs (see the module docstring).
    values : (n_points,) array_like or callable, optional
        Data values for ``"abn"``/``"jnd"``/``"min_l2_error"`` (a callable is
        evaluated at the points).
    max_flips : int, optional
        Stop after this many flips with a RuntimeWarning (the procedure always
        terminates; this bounds the work).
    l2_cost : callable, optional
        For ``"min_l2_error"`` (required): ``cost(points, simplices, values) -> (k,)``,
        the integrals of ``(f - I f)**2`` over the triangles
        (:func:`geoquant.interpolate.target_l2_cost` returns it with ``values``).

    Returns
    -------
    Triangulation
        No flip of a strictly convex quadrilateral improves the criterion.

    Raises
    ------
    InvalidInputError
        Unknown criterion, missing or malformed ``values``.
    UnsupportedError
        ``tri`` is not planar.

    Examples
    --------
    >>> import numpy as np
    >>> from geoquant.triangulation import random_regular_triangulation, delaunay
    >>> pts = np.random.default_rng(1).random((30, 2))
    >>> lawson_flip(random_regular_triangulation(pts, seed=3)) == delaunay(pts)
    True
    """
    if not isinstance(tri, Triangulation):
        raise InvalidInputError(f"'tri' must be a geoquant Triangulation, found {type(tri).__name__}")
    if tri.n_dims != 2:
        raise UnsupportedError(f"Lawson flips are implemented for planar triangulations only, 'tri' has n_dims={tri.n_dims}")
    if max_flips is not None:
        max_flips = check_int(max_flips, "max_flips", min_value=0)
    crit = _make_criterion(criterion, tri.points, values, tri.n_points, l2_cost)
    return Triangulation(tri.points, _lop(tri.points, tri.simplices, crit, max_flips), validate=False)


def _lop(P: np.ndarray, simplices: np.ndarray, crit: _Criterion, max_flips: int | None) -> np.ndarray:
    mesh = PlanarMesh(P, simplices)
    stack = mesh.interior_edges()[::-1]
    queued = set(stack)
    flips = 0
    while True:
        while stack:
            e = stack.pop()
            queued.discard(e)
            ts = mesh.edges.get(e)
            if ts is None or len(ts) != 2:
                continue
            u, v = e
            t1, t2 = ts
            a, c = mesh.third(t1, u, v), mesh.third(t2, u, v)
            if not mesh.is_convex(u, v, a, c) or not crit.improves(mesh, u, v, a, c, t1, t2):
                continue
            if max_flips is not None and flips >= max_flips:
                warnings.warn(
                    f"lawson_flip stopped after max_flips={max_flips} flips before reaching a local optimum",
                    RuntimeWarning,
                    stacklevel=3,
                )
                return np.array(mesh.triangles, dtype=np.int64)
            mesh.flip(u, v, a, c, t1, t2)
            flips += 1
            affected = [edge_key(u, a), edge_key(a, v), edge_key(v, c), edge_key(c, u)]
            if crit.edge_based:  # their quadrilaterals' sides changed cost too
                for side, t in ((affected[0], t1), (affected[1], t2), (affected[2], t2), (affected[3], t1)):
                    outer = mesh.other_triangle(side, t)
                    if outer is not None:
                        affected += [edge_key(outer[0], outer[1]), edge_key(outer[1], outer[2]), edge_key(outer[0], outer[2])]
            for g in affected:
                if g not in queued:
                    queued.add(g)
                    stack.append(g)
        # Confirm local optimality with a full sweep (cheap: costs are cached).
        pending = []
        for e in mesh.interior_edges():
            u, v = e
            t1, t2 = mesh.edges[e]
            a, c = mesh.third(t1, u, v), mesh.third(t2, u, v)
            if mesh.is_convex(u, v, a, c) and crit.improves(mesh, u, v, a, c, t1, t2):
                pending.append(e)
        if not pending:
            return np.array(mesh.triangles, dtype=np.int64)
        stack = pending[::-1]
        queued = set(stack)


def criterion_value(tri: Triangulation, criterion: Criterion, values: Values | None = None, *,
                    l2_cost: L2Cost | None = None) -> float:
    """The global objective that :func:`lawson_flip` improves with every flip.

    Parameters
    ----------
    tri : Triangulation
        A planar triangulation.
    criterion, values, l2_cost
        As for :func:`lawson_flip`.

    Returns
    -------
    float
        ``"max_min_angle"``: the smallest angle (radians; larger is better).
        ``"min_edge_length"``: the total edge length. ``"abn"``/``"jnd"``: the
        sum of the edge costs over interior edges. ``"min_l2_error"``: the
        squared L2 error (sum of per-triangle integrals). Callable: the sum of
        the per-triangle costs. Smaller is better except for the angle.
    """
    if not isinstance(tri, Triangulation):
        raise InvalidInputError(f"'tri' must be a geoquant Triangulation, found {type(tri).__name__}")
    if tri.n_dims != 2:
        raise UnsupportedError(f"criteria are defined for planar triangulations only, 'tri' has n_dims={tri.n_dims}")
    crit = _make_criterion(criterion, tri.points, values, tri.n_points, l2_cost)
    return crit.total(tri.simplices, tri.n_points)


def data_dependent_triangulation(
    points: ArrayLike,
    values: Values,
    criterion: Criterion = "jnd",
    start: Literal["delaunay", "random"] | Triangulation = "delaunay",
    *,
    seed: SeedLike = 0,
    max_flips: int | None = None,
    l2_cost: L2Cost | None = None,
) -> Triangulation:
    """A data-dependent triangulation of planar data by Lawson's local optimisation.

    Parameters
    ----------
    points : (n_points, 2) array_like
    values : (n_points,) array_like or callable
        Data at the points, or a callable evaluated there.
    criterion : str or callable, default "jnd"
        See :func:`lawson_flip`.
    start : {"delaunay", "random"} or Triangulation, default "delaunay"
        The starting triangulation; ``"random"`` is
        :func:`random_regular_triangulation` with ``seed``.
    seed : int
        Used when ``start="random"``.
    max_flips, l2_cost : optional
        See :func:`lawson_flip` (``l2_cost`` for ``"min_l2_error"``;
        :func:`geoquant.interpolate.l2_data_dependent_triangulation` takes the target instead).

    Returns
    -------
    Triangulation
        Fine when the start is (``"delaunay"`` and ``"random"`` are).

    Examples
    --------
    >>> import numpy as np
    >>> xs, ys = np.meshgrid(np.arange(5.0), np.arange(5.0))
    >>> pts = np.column_stack([xs.ravel(), ys.ravel()])
    >>> ridge = lambda x: np.abs(x[..., 0] - 2 * x[..., 1])   # a crease along x = 2y
    >>> tri = data_dependent_triangulation(pts, ridge, "jnd")
    """
    if isinstance(start, Triangulation):
        if start.n_dims != 2:
            raise UnsupportedError(f"data-dependent triangulations are planar only, 'start' has n_dims={start.n_dims}")
        pts = check_points(points, "points", dim=2)
        if start.points.shape != pts.shape or not np.array_equal(start.points, pts):
            raise InvalidInputError("'start' must be a triangulation of 'points' (same point array)")
        tri = start
    else:
        pts = check_points(points, "points")
        if pts.shape[1] != 2:
            raise UnsupportedError(f"data-dependent triangulations are planar only, 'points' has {pts.shape[1]} columns")
        if start == "delaunay":
            tri = delaunay(pts)
        elif start == "random":
            tri = random_regular_triangulation(pts, seed=seed)
        else:
            raise InvalidInputError(f"'start' must be 'delaunay', 'random' or a Triangulation, found {start!r}")
    return lawson_flip(tri, criterion, values, max_flips=max_flips, l2_cost=l2_cost)
