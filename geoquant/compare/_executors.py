"""Where the units of a study run: in process, in a local process pool, or on Dask.

Every executor is a context manager with one method, ``run(fn, units)``, that
yields ``(index, result, error)`` for each unit as it completes (``error`` is
the exception if the unit itself could not run, e.g. a worker process died),
and ``(None, None, None)`` ticks while it waits, so that the caller can stop
cleanly on Ctrl-C between two results.
Results travel back to the caller, which writes them, so workers need no
access to the study directory (a remote Dask cluster works without a shared
file system).
"""

from __future__ import annotations

from typing import Any

import multiprocessing as mp
import os

from ..errors import GeoquantError

__all__ = ["SerialExecutor", "LocalPoolExecutor", "DaskExecutor", "make_executor"]


class SerialExecutor:
    """Run units one after another in this process (``workers=0``; debugging, profiling)."""

    description = "serial (in process)"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def run(self, fn, units):
        for i, u in enumerate(units):
            try:
                yield i, fn(u), None
            except Exception as exc:  # run_unit catches task errors; this is a bug or an abort
                yield i, None, exc


def _die_with(parent_pid: int, poll: float = 0.5) -> None:
    """End this worker when the study process ``parent_pid`` is gone (killed, even by SIGKILL).

    Pool workers are children of the fork server, not of the study process, and
    wait on pipes the study process can no longer close when it is killed; left
    alone they would live on. On Linux the kernel signals the worker when its
    parent (the fork server, which exits with the study process) dies; a daemon
    thread that watches the study process covers the rest.
    """
    import threading
    import time

    try:  # Linux: SIGKILL this worker when its parent (the fork server) exits
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
    except Exception:  # pragma: no cover - not Linux
        pass

    def watch():
        while True:
            time.sleep(poll)
            try:
                os.kill(parent_pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except OSError:  # pragma: no cover - exists, not ours to signal
                pass

    threading.Thread(target=watch, name="geoquant-parent-watch", daemon=True).start()


def _end_worker(signum, frame) -> None:  # pragma: no cover - runs in a worker being stopped
    """SIGTERM in a pool worker (the study was stopped): release its named semaphores (e.g. the lock tqdm
    creates), which the resource tracker would otherwise report as leaked, and exit at once."""
    try:
        from multiprocessing import util

        util._run_finalizers(0)  # type: ignore[attr-defined]
    finally:
        os._exit(128 + signum)


def _worker_init(threads: int, parent_pid: int | None = None) -> None:
    import signal

    # Ctrl-C and SIGTERM are the parent's business: it stops between results and ends the pool
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _end_worker)
    if parent_pid is not None:
        _die_with(parent_pid)
    # One BLAS/OpenMP/torch thread per core share: N workers on N cores must not each spawn N threads.
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(threads)
    try:
        import sys

        if "torch" in sys.modules:  # forked after torch was imported
            sys.modules["torch"].set_num_threads(threads)
    except Exception:  # pragma: no cover
        pass


class LocalPoolExecutor:
    """A :class:`concurrent.futures.ProcessPoolExecutor` with ``workers`` processes.

    Workers start from a fork server: a clean interpreter that imports the
    runner and the ``preload`` modules once (the slow imports a study needs:
    scikit-learn, torch) and forks every worker from there. This shares those
    imports and avoids forking the caller, whose OpenMP/torch thread pools may
    already be running.
    """

    def __init__(self, workers: int, preload=()):
        self.workers = int(workers)
        self.preload = ["geoquant.compare._runner", *preload]
        self.description = f"local process pool ({self.workers} worker{'s' if self.workers != 1 else ''})"
        self._pool: Any = None

    def __enter__(self):
        from concurrent.futures import ProcessPoolExecutor

        methods = mp.get_all_start_methods()
        ctx = mp.get_context("forkserver" if "forkserver" in methods else "spawn")
        if ctx.get_start_method() == "forkserver":
            # imported once in the fork server, inherited by every worker (sklearn alone takes
            # seconds to import on a small machine); failures to preload are ignored by Python
            ctx.set_forkserver_preload(self.preload)
        threads = max(1, (os.cpu_count() or 1) // self.workers)
        self._pool = ProcessPoolExecutor(
            max_workers=self.workers, mp_context=ctx, initializer=_worker_init, initargs=(threads, os.getpid())
        )
        return self

    def __exit__(self, exc_type, exc, tb):
        if self._pool is not None:
            if exc_type is not None:
                # an abort (Ctrl-C): drop queued units and stop the running ones (their results are
                # not written; a rerun recomputes them)
                procs = list(getattr(self._pool, "_processes", {}).values())
                self._pool.shutdown(wait=False, cancel_futures=True)
                for p in procs:
                    try:
                        p.terminate()
                    except Exception:  # pragma: no cover - already gone
                        pass
                # (each worker releases its named semaphores on SIGTERM: see _end_worker)
            else:
                self._pool.shutdown(wait=True)
            self._pool = None
        return False

    def run(self, fn, units, poll: float = 0.5):
        from concurrent.futures import FIRST_COMPLETED, wait

        futures = {self._pool.submit(fn, u): i for i, u in enumerate(units)}
        pending = set(futures)
        while pending:
            # wake up every `poll` seconds (yielding a tick) so the caller can stop cleanly on Ctrl-C
            done, pending = wait(pending, timeout=poll, return_when=FIRST_COMPLETED)
            if not done:
                yield None, None, None
            for fut in done:
                i = futures[fut]
                try:
                    yield i, fut.result(), None
                except Exception as exc:
                    yield i, None, exc


def _preload_modules(names):
    import importlib

    for name in names:
        try:
            importlib.import_module(name)
        except ImportError:  # optional: a worker without it fails later with a clear task error
            pass
    return True


def _import_distributed():
    try:
        import distributed  # noqa: F401
        from distributed import Client, LocalCluster, as_completed
    except ImportError as exc:
        raise GeoquantError(
            "running a study on Dask needs the optional dependency dask[distributed]: "
            "pip install 'geoquant[dask]'"
            f" (import failed: {exc})"
        ) from None
    return Client, LocalCluster, as_completed


class DaskExecutor:
    """Run units on a Dask cluster: an existing scheduler (``address``,
    e.g. ``tcp://host:8786``) or a :class:`distributed.LocalCluster` of
    ``n_local`` single-threaded workers started here and closed at the end.

    Parameters
    ----------
    address : str, optional
    n_local : int, optional
    processes : bool
        LocalCluster workers as processes (default) or threads of this process.
    preload : sequence of str
        Modules every worker imports when the executor starts.
    """

    def __init__(self, address: str | None = None, n_local: int | None = None, processes: bool = True, preload=()):
        self.preload = list(preload)
        if (address is None) == (n_local is None):
            raise GeoquantError("DaskExecutor needs exactly one of 'address' or 'n_local'")
        self.address, self.n_local, self.processes = address, n_local, processes
        if address is not None:
            self.description = f"Dask scheduler at {address}"
        else:
            kind = "processes" if processes else "threads"
            self.description = f"Dask LocalCluster ({n_local} worker {kind})"
        self._client: Any = None
        self._cluster: Any = None

    def __enter__(self):
        import logging

        Client, LocalCluster, _ = _import_distributed()
        if self.address is not None:
            try:
                self._client = Client(self.address, timeout="20s")
            except OSError as exc:
                raise GeoquantError(f"cannot connect to the Dask scheduler at {self.address!r}: {exc}") from None
        else:
            self._cluster = LocalCluster(
                n_workers=self.n_local,
                threads_per_worker=1,
                processes=self.processes,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
            self._client = Client(self._cluster)
        if self.preload:
            # import the slow modules on every worker up front, in parallel (as the pool's fork server does)
            self._client.run(_preload_modules, self.preload)
        return self

    def __exit__(self, *exc):
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        return False

    def run(self, fn, units, poll: float = 0.5):
        from distributed import wait

        futures = {self._client.submit(fn, u, pure=False): i for i, u in enumerate(units)}
        pending = set(futures)
        while pending:
            try:
                done, pending = wait(pending, timeout=poll, return_when="FIRST_COMPLETED")
            except TimeoutError:  # distributed's wait raises on timeout; yield a tick
                yield None, None, None
                continue
            for fut in done:
                i = futures[fut]
                try:
                    yield i, fut.result(), None
                except Exception as exc:
                    yield i, None, exc
                finally:
                    fut.release()


def make_executor(*, workers=None, scheduler=None, dask_local=None, dask_processes=True, n_units=None, preload=()):
    """Pick the executor from the CLI/library options (see :func:`run_study`)."""
    if scheduler is not None and dask_local is not None:
        raise GeoquantError("give at most one of 'scheduler' and 'dask_local'")
    if scheduler is not None:
        return DaskExecutor(address=str(scheduler), preload=preload)
    if dask_local is not None:
        from .._validation import check_int

        return DaskExecutor(n_local=check_int(dask_local, "dask_local", min_value=1), processes=dask_processes,
                            preload=preload)
    if workers is None:
        workers = os.cpu_count() or 1
        if n_units is not None:
            workers = max(1, min(workers, n_units))
    from .._validation import check_int

    workers = check_int(workers, "workers", min_value=0)
    if workers == 0:
        return SerialExecutor()
    return LocalPoolExecutor(workers, preload=preload)
