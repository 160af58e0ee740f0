"""Study machinery: a spec expands into tasks, executors run them, results live on disk.

This package is apart from the science it runs (the methods, metrics, distances and rates of
:mod:`geoquant.compare`): a study spec (:func:`load_spec`) expands into tasks, :func:`run_study`
runs them on an executor and writes one checksummed record per task into a study directory
(lock, manifest, quarantine of damaged files), and :func:`load_results` reads them back for
the report. Names load lazily (PEP 562) from the private modules listed in ``__init__.pyi``.
"""

from __future__ import annotations

from .._lazy import attach_stub

# the public names and their modules are listed once, in __init__.pyi
__getattr__, __dir__, __all__ = attach_stub(__name__, __file__, globals())
