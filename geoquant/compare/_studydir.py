"""What a study directory holds besides results: its lock, the spec copy and the manifest, and whether it is this study."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from .._json import dumps
from ..errors import GeoquantError
from ._results import atomic_write_bytes
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

    The lock file is opened without following symbolic links (``O_NOFOLLOW``)
    and must be a regular file: a planted link never gets its target
    truncated or overwritten.
    """

    def __init__(self, path: Path):
        self.path = path
        self.fd = None

    def __enter__(self):
        import errno
        import fcntl
        import stat

        from .._fileio import storage_error, umask

        # O_NOFOLLOW: a link is refused, never followed; O_NONBLOCK: a FIFO does not hang the open
        flags = os.O_RDWR | os.O_CREAT | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        is_link = GeoquantError(
            f"the study lock {str(self.path)!r} is a symbolic link; refusing to follow it (remove the link if you "
            "made it)"
        )
        if os.path.islink(self.path):  # also where O_NOFOLLOW is missing
            raise is_link
        try:
            self.fd = os.open(self.path, flags, 0o666 & ~umask())
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise is_link from None
            raise storage_error(exc, self.path, "create the lock") from None
        if not stat.S_ISREG(os.fstat(self.fd).st_mode):
            os.close(self.fd)
            raise GeoquantError(f"the study lock {str(self.path)!r} must be a regular file; remove it and rerun")
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(self.fd)
            raise GeoquantError(
                f"another geoquant study is running in {str(self.path.parent)!r} (lock {self.path.name} held)"
            ) from None
        try:  # the holder's pid, for people; the flock is the lock
            os.ftruncate(self.fd, 0)
            os.write(self.fd, str(os.getpid()).encode())
        except OSError:
            pass
        return self

    def __exit__(self, *exc):
        import fcntl

        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)
        return False


def _prepare_dir(out: Path, spec: StudySpec, executor_desc: str, device) -> dict:
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


def _check_same_study(out: Path, spec: StudySpec) -> str:
    """Refuse a directory holding another study (or other files); returns the spec fingerprint."""
    fp = spec_fingerprint(spec)
    spec_path = out / "spec.toml"
    if spec_path.exists():
        if spec_fingerprint(load_spec(spec_path)) != fp:
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


def read_manifest(study_dir):
    """``study_dir/manifest.json`` as a dict, or None when it is missing or damaged."""
    try:
        manifest = json.loads((Path(study_dir) / "manifest.json").read_bytes().decode("utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) and isinstance(manifest.get("runs"), list) else None


def _devices(spec: StudySpec):
    """Accelerators visible here (only probed when the study trains networks: importing torch is slow)."""
    if not any(m["family"] == "network" for m in spec.methods):
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


def _write_json(path: Path, obj) -> None:
    atomic_write_bytes(path, dumps(obj, indent=1, sort_keys=True, default=str).encode())
