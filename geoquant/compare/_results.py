"""Result files of a study: atomic writes, reading back, progress.

Layout of a study directory ``DIR``::

    DIR/spec.toml              the spec, copied verbatim at the first start
    DIR/manifest.json          versions, device, seed policy, task count, runs
    DIR/results/<id>.json      one per finished task (done or failed)
    DIR/results/<id>.npz       gallery arrays of that task (some tasks only)
    DIR/.lock                  held (flock) while a study runs

``<id>`` is the hash of the task's settings (:func:`geoquant.compare._spec.task_id`),
so a task has exactly one file and a rerun recognises what is done. Every file
is written to a temporary file in the same directory, flushed, fsynced and
renamed over the final name (``os.replace`` is atomic on POSIX), then the
directory is fsynced: a reader or a killed run sees either the whole file or
none. The ``.npz`` is written before the ``.json``, so a result that exists has
its arrays.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from pathlib import Path

import numpy as np

from ..errors import GeoquantError, InvalidInputError

__all__ = [
    "atomic_write_bytes",
    "write_record",
    "read_records",
    "load_results",
    "load_gallery",
    "study_status",
    "results_dir",
    "DETERMINISTIC_COLUMNS",
]

RESULTS = "results"
_TMP_PREFIX = ".tmp-"


def results_dir(study_dir) -> Path:
    return Path(study_dir) / RESULTS


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temp file in the same dir, fsync, ``os.replace``)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_TMP_PREFIX, suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(path.parent)


def _clean(obj):
    """Make a record strictly JSON-serialisable (NaN/inf -> None, numpy -> python)."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        v = float(obj)
        return v if np.isfinite(v) else None
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.ndarray):
        return _clean(obj.tolist())
    return obj


def write_record(study_dir, record: dict) -> Path:
    """Write one task record (and its gallery arrays, if any) atomically.

    Returns the path of the JSON file.
    """
    rdir = results_dir(study_dir)
    rdir.mkdir(parents=True, exist_ok=True)
    record = dict(record)
    arrays = record.pop("_arrays", None)
    tid = record["task_id"]
    if arrays:
        buf = io.BytesIO()
        np.savez_compressed(buf, **{k: np.asarray(v) for k, v in arrays.items()})
        atomic_write_bytes(rdir / f"{tid}.npz", buf.getvalue())
        record["gallery_file"] = f"{tid}.npz"
    text = json.dumps(_clean(record), indent=1, sort_keys=True, allow_nan=False)
    path = rdir / f"{tid}.json"
    atomic_write_bytes(path, text.encode())
    return path


def remove_stale_temporaries(study_dir) -> int:
    """Delete temporary files a killed run left behind; returns how many."""
    rdir = results_dir(study_dir)
    k = 0
    if rdir.is_dir():
        for p in rdir.glob(_TMP_PREFIX + "*"):
            try:
                p.unlink()
                k += 1
            except OSError:  # pragma: no cover
                pass
    return k


def read_records(study_dir) -> dict:
    """All result records of a study, keyed by task id (temporary files ignored)."""
    rdir = results_dir(study_dir)
    out = {}
    if not rdir.is_dir():
        return out
    for p in sorted(rdir.glob("*.json")):
        if p.name.startswith(_TMP_PREFIX):
            continue
        try:
            rec = json.loads(p.read_text())
        except (OSError, ValueError) as exc:  # pragma: no cover - atomic writes prevent this
            raise GeoquantError(f"result file {p} is unreadable: {exc}") from None
        out[rec["task_id"]] = rec
    return out


def _require_study(study_dir) -> Path:
    d = Path(study_dir)
    if not (d / "spec.toml").is_file():
        raise InvalidInputError(f"'study_dir' must be a study directory (with spec.toml), found {str(d)!r}")
    return d


#: Training state of network rows (NaN/None elsewhere), read from the record's info
#: (see geoquant.nn._state.training_state).
TRAINING_COLUMNS = ["train_loss", "train_rmse_rel", "grad_norm", "stationarity", "sharpness", "flow_time",
                    "train_steps", "loss_increases", "plateau_drop", "train_status"]
#: The regime axes of network rows (NaN elsewhere; lr NaN for gradient flow).
REGIME_COLUMNS = ["init_scale", "width", "lr"]
#: Every row: is the value exact (not a heuristic local optimum or a sample)? did the method use the target?
LABEL_COLUMNS = ["exact", "oracle"]

#: Columns that depend only on the settings (equal across reruns and schedulers).
DETERMINISTIC_COLUMNS = [
    "task_id", "status", "target", "dim", "sampler", "n", "seed", "restart", "method", "method_name",
    "family", "params",
]


def load_results(study_dir, *, include_failed: bool = True):
    """The results of a study as a pandas DataFrame, one row per finished task.

    Parameters
    ----------
    study_dir : str or Path
    include_failed : bool
        Keep failed tasks (their metric columns are NaN, ``error`` holds the message).

    Returns
    -------
    pandas.DataFrame
        Columns: ``task_id, status, target, dim, sampler, n, seed, restart,
        method`` (the label), ``method_name, family, params`` (JSON), the
        metrics (``l2_hull, linf_hull, l2_inner, linf_inner, bound_*,
        linf_ratio_*, l2_ratio_*, vol_*, train_rmse``), ``info_*`` scalars,
        the network distances (``fit_l2, between_l2, nearest_l2,
        nearest_exact, n_kinks, nearest_knots_l2``; see
        :meth:`Evaluator.network_distances`), the training state
        (``train_loss, train_rmse_rel, grad_norm, stationarity, sharpness,
        flow_time, train_steps, loss_increases, train_status``), the regime axes
        (``init_scale, width, lr``), the labels ``exact`` (the row's value is an
        exact optimum/statistic, not a flip-walk local optimum or a sample) and
        ``oracle`` (the method chose using the true target), ``info_*`` scalars,
        ``fit_s, eval_s, device, gallery_file, error``. Sorted by target,
        dim, sampler, method, n, seed, restart.
    """
    import pandas as pd

    from ._methods import method_class
    from ._metrics import DISTANCE_COLUMNS, METRIC_COLUMNS

    d = _require_study(study_dir)
    rows = []
    for rec in read_records(d).values():
        if rec["status"] != "done" and not include_failed:
            continue
        s = rec["settings"]
        try:
            cls = method_class(s["method"]["name"])
            family, oracle = cls.family, bool(cls.oracle)
        except GeoquantError:  # pragma: no cover - a method removed since the run
            family, oracle = None, False
        row = {
            "task_id": rec["task_id"],
            "status": rec["status"],
            "target": s["target"]["name"],
            "dim": s["target"]["dim"],
            "sampler": s["sampler"]["kind"],
            "n": s["n"],
            "seed": s["seed"],
            "restart": s.get("restart", 0),
            "method": s["method"]["label"],
            "method_name": s["method"]["name"],
            "family": family,
            "params": json.dumps(s["method"]["params"], sort_keys=True),
        }
        for m in METRIC_COLUMNS + DISTANCE_COLUMNS:
            row[m] = rec["metrics"].get(m)
        info = rec.get("info", {})
        for k in TRAINING_COLUMNS:
            row[k] = info.get(k)
        params = s["method"]["params"]
        net = family == "network"
        row["init_scale"] = params.get("init_scale") if net else None
        row["width"] = params.get("width") if net else None
        row["lr"] = params.get("lr") if net and params.get("mode", "gd") == "gd" else None
        row["exact"] = bool(info.get("exact", True)) if rec["status"] == "done" else None
        row["oracle"] = oracle
        for k, v in rec.get("info", {}).items():
            if isinstance(v, (int, float, bool, str)) or v is None:
                row[f"info_{k}"] = v
        row["fit_s"] = rec.get("timing", {}).get("fit_s")
        row["eval_s"] = rec.get("timing", {}).get("eval_s")
        row["device"] = rec.get("device")
        row["gallery_file"] = rec.get("gallery_file")
        row["error"] = (rec.get("error") or {}).get("message")
        rows.append(row)
    extra = DISTANCE_COLUMNS + TRAINING_COLUMNS + REGIME_COLUMNS + LABEL_COLUMNS
    cols = DETERMINISTIC_COLUMNS + METRIC_COLUMNS + extra + ["fit_s", "eval_s", "device", "gallery_file", "error"]
    df = pd.DataFrame(rows)
    if df.empty:
        return pd.DataFrame(columns=cols)
    for c in cols:
        if c not in df.columns:
            df[c] = None
    numeric = [c for c in DISTANCE_COLUMNS + TRAINING_COLUMNS + REGIME_COLUMNS
               if c not in ("nearest_exact", "train_status")]
    for m in METRIC_COLUMNS + numeric + ["fit_s", "eval_s"]:
        df[m] = pd.to_numeric(df[m], errors="coerce").astype(float)
    df["nearest_exact"] = df["nearest_exact"].astype(object)
    info_cols = sorted(c for c in df.columns if c.startswith("info_"))
    df = df[cols[: len(DETERMINISTIC_COLUMNS) + len(METRIC_COLUMNS) + len(extra)] + info_cols + cols[-5:]]
    df = df.sort_values(["target", "dim", "sampler", "method", "n", "seed", "restart"], kind="stable")
    return df.reset_index(drop=True)


def load_gallery(study_dir, task_id_or_file) -> dict:
    """The gallery arrays stored with a task (a dict of ndarrays)."""
    rdir = results_dir(study_dir)
    name = str(task_id_or_file)
    if not name.endswith(".npz"):
        name += ".npz"
    with np.load(rdir / name, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def study_status(study_dir):
    """Progress of a study: done / failed / pending tasks per method, and where networks ended.

    Returns
    -------
    pandas.DataFrame
        Index: method labels plus a ``total`` row; columns ``done, failed,
        pending, total`` and the training status of finished network tasks
        (``interpolating, stationary, unstable, budget``; 0 for other methods).
    """
    from ..nn._state import TRAIN_STATUSES

    import pandas as pd

    from ._spec import load_spec

    d = _require_study(study_dir)
    spec = load_spec(d / "spec.toml")
    records = read_records(d)
    counts: dict = {}
    for t in spec.tasks():
        c = counts.setdefault(t.method_label, dict.fromkeys(("done", "failed", "pending") + TRAIN_STATUSES, 0))
        rec = records.get(t.id)
        c["pending" if rec is None else ("done" if rec["status"] == "done" else "failed")] += 1
        ts = (rec or {}).get("info", {}).get("train_status") if rec is not None and rec["status"] == "done" else None
        if ts in TRAIN_STATUSES:
            c[ts] += 1
    cols = ["done", "failed", "pending"]
    df = pd.DataFrame.from_dict(counts, orient="index", columns=cols + list(TRAIN_STATUSES))
    df.index.name = "method"
    df.insert(3, "total", df[cols].sum(axis=1))
    df.loc["total"] = df.sum(axis=0)
    return df.astype(int)
