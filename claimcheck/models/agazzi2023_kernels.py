"""Compiled (numba) training loop of the Agazzi-Lu-Mukherjee Elman RNN.

A numpy step of :func:`claimcheck.models.agazzi2023.train` is a few dozen array calls whose
fixed overhead (~60 us) dwarfs the arithmetic at small N; these kernels run whole stretches
of steps (forward pass, risk, BPTT gradient, projected update) in one call. The same
mathematics as the numpy reference (``forward``, ``backward``, ``gd_step``); the two agree
to round-off (BLAS's summation order, and ``vecmath.vtanh`` within 2 ulp of libm's tanh).
float64, single-threaded, no fastmath (NaN and inf propagate as in numpy).

Why it is fast: the three N x N x M products of a step (recurrent fields, BPTT deltas, the
W gradient as one (N, (L-1) M) @ ((L-1) M, N) product) go to BLAS through ``np.dot`` into
preallocated arrays, which beats compiled loops at every width measured (N = 2..128); the
tanh is ``vtanh`` inlined, so the phase loops vectorise (libm's tanh kept them scalar);
numpy's error model takes the division-by-zero branches out of the loops.

Layout, per net r of a stack of R: A, U, b (R, N), W (R, N, N), the inputs transposed
XT (L, M); hidden states and deltas are kept transposed, (N, M), so that the inner loops
run over the M phases (contiguous).
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .vecmath import vtanh

# vtanh inlined at numba's level, so that LLVM sees the whole body in the phase loops and
# vectorises them (as a call it is slower than libm's tanh: 15 against 11 ns; inlined 2.3).
_tanh = njit(inline="always", error_model="numpy")(vtanh.py_func)


@njit(cache=True, error_model="numpy")
def _forward(A, U, b, W, XT, c, HT, f, Z):
    """States HT[s] (N, M), s = 0..L (HT[0] = 0), and output f (M,) of one net; Z (N, M) is
    scratch for the recurrent fields W h_s (one BLAS product)."""
    L, M = XT.shape
    N = A.shape[0]
    for i in range(N):
        for m in range(M):
            HT[0, i, m] = 0.0
    for s in range(L):
        if s > 0:       # h_0 = 0: the first recurrent field is zero
            np.dot(W, HT[s], Z)
        for i in range(N):
            u, bi = U[i], b[i]
            if s > 0:
                for m in range(M):
                    HT[s + 1, i, m] = _tanh(XT[s, m] * u + bi + c * Z[i, m])
            else:
                for m in range(M):
                    HT[s + 1, i, m] = _tanh(XT[s, m] * u + bi)
    for m in range(M):
        f[m] = 0.0
    for i in range(N):
        a = A[i]
        for m in range(M):
            f[m] += a * HT[L, i, m]
    for m in range(M):
        f[m] /= N


@njit(cache=True, error_model="numpy")
def _risk(f, y):
    M = f.shape[0]
    s = 0.0
    for m in range(M):
        d = f[m] - y[m]
        s += d * d
    return 0.5 * (s / M)


@njit(cache=True, error_model="numpy")
def _step(A, U, b, W, XT, y, c, lr, lrW, bound, HT, f, GT, Hn, acc, Gcat, dW, gA, gU, gb):
    """One (projected) GD step in place from the states HT and outputs f of the current
    weights: BPTT as in ``backward``, update as in ``gd_step`` (bound < 0: no projection)."""
    L, M = XT.shape
    N = A.shape[0]
    # dR/df, gA and the delta at the last step (kept in GT[L])
    for i in range(N):
        gU[i] = 0.0
        gb[i] = 0.0
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
            # G_{s-1} = c (G_s @ W) * (1 - h_{s-1}^2), transposed: acc = W^T G_s
            np.dot(W.T, GT[s], acc)
            for j in range(N):
                for m in range(M):
                    h = HT[s - 1, j, m]
                    GT[s - 1, j, m] = c * acc[j, m] * (1.0 - h * h)
    # dW = sum_{s=2..L} G_s^T h_{s-1}, as one product (N, (L-1) M) @ ((L-1) M, N): the deltas
    # side by side in Gcat, the states h_1..h_{L-1} in (M, N) layout stacked in Hn[1:]
    for s in range(1, L):
        for j in range(N):
            for m in range(M):
                Hn[s, m, j] = HT[s, j, m]
    for s in range(2, L + 1):
        for i in range(N):
            for m in range(M):
                Gcat[i, (s - 2) * M + m] = GT[s, i, m]
    if L > 1:
        np.dot(Gcat, Hn[1:].reshape(((L - 1) * M, N)), dW)
    else:
        dW[:, :] = 0.0
    for i in range(N):
        A[i] -= lr * gA[i]
        U[i] -= lr * gU[i]
        b[i] -= lr * gb[i]
    alpha = -lrW * c
    for i in range(N):       # W[i, :] += alpha sum_{s=2..L} sum_m G_s[m, i] h_{s-1}[m, :]
        for j in range(N):
            w = W[i, j] + alpha * dW[i, j]
            if bound >= 0.0:
                if w > bound:
                    w = bound
                elif w < -bound:
                    w = -bound
            W[i, j] = w


@njit(cache=True, error_model="numpy")
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
    Gcat = np.empty((N, max(L - 1, 1) * M))
    dW = np.empty((N, N))
    gA = np.empty(N)
    gU = np.empty(N)
    gb = np.empty(N)
    f = np.empty(M)
    for r in range(R):
        Ar, Ur, br, Wr = A[r], U[r], b[r], W[r]
        for k in range(k0, k1):
            _forward(Ar, Ur, br, Wr, XT, c, HT, f, acc)
            loss[k, r] = _risk(f, y)
            for m in range(M):
                outs[k, r, m] = f[m]
            if k < K:
                _step(Ar, Ur, br, Wr, XT, y, c, lr, lrW, bounds[r], HT, f, GT, Hn, acc, Gcat, dW, gA, gU, gb)


def warm_up() -> None:
    """Compile (or load from the on-disk cache) the kernels with the signature train uses."""
    A = np.zeros((1, 2))
    W = np.zeros((1, 2, 2))
    XT = np.zeros((3, 4))
    train_steps(A, A.copy(), A.copy(), W, XT, np.zeros(4), 0.5, 0.1, 0.1, np.full(1, -1.0), 0, 2, 1,
                np.empty((2, 1)), np.empty((2, 1, 4)))
