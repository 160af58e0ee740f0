"""The one kink extractor of the theory engine: kink positions ``-b / w`` of 1D neurons ``[w | b]``.

Three places used to extract kinks on their own: :attr:`MinNormInterpolant.kinks
<geoquant.theory.MinNormInterpolant.kinks>` (and :func:`~geoquant.theory.savarese_cost`),
:attr:`PredictedFunction.kinks <geoquant.theory.PredictedFunction.kinks>` and the kink of an
:class:`~geoquant.theory.ExtremalDirection`. They differ in two tolerances, which are
arguments here and which each caller passes unchanged, because no single pair of values
gives bit-identical results for all three:

* **which neurons bend** (``flat_tol``): ``|w| > flat_tol`` (absolute) or
  ``|w| > flat_tol * ||[w | b]||`` (``flat_relative=True``). The minimum-norm interpolant keeps
  every ``w != 0`` (``flat_tol=0``: its solver's neurons are exact, a tiny ``w`` is a real
  far kink that its cost counts); a predicted function keeps ``|w| > 1e-12 ||[w | b]||``
  (the rule of :func:`geoquant.nn.crease_lines`, its unit directions are rounded); an
  extremal direction, a unit vector, has a kink when ``|w| > 1e-14``. A unit vector's
  norm is 1 only up to rounding, so even the last two rules are not provably the same.
* **which kinks are one** (``merge_tol``): sorted neighbours ``k_i <= k_{i+1}`` are one kink
  when ``k_{i+1} - k_i <= merge_tol * scale``, with ``scale = max(|k_i|, |k_{i+1}|)``
  (``merge_scale="pair"``: 8 ulps of their own magnitude for the minimum-norm
  interpolant, so a far kink never absorbs the near ones) or ``scale = max(1, max_i |k_i|)``
  (``"largest"``: ``1e-9`` for a predicted function); the first kink of each run is kept.
  Without ``merge_tol`` the kinks come unsorted and unmerged, in neuron order.

The sort is numpy's stable sort (ties keep neuron order) unless ``stable_sort=False``
(numpy's default sort, which a predicted function has always used): the two orders differ
only between ``-0.0`` and ``+0.0``, which decides the sign of a returned zero kink.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import InvalidInputError

__all__ = ["kink_groups", "kink_positions"]


def _run_starts(ks: NDArray[np.float64], merge_tol: float, merge_scale: str) -> NDArray[np.bool_]:
    """Mask of the sorted kinks ``ks`` that start a new kink (the first of each run within the tolerance)."""
    if merge_scale == "pair":
        tol = merge_tol * np.maximum(np.abs(ks[1:]), np.abs(ks[:-1]))
    elif merge_scale == "largest":
        tol = merge_tol * max(1.0, np.max(np.abs(ks)))
    else:
        raise InvalidInputError(f"'merge_scale' must be 'pair' or 'largest', found {merge_scale!r}")
    return np.concatenate([[True], np.diff(ks) > tol])


def kink_groups(
    k: NDArray[np.float64], *, merge_tol: float, merge_scale: Literal["pair", "largest"] = "pair"
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Sort kinks (stably) and group those within ``merge_tol``: ``(order, group starts in the sorted order)``.

    Parameters
    ----------
    k : (m,) ndarray
        Kink positions.
    merge_tol : float
        Relative tolerance (module docstring).
    merge_scale : {"pair", "largest"}
        What ``merge_tol`` is relative to: the larger magnitude of the two neighbours, or
        ``max(1, max |k|)``.

    Returns
    -------
    order : (m,) int ndarray
        ``k[order]`` is sorted (ties in their order in ``k``).
    starts : (g,) int ndarray
        Index in ``k[order]`` of the first kink of each group.

    Examples
    --------
    >>> import numpy as np
    >>> order, starts = kink_groups(np.array([0.5, 0.5 + 1e-17, -1.0]), merge_tol=8 * np.finfo(float).eps)
    >>> order.tolist(), starts.tolist()
    ([2, 0, 1], [0, 1])
    """
    order = np.argsort(k, kind="stable")
    ks = k[order]
    if ks.size == 0:
        return order, np.zeros(0, dtype=np.int64)
    return order, np.flatnonzero(_run_starts(ks, merge_tol, merge_scale))


def kink_positions(
    W: ArrayLike,
    *,
    flat_tol: float,
    flat_relative: bool = False,
    merge_tol: float | None = None,
    merge_scale: Literal["pair", "largest"] = "pair",
    stable_sort: bool = True,
) -> NDArray[np.float64]:
    """Kink positions ``-b_j / w_j`` of the neurons ``[w_j | b_j]`` that bend, optionally merged.

    Parameters
    ----------
    W : (m, 2) array_like
        Neurons ``[w | b]`` of a network on 1D inputs (rows of a network whose output weight
        is zero should be left out by the caller).
    flat_tol : float
        A neuron bends when ``|w| > flat_tol`` (times ``||[w | b]||`` with ``flat_relative``).
    flat_relative : bool
    merge_tol : float, optional
        Merge sorted neighbours within ``merge_tol * scale`` (module docstring); None:
        every bending neuron's kink, unsorted, in neuron order.
    merge_scale : {"pair", "largest"}
    stable_sort : bool
        Sort stably (``np.sort(kind="stable")``) or with numpy's default sort.

    Returns
    -------
    (k,) ndarray
        Sorted distinct kinks (with ``merge_tol``), else one per bending neuron.

    Examples
    --------
    >>> import numpy as np
    >>> W = np.array([[2.0, -1.0], [1.0, -0.5], [0.0, 1.0], [-1.0, 0.25]])
    >>> kink_positions(W, flat_tol=0.0).tolist()
    [0.5, 0.5, 0.25]
    >>> kink_positions(W, flat_tol=0.0, merge_tol=1e-9, merge_scale="largest").tolist()
    [0.25, 0.5]
    """
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 2 or W.shape[1] != 2:
        raise InvalidInputError(f"'W' must have shape (m, 2) (neurons [w | b] on 1D inputs), found {W.shape}")
    w = np.abs(W[:, 0])
    bends = w > flat_tol * np.linalg.norm(W, axis=1) if flat_relative else w > flat_tol
    k = -W[bends, 1] / W[bends, 0]
    if merge_tol is None:
        return k
    ks = np.sort(k, kind="stable") if stable_sort else np.sort(k)
    if ks.size == 0:
        return ks
    return ks[_run_starts(ks, merge_tol, merge_scale)]
