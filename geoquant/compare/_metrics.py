"""Errors of a fitted method on the hull and on an inner region, bound ratios (rates: ``_rates``; distances: ``_distances``).

Regions
-------
``hull``
    The convex hull of the training points (the union of any fine
    triangulation's simplices).
``inner``
    The hull intersected with the target's box shrunk by ``inner_margin`` times
    its width on every side (default 10%). Thin hull triangles along the
    boundary dominate Delaunay errors for uniform points in a square (their
    longest edges do not shrink with n, theory notes section 6), so rates are
    read on the inner region.

Quadrature
----------
* Piecewise-linear methods: the error engine
  :func:`geoquant.interpolate.simplex_errors` / :func:`~geoquant.interpolate.pl_errors`,
  simplex by simplex of the method's *own* triangulation, where ``f - I f`` is
  smooth: the Grundmann--Moeller rule of ``degree`` (``quadrature_degree`` in
  the spec) for L2, a barycentric lattice for Linf, on each simplex split
  ``refine`` times (the interpolant is the simplex's affine function on every
  child). With ``refine = 0`` the hull errors are ``interpolation_error``
  itself. Refining matters for sharp targets on coarse samples: for ``runge``
  with 25 points, a single degree-7 rule per triangle is 12% off, the refined
  rule agrees with finer ones to 1e-4. On the inner region the engine clips each
  simplex to the inner box (``box=``; pieces fan-triangulated, the interpolant
  stays the parent's affine function).
* Every other method: the Delaunay simplices (clipped for ``inner``) are
  split ``refine`` times uniformly (4**refine children per triangle in 2D,
  2**refine per interval in 1D) and the same Grundmann--Moeller rule is applied
  to ``(f - g)**2`` on every child; Linf is the maximum of ``|f - g|`` over the
  rule's nodes and a barycentric lattice of every child of order
  ``max(2, linf_order / 2**refine)`` (so at least the resolution of the
  piecewise-linear path per Delaunay simplex; a lower bound of the true maximum). The children resolve kinks of networks only up
  to their size, so for networks these are quadrature estimates, not exact.

Bounds
------
``bound_<region>`` is Waldron's bound ``1/2 M R_min^2`` of the *Delaunay*
triangulation (maximum over its simplices meeting the region), ``M`` the
target's certified Hessian bound. ``linf_ratio_<region> = linf / bound``
(<= 1 for the Delaunay interpolant, a theorem) and
``l2_ratio_<region> = l2 / (bound * sqrt(volume))`` (also <= 1 for Delaunay).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from numpy.typing import ArrayLike

from .._quadrature import barycentric_lattice, clip_simplices_to_box, grundmann_moeller, refine_simplices
from .._quadrature import vertex_simplex_volumes as simplex_volumes
from ..errors import GeoquantError, InvalidInputError
from ..interpolate import error_bounds, pl_errors, simplex_errors
from ._distances import (_network_breakpoints_1d, _network_kinks_1d, _pl_distance_1d, _with_offset,
                         nearest_knot_spline_1d, nearest_triangulation)

if TYPE_CHECKING:
    from ..targets import Target
    from .methods import Method, Statistic

__all__ = [
    "EvalConfig", "Evaluator", "evaluate", "pl_errors", "REGIONS", "METRIC_COLUMNS", "DISTANCE_COLUMNS",
    "MINNORM_COLUMNS", "MINNORM_MAX_N", "MINNORM_SET_MAX_N", "MINNORM_TIME_LIMIT",
]

REGIONS = ("hull", "inner")

METRIC_COLUMNS = [
    f"{m}_{r}" for r in REGIONS for m in ("l2", "linf", "bound", "linf_ratio", "l2_ratio", "vol")
] + ["train_rmse"] + [f"rms_{r}" for r in REGIONS] + ["inner_full"]


#: Interpolating network rows only (NaN elsewhere): the network against the minimum representation-cost interpolant
#: of its data (:meth:`Evaluator.minnorm_comparison`).
MINNORM_COLUMNS = ["minnorm_cost_ratio", "minnorm_sup", "minnorm_set_sup"]

#: Largest sample per dimension on which the minnorm comparison is solved (:func:`geoquant.theory.minnorm_interpolant`,
#: method "lines"; on the shared 2-core machine, CPU seconds: 1D n = 2048 about 1 s; 2D n = 160 about 6 s and
#: n = 256 about 20-30 s; reports/benchmarks.md).  Larger samples get NaN and the reason in the record's info
#: (``minnorm_note``).
MINNORM_MAX_N = {1: 4096, 2: 256}

#: Largest sample per dimension on which ``minnorm_set_sup`` is computed (1D: one sparse LP per network; 2D: a
#: column generation over the data and the nodes, per network).
MINNORM_SET_MAX_N = {1: 4096, 2: 64}

#: Seconds allowed to one minnorm solve and to one set distance (past it: NaN and the reason in ``minnorm_note``).
MINNORM_TIME_LIMIT = 900.0

#: 2D ``minnorm_set_sup``: nodes where the supremum is taken besides the data (the evaluation points where the
#: network is farthest from the solver's interpolant, at least ``_SET_NODE_SPACING`` of the box's diameter apart)
_SET_NODES = 24
_SET_NODE_SPACING = 0.05

#: network rows only (NaN elsewhere): the split of a network's error and its distance to triangulations,
#: all L2 on the evaluation region of ``l2_inner`` (the hull when the inner region is not evaluated)
DISTANCE_COLUMNS = ["fit_l2", "between_l2", "nearest_l2", "nearest_exact", "nearest_lower_l2", "n_kinks",
                    "nearest_knots_l2", "n_directions"]


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


class Evaluator:
    """Everything shared by the methods evaluated on one data set.

    Builds the Delaunay triangulation, the inner cells, the Waldron bounds, the
    quadrature nodes and the target's values there once; :meth:`evaluate`
    then costs one ``predict`` call per region for each method.

    Parameters
    ----------
    target : Target
        Callable ``(..., d) -> (...)`` with ``.domain (d, 2)`` and ``.hessian_bound``.
    X : (n_points, n_dims) ndarray
    y : (n_points,) ndarray
    config : EvalConfig
    """

    def __init__(self, target: Target, X: ArrayLike, y: ArrayLike, config: EvalConfig | None = None) -> None:
        from ..triangulation import delaunay

        from .._validation import check_points, check_values

        if not callable(target) or not hasattr(target, "domain") or not hasattr(target, "hessian_bound"):
            raise InvalidInputError(
                f"'target' must be a geoquant Target (callable with .domain and .hessian_bound), found {type(target).__name__}"
            )
        self.target = target
        self.X = check_points(X, "X")
        self.y = check_values(y, len(self.X), "y")
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
        self._cells = {"hull": (cells, np.arange(len(cells)))}
        if "inner" in self.regions:
            self._cells["inner"] = clip_simplices_to_box(cells, self.inner_box)
        self.volume = {r: float(simplex_volumes(c).sum()) for r, (c, _) in self._cells.items()}
        box_volume = float(np.prod(self.inner_box[:, 1] - self.inner_box[:, 0]))
        #: whether the inner region is the whole inner box (the hull contains it): then it is the same for every n
        self.inner_full = bool("inner" in self.regions
                               and abs(self.volume["inner"] - box_volume) <= 1e-9 * max(box_volume, 1e-300))
        self._minnorm: Any = None  # MinNormInterpolant, or the reason its solve failed (str)
        self.bound = {}
        for r, (c, parent) in self._cells.items():
            self.bound[r] = float(self.bounds[np.unique(parent)].max()) if len(parent) else float("nan")
        self._bary, self._w = grundmann_moeller(self.dim, degree=self.config.quadrature_degree)
        self._lat = barycentric_lattice(self.dim, self.config.linf_order)
        self._generic: dict = {}

    # -- nodes for methods that are not piecewise linear ------------------------------------
    def _generic_nodes(self, region: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        if region not in self._generic:
            cells, _ = self._cells[region]
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
            f_nodes = self._f(nodes)
            f_lat = self._f(lat)
            self._generic[region] = (nodes, weights, f_nodes, lat, f_lat)
        return self._generic[region]

    def _f(self, x: np.ndarray) -> np.ndarray:
        v = np.asarray(self.target(x), dtype=float)
        if v.shape != x.shape[:-1]:
            v = v.reshape(x.shape[:-1])
        return v

    def _pl_region(self, simplices: np.ndarray, values: np.ndarray, region: str) -> tuple[np.ndarray, np.ndarray]:
        """(l2^2 per simplex, linf per simplex) of the PL interpolant on ``region``."""
        box = None if region == "hull" else self.inner_box
        c = self.config
        return pl_errors(self.X, values, simplices, self.target, box=box, degree=c.quadrature_degree,
                         refine=c.refine, linf_order=c.linf_order)

    def simplex_sq_errors(self, simplices: ArrayLike, region: str = "hull") -> np.ndarray:
        """Integral of ``(f - I_S f)**2`` over ``S & region`` for each simplex ``S``.

        Parameters
        ----------
        simplices : (k, d + 1) array_like of int
            Simplices on the training points (need not form a triangulation).

        Returns
        -------
        (k,) ndarray
            Additive over the simplices of any triangulation, so it serves as
            the cost of the counting DP for the mean over triangulations.
        """
        return self._l2sq(self.y, simplices, self.target, region)

    def _l2sq(
        self, values: np.ndarray, simplices: ArrayLike, f: Callable[[np.ndarray], ArrayLike], region: str
    ) -> np.ndarray:
        """Integral of ``(f - I values)**2`` over ``S & region`` per simplex (the engine, L2 only)."""
        c = self.config
        box = None if region == "hull" else self.inner_box
        return simplex_errors(self.X, simplices, f, "l2", values=values, degree=c.quadrature_degree, refine=c.refine,
                              box=box).per_simplex

    # -- evaluation ---------------------------------------------------------------------------
    def evaluate(self, method: Method | Statistic) -> dict:
        """Metrics of a fitted method or statistic (see the module docstring for the columns)."""
        # region -> squared L2 error per Delaunay/method simplex, integral of (f - I f)^2 (gallery 'per_simplex_<region>')
        self.last_per_simplex: dict = {}
        # a network's nearest fine triangulation and its values at the data (network_distances; gallery 'near_*')
        self.last_nearest: dict = {}
        out = method.exact_metrics(self)
        if out is None:
            if not getattr(method, "pointwise", True):  # a Statistic has no predict() to measure
                raise InvalidInputError(f"statistic {method.name!r}: exact_metrics() returned None, expected its metrics")
            method = cast("Method", method)
            out = {}
            if method.piecewise_linear and method.triangulation is not None:
                out.update(self._evaluate_pl(method))
            else:
                out.update(self._evaluate_generic(method))
            fx = method.predict(self.X)
            if not np.all(np.isfinite(fx)):
                raise InvalidInputError(f"method {method.name!r} predicted NaN/inf at training points")
            out["train_rmse"] = float(np.sqrt(np.mean((fx - self.y) ** 2)))
            if getattr(method, "family", None) == "network":
                out.update(self.network_distances(method))
        else:
            out = dict(out)
            out.setdefault("train_rmse", None)
        for r in self.regions:
            b, vol = self.bound[r], self.volume[r]
            out[f"bound_{r}"] = b
            out[f"vol_{r}"] = vol
            linf, l2 = out.get(f"linf_{r}"), out.get(f"l2_{r}")
            # a ratio exists only for a positive finite bound; never store 0.0 or inf for "no bound"
            usable = b is not None and np.isfinite(b) and b > 0
            out[f"linf_ratio_{r}"] = None if linf is None or not usable else float(linf / b)
            out[f"l2_ratio_{r}"] = None if l2 is None or not usable or not vol > 0 else float(l2 / (b * np.sqrt(vol)))
            out[f"rms_{r}"] = None if l2 is None or not vol > 0 else float(l2 / np.sqrt(vol))
        if "inner" in self.regions:
            out["inner_full"] = 1.0 if self.inner_full else 0.0
            if not self.inner_full:  # a region that differs between samples: no RMS to fit rates to
                out["rms_inner"] = None
        if getattr(method, "family", None) == "network":
            out.update(self.minnorm_comparison(method))
        return {k: (None if v is None else (v if isinstance(v, bool) else float(v))) for k, v in out.items()}

    # -- networks against triangulations -----------------------------------------------------
    def network_distances(self, method: Method) -> dict:
        """How far a fitted network is from the data's interpolants (region of ``l2_inner``).

        With ``g = f_net`` and ``I_T`` linear interpolation on a triangulation
        ``T`` of the training points:

        ``fit_l2``
            ``||I_Del(g(X)) - f||``: the error the network's own values at the
            data would have as a Delaunay interpolant (zero fit error iff it
            interpolates ``y``; then this is Delaunay's own error).
        ``between_l2``
            ``||g - I_Del(g(X))||``: what the network does between the data,
            measured against Delaunay. ``l2 <= fit_l2 + between_l2``.
        ``nearest_l2``, ``nearest_exact``
            ``min_T ||g - I_T(g(X))||`` over fine triangulations ``T``
            (:func:`nearest_triangulation`): exact at every size (counting DP
            up to 20 points, integer program above); ``nearest_exact`` False
            only where a time limit (``nearest_time_limit``) struck, then
            ``nearest_lower_l2`` is the program's proven lower bound (equal to
            ``nearest_l2`` when exact): the true distance lies between them. In 1D the fine
            triangulation is unique (``nearest_l2 = between_l2``).
        ``n_directions``
            The network's quantised directions: groups of its live, non-negligible neurons
            by direction and sign (:func:`geoquant.nn.cluster_directions`, angle 1e-2).
        ``n_kinks``, ``nearest_knots_l2`` (1D)
            The network's kinks inside the hull (:func:`geoquant.nn.kinks_1d`,
            live neurons) and the distance to the nearest linear spline with
            that many interior knots at data points, interpolating ``g`` there
            (:func:`nearest_knot_spline_1d`, exact dynamic programme).

        In 1D every distance but ``fit_l2`` is exact (both functions are piecewise
        linear; integrated between their breakpoints); in 2D they use the
        quadrature of :func:`pl_errors`.
        """
        region = "inner" if "inner" in self.regions else "hull"
        box = None if region == "hull" else self.inner_box
        c = self.config
        gx = np.asarray(method.predict(self.X), dtype=float)
        fit = float(np.sqrt(self._l2sq(gx, self.tri.simplices, self.target, region).sum()))
        out: dict[str, float | bool | None] = {"fit_l2": fit, "n_directions": None}
        W = getattr(method, "W", None)
        if W is not None:
            from ..nn import cluster_directions

            out["n_directions"] = float(len(cluster_directions(W, getattr(method, "a"), X=self.X)))
        if self.dim == 1:
            lo, hi = float(self.X.min()), float(self.X.max())
            if box is not None:
                lo, hi = max(lo, float(box[0, 0])), min(hi, float(box[0, 1]))
            kinks = _network_kinks_1d(method, self.X)  # merged: how many distinct kinks
            breaks = _network_breakpoints_1d(method)  # every breakpoint: exact integrals
            between = _pl_distance_1d(method.predict, self.X[:, 0], gx, breaks, lo, hi)
            inside = kinks[(kinks > self.X.min()) & (kinks < self.X.max())]
            knots_l2 = nearest_knot_spline_1d(self.X[:, 0], gx, method.predict, len(inside), kinks=breaks,
                                              region=(lo, hi))[1]
            out.update(between_l2=between, nearest_l2=between, nearest_exact=True, nearest_lower_l2=between,
                       n_kinks=float(len(inside)),
                       nearest_knots_l2=knots_l2)
            order = np.argsort(self.X[:, 0], kind="stable")  # the unique fine triangulation in 1D
            self.last_nearest = {"simplices": np.stack([order[:-1], order[1:]], axis=1), "values": gx}
            return out
        between = float(np.sqrt(self._l2sq(gx, self.tri.simplices, method.predict, region).sum()))
        near, l2sq, exact, lower = nearest_triangulation(self.X, gx, method.predict, box=box, seed=0,
                                                         degree=c.quadrature_degree, refine=c.refine,
                                                         time_limit=c.nearest_time_limit, return_bound=True)
        # for the gallery: the network beside the interpolant of its own values on that triangulation
        self.last_nearest = {"simplices": np.asarray(near, dtype=np.int64), "values": gx}
        out.update(between_l2=between, nearest_l2=float(np.sqrt(max(l2sq, 0.0))), nearest_exact=bool(exact),
                   nearest_lower_l2=float(np.sqrt(max(lower, 0.0))),
                   n_kinks=None, nearest_knots_l2=None)
        return out

    def minnorm_comparison(self, method: Any) -> dict:  # a fitted network Method: reads .W, .a, ._info
        """An interpolating network against the minimum representation-cost interpolant(s) of the data.

        ``minnorm_cost_ratio``
            ``sum_j |a_j| ||w_j|| / C*`` where ``C*`` is the minimum of that cost over all interpolants
            (:func:`geoquant.theory.minnorm_interpolant`); ``>= 1`` up to the network's own fit
            error (a network that does not interpolate exactly may cost a little less).
        ``minnorm_sup``
            ``sup |f_net - f_minnorm|`` over the region of ``l2_inner`` (the hull when the inner
            region is not evaluated), ``f_minnorm`` the one interpolant the solver returns. 1D: exact (both
            are piecewise linear; the maximum over the union of their kinks and the region's ends). 2D: the
            maximum over the region's quadrature nodes and Linf lattice (those of ``linf_inner``), a lower
            bound.  The minimiser is not unique, so a large value does not show that the network is not of
            minimum cost; ``minnorm_set_sup`` does.
        ``minnorm_set_sup``
            The sup distance over the same region from the network to the *set* of interpolants of cost
            ``<= (1 + 1e-6) C*`` (:func:`geoquant.theory.minnorm_set_distance`). 1D: exact (a linear
            program over the breakpoints). 2D: a certified lower bound: the supremum over the data in the
            region and the 24 evaluation points where the network is farthest from the solver's
            interpolant (at least 5% of the box's diameter apart), by weak duality. Up to
            :data:`MINNORM_SET_MAX_N` points.

        Only for networks whose ``train_status`` is ``"interpolating"``; NaN otherwise, and NaN
        with the reason in the method's info (``minnorm_note``) above :data:`MINNORM_MAX_N` points
        or where the solver fails or runs past :data:`MINNORM_TIME_LIMIT`.
        """
        nan = {c: None for c in MINNORM_COLUMNS}
        info: Any = getattr(method, "_info", None)  # a dict whenever status below is "interpolating"
        status = (info or {}).get("train_status")
        if status != "interpolating" or getattr(method, "W", None) is None:
            return nan
        n = len(self.X)
        limit = MINNORM_MAX_N.get(self.dim, 0)
        if n > limit:
            info["minnorm_note"] = (f"skipped: n = {n} > {limit} points in {self.dim}D (the minnorm solve grows "
                                    "with the number of activation sectors)")
            return nan
        if self._minnorm is None:
            from ..theory import minnorm_interpolant

            try:
                self._minnorm = minnorm_interpolant(self.X, self.y, time_limit=MINNORM_TIME_LIMIT, progress=False)
            except GeoquantError as exc:  # a solver failure, the time limit or a missing optional dependency
                self._minnorm = f"failed: {type(exc).__name__}: {exc}"
        mn = self._minnorm
        if isinstance(mn, str):
            info["minnorm_note"] = mn
            return nan
        from ..theory import representation_cost

        W = np.asarray(method.W, dtype=float)
        a = np.asarray(method.a, dtype=float)
        ratio = representation_cost(W, a) / mn.cost if mn.cost > 0 else None
        region = "inner" if "inner" in self.regions else "hull"
        if self.dim == 1:
            lo, hi = float(self.X.min()), float(self.X.max())
            if region == "inner":
                lo, hi = max(lo, float(self.inner_box[0, 0])), min(hi, float(self.inner_box[0, 1]))
            live = W[:, 0] != 0
            bp = np.concatenate([[lo, hi], -W[live, 1] / W[live, 0], mn.kinks])
            bp = bp[(bp >= lo) & (bp <= hi)][:, None]
            box = np.array([[lo, hi]])
        else:
            nodes, _, _, lat, _ = self._generic_nodes(region)
            bp = np.concatenate([nodes.reshape(-1, self.dim), lat])
            box = self.inner_box if region == "inner" else np.column_stack([self.X.min(axis=0), self.X.max(axis=0)])
        diff = np.abs(np.asarray(method.predict(bp), dtype=float) - mn(bp))
        sup = float(np.max(diff))
        W, a = _with_offset(W, a, float(getattr(method, "c", 0.0) or 0.0))  # a centred network's output offset
        return {"minnorm_cost_ratio": ratio, "minnorm_sup": sup,
                "minnorm_set_sup": self._minnorm_set_sup(W, a, mn, box, bp, diff, info)}

    def _minnorm_set_sup(self, W: np.ndarray, a: np.ndarray, mn: Any, box: np.ndarray, bp: np.ndarray,
                         diff: np.ndarray, info: dict) -> float | None:
        """``minnorm_set_sup`` (see :meth:`minnorm_comparison`); None with a note where skipped or failed."""
        n = len(self.X)
        limit = MINNORM_SET_MAX_N.get(self.dim, 0)
        if n > limit:
            info["minnorm_note"] = f"minnorm_set_sup skipped: n = {n} > {limit} points in {self.dim}D"
            return None
        from ..theory import minnorm_set_distance

        nodes = None
        if self.dim == 2:  # the points where the network is farthest from the solver's interpolant, spread out
            spacing = _SET_NODE_SPACING * float(np.linalg.norm(box[:, 1] - box[:, 0]))
            chosen: list[np.ndarray] = []
            for i in np.argsort(-diff, kind="stable"):
                if len(chosen) == _SET_NODES:
                    break
                if all(np.linalg.norm(bp[i] - c) >= spacing for c in chosen):
                    chosen.append(bp[i])
            nodes = np.array(chosen).reshape(-1, 2)
        try:
            r = minnorm_set_distance(W, a, self.X, self.y, minnorm=mn, region=box, nodes=nodes,
                                     time_limit=MINNORM_TIME_LIMIT, progress=False)
        except GeoquantError as exc:
            info["minnorm_note"] = f"minnorm_set_sup failed: {type(exc).__name__}: {exc}"
            return None
        return float(r.distance)

    def _evaluate_pl(self, method: Method) -> dict:
        tri = method.triangulation
        out = {}
        for r in self.regions:
            # on the hull with refine = 0 this is interpolation_error itself (the same engine, same arithmetic)
            sq, lin = self._pl_region(tri.simplices, self.y, r)  # type: ignore[union-attr]  # set: evaluate() checks
            out[f"l2_{r}"] = float(np.sqrt(sq.sum()))
            out[f"linf_{r}"] = float(lin.max()) if len(lin) else 0.0
            self.last_per_simplex[r] = sq  # squared L2 error per simplex (integral of (f - I f)^2)
        return out

    def _evaluate_generic(self, method: Method) -> dict:
        out = {}
        for r in self.regions:
            nodes, weights, f_nodes, lat, f_lat = self._generic_nodes(r)
            g = method.predict(nodes)
            gl = method.predict(lat)
            if not (np.all(np.isfinite(g)) and np.all(np.isfinite(gl))):
                raise InvalidInputError(
                    f"method {method.name!r} predicted NaN/inf inside the convex hull ({r} region)"
                )
            out[f"l2_{r}"] = float(np.sqrt(max(float(np.sum(weights * (f_nodes - g) ** 2)), 0.0)))
            out[f"linf_{r}"] = float(max(np.abs(f_nodes - g).max(), np.abs(f_lat - gl).max()))
        return out

    # -- gallery ------------------------------------------------------------------------------
    def grid(self) -> np.ndarray:
        """Plotting grid over the target's box: 1D ``(G*5,)`` x-values as (m, 1); 2D ``(G*G, 2)``."""
        G = self.config.grid
        if self.dim == 1:
            return np.linspace(self.box[0, 0], self.box[0, 1], 5 * G)[:, None]
        axes = [np.linspace(lo, hi, G) for lo, hi in self.box[:2]]
        xx, yy = np.meshgrid(*axes, indexing="xy")
        return np.column_stack([xx.ravel(), yy.ravel()])


def evaluate(method: Method | Statistic, target: Target, X: ArrayLike, y: ArrayLike, config: EvalConfig | None = None) -> dict:
    """Metrics of a fitted ``method`` against ``target`` (convenience wrapper of :class:`Evaluator`)."""
    return Evaluator(target, X, y, config).evaluate(method)
