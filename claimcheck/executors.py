"""Where tasks run: in-process (jobs=1), a local process pool, or a Dask cluster.

All three are concurrent.futures-style executors, so sweep.execute does not care.
"""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import Executor, Future, ProcessPoolExecutor


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


def stop_workers(executor: Executor) -> None:
    """Terminate a local pool's worker processes after an interrupt. shutdown(wait=False)
    only stops *new* tasks; a worker in a long task would run on, orphaned, after the
    parent exits (Ctrl-C reaches workers through the process group, a SIGTERM to the
    parent does not)."""
    for proc in list((getattr(executor, "_processes", None) or {}).values()):
        try:
            proc.terminate()
        except Exception:  # noqa: BLE001 - already gone
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
    ctx = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(max_workers=jobs, mp_context=ctx)
