"""Crash-safe file writes shared by every module that stores results.

One rule everywhere: a file is written to a temporary name in its own
directory, flushed, fsynced and renamed over the final name (``os.replace`` is
atomic on POSIX), then the directory is fsynced. A reader, or a run killed at
any moment, sees the previous file or the new one, never a part.

Files are created with the permissions the user's umask allows (like
``open(path, "w")``), not the ``0600`` of :func:`tempfile.mkstemp`.
Operating-system errors become a :class:`~geoquant.errors.StorageError` that
says in plain words what went wrong ("disk full", "permission denied").
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from .errors import StorageError

__all__ = ["TMP_PREFIX", "atomic_write_bytes", "fsync_dir", "storage_error", "umask", "check_writable_dir"]

TMP_PREFIX = ".tmp-"

_CAUSES: dict[int | None, str] = {
    errno.ENOSPC: "disk full",
    errno.EDQUOT: "disk quota exceeded",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "read-only file system",
    errno.ENOTDIR: "a path component is a file, not a directory",
    errno.EISDIR: "is a directory",
    errno.ELOOP: "is a symbolic link (not followed)",
}


def storage_error(exc: OSError, path: str | os.PathLike[str], action: str = "write") -> StorageError:
    """A :class:`StorageError` for ``exc`` raised while trying to ``action`` ``path``."""
    cause = _CAUSES.get(getattr(exc, "errno", None), exc.strerror or type(exc).__name__)
    msg = f"cannot {action} {str(path)!r}: {cause}"
    if getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT):
        msg += "; free some space and rerun (the previous version of the file, if any, is unchanged)"
    return StorageError(msg)


def umask() -> int:
    """The process umask (read without changing it where ``/proc`` allows)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    old = os.umask(0o022)  # pragma: no cover - no /proc
    os.umask(old)
    return old


def fsync_dir(path: str | os.PathLike[str]) -> None:
    """Flush a directory entry to disk (best effort: some platforms have no directory fds)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, *, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` atomically (temporary file, fsync, ``os.replace``, fsync of the directory).

    Parameters
    ----------
    path : str or Path
    data : bytes
    mode : int, optional
        Permission bits; default ``0o666`` less the umask (as ``open`` creates files).

    Raises
    ------
    StorageError
        The file could not be written (disk full, permission denied, ...); the
        previous ``path``, if any, is unchanged and no temporary file is left.
    """
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=TMP_PREFIX, suffix=path.suffix)
    except OSError as exc:
        raise storage_error(exc, path) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), (0o666 & ~umask()) if mode is None else mode)
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise storage_error(exc, path) from None
        raise
    fsync_dir(path.parent)


def check_writable_dir(path: str | os.PathLike[str], name: str) -> Path:
    """Make sure ``path`` is (or can be created as) a writable directory, before long work.

    Creates the directory (and parents) if missing and probes it with a
    temporary file. Raises a :class:`StorageError` naming ``name`` otherwise.
    """
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise StorageError(f"{name!r} must be a directory, found a file at {str(p)!r}")
    try:
        p.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=p, prefix=TMP_PREFIX)
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        err = storage_error(exc, p)
        raise StorageError(f"{name!r} is not a writable directory: {err}") from None
    return p
