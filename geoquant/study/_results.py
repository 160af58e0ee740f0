"""Result files of a study: atomic writes, reading back, progress.

Layout of a study directory ``DIR``::

    DIR/spec.toml              the spec, copied verbatim at the first start
    DIR/manifest.json          versions, device, seed policy, task count, targets (label, domain, bound), runs
    DIR/results/<id>.json      one per finished task (done or failed)
    DIR/results/<id>.npz       gallery arrays of that task (some tasks only)
    DIR/quarantine/            damaged files set aside by a run, listed in index.json
    DIR/.lock                  held (flock) while a study runs

``<id>`` is the hash of the task's settings (:func:`geoquant.compare._spec.task_id`),
so a task has exactly one file and a rerun recognises what is done. Every file
is written atomically (:mod:`geoquant._fileio`): a reader or a killed run sees
either the whole file or none. The ``.npz`` is written before the ``.json``, so
a result that exists has its arrays.

Every result is checked when it is read (:func:`scan_results`): readable JSON,
a ``task_id`` equal to its file name and to the hash of its ``settings``, a
task of this study's spec (and, when recorded, the same spec fingerprint), a
content checksum (required: a record without one is damaged; studies written
before checksums are adopted once with ``geoquant study verify --rehash DIR``),
a known status, metrics (numbers) when done, and an intact gallery file (its
recorded SHA-256) when it names one. Files are size-checked before they are
read (:data:`MAX_RECORD_BYTES`, :data:`MAX_GALLERY_BYTES`), so reading a study
takes bounded memory. Anything else is *damaged*: readers (``load_results``,
``study_status``, the report) skip it and say so; a run (``run_study``, under
the lock) moves it to ``DIR/quarantine/`` and reruns its task.

Damage to the study as a whole stops readers and runs with a
:class:`~geoquant.errors.StorageError` that says what to do without losing
anything: ``results`` that is not a directory (a file, a symbolic link), or a
``spec.toml`` edited after the study ran (its results would all look foreign).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas is imported when results are loaded
    from collections.abc import Container, Mapping, Sequence

    import pandas as pd

    from ._spec import StudySpec

import hashlib
import io
import json
import os
import re
import time
from pathlib import Path

import numpy as np

from .._fileio import TMP_PREFIX as _TMP_PREFIX
from .._fileio import atomic_write_bytes, storage_error
from .._json import dumps, json_sha256, to_jsonable
from ..errors import GeoquantError, InvalidInputError, StorageError
from ._spec_targets import target_label

__all__ = [
    "atomic_write_bytes",
    "write_record",
    "read_records",
    "scan_results",
    "quarantine",
    "load_results",
    "load_gallery",
    "study_status",
    "results_dir",
    "DETERMINISTIC_COLUMNS",
]

RESULTS = "results"
QUARANTINE = "quarantine"
_ID = re.compile(r"^[0-9a-f]{20}$")

#: Largest result record read (a record holds settings, metrics and a traceback: kilobytes).
MAX_RECORD_BYTES = 4 * 2**20
#: Largest gallery file, on disk and unpacked (a few grids and sample arrays: megabytes).
MAX_GALLERY_BYTES = 256 * 2**20
#: Largest manifest or quarantine index read.
MAX_JSON_BYTES = 16 * 2**20

#: How a stored result without a checksum is adopted (see docs/study-spec.md).
REHASH_HINT = "if you trust this study, adopt such records once with 'geoquant study verify --rehash DIR'"


def _size(n: int) -> str:
    for unit, k in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= k:
            return f"{n / k:.1f} {unit}"
    return f"{n} bytes"


def read_bounded(path: str | os.PathLike[str], max_bytes: int) -> bytes:
    """The bytes of ``path``, refused (ValueError naming the size) past ``max_bytes`` before any is read."""
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > max_bytes:
            raise ValueError(f"too large ({_size(size)}; at most {_size(max_bytes)} expected); not read")
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValueError(f"too large (more than {_size(max_bytes)}); not read")
    return data


def read_json_bounded(path: str | os.PathLike[str], max_bytes: int = MAX_JSON_BYTES) -> Any:
    """JSON from ``path`` read with :func:`read_bounded`; ValueError for anything unreadable as JSON."""
    data = read_bounded(path, max_bytes)
    try:
        return json.loads(data.decode("utf-8"))
    except RecursionError:
        raise ValueError("nested too deeply") from None


def check_results_dir(study_dir: str | os.PathLike[str]) -> Path:
    """``study_dir/results``, refused with a plain :class:`StorageError` when it exists but is not a
    directory of its own (a file, a symbolic link, ...): its results cannot be read, and a run must not
    write into or move files out of whatever it points at. The advice changes nothing by itself."""
    rdir = results_dir(study_dir)
    if os.path.islink(rdir):
        found = f"a symbolic link to {os.readlink(rdir)!r}"
    elif os.path.lexists(rdir) and not rdir.is_dir():
        try:
            st = rdir.stat()
            import stat as _stat

            found = (f"a regular file of {_size(st.st_size)}" if _stat.S_ISREG(st.st_mode) else "not a directory")
        except OSError as exc:
            found = f"unreadable ({exc.strerror})"
    else:
        return rdir
    raise StorageError(
        f"the results of study {str(study_dir)!r} cannot be read: {str(rdir)!r} is {found}, expected the directory "
        f"of result files. Nothing was read or changed. Look at it and move it aside (mv {str(rdir)!r} "
        f"{str(rdir) + '.damaged'!r}); then restore the results directory from a backup, or rerun the study to "
        "recompute its results")


def results_dir(study_dir: str | os.PathLike[str]) -> Path:
    return Path(study_dir) / RESULTS


def write_record(study_dir: str | os.PathLike[str], record: dict[str, Any]) -> Path:
    """Write one task record (and its gallery arrays, if any) atomically.

    Returns the path of the JSON file.
    """
    rdir = results_dir(study_dir)
    try:
        rdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise storage_error(exc, rdir, "create") from None
    record = dict(record)
    arrays = record.pop("_arrays", None)
    tid = record["task_id"]
    if arrays:
        buf = io.BytesIO()
        np.savez_compressed(buf, **{k: np.asarray(v) for k, v in arrays.items()})  # type: ignore[arg-type]
        atomic_write_bytes(rdir / f"{tid}.npz", buf.getvalue())
        record["gallery_file"] = f"{tid}.npz"
        record["gallery_sha256"] = hashlib.sha256(buf.getvalue()).hexdigest()
    record = to_jsonable(record)
    record.pop("checksum", None)
    record["checksum"] = _checksum(record)
    text = dumps(record, indent=1, sort_keys=True)
    path = rdir / f"{tid}.json"
    atomic_write_bytes(path, text.encode())
    return path


def remove_stale_temporaries(study_dir: str | os.PathLike[str]) -> int:
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


def _checksum(record: dict[str, Any]) -> str:
    """SHA-256 of a record's canonical JSON without its ``checksum`` (detects any change to a stored result)."""
    body = {k: v for k, v in record.items() if k != "checksum"}
    return json_sha256(body, allow_nan=False)


def _check_gallery(path: Path, sha256: str | None = None) -> str | None:
    """Why a gallery file is unusable, or None (``sha256``: the digest recorded when it was written).

    Bounded memory: the digest is computed in blocks, and an archive is opened only when its size on disk
    and unpacked is at most :data:`MAX_GALLERY_BYTES`.
    """
    import zipfile

    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return f"its gallery file {path.name} is missing"
    except OSError as exc:
        return f"its gallery file {path.name} is unreadable ({exc.strerror})"
    if size > MAX_GALLERY_BYTES:
        return f"its gallery file {path.name} is too large ({_size(size)}; at most {_size(MAX_GALLERY_BYTES)})"
    if sha256 is not None:
        h = hashlib.sha256()
        try:
            with open(path, "rb") as fh:
                for block in iter(lambda: fh.read(2**20), b""):
                    h.update(block)
        except OSError as exc:
            return f"its gallery file {path.name} is unreadable ({exc.strerror})"
        return None if h.hexdigest() == sha256 else f"its gallery file {path.name} is altered or corrupt"
    try:
        with zipfile.ZipFile(path) as zf:
            unpacked = sum(i.file_size for i in zf.infolist())
        if unpacked > MAX_GALLERY_BYTES:
            return (f"its gallery file {path.name} unpacks to {_size(unpacked)} (at most {_size(MAX_GALLERY_BYTES)}; "
                    "a zip bomb?)")
        with np.load(path, allow_pickle=False) as z:
            if not hasattr(z, "files"):
                return "gallery file is not an .npz archive"
            for k in z.files:
                z[k]
    except FileNotFoundError:
        return f"its gallery file {path.name} is missing"
    except Exception as exc:  # BadZipFile, zlib.error, EOFError, ValueError (pickled data)
        return f"its gallery file {path.name} is unreadable ({type(exc).__name__}: {exc})"
    return None


def _metrics_problem(rec: dict[str, Any]) -> str | None:
    """Why a record's metrics cannot be trusted, or None: a done task has metrics, all numbers (or null)."""
    metrics = rec.get("metrics", {})
    if not isinstance(metrics, dict):
        return "its 'metrics' is not an object"
    if rec["status"] != "done":
        return None
    if not metrics:
        return "no metrics (a finished task always has some)"
    for k, v in metrics.items():
        if v is not None and not isinstance(v, (bool, int, float)):
            return f"its metric {k!r} is not a number (found a JSON {type(v).__name__})"
    return None


def _check_record(
    p: Path, rec: Any, ids: Container[str] | None, fingerprint: str | None, require_checksum: bool = True
) -> str | None:
    """Why the record read from ``p`` cannot be trusted, or None (``require_checksum=False``: only for
    ``verify --rehash``, which adopts records written before checksums).

    Three questions, in this order: is it the record of the task its name says
    (:func:`_identity_problem`), was it written by this study and left unaltered
    (:func:`_provenance_problem`), and is its content well formed (:func:`_content_problem`)?
    """
    return (_identity_problem(p, rec) or _provenance_problem(rec, ids, fingerprint, require_checksum)
            or _content_problem(p, rec))


def _identity_problem(p: Path, rec: object) -> str | None:
    """A record that is not an object, has no task id, another file name's id, or settings that do not
    hash to its id (altered or spoofed) or lack what every reader needs."""
    from ._spec import task_id

    if not isinstance(rec, dict):
        return f"not a result record (a JSON {type(rec).__name__})"
    tid = rec.get("task_id")
    if not isinstance(tid, str):
        return "no 'task_id'"
    if tid != p.stem:
        return f"its task_id {tid!r} differs from its file name"
    settings = rec.get("settings")
    if not isinstance(settings, dict):
        return "no 'settings'"
    try:
        if task_id(settings) != tid:
            return "its settings do not hash to its task_id (altered or spoofed)"
        s = settings
        s["target"]["name"], s["target"]["dim"], s["sampler"]["kind"], s["n"], s["seed"]
        s["method"]["label"], s["method"]["name"], s["method"]["params"]
    except (KeyError, TypeError):
        return "its settings lack target, sampler, n, seed or method"
    return None


def _provenance_problem(
    rec: dict[str, Any], ids: Container[str] | None, fingerprint: str | None, require_checksum: bool
) -> str | None:
    """A record of another study (not one of its tasks, another spec fingerprint) or one whose
    checksum is missing or does not match its content."""
    if ids is not None and rec["task_id"] not in ids:
        return "not a task of this study's spec (copied from another study?)"
    if fingerprint is not None and rec.get("spec_sha256", fingerprint) != fingerprint:
        return "written by another study (its spec fingerprint differs)"
    if not require_checksum and "checksum" not in rec:
        return None
    if not isinstance(rec.get("checksum"), str):
        return f"no checksum (altered, or written before results had checksums; {REHASH_HINT})"
    try:
        if _checksum(rec) != rec["checksum"]:
            return "its content does not match its checksum (altered or corrupt)"
    except (TypeError, ValueError, RecursionError):
        return "its content does not match its checksum (altered or corrupt)"
    return None


def _content_problem(p: Path, rec: dict[str, Any]) -> str | None:
    """A record with an unknown status, no or bad metrics, a field that is not an object, or a
    gallery file that is not its own or is damaged."""
    if rec.get("status") not in ("done", "failed"):
        return f"unknown status {rec.get('status')!r}"
    if rec["status"] == "done" and "metrics" not in rec:
        return "no 'metrics'"
    problem = _metrics_problem(rec)
    if problem is not None:
        return problem
    for key in ("info", "timing", "error"):
        if rec.get(key) is not None and not isinstance(rec[key], dict):
            return f"its {key!r} is not an object"
    gal = rec.get("gallery_file")
    if gal is not None:
        tid = rec["task_id"]
        if gal != f"{tid}.npz":
            return f"its gallery_file {gal!r} is not {tid}.npz"
        sha = rec.get("gallery_sha256")
        return _check_gallery(p.with_name(gal), sha if isinstance(sha, str) else None)
    return None


def scan_results(
    study_dir: str | os.PathLike[str], spec: StudySpec | None = None, *, require_checksum: bool = True
) -> tuple[dict[str, dict[str, Any]], list[dict[str, str]]]:
    """Read every result of a study and sort it into sound records and damaged files.

    Parameters
    ----------
    study_dir : str or Path
    spec : StudySpec, optional
        The study's spec (default: ``study_dir/spec.toml`` when present);
        results must be tasks of it and carry its fingerprint.
    require_checksum : bool
        A record without a checksum is damaged (False only to adopt old records, see
        :func:`geoquant.compare._studydir.verify_study`).

    Returns
    -------
    records : dict
        Sound records keyed by task id.
    damaged : list of dict
        ``{"file": name in results/, "reason": ...}`` per damaged file (a
        damaged record's gallery file is listed with it).

    Raises
    ------
    StorageError
        ``results`` is not a directory, or ``spec.toml`` was edited after the
        study ran (see :func:`check_results_dir`, :func:`spec_edited_error`).
    """
    from ._spec import load_spec, spec_fingerprint

    rdir = check_results_dir(study_dir)
    records: dict[str, dict[str, Any]] = {}
    damaged: list[dict[str, str]] = []
    if not rdir.is_dir():
        return records, damaged
    if spec is None and (Path(study_dir) / "spec.toml").is_file():
        spec = load_spec(Path(study_dir) / "spec.toml", check_samples=False)
    ids = {t.id for t in spec.tasks()} if spec is not None else None
    fingerprint = spec_fingerprint(spec) if spec is not None else None
    recorded = manifest_fingerprint(study_dir)
    edited = 0  # results written for the spec the manifest records, where spec.toml now differs
    try:
        names = sorted(os.listdir(rdir))
    except OSError as exc:
        raise storage_error(exc, rdir, "read") from None
    for name in names:
        p = rdir / name
        if name.startswith(_TMP_PREFIX):
            continue
        stem, ext = os.path.splitext(name)
        if ext == ".npz" and _ID.match(stem):
            continue  # checked with its record; alone it is a leftover a rerun overwrites
        if ext != ".json" or not _ID.match(stem) or not p.is_file() or p.is_symlink():
            damaged.append({"file": name, "reason": "not a result file of geoquant (foreign name or type)"})
            continue
        rec: Any = None
        try:
            rec = json.loads(read_bounded(p, MAX_RECORD_BYTES).decode("utf-8"))
            reason = _check_record(p, rec, ids, fingerprint, require_checksum)
        except OSError as exc:
            raise storage_error(exc, p, "read") from None
        except RecursionError:
            reason = "unreadable JSON (nested too deeply)"
        except ValueError as exc:  # too large, JSONDecodeError, UnicodeDecodeError
            reason = (f"{exc}" if str(exc).startswith("too large") else
                      f"unreadable JSON (truncated or foreign: {exc})")
        if reason is None:
            records[stem] = rec
            continue
        if (recorded is not None and recorded != fingerprint and isinstance(rec, dict)
                and rec.get("spec_sha256") == recorded):
            edited += 1
        damaged.append({"file": name, "reason": reason})
        if (rdir / f"{stem}.npz").exists():
            damaged.append({"file": f"{stem}.npz", "reason": f"belongs to the damaged {name}"})
    if edited:
        raise spec_edited_error(study_dir, edited, recorded, fingerprint)
    return records, damaged


def manifest_fingerprint(study_dir: str | os.PathLike[str]) -> str | None:
    """The spec fingerprint ``study_dir/manifest.json`` records (the spec the study ran), or None."""
    try:
        manifest = read_json_bounded(Path(study_dir) / "manifest.json")
    except (OSError, ValueError):
        return None
    fp = manifest.get("spec_sha256") if isinstance(manifest, dict) else None
    return fp if isinstance(fp, str) else None


def spec_edited_error(study_dir: str | os.PathLike[str], n_results: int, recorded: str | None, current: str | None) -> StorageError:
    """The error of a study whose ``spec.toml`` was edited after it ran, with advice that loses nothing."""
    d = str(study_dir)
    return StorageError(
        f"{str(Path(d) / 'spec.toml')!r} was changed after the study ran: {n_results} result(s) were written for "
        f"the spec recorded in manifest.json (fingerprint {str(recorded)[:12]}...), and spec.toml is now another "
        f"study (fingerprint {str(current)[:12]}...). Nothing was read or changed. Restore the original spec.toml "
        "(the spec file you ran, or your version control); or, to run the edited spec, give it a new directory: "
        f"geoquant study {str(Path(d) / 'spec.toml')!r} --out NEW_DIR. Resuming {d!r} with the edited spec is "
        "refused: it would set every result aside")


def read_records(study_dir: str | os.PathLike[str], spec: StudySpec | None = None) -> dict[str, dict[str, Any]]:
    """The sound result records of a study, keyed by task id (see :func:`scan_results`)."""
    return scan_results(study_dir, spec)[0]


def quarantine(study_dir: str | os.PathLike[str], damaged: Sequence[Mapping[str, str]]) -> list[dict[str, str]]:
    """Move damaged result files to ``study_dir/quarantine/`` and list them in its ``index.json``.

    Call only while holding the study's lock. Returns the entries added
    (``file``, ``moved_to``, ``reason``, ``when``).
    """
    if not damaged:
        return []
    qdir = Path(study_dir) / QUARANTINE
    if os.path.islink(qdir) or (os.path.lexists(qdir) and not qdir.is_dir()):
        raise StorageError(f"{str(qdir)!r} is not a directory of the study (a file or a symbolic link); damaged "
                           "files are moved only into a real quarantine directory. Nothing was moved; move it aside "
                           "and rerun")
    try:
        qdir.mkdir(exist_ok=True)
        index_path = qdir / "index.json"
        try:
            index = read_json_bounded(index_path)
            if not isinstance(index, list):
                index = []
        except (OSError, ValueError):
            index = []
        added = []
        for item in damaged:
            # "file": a name in results/; "path": a path relative to the study directory (manifest.json)
            rel = item.get("path") or f"{RESULTS}/{item['file']}"
            src = Path(study_dir) / rel
            if not os.path.lexists(src):
                continue
            dst, k = qdir / src.name, 0
            while os.path.lexists(dst):
                k += 1
                dst = qdir / f"{src.name}.{k}"
            os.replace(src, dst)
            entry = {"file": rel, "moved_to": f"{QUARANTINE}/{dst.name}",
                     "reason": item["reason"], "when": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
            index.append(entry)
            added.append(entry)
        atomic_write_bytes(index_path, dumps(index, indent=1).encode())
    except OSError as exc:
        raise storage_error(exc, qdir, "move damaged files into") from None
    return added


def describe_damaged(damaged: Sequence[Mapping[str, str]], limit: int = 10) -> list[str]:
    """One line per damaged file (at most ``limit``, then a count)."""
    lines = [f"{d['file']}: {d['reason']}" for d in damaged[:limit]]
    if len(damaged) > limit:
        lines.append(f"... and {len(damaged) - limit} more")
    return lines


def _require_study(study_dir: str | os.PathLike[str]) -> Path:
    d = Path(study_dir)
    if not (d / "spec.toml").is_file():
        raise InvalidInputError(f"'study_dir' must be a study directory (with spec.toml), found {str(d)!r}")
    return d


#: Training state of network rows (NaN/None elsewhere), read from the record's info
#: (see geoquant.nn._state.training_state).
TRAINING_COLUMNS = ["train_loss", "train_rmse_rel", "grad_norm", "stationarity", "sharpness", "flow_time",
                    "train_steps", "loss_increases", "plateau_drop", "escape_value", "escape_sign", "escape_angle",
                    "pinned_share", "train_status", "trainer_status"]
#: Non-numeric training columns.
_TEXT_TRAINING_COLUMNS = ("train_status", "trainer_status")
#: The regime axes of network rows (NaN elsewhere; lr NaN for gradient flow).
REGIME_COLUMNS = ["init_scale", "width", "lr"]
#: Every row: is the value exact (not a heuristic local optimum or a sample)? did the method use the target?
#: does the method train (its capability tag; the training and regime columns apply)?
LABEL_COLUMNS = ["exact", "oracle", "trains"]

#: Columns that depend only on the settings (equal across reruns and schedulers).
DETERMINISTIC_COLUMNS = [
    "task_id", "status", "target", "target_label", "target_params", "dim", "sampler", "n", "seed", "restart",
    "method", "method_name", "family", "params",
]


def load_results(study_dir: str | os.PathLike[str], *, include_failed: bool = True) -> pd.DataFrame:
    """The results of a study as a pandas DataFrame, one row per finished task.

    Parameters
    ----------
    study_dir : str or Path
    include_failed : bool
        Keep failed tasks (their metric columns are NaN, ``error`` holds the message).

    Returns
    -------
    pandas.DataFrame
        Columns: ``task_id, status, target, target_label, target_params``
        (JSON; two targets differ when either differs), ``dim, sampler, n, seed, restart,
        method`` (the label), ``method_name, family, params`` (JSON), the
        metrics (``l2_hull, linf_hull, l2_inner, linf_inner, bound_*,
        linf_ratio_*, l2_ratio_*, vol_*, train_rmse``), ``info_*`` scalars,
        the network distances (``fit_l2, between_l2, nearest_l2,
        nearest_exact, nearest_lower_l2, n_kinks, nearest_knots_l2, n_directions``; see
        :meth:`Evaluator.network_distances`), ``rms_hull, rms_inner`` (L2 / sqrt(volume); ``rms_inner`` only
        where ``inner_full``: the inner region is the whole inner box), the minnorm comparison of interpolating
        networks (``minnorm_cost_ratio, minnorm_sup``; :meth:`Evaluator.minnorm_comparison`), the training state
        (``train_loss, train_rmse_rel, grad_norm, stationarity, sharpness,
        flow_time, train_steps, loss_increases, plateau_drop``), the end state ``train_status``
        (one of :data:`geoquant.theory.END_STATES`) with its certificate (``escape_value,
        escape_sign, escape_angle, pinned_share``; :func:`geoquant.theory.end_state`) and the
        trainer's coarse status ``trainer_status``, the regime axes
        (``init_scale, width, lr``), the labels ``exact`` (the row's value is an
        exact optimum/statistic, not a flip-walk local optimum or a sample) and
        ``oracle`` (the method chose using the true target), ``trains`` (the method's capability tag:
        it trains, so the training and regime columns apply), ``info_*`` scalars,
        ``fit_s, eval_s, device, gallery_file, error, warnings`` (e.g. a user
        target's Hessian bound exceeded when sampled). Sorted by target,
        dim, sampler, method, n, seed, restart. Damaged result files are
        left out and listed in ``df.attrs["damaged"]`` (see :func:`scan_results`).

    Examples
    --------
    A two-task study (Delaunay on Franke's function, two seeds), run in this process:

    >>> import os, tempfile
    >>> from geoquant.study import run_study
    >>> spec = '''
    ... [study]
    ... name = "tiny"
    ... seeds = [0, 1]
    ... [[targets]]
    ... name = "franke"
    ... dim = 2
    ... sizes = [10]
    ... [[samplers]]
    ... kind = "uniform"
    ... [[methods]]
    ... name = "delaunay"
    ... '''
    >>> out = os.path.join(tempfile.mkdtemp(), "tiny")
    >>> run = run_study(spec, out, workers=0, progress=False)
    >>> run.n_done, run.n_failed
    (2, 0)
    >>> df = load_results(out)
    >>> df[["method", "n", "seed", "status"]].values.tolist()
    [['delaunay', 10, 0, 'done'], ['delaunay', 10, 1, 'done']]
    >>> bool((df["linf_hull"] <= df["bound_hull"]).all())  # Waldron's bound holds on every simplex
    True
    """
    import pandas as pd

    from ..compare import method_class, method_tags
    from ..compare import DISTANCE_COLUMNS, METRIC_COLUMNS, MINNORM_COLUMNS

    d = _require_study(study_dir)
    records, damaged = scan_results(d)
    rows = []
    for rec in records.values():
        if rec["status"] != "done" and not include_failed:
            continue
        s = rec["settings"]
        try:
            cls = method_class(s["method"]["name"])
            tags = method_tags(cls)
            family, oracle, trains = cls.family, tags.oracle, tags.trains
        except GeoquantError:  # pragma: no cover - a method removed since the run
            family, oracle, trains = None, False, False
        row = {
            "task_id": rec["task_id"],
            "status": rec["status"],
            "target": s["target"]["name"],
            "target_label": target_label(s["target"]),
            "target_params": json.dumps(s["target"].get("params", {}), sort_keys=True),
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
        for m in METRIC_COLUMNS + DISTANCE_COLUMNS + MINNORM_COLUMNS:
            row[m] = rec["metrics"].get(m)
        info = rec.get("info", {})
        for k in TRAINING_COLUMNS:
            row[k] = info.get(k)
        params = s["method"]["params"]
        net = trains
        row["init_scale"] = params.get("init_scale") if net else None
        row["width"] = params.get("width") if net else None
        row["lr"] = params.get("lr") if net and params.get("mode", "gd") == "gd" else None
        row["exact"] = bool(info.get("exact", True)) if rec["status"] == "done" else None
        row["oracle"] = oracle
        row["trains"] = trains
        for k, v in rec.get("info", {}).items():
            if isinstance(v, (int, float, bool, str)) or v is None:
                row[f"info_{k}"] = v
        row["fit_s"] = rec.get("timing", {}).get("fit_s")
        row["eval_s"] = rec.get("timing", {}).get("eval_s")
        row["device"] = rec.get("device")
        row["gallery_file"] = rec.get("gallery_file")
        row["error"] = (rec.get("error") or {}).get("message")
        row["warnings"] = "; ".join(rec.get("warnings") or []) or None
        rows.append(row)
    extra = DISTANCE_COLUMNS + MINNORM_COLUMNS + TRAINING_COLUMNS + REGIME_COLUMNS + LABEL_COLUMNS
    cols = DETERMINISTIC_COLUMNS + METRIC_COLUMNS + extra + ["fit_s", "eval_s", "device", "gallery_file", "error", "warnings"]
    df = pd.DataFrame(rows)
    if df.empty:
        df = pd.DataFrame(columns=cols)
        df.attrs["damaged"] = damaged
        return df
    for c in cols:
        if c not in df.columns:
            df[c] = None
    numeric = [c for c in DISTANCE_COLUMNS + MINNORM_COLUMNS + TRAINING_COLUMNS + REGIME_COLUMNS
               if c != "nearest_exact" and c not in _TEXT_TRAINING_COLUMNS]
    for m in METRIC_COLUMNS + numeric + ["fit_s", "eval_s"]:
        df[m] = pd.to_numeric(df[m], errors="coerce").astype(float)
    df["nearest_exact"] = df["nearest_exact"].astype(object)
    info_cols = sorted(c for c in df.columns if c.startswith("info_"))
    df = df[cols[: len(DETERMINISTIC_COLUMNS) + len(METRIC_COLUMNS) + len(extra)] + info_cols + cols[-6:]]
    df = df.sort_values(["target", "target_label", "target_params", "dim", "sampler", "method", "n", "seed", "restart"],
                        kind="stable")
    df = df.reset_index(drop=True)
    df.attrs["damaged"] = damaged
    return df


def load_gallery(study_dir: str | os.PathLike[str], task_id_or_file: str) -> dict[str, np.ndarray]:
    """The gallery arrays stored with a task (a dict of ndarrays)."""
    rdir = results_dir(study_dir)
    name = str(task_id_or_file)
    if not name.endswith(".npz"):
        name += ".npz"
    if not _ID.match(name[:-4]):
        raise InvalidInputError(f"'task_id_or_file' must be a task id or '<task id>.npz', found {name!r}")
    reason = _check_gallery(rdir / name)
    if reason is not None:
        raise GeoquantError(f"result {name} of study {str(study_dir)!r}: {reason}")
    with np.load(rdir / name, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def study_status(study_dir: str | os.PathLike[str]) -> pd.DataFrame:
    """Progress of a study: done / failed / pending tasks per method, and where networks ended.

    Returns
    -------
    pandas.DataFrame
        Index: method labels plus a ``total`` row; columns ``done, failed,
        pending, total`` and the training status of finished network tasks
        (the end states of :data:`geoquant.theory.END_STATES`; 0 for other methods; a study
        written before end states existed may add ``stationary``).
        A task whose result file is damaged counts as pending; the damaged
        files are listed in ``df.attrs["damaged"]``.
    """
    import pandas as pd

    from ..theory import END_STATES

    from ._spec import load_spec

    d = _require_study(study_dir)
    spec = load_spec(d / "spec.toml", check_samples=False)
    records, damaged = scan_results(d, spec)
    counts: dict = {}
    states = list(END_STATES)
    for t in spec.tasks():
        c = counts.setdefault(t.method_label, dict.fromkeys(["done", "failed", "pending"] + states, 0))
        rec = records.get(t.id)
        c["pending" if rec is None else ("done" if rec["status"] == "done" else "failed")] += 1
        ts = (rec or {}).get("info", {}).get("train_status") if rec is not None and rec["status"] == "done" else None
        if isinstance(ts, str):
            if ts not in states:  # a status of an older version (e.g. "stationary"): shown, not dropped
                states.append(ts)
            c[ts] = c.get(ts, 0) + 1
    cols = ["done", "failed", "pending"]
    df = pd.DataFrame.from_dict(counts, orient="index", columns=cols + states).fillna(0)
    df.index.name = "method"
    df.insert(3, "total", df[cols].sum(axis=1))
    df.loc["total"] = df.sum(axis=0)
    df = df.astype(int)
    df.attrs["damaged"] = damaged
    return df
