"""The interface of the counting structures, written down: what every counting engine relies on.

A counting structure is the AND/OR DAG of all (fine) triangulations of a point set: states
(sub-polygons, or segments on a line), each with its choices ``(sid, kids)`` -- the simplex
``simplices[sid]`` it places and the zero, one or two sub-states left. The counting DP
(``count``), the cost DPs of :func:`~geoquant.triangulation.cost_statistics`, ranking,
unranking and sampling (:mod:`._enumerate`) and the integer program's bookkeeping use only this
interface. Two structures implement it: :class:`~._count_planar.PlanarDecomposition` (2D) and
:class:`~._count_line.LineChain` (1D). A state memo -- a ``dict`` or the compiled kernel's table
:class:`~._count_kernel.KernelMemo` -- implements :class:`StateMemo`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

__all__ = ["CountingStructure", "StateMemo"]


@runtime_checkable
class CountingStructure(Protocol):
    """The DAG of all (fine) triangulations of a point set.

    Attributes
    ----------
    points : (n_points, n_dims) ndarray
        The clean points (original order).
    fine : bool
        Fine triangulations (every point a vertex) or all triangulations.
    order : (n_points,) ndarray of int
        Sorted position -> original point index.
    root : hashable
        The state of the whole point set (its convex hull).
    simplices : (n_candidates, n_dims + 1) ndarray of int
        Every candidate simplex (original indices, rows ascending); a choice's ``sid`` is a row.
    n_interior : int
        Points strictly inside the convex hull.
    """

    points: np.ndarray
    fine: bool
    order: np.ndarray
    root: Any
    simplices: np.ndarray
    n_interior: int

    def expand(self, state: Any) -> Sequence[tuple[int, tuple[Any, ...]]]:
        """The choices ``(sid, kids)`` of ``state``: a simplex placed and the sub-states left (0, 1 or 2)."""
        ...

    def count(self, state: Any) -> int:
        """The number of triangulations of ``state``."""
        ...

    def max_depth(self) -> int:
        """An upper bound on the nesting depth of a recursion over the DAG (for the recursion limit)."""
        ...


@runtime_checkable
class StateMemo(Protocol):
    """A memo of per-state counts: ``state -> int`` (a ``dict``, or the compiled kernel's read-only table)."""

    def __len__(self) -> int: ...

    def __contains__(self, key: object) -> bool: ...

    def __getitem__(self, key: Any) -> int: ...

    def __setitem__(self, key: Any, value: int) -> None: ...

    def get(self, key: Any, default: Any = None) -> Any: ...
