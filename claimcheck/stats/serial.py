"""Are replicates independent along their index? The fit's CIs assume so; a batched
``simulate`` that carries state from one replicate to the next (a warm start, a shared
generator advanced in a loop) breaks it silently: replicates correlated along the index
raised false fails from 5% to 5.5% in issue 20's planted tables, and more with stronger
sharing. The data to see it are already in every sweep, so the check costs nothing.

The statistic is the lag-1 rank autocorrelation of each point's replicates (ranks: heavy
tailed metrics stay calibrated), averaged over points. Under independence each point's
r1 is about N(-1/n, 1/n); points of a paired design share replicates and need not be
independent of each other, so the average is referred to N(-1/n, 1/n) when ``paired`` (a
mean of correlated terms has at most that variance: valid, conservative) and to
N(-1/n, 1/(n P)) otherwise.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import stats

ALPHA = 1e-3          # a shipped claim must not trip it by chance; a real sharing gives z >> 3
MIN_REPLICATES = 8


def lag1_rank_correlation(values: np.ndarray) -> float:
    """Lag-1 autocorrelation of the ranks of one point's replicates (in replicate order)."""
    r = stats.rankdata(np.asarray(values, float))
    r = r - r.mean()
    den = float(r @ r)
    return float(r[:-1] @ r[1:] / den) if den > 0 else 0.0


def serial_dependence(table: np.ndarray, paired: bool) -> tuple[float, float, float] | None:
    """(mean lag-1 rank correlation, z, two-sided p) over a points x replicates table
    (replicates in index order), or None with too few replicates to tell."""
    tab = np.asarray(table, float)
    if tab.ndim != 2 or tab.shape[1] < MIN_REPLICATES:
        return None
    P, n = tab.shape
    r1 = np.array([lag1_rank_correlation(row) for row in tab if np.ptp(row) > 0])
    if r1.size == 0:
        return None
    mean = float(r1.mean())
    var = 1.0 / n if paired else 1.0 / (n * r1.size)
    z = (mean + 1.0 / n) / math.sqrt(var)
    return mean, float(z), float(2 * stats.norm.sf(abs(z)))


def serial_note(table: np.ndarray, paired: bool, alpha: float = ALPHA) -> str | None:
    """A note for the verdict when replicates look dependent along their index, else None."""
    got = serial_dependence(table, paired)
    if got is None or got[2] >= alpha:
        return None
    mean, z, p = got
    return (f"replicates look dependent along their index (lag-1 rank correlation {mean:+.2f}, z = {z:.1f}, "
            f"p = {p:.1g}): the CIs assume independent replicates; does simulate_batch carry state from one "
            f"replicate to the next?")
