"""geoquant: ReLU networks trained by gradient descent from small initialization,
side by side with linear interpolants over triangulations of the same points.

The public surface is curated here; implementations live in private modules.
Names load lazily (PEP 562), so ``import geoquant`` does not import torch or
matplotlib until a name that needs them is used.
"""

from __future__ import annotations

from ._lazy import attach

from ._version import __version__
from .errors import (
    DegenerateInputError,
    DuplicatePointsError,
    GeoquantError,
    InvalidInputError,
    SpecError,
    SolverError,
    StorageError,
    TooLargeError,
    UnsupportedError,
)

# public name -> module that provides it
_LAZY = {
    # points and targets
    "load_points": ".points",
    "sample_points": ".points",
    "write_points": ".points",
    "PointSet": ".points",
    "SAMPLE_KINDS": ".points",
    "get_target": ".targets",
    "list_targets": ".targets",
    "Target": ".targets",
    "describe_target": ".targets",
    # triangulations
    "Triangulation": ".triangulation",
    "delaunay": ".triangulation",
    # interpolants and errors
    "PiecewiseLinearInterpolant": ".interpolate",
    "ErrorResult": ".interpolate",
    "interpolation_error": ".interpolate",
    "simplex_errors": ".interpolate",
    "error_bounds": ".interpolate",
    "min_enclosing_radius": ".interpolate",
    "circumspheres": ".interpolate",
    # every triangulation of a planar point set; regular, data-dependent, flips
    "count_triangulations": ".triangulation",
    "enumerate_triangulations": ".triangulation",
    "sample_triangulations": ".triangulation",
    "cost_statistics": ".triangulation",
    "CostStatistics": ".triangulation",
    "optimal_triangulation": ".triangulation",
    "OptimalTriangulation": ".triangulation",
    "orient2d": ".triangulation",
    "incircle": ".triangulation",
    "regular_triangulation": ".triangulation",
    "is_regular": ".triangulation",
    "RegularityCertificate": ".triangulation",
    "random_regular_triangulation": ".triangulation",
    "flippable_edges": ".triangulation",
    "flip": ".triangulation",
    "flip_graph": ".triangulation",
    "plot_flip_graph": ".triangulation",
    "lawson_flip": ".triangulation",
    "data_dependent_triangulation": ".triangulation",
    # networks
    "train_gd": ".nn",
    "train_flow": ".nn",
    "TrainResult": ".nn",
    "save_checkpoints": ".nn",
    "load_result": ".nn",
    "find_plateaus": ".nn",
    "neuron_directions": ".nn",
    "neuron_amplitudes": ".nn",
    "dead_neurons": ".nn",
    "cluster_directions": ".nn",
    "kinks_1d": ".nn",
    "breaklines": ".nn",
    "linear_regions": ".nn",
    "count_linear_pieces": ".nn",
    "network_function": ".nn",
    # theory of the small-initialization limit
    "sectors": ".theory",
    "alignment_field": ".theory",
    "alignment_potential": ".theory",
    "residual_weights": ".theory",
    "extremal_directions": ".theory",
    "ExtremalDirection": ".theory",
    "basins": ".theory",
    "predict_function": ".theory",
    "reachable_functions": ".theory",
    "PredictedFunction": ".theory",
    "nearest_triangulation": ".theory",
    "compare_directions": ".theory",
    "sup_distance": ".theory",
    "plot_potential": ".theory",
    # comparison studies and reports
    "run_study": ".compare",
    "load_results": ".compare",
    "study_status": ".compare",
    "load_spec": ".compare",
    "list_methods": ".compare",
    "get_method": ".compare",
    "register_method": ".compare",
    "evaluate": ".compare",
    "fit_rates": ".compare",
    "make_report": ".report",
    # plots
    "plot_triangulation": ".plotting",
    "plot_interpolant_1d": ".plotting",
    "plot_error_map": ".plotting",
}

__getattr__, __dir__, _lazy_all = attach(__name__, _LAZY, globals())

__all__ = sorted(
    ["__version__", "GeoquantError", "InvalidInputError", "DegenerateInputError", "DuplicatePointsError",
     "TooLargeError", "UnsupportedError", "SpecError", "StorageError", "SolverError"]
    + _lazy_all
)
