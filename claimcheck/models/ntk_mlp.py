"""A width-n erf MLP (d -> n -> n -> 1, no biases) trained by full-batch GD next to its
linearisation f_lin (Lee et al. 2019, arXiv 1902.06720), vectorised over replicates.

Parameters are stored raw (w) and multiplied in the forward pass, so one code path
covers the parameterisations:
  ntk:       w ~ N(0, 1), layer multiplier 1/sqrt(fan_in)      (the paper's)
  standard:  w ~ N(0, 1/fan_in), multiplier 1
  meanfield: as ntk, but the output multiplier is 1/n (features move: no lazy regime)

The NTK is computed layer by layer, Theta(x, x') = sum_l m_l^2 <delta_l(x), delta_l(x')>
<a_{l-1}(x), a_{l-1}(x')>, never as a P x n^2 Jacobian. The linearised model is trained
in function space, f_lin <- f_lin - eta Theta_0(., train) (f_lin(train) - y), which is
exactly GD on f_0 + J_0 (theta - theta_0) (the parameter-space form costs n^2 per point).

Loss L = 1/2 sum_train (f - y)^2; GD is stable for the linear model iff eta < 2/lambda_max
(Theta_0 on the training set): eta_crit = 2/lambda_max, and the step is lr_factor * eta_crit.
A run that blows up (|f| or |f_lin| > CAP, or a non-finite value) is frozen at that step and
reports CAP for each sup (an n-independent value), flagged ``diverged``.

Set OPENBLAS_NUM_THREADS=1 outside the CLI (which does it): the (R, P, n) @ (R, n, n) products
cross OpenBLAS's threading threshold at n = 256, and on a loaded 2-core machine its threads
made each product ~250x slower (19 ms instead of 80 us per replicate, measured under load).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import erf

from .inplace import add_outer, squared_distances

CAP = 1e6
PARAMS = ("ntk", "standard", "meanfield")
_C = 2.0 / math.sqrt(math.pi)


def data(d=16, n_train=8, n_test=4, seed=2019):
    """Fixed inputs on the unit sphere (the theorem's ||x|| <= 1) and targets y = sin(3 x_1) + x_2:
    the same for every replicate (the theorem is about the random init for fixed data)."""
    g = np.random.default_rng(seed)
    X = g.standard_normal((n_train + n_test, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    y = np.sin(3.0 * X[:n_train, 0]) + X[:n_train, 1]
    return X[:n_train], y, X[n_train:]


@dataclass
class Net:
    """R nets of width n: raw weights and forward multipliers."""
    W1: np.ndarray    # (R, n, d)
    W2: np.ndarray    # (R, n, n)
    v: np.ndarray     # (R, n)
    m: tuple          # (m1, m2, m3)

    def copy(self):
        return Net(self.W1.copy(), self.W2.copy(), self.v.copy(), self.m)

    def flat(self):
        R = self.v.shape[0]
        return np.concatenate([self.W1.reshape(R, -1), self.W2.reshape(R, -1), self.v], axis=1)


def init(rngs, n, d, param="ntk", train_hidden=True):
    """One net per generator: each replicate draws only from its own rng (vectorised == one by one)."""
    if param not in PARAMS:
        raise ValueError(f"param must be one of {PARAMS}, got {param!r}")
    s1, s2, s3 = (1.0 / math.sqrt(d), 1.0 / math.sqrt(n), 1.0 / math.sqrt(n)) if param == "standard" else (1.0,) * 3
    W1 = np.stack([g.standard_normal((n, d)) for g in rngs]) * s1
    W2 = np.stack([g.standard_normal((n, n)) for g in rngs]) * s2
    v = np.stack([g.standard_normal(n) for g in rngs]) * s3
    if param == "standard":
        m = (1.0, 1.0, 1.0)
    else:
        m = (1.0 / math.sqrt(d), 1.0 / math.sqrt(n), (1.0 / n) if param == "meanfield" else 1.0 / math.sqrt(n))
    return Net(W1, W2, v, m)


def forward(net, X):
    """Outputs (R, P) and the activations and backprop vectors delta_l = df/dh_l."""
    m1, m2, m3 = net.m
    h1 = m1 * np.einsum("pd,rnd->rpn", X, net.W1)
    a1 = erf(h1)
    h2 = m2 * (a1 @ net.W2.transpose(0, 2, 1))
    a2 = erf(h2)
    f = m3 * (a2 @ net.v[:, :, None])[..., 0]
    d2 = m3 * net.v[:, None, :] * _C * np.exp(-h2 ** 2)
    d1 = m2 * (d2 @ net.W2) * _C * np.exp(-h1 ** 2)
    return f, (a1, a2, d1, d2)


def ntk(net, X, cache, train_hidden=True):
    """Empirical NTK (R, P, P) on the points X from a forward pass's cache."""
    m1, m2, m3 = net.m
    a1, a2, d1, d2 = cache
    K = m3 ** 2 * (a2 @ a2.transpose(0, 2, 1))
    if train_hidden:
        K = K + m2 ** 2 * (d2 @ d2.transpose(0, 2, 1)) * (a1 @ a1.transpose(0, 2, 1))
        K = K + m1 ** 2 * (d1 @ d1.transpose(0, 2, 1)) * (X @ X.T)[None]
    return K


def grad_step(net, X, r, cache, eta, train_hidden=True):
    """In place: w <- w - eta dL/dw with residuals r (R, P_train) on the first P_train points of cache."""
    m1, m2, m3 = net.m
    a1, a2, d1, d2 = (c[:, : r.shape[1]] for c in cache)
    er = (eta[:, None] * r)[..., None]                  # the step folded into the small (R, P, n) factors
    net.v -= m3 * np.einsum("rp,rpn->rn", er[..., 0], a2)
    if train_hidden:
        G2 = m2 * er * d2
        for i in range(G2.shape[0]):                     # W2 -= G2^T a1, in place (no n x n temporary)
            add_outer(net.W2[i], -1.0, G2[i], a1[i])
        net.W1 -= (m1 * er * d1).transpose(0, 2, 1) @ X[None, : r.shape[1]]


CHUNK_BYTES = 4 << 20


def run(rngs, n, *, steps=40, lr_factor=0.5, param="ntk", train_hidden=True, X=None, y=None, Xt=None):
    """Train R = len(rngs) nets and their linearisations; per replicate sups over t <= steps of
    gap = max_test |f_t - f_lin_t|, kernel = ||Theta_t - Theta_0||_F / ||Theta_0||_F (train + test),
    weights = ||theta_t - theta_0||_2 / sqrt(n); eta = lr_factor * 2 / lambda_max(Theta_0 on train).

    Replicates run in chunks whose hidden weights (W2, its initial copy and the buffer of their
    difference) stay within CHUNK_BYTES: each step streams every (R, n, n) array several times,
    and once they outgrow the cache the step is memory-bound (64 replicates at n = 256 are
    2 x 33 MB against a shared 32 MB L3: 9.2 s against 0.95 s at n = 128, not the 4x the flops
    give). Replicates are
    independent, so chunking changes nothing but the speed."""
    if X is None:
        X, y, Xt = data()
    c = max(1, CHUNK_BYTES // (3 * 8 * n * n))
    if len(rngs) > c:
        parts = [_run(rngs[i:i + c], n, steps, lr_factor, param, train_hidden, X, y, Xt)
                 for i in range(0, len(rngs), c)]
        out = {k: np.concatenate([p[k] for p in parts]) for k in parts[0] if k != "steps"}
        out["steps"] = max(p["steps"] for p in parts)
        return out
    return _run(rngs, n, steps, lr_factor, param, train_hidden, X, y, Xt)


def _run(rngs, n, steps, lr_factor, param, train_hidden, X, y, Xt):
    nt = X.shape[0]
    Xa = np.vstack([X, Xt])
    net = init(rngs, n, X.shape[1], param)
    R = len(rngs)
    net0 = net.copy()
    f, cache = forward(net, Xa)
    K0 = ntk(net, Xa, cache, train_hidden)
    K0n = np.linalg.norm(K0, axis=(1, 2))
    lam = np.linalg.eigvalsh(K0[:, :nt, :nt])[:, -1]
    eta = lr_factor * 2.0 / lam
    flin = f.copy()
    gap, kern, wts = np.zeros(R), np.zeros(R), np.zeros(R)
    live = np.ones(R, bool)
    done = 0
    buf = np.empty_like(net.W2)      # W2 - W2_0, reused at every step
    for t in range(1, steps + 1):
        r = f[:, :nt] - y
        rl = flin[:, :nt] - y
        e = np.where(live, eta, 0.0)
        grad_step(net, X, r, cache, e, train_hidden)
        flin = flin - e[:, None] * np.einsum("rpq,rq->rp", K0[:, :, :nt], rl)
        with np.errstate(over="ignore", invalid="ignore"):
            f, cache = forward(net, Xa)
            K = ntk(net, Xa, cache, train_hidden)
            g = np.abs(f[:, nt:] - flin[:, nt:]).max(axis=1)
            k = np.linalg.norm(K - K0, axis=(1, 2)) / K0n
            w = np.sqrt(squared_distances(net.W2, net0.W2, buf) + sum(
                ((a - b) ** 2).reshape(R, -1).sum(axis=1)
                for a, b in ((net.W1, net0.W1), (net.v, net0.v)))) / math.sqrt(n)
        gap = np.where(live, np.fmax(gap, np.nan_to_num(g, nan=np.inf)), gap)
        kern = np.where(live, np.fmax(kern, np.nan_to_num(k, nan=np.inf)), kern)
        wts = np.where(live, np.fmax(wts, np.nan_to_num(w, nan=np.inf)), wts)
        big = ~(np.isfinite(f).all(axis=1) & np.isfinite(flin).all(axis=1)) | \
            (np.abs(np.nan_to_num(f, nan=np.inf)).max(axis=1) > CAP) | \
            (np.abs(np.nan_to_num(flin, nan=np.inf)).max(axis=1) > CAP)
        live &= ~big
        done = t
        if not live.any():
            break
    # A diverged replicate reports CAP itself for every sup: an n-independent value, so a sweep of
    # blown-up runs reads as "no decay" (the check fails on it) and not as the sups reached before
    # freezing, which shrink with n and could mimic a rate.
    capd = lambda a: np.where(live, np.minimum(a, CAP), CAP)
    loss = 0.5 * ((np.nan_to_num(f[:, :nt], nan=CAP) - y) ** 2).sum(axis=1)
    return {"gap": capd(gap), "kernel": capd(kern), "weights": capd(wts), "diverged": (~live).astype(float),
            "eta_lambda": eta * lam, "loss_T": np.minimum(loss, CAP * 10.0), "steps": done}
