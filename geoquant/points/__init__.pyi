"""Typing stub of ``geoquant.points``: the one list of its public names.

Type checkers read it; at run time ``geoquant._lazy.attach_stub`` reads it too and imports
each name's module the first time the name is used.
"""

from ._files import (
    PointSet as PointSet,
    load_points as load_points,
    write_points as write_points,
    default_coordinate_names as default_coordinate_names,
    MAX_CSV_COLUMNS as MAX_CSV_COLUMNS,
)
from ._sample import (
    sample_points as sample_points,
    check_domain as check_domain,
    SAMPLE_KINDS as SAMPLE_KINDS,
    SampleKind as SampleKind,
)
