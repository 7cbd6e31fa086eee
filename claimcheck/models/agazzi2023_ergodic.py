"""Ergodic sampling for the Agazzi-Lu-Mukherjee RNN (ICML 2023, Sec. 2.1-2.2): the empirical
risk along ONE input trajectory of length n against the population risk.

The paper trains on the empirical risk of one observation sequence of a uniquely ergodic
system (its Assumption 1) and analyses the population risk, its n -> infinity limit. For a
fixed network the empirical risk is an ergodic average of the window loss
l(theta) = 1/2 (y_hat(window(theta)) - y(window(theta)))^2 along the orbit theta + t alpha:

    R_n(theta) = (1/n) sum_{t<n} l(theta + t alpha),       R = int_0^1 l(theta) d theta.

Koksma's inequality bounds |R_n - R| by V(l) D*_n (V the variation of l, D*_n the star
discrepancy of the orbit), and for the golden rotation number D*_n = O(log n / n).

Inputs (the window at phase theta holds the inputs at times 0..L-1, oldest first; the
trajectory's t-th window is the window at phase theta + t alpha):

- ``rotation``: x_s = cos(2 pi (theta + s alpha)); l is analytic in theta, so the
  population risk on an equispaced phase grid (trapezoid rule on a periodic analytic
  function) is exact to round-off already at M = 64 (tests: M = 64 and 2048 agree to 1e-16).
- ``sturmian``: s_k = floor((k+1) alpha + theta) - floor(k alpha + theta), mapped to +-1; l
  is a step function of theta with jumps at frac(-k alpha), k = 0..L, so the population
  risk is exact as a sum over those L + 1 arcs (midpoint value times arc length).

Pieces for the mutants: :func:`iid_windows` (windows at i.i.d. uniform phases: Monte-Carlo
sampling of the invariant law, error n^-1/2) and any rotation number ``alpha`` for the
trajectory (a rational one is a periodic orbit). The network is
:mod:`claimcheck.models.agazzi2023`'s (not modified here).
"""
from __future__ import annotations

import numpy as np

from . import agazzi2023 as m

POP_GRID = 256   # phases of the rotation's population grid (exact to round-off from 64 on)


def windows_at(phases: np.ndarray, L: int, input_name: str = "rotation", alpha: float = m.ALPHA) -> np.ndarray:
    """(n, L) input windows at the given phases (oldest input first), for rotation number alpha."""
    th = np.asarray(phases, float)[:, None]
    k = np.arange(L)[None, :]
    if input_name == "rotation":
        return np.cos(2.0 * np.pi * (th + alpha * k))
    if input_name == "sturmian":
        s = np.floor((k + 1) * alpha + th) - np.floor(k * alpha + th)
        return 2.0 * s - 1.0
    raise ValueError(f"unknown input {input_name!r}")


def trajectory_windows(theta: float, n: int, L: int, input_name: str = "rotation",
                       alpha: float = m.ALPHA) -> np.ndarray:
    """The n consecutive windows of one trajectory from phase theta: window t is the window at
    phase theta + t alpha (mod 1), i.e. the inputs x_t..x_{t+L-1} of the single sequence."""
    phases = np.mod(theta + alpha * np.arange(n), 1.0)
    return windows_at(phases, L, input_name, alpha)


def iid_windows(rng: np.random.Generator, n: int, L: int, input_name: str = "rotation",
                alpha: float = m.ALPHA) -> np.ndarray:
    """n windows at i.i.d. uniform phases: independent draws from the invariant law of the
    windows (what a sampler that ignores the dynamics produces)."""
    return windows_at(rng.random(n), L, input_name, alpha)


def window_loss(net: m.Net, X: np.ndarray, target_name: str = "prod02") -> np.ndarray:
    """1/2 (y_hat - y)^2 for every window (row of X)."""
    f, _ = m.forward(net, X)
    d = f - m.target(X, target_name)
    return 0.5 * d * d


def population_points(L: int, input_name: str = "rotation", alpha: float = m.ALPHA,
                      M: int = POP_GRID) -> tuple[np.ndarray, np.ndarray]:
    """(phases, weights) whose weighted window loss is the exact population risk."""
    if input_name == "rotation":
        return m.phase_grid(M), np.full(M, 1.0 / M)
    if input_name == "sturmian":
        cuts = np.unique(np.mod(-alpha * np.arange(L + 1), 1.0))
        edges = np.concatenate([cuts, [cuts[0] + 1.0]])
        mids, lengths = 0.5 * (edges[:-1] + edges[1:]), np.diff(edges)
        return np.mod(mids, 1.0), lengths
    raise ValueError(f"unknown input {input_name!r}")


def population_risk(net: m.Net, L: int, input_name: str = "rotation", target_name: str = "prod02",
                    alpha: float = m.ALPHA, M: int = POP_GRID) -> float:
    """R = E_theta[1/2 (y_hat - y)^2] under the invariant (Lebesgue) law of the phase."""
    ph, w = population_points(L, input_name, alpha, M)
    return float(window_loss(net, windows_at(ph, L, input_name, alpha), target_name) @ w)


def empirical_risk(net: m.Net, X: np.ndarray, target_name: str = "prod02") -> float:
    """R_n = (1/n) sum over the n windows of the loss."""
    return float(window_loss(net, X, target_name).mean())


__all__ = ["POP_GRID", "windows_at", "trajectory_windows", "iid_windows", "window_loss", "population_points",
           "population_risk", "empirical_risk"]
