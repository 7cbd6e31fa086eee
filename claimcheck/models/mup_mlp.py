"""A two-hidden-layer tanh MLP trained by SGD under an abc-parametrisation: the engine of
the muP coordinate check (Yang & Hu, Tensor Programs IV, arXiv 2011.14522; Yang et al.,
Tensor Programs V, arXiv 2203.03466, Table 3 "muP for SGD").

    h1 = xi W1^T,  x1 = tanh(h1),  h2 = x1 W2^T,  x2 = tanh(h2),  f = x2 . W3

with W1 (n, d), W2 (n, n), W3 (n,), no biases, trained by full-batch SGD on a fixed
batch of B inputs with the loss (1/2B) sum_b (f_b - y_b)^2. A parametrisation is the
initial variance and the learning rate of each layer's *effective* weights:

    ============  ==========================  =============================
    name          init variance (W1, W2, W3)  learning rate (W1, W2, W3)
    ============  ==========================  =============================
    mup           1/d, 1/n, 1/n^2             eta n, eta, eta / n
    sp            1/d, 1/n, 1/n               eta, eta, eta
    ntk           1/d, 1/n, 1/n               eta / d, eta / n, eta / n
    ============  ==========================  =============================

(ntk: W = w / sqrt(fan_in) with GD on w at rate eta is GD on W at rate eta / fan_in.)

Why muP keeps every update Theta(1) per coordinate: the output weights' coordinates are
1/n, so the backward signal reaching h2 is 1/n per coordinate; dW2 x1 sums n aligned
terms: eta (1/n) n = Theta(1). Through W2^T the signal at h1 is again 1/n per
coordinate, and the input layer's rate eta n makes dW1 xi = Theta(1). The output
changes by (eta / n) |x2|^2 = Theta(1). Under SP the same sums give sqrt(n) for the
hidden layers and n for the output (they blow up); under NTK the hidden features move
by n^-1/2 (the kernel regime: the features freeze).

The measured quantity is mup's coordinate check: the RMS over coordinates (and the
batch) of a layer's change h_l(t) - h_l(0) after t SGD steps, per replicate.
Everything is float64; one replicate is one initialisation and one batch.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .inplace import add_outer

PARAMETRISATIONS = ("mup", "sp", "ntk")


@dataclass(frozen=True)
class Setup:
    """A parametrisation's per-layer initial standard deviations and learning rates."""

    init_sd: tuple[float, float, float]
    lr: tuple[float, float, float]


def setup(name: str, n: int, d: int, eta: float, *, input_lr_scaled: bool = True,
          output_lr_scaled: bool = True) -> Setup:
    """Init sd and learning rates of ``name`` at width ``n`` and input dimension ``d``.
    The two flags turn off one muP rule each (the usual implementation slips: the input
    layer at the hidden layers' rate, the output layer at the hidden layers' rate)."""
    if name == "mup":
        lr = (eta * n if input_lr_scaled else eta, eta, eta / n if output_lr_scaled else eta)
        return Setup((d ** -0.5, n ** -0.5, 1.0 / n), lr)
    if name == "sp":
        return Setup((d ** -0.5, n ** -0.5, n ** -0.5), (eta, eta, eta))
    if name == "ntk":
        return Setup((d ** -0.5, n ** -0.5, n ** -0.5), (eta / d, eta / n, eta / n))
    raise ValueError(f"unknown parametrisation {name!r}; known: {', '.join(PARAMETRISATIONS)}")


@dataclass
class Net:
    W1: np.ndarray   # (n, d)
    W2: np.ndarray   # (n, n)
    W3: np.ndarray   # (n,)


def init(rng: np.random.Generator, n: int, d: int, s: Setup) -> Net:
    W1 = s.init_sd[0] * rng.standard_normal((n, d))
    W2 = rng.standard_normal((n, n))
    W2 *= s.init_sd[1]            # in place: no second n x n array (the same numbers)
    return Net(W1, W2, s.init_sd[2] * rng.standard_normal(n))


def forward(net: Net, xi: np.ndarray):
    """(h1, x1, h2, x2, f) for a batch xi (B, d)."""
    h1 = xi @ net.W1.T
    x1 = np.tanh(h1)
    h2 = x1 @ net.W2.T
    x2 = np.tanh(h2)
    return h1, x1, h2, x2, x2 @ net.W3


def loss(net: Net, xi: np.ndarray, y: np.ndarray) -> float:
    f = forward(net, xi)[-1]
    return float(np.mean((f - y) ** 2) / 2)


def _backprop(net: Net, xi: np.ndarray, y: np.ndarray, fwd=None):
    """(dW1, g2, x1, dW3): the gradients with dW2 = g2^T x1 kept factored (rank B), from the
    forward pass ``fwd`` of the current weights (computed if not given)."""
    h1, x1, h2, x2, f = forward(net, xi) if fwd is None else fwd
    r = (f - y) / len(y)                                  # (B,)
    d3 = x2.T @ r                                         # (n,)
    g2 = r[:, None] * net.W3[None, :] * (1.0 - x2 ** 2)   # (B, n): dL/dh2
    g1 = (g2 @ net.W2) * (1.0 - x1 ** 2)                  # (B, n): dL/dh1
    d1 = g1.T @ xi                                        # (n, d)
    return d1, g2, x1, d3


def gradients(net: Net, xi: np.ndarray, y: np.ndarray):
    """Exact gradients (dW1, dW2, dW3) of the loss (1/2B) sum (f - y)^2 (backpropagation)."""
    d1, g2, x1, d3 = _backprop(net, xi, y)
    return d1, g2.T @ x1, d3


def sgd_step(net: Net, xi: np.ndarray, y: np.ndarray, lr: tuple[float, float, float], fwd=None) -> None:
    """One SGD step in place; ``fwd``: the forward pass of the current weights, if already made.
    The hidden matrix takes its rank-B update in place (no n x n gradient array: at n = 8192
    forming it and subtracting it took ~1.1 of a step's 1.4 s under cProfile)."""
    d1, g2, x1, d3 = _backprop(net, xi, y, fwd)
    net.W1 -= lr[0] * d1
    add_outer(net.W2, -lr[1], g2, x1)
    net.W3 -= lr[2] * d3


def rms(a: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(a))))


def coordinate_check(rng: np.random.Generator, n: int, *, d: int = 16, batch: int = 8, eta: float = 0.5,
                     steps: tuple[int, ...] = (1, 3), name: str = "mup", **flags) -> dict[str, float]:
    """One replicate of the coordinate check: draw the batch (xi ~ N(0, I_d), y ~ N(0, 1))
    and the initialisation, take max(steps) SGD steps, and return the RMS coordinate
    change of h1, h2 and f after each t in ``steps`` (keys ``dh1_t1``, ``dh2_t1``, ``df_t1``, ...).
    The batch is drawn first, so every parametrisation sees the same data for one seed."""
    xi = rng.standard_normal((batch, d))
    y = rng.standard_normal(batch)
    s = setup(name, n, d, eta, **flags)
    net = init(rng, n, d, s)
    fwd = forward(net, xi)
    h1_0, _, h2_0, _, f_0 = fwd
    out = {}
    for t in range(1, max(steps) + 1):
        sgd_step(net, xi, y, s.lr, fwd)
        fwd = forward(net, xi)        # recorded at t and reused by the next step's gradients
        if t in steps:
            h1, _, h2, _, f = fwd
            out[f"dh1_t{t}"] = rms(h1 - h1_0)
            out[f"dh2_t{t}"] = rms(h2 - h2_0)
            out[f"df_t{t}"] = rms(f - f_0)
    return out
