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

import faulthandler
import logging
import multiprocessing
import os
import re
import signal
import sys
import tempfile
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Executor, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from .status import Status


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
    """Why a task has no result: ``DIED`` (exit code), ``TIMEOUT`` (seconds), ``FAILED``
    (exception), ``SKIPPED`` (not started: the caller's ``skip`` said so)."""

    kind: Status
    exitcode: int | None = None
    seconds: float | None = None
    error: BaseException | None = None
    stack: str | None = None        # timeout: the worker's stacks (faulthandler) just before it was killed


_STARTED = None   # in a worker: the queue on which it announces the tasks it starts


def _pool_worker_init(parent_pid: int, started) -> None:
    global _STARTED
    _STARTED = started
    _worker_init(parent_pid)


def _announced(fn: Callable, key: int, arg: Any, dump_after: float | None = None, dump_to: str | None = None):
    _STARTED.put((key, os.getpid()))   # SimpleQueue: written before fn runs, even if fn kills the process
    if not dump_after:
        return fn(arg)
    # just before the hard limit kills this worker, faulthandler's own thread writes every
    # thread's stack to ``dump_to``: the parent names the line that hung, even in C code
    with open(dump_to, "w", encoding="utf-8") as fh:
        faulthandler.dump_traceback_later(dump_after, file=fh)
        try:
            return fn(arg)
        finally:
            faulthandler.cancel_dump_traceback_later()
            os.unlink(dump_to)          # no dump: the task ended in time


def stack_frames(dump: str) -> list[tuple[str, int, str]]:
    """(file, line, function) of a faulthandler dump, outermost first per thread, the
    threads in the dump's order."""
    frames: list[tuple[str, int, str]] = []
    thread: list[tuple[str, int, str]] = []
    for line in dump.splitlines() + [""]:
        m = re.match(r'\s+File "(.+)", line (\d+) in (\S+)', line)
        if m:
            thread.append((m.group(1), int(m.group(2)), m.group(3)))
        elif thread:
            frames += reversed(thread)   # faulthandler writes the most recent call first
            thread = []
    return frames


class LocalPool(Executor):
    """Local worker processes; see the module docstring. ``run_tasks`` is what
    sweep.execute uses; ``submit`` is the plain Executor interface (no protection)."""

    def __init__(self, jobs: int):
        self.jobs = jobs
        self._ctx = multiprocessing.get_context("spawn")
        self._pool: ProcessPoolExecutor | None = None
        self._started = None
        self._dumps_dir = tempfile.TemporaryDirectory(prefix="claimcheck-stacks-")   # removed with the pool
        self._dumps = self._dumps_dir.name

    def _open(self, workers: int) -> ProcessPoolExecutor:
        self._started = self._ctx.SimpleQueue()
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=self._ctx, initializer=_pool_worker_init,
                                         initargs=(os.getpid(), self._started))
        return self._pool

    def submit(self, fn, /, *args, **kwargs):
        if self._pool is None:
            self._open(self.jobs)
        return self._pool.submit(fn, *args, **kwargs)

    def run_tasks(self, fn: Callable, tasks: list, hard_limit: Callable[[Any], float | None],
                  skip: Callable[[Any], bool] | None = None) -> Iterator[tuple[Any, Any, Failure | None]]:
        """Yield ``(task, fn(task), None)`` or ``(task, None, Failure)`` for every task,
        in completion order. A task is handed to a worker only when one is free, and
        ``skip(task)`` (asked then) can still keep it from starting: it is yielded with
        ``Failure(Status.SKIPPED)`` (the caller saw a sibling task hang)."""
        todo = list(enumerate(tasks))
        while todo:
            suspects: list = []
            retry: list = []
            yield from self._round(fn, todo, hard_limit, self.jobs, suspects, retry, skip)
            for item in suspects:    # alone, so that a death names the task that caused it
                yield from self._round(fn, [item], hard_limit, 1, None, retry, skip)
            todo = retry

    def _stack(self, key: int) -> str | None:
        """The stack dump of the task ``key``'s worker, written before the hard limit killed it."""
        path = os.path.join(self._dumps, f"{key}.txt")
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                return fh.read() or None
        except OSError:
            return None

    def _round(self, fn, items, hard_limit, workers, suspects, retry, skip=None):
        pool = self._open(workers)
        queue = list(items)                             # not yet handed to the pool
        futures: dict = {}
        by_key = dict(items)
        running: dict[int, tuple[int, float]] = {}      # key -> (pid, start)
        killed: dict[int, float] = {}                   # key -> limit that was exceeded
        processes: dict = dict(getattr(pool, "_processes", None) or {})
        not_done: set = set()
        broken = False
        while queue or not_done:
            while queue and not broken and len(not_done) < workers:
                key, task = queue.pop(0)
                if skip is not None and skip(task):
                    yield task, None, Failure(Status.SKIPPED)
                    continue
                try:
                    limit = hard_limit(task)
                    dump = os.path.join(self._dumps, f"{key}.txt") if limit else None
                    fut = pool.submit(_announced, fn, key, task, max(limit - 5.0, 0.5 * limit) if limit else None,
                                      dump)
                except BrokenProcessPool:
                    broken = True
                    queue.insert(0, (key, task))
                    break
                futures[fut] = (key, task)
                not_done.add(fut)
            if not not_done:
                if broken:                              # had not started: innocent, to a new pool
                    retry.extend(queue)
                    queue = []
                continue
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
                    yield task, None, Failure(Status.TIMEOUT, seconds=killed[key], stack=self._stack(key))
                elif isinstance(exc, BrokenProcessPool):
                    broken = True
                    if pid is None:                                 # had not started: innocent
                        retry.append((key, task))
                    elif suspects is not None:                      # was running: run it alone
                        suspects.append((key, task))
                    else:                                           # alone, and broke the pool
                        yield task, None, Failure(Status.DIED, exitcode=_exit_code(processes.get(pid)))
                else:
                    yield task, None, Failure(Status.FAILED, error=exc)
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


def no_workers_after() -> float:
    """Seconds a scheduler may have no worker before the run says so (20; the
    environment variable CLAIMCHECK_NO_WORKERS_AFTER overrides it, e.g. for tests)."""
    try:
        return max(float(os.environ.get("CLAIMCHECK_NO_WORKERS_AFTER", "20")), 0.0)
    except ValueError:
        return 20.0


def no_workers_line(address: str, seconds: float) -> str:
    return (f"claimcheck: the Dask scheduler {address} has no workers ({seconds:.0f} s without a result "
            f"and without a worker); waiting for a worker to join (Ctrl-C stops the run; what is stored stays)")


class _DaskExecutor(Executor):
    def __init__(self, client, address: str = "?"):
        self.client = client
        self._inner = client.get_executor(pure=False)
        logging.getLogger("distributed.client").addFilter(_OneLine())
        self.address = address

    def connected(self) -> bool:
        return self.client.status == "running"

    def workers(self) -> int | None:
        """How many workers the scheduler has now (None: cannot be told). Asked from the
        thread that waits on the results, only while no result comes."""
        if self.client.status != "running":
            return None
        try:
            return len(self.client.scheduler_info(n_workers=1).get("workers") or {})
        except Exception:  # noqa: BLE001 - a lost scheduler is reported by the tasks themselves
            return None

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
        return _DaskExecutor(client, scheduler)
    jobs = jobs or os.cpu_count() or 1
    if jobs <= 1:
        return InlineExecutor()
    _limit_threads()  # inherited by the spawned workers before they import numpy
    return LocalPool(jobs)
