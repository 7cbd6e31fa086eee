"""Mei, Montanari & Nguyen (PNAS 2018, arXiv 1804.06561): SGD on a two-layer net, its particle
gradient flow and its distributional dynamics, with the population risk computed by quadrature.

The net (MMN's y-hat(x; theta) = (1/N) sum_i sigma_*(x; theta_i)) is the one of
claimcheck.models.two_layer_meanfield: inputs x = (u, 1), u ~ N(0, 1), units theta_i = (c, a, b),
sigma_*(x; theta) = c tanh(a u + b), target y = sin(2u) + cos(u)/2 (noise-free), square loss.
MMN's SGD (their eq. for theta^{k+1}) with constant step size s_k = eps xi, one fresh sample per step::

    theta_i^{k+1} = theta_i^k + 2 eps xi (y_k - y-hat(x_k; theta^k)) grad_theta sigma_*(x_k; theta_i^k)

Every unit moves by O(eps) per step whatever N (the 1/N of the output is *not* in the step: that is
the mean-field scaling); step k is time t = k eps. Its limit as N -> infinity, eps -> 0 is the
distributional dynamics (DD) d rho_t/dt = 2 xi div(rho_t grad Psi(theta; rho_t)), whose particles move
by d theta/dt = 2 xi E[(y - y-hat_rho(x)) grad sigma_*(x; theta)]: the flow that
claimcheck.models.two_layer_meanfield_limit integrates by quadrature over the initial law with
alpha = 2 xi. Three objects, all vectorised over replicates (rows) and units (columns):

- ``sgd``: the SGD above (the loop is claimcheck.models.two_layer_meanfield.train, which is this
  update with step = 2 eps xi and out_scale = 1/N), one fresh N(0, 1) input per step;
- ``particle_flow``: the N-unit *particle gradient flow* from the same initial units: every unit
  moves by the population velocity 2 xi E_u[(y - y-hat_N(u)) grad sigma_*(u; theta_i)] (E_u by
  Gauss-Hermite quadrature), integrated by RK4. It is the eps -> 0 limit of SGD at fixed N (MMN's
  proof passes through it: DD -> particle flow costs N^-1/2, particle flow -> SGD costs eps^1/2);
- ``population_risk`` / ``limit_risk``: R_N(theta) = E_u[(y - y-hat_N(u))^2] of finite nets and
  R(rho_T) of the DD, both by the same Gauss-Hermite rule in u (RISK_NODES nodes).

Accuracy, measured by refinement (T = 1, xi = 1; tests/test_mmn2018.py repeats the cheap ones):
- R(rho_T) = 0.4302416: the error is in the Gauss-Hermite nodes in (a, b) (tanh(a u + b) with |a| up
  to 4 is not a low-degree polynomial): 32 -> 48 -> 64 nodes move it by 4.4e-5, then 9.4e-6
  (geometric, so ~2e-6 left at 64); 20 -> 40 RK4 steps, 48 -> 64 data nodes and 8 -> 16 nodes in c
  move it by < 2e-7. mfl's default (8, 32, 32, 48) would be 5e-5 off; (8, 64, 64, 48) takes ~6 s.
- the particle flow's R_N: 20 -> 80 RK4 steps moves it by < 1e-8; the data nodes dominate again:
  64 -> 128 by 5e-5, 128 -> 256 by 4e-6 (max over 16 nets of N = 32).
- the risk rule: 96 -> 192 nodes moves R_N by 7e-6 (the same rule is used on both sides of a gap).
The gaps the claims measure are 2e-3 .. 5e-2.

float64 throughout; time with one BLAS thread (OPENBLAS_NUM_THREADS=1), as the engine runs it.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Sequence

import numpy as np
from numpy.polynomial.hermite_e import hermegauss

from claimcheck.models import two_layer_meanfield as mf
from claimcheck.models import two_layer_meanfield_limit as mfl

XI = 1.0                       # MMN's step-size schedule xi(t) = 1: the particles' velocity is 2 xi grad
RISK_NODES = 96                # Gauss-Hermite nodes in u for every risk
FLOW_NODES = 128               # Gauss-Hermite nodes in u for the particle flow's population gradient
FLOW_STEPS = 20                # RK4 steps of the particle flow over [0, T]
LIMIT_NODES = (8, 64, 64, 48)  # the DD's quadrature (c, a, b, u); finer in a, b than mfl's default
LIMIT_STEPS = 20               # RK4 steps of the DD over [0, T]
_CHUNK = 8                     # replicates per block when an (R, N, nodes) array is formed


def gauss_normal(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights (summing to 1) for N(0, 1)."""
    x, w = hermegauss(n)
    return x, w / w.sum()


def out_scale(N: int, scaling: str = "mean-field") -> float:
    """The output's normalisation: 1/N (mean field, MMN) or 1/sqrt(N) (NTK)."""
    if scaling == "mean-field":
        return 1.0 / N
    if scaling == "ntk":
        return 1.0 / np.sqrt(N)
    raise ValueError(f"unknown scaling {scaling!r}")


def population_risk(c: np.ndarray, a: np.ndarray, b: np.ndarray, scale: float,
                    nodes: int = RISK_NODES) -> np.ndarray:
    """R_N(theta) = E_u[(y(u) - y-hat(u; theta))^2] of R nets (rows of c, a, b: (R, N)), shape (R,)."""
    u, w = gauss_normal(nodes)
    y = mf.target(u)
    out = np.empty(c.shape[0])
    for lo in range(0, c.shape[0], _CHUNK):
        g = mf.predict(c[lo:lo + _CHUNK], a[lo:lo + _CHUNK], b[lo:lo + _CHUNK], u, scale)
        out[lo:lo + _CHUNK] = ((y - g) ** 2) @ w
    return out


@lru_cache(maxsize=8)
def _limit_risk(T: float, xi: float, nodes: tuple[int, int, int, int], steps: int, risk_nodes: int) -> float:
    c, a, b, w = mfl.flow(T, 2.0 * xi, nodes=nodes, steps=steps)
    u, wu = gauss_normal(risk_nodes)
    g = mfl.output(c, a, b, w, u)
    return float(((mf.target(u) - g) ** 2) @ wu)


def limit_risk(T: float, xi: float = XI, *, nodes: tuple[int, int, int, int] = LIMIT_NODES,
               steps: int = LIMIT_STEPS, risk_nodes: int = RISK_NODES) -> float:
    """R(rho_T): the risk of the distributional dynamics at time T (deterministic; cached per process)."""
    return _limit_risk(float(T), float(xi), tuple(int(n) for n in nodes), int(steps), int(risk_nodes))


def draw_init(rng: np.random.Generator, N: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """N initial units from rho_0: c ~ U[-1, 1], a, b ~ N(0, 1) (drawn first, so that a replicate's
    units are the same whatever its data stream's length)."""
    return rng.uniform(-1.0, 1.0, N), rng.standard_normal(N), rng.standard_normal(N)


def draw_stream(rng: np.random.Generator, n_steps: int, batch: int | None = None) -> np.ndarray:
    """The SGD inputs, one per step: fresh N(0, 1) draws (batch None), or a fixed set of `batch`
    draws cycled in order (samples reused: a finite training set, epoch after epoch)."""
    if batch is None:
        return rng.standard_normal(n_steps)
    data = rng.standard_normal(batch)
    return np.resize(data, n_steps)


def sgd(C: np.ndarray, A: np.ndarray, B: np.ndarray, U: np.ndarray, eps: float, *, xi: float = XI,
        scaling: str = "mean-field", step_per_unit: float = 1.0):
    """MMN's SGD on R nets at once: units (R, N), inputs U (R, K); K steps of size eps (time K eps).

    step_per_unit: the factor on each unit's step (1 in MMN; 1/N is the step of the literal gradient
    of the 1/N-scaled output at learning rate eps, the wrong mean-field scaling).
    Returns the final units (c, a, b)."""
    N = C.shape[1]
    return mf.train(C, A, B, U, step=2.0 * xi * eps * step_per_unit, out_scale=out_scale(N, scaling))


def _flow_velocity(c, a, b, u, yw, wu, alpha, scale):
    """Population velocity of every unit of R N-unit nets; yw = wu * y(u)."""
    dc = np.empty_like(c)
    da = np.empty_like(a)
    db = np.empty_like(b)
    for lo in range(0, c.shape[0], _CHUNK):
        sl = slice(lo, lo + _CHUNK)
        s = np.tanh(a[sl, :, None] * u + b[sl, :, None])                 # (r, N, Q)
        g = scale * np.einsum("rn,rnq->rq", c[sl], s)
        r = alpha * (yw - wu * g)                                         # (r, Q)
        d = 1.0 - s * s
        dc[sl] = np.einsum("rnq,rq->rn", s, r)
        db[sl] = c[sl] * np.einsum("rnq,rq->rn", d, r)
        da[sl] = c[sl] * np.einsum("rnq,rq->rn", d, r * u)
    return dc, da, db


def particle_flow(C: np.ndarray, A: np.ndarray, B: np.ndarray, T: float, *, xi: float = XI,
                  steps: int = FLOW_STEPS, nodes: int = FLOW_NODES):
    """The N-unit particle gradient flow (population gradient, mean-field scaling) from units (R, N)
    to time T, by RK4. Returns the units (c, a, b) at T."""
    N = C.shape[1]
    scale = 1.0 / N
    alpha = 2.0 * xi
    u, wu = gauss_normal(nodes)
    yw = wu * mf.target(u)
    c, a, b = C.copy(), A.copy(), B.copy()
    h = T / steps
    for _ in range(steps):
        k1 = _flow_velocity(c, a, b, u, yw, wu, alpha, scale)
        k2 = _flow_velocity(c + h / 2 * k1[0], a + h / 2 * k1[1], b + h / 2 * k1[2], u, yw, wu, alpha, scale)
        k3 = _flow_velocity(c + h / 2 * k2[0], a + h / 2 * k2[1], b + h / 2 * k2[2], u, yw, wu, alpha, scale)
        k4 = _flow_velocity(c + h * k3[0], a + h * k3[1], b + h * k3[2], u, yw, wu, alpha, scale)
        c = c + h / 6 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0])
        a = a + h / 6 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1])
        b = b + h / 6 * (k1[2] + 2 * k2[2] + 2 * k3[2] + k4[2])
    return c, a, b


def sgd_risks(rngs: Sequence[np.random.Generator], N: int, eps: float, T: float, *, xi: float = XI,
              scaling: str = "mean-field", step_per_unit: float = 1.0, batch: int | None = None,
              with_flow: bool = False) -> dict[str, np.ndarray]:
    """One SGD run per rng (own units, own data): round(T/eps) steps of size eps at width N.

    Returns "sgd" (R_N at the end, shape (R,)), "init" (R_N at time 0) and, with with_flow, "flow"
    (R_N of the particle gradient flow at time T from the same initial units, mean-field scaling)."""
    K = int(round(T / eps))
    inits = [draw_init(rng, N) for rng in rngs]
    streams = [draw_stream(rng, K, batch) for rng in rngs]
    C = np.stack([i[0] for i in inits])
    A = np.stack([i[1] for i in inits])
    B = np.stack([i[2] for i in inits])
    U = np.stack(streams)
    scale = out_scale(N, scaling)
    out = {"init": population_risk(C, A, B, scale)}
    c, a, b = sgd(C, A, B, U, eps, xi=xi, scaling=scaling, step_per_unit=step_per_unit)
    out["sgd"] = population_risk(c, a, b, scale)
    if with_flow:
        out["flow"] = population_risk(*particle_flow(C, A, B, T, xi=xi), 1.0 / N)
    return out
