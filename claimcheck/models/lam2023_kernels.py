"""Compiled (numba) training loop of the Lam et al. RNN: ``lam2023.train(..., backend="numba")``.

Why: the trained network is the costly part of the Lam claims (N T steps of O(N) work per
path, every step a few numpy passes over (paths, N) arrays with temporaries). The kernel
runs the same recursion as ``lam2023.train_step`` path by path, unit by unit, in two
fused passes a step and no temporaries; the numpy code stays the reference (tests
compare the two to rtol 1e-10).

Arithmetic in float64. The two passes are compiled with reassociation allowed (so their
sums vectorise; LLVM may also reorder a product's factors) and exp is ``vexp``, not libm:
every difference from ``train_step`` is round-off.

    m  = (sum_j B^j S^j) / N                       (memory entering the step)
    s  = 1 / (1 + exp(-(W x + m)))                  (scipy's expit)
    y  = scale * sum_j C^j s^j;   active = |y| > th
    e  = sign * (Y - th psi(y / th))
    g  = (lr * scale) * e
    W += g C s (1 - s) x  (old C);   B += (b_lr * scale * e) s;   C += g s

The memory is rank one (M_k is a scalar per path), so nothing of size N x N exists; the
next step's m uses B after its update, as numpy does. Why ``vexp`` (within 1 ulp of libm's):
this llvmlite has no vector math library, so libm's scalar exp kept the unit loop scalar and
was ~2/3 of a unit-step. With it, numpy's error model (no division-by-zero branch), the memory
sum fused into the update pass and a per-unit running max for the moves (no reduction per
step), a unit-step costs 2.2 ns instead of 7.3 (benchmarks/README.md).
Single-threaded on purpose: the engine already runs claims in parallel processes.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from .vecmath import vexp
from .vecstats import vndtr

_ndtr = njit(inline="always", error_model="numpy")(vndtr.py_func)   # inlined: the loop vectorises

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
def _max_nan(a):
    """max_i a_i, NaN-propagating like np.max (once per path: no need to vectorise)."""
    mv = -np.inf
    for i in range(a.shape[0]):
        d = a[i]
        if d > mv or d != d:
            mv = d
            if d != d:
                break
    return mv


@njit(cache=True, fastmath={"reassoc", "nsz"}, error_model="numpy")
def _units_output(Wp, Cp, x, m, s):
    """s_i = sigma(W_i x + m) into ``s``; returns sum_i C_i s_i (one vectorised pass; the sum
    reassociated, ``vexp`` compiled strictly in its own function)."""
    acc = 0.0
    for i in range(s.shape[0]):
        si = 1.0 / (1.0 + vexp(-(Wp[i] * x + m)))
        s[i] = si
        acc += Cp[i] * si
    return acc


@njit(cache=True, fastmath={"reassoc", "nsz"}, error_model="numpy")
def _update_units(Wp, Bp, Cp, s, g, gb, x, train_w, train_b, W0, C0, dev):
    """The step's updates of W, B, C in one vectorised pass; returns sum_i B_i s_i (B after
    its update: the next memory times N). When ``dev`` is not empty it is each unit's running
    max over the steps of max(|W_i - W0_i|, |C_i - C0_i|), updated elementwise (a NaN
    sticks), so the move tracker needs no reduction per step."""
    acc = 0.0
    track = dev.shape[0] > 0
    for i in range(s.shape[0]):
        si = s[i]
        ci = Cp[i]
        wi = Wp[i]
        if train_w:
            wi += g * ci * (si * (1.0 - si)) * x
            Wp[i] = wi
        bi = Bp[i]
        if train_b:
            bi += gb * si
            Bp[i] = bi
        c = ci + g * si
        Cp[i] = c
        acc += bi * si
        if track:
            dw = abs(wi - W0[i])
            dc = abs(c - C0[i])
            d = dw if (dw > dc or dw != dw) else dc
            cur = dev[i]
            dev[i] = d if (d > cur or d != d) else cur
    return acc


@njit(cache=True, error_model="numpy")
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
    C0 = np.empty(n)
    W0 = np.empty(n)
    dev = np.empty(nm)
    gscale = lr * scale
    for p in range(P):
        Wp = W[p]
        Bp = B[p]
        Cp = C[p]
        if track_moves:
            for i in range(n):
                C0[i] = Cp[i]
                W0[i] = Wp[i]
                dev[i] = 0.0
        # S_0 = sigma(W X_0), M_0 = mean B S_0
        x0 = X[p, 0]
        for i in range(n):
            s[i] = 1.0 / (1.0 + vexp(-(Wp[i] * x0)))
        m = _dot(Bp, s) / n
        for k in range(steps):
            x = X[p, k]
            y = scale * _units_output(Wp, Cp, x, m, s)      # pass 1: units and output
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
            # pass 2: updates, M_{k+1} (B after its update, S_{k+1}) and the moves
            m = _update_units(Wp, Bp, Cp, s, g, gb, x, train_w, train_b, W0, C0, dev) / n
        move[p] = _max_nan(dev) if track_moves and n > 0 else 0.0
    return y0, clip_any, clip_n, move, final_m, m_path, y_path


# -- the untrained memory (``lam2023.memory_run``) ------------------------------------------

@njit(cache=True, fastmath={"reassoc", "nsz"}, error_model="numpy")
def _memory_step(w, a, b, x, m, moments):
    """One step of every unit (or node) of a path: s_q = sigma(w_q x + m); returns
    (sum a s, sum b s, sum b s^2), the last two only when ``moments`` (else 0). One
    vectorised pass, the sums reassociated."""
    acc_m = 0.0
    acc1 = 0.0
    acc2 = 0.0
    for q in range(w.shape[0]):
        sq = 1.0 / (1.0 + vexp(-(w[q] * x + m)))
        acc_m += a[q] * sq
        if moments:
            bs = b[q] * sq
            acc1 += bs
            acc2 += bs * sq
    return acc_m, acc1, acc2


@njit(cache=True, error_model="numpy")
def memory_paths(w, a, b, X, steps, moments):
    """``lam2023.memory_run``'s recursion for every path (rows of w, a, b: (P, n) C-contiguous
    float64; X (P, >= steps)): returns (m_hist, mean1, mean2, start1, start2), the last four
    (P, steps) / (P,) when ``moments``, else empty. A path's units stay in cache for its
    whole run, and a step is one pass over them (numpy: four passes and a temporary)."""
    P = w.shape[0]
    km = steps if moments else 0
    pm = P if moments else 0
    m_hist = np.empty((P, steps))
    mean1 = np.empty((P, km))
    mean2 = np.empty((P, km))
    start1 = np.empty(pm)
    start2 = np.empty(pm)
    for p in range(P):
        wp = w[p]
        ap = a[p]
        bp = b[p]
        m, s1, s2 = _memory_step(wp, ap, bp, X[p, 0], 0.0, moments)   # S_0 = sigma(W X_0)
        if moments:
            start1[p] = s1
            start2[p] = s2
        for k in range(steps):
            m_hist[p, k] = m
            m, s1, s2 = _memory_step(wp, ap, bp, X[p, k], m, moments)
            if moments:
                mean1[p, k] = s1
                mean2[p, k] = s2
    return m_hist, mean1, mean2, start1, start2


# -- the untrained network's reductions and the limit law ------------------------------------

@njit(cache=True, fastmath={"reassoc", "nsz"}, error_model="numpy")
def cheb_moments(t, wa, L):
    """(sum_i wa_i T_l(t_i), sum_i T_l(t_i)) for l < L: ``lam2023.compress_units``' moments of
    one path (t = W / R in [-1, 1], wa = B / N). The recurrence T_{l+1} = 2 t T_l - T_{l-1}
    runs over cache-sized chunks of units, vectorised over the chunk (numpy: an (r, chunk)
    matrix product per degree and 1.5 ns a unit-degree; this ~0.2)."""
    n = t.shape[0]
    out = np.zeros((2, L))
    chunk = 1024
    prev = np.empty(chunk)             # T_{l-2} of the chunk, overwritten by T_l
    cur = np.empty(chunk)              # T_{l-1}
    for i0 in range(0, n, chunk):
        c = min(chunk, n - i0)
        tc = t[i0:i0 + c]
        wc = wa[i0:i0 + c]
        sa0 = 0.0
        sa1 = 0.0
        sb1 = 0.0
        for i in range(c):
            prev[i] = 1.0
            cur[i] = tc[i]
            sa0 += wc[i]
            sa1 += wc[i] * tc[i]
            sb1 += tc[i]
        out[0, 0] += sa0
        out[1, 0] += c
        if L > 1:
            out[0, 1] += sa1
            out[1, 1] += sb1
        for l in range(2, L):
            sa, sb = _cheb_degree(tc, wc, prev, cur, c)
            out[0, l] += sa
            out[1, l] += sb
            prev, cur = cur, prev
    return out


@njit(cache=True, fastmath={"reassoc", "nsz"}, error_model="numpy", inline="always")
def _cheb_degree(t, w, prev, cur, c):
    """prev <- T_l = 2 t cur - prev over the chunk; returns (sum w T_l, sum T_l). A function of
    its own so that LLVM sees four distinct arrays and vectorises; inlined by numba, so that the
    code that runs where it is compiled is the code numba caches. As a separately compiled
    callee the two differed: the compiling process summed in another order (and ran at 0.43
    ns a unit-degree against 0.27) than every process that loaded the cache, so one run on a
    fresh clone mixed two round-offs (tests/test_jit_cache.py)."""
    sa = 0.0
    sb = 0.0
    for i in range(c):
        v = 2.0 * t[i] * cur[i] - prev[i]
        prev[i] = v
        sa += w[i] * v
        sb += v
    return sa, sb


@njit(cache=True, fastmath={"reassoc", "nsz"}, error_model="numpy")
def mixture_ndtr_mean(u, m, ax):
    """mean_l Phi((u_j - m_l) / ax_l) for every j: the CDF of ``lam2023.limit_cdf_mixture`` in
    logit space (u = logit t). Paths outer, points inner, so the Phi loop vectorises."""
    n = u.shape[0]
    P = m.shape[0]
    out = np.zeros(n)
    for l in range(P):
        ml = m[l]
        il = 1.0 / ax[l]
        for j in range(n):
            out[j] += _ndtr((u[j] - ml) * il)
    for j in range(n):
        out[j] = out[j] / P
    return out


@njit(cache=True, fastmath={"reassoc", "nsz"}, error_model="numpy")
def _column_block(X, p0, nb, steps, start, t, cola, colg, colb, m0, acc):
    """Paths p0..p0+nb-1 of ``column_average_paths``, stepped together: a step of one path is
    a chain of dependent operations (the next memory needs this one's sum over the nodes),
    so the unit of vector work is a block of paths at one node, not the nodes of one path
    (4.5 ns a node-step that way; this ~0.6)."""
    m = m0[p0:p0 + nb].copy()
    x = np.empty(nb)
    sa = np.empty(nb)
    sg = np.empty(nb)
    sb = np.empty(nb)
    sbb = np.empty(nb)
    a = np.zeros(nb)
    for k in range(steps):
        for j in range(nb):
            x[j] = X[p0 + j, k]
            sa[j] = 0.0
            sg[j] = 0.0
            sb[j] = 0.0
            sbb[j] = 0.0
        for q in range(t.shape[0]):
            tq = t[q]
            ca = cola[q]
            cg = colg[q]
            cb = colb[q]
            for j in range(nb):
                s = 1.0 / (1.0 + vexp(-(tq * x[j] + m[j])))
                sa[j] += s * ca
                sg[j] += s * cg
                sb[j] += s * cb
                sbb[j] += s * s * cb
        if k >= start:
            for j in range(nb):
                a[j] += sa[j] + (sb[j] - sbb[j]) * x[j]
        for j in range(nb):
            m[j] = sg[j]
    acc[p0:p0 + nb] = a


@njit(cache=True, error_model="numpy")
def column_average_paths(X, steps, start, t, cola, colg, colb, m0):
    """``lam2023.kernel_column_average``'s sum over start <= k < steps, per path (X (P, >= steps),
    m0 (P,) the limit memory entering step 0): the M^inf recursion and the kernel column share
    one pass over the nodes a step."""
    P = X.shape[0]
    acc = np.zeros(P)
    block = 16
    for p0 in range(0, P, block):
        _column_block(X, p0, min(block, P - p0), steps, start, t, cola, colg, colb, m0, acc)
    return acc


@njit(cache=True, fastmath={"reassoc", "nsz"}, error_model="numpy")
def _m_inf_block(X, p0, nb, steps, t, colg, m0, out):
    """Paths p0..p0+nb-1 of ``m_inf_paths``, stepped together (see ``_column_block``)."""
    m = m0[p0:p0 + nb].copy()
    x = np.empty(nb)
    sg = np.empty(nb)
    for k in range(steps):
        for j in range(nb):
            out[p0 + j, k] = m[j]
            x[j] = X[p0 + j, k]
            sg[j] = 0.0
        for q in range(t.shape[0]):
            tq = t[q]
            cg = colg[q]
            for j in range(nb):
                sg[j] += cg / (1.0 + vexp(-(tq * x[j] + m[j])))
        for j in range(nb):
            m[j] = sg[j]


@njit(cache=True, error_model="numpy")
def m_inf_paths(X, steps, t, colg, m0):
    """``lam2023.m_inf_path``: M^inf_0..M^inf_{steps-1} per path (X (P, >= steps), m0 (P,)
    = M^inf_0, colg = E[B] x the Gauss-Hermite weights at nodes t)."""
    P = X.shape[0]
    out = np.empty((P, steps))
    block = 16
    for p0 in range(0, P, block):
        _m_inf_block(X, p0, min(block, P - p0), steps, t, colg, m0, out)
    return out
