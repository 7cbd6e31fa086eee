"""Additions to the Lam et al. model for the issue-22 claims, kept out of the existing
modules (``lam2023``, ``lam2023_kernels``, ``lam2023_runs``): those are hashed into the
versions of every shipped Lam claim, so editing them would invalidate every Lam
calibration record (issue 24's kernel work did, once, on purpose).

``train_snapshots``: the trained network's parameters (C, W) at given steps of one
training run, for a statement uniform in time (the kernel limit at every t in [0, T]).
The recursion is ``lam2023_kernels.train_paths``' own two compiled passes (B fixed), minus
the bookkeeping the snapshot claims do not use (moves, clipping counts, paths). ``tests/test_lam2023_extra.py`` checks that the snapshot at step k is what
``lam2023.train(..., steps=k)`` returns, to round-off.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from . import lam2023 as L
from .lam2023_kernels import _dot, _psi, _units_output, _update_units   # train_paths' own passes
from .vecmath import vexp


@njit(cache=True, error_model="numpy")
def _train_snap(X, Y, W, B, C, snaps, lr, scale, th, error_sign, train_w, Csnap, Wsnap):
    """Train every path for snaps[-1] steps in place on W, C; after update k (k = 1..),
    store C, W into Csnap[:, j], Wsnap[:, j] when k == snaps[j] (snaps sorted, >= 0;
    a 0 stores the initial parameters)."""
    P, n = W.shape
    J = snaps.shape[0]
    steps = snaps[J - 1]
    s = np.empty(n)
    none = np.empty(0)
    gscale = lr * scale
    for p in range(P):
        Wp = W[p]
        Bp = B[p]
        Cp = C[p]
        j = 0
        while j < J and snaps[j] == 0:
            for i in range(n):
                Csnap[p, j, i] = Cp[i]
                Wsnap[p, j, i] = Wp[i]
            j += 1
        x0 = X[p, 0]
        for i in range(n):
            s[i] = 1.0 / (1.0 + vexp(-(Wp[i] * x0)))
        m = _dot(Bp, s) / n
        for k in range(steps):
            x = X[p, k]
            y = scale * _units_output(Wp, Cp, x, m, s)
            e = error_sign * (Y[p, k] - th * _psi(y / th))
            g = gscale * e
            m = _update_units(Wp, Bp, Cp, s, g, 0.0, x, train_w, False, none, none, none) / n
            while j < J and snaps[j] == k + 1:
                for i in range(n):
                    Csnap[p, j, i] = Cp[i]
                    Wsnap[p, j, i] = Wp[i]
                j += 1


def train_snapshots(Z: np.ndarray, W: np.ndarray, B: np.ndarray, C: np.ndarray, cfg: L.TrainConfig,
                    snap_steps) -> tuple[np.ndarray, np.ndarray]:
    """(C, W) of shape (P, J, N) after snap_steps[j] online steps (sorted, from 0) of the
    training ``lam2023.train`` runs on data Z (P, >= max+1, 2); B fixed (the model)."""
    if cfg.b_lr_exponent is not None:
        raise ValueError("train_snapshots keeps B fixed (the model); use lam2023.train for the B control")
    snaps = np.asarray(snap_steps, dtype=np.int64)
    if snaps.ndim != 1 or snaps.size == 0 or np.any(np.diff(snaps) < 0) or snaps[0] < 0:
        raise ValueError("snap_steps must be a non-empty sorted sequence of steps >= 0")
    P, n = W.shape
    steps = int(snaps[-1])
    X = np.ascontiguousarray(Z[:, :max(steps, 1), 0], dtype=np.float64)
    Y = np.ascontiguousarray(L.target(Z[:, :max(steps, 1)]), dtype=np.float64)
    Wk = W.astype(np.float64, copy=True)
    Ck = C.astype(np.float64, copy=True)
    Bk = np.ascontiguousarray(B, dtype=np.float64)
    Cs = np.empty((P, snaps.size, n))
    Ws = np.empty((P, snaps.size, n))
    _train_snap(X, Y, Wk, Bk, Ck, snaps, float(cfg.lr(n)), float(cfg.out_scale(n)), float(cfg.threshold(n)),
                float(cfg.error_sign), bool(cfg.train_w), Cs, Ws)
    return Cs, Ws
