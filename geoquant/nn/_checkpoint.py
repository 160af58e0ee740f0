"""Recording: log-spaced schedules and parameter checkpoints.

Small-initialization dynamics are slow for a long time and then fast, so both
the loss history and the parameter checkpoints are recorded on log-spaced
steps (or times, for gradient flow): equal resolution per decade. Saving and
loading a result lives in :mod:`geoquant.nn._io`.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator, Sequence
from typing import Any
from dataclasses import dataclass, field

import numpy as np

from .._validation import check_int
from ..errors import InvalidInputError, TooLargeError

__all__ = [
    "Checkpoint",
    "Checkpoints",
    "log_schedule",
    "log_times",
    "check_schedule_arg",
    "MAX_SCHEDULE",
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


# Most log-spaced checkpoints or records one run may ask for.
MAX_SCHEDULE = 10**6


def check_schedule_arg(value: Any, name: str, *, integer: bool) -> Any:
    """``int >= 0`` (number of log-spaced points) or a 1-D array of steps/times."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        v = check_int(value, name, min_value=0)
        if v > MAX_SCHEDULE:
            raise TooLargeError(
                f"'{name}' asks for {v} log-spaced records, more than the {MAX_SCHEDULE} allowed (a schedule "
                f"and its stored parameters would need about {v * 8 / 2**30:.3g} GiB per float); a few hundred "
                "log-spaced points resolve any training curve, or pass an explicit array of steps"
            )
        return v
    if value is None or value is False:
        return 0
    arr = np.asarray(value)
    if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.number):
        raise InvalidInputError(f"'{name}' must be an int or a 1-D array of {'steps' if integer else 'times'}, found {value!r}")
    if integer and not np.issubdtype(arr.dtype, np.integer):
        if np.any(arr != np.round(arr)):
            raise InvalidInputError(f"'{name}' must hold integer steps, found {arr[arr != np.round(arr)][0]!r}")
    if np.any(arr < 0) or not np.all(np.isfinite(arr)):
        raise InvalidInputError(f"'{name}' must hold finite steps >= 0, found {arr.tolist()}")
    return np.unique(arr.astype(np.int64 if integer else np.float64))


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

    def __init__(self, step: Any, W: np.ndarray, a: np.ndarray, loss: Any, c: np.ndarray | None = None,
                 hidden: Sequence[np.ndarray] = ()) -> None:
        self.step, self.W, self.a, self.loss, self.c, self.hidden = step, W, a, loss, c, tuple(hidden)

    def __iter__(self) -> Iterator[Any]:
        return iter((self.step, self.W, self.a, self.loss))

    def __repr__(self) -> str:
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

    def __len__(self) -> int:
        return len(self.steps)

    def __getitem__(self, i: int) -> Checkpoint:
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

    def __iter__(self) -> Iterator[Checkpoint]:
        return (self[i] for i in range(len(self)))

    def index(self, step: float) -> int:
        """Index of the checkpoint recorded at ``step`` (exact match)."""
        hits = np.flatnonzero(self.steps == step)
        if len(hits) == 0:
            raise InvalidInputError(f"'step' {step} is not a checkpoint step; checkpoints are at {self.steps.tolist()}")
        return int(hits[0])

    @staticmethod
    def empty(n_models: int, width: int, p: int, *, integer: bool = True, bias: bool = False, n_hidden: int = 0
              ) -> Checkpoints:
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
