"""Turn fits into verdicts: pass / fail / inconclusive / error, each with its reason.

Decision rule for exponent-type rates (tight, upper, geometric, converges), with the
band B of exponents the claim allows (``predicted +- tolerance`` for tight,
``<= predicted + tolerance`` for upper, ``< 0`` for converges):

- pass: the (1 - level) CI of the measured exponent lies inside B;
- fail: the exponent is outside B with a one-sided p-value that survives the
  Holm-Bonferroni correction over every rate checked in the run;
- inconclusive: neither; or the sweep is not fit for a verdict (the statistic is at
  the Monte-Carlo noise floor, or within 3x of a stated sampling floor).
- a sweep whose points scatter more than their noise (chi2/dof > 1 widens the CI) still
  passes when every local slope's CI lies inside the band (intersection-union test).
- curved sweeps (a significant quadratic term in log-log that moves the slope by more
  than the tolerance) and sweeps that misfit one power law (chi2 test at `level`):
  the global exponent means little, so the verdict rests on the
  last local slope (largest scale): fail if it is clearly outside the band, pass
  only if every local slope's CI lies inside the band, inconclusive otherwise.

A pass is corroboration, not proof: each result states the smallest deviation of the
exponent from the band that this sweep would have detected.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from scipy import stats

from .claim import Rate
from .fit import FitResult, fit_rate, jackknife_se, reduce

PASS, FAIL, INCONCLUSIVE, ERROR = "pass", "fail", "inconclusive", "error"
ORDER = {ERROR: 3, FAIL: 2, INCONCLUSIVE: 1, PASS: 0}


@dataclass
class RateResult:
    rate: Rate
    verdict: str
    reason: str
    measured: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_fail: float | None = None          # unadjusted; Holm applies across the run
    detectable: float | None = None      # smallest deviation from the band this sweep detects
    fit: FitResult | None = None
    notes: list[str] = field(default_factory=list)
    limit: dict | None = None            # for kind == 'limit'
    replicates_needed: int | None = None

    @property
    def candidate_fail(self) -> bool:
        return self.verdict == FAIL

    def as_dict(self) -> dict:
        r = self.rate
        predicted = r.predicted if r.kind != "limit" else r.target
        d = {"metric": r.metric, "axis": r.axis, "kind": r.kind, "statistic": r.statistic,
             "predicted": predicted, "tolerance": r.tolerance, "heuristic": r.heuristic,
             "label": r.label, "describe": r.describe(), "unit": r.unit, "note": r.note,
             "measured": self.measured, "ci_low": self.ci_low, "ci_high": self.ci_high,
             "verdict": self.verdict, "reason": self.reason, "p_fail": self.p_fail,
             "detectable_deviation": self.detectable, "notes": self.notes,
             "replicates_needed": self.replicates_needed, "limit": self.limit,
             "fit": self.fit.as_dict() if self.fit else None}
        if r.kind == "geometric" and self.measured is not None:
            d["measured_rho"] = math.exp(self.measured)
            d["rho_ci"] = [math.exp(self.ci_low), math.exp(self.ci_high)]
        return d


def _band(rate: Rate) -> tuple[float, float]:
    if rate.kind == "tight":
        return rate.predicted - rate.tolerance, rate.predicted + rate.tolerance
    if rate.kind == "upper":
        return -math.inf, rate.predicted + rate.tolerance
    if rate.kind == "geometric":
        return -math.inf, math.log(rate.predicted) + rate.tolerance
    if rate.kind == "converges":
        return -math.inf, 0.0
    raise ValueError(rate.kind)


def _fmt(x: float) -> str:
    return f"{x:+.3f}" if x is not None and math.isfinite(x) else str(x)


def rate_table(rate: Rate, points: Sequence[dict], table: np.ndarray, floor: np.ndarray | None = None):
    """Restrict to the rate's fit range; return x, groups, table (and floor)."""
    x = np.array([float(p[rate.axis]) for p in points])
    others = sorted(k for k in points[0] if k != rate.axis) if points else []
    groups = [";".join(f"{k}={p[k]}" for k in others) for p in points]
    keep = np.ones(len(points), bool)
    if rate.fit_last:
        values = sorted(set(x.tolist()))
        keep = x >= values[-rate.fit_last] if len(values) >= rate.fit_last else keep
    idx = np.flatnonzero(keep)
    g = [groups[i] for i in idx] if len(set(groups)) > 1 else None
    fl = floor[idx] if floor is not None else None
    return x[idx], g, table[idx], fl, others


def check_rate(rate: Rate, points: Sequence[dict], table: np.ndarray, *, paired: bool,
               level: float = 0.05, floor_table: np.ndarray | None = None) -> RateResult:
    """A provisional verdict for one rate (fails are final only after Holm, see finalize)."""
    try:
        x, groups, tab, floor, others = rate_table(rate, points, table, floor_table)
    except Exception as exc:  # noqa: BLE001
        return RateResult(rate, ERROR, f"cannot arrange data: {exc}")
    n_rep = tab.shape[1]
    if len(set(x.tolist())) < 3:
        return RateResult(rate, INCONCLUSIVE, f"only {len(set(x.tolist()))} values of {rate.axis} to fit; need >= 3")
    if rate.kind == "limit":
        return _check_limit(rate, x, tab, level, groups)

    # noise floor: every point's statistic must stand clear of zero
    S = np.array([reduce(row, rate.statistic) for row in tab])
    se = np.array([jackknife_se(row, rate.statistic) for row in tab])
    with np.errstate(divide="ignore", invalid="ignore"):
        snr = np.where(se > 0, S / se, np.inf)
    if np.any(~(snr >= 3)):
        i = int(np.nanargmin(np.where(np.isfinite(snr), snr, np.inf)))
        need = int(math.ceil(n_rep * (3 / max(snr[i], 0.3)) ** 2))
        return RateResult(rate, INCONCLUSIVE,
                          f"at the Monte-Carlo noise floor: {rate.statistic}({rate.metric}) = {S[i]:.3g} +- {se[i]:.2g} "
                          f"at {rate.axis}={x[i]:g}; need ~{need} replicates", replicates_needed=need)
    if floor is not None:
        F = np.array([reduce(row, rate.statistic) for row in floor])
        last = x == x.max()
        if np.any(S[last] < 3 * F[last]):
            return RateResult(rate, INCONCLUSIVE,
                              f"signal within 3x of the sampling floor at {rate.axis}={x.max():g} "
                              f"({S[last].min():.3g} vs floor {F[last].max():.3g}); use a larger reference sample")

    try:
        fit = fit_rate(x, tab, rate.statistic, paired=paired, groups=groups,
                       loglinear=(rate.kind == "geometric"), level=level, other_axes=others)
    except Exception as exc:  # noqa: BLE001
        return RateResult(rate, ERROR, f"fit failed: {exc}")
    lo, hi = _band(rate)
    b, cl, ch = fit.slope, fit.ci_low, fit.ci_high
    q = fit.quantile(level)
    p_fail = min(fit.p_above(hi), fit.p_below(lo) if math.isfinite(lo) else 1.0)
    res = RateResult(rate, INCONCLUSIVE, "", measured=b, ci_low=cl, ci_high=ch, p_fail=p_fail, fit=fit,
                     detectable=float(q * fit.se + (rate.tolerance if rate.kind != "converges" else 0.0)))
    what = "log(rho)" if rate.kind == "geometric" else "exponent"
    band_txt = (f"[{lo:+.3f}, {hi:+.3f}]" if math.isfinite(lo) else f"<= {hi:+.3f}") if rate.kind != "converges" else "< 0"
    ci_txt = f"measured {what} {_fmt(b)}, {100 * (1 - level):.0f}% CI [{_fmt(cl)}, {_fmt(ch)}]"

    curved = False
    if fit.curvature and fit.curvature["p"] < level and abs(fit.curvature["slope_change"]) > max(rate.tolerance, 0.05):
        curved = True
        res.notes.append(f"curvature: local slope changes by {fit.curvature['slope_change']:+.2f} over the grid "
                         f"(p={fit.curvature['p']:.2g})")

    # Points scattering far beyond their noise: one power law (with a common slope
    # across the other axes) does not describe the sweep. The Birge-widened global CI
    # still decides a pass; anything else is judged on the local slopes.
    misfit = fit.dof > 0 and stats.chi2.sf(fit.chi2, fit.dof) < level
    if misfit:
        res.notes.append(f"misfit: chi2/dof = {fit.chi2 / fit.dof:.3g} (p={stats.chi2.sf(fit.chi2, fit.dof):.2g})")
    inside = lo <= cl and ch <= hi
    outside = (cl > hi) or (ch < lo)
    if inside and not curved:
        res.verdict = PASS
        res.reason = f"{ci_txt} lies in the allowed band {band_txt}"
        if rate.kind == "upper" and ch < rate.predicted - rate.tolerance:
            res.notes.append("not tight: decays faster than the bound")
        if rate.kind == "geometric":
            res.reason += f" (rho = {math.exp(b):.3g}, bound {rate.predicted:g})"
    elif curved or misfit:
        _judge_locally(res, fit, rate, lo, hi, level, ci_txt, band_txt, "curved" if curved else "misfit")
    elif outside:
        res.verdict = FAIL
        res.reason = f"{ci_txt} is outside the allowed band {band_txt}"
    elif fit.scale_factor > 1 and _all_local_slopes_inside(fit, lo, hi, level):
        # Mild misfit widens the global CI, but every local slope's CI lies in the band:
        # an intersection-union test, each local test at `level` suffices.
        res.verdict = PASS
        res.reason = (f"{ci_txt} is widened by misfit (chi2/dof {fit.scale_factor ** 2:.3g}), but every local slope's "
                      f"{100 * (1 - level):.0f}% CI lies in the allowed band {band_txt}")
        res.notes.append("passed on local slopes (the power law bends slightly within the band)")
    else:
        gap = min(abs(b - lo) if math.isfinite(lo) else math.inf, abs(hi - b))
        half = ch - b
        need = int(math.ceil(n_rep * (half / gap) ** 2)) if gap > 0 else None
        res.replicates_needed = need
        res.reason = (f"{ci_txt} straddles the band {band_txt}: too noisy to decide"
                      + (f"; need ~{need} replicates" if need else ""))
    if rate.kind == "converges" and rate.heuristic is not None:
        res.notes.append(f"heuristic rate {rate.heuristic:+.3f} (reported, not tested)")
    return res


def _judge_locally(res: RateResult, fit: FitResult, rate: Rate, lo: float, hi: float, level: float,
                   ci_txt: str, band_txt: str, why: str) -> None:
    """One power law does not describe the sweep (curved, or misfit): pass only if every
    local slope's CI is in the band (intersection-union test); fail if the last local
    slope (the asymptotic end; per group, the worst) is clearly outside; else inconclusive."""
    lasts = _last_local_slopes(fit)
    last = max(lasts, key=lambda s: _band_distance(s["slope"], lo, hi) / max(s["se"], 1e-300))
    z = stats.norm.ppf(1 - level / 2)
    res.p_fail = min(_p_above(last, hi), _p_below(last, lo) if math.isfinite(lo) else 1.0)
    last_txt = f"last local slope {last['slope']:+.3f} +- {last['se']:.3f} ({rate.axis} {last['from']:g} -> {last['to']:g})"
    shape = "the sweep is curved" if why == "curved" else "one power law does not fit the sweep"
    if _all_local_slopes_inside(fit, lo, hi, level):
        res.verdict = PASS
        res.reason = (f"{ci_txt}; {shape}, but every local slope's {100 * (1 - level):.0f}% CI lies in "
                      f"the allowed band {band_txt}")
        res.notes.append("passed on local slopes")
    elif last["slope"] - z * last["se"] > hi or last["slope"] + z * last["se"] < lo:
        res.verdict = FAIL
        res.reason = f"{ci_txt}, but {shape}; the {last_txt} is outside the allowed band {band_txt}"
    else:
        res.reason = (f"{ci_txt}, but {shape} (not in the power-law regime yet); the {last_txt} "
                      f"does not settle it against {band_txt}")


def _last_local_slopes(fit: FitResult) -> list[dict]:
    by_group: dict[str, dict] = {}
    for s in fit.local_slopes:
        if s["group"] not in by_group or s["to"] > by_group[s["group"]]["to"]:
            by_group[s["group"]] = s
    return list(by_group.values())


def _all_local_slopes_inside(fit: FitResult, lo: float, hi: float, level: float) -> bool:
    z = stats.norm.ppf(1 - level / 2)
    slopes = fit.local_slopes
    return bool(slopes) and all(lo <= s["slope"] - z * s["se"] and s["slope"] + z * s["se"] <= hi for s in slopes)


def _band_distance(x: float, lo: float, hi: float) -> float:
    return max(x - hi, lo - x, 0.0)


def _p_above(s: dict, value: float) -> float:
    return float(stats.norm.sf((s["slope"] - value) / s["se"])) if s["se"] > 0 else float(s["slope"] <= value)


def _p_below(s: dict, value: float) -> float:
    return float(stats.norm.cdf((s["slope"] - value) / s["se"])) if s["se"] > 0 else float(s["slope"] >= value)


def _check_limit(rate: Rate, x: np.ndarray, tab: np.ndarray, level: float, groups: list[str] | None) -> RateResult:
    """The statistic at the largest scale must be within ``target +- tolerance``;
    a miss fails only when the distance to the target is not shrinking. With other
    grid axes, the worst point at the largest scale decides, and so does its group's trend."""
    xmax = x.max()
    z = stats.norm.ppf(1 - level / 2)
    S = np.array([reduce(row, rate.statistic) for row in tab])
    se = np.array([jackknife_se(row, rate.statistic) for row in tab])
    last = np.flatnonzero(x == xmax)
    worst = last[np.argmax(np.abs(S[last] - rate.target))]
    s, e = S[worst], se[worst]
    lo, hi = rate.target - rate.tolerance, rate.target + rate.tolerance
    cl, ch = s - z * e, s + z * e
    info = {"axis_max": float(xmax), "value": float(s), "se": float(e), "ci": [float(cl), float(ch)],
            "band": [lo, hi], "values": [float(v) for v in S], "x": [float(v) for v in x]}
    res = RateResult(rate, INCONCLUSIVE, "", measured=float(s), ci_low=float(cl), ci_high=float(ch), limit=info,
                     detectable=float(rate.tolerance + z * e))
    txt = (f"{rate.statistic}({rate.metric}) at {rate.axis}={xmax:g} is {s:.4g}, {100 * (1 - level):.0f}% CI "
           f"[{cl:.4g}, {ch:.4g}]")
    # trend of the distance to the target in the worst point's group (log-log)
    same = np.array([g == groups[worst] for g in groups]) if groups else np.ones(len(x), bool)
    if groups:
        info["group"] = groups[worst]
    dist = np.abs(S - rate.target)[same]
    xg = x[same]
    trend = None
    xs = sorted(set(xg.tolist()))
    if len(xs) >= 3 and all(dist > 0):
        mean_d = [float(np.mean(dist[xg == v])) for v in xs]
        slope, _, _, _, serr = stats.linregress(np.log(xs), np.log(mean_d))
        trend = {"slope": float(slope), "se": float(serr) if math.isfinite(serr) else 0.0}  # constant distances: linregress gives nan
        info["trend"] = trend
    if lo <= cl and ch <= hi:
        res.verdict, res.reason = PASS, f"{txt} lies within {rate.target:g} +- {rate.tolerance:g}"
        res.p_fail = 1.0
        return res
    if ch < lo or cl > hi:
        edge = hi if cl > hi else lo
        zval = abs(s - edge) / e if e > 0 else math.inf
        res.p_fail = float(stats.norm.sf(zval))
        decreasing = trend is not None and trend["slope"] + 2 * trend["se"] < 0
        if decreasing:
            res.p_fail = 1.0
            res.reason = (f"{txt}, outside {rate.target:g} +- {rate.tolerance:g}, but still approaching it "
                          f"(distance ~ {rate.axis}^{trend['slope']:+.2f}): extend the grid")
        else:
            res.verdict = FAIL
            res.reason = f"{txt}, outside {rate.target:g} +- {rate.tolerance:g}, and not approaching it"
        return res
    res.p_fail = 1.0
    res.reason = f"{txt} straddles {rate.target:g} +- {rate.tolerance:g}: too noisy to decide"
    return res


def holm(pvalues: Sequence[float], level: float) -> list[bool]:
    """Holm-Bonferroni step-down: which hypotheses are rejected at family-wise ``level``."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    reject = [False] * m
    for rank, i in enumerate(order):
        if pvalues[i] <= level / (m - rank):
            reject[i] = True
        else:
            break
    return reject


def finalize(results: Sequence[RateResult], level: float, family_size: int | None = None,
             bonferroni: bool = False) -> None:
    """Confirm provisional fails against the family-wise level (in place).

    ``bonferroni`` uses level/family_size for every rate (used for mutants, so a
    mutant is caught under a check at least as strict as the claims got)."""
    cands = [r for r in results if r.verdict == FAIL]
    m = family_size or len(results)
    if not cands:
        return
    if bonferroni:
        keep = [r.p_fail <= level / max(m, 1) for r in cands]
    else:
        ps = [r.p_fail for r in cands] + [1.0] * max(0, m - len(cands))
        keep = holm(ps, level)[: len(cands)]
    for r, ok in zip(cands, keep):
        if not ok:
            r.verdict = INCONCLUSIVE
            r.reason += f"; but p={r.p_fail:.2g} does not survive the family-wise correction over {m} rates"


def combine(verdicts: Sequence[str]) -> str:
    """A claim's verdict: its worst rate (error > fail > inconclusive > pass)."""
    return max(verdicts, key=lambda v: ORDER[v]) if verdicts else INCONCLUSIVE
