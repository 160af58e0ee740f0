"""Fine triangulations of planar points beyond the counting range: flip walks.

The exact statistics over all triangulations (:func:`geoquant.triangulation.cost_statistics`)
and exactly uniform sampling (:func:`geoquant.triangulation.sample_triangulations`)
need the counting structure, which grows like ``2**n`` (about 20--24 points in
general position). Above that the comparison uses edge flips, which connect all
fine triangulations of a planar point set (Lawson 1972, docs/theory.md section 7):

* :meth:`FlipWalk.sample` -- a Metropolis random walk on the flip graph: propose
  a uniformly chosen flippable edge, accept with ``min(1, F(T) / F(T'))``
  (``F`` = number of flippable edges). Its stationary distribution is uniform
  on all fine triangulations; after a burn-in, samples are taken every
  ``thin`` steps. Approximately uniform (the mixing time is not known).
* :meth:`FlipWalk.descend` -- greedy local search on an additive cost (flip
  while some flip lowers / raises it): a local optimum, used to sharpen the
  best / worst triangulation found among the samples.

Costs are additive over triangles and computed once per distinct triangle.
"""

from __future__ import annotations

import numpy as np

__all__ = ["FlipWalk"]


class _IndexedSet:
    """A set with O(1) add, discard and uniform random choice (list + position map)."""

    def __init__(self, items=()):
        self._items, self._pos = [], {}
        for x in items:
            self.add(x)

    def add(self, x):
        if x not in self._pos:
            self._pos[x] = len(self._items)
            self._items.append(x)

    def discard(self, x):
        i = self._pos.pop(x, None)
        if i is None:
            return
        last = self._items.pop()
        if i < len(self._items):
            self._items[i] = last
            self._pos[last] = i

    def choice(self, rng):
        return self._items[rng.integers(len(self._items))]

    def __contains__(self, x):
        return x in self._pos

    def __len__(self):
        return len(self._items)

    def __iter__(self):
        return iter(list(self._items))


def _orient(p, q, r) -> float:
    return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])


class FlipWalk:
    """A mutable fine triangulation of planar points that flips edges cheaply.

    Parameters
    ----------
    points : (n_points, 2) ndarray
    simplices : (n_simplices, 3) ndarray of int
        A fine triangulation to start from (e.g. Delaunay).
    cost : callable, optional
        ``cost(simplices (k, 3) int) -> (k,)`` additive cost of triangles.
    seed : int or Generator
    """

    def __init__(self, points, simplices, cost=None, seed=0):
        self.P = np.asarray(points, dtype=float)
        self._xy = [tuple(p) for p in self.P.tolist()]  # python floats: much faster scalar arithmetic
        scale = float(np.max(np.ptp(self.P, axis=0))) or 1.0
        self._eps = 1e-12 * scale * scale
        self.rng = np.random.default_rng(seed)
        self.tris = {}  # id -> sorted (i, j, k)
        self.edge = {}  # (u, v) u < v -> [tid, tid or -1]
        self._next = 0
        for s in np.asarray(simplices, dtype=np.int64):
            self._add(tuple(sorted(int(v) for v in s)))
        self._costfn = cost
        self._cost = {}
        # sorted start so that the walk depends only on the triangulation and the seed
        self.flippable = _IndexedSet(e for e in sorted(self.edge) if self._is_flippable(e))
        self.total = self._cost_of(list(self.tris.values())).sum() if cost is not None else 0.0

    # -- structure ---------------------------------------------------------------------
    def _add(self, t):
        tid = self._next
        self._next += 1
        self.tris[tid] = t
        a, b, c = t
        for e in ((a, b), (a, c), (b, c)):
            self.edge.setdefault(e, []).append(tid)
        return tid

    def _remove(self, tid):
        a, b, c = self.tris.pop(tid)
        for e in ((a, b), (a, c), (b, c)):
            lst = self.edge[e]
            lst.remove(tid)
            if not lst:
                del self.edge[e]

    def _opposite(self, tid, e):
        return next(v for v in self.tris[tid] if v not in e)

    def _is_flippable(self, e) -> bool:
        ts = self.edge.get(e)
        if ts is None or len(ts) != 2:
            return False
        u, v = e
        a, b = self._opposite(ts[0], e), self._opposite(ts[1], e)
        P = self._xy
        # strictly convex quadrilateral: the diagonals cross properly
        o1, o2 = _orient(P[a], P[b], P[u]), _orient(P[a], P[b], P[v])
        o3, o4 = _orient(P[u], P[v], P[a]), _orient(P[u], P[v], P[b])
        return o1 * o2 < -self._eps**2 and o3 * o4 < -self._eps**2

    def _cost_of(self, tris) -> np.ndarray:
        missing = [t for t in tris if t not in self._cost]
        if missing:
            vals = np.asarray(self._costfn(np.asarray(missing, dtype=np.int64)), dtype=float)
            self._cost.update(zip(missing, vals))
        return np.array([self._cost[t] for t in tris])

    def flip(self, e):
        """Flip edge ``e = (u, v)``; returns the new diagonal."""
        u, v = e
        t1, t2 = self.edge[e]
        a, b = self._opposite(t1, e), self._opposite(t2, e)
        old = (self.tris[t1], self.tris[t2])
        self._remove(t1)
        self._remove(t2)
        new = (tuple(sorted((a, b, u))), tuple(sorted((a, b, v))))
        for t in new:
            self._add(t)
        if self._costfn is not None:
            c_old, c_new = self._cost_of(list(old)), self._cost_of(list(new))
            self.total += c_new.sum() - c_old.sum()
        d = (min(a, b), max(a, b))
        for x in (e, d, (min(u, a), max(u, a)), (min(u, b), max(u, b)), (min(v, a), max(v, a)),
                  (min(v, b), max(v, b))):
            if self._is_flippable(x):
                self.flippable.add(x)
            else:
                self.flippable.discard(x)
        return d

    def simplices(self) -> np.ndarray:
        return np.array(sorted(self.tris.values()), dtype=np.int64)

    # -- walks -------------------------------------------------------------------------
    def _random_flippable(self):
        return self.flippable.choice(self.rng)

    def step(self) -> bool:
        """One Metropolis step towards the uniform distribution; True if it moved."""
        if not self.flippable:
            return False
        f_old = len(self.flippable)
        e = self._random_flippable()
        d = self.flip(e)
        if self.rng.random() < f_old / len(self.flippable):
            return True
        self.flip(d)  # reject: flip back (restores the triangulation and its cost)
        return False

    def sample(self, k: int, *, burn_in: int | None = None, thin: int | None = None):
        """``k`` approximately uniform fine triangulations and their total costs.

        Defaults: ``burn_in = 20 * n_edges``, ``thin = 2 * n_edges`` steps.
        """
        m = len(self.edge)
        burn_in = 20 * m if burn_in is None else burn_in
        thin = 2 * m if thin is None else thin
        for _ in range(burn_in):
            self.step()
        out, totals = [], []
        for _ in range(k):
            for _ in range(thin):
                self.step()
            out.append(self.simplices())
            totals.append(self.total)
        return out, np.asarray(totals)

    def descend(self, sign: float = 1.0, max_passes: int = 200) -> float:
        """Greedy local search: flip while a flip lowers ``sign * cost``. Returns the total cost."""
        for _ in range(max_passes):
            improved = False
            cand = sorted(self.flippable)
            # cost every triangle a flip could create in one batch (the cost function is vectorised)
            batch = []
            for e in cand:
                t1, t2 = self.edge[e]
                a, b = self._opposite(t1, e), self._opposite(t2, e)
                batch += [tuple(sorted((a, b, e[0]))), tuple(sorted((a, b, e[1])))]
            if batch and self._costfn is not None:
                self._cost_of(batch)
            for e in cand:
                if e not in self.flippable:
                    continue
                t1, t2 = self.edge[e]
                a, b = self._opposite(t1, e), self._opposite(t2, e)
                u, v = e
                old = [self.tris[t1], self.tris[t2]]
                new = [tuple(sorted((a, b, u))), tuple(sorted((a, b, v)))]
                delta = self._cost_of(new).sum() - self._cost_of(old).sum()
                if sign * delta < -1e-15 * max(abs(self.total), 1e-300):
                    self.flip(e)
                    improved = True
            if not improved:
                break
        return self.total


def exact_cost_statistics(points, cost):
    """``cost_statistics`` over all fine triangulations of ``points``, or None when the counting
    structure is too large (the caller then searches otherwise)."""
    from ..errors import TooLargeError
    from ..triangulation import cost_statistics

    try:
        return cost_statistics(points, cost, fine=True)
    except TooLargeError:
        return None


def walk_from_delaunay(points, cost, seed) -> FlipWalk:
    """A :class:`FlipWalk` over the fine triangulations of ``points`` started at Delaunay."""
    from ..triangulation import delaunay

    return FlipWalk(points, delaunay(points).simplices, cost, seed=seed)
