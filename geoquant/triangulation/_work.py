"""Progress and time limit of one long combinatorial computation (counting, sampling, statistics).

Every dynamic program over the sub-polygon DAG reports the number of sub-polygons
it has memoised through :meth:`Work.tick`; the work object shows a progress bar
after a few seconds (or, off a terminal and when asked, a line every few seconds)
and raises :class:`~geoquant.errors.TooLargeError` when the time limit is reached.
"""

from __future__ import annotations

import math
import sys
import time
from typing import Any

import numpy as np

from ..errors import InvalidInputError, TooLargeError

__all__ = ["Work", "check_time_limit", "check_progress"]

#: seconds before a bar or the first progress line appears
PROGRESS_DELAY = 2.0
#: seconds between two progress lines off a terminal
LINE_INTERVAL = 10.0


def check_time_limit(time_limit: object) -> float | None:
    """``None`` or a positive number of seconds."""
    if time_limit is None:
        return None
    if isinstance(time_limit, bool) or not isinstance(time_limit, (int, float, np.integer, np.floating)):
        raise InvalidInputError(f"'time_limit' must be a positive number of seconds or None, found {time_limit!r}")
    t = float(time_limit)
    if not t > 0 or math.isnan(t):
        raise InvalidInputError(f"'time_limit' must be a positive number of seconds or None, found {time_limit!r}")
    return t


def check_progress(progress: object) -> bool | None:
    if progress is not None and not isinstance(progress, (bool, np.bool_)):
        raise InvalidInputError(f"'progress' must be None, True or False, found {progress!r}")
    return None if progress is None else bool(progress)


class Work:
    """Progress display and time limit of one computation.

    Parameters
    ----------
    what : str
        Name shown in the bar and in messages, e.g. ``"count_triangulations"``.
    total : float, optional
        Estimated number of units (shown as the bar's total; the work may pass it).
    time_limit : float, optional
        Wall-clock seconds from construction; :meth:`tick` raises
        :class:`~geoquant.errors.TooLargeError` past it.
    progress : bool, optional
        ``None``: a tqdm bar on a terminal after :data:`PROGRESS_DELAY` seconds,
        nothing otherwise. ``True``: the bar on a terminal, otherwise a line on
        stderr every :data:`LINE_INTERVAL` seconds. ``False``: nothing.
    unit : str
    advice : str
        What to do instead, appended to the time-limit message.
    """

    def __init__(self, what: str, *, total: float | None = None, time_limit: float | None = None,
                 progress: bool | None = None, unit: str = "sub-polygons", advice: str = "") -> None:
        self.what, self.total, self.unit, self.advice = what, total, unit, advice
        self.time_limit = time_limit
        self.t0 = time.perf_counter()
        self.deadline = None if time_limit is None else self.t0 + time_limit
        tty = bool(getattr(sys.stderr, "isatty", lambda: False)())
        self._bar: Any = None
        self._lines = bool(progress) and not tty
        self._want_bar = tty and progress is not False
        self._next_line = self.t0 + PROGRESS_DELAY
        self.done = 0

    def _make_bar(self) -> None:
        from tqdm.auto import tqdm

        total = int(self.total) if self.total is not None and math.isfinite(self.total) and self.total < 2**62 else None
        self._bar = tqdm(total=total, desc=f"{self.what} (estimated total)" if total else self.what, unit=self.unit,
                         leave=False, file=sys.stderr, dynamic_ncols=True, unit_scale=True)
        self._shown = 0

    def tick(self, done: int) -> None:
        """``done`` units so far: update the display, enforce the time limit."""
        self.done = int(done)
        now = time.perf_counter()
        if self.deadline is not None and now > self.deadline:
            self.close()
            est = f" of an estimated {self.total:.2g}" if self.total else ""
            raise TooLargeError(
                f"{self.what} stopped at time_limit={self.time_limit:g} s after {self.done:,} {self.unit}{est}; "
                f"raise time_limit{(', or ' + self.advice) if self.advice else ''}"
            )
        if now < self._next_line:
            return
        if self._want_bar:
            if self._bar is None:
                self._make_bar()
            self._bar.update(self.done - self._shown)
            self._shown = self.done
            self._next_line = now + 0.5
        elif self._lines:
            est = f" (estimated total {self.total:.2g})" if self.total else ""
            print(f"{self.what}: {self.done:,} {self.unit}{est} after {now - self.t0:.0f} s",
                  file=sys.stderr, flush=True)
            self._next_line = now + LINE_INTERVAL

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Work:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
