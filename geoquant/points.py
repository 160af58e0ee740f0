"""Point sets: load them from disk, sample them, write them back.

Every point set leaves this module as a clean ``(n_points, n_dims)`` float64
array that passed :func:`geoquant._validation.check_points` (finite, no
duplicates, enough affinely independent points), so the geometry and network
engines never see NaN, coinciding points or a degenerate configuration.

File formats
------------
CSV (``.csv`` or ``.txt``)
    Comma separated, one header row naming the columns; blank lines and lines
    starting with ``#`` are skipped. The **coordinate columns** are found from
    the header (names compared case-insensitively, surrounding blanks ignored):

    1. numbered columns ``x0, x1, ..., x{d-1}`` or ``x1, x2, ..., xd``
       (the numbers must run without gaps from 0 or from 1; their order in the
       file does not matter);
    2. otherwise the named columns ``x``, ``x, y`` or ``x, y, z``
       (``y`` needs ``x``, ``z`` needs ``y``).

    Mixing the two styles is an error, and so is a header with neither. Every
    other column is an **extra column** (for example ``value``): it must be
    numeric as well and is returned in :attr:`PointSet.columns`. Pass
    ``coordinate_columns=`` to choose the coordinate columns explicitly.
NumPy (``.npy``)
    An ``(n_points, n_dims)`` array, or a 1-D ``(n_points,)`` array read as
    points in 1D. No extra columns.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import numbers
import os
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import (
    as_float_array,
    as_generator,
    check_int,
    check_memory,
    check_option,
    check_points,
    check_positive,
    check_values,
    find_duplicates,
)
from .errors import DegenerateInputError, DuplicatePointsError, GeoquantError, InvalidInputError, TooLargeError

__all__ = ["PointSet", "load_points", "sample_points", "write_points", "SAMPLE_KINDS"]

#: The point distributions :func:`sample_points` knows.
SAMPLE_KINDS = ("uniform", "polygon", "grid", "sobol", "halton", "clustered")
SampleKind = Literal["uniform", "polygon", "grid", "sobol", "halton", "clustered"]

_NUMBERED = re.compile(r"^x(\d+)$")
_NAMED = ("x", "y", "z")
# widest point file read: points in more dimensions cannot be triangulated or sampled usefully
MAX_CSV_COLUMNS = 1000


@dataclass(frozen=True)
class PointSet:
    """Points read from a file, with any extra numeric columns.

    Attributes
    ----------
    points : (n_points, n_dims) ndarray of float64
        Validated coordinates.
    columns : dict of str to (n_points,) ndarray of float64
        Extra (non-coordinate) columns in file order, e.g. ``{"value": ...}``.
    path : pathlib.Path or None
        The file the points came from.
    coordinate_names : tuple of str
        Header names of the coordinate columns, in coordinate order.
    """

    points: np.ndarray
    columns: dict = field(default_factory=dict)
    path: Path | None = None
    coordinate_names: tuple = ()

    @property
    def n_points(self) -> int:
        return int(self.points.shape[0])

    @property
    def n_dims(self) -> int:
        return int(self.points.shape[1])

    def __len__(self) -> int:
        return self.n_points

    def values(self, column: str | None = None) -> np.ndarray:
        """Return an extra column as ``(n_points,)`` float64.

        Parameters
        ----------
        column : str, optional
            Column name. By default the column named ``value`` if there is one,
            else the only extra column.

        Raises
        ------
        InvalidInputError
            The column does not exist (the message lists the columns there are),
            or ``column`` was omitted and the choice is ambiguous.
        """
        available = ", ".join(repr(c) for c in self.columns) or "none"
        if column is None:
            if "value" in self.columns:
                return self.columns["value"]
            if len(self.columns) == 1:
                return next(iter(self.columns.values()))
            raise InvalidInputError(
                f"'column' must be given to choose among the extra columns of {self._where()}; "
                f"available: {available}"
            )
        if column not in self.columns:
            raise InvalidInputError(
                f"'column' must name an extra column of {self._where()}, found {column!r}; available: {available}"
            )
        return self.columns[column]

    def _where(self) -> str:
        return str(self.path) if self.path is not None else "the point set"

    def __repr__(self) -> str:
        cols = ", ".join(self.columns)
        return f"PointSet(n_points={self.n_points}, n_dims={self.n_dims}, columns=[{cols}], path={str(self.path)!r})"


# ----------------------------------------------------------------------------------------------
# loading


def load_points(path: str | os.PathLike, *, coordinate_columns: Sequence[int | str] | None = None, duplicate_rtol: float | None = 1e-10) -> PointSet:
    """Read a point set from a CSV or ``.npy`` file (see the module docstring for the formats).

    Parameters
    ----------
    path : str or os.PathLike
        ``.csv`` / ``.txt`` (comma separated with a header row) or ``.npy``.
    coordinate_columns : sequence of str, optional
        CSV only: header names of the coordinate columns, in order. By default
        they are found from the header (``x0, x1, ...``, ``x1, x2, ...`` or
        ``x, y, z``).
    duplicate_rtol : float or None
        Points closer than ``duplicate_rtol`` times the diameter of the set are
        rejected as duplicates; ``0`` rejects exact duplicates only.

    Returns
    -------
    PointSet

    Raises
    ------
    InvalidInputError
        Missing or unreadable file, unknown extension, a malformed header or row,
        a non-numeric or non-finite cell (the message names line and column).
    DuplicatePointsError, DegenerateInputError
        From the point validation; the message names the file, and for
        duplicates the data indices and file lines.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "five.csv")
    >>> x = [[-0.8], [-0.3], [0.1], [0.6], [0.9]]
    >>> _ = write_points(path, x, values=[0.5, 1.0, 0.7, 1.2, 0.4])
    >>> ps = load_points(path)
    >>> ps.points.shape, ps.values().tolist()
    ((5, 1), [0.5, 1.0, 0.7, 1.2, 0.4])
    """
    try:
        p = Path(path)
    except TypeError:
        raise InvalidInputError(f"'path' must be a file path, found {type(path).__name__}") from None
    if not p.exists():
        raise InvalidInputError(f"'path' must name an existing file, found {str(p)!r} (no such file)")
    if not p.is_file():
        raise InvalidInputError(f"'path' must name a file, found {str(p)!r} (not a regular file)")
    suffix = p.suffix.lower()
    if suffix == ".npy":
        if coordinate_columns is not None:
            raise InvalidInputError("'coordinate_columns' applies to CSV files only, found a .npy path")
        raw, lines, names, columns = _read_npy(p), None, (), {}
    elif suffix in (".csv", ".txt"):
        raw, lines, names, columns = _read_csv(p, coordinate_columns)
    else:
        raise InvalidInputError(f"'path' must end in .csv, .txt or .npy, found {str(p)!r}")
    try:
        points = check_points(raw, "points", duplicate_rtol=duplicate_rtol)
    except DuplicatePointsError as exc:
        where = ""
        if lines is not None:
            where = "; file lines " + ", ".join(
                "(" + ", ".join(str(lines[i]) for i in g) + ")" for g in exc.indices[:5]
            )
        raise DuplicatePointsError(f"{exc} in file {str(p)!r}{where}", exc.indices) from None
    except GeoquantError as exc:
        raise type(exc)(f"{exc} in file {str(p)!r}") from None
    return PointSet(points=points, columns=columns, path=p, coordinate_names=tuple(names))


def _read_npy(p: Path) -> np.ndarray:
    try:
        arr = np.load(p, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise InvalidInputError(f"'path' {str(p)!r} is not a readable .npy array file: {exc}") from None
    if arr.ndim not in (1, 2) or arr.dtype.kind not in "biuf":
        raise InvalidInputError(
            f"'path' {str(p)!r} must hold a numeric (n_points, n_dims) or (n_points,) array, "
            f"found dtype {arr.dtype} and shape {arr.shape}"
        )
    arr = np.asarray(arr, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
        raise InvalidInputError(f"'path' {str(p)!r} must hold finite numbers, found {arr[bad]} at index {bad}")
    return arr


def _coordinate_order(header: list[str], p: Path, coordinate_columns) -> list[int]:
    """Indices into ``header`` of the coordinate columns, in coordinate order."""
    norm = [h.strip().lower() for h in header]
    if coordinate_columns is not None:
        if isinstance(coordinate_columns, str):
            coordinate_columns = [coordinate_columns]
        if not isinstance(coordinate_columns, (list, tuple)) or not all(isinstance(c, str) for c in coordinate_columns):
            raise InvalidInputError(
                f"'coordinate_columns' must be a column name or a sequence of names, found {coordinate_columns!r}"
            )
        order = []
        for name in coordinate_columns:
            key = str(name).strip().lower()
            if key not in norm:
                raise InvalidInputError(
                    f"'coordinate_columns' names {name!r}, which is not a column of {str(p)!r}; "
                    f"header: {', '.join(header)}"
                )
            order.append(norm.index(key))
        if not order or len(set(order)) != len(order):
            raise InvalidInputError(f"'coordinate_columns' must name distinct columns, found {list(coordinate_columns)}")
        return order
    numbered = {int(m.group(1)): i for i, h in enumerate(norm) if (m := _NUMBERED.match(h))}
    named = {h: i for i, h in enumerate(norm) if h in _NAMED}
    if numbered and named:
        raise InvalidInputError(
            f"'path' {str(p)!r} has a header mixing numbered (x0, x1, ...) and named (x, y, z) coordinate "
            f"columns: {', '.join(header)}; use one style or pass coordinate_columns="
        )
    if numbered:
        keys = sorted(numbered)
        start = keys[0]
        if start not in (0, 1) or keys != list(range(start, start + len(keys))):
            raise InvalidInputError(
                f"'path' {str(p)!r} has numbered coordinate columns {', '.join(f'x{k}' for k in keys)}; "
                f"they must run without gaps from x0 or from x1"
            )
        return [numbered[k] for k in keys]
    if named:
        order = []
        for key in _NAMED:
            if key not in named:
                break
            order.append(named[key])
        if len(order) != len(named):
            raise InvalidInputError(
                f"'path' {str(p)!r} has coordinate columns {', '.join(sorted(named))}; named coordinates "
                f"must be x, then x,y, then x,y,z"
            )
        return order
    raise InvalidInputError(
        f"'path' {str(p)!r} has no coordinate columns in its header ({', '.join(header)}); expected "
        f"x[,y[,z]], x0,x1,... or x1,x2,..., or pass coordinate_columns="
    )


def _read_csv(p: Path, coordinate_columns):
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"'path' {str(p)!r} could not be read as a UTF-8 text file: {exc}") from None
    header = None
    header_line = 0
    rows: list[list[float]] = []
    lines: list[int] = []
    # read the text as one stream, so that a quoted field with a line break stays one field
    # (and is refused below) instead of being split across two rows
    reader = csv.reader(io.StringIO(text, newline=""))
    for row in reader:
        lineno = reader.line_num
        if not row or all(not c.strip() for c in row) or row[0].lstrip().startswith("#"):
            continue
        if header is None:
            header = [c.strip() for c in row]
            header_line = lineno
            if any(not h for h in header):
                raise InvalidInputError(f"'path' {str(p)!r} line {lineno}: the header has an empty column name")
            odd = [h for h in header if not h.isprintable()]
            if odd:
                raise InvalidInputError(
                    f"'path' {str(p)!r} line {lineno}: column names must be printable text on one line, "
                    f"found {odd[0]!r}"
                )
            if len(header) > MAX_CSV_COLUMNS:
                raise TooLargeError(
                    f"'path' {str(p)!r} line {lineno}: the header has {len(header)} columns, more than the "
                    f"{MAX_CSV_COLUMNS} a point file may have; keep only the coordinate and value columns "
                    "geoquant needs"
                )
            dup = {h.lower() for h in header if [x.lower() for x in header].count(h.lower()) > 1}
            if dup:
                raise InvalidInputError(
                    f"'path' {str(p)!r} line {lineno}: the header repeats column name(s) {', '.join(sorted(dup))}"
                )
            continue
        if len(row) != len(header):
            raise InvalidInputError(
                f"'path' {str(p)!r} line {lineno}: expected {len(header)} fields as in the header, found {len(row)}"
            )
        parsed = []
        for cell, name in zip(row, header):
            try:
                v = float(cell.strip())
            except ValueError:
                raise InvalidInputError(
                    f"'path' {str(p)!r} line {lineno}, column {name!r}: expected a number, found {cell.strip()!r}"
                ) from None
            if not math.isfinite(v):
                raise InvalidInputError(
                    f"'path' {str(p)!r} line {lineno}, column {name!r}: expected a finite number, found {cell.strip()!r}"
                )
            parsed.append(v)
        rows.append(parsed)
        lines.append(lineno)
    if header is None:
        raise InvalidInputError(f"'path' {str(p)!r} is empty: expected a header row and data rows")
    order = _coordinate_order(header, p, coordinate_columns)
    if not rows:
        raise DegenerateInputError(f"'points' in file {str(p)!r} has a header (line {header_line}) but no data rows")
    table = np.array(rows, dtype=np.float64).reshape(len(rows), len(header))
    coords = np.ascontiguousarray(table[:, order])
    columns = {header[j]: np.ascontiguousarray(table[:, j]) for j in range(len(header)) if j not in order}
    return coords, lines, [header[j] for j in order], columns


# ----------------------------------------------------------------------------------------------
# writing


def default_coordinate_names(n_dims: int) -> list[str]:
    """Header names :func:`write_points` uses: ``x``, ``x,y``, ``x,y,z``, else ``x0..x{d-1}``."""
    if n_dims <= 3:
        return list(_NAMED[:n_dims])
    return [f"x{i}" for i in range(n_dims)]


def write_points(
    path: str | os.PathLike,
    points: ArrayLike,
    values: ArrayLike | Mapping[str, ArrayLike] | None = None,
    value_name: str = "value",
) -> Path:
    """Write points (and optional value columns) as a CSV that :func:`load_points` reads back.

    Parameters
    ----------
    path : str or os.PathLike
        Output file; its folder must exist. An existing file is overwritten.
    points : (n_points, n_dims) array_like
        A 1-D array is read as points in 1D. Must be finite.
    values : (n_points,) array_like or dict of str to (n_points,) array_like, optional
        One value column (named ``value_name``) or several named columns.
    value_name : str
        Header name of the single value column.

    Returns
    -------
    pathlib.Path
        The written file. Numbers are written with ``repr`` so they read back exactly.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise InvalidInputError(f"'path' must be a file path, found {type(path).__name__}")
    p = Path(path)
    if not p.parent.is_dir():
        raise InvalidInputError(f"'path' must be in an existing folder, found {str(p)!r}")
    pts = check_points(points, "points", min_points=1, duplicate_rtol=None, full_rank=False)
    n, d = pts.shape
    names = default_coordinate_names(d)
    cols: dict[str, np.ndarray] = {}
    if values is not None:
        if isinstance(values, dict):
            items: Iterable[tuple[str, Any]] = values.items()
        else:
            if not isinstance(value_name, str) or not value_name.strip():
                raise InvalidInputError(f"'value_name' must be a non-empty string, found {value_name!r}")
            if not value_name.isprintable() or "," in value_name or '"' in value_name:
                raise InvalidInputError(
                    f"'value_name' must be printable text without commas, quotes or line breaks, found {value_name!r}"
                )
            items = [(value_name, values)]
        for name, col in items:
            if not isinstance(name, str) or not name.strip() or "," in name or not name.isprintable() or '"' in name:
                raise InvalidInputError(
                    f"'values' column names must be non-empty printable strings without commas, quotes or "
                    f"line breaks, found {name!r}"
                )
            if name.strip().lower() in names or _NUMBERED.match(name.strip().lower()) or name.strip().lower() in _NAMED:
                raise InvalidInputError(f"'values' column name {name!r} would be read as a coordinate column")
            cols[name.strip()] = check_values(col, n, "values" if not isinstance(values, dict) else f"values[{name!r}]")
    with p.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(names + list(cols))
        for i in range(n):
            writer.writerow([repr(float(v)) for v in pts[i]] + [repr(float(c[i])) for c in cols.values()])
    return p


# ----------------------------------------------------------------------------------------------
# sampling


def check_domain(domain, dim: int, name: str = "domain") -> np.ndarray:
    """Validate a box ``(dim, 2)`` of ``[low, high]`` rows (a ``(2,)`` pair is used on every axis)."""
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


def sample_points(
    n: int,
    dim: int,
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
    """Sample ``n`` distinct points in ``dim`` dimensions.

    Parameters
    ----------
    n : int
        Number of points (>= 1).
    dim : int
        Dimension (>= 1).
    kind : {"uniform", "polygon", "grid", "sobol", "halton", "clustered"}
        ``uniform``: i.i.d. uniform in the box ``domain``.
        ``polygon``: i.i.d. uniform in ``polygon`` (``dim`` must be 2), by
        vectorised rejection from its bounding box.
        ``grid``: the lattice with ``k`` equally spaced values per axis,
        endpoints included, when ``n == k**dim``; other sizes need ``shape``.
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
    domain : (dim, 2) or (2,) array_like, optional
        Box ``[low, high]`` per axis; default the unit cube ``[0, 1]**dim``.
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
        Include the ``2**dim`` corners of the box (kinds uniform, sobol,
        halton, clustered; ``n >= 2**dim``): the first ``2**dim`` points are
        the corners, the other ``n - 2**dim`` are drawn by ``kind``. The convex
        hull is then the whole box for every ``n`` and seed, so an evaluation
        region inside the box (a study's inner region) is the same for every
        sample.

    Returns
    -------
    points : (n, dim) ndarray of float64
        Distinct points: no two closer than 1e-10 times the set's diameter
        (random kinds redraw the rare near-coincident draws, which matter for
        large ``n`` in 1D; the result stays a function of ``seed``).

    Raises
    ------
    InvalidInputError
        Bad ``n``, ``dim``, ``kind``, ``domain``, ``polygon``, ``shape`` or
        cluster settings; ``n`` not of the form ``k**dim`` for a grid without
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
    dim = check_int(dim, "dim", min_value=1)
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
            raise InvalidInputError(f"'n' must be at least 2**dim = {2**dim} with corners=True in {dim}D, found {n}")
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


def _redraw_duplicates(pts, draw):
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


def _sample_polygon(n, dim, polygon, rng) -> np.ndarray:
    import shapely
    from shapely.geometry import Polygon
    from shapely.geometry.base import BaseGeometry

    if dim != 2:
        raise InvalidInputError(f"'dim' must be 2 for kind='polygon', found {dim}")
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


def _grid(n, dim, box, shape) -> np.ndarray:
    if shape is None:
        k0 = int(round(n ** (1.0 / dim)))
        k = next((m for m in (k0 - 1, k0, k0 + 1) if m >= 1 and m**dim == n), None)
        if k is None:
            lo = int(math.floor(n ** (1.0 / dim)))
            raise InvalidInputError(
                f"'n' must be k**dim for kind='grid' in {dim}D (e.g. {max(lo, 1) ** dim} or {(lo + 1) ** dim}), "
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


def _qmc(kind, n, dim, box, rng) -> np.ndarray:
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


def _clustered(n, dim, box, rng, n_clusters, cluster_std) -> np.ndarray:
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
