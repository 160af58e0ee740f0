"""Run one unit of a study: the tasks that share one data set.

A *unit* is a plain dict (so it pickles cheaply to a process pool or a Dask
worker)::

    {"tasks": [{"id": ..., "settings": {...}, "gallery": bool}, ...], "device": None | str,
     "checkpoint_dir": None | str}

(``checkpoint_dir``, network units only: where the ensemble saves its training state
between the segments of its budget, so that an interrupted study resumes inside it;
``max_evals``, optional: a gradient-flow ensemble stops after that many gradient
evaluations per model -- the timed prefixes of ``geoquant study --dry-run``.)

A non-network unit's tasks share the sample (target, sampler, n, seed) and the
evaluation settings, so the sample, its Delaunay triangulation, the quadrature
nodes and the target's values there are built once. A network unit holds every
network sharing (target, sampler, n) and the ensemble-wide parameters (seeds,
restarts, init scales, step sizes may differ); they are trained in **one**
batched call of :func:`geoquant.nn.train_gd` (``n_models`` = number of tasks,
one sample and one seed per model) and each is evaluated and recorded
separately.

:func:`run_unit` never raises for a task's failure: each task yields a record
with ``status`` ``"done"`` or ``"failed"`` (with the traceback). The caller
writes the records (see :mod:`geoquant.study._results`), so workers need no
access to the study directory.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from ..compare import Competitor, Method, Statistic
    from ..targets import Target

import json
import os
import platform
import socket
import time
import traceback
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from .._json import to_jsonable
from ..compare import method_class, method_tags
from ..compare import EvalConfig, Evaluator
from ._spec import method_seed

__all__ = ["run_unit", "make_data", "environment", "RECORD_SCHEMA"]

RECORD_SCHEMA = 1


@lru_cache(maxsize=1)
def environment() -> dict[str, Any]:
    """Package versions and machine facts recorded with every result (no heavy imports)."""
    from importlib import metadata

    versions: dict[str, str | None] = {"python": platform.python_version()}
    for pkg in ("geoquant", "numpy", "scipy", "torch", "scikit-learn", "pandas", "shapely", "matplotlib"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    if versions["geoquant"] is None:
        from .._version import __version__

        versions["geoquant"] = __version__
    return {
        "versions": versions,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "host": socket.gethostname(),
        "cpu_count": os.cpu_count(),
    }


def make_data(settings: dict[str, Any]) -> tuple[Target, NDArray[np.float64], NDArray[np.float64]]:
    """The target, sample points and values of a task's settings.

    Returns
    -------
    target : Target
    X : (n, dim) ndarray
    y : (n,) ndarray
    """
    from ..points import sample_points
    from ._spec_targets import build_target

    t, s = settings["target"], settings["sampler"]
    target = build_target(t)
    kw = dict(s["params"])
    if s["kind"] != "polygon" and "domain" not in kw:
        kw["domain"] = np.asarray(target.domain)
    X = sample_points(settings["n"], t["dim"], s["kind"], seed=settings["seed"], **kw)
    y = np.asarray(target(X), dtype=np.float64).reshape(X.shape[0])
    return target, X, y


def _failure(exc: BaseException) -> dict[str, str]:
    return {
        "type": type(exc).__name__,
        "message": str(exc),
        "traceback": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
    }


def _record(
    task: dict[str, Any],
    *,
    status: str,
    metrics: dict[str, Any] | None = None,
    info: dict[str, Any] | None = None,
    error: dict[str, str] | None = None,
    timing: dict[str, float] | None = None,
    device: str | None = "cpu",
    arrays: dict[str, np.ndarray] | None = None,
) -> dict[str, Any]:
    rec = {
        "schema": RECORD_SCHEMA,
        "task_id": task["id"],
        "status": status,
        "settings": task["settings"],
        "seed": task["settings"]["seed"],
        "method_seed": method_seed(task["settings"]["seed"], task["settings"].get("restart", 0)),
        "metrics": metrics or {},
        "info": _info_values(info or {}),
        "error": error,
        "timing": timing or {},
        "device": device,
        "gallery": bool(task.get("gallery")) and arrays is not None,
        "environment": environment(),
        "pid": os.getpid(),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    if arrays is not None and task.get("gallery"):
        rec["_arrays"] = arrays
    return rec


def _info_values(d: dict[str, Any]) -> dict[str, Any]:
    """A method's info for its record: numbers, strings and flat lists as JSON values
    (:func:`geoquant._json.to_jsonable`: NaN/inf -> null), any other value as its ``str``."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        flat = isinstance(v, (list, tuple)) and all(isinstance(x, (int, float, str)) for x in v)
        plain = v is None or isinstance(v, (bool, int, float, str, np.bool_, np.integer, np.floating))
        out[k] = to_jsonable(v) if plain or flat else str(v)
    return out


def _gallery_arrays(
    method: Competitor,
    evaluator: Evaluator,
    X: NDArray[np.float64],
    y: NDArray[np.float64],
    grid: NDArray[np.float64],
    f_grid: NDArray[np.float64],
) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {"X": X, "y": y, "grid": grid.astype(np.float32), "f_grid": f_grid.astype(np.float32)}
    if method.pointwise:
        g = cast("Method", method).predict(grid)  # pointwise: a Method
        arrays["g_grid"] = g.astype(np.float32)
    for k, v in method.state().items():
        arrays[f"state_{k}"] = np.asarray(v)
    # per_simplex_<region>: the SQUARED L2 error integral of (f - I f)^2 on each simplex of the method's triangulation
    ps = getattr(evaluator, "last_per_simplex", None) or {}
    for r, v in ps.items():
        arrays[f"per_simplex_{r}"] = np.asarray(v, dtype=np.float64)
    near = getattr(evaluator, "last_nearest", None) or {}
    if near:  # a network: its nearest fine triangulation, its values at the data and their interpolant there
        from ..interpolate import PiecewiseLinearInterpolant
        from ..triangulation import Triangulation

        simp = np.asarray(near["simplices"], dtype=np.int64)
        vals = np.asarray(near["values"], dtype=np.float64)
        arrays["near_simplices"] = simp.astype(np.int32)
        arrays["near_values"] = vals
        arrays["near_grid"] = PiecewiseLinearInterpolant(Triangulation(X, simp, validate=False), vals)(grid) \
            .astype(np.float32)
    arrays["delaunay_simplices"] = np.asarray(evaluator.tri.simplices, dtype=np.int32)
    arrays["inner_box"] = evaluator.inner_box
    arrays["domain"] = evaluator.box
    return arrays


def _evaluate_one(
    task: dict[str, Any],
    method: Competitor,
    evaluator: Evaluator,
    X: NDArray[np.float64],
    y: NDArray[np.float64],
    gallery_cache: dict[str, tuple[NDArray[np.float64], NDArray[np.float64]]],
    device: str | None,
    t_fit: float,
) -> dict[str, Any]:
    t0 = time.perf_counter()
    metrics = evaluator.evaluate(cast("Method | Statistic", method))  # every Competitor is one of the two
    t_eval = time.perf_counter() - t0
    arrays = None
    if task.get("gallery"):
        if "grid" not in gallery_cache:
            grid = evaluator.grid()
            gallery_cache["grid"] = (grid, np.asarray(evaluator.target(grid), dtype=float).reshape(len(grid)))
        grid, f_grid = gallery_cache["grid"]
        arrays = _gallery_arrays(method, evaluator, X, y, grid, f_grid)
    return _record(
        task,
        status="done",
        metrics=metrics,
        info=method.info(),
        timing={"fit_s": t_fit, "eval_s": t_eval},
        device=device,
        arrays=arrays,
    )


def run_unit(unit: dict[str, Any]) -> list[dict[str, Any]]:
    """Run the tasks of one unit; one record per task (never raises for a task's failure).

    A user target (``name = "module:function"``) whose Hessian, sampled by
    finite differences, exceeds its given bound adds a line to each record's
    ``warnings``. A unit of a user target runs under
    :func:`geoquant.study._usercode.user_code` (its import path and time
    limit): past the limit every task of the unit fails with that cause.
    """
    from ._usercode import UnitTimeLimit, time_limit_message, user_code

    try:
        with user_code(unit):
            records = _run_unit(unit)
            warning = _target_warning(unit["tasks"][0]["settings"]["target"])
    except UnitTimeLimit as exc:
        err = {"type": "TimeLimitExceeded", "message": time_limit_message(unit, float(exc.args[0])), "traceback": ""}
        return [_record(t, status="failed", error=err) for t in unit["tasks"]]
    if warning:
        for rec in records:
            rec.setdefault("warnings", []).append(warning)
    return records


_TARGET_WARNINGS: dict[str, str | None] = {}


def _target_warning(t: dict[str, Any]) -> str | None:
    """The Hessian-bound check of a user target, once per process and target."""
    if ":" not in t["name"]:
        return None
    from ._spec_targets import check_user_target

    key = json.dumps(t, sort_keys=True, default=str)
    if key not in _TARGET_WARNINGS:
        try:
            _TARGET_WARNINGS[key] = check_user_target(t)
        except Exception as exc:  # the tasks themselves report a target that cannot be evaluated
            _TARGET_WARNINGS[key] = f"target {t['name']}: the Hessian bound could not be checked ({exc})"
    return _TARGET_WARNINGS[key]


def _run_unit(unit: dict[str, Any]) -> list[dict[str, Any]]:
    tasks = unit["tasks"]
    device = unit.get("device")
    settings0 = tasks[0]["settings"]
    if method_tags(settings0["method"]["name"]).trains:
        return _run_network_unit(tasks, device, unit.get("checkpoint_dir"), unit.get("max_evals"))
    try:
        target, X, y = make_data(settings0)
        evaluator = Evaluator(target, X, y, EvalConfig(**_eval_kwargs(settings0["evaluation"])))
    except Exception as exc:  # the sample itself failed: every task fails with it
        err = _failure(exc)
        return [_record(t, status="failed", error=err) for t in tasks]
    cache: dict = {}
    records = []
    for task in tasks:
        s = task["settings"]
        try:
            method = method_class(s["method"]["name"])(**s["method"]["params"])
            t0 = time.perf_counter()
            method.fit(X, y, target=target, seed=method_seed(s["seed"], s.get("restart", 0)))
            t_fit = time.perf_counter() - t0
            records.append(_evaluate_one(task, method, evaluator, X, y, cache, "cpu", t_fit))
        except Exception as exc:
            records.append(_record(task, status="failed", error=_failure(exc)))
    return records


def _eval_kwargs(ev: dict[str, Any]) -> dict[str, Any]:
    kw = dict(ev)
    kw["regions"] = tuple(kw.get("regions", ("hull", "inner")))
    return kw


def _run_network_unit(
    tasks: list[dict[str, Any]],
    device: str | None,
    checkpoint_dir: str | None = None,
    max_evals: int | None = None,
) -> list[dict[str, Any]]:
    """All the networks of a unit in one ensemble call; one evaluation and record per task.

    With ``checkpoint_dir`` the ensemble saves its training state there between the segments of
    its budget and resumes from a state saved by an interrupted run (see ``fit_ensemble``)."""
    data: dict[int, Any] = {}
    for task in tasks:  # samples, one per data seed (the unit shares target, sampler and n)
        seed = task["settings"]["seed"]
        if seed in data:
            continue
        try:
            target, X, y = make_data(task["settings"])
            ev = Evaluator(target, X, y, EvalConfig(**_eval_kwargs(task["settings"]["evaluation"])))
            data[seed] = (target, X, y, ev, {})
        except Exception as exc:
            data[seed] = _failure(exc)
    members: list[dict] = []
    records: list[dict] = []
    for task in tasks:
        d = data[task["settings"]["seed"]]
        if isinstance(d, dict):
            records.append(_record(task, status="failed", error=d))
        else:
            members.append(task)
    if not members:
        return records
    s = [t["settings"] for t in members]
    try:
        t0 = time.perf_counter()
        res = method_class(s[0]["method"]["name"]).fit_ensemble(
            [data[x["seed"]][1] for x in s],
            [data[x["seed"]][2] for x in s],
            [x["method"]["params"] for x in s],
            [method_seed(x["seed"], x.get("restart", 0)) for x in s],
            device=device,
            checkpoint_dir=checkpoint_dir,
            max_evals=max_evals,
        )
        t_fit = (time.perf_counter() - t0) / len(members)
    except Exception as exc:
        err = _failure(exc)
        return records + [_record(t, status="failed", error=err) for t in members]
    for i, task in enumerate(members):
        st = task["settings"]
        target, X, y, ev, cache = data[st["seed"]]
        try:
            method = method_class(st["method"]["name"])(**st["method"]["params"])
            method.adopt(X, y, res, i, target=target, seed=method_seed(st["seed"], st.get("restart", 0)))
            records.append(_evaluate_one(task, method, ev, X, y, cache, res["device"], t_fit))
        except Exception as exc:
            records.append(_record(task, status="failed", error=_failure(exc), device=res["device"]))
    return records
