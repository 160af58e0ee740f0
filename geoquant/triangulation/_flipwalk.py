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

from typing import TYPE_CHECKING, Generic, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import TooLargeError
from ._count import cost_statistics
from ._delaunay import delaunay
from ._mesh import PlanarMesh

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable, Iterable, Iterator

    from .._validation import SeedLike
    from ._count import CostStatistics

_T = TypeVar("_T", bound="Hashable")

_key = PlanarMesh.edge_key

__all__ = ["FlipWalk", "walk_from_delaunay", "exact_cost_statistics"]


class _IndexedSet(Generic[_T]):
    """A set with O(1) add, discard and uniform random choice (list + position map)."""

    def __init__(self, items: Iterable[_T] = ()) -> None:
        self._items: list[_T] = []
        self._pos: dict[_T, int] = {}
        for x in items:
            self.add(x)

    def add(self, x: _T) -> None:
        if x not in self._pos:
            self._pos[x] = len(self._items)
            self._items.append(x)

    def discard(self, x: _T) -> None:
        i = self._pos.pop(x, None)
        if i is None:
            return
        last = self._items.pop()
        if i < len(self._items):
            self._items[i] = last
            self._pos[last] = i

    def choice(self, rng: np.random.Generator) -> _T:
        return self._items[rng.integers(len(self._items))]

    def __contains__(self, x: object) -> bool:
        return x in self._pos

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[_T]:
        return iter(list(self._items))


class FlipWalk:
    """A mutable fine triangulation of planar points that flips edges cheaply.

    The structure and the flippability rule are the triangulation engine's one
    planar mesh (:class:`geoquant.triangulation.PlanarMesh`): an edge is
    flippable when its quadrilateral is strictly convex, decided by the exact
    orientation predicate, as in :func:`geoquant.triangulation.flippable_edges`
    and Lawson's flips.

    Parameters
    ----------
    points : (n_points, 2) ndarray
    simplices : (n_simplices, 3) ndarray of int
        A fine triangulation to start from (e.g. Delaunay).
    cost : callable, optional
        ``cost(simplices (k, 3) int) -> (k,)`` additive cost of triangles.
    seed : int or Generator
    """

    def __init__(
        self,
        points: ArrayLike,
        simplices: ArrayLike,
        cost: Callable[[np.ndarray], ArrayLike] | None = None,
        seed: SeedLike = 0,
    ) -> None:
        self.P = np.asarray(points, dtype=float)
        self.rng = np.random.default_rng(seed)
        self.mesh = PlanarMesh(self.P, np.asarray(simplices, dtype=np.int64))
        self._costfn: Callable[[np.ndarray], ArrayLike] | None = cost
        self._cost: dict[tuple[int, ...], float] = {}
        # sorted start so that the walk depends only on the triangulation and the seed
        self.flippable = _IndexedSet(e for e in sorted(self.mesh.edges) if self.mesh.is_flippable(e))
        self.total = self._cost_of(self._triangles()).sum() if cost is not None else 0.0

    # -- structure ---------------------------------------------------------------------
    def _triangles(self) -> list[tuple[int, int, int]]:
        """The current triangles as sorted vertex triples, by triangle id."""
        return [(int(s[0]), int(s[1]), int(s[2])) for s in (sorted(t) for t in self.mesh.triangles)]

    def _quad(self, e: tuple[int, int], oldest_first: bool = False) -> tuple[int, int, int, int, int, int]:
        """The quadrilateral of an interior edge (``PlanarMesh.quad``; the walk only asks for interior edges)."""
        q = self.mesh.quad(e, oldest_first=oldest_first)
        if q is None:  # pragma: no cover - a hull edge is never flippable
            raise ValueError(f"edge {e} is on the hull: it has no quadrilateral")
        return q

    def _cost_of(self, tris: Iterable[tuple[int, ...]]) -> NDArray[np.float64]:
        missing = [t for t in tris if t not in self._cost]
        if missing:
            if self._costfn is None:  # pragma: no cover - costs are only asked for with a cost function
                raise ValueError("this FlipWalk has no cost function")
            vals = np.asarray(self._costfn(np.asarray(missing, dtype=np.int64)), dtype=float)
            self._cost.update(zip(missing, vals))
        return np.array([self._cost[t] for t in tris])

    def flip(self, e: tuple[int, int]) -> tuple[int, int]:
        """Flip the flippable edge ``e = (u, v)``, ``u < v``; returns the new diagonal."""
        mesh = self.mesh
        u, v, a, b, t1, t2 = self._quad(e, oldest_first=True)
        old = (tuple(sorted(mesh.triangles[t1])), tuple(sorted(mesh.triangles[t2])))
        d = mesh.flip(u, v, a, b, t1, t2)
        new = (tuple(sorted((a, b, u))), tuple(sorted((a, b, v))))
        if self._costfn is not None:
            c_old, c_new = self._cost_of(list(old)), self._cost_of(list(new))
            self.total += c_new.sum() - c_old.sum()
        for x in (e, d, _key(u, a), _key(u, b), _key(v, a), _key(v, b)):
            if mesh.is_flippable(x):
                self.flippable.add(x)
            else:
                self.flippable.discard(x)
        return d

    def simplices(self) -> NDArray[np.int64]:
        return np.array(sorted(self._triangles()), dtype=np.int64)

    # -- walks -------------------------------------------------------------------------
    def _random_flippable(self) -> tuple[int, int]:
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

    def sample(
        self, k: int, *, burn_in: int | None = None, thin: int | None = None
    ) -> tuple[list[NDArray[np.int64]], NDArray[np.float64]]:
        """``k`` approximately uniform fine triangulations and their total costs.

        Defaults: ``burn_in = 20 * n_edges``, ``thin = 2 * n_edges`` steps.
        """
        m = len(self.mesh.edges)
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
                u, v, a, b, _, _ = self._quad(e)
                batch += [tuple(sorted((a, b, u))), tuple(sorted((a, b, v)))]
            if batch and self._costfn is not None:
                self._cost_of(batch)
            for e in cand:
                if e not in self.flippable:
                    continue
                u, v, a, b, t1, t2 = self._quad(e)
                old = [tuple(sorted(self.mesh.triangles[t1])), tuple(sorted(self.mesh.triangles[t2]))]
                new = [tuple(sorted((a, b, u))), tuple(sorted((a, b, v)))]
                delta = self._cost_of(new).sum() - self._cost_of(old).sum()
                if sign * delta < -1e-15 * max(abs(self.total), 1e-300):
                    self.flip(e)
                    improved = True
            if not improved:
                break
        return self.total


def exact_cost_statistics(points: np.ndarray, cost: Callable[[np.ndarray], ArrayLike]) -> CostStatistics | None:
    """``cost_statistics`` over all fine triangulations of ``points``, or None when the counting
    structure is too large (the caller then searches otherwise)."""
    try:
        return cost_statistics(points, cost, fine=True)
    except TooLargeError:
        return None


def walk_from_delaunay(
    points: ArrayLike, cost: Callable[[np.ndarray], ArrayLike] | None, seed: SeedLike
) -> FlipWalk:
    """A :class:`FlipWalk` over the fine triangulations of ``points`` started at Delaunay."""
    return FlipWalk(points, delaunay(points).simplices, cost, seed=seed)
