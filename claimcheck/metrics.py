"""Distances between distributions that always mean what they say: W_p itself.

POT's conventions differ (``ot.emd2`` with the default squared-Euclidean cost gives
W2^2, ``ot.wasserstein_1d`` gives W_p^p, ``ot.sliced_wasserstein_distance`` gives
SW_p); a wrong power silently rescales a measured exponent. Everything here returns
W_p, in float64, and raises :class:`SolverError` when the LP solver did not reach
the optimum (an error, never a pass or fail).
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import ot
from scipy.spatial.distance import cdist


class SolverError(RuntimeError):
    """The optimal-transport solver stopped before the optimum."""


def _as_samples(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if not np.all(np.isfinite(x)):
        raise ValueError("samples contain NaN or inf")
    return x


def wasserstein_1d(x, y, p: float = 1.0, wx=None, wy=None) -> float:
    """Exact W_p between two 1-D samples (sorting; POT returns W_p^p, we take the root)."""
    x = np.asarray(x, np.float64).ravel()
    y = np.asarray(y, np.float64).ravel()
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("samples contain NaN or inf")
    val = float(ot.wasserstein_1d(x, y, wx, wy, p=p))
    return max(val, 0.0) ** (1.0 / p)


def wasserstein(x, y, p: float = 1.0, wx=None, wy=None, num_iter_max: int = 1_000_000) -> float:
    """W_p between two samples in any dimension (1-D: exact sort; else ``ot.emd2``)."""
    X, Y = _as_samples(x), _as_samples(y)
    if X.shape[1] != Y.shape[1]:
        raise ValueError(f"dimension mismatch: {X.shape[1]} vs {Y.shape[1]}")
    if X.shape[1] == 1:
        return wasserstein_1d(X[:, 0], Y[:, 0], p, wx, wy)
    a = np.full(len(X), 1.0 / len(X)) if wx is None else np.asarray(wx, np.float64) / np.sum(wx)
    b = np.full(len(Y), 1.0 / len(Y)) if wy is None else np.asarray(wy, np.float64) / np.sum(wy)
    # scipy's cdist computes each distance directly; ot.dist's default expands
    # |x|^2 + |y|^2 - 2xy, whose round-off (~1e-8 for equal points) the 1/p root magnifies
    M = cdist(X, Y, metric="euclidean") ** p
    cost, log = ot.emd2(a, b, M, numItermax=num_iter_max, log=True)
    if log.get("result_code", 1) != 1:
        raise SolverError(f"ot.emd2 did not reach the optimum: {log.get('warning')} (result_code {log.get('result_code')})")
    return max(float(cost), 0.0) ** (1.0 / p)


def sliced_wasserstein(x, y, p: float = 2.0, n_projections: int = 256, seed: int | None = 0) -> float:
    """Sliced W_p (POT returns SW_p itself); fixed projections by default, so the same
    directions are used at every grid point (common random numbers)."""
    X, Y = _as_samples(x), _as_samples(y)
    return float(ot.sliced_wasserstein_distance(X, Y, n_projections=n_projections, p=p, seed=seed))


_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(4)



def _gl_integral_abs(x, a, b, quantile, t, w):
    """sum_i int_{a_i}^{b_i} |x_i - Q(u)| du by Gauss-Legendre on each [a_i, b_i]."""
    half = (b - a)[:, None] / 2
    u = a[:, None] + half * (t[None, :] + 1)
    return float(np.sum(np.abs(x[:, None] - quantile(u)) * w[None, :] * half))


def w1_to_quantile(samples, quantile: Callable[[np.ndarray], np.ndarray],
                   cdf: Callable[[np.ndarray], np.ndarray] | None = None, nodes: int = 4) -> float:
    """W1(empirical law of ``samples``, law with quantile function ``quantile``).

    W1 = int_0^1 |F_N^{-1}(u) - Q(u)| du with F_N^{-1} = x_(i) on ((i-1)/N, i/N].
    Each interval is integrated by Gauss-Legendre with ``nodes`` points (the nodes stay
    inside (0, 1), so Q(0), Q(1) = +-inf are never evaluated). The integrand has a
    kink where Q crosses x_(i); given ``cdf``, each interval is split there and the
    result is exact to quadrature precision. Without it the kinks cost O(N^-3/2) in
    total, far below the N^-1/2 signal of an empirical law.
    """
    x = np.sort(np.asarray(samples, np.float64).ravel())
    n = x.size
    t, w = (_GL_NODES, _GL_WEIGHTS) if nodes == 4 else np.polynomial.legendre.leggauss(nodes)
    a = np.arange(n) / n
    b = (np.arange(n) + 1) / n
    if cdf is None:
        return _gl_integral_abs(x, a, b, quantile, t, w)
    c = np.clip(np.asarray(cdf(x), np.float64), a, b)  # crossing point, inside its interval
    return _gl_integral_abs(x, a, c, quantile, t, w) + _gl_integral_abs(x, c, b, quantile, t, w)


def w1_to_cdf(samples: np.ndarray, cdf, lo: float = 0.0, hi: float = 1.0, nodes: int = 2,
              chunk: int = 1 << 15) -> float:
    """W1(empirical law of ``samples``, law with continuous CDF ``cdf`` on [lo, hi]) =
    int |F_n(t) - F(t)| dt, with ``nodes``-point Gauss-Legendre on each gap between order
    statistics (F_n is constant there; F is smooth, so the only quadrature error is at the
    O(sqrt n) gaps where F_n - F changes sign: O(h^2) each, far below the n^-1/2 signal).
    Measured on lam2023.units-pooled's pooled units (100 paths; stop 38): 2 nodes are within
    4.7e-5 (N = 10^4) and 2.8e-6 (N = 10^5) relative of 4 nodes; 1 node, at half the cost,
    within 2.1e-4 and 3.5e-5. For laws without a closed quantile function (e.g. the mixture
    over data paths of the units' limit laws)."""
    gl_t, gl_w = np.polynomial.legendre.leggauss(nodes)
    s = np.sort(np.asarray(samples, np.float64).ravel())
    n = s.size
    edges = np.concatenate([[lo], s, [hi]])
    total = 0.0
    for i in range(0, n + 1, chunk):          # gaps j = i..end-1; chunked: a mixture CDF is gaps x nodes x paths
        end = min(i + chunk, n + 1)
        a, b = edges[i:end], edges[i + 1:end + 1]
        level = np.arange(i, end) / n             # F_n on [edges[j], edges[j+1])
        t = (a[:, None] + b[:, None]) / 2 + (b - a)[:, None] / 2 * gl_t[None, :]
        F = cdf(np.clip(t, np.nextafter(lo, hi), np.nextafter(hi, lo)))
        total += float(np.sum((b - a) / 2 * (np.abs(level[:, None] - F) @ gl_w)))
    return total


def w1_sampling_floor(n: int, m: int, sampler: Callable[[np.random.Generator, int], np.ndarray],
                      rng: np.random.Generator, reps: int = 20) -> float:
    """Mean W1 between two independent samples of sizes n and m of the same law: the
    distance an empirical comparison reports when there is no difference at all."""
    return float(np.mean([wasserstein_1d(sampler(rng, n), sampler(rng, m)) for _ in range(reps)]))
