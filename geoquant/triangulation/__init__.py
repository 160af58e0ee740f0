"""Triangulation engine: Delaunay in any dimension, every triangulation of a planar
point set (count, enumerate, sample, statistics), regular and data-dependent
triangulations, flips, exact optimal fine triangulations (integer programming).

Names are loaded lazily from their private modules (PEP 562), so importing the
package stays cheap and each module is imported only when used.
"""

from __future__ import annotations

from .._lazy import attach

# public name -> private module that defines it
_LAZY = {
    # --- core (lead) ---
    "Triangulation": "._triangulation",
    "delaunay": "._delaunay",
    # --- predicates, counting, enumeration, sampling, statistics ---
    "orient2d": "._predicates",
    "incircle": "._predicates",
    "count_triangulations": "._count",
    "cost_statistics": "._count",
    "CostStatistics": "._count",
    "NearDegeneracyWarning": "._count",
    "optimal_triangulation": "._optimal",
    "OptimalTriangulation": "._optimal",
    "enumerate_triangulations": "._enumerate",
    "sample_triangulations": "._enumerate",
    "unrank_triangulation": "._enumerate",
    "rank_triangulation": "._enumerate",
    # --- regular triangulations, flips, data-dependent triangulations ---
    "regular_triangulation": "._regular",
    "is_regular": "._regularity",
    "RegularityCertificate": "._regularity",
    "random_regular_triangulation": "._regular",
    "folding_constraints": "._regularity",
    "PlanarMesh": "._mesh",
    "flippable_edges": "._flips",
    "flip": "._flips",
    "flip_graph": "._flips",
    "plot_flip_graph": "._flips",
    "graph_layout": "._flips",
    "lawson_flip": "._datadep",
    "data_dependent_triangulation": "._datadep",
    "criterion_value": "._datadep",
}

__getattr__, __dir__, __all__ = attach(__name__, _LAZY, globals())
