"""Pass power at the truth: how likely a claim's rate is to PASS when the claimed exponent
is the truth, with the claim's replicates and grid, before any CPU is spent on the run
(issue 20). A rate that passes at the truth 20% of the time is an inconclusive waiting
to happen; the author should add replicates (or widen the grid) first.

The rule modelled is the verdict's (:mod:`claimcheck.stats.verdict`): pass = two one-sided
tests, the (1 - 2 level) CI of the exponent inside the band, with t quantiles on n - 1
degrees of freedom, or, when the chi2 of the fit exceeds its dof (Birge ratio), the CI
widened by sqrt(chi2/dof) with t quantiles on the residual dof. At the truth the fitted
exponent is N(predicted, se); the se the rule uses is itself estimated from n replicates
(se_hat^2 ~ se^2 chi2_nu / nu, nu from :func:`se_dof`: n - 1 for normal data, fewer for
heavy tails); the chi2 of a correct power law is chi2_dof. Both are averaged over (as
:func:`claimcheck.stats.verdict.detect_multiplier` does for fails).
Not modelled: the curvature guard (a false "curved" at the truth, rare) and the pass on
local slopes after a misfit (adds a little): the planted agreement table in
``benchmarks/README.md`` measures what they cost.

The exponent's se for a grid comes from the per-point SE of log(statistic) (jackknife over
replicates, :func:`claimcheck.stats.fit.jackknife_log_cov`), through the same GLS the fit
uses (:func:`claimcheck.stats.fit._gls`, on the fit's design matrix), so a grid's
geometry and unequal noise are weighed exactly as in the run.

Only plain power rates (kinds ``tight`` and ``upper`` without ``log_power``) are
estimated; for other kinds :func:`unsupported` says why no number is given (a wrong
number would be worse than none).
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from scipy import stats

from . import fit as _fit
from ..ratekinds import kind_of

POWER = 0.8
_GRID = 64          # quantile nodes per averaged chi2 (midpoint rule, as detect_multiplier)
def unsupported(kind: str, log_power=None) -> str | None:
    """Why the pass power of a rate of this kind is not estimated (None: it is): the kind
    says whether its pass probability follows from a plain exponent band (``pass_power``)."""
    if not kind_of(kind).pass_power:
        return f"not estimated for kind {kind}"
    if log_power:
        return f"not estimated for kind {kind} with log_power (its pass band depends on the fit)"
    return None


def slope_se(x: Sequence[float], log_se: Sequence[float], loglinear: bool = False) -> float:
    """The exponent's standard error from independent points with these SEs of
    log(statistic): the fit's GLS (fit._design, fit._gls) on a diagonal covariance."""
    x = np.asarray(x, float)
    cov = np.diag(np.asarray(log_se, float) ** 2)
    X = _fit._design(x, None, loglinear)
    y = X[:, 1] * 0.0   # an exact law: residuals 0, so the noise-based covariance is returned
    params, cparams, *_ = _fit._gls(y, X, cov)
    return float(math.sqrt(cparams[1, 1]))


def _mid_quantiles(dist) -> np.ndarray:
    return dist.ppf((np.arange(_GRID) + 0.5) / _GRID)


def se_dof(x: Sequence[float], log_se: Sequence[float], n_replicates: int, spread: float = 2.0,
           loglinear: bool = False) -> float:
    """Effective degrees of freedom of the estimated exponent se (Satterthwaite).

    Each point's estimated variance of log(mean) is s^2 / (n m^2); its log scatters with
    variance ~ ``spread`` / n (:func:`relative_spread`: 2 for normal data), so each point
    has 2 n / spread dof (at most n - 1), and the slope's variance, sum a_i^2 v_i with a the
    GLS slope weights, combines them. Heavy tails matter: lognormal sd 1 (spread 87) at 64
    replicates has ~1.5 dof per point, and chi2_{n-1} predicted half its pass rate at the
    truth (0.11 vs 0.18 measured)."""
    x = np.asarray(x, float)
    v = np.asarray(log_se, float) ** 2
    n = max(int(n_replicates), 2)
    nu_point = min(2.0 * n / max(float(spread), 1e-9), n - 1.0)
    X = _fit._design(x, None, loglinear)
    W = np.diag(1.0 / v)
    a = (np.linalg.inv(X.T @ W @ X) @ X.T @ W)[1]
    terms = a * a * v
    return float(terms.sum() ** 2 / np.sum(terms ** 2 / nu_point))


def pass_probability(se: float, band_lo: float, band_hi: float, predicted: float, n_replicates: int,
                     level: float = 0.05, dof: int = 2, se_dof: float | None = None) -> float:
    """P(the two one-sided tests pass | exponent estimate ~ N(predicted, se)).

    ``se``: the exponent's noise se for the claim's grid and replicates; ``band_lo`` /
    ``band_hi``: the pass band (``-inf`` for an upper bound); ``dof``: residual degrees of
    freedom of the fit (points - 2); ``se_dof``: how many degrees of freedom the estimated
    se has (:func:`se_dof`; default n - 1, normal data). The estimated se scatters as
    chi2_{se_dof}; the Birge ratio as chi2_dof / dof (widening with t_dof quantiles when
    > 1); the rule's own quantiles are t on n - 1, as the fit's."""
    if not (se > 0 and math.isfinite(se)) or n_replicates < 2:
        return math.nan
    n1 = max(int(n_replicates) - 1, 1)
    nu = float(se_dof) if se_dof and se_dof > 0 else float(n1)
    s = np.sqrt(_mid_quantiles(stats.chi2(nu)) / nu)[:, None]             # se_hat / se
    if dof > 0:
        ratio = (_mid_quantiles(stats.chi2(dof)) / dof)[None, :]
    else:
        ratio = np.ones((1, 1))
    widen = np.sqrt(np.maximum(ratio, 1.0))
    q = np.where(ratio > 1, stats.t.ppf(1 - level, max(dof, 1)), stats.t.ppf(1 - level, n1))
    half = q * widen * s                                                   # in units of se
    upper = stats.norm.cdf((band_hi - predicted) / se - half)
    lower = stats.norm.cdf((band_lo - predicted) / se + half) if math.isfinite(band_lo) else 0.0
    return float(np.mean(np.maximum(upper - lower, 0.0)))


def replicates_for(power: float = POWER, *, se: float, n_replicates: int, band_lo: float, band_hi: float,
                   predicted: float, level: float = 0.05, dof: int = 2, se_dof: float | None = None,
                   most: int = 1 << 20) -> int | None:
    """The fewest replicates whose pass probability at the truth is >= ``power``, with the
    exponent's se scaling as 1/sqrt(replicates) from ``se`` at ``n_replicates`` (and
    ``se_dof``, if given, in proportion to n - 1). None when no count up to ``most``
    reaches it (the band is too narrow for this rule)."""
    def p(n: int) -> float:
        nu = None if not se_dof else se_dof * (n - 1) / max(n_replicates - 1, 1)
        return pass_probability(se * math.sqrt(n_replicates / n), band_lo, band_hi, predicted, n, level, dof, nu)

    if not (se > 0 and math.isfinite(se)):
        return None
    lo, hi = 2, 4
    while p(hi) < power:
        lo, hi = hi, hi * 2
        if hi > most:
            return None
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if p(mid) < power else (lo, mid)
    return hi if p(lo) < power else lo


def one_more_point(x: Sequence[float], log_se: Sequence[float], n_replicates: int, spread: float = 2.0,
                   loglinear: bool = False) -> tuple[float, float, float]:
    """(the next axis value, the exponent's se, its :func:`se_dof`) for the grid extended by
    one point at the grid's last ratio (last step, for a geometric axis), with the last
    point's SE of log(statistic): what widening the grid buys, at the same replicates."""
    x = np.asarray(x, float)
    order = np.argsort(x)
    x, ls = x[order], np.asarray(log_se, float)[order]
    nxt = float(x[-1] + (x[-1] - x[-2])) if loglinear else float(x[-1] * x[-1] / x[-2])
    x2, ls2 = np.append(x, nxt), np.append(ls, ls[-1])
    return nxt, slope_se(x2, ls2, loglinear), se_dof(x2, ls2, n_replicates, spread, loglinear)


def power_line(name: str, *, se: float, n_replicates: int, points: int, band_lo: float, band_hi: float,
               predicted: float, level: float = 0.05, se_dof: float | None = None, source: str = "",
               axis: str = "", more: tuple[float, float, float] | None = None) -> str:
    """``power: <name>: passes at the truth with p ~ 0.23 (16 replicates, 4 points; se 0.071
    vs half-band 0.10); ~52 replicates give 0.80; one more point (N=16384) gives p ~ 0.31
    [source]``. ``more``: :func:`one_more_point`'s (axis value, se, dof), printed when p < 0.8."""
    dof = max(points - 2, 0)
    p = pass_probability(se, band_lo, band_hi, predicted, n_replicates, level, dof, se_dof)
    need = replicates_for(POWER, se=se, n_replicates=n_replicates, band_lo=band_lo, band_hi=band_hi,
                          predicted=predicted, level=level, dof=dof, se_dof=se_dof)
    half = band_hi - predicted if not math.isfinite(band_lo) else min(band_hi - predicted, predicted - band_lo)
    if need is None:
        advice = f"no replicate count reaches {POWER:.2f} on this grid"
    elif need <= n_replicates:
        advice = f"~{need} replicates would already give {POWER:.2f}"
    else:
        advice = f"~{need} replicates give {POWER:.2f}"
    if more is not None and p < POWER:
        p_more = pass_probability(more[1], band_lo, band_hi, predicted, n_replicates, level, dof + 1, more[2])
        advice += f"; one more point ({axis}={more[0]:g}) gives p ~ {p_more:.2f}"
    return (f"power: {name}: passes at the truth with p ~ {p:.2f} ({n_replicates} replicates, {points} points; "
            f"se {se:.3g} vs half-band {half:.3g}); {advice}" + (f" [{source}]" if source else ""))


# -- the per-point noise: stored rows, or a pilot ------------------------------------

def log_se_from_table(table: np.ndarray, statistic: str) -> np.ndarray:
    """Per-point SE of log(statistic) (jackknife over replicates), points x replicates."""
    _, cov = _fit.jackknife_log_cov(np.asarray(table, float), statistic, paired=False)
    return np.sqrt(np.maximum(np.diag(cov), 0.0))


def relative_spread(table: np.ndarray) -> float:
    """n Var(log(s^2 / m^2)) for the replicates' mean m and variance s^2, pooled over the
    points: (kurtosis + 2) - 4 skewness CV + 4 CV^2 (delta method; excess kurtosis, CV =
    sd / mean). It is 2 + 4 CV^2 for normal data and grows with the tail: a sample with one
    large value has a large mean *and* a large variance, so the relative SE scatters less
    than the variance alone (raw kurtosis overstated it: lognormal sd 0.5 at 16 replicates
    predicted 0.34 vs 0.28 measured). Few replicates cannot show a heavy tail fully, so a
    pilot's figure is a lower bound: its pass probability is optimistic for heavy tails."""
    t = np.asarray(table, float)
    t = t[np.all(np.isfinite(t), axis=1)]
    if t.size == 0 or t.shape[1] < 4:
        return 2.0
    m = t.mean(axis=1, keepdims=True)
    sd = t.std(axis=1, ddof=1, keepdims=True)
    ok = (sd[:, 0] > 0) & (m[:, 0] != 0)
    if not ok.any():
        return 2.0
    z = (t[ok] - m[ok]) / sd[ok]
    cv = sd[ok, 0] / m[ok, 0]           # signed: the covariance of s^2 with m^2 follows sign(m) skewness
    skew, kurt = np.mean(z ** 3, axis=1), np.mean(z ** 4, axis=1) - 3.0
    return float(max(np.mean(kurt + 2.0 - 4.0 * skew * cv + 4.0 * cv * cv), 0.5))


def carried_log_se(x_pilot: Sequence[float], log_se_pilot: Sequence[float], n_pilot: int,
                   x_target: Sequence[float], n_target: int) -> np.ndarray:
    """The noise model for points not piloted: the relative noise (SE of log statistic) at
    the largest piloted point carries unchanged to larger points (a piloted point keeps its
    own), and every SE scales as 1/sqrt(replicates) from the pilot's to the claim's."""
    xp = np.asarray(x_pilot, float)
    sp = np.asarray(log_se_pilot, float)
    far = sp[int(np.argmax(xp))]
    out = []
    for v in np.asarray(x_target, float):
        hit = np.flatnonzero(np.isclose(xp, v))
        out.append(sp[hit[0]] if hit.size else far)
    return np.asarray(out) * math.sqrt(n_pilot / n_target)
