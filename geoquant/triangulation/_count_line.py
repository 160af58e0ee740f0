"""Triangulations of points on a line (d = 1).

A triangulation of ``n`` points on a line is a subdivision of their hull into
segments whose vertices are some of the points; both end points are always used
and each of the ``n - 2`` interior points may be used or left out. So there is
exactly one fine triangulation and ``2**(n - 2)`` in all.

The same AND/OR DAG interface as :class:`._count_planar.PlanarDecomposition`
is offered (state = the leftmost point still to be covered, a choice = the next
used point), so the cost statistics run unchanged; counting, ranking and
enumeration use the closed forms.
"""

from __future__ import annotations

import numpy as np

__all__ = ["LineChain"]


class LineChain:
    """All (fine) triangulations of ``n >= 2`` distinct points on a line.

    States are sorted positions ``i`` (the segment ``[x_i, x_last]`` remains);
    the choices of state ``i`` are the next used point ``j``. Segment ids index
    :attr:`simplices`, which lists every pair ``(i, j)``, ``i < j`` in sorted order
    (original indices, each row ascending).
    """

    def __init__(self, points: np.ndarray, *, fine: bool):
        self.points = points
        self.fine = bool(fine)
        n = len(points)
        self.n = n
        self.order = np.argsort(points[:, 0], kind="stable")
        self.root = 0
        self.last = n - 1
        if self.fine:
            ii = np.arange(n - 1)
            jj = ii + 1
        else:
            ii, jj = np.triu_indices(n, 1)
        self._pair_index = {(int(i), int(j)): k for k, (i, j) in enumerate(zip(ii, jj))}
        self.simplices = np.sort(np.stack([self.order[ii], self.order[jj]], axis=1), axis=1)
        self.n_interior = n - 2

    def expand(self, i: int) -> list:
        """Choices ``(sid, kids)`` of state ``i``."""
        last = self.last
        js = (i + 1,) if self.fine else range(i + 1, last + 1)
        pid = self._pair_index
        return [(pid[(i, j)], (j,) if j < last else ()) for j in js]

    def count(self, i: int) -> int:
        """Triangulations of the segment from sorted point ``i`` to the last point."""
        return 1 if self.fine else 1 << max(self.last - i - 1, 0)

    def max_depth(self) -> int:
        return 10  # the DPs run bottom_up(), so nothing recurses deeply

    def bottom_up(self):
        """States with their successors first (kids before parents)."""
        return range(self.last - 1, -1, -1)  # the last point is the end, not a state

    # closed-form ranking: bit k of the index says whether interior point k is used
    def unrank(self, index: int) -> np.ndarray:
        """Segments (original indices) of the triangulation with the given index."""
        n = self.n
        if self.fine:
            used = np.arange(n)
        else:
            inner = [k + 1 for k in range(n - 2) if index >> k & 1]
            used = np.array([0, *inner, n - 1], dtype=np.int64)
        return np.stack([self.order[used[:-1]], self.order[used[1:]]], axis=1)

    def rank(self, used_sorted_positions: np.ndarray) -> int:
        """Index of the triangulation using the given sorted positions."""
        if self.fine:
            return 0
        return sum(1 << (int(k) - 1) for k in used_sorted_positions if 0 < k < self.n - 1)
