"""Typing stub of ``geoquant.compare``: the one list of its public names.

Type checkers read it; at run time ``geoquant._lazy.attach_stub`` reads it too and imports
each name's module the first time the name is used.
"""

# methods
from .methods import (
    Competitor as Competitor,
    Method as Method,
    Statistic as Statistic,
    register_method as register_method,
    get_method as get_method,
    list_methods as list_methods,
    method_class as method_class,
    MethodTags as MethodTags,
    method_tags as method_tags,
)
from .estimators import (
    MethodRegressor as MethodRegressor,
    estimator_class as estimator_class,
    estimator_names as estimator_names,
)
from .methods._networks import (
    network_forward as network_forward,
)
# metrics
from ._metrics import (
    EvalConfig as EvalConfig,
    Evaluator as Evaluator,
    evaluate as evaluate,
)
from ._rates import (
    fit_rate as fit_rate,
    fit_rates as fit_rates,
    bootstrap_interval as bootstrap_interval,
    rate_self_check as rate_self_check,
    mark_pre_asymptotic as mark_pre_asymptotic,
)
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
# results
from ._results import (
    load_results as load_results,
    load_gallery as load_gallery,
    study_status as study_status,
    DETERMINISTIC_COLUMNS as DETERMINISTIC_COLUMNS,
)
from ._widths import (
    width_comparison as width_comparison,
)
# the method contract and the parameters of a method's params_schema
from ._params import (
    Param as Param,
)
from ._contract import (
    check_method as check_method,
)
