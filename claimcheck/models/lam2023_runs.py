"""Shared drivers of the Lam et al. experiments: turn per-replicate Generators into
vectorised paths of the model (``claimcheck.models.lam2023``).

Every replicate is one path with its own streams (data, W, B, C), so a batch of
replicates gives exactly what the replicates would give one at a time, and the
first N units / K steps of a draw are the same at every grid point (nested draws).
"""
from __future__ import annotations

import numpy as np

from . import lam2023 as L


def untrained_setup(rngs, n: int, steps: int, *, no_memory: bool = False, weight_pool: int | None = None,
                    uniform_weights: bool = False, frozen_noise: bool = False, noise_offset: float = 0.0,
                    a_mat=L.A_MAT):
    """(streams, Z (P, steps+1, 2), W (P, N), B (P, N)) for one path per Generator.

    ``no_memory``: the authors' control B = 0 (each unit is sigma(W^i X_k), no recurrence).

    Negative-control switches: ``weight_pool`` = units share that many weight values
    (each unit picks one at random); ``uniform_weights`` = W ~ U(-sqrt 3, sqrt 3)
    (variance 1, wrong law); ``frozen_noise`` = the chain reuses U_1 forever; ``noise_offset`` = U shifted;
    ``a_mat`` = another chain matrix."""
    st = [L.streams(r) for r in rngs]
    Z = L.data_paths([s.data for s in st], steps, a_mat=a_mat, frozen_noise=frozen_noise,
                     noise_offset=noise_offset)
    if weight_pool:
        W = np.stack([s.w.standard_normal(weight_pool)[s.extra.integers(0, weight_pool, n)] for s in st])
    elif uniform_weights:
        W = np.stack([s.w.uniform(-np.sqrt(3), np.sqrt(3), n) for s in st])
    else:
        W = np.stack([L.draw_weights(s.w, n) for s in st])
    B = np.stack([L.draw_b(s.b, n) for s in st])
    if no_memory:
        B = np.zeros_like(B)
    return st, Z, W, B


def trained_setup(rngs, n: int, cfg: L.TrainConfig, *, c_scale: float = 1.0, no_memory: bool = False):
    """(Z, W, B, C) for one trained path per Generator: data for N T + 1 steps, the first
    N units of each path's parameter streams (nested across N). ``c_scale`` multiplies C
    (a negative-control switch: the paper's C has unit variance); ``no_memory``: B = 0.
    The untrained control is ``lam2023.memory_run`` (or alpha = 0)."""
    st = [L.streams(r) for r in rngs]
    steps = int(round(n * cfg.T))
    Z = L.data_paths([s.data for s in st], steps + 1)
    W, B, C = L.draw_network(st, n)
    if no_memory:
        B = np.zeros_like(B)
    return Z, W, B, C * c_scale


def network_function(C: np.ndarray, W: np.ndarray, x: np.ndarray, m: np.ndarray, scale: float) -> np.ndarray:
    """g(xi_j) = scale sum_i C^i sigma(W^i x_j + m_j) per path (P, J), memory frozen at m_j."""
    out = np.empty((C.shape[0], x.size))
    for j in range(x.size):           # J test states; O(P N) each
        out[:, j] = scale * np.einsum("pn,pn->p", C, L.sigmoid(W * x[j] + m[j]))
    return out
