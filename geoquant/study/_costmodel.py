"""A calibrated model of what a study's tasks cost, for dry runs of short studies.

Timing samples (:func:`geoquant.study.dry_run`) takes seconds: importing torch alone
takes 1-3 s, more than a tenth of a study that runs in ten. A short study is therefore
estimated from a model instead: every method states the cost of one task in a few
*terms* (:meth:`geoquant.compare.Method.cost_terms`: one cheap task, one trained
network, GD steps and their arithmetic), the terms' seconds were measured once on a
reference machine (``geoquant/data/cost_model.json``, written by
``benchmarks/cost_model.py``), and a probe of a few hundredths of a second rescales
them to the machine at hand. A method whose cost the model does not know (user
methods, gradient flow, large samples) sends the dry run back to timed samples.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .._resources import shipped_data_text

if TYPE_CHECKING:
    from ._spec import Task

__all__ = ["probe", "calibration", "unit_costs", "PER_CALL_TERMS"]

#: terms an ensemble pays once per training call (its members train in lockstep): the maximum over its members
PER_CALL_TERMS = ("gd_step", "network_call_1d", "network_call_2d")


def probe(repeats: int = 5) -> tuple[float, float]:
    """``(cpu_s, wall_s)``: the fastest of ``repeats`` runs of a fixed workload of interpreted Python and small
    array operations (what the per-step cost of a training loop and a cheap task are made of).

    The CPU seconds rescale the calibrated terms to this machine; wall over CPU seconds is how much slower
    the machine runs now than an idle one.
    """
    import numpy as np

    a = np.linspace(0.0, 1.0, 64)
    best_cpu, best_wall = float("inf"), float("inf")
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        acc = 0.0
        for i in range(50000):  # interpreted Python: the per-step overhead of a training loop
            acc += (i * 0.5) % 3.0
        for _ in range(5000):  # small array operations: the dispatch cost of numpy / torch calls
            a = np.maximum(a * 0.999, 0.0) + 1e-3
        best_cpu = min(best_cpu, time.process_time() - c0)
        best_wall = min(best_wall, time.perf_counter() - w0)
    return best_cpu, best_wall


@lru_cache(maxsize=1)
def calibration() -> dict[str, Any]:
    """The reference machine's seconds per cost term and its :func:`probe` time (``cost_model.json``)."""
    return json.loads(shipped_data_text("cost_model.json"))


def unit_costs(units: Mapping[str, Sequence[Task]], speed: float) -> dict[str, float] | None:
    """Estimated seconds of every unit (key -> seconds) on this machine, or None if any task's cost is unknown.

    Parameters
    ----------
    units : mapping of str to sequence of Task
        The study's units (a sample's tasks, or one network ensemble) by key.
    speed : float
        This machine's probe time over the reference machine's (> 1: slower).

    Returns
    -------
    dict of str to float, or None
        ``sum over terms of seconds(term) x count(term) x speed``; terms in :data:`PER_CALL_TERMS` count once
        per unit (their maximum over its tasks).
    """
    from ..compare import method_class

    seconds = calibration()["seconds"]
    out: dict[str, float] = {}
    for key, tasks in units.items():
        total: dict[str, float] = {}
        for t in tasks:
            m = t.settings["method"]
            try:
                terms = method_class(m["name"]).cost_terms(int(t.settings["target"]["dim"]), int(t.settings["n"]),
                                                           m["params"])
            except Exception:  # an unregistered (user) method: its cost is unknown
                return None
            if terms is None or any(k not in seconds for k in terms):
                return None
            for k, v in terms.items():
                total[k] = max(total.get(k, 0.0), v) if k in PER_CALL_TERMS else total.get(k, 0.0) + v
        out[key] = speed * sum(float(seconds[k]) * v for k, v in total.items())
    return out
