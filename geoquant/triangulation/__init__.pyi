"""Typing stub of ``geoquant.triangulation``: the one list of its public names.

Type checkers read it; at run time ``geoquant._lazy.attach_stub`` reads it too and imports
each name's module the first time the name is used.
"""

from ._triangulation import (
    Triangulation as Triangulation,
)
from ._delaunay import (
    delaunay as delaunay,
)
from ._predicates import (
    orient2d as orient2d,
    incircle as incircle,
)
from ._count import (
    count_triangulations as count_triangulations,
    cost_statistics as cost_statistics,
    CostStatistics as CostStatistics,
    NearDegeneracyWarning as NearDegeneracyWarning,
)
from ._optimal import (
    optimal_triangulation as optimal_triangulation,
    OptimalTriangulation as OptimalTriangulation,
)
from ._enumerate import (
    enumerate_triangulations as enumerate_triangulations,
    sample_triangulations as sample_triangulations,
    unrank_triangulation as unrank_triangulation,
    rank_triangulation as rank_triangulation,
)
from ._regular import (
    regular_triangulation as regular_triangulation,
    random_regular_triangulation as random_regular_triangulation,
)
from ._regularity import (
    is_regular as is_regular,
    RegularityCertificate as RegularityCertificate,
    folding_constraints as folding_constraints,
)
from ._mesh import (
    PlanarMesh as PlanarMesh,
)
from ._flips import (
    flippable_edges as flippable_edges,
    flip as flip,
    flip_graph as flip_graph,
    plot_flip_graph as plot_flip_graph,
    graph_layout as graph_layout,
)
from ._datadep import (
    lawson_flip as lawson_flip,
    data_dependent_triangulation as data_dependent_triangulation,
    criterion_value as criterion_value,
)
from ._flipwalk import (
    FlipWalk as FlipWalk,
    walk_from_delaunay as walk_from_delaunay,
    exact_cost_statistics as exact_cost_statistics,
)
