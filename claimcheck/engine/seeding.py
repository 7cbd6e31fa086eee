"""Seeds that depend only on *what* is computed, never on when or where.

Each (claim id, grid point, replicate, master seed) gets its own
``numpy.random.SeedSequence``; results are identical whatever the worker count,
batch size or execution order.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, Mapping

import numpy as np


def stable_hash32(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")


def point_key(point: Mapping[str, Any]) -> str:
    """Canonical text of a grid point, used in seeds and as the store key."""
    return json.dumps({k: point[k] for k in sorted(point)}, sort_keys=True, default=float)


def seed_sequence(claim_id: str, point: Mapping[str, Any] | None, replicate: int, master_seed: int) -> np.random.SeedSequence:
    """The seed of one replicate. ``point=None`` gives common random numbers:
    replicate r draws the same numbers at every grid point."""
    pkey = 0 if point is None else stable_hash32(point_key(point))
    return np.random.SeedSequence(entropy=int(master_seed), spawn_key=(stable_hash32(claim_id), pkey, int(replicate)))


def rng_for(claim_id: str, point: Mapping[str, Any] | None, replicate: int, master_seed: int) -> np.random.Generator:
    return np.random.default_rng(seed_sequence(claim_id, point, replicate, master_seed))
