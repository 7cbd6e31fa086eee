"""Lam, Sirignano & Spiliopoulos (arXiv 2308.14555): an RNN with a rank-one
("simplified") recurrent matrix, fed a hidden Markov chain, trained online.

Model only (no claim logic); spec: ``shared/papers/lam2023_spec.md``.

Data (section 1.1 of the spec)::

    Z_{k+1} = 0.5 tanh(A Z_k) + U_{k+1},  U ~ U([-1/2, 1/2]^2),  Z_0 ~ U([-1, 1]^2),
    A = P diag(1, 1/2) P^{-1}, P the rotation by pi/6;  only X_k = Z_k[0] is observed.

Memory units: S^i_0 = sigma(W^i X_0), M_k = (1/N) sum_j B^j S^j_k,
S^i_{k+1} = sigma(W^i X_k + M_k), W ~ N(0, 1), B ~ U(0, 1).

Why the code looks the way it does
----------------------------------
* A path's whole state is (Z_k, M_k): every unit sees the same scalar M_k, so unit
  i's state is sigma(W^i X_k + M_k), a function of its own weight. A step is one
  reduction over units; the rolling moments (1/T) sum_k mean_i S^p need only
  per-path scalars. Nothing of size N x paths x steps is ever stored.
* All arrays are float64 and vectorised as (paths, units).
* Randomness: every path draws from its own Generator, split into independent
  streams (data, W, B, C) with ``Generator.spawn``. Each stream is consumed
  sequentially, so the first N weights of a width-N_max draw equal a width-N draw
  and the first K noise rows of a K_max-step path equal a K-step path: nested
  draws across a grid (common random numbers) come for free.
* Compressed units (``compress_units``): for the untrained network the per-step
  reductions are integrals of w -> sigma(w x + m) (and its square) against the
  empirical measures (1/N) sum_j B^j delta_{W^j} and (1/N) sum_j delta_{W^j}.
  That function is analytic in a strip |Im w| >= pi / |x| >= pi, so its Chebyshev
  interpolant of degree L-1 on [-R, R] (R = max |W^j|) converges geometrically.
  Replacing each measure by L weighted nodes that match its first L Chebyshev
  moments integrates every polynomial of degree < L exactly; the step error is
  <= (1 + Lebesgue const) x interpolation error ~ rho^-L with
  rho = (pi + sqrt(pi^2 + R^2)) / R (1.75 at R = 5.3, the largest |W| of 10^6 draws),
  i.e. ~1e-15 at L = 64.
  The memory map contracts (factor <= 1/8 per step), so these errors do not
  accumulate. This is a quadrature of the *finite-N* sums, not the N = infinity
  limit: it reproduces the exact recursion to round-off (tests check < 1e-12)
  at O(L) cost per step instead of O(N). ``method="exact"`` is the plain
  O(N) recursion; ``"auto"`` uses exact for N <= L or short runs.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import special

# -- constants of the paper's experiment -------------------------------------------
_c, _s = math.cos(math.pi / 6), math.sin(math.pi / 6)
P_ROT = np.array([[_c, -_s], [_s, _c]])
A_MAT = P_ROT @ np.diag([1.0, 0.5]) @ np.linalg.inv(P_ROT)
MEAN_B = 0.5          # E[B], B ~ U(0, 1)
SUP_B = 1.0           # sup B
MAX_DSIGMA = 0.25     # max sigma'
DEFAULT_L = 64        # nodes of compressed units
GH_NODES = 40         # Gauss-Hermite nodes: G, kernel exact to ~1e-15 for |x| <= 1 (tests check vs 200)


def sigmoid(z):
    """Logistic sigmoid (scipy's expit: overflow-safe, vectorised)."""
    return special.expit(z)


def dsigmoid(z):
    s = special.expit(z)
    return s * (1.0 - s)


# -- randomness ----------------------------------------------------------------------

@dataclass
class Streams:
    """Independent per-path random streams (consumed sequentially: nested draws)."""

    data: np.random.Generator
    w: np.random.Generator
    b: np.random.Generator
    c: np.random.Generator
    extra: np.random.Generator


def streams(rng: np.random.Generator) -> Streams:
    return Streams(*rng.spawn(5))


# -- data: the Markov chain ----------------------------------------------------------

def chain_draws(gen: np.random.Generator, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """(Z_0, U_1..U_steps) of one path from its data stream (Z_0 first, then U rows)."""
    z0 = gen.uniform(-1.0, 1.0, size=2)
    u = gen.uniform(-0.5, 0.5, size=(steps, 2))
    return z0, u


def chain_run(z0: np.ndarray, u: np.ndarray, a_mat: np.ndarray = A_MAT) -> np.ndarray:
    """Z_0..Z_K for many paths: z0 (P, 2), u (P, K, 2) -> Z (P, K+1, 2).

    Z_{k+1} = 0.5 tanh(A Z_k) + U_{k+1}. The loop is over time only (O(P) work a step)."""
    z0 = np.atleast_2d(z0)
    P, K, _ = u.shape
    out = np.empty((P, K + 1, 2))
    z = z0.astype(np.float64, copy=True)
    out[:, 0] = z
    at = a_mat.T.copy()
    for k in range(K):
        z = 0.5 * np.tanh(z @ at) + u[:, k]
        out[:, k + 1] = z
    return out


def data_paths(gens: list[np.random.Generator], steps: int, a_mat: np.ndarray = A_MAT,
               frozen_noise: bool = False, noise_offset: float = 0.0) -> np.ndarray:
    """Z (P, steps+1, 2) for one path per generator. Negative-control switches:
    ``frozen_noise`` reuses U_1 at every step (the chain stops mixing);
    ``noise_offset`` shifts U (e.g. +1/2: U(0, 1) drawn instead of U(-1/2, 1/2))."""
    draws = [chain_draws(g, steps) for g in gens]
    z0 = np.stack([d[0] for d in draws])
    u = np.stack([d[1] for d in draws]) + noise_offset
    if frozen_noise:
        u = np.repeat(u[:, :1], steps, axis=1)
    return chain_run(z0, u, a_mat)


def target(z: np.ndarray) -> np.ndarray:
    """Y = sigma(2 (X + X~)) = (1 + tanh(X + X~)) / 2: bounded, needs the hidden coordinate
    (or memory). The spec's example tanh(X + X~) shifted to mean ~1/2: a mean-zero target
    lies almost orthogonal to the kernel's leading eigenfunction (nearly constant, since
    all features sigma(w x + m) > 0), so within t <= T the kernel ODE would learn almost
    nothing and the kernel-limit check would only see the initial output decay."""
    return sigmoid(2.0 * (z[..., 0] + z[..., 1]))


# -- parameters ----------------------------------------------------------------------

def draw_weights(gen: np.random.Generator, n: int) -> np.ndarray:
    return gen.standard_normal(n)


def draw_b(gen: np.random.Generator, n: int) -> np.ndarray:
    return gen.uniform(0.0, 1.0, n)


# -- untrained memory units --------------------------------------------------------------

@dataclass
class Units:
    """Weighted units of many paths: node weights w (P, n), memory weights a (P, n)
    (a = B / N exactly), average weights b (P, n) (b = 1 / N exactly).

    A step: s = sigma(w x + m); M' = sum a s; mean_i S = sum b s; mean_i S^2 = sum b s^2.
    """

    w: np.ndarray
    a: np.ndarray
    b: np.ndarray
    n_units: int
    compressed: bool = False


def exact_units(W: np.ndarray, B: np.ndarray) -> Units:
    W = np.atleast_2d(np.asarray(W, np.float64))
    B = np.atleast_2d(np.asarray(B, np.float64))
    n = W.shape[1]
    return Units(W, B / n, np.full_like(W, 1.0 / n), n, False)


def _cheb_nodes(L: int) -> np.ndarray:
    return np.cos((2 * np.arange(L) + 1) * np.pi / (2 * L))


def _cheb_moments(t: np.ndarray, weights: np.ndarray, L: int, chunk: int = 4096) -> np.ndarray:
    """weights @ [T_0(t), ..., T_{L-1}(t)] for weights (r, n): (r, L) moments.

    Three-term recurrence T_{l+1} = 2 t T_l - T_{l-1} over cache-sized chunks of units
    (never an N x L matrix)."""
    weights = np.atleast_2d(weights)
    out = np.zeros((weights.shape[0], L))
    for i in range(0, t.size, chunk):
        tc = t[i:i + chunk]
        wc = weights[:, i:i + chunk]
        t0 = np.ones_like(tc)
        t1 = tc.copy()
        two_t = 2.0 * tc
        out[:, 0] += wc.sum(axis=1)
        if L > 1:
            out[:, 1] += wc @ t1
        for l in range(2, L):
            t0 = two_t * t1 - t0
            t0, t1 = t1, t0
            out[:, l] += wc @ t1
    return out


def compress_units(W: np.ndarray, B: np.ndarray, L: int = DEFAULT_L, compiled: bool = True) -> Units:
    """L weighted nodes per path reproducing the finite-N reductions (see module doc).

    Node q at R cos((2q+1) pi / 2L); weight = integral of the q-th Lagrange polynomial
    against the empirical measure = sum_l c_l T_l(t_q) mu_l with mu_l the Chebyshev
    moments of the measure (c_0 = 1/L, c_l = 2/L). ``compiled`` takes the moments from
    ``lam2023_kernels.cheb_moments`` (x7 at N = 10^6); False: the numpy reference."""
    W = np.atleast_2d(np.asarray(W, np.float64))
    B = np.atleast_2d(np.asarray(B, np.float64))
    P, n = W.shape
    tq = _cheb_nodes(L)
    Tq = np.polynomial.chebyshev.chebvander(tq, L - 1)           # (L nodes, L degrees)
    c = np.full(L, 2.0 / L)
    c[0] = 1.0 / L
    w = np.empty((P, L))
    a = np.empty((P, L))
    b = np.empty((P, L))
    if compiled:
        from .lam2023_kernels import cheb_moments
    for p in range(P):
        R = float(np.max(np.abs(W[p]))) * (1 + 1e-12) + 1e-300
        t = W[p] / R
        if compiled:
            mu_a, mu_b = cheb_moments(t, np.ascontiguousarray(B[p]) / n, L)
            mu_b = mu_b / n
        else:
            mu_a, mu_b = _cheb_moments(t, np.stack([B[p] / n, np.full(n, 1.0 / n)]), L)
        w[p] = R * tq
        a[p] = Tq @ (c * mu_a)
        b[p] = Tq @ (c * mu_b)
    return Units(w, a, b, n, True)


def draw_units(wgens, bgens, n: int, steps: int | None = None, method: str = "auto", L: int = DEFAULT_L,
               weights=None) -> Units:
    """``make_units`` of one (W, B) draw per pair of generators, W by ``weights(gen, n)``
    (default ``draw_weights``), B by ``draw_b``: the same units as stacking the draws first,
    but compressed one draw at a time, so no (draws, N) array exists (at N = 10^6 the stack
    was a quarter of ``lam2023.time-averages``' time and 64 MB a draw)."""
    weights = draw_weights if weights is None else weights
    wgens, bgens = list(wgens), list(bgens)
    if len(wgens) != len(bgens):
        raise ValueError(f"draw_units: {len(wgens)} weight streams and {len(bgens)} B streams")
    if not wgens or make_units_method(n, method, L, steps) == "exact":
        return make_units(np.stack([weights(g, n) for g in wgens]).reshape(len(wgens), n),
                          np.stack([draw_b(g, n) for g in bgens]).reshape(len(bgens), n), method, L, steps)
    parts = [compress_units(weights(gw, n)[None], draw_b(gb, n)[None], L) for gw, gb in zip(wgens, bgens)]
    return Units(np.concatenate([u.w for u in parts]), np.concatenate([u.a for u in parts]),
                 np.concatenate([u.b for u in parts]), n, True)


def make_units_method(n: int, method: str = "auto", L: int = DEFAULT_L, steps: int | None = None) -> str:
    """"exact" or "compressed": what ``make_units`` does for N units and a run of ``steps``."""
    short = steps is not None and steps <= L // 4
    if method == "exact" or (method == "auto" and (n <= L or short)):
        return "exact"
    if method in ("auto", "compressed"):
        return "compressed"
    raise ValueError(f"unknown method {method!r}")


def make_units(W, B, method: str = "auto", L: int = DEFAULT_L, steps: int | None = None) -> Units:
    """Exact units, or compressed ones when that is cheaper.

    ``auto`` compresses when N > L and the run is long enough (``steps`` > L / 4, or
    unknown) to repay the O(N L) compression (~0.2 ns per unit and node against ~2 ns per
    unit-step of the exact recursion); otherwise the plain recursion."""
    n = np.atleast_2d(W).shape[1]
    if make_units_method(n, method, L, steps) == "exact":
        return exact_units(W, B)
    return compress_units(W, B, L)


@dataclass
class MemoryRun:
    """What an untrained-memory run keeps: per-path scalars only.

    m[:, k] = M_k (k = 0..K-1): the memory entering step k, so unit i at step k+1 is
    sigma(W^i X_k + M_k); the final units S_K are sigma(W^i X_{K-1} + m[:, K-1])
    (``units_at``). mean1/mean2[:, k-1] = mean_i (S^i_k)^p for k = 1..K.
    """

    m: np.ndarray
    mean1: np.ndarray
    mean2: np.ndarray
    start1: np.ndarray | None = None     # mean_i (S^i_0)^p per path, p = 1, 2 (S_0 = sigma(W X_0))
    start2: np.ndarray | None = None

    def rolling(self, p: int, convention: str = "mean") -> np.ndarray:
        """Running time averages per path (P, K), k = 1..K.

        ``mean``: (1/k) sum_{j=1..k} mean_i (S^i_j)^p (an average of k terms);
        ``paper``: (1/k) sum_{j=0..k} mean_i (S^i_j)^p, the authors' code (k + 1 terms over
        k: it starts ~ (1 + 1/k) times the limit, hence their red curve's 0.574 at k = 100)."""
        v = self.mean1 if p == 1 else self.mean2
        total = np.cumsum(v, axis=1)
        if convention == "paper":
            total = total + (self.start1 if p == 1 else self.start2)[:, None]
        elif convention != "mean":
            raise ValueError(f"unknown time-average convention {convention!r}")
        return total / np.arange(1, v.shape[1] + 1)


def memory_run(units: Units, X: np.ndarray, steps: int, activation=sigmoid,
               moments: bool = True, compiled: bool = True) -> MemoryRun:
    """Run the untrained memory for ``steps`` steps on inputs X (P, >= steps).

    S_0 = act(W X_0), M_0 = sum a S_0; for k = 0..steps-1: S_{k+1} = act(W X_k + M_k),
    M_{k+1} = sum a S_{k+1}. ``activation`` is a switch for negative controls only.

    With the sigmoid (every claim's truth) it runs compiled, ``lam2023_kernels.memory_paths``
    (``compiled=False``: this numpy loop, the reference; they agree to round-off)."""
    w, a, b = units.w, units.a, units.b
    P = w.shape[0]
    if compiled and activation is sigmoid:
        from .lam2023_kernels import memory_paths

        # shapes as numpy would broadcast them (the kernel does not check its indices)
        f64 = [np.ascontiguousarray(np.broadcast_to(v, w.shape), dtype=np.float64) for v in (w, a, b)]
        Xc = np.ascontiguousarray(np.broadcast_to(X[:, :max(steps, 1)], (P, max(steps, 1))), dtype=np.float64)
        m_hist, mean1, mean2, start1, start2 = memory_paths(*f64, Xc, int(steps), bool(moments))
        if not moments:
            return MemoryRun(m_hist, None, None, None, None)
        return MemoryRun(m_hist, mean1, mean2, start1, start2)
    m_hist = np.empty((P, steps))
    mean1 = np.empty((P, steps)) if moments else None
    mean2 = np.empty((P, steps)) if moments else None
    s = activation(w * X[:, :1])
    m = np.einsum("pn,pn->p", a, s)
    start1 = np.einsum("pn,pn->p", b, s) if moments else None
    start2 = np.einsum("pn,pn->p", b, s * s) if moments else None
    for k in range(steps):
        m_hist[:, k] = m
        s = activation(w * X[:, k:k + 1] + m[:, None])
        m = np.einsum("pn,pn->p", a, s)
        if moments:
            mean1[:, k] = np.einsum("pn,pn->p", b, s)
            mean2[:, k] = np.einsum("pn,pn->p", b, s * s)
    return MemoryRun(m_hist, mean1, mean2, start1, start2)


def units_at(W: np.ndarray, x: np.ndarray, m: np.ndarray, activation=sigmoid) -> np.ndarray:
    """Every unit's state sigma(W^i x + m) per path (P, N): the units after a step
    with input x and memory m (exact, O(N), used once per path)."""
    return activation(np.atleast_2d(W) * np.asarray(x)[:, None] + np.asarray(m)[:, None])


# -- limit objects ---------------------------------------------------------------------------

@lru_cache(maxsize=8)
def gauss_hermite(n: int = GH_NODES) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights for E_{w ~ N(0,1)}[f(w)] ~ sum weights f(nodes)."""
    t, wt = np.polynomial.hermite_e.hermegauss(n)
    return t, wt / math.sqrt(2 * math.pi)


def expected_sigma(x, m, n: int = GH_NODES, power: int = 1):
    """E_w[sigma(w x + m)^power], w ~ N(0, 1), broadcasting over x and m."""
    t, wt = gauss_hermite(n)
    x = np.asarray(x, np.float64)[..., None]
    m = np.asarray(m, np.float64)[..., None]
    return np.sum(wt * sigmoid(t * x + m) ** power, axis=-1)


def G(x, m, n: int = GH_NODES):
    """G(x, m) = E[B] E_w[sigma(w x + m)]: the infinite-width memory map."""
    return MEAN_B * expected_sigma(x, m, n)


def m_inf_path(X: np.ndarray, steps: int, n: int = GH_NODES, compiled: bool = True) -> np.ndarray:
    """M^inf_0..M^inf_{steps-1} driven by the data X (P, >= steps): M^inf_0 = E[B] E sigma(W X_0),
    M^inf_{k+1} = G(X_k, M^inf_k). Same indexing as ``MemoryRun.m``. ``compiled``:
    ``lam2023_kernels.m_inf_paths`` (the numpy loop's per-step overhead was 44 us at 100
    paths); False: the numpy reference."""
    X = np.atleast_2d(X)
    P = X.shape[0]
    m = MEAN_B * expected_sigma(X[:, 0], 0.0, n)
    if compiled:
        from .lam2023_kernels import m_inf_paths
        if X.ndim != 2 or X.shape[1] < steps:
            raise ValueError(f"m_inf_path: X {X.shape} has fewer than {steps} steps")
        t, wt = gauss_hermite(n)
        return m_inf_paths(np.ascontiguousarray(X, dtype=np.float64), int(steps), t, MEAN_B * wt,
                           np.ascontiguousarray(m, dtype=np.float64))
    out = np.empty((P, steps))
    for k in range(steps):
        out[:, k] = m
        m = G(X[:, k], m, n)
    return out


def limit_quantile(x: float, m: float):
    """Quantile function of the limit law of the units, sigma(W x + m), W ~ N(0, 1):
    u -> sigma(|x| Phi^{-1}(u) + m) (W is symmetric, so the sign of x does not matter)."""
    ax = abs(float(x))
    return lambda u: sigmoid(ax * special.ndtri(u) + m)


def limit_cdf_mixture(t: np.ndarray, x: np.ndarray, m: np.ndarray, compiled: bool = True) -> np.ndarray:
    """CDF at t in (0, 1) of the equal mixture over paths l of the laws sigma(W x_l + m_l).
    ``compiled``: ``lam2023_kernels.mixture_ndtr_mean`` (a vectorised Phi, ~x10); False: the
    numpy reference (scipy's ndtr). They agree to 2^-52 absolute."""
    t = np.asarray(t, np.float64)
    ax = np.maximum(np.abs(np.asarray(x, np.float64)), 1e-300)
    if compiled:
        from .lam2023_kernels import mixture_ndtr_mean
        u = np.ascontiguousarray(special.logit(t), dtype=np.float64).ravel()
        mm = np.ascontiguousarray(np.broadcast_to(np.asarray(m, np.float64), ax.shape)).ravel()
        return mixture_ndtr_mean(u, mm, np.ascontiguousarray(ax).ravel()).reshape(t.shape)
    lt = special.logit(t)[..., None]
    return np.mean(special.ndtr((lt - m) / ax), axis=-1)


def stationary_sample(rng: np.random.Generator, paths: int, burn: int, keep: int, thin: int = 1,
                      n: int = GH_NODES) -> dict:
    """Samples of (X, X~, M^inf) from the stationary law of the limit system: ``paths``
    independent chains, each run ``burn`` steps then sampled every ``thin`` steps ``keep`` times.

    Indexing: the state xi_k = (X_k, M^inf_k) and target Y_k = target(Z_k)."""
    steps = burn + keep * thin
    z0 = rng.uniform(-1, 1, size=(paths, 2))
    u = rng.uniform(-0.5, 0.5, size=(paths, steps, 2))
    Z = chain_run(z0, u)
    M = m_inf_path(Z[..., 0], steps + 1, n)
    idx = burn + thin * np.arange(keep)
    return {"x": Z[:, idx, 0].ravel(), "xt": Z[:, idx, 1].ravel(), "m": M[:, idx].ravel()}


# -- the kernel and the kernel ODE -------------------------------------------------------

def kernel_features(x, m, c2: float = 1.0, n: int = GH_NODES) -> np.ndarray:
    """Features f(xi) with K(xi, xi') = f(xi) . f(xi'):

    K = E_w[sigma(wx+m) sigma(wx'+m')] + E[c^2] E_w[sigma'(wx+m) sigma'(wx'+m') x x']
    by Gauss-Hermite (the kernel has rank <= 2n in this discretisation)."""
    t, wt = gauss_hermite(n)
    x = np.asarray(x, np.float64)[..., None]
    m = np.asarray(m, np.float64)[..., None]
    z = t * x + m
    s = sigmoid(z)
    return np.concatenate([np.sqrt(wt) * s, np.sqrt(c2 * wt) * s * (1 - s) * x], axis=-1)


def kernel(xi_x, xi_m, xj_x, xj_m, c2: float = 1.0, n: int = GH_NODES):
    return np.sum(kernel_features(xi_x, xi_m, c2, n) * kernel_features(xj_x, xj_m, c2, n), axis=-1)


class KernelODE:
    """h_t solving dh_t(xi)/dt = alpha E_pi[(y - h_t(xi')) K(xi, xi')], h_0 = 0, with E_pi
    the empirical law of a stationary sample (x, m, y) of size n.

    On the sample, h(t) = (I - exp(-(alpha/n) K t)) y. With K = F F^T and the small Gram
    matrix F^T F = V diag(s2) V^T:
        h_t(xi) = f(xi) V diag(phi_t(s2)) V^T F^T y,  phi_t(s2) = (1 - exp(-alpha s2 t / n)) / s2,
    which also evaluates h_t off the sample. phi_t is bounded by alpha t / n and smooth at
    s2 = 0, so the nearly-null directions of F cost no accuracy (no SVD of the tall F)."""

    def __init__(self, x, m, y, alpha: float, c2: float = 1.0, n: int = GH_NODES):
        F = kernel_features(x, m, c2, n)
        s2, self.V = np.linalg.eigh(F.T @ F)
        self.s2 = np.maximum(s2, 0.0)
        self.vfy = self.V.T @ (F.T @ np.asarray(y, np.float64))
        self.size = F.shape[0]
        self.alpha = alpha
        self.lam = alpha * self.s2 / self.size          # eigenvalues of (alpha/n) K
        self.c2, self.n = c2, n

    def coef(self, t: float) -> np.ndarray:
        z = self.lam * t
        small = z < 1e-8
        ratio = np.where(small, 1.0 - z / 2, -np.expm1(-z) / np.where(small, 1.0, z))
        phi = self.alpha * t / self.size * ratio
        return self.V @ (phi * self.vfy)

    def h(self, t: float, x, m) -> np.ndarray:
        return kernel_features(x, m, self.c2, self.n) @ self.coef(t)


# -- the trained network ------------------------------------------------------------------

def psi(u):
    """Smooth clipping: identity on [-1, 1], sign(u)(1 + tanh(|u| - 1)) outside (C^1, |psi| < 2)."""
    u = np.asarray(u, np.float64)
    au = np.abs(u)
    return np.where(au <= 1.0, u, np.sign(u) * (1.0 + np.tanh(au - 1.0)))


def psi_n(y, n: int, gamma: float):
    """psi_N(y) = N^gamma psi(y / N^gamma): identity below the threshold N^gamma."""
    th = float(n) ** gamma
    return th * psi(np.asarray(y) / th)


@dataclass
class TrainConfig:
    """Section 1.3 of the spec. ``lr_exponent`` and ``out_exponent`` default to the
    paper's 2 beta - 2 and -beta (switches exist for negative controls)."""

    beta: float = 0.75
    gamma: float = 0.1
    alpha: float = 1.0
    T: float = 1.0
    lr_exponent: float | None = None     # None: 2 beta - 2
    out_exponent: float | None = None    # None: -beta
    train_w: bool = True
    clip_threshold: float | None = None  # None: N^gamma
    error_sign: float = 1.0              # -1: gradient ascent (a negative control)
    b_lr_exponent: float | None = None   # None: B fixed (the model); else B trained at alpha N^e (a control)

    def lr(self, n: int) -> float:
        e = 2 * self.beta - 2 if self.lr_exponent is None else self.lr_exponent
        return self.alpha * float(n) ** e

    def out_scale(self, n: int) -> float:
        e = -self.beta if self.out_exponent is None else self.out_exponent
        return float(n) ** e

    def threshold(self, n: int) -> float:
        return float(n) ** self.gamma if self.clip_threshold is None else self.clip_threshold


def output(C, W, x, m, cfg: TrainConfig, n: int):
    """Network function y = N^-beta sum_i C^i sigma(W^i x + m) per path (C, W: (P, N))."""
    s = sigmoid(W * np.asarray(x)[:, None] + np.asarray(m)[:, None])
    return cfg.out_scale(n) * np.einsum("pn,pn->p", C, s)


def train_step(C, W, B, S, x, y_target, cfg: TrainConfig, n: int):
    """One online step (in place on C, W); returns (S_{k+1}, M_k, y_k, clip_active, e_k).

    M_k = mean B S_k; S_{k+1} = sigma(W_k X_k + M_k); y_k = N^-beta sum C_k S_{k+1};
    e_k = Y_k - psi_N(y_k); C += lr e N^-beta S_{k+1}; W += lr e N^-beta C_k sigma'(.) X_k,
    with lr = alpha N^(2 beta - 2) and B fixed."""
    m = np.einsum("pn,pn->p", B, S) / n
    s = sigmoid(W * x[:, None] + m[:, None])
    scale = cfg.out_scale(n)
    y = scale * np.einsum("pn,pn->p", C, s)
    th = cfg.threshold(n)
    active = np.abs(y) > th
    e = cfg.error_sign * (y_target - th * psi(y / th))
    g = (cfg.lr(n) * scale * e)[:, None]
    if cfg.train_w:
        W += g * C * (s * (1.0 - s)) * x[:, None]
    if cfg.b_lr_exponent is not None:    # negative control: B updated like an output weight
        B += (cfg.alpha * float(n) ** cfg.b_lr_exponent * scale * e)[:, None] * s
    C += g * s
    return s, m, y, active, e


@dataclass
class TrainRun:
    C0: np.ndarray
    W0: np.ndarray
    C: np.ndarray
    W: np.ndarray
    B: np.ndarray
    y0: np.ndarray            # y^N_0 per path
    clip_any: np.ndarray      # clipping active at some k <= N T, per path
    clip_frac: np.ndarray     # fraction of steps with clipping active
    max_move: np.ndarray      # max_i sup_k |theta^i_k - theta^i_0| over C and W, per path
    steps: int
    final_m: np.ndarray
    m_path: np.ndarray | None = None   # (P, steps) memory M_k with the trained parameters (track_path)
    y_path: np.ndarray | None = None   # (P, steps) output y^N_k (track_path)


def draw_network(st: list[Streams], n: int):
    """(W, B, C) (P, N) per path from the path's streams (nested across N)."""
    W = np.stack([draw_weights(s.w, n) for s in st])
    B = np.stack([draw_b(s.b, n) for s in st])
    C = np.stack([s.c.standard_normal(n) for s in st])
    return W, B, C


def train(Z: np.ndarray, W: np.ndarray, B: np.ndarray, C: np.ndarray, cfg: TrainConfig,
          steps: int | None = None, track_moves: bool = True, track_path: bool = False,
          backend: str | None = None, torch_device: str | None = None) -> TrainRun:
    """Train online for ``steps`` (default N T) steps on data Z (P, >= steps+1, 2).
    ``track_path`` keeps M_k and y_k of every step (P, steps). B is updated in place only
    by the control ``b_lr_exponent`` (pass a copy then).

    ``backend``: None (default) follows the process's device (:mod:`.device`, set by
    ``claimcheck run --device``): on the CPU "numba", the compiled loop of ``lam2023_kernels``
    (2.2 ns a unit-step against numpy's 10-30: benchmarks/README.md), on a torch device
    "torch"; "torch" runs ``lam2023_torch`` on ``torch_device`` (default: the process's, else
    "cpu"); "numpy" is the reference (``train_step`` per step). All agree to round-off."""
    if backend is None:
        from . import device

        dev = device.current()
        backend = "numba" if dev == device.CPU else "torch"
        if backend == "torch" and torch_device is None:
            torch_device = device.torch_name(dev)
    P, n = W.shape
    steps = int(round(n * cfg.T)) if steps is None else steps
    C = C.astype(np.float64, copy=True)
    W = W.astype(np.float64, copy=True)
    C0, W0 = C.copy(), W.copy()
    X = Z[..., 0]
    Y = target(Z)
    if backend == "numba":
        return _train_numba(X, Y, W, B, C, C0, W0, cfg, steps, track_moves, track_path)
    if backend == "torch":
        from .lam2023_torch import train_paths

        run = train_paths(X, Y, W, B, C, cfg, int(steps), track_moves, track_path, device=torch_device or "cpu")
        return TrainRun(B=B, steps=int(steps), **run)
    if backend != "numpy":
        raise ValueError(f"unknown backend {backend!r}")
    S = sigmoid(W * X[:, :1])
    clip_any = np.zeros(P, bool)
    clip_n = np.zeros(P)
    move = np.zeros(P)
    y0 = None
    m = None
    m_path = np.empty((P, steps)) if track_path else None
    y_path = np.empty((P, steps)) if track_path else None
    for k in range(steps):
        S, m, y, active, _ = train_step(C, W, B, S, X[:, k], Y[:, k], cfg, n)
        if track_path:
            m_path[:, k] = m
            y_path[:, k] = y
        if k == 0:
            y0 = y.copy()
        clip_any |= active
        clip_n += active
        if track_moves:
            dc = np.max(np.abs(C - C0), axis=1)
            dw = np.max(np.abs(W - W0), axis=1)
            move = np.maximum(move, np.maximum(dc, dw))
    return TrainRun(C0, W0, C, W, B, y0, clip_any, clip_n / max(steps, 1), move, steps, m, m_path, y_path)


def _train_numba(X, Y, W, B, C, C0, W0, cfg: TrainConfig, steps: int, track_moves: bool,
                 track_path: bool) -> TrainRun:
    """``train`` through the compiled kernel (same arithmetic, same outputs)."""
    from .lam2023_kernels import train_paths

    P, n = W.shape
    if not (X.shape[0] == Y.shape[0] == B.shape[0] == C.shape[0] == P and B.shape[1] == C.shape[1] == n
            and X.shape[1] >= steps):
        # the kernel does not check its indices: shapes numpy would reject must not reach it
        raise ValueError(f"train: data {X.shape} and parameters W {W.shape}, B {B.shape}, C {C.shape} "
                         f"do not match for {steps} steps")
    train_b = cfg.b_lr_exponent is not None
    Bk = np.ascontiguousarray(B, dtype=np.float64)   # B itself when already float64 C-order
    b_rate = cfg.alpha * float(n) ** cfg.b_lr_exponent if train_b else 0.0
    y0, clip_any, clip_n, move, final_m, m_path, y_path = train_paths(
        np.ascontiguousarray(X[:, :steps], dtype=np.float64),
        np.ascontiguousarray(Y[:, :steps], dtype=np.float64),
        W, Bk, C, int(steps), float(cfg.lr(n)), float(cfg.out_scale(n)), float(cfg.threshold(n)),
        float(cfg.error_sign), bool(cfg.train_w), float(b_rate), train_b, bool(track_moves),
        bool(track_path))
    if train_b and Bk is not B:
        B[...] = Bk                      # in place, as the numpy reference
    if steps == 0:
        y0 = final_m = None
    return TrainRun(C0, W0, C, W, B, y0, clip_any, clip_n / max(steps, 1), move, steps, final_m,
                    m_path if track_path else None, y_path if track_path else None)


def kernel_column_average(X: np.ndarray, steps: int, x0: float, m0: float, start: int = 0,
                          c2: float = 1.0, n: int = GH_NODES, compiled: bool = True) -> np.ndarray:
    """(1/(steps-start)) sum_{start <= k < steps} K(xi_k, xi0) along the limit chain
    xi_k = (X_k, M^inf_k), per path (X: (P, >= steps)).

    Fused with the M^inf recursion: sigma(w_q X_k + M_k) at the Gauss-Hermite nodes
    serves both G(X_k, M_k) and the kernel column, so a step costs O(P n). ``compiled``:
    ``lam2023_kernels.column_average_paths`` (~1.5 ns a node-step against numpy's ~12);
    False: the numpy reference."""
    t, wt = gauss_hermite(n)
    s0 = sigmoid(t * x0 + m0)
    a = wt * s0                              # first kernel term's weights
    b = c2 * wt * s0 * (1 - s0) * x0         # second term's weights (times x)
    P = X.shape[0]
    m = MEAN_B * expected_sigma(X[:, 0], 0.0, n)
    if compiled:
        from .lam2023_kernels import column_average_paths
        if X.ndim != 2 or X.shape[1] < steps:
            raise ValueError(f"kernel_column_average: X {X.shape} has fewer than {steps} steps")
        acc = column_average_paths(np.ascontiguousarray(X, dtype=np.float64), int(steps), int(start), t,
                                   a, MEAN_B * wt, b, np.ascontiguousarray(m, dtype=np.float64))
        return acc / (steps - start)
    cols = np.stack([a, MEAN_B * wt, b], axis=1)   # s @ cols: first term, G, s . b
    acc = np.zeros(P)
    for k in range(steps):
        x = X[:, k]
        s = sigmoid(np.multiply.outer(x, t) + m[:, None])
        sc = s @ cols
        if k >= start:
            acc += sc[:, 0] + (sc[:, 2] - (s * s) @ b) * x
        m = sc[:, 1]
    return acc / (steps - start)
