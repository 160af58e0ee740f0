"""Run a study: expand the spec, skip what is done, run the rest, write as it finishes.

>>> run = run_study("geoquant/data/studies/quickstart.toml", "studies/quickstart")   # doctest: +SKIP
>>> df = load_results("studies/quickstart")                                 # doctest: +SKIP

Resumability: each finished task is one atomically written file named by the
hash of its settings, so a rerun (after a crash, Ctrl-C or SIGKILL) skips every
task that has a file and runs the others; failed tasks are recorded with their
traceback and skipped on rerun unless ``retry_failed``. Network tasks that share
a sample and parameters (the restarts of one network entry) are trained as one
ensemble; if only some of them are done, the whole ensemble is retrained (same
seed, same result) and only the missing ones are written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Literal, Sequence, TextIO, cast

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from .._text import duration
from ._executors import make_executor
from ._results import (
    QUARANTINE,
    quarantine,
    read_records,
    remove_stale_temporaries,
    scan_results,
    write_record,
)
from ._runner import run_unit
from ._spec import StudySpec, load_spec
from ._usercode import attach_user_code, prepare_user_code
from ._studydir import SEED_POLICY, _check_same_study, _Lock, _prepare_dir, _write_json, read_manifest

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from types import FrameType

    from tqdm.auto import tqdm

    from ._executors import Executor
    from ._spec import Task

__all__ = ["run_study", "StudyRun", "StudyInterrupted", "plan_units", "SEED_POLICY", "ProgressLines", "dry_run",
           "failure_causes"]


@dataclass
class StudyRun:
    """What one call of :func:`run_study` did.

    Attributes
    ----------
    out : Path
        The study directory.
    n_tasks : int
        Tasks in the spec.
    n_skipped : int
        Tasks already finished before this call (not rerun).
    n_done, n_failed : int
        Tasks this call finished successfully / recorded as failed.
    wall_s : float
        Wall-clock seconds of this call.
    executor : str
        Where the tasks ran.
    quarantined : list of dict
        Damaged files this call moved to ``out/quarantine/`` (``file``,
        ``moved_to``, ``reason``); their tasks were rerun.
    """

    out: Path
    n_tasks: int
    n_skipped: int
    n_done: int
    n_failed: int
    wall_s: float
    executor: str
    quarantined: list = field(default_factory=list)

    def summary(self) -> str:
        text = (
            f"{self.n_done} task(s) done, {self.n_failed} failed, {self.n_skipped} already finished "
            f"(of {self.n_tasks}) in {self.wall_s:.1f} s on {self.executor}; results in {self.out}"
        )
        if self.quarantined:
            text += (f"; {len(self.quarantined)} damaged file(s) moved to {self.out / QUARANTINE} "
                     "(listed in its index.json) and their tasks rerun")
        return text


class StudyInterrupted(KeyboardInterrupt):
    """A study stopped by Ctrl-C (SIGINT) or SIGTERM; every finished result is saved.

    Attributes
    ----------
    signum : int
        The signal that stopped it.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = int(signum)


class ProgressLines:
    """Progress as one plain line every ``interval`` seconds (for log files and CI, where a bar
    is not drawn): ``NAME: 120/468 tasks done, 3 failed, 2.10 tasks/s, about 2m46s left``.

    Parameters
    ----------
    name : str
    total : int
        Tasks this run has to finish.
    interval : float
        Seconds between two lines (a line is also printed by :meth:`final`).
    stream : file, optional
        Default ``sys.stderr``.
    clock : callable, optional
        Returns seconds (default ``time.monotonic``).
    """

    def __init__(
        self, name: str, total: int, interval: float = 30.0, stream: TextIO | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        import sys

        self.name, self.total, self.interval = name, int(total), float(interval)
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock or time.monotonic
        self.t0 = self.last = self.clock()
        self.done = self.failed = 0

    def line(self) -> str:
        finished = self.done + self.failed
        dt = max(self.clock() - self.t0, 1e-9)
        rate = finished / dt
        left = self.total - finished
        eta = "unknown" if rate <= 0 else duration(left / rate)
        return (f"{self.name}: {finished}/{self.total} tasks finished ({self.failed} failed), {rate:.2f} tasks/s, "
                f"about {eta} left")

    def update(self, done: int = 0, failed: int = 0) -> None:
        self.done += done
        self.failed += failed
        self.tick()

    def tick(self) -> None:
        now = self.clock()
        if now - self.last >= self.interval:
            self.last = now
            print(self.line(), file=self.stream, flush=True)

    def final(self) -> None:
        print(self.line(), file=self.stream, flush=True)


class _StopOnSigint:
    """Turn Ctrl-C (SIGINT) and SIGTERM into a flag checked between two results.

    Raising KeyboardInterrupt from inside a wait on a lock can leave
    ``concurrent.futures`` in a broken state (``RuntimeError: release unlocked
    lock``); checking a flag at a safe point stops the study cleanly, with every
    finished result written and the workers ended. SIGTERM (``timeout``, Slurm,
    systemd) is handled the same way. A second signal interrupts at once.
    """

    def __enter__(self) -> _StopOnSigint:
        import signal
        import threading

        self.requested: int | None = None  # the signal number once one arrived
        self._old: dict[int, Any] = {}  # the handlers before (a callable, an int or None)
        if threading.current_thread() is threading.main_thread():

            def handler(signum: int, frame: FrameType | None) -> None:
                if self.requested is not None:
                    raise StudyInterrupted(signum)
                self.requested = signum

            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.getsignal(sig)
                signal.signal(sig, handler)
        return self

    def stop(self) -> None:
        """Raise :class:`StudyInterrupted` for the signal that asked to stop (called once one was caught)."""
        assert self.requested is not None, "stop() without a caught signal"
        raise StudyInterrupted(self.requested)

    def __exit__(self, *exc: object) -> Literal[False]:
        import signal

        for sig, old in self._old.items():
            signal.signal(sig, old)
        return False


#: subdirectory of a study directory where network ensembles save their training state between segments
TRAINING = "training"


def plan_units(
    tasks: Iterable[Task],
    records: Mapping[str, dict[str, Any]],
    *,
    retry_failed: bool = False,
    device: str | None = None,
    checkpoints: str | os.PathLike[str] | None = None,
) -> tuple[list[dict[str, Any]], set[str]]:
    """Group the tasks still to run into units (see :mod:`geoquant.study._runner`).

    ``checkpoints`` (a directory, optional): each network unit saves its training state in
    ``checkpoints/<unit key>/`` between the segments of its budget and resumes from there.

    Returns
    -------
    units : list of dict
        Most expensive first (networks, then larger samples), for a short tail.
    write_ids : set of str
        Task ids whose records must be written (a network unit may carry done
        restarts that are retrained but not rewritten).
    """

    def pending(t: Task) -> bool:
        rec = records.get(t.id)
        return rec is None or (retry_failed and rec["status"] != "done")

    groups: dict[str, list[Task]] = {}
    for t in tasks:
        groups.setdefault(t.unit_key(), []).append(t)
    units: list[dict[str, Any]] = []
    write_ids: set[str] = set()
    for key, ts in groups.items():
        todo = [t for t in ts if pending(t)]
        if not todo:
            continue
        members = ts if key.startswith("net-") else todo
        write_ids.update(t.id for t in todo)
        units.append(
            {
                "key": key,
                "tasks": [{"id": t.id, "settings": t.settings, "gallery": t.gallery} for t in members],
                "device": device,
                "checkpoint_dir": str(Path(checkpoints) / key) if checkpoints is not None and key.startswith("net-")
                else None,
            }
        )
    units.sort(key=lambda u: (not u["key"].startswith("net-"), -u["tasks"][0]["settings"]["n"], u["key"]))
    return units, write_ids


def run_study(
    spec: str | os.PathLike[str] | dict[str, Any] | StudySpec,
    out: str | os.PathLike[str],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    dask_local: int | None = None,
    dask_processes: bool = True,
    retry_failed: bool = False,
    device: str | None = None,
    progress: bool | None = None,
    progress_interval: float = 30.0,
    target_path: Sequence[str | os.PathLike[str]] = (),
) -> StudyRun:
    """Run (or resume) a study and write one result file per task.

    Parameters
    ----------
    spec : str or Path
        Path of a TOML spec (or TOML text); see :mod:`geoquant.compare._spec`.
    out : str or Path
        Study directory; created if needed. The spec is copied there with a
        manifest (versions, device, seed policy). Rerunning with the same spec
        resumes; a different spec is refused.
    workers : int, optional
        Local process-pool size (default: the number of CPUs, at most the
        number of units); ``0`` runs in this process.
    scheduler : str, optional
        Address of a Dask scheduler (``tcp://host:port``); needs ``geoquant[dask]``.
    dask_local : int, optional
        Start a Dask LocalCluster with this many single-threaded workers.
    dask_processes : bool
        LocalCluster workers as processes (default) or threads.
    retry_failed : bool
        Rerun tasks recorded as failed.
    device : str, optional
        Torch device for network training (default: train_gd's choice).
    progress : bool, optional
        ``True``: a progress bar; ``False``: nothing; default: a bar on a
        terminal, else a plain progress line on stderr every
        ``progress_interval`` seconds (tasks done, failed, rate, time left).
    progress_interval : float
        Seconds between two progress lines when not on a terminal.
    target_path : sequence of str or Path
        Directories to import user targets (``"module:function"``) from, before
        the spec's directory, the current directory and the installed packages;
        the only way to import from a study directory (see
        :mod:`geoquant.study._usercode`). Running a spec with user targets runs
        their code.

    Returns
    -------
    StudyRun
    """
    from tqdm.auto import tqdm

    t_start = time.perf_counter()
    spec = load_spec(spec)
    out = Path(out)
    tasks = spec.tasks()
    user_path = prepare_user_code(spec, out, target_path)  # finds (never imports) user modules
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        from .._fileio import storage_error

        raise storage_error(exc, out, "create the study directory") from None
    with _Lock(out / ".lock"):
        fp = _check_same_study(out, spec)  # before touching any file there
        remove_stale_temporaries(out)
        records, damaged = scan_results(out, spec)
        if (out / "manifest.json").exists() and read_manifest(out) is None:
            damaged.append({"path": "manifest.json", "file": "manifest.json",
                            "reason": "unreadable or not a manifest (a new one is written)"})
        quarantined = quarantine(out, damaged)
        # ensembles save their state between training segments where this machine can read it back
        # (not on a remote Dask cluster, whose workers may not share this file system)
        units, write_ids = plan_units(tasks, records, retry_failed=retry_failed, device=device,
                                      checkpoints=(out / TRAINING) if scheduler is None else None)
        attach_user_code(units, spec, user_path)
        n_skipped = len(tasks) - len(write_ids)
        executor = make_executor(
            workers=workers,
            scheduler=scheduler,
            dask_local=dask_local,
            dask_processes=dask_processes,
            n_units=len(units),
            preload=_preload(spec),
        )
        _prepare_dir(out, spec, executor.description, device)
        n_done = n_failed = 0
        import sys

        on_terminal = bool(getattr(sys.stderr, "isatty", lambda: False)())
        lines = (ProgressLines(spec.name, len(write_ids), progress_interval)
                 if progress is None and not on_terminal and write_ids else None)
        bar = tqdm(total=len(write_ids), disable=(not progress) if progress is not None else (not on_terminal),
                   unit="task", desc=spec.name)
        try:
            if units:
                n_done, n_failed = _run_units(executor, units, out, fp, write_ids, bar, lines)
        finally:
            bar.close()
            if lines is not None:
                lines.final()
        run = StudyRun(out, len(tasks), n_skipped, n_done, n_failed, time.perf_counter() - t_start, executor.description,
                       quarantined)
        man_path = out / "manifest.json"
        manifest = read_manifest(out) or _prepare_dir(out, spec, executor.description, device)
        if not manifest["runs"]:  # pragma: no cover - emptied by hand while running
            manifest["runs"].append({})
        manifest["runs"][-1].update(
            finished=time.strftime("%Y-%m-%dT%H:%M:%S%z"), wall_s=run.wall_s, done=n_done, failed=n_failed
        )
        _write_json(man_path, manifest)
    return run


def _run_units(
    executor: Executor, units: list[dict[str, Any]], out: Path, fp: str, write_ids: set[str], bar: tqdm,
    lines: ProgressLines | None,
) -> tuple[int, int]:
    """Run ``units`` on ``executor`` and write each task's record as it arrives; returns (done, failed).

    Ctrl-C or SIGTERM stops after writing what has arrived (:class:`StudyInterrupted`); a unit whose
    results are written has its training state removed.
    """
    n_done = n_failed = 0
    with executor, _StopOnSigint() as stop:
        for i, result, error in executor.run(run_unit, units):
            if i is None:  # a tick while waiting
                if stop.requested is not None:
                    stop.stop()
                if lines is not None:
                    lines.tick()
                continue
            unit = units[i]
            if error is not None:
                result = _unit_failure(unit, error)
            for rec in cast("list[dict[str, Any]]", result):  # a unit without an error has its records
                if rec["task_id"] not in write_ids:
                    continue
                write_record(out, {**rec, "spec_sha256": fp})
                write_ids.discard(rec["task_id"])
                done = rec["status"] == "done"
                n_done += done
                n_failed += not done
                bar.update(1)
                if lines is not None:
                    lines.update(done=int(done), failed=int(not done))
            if error is None:  # its results are written: its training state is no longer needed
                _remove_training_state(unit)
            if stop.requested is not None:  # after writing what arrived
                stop.stop()
    return n_done, n_failed


#: a study the cost model puts below this many seconds is estimated without timed samples
QUICK_S = 120.0


def dry_run(spec: str | os.PathLike[str] | dict[str, Any] | StudySpec, *, workers: int | None = None,
            time_sample: bool = True, device: str | None = None, budget_s: float | None = None,
            sample_s: float = 0.5, max_steps: int | None = None,
            target_path: Sequence[str | os.PathLike[str]] = (), quick_s: float | None = None) -> dict:
    """What a study would run and how long it would take, without writing anything.

    A short study is estimated from the calibrated cost model (:mod:`geoquant.study._costmodel`:
    every method's :meth:`~geoquant.compare.Method.cost_terms`, the reference machine's seconds per
    term, rescaled by a probe of this one) when the model knows every task and puts the study under
    ``quick_s`` seconds: timed samples would take longer than a tenth of such a study (importing
    torch alone takes seconds). Otherwise the estimate is built from short timed samples, not from
    whole tasks:

    * each method that is not a network is timed on one task (first seed) per
      dimension, from its smallest sample size up, as long as the next size is
      predicted to take less than ``sample_s`` seconds; larger sizes are
      extrapolated from the two largest timed ones (a power of n, exponent
      clipped to [1, 3]);
    * the network ensembles (all seeds, restarts and init scales of one sample,
      as the study trains them) that differ only in their sample form groups;
      each group is timed on its smallest and largest ensemble: once through the
      runner on a short prefix of its budget (set-up, training and evaluation),
      then its training alone on longer prefixes (the first gradient-flow
      iterations or GD steps) for the time per iteration; GD needs its step
      count, a flow the iterations its whole ``t_max`` needs at the prefix's
      pace times :data:`FLOW_PACE` (:func:`_time_ensemble`);
    * units (samples and ensembles) are then scheduled on the workers, most
      expensive first (as :func:`run_study` orders them), plus the start of the
      process pool.

    Samples are timed in CPU seconds with one thread per worker's share of the
    cores, so the estimate is the wall time on an otherwise idle machine; on a
    busy one the plan also gives it times the present slowdown.

    Parameters
    ----------
    spec : str, Path, dict or StudySpec
    workers : int, optional
        As in :func:`run_study` (default: the CPUs; 0: in process).
    time_sample : bool
        Time the samples (else only count).
    device : str, optional
    target_path : sequence of str or Path
        As in :func:`run_study`. Timing the sample runs the code of user targets
        (in this process, under their time limit), as running the study would;
        ``time_sample=False`` imports nothing.
    budget_s : float, optional
        A time budget in seconds (default: the spec's ``[study] time_budget``): the
        plan says whether the estimate exceeds it (``over_budget``).
    sample_s : float
        About the longest one timed sample may take (the dry run takes a few dozen
        of them at most).
    max_steps : int, optional
        Deprecated and ignored (the samples are sized in seconds, ``sample_s``).
    quick_s : float, optional
        Studies the cost model estimates below this many seconds are not sampled (default
        :data:`QUICK_S`, 120; ``0``: always time samples, ``geoquant study --dry-run --time-samples``).

    Returns
    -------
    dict
        ``n_tasks``, ``n_units``, ``workers``, ``by_family`` and ``by_method``
        (task counts), ``skipped`` (method/dimension combinations the spec leaves
        out), ``sample`` (list of {method, dim, n, kind ("task" or "ensemble"),
        seconds (what the sample took), estimate_s (one task / one ensemble at full
        budget), fraction (budget share trained), runs, status, error}),
        ``by_method_s`` (estimated seconds per method, summed over its units),
        ``estimate_s`` (wall time on ``workers`` of an otherwise idle machine: the
        samples are timed in CPU seconds, single-threaded as in a pool worker; None
        without samples), ``slowdown`` (wall over CPU seconds of the samples: how
        much slower the machine is now) and ``estimate_now_s`` (``estimate_s`` times
        that), ``budget_s``, ``over_budget`` (``estimate_now_s`` above the budget;
        None when no budget is stated or nothing was timed), ``estimate_from``
        (``"cost model"`` or ``"samples"``; None when only counting) and ``dry_run_s``
        (what this call took, wall).
    """
    import importlib
    from collections import Counter

    t_start = time.perf_counter()
    spec = load_spec(spec)
    tasks = spec.tasks()
    units, _ = plan_units(tasks, {}, device=device)
    by_method = Counter(t.method_label for t in tasks)
    by_family = Counter(t.family for t in tasks)
    n_workers = 1 if workers == 0 else max(1, min(workers or os.cpu_count() or 1, max(len(units), 1)))
    budget = budget_s if budget_s is not None else getattr(spec, "time_budget", None)
    out: dict[str, Any] = {"study": spec.name, "n_tasks": len(tasks), "n_units": len(units), "workers": n_workers,
                           "by_family": dict(by_family), "by_method": dict(by_method), "sample": [],
                           "by_method_s": {}, "estimate_s": None, "skipped": spec.skipped,
                           "budget_s": None if budget is None else float(budget), "over_budget": None,
                           "slowdown": None, "estimate_now_s": None, "estimate_from": None, "dry_run_s": None}
    if not time_sample or not tasks:
        out["dry_run_s"] = time.perf_counter() - t_start
        return out
    quick_s = QUICK_S if quick_s is None else float(quick_s)
    if quick_s > 0 and _model_estimate(spec, tasks, out, budget, n_workers, workers, quick_s):
        out["dry_run_s"] = time.perf_counter() - t_start
        return out
    out["estimate_from"] = "samples"
    for mod in _preload(spec):
        importlib.import_module(mod)
    user = (spec, prepare_user_code(spec, None, target_path))  # the samples run user targets as a study would
    with _worker_threads(None if workers == 0 else n_workers):  # in process (workers 0): the threads it has
        _estimate(spec, tasks, by_method, device, sample_s, out, budget, n_workers, workers, user)
    out["dry_run_s"] = time.perf_counter() - t_start
    return out


def _model_estimate(spec: StudySpec, tasks: list[Task], out: dict[str, Any], budget: float | None, n_workers: int,
                    workers: int | None, quick_s: float) -> bool:
    """Fill ``out`` from the cost model if it knows every task and puts the study under ``quick_s``; else False."""
    from ._costmodel import calibration, probe, unit_costs
    from ._usercode import _has_user_targets

    if _has_user_targets(spec):
        return False  # user code runs as it likes
    units = _by_unit(tasks)
    cpu, wall = probe()
    cal = calibration()
    speed = cpu / float(cal["probe_cpu_s"])
    costs = unit_costs(units, speed)
    if costs is None:
        return False
    pool_s = float(cal["seconds"]["pool_start"]) * speed
    if _wall_estimate(costs, n_workers, workers, pool_s) > quick_s:
        return False
    by_label: dict[str, float] = {}
    for key, ts in units.items():
        for t in ts:  # a unit's time, shared by its labels in proportion to their tasks
            by_label[t.method_label] = by_label.get(t.method_label, 0.0) + costs[key] / len(ts)
    _fill_estimate(out, costs, by_label, n_workers, workers, pool_s,
                   _load_slowdown(n_workers, wall / cpu if cpu > 0 else 1.0), budget)
    out["estimate_from"] = "cost model"
    return True


def _by_unit(tasks: Sequence[Task]) -> dict[str, list[Task]]:
    """The tasks grouped as the study runs them: unit key -> its tasks (a sample's, or one network ensemble)."""
    units: dict[str, list[Task]] = {}
    for t in tasks:
        units.setdefault(t.unit_key(), []).append(t)
    return units


def _wall_estimate(costs: Mapping[str, float], n_workers: int, workers: int | None, pool_start_s: float) -> float:
    """Wall seconds of the units ``costs`` scheduled on the workers, plus a process pool's start when one is used."""
    return _makespan(list(costs.values()), n_workers) + (pool_start_s if n_workers > 1 and workers != 0 else 0.0)


def _fill_estimate(out: dict[str, Any], costs: Mapping[str, float], by_label: Mapping[str, float], n_workers: int,
                   workers: int | None, pool_start_s: float, slowdown: float, budget: float | None) -> None:
    """The plan's estimate fields, from the units' seconds (either path): per method, idle, now, against the budget."""
    out["by_method_s"] = {k: round(v, 3) for k, v in by_label.items()}
    out["estimate_s"] = _wall_estimate(costs, n_workers, workers, pool_start_s)
    out["slowdown"] = slowdown
    out["estimate_now_s"] = out["estimate_s"] * slowdown
    if budget is not None:  # against what the machine can do now (a busy machine needs longer)
        out["over_budget"] = bool(out["estimate_now_s"] > float(budget))


def _load_slowdown(n_workers: int, probe_ratio: float) -> float:
    """How much slower the study's workers would run now than on an idle machine: ``(load + workers) / CPUs``
    (the 1-minute load average: other runnable processes share the cores with the workers), at least the
    probe's wall over CPU time, at least 1."""
    cpus = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except (OSError, AttributeError):  # not on this platform
        load = 0.0
    return round(max(1.0, probe_ratio, (load + n_workers) / cpus), 2)


class _worker_threads:
    """Time the samples with the threads one pool worker gets (``cpu_count // workers``; torch and BLAS)."""

    def __init__(self, n_workers: int | None) -> None:
        self.threads = None if n_workers is None else max(1, (os.cpu_count() or 1) // max(n_workers, 1))

    def __enter__(self) -> _worker_threads:
        import sys

        torch = sys.modules.get("torch")
        self.old = torch.get_num_threads() if torch is not None else None
        if torch is not None and self.threads is not None:
            torch.set_num_threads(self.threads)
        return self

    def __exit__(self, *exc: object) -> Literal[False]:
        import sys

        torch = sys.modules.get("torch")
        if torch is not None and self.old is not None:
            torch.set_num_threads(self.old)
        return False


def _estimate(
    spec: StudySpec, tasks: list[Task], by_method: Mapping[str, int], device: str | None, sample_s: float,
    out: dict[str, Any], budget: float | None, n_workers: int, workers: int | None, user: _User | None = None,
) -> None:
    """Fill ``out`` (a plan of :func:`dry_run`) with the timed samples and the estimate."""
    costs: dict[str, float] = {}  # unit key -> estimated seconds
    by_label_s: dict[str, float] = {}
    for label in by_method:
        mine = [t for t in tasks if t.method_label == label]
        for dim in sorted({t.settings["target"]["dim"] for t in mine}):
            sub = [t for t in mine if t.settings["target"]["dim"] == dim]
            if sub[0].tags.trains:
                continue  # per ensemble, below (one ensemble may hold several labels: init scales, step sizes)
            else:
                per_n = _estimate_tasks(sub, device, sample_s, out["sample"], user)
                for t in sub:
                    c = per_n[t.settings["n"]]
                    costs[t.unit_key()] = costs.get(t.unit_key(), 0.0) + c
                    by_label_s[label] = by_label_s.get(label, 0.0) + c
    nets = [t for t in tasks if t.tags.trains]
    for dim in sorted({t.settings["target"]["dim"] for t in nets}):
        est = _estimate_networks([t for t in nets if t.settings["target"]["dim"] == dim], device, sample_s,
                                 out["sample"], user)
        for key, c in est.items():
            costs[key] = costs.get(key, 0.0) + c
            labels = [t.method_label for t in nets if t.unit_key() == key]
            for lab in set(labels):  # an ensemble's time, shared by its labels in proportion to their models
                by_label_s[lab] = by_label_s.get(lab, 0.0) + c * labels.count(lab) / len(labels)
    # the machine's present slowdown: wall over CPU seconds of the samples (1 when this process had a core)
    cpu = sum(x["seconds"] for x in out["sample"])
    wall = sum(x.get("wall_s", x["seconds"]) for x in out["sample"])
    slowdown = round(max(1.0, wall / cpu), 2) if cpu > 0 else 1.0
    _fill_estimate(out, costs, by_label_s, n_workers, workers, _POOL_START_S, slowdown, budget)


#: seconds a local process pool takes to start its workers (fork server, imports of torch and scikit-learn)
_POOL_START_S = 3.0


def _cpu() -> float:
    """The clock of the timed samples: this process's CPU seconds. Every sample runs single-threaded here as in
    a pool worker, so its CPU time is its time on an idle machine, whatever else the machine is running."""
    return time.process_time()


def _makespan(costs: list[float], workers: int) -> float:
    """Wall time of ``costs`` on ``workers``, longest first, each to the least loaded worker (as a pool runs them)."""
    loads = [0.0] * max(workers, 1)
    for c in sorted(costs, reverse=True):
        i = loads.index(min(loads))
        loads[i] += c
    return max(loads) if loads else 0.0


#: (spec, user code paths) of the study whose samples :func:`dry_run` times
_User = tuple[StudySpec, dict[str, list[str]]]


def _sample_unit(tasks: Sequence[Task], device: str | None, user: _User | None = None) -> dict[str, Any]:
    unit = {"key": "dry-run", "device": device, "checkpoint_dir": None,
            "tasks": [{"id": f"dry-run-{i}", "settings": json.loads(json.dumps(t.settings)), "gallery": False}
                      for i, t in enumerate(tasks)]}
    if user is not None:
        attach_user_code([unit], *user)
    return unit


def _estimate_tasks(tasks: list[Task], device: str | None, sample_s: float, samples: list[dict[str, Any]],
                    user: _User | None = None) -> dict[int, float]:
    """Seconds per task of one method in one dimension, per sample size (timed from the smallest size up)."""
    import numpy as np

    from ._runner import run_unit

    sizes = sorted({t.settings["n"] for t in tasks})
    first = min(t.settings["seed"] for t in tasks)
    timed: dict[int, float] = {}
    for n in sizes:
        if timed and _extrapolate(timed, n) > sample_s:
            break
        task = next(t for t in tasks if t.settings["n"] == n and t.settings["seed"] == first)
        w0, t0 = time.perf_counter(), _cpu()
        (rec,) = run_unit(_sample_unit([task], device, user))
        dt = _cpu() - t0
        timed[n] = dt
        samples.append({"method": task.method_label, "dim": task.settings["target"]["dim"], "n": n, "kind": "task",
                        "seconds": round(dt, 3), "wall_s": round(time.perf_counter() - w0, 3),
                        "estimate_s": round(dt, 3), "fraction": 1.0,
                        "runs": sum(t.settings["n"] == n for t in tasks), "status": rec["status"],
                        "error": (rec.get("error") or {}).get("message")})
        if rec["status"] != "done":
            break
    return {n: float(np.round(_extrapolate(timed, n), 6)) for n in sizes}


def _extrapolate(timed: dict[int, float], n: int) -> float:
    """Time at size ``n`` from the timed sizes: measured, interpolated, or a power of n beyond the largest two
    (exponent in [1, 3]; one timed size: linear in n)."""
    import numpy as np

    ns = sorted(timed)
    if n in timed:
        return timed[n]
    if n < ns[0]:
        return timed[ns[0]]
    if len(ns) == 1:
        return timed[ns[0]] * n / ns[0]
    lo, hi = (ns[-2], ns[-1]) if n > ns[-1] else max(((a, b) for a, b in zip(ns, ns[1:]) if a < n < b))
    p = np.log(max(timed[hi], 1e-6) / max(timed[lo], 1e-6)) / np.log(hi / lo)
    p = float(np.clip(p, 1.0, 3.0))
    return float(timed[hi] * (n / hi) ** p)


def _scale_budget(params: dict[str, Any], f: float) -> None:
    """Cut a network's budget to the fraction ``f`` of it, in place (its ``t_max``, else its GD steps)."""
    if params.get("t_max") is not None:
        params["t_max"] = float(params["t_max"]) * f
    else:
        params["n_steps"] = max(1, int(round(params["n_steps"] * f)))


def _full_steps(params: dict[str, Any]) -> float:
    """GD steps of a network entry's budget (``ceil(t_max / lr)`` or ``n_steps``)."""
    import numpy as np

    t_max, lr = params.get("t_max"), float(params["lr"])
    return float(np.ceil(float(t_max) / lr - 1e-9)) if t_max is not None else float(params["n_steps"])


def _estimate_networks(tasks: list[Task], device: str | None, sample_s: float, samples: list[dict[str, Any]],
                       user: _User | None = None) -> dict[str, float]:
    """Seconds per network unit (ensemble), from timed prefixes of the budget of a few of them.

    Units that differ only in their sample (target, sampler, n) form a group; each group is timed on its
    largest and its smallest ensemble (the largest only when they are less than 3x apart), and the other
    sizes follow a power of n through those two.
    """
    import numpy as np

    from ..compare import method_class

    units = _by_unit(tasks)
    groups: dict[str, dict[int, list[str]]] = {}
    for key, ts in units.items():
        m = ts[0].settings["method"]
        shared = method_class(m["name"]).ensemble_params(m["params"])
        sig = json.dumps([m["name"], {k: m["params"][k] for k in shared}], sort_keys=True,
                         default=str)
        groups.setdefault(sig, {}).setdefault(ts[0].settings["n"], []).append(key)
    out: dict[str, float] = {}
    for by_n in groups.values():
        sizes = sorted(by_n)
        ends = [sizes[-1], sizes[0]] if sizes[-1] >= 3 * sizes[0] else [sizes[-1]]  # close sizes: the largest only
        timed = {n: _time_ensemble(units[by_n[n][0]], device, samples, user) for n in ends}
        for n in sizes:
            if n in timed:
                est = timed[n]
            elif len(timed) == 1:
                est = next(iter(timed.values()))
            else:  # between the timed sizes: a power of n through both
                (a, ta), (b, tb) = sorted(timed.items())
                est = ta * (n / a) ** (np.log(max(tb, 1e-6) / max(ta, 1e-6)) / np.log(b / a))
            for key in by_n[n]:
                out[key] = float(est)
    return out


#: timed prefixes of an ensemble's budget: first gradient-flow iterations (3 gradient evaluations each) or GD
#: steps; the training alone is then timed on prefixes grown 4x until one takes _PREFIX_S CPU seconds
_FLOW_PREFIX = 10
_GD_PREFIX = 100
_PREFIX_S = 0.15
_PREFIX_RUNS = 6
#: a gradient flow's iterations over the whole budget, relative to the pace of its first ones: the slowest
#: model of an ensemble sets its length and the steps shrink as the networks grow. Measured on the quickstart's
#: 15 runge flow ensembles: 1.74x the iterations the pace of their first 40 predicts (0.7x to 4.2x each)
FLOW_PACE = 1.7


def _time_ensemble(members: list[Task], device: str | None, samples: list[dict[str, Any]],
                   user: _User | None = None) -> float:
    """Full-budget seconds of one ensemble (all its models, as the study trains them).

    One of its models once through the runner on the shortest prefix of its budget -- the first
    :data:`_FLOW_PREFIX` gradient-flow iterations (``max_evals``) or :data:`_GD_PREFIX` GD steps --: set-up,
    that training and the evaluation, times the number of models (``a``). Then the training alone on prefixes grown 4x until one takes
    :data:`_PREFIX_S`: ``c`` seconds per iteration. A flow needs ``k t_max / t_k`` iterations for its whole
    budget (``t_k`` the flow time the ``k``-iteration prefix reached), GD its step count; the estimate is
    ``a + c`` (iterations left).
    """
    from ._runner import make_data, run_unit
    from ..compare import method_class
    from ._spec import method_seed

    p0 = members[0].settings["method"]["params"]
    p_name = members[0].settings["method"]["name"]
    gd = p0.get("mode") == "gd"
    full = _full_steps(p0) if gd else 1.0
    t_max = float(p0["t_max"] if p0.get("t_max") is not None else p0["lr"] * p0["n_steps"])

    def prefix(k: int, tasks: list[Task] = members) -> dict[str, Any]:
        unit = _sample_unit(tasks, device, user)
        if gd:
            for t in unit["tasks"]:
                _scale_budget(t["settings"]["method"]["params"], min(k, full) / full)
        else:
            unit["max_evals"] = 3 * k + 1
        return unit

    k0 = min(_GD_PREFIX, int(full)) if gd else _FLOW_PREFIX
    # set-up, a short training and the evaluation of one model, counted once per model
    w0, t0 = time.perf_counter(), _cpu()
    recs = run_unit(prefix(k0, members[:1]))
    spent = _cpu() - t0
    a = spent * len(members)
    bad = [r for r in recs if r["status"] != "done"]
    status, error = ("failed", (bad[0].get("error") or {}).get("message")) if bad else ("done", None)
    reached0 = t_max if gd and k0 >= full else float((recs[0].get("info") or {}).get("t_done") or 0.0)
    est, frac = a, (k0 / full if gd else reached0 / t_max)
    if status == "done" and frac < 1.0 - 1e-9:
        data = {}
        for t in members:
            if t.settings["seed"] not in data:
                data[t.settings["seed"]] = make_data(t.settings)[1:]
        Xs = [data[t.settings["seed"]][0] for t in members]
        ys = [data[t.settings["seed"]][1] for t in members]
        params = [t.settings["method"]["params"] for t in members]
        seeds = [method_seed(t.settings["seed"], t.settings.get("restart", 0)) for t in members]
        k = k0
        prev: tuple[int, float] | None = None  # (iterations, CPU seconds) of the previous prefix
        for _ in range(_PREFIX_RUNS):
            k *= 4
            unit = prefix(k)
            ps = [u["settings"]["method"]["params"] for u in unit["tasks"]]
            t1 = _cpu()
            res = method_class(p_name).fit_ensemble(Xs, ys, ps if gd else params, seeds, device=device,
                                 max_evals=None if gd else 3 * k + 1)
            dt = _cpu() - t1
            spent += dt
            reached = float(res["info"]["t_done"][0]) if not gd else t_max * min(k, full) / full
            if reached >= t_max * (1 - 1e-9):  # the prefix was the whole budget
                est, frac = a + dt, 1.0
                break
            frac = reached / t_max
            # the marginal seconds per iteration, from the last two prefixes: a training call also spends a
            # fixed time that does not grow with its budget (set-up, the end-state certificates of every
            # model), which dt / k would multiply by the budget (8x to 60x too long on the phase study)
            per_it = (dt - prev[1]) / (k - prev[0]) if prev is not None and dt > prev[1] else dt / k
            est = a + per_it * ((full if gd else FLOW_PACE * k / frac) - k0)
            if dt >= _PREFIX_S and prev is not None:
                break
            prev = (k, dt)
    samples.append({"method": members[0].method_label, "dim": members[0].settings["target"]["dim"],
                    "n": members[0].settings["n"], "kind": "ensemble", "seconds": round(spent, 3),
                    "wall_s": round(time.perf_counter() - w0, 3),
                    "estimate_s": round(est, 3), "fraction": round(frac, 6), "runs": len(members),
                    "status": status, "error": error})
    return est


def failure_causes(study_dir: str | os.PathLike[str], limit: int = 10) -> list[dict[str, Any]]:
    """The failed tasks of a study grouped by cause (first line of the error).

    Returns
    -------
    list of dict
        ``{"cause", "count", "methods", "example"}`` (example: a task's
        method, target, n and seed), most frequent first, at most ``limit``.
    """
    groups: dict = {}
    for rec in read_records(study_dir).values():
        if rec["status"] == "done":
            continue
        msg = ((rec.get("error") or {}).get("message") or "unknown error").strip()
        cause = f"{(rec.get('error') or {}).get('type', 'Error')}: {msg.splitlines()[0] if msg else ''}"
        s = rec["settings"]
        g = groups.setdefault(cause, {"cause": cause, "count": 0, "methods": set(), "example": None})
        g["count"] += 1
        g["methods"].add(s["method"]["label"])
        if g["example"] is None:
            g["example"] = (f"{s['method']['label']} on {s['target']['name']} {s['target']['dim']}D, n={s['n']}, "
                            f"seed {s['seed']} (results/{rec['task_id']}.json)")
    out = sorted(groups.values(), key=lambda g: -g["count"])[:limit]
    for g in out:
        g["methods"] = sorted(g["methods"])
    return out


def _preload(spec: StudySpec) -> list[str]:
    from ..compare import method_class

    mods = ["geoquant.compare._metrics", "geoquant.interpolate", "geoquant.targets", "geoquant.points"]
    for m in spec.methods:
        mods.extend(x for x in method_class(m["name"]).preload if x not in mods)
    return mods


def _remove_training_state(unit: dict[str, Any]) -> None:
    import shutil

    path = unit.get("checkpoint_dir")
    if path:
        shutil.rmtree(path, ignore_errors=True)
        try:
            os.rmdir(os.path.dirname(path))  # the training/ directory, once empty
        except OSError:
            pass


def _unit_failure(unit: dict[str, Any], error: BaseException) -> list[dict[str, Any]]:
    """Records for the tasks of a unit that could not run at all (e.g. its worker died)."""
    from ._runner import _failure, _record

    err = _failure(error)
    err["message"] = f"the unit did not run ({type(error).__name__}): {error}"
    return [_record(t, status="failed", error=err) for t in unit["tasks"]]
