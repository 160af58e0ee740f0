"""Reading and writing point files: what a point file holds (:class:`PointSet`) and how it is parsed."""

from __future__ import annotations

import csv
import io
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .._resources import is_bare_name, shipped_points, shipped_points_path
from .._validation import check_points, check_values
from ..errors import DegenerateInputError, DuplicatePointsError, GeoquantError, InvalidInputError, TooLargeError


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
        ``.csv`` / ``.txt`` (comma separated with a header row) or ``.npy``; or
        the name of a shipped point set (``"random20_2d"``, ``"five_1d"``, ...:
        ``geoquant/data/points/README.md``), read from the installed package when
        no file of that name exists.
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
        shipped = shipped_points()
        if is_bare_name(str(path)) and p.name.removesuffix(".csv") in shipped:
            p = shipped_points_path(p.name)
        else:
            raise InvalidInputError(f"'path' must name an existing file or a shipped point set ({', '.join(shipped)}), "
                                    f"found {str(p)!r} (no such file)")
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


def _coordinate_order(header: list[str], p: Path, coordinate_columns: Any) -> list[int]:
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


def _read_csv(p: Path, coordinate_columns: Any) -> Any:
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
