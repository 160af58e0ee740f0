"""Typing stub of ``geoquant.nn``: the one list of its public names.

Type checkers read it; at run time ``geoquant._lazy.attach_stub`` reads it too and imports
each name's module the first time the name is used.
"""

from ._train import (
    train_gd as train_gd,
)
from ._flow import (
    train_flow as train_flow,
)
from ._result import (
    TrainResult as TrainResult,
)
from ._checkpoint import (
    Checkpoint as Checkpoint,
    Checkpoints as Checkpoints,
)
from ._io import (
    save_checkpoints as save_checkpoints,
    load_result as load_result,
)
from ._events import (
    find_plateaus as find_plateaus,
    find_plateaus_models as find_plateaus_models,
)
from ._model import (
    evaluate_network as evaluate_network,
    loss_and_grads as loss_and_grads,
)
from ._neurons import (
    relu_forward as relu_forward,
    NeuronDirections as NeuronDirections,
    neuron_directions as neuron_directions,
    neuron_amplitudes as neuron_amplitudes,
    dead_neurons as dead_neurons,
    network_function as network_function,
)
from ._directions import (
    NeuronGroup as NeuronGroup,
    NeuronClusters as NeuronClusters,
    cluster_directions as cluster_directions,
    cluster_directions_models as cluster_directions_models,
    condensed_network as condensed_network,
    condensed_network_models as condensed_network_models,
)
from ._creases import (
    Kinks as Kinks,
    Breakline as Breakline,
    kinks_1d as kinks_1d,
    kinks_1d_models as kinks_1d_models,
    crease_lines as crease_lines,
    breaklines as breaklines,
    breaklines_models as breaklines_models,
)
from ._regions import (
    LinearRegion as LinearRegion,
    linear_regions as linear_regions,
    linear_regions_models as linear_regions_models,
    count_linear_pieces as count_linear_pieces,
    count_linear_pieces_models as count_linear_pieces_models,
)
from ._plots import (
    plot_orientation_amplitude as plot_orientation_amplitude,
    plot_loss as plot_loss,
    plot_fit_1d as plot_fit_1d,
    plot_breaklines_2d as plot_breaklines_2d,
)
# types and thresholds other packages use (the theory engine's end-state classifier, its network arguments)
from ._neurons import (
    NetworkLike as NetworkLike,
)
from ._state import (
    DEFAULT_GRAD_TOL as DEFAULT_GRAD_TOL,
    INTERPOLATION_RTOL as INTERPOLATION_RTOL,
    PLATEAU_RTOL as PLATEAU_RTOL,
)
