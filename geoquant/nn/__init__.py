"""Network engine: many shallow ReLU networks trained at once by full-batch
gradient descent or gradient flow, with checkpoints, events and geometry.

Networks are pure functions over stacked parameters with a leading
``n_models`` axis (``W (n_models, width, n_dims + 1)`` holding ``[w | b]``,
``a (n_models, width)``); squared loss is ``1/2 * mean_i (f(x_i) - y_i)^2``.

Names are loaded lazily from their private modules (PEP 562), so importing the
package stays cheap and torch is imported only when a name is used.
"""

from __future__ import annotations

from .._lazy import attach_stub

# the public names and their modules are listed once, in __init__.pyi
__getattr__, __dir__, __all__ = attach_stub(__name__, __file__, globals())
