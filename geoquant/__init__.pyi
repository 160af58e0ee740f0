"""Typing stub of ``geoquant``: the one list of its public names.

Type checkers read it; at run time ``geoquant._lazy.attach_stub`` reads it too and imports
each name's module the first time the name is used.
"""

from ._version import __version__ as __version__
from .errors import (
    DegenerateInputError as DegenerateInputError,
    DuplicatePointsError as DuplicatePointsError,
    GeoquantError as GeoquantError,
    InvalidInputError as InvalidInputError,
    SolverError as SolverError,
    SpecError as SpecError,
    StorageError as StorageError,
    TooLargeError as TooLargeError,
    UnsupportedError as UnsupportedError,
    UserCodeError as UserCodeError,
)
# points and targets
from .points import (
    load_points as load_points,
    sample_points as sample_points,
    write_points as write_points,
    PointSet as PointSet,
    SAMPLE_KINDS as SAMPLE_KINDS,
)
from .targets import (
    get_target as get_target,
    list_targets as list_targets,
    Target as Target,
    describe_target as describe_target,
)
# triangulations
from .triangulation import (
    Triangulation as Triangulation,
    delaunay as delaunay,
)
# interpolants and errors
from .interpolate import (
    PiecewiseLinearInterpolant as PiecewiseLinearInterpolant,
    ErrorResult as ErrorResult,
    interpolation_error as interpolation_error,
    simplex_errors as simplex_errors,
    l2_optimal_triangulation as l2_optimal_triangulation,
    L2OptimalTriangulation as L2OptimalTriangulation,
    error_bounds as error_bounds,
    min_enclosing_radius as min_enclosing_radius,
    circumspheres as circumspheres,
)
# every triangulation of a planar point set; regular, data-dependent, flips
from .triangulation import (
    count_triangulations as count_triangulations,
    enumerate_triangulations as enumerate_triangulations,
    sample_triangulations as sample_triangulations,
    cost_statistics as cost_statistics,
    CostStatistics as CostStatistics,
    optimal_triangulation as optimal_triangulation,
    OptimalTriangulation as OptimalTriangulation,
    orient2d as orient2d,
    incircle as incircle,
    regular_triangulation as regular_triangulation,
    is_regular as is_regular,
    RegularityCertificate as RegularityCertificate,
    random_regular_triangulation as random_regular_triangulation,
    flippable_edges as flippable_edges,
    flip as flip,
    flip_graph as flip_graph,
    plot_flip_graph as plot_flip_graph,
    lawson_flip as lawson_flip,
    data_dependent_triangulation as data_dependent_triangulation,
)
# networks
from .nn import (
    train_gd as train_gd,
    train_flow as train_flow,
    TrainResult as TrainResult,
    save_checkpoints as save_checkpoints,
    load_result as load_result,
    find_plateaus as find_plateaus,
    neuron_directions as neuron_directions,
    neuron_amplitudes as neuron_amplitudes,
    dead_neurons as dead_neurons,
    cluster_directions as cluster_directions,
    kinks_1d as kinks_1d,
    breaklines as breaklines,
    linear_regions as linear_regions,
    count_linear_pieces as count_linear_pieces,
    network_forward as network_forward,
)
# theory of the small-initialization limit
from .theory import (
    sectors as sectors,
    alignment_field as alignment_field,
    alignment_potential as alignment_potential,
    residual_weights as residual_weights,
    extremal_directions as extremal_directions,
    ExtremalDirection as ExtremalDirection,
    basins as basins,
    predict_function as predict_function,
    reachable_functions as reachable_functions,
    PredictedFunction as PredictedFunction,
    nearest_triangulation_sup as nearest_triangulation_sup,
    compare_directions as compare_directions,
    sup_distance as sup_distance,
    plot_potential as plot_potential,
)
# the comparison science
from .compare import (
    list_methods as list_methods,
    method_tags as method_tags,
    get_method as get_method,
    register_method as register_method,
    evaluate as evaluate,
    fit_rates as fit_rates,
)
# studies (spec, run, results on disk) and reports
from .study import (
    run_study as run_study,
    load_results as load_results,
    study_status as study_status,
    load_spec as load_spec,
)
from .report import (
    make_report as make_report,
)
# plots
from .plotting import (
    plot_triangulation as plot_triangulation,
    plot_interpolant_1d as plot_interpolant_1d,
    plot_error_map as plot_error_map,
)
# deprecated (removed in geoquant 0.3.0)
from .theory import (
    nearest_triangulation as nearest_triangulation,
)
from .nn import (
    network_function as network_function,
)
