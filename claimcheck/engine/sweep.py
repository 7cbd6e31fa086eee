"""Plan a claim's sweep (grid x replicates), run it on an executor, store each batch.

Workers receive small picklable :class:`Task` objects (file path, claim id, variant,
point, replicate numbers) and re-import the claim file themselves, so the same code
runs in a local process pool or on a Dask cluster.
"""
from __future__ import annotations

import contextlib
import io
import itertools
import math
import os
import signal
import threading
import time
import traceback
from collections import OrderedDict
from concurrent.futures import CancelledError, Future, as_completed
from pathlib import Path
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

import numpy as np

from ..claim import Claim
from .executors import InlineExecutor, stop_workers
from .seeding import point_key, rng_for


@dataclass(frozen=True)
class Task:
    """One unit of work for a worker: some replicates at one or more grid points (the
    replicates x points not yet stored)."""

    claim_file: str
    claim_id: str
    claim_version: str
    variant: str
    points: tuple[tuple[tuple[str, Any], ...], ...]
    replicates: tuple[int, ...]
    master_seed: int
    common_random_numbers: bool
    keep: tuple[int, ...] = ()   # if given, the replicates whose rows are returned (the rest are stored)
    timeout: float | None = None  # seconds per replicate (None: no limit)
    drop: tuple[tuple[str, int], ...] = ()   # (point key, replicate) pairs already stored: computed, not returned

    def wanted(self, pkey: str, replicate: int) -> bool:
        return replicate in self.kept and (pkey, replicate) not in set(self.drop)

    def point_dicts(self) -> list[dict]:
        return [dict(p) for p in self.points]

    @property
    def kept(self) -> tuple[int, ...]:
        return self.keep or self.replicates

    @property
    def size(self) -> int:
        return len(self.points) * len(self.kept) - len(self.drop)

    def where(self) -> str:
        """'claim X (mutant M), point {...}, replicates a-b': names a task in an error."""
        pts = [point_key(p) for p in self.point_dicts()]
        reps = self.kept
        r = f"replicate {reps[0]}" if len(reps) == 1 else f"replicates {reps[0]}-{reps[-1]}"
        who = f"claim {self.claim_id}" + (f" (mutant {self.variant})" if self.variant else "")
        return f"{who}, point {pts[0] if len(pts) == 1 else f'{len(pts)} points'}, {r}"


# Error rows whose message starts with one of these are measurements that could not be
# made (infrastructure), not a simulation that broke: the run is "incomplete" (exit 3).
INFRASTRUCTURE_ERRORS = ("timeout:", "worker died:", "worker failed:")


def is_infrastructure_error(message: str | None) -> bool:
    return bool(message) and message.startswith(INFRASTRUCTURE_ERRORS)


class ReplicateTimeout(BaseException):
    """A simulation outlived its time limit. A BaseException, so that a claim's own
    ``except Exception`` does not swallow it."""


class WorkerExit(BaseException):
    """A claim called os._exit in an in-process run (--jobs 1)."""


def grid_points(grid: Mapping[str, Iterable[Any]]) -> list[dict]:
    axes = list(grid)
    return [dict(zip(axes, combo)) for combo in itertools.product(*(list(grid[a]) for a in axes))]


def plan(claim: Claim, version: str, variant: str, profile: str, master_seed: int,
         done: set[tuple[str, int]] = frozenset(), timeout: float | None = None) -> list[Task]:
    """Tasks for every (point, replicate) not already in ``done``.

    Replicates go in batches ``[k*b, (k+1)*b)`` with ``b = claim.batch(profile)`` (the
    claim's ``batch_size`` or automatic). Batches are aligned so that a resumed run gives
    each replicate the same batch-mates as an uninterrupted one: a batch with stored
    members is recomputed whole and only its missing rows are kept, which keeps a
    vectorised simulate_batch bit-identical across resumes (the reproducibility
    contract). ``timeout`` (seconds per replicate) overrides the claim's ``timeout``.

    ``claim.grouping == "point"``: a task is one batch at one grid point.
    ``"replicate"`` (implied by a reference under common random numbers): a task is one
    batch at *every* grid point the batch still lacks, so that what a replicate shares
    across the grid (its reference) is computed once, in one worker. A claim that does not
    vectorise (no simulate_batch) gains nothing from a batch there: one replicate per task.
    """
    n_rep = claim.n_replicates(profile)
    grouped = claim.grouping == "replicate"
    size = 1 if grouped and claim.simulate_batch is None else claim.batch(profile)
    pts = grid_points(claim.grid(profile))
    limit = timeout if timeout else getattr(claim, "timeout", None)

    def task(points, reps, keep=(), drop=()):
        return Task(claim.module_file or "", claim.id, version, variant,
                    tuple(tuple(sorted(p.items())) for p in points), tuple(reps), int(master_seed),
                    bool(claim.common_random_numbers), tuple(keep), float(limit) if limit else None,
                    tuple(sorted(drop)))

    tasks = []
    batches = [list(range(start, min(start + size, n_rep))) for start in range(0, n_rep, size)]
    if grouped:
        for batch in batches:
            todo = [p for p in pts if any((point_key(p), r) not in done for r in batch)]
            stored = {(point_key(p), r) for p in todo for r in batch if (point_key(p), r) in done}
            if todo:
                tasks.append(task(todo, batch, drop=stored))
        return tasks
    for point in pts:
        pkey = point_key(point)
        for batch in batches:
            todo = [r for r in batch if (pkey, r) not in done]
            if todo:
                tasks.append(task([point], batch, keep=todo if len(todo) < len(batch) else ()))
    return tasks


def _find_claim(task: Task) -> Claim:
    from .discovery import claims_in_module, load_module

    module = load_module(task.claim_file)
    for c in claims_in_module(module, task.claim_file):
        if c.id == task.claim_id:
            return c
    raise LookupError(f"claim {task.claim_id!r} not found in {task.claim_file}")


def _clean_metrics(out: Any) -> dict[str, float]:
    """Keep scalar metrics; reject NaN/inf so a broken simulation is an error, not data."""
    _require_dict(out)
    clean = {}
    for k, v in out.items():
        if np.ndim(v) != 0:
            continue  # arrays are inputs of reducers, not stored
        x = float(v)
        if not math.isfinite(x):
            raise FloatingPointError(f"metric {k!r} is {x}")
        clean[str(k)] = x
    if not clean:
        raise ValueError("simulate returned no scalar metric")
    return clean


class BadReturn(TypeError):
    """simulate returned something other than a dict; the message names the function."""


def _require_dict(out: Any, fn: Callable | None = None) -> None:
    if not isinstance(out, Mapping):
        hint = " (a missing `return`?)" if out is None else ""
        while hasattr(fn, "func"):   # functools.partial(simulate, flag=...): name the function itself
            fn = fn.func
        code = getattr(fn, "__code__", None)
        who = (f"simulate ({getattr(fn, '__name__', '?')} at {code.co_filename.rsplit('/', 1)[-1]}:{code.co_firstlineno})"
               if code else "simulate")
        raise BadReturn(f"{who} must return a dict of metrics, got {type(out).__name__}{hint}")


def _checked(fn: Callable) -> Callable:
    """fn(point, rng[, ref]), checking that it returns a dict (the error names fn's file and line)."""
    def call(point, rng, *ref):
        out = fn(point, rng, *ref)
        _require_dict(out, fn)
        return out
    return call


def _apply_reducers(claim: Claim, out: Mapping[str, Any], point: Mapping[str, Any]) -> dict:
    _require_dict(out)
    out = dict(out)
    for name, fn in (claim.reducers or {}).items():
        out[name] = fn(out, point)
    return out


@contextlib.contextmanager
def time_limit(seconds: float | None):
    """Raise ReplicateTimeout in the block after ``seconds`` (SIGALRM: main thread on
    POSIX only, i.e. pool workers and --jobs 1; elsewhere, e.g. Dask's worker threads,
    no limit). Code stuck in C without returning to Python is stopped by the pool's
    hard limit instead (sweep.execute)."""
    if not seconds or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_alarm(signum, frame):
        raise ReplicateTimeout()

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, float(seconds))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


LOG_LIMIT = 256 * 1024   # characters of a task's printed output kept for its claim's log


def run_task(task: Task) -> list[dict]:
    """Run one task in a worker. Never raises: failures become error rows.

    What the claim prints goes to the first row's ``log`` (written to the claim's log
    file by the caller), not to the terminal: a chatty claim does not bury the verdicts."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
        rows = _run_task(task)
    text = buf.getvalue()
    if text and rows:
        if len(text) > LOG_LIMIT:
            text = text[:LOG_LIMIT] + f"\n[... {len(text) - LOG_LIMIT} more characters dropped]\n"
        rows[0]["log"] = text
    return rows


def _run_task(task: Task) -> list[dict]:
    base = {"claim_version": task.claim_version, "claim_id": task.claim_id, "variant": task.variant,
            "master_seed": task.master_seed}
    try:
        claim = _find_claim(task)
        simulate, simulate_batch = claim.variant(task.variant or None)
    except BaseException as exc:  # noqa: BLE001
        if isinstance(exc, KeyboardInterrupt):
            raise
        msg = f"could not load claim: {type(exc).__name__}: {exc}"
        return [dict(base, point_key=point_key(p), replicate=r, status="error", error=msg, metrics=None, seconds=0.0)
                for p in task.point_dicts() for r in task.kept if task.wanted(point_key(p), r)]
    rows = []
    for point in task.point_dicts():
        rows += _run_point(claim, simulate, simulate_batch, task, point, dict(base, point_key=point_key(point)))
    if task.keep or task.drop:
        rows = [r for r in rows if task.wanted(r["point_key"], r["replicate"])]
    return rows


# References of recent replicates, per worker process (claim.reference): LRU, so that a
# mutant sharing the claim's reference in the same worker does not recompute it. Bounded
# by the bytes of the arrays it holds; the current task's references always stay.
_REFERENCES: "OrderedDict[tuple, tuple[Any, int]]" = OrderedDict()
REFERENCE_CACHE_BYTES = 256 * 2 ** 20
reference_calls = 0   # how many replicates' references this process computed (tests read it)


def clear_references() -> None:
    _REFERENCES.clear()


def _nbytes(obj, depth: int = 0) -> int:
    """Approximate memory of a reference: its numpy arrays, through containers and objects."""
    if isinstance(obj, np.ndarray):
        return obj.nbytes
    if depth > 4:
        return 64
    if isinstance(obj, Mapping):
        return 64 + sum(_nbytes(v, depth + 1) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return 64 + sum(_nbytes(v, depth + 1) for v in obj)
    if hasattr(obj, "__dict__"):
        return 64 + sum(_nbytes(v, depth + 1) for v in vars(obj).values())
    return 64


def _references(claim: Claim, task: Task, point: dict, seed_point, reps) -> list | None:
    """The replicates' references at ``point`` (None when the variant has none): from the
    worker's cache, else computed in one call for all of ``reps`` (the task's batch, so
    the batch-mates, hence the round-off, do not depend on what the cache held)."""
    global reference_calls
    fn, owner = claim.reference_of(task.variant or None)
    if fn is None:
        return None
    rpoint = claim.reference_point(point)
    where = point_key(rpoint) if seed_point is None else point_key(point)
    keys = [(task.claim_file, task.claim_id, task.claim_version, owner, task.master_seed, where, r) for r in reps]
    if not all(k in _REFERENCES for k in keys):
        refs = list(fn(rpoint, [rng_for(task.claim_id, seed_point, r, task.master_seed) for r in reps]))
        if len(refs) != len(keys):
            raise ValueError(f"reference returned {len(refs)} results for {len(keys)} replicates")
        reference_calls += len(keys)
        for k, ref in zip(keys, refs):
            _REFERENCES[k] = (ref, _nbytes(ref))
    out = []
    for k in keys:
        _REFERENCES.move_to_end(k)
        out.append(_REFERENCES[k][0])
    held = sum(n for _, n in _REFERENCES.values())
    while held > REFERENCE_CACHE_BYTES and len(_REFERENCES) > len(task.replicates):
        _, (_, n) = _REFERENCES.popitem(last=False)
        held -= n
    return out


def _run_point(claim: Claim, simulate, simulate_batch, task: Task, point: dict, base: dict) -> list[dict]:
    """The task's replicates at one grid point (batched if the claim vectorises), with
    their references if the claim has one."""
    seed_point = None if task.common_random_numbers else point
    reps = [r for r in task.replicates if task.wanted(base["point_key"], r) or simulate_batch is not None]
    rngs = [rng_for(task.claim_id, seed_point, r, task.master_seed) for r in reps]
    rows = []
    limit = task.timeout
    refs = None
    if simulate_batch is not None:
        t0 = time.perf_counter()
        try:
            with time_limit(limit * len(rngs) if limit else None):
                refs = _references(claim, task, point, seed_point, reps)
                outs = list(simulate_batch(point, rngs) if refs is None else simulate_batch(point, rngs, refs))
            for o in outs:
                _require_dict(o, simulate_batch)
            if len(outs) != len(rngs):
                raise ValueError(f"simulate_batch returned {len(outs)} results for {len(rngs)} replicates")
            cleaned = [_clean_metrics(_apply_reducers(claim, o, point)) for o in outs]
            dt = (time.perf_counter() - t0) / len(rngs)
            return [dict(base, replicate=r, status="ok", metrics=m, error=None, seconds=dt)
                    for r, m in zip(reps, cleaned)]
        except BaseException as exc:  # noqa: BLE001 - fall back to one replicate at a time to locate the error
            if isinstance(exc, KeyboardInterrupt):
                raise
            if isinstance(exc, ReplicateTimeout):   # re-running replicate by replicate would time out again
                msg = (f"timeout: simulate_batch gave no result within {limit * len(rngs):g} s "
                       f"({limit:g} s per replicate): claim {task.claim_id}, point {point_key(point)}, "
                       f"replicates {reps[0]}-{reps[-1]}")
                return [dict(base, replicate=r, status="error", metrics=None, error=msg, seconds=limit)
                        for r in reps]
            rngs = [rng_for(task.claim_id, seed_point, r, task.master_seed) for r in reps]
            simulate = (lambda p, g, *ref, _b=simulate_batch: _b(p, [g], *([x] for x in ref))[0])
    for r, rng in zip(reps, rngs):
        t0 = time.perf_counter()
        try:
            with np.errstate(all="ignore"), time_limit(limit):
                ref = _references(claim, task, point, seed_point, [r])
                out = _checked(simulate)(point, rng) if ref is None else _checked(simulate)(point, rng, ref[0])
                metrics = _clean_metrics(_apply_reducers(claim, out, point))
            rows.append(dict(base, replicate=r, status="ok", metrics=metrics, error=None,
                             seconds=time.perf_counter() - t0))
        except BaseException as exc:  # noqa: BLE001
            if isinstance(exc, KeyboardInterrupt):
                raise
            rows.append(dict(base, replicate=r, status="error", metrics=None,
                             error=_error_message(exc, task, point, r), seconds=time.perf_counter() - t0))
    return rows


def _user_frame(exc: BaseException):
    """The innermost traceback frame outside claimcheck itself (the claim's own code),
    else the innermost frame."""
    frames = traceback.extract_tb(exc.__traceback__)
    here = str(Path(__file__).resolve().parent)
    mine = [f for f in frames if not str(Path(f.filename).resolve()).startswith(here)]
    return (mine or frames or [None])[-1]


def _error_message(exc: BaseException, task: Task, point: dict, replicate: int) -> str:
    where_run = f"claim {task.claim_id}" + (f" (mutant {task.variant})" if task.variant else "")
    where_run += f", point {point_key(point)}, replicate {replicate}"
    if isinstance(exc, ReplicateTimeout):
        return f"timeout: no result within {task.timeout:g} s: {where_run}"
    frame = None if isinstance(exc, BadReturn) else _user_frame(exc)
    at = f" at {frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}" if frame else ""
    if isinstance(exc, WorkerExit):
        return f"worker died: {exc}{at}: {where_run}"
    return f"{type(exc).__name__}: {exc}{at} (point {point_key(point)}, replicate {replicate})"


@contextlib.contextmanager
def _exit_is_an_error():
    """In an in-process run (--jobs 1) a claim's os._exit would end claimcheck with no
    output and leave the run "running": turn it into an error for that task. A forked
    child of the claim still exits for real."""
    real, pid = os._exit, os.getpid()

    def refuse(code):
        if os.getpid() != pid:
            real(code)
        raise WorkerExit(f"the claim called os._exit({code})")

    os._exit = refuse
    try:
        yield
    finally:
        os._exit = real


def _failed_rows(task: Task, message: str) -> list[dict]:
    return [{"claim_version": task.claim_version, "claim_id": task.claim_id, "variant": task.variant,
             "point_key": point_key(p), "master_seed": task.master_seed, "replicate": r,
             "status": "error", "metrics": None, "seconds": 0.0, "error": message}
            for p in task.point_dicts() for r in task.kept if task.wanted(point_key(p), r)]


def _hard_limit(task: Task) -> float | None:
    """The pool's limit for a whole task: the per-replicate limit times its replicates,
    plus slack (the in-worker limit usually fires first and names the replicate)."""
    if not task.timeout:
        return None
    return task.timeout * (len(task.replicates) * len(task.points) + 1) + 5.0


def _failure_message(failure, task: Task) -> str:
    """Why a task has no result (the worker, not the simulation): names the task.
    ``failure``: an executors.Failure, or the exception a future raised."""
    from .executors import Failure

    if not isinstance(failure, Failure):
        failure = Failure("failed", error=failure)
    if failure.kind == "timeout":
        return (f"timeout: no result within {failure.seconds:g} s ({task.timeout:g} s per replicate; "
                f"the worker was stopped): {task.where()}")
    if failure.kind == "died":
        code = failure.exitcode
        cause = (f"killed by signal {signal.Signals(-code).name}" if isinstance(code, int) and code < 0
                 else "exit code unknown" if code is None else f"exit code {code}")
        hint = " (out of memory?)" if code == -signal.SIGKILL else ""
        return f"worker died: {cause}{hint} while running {task.where()}"
    exc = failure.error
    if isinstance(exc, CancelledError):
        return f"worker failed: the task was cancelled (the Dask scheduler or its worker was lost) while running {task.where()}"
    return f"worker failed: {type(exc).__name__}: {exc} while running {task.where()}"


def execute(tasks: list[Task], executor, on_rows: Callable[[list[dict]], None],
            progress: Callable[[int], None] | None = None) -> None:
    """Submit every task; hand each finished batch to ``on_rows`` (which stores it).

    On KeyboardInterrupt the pending tasks are cancelled and the interrupt re-raised;
    batches already handed over stay stored.
    """
    if not tasks:
        return
    if isinstance(executor, InlineExecutor):
        # in-process: run and hand over task by task (submitting all first would run every
        # task before the first is stored, and an interrupted run would keep nothing)
        with _exit_is_an_error():
            for task in tasks:
                on_rows(run_task(task))
                if progress:
                    progress(task.size)
        return
    if hasattr(executor, "run_tasks"):   # the local pool: dead workers and hard time limits handled
        for task, rows, failure in executor.run_tasks(run_task, tasks, _hard_limit):
            on_rows(rows if failure is None else _failed_rows(task, _failure_message(failure, task)))
            if progress:
                progress(task.size)
        return
    futures: dict[Future, Task] = {executor.submit(run_task, t): t for t in tasks}
    try:
        for fut in as_completed(futures):
            task = futures[fut]
            try:
                rows = fut.result()
            except BaseException as exc:  # noqa: BLE001 - the worker died or the cluster failed
                if isinstance(exc, KeyboardInterrupt):
                    raise
                rows = _failed_rows(task, _failure_message(exc, task))
            on_rows(rows)
            if progress:
                progress(task.size)
    except BaseException:
        for f in futures:
            f.cancel()
        raise


@dataclass
class Measured:
    """What :func:`measure` did: counts per claim id, and whether Ctrl-C stopped it."""

    total: int
    computed: dict
    reused: dict
    interrupted: bool = False


class Progress:
    """Measuring progress per claim, with an ETA: a tqdm bar on a terminal (its postfix
    names the claim and its counts), else one line at most every ``every`` seconds (CI
    logs: no bar redrawn thousands of times, no silence for an hour)."""

    def __init__(self, totals: Mapping[str, int], enabled: bool, desc: str, stream=None, every: float = 30.0):
        import sys

        self.stream = stream or sys.stderr
        self.totals = {k: v for k, v in totals.items() if v}
        self.done = dict.fromkeys(self.totals, 0)
        self.total = sum(self.totals.values())
        self.enabled = enabled and self.total > 0
        self.desc, self.every = desc, every
        self.t0 = self.last = time.monotonic()
        self.bar = None
        if self.enabled and getattr(self.stream, "isatty", lambda: False)():
            try:
                from tqdm import tqdm
                self.bar = tqdm(total=self.total, unit="rep", desc=desc, file=self.stream, smoothing=0.1)
            except ImportError:  # tqdm is a core dependency, but stay usable without it
                pass

    def update(self, claim_id: str, n: int) -> None:
        if not self.enabled:
            return
        self.done[claim_id] = self.done.get(claim_id, 0) + n
        if self.bar is not None:
            self.bar.update(n)
            self.bar.set_postfix_str(f"{claim_id} {self.done[claim_id]}/{self.totals.get(claim_id, '?')}",
                                     refresh=False)
            return
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            print(self.line(), file=self.stream, flush=True)

    def line(self) -> str:
        n = sum(self.done.values())
        elapsed = time.monotonic() - self.t0
        eta = f", about {_duration(elapsed * (self.total - n) / n)} left" if n else ""
        busy = [f"{cid} {d}/{self.totals[cid]}" for cid, d in self.done.items() if 0 < d < self.totals.get(cid, 0)]
        return (f"claimcheck: {self.desc} {n}/{self.total} ({100 * n / self.total:.0f}%) after "
                f"{_duration(elapsed)}{eta}" + (f"; {', '.join(busy[:4])}" if busy else ""))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.enabled and time.monotonic() - self.t0 >= self.every:
            print(self.line(), file=self.stream, flush=True)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def measure(store, items, profile: str, *, jobs: int | None = None, scheduler: str | None = None,
            progress: bool = False, desc: str = "measuring", timeout: float | None = None,
            log_dir: Path | None = None) -> Measured:
    """Measure every ``(claim, version, variant, master_seed)`` in ``items`` that the
    store does not hold yet, on one executor, storing each batch as it arrives.

    Ctrl-C (or SIGTERM) stops it (``interrupted=True``) and terminates the pool's
    workers at once, busy or not; what was stored stays, a re-run resumes. Any other
    exception (a full disk) also stops the workers, then propagates. An unreachable
    scheduler raises executors.SchedulerError before anything runs. ``timeout``:
    seconds per replicate (overrides the claims' own). What the claims print goes to
    ``log_dir/<claim id>.log``.
    """
    from .executors import make_executor

    tasks, reused, computed = [], {}, {}
    for claim, version, variant, seed in items:
        done = store.done_keys(version, variant, seed)
        tasks.extend(plan(claim, version, variant, profile, seed, done, timeout=timeout))
        reused[(claim.id, variant, seed)] = len(done)
        computed.setdefault(claim.id, 0)
    total = sum(t.size for t in tasks)
    per_claim: dict[str, int] = {}
    for t in tasks:
        per_claim[t.claim_id] = per_claim.get(t.claim_id, 0) + t.size
    bar = Progress(per_claim, progress, desc)
    logs = ClaimLogs(log_dir, {t.claim_id for t in tasks})

    def on_rows(rows):
        store.put(rows)
        logs.write(rows)
        for r in rows:
            computed[r["claim_id"]] = computed.get(r["claim_id"], 0) + 1
        if rows:
            bar.update(rows[0]["claim_id"], len(rows))

    result = Measured(total, computed, reused)
    executor = None
    finished = False
    try:
        if tasks:
            executor = make_executor(jobs, scheduler)
            execute(tasks, executor, on_rows)
        finished = True
    except KeyboardInterrupt:
        result.interrupted = True
    finally:
        bar.close()
        if executor is not None:
            if not finished:
                stop_workers(executor)   # first: shutdown() would leave busy workers running
            try:
                executor.shutdown(wait=finished, cancel_futures=not finished)
            except TypeError:
                executor.shutdown(wait=finished)
    return result


class ClaimLogs:
    """What claims print, one file per claim (``<claim id>.log``), capped in size."""

    LIMIT = 4 * 1024 * 1024

    def __init__(self, folder: Path | None, claim_ids):
        self.folder = Path(folder) if folder else None
        self.sizes: dict[str, int] = {}
        if self.folder:
            for cid in claim_ids:   # this run's output replaces the last run's
                (self.folder / f"{cid}.log").unlink(missing_ok=True)

    def write(self, rows) -> None:
        text = rows[0].get("log") if rows and self.folder else None
        if not text:
            return
        cid = rows[0]["claim_id"]
        used = self.sizes.get(cid, 0)
        if used >= self.LIMIT:
            return
        head = f"--- {rows[0]['variant'] or 'claim'}, point {rows[0]['point_key']}, from replicate {rows[0]['replicate']}\n"
        chunk = head + text
        if used + len(chunk) > self.LIMIT:
            chunk = chunk[: self.LIMIT - used] + "\n[log truncated: more than 4 MB]\n"
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / f"{cid}.log", "a", encoding="utf-8") as fh:
            fh.write(chunk)
        self.sizes[cid] = used + len(chunk)
