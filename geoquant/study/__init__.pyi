"""Typing stub of ``geoquant.study``: the one list of its public names.

Type checkers read it; at run time ``geoquant._lazy.attach_stub`` reads it too and imports
each name's module the first time the name is used.
"""

# specs and tasks
from ._spec import (
    StudySpec as StudySpec,
    Task as Task,
    load_spec as load_spec,
)
# running
from ._study import (
    run_study as run_study,
    StudyRun as StudyRun,
    dry_run as dry_run,
    failure_causes as failure_causes,
)
from ._runner import (
    run_unit as run_unit,
    make_data as make_data,
)
# the study directory
from ._studydir import (
    read_manifest as read_manifest,
    verify_study as verify_study,
)
# results on disk
from ._results import (
    load_results as load_results,
    load_gallery as load_gallery,
    read_records as read_records,
    describe_damaged as describe_damaged,
    study_status as study_status,
    DETERMINISTIC_COLUMNS as DETERMINISTIC_COLUMNS,
)
# analyses of a finished study's networks
from ._widths import (
    width_comparison as width_comparison,
)
