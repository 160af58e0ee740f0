"""Theory engine: activation sectors, the alignment field and potential, extremal
directions, basins of attraction, and the functions small-initialization gradient
descent is predicted to reach (docs/theory.md §1–3).

Squared-loss convention: ``L = 1/2 * mean_i (f(x_i) - y_i)^2``, residual weights
``r_i = (y_i - f(x_i)) / n``; ``G`` is then the growth rate of ``log|w|`` per unit
of gradient-flow time (a GD step of size ``lr`` advances the time by ``lr``).

Derived: sectors, ``D``, ``G``, extremal directions and their stability, basins
(the alignment phase), and the minimum representation-cost interpolant
(:func:`minnorm_interpolant`, exact convex program, certified by its dual; :func:`minnorm_set_distance`,
the distance to the set of such interpolants).  Heuristic: the saddle-to-saddle reconstruction of the
later phases in :func:`predict_function` / :func:`reachable_functions`.

Names are loaded lazily from their private modules (PEP 562).
"""

from __future__ import annotations

from .._lazy import attach_stub

# the public names and their modules are listed once, in __init__.pyi
__getattr__, __dir__, __all__ = attach_stub(__name__, __file__, globals())
