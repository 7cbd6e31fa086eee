"""What became of one planned measurement, as a value: the engine's executors, the sweep
and the store's readers share it, so no layer learns a failure's kind from words."""
from __future__ import annotations

import enum


class Status(enum.StrEnum):
    """A ``StrEnum``, so ``status == "ok"`` and JSON keep working where a plain string was
    expected (results.json records the kind: ``"timeout"``, ``"died"``, ...)."""
    OK = "ok"
    ERROR = "error"        # the simulation raised or returned a bad metric: the claim's own error
    TIMEOUT = "timeout"    # past its time limit (in the worker, or the pool stopped the worker)
    DIED = "died"          # the worker process died (a signal, os._exit, out of memory)
    FAILED = "failed"      # the worker or the cluster failed (a lost Dask scheduler, a cancelled task)
    SKIPPED = "skipped"    # not started: the claim hung earlier in this run

    @property
    def infrastructure(self) -> bool:
        """A measurement that could not be made (never a verdict on the claim: incomplete)."""
        return self in INFRASTRUCTURE


INFRASTRUCTURE = frozenset({Status.TIMEOUT, Status.DIED, Status.FAILED, Status.SKIPPED})
