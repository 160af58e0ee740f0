"""Recording: log-spaced schedules, parameter checkpoints, saving and loading.

Small-initialization dynamics are slow for a long time and then fast, so both
the loss history and the parameter checkpoints are recorded on log-spaced
steps (or times, for gradient flow): equal resolution per decade.

On disk a result is a directory of three files, never pickles:

* ``result.npz`` -- final and initial parameters in the training dtype (so a
  float64 run resumes exactly), loss history, steps/times, failures,
  plateaus;
* ``checkpoints.npz`` -- the checkpoints, stacked, in float32 (compact);
* ``config.json`` -- every setting of the run.

Arrays are written with ``numpy.savez_compressed`` and read with
``allow_pickle=False``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

import numpy as np

from ..errors import InvalidInputError

__all__ = [
    "Checkpoint",
    "Checkpoints",
    "log_schedule",
    "log_times",
    "save_checkpoints",
    "load_result",
]


def log_schedule(start: int, end: int, n_per_run: int) -> np.ndarray:
    """Integer steps in ``(start, end]``, log-spaced on the global grid ``1..end``.

    ``n_per_run`` points are spread over ``[1, end]`` (rounded, de-duplicated)
    and those after ``start`` kept; ``end`` is always included when
    ``end > start``. A resumed run therefore records on the same grid a run
    straight through would use where the grids overlap.
    """
    if end <= start:
        return np.zeros(0, dtype=np.int64)
    if n_per_run <= 0:
        return np.array([end], dtype=np.int64)
    grid = np.unique(np.round(np.logspace(0.0, np.log10(end), n_per_run)).astype(np.int64))
    grid = grid[(grid > start) & (grid <= end)]
    if len(grid) == 0 or grid[-1] != end:
        grid = np.append(grid, end)
    return grid


def log_times(start: float, end: float, n: int, first: float) -> np.ndarray:
    """Times in ``(start, end]``, log-spaced from ``first`` to ``end`` (``end`` included)."""
    if end <= start:
        return np.zeros(0)
    if n <= 0:
        return np.array([end])
    first = min(first, end)
    grid = np.geomspace(first, end, n)
    grid = grid[(grid > start) & (grid < end)]
    return np.append(grid, end)


class Checkpoint:
    """Parameters of all models at one recorded step.

    Unpacks as ``step, W, a, loss = checkpoint``; ``c`` (output bias) and
    ``hidden`` (deeper layers) are attributes.

    Attributes
    ----------
    step : int or float
        Step (gradient descent) or time (gradient flow).
    W : (n_models, width, n_dims + 1) float32 ndarray
    a : (n_models, width) float32 ndarray
    loss : (n_models,) float64 ndarray
    c : (n_models,) ndarray or None
    hidden : tuple of (n_models, width, width + 1) ndarrays
    """

    __slots__ = ("step", "W", "a", "loss", "c", "hidden")

    def __init__(self, step, W, a, loss, c=None, hidden=()):
        self.step, self.W, self.a, self.loss, self.c, self.hidden = step, W, a, loss, c, tuple(hidden)

    def __iter__(self):
        return iter((self.step, self.W, self.a, self.loss))

    def __repr__(self):
        return f"Checkpoint(step={self.step}, n_models={self.W.shape[0]}, width={self.W.shape[1]})"


@dataclass
class Checkpoints:
    """Stacked checkpoints; a sequence of :class:`Checkpoint`.

    Attributes
    ----------
    steps : (n_checkpoints,) ndarray
        Steps (int64) or times (float64, gradient flow).
    W : (n_checkpoints, n_models, width, n_dims + 1) float32 ndarray
    a : (n_checkpoints, n_models, width) float32 ndarray
    loss : (n_checkpoints, n_models) float64 ndarray
    c : (n_checkpoints, n_models) float32 ndarray or None
    hidden : tuple of (n_checkpoints, n_models, width, width + 1) float32 ndarrays
    """

    steps: np.ndarray
    W: np.ndarray
    a: np.ndarray
    loss: np.ndarray
    c: np.ndarray | None = None
    hidden: tuple = field(default_factory=tuple)

    def __len__(self):
        return len(self.steps)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        i = range(len(self))[i]
        step = self.steps[i]
        step = int(step) if np.issubdtype(self.steps.dtype, np.integer) else float(step)
        return Checkpoint(
            step,
            self.W[i],
            self.a[i],
            self.loss[i],
            None if self.c is None else self.c[i],
            tuple(h[i] for h in self.hidden),
        )

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def index(self, step) -> int:
        """Index of the checkpoint recorded at ``step`` (exact match)."""
        hits = np.flatnonzero(self.steps == step)
        if len(hits) == 0:
            raise InvalidInputError(f"'step' {step} is not a checkpoint step; checkpoints are at {self.steps.tolist()}")
        return int(hits[0])

    @staticmethod
    def empty(n_models, width, p, *, integer=True, bias=False, n_hidden=0):
        return Checkpoints(
            np.zeros(0, dtype=np.int64 if integer else np.float64),
            np.zeros((0, n_models, width, p), np.float32),
            np.zeros((0, n_models, width), np.float32),
            np.zeros((0, n_models)),
            np.zeros((0, n_models), np.float32) if bias else None,
            tuple(np.zeros((0, n_models, width, width + 1), np.float32) for _ in range(n_hidden)),
        )

    @staticmethod
    def concatenate(first: "Checkpoints", second: "Checkpoints") -> "Checkpoints":
        """Checkpoints of ``first`` followed by those of ``second`` after its last step."""
        keep = second.steps > (first.steps[-1] if len(first) else -np.inf)
        cat = lambda x, y: np.concatenate([x, y[keep]])  # noqa: E731
        return Checkpoints(
            cat(first.steps, second.steps),
            cat(first.W, second.W),
            cat(first.a, second.a),
            cat(first.loss, second.loss),
            None if first.c is None else cat(first.c, second.c),
            tuple(cat(x, y) for x, y in zip(first.hidden, second.hidden)),
        )


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, float) and not np.isfinite(obj):
        return str(obj)
    return obj


def save_checkpoints(result, directory) -> str:
    """Write a :class:`TrainResult` to ``directory`` (created if needed).

    Parameters
    ----------
    result : TrainResult
    directory : str or path-like

    Returns
    -------
    str
        The directory path. Files: ``result.npz``, ``checkpoints.npz``,
        ``config.json`` (see the module docstring).
    """
    directory = os.fspath(directory)
    os.makedirs(directory, exist_ok=True)
    arrays = {
        "W": result.W,
        "a": result.a,
        "init_W": result.init_W,
        "init_a": result.init_a,
        "loss": result.loss,
        "steps": result.steps,
        "times": result.times,
        "n_evals": result.n_evals,
        "failed_index": np.array([i for i, _ in result.failed], dtype=np.int64),
        "failed_reason": np.array([r for _, r in result.failed], dtype=str),
        "converged_index": np.array([i for i, _ in result.converged], dtype=np.int64),
        "converged_step": np.array([s for _, s in result.converged], dtype=np.float64),
    }
    pm, po, pl = [], [], []
    for m, plats in enumerate(result.plateaus):
        for onset, lv in plats:
            pm.append(m)
            po.append(onset)
            pl.append(lv)
    arrays["plateau_model"] = np.array(pm, dtype=np.int64)
    arrays["plateau_onset"] = np.array(po, dtype=np.float64)
    arrays["plateau_loss"] = np.array(pl, dtype=np.float64)
    if result.c is not None:
        arrays["c"] = result.c
        arrays["init_c"] = result.init_c
    for i, (h, h0) in enumerate(zip(result.hidden, result.init_hidden)):
        arrays[f"hidden_{i}"] = h
        arrays[f"init_hidden_{i}"] = h0
    np.savez_compressed(os.path.join(directory, "result.npz"), **arrays)

    ck = result.checkpoints
    ck_arrays = {"steps": ck.steps, "W": ck.W.astype(np.float32), "a": ck.a.astype(np.float32), "loss": ck.loss}
    if ck.c is not None:
        ck_arrays["c"] = ck.c.astype(np.float32)
    for i, h in enumerate(ck.hidden):
        ck_arrays[f"hidden_{i}"] = h.astype(np.float32)
    np.savez_compressed(os.path.join(directory, "checkpoints.npz"), **ck_arrays)

    with open(os.path.join(directory, "config.json"), "w") as fh:
        json.dump(_jsonable(result.config), fh, indent=1, sort_keys=True)
    return directory


def load_result(directory):
    """Read a :class:`TrainResult` written by :func:`save_checkpoints`.

    Parameters
    ----------
    directory : str or path-like

    Returns
    -------
    TrainResult
        Final parameters in the dtype they were trained in (so training can
        resume exactly); checkpoints in float32.
    """
    from ._result import TrainResult

    directory = os.fspath(directory)
    paths = {name: os.path.join(directory, name) for name in ("result.npz", "checkpoints.npz", "config.json")}
    missing = [n for n, p in paths.items() if not os.path.isfile(p)]
    if missing:
        raise InvalidInputError(
            f"'directory' must hold a saved training result (result.npz, checkpoints.npz, config.json), "
            f"{directory!r} lacks {', '.join(missing)}"
        )
    with open(paths["config.json"]) as fh:
        config = json.load(fh)
    with np.load(paths["result.npz"], allow_pickle=False) as z:
        r = {k: z[k] for k in z.files}
    with np.load(paths["checkpoints.npz"], allow_pickle=False) as z:
        ck = {k: z[k] for k in z.files}
    depth = int(config.get("depth", 1))
    n_models = r["W"].shape[0]
    plateaus = [[] for _ in range(n_models)]
    integer_steps = np.issubdtype(r["steps"].dtype, np.integer)
    for m, o, lv in zip(r["plateau_model"], r["plateau_onset"], r["plateau_loss"]):
        plateaus[int(m)].append((int(o) if integer_steps else float(o), float(lv)))
    checkpoints = Checkpoints(
        ck["steps"],
        ck["W"],
        ck["a"],
        ck["loss"],
        ck.get("c"),
        tuple(ck[f"hidden_{i}"] for i in range(depth - 1)),
    )
    return TrainResult(
        W=r["W"],
        a=r["a"],
        loss=r["loss"],
        steps=r["steps"],
        checkpoints=checkpoints,
        failed=[(int(i), str(s)) for i, s in zip(r["failed_index"], r["failed_reason"])],
        plateaus=plateaus,
        init_W=r["init_W"],
        init_a=r["init_a"],
        config=config,
        c=r.get("c"),
        init_c=r.get("init_c"),
        hidden=tuple(r[f"hidden_{i}"] for i in range(depth - 1)),
        init_hidden=tuple(r[f"init_hidden_{i}"] for i in range(depth - 1)),
        times=r["times"],
        n_evals=r["n_evals"],
        converged=[
            (int(i), int(s) if integer_steps else float(s)) for i, s in zip(r["converged_index"], r["converged_step"])
        ],
    )
