"""Weakly dependent neuronal embeddings for the Agazzi-Lu-Mukherjee RNN (ICML 2023, Sec. 2.4).

The paper's coupling does not need i.i.d. labels: the sampling rule of the N labels may be any
law whose marginals are the embedding's law, provided the dependence between C_i and C_j
(i != j) is "sufficiently weak" (its independence assumption). An exchangeable example with an
exact marginal: equicorrelated Gaussian labels, conditionally i.i.d. given one shared component,

    C_i = sqrt(1 - rho^2) xi_i + rho Z,    xi_i, Z ~ N(0, I_5) independent,

so every C_i ~ N(0, I_5) (the labels of :func:`claimcheck.models.agazzi2023.draw_labels`) and
corr(C_i, C_j) = rho^2 coordinate-wise. rho = 0 is the i.i.d. embedding; a rho that does not
vanish with N is a shared random effect that never averages out. The mean-field weight functions
(and so the limit on the same labels) are the i.i.d. embedding's: only the sampling rule changes.
"""
from __future__ import annotations

import numpy as np

from . import agazzi2023 as m


def exchangeable_labels(label_rng: np.random.Generator, shared_rng: np.random.Generator, N: int,
                        rho: float) -> np.ndarray:
    """(N, 5) labels with N(0, I_5) marginals and pairwise correlation rho^2 (one shared Z)."""
    if not 0.0 <= rho < 1.0:
        raise ValueError(f"rho must lie in [0, 1), got {rho}")
    xi = m.draw_labels(label_rng, N)
    Z = shared_rng.standard_normal(m.N_LABELS)
    return np.sqrt(1.0 - rho * rho) * xi + rho * Z[None, :]


def coupling_figure(ctx):
    """Figure of `agazzi2023.dependent-coupling`: unit and output errors at t = 0 against N, with the mutants."""
    from .agazzi2023_runs import loglog_figure

    loglog_figure(
        ctx, [("unit error vs exact limit", "", "hid_err"), ("output error", "", "out_err"),
              ("mutant fixed-dependence", "fixed-dependence", "hid_err"),
              ("mutant slow-decay", "slow-decay", "hid_err")],
        "N", -0.5, "dependent_coupling_t0", "width N", "RMS error",
        "coupling at t=0 under exchangeable labels (mean over replicates, +-2 se)")


__all__ = ["exchangeable_labels", "coupling_figure"]
