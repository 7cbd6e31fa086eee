"""SQLite store of measurements, runs and verdicts.

One row per (claim version, variant, grid point, replicate, master seed), committed
as soon as its batch returns, so a killed run loses at most the batches in flight
and a re-run computes only what is missing. Rows with an error are kept for the
report but retried on the next run.

:meth:`Store.measurements` hands the stored rows out as typed
:class:`~claimcheck.engine.measurement.Measurement` values (the schema and the stored
bytes are as they always were: a failure's kind is read from its message there).
"""
from __future__ import annotations

import functools
import json
import os
import socket
import sqlite3
import time
from pathlib import Path
from typing import Iterable

from .measurement import Measurement

DEFAULT_STORE = Path("reports") / "claimcheck.sqlite"   # the one default, for every command

SCHEMA = """
CREATE TABLE IF NOT EXISTS measurements (
    claim_version TEXT NOT NULL,
    claim_id      TEXT NOT NULL,
    variant       TEXT NOT NULL,
    point_key     TEXT NOT NULL,
    replicate     INTEGER NOT NULL,
    master_seed   INTEGER NOT NULL,
    status        TEXT NOT NULL,
    metrics       TEXT,
    error         TEXT,
    seconds       REAL,
    created       REAL,
    PRIMARY KEY (claim_version, variant, point_key, replicate, master_seed)
);
CREATE TABLE IF NOT EXISTS runs (
    run_id      TEXT PRIMARY KEY,
    started     REAL,
    finished    REAL,
    profile     TEXT,
    master_seed INTEGER,
    status      TEXT,
    provenance  TEXT
);
CREATE TABLE IF NOT EXISTS verdicts (
    run_id        TEXT NOT NULL,
    claim_id      TEXT NOT NULL,
    claim_version TEXT,
    result        TEXT NOT NULL,
    PRIMARY KEY (run_id, claim_id)
);
"""


class StoreError(RuntimeError):
    """The store cannot be used (corrupt, read-only, disk full): one line with the
    cause and how to recover. Never a verdict: the run is incomplete (exit 3)."""


def explain(exc: BaseException, path: Path) -> str:
    """One line for a storage failure, with a recovery hint."""
    text = str(exc)
    low = text.lower()
    if "full" in low or getattr(exc, "errno", None) == 28:
        return (f"disk full while writing {path} ({text}): free some space (or use --store/--out on another disk) "
                f"and run again; what was stored is kept and the run resumes")
    if "readonly" in low or "read-only" in low or "permission" in low or getattr(exc, "errno", None) in (1, 13, 30):
        return (f"cannot write {path} ({text}): make it writable, or choose another location with --store PATH "
                f"(or --out DIR)")
    if "not a database" in low or "malformed" in low or "corrupt" in low:
        return (f"the store {path} is corrupt ({text}): move it aside (mv {path} {path}.corrupt) and run again "
                f"to recompute, or restore a backup")
    if "unable to open" in low:
        return f"cannot open the store {path} ({text}): check that its folder exists and is writable, or use --store PATH"
    return f"store {path}: {type(exc).__name__}: {text}"


def _storage_errors(method):
    """sqlite and OS errors of a store method become a one-line StoreError."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except (sqlite3.DatabaseError, OSError) as exc:
            raise StoreError(explain(exc, self.path)) from exc
    return wrapper


class Store:
    @_storage_errors
    def __init__(self, path: str | Path, check: bool = True):
        """Open (or create) a store. ``check``: run ``PRAGMA quick_check`` and take a
        write lock once, so that a corrupt page or a read-only file is a one-line error
        before anything is computed, not after (or never, when the pages touched are intact)."""
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(self.path), timeout=60)
        if check:
            problems = [row[0] for row in self.db.execute("PRAGMA quick_check")]
            if problems != ["ok"]:
                self.db.close()
                raise sqlite3.DatabaseError(f"database disk image is malformed: {problems[0]}")
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        self.db.commit()
        if check:
            self.db.execute("BEGIN IMMEDIATE")   # fails now on a read-only file or folder
            self.db.rollback()

    def close(self) -> None:
        self.db.close()

    # -- measurements --------------------------------------------------------------
    def done_keys(self, version: str, variant: str, master_seed: int) -> set[tuple[str, int]]:
        cur = self.db.execute(
            "SELECT point_key, replicate FROM measurements WHERE claim_version=? AND variant=? AND master_seed=? AND status='ok'",
            (version, variant, master_seed),
        )
        return {(p, int(r)) for p, r in cur}

    @_storage_errors
    def put(self, rows: Iterable[dict]) -> None:
        now = time.time()
        self.db.executemany(
            "INSERT OR REPLACE INTO measurements VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [
                (r["claim_version"], r["claim_id"], r["variant"], r["point_key"], r["replicate"], r["master_seed"],
                 r["status"], json.dumps(r.get("metrics")), r.get("error"), r.get("seconds"), now)
                for r in rows
            ],
        )
        self.db.commit()

    def measurements(self, version: str, variant: str, master_seed: int) -> list[Measurement]:
        """One variant's stored measurements as typed values (ordered by point key and
        replicate): ``status`` says ok, error, timeout, died, failed or skipped."""
        return [Measurement.from_row(r) for r in self.rows(version, variant, master_seed)]

    def rows(self, version: str, variant: str, master_seed: int) -> list[dict]:
        """The same rows as dicts with the stored columns (status "ok" or "error"), for
        readers not yet moved to :meth:`measurements`."""
        cur = self.db.execute(
            "SELECT point_key, replicate, status, metrics, error, seconds FROM measurements "
            "WHERE claim_version=? AND variant=? AND master_seed=? ORDER BY point_key, replicate",
            (version, variant, master_seed),
        )
        return [
            {"point_key": p, "replicate": int(r), "status": s, "metrics": json.loads(m) if m else None,
             "error": e, "seconds": sec}
            for p, r, s, m, e, sec in cur
        ]

    def count(self, version: str | None = None) -> int:
        if version is None:
            return self.db.execute("SELECT COUNT(*) FROM measurements WHERE status='ok'").fetchone()[0]
        return self.db.execute("SELECT COUNT(*) FROM measurements WHERE status='ok' AND claim_version=?", (version,)).fetchone()[0]

    # -- runs and verdicts -----------------------------------------------------------
    @_storage_errors
    def start_run(self, run_id: str, profile: str, master_seed: int, provenance: dict) -> None:
        self.db.execute("INSERT OR REPLACE INTO runs VALUES (?,?,?,?,?,?,?)",
                        (run_id, time.time(), None, profile, master_seed, "running", json.dumps(provenance, default=str)))
        self.db.commit()

    @_storage_errors
    def finish_run(self, run_id: str, status: str, provenance: dict | None = None) -> None:
        if provenance is not None:
            self.db.execute("UPDATE runs SET finished=?, status=?, provenance=? WHERE run_id=?",
                            (time.time(), status, json.dumps(provenance, default=str), run_id))
        else:
            self.db.execute("UPDATE runs SET finished=?, status=? WHERE run_id=?", (time.time(), status, run_id))
        self.db.commit()

    @_storage_errors
    def put_verdict(self, run_id: str, claim_id: str, version: str | None, result: dict) -> None:
        """Store a claim's result: ``ClaimResult.to_json(measurements=False)`` (the rows
        themselves are in the measurements table)."""
        self.db.execute("INSERT OR REPLACE INTO verdicts VALUES (?,?,?,?)",
                        (run_id, claim_id, version, json.dumps(result, default=str)))
        self.db.commit()

    def run_verdicts(self, run_id: str) -> list[tuple[str, dict]]:
        """(claim id, stored result) for every claim of one run."""
        cur = self.db.execute("SELECT claim_id, result FROM verdicts WHERE run_id=? ORDER BY claim_id", (run_id,))
        return [(cid, json.loads(res)) for cid, res in cur]

    def runs(self) -> list[dict]:
        cur = self.db.execute("SELECT run_id, started, finished, profile, master_seed, status, provenance FROM runs ORDER BY started")
        return [
            {"run_id": a, "started": b, "finished": c, "profile": d, "master_seed": e, "status": f,
             "provenance": json.loads(g) if g else {}}
            for a, b, c, d, e, f, g in cur
        ]

    def verdict_history(self, claim_id: str) -> list[dict]:
        """Every stored verdict of a claim, oldest first, with its run's provenance."""
        cur = self.db.execute(
            "SELECT v.run_id, r.started, r.profile, r.provenance, v.result FROM verdicts v JOIN runs r ON r.run_id=v.run_id "
            "WHERE v.claim_id=? ORDER BY r.started",
            (claim_id,),
        )
        return [
            {"run_id": a, "started": b, "profile": c, "provenance": json.loads(d) if d else {}, "result": json.loads(e)}
            for a, b, c, d, e in cur
        ]

    def latest_result(self, claim_id: str, version: str, profile: str, master_seed: int) -> tuple[str, dict] | None:
        """(run id, stored claim document) of the latest run that checked this version
        of a claim at this profile and seed, or None: what a report folder shows for a
        claim the last command did not select."""
        cur = self.db.execute(
            "SELECT v.run_id, v.result FROM verdicts v JOIN runs r ON r.run_id=v.run_id WHERE v.claim_id=? "
            "AND v.claim_version=? AND r.profile=? AND r.master_seed=? ORDER BY r.started DESC LIMIT 1",
            (claim_id, version, profile, master_seed))
        row = cur.fetchone()
        return (row[0], json.loads(row[1])) if row else None

    @_storage_errors
    def mark_dead_runs(self) -> list[str]:
        """Runs still "running" whose process (on this host) no longer exists (killed,
        or a claim ended the process): mark them "died" and return their ids."""
        host, dead = socket.gethostname(), []
        for run in self.runs():
            prov = run["provenance"]
            pid = prov.get("pid")
            if run["status"] != "running" or prov.get("host") != host or not isinstance(pid, int):
                continue
            try:
                os.kill(pid, 0)
                continue
            except ProcessLookupError:
                dead.append(run["run_id"])
            except PermissionError:
                continue
        for run_id in dead:
            self.db.execute("UPDATE runs SET status='died' WHERE run_id=?", (run_id,))
        self.db.commit()
        return dead

    def last_verdict(self, claim_id: str) -> dict | None:
        hist = self.verdict_history(claim_id)
        return hist[-1] if hist else None
