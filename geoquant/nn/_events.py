"""Training events read off the recorded history: plateaus and failures.

Plateaus
    Small-initialization training moves from saddle to saddle: the loss sits
    still for a long time, drops quickly, sits still again (docs/theory.md section 3).
    On the log-spaced record a plateau is a stretch where the loss changes
    relatively less than ``rtol`` over every log-time window ``[s, window * s]``
    and which lasts at least one such window. Its onset is the first recorded
    step of the stretch; its loss is the median loss over the stretch. The
    first plateau is the saddle at the origin (the loss at initialization); a
    plateau that runs to the end of training is a stall.

Failures
    The trainer marks a model failed on the device, without host
    synchronisation, with one of the integer codes below and the step at which
    it happened; :func:`failure_reason` turns them into the message stored in
    ``TrainResult.failed``.
"""

from __future__ import annotations

from typing import Any, TypeAlias, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._deprecation import warn_deprecated
from .._validation import as_float_array, check_positive
from ..errors import InvalidInputError

__all__ = ["find_plateaus", "find_plateaus_models", "failure_reason", "FAIL_NONE", "FAIL_NONFINITE_LOSS", "FAIL_DIVERGED", "FAIL_NONFINITE_PARAMS",
           "FAIL_STEP_UNDERFLOW"]

#: one recorded loss curve / a stack of them (one column per model) as arrays of known rank: the
#: overloads of :func:`find_plateaus` return one list of plateaus, or one per model
OneCurve: TypeAlias = "np.ndarray[tuple[int], np.dtype[Any]]"
CurveStack: TypeAlias = "np.ndarray[tuple[int, int], np.dtype[Any]]"

FAIL_NONE = 0
FAIL_NONFINITE_LOSS = 1
FAIL_DIVERGED = 2
FAIL_NONFINITE_PARAMS = 3
FAIL_STEP_UNDERFLOW = 4


def failure_reason(code: int, step: Any, max_loss: float | None = None, *, unit: str = "step") -> str:
    """Human-readable reason for a failure code (``unit`` is "step" or "time")."""
    at = f"at {unit} {step:g}" if isinstance(step, float) else f"at {unit} {step}"
    if code == FAIL_NONFINITE_LOSS:
        return f"loss became NaN/inf {at}"
    if code == FAIL_DIVERGED:
        bound = f" {max_loss:.3g}" if max_loss is not None else ""
        return f"diverged: loss exceeded max_loss{bound} {at}"
    if code == FAIL_NONFINITE_PARAMS:
        return f"gradient became NaN/inf {at}"
    if code == FAIL_STEP_UNDERFLOW:
        return f"step size underflow (error control failed) {at}"
    raise ValueError(f"unknown failure code {code}")


def _plateaus_1d(steps: NDArray[np.float64], loss: NDArray[np.float64], rtol: float, window: float, atol: float
                 ) -> list[tuple[float, float]]:
    pos = steps > 0
    s = steps[pos]
    L = loss[pos]
    n = len(s)
    if n < 2:
        return []
    # end of each point's log-time window (exclusive index)
    ends = np.searchsorted(s, s * window, side="left") + 1
    ends = np.minimum(ends, n)
    flat = np.zeros(n, dtype=bool)
    for i in range(n):
        seg = L[i : ends[i]]
        if len(seg) < 2 or not np.all(np.isfinite(seg)):
            continue
        lo, hi = seg.min(), seg.max()
        flat[i] = (hi - lo) <= rtol * abs(lo) + atol
    out = []
    i = 0
    while i < n:
        if not flat[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and flat[j + 1]:
            j += 1
        # the stretch covers [s_i, s_last], where s_last is the end of the last flat window
        last = s[min(ends[j], n) - 1]
        if last >= window * s[i] * (1.0 - 1e-12):
            run = L[i : min(ends[j], n)]
            out.append((s[i], float(np.median(run))))
        i = j + 1
    return out


@overload
def find_plateaus(
    steps: ArrayLike, loss: OneCurve, *, rtol: float = ..., window: float = ..., atol: float = ...
) -> list[tuple[int | float, float]]: ...
@overload
def find_plateaus(
    steps: ArrayLike, loss: CurveStack, *, rtol: float = ..., window: float = ..., atol: float = ...
) -> list[list[tuple[int | float, float]]]: ...
@overload
def find_plateaus(
    steps: ArrayLike, loss: ArrayLike, *, rtol: float = ..., window: float = ..., atol: float = ...
) -> list[tuple[int | float, float]] | list[list[tuple[int | float, float]]]: ...
def find_plateaus(
    steps: ArrayLike, loss: ArrayLike, *, rtol: float = 0.01, window: float = 2.0, atol: float = 0.0
) -> list[tuple[int | float, float]] | list[list[tuple[int | float, float]]]:
    """Plateaus of a recorded loss curve (or of each of a stack of curves).

    Parameters
    ----------
    steps : (n_recorded,) array_like
        Increasing record steps (or times); entries <= 0 are ignored (log-time).
    loss : (n_recorded,) or (n_recorded, n_models) array_like
        Loss history of one model, or one column per model (e.g. ``TrainResult.loss``).
    rtol : float
        Largest relative change, ``(max - min) / min``, of the loss over a
        window for it to count as flat.
    window : float > 1
        Log-time window factor: the window of step ``s`` is ``[s, window * s]``;
        a plateau must last at least one window.
    atol : float
        Absolute slack added to ``rtol * min`` (lets a loss that has converged
        to ~0 count as flat; default 0).

    Returns
    -------
    list of (onset, loss) tuples, or for a 2-D ``loss`` one such list per model
        In order of onset; ``onset`` is an int for integer steps, else a float.

    Examples
    --------
    >>> import numpy as np
    >>> steps = np.arange(1, 65)
    >>> find_plateaus(steps, np.where(steps < 16, 1.0, 0.5))
    [(1, 1.0), (16, 0.5)]
    >>> loss = np.column_stack([np.where(steps < 16, 1.0, 0.5), 1.0 / steps])  # two plateaus | none
    >>> find_plateaus(steps, loss)
    [[(1, 1.0), (16, 0.5)], []]
    """
    each = _plateaus_each(steps, loss, rtol=rtol, window=window, atol=atol)
    return each if np.ndim(loss) == 2 else each[0]


def _plateaus_each(
    steps: ArrayLike, loss: ArrayLike, *, rtol: float, window: float, atol: float
) -> list[list[tuple[int | float, float]]]:
    """:func:`find_plateaus` of each model (a 1-D ``loss`` is one model: a list of one list)."""
    steps_in = np.asarray(steps)
    s = as_float_array(steps, "steps", ndim=1)
    L = as_float_array(loss, "loss", ndim=(1, 2))  # NaN/inf losses (a diverged run) are refused
    return recorded_plateaus(steps_in, s, L, rtol=rtol, window=window, atol=atol)


def find_plateaus_models(
    steps: ArrayLike, loss: ArrayLike, *, rtol: float = 0.01, window: float = 2.0, atol: float = 0.0
) -> list[list[tuple[int | float, float]]]:
    """Deprecated: use :func:`find_plateaus`, which takes a stack of curves too (removed in geoquant 0.3.0).
    Always a list per model."""
    warn_deprecated("geoquant.nn.find_plateaus_models", "geoquant.nn.find_plateaus")
    return _plateaus_each(steps, loss, rtol=rtol, window=window, atol=atol)


def recorded_plateaus(steps_in: ArrayLike, s: ArrayLike, L: ArrayLike, *, rtol: float = 0.01, window: float = 2.0,
                      atol: float = 0.0) -> list[list[tuple[int | float, float]]]:
    """Plateaus of a training run's own record (kernel of :func:`find_plateaus`): one list per model.

    The trainers call it on their loss history, where a failed model's curve may hold
    inf/NaN after its failure (its plateaus end there); user input goes through
    :func:`find_plateaus`, which refuses non-finite losses.
    """
    steps_in = np.asarray(steps_in)
    s = np.asarray(s, dtype=np.float64)
    L = np.asarray(L, dtype=np.float64)
    if L.ndim not in (1, 2) or L.shape[0] != s.shape[0]:
        raise InvalidInputError(
            f"'loss' must have shape ({s.shape[0]},) or ({s.shape[0]}, n_models) to match 'steps', found {L.shape}"
        )
    if np.any(np.diff(s) <= 0):
        raise InvalidInputError("'steps' must be strictly increasing")
    check_positive(rtol, "rtol")
    window = check_positive(window, "window")
    if window <= 1:
        raise InvalidInputError(f"'window' must be > 1, found {window}")
    check_positive(atol, "atol", strict=False)
    integer = np.issubdtype(steps_in.dtype, np.integer)
    cols = L[:, None] if L.ndim == 1 else L
    out = []
    for m in range(cols.shape[1]):
        pl = _plateaus_1d(s, cols[:, m], rtol, window, atol)
        out.append([(int(round(t)) if integer else float(t), lv) for t, lv in pl])
    return out
