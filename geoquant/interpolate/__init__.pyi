"""Typing stub of ``geoquant.interpolate``: the one list of its public names.

Type checkers read it; at run time ``geoquant._lazy.attach_stub`` reads it too and imports
each name's module the first time the name is used.
"""

from ._interpolant import (
    PiecewiseLinearInterpolant as PiecewiseLinearInterpolant,
)
from ._errors import (
    ErrorResult as ErrorResult,
    interpolation_error as interpolation_error,
    simplex_errors as simplex_errors,
    pl_errors as pl_errors,
    target_l2_cost as target_l2_cost,
)
from ._optimal import (
    l2_optimal_triangulation as l2_optimal_triangulation,
    L2OptimalTriangulation as L2OptimalTriangulation,
)
from ._bounds import (
    error_bounds as error_bounds,
    min_enclosing_radius as min_enclosing_radius,
    circumspheres as circumspheres,
)
from .._quadrature import (
    grundmann_moeller as grundmann_moeller,
)
from ._datadep import (
    l2_lawson_flip as l2_lawson_flip,
    l2_data_dependent_triangulation as l2_data_dependent_triangulation,
)
