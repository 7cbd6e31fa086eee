"""Calibration records as data next to the claim, not numbers in its source.

``claimcheck calibrate ID --record`` measures a claim under many master seeds (false-fail
rate, exponent spread, mutant catch rates). The record is written to
``<claim file stem>.calibration.json`` beside the claim file, keyed by claim id and
profile, together with the claim version it was measured at. So the claim file reads
like the theorem, recording never edits it, and a record is *stale* as soon as the
claim's version moves (``check-claim`` says so; the report shows the record with its
status).
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from ..claim import Claim

SCHEMA = 1
REQUIRED_KEYS = ("seeds", "false_fail_rate")


def record_path(claim_file: str | Path | None) -> Path | None:
    if not claim_file:
        return None
    f = Path(claim_file)
    return f.with_name(f.stem + ".calibration.json")


def _read(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"schema": SCHEMA, "claims": {}}
    if not isinstance(data, dict) or not isinstance(data.get("claims"), dict):
        raise ValueError(f"{path}: not a calibration record file (expected {{'schema': 1, 'claims': {{...}}}})")
    return data


def save_record(claim_file: str | Path, claim_id: str, profile: str, record: dict, version: str) -> Path:
    """Write ``record`` (measured at claim ``version``) for the claim and ``profile``;
    other claims' and profiles' records in the file are kept. Written atomically."""
    path = record_path(claim_file)
    if path is None:
        raise ValueError(f"claim {claim_id} has no file to record its calibration beside")
    data = _read(path)
    data["schema"] = SCHEMA
    data["claims"].setdefault(claim_id, {})[profile] = dict(record, claim_version=version)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, sort_keys=True, default=str)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_record(claim: Claim, profile: str = "quick") -> dict | None:
    """The stored record of ``claim`` at ``profile`` (with its ``claim_version``), or
    None. A claim that still carries ``calibration=`` in its source (the old way) has
    that record, without a version."""
    path = record_path(claim.module_file)
    if path is not None:
        try:
            rec = _read(path)["claims"].get(claim.id, {}).get(profile)
        except ValueError:
            rec = None
        if rec:
            return rec
    return dict(claim.calibration) if claim.calibration else None


def status(claim: Claim, profile: str = "quick", version: str | None = None) -> tuple[str, dict | None]:
    """("missing" | "stale" | "current" | "unversioned", record): stale when the
    record was measured at another claim version than today's."""
    rec = load_record(claim, profile)
    if not rec:
        return "missing", None
    measured_at = rec.get("claim_version")
    if measured_at is None:
        return "unversioned", rec
    if version is None:
        from ..engine.versioning import claim_version

        version = claim_version(claim)
    return ("current" if measured_at == version else "stale"), rec
