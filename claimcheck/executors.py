"""Where tasks run: in-process (jobs=1), a local process pool, or a Dask cluster.

All three are concurrent.futures-style executors, so sweep.execute does not care.

The local pool is pebble's ProcessPool rather than concurrent.futures': a worker that
dies (os._exit, segfault, OOM kill) fails only the task it ran and is replaced
(concurrent.futures breaks the whole pool and turns every pending task into an error
that names no culprit), a task can be given a hard time limit (the worker is killed and
replaced), and ``stop()`` terminates workers that are busy in a task that never returns.
Workers also die with their parent (:func:`_worker_init`), so a ``kill -9`` of
claimcheck leaves no orphans computing for minutes.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import Executor, Future


class SchedulerError(RuntimeError):
    """The Dask scheduler could not be reached (or distributed is not installed)."""


class InlineExecutor(Executor):
    """Runs each task at submit time in this process (jobs=1: debugging, tests, and runs
    too big for two workers' memory). sweep.execute does not submit to it: it runs the
    tasks one by one itself, so each is stored as soon as it finishes."""

    def submit(self, fn, /, *args, **kwargs):
        fut: Future = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001
            if isinstance(exc, KeyboardInterrupt):
                raise
            fut.set_exception(exc)
        return fut


def _die_with_parent(parent_pid: int) -> None:
    """Make this worker exit when the process that started it exits, even by SIGKILL.

    Linux: prctl(PR_SET_PDEATHSIG, SIGKILL), which works even while the worker is
    stuck in C code. Everywhere: a daemon thread that polls the parent pid (a worker
    whose parent died is re-parented, so getppid() changes)."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)   # PR_SET_PDEATHSIG = 1
        except Exception:  # noqa: BLE001 - the watchdog below still works
            pass
    if os.getppid() != parent_pid:       # the parent died before prctl took effect
        os._exit(1)

    def watch():
        while True:
            time.sleep(0.5)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, name="claimcheck-parent-watchdog", daemon=True).start()


def _worker_init(parent_pid: int) -> None:
    # Ctrl-C reaches the whole process group: the parent stops the pool; a worker that
    # raised KeyboardInterrupt mid-task would only add a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent(parent_pid)


class LocalPool(Executor):
    """pebble ProcessPool (spawn) behind the Executor interface, plus ``schedule`` with
    a per-task hard time limit. Futures of a dead worker raise pebble.ProcessExpired,
    futures past their limit raise concurrent.futures.TimeoutError."""

    def __init__(self, jobs: int):
        from pebble import ProcessPool

        self.jobs = jobs
        self.pool = ProcessPool(max_workers=jobs, initializer=_worker_init, initargs=(os.getpid(),),
                                context=multiprocessing.get_context("spawn"))

    def submit(self, fn, /, *args, **kwargs):
        return self.pool.schedule(fn, args=args, kwargs=kwargs)

    def schedule(self, fn, args=(), timeout: float | None = None):
        return self.pool.schedule(fn, args=args, timeout=timeout)

    def shutdown(self, wait=True, *, cancel_futures=False):
        if wait and not cancel_futures:
            self.pool.close()
            self.pool.join()
        else:
            stop_workers(self)

    def stop(self) -> None:
        stop_workers(self)


def stop_workers(executor: Executor) -> None:
    """Terminate a local pool's workers now (after an interrupt), whatever they are
    doing: pebble's stop() kills busy workers too. Safe to call twice."""
    pool = getattr(executor, "pool", None)
    if pool is None:
        return
    try:
        pool.stop()
        pool.join(timeout=10)
    except Exception:  # noqa: BLE001 - already stopped
        pass


def _limit_threads() -> None:
    # One BLAS thread per worker: the workers already use every core.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")


class _DaskExecutor(Executor):
    def __init__(self, client):
        self.client = client
        self._inner = client.get_executor(pure=False)

    def submit(self, fn, /, *args, **kwargs):
        return self._inner.submit(fn, *args, **kwargs)

    def shutdown(self, wait=True, *, cancel_futures=False):
        try:
            self._inner.shutdown(wait=wait)
        finally:
            self.client.close()


def make_executor(jobs: int | None = None, scheduler: str | None = None, timeout: float = 10.0) -> Executor:
    """An executor: Dask if ``scheduler`` is given, else local processes (jobs>1) or inline."""
    if scheduler:
        try:
            from distributed import Client
        except ImportError as exc:
            raise SchedulerError("--scheduler needs the 'dask' extra: pip install 'claimcheck[dask]'") from exc
        try:
            client = Client(scheduler, timeout=timeout, set_as_default=False)
        except Exception as exc:  # noqa: BLE001 - OSError, TimeoutError, ...
            raise SchedulerError(f"cannot reach Dask scheduler {scheduler!r}: {type(exc).__name__}: {exc}") from exc
        return _DaskExecutor(client)
    jobs = jobs or os.cpu_count() or 1
    if jobs <= 1:
        return InlineExecutor()
    _limit_threads()  # inherited by the spawned workers before they import numpy
    return LocalPool(jobs)
