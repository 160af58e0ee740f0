"""Comparison science: methods behind one fit/predict interface (with capability tags and a
contract), their errors on the hull and an inner region, network distances, rates. The study
machinery that runs them (specs, executors, results on disk) is :mod:`geoquant.study`.

Names are loaded lazily from their private modules (PEP 562), so importing the
package stays cheap and torch/scikit-learn/Dask load only when used.
"""

from __future__ import annotations

from .._lazy import attach_stub

# the public names and their modules are listed once, in __init__.pyi
__getattr__, __dir__, __all__ = attach_stub(__name__, __file__, globals())
