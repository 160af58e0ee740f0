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
    METHOD_FAMILIES as METHOD_FAMILIES,
)
from .estimators import (
    MethodRegressor as MethodRegressor,
    estimator_class as estimator_class,
    estimator_names as estimator_names,
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
    RATE_METRIC as RATE_METRIC,
    SELF_CHECK_WINDOWS as SELF_CHECK_WINDOWS,
    SELF_CHECK_HALF_WIDTH as SELF_CHECK_HALF_WIDTH,
)
from ._metrics import (
    REGIONS as REGIONS,
    METRIC_COLUMNS as METRIC_COLUMNS,
    DISTANCE_COLUMNS as DISTANCE_COLUMNS,
    MINNORM_COLUMNS as MINNORM_COLUMNS,
)
# the method contract and the parameters of a method's params_schema
from .._params import (
    Param as Param,
)
from ._contract import (
    check_method as check_method,
)

# deprecated: the study machinery moved to geoquant.study (removed in geoquant._deprecation.REMOVED_IN)
__deprecated__ = {
    "StudySpec": "geoquant.study.StudySpec",
    "Task": "geoquant.study.Task",
    "load_spec": "geoquant.study.load_spec",
    "run_study": "geoquant.study.run_study",
    "StudyRun": "geoquant.study.StudyRun",
    "dry_run": "geoquant.study.dry_run",
    "failure_causes": "geoquant.study.failure_causes",
    "run_unit": "geoquant.study.run_unit",
    "make_data": "geoquant.study.make_data",
    "load_results": "geoquant.study.load_results",
    "load_gallery": "geoquant.study.load_gallery",
    "study_status": "geoquant.study.study_status",
    "DETERMINISTIC_COLUMNS": "geoquant.study.DETERMINISTIC_COLUMNS",
    "width_comparison": "geoquant.study.width_comparison",
}

# deprecated (removed in geoquant 0.3.0): use geoquant.nn.network_forward
from .methods._networks import (
    network_forward as network_forward,
)
