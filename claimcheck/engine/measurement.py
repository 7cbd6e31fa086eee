"""A stored measurement as a value: what the engine hands the stats layer.

The sweep writes a measurement that could not be made as status ``"error"`` with the
cause as the first words of its message (``"timeout:"``, ``"worker died:"``, ...). The
sweep is hashed into claim versions and the stored bytes must keep meaning what they
meant, so neither changes; instead this module is the one place that reads the kind
out of those words. :meth:`claimcheck.engine.store.Store.measurements` hands out
:class:`Measurement` values whose ``status`` says what happened, and nothing above the
engine reads a message to learn it."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Iterable

from .status import INFRASTRUCTURE, Status  # noqa: F401 - re-exported: the boundary's vocabulary
from .sweep import INFRASTRUCTURE_ERRORS

# The first words engine.sweep writes for each kind (its INFRASTRUCTURE_ERRORS, in order).
PREFIXES: dict[str, Status] = dict(zip(INFRASTRUCTURE_ERRORS, (Status.TIMEOUT, Status.DIED, Status.FAILED,
                                                               Status.SKIPPED)))


def status_of(stored: str, error: str | None) -> Status:
    """The kind of a stored row: its status column, and for an error the words the sweep
    began its message with (read here and nowhere else)."""
    if stored == Status.OK:
        return Status.OK
    for prefix, status in PREFIXES.items():
        if error and error.startswith(prefix):
            return status
    return Status.ERROR


@dataclass(frozen=True)
class Measurement:
    """One replicate at one grid point, as the store holds it, with its kind typed.
    The fields are :class:`claimcheck.stats.results.Measurement`'s (``pivot`` reads
    either); ``error`` is the message as stored, for people."""
    point: str                          # the point's key (JSON of the grid values)
    replicate: int
    status: Status
    metrics: Mapping[str, float] | None
    error: str | None = None
    seconds: float | None = None

    @property
    def ok(self) -> bool:
        return self.status is Status.OK

    @property
    def infrastructure(self) -> bool:
        return self.status.infrastructure

    @property
    def stored_status(self) -> str:
        """The status column as stored (``"ok"`` or ``"error"``)."""
        return "ok" if self.ok else "error"

    @classmethod
    def from_row(cls, row: Mapping) -> "Measurement":
        """From a row as the sweep makes it and the store's columns hold it."""
        return cls(row["point_key"], int(row["replicate"]), status_of(row["status"], row.get("error")),
                   row.get("metrics"), row.get("error"), row.get("seconds"))

    def to_row(self) -> dict:
        """The row as :meth:`claimcheck.engine.store.Store.rows` gives it (stored status)."""
        return {"point_key": self.point, "replicate": self.replicate, "status": self.stored_status,
                "metrics": self.metrics, "error": self.error, "seconds": self.seconds}


def measurements(rows: Iterable["Measurement | Mapping"]) -> list[Measurement]:
    """Typed values from typed values or store rows (dicts), for callers not yet moved
    to :meth:`~claimcheck.engine.store.Store.measurements`."""
    return [r if isinstance(r, Measurement) else Measurement.from_row(r) for r in rows]
