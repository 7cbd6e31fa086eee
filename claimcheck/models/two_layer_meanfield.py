"""Two-layer networks trained by online SGD in the mean-field scaling
(Sirignano & Spiliopoulos, SIAM J. Appl. Math. 2020 and Stoch. Proc. Appl. 2020).

Network of width N on inputs x = (u, 1) (a bias through the constant coordinate)::

    g^N(u) = (1/N) sum_i c^i tanh(a^i u + b^i)

Online SGD on the loss 1/2 (y - g)^2, one fresh sample (u_k, y_k) per step, every unit
moving by alpha/N times its mean-field velocity field per step::

    c^i += (alpha/N) (y_k - g(u_k)) tanh(z^i)
    a^i += (alpha/N) (y_k - g(u_k)) c^i tanh'(z^i) u_k,   b^i += (same without u_k)

for N*T steps: step k is training time t = k/N.

Coupling (common random numbers) between a width-N net and a much wider reference
net of width N_ref (N divides N_ref), both from the same draws:

- nested units: the width-N net starts from the first N of the reference's N_ref
  initial units;
- nested data: the reference takes one sample per step at times k/N_ref; the width-N
  net takes the samples at its own step times j/N, i.e. every (N_ref/N)-th sample of
  the same stream.

With both couplings the variance of g^N_T - g^ref_T is ~ (1/N - 1/N_ref) times that of
g^N_T - (mean-field limit): the reference's own fluctuation cancels to first order.

Everything is vectorised over replicates (rows) and units (columns); the Python loop
runs over SGD steps only. float64 throughout.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

TEST_U = np.linspace(-2.0, 2.0, 33)


def target(u: np.ndarray) -> np.ndarray:
    """The function the networks learn (bounded, not odd: needs the bias)."""
    return np.sin(2.0 * u) + 0.5 * np.cos(u)


@dataclass(frozen=True)
class Draws:
    """All randomness of one replicate: N_ref initial units and the reference's data stream."""

    c: np.ndarray   # (N_ref,) output weights, U[-1, 1]
    a: np.ndarray   # (N_ref,) input weights, N(0, 1)
    b: np.ndarray   # (N_ref,) biases, N(0, 1)
    u: np.ndarray   # (N_ref*T,) inputs, N(0, 1)


def draw(rng: np.random.Generator, n_ref: int, n_steps_ref: int) -> Draws:
    """The replicate's draws, always in the same order and amount (so a width-N net
    and the reference built from the same rng share them)."""
    c = rng.uniform(-1.0, 1.0, n_ref)
    a = rng.standard_normal(n_ref)
    b = rng.standard_normal(n_ref)
    u = rng.standard_normal(n_steps_ref)
    return Draws(c, a, b, u)


def predict(c: np.ndarray, a: np.ndarray, b: np.ndarray, u: np.ndarray, out_scale: float) -> np.ndarray:
    """Outputs (R, len(u)) of R nets (rows of c, a, b) at the inputs u."""
    z = a[:, :, None] * u[None, None, :] + b[:, :, None]
    return out_scale * np.einsum("rn,rnm->rm", c, np.tanh(z))


def train(c: np.ndarray, a: np.ndarray, b: np.ndarray, u: np.ndarray, *, step: float,
          out_scale: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Online SGD for R nets at once.

    c, a, b: (R, N) initial units (copied); u: (R, K) the inputs, one per step;
    step: the per-step factor (alpha/N in the mean-field scaling);
    out_scale: g = out_scale * sum_i c^i tanh(z^i) (1/N in the mean-field scaling).
    """
    c, a, b = c.copy(), a.copy(), b.copy()
    y = target(u)
    R, N = c.shape
    z = np.empty((R, N))
    s = np.empty((R, N))
    common = np.empty((R, N))
    for k in range(u.shape[1]):
        uk = u[:, k:k + 1]
        np.multiply(a, uk, out=z)
        z += b
        np.tanh(z, out=s)
        g = out_scale * np.einsum("rn,rn->r", c, s)
        err = (step * (y[:, k] - g))[:, None]
        # common = err * c * (1 - s^2), computed before c moves (simultaneous update)
        np.multiply(s, s, out=common)
        np.subtract(1.0, common, out=common)
        common *= c
        common *= err
        s *= err
        c += s
        b += common
        common *= uk
        a += common
    return c, a, b


def _steps(N: int, N_ref: int, T: float) -> tuple[int, int]:
    """(N_ref*T reference steps, N_ref/N): the width-N net takes every m-th sample."""
    if N_ref % N:
        raise ValueError(f"N={N} must divide N_ref={N_ref}")
    m = N_ref // N
    steps_ref = int(round(N_ref * T))
    if steps_ref % m:
        raise ValueError("N_ref*T must be a multiple of N_ref/N")
    return steps_ref, m


def _train_reference(draws: Sequence[Draws], N_ref: int, alpha: float) -> np.ndarray:
    """Outputs (R, len(TEST_U)) at time T of the width-N_ref reference nets (mean-field
    scaling, steps alpha/N_ref): the approximation of the mean-field limit."""
    C = np.stack([d.c for d in draws])
    A = np.stack([d.a for d in draws])
    B = np.stack([d.b for d in draws])
    U = np.stack([d.u for d in draws])
    c, a, b = train(C, A, B, U, step=alpha / N_ref, out_scale=1.0 / N_ref)
    return predict(c, a, b, TEST_U, 1.0 / N_ref)


def reference_outputs(rngs: Sequence[np.random.Generator], N_ref: int, T: float, alpha: float) -> list[np.ndarray]:
    """The reference's output at time T for each rng (one array of len(TEST_U) per rng):
    the part of a replicate shared by every width N (a claim's ``reference`` hook)."""
    steps_ref = int(round(N_ref * T))
    return list(_train_reference([draw(rng, N_ref, steps_ref) for rng in rngs], N_ref, alpha))


def coupled_outputs(rngs: Sequence[np.random.Generator], N: int, N_ref: int, T: float, alpha: float, *,
                    refs: Sequence[np.ndarray] | None = None, scaling: str = "mean-field",
                    lr: str = "scaled") -> dict[str, np.ndarray]:
    """Train a width-N net and the width-N_ref reference on shared draws, per rng.

    The reference always approximates the mean-field limit (mean-field scaling, steps
    alpha/N_ref); ``scaling`` and ``lr`` change the width-N net only, so a broken
    variant is compared with the limit the theorem is about:
    scaling: "mean-field" (g = 1/N sum) or "ntk" (g = 1/sqrt(N) sum).
    lr: "scaled" (per-step factor alpha/N, N*T steps) or "fixed" (alpha/N_ref at every
    width: the learning rate is not scaled with N; still N*T steps).
    refs: the references' outputs at time T (:func:`reference_outputs` of the same rngs,
    computed once per replicate by the engine); trained here if not given.

    Returns arrays of shape (R, len(TEST_U)): "net" (g^N at time T), "ref" (g^ref at
    time T) and "ref0" (g^ref at time 0).
    """
    steps_ref, m = _steps(N, N_ref, T)
    draws = [draw(rng, N_ref, steps_ref) for rng in rngs]
    ref = np.stack(refs) if refs is not None else _train_reference(draws, N_ref, alpha)

    def scale(n):
        return 1.0 / n if scaling == "mean-field" else 1.0 / np.sqrt(n)

    def step(n):
        return alpha / n if lr == "scaled" else alpha / N_ref

    C = np.stack([d.c for d in draws])
    A = np.stack([d.a for d in draws])
    B = np.stack([d.b for d in draws])
    ref0 = predict(C, A, B, TEST_U, 1.0 / N_ref)
    U = np.stack([d.u[::m] for d in draws])  # the samples at the width-N net's step times j/N
    c, a, b = train(C[:, :N], A[:, :N], B[:, :N], U, step=step(N), out_scale=scale(N))
    net = predict(c, a, b, TEST_U, scale(N))
    return {"net": net, "ref": ref, "ref0": ref0}
