"""What a study directory holds besides results: its lock, the spec copy and the manifest, and whether it is this study."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Literal

from .._json import dumps
from ..errors import GeoquantError
from ._results import atomic_write_bytes, manifest_fingerprint, read_json_bounded, spec_edited_error
from ._runner import environment
from ._spec import StudySpec, load_spec, spec_fingerprint

__all__ = ["SEED_POLICY", "read_manifest"]

SEED_POLICY = (
    "seed s draws the sample (sample_points(n, dim, kind, seed=s, domain=target.domain)); the method's own "
    "randomness (random/sampled triangulations, network initialisation) uses 1000*s + r for restart r "
    "(r = 0 except for networks with restarts > 1). Networks sharing (target, sampler, n) and the "
    "ensemble-wide parameters train in one train_gd call with one seed per model, so each model is "
    "reproducible on its own."
)


class _Lock:
    """An exclusive flock on ``DIR/.lock`` (released by the OS even on SIGKILL).

    The lock file is created exclusively (``O_EXCL``) or, when a previous run
    left it, opened without following symbolic links (``O_NOFOLLOW``), and it is
    used only if it is a regular file of this user with no other link: a planted
    symbolic or hard link to another file (``ln victim.txt DIR/.lock``) is
    refused, and the file it names is never truncated or written.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None

    def _refuse(self, why: str) -> GeoquantError:
        return GeoquantError(f"the study lock {str(self.path)!r} {why}; refusing to use it (nothing was written). "
                             "Remove it if you made it (geoquant creates a new one)")

    def _open(self) -> int:
        import errno

        from .._fileio import storage_error, umask

        # O_NOFOLLOW: a link is refused, never followed; O_NONBLOCK: a FIFO does not hang the open
        flags = os.O_RDWR | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        for _ in range(3):
            if os.path.islink(self.path):  # also where O_NOFOLLOW is missing
                raise self._refuse("is a symbolic link")
            try:  # a new lock: created here, by this user, with one link
                return os.open(self.path, flags | os.O_CREAT | os.O_EXCL, 0o666 & ~umask())
            except FileExistsError:
                pass
            except OSError as exc:
                raise storage_error(exc, self.path, "create the lock") from None
            try:  # left by an earlier run: checked below before it is touched
                return os.open(self.path, flags)
            except FileNotFoundError:  # removed in between: try again
                continue
            except IsADirectoryError:
                raise self._refuse("is a directory, not a regular file") from None
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    raise self._refuse("is a symbolic link") from None
                raise storage_error(exc, self.path, "open the lock") from None
        raise GeoquantError(f"the study lock {str(self.path)!r} keeps appearing and disappearing; is another program "
                            "removing it? Nothing was written")

    def __enter__(self) -> _Lock:
        import fcntl
        import stat

        fd = self._open()
        st = os.fstat(fd)
        why = None
        if not stat.S_ISREG(st.st_mode):
            why = "is not a regular file"
        elif st.st_nlink != 1:
            why = f"has {st.st_nlink} links (a hard link to another file?)"
        elif hasattr(os, "geteuid") and st.st_uid != os.geteuid():
            why = f"belongs to another user (uid {st.st_uid})"
        if why is not None:
            os.close(fd)
            raise self._refuse(why)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise GeoquantError(
                f"another geoquant study is running in {str(self.path.parent)!r} (lock {self.path.name} held)"
            ) from None
        self.fd = fd
        try:  # the holder's pid, for people; the flock is the lock
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode())
        except OSError:
            pass
        return self

    def __exit__(self, *exc: object) -> Literal[False]:
        import fcntl

        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None
        return False


def _prepare_dir(out: Path, spec: StudySpec, executor_desc: str, device: str | None) -> dict[str, Any]:
    """Copy the spec and write/update the manifest; refuse a directory holding another study."""
    out.mkdir(parents=True, exist_ok=True)
    spec_path, man_path = out / "spec.toml", out / "manifest.json"
    fp = _check_same_study(out, spec)
    if not spec_path.exists():
        atomic_write_bytes(spec_path, (spec.source or _no_source(spec)).encode())
    manifest = read_manifest(out)  # None: missing, or damaged and already set aside by run_study
    if manifest is None:
        manifest = {
            "schema": 1,
            "study": spec.name,
            "description": spec.description,
            "spec_sha256": fp,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "n_tasks": len(spec.tasks()),
            "seeds": spec.seeds,
            "seed_policy": SEED_POLICY,
            "skipped_combinations": spec.skipped,
            "targets": _target_facts(spec),
            "environment": environment(),
            "runs": [],
        }
    manifest["runs"].append(
        {
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "executor": executor_desc,
            "device_requested": device,
            "devices_available": _devices(spec),
            "environment": environment(),
        }
    )
    _write_json(man_path, manifest)
    return manifest


def _target_facts(spec: StudySpec) -> list[dict[str, Any]]:
    """What a reader needs to know of each target, written into the manifest without running user code:
    label, name, dimension, domain, Hessian bound and where the bound comes from (a user target's bound and
    domain are the spec's; its values on the gallery grid are in the gallery files)."""
    from ._spec_targets import build_target, target_label, target_settings

    out: list[dict[str, Any]] = []
    for t in spec.targets:
        st = target_settings(t)
        user = ":" in t["name"]
        facts = {"label": target_label(st), "name": t["name"], "dim": t["dim"], "params": t["params"],
                 "domain": t["_domain"], "user_code": user}
        if user:
            facts.update(hessian_bound=t["hessian_bound"], bound_kind="given by the user (checked by sampling)")
        else:
            target = build_target(t)
            facts.update(hessian_bound=float(target.hessian_bound), bound_kind=target.bound_kind)
        out.append(facts)
    return out


def _check_same_study(out: Path, spec: StudySpec) -> str:
    """Refuse a directory holding another study (or other files); returns the spec fingerprint."""
    fp = spec_fingerprint(spec)
    spec_path = out / "spec.toml"
    if spec_path.exists():
        stored = spec_fingerprint(load_spec(spec_path, check_samples=False))
        recorded = manifest_fingerprint(out)
        if stored != recorded and recorded is not None and _results_for(out, recorded):
            if fp == recorded:  # the spec given is the one the study ran: its copy there was edited
                raise GeoquantError(
                    f"{str(spec_path)!r} was changed after the study ran, and the spec you gave is the one the "
                    f"study ran. Nothing was changed. Put it back (cp {str(spec.origin or 'SPEC')!r} "
                    f"{str(spec_path)!r}) and rerun")
            raise spec_edited_error(out, _results_for(out, recorded), recorded, stored)
        if stored != fp:
            raise GeoquantError(
                f"{str(out)!r} holds a different study (its spec.toml differs from the one given); "
                "use another --out directory, or rerun with the spec stored there"
            )
    elif out.is_dir():
        leftovers = [p.name for p in out.iterdir() if p.name not in (".lock",)]
        if leftovers:
            raise GeoquantError(
                f"{str(out)!r} is not empty and holds no study (found {', '.join(sorted(leftovers)[:5])}); "
                "choose a new or empty --out directory"
            )
    return fp


def _results_for(out: Path, fingerprint: str) -> int:
    """How many result records in ``out/results`` carry the spec fingerprint ``fingerprint``."""
    from ._results import MAX_RECORD_BYTES, check_results_dir

    rdir = check_results_dir(out)
    if not rdir.is_dir():
        return 0
    k = 0
    for p in rdir.glob("*.json"):
        try:
            rec = read_json_bounded(p, MAX_RECORD_BYTES)
        except (OSError, ValueError, RecursionError):
            continue
        k += isinstance(rec, dict) and rec.get("spec_sha256") == fingerprint
    return k


def read_manifest(study_dir: str | os.PathLike[str]) -> dict[str, Any] | None:
    """``study_dir/manifest.json`` as a dict, or None when it is missing or damaged."""
    try:
        manifest = read_json_bounded(Path(study_dir) / "manifest.json")
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) and isinstance(manifest.get("runs"), list) else None


def _devices(spec: StudySpec) -> list[str] | None:
    """Accelerators visible here (only probed when the study trains networks: importing torch is slow)."""
    from ..compare import method_tags

    if not any(method_tags(m["name"]).trains for m in spec.methods):
        return None
    try:
        import torch

        if torch.cuda.is_available():
            return [f"cuda:{i} ({torch.cuda.get_device_name(i)})" for i in range(torch.cuda.device_count())]
        return ["cpu"]
    except Exception as exc:  # pragma: no cover - torch is a dependency
        return [f"unknown ({type(exc).__name__})"]


def _no_source(spec: StudySpec) -> str:
    """A spec given as a dict has no TOML text to copy into the study directory."""
    import json as _json

    raise GeoquantError(
        "run_study needs a spec read from TOML (a path or TOML text) so it can be copied into the study "
        f"directory; got a parsed spec for {_json.dumps(spec.name)}"
    )


def _write_json(path: Path, obj: object) -> None:
    atomic_write_bytes(path, dumps(obj, indent=1, sort_keys=True, default=str).encode())


def verify_study(study_dir: str | os.PathLike[str], *, rehash: bool = False) -> dict[str, Any]:
    """Check every result of a study; with ``rehash``, adopt the records written without a checksum.

    Records must carry a checksum of their content (a record without one is
    damaged: it may have been altered). Studies written before results had
    checksums are adopted once, knowingly, with ``rehash=True``
    (``geoquant study verify --rehash DIR``): under the study's lock every record
    whose only problem is a missing checksum gets one (and its gallery file, if
    it names one and the archive reads, its SHA-256). Records that fail any other
    check are left as they are. Nothing of the user's code runs.

    Parameters
    ----------
    study_dir : str or Path
    rehash : bool

    Returns
    -------
    dict
        ``n_sound`` (sound records after the call), ``damaged`` (as in
        :func:`~geoquant.study._results.scan_results`) and ``rehashed`` (the
        task ids adopted).
    """
    import hashlib

    from .._json import dumps as _dumps
    from ..errors import InvalidInputError
    from ._results import _checksum, results_dir, scan_results

    d = Path(study_dir)
    if not (d / "spec.toml").is_file():
        raise InvalidInputError(f"'study_dir' must be a study directory (with spec.toml), found {str(d)!r}")
    rehashed: list[str] = []
    if rehash:
        with _Lock(d / ".lock"):
            records, _ = scan_results(d, require_checksum=False)
            for tid, rec in sorted(records.items()):
                if "checksum" in rec:
                    continue
                rec = dict(rec)
                gal = rec.get("gallery_file")
                if gal is not None and not isinstance(rec.get("gallery_sha256"), str):
                    h = hashlib.sha256()
                    with open(results_dir(d) / gal, "rb") as fh:  # its archive was read and checked by the scan
                        for block in iter(lambda: fh.read(2**20), b""):
                            h.update(block)
                    rec["gallery_sha256"] = h.hexdigest()
                try:
                    rec["checksum"] = _checksum(rec)
                except (TypeError, ValueError):  # not canonical JSON (NaN, ...): stays damaged
                    continue
                atomic_write_bytes(results_dir(d) / f"{tid}.json", _dumps(rec, indent=1, sort_keys=True).encode())
                rehashed.append(tid)
    records, damaged = scan_results(d)
    return {"n_sound": len(records), "damaged": damaged, "rehashed": rehashed}
