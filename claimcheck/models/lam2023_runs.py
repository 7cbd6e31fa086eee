"""Shared drivers of the Lam et al. experiments: turn per-replicate Generators into
vectorised paths of the model (``claimcheck.models.lam2023``).

Every replicate is one path with its own streams (data, W, B, C), so a batch of
replicates gives exactly what the replicates would give one at a time, and the
first N units / K steps of a draw are the same at every grid point (nested draws).
"""
from __future__ import annotations

import numpy as np

from . import lam2023 as L


def untrained_setup(rngs, n: int, steps: int, *, weight_pool: int | None = None,
                    uniform_weights: bool = False, frozen_noise: bool = False, a_mat=L.A_MAT):
    """(streams, Z (P, steps+1, 2), W (P, N), B (P, N)) for one path per Generator.

    Negative-control switches: ``weight_pool`` = units share that many weight values
    (each unit picks one at random); ``uniform_weights`` = W ~ U(-sqrt 3, sqrt 3)
    (variance 1, wrong law); ``frozen_noise`` = the chain reuses U_1 forever;
    ``a_mat`` = another chain matrix."""
    st = [L.streams(r) for r in rngs]
    Z = L.data_paths([s.data for s in st], steps, a_mat=a_mat, frozen_noise=frozen_noise)
    if weight_pool:
        W = np.stack([s.w.standard_normal(weight_pool)[s.extra.integers(0, weight_pool, n)] for s in st])
    elif uniform_weights:
        W = np.stack([s.w.uniform(-np.sqrt(3), np.sqrt(3), n) for s in st])
    else:
        W = np.stack([L.draw_weights(s.w, n) for s in st])
    B = np.stack([L.draw_b(s.b, n) for s in st])
    return st, Z, W, B
