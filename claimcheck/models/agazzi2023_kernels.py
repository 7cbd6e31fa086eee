"""Compiled (numba) training loop of the Agazzi-Lu-Mukherjee Elman RNN for small widths.

At N <= 128 a numpy step of :func:`claimcheck.models.agazzi2023.train` is a few dozen
small array calls whose fixed overhead (~60 us) dwarfs the arithmetic; these kernels run
whole stretches of steps (forward pass, risk, BPTT gradient, projected update) in one
call. Same mathematics and the same order of operations as the numpy reference
(``forward``, ``backward``, ``gd_step``), so the two agree to round-off (summation order
differs from BLAS: ~1e-16 per step). float64, single-threaded, no fastmath (NaN and inf
propagate as in numpy).

Layout, per net r of a stack of R: A, U, b (R, N), W (R, N, N), the inputs transposed
XT (L, M); hidden states and deltas are kept transposed, (N, M), so that the inner loops
run over the M phases (contiguous, vectorised whatever N). The W gradient is
accumulated one row at a time from the deltas (N, M) and the states in (M, N) layout.
"""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _forward(A, U, b, W, XT, c, HT, f):
    """States HT[s] (N, M), s = 0..L (HT[0] = 0), and output f (M,) of one net."""
    L, M = XT.shape
    N = A.shape[0]
    acc = np.empty(M)
    for i in range(N):
        for m in range(M):
            HT[0, i, m] = 0.0
    for s in range(L):
        for i in range(N):
            u, bi = U[i], b[i]
            if s > 0:   # h_0 = 0: the first recurrent field is zero
                for m in range(M):
                    acc[m] = 0.0
                for j in range(N):
                    w = W[i, j]
                    for m in range(M):
                        acc[m] += w * HT[s, j, m]
                for m in range(M):
                    HT[s + 1, i, m] = np.tanh(XT[s, m] * u + bi + c * acc[m])
            else:
                for m in range(M):
                    HT[s + 1, i, m] = np.tanh(XT[s, m] * u + bi)
    for m in range(M):
        f[m] = 0.0
    for i in range(N):
        a = A[i]
        for m in range(M):
            f[m] += a * HT[L, i, m]
    for m in range(M):
        f[m] /= N


@njit(cache=True)
def _risk(f, y):
    M = f.shape[0]
    s = 0.0
    for m in range(M):
        d = f[m] - y[m]
        s += d * d
    return 0.5 * (s / M)


@njit(cache=True)
def _step(A, U, b, W, XT, y, c, lr, lrW, bound, HT, f, GT, Hn, acc, row):
    """One (projected) GD step in place from the states HT and outputs f of the current
    weights: BPTT as in ``backward``, update as in ``gd_step`` (bound < 0: no projection)."""
    L, M = XT.shape
    N = A.shape[0]
    # dR/df, gA and the delta at the last step (kept in GT[L])
    gA = np.empty(N)
    gU = np.zeros(N)
    gb = np.zeros(N)
    for i in range(N):
        aN = A[i] / N
        s_ = 0.0
        for m in range(M):
            r = (f[m] - y[m]) / M
            s_ += r * HT[L, i, m]
            h = HT[L, i, m]
            GT[L, i, m] = r * aN * (1.0 - h * h)
        gA[i] = s_ / N
    for s in range(L, 0, -1):        # z_s uses x[:, s-1] and h_{s-1}
        for i in range(N):
            su, sb = 0.0, 0.0
            for m in range(M):
                g = GT[s, i, m]
                su += XT[s - 1, m] * g
                sb += g
            gU[i] += su
            gb[i] += sb
        if s > 1:
            # G_{s-1} = c (G_s @ W) * (1 - h_{s-1}^2), transposed: sum over i of W[i, j] G_s[i, :]
            for j in range(N):       # column j of W: the accumulator row stays in registers
                for m in range(M):
                    acc[j, m] = 0.0
                for i in range(N):
                    w = W[i, j]
                    for m in range(M):
                        acc[j, m] += w * GT[s, i, m]
                for m in range(M):
                    h = HT[s - 1, j, m]
                    GT[s - 1, j, m] = c * acc[j, m] * (1.0 - h * h)
    # the states h_1..h_{L-1} in (M, N) layout for the W gradient
    for s in range(1, L):
        for j in range(N):
            for m in range(M):
                Hn[s, m, j] = HT[s, j, m]
    for i in range(N):
        A[i] -= lr * gA[i]
        U[i] -= lr * gU[i]
        b[i] -= lr * gb[i]
    alpha = -lrW * c
    for i in range(N):       # W[i, :] += alpha sum_{s=2..L} sum_m G_s[m, i] h_{s-1}[m, :]
        for j in range(N):
            row[j] = 0.0
        for s in range(L, 1, -1):
            for m in range(M):
                g = GT[s, i, m]
                for j in range(N):
                    row[j] += g * Hn[s - 1, m, j]
        for j in range(N):
            w = W[i, j] + alpha * row[j]
            if bound >= 0.0:
                if w > bound:
                    w = bound
                elif w < -bound:
                    w = -bound
            W[i, j] = w


@njit(cache=True)
def train_steps(A, U, b, W, XT, y, c, lr, lrW, bounds, k0, k1, K, loss, outs):
    """Steps k = k0..k1-1 of ``train`` for every net r of a stack, in place: loss[k, r]
    and outs[k, r] from the weights before step k, then the step (none at k = K, where
    only the risk and outputs are recorded). bounds[r] < 0: no projection for net r."""
    R, N = A.shape
    L, M = XT.shape
    HT = np.empty((L + 1, N, M))
    GT = np.empty((L + 1, N, M))
    Hn = np.empty((L, M, N))
    acc = np.empty((N, M))
    row = np.empty(N)
    f = np.empty(M)
    for r in range(R):
        Ar, Ur, br, Wr = A[r], U[r], b[r], W[r]
        for k in range(k0, k1):
            _forward(Ar, Ur, br, Wr, XT, c, HT, f)
            loss[k, r] = _risk(f, y)
            for m in range(M):
                outs[k, r, m] = f[m]
            if k < K:
                _step(Ar, Ur, br, Wr, XT, y, c, lr, lrW, bounds[r], HT, f, GT, Hn, acc, row)


def warm_up() -> None:
    """Compile (or load from the on-disk cache) the kernels with the signature train uses."""
    A = np.zeros((1, 2))
    W = np.zeros((1, 2, 2))
    XT = np.zeros((3, 4))
    train_steps(A, A.copy(), A.copy(), W, XT, np.zeros(4), 0.5, 0.1, 0.1, np.full(1, -1.0), 0, 2, 1,
                np.empty((2, 1)), np.empty((2, 1, 4)))
