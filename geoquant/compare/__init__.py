"""Comparison engine: methods behind one fit/predict interface, their errors on
the hull and an inner region, and studies (spec -> tasks -> result files).

Names are loaded lazily from their private modules (PEP 562), so importing the
package stays cheap and torch/scikit-learn/Dask load only when used.
"""

from __future__ import annotations

from .._lazy import attach

# public name -> private module that defines it
_LAZY = {
    # methods
    "Method": "._methods",
    "register_method": "._methods",
    "get_method": "._methods",
    "list_methods": "._methods",
    "method_class": "._methods",
    "network_forward": "._methods",
    # metrics
    "EvalConfig": "._metrics",
    "Evaluator": "._metrics",
    "evaluate": "._metrics",
    "fit_rate": "._metrics",
    "fit_rates": "._metrics",
    "bootstrap_interval": "._metrics",
    "rate_self_check": "._metrics",
    "mark_pre_asymptotic": "._metrics",
    # specs and tasks
    "StudySpec": "._spec",
    "Task": "._spec",
    "load_spec": "._spec",
    # running
    "run_study": "._study",
    "StudyRun": "._study",
    "dry_run": "._study",
    "failure_causes": "._study",
    "run_unit": "._runner",
    "make_data": "._runner",
    # results
    "load_results": "._results",
    "load_gallery": "._results",
    "study_status": "._results",
    "DETERMINISTIC_COLUMNS": "._results",
}

__getattr__, __dir__, __all__ = attach(__name__, _LAZY, globals())
