"""Typing stub of ``geoquant.theory``: the one list of its public names.

Type checkers read it; at run time ``geoquant._lazy.attach_stub`` reads it too and imports
each name's module the first time the name is used.
"""

# --- sectors ---
from ._sectors import (
    Sector as Sector,
    Sectors as Sectors,
    sectors as sectors,
    cover_count as cover_count,
    arrangement_count_2d as arrangement_count_2d,
)
# --- alignment field and potential ---
from ._alignment import (
    residual_weights as residual_weights,
    alignment_field as alignment_field,
    alignment_potential as alignment_potential,
)
# --- extremal directions and basins ---
from ._extremal import (
    ExtremalDirection as ExtremalDirection,
    extremal_directions as extremal_directions,
)
from ._basins import (
    Basins as Basins,
    BasinResult as BasinResult,
    basins as basins,
)
# --- predicted functions ---
from ._predict import (
    Stage as Stage,
    PredictedFunction as PredictedFunction,
    predict_function as predict_function,
    reachable_functions as reachable_functions,
)
# --- the minimum representation-cost interpolant ---
from ._minnorm import (
    MinNormInterpolant as MinNormInterpolant,
    minnorm_interpolant as minnorm_interpolant,
    representation_cost as representation_cost,
    savarese_cost as savarese_cost,
)
# --- comparison with networks and triangulations ---
from ._compare import (
    DirectionComparison as DirectionComparison,
    compare_directions as compare_directions,
    kink_distances as kink_distances,
    network_lines as network_lines,
    sup_distance as sup_distance,
    NearestTriangulation as NearestTriangulation,
    nearest_triangulation as nearest_triangulation,
)
# --- plots ---
from ._plots import (
    plot_potential as plot_potential,
    plot_predicted as plot_predicted,
)
