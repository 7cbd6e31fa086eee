"""Compiled (numba) training loop of the Lam et al. RNN: ``lam2023.train(..., backend="numba")``.

Why: the trained network is the costly part of the Lam claims (N T steps of O(N) work per
path, every step a few numpy passes over (paths, N) arrays with temporaries). The kernel
runs the same recursion as ``lam2023.train_step`` path by path, unit by unit, in two
fused passes a step and no temporaries; the numpy code stays the reference (tests
compare the two to rtol 1e-10).

Arithmetic, in float64, in the order of ``train_step``; only the sums' order differs
(vectorised here, numpy's own SIMD order there): round-off only.

    m  = (sum_j B^j S^j) / N                       (memory entering the step)
    s  = 1 / (1 + exp(-(W x + m)))                  (scipy's expit)
    y  = scale * sum_j C^j s^j;   active = |y| > th
    e  = sign * (Y - th psi(y / th))
    g  = (lr * scale) * e
    W += g C s (1 - s) x  (old C);   B += (b_lr * scale * e) s;   C += g s

The memory is rank one (M_k is a scalar per path), so nothing of size N x N exists; the
next step's m uses B after its update, as numpy does. The exp is scalar libm (no SVML in
this llvmlite): it is ~2/3 of a unit-step.
Single-threaded on purpose: the engine already runs claims in parallel processes.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True, inline="always")
def _psi(u):
    au = abs(u)
    if au <= 1.0:
        return u
    r = 1.0 + math.tanh(au - 1.0)
    return r if u > 0 else -r


@njit(cache=True, fastmath={"reassoc", "nsz"})
def _dot(a, b):
    """sum_i a_i b_i, reassociated so LLVM vectorises it (numpy's einsum is not sequential
    either); deterministic for a given machine and N."""
    acc = 0.0
    for i in range(a.shape[0]):
        acc += a[i] * b[i]
    return acc


@njit(cache=True)
def _max_dev(a, a0, cur):
    """max(cur, max_i |a_i - a0_i|), NaN-propagating like np.maximum / np.max."""
    mv = cur
    for i in range(a.shape[0]):
        d = abs(a[i] - a0[i])
        if d > mv or d != d:
            mv = d
    return mv


@njit(cache=True)
def train_paths(X, Y, W, B, C, steps, lr, scale, th, error_sign, train_w, b_rate, train_b,
                track_moves, track_path):
    """Train every path for ``steps`` steps, in place on W, C (and B if ``train_b``).

    X, Y: (P, >= steps) inputs X_k and targets Y_k; W, B, C: (P, N), C-contiguous float64.
    ``b_rate`` = alpha N^e (B trained, a control) when ``train_b``.
    Returns (y0, clip_any, clip_n, move, final_m, m_path, y_path); m_path/y_path are
    (P, steps) when ``track_path`` else (P, 0)."""
    P, n = W.shape
    y0 = np.zeros(P)
    clip_any = np.zeros(P, np.bool_)
    clip_n = np.zeros(P)
    move = np.zeros(P)
    final_m = np.zeros(P)
    kp = steps if track_path else 0
    m_path = np.empty((P, kp))
    y_path = np.empty((P, kp))
    s = np.empty(n)
    nm = n if track_moves else 0
    C0 = np.empty(nm)
    W0 = np.empty(nm)
    gscale = lr * scale
    for p in range(P):
        Wp = W[p]
        Bp = B[p]
        Cp = C[p]
        if track_moves:
            for i in range(n):
                C0[i] = Cp[i]
                W0[i] = Wp[i]
        # S_0 = sigma(W X_0), M_0 = mean B S_0
        x0 = X[p, 0]
        for i in range(n):
            s[i] = 1.0 / (1.0 + math.exp(-(Wp[i] * x0)))
        m = _dot(Bp, s) / n
        mv = 0.0
        for k in range(steps):
            x = X[p, k]
            # pass 1: units and output (scalar libm exp dominates the cost)
            for i in range(n):
                s[i] = 1.0 / (1.0 + math.exp(-(Wp[i] * x + m)))
            y = scale * _dot(Cp, s)
            if abs(y) > th:
                clip_any[p] = True
                clip_n[p] += 1.0
            e = error_sign * (Y[p, k] - th * _psi(y / th))
            g = gscale * e
            gb = b_rate * scale * e
            if track_path:
                m_path[p, k] = m
                y_path[p, k] = y
            if k == 0:
                y0[p] = y
            final_m[p] = m
            # pass 2: updates; then the next memory and the moves (vectorised reductions)
            for i in range(n):
                si = s[i]
                ci = Cp[i]
                if train_w:
                    Wp[i] += g * ci * (si * (1.0 - si)) * x
                if train_b:
                    Bp[i] += gb * si
                Cp[i] = ci + g * si
            m = _dot(Bp, s) / n                  # M_{k+1}: B after its update, S_{k+1}
            if track_moves:
                mv = _max_dev(Wp, W0, _max_dev(Cp, C0, mv))
        move[p] = mv
    return y0, clip_any, clip_n, move, final_m, m_path, y_path
