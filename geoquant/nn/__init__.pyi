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
)
from ._model import (
    loss_and_grads as loss_and_grads,
)
from ._losses import (
    Loss as Loss,
    register_loss as register_loss,
    get_loss as get_loss,
)
from ._state import (
    training_state as training_state,
    TRAIN_STATUSES as TRAIN_STATUSES,
    INTERPOLATION_RTOL as INTERPOLATION_RTOL,
    PLATEAU_RTOL as PLATEAU_RTOL,
    DEFAULT_GRAD_TOL as DEFAULT_GRAD_TOL,
)
from ._init import (
    initialize as initialize,
)
from ._neurons import (
    network_forward as network_forward,
    NetworkLike as NetworkLike,
    NeuronDirections as NeuronDirections,
    neuron_directions as neuron_directions,
    neuron_amplitudes as neuron_amplitudes,
    dead_neurons as dead_neurons,
)
from ._directions import (
    NeuronGroup as NeuronGroup,
    NeuronClusters as NeuronClusters,
    cluster_directions as cluster_directions,
    condensed_network as condensed_network,
)
from ._creases import (
    Kinks as Kinks,
    Breakline as Breakline,
    kinks_1d as kinks_1d,
    crease_lines as crease_lines,
    breaklines as breaklines,
)
from ._regions import (
    LinearRegion as LinearRegion,
    linear_regions as linear_regions,
    count_linear_pieces as count_linear_pieces,
)
from ._plots import (
    plot_orientation_amplitude as plot_orientation_amplitude,
    plot_loss as plot_loss,
    plot_fit_1d as plot_fit_1d,
    plot_breaklines_2d as plot_breaklines_2d,
)

from ._neurons import (
    with_output_offset as with_output_offset,
)

# deprecated (removed in geoquant 0.3.0; CHANGELOG.md names each replacement)
from ._neurons import (
    relu_forward as relu_forward,
    network_function as network_function,
)
from ._model import (
    evaluate_network as evaluate_network,
)
from ._events import (
    find_plateaus_models as find_plateaus_models,
)
from ._directions import (
    cluster_directions_models as cluster_directions_models,
    condensed_network_models as condensed_network_models,
)
from ._creases import (
    kinks_1d_models as kinks_1d_models,
    breaklines_models as breaklines_models,
)
from ._regions import (
    linear_regions_models as linear_regions_models,
    count_linear_pieces_models as count_linear_pieces_models,
)
