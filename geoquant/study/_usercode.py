"""Where a study's user code runs, where it is imported from, and how long it may take.

A spec that names a target ``"module:function"`` runs that module's code, like a
Python script. geoquant keeps that code to the places a user chose:

- **Reading runs nothing.** Parsing a spec checks a user target's name, domain
  and bound but never imports it, so ``geoquant study status``, ``geoquant
  report``, :func:`~geoquant.study.load_results` and ``--dry-run --no-timing``
  of any study directory run no code of anyone's; what readers need (labels,
  domains, Hessian bounds, the target's values on the gallery grid) is in the
  spec and the result files the run wrote.
- **Running imports only from the places the docs name**: the directories given
  explicitly (``--target-path DIR``, ``run_study(..., target_path=[DIR])``), the
  spec file's directory, the current directory, and the installed packages. A
  study directory (the ``--out`` directory, or any directory holding a study's
  ``spec.toml`` and ``manifest.json``) is never searched unless it is given
  explicitly: a study directory handed to you may hold planted ``.py`` files.
- **Units of user targets run with a time limit**: ``study.user_target_time_limit``
  seconds per task (default 600), summed over the tasks that run together. In a
  process pool the worker is killed when the unit runs past its limit (plus a
  grace period); in process (``workers=0``, the dry run) an alarm stops the unit
  (Python code only). User code that raises, calls ``sys.exit()`` or is stopped
  fails its unit's tasks with the cause in their records; the study goes on.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Sequence

from ..errors import InvalidInputError, SpecError
from . import _spec_targets

if TYPE_CHECKING:
    from types import FrameType

    from ._spec import StudySpec

__all__ = ["search_path", "check_user_modules", "prepare_user_code", "attach_user_code", "user_code", "UnitTimeLimit",
           "DEFAULT_TIME_LIMIT"]

#: Seconds per task of a user target when the spec gives no ``study.user_target_time_limit``.
DEFAULT_TIME_LIMIT = 600.0


class UnitTimeLimit(BaseException):
    """Raised (by an alarm) inside a unit that ran past its time limit.

    A :class:`BaseException`, so that user code catching ``Exception`` does not swallow it.
    """


def is_study_dir(d: Path) -> bool:
    """Whether ``d`` holds a geoquant study (its ``spec.toml`` and ``manifest.json``)."""
    return (d / "spec.toml").is_file() and (d / "manifest.json").is_file()


def _has_user_targets(spec: StudySpec) -> bool:
    return any(":" in t["name"] for t in spec.targets)


def search_path(
    spec: StudySpec, out: str | os.PathLike[str] | None = None, extra: Sequence[str | os.PathLike[str]] = ()
) -> tuple[list[str], list[str]]:
    """The directories a study's user targets are imported from, and those left out.

    Parameters
    ----------
    spec : StudySpec
    out : str or Path, optional
        The study directory (never searched unless also in ``extra``).
    extra : sequence of str or Path
        Directories given explicitly (searched first, study directories included).

    Returns
    -------
    path : list of str
        ``extra``, then the spec file's directory and the current directory,
        less study directories.
    left_out : list of str
        Directories left out because they hold a study.
    """
    path: list[str] = []
    for d in extra:
        try:
            p = Path(d).resolve()
        except (TypeError, ValueError, OSError):
            raise InvalidInputError(f"'target_path' must name directories, found {d!r}") from None
        if not p.is_dir():
            raise InvalidInputError(f"'target_path' must name existing directories, found {str(d)!r}")
        if str(p) not in path:
            path.append(str(p))
    out_dir = Path(out).resolve() if out is not None else None
    left_out: list[str] = []
    if out_dir is not None and str(out_dir) not in path:
        left_out.append(str(out_dir))
    origin = getattr(spec, "origin", None)
    candidates = [Path(origin).parent if origin else None, Path(os.getcwd())]
    for c in candidates:
        if c is None:
            continue
        r = c.resolve()
        if str(r) in path:
            continue
        if r == out_dir or is_study_dir(r):
            if str(r) not in left_out:
                left_out.append(str(r))
            continue
        path.append(str(r))
    return path, left_out


@contextmanager
def _sys_path_without(exclude: Sequence[str]) -> Iterator[None]:
    """``sys.path`` less the entries that are the directories ``exclude`` (``""`` is the current
    directory: ``python -m`` puts it there), restored afterwards."""
    import sys

    if not exclude:
        yield
        return
    bad = set(exclude)

    def keep(entry: str) -> bool:
        try:
            return str(Path(entry or os.getcwd()).resolve()) not in bad
        except (OSError, ValueError, TypeError):
            return True

    old = list(sys.path)
    narrowed = [e for e in old if keep(e)]
    if len(narrowed) == len(old):  # nothing to take out: sys.path is left alone
        yield
        return
    sys.path[:] = narrowed
    try:
        yield
    finally:
        sys.path[:] = old


def _findable(module: str, path: list[str], exclude: Sequence[str] = ()) -> bool:
    """Whether the top-level module ``module`` can be found in ``path`` or the installed packages
    (``sys.path`` less ``exclude``), without running any of its code (finders only look at files)."""
    import importlib.machinery
    import importlib.util
    import sys

    try:
        if importlib.machinery.PathFinder.find_spec(module, path) is not None:
            return True
        with _sys_path_without(exclude):
            if module in sys.modules:  # imported earlier in this process: found where sys.path says now
                return importlib.machinery.PathFinder.find_spec(module) is not None
            return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def check_user_modules(spec: StudySpec, path: list[str], left_out: list[str]) -> None:
    """Refuse, before anything runs, a user target whose module cannot be found (nothing is imported).

    Raises
    ------
    SpecError
        Naming the target, the module and the directories looked in.
    """
    for t in spec.targets:
        if ":" not in t["name"]:
            continue
        top = t["name"].split(":")[0].split(".")[0]
        if _findable(top, path, left_out):
            continue
        where = ", ".join(map(repr, path)) or "no directory"
        note = ""
        if left_out:
            note = (f"; not searched: {', '.join(map(repr, left_out))} (a study directory: user code is imported "
                    "from it only when you name it with --target-path / target_path)")
        raise SpecError(f"{t['_path']}.name: cannot find module {top!r} of the user target {t['name']!r}; looked in "
                        f"{where} and the installed packages{note}. Nothing was run")


def prepare_user_code(
    spec: StudySpec, out: str | os.PathLike[str] | None = None, extra: Sequence[str | os.PathLike[str]] = ()
) -> dict[str, list[str]]:
    """Where a spec's user targets are imported from: ``{"path": [...], "exclude": [...]}``
    (:func:`search_path`; ``exclude`` is also taken out of ``sys.path`` while user code is imported),
    after checking that every module can be found there (:func:`check_user_modules`). Empty lists for a
    spec without user targets."""
    if not _has_user_targets(spec):
        return {"path": [], "exclude": []}
    path, left_out = search_path(spec, out, extra)
    check_user_modules(spec, path, left_out)
    return {"path": path, "exclude": left_out}


def attach_user_code(units: list[dict[str, Any]], spec: StudySpec, where: dict[str, list[str]]) -> list[dict[str, Any]]:
    """Give every unit whose target is user code its import path and time limit (``unit["user"]``);
    ``where`` as returned by :func:`prepare_user_code`."""
    per_task = float(getattr(spec, "user_target_time_limit", DEFAULT_TIME_LIMIT))
    for u in units:
        if ":" in u["tasks"][0]["settings"]["target"]["name"]:
            u["user"] = {"path": list(where["path"]), "exclude": list(where["exclude"]),
                         "time_limit": per_task * len(u["tasks"]), "per_task": per_task}
    return units


@contextmanager
def user_code(unit: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """While a unit runs: import its user target from the unit's path, and stop it at its time limit.

    Outside the main thread (Dask's threads) no alarm can be set: only a process pool enforces the limit there.
    A unit of a user target that :func:`attach_user_code` did not prepare imports it from the installed
    packages only (not even the current directory), under the default limit.
    Yields the unit's user settings (empty for a unit without user code).
    """
    import signal
    import threading

    name = unit["tasks"][0]["settings"]["target"]["name"]
    if ":" not in name:
        yield {}
        return
    # a unit nobody prepared (attach_user_code) imports from the installed packages only, never from the
    # current directory: the safe default
    user = {"path": [], "exclude": [os.getcwd()], **(unit.get("user") or {})}
    limit = float(user.get("time_limit") or DEFAULT_TIME_LIMIT * len(unit["tasks"]))
    user["time_limit"] = limit
    token = _spec_targets.SEARCH_PATH.set(list(user["path"]))
    main = threading.current_thread() is threading.main_thread()
    armed = main and hasattr(signal, "setitimer")
    old_handler = None
    if armed:
        def on_alarm(signum: int, frame: FrameType | None) -> None:
            raise UnitTimeLimit(limit)

        old_handler = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        # sys.path is shared by all threads: it is narrowed only in a process's main thread (pool workers, in
        # process); Dask's worker threads import from their own path
        with _sys_path_without(user.get("exclude") or () if main else ()):
            yield user
    finally:
        if armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old_handler)
        _spec_targets.SEARCH_PATH.reset(token)


def time_limit_message(unit: dict[str, Any], limit: float) -> str:
    """Why the tasks of a unit stopped by its time limit failed."""
    n = len(unit["tasks"])
    per_task = (unit.get("user") or {}).get("per_task", limit / max(n, 1))
    return (f"the unit's user code ran past its time limit of {limit:g} s (study.user_target_time_limit = "
            f"{per_task:g} s per task x {n} task(s) run together) and was stopped; raise the limit in the spec "
            "if the target is just slow")
