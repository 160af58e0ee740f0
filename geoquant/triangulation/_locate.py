"""Vectorised point location in a triangulation of any dimension.

The triangulation need not be Delaunay, so the walking algorithms that rely on
the Delaunay lifting (as in Qhull / scipy) do not apply. Instead the bounding
box of the points is covered by a uniform grid of buckets; each bucket lists
the simplices whose bounding boxes meet it. A query is tested only against the
candidates of its bucket, all queries at once, candidate slot by candidate
slot, so the work is a few small dense operations per query.

In 1D the simplices are intervals and location is a binary search.

In 2D (the common case: interpolants, errors, network comparisons) the index and
the queries run compiled (numba): each triangle is rasterised into exactly the
cells its area meets (a scanline over cell rows, so a long sliver does not fill
its whole bounding box, which made fans and other skinny triangulations slow),
and each query tests its cell's candidates in a compiled loop, in the same order
and with the same arithmetic as the vectorised path, which stays for d >= 3 and
as the reference.
"""

from __future__ import annotations

import numpy as np

_KERNELS: dict = {}


def _kernels() -> dict:
    """The compiled 2D kernels, built on first use (numba is imported only then: ~0.4 s)."""
    if not _KERNELS:
        try:
            from numba import njit
        except ImportError:  # pragma: no cover - numba is a dependency; the numpy path is the fallback
            _KERNELS["ok"] = False
            return _KERNELS
        _define(njit)
        _KERNELS["ok"] = True
    return _KERNELS


def _define(njit) -> None:  # noqa: C901 - defines the two compiled (numba) kernels of the hot loop, where a split costs a call per cell

    @njit(cache=True)
    def _raster_2d(V, lo, h, res, slack, count_only, out_cell, out_sid):  # pragma: no cover - compiled
        """Cells (x-major index ``cx + cy * res[0]``) met by each triangle ``V[s]`` (3, 2), by cell rows.

        For every row of cells the triangle's x-range within the row's closed strip
        (widened by ``slack`` cells) is the range of x over the triangle's vertices in
        the strip and its edges' crossings of the strip's two lines.
        """
        m = V.shape[0]
        k = 0
        for s in range(m):
            ymin = min(V[s, 0, 1], min(V[s, 1, 1], V[s, 2, 1]))
            ymax = max(V[s, 0, 1], max(V[s, 1, 1], V[s, 2, 1]))
            r0 = int(np.floor((ymin - lo[1]) / h - slack))
            r1 = int(np.floor((ymax - lo[1]) / h + slack))
            r0 = min(max(r0, 0), res[1] - 1)
            r1 = min(max(r1, 0), res[1] - 1)
            for r in range(r0, r1 + 1):
                y0 = lo[1] + (r - slack) * h
                y1 = lo[1] + (r + 1 + slack) * h
                xa = np.inf
                xb = -np.inf
                for j in range(3):
                    px, py = V[s, j, 0], V[s, j, 1]
                    if y0 <= py <= y1:
                        xa = min(xa, px)
                        xb = max(xb, px)
                    qx, qy = V[s, (j + 1) % 3, 0], V[s, (j + 1) % 3, 1]
                    if py != qy:
                        for yl in (y0, y1):
                            t = (yl - py) / (qy - py)
                            if 0.0 <= t <= 1.0:
                                x = px + t * (qx - px)
                                xa = min(xa, x)
                                xb = max(xb, x)
                if xa > xb:
                    continue
                c0 = min(max(int(np.floor((xa - lo[0]) / h - slack)), 0), res[0] - 1)
                c1 = min(max(int(np.floor((xb - lo[0]) / h + slack)), 0), res[0] - 1)
                for c in range(c0, c1 + 1):
                    if not count_only:
                        out_cell[k] = c + r * res[0]
                        out_sid[k] = s
                    k += 1
        return k

    @njit(cache=True)
    def _locate_2d(x, lo, h, res, cell_start, cell_simplices, inv, ref, tol, out_s, out_lam):  # pragma: no cover
        slack = 1e-6
        for q in range(x.shape[0]):
            rx = (x[q, 0] - lo[0]) / h
            ry = (x[q, 1] - lo[1]) / h
            if not (rx >= -slack and rx <= res[0] + slack and ry >= -slack and ry <= res[1] + slack):
                continue
            cx = min(max(int(np.floor(rx)), 0), res[0] - 1)
            cy = min(max(int(np.floor(ry)), 0), res[1] - 1)
            cell = cx + cy * res[0]
            for j in range(cell_start[cell], cell_start[cell + 1]):
                s = cell_simplices[j]
                d0 = x[q, 0] - ref[s, 0]
                d1 = x[q, 1] - ref[s, 1]
                b0 = inv[s, 0, 0] * d0 + inv[s, 0, 1] * d1
                b1 = inv[s, 1, 0] * d0 + inv[s, 1, 1] * d1
                last = 1.0 - (b0 + b1)
                if min(b0, b1) >= -tol and last >= -tol:
                    out_s[q] = s
                    out_lam[q, 0] = b0
                    out_lam[q, 1] = b1
                    out_lam[q, 2] = last
                    break

    _KERNELS["raster"] = _raster_2d
    _KERNELS["locate"] = _locate_2d


def affine_transforms(points: np.ndarray, simplices: np.ndarray):
    """Per-simplex maps to barycentric coordinates.

    Returns ``inv`` (m, d, d) and ``ref`` (m, d) such that the first d
    barycentric coordinates of x in simplex s are ``inv[s] @ (x - ref[s])``
    (``ref`` is the last vertex), as in scipy's ``Delaunay.transform``.
    """
    v = points[simplices]  # (m, d+1, d)
    ref = v[:, -1, :]
    mat = np.swapaxes(v[:, :-1, :] - ref[:, None, :], 1, 2)  # columns v_k - v_d
    inv = np.linalg.inv(mat)
    return np.ascontiguousarray(inv), np.ascontiguousarray(ref)


class SimplexLocator:
    """Bucket grid over the simplices; ``locate`` returns simplex ids and barycentric coordinates."""

    # Target number of (bucket, simplex) incidences per simplex; a few keeps the
    # candidate lists short without making the grid huge.
    _BUCKETS_PER_SIMPLEX = 2.0
    _MAX_INCIDENCES = 40_000_000

    def __init__(self, points: np.ndarray, simplices: np.ndarray, *, compiled: bool = True):
        self.points = points
        self.simplices = simplices
        self.d = points.shape[1]
        if self.d == 1:
            self._init_1d()
        else:
            self.inv, self.ref = affine_transforms(points, simplices)
            if compiled and self.d == 2 and len(simplices) and _kernels()["ok"]:
                self._init_grid_2d()
            else:
                self._init_grid()

    # ------------------------------------------------------------------ 1D
    def _init_1d(self):
        ends = self.points[self.simplices, 0]  # (m, 2)
        lo, hi = ends.min(axis=1), ends.max(axis=1)
        order = np.argsort(lo)
        self._order = order
        self._lo, self._hi = lo[order], hi[order]
        self._left_is_first = (self.points[self.simplices[order, 0], 0] == self._lo)

    def _locate_1d(self, x: np.ndarray, tol: float):
        xs = x[:, 0]
        lo, hi = self._lo, self._hi
        k = np.searchsorted(lo, xs, side="right") - 1
        k = np.clip(k, 0, len(lo) - 1)
        length = hi[k] - lo[k]
        t = (xs - lo[k]) / length  # position from the left end in [0, 1]
        inside = (t >= -tol) & (t <= 1 + tol)
        # a point just left of the first interval's start
        s = np.where(inside, self._order[k], -1)
        lam = np.empty((len(xs), 2))
        # simplices are canonical (sorted indices), so vertex 0 may be the right end
        first_left = self._left_is_first[k]
        lam[:, 0] = np.where(first_left, 1 - t, t)
        lam[:, 1] = 1 - lam[:, 0]
        lam[~inside] = np.nan
        return s.astype(np.int64), lam

    # ------------------------------------------------------------------ grid
    def _init_grid(self):
        pts, simp, d = self.points, self.simplices, self.d
        m = len(simp)
        self.lo = pts.min(axis=0)
        extent = np.maximum(pts.max(axis=0) - self.lo, 1e-300)
        v = pts[simp]
        smin, smax = v.min(axis=1), v.max(axis=1)
        # Cell size so that about _BUCKETS_PER_SIMPLEX * m cells cover the box,
        # shaped like the box itself.
        n_cells = max(1.0, self._BUCKETS_PER_SIMPLEX * m)
        h = (np.prod(extent) / n_cells) ** (1.0 / d)
        while True:
            res = np.maximum(1, np.ceil(extent / h).astype(np.int64))
            c0 = np.clip(np.floor((smin - self.lo) / h).astype(np.int64), 0, res - 1)
            c1 = np.clip(np.floor((smax - self.lo) / h).astype(np.int64), 0, res - 1)
            span = c1 - c0 + 1
            per = np.prod(span, axis=1)
            if per.sum() <= self._MAX_INCIDENCES:
                break
            h *= 1.5  # coarser grid: long slivers would cover too many cells
        self.h, self.res = h, res
        strides = np.cumprod(np.concatenate([[1], res[:-1]]))
        self.strides = strides
        # Enumerate (cell, simplex) incidences without a Python loop over simplices.
        total = int(per.sum())
        sid = np.repeat(np.arange(m), per)
        # offset of each incidence within its simplex's box, decoded per axis
        start = np.concatenate([[0], np.cumsum(per)[:-1]])
        local = np.arange(total) - np.repeat(start, per)
        cell = np.zeros(total, dtype=np.int64)
        rem = local
        sp = span[sid]
        for axis in range(d):
            coord = rem % sp[:, axis]
            rem = rem // sp[:, axis]
            cell += (c0[sid, axis] + coord) * strides[axis]
        # Within a cell, try first the simplices that contain the cell's centre
        # (most queries of the cell fall in them): sort by how far outside the
        # centre lies, measured by its most negative barycentric coordinate.
        centre = self.lo + (np.stack(np.unravel_index(cell, tuple(res), order="F"), axis=1) + 0.5) * h
        b = np.einsum("qij,qj->qi", self.inv[sid], centre - self.ref[sid])
        outside = -np.minimum(b.min(axis=1), 1.0 - b.sum(axis=1))
        order = np.lexsort((outside, cell))
        self.cell_simplices = sid[order]
        n_total_cells = int(np.prod(res))
        counts = np.bincount(cell, minlength=n_total_cells)
        self.cell_start = np.concatenate([[0], np.cumsum(counts)])
        self.cell_count = counts

    # ------------------------------------------------------------------ 2D, compiled
    def _init_grid_2d(self):
        pts, simp = self.points, self.simplices
        m = len(simp)
        self.lo = pts.min(axis=0)
        extent = np.maximum(pts.max(axis=0) - self.lo, 1e-300)
        V = np.ascontiguousarray(pts[simp])
        h = float(np.sqrt(np.prod(extent) / max(1.0, self._BUCKETS_PER_SIMPLEX * m)))
        dummy_c = np.zeros(1, dtype=np.int64)
        while True:
            res = np.maximum(1, np.ceil(extent / h).astype(np.int64))
            total = _KERNELS["raster"](V, self.lo, h, res, 1e-9, True, dummy_c, dummy_c)
            if total <= self._MAX_INCIDENCES:
                break
            h *= 1.5
        cell = np.empty(total, dtype=np.int64)
        sid = np.empty(total, dtype=np.int64)
        _KERNELS["raster"](V, self.lo, h, res, 1e-9, False, cell, sid)
        self.h, self.res = h, res
        self.strides = np.array([1, res[0]], dtype=np.int64)
        # within a cell, the simplices holding the cell's centre first (as in _init_grid)
        centre = self.lo + (np.stack([cell % res[0], cell // res[0]], axis=1) + 0.5) * h
        b = np.einsum("qij,qj->qi", self.inv[sid], centre - self.ref[sid])
        outside = -np.minimum(b.min(axis=1), 1.0 - b.sum(axis=1))
        order = np.lexsort((outside, cell))
        self.cell_simplices = np.ascontiguousarray(sid[order])
        counts = np.bincount(cell, minlength=int(np.prod(res)))
        self.cell_start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.cell_count = counts
        self._compiled = True

    def locate(self, x: np.ndarray, tol: float = 1e-10):
        """Simplex index (``-1`` outside) and barycentric coordinates for ``x`` (q, d)."""
        if self.d == 1:
            return self._locate_1d(x, tol)
        if getattr(self, "_compiled", False):
            q = x.shape[0]
            out_s = np.full(q, -1, dtype=np.int64)
            out_lam = np.full((q, 3), np.nan)
            _KERNELS["locate"](np.ascontiguousarray(x, dtype=np.float64), self.lo, float(self.h), self.res,
                       self.cell_start, self.cell_simplices, self.inv, self.ref, float(tol), out_s, out_lam)
            return out_s, out_lam
        q, d = x.shape
        out_s = np.full(q, -1, dtype=np.int64)
        out_lam = np.full((q, d + 1), np.nan)
        rel = (x - self.lo) / self.h
        # Points within round-off of the box (on the hull boundary) belong to the
        # nearest edge cell; the barycentric test below decides membership.
        slack = 1e-6
        inbox = np.all((rel >= -slack) & (rel <= self.res + slack), axis=1)
        cidx = np.clip(np.floor(np.where(inbox[:, None], rel, 0.0)).astype(np.int64), 0, self.res - 1)
        pending = np.flatnonzero(inbox)
        cell = (cidx[pending] * self.strides).sum(axis=1)
        start = self.cell_start[cell]
        count = self.cell_count[cell]
        slot = 0
        while len(pending):
            live = count > slot
            pending, start, count = pending[live], start[live], count[live]
            if not len(pending):
                break
            s = self.cell_simplices[start + slot]
            diff = x[pending] - self.ref[s]
            b = np.einsum("qij,qj->qi", self.inv[s], diff)
            last = 1.0 - b.sum(axis=1)
            ok = (b.min(axis=1) >= -tol) & (last >= -tol)
            hit = pending[ok]
            out_s[hit] = s[ok]
            out_lam[hit, :d] = b[ok]
            out_lam[hit, d] = last[ok]
            keep = ~ok
            pending, start, count = pending[keep], start[keep], count[keep]
            slot += 1
        return out_s, out_lam
