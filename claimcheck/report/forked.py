"""Per-claim output work (the claims' figures, the claim pages) in forked processes.

Why: after the measurements, figures and pages are drawn one claim after another on one
core while the others idle: in the README main job (2 cores) that was ~22 of its 120 s.
Forked children inherit the run's results, so nothing large is pickled: only an index goes
in and each claim's small answer comes back. Where fork is not available (Windows) or with
one job or one item, the work runs in this process; what a dead child left undone goes to a
fresh pool, and after a second death to this process. So the outputs never depend on the
pool: they are the same bytes either way (the SVGs are salted per claim, not per process).
"""
from __future__ import annotations

import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Sequence

_WORK: tuple[Callable[[Any], Any], Sequence[Any]] | None = None   # what forked children inherit


def portable(value: Any) -> Any:
    """``value`` if it pickles and unpickles, else an exception made plain (a claim's
    exception class may not rebuild in the parent: that would break the pool)."""
    try:
        pickle.loads(pickle.dumps(value))
        return value
    except Exception:  # noqa: BLE001 - any pickling failure
        if isinstance(value, BaseException):
            return RuntimeError(f"{type(value).__name__}: {value}")
        raise


def _call(i: int) -> Any:
    fn, items = _WORK
    return portable(fn(items[i]))


def fork_map(fn: Callable[[Any], Any], items: Sequence[Any], jobs: int) -> list:
    """``[fn(x) for x in items]``, over up to ``jobs`` forked processes. ``fn`` must catch
    what it wants reported; an exception it raises is raised here, as in the serial loop.
    Results must pickle (exceptions that do not are turned into RuntimeErrors).

    A child that dies breaks its pool: what it left undone goes to a second pool (one death
    may be the machine's, e.g. the OOM killer's, not ``fn``'s), then to this process."""
    items = list(items)
    jobs = min(int(jobs or 1), len(items))
    if jobs < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [fn(x) for x in items]
    out: list = [None] * len(items)
    todo = list(range(len(items)))
    for _pool in range(2):
        if todo:
            todo = _in_children(fn, items, todo, min(jobs, len(todo)), out)
    for i in todo:
        out[i] = fn(items[i])
    return out


def _in_children(fn: Callable[[Any], Any], items: list, todo: list[int], jobs: int, out: list) -> list[int]:
    """Items ``todo`` in one pool of forked children, their results into ``out``; returns
    those a dead child left undone."""
    global _WORK
    left: list[int] = []
    _WORK = (fn, items)
    try:
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            futures = {}
            for i in todo:
                try:
                    futures[i] = pool.submit(_call, i)
                except BrokenProcessPool:          # a child died while the work was handed out
                    left.append(i)
            for i, f in futures.items():
                try:
                    out[i] = f.result()
                except BrokenProcessPool:
                    left.append(i)
    finally:
        _WORK = None
    return sorted(left)
