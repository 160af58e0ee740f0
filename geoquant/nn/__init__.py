"""Network engine: many shallow ReLU networks trained at once by full-batch
gradient descent or gradient flow, with checkpoints, events and geometry.

Networks are pure functions over stacked parameters with a leading
``n_models`` axis (``W (n_models, width, n_dims + 1)`` holding ``[w | b]``,
``a (n_models, width)``); squared loss is ``1/2 * mean_i (f(x_i) - y_i)^2``.

Names are loaded lazily from their private modules (PEP 562), so importing the
package stays cheap and torch is imported only when a name is used.
"""

from __future__ import annotations

from .._lazy import attach

# public name -> private module that defines it
_LAZY = {
    # --- training core ---
    "train_gd": "._train",
    "train_flow": "._flow",
    "TrainResult": "._result",
    "Checkpoint": "._checkpoint",
    "Checkpoints": "._checkpoint",
    "save_checkpoints": "._io",
    "load_result": "._io",
    "find_plateaus": "._events",
    "evaluate_network": "._model",
    "loss_and_grads": "._model",
    # --- numpy forward and neuron geometry ---
    "relu_forward": "._neurons",
    "NeuronDirections": "._neurons",
    "neuron_directions": "._neurons",
    "neuron_amplitudes": "._neurons",
    "dead_neurons": "._neurons",
    "network_function": "._neurons",
    "NeuronGroup": "._directions",
    "NeuronClusters": "._directions",
    "cluster_directions": "._directions",
    "condensed_network": "._directions",
    "Kinks": "._creases",
    "Breakline": "._creases",
    "kinks_1d": "._creases",
    "kinks_1d_models": "._creases",
    "crease_lines": "._creases",
    "breaklines": "._creases",
    "breaklines_models": "._creases",
    "LinearRegion": "._regions",
    "linear_regions": "._regions",
    "count_linear_pieces": "._regions",
    "plot_orientation_amplitude": "._plots",
    "plot_loss": "._plots",
    "plot_fit_1d": "._plots",
    "plot_breaklines_2d": "._plots",
}

__getattr__, __dir__, __all__ = attach(__name__, _LAZY, globals())
