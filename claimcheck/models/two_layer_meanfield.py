"""Two-layer networks trained by online SGD in the mean-field scaling
(Sirignano & Spiliopoulos, SIAM J. Appl. Math. 2020 and Stoch. Proc. Appl. 2020).

Network of width N on inputs x = (u, 1) (a bias through the constant coordinate)::

    g^N(u) = (1/N) sum_i c^i tanh(a^i u + b^i)

Online SGD on the loss 1/2 (y - g)^2, one fresh sample (u_k, y_k) per step, every unit
moving by alpha/N times its mean-field velocity field per step::

    c^i += (alpha/N) (y_k - g(u_k)) tanh(z^i)
    a^i += (alpha/N) (y_k - g(u_k)) c^i tanh'(z^i) u_k,   b^i += (same without u_k)

for N*T steps: step k is training time t = k/N.

Each replicate is one net with its own units and data (no coupling between widths):
its mean-field limit is computed deterministically by
claimcheck.models.two_layer_meanfield_limit (the population flow by quadrature), so
nothing else's fluctuation enters the distance. (Before, a width-N_ref finite net nested
with the width-N one stood in for the limit, at O(N_ref^-1/2) bias and most of the cost.)

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
    """All randomness of one replicate: N initial units and the data stream."""

    c: np.ndarray   # (N,) output weights, U[-1, 1]
    a: np.ndarray   # (N,) input weights, N(0, 1)
    b: np.ndarray   # (N,) biases, N(0, 1)
    u: np.ndarray   # (N*T,) inputs, N(0, 1)


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


def draw(rng: np.random.Generator, N: int, n_steps: int) -> Draws:
    """One replicate's draws: N initial units, then the n_steps inputs of its data stream
    (always in this order, so a replicate is the same whatever batch it runs in)."""
    c = rng.uniform(-1.0, 1.0, N)
    a = rng.standard_normal(N)
    b = rng.standard_normal(N)
    u = rng.standard_normal(n_steps)
    return Draws(c, a, b, u)


def net_outputs(rngs: Sequence[np.random.Generator], N: int, T: float, alpha: float, *,
                scaling: str = "mean-field", lr_width: int | None = None) -> dict[str, np.ndarray]:
    """Train one width-N net per rng (independent units and data) for N*T SGD steps.

    scaling: "mean-field" (g = 1/N sum) or "ntk" (g = 1/sqrt(N) sum).
    lr_width: the per-step factor is alpha/lr_width (default N, the mean-field scaling;
    a fixed width means a learning rate not scaled with N: training time T*N/lr_width).

    Returns arrays of shape (R, len(TEST_U)): "net" (g^N at time T) and "net0" (at time 0).
    """
    steps = int(round(N * T))
    draws = [draw(rng, N, steps) for rng in rngs]
    scale = 1.0 / N if scaling == "mean-field" else 1.0 / np.sqrt(N)
    step = alpha / (N if lr_width is None else lr_width)
    C = np.stack([d.c for d in draws])
    A = np.stack([d.a for d in draws])
    B = np.stack([d.b for d in draws])
    U = np.stack([d.u for d in draws])
    net0 = predict(C, A, B, TEST_U, scale)
    c, a, b = train(C, A, B, U, step=step, out_scale=scale)
    return {"net": predict(c, a, b, TEST_U, scale), "net0": net0}
