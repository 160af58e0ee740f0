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

from typing import TYPE_CHECKING, Any, Callable, Literal, Protocol, TypeVar

import multiprocessing as mp
import os

from ..errors import GeoquantError

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence
    from multiprocessing.connection import Connection
    from multiprocessing.context import ForkServerContext, SpawnContext
    from types import FrameType, TracebackType

_R = TypeVar("_R")

__all__ = ["SerialExecutor", "LocalPoolExecutor", "DaskExecutor", "make_executor", "WorkerError", "unit_time_limit"]


class Executor(Protocol):
    """What every executor is: a context manager whose ``run(fn, units)`` yields ``(index, result, error)``
    per unit as it completes (``result`` None when ``error`` is set) and ``(None, None, None)`` ticks."""

    description: str

    def __enter__(self) -> Executor: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> Literal[False]: ...

    def run(self, fn: Callable[[dict[str, Any]], _R], units: Sequence[dict[str, Any]]) -> Iterator[tuple[int | None, _R | None, BaseException | None]]: ...


class SerialExecutor:
    """Run units one after another in this process (``workers=0``; debugging, profiling)."""

    description = "serial (in process)"

    def __enter__(self) -> SerialExecutor:
        return self

    def __exit__(self, *exc: object) -> Literal[False]:
        return False

    def run(self, fn: Callable[[dict[str, Any]], _R], units: Sequence[dict[str, Any]]) -> Iterator[tuple[int | None, _R | None, BaseException | None]]:
        for i, u in enumerate(units):
            try:
                yield i, fn(u), None
            except Exception as exc:  # run_unit catches task errors; this is a bug or an abort
                yield i, None, exc


def _set_parent_death_signal() -> None:
    """Linux: have the kernel SIGKILL this process when its parent (the fork server) ends."""
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
    except Exception:  # pragma: no cover - not Linux
        pass


def _hold_lifeline(lifeline: Connection) -> None:
    """End this worker as soon as the study process is gone, however it ended.

    ``lifeline`` is the reading end of a pipe whose only writing end the study
    process holds. The kernel closes that end when the study process dies (also
    on SIGKILL, and also while the dead process waits as a zombie for a caller
    that never reaps it), so the read below returns end-of-file within
    milliseconds and the worker exits. A probe of the parent's pid could not tell
    a zombie from a live process; the pipe can.
    """
    import threading

    def watch() -> None:
        try:
            lifeline.recv_bytes()  # nothing is ever sent: this returns only by EOF
        except BaseException:
            pass
        os._exit(70)

    threading.Thread(target=watch, name="geoquant-lifeline", daemon=True).start()


def _end_worker(signum: int, frame: FrameType | None) -> None:  # pragma: no cover - runs in a worker being stopped
    """SIGTERM in a pool worker (the study was stopped): release its named semaphores (e.g. the lock tqdm
    creates), which the resource tracker would otherwise report as leaked, and exit at once."""
    try:
        from multiprocessing import util

        util._run_finalizers(0)  # type: ignore[attr-defined]
    finally:
        os._exit(128 + signum)


def _worker_init(threads: int) -> None:
    import signal

    # Ctrl-C is the parent's business: it stops between results and ends the pool (SIGTERM, then SIGKILL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _end_worker)
    _set_parent_death_signal()
    # One BLAS/OpenMP/torch thread per core share: N workers on N cores must not each spawn N threads.
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(threads)
    try:
        import sys

        if "torch" in sys.modules:  # forked after torch was imported
            sys.modules["torch"].set_num_threads(threads)
    except Exception:  # pragma: no cover
        pass


def _describe(exc: BaseException) -> dict[str, str]:
    """An exception as plain data (its class may not exist, or must not be imported, in the study process)."""
    import traceback

    return {"type": type(exc).__name__, "message": str(exc),
            "traceback": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))}


def _worker_main(conn: Connection, lifeline: Connection, threads: int) -> None:
    """A pool worker: run ``(fn, unit)`` messages from ``conn`` until told to stop or orphaned."""
    _worker_init(threads)
    _hold_lifeline(lifeline)
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):  # the study process is gone
            return
        if msg is None:
            return
        fn, unit = msg
        try:
            reply = ("ok", fn(unit))
        except BaseException as exc:  # SystemExit from user code included: the unit fails, the worker lives
            reply = ("error", _describe(exc))
        try:
            conn.send(reply)
        except (EOFError, OSError):
            return
        except Exception as exc:  # an unpicklable result
            conn.send(("error", _describe(exc)))


class WorkerError(GeoquantError):
    """A unit could not finish in its worker process: the worker died, ran past the unit's time
    limit, or the unit raised outside of its tasks (``kind`` says which)."""

    def __init__(self, message: str, kind: str = "error", traceback: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.remote_traceback = traceback


class _RemoteTraceback(Exception):
    """The traceback of an exception raised in a worker, shown as the cause of its :class:`WorkerError`."""

    def __str__(self) -> str:
        return "\n" + str(self.args[0] if self.args else "")


def unit_time_limit(unit: dict[str, Any]) -> float | None:
    """Seconds a unit may run (units whose target is user code carry one), or None."""
    limit = (unit.get("user") or {}).get("time_limit")
    return None if limit is None else float(limit)


#: Extra seconds a worker gets past its unit's time limit to stop by itself before it is killed.
def _grace(limit: float) -> float:
    return max(5.0, 0.1 * limit)


class _Worker:
    """One worker process of :class:`LocalPoolExecutor` and the unit it is running."""

    def __init__(self, ctx: ForkServerContext | SpawnContext, lifeline: Connection, threads: int) -> None:
        self.conn, child = ctx.Pipe(duplex=True)
        # not a daemon: a method may start processes of its own; the lifeline ends it instead
        self.proc = ctx.Process(target=_worker_main, args=(child, lifeline, threads), name="geoquant-worker")
        self.proc.start()
        child.close()
        self.index: int | None = None
        self.started = 0.0
        self.limit: float | None = None

    def assign(self, fn: Callable[[dict[str, Any]], object], index: int, unit: dict[str, Any]) -> None:
        import time

        self.conn.send((fn, unit))
        self.index, self.started, self.limit = index, time.monotonic(), unit_time_limit(unit)

    def overdue(self, now: float) -> bool:
        return self.limit is not None and now - self.started > self.limit + _grace(self.limit)

    def kill(self) -> None:
        """Stop the worker: SIGTERM (it releases its semaphores and exits), SIGKILL if it is still there after 2 s."""
        try:
            self.proc.terminate()
            self.proc.join(2)
            if self.proc.is_alive():
                self.proc.kill()
        except Exception:  # pragma: no cover - already gone
            pass
        self.proc.join(5)
        self.conn.close()

    def exit_description(self) -> str:
        import signal

        self.proc.join(5)
        code = self.proc.exitcode
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:  # pragma: no cover
                name = f"signal {-code}"
            return f"was killed by {name}"
        return f"exited with status {code}"


class LocalPoolExecutor:
    """A pool of ``workers`` processes that run units and send their records back.

    Workers start from a fork server: a clean interpreter that imports the
    runner and the ``preload`` modules once (the slow imports a study needs:
    scikit-learn, torch) and forks every worker from there. This shares those
    imports and avoids forking the caller, whose OpenMP/torch thread pools may
    already be running.

    The pool knows which unit each worker runs, so that

    - a worker that dies (``os._exit`` or a crash in a method or in user code)
      fails only its own unit, with the exit status as the cause, and is replaced;
    - a unit that carries a time limit (``unit["user"]["time_limit"]``, units of
      user targets) and runs past it (plus a grace period) has its worker killed
      and fails with that cause;
    - every worker ends within milliseconds when the study process dies, however
      it dies and whether or not its caller ever reaps it: each worker holds the
      reading end of a pipe whose only writing end the study process holds (see
      :func:`_hold_lifeline`). The fork server and multiprocessing's resource
      tracker end once the last worker has.
    """

    def __init__(self, workers: int, preload: Iterable[str] = ()) -> None:
        self.workers = int(workers)
        self.preload = ["geoquant.study._runner", *preload]
        self.description = f"local process pool ({self.workers} worker{'s' if self.workers != 1 else ''})"
        self._ctx: Any = None
        self._lifeline: Any = None  # (reader, writer)
        self._pool: list[_Worker] = []
        self._threads = 1

    def __enter__(self) -> LocalPoolExecutor:
        methods = mp.get_all_start_methods()
        ctx = mp.get_context("forkserver" if "forkserver" in methods else "spawn")
        if ctx.get_start_method() == "forkserver":
            # imported once in the fork server, inherited by every worker (sklearn alone takes
            # seconds to import on a small machine); failures to preload are ignored by Python
            ctx.set_forkserver_preload(self.preload)
        self._ctx = ctx
        self._lifeline = ctx.Pipe(duplex=False)
        self._threads = max(1, (os.cpu_count() or 1) // self.workers)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> Literal[False]:
        workers, self._pool = self._pool, []
        if exc_type is None:  # finished: ask the idle workers to stop, then make sure they did
            for w in workers:
                try:
                    w.conn.send(None)
                except (OSError, ValueError):
                    pass
            for w in workers:
                w.proc.join(5)
        # an abort (Ctrl-C, SIGTERM) stops the running units: their results are not written, a rerun recomputes them
        for w in workers:
            if w.proc.is_alive():
                w.kill()
            else:
                w.proc.join(1)
                w.conn.close()
        if self._lifeline is not None:
            for end in self._lifeline:
                end.close()
            self._lifeline = None
        return False

    def _start_worker(self) -> _Worker:
        w = _Worker(self._ctx, self._lifeline[0], self._threads)
        self._pool.append(w)
        return w

    def _retire(self, w: _Worker) -> None:
        if w.proc.is_alive():
            w.kill()
        else:
            w.proc.join(1)
            w.conn.close()
        self._pool.remove(w)

    def run(self, fn: Callable[[dict[str, Any]], _R], units: Sequence[dict[str, Any]], poll: float = 0.5) -> Iterator[tuple[int | None, _R | None, BaseException | None]]:
        import time
        from collections import deque
        from multiprocessing.connection import wait

        queue = deque(range(len(units)))
        size = min(self.workers, len(units))
        while queue or any(w.index is not None for w in self._pool):
            for w in [w for w in self._pool if w.index is None and not w.proc.is_alive()]:
                self._retire(w)  # died while idle (killed from outside): replaced below
            while queue and len(self._pool) < size:
                self._start_worker()
            for w in self._pool:
                if w.index is None and queue:
                    j = queue.popleft()
                    try:
                        w.assign(fn, j, units[j])
                    except Exception as exc:  # e.g. a unit that cannot be pickled
                        yield j, None, exc
            busy = [w for w in self._pool if w.index is not None]
            ready = set(wait([w.conn for w in busy] + [w.proc.sentinel for w in busy], timeout=poll)) if busy else set()
            progressed = False
            now = time.monotonic()
            for w in busy:
                i = int(w.index or 0)  # busy workers have a unit
                if w.conn in ready or w.proc.sentinel in ready:
                    kind: str | None = None
                    payload: Any = None
                    try:
                        if w.conn.poll():
                            kind, payload = w.conn.recv()
                    except (EOFError, OSError):
                        kind = None
                    if kind is None:  # no answer: the worker died while running the unit
                        why = w.exit_description()
                        self._retire(w)
                        progressed = True
                        yield i, None, WorkerError(
                            f"its worker process {why} while running it (os._exit, a crash or the out-of-memory "
                            "killer, in a method or in user code); the other units go on", kind="died")
                        continue
                    w.index = None
                    progressed = True
                    if kind == "ok":
                        yield i, payload, None
                    else:
                        err = WorkerError(f"{payload['type']}: {payload['message']}", kind="raised",
                                          traceback=payload.get("traceback"))
                        err.__cause__ = _RemoteTraceback(payload.get("traceback") or "")
                        yield i, None, err
                elif w.overdue(now):
                    limit = w.limit
                    self._retire(w)
                    progressed = True
                    yield i, None, WorkerError(
                        f"it ran past its time limit of {limit:g} s (and {_grace(limit or 0):g} s of grace) without "
                        "stopping; its worker process was killed", kind="time_limit")
            if not progressed:
                yield None, None, None


def _preload_modules(names: Iterable[str]) -> bool:
    import importlib

    for name in names:
        try:
            importlib.import_module(name)
        except ImportError:  # optional: a worker without it fails later with a clear task error
            pass
    return True


def _import_distributed() -> tuple[Any, Any, Any]:
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

    def __init__(
        self, address: str | None = None, n_local: int | None = None, processes: bool = True,
        preload: Iterable[str] = (),
    ) -> None:
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

    def __enter__(self) -> DaskExecutor:
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

    def __exit__(self, *exc: object) -> Literal[False]:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        return False

    def run(self, fn: Callable[[dict[str, Any]], _R], units: Sequence[dict[str, Any]], poll: float = 0.5) -> Iterator[tuple[int | None, _R | None, BaseException | None]]:
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


def make_executor(
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    dask_local: int | None = None,
    dask_processes: bool = True,
    n_units: int | None = None,
    preload: Iterable[str] = (),
) -> Executor:
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
