"""Synthetic sweeps with a planted law, for testing fits and verdicts."""
from __future__ import annotations

import numpy as np

from claimcheck.claim import Rate
from claimcheck.stats.verdict import check_rate, judge_claim

X = np.array([64.0, 256.0, 1024.0, 4096.0, 16384.0])


def power_table(exponent: float, noise: float, reps: int, rng: np.random.Generator, x=X, c: float = 1.0):
    """Replicates whose *mean* is exactly c x^exponent (lognormal noise, mean-corrected)."""
    eps = rng.standard_normal((len(x), reps))
    return c * x[:, None] ** exponent * np.exp(noise * eps - noise**2 / 2)


def points(x=X, axis="N"):
    return [{axis: float(v)} for v in x]


def verdict_for(rate: Rate, table, x=X, paired=False):
    res = check_rate(rate, points(x, rate.axis), table, paired=paired)
    judge_claim([res], 0.05)
    return res
