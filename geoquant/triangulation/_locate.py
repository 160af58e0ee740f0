"""Vectorised point location in a triangulation of any dimension.

The triangulation need not be Delaunay, so the walking algorithms that rely on
the Delaunay lifting (as in Qhull / scipy) do not apply. Instead the bounding
box of the points is covered by a uniform grid of buckets; each bucket lists
the simplices whose bounding boxes meet it. A query is tested only against the
candidates of its bucket, all queries at once, candidate slot by candidate
slot, so the work is a few small dense operations per query.

In 1D the simplices are intervals and location is a binary search.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SimplexLocator", "affine_transforms"]


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

    def __init__(self, points: np.ndarray, simplices: np.ndarray):
        self.points = points
        self.simplices = simplices
        self.d = points.shape[1]
        if self.d == 1:
            self._init_1d()
        else:
            self.inv, self.ref = affine_transforms(points, simplices)
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

    def locate(self, x: np.ndarray, tol: float = 1e-10):
        """Simplex index (``-1`` outside) and barycentric coordinates for ``x`` (q, d)."""
        if self.d == 1:
            return self._locate_1d(x, tol)
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
