"""What every question asked of one data set shares: :class:`EvalConfig` and :class:`EvalContext`.

The evaluation of a fitted method is split by question, each a function or class over one
:class:`EvalContext` (the data, the target, the Delaunay triangulation, the regions and the
quadrature built once per data set):

* its errors on the regions and their bound ratios (:mod:`._metrics`: :func:`~._metrics.error_metrics`,
  :func:`~._metrics.bound_metrics`);
* a network's distances to the data's interpolants and its nearest triangulation
  (:mod:`._netdistances`);
* a network against the minimum representation-cost interpolant (:mod:`._minnorm_compare`).

:class:`~._metrics.Evaluator` asks all of them in the order a study needs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._quadrature import barycentric_lattice, clip_simplices_to_box, grundmann_moeller, refine_simplices
from .._quadrature import vertex_simplex_volumes as simplex_volumes
from .._validation import check_points, check_values
from ..errors import InvalidInputError
from ..interpolate import error_bounds, pl_errors, simplex_errors

if TYPE_CHECKING:
    from ..targets import Target

__all__ = ["REGIONS", "EvalConfig", "EvalContext"]

REGIONS = ("hull", "inner")

#: (nodes, weights, f at nodes, lattice, f at lattice) of the quadrature on one region's refined cells
GenericNodes = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class EvalConfig:
    """How methods are evaluated (the ``[evaluation]`` table of a study spec).

    Attributes
    ----------
    regions : tuple of str
        Subset of ``("hull", "inner")``.
    inner_margin : float
        Fraction of the box width removed on each side for the inner region.
    quadrature_degree : int
        Odd degree of the Grundmann--Moeller rule (the spec's name; handed to the
        error engine and the quadrature module as ``degree``).
    refine : int
        Uniform subdivisions of each cell before the rule is applied (every method).
    linf_order : int
        Order of the barycentric lattice searched for the maximum error.
    grid : int
        Points per axis of the plotting grid stored for the gallery.
    nearest_time_limit : float
        Seconds (wall clock) for the integer program of a network's nearest triangulation
        (2D, above 20 points); past it the best triangulation found and the program's
        proven lower bound are recorded (``nearest_exact`` False, ``nearest_lower_l2``).
    """

    regions: tuple = REGIONS
    inner_margin: float = 0.1
    quadrature_degree: int = 7
    refine: int = 2
    linf_order: int = 8
    grid: int = 80
    nearest_time_limit: float = 600.0

    def to_dict(self) -> dict:
        d = asdict(self)
        d["regions"] = list(self.regions)
        if d["nearest_time_limit"] == 600.0:  # the default is left out: specs written before it keep their ids
            del d["nearest_time_limit"]
        return d


class EvalContext:
    """What every evaluation of methods on one data set shares, built once.

    The Delaunay triangulation, the regions' cells (the inner ones clipped to the inner box),
    their volumes, the Waldron bounds, the quadrature rule and (on first use) the quadrature
    nodes with the target's values there.

    Parameters
    ----------
    target : Target
        Callable ``(..., d) -> (...)`` with ``.domain (d, 2)`` and ``.hessian_bound``.
    points : (n_points, n_dims) array_like
        The data points (kept as the attribute ``X``).
    values : (n_points,) array_like
        The target's values at ``points`` (kept as the attribute ``y``).
    config : EvalConfig, optional
    """

    def __init__(self, target: Target, points: ArrayLike, values: ArrayLike, config: EvalConfig | None = None) -> None:
        from ..triangulation import delaunay

        if not callable(target) or not hasattr(target, "domain") or not hasattr(target, "hessian_bound"):
            raise InvalidInputError(
                f"'target' must be a geoquant Target (callable with .domain and .hessian_bound), found {type(target).__name__}"
            )
        self.target = target
        self.X = check_points(points, "points")
        self.y = check_values(values, len(self.X), "values")
        if config is not None and not isinstance(config, EvalConfig):
            raise InvalidInputError(f"'config' must be an EvalConfig or None, found {type(config).__name__}")
        self.config = config or EvalConfig()
        self.regions = tuple(self.config.regions)
        self.dim = self.X.shape[1]
        self.tri = delaunay(self.X)
        self.box = np.asarray(target.domain, dtype=float).reshape(self.dim, 2)
        width = self.box[:, 1] - self.box[:, 0]
        m = self.config.inner_margin
        self.inner_box = np.column_stack([self.box[:, 0] + m * width, self.box[:, 1] - m * width])
        M = float(target.hessian_bound)
        self.M = M
        self.bounds = np.asarray(error_bounds(self.tri, M), dtype=float)
        cells = self.X[self.tri.simplices]
        #: region -> (cells (k, d + 1, d), index of each cell's Delaunay simplex)
        self.cells = {"hull": (cells, np.arange(len(cells)))}
        if "inner" in self.regions:
            self.cells["inner"] = clip_simplices_to_box(cells, self.inner_box)
        self.volume = {r: float(simplex_volumes(c).sum()) for r, (c, _) in self.cells.items()}
        box_volume = float(np.prod(self.inner_box[:, 1] - self.inner_box[:, 0]))
        #: whether the inner region is the whole inner box (the hull contains it): then it is the same for every n
        self.inner_full = bool("inner" in self.regions
                               and abs(self.volume["inner"] - box_volume) <= 1e-9 * max(box_volume, 1e-300))
        self.bound: dict[str, float] = {}
        for r, (c, parent) in self.cells.items():
            self.bound[r] = float(self.bounds[np.unique(parent)].max()) if len(parent) else float("nan")
        self._bary, self._w = grundmann_moeller(self.dim, degree=self.config.quadrature_degree)
        self._generic: dict[str, GenericNodes] = {}

    @property
    def distance_region(self) -> str:
        """The region of ``l2_inner`` where distances are measured (the hull when inner is not evaluated)."""
        return "inner" if "inner" in self.regions else "hull"

    def region_box(self, region: str) -> np.ndarray | None:
        """The box ``region`` is clipped to (None for the hull)."""
        return None if region == "hull" else self.inner_box

    # -- nodes for methods that are not piecewise linear ------------------------------------
    def generic_nodes(self, region: str) -> GenericNodes:
        """``(nodes, weights, f(nodes), lattice, f(lattice))`` on ``region``'s refined cells (cached)."""
        if region not in self._generic:
            cells, _ = self.cells[region]
            kids, _ = refine_simplices(cells, self.config.refine)
            nodes = np.einsum("qv,kvd->kqd", self._bary, kids)
            weights = simplex_volumes(kids)[:, None] * self._w[None, :]
            # pull the lattice a hair toward each child's centroid: points on the hull boundary
            # would otherwise be NaN (outside by round-off) for methods defined on the hull only
            # lattice per child of order linf_order / 2**refine: the same resolution per Delaunay
            # simplex as the exact piecewise-linear path
            order = max(2, -(-self.config.linf_order // 2**self.config.refine))
            shrunk = (1 - 1e-9) * barycentric_lattice(self.dim, order) + 1e-9 / (self.dim + 1)
            lat = np.einsum("qv,kvd->kqd", shrunk, kids).reshape(-1, self.dim)
            lat = np.unique(np.round(lat, 14), axis=0)
            f_nodes = self.f(nodes)
            f_lat = self.f(lat)
            self._generic[region] = (nodes, weights, f_nodes, lat, f_lat)
        return self._generic[region]

    def f(self, x: np.ndarray) -> NDArray[np.float64]:
        """The target at ``x (..., d)``, shaped ``(...)``."""
        v = np.asarray(self.target(x), dtype=float)
        if v.shape != x.shape[:-1]:
            v = v.reshape(x.shape[:-1])
        return v

    def pl_region(self, simplices: np.ndarray, values: np.ndarray, region: str) -> tuple[np.ndarray, np.ndarray]:
        """(l2^2 per simplex, linf per simplex) of the PL interpolant of ``values`` on ``region``."""
        c = self.config
        return pl_errors(self.X, simplices, self.target, values=values, box=self.region_box(region),
                         degree=c.quadrature_degree, refine=c.refine, linf_order=c.linf_order)

    def simplex_sq_errors(self, simplices: ArrayLike, region: str = "hull") -> NDArray[np.float64]:
        """Integral of ``(f - I_S f)**2`` over ``S & region`` for each simplex ``S``.

        Parameters
        ----------
        simplices : (k, d + 1) array_like of int
            Simplices on the training points (need not form a triangulation).
        region : str
            One of the evaluated regions.

        Returns
        -------
        (k,) ndarray
            Additive over the simplices of any triangulation, so it serves as
            the cost of the counting DP for the mean over triangulations.
        """
        return self.l2sq(self.y, simplices, self.target, region)

    def l2sq(
        self, values: np.ndarray, simplices: ArrayLike, f: Callable[[np.ndarray], ArrayLike], region: str
    ) -> NDArray[np.float64]:
        """Integral of ``(f - I values)**2`` over ``S & region`` per simplex (the engine, L2 only)."""
        c = self.config
        return simplex_errors(self.X, simplices, f, "l2", values=values, degree=c.quadrature_degree, refine=c.refine,
                              box=self.region_box(region)).per_simplex

    # -- gallery ------------------------------------------------------------------------------
    def grid(self) -> NDArray[np.float64]:
        """Plotting grid over the target's box: 1D ``(G*5,)`` x-values as (m, 1); 2D ``(G*G, 2)``."""
        G = self.config.grid
        if self.dim == 1:
            return np.linspace(self.box[0, 0], self.box[0, 1], 5 * G)[:, None]
        axes = [np.linspace(lo, hi, G) for lo, hi in self.box[:2]]
        xx, yy = np.meshgrid(*axes, indexing="xy")
        return np.column_stack([xx.ravel(), yy.ravel()])

    def __repr__(self) -> str:
        return f"{type(self).__name__}(n_points={len(self.X)}, n_dims={self.dim}, regions={self.regions!r})"
