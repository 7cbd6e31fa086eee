"""Plan a claim's sweep (grid x replicates), run it on an executor, store each batch.

Workers receive small picklable :class:`Task` objects (file path, claim id, variant,
point, replicate numbers) and re-import the claim file themselves, so the same code
runs in a local process pool or on a Dask cluster.
"""
from __future__ import annotations

import itertools
import math
import time
import traceback
from concurrent.futures import Future, as_completed
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

import numpy as np

from .claim import Claim
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

    def point_dicts(self) -> list[dict]:
        return [dict(p) for p in self.points]

    @property
    def kept(self) -> tuple[int, ...]:
        return self.keep or self.replicates

    @property
    def size(self) -> int:
        return len(self.points) * len(self.kept)


def grid_points(grid: Mapping[str, Iterable[Any]]) -> list[dict]:
    axes = list(grid)
    return [dict(zip(axes, combo)) for combo in itertools.product(*(list(grid[a]) for a in axes))]


def plan(claim: Claim, version: str, variant: str, profile: str, master_seed: int,
         done: set[tuple[str, int]] = frozenset()) -> list[Task]:
    """Tasks for every (point, replicate) not already in ``done``.

    Default (``claim.group_by == "point"``): one grid point per task, one batch of
    replicates ``[k*batch_size, (k+1)*batch_size)``. Batches are aligned so that a
    resumed run gives each replicate the same batch-mates as an uninterrupted one: a
    batch with stored members is recomputed whole and only its missing rows are kept,
    which keeps a vectorised simulate_batch bit-identical across resumes (the
    reproducibility contract). ``group_by == "replicate"``: one replicate per task with *every* grid
    point it still lacks, so that an expensive computation the replicate shares across
    the grid (a reference run under common random numbers) is done once, in one worker.
    """
    n_rep = claim.n_replicates(profile)
    size = max(1, int(claim.batch_size))
    pts = grid_points(claim.grid(profile))

    def task(points, reps, keep=()):
        return Task(claim.module_file or "", claim.id, version, variant,
                    tuple(tuple(sorted(p.items())) for p in points), tuple(reps), int(master_seed),
                    bool(claim.common_random_numbers), tuple(keep))

    tasks = []
    if claim.group_by == "replicate":
        for r in range(n_rep):
            todo = [p for p in pts if (point_key(p), r) not in done]
            if todo:
                tasks.append(task(todo, [r]))
        return tasks
    for point in pts:
        pkey = point_key(point)
        for start in range(0, n_rep, size):
            batch = list(range(start, min(start + size, n_rep)))
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
    if not isinstance(out, Mapping):
        raise TypeError(f"simulate must return a dict of metrics, got {type(out).__name__}")
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


def _apply_reducers(claim: Claim, out: Mapping[str, Any], point: Mapping[str, Any]) -> dict:
    out = dict(out)
    for name, fn in (claim.reducers or {}).items():
        out[name] = fn(out, point)
    return out


def run_task(task: Task) -> list[dict]:
    """Run one task in a worker. Never raises: failures become error rows."""
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
                for p in task.point_dicts() for r in task.kept]
    rows = []
    for point in task.point_dicts():
        rows += _run_point(claim, simulate, simulate_batch, task, point, dict(base, point_key=point_key(point)))
    if task.keep:
        keep = set(task.keep)
        rows = [r for r in rows if r["replicate"] in keep]
    return rows


def _run_point(claim: Claim, simulate, simulate_batch, task: Task, point: dict, base: dict) -> list[dict]:
    """The task's replicates at one grid point (batched if the claim vectorises)."""
    seed_point = None if task.common_random_numbers else point
    rngs = [rng_for(task.claim_id, seed_point, r, task.master_seed) for r in task.replicates]
    rows = []
    if simulate_batch is not None:
        t0 = time.perf_counter()
        try:
            outs = list(simulate_batch(point, rngs))
            if len(outs) != len(rngs):
                raise ValueError(f"simulate_batch returned {len(outs)} results for {len(rngs)} replicates")
            cleaned = [_clean_metrics(_apply_reducers(claim, o, point)) for o in outs]
            dt = (time.perf_counter() - t0) / len(rngs)
            return [dict(base, replicate=r, status="ok", metrics=m, error=None, seconds=dt)
                    for r, m in zip(task.replicates, cleaned)]
        except BaseException as exc:  # noqa: BLE001 - fall back to one replicate at a time to locate the error
            if isinstance(exc, KeyboardInterrupt):
                raise
            rngs = [rng_for(task.claim_id, seed_point, r, task.master_seed) for r in task.replicates]
            simulate = (lambda p, g, _b=simulate_batch: _b(p, [g])[0])
    for r, rng in zip(task.replicates, rngs):
        t0 = time.perf_counter()
        try:
            with np.errstate(all="ignore"):
                metrics = _clean_metrics(_apply_reducers(claim, simulate(point, rng), point))
            rows.append(dict(base, replicate=r, status="ok", metrics=metrics, error=None,
                             seconds=time.perf_counter() - t0))
        except BaseException as exc:  # noqa: BLE001
            if isinstance(exc, KeyboardInterrupt):
                raise
            tb = traceback.extract_tb(exc.__traceback__)
            where = f" at {tb[-1].filename.rsplit('/', 1)[-1]}:{tb[-1].lineno}" if tb else ""
            rows.append(dict(base, replicate=r, status="error", metrics=None,
                             error=f"{type(exc).__name__}: {exc}{where} (point {point_key(point)}, replicate {r})",
                             seconds=time.perf_counter() - t0))
    return rows


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
        for task in tasks:
            on_rows(run_task(task))
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
                rows = [{"claim_version": task.claim_version, "claim_id": task.claim_id, "variant": task.variant,
                         "point_key": point_key(p), "master_seed": task.master_seed, "replicate": r,
                         "status": "error", "metrics": None, "seconds": 0.0,
                         "error": f"worker failed: {type(exc).__name__}: {exc}"}
                        for p in task.point_dicts() for r in task.kept]
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


def _progress_bar(total: int, enabled: bool, desc: str):
    if not enabled or total == 0:
        return None
    try:
        import sys

        from tqdm import tqdm
    except ImportError:  # tqdm is a core dependency, but stay usable without it
        return None
    return tqdm(total=total, unit="rep", desc=desc, file=sys.stderr, disable=None, smoothing=0.1)


def measure(store, items, profile: str, *, jobs: int | None = None, scheduler: str | None = None,
            progress: bool = False, desc: str = "measuring") -> Measured:
    """Measure every ``(claim, version, variant, master_seed)`` in ``items`` that the
    store does not hold yet, on one executor, storing each batch as it arrives.

    Ctrl-C stops it (``interrupted=True``); what was stored stays, a re-run resumes.
    An unreachable scheduler raises executors.SchedulerError before anything runs.
    """
    from .executors import make_executor

    tasks, reused, computed = [], {}, {}
    for claim, version, variant, seed in items:
        done = store.done_keys(version, variant, seed)
        tasks.extend(plan(claim, version, variant, profile, seed, done))
        reused[(claim.id, variant, seed)] = len(done)
        computed.setdefault(claim.id, 0)
    total = sum(t.size for t in tasks)
    bar = _progress_bar(total, progress, desc)

    def on_rows(rows):
        store.put(rows)
        for r in rows:
            computed[r["claim_id"]] = computed.get(r["claim_id"], 0) + 1

    result = Measured(total, computed, reused)
    executor = None
    try:
        if tasks:
            executor = make_executor(jobs, scheduler)
            execute(tasks, executor, on_rows, progress=(bar.update if bar else None))
    except KeyboardInterrupt:
        result.interrupted = True
    finally:
        if bar:
            bar.close()
        if executor is not None:
            try:
                executor.shutdown(wait=not result.interrupted, cancel_futures=True)
            except TypeError:
                executor.shutdown(wait=not result.interrupted)
            if result.interrupted:
                stop_workers(executor)
    return result
