"""Reference functions from theory: the theory engine's prediction and the minimum-norm interpolant."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ...nn import network_forward
from ..._params import Param, positive_int
from ._base import Method, register_method

if TYPE_CHECKING:
    from ...targets import Target


@register_method
class TheoryPrediction(Method):
    """The function the theory engine predicts small-initialisation gradient flow
    reaches (:func:`geoquant.theory.predict_function`, saddle-to-saddle
    reconstruction, ``f(x) = sum_j c_j relu(w_j . (x, 1))``; 1D and 2D).

    With ``directions = "limit"`` (default) it is the **init -> 0 limit** at
    infinite width: every stable extremal direction holds dormant neurons.
    With ``directions = "trainer"`` it is a finite-initialisation prediction: the
    dormant neurons start at the initial directions (and output-weight signs) a
    network of ``width`` neurons with initialisation ``init`` draws for the same
    seed (:func:`geoquant.nn.initialize`, as the trainer does), so only the
    attractors reached from them can escape. ``refit = "flow"`` (default)
    follows the active neurons by gradient flow between escapes (what float64
    gradient flow at init 1e-12 reproduces; ``"cells"`` and ``"fixed"`` are
    coarser fits, see :mod:`geoquant.theory._predict`).
    """

    name = "theory"
    family = "theory"
    dims = (1, 2)
    preload = ("geoquant.theory",)
    description = "theory engine's predicted function (init -> 0 limit)"
    params_schema = {
        "refit": Param("choice", "flow", choices=("flow", "cells", "fixed"), doc="fit after each escape"),
        "max_stages": positive_int(None, optional=True, doc="cap on escapes (default: the engine's)"),
        "directions": Param(
            "choice", "limit", choices=("limit", "trainer"),
            doc="init -> 0 limit, or the initial directions of the trainer's network for this seed",
        ),
        "width": positive_int(100, doc="with directions = 'trainer': the network's width"),
        "init": Param("choice", "balanced", choices=("balanced", "gaussian"),
                      doc="with directions = 'trainer': the network's initialisation"),
    }

    def _fit(self, X: np.ndarray, y: np.ndarray, target: Target | None, seed: int) -> None:
        from ...theory import predict_function

        p = self.params
        kw = {"refit": p["refit"]}
        if p["max_stages"] is not None:
            kw["max_stages"] = p["max_stages"]
        if p["directions"] == "trainer":
            from ...nn import initialize

            start = initialize(1, p["width"], X.shape[1], init=p["init"], scales=np.ones(1), seeds=[int(seed)])
            kw["starts"] = start["W"][0].numpy()
            kw["signs"] = np.sign(start["a"][0].numpy())
        pf = predict_function(X, y, **kw)
        self.W = np.asarray(pf.weights, dtype=np.float64).reshape(-1, X.shape[1] + 1)
        self.a = np.asarray(pf.coefficients, dtype=np.float64).reshape(-1)
        self._info.update(
            n_stages=len(pf.stages), n_neurons=int(self.a.shape[0]), final_loss=float(pf.loss), stalled=bool(pf.stalled),
            regime="init -> 0 limit" if p["directions"] == "limit" else "finite init (trainer's initial directions)",
        )

    def _predict(self, xi: np.ndarray) -> np.ndarray:
        return network_forward(self.W, self.a, xi, 0.0, check_input=False)

    def state(self) -> dict:
        return {"W": self.W, "a": self.a}


@register_method
class MinNormInterpolantMethod(Method):
    """The minimum representation-cost interpolant, ``min sum_j |a_j| ||w_j||`` over
    shallow ReLU networks with ``f(x_i) = y_i`` (:func:`geoquant.theory.minnorm_interpolant`:
    the exact program over neurons whose kink or crease passes through a data point -- a
    linear program in 1D, column generation in 2D, which needs ``geoquant[minnorm]`` --
    certified by its dual), returned as network weights: the function small-initialisation
    training is compared with. The solve refuses up front past the memory budget
    (``GEOQUANT_MEMORY_BUDGET_GB``) and stops at ``time_limit`` (a failed task naming both)."""

    name = "minnorm"
    family = "theory"
    dims = (1, 2)
    preload = ("geoquant.theory",)
    description = "minimum representation-cost ReLU interpolant"
    params_schema = {
        "time_limit": Param(
            "float", 900.0, min=0, min_exclusive=True, optional=True,
            doc="seconds for the solve (None from Python: no limit); past it the task fails with the reason",
        ),
    }

    def _fit(self, X: np.ndarray, y: np.ndarray, target: Target | None, seed: int) -> None:
        from ...theory import minnorm_interpolant

        mn = minnorm_interpolant(X, y, time_limit=self.params["time_limit"], progress=False)
        self.W, self.a = mn.W, mn.a
        self._info.update(cost=mn.cost, n_neurons=int(mn.width), residual=mn.residual, solver=mn.solver,
                          gap=mn.gap, lower_bound=mn.lower_bound, iterations=mn.iterations)

    def _predict(self, xi: np.ndarray) -> np.ndarray:
        return network_forward(self.W, self.a, xi, 0.0, check_input=False)

    def state(self) -> dict:
        return {"W": self.W, "a": self.a}

