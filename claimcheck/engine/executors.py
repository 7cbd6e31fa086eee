"""Where tasks run: in-process (jobs=1), a local process pool, or a Dask cluster.

The local pool (:class:`LocalPool`) is concurrent.futures' ProcessPoolExecutor (spawn)
with what it lacks for long simulations:

- a worker that dies (os._exit, segfault, OOM kill) fails only the task it ran: each
  worker announces the task it starts, so when the pool breaks the tasks that were
  running are re-run one at a time in a pool of their own (the one that breaks it again
  is the culprit, named with its exit code), and the tasks that had not started are
  simply re-submitted to a new pool;
- a hard time limit per task: the worker running a task past it is killed, the task is
  reported as timed out, the others are re-submitted;
- ``stop()`` terminates busy workers (shutdown() alone waits for them or leaves them
  running), and workers die with their parent (:func:`_die_with_parent`), so a
  ``kill -9`` of claimcheck leaves no orphans.

Why not pebble (tried first): when a worker died right after acknowledging a task its
ProcessPool credited the death to the worker's previous task and never resolved the real
one (the run hung; pebble issues #153, #163). loky has no per-task time limit and turns a
death into an error for every pending task.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Executor, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Callable, Iterator


class SchedulerError(RuntimeError):
    """The Dask scheduler could not be reached (or distributed is not installed)."""


class InlineExecutor(Executor):
    """In-process execution (jobs=1: debugging, tests, and runs too big for two workers'
    memory). A marker: sweep.execute runs its tasks one by one itself, so each is stored
    as soon as it finishes (submitting them all first would store nothing until the end)."""


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


@dataclass
class Failure:
    """Why a task has no result: ``died`` (exit code), ``timeout`` (seconds), ``failed`` (exception)."""

    kind: str
    exitcode: int | None = None
    seconds: float | None = None
    error: BaseException | None = None


_STARTED = None   # in a worker: the queue on which it announces the tasks it starts


def _pool_worker_init(parent_pid: int, started) -> None:
    global _STARTED
    _STARTED = started
    _worker_init(parent_pid)


def _announced(fn: Callable, key: int, arg: Any):
    _STARTED.put((key, os.getpid()))   # SimpleQueue: written before fn runs, even if fn kills the process
    return fn(arg)


class LocalPool(Executor):
    """Local worker processes; see the module docstring. ``run_tasks`` is what
    sweep.execute uses; ``submit`` is the plain Executor interface (no protection)."""

    def __init__(self, jobs: int):
        self.jobs = jobs
        self._ctx = multiprocessing.get_context("spawn")
        self._pool: ProcessPoolExecutor | None = None
        self._started = None

    def _open(self, workers: int) -> ProcessPoolExecutor:
        self._started = self._ctx.SimpleQueue()
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=self._ctx, initializer=_pool_worker_init,
                                         initargs=(os.getpid(), self._started))
        return self._pool

    def submit(self, fn, /, *args, **kwargs):
        if self._pool is None:
            self._open(self.jobs)
        return self._pool.submit(fn, *args, **kwargs)

    def run_tasks(self, fn: Callable, tasks: list, hard_limit: Callable[[Any], float | None]
                  ) -> Iterator[tuple[Any, Any, Failure | None]]:
        """Yield ``(task, fn(task), None)`` or ``(task, None, Failure)`` for every task,
        in completion order."""
        todo = list(enumerate(tasks))
        while todo:
            suspects: list = []
            retry: list = []
            yield from self._round(fn, todo, hard_limit, self.jobs, suspects, retry)
            for item in suspects:    # alone, so that a death names the task that caused it
                yield from self._round(fn, [item], hard_limit, 1, None, retry)
            todo = retry

    def _round(self, fn, items, hard_limit, workers, suspects, retry):
        pool = self._open(workers)
        futures = {pool.submit(_announced, fn, key, task): (key, task) for key, task in items}
        by_key = dict(items)
        running: dict[int, tuple[int, float]] = {}      # key -> (pid, start)
        killed: dict[int, float] = {}                   # key -> limit that was exceeded
        processes: dict = dict(getattr(pool, "_processes", None) or {})
        not_done = set(futures)
        while not_done:
            done, not_done = wait(not_done, timeout=0.2, return_when=FIRST_COMPLETED)
            processes.update(getattr(pool, "_processes", None) or {})
            while not self._started.empty():
                key, pid = self._started.get()
                running[key] = (pid, time.monotonic())
            for fut in done:
                key, task = futures[fut]
                pid, _ = running.pop(key, (None, 0.0))
                exc = fut.exception()
                if exc is None:
                    yield task, fut.result(), None
                elif key in killed:
                    yield task, None, Failure("timeout", seconds=killed[key])
                elif isinstance(exc, BrokenProcessPool):
                    if pid is None:                                 # had not started: innocent
                        retry.append((key, task))
                    elif suspects is not None:                      # was running: run it alone
                        suspects.append((key, task))
                    else:                                           # alone, and broke the pool
                        yield task, None, Failure("died", exitcode=_exit_code(processes.get(pid)))
                else:
                    yield task, None, Failure("failed", error=exc)
            now = time.monotonic()
            for key, (pid, start) in list(running.items()):
                limit = hard_limit(by_key[key])
                if limit and key not in killed and now - start > limit:
                    killed[key] = limit
                    _kill(pid)
        pool.shutdown(wait=True)
        self._pool = None

    def shutdown(self, wait=True, *, cancel_futures=False):
        if self._pool is None:
            return
        if wait and not cancel_futures:
            self._pool.shutdown(wait=True)
        else:
            self.stop()

    def stop(self) -> None:
        """Terminate every worker now, busy or not; pending tasks are dropped."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        for proc in list((getattr(pool, "_processes", None) or {}).values()):
            _kill(proc.pid, signal.SIGTERM)
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in list((getattr(pool, "_processes", None) or {}).values()):
            proc.join(timeout=5)


def _exit_code(proc, wait: float = 5.0) -> int | None:
    """The exit code (negative: the signal) of a dead worker, or None if it cannot be had.

    The pool's management thread reaps its broken workers at the same moment as we ask:
    two threads call waitpid on one child, one gets the status and the other ECHILD, and
    ``Process.exitcode`` reads None until the first thread has stored the status on the
    shared ``Process`` object (issue 26: "exit code None" in 1 run of 10). So wait, bounded,
    until the status is stored."""
    if proc is None:
        return None
    deadline = time.monotonic() + wait
    proc.join(timeout=wait)
    while proc.exitcode is None and time.monotonic() < deadline:
        time.sleep(0.005)
    return proc.exitcode


def _kill(pid: int | None, sig: int = signal.SIGKILL) -> None:
    if pid:
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def stop_workers(executor: Executor) -> None:
    """Terminate a local pool's workers now (after an interrupt), whatever they are
    doing, before the pool is shut down. Safe to call twice; other executors: no-op."""
    stop = getattr(executor, "stop", None)
    if callable(stop):
        stop()


def _limit_threads() -> None:
    # One BLAS thread per worker: the workers already use every core.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")


class _OneLine(logging.Filter):
    """distributed logs a lost scheduler as ERROR with a traceback for every reconnect
    attempt; the run reports it itself (tasks become "worker failed" rows, exit 3)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info:
            exc = record.exc_info[1]
            record.msg, record.args, record.exc_info, record.exc_text = (
                f"{record.getMessage().strip() or 'connection problem'}: {type(exc).__name__}: {exc}".strip(), (), None, None)
        return True


class _DaskExecutor(Executor):
    def __init__(self, client):
        self.client = client
        self._inner = client.get_executor(pure=False)
        logging.getLogger("distributed.client").addFilter(_OneLine())

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
