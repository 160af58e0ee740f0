"""Run a study: expand the spec, skip what is done, run the rest, write as it finishes.

>>> run = run_study("data/studies/quickstart.toml", "studies/quickstart")   # doctest: +SKIP
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

from typing import Any

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

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
from ._studydir import SEED_POLICY, _check_same_study, _Lock, _prepare_dir, _write_json, read_manifest

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

    def __init__(self, signum: int):
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

    def __init__(self, name: str, total: int, interval: float = 30.0, stream=None, clock=None):
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
        eta = "unknown" if rate <= 0 else _fmt_seconds(left / rate)
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


def _fmt_seconds(s: float) -> str:
    s = int(round(s))
    if s >= 3600:
        return f"{s // 3600}h{(s % 3600) // 60:02d}m"
    if s >= 60:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s}s"


class _StopOnSigint:
    """Turn Ctrl-C (SIGINT) and SIGTERM into a flag checked between two results.

    Raising KeyboardInterrupt from inside a wait on a lock can leave
    ``concurrent.futures`` in a broken state (``RuntimeError: release unlocked
    lock``); checking a flag at a safe point stops the study cleanly, with every
    finished result written and the workers ended. SIGTERM (``timeout``, Slurm,
    systemd) is handled the same way. A second signal interrupts at once.
    """

    def __enter__(self):
        import signal
        import threading

        self.requested = None  # the signal number once one arrived
        self._old = {}
        if threading.current_thread() is threading.main_thread():

            def handler(signum, frame):
                if self.requested is not None:
                    raise StudyInterrupted(signum)
                self.requested = signum

            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.getsignal(sig)
                signal.signal(sig, handler)
        return self

    def stop(self):
        raise StudyInterrupted(self.requested)

    def __exit__(self, *exc):
        import signal

        for sig, old in self._old.items():
            signal.signal(sig, old)
        return False


#: subdirectory of a study directory where network ensembles save their training state between segments
TRAINING = "training"


def plan_units(tasks, records: dict, *, retry_failed: bool = False, device=None, checkpoints=None):
    """Group the tasks still to run into units (see :mod:`geoquant.compare._runner`).

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

    def pending(t):
        rec = records.get(t.id)
        return rec is None or (retry_failed and rec["status"] != "done")

    groups: dict = {}
    for t in tasks:
        groups.setdefault(t.unit_key(), []).append(t)
    units: list = []
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

    Returns
    -------
    StudyRun
    """
    from tqdm.auto import tqdm

    t_start = time.perf_counter()
    spec = load_spec(spec)
    out = Path(out)
    tasks = spec.tasks()
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
                        for rec in result:
                            if rec["task_id"] not in write_ids:
                                continue
                            write_record(out, {**rec, "spec_sha256": fp})
                            write_ids.discard(rec["task_id"])
                            if rec["status"] == "done":
                                n_done += 1
                            else:
                                n_failed += 1
                            bar.update(1)
                            if lines is not None:
                                lines.update(done=int(rec["status"] == "done"), failed=int(rec["status"] != "done"))
                        if error is None:  # its results are written: its training state is no longer needed
                            _remove_training_state(unit)
                        if stop.requested is not None:  # after writing what arrived
                            stop.stop()
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


def dry_run(spec: str | os.PathLike[str] | dict[str, Any] | StudySpec, *, workers: int | None = None, time_sample: bool = True, max_steps: int = 300,
            device: str | None = None) -> dict:
    """What a study would run, and a rough estimate of how long, without writing anything.

    The estimate times one task per method (at that method's median sample
    size, first seed) in this process; networks train ``max_steps`` steps
    and their training time is scaled to their ``n_steps``. The per-method
    time times the method's task count (for networks: its ensembles, one
    per sample size and shared setting), summed and divided by the workers that would
    run (at most the number of units), is the estimate: rough (the cost
    grows with n; networks of one unit train together), meant for "minutes
    or hours".

    Parameters
    ----------
    spec : str, Path or StudySpec
    workers : int, optional
        As in :func:`run_study` (default: the CPUs; 0: in process).
    time_sample : bool
        Time the sample tasks (else only count).
    max_steps : int
        Network steps of the timed sample.
    device : str, optional

    Returns
    -------
    dict
        ``n_tasks``, ``n_units``, ``workers``, ``by_family`` and ``by_method``
        (task counts), ``sample`` (list of {method, n, seconds, scaled_s, runs,
        budget_factor, status, error}: a network's budget is cut to about
        ``max_steps`` steps and its training time scaled by ``budget_factor``), ``estimate_s`` (None without a sample),
        ``skipped`` (method/dimension combinations the spec leaves out).
    """
    import importlib
    from collections import Counter

    from ._runner import run_unit

    spec = load_spec(spec)
    tasks = spec.tasks()
    units, _ = plan_units(tasks, {}, device=device)
    by_method = Counter(t.method_label for t in tasks)
    by_family = Counter(t.family for t in tasks)
    n_workers = 1 if workers == 0 else max(1, min(workers or os.cpu_count() or 1, max(len(units), 1)))
    out: dict[str, Any] = {"study": spec.name, "n_tasks": len(tasks), "n_units": len(units), "workers": n_workers,
           "by_family": dict(by_family), "by_method": dict(by_method), "sample": [], "estimate_s": None,
           "skipped": spec.skipped}
    if not time_sample or not tasks:
        return out
    for mod in _preload(spec):
        importlib.import_module(mod)
    total = 0.0
    for label in by_method:
        mine = [t for t in tasks if t.method_label == label and t.settings.get("restart", 0) == 0]
        ns = sorted({t.settings["n"] for t in mine})
        n_mid = ns[(len(ns) - 1) // 2]
        task = next(t for t in mine if t.settings["n"] == n_mid)
        settings = json.loads(json.dumps(task.settings))
        params = settings["method"]["params"]
        factor = _shorten_budget(params, max_steps) if task.family == "network" else 1.0
        t0 = time.perf_counter()
        (rec,) = run_unit({"key": "dry-run", "tasks": [{"id": "dry-run", "settings": settings, "gallery": False}],
                           "device": device})
        dt = time.perf_counter() - t0
        # only the training scales with the budget (not the set-up or the analysis of the result)
        train_s = (rec.get("info") or {}).get("train_s")  # a network record's own share of its ensemble's time
        fit_s = float(train_s if train_s is not None else (rec.get("timing") or {}).get("fit_s") or 0.0)
        scaled = dt + fit_s * (factor - 1.0)
        # networks of one unit (all seeds and restarts of one sample size) train as one ensemble
        count = len({t.unit_key() for t in tasks if t.method_label == label}) if task.family == "network" \
            else by_method[label]
        total += scaled * count
        out["sample"].append({"method": label, "n": n_mid, "seconds": round(dt, 3), "scaled_s": round(scaled, 3),
                              "runs": count, "budget_factor": factor, "status": rec["status"],
                              "error": (rec.get("error") or {}).get("message")})
    out["estimate_s"] = total / n_workers
    return out


def _shorten_budget(params: dict[str, Any], max_steps: int) -> float:
    """Cut a network task's training budget to about ``max_steps`` steps, in place; return the factor
    by which the full budget is longer. A ``t_max`` (gradient-flow time) takes precedence over
    ``n_steps`` (GD: ``n_steps = ceil(t_max / lr)``), so it is the one cut: to ``max_steps * lr``
    (for the adaptive flow a rough stand-in, its step follows the dynamics)."""
    t_max, lr = params.get("t_max"), params.get("lr")
    if t_max is not None and lr:
        t_sample = float(max_steps) * float(lr)
        if float(t_max) <= t_sample:
            return 1.0
        params["t_max"] = t_sample
        return float(t_max) / t_sample
    if params.get("n_steps", 0) > max_steps:
        factor = params["n_steps"] / max_steps
        params["n_steps"] = max_steps
        return float(factor)
    return 1.0


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


def _preload(spec: StudySpec) -> list:
    from .methods import method_class

    mods = ["geoquant.compare._metrics", "geoquant.interpolate", "geoquant.targets", "geoquant.points"]
    for m in spec.methods:
        mods.extend(x for x in method_class(m["name"]).preload if x not in mods)
    return mods


def _remove_training_state(unit) -> None:
    import shutil

    path = unit.get("checkpoint_dir")
    if path:
        shutil.rmtree(path, ignore_errors=True)
        try:
            os.rmdir(os.path.dirname(path))  # the training/ directory, once empty
        except OSError:
            pass


def _unit_failure(unit, error) -> list:
    """Records for the tasks of a unit that could not run at all (e.g. its worker died)."""
    from ._runner import _failure, _record

    err = _failure(error)
    err["message"] = f"the unit did not run ({type(error).__name__}): {error}"
    return [_record(t, status="failed", error=err) for t in unit["tasks"]]
