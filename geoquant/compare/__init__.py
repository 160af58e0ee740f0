"""Comparison engine: methods behind one fit/predict interface, their errors on
the hull and an inner region, and studies (spec -> tasks -> result files).

Names are loaded lazily from their private modules (PEP 562), so importing the
package stays cheap and torch/scikit-learn/Dask load only when used.
"""

from __future__ import annotations

from .._lazy import attach_stub

# the public names and their modules are listed once, in __init__.pyi
__getattr__, __dir__, __all__ = attach_stub(__name__, __file__, globals())
