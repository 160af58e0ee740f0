"""Theory engine: activation sectors, the alignment field and potential, extremal
directions, basins of attraction, and the functions small-initialization gradient
descent is predicted to reach (docs/theory.md §1–3).

Squared-loss convention: ``L = 1/2 * mean_i (f(x_i) - y_i)^2``, residual weights
``r_i = (y_i - f(x_i)) / n``; ``G`` is then the growth rate of ``log|w|`` per unit
of gradient-flow time (a GD step of size ``lr`` advances the time by ``lr``).

Derived: sectors, ``D``, ``G``, extremal directions and their stability, basins
(the alignment phase), and the minimum representation-cost interpolant
(:func:`minnorm_interpolant`, exact convex program).  Heuristic: the saddle-to-saddle reconstruction of the
later phases in :func:`predict_function` / :func:`reachable_functions`.

Names are loaded lazily from their private modules (PEP 562).
"""

from __future__ import annotations

from .._lazy import attach

# public name -> private module that defines it
_LAZY = {
    # --- sectors ---
    "Sector": "._sectors",
    "Sectors": "._sectors",
    "sectors": "._sectors",
    "cover_count": "._sectors",
    "arrangement_count_2d": "._sectors",
    # --- alignment field and potential ---
    "residual_weights": "._alignment",
    "alignment_field": "._alignment",
    "alignment_potential": "._alignment",
    # --- extremal directions and basins ---
    "ExtremalDirection": "._extremal",
    "extremal_directions": "._extremal",
    "Basins": "._basins",
    "BasinResult": "._basins",
    "basins": "._basins",
    # --- predicted functions ---
    "Stage": "._predict",
    "PredictedFunction": "._predict",
    "predict_function": "._predict",
    "reachable_functions": "._predict",
    # --- the minimum representation-cost interpolant ---
    "MinNormInterpolant": "._minnorm",
    "minnorm_interpolant": "._minnorm",
    "representation_cost": "._minnorm",
    "savarese_cost": "._minnorm",
    # --- comparison with networks and triangulations ---
    "DirectionComparison": "._compare",
    "compare_directions": "._compare",
    "kink_distances": "._compare",
    "network_lines": "._compare",
    "sup_distance": "._compare",
    "NearestTriangulation": "._compare",
    "nearest_triangulation": "._compare",
    # --- plots ---
    "plot_potential": "._plots",
    "plot_predicted": "._plots",
}

__getattr__, __dir__, __all__ = attach(__name__, _LAZY, globals())
