"""SQLite store of measurements, runs and verdicts.

One row per (claim version, variant, grid point, replicate, master seed), committed
as soon as its batch returns, so a killed run loses at most the batches in flight
and a re-run computes only what is missing. Rows with an error are kept for the
report but retried on the next run.
"""
from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Iterable

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


class Store:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(self.path), timeout=60)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        self.db.commit()

    def close(self) -> None:
        self.db.close()

    # -- measurements --------------------------------------------------------------
    def done_keys(self, version: str, variant: str, master_seed: int) -> set[tuple[str, int]]:
        cur = self.db.execute(
            "SELECT point_key, replicate FROM measurements WHERE claim_version=? AND variant=? AND master_seed=? AND status='ok'",
            (version, variant, master_seed),
        )
        return {(p, int(r)) for p, r in cur}

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

    def rows(self, version: str, variant: str, master_seed: int) -> list[dict]:
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
    def start_run(self, run_id: str, profile: str, master_seed: int, provenance: dict) -> None:
        self.db.execute("INSERT OR REPLACE INTO runs VALUES (?,?,?,?,?,?,?)",
                        (run_id, time.time(), None, profile, master_seed, "running", json.dumps(provenance, default=str)))
        self.db.commit()

    def finish_run(self, run_id: str, status: str, provenance: dict | None = None) -> None:
        if provenance is not None:
            self.db.execute("UPDATE runs SET finished=?, status=?, provenance=? WHERE run_id=?",
                            (time.time(), status, json.dumps(provenance, default=str), run_id))
        else:
            self.db.execute("UPDATE runs SET finished=?, status=? WHERE run_id=?", (time.time(), status, run_id))
        self.db.commit()

    def put_verdict(self, run_id: str, claim_id: str, version: str | None, result: dict) -> None:
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

    def last_verdict(self, claim_id: str) -> dict | None:
        hist = self.verdict_history(claim_id)
        return hist[-1] if hist else None
