"""Plan a claim's sweep (grid x replicates), run it on an executor, store each batch.

Workers receive small picklable :class:`Task` objects (file path, claim id, variant,
point, replicate numbers) and re-import the claim file themselves, so the same code
runs in a local process pool or on a Dask cluster.
"""
from __future__ import annotations

import contextlib
import io
import math
import numbers
import os
import signal
import sys
import threading
import time
import traceback
from collections import OrderedDict
from concurrent.futures import FIRST_COMPLETED, CancelledError, Future, wait
from pathlib import Path
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

import numpy as np

from ..claim import Claim, grid_points  # noqa: F401 - grid_points: the sweep's old name for it
from .executors import InlineExecutor, stop_workers
from .progress import Progress, point_size
from .seeding import point_key, rng_for
from .status import Status


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
INFRASTRUCTURE_ERRORS = ("timeout:", "worker died:", "worker failed:", "not started:")


def is_infrastructure_error(message: str | None) -> bool:
    return bool(message) and message.startswith(INFRASTRUCTURE_ERRORS)


class ReplicateTimeout(BaseException):
    """A simulation outlived its time limit. A BaseException, so that a claim's own
    ``except Exception`` does not swallow it."""


class WorkerExit(BaseException):
    """A claim called os._exit in an in-process run (--jobs 1)."""


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
    pts = claim.points(profile)
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


class BadMetric(ValueError):
    """A metric that is not one finite number (NaN, inf, an array, a string, None); the
    message names the metric and the claim's function (file and line) that returned it."""


def _where(fn: Callable | None) -> str:
    """'name at file.py:line' of a claim's function (through functools.partial)."""
    while hasattr(fn, "func"):   # functools.partial(simulate, flag=...): name the function itself
        fn = fn.func
    code = getattr(fn, "__code__", None)
    if code is None:
        return getattr(fn, "__name__", "?")
    return f"{getattr(fn, '__name__', '?')} at {code.co_filename.rsplit('/', 1)[-1]}:{code.co_firstlineno}"


def _is_number(v: Any) -> bool:
    if isinstance(v, np.ndarray):
        return v.ndim == 0 and v.dtype.kind in "biuf"
    if isinstance(v, np.generic):
        return v.dtype.kind in "biuf"
    return isinstance(v, numbers.Real)


def _clean_metrics(out: Any, claim: Claim | None = None, source: Callable | None = None) -> dict[str, float]:
    """Keep scalar metrics; a NaN, inf or non-number is an error that names the metric
    and the function that returned it (``source``, or the claim's reducer of that name),
    so a broken simulation is an error at the user's line, not data. Arrays are inputs
    of reducers and are not stored, unless a rate needs them as its number."""
    _require_dict(out)
    reducers = (claim.reducers or {}) if claim is not None else {}
    needed = {x for r in (claim.rates if claim is not None else ()) for x in (r.metric, r.floor_metric) if x}
    clean = {}
    for k, v in out.items():
        who = f"reducer {_where(reducers[k])}" if k in reducers else (f"simulate ({_where(source)})" if source else "simulate")
        if np.ndim(v) != 0 and not isinstance(v, (str, bytes)):
            if k in needed:
                raise BadMetric(f"metric {k!r} is an array of shape {np.shape(v)}, not a number "
                                f"(a reducer turns arrays into numbers), returned by {who}")
            continue  # arrays are inputs of reducers, not stored
        if not _is_number(v):
            raise BadMetric(f"metric {k!r} = {str(v)[:40]!r} is not a number ({type(v).__name__}), returned by {who}")
        x = float(v)
        if not math.isfinite(x):
            raise BadMetric(f"metric {k!r} is {x}, returned by {who}")
        clean[str(k)] = x
    if not clean:
        raise BadMetric(f"simulate ({_where(source)}) returned no scalar metric" if source
                        else "simulate returned no scalar metric")
    return clean


class BadReturn(TypeError):
    """simulate returned something other than a dict; the message names the function."""


def _require_dict(out: Any, fn: Callable | None = None) -> None:
    if not isinstance(out, Mapping):
        hint = " (a missing `return`?)" if out is None else ""
        who = f"simulate ({_where(fn)})" if fn is not None else "simulate"
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
        base_p = dict(base, point_key=point_key(point))
        if any(is_timeout(r["error"]) for r in rows):   # the claim hangs: the task's later points are not started
            rows += [dict(base_p, replicate=r, status="error", metrics=None, seconds=0.0,
                          error=not_started(task, _first_timeout(rows))) for r in task.replicates]
            continue
        rows += _run_point(claim, simulate, simulate_batch, task, point, base_p)
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
    their references if the claim has one. After a timeout the point's remaining
    replicates are not started: a claim that hung once would hang again."""
    seed_point = None if task.common_random_numbers else point
    reps = [r for r in task.replicates if task.wanted(base["point_key"], r) or simulate_batch is not None]
    rngs = [rng_for(task.claim_id, seed_point, r, task.master_seed) for r in reps]
    rows = []
    limit = task.timeout
    refs = None
    source = simulate
    if simulate_batch is not None:
        source = simulate_batch
        t0 = time.perf_counter()
        try:
            with time_limit(limit * len(rngs) if limit else None):
                refs = _references(claim, task, point, seed_point, reps)
                outs = list(simulate_batch(point, rngs) if refs is None else simulate_batch(point, rngs, refs))
            for o in outs:
                _require_dict(o, simulate_batch)
            if len(outs) != len(rngs):
                raise ValueError(f"simulate_batch returned {len(outs)} results for {len(rngs)} replicates")
            cleaned = [_clean_metrics(_apply_reducers(claim, o, point), claim, simulate_batch) for o in outs]
            dt = (time.perf_counter() - t0) / len(rngs)
            return [dict(base, replicate=r, status="ok", metrics=m, error=None, seconds=dt)
                    for r, m in zip(reps, cleaned)]
        except BaseException as exc:  # noqa: BLE001 - fall back to one replicate at a time to locate the error
            if isinstance(exc, KeyboardInterrupt):
                raise
            if isinstance(exc, ReplicateTimeout):   # re-running replicate by replicate would time out again
                msg = (f"timeout: simulate_batch gave no result within {limit * len(rngs):g} s "
                       f"({limit:g} s per replicate; {_hung_at(exc, task)}): claim {task.claim_id}"
                       + (f" (mutant {task.variant})" if task.variant else "")
                       + f", point {point_key(point)}, replicates {reps[0]}-{reps[-1]}")
                return [dict(base, replicate=r, status="error", metrics=None, error=msg, seconds=limit)
                        for r in reps]
            rngs = [rng_for(task.claim_id, seed_point, r, task.master_seed) for r in reps]
            simulate = (lambda p, g, *ref, _b=simulate_batch: _b(p, [g], *([x] for x in ref))[0])
    hung = None     # the first timeout at this point
    for r, rng in zip(reps, rngs):
        if hung:
            rows.append(dict(base, replicate=r, status="error", metrics=None, seconds=0.0,
                             error=not_started(task, hung)))
            continue
        t0 = time.perf_counter()
        try:
            with np.errstate(all="ignore"), time_limit(limit):
                ref = _references(claim, task, point, seed_point, [r])
                out = _checked(simulate)(point, rng) if ref is None else _checked(simulate)(point, rng, ref[0])
                metrics = _clean_metrics(_apply_reducers(claim, out, point), claim, source)
            rows.append(dict(base, replicate=r, status="ok", metrics=metrics, error=None,
                             seconds=time.perf_counter() - t0))
        except BaseException as exc:  # noqa: BLE001
            if isinstance(exc, KeyboardInterrupt):
                raise
            rows.append(dict(base, replicate=r, status="error", metrics=None,
                             error=_error_message(exc, task, point, r), seconds=time.perf_counter() - t0))
            if isinstance(exc, ReplicateTimeout):
                hung = rows[-1]["error"]
    return rows


def is_timeout(message: str | None) -> bool:
    return bool(message) and message.startswith("timeout:")


def _first_timeout(rows) -> str:
    return next(r["error"] for r in rows if is_timeout(r["error"]))


def not_started(task: Task, cause: str) -> str:
    """The error of a measurement not started because its claim (or mutant) already
    timed out in this run: a hung simulate would only hang again."""
    who = f"claim {task.claim_id}" + (f" (mutant {task.variant})" if task.variant else "")
    return f"not started: {who} timed out earlier in this run ({cause.split(': ', 1)[-1][:300]})"


_ENGINE = str(Path(__file__).resolve().parent)


def _library_paths() -> tuple[str, ...]:
    import sysconfig

    paths = {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    return tuple(str(Path(p).resolve()) for p in paths if p)


def _claim_frame(frames, claim_file: str | None = None):
    """The innermost frame in the claim's own code: its file or folder (sibling helpers,
    even where the folder is an installed package) or the project's helpers (outside
    claimcheck's engine, the standard library and installed packages); else the
    innermost frame outside the engine; else the innermost."""
    resolved = [(f, str(Path(f.filename).resolve())) for f in frames]
    folder = str(Path(claim_file).resolve().parent) if claim_file else None
    libs = _library_paths()
    tiers = [
        [f for f, p in resolved if (folder and p.startswith(folder + "/"))
         or not (p.startswith(_ENGINE) or p.startswith(libs) or f.filename.startswith("<"))],
        [f for f, p in resolved if not p.startswith(_ENGINE)],
        [f for f, _ in resolved],
    ]
    return next((t[-1] for t in tiers if t), None)


def _user_frame(exc: BaseException, claim_file: str | None = None):
    """The innermost traceback frame in the claim's own code (see _claim_frame)."""
    return _claim_frame(traceback.extract_tb(exc.__traceback__), claim_file)


def _hung_at(exc: BaseException, task: Task) -> str:
    """'hung in simulate at toy.py:12': where the time limit interrupted the claim."""
    frame = _user_frame(exc, task.claim_file)
    if frame is None or str(Path(frame.filename).resolve()).startswith(_ENGINE):
        return "hung where no Python frame of the claim was running"
    return f"hung in {frame.name} at {frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}"


def _error_message(exc: BaseException, task: Task, point: dict, replicate: int) -> str:
    where_run = f"claim {task.claim_id}" + (f" (mutant {task.variant})" if task.variant else "")
    where_run += f", point {point_key(point)}, replicate {replicate}"
    if isinstance(exc, ReplicateTimeout):
        return f"timeout: no result within {task.timeout:g} s ({_hung_at(exc, task)}): {where_run}"
    frame = None if isinstance(exc, (BadReturn, BadMetric)) else _user_frame(exc, task.claim_file)
    at = f" at {frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}" if frame else ""
    if isinstance(exc, WorkerExit):
        return f"worker died: {exc}{at}: {where_run}"
    kind = "" if isinstance(exc, BadMetric) else f"{type(exc).__name__}: "
    return f"{kind}{exc}{at} (point {point_key(point)}, replicate {replicate})"


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
        failure = Failure(Status.FAILED, error=failure)
    if failure.kind is Status.TIMEOUT:
        hung = ""
        if failure.stack:
            from .executors import stack_frames

            frame = _claim_frame([traceback.FrameSummary(f, n, name) for f, n, name in stack_frames(failure.stack)],
                                 task.claim_file)
            if frame is not None and not str(Path(frame.filename).resolve()).startswith(_ENGINE):
                hung = f"; hung in {frame.name} at {frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}"
        return (f"timeout: no result within {failure.seconds:g} s ({task.timeout:g} s per replicate; "
                f"the worker was stopped{hung}): {task.where()}")
    if failure.kind is Status.DIED:
        code = failure.exitcode
        cause = (f"killed by signal {signal.Signals(-code).name}" if isinstance(code, int) and code < 0
                 else "exit code unknown" if code is None else f"exit code {code}")
        hint = " (out of memory?)" if code == -signal.SIGKILL else ""
        return f"worker died: {cause}{hint} while running {task.where()}"
    exc = failure.error
    if isinstance(exc, CancelledError):
        return f"worker failed: the task was cancelled (the Dask scheduler or its worker was lost) while running {task.where()}"
    return f"worker failed: {type(exc).__name__}: {exc} while running {task.where()}"


class _Hangs:
    """Which claims (and mutants) timed out in this run: their remaining tasks are not
    started. A simulate that hung once hangs again; before, every one of a claim's 160
    replicates waited out its own limit (28.9 min at --timeout 20 --jobs 2)."""

    def __init__(self):
        self.first: dict[tuple[str, str], str] = {}

    def saw(self, rows) -> None:
        for r in rows:
            if is_timeout(r.get("error")):
                self.first.setdefault((r["claim_id"], r["variant"]), r["error"])

    def stops(self, task: Task) -> bool:
        return (task.claim_id, task.variant) in self.first

    def rows(self, task: Task) -> list[dict]:
        return _failed_rows(task, not_started(task, self.first[(task.claim_id, task.variant)]))


def execute(tasks: list[Task], executor, on_rows: Callable[[list[dict]], None],
            progress: Callable[[int], None] | None = None) -> None:
    """Submit every task; hand each finished batch to ``on_rows`` (which stores it).

    After a task of a claim (or mutant) timed out, its tasks not yet started are not
    started (their rows say "not started:"; the claim is incomplete). On
    KeyboardInterrupt the pending tasks are cancelled and the interrupt re-raised;
    batches already handed over stay stored.
    """
    if not tasks:
        return
    hangs = _Hangs()

    def hand_over(task, rows):
        hangs.saw(rows)
        on_rows(rows)
        if progress:
            progress(task.size)

    if isinstance(executor, InlineExecutor):
        # in-process: run and hand over task by task (submitting all first would run every
        # task before the first is stored, and an interrupted run would keep nothing)
        with _exit_is_an_error():
            for task in tasks:
                hand_over(task, hangs.rows(task) if hangs.stops(task) else run_task(task))
        return
    if hasattr(executor, "run_tasks"):   # the local pool: dead workers and hard time limits handled
        for task, rows, failure in executor.run_tasks(run_task, tasks, _hard_limit, skip=hangs.stops):
            if failure is not None and failure.kind is Status.SKIPPED:
                rows = hangs.rows(task)
            elif failure is not None:
                rows = _failed_rows(task, _failure_message(failure, task))
            hand_over(task, rows)
        return
    futures: dict[Future, Task] = {executor.submit(run_task, t): t for t in tasks}
    abandoned: set = set()
    try:
        for fut in _as_completed(futures, executor, abandoned=abandoned):
            task = futures[fut]
            if fut.cancelled() and hangs.stops(task):
                hand_over(task, hangs.rows(task))
                continue
            if fut in abandoned:
                hand_over(task, _failed_rows(task, f"worker failed: the Dask scheduler was lost (no result "
                                                   f"{LOST_AFTER:g} s after the client lost it) while running "
                                                   f"{task.where()}"))
                continue
            try:
                rows = fut.result()
            except BaseException as exc:  # noqa: BLE001 - the worker died or the cluster failed
                if isinstance(exc, KeyboardInterrupt):
                    raise
                rows = _failed_rows(task, _failure_message(exc, task))
            hand_over(task, rows)
            if hangs.stops(task):      # cancel what has not started of the claim that hung
                for f, t in futures.items():
                    if not f.done() and (t.claim_id, t.variant) == (task.claim_id, task.variant):
                        f.cancel()
    except BaseException:
        for f in futures:
            f.cancel()
        raise


LOST_AFTER = 30.0   # seconds without a result from a client that lost its scheduler before its tasks are given up


def _as_completed(futures, executor, poll: float = 1.0, lost_after: float = LOST_AFTER, abandoned: set | None = None):
    """as_completed for a cluster's futures, which can wait forever, in silence:

    - a Dask scheduler without workers: said once on stderr after a while
      (executors.no_workers_after()); the run keeps waiting (a worker that joins later
      runs the tasks; Ctrl-C stops it);
    - a lost scheduler leaves some futures unresolved for ever (seen 1 run in 10 under
      load): when the client has not been connected for ``lost_after`` seconds without
      a result, the futures still pending are yielded too, added to ``abandoned``."""
    from .executors import no_workers_after, no_workers_line

    workers = getattr(executor, "workers", None)
    connected = getattr(executor, "connected", None)
    after = no_workers_after()
    pending = set(futures)
    idle_since = lost_since = time.monotonic()
    said = False
    while pending:
        done, pending = wait(pending, timeout=poll, return_when=FIRST_COMPLETED)
        now = time.monotonic()
        if done:
            idle_since = lost_since = now
            yield from done
            continue
        if callable(connected) and connected():
            lost_since = now
        elif callable(connected) and now - lost_since >= lost_after:
            if abandoned is not None:
                abandoned.update(pending)
            yield from list(pending)
            return
        if callable(workers) and not said and now - idle_since >= after:
            if workers() == 0:
                said = True
                print(no_workers_line(getattr(executor, "address", "?"), now - idle_since), file=sys.stderr,
                      flush=True)
            else:
                idle_since = now      # busy (or cannot be told): ask again after another while


@dataclass
class Measured:
    """What :func:`measure` did: counts per claim id (made apart from failed), and whether
    Ctrl-C stopped it."""

    total: int
    computed: dict               # measurements made (status ok) per claim id
    reused: dict
    interrupted: bool = False
    failed: dict = field(default_factory=dict)   # tasks' rows that could not be made or errored, per claim id


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
    bar = Progress(per_claim, progress, desc, **_planned(tasks))
    logs = ClaimLogs(log_dir, {t.claim_id for t in tasks})
    failed: dict[str, int] = {}

    def on_rows(rows):
        store.put(rows)
        logs.write(rows)
        for r in rows:
            counts = computed if r["status"] == "ok" else failed
            counts[r["claim_id"]] = counts.get(r["claim_id"], 0) + 1
        bar.rows(rows)

    result = Measured(total, computed, reused, failed=failed)
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


def _planned(tasks: list[Task]) -> dict:
    """What the progress ETA weighs: replicates to measure per (claim, point) and each
    point's size (a task's cost grows with its point)."""
    plan: dict[tuple[str, str], int] = {}
    scale: dict[tuple[str, str], float] = {}
    for t in tasks:
        for p in t.point_dicts():
            key = (t.claim_id, point_key(p))
            plan[key] = plan.get(key, 0) + sum(1 for r in t.kept if t.wanted(key[1], r))
            scale[key] = point_size(p)
    return {"plan": plan, "scale": scale}


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
