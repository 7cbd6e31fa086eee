"""Fit measured error against scale: log(statistic) on log(axis) (or on axis, for
geometric rates), with a confidence interval that knows the Monte-Carlo noise.

Recipe (see design.md, "statistical rules"):
1. Reduce replicates at each grid point to the statistic the theorem bounds
   (mean, rms, ...), never the mean of logs.
2. Estimate the covariance of log(statistic) across grid points by the jackknife over
   replicates (joint across points when replicates share random numbers).
3. Independent replicates: generalised least squares (statsmodels GLS) with that
   covariance. Paired replicates (common random numbers): WLS with a sandwich
   covariance (see _sandwich). If the fit is worse than the noise explains
   (chi2/dof > 1) the covariance is inflated by chi2/dof and t quantiles with the
   residual degrees of freedom are used (Birge ratio); otherwise the noise-based
   covariance with t quantiles on n - 1 degrees of freedom (the covariance is itself
   estimated from n replicates: normal quantiles made 8-replicate CIs too narrow).
4. Report local slopes between neighbouring axis values and a curvature test
   (quadratic term), which flag a sweep that has not reached the asymptotic regime.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import statsmodels.api as sm
from scipy import stats


# -- reductions over replicates ---------------------------------------------------

def reduce(values: np.ndarray, statistic: str) -> float:
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if statistic == "mean":
        return float(v.mean())
    if statistic == "rms":
        return float(np.sqrt(np.mean(v * v)))
    if statistic == "sd":
        return float(v.std(ddof=1))
    if statistic == "abs_mean":
        return float(abs(v.mean()))
    raise ValueError(f"unknown statistic {statistic!r}")


def leave_one_out(values: np.ndarray, statistic: str) -> np.ndarray:
    """The statistic with each replicate left out in turn (vectorised where possible)."""
    v = np.asarray(values, float)
    n = v.size
    s1, s2 = v.sum(), (v * v).sum()
    if statistic in ("mean", "abs_mean"):
        m = (s1 - v) / (n - 1)
        return np.abs(m) if statistic == "abs_mean" else m
    if statistic == "rms":
        return np.sqrt(np.maximum((s2 - v * v) / (n - 1), 0.0))
    if statistic == "sd":
        m = (s1 - v) / (n - 1)
        ss = (s2 - v * v) - (n - 1) * m * m
        return np.sqrt(np.maximum(ss / (n - 2), 0.0))
    return np.array([reduce(np.delete(v, i), statistic) for i in range(n)])


def jackknife_log_cov(table: np.ndarray, statistic: str, paired: bool) -> tuple[np.ndarray, np.ndarray]:
    """(statistic per point, covariance of log statistic across points).

    ``table`` is points x replicates. ``paired``: replicate r at every point shares its
    random numbers (common random numbers), so the covariance is joint.
    """
    table = np.asarray(table, float)
    P, n = table.shape
    S = np.array([reduce(row, statistic) for row in table])
    with np.errstate(divide="ignore", invalid="ignore"):
        loo = np.log(np.vstack([leave_one_out(row, statistic) for row in table]))  # P x n
        dev = loo - loo.mean(axis=1, keepdims=True)
    if paired:
        cov = (n - 1) / n * dev @ dev.T
    else:
        cov = np.diag((n - 1) / n * np.sum(dev * dev, axis=1))
    return S, cov


def jackknife_se(values: np.ndarray, statistic: str) -> float:
    v = np.asarray(values, float)
    n = v.size
    loo = leave_one_out(v, statistic)
    return float(np.sqrt((n - 1) / n * np.sum((loo - loo.mean()) ** 2)))


# -- the fit -------------------------------------------------------------------------

@dataclass
class FitResult:
    """A rate fit, statsmodels-style: every number with its uncertainty."""

    slope: float
    se: float
    ci_low: float
    ci_high: float
    level: float
    df: int | None              # None: normal quantiles (noise-based covariance)
    intercept: float
    x: list[float]              # axis values used (one per point)
    stat: list[float]           # statistic per point
    stat_log_se: list[float]    # standard error of log(statistic) per point
    scale_factor: float         # sqrt(chi2/dof), Birge ratio (>1 means misfit beyond noise)
    chi2: float
    dof: int
    residuals: list[float]      # whitened residuals
    local_slopes: list[dict] = field(default_factory=list)
    curvature: dict | None = None
    loglinear: bool = False     # True for geometric fits: log(stat) on axis (not log axis)
    other_axes: list[str] = field(default_factory=list)
    n_replicates: int | None = None
    log_shift: float = 0.0      # fitted slope of log(log x) on log x (for rates "up to logs")
    misfit_dof: float | None = None  # the misfit's chi2 reference dof (Satterthwaite for paired designs)

    @property
    def misfit_p(self) -> float:
        """P(misfit at least this large | one power law): chi2 on ``misfit_dof`` (P - k for
        independent points; Satterthwaite's dof for paired ones, see _sandwich)."""
        nu = self.misfit_dof if self.misfit_dof is not None else self.dof
        if not nu > 0:
            return 1.0
        return float(stats.chi2.sf(self.scale_factor ** 2 * nu, nu))

    def quantile(self, level: float) -> float:
        """Two-sided quantile for a (1 - level) CI."""
        return self.quantile_one_sided(level / 2)

    def quantile_one_sided(self, alpha: float) -> float:
        q = 1 - alpha
        return float(stats.norm.ppf(q) if self.df is None else stats.t.ppf(q, self.df))

    def _z(self, value: float) -> float:
        """(slope - value) / se; with se = 0 (a noiseless sweep, e.g. a constant metric) the
        sign alone, and 0 at equality (np.inf * 0 would be NaN, and a NaN p never fails)."""
        if self.se > 0:
            return (self.slope - value) / self.se
        d = self.slope - value
        return 0.0 if d == 0 else math.copysign(math.inf, d)

    def p_above(self, value: float) -> float:
        """One-sided p-value of H0: slope <= value (small when the slope is clearly above)."""
        z = self._z(value)
        return float(stats.norm.sf(z) if self.df is None else stats.t.sf(z, self.df))

    def p_below(self, value: float) -> float:
        z = self._z(value)
        return float(stats.norm.cdf(z) if self.df is None else stats.t.cdf(z, self.df))

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _design(xs: np.ndarray, groups: Sequence[str] | None, loglinear: bool, quadratic: bool = False) -> np.ndarray:
    u = xs if loglinear else np.log(xs)
    cols = [np.ones_like(u), u]
    if quadratic:
        uc = u - u.mean()
        cols.append(uc * uc)
    if groups is not None:
        levels = sorted(set(groups))
        for lev in levels[1:]:
            cols.append(np.array([1.0 if g == lev else 0.0 for g in groups]))
    return np.column_stack(cols)


def _sandwich(y, X, cov):
    """Paired designs: WLS on the diagonal of the covariance, the slope's variance from
    the full covariance (sandwich), and the misfit as a moment ratio: the weighted
    residual sum of squares over its expectation under the model, tr(W M S M'). Nothing
    here inverts the jackknife covariance, which is nearly singular when replicates
    share a common factor or are few (GLS then over-trusted its poorly estimated
    small-variance directions: CIs too narrow, or misfit inflated 40-fold).

    The weighted residual sum of squares is sum_i lambda_i z_i^2 over the eigenvalues of
    W^1/2 M S M' W^1/2, not a chi2 on P - k dof: under nested common random numbers the
    residual covariance sits in few directions, and referring it to chi2_{P-k} flagged a
    misfit in 8% of true sweeps at level 5% (issue 20, rule 5). Satterthwaite's moment
    match, (sum lambda)^2 / sum lambda^2 degrees of freedom, is the reference instead."""
    P, k = X.shape
    dof = P - k
    w = 1.0 / np.maximum(np.diag(cov), 1e-300)
    res = sm.WLS(y, X, weights=w).fit()
    A = res.normalized_cov_params @ X.T @ np.diag(w)          # params = A y
    cov_b = A @ cov @ A.T
    resid = np.asarray(res.resid)
    M = np.eye(P) - X @ A
    sw = np.sqrt(w)
    B = sw[:, None] * (M @ cov @ M.T) * sw[None, :]
    lam = np.clip(np.linalg.eigvalsh((B + B.T) / 2), 0.0, None)
    expected = float(lam.sum())
    nu = satterthwaite_dof(lam, dof)
    wresid = resid * sw
    rss = float(wresid @ wresid)
    factor = rss / expected if expected > 0 else 1.0
    chi2 = factor * dof
    if factor > 1.0:
        # t quantiles stay on P - k: with Satterthwaite's (smaller) dof there the 90% CI of a
        # nested-CRN emulation covered 0.941 against 0.940 (1000 seeds), already above nominal,
        # and fewer true sweeps passed on their local slopes (787 vs 808 / 1000)
        return res.params, cov_b * factor, dof, wresid, chi2, factor, nu
    return res.params, cov_b, None, wresid, chi2, factor, nu


def satterthwaite_dof(eigenvalues: np.ndarray, dof: int) -> float:
    """Degrees of freedom of the chi2 that matches the first two moments of
    sum_i lambda_i z_i^2 (z_i standard normal): (sum lambda)^2 / sum lambda^2. Equal
    eigenvalues give back the count; one dominant direction gives ~1."""
    lam = np.asarray(eigenvalues, float)
    s2 = float(np.sum(lam * lam))
    if not (s2 > 0) or dof <= 0:
        return float(dof)
    return float(min(float(np.sum(lam)) ** 2 / s2, dof))


def _gls(y, X, cov):
    """GLS with a noise covariance; inflate by the Birge ratio when the fit is poor.
    The degrees of freedom returned are None when the noise-based covariance is used
    (fit_rate then uses n - 1 of the replicates)."""
    P, k = X.shape
    dof = P - k
    diag = np.diag(cov)
    if not np.all(np.isfinite(cov)) or np.all(diag <= 0):
        res = sm.OLS(y, X).fit()
        return (res.params, res.cov_params(), (dof if dof > 0 else None), np.asarray(res.resid), float(res.ssr), 1.0,
                float(dof))
    ridge = 1e-12 * max(float(np.max(diag)), 1e-300)
    cov = cov + ridge * np.eye(P)
    res = sm.GLS(y, X, sigma=cov).fit()
    wresid = np.asarray(res.wresid)
    chi2 = float(wresid @ wresid)
    cov_known = res.normalized_cov_params  # (X' S^-1 X)^-1 with S the given covariance
    factor = chi2 / dof if dof > 0 else 1.0
    if factor > 1.0:
        return res.params, cov_known * factor, dof, wresid, chi2, factor, float(dof)
    return res.params, cov_known, None, wresid, chi2, factor, float(dof)


def fit_rate(x: Sequence[float], table: np.ndarray, statistic: str = "mean", *, paired: bool = False,
             groups: Sequence[str] | None = None, loglinear: bool = False, level: float = 0.05,
             other_axes: Sequence[str] = ()) -> FitResult:
    """Fit log(statistic) = c + slope * log(x) (or * x when ``loglinear``).

    ``table``: points x replicates of the metric; ``x``: the axis value of each point;
    ``groups``: label of the other axes' values per point (fixed effects), if any.
    """
    x = np.asarray(x, float)
    S, cov = jackknife_log_cov(table, statistic, paired)
    if np.any(S <= 0) or not np.all(np.isfinite(S)):
        bad = [float(v) for v, s in zip(x, S) if not (s > 0 and np.isfinite(s))]
        raise ValueError(f"statistic is not positive at axis values {bad}; a log fit needs a positive error")
    y = np.log(S)
    X = _design(x, groups, loglinear)
    if X.shape[0] - X.shape[1] < 1:
        raise ValueError(f"{X.shape[0]} points cannot fit {X.shape[1]} parameters with an error estimate")
    estimate = _sandwich if paired and np.any(np.diag(cov) > 0) else _gls
    params, cparams, df, wresid, chi2, factor, misfit_dof = estimate(y, X, cov)
    se = float(np.sqrt(cparams[1, 1]))
    n_rep = int(np.asarray(table).shape[1])
    if df is None:
        df = max(n_rep - 1, 1)
    q = stats.t.ppf(1 - level / 2, df)
    slope = float(params[1])
    log_shift = 0.0
    if not loglinear and np.all(x > 1):
        # the same linear estimator applied to log(log x): how much a factor (log x)^b
        # moves the fitted slope (b * log_shift)
        log_shift = float(estimate(np.log(np.log(x)), X, cov)[0][1])
    dof = X.shape[0] - X.shape[1]

    # local slopes between neighbouring axis values (within each group)
    local = []
    keys = list(groups) if groups is not None else [""] * len(x)
    for g in sorted(set(keys)):
        idx = [i for i in np.argsort(x, kind="stable") if keys[i] == g]
        for a, b in zip(idx[:-1], idx[1:]):
            du = (x[b] - x[a]) if loglinear else np.log(x[b] / x[a])
            s = (y[b] - y[a]) / du
            var = cov[a, a] + cov[b, b] - 2 * cov[a, b]
            local.append({"from": float(x[a]), "to": float(x[b]), "group": g, "slope": float(s),
                          "se": float(np.sqrt(max(var, 0.0)) / abs(du))})

    curvature = None
    Xq = _design(x, groups, loglinear, quadratic=True)
    if Xq.shape[0] - Xq.shape[1] >= 1 and len(set(x.tolist())) >= 4:
        pq, cq, dfq, _, _, factor_q, _ = estimate(y, Xq, cov)
        cse = float(np.sqrt(cq[2, 2]))
        tstat = float(pq[2] / cse) if cse > 0 else 0.0
        p = float(2 * stats.t.sf(abs(tstat), dfq if dfq is not None else max(n_rep - 1, 1)))
        u = x if loglinear else np.log(x)
        span = float(u.max() - u.min())
        # the misfit left once the slope may drift (quadratic term): local slopes, which
        # follow the drift, are widened by this factor, with its t quantiles
        curvature = {"coef": float(pq[2]), "se": cse, "p": p,
                     "slope_change": float(2 * pq[2] * span),  # slope(end) - slope(start)
                     "scale_factor": float(np.sqrt(max(factor_q, 1.0))),
                     "df": int(dfq if dfq is not None else max(n_rep - 1, 1))}

    return FitResult(
        slope=slope, se=se, ci_low=slope - q * se, ci_high=slope + q * se, level=level, df=df,
        intercept=float(params[0]), x=[float(v) for v in x], stat=[float(s) for s in S],
        stat_log_se=[float(np.sqrt(max(c, 0.0))) for c in np.diag(cov)], scale_factor=float(np.sqrt(factor)),
        chi2=chi2, dof=dof, residuals=[float(r) for r in wresid], local_slopes=local, curvature=curvature,
        loglinear=loglinear, other_axes=list(other_axes), n_replicates=n_rep, log_shift=log_shift,
        misfit_dof=misfit_dof,
    )
