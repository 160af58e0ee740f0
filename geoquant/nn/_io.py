"""Saving and loading a training result (:func:`save_checkpoints`, :func:`load_result`).

On disk a result is a directory of three files, never pickles:

* ``result.npz`` -- final and initial parameters in the training dtype (so a
  float64 run resumes exactly), loss history, steps/times, failures,
  plateaus;
* ``checkpoints.npz`` -- the checkpoints, stacked, in float32 (compact);
* ``config.json`` -- every setting of the run.

Arrays are written with ``numpy.savez_compressed`` and read with
``allow_pickle=False``.

Saving is crash-safe: the three new files are written (each atomically) into
``directory/.saving/``, ``config.json`` last, and only then moved over the old
ones. A reader that finds ``.saving/config.json`` takes each file from
``.saving/`` where it is still there (the move was interrupted), so a run killed
at any moment leaves either the previous result or the new one, complete; a
``.saving/`` without ``config.json`` is an unfinished write and is ignored.
Loading checks every file (readable, the expected arrays, shapes, finite
parameters, a consistent ``config.json``) and raises an
:class:`~geoquant.errors.InvalidInputError` saying what is wrong.
"""

from __future__ import annotations

import io
import json
import numbers
import os
import shutil
from collections.abc import Mapping
from typing import Any

import numpy as np

from .._fileio import atomic_write_bytes, fsync_dir, storage_error
from .._json import dumps
from ..errors import InvalidInputError
from ._checkpoint import Checkpoints
from ._result import TrainResult

__all__ = ["save_checkpoints", "load_result"]




_FILES = ("result.npz", "checkpoints.npz", "config.json")  # config.json last: it completes a save
_STAGING = ".saving"


def _npz_bytes(arrays: dict) -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


def _commit_staged(directory: str) -> None:
    """Finish a save interrupted after its files were complete; drop an unfinished one."""
    staging = os.path.join(directory, _STAGING)
    if not os.path.isdir(staging):
        return
    if os.path.isfile(os.path.join(staging, "config.json")):
        for name in _FILES:  # config.json moves last
            src = os.path.join(staging, name)
            if os.path.exists(src):
                os.replace(src, os.path.join(directory, name))
        fsync_dir(directory)
    shutil.rmtree(staging, ignore_errors=True)


def save_checkpoints(result: TrainResult, directory: str | os.PathLike[str]) -> str:
    """Write a :class:`TrainResult` to ``directory`` (created if needed), crash-safely.

    Parameters
    ----------
    result : TrainResult
    directory : str or path-like

    Returns
    -------
    str
        The directory path. Files: ``result.npz``, ``checkpoints.npz``,
        ``config.json`` (see the module docstring). A save killed at any
        moment leaves the previous result (if any) or the new one loadable.

    Raises
    ------
    StorageError
        The directory cannot be written (disk full, permission denied, a file
        in the way); the previous result there is unchanged.
    """
    directory = os.fspath(directory)
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

    ck = result.checkpoints
    ck_arrays = {"steps": ck.steps, "W": ck.W.astype(np.float32), "a": ck.a.astype(np.float32), "loss": ck.loss}
    if ck.c is not None:
        ck_arrays["c"] = ck.c.astype(np.float32)
    for i, h in enumerate(ck.hidden):
        ck_arrays[f"hidden_{i}"] = h.astype(np.float32)
    payload = {
        "result.npz": _npz_bytes(arrays),
        "checkpoints.npz": _npz_bytes(ck_arrays),
        "config.json": dumps(result.config, nonfinite="string", indent=1, sort_keys=True).encode(),
    }

    staging = os.path.join(directory, _STAGING)
    try:
        os.makedirs(directory, exist_ok=True)
        _commit_staged(directory)  # a save killed earlier: finish it (or drop it) first
        os.makedirs(staging, exist_ok=True)
    except OSError as exc:
        raise storage_error(exc, directory) from None
    try:
        for name in _FILES:  # each file atomic; config.json last marks the set complete
            atomic_write_bytes(os.path.join(staging, name), payload[name])
        _commit_staged(directory)
    except BaseException:
        if not os.path.isfile(os.path.join(staging, "config.json")):
            shutil.rmtree(staging, ignore_errors=True)  # unfinished: the previous result stays as it was
        raise
    return directory


def _sources(directory: str) -> dict:
    """Where each file of the result currently is (see the module docstring)."""
    staging = os.path.join(directory, _STAGING)
    staged = os.path.isfile(os.path.join(staging, "config.json"))
    out = {}
    for name in _FILES:
        p = os.path.join(staging, name)
        out[name] = p if staged and os.path.isfile(p) else os.path.join(directory, name)
    return out


_RESULT_KEYS = ("W", "a", "init_W", "init_a", "loss", "steps", "times", "n_evals", "failed_index", "failed_reason",
                "converged_index", "converged_step", "plateau_model", "plateau_onset", "plateau_loss")


class _Damaged(InvalidInputError):
    pass


def _read_npz(path: str, directory: str) -> dict:
    name = os.path.basename(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            if not hasattr(z, "files"):
                raise ValueError("not an .npz archive")
            return {k: z[k] for k in z.files}
    except OSError as exc:
        raise storage_error(exc, path, "read") from None
    except Exception as exc:  # BadZipFile, zlib.error, EOFError, ValueError (pickled or garbled data)
        raise _Damaged(
            f"'directory' {directory!r} holds a damaged training result: {name} is unreadable "
            f"(truncated or not written by save_checkpoints: {type(exc).__name__}: {exc})"
        ) from None


def _check_loaded(directory: Any, config: Any, r: Mapping[str, np.ndarray], ck: Mapping[str, np.ndarray]) -> None:
    """Validate a loaded result (shapes, finiteness, config); raise a clear error on the first problem."""
    chk = _LoadedCheck(directory, r, ck)
    chk.files(config)
    chk.sizes(config)
    chk.per_model_numbers(config)
    chk.parameters()
    chk.records()
    chk.events()
    chk.checkpoints()


class _LoadedCheck:
    """The checks of :func:`_check_loaded`, one method per part of the saved run, in the order they run."""

    def __init__(self, directory: Any, r: Mapping[str, np.ndarray], ck: Mapping[str, np.ndarray]) -> None:
        self.directory, self.r, self.ck = directory, r, ck
        self.config: dict[str, Any] = {}
        self.m = self.width = self.d = self.depth = 0
        self.done: Any = None
        self.n_rec = 0

    def bad(self, what: str) -> _Damaged:
        return _Damaged(f"'directory' {self.directory!r} holds a damaged training result: {what}")

    def integer(self, key: str, lo: int | None = None) -> int:
        v = self.config.get(key)
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or (lo is not None and v < lo):
            raise self.bad(f"config.json key {key!r} must be an integer{'' if lo is None else f' >= {lo}'}, found {v!r}")
        return int(v)

    def shaped(self, src: str, arrs: Mapping[str, np.ndarray], key: str, shape: tuple[int, ...], *,
               finite: bool = False, kind: str = "f") -> np.ndarray:
        x = arrs[key]
        if x.dtype.kind not in (("f", "i", "u") if kind == "f" else ("i", "u")) or x.shape != tuple(shape):
            want = "x".join(str(s) for s in shape) or "scalar"
            raise self.bad(f"{src} array {key!r} must be {'numeric' if kind == 'f' else 'integer'} of shape "
                           f"({want}) for n_models={self.m}, width={self.width}, n_dims={self.d}, found {x.dtype} "
                           f"{x.shape}")
        if finite and not np.all(np.isfinite(x)):
            raise self.bad(f"{src} array {key!r} holds {int(np.sum(~np.isfinite(x)))} NaN/inf value(s)")
        return x

    def files(self, config: Any) -> None:
        """config.json is an object; result.npz and checkpoints.npz hold every array a result needs."""
        if not isinstance(config, dict):
            raise self.bad(f"config.json must hold a JSON object, found {type(config).__name__}")
        self.config = config
        missing = [k for k in _RESULT_KEYS if k not in self.r]
        if missing:
            raise self.bad(f"result.npz lacks the array(s) {', '.join(missing)}")
        for k in ("steps", "W", "a", "loss"):
            if k not in self.ck:
                raise self.bad(f"checkpoints.npz lacks the array {k!r}")

    def sizes(self, config: dict[str, Any]) -> None:
        """The method, the sizes, the steps done and the per-model seeds in config.json."""
        method = config.get("method", "gd")
        if method not in ("gd", "flow"):
            raise self.bad(f"config.json key 'method' must be 'gd' or 'flow', found {method!r}")
        self.depth = self.integer("depth", 1)
        self.m, self.width, self.d = self.integer("n_models", 1), self.integer("width", 1), self.integer("n_dims", 1)
        done = config.get("steps_done")
        if method == "gd":
            done = self.integer("steps_done", 0)
        elif isinstance(done, bool) or not isinstance(done, numbers.Real) or not np.isfinite(float(done)) or done < 0:
            raise self.bad(f"config.json key 'steps_done' must be a time >= 0, found {done!r}")
        self.done = done
        seeds = config.get("model_seeds")
        if not isinstance(seeds, list) or len(seeds) != self.m or not all(
            isinstance(s, numbers.Integral) and not isinstance(s, bool) for s in seeds
        ):
            raise self.bad(f"config.json key 'model_seeds' must be a list of {self.m} integers (n_models), "
                           f"found {seeds!r}")

    def per_model_numbers(self, config: dict[str, Any]) -> None:
        """Per-model numbers a resume reuses ("inf" as written by JSON)."""
        m = self.m
        for key in ("init_scale", "max_loss"):
            if config.get(key) is None and key == "max_loss":
                continue
            v = config.get(key)
            try:
                arr = np.asarray(v, dtype=np.float64)
                ok = isinstance(v, list) and arr.shape == (m,) and not any(isinstance(x, bool) for x in v)
                ok = ok and not np.any(np.isnan(arr)) and bool(np.all(arr > 0))
            except (TypeError, ValueError):
                ok = False
            if not ok:
                raise self.bad(f"config.json key {key!r} must be a list of {m} positive numbers (n_models), found {v!r}")

    def parameters(self) -> None:
        """Final and initial parameters: shapes and finite values (output offset and deeper layers included)."""
        r, m, width = self.r, self.m, self.width
        p = (m, width, self.d + 1)
        self.shaped("result.npz", r, "W", p, finite=True)
        self.shaped("result.npz", r, "a", (m, width), finite=True)
        self.shaped("result.npz", r, "init_W", p, finite=True)
        self.shaped("result.npz", r, "init_a", (m, width), finite=True)
        if ("c" in r) != ("init_c" in r):
            raise self.bad("result.npz must hold both 'c' and 'init_c' or neither")
        if "c" in r:
            self.shaped("result.npz", r, "c", (m,), finite=True)
            self.shaped("result.npz", r, "init_c", (m,), finite=True)
        for i in range(self.depth - 1):
            for k in (f"hidden_{i}", f"init_hidden_{i}"):
                if k not in r:
                    raise self.bad(f"result.npz lacks {k!r} for depth={self.depth}")
                self.shaped("result.npz", r, k, (m, width, width + 1), finite=True)
        if f"hidden_{self.depth - 1}" in r:
            raise self.bad(f"result.npz holds more hidden layers than config.json's depth={self.depth}")

    def records(self) -> None:
        """The recorded steps (increasing, ending at steps_done), losses, times and evaluation counts."""
        r, m = self.r, self.m
        n_rec = r["steps"].shape[0] if r["steps"].ndim == 1 else -1
        steps = self.shaped("result.npz", r, "steps", (max(n_rec, 0),), finite=True)
        if n_rec < 1 or np.any(np.diff(steps) < 0) or steps[0] < 0:
            raise self.bad(f"result.npz 'steps' must be a non-empty increasing sequence >= 0, found "
                           f"{steps[:5].tolist()}...")
        if not np.isclose(float(steps[-1]), float(self.done), rtol=1e-9, atol=0):
            raise self.bad(f"config.json says steps_done={self.done!r} but the recorded steps end at {steps[-1]!r}")
        self.n_rec = n_rec
        self.shaped("result.npz", r, "loss", (n_rec, m))
        self.shaped("result.npz", r, "times", (n_rec, m))
        ne = self.shaped("result.npz", r, "n_evals", (m,), kind="i")
        if np.any(ne < 0):
            raise self.bad(f"result.npz 'n_evals' must be >= 0, found {ne.min()}")

    def events(self) -> None:
        """Failures, convergences and plateaus: matching index/value arrays naming existing models."""
        r, m = self.r, self.m
        for idx, other, label in (("failed_index", "failed_reason", "failed"),
                                  ("converged_index", "converged_step", "converged"),
                                  ("plateau_model", "plateau_onset", "plateau")):
            ix = r[idx]
            if ix.ndim != 1 or ix.dtype.kind not in "iu" or r[other].shape != ix.shape:
                raise self.bad(f"result.npz {idx!r} and {other!r} must be matching 1-D arrays, found {ix.shape} "
                               f"{ix.dtype} and {r[other].shape}")
            if len(ix) and (ix.min() < 0 or ix.max() >= m):
                raise self.bad(f"result.npz {idx!r} must index models 0 <= i < {m} (n_models), found {ix.tolist()}")
            if label != "plateau" and len(np.unique(ix)) != len(ix):
                raise self.bad(f"result.npz {idx!r} lists a model twice: {ix.tolist()}")

    def checkpoints(self) -> None:
        """checkpoints.npz: steps, parameters (offset and deeper layers with the run's) and losses."""
        ck, m, width = self.ck, self.m, self.width
        k = ck["steps"].shape[0] if ck["steps"].ndim == 1 else -1
        if k < 0:
            raise self.bad(f"checkpoints.npz 'steps' must be 1-D, found shape {ck['steps'].shape}")
        self.shaped("checkpoints.npz", ck, "steps", (k,), finite=True)
        self.shaped("checkpoints.npz", ck, "W", (k, m, width, self.d + 1), finite=True)
        self.shaped("checkpoints.npz", ck, "a", (k, m, width), finite=True)
        self.shaped("checkpoints.npz", ck, "loss", (k, m))
        if "c" in self.r:
            if "c" not in ck:
                raise self.bad("checkpoints.npz lacks 'c' (the run has an output bias)")
            self.shaped("checkpoints.npz", ck, "c", (k, m), finite=True)
        for i in range(self.depth - 1):
            if f"hidden_{i}" not in ck:
                raise self.bad(f"checkpoints.npz lacks 'hidden_{i}' for depth={self.depth}")
            self.shaped("checkpoints.npz", ck, f"hidden_{i}", (k, m, width, width + 1), finite=True)


def load_result(directory: str | os.PathLike[str]) -> TrainResult:
    """Read a :class:`TrainResult` written by :func:`save_checkpoints`.

    Parameters
    ----------
    directory : str or path-like

    Returns
    -------
    TrainResult
        Final parameters in the dtype they were trained in (so training can
        resume exactly); checkpoints in float32.

    Raises
    ------
    InvalidInputError
        The directory lacks a file, or a file is damaged: unreadable
        (truncated, not an archive), missing arrays, wrong shapes, NaN/inf
        parameters, or a ``config.json`` with bad values (``steps_done < 0``,
        no ``model_seeds``, an out-of-range ``failed_index``, ...). The message
        says which.
    """
    directory = os.fspath(directory)
    paths = _sources(directory)
    missing = [n for n, p in paths.items() if not os.path.isfile(p)]
    if missing:
        raise InvalidInputError(
            f"'directory' must hold a saved training result (result.npz, checkpoints.npz, config.json), "
            f"{directory!r} lacks {', '.join(missing)}"
        )
    try:
        with open(paths["config.json"], "rb") as fh:
            config = json.loads(fh.read().decode("utf-8"))
    except OSError as exc:
        raise storage_error(exc, paths["config.json"], "read") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise _Damaged(
            f"'directory' {directory!r} holds a damaged training result: config.json is not valid JSON ({exc})"
        ) from None
    r = _read_npz(paths["result.npz"], directory)
    ck = _read_npz(paths["checkpoints.npz"], directory)
    _check_loaded(directory, config, r, ck)
    depth = int(config["depth"])
    n_models = r["W"].shape[0]
    plateaus: list[list[tuple[int | float, float]]] = [[] for _ in range(n_models)]
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
