"""Typing stub of ``geoquant.theory``: the one list of its public names.

Type checkers read it; at run time ``geoquant._lazy.attach_stub`` reads it too and imports
each name's module the first time the name is used.
"""

from ._sectors import (
    Sector as Sector,
    Sectors as Sectors,
    sectors as sectors,
    cover_count as cover_count,
    arrangement_count_2d as arrangement_count_2d,
)
from ._alignment import (
    residual_weights as residual_weights,
    alignment_field as alignment_field,
    alignment_potential as alignment_potential,
)
from ._maximum import (
    alignment_maximum as alignment_maximum,
)
from ._endstate import (
    END_STATES as END_STATES,
    EndState as EndState,
    end_state as end_state,
    pinned_share as pinned_share,
)
from ._extremal import (
    ExtremalDirection as ExtremalDirection,
    extremal_directions as extremal_directions,
)
from ._basins import (
    Basins as Basins,
    BasinResult as BasinResult,
    basins as basins,
)
from ._function import (
    Stage as Stage,
    PredictedFunction as PredictedFunction,
)
from ._predict import (
    predict_function as predict_function,
    reachable_functions as reachable_functions,
)
from ._minnorm import (
    MinNormInterpolant as MinNormInterpolant,
    minnorm_interpolant as minnorm_interpolant,
    representation_cost as representation_cost,
    savarese_cost as savarese_cost,
)
from ._minnorm_set import (
    MinNormSetDistance as MinNormSetDistance,
    minnorm_set_distance as minnorm_set_distance,
)
from ._compare import (
    DirectionComparison as DirectionComparison,
    compare_directions as compare_directions,
    kink_distances as kink_distances,
    NearestTriangulation as NearestTriangulation,
    nearest_triangulation_sup as nearest_triangulation_sup,
)
from ._distance import (
    network_lines as network_lines,
    sup_distance as sup_distance,
)
from ._plots import (
    plot_potential as plot_potential,
    plot_predicted as plot_predicted,
)
# deprecated (removed in geoquant 0.3.0)
from ._compare import (
    nearest_triangulation as nearest_triangulation,
)
