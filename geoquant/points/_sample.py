"""Sampling point sets: which distributions exist and how points are drawn in a box."""

from __future__ import annotations

import itertools
import math
import numbers
import warnings
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import (
    as_float_array,
    as_generator,
    check_int,
    check_memory,
    check_option,
    check_positive,
    find_duplicates,
)
from .._deprecation import renamed_arguments
from ..errors import DuplicatePointsError, InvalidInputError


#: The point distributions :func:`sample_points` knows.
SAMPLE_KINDS = ("uniform", "polygon", "grid", "sobol", "halton", "clustered")
SampleKind = Literal["uniform", "polygon", "grid", "sobol", "halton", "clustered"]


# ----------------------------------------------------------------------------------------------
# sampling


@renamed_arguments(dim="n_dims")
def check_domain(domain: ArrayLike, n_dims: int, name: str = "domain") -> np.ndarray:
    """Validate a box ``(n_dims, 2)`` of ``[low, high]`` rows (a ``(2,)`` pair is used on every axis)."""
    dim = n_dims
    arr = as_float_array(domain, name, ndim=(1, 2))
    if arr.ndim == 1:
        if arr.shape != (2,):
            raise InvalidInputError(f"'{name}' must have shape ({dim}, 2) or (2,), found ({arr.shape[0]},)")
        arr = np.tile(arr, (dim, 1))
    if arr.shape != (dim, 2):
        raise InvalidInputError(f"'{name}' must have shape ({dim}, 2) (a [low, high] row per axis), found {arr.shape}")
    bad = np.flatnonzero(~(arr[:, 0] < arr[:, 1]))
    if bad.size:
        i = int(bad[0])
        raise InvalidInputError(f"'{name}' rows must have low < high, found {arr[i].tolist()} on axis {i}")
    return arr.copy()  # callers may freeze or keep it; never alias the caller's array


@renamed_arguments(dim="n_dims")
def sample_points(
    n: int,
    n_dims: int,
    kind: SampleKind = "uniform",
    *,
    seed: int | np.random.Generator = 0,
    domain: ArrayLike | None = None,
    polygon: ArrayLike | None = None,
    shape: Sequence[int] | None = None,
    n_clusters: int = 5,
    cluster_std: float = 0.05,
    corners: bool = False,
) -> NDArray[np.float64]:
    """Sample ``n`` distinct points in ``n_dims`` dimensions.

    Parameters
    ----------
    n : int
        Number of points (>= 1).
    n_dims : int
        Dimension (>= 1).
    kind : {"uniform", "polygon", "grid", "sobol", "halton", "clustered"}
        ``uniform``: i.i.d. uniform in the box ``domain``.
        ``polygon``: i.i.d. uniform in ``polygon`` (``n_dims`` must be 2), by
        vectorised rejection from its bounding box.
        ``grid``: the lattice with ``k`` equally spaced values per axis,
        endpoints included, when ``n == k**n_dims``; other sizes need ``shape``.
        Points come in row-major order (last coordinate fastest).
        ``sobol`` / ``halton``: scrambled low-discrepancy sequences
        (:mod:`scipy.stats.qmc`); the scrambling is seeded. Sobol's balance is
        best for ``n`` a power of two; scipy's warning about that is silenced.
        ``clustered``: ``n_clusters`` Gaussian clusters around centres uniform
        in the box, standard deviation ``cluster_std`` times the box width per
        axis, points outside the box redrawn (a truncated Gaussian, no
        clipping, so no points pile up on the boundary); points are split
        between the clusters as evenly as possible.
    seed : int, numpy SeedSequence or Generator
        Same seed, same points.
    domain : (n_dims, 2) or (2,) array_like, optional
        Box ``[low, high]`` per axis; default the unit cube ``[0, 1]**n_dims``.
        Not used with ``kind="polygon"``.
    polygon : shapely.geometry.Polygon or (n_vertices, 2) array_like
        The region for ``kind="polygon"`` (required there, refused elsewhere).
    shape : sequence of int, optional
        ``kind="grid"`` only: points per axis, ``prod(shape) == n``.
    n_clusters : int
        ``kind="clustered"`` only.
    cluster_std : float
        ``kind="clustered"`` only, relative to the box width.
    corners : bool
        Include the ``2**n_dims`` corners of the box (kinds uniform, sobol,
        halton, clustered; ``n >= 2**n_dims``): the first ``2**n_dims`` points are
        the corners, the other ``n - 2**n_dims`` are drawn by ``kind``. The convex
        hull is then the whole box for every ``n`` and seed, so an evaluation
        region inside the box (a study's inner region) is the same for every
        sample.

    Returns
    -------
    points : (n, n_dims) ndarray of float64
        Distinct points: no two closer than 1e-10 times the set's diameter
        (random kinds redraw the rare near-coincident draws, which matter for
        large ``n`` in 1D; the result stays a function of ``seed``).

    Raises
    ------
    InvalidInputError
        Bad ``n``, ``n_dims``, ``kind``, ``domain``, ``polygon``, ``shape`` or
        cluster settings; ``n`` not of the form ``k**n_dims`` for a grid without
        ``shape``.

    Examples
    --------
    >>> pts = sample_points(100, 2, "sobol", seed=0)
    >>> pts.shape, bool(((pts >= 0) & (pts <= 1)).all())
    ((100, 2), True)
    >>> sample_points(9, 2, "grid", domain=(0, 2))[:3].tolist()
    [[0.0, 0.0], [0.0, 1.0], [0.0, 2.0]]
    """
    n = check_int(n, "n", min_value=1)
    dim = check_int(n_dims, "n_dims", min_value=1)
    check_option(kind, "kind", SAMPLE_KINDS)
    # checked whatever the kind, so that a bad value is never silently ignored
    n_clusters = check_int(n_clusters, "n_clusters", min_value=1)
    cluster_std = check_positive(cluster_std, "cluster_std")
    # the points, their sorted/tree copies for the duplicate check and the redraws
    check_memory(8.0 * n * dim * 8, f"sample_points of n={n} points in {dim}D", "sample fewer points (or several batches with different seeds)")
    rng = as_generator(seed)
    if polygon is not None and kind != "polygon":
        raise InvalidInputError(f"'polygon' is used only with kind='polygon', found kind={kind!r}")
    if shape is not None and kind != "grid":
        raise InvalidInputError(f"'shape' is used only with kind='grid', found kind={kind!r}")
    if not isinstance(corners, (bool, np.bool_)):
        raise InvalidInputError(f"'corners' must be True or False, found {corners!r}")
    if corners:
        if kind in ("polygon", "grid"):
            raise InvalidInputError(f"'corners' is for kinds uniform, sobol, halton and clustered, found kind={kind!r} "
                                    "(a grid holds its corners already)")
        if n < 2**dim:
            raise InvalidInputError(f"'n' must be at least 2**n_dims = {2**dim} with corners=True in {dim}D, found {n}")
        box = check_domain(np.array([[0.0, 1.0]] * dim) if domain is None else domain, dim)
        corner_pts = np.array(list(itertools.product(*box)), dtype=np.float64)
        if n == len(corner_pts):
            return corner_pts
        rest = sample_points(n - len(corner_pts), dim, kind, seed=seed, domain=box, n_clusters=n_clusters,
                             cluster_std=cluster_std)
        pts = np.concatenate([corner_pts, rest])
        # a drawn point coinciding with a corner has probability ~ 0; redraw it all the same
        groups = find_duplicates(pts, 1e-10)
        if groups:
            raise DuplicatePointsError(f"'n' = {n} {kind} points with corners contain coinciding points at "
                                       f"indices {groups[:5]}", groups)
        return pts
    if kind == "polygon":
        if domain is not None:
            raise InvalidInputError("'domain' must be None for kind='polygon' (the polygon is the domain)")
        pts = _sample_polygon(n, dim, polygon, rng)
        pts = _redraw_duplicates(pts, lambda k: _sample_polygon(k, dim, polygon, rng))
    else:
        box = check_domain(np.array([[0.0, 1.0]] * dim) if domain is None else domain, dim)
        if kind == "uniform":
            pts = _redraw_duplicates(rng.uniform(box[:, 0], box[:, 1], size=(n, dim)),
                                     lambda k: rng.uniform(box[:, 0], box[:, 1], size=(k, dim)))
        elif kind == "grid":
            pts = _grid(n, dim, box, shape)
        elif kind in ("sobol", "halton"):
            pts = _qmc(kind, n, dim, box, rng)
        else:
            pts = _clustered(n, dim, box, rng, n_clusters, cluster_std)
    pts = np.ascontiguousarray(pts, dtype=np.float64)
    groups = find_duplicates(pts, 1e-10) if n > 1 else []
    if groups:  # low-discrepancy sequences are stratified: coincidences would need ~2**30 points
        raise DuplicatePointsError(
            f"'n' = {n} {kind} points contain coinciding points at indices {groups[:5]}", groups
        )
    return pts


def _redraw_duplicates(pts: np.ndarray, draw: Callable[[int], np.ndarray]) -> np.ndarray:
    """Redraw the later members of groups of points closer than 1e-10 x diameter.

    Uniform draws in 1D meet such near-coincidences with probability ~ n**2 * 1e-10,
    so they are not negligible for large ``n``; redrawing keeps the result distinct
    (and seeded) at a negligible change of distribution.
    """
    for _ in range(100):
        bad = sorted(i for g in find_duplicates(pts, 1e-10) for i in g[1:]) if len(pts) > 1 else []
        if not bad:
            return pts
        pts[bad] = draw(len(bad))
    raise InvalidInputError(f"'n' = {len(pts)} points: could not draw them distinct")


def _sample_polygon(n: int, dim: int, polygon: Any, rng: np.random.Generator) -> np.ndarray:
    import shapely
    from shapely.geometry import Polygon
    from shapely.geometry.base import BaseGeometry

    if dim != 2:
        raise InvalidInputError(f"'n_dims' must be 2 for kind='polygon', found {dim}")
    if polygon is None:
        raise InvalidInputError("'polygon' is required for kind='polygon' (a shapely Polygon or (n_vertices, 2) vertices)")
    if not isinstance(polygon, BaseGeometry):
        verts = as_float_array(polygon, "polygon", ndim=2)
        if verts.shape[1] != 2 or verts.shape[0] < 3:
            raise InvalidInputError(f"'polygon' vertices must have shape (n_vertices >= 3, 2), found {verts.shape}")
        polygon = Polygon(verts)
    if polygon.geom_type not in ("Polygon", "MultiPolygon"):
        raise InvalidInputError(f"'polygon' must be a shapely Polygon or MultiPolygon, found {polygon.geom_type}")
    if polygon.is_empty or not polygon.is_valid or not polygon.area > 0:
        raise InvalidInputError(
            f"'polygon' must be a valid polygon of positive area, found area {polygon.area!r}"
            + ("" if polygon.is_valid else " (invalid geometry, e.g. self-intersecting)")
        )
    xmin, ymin, xmax, ymax = polygon.bounds
    frac = polygon.area / ((xmax - xmin) * (ymax - ymin))
    shapely.prepare(polygon)
    out = np.empty((0, 2))
    # Draw in batches sized from the acceptance rate; the cap on rounds guards against
    # pathological slivers whose acceptance rate underflows.
    for _ in range(1000):
        need = n - len(out)
        batch = int(min(max(64, 1.2 * need / frac + 16), 1e7))
        cand = rng.uniform((xmin, ymin), (xmax, ymax), size=(batch, 2))
        inside = shapely.contains_xy(polygon, cand[:, 0], cand[:, 1])
        out = np.vstack([out, cand[inside][:need]])
        if len(out) == n:
            return out
    raise InvalidInputError(f"'polygon' is too thin to sample: acceptance rate {frac:.3g} in its bounding box")


def _grid(n: int, dim: int, box: np.ndarray, shape: Any) -> np.ndarray:
    if shape is None:
        k0 = int(round(n ** (1.0 / dim)))
        k = next((m for m in (k0 - 1, k0, k0 + 1) if m >= 1 and m**dim == n), None)
        if k is None:
            lo = int(math.floor(n ** (1.0 / dim)))
            raise InvalidInputError(
                f"'n' must be k**n_dims for kind='grid' in {dim}D (e.g. {max(lo, 1) ** dim} or {(lo + 1) ** dim}), "
                f"found {n}; pass shape=(m1, ..., m{dim}) for other lattices"
            )
        shape = (k,) * dim
    if isinstance(shape, numbers.Integral) or len(shape) != dim:
        raise InvalidInputError(f"'shape' must hold {dim} integers (points per axis), found {shape!r}")
    shape = tuple(check_int(m, "shape", min_value=1) for m in shape)
    if math.prod(shape) != n:
        raise InvalidInputError(f"'shape' {shape} must have product n = {n}, found {math.prod(shape)}")
    axes = [np.linspace(box[i, 0], box[i, 1], m) if m > 1 else np.array([box[i].mean()]) for i, m in enumerate(shape)]
    mesh = np.meshgrid(*axes, indexing="ij")
    return np.column_stack([g.ravel() for g in mesh])


def _qmc(kind: str, n: int, dim: int, box: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    from scipy.stats import qmc

    cls = qmc.Sobol if kind == "sobol" else qmc.Halton
    try:  # scipy >= 1.15 names the argument rng; older versions call it seed
        engine = cls(d=dim, scramble=True, rng=rng)
    except TypeError:
        engine = cls(d=dim, scramble=True, seed=rng)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*balance properties.*")
        u = engine.random(n)
    return box[:, 0] + u * (box[:, 1] - box[:, 0])


def _clustered(n: int, dim: int, box: np.ndarray, rng: np.random.Generator, n_clusters: int,
               cluster_std: float) -> np.ndarray:
    n_clusters = check_int(n_clusters, "n_clusters", min_value=1)
    cluster_std = check_positive(cluster_std, "cluster_std")
    lo, hi = box[:, 0], box[:, 1]
    centres = rng.uniform(lo, hi, size=(n_clusters, dim))
    labels = np.arange(n) % n_clusters
    sd = cluster_std * (hi - lo)
    pts = np.empty((n, dim))
    todo = np.arange(n)
    for _ in range(2000):
        pts[todo] = centres[labels[todo]] + sd * rng.standard_normal((len(todo), dim))
        outside = np.any((pts[todo] < lo) | (pts[todo] > hi), axis=1)
        bad = set(todo[outside].tolist())
        if not bad:
            # redraw later members of coinciding groups (possible only for a tiny cluster_std)
            for g in find_duplicates(pts, 1e-10):
                bad.update(g[1:])
            if not bad:
                return pts
        todo = np.array(sorted(bad), dtype=np.intp)
    raise InvalidInputError(
        f"'cluster_std' {cluster_std!r} with {n_clusters} clusters in {dim}D: could not draw {n} distinct points "
        f"inside 'domain' (clusters too narrow for distinct points, or too much mass outside the box)"
    )
