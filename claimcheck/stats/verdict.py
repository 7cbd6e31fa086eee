"""Turn fits into verdicts: pass / fail / inconclusive / error, each with its reason.

The band of each rate kind (exponents allowed; values for a limit) lives in
:mod:`claimcheck.ratekinds`. The promise is symmetric, measured on planted laws
(``benchmarks/README.md``): a true rate fails <= 2%, a rate at the band's edge passes
<= level, a rate 0.2 off passes <= 1%, and at the truth a pass is as likely as a level
test allows. Every fail is a test at the claim's ``level`` whose p-value ``p_fail`` is
two-sided-equivalent (fail <=> the (1 - level) CI lies outside the band);
:func:`judge_claim` then confirms fails by Holm over the rates of *one claim*. Every pass
is an equivalence test at ``level``: two one-sided tests, i.e. the (1 - 2 level) CI
inside the band (issue 20: the old "(1 - level) CI inside" was a level/2 test, and no
more decisive data could be had for it). So:

- per rate, P(fail | the rate is true) <= level / 2 at the band edge, far less at its centre;
- per rate, P(pass | the rate is at the band's edge) <= level;
- per claim, P(some true rate of the claim fails) <= level (Holm);
- a claim's verdict never depends on which other claims ran; a mutant is judged at
  its own claim's level, exactly as the claim itself.

Exponent kinds (tight, upper, geometric, converges): a GLS fit of log(statistic) on
log(axis) with t quantiles (n - 1 dof; residual dof when the Birge ratio widens it: the
jackknife covariance is itself estimated from n replicates, and normal quantiles made
8-replicate CIs too narrow; coverage 0.95-0.98 in the planted tables).

- pass: the (1 - 2 level) CI of the exponent lies inside the *pass band*; or the sweep
  misfits one power law (chi2) and every local slope's (1 - 2 level) CI, widened by the
  misfit factor and with the global fit's t quantiles, lies inside (intersection-union).
  The pass band is the kind's band, except where a log allowance (``log_power``) widened
  it: there a pass must also reject, at 1%, an exponent 0.1 beyond the stated band (on
  64..1024 the full allowance for (log N)^[0,1] reached -0.22 and a pure N^-0.3 passed
  "N^-1/2 up to logs" 91%; now 1%). The verdict prints the pass band, the full band and why;
- fail: the (1 - level) CI lies outside the (full) band. If the sweep is significantly
  curved, a fail also needs the last local slope (widened the same way) outside on the same
  side; else the sweep is not in its power-law regime: inconclusive. A fail is worded as a
  statement about the grid's range, with the local slopes: a pre-asymptotic correction
  (N^-1/2 (1 + 20 N^-1/2) on 64..1024 fails ~80%) looks the same on it;
- inconclusive otherwise; and when the statistic is at the Monte-Carlo noise floor, which is
  about zero, not relative noise: for ``abs_mean`` the (1 - level) CI of the mean contains 0
  at some point; for nonnegative statistics, some point rests on a single replicate (leaving
  it out gives 0, so log has no error bar). (The old "signal/noise >= 3" stopped 89-95% of
  true lognormal-sd-1 sweeps, nowhere near 0.) Also within 3x of a stated sampling floor.
- error: a non-finite metric, or a negative one under ``statistic="mean"`` (a rate fit
  needs a nonnegative error; such values are a bug, not noise).

Misfit under common random numbers (paired designs): the weighted residual sum of squares
is referred to chi2 on Satterthwaite's degrees of freedom (``FitResult.misfit_p``), not on
P - k: in a nested-CRN emulation of ``sirignano2020.lln``'s former design (a width-768 reference
net, nested units; the claim now measures against an exact limit) the old reference flagged 8.0% of
true sweeps at 5%, this one 4.5% (issue 20, rule 5; ``tests/test_correlated_designs.py``).
Every rate also notes replicates dependent along their index (lag-1 rank correlation,
:mod:`claimcheck.stats.serial`): the CIs assume independent replicates.

A second grid axis: every group (values of the other axes) is judged on its own; the
rate passes only if every group passes, and fails if one group fails at level / groups
(Bonferroni over the groups).

limit: the statistic at the largest scale (t bounds; for the mean of a nonnegative metric
also the bound of a scale model, the more conservative of the two, since t bounds on 4-8
skewed replicates passed a wrong limit at the band's edge 9-19%; exact Clopper-Pearson for 0/1
metrics; a zero sample variance borrows the sweep's largest standard error) is within
target +- tolerance by two one-sided tests at ``level``; a pass also needs the approach
to be *observed* (at the smallest scale the statistic is still outside the band) and the
limit to have *stopped moving*: the last change, continued as a series shrinking like
x^-1/2, projects a limit whose one-sided (1 - level) bound on the side it moves to is in
the band (a statistic of nonnegative values is not projected below 0). Reading only the
largest scale let 0.4 N^-1/2 - 0.02 pass 0 +- 0.01 on its way to -0.02, more often with
more replicates. Fail: outside the band and either not significantly approaching it between
the last two scales, or approaching it but projected (the last change continued as a series
shrinking like x^-0.2, more slowly than the pass side presumes) to stop outside it.

converges: the exponent's CI lies below 0 *and* the statistic at the largest scale is at
most ``below`` (one-sided test). Without ``below`` it cannot pass (a wrong limit c > 0
would); it fails when the exponent is clearly >= 0, or the statistic clearly above
``below`` and no longer decreasing.

Power: ``detectable`` is the deviation from the prediction (exponent; value for limit)
that this rule fails with 80% probability, (q_level + q_0.8) se + tolerance; an
inconclusive result states the replicates at which, if the measured value is the truth,
the same rule decides with 80% probability.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field, replace
from typing import Sequence

import numpy as np
from scipy import stats

from . import law as _law  # noqa: F401 - registers the law kind's statistic (stats/law.py)
from . import pointci
from ..claim import Rate
from ..ratekinds import Converges, Limit, RateKind
from .fit import FitResult, fit_rate, jackknife_se, leave_one_out, reduce
from .serial import serial_note
from .results import RateResult

PASS, FAIL, INCONCLUSIVE, ERROR = "pass", "fail", "inconclusive", "error"
ORDER = {ERROR: 3, FAIL: 2, INCONCLUSIVE: 1, PASS: 0}
POWER = 0.8


def _finite(v):
    return v if v is not None and math.isfinite(v) else None


@dataclass
class RateCheck:
    """A rate under the verdict rules: the claim's ``Rate``, the live ``FitResult`` and the
    verdict as it is being decided (Holm may still turn a fail inconclusive). What a run
    keeps is its value, :meth:`result` (a :class:`~claimcheck.stats.results.RateResult`)."""
    rate: Rate
    verdict: str
    reason: str
    measured: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_fail: float | None = None          # two-sided-equivalent; Holm applies over the claim's rates
    detectable: float | None = None      # deviation from the prediction failed with 80% probability
    fit: FitResult | None = None
    notes: list[str] = field(default_factory=list)
    limit: dict | None = None            # a value test's numbers (limit; converges' value test)
    replicates_needed: int | None = None
    band: tuple[float, float] | None = None   # allowed values of the measured parameter
    band_text: str = ""
    groups: list[dict] | None = None     # per-group verdicts when the grid has other axes
    group: str | None = None             # the group this result is about ("" for one group)

    def result(self) -> RateResult:
        return RateResult.from_json(self.as_dict())

    def as_dict(self) -> dict:
        r = self.rate
        predicted = r.spec.claimed(r)
        d = {"metric": r.metric, "axis": r.axis, "kind": r.kind, "statistic": r.statistic,
             "predicted": predicted, "tolerance": r.tolerance, "heuristic": r.heuristic,
             "label": r.label, "describe": r.describe(), "unit": r.unit, "note": r.note,
             "below": r.below, "log_power": list(r.log_power) if r.log_power else None,
             "band": [_finite(self.band[0]), _finite(self.band[1])] if self.band else None,
             "band_text": self.band_text,
             "measured": self.measured, "ci_low": self.ci_low, "ci_high": self.ci_high,
             "verdict": self.verdict, "reason": self.reason, "p_fail": self.p_fail,
             "detectable_deviation": self.detectable, "detectable_power": POWER, "notes": self.notes,
             "replicates_needed": self.replicates_needed, "limit": self.limit,
             "group": self.group, "groups": self.groups,
             "fit": self.fit.as_dict() if self.fit else None}
        if r.spec.shows_rho and self.measured is not None:
            d["measured_rho"] = math.exp(self.measured)
            d["rho_ci"] = [math.exp(self.ci_low), math.exp(self.ci_high)]
        return d


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


def _bad_values(rate: Rate, x: np.ndarray, tab: np.ndarray) -> str | None:
    """Values no rate fit may contain: non-finite ones; negative ones under "mean"."""
    bad = ~np.isfinite(tab)
    if bad.any():
        i = int(np.flatnonzero(bad.any(axis=1))[0])
        return (f"{int(bad.sum())} non-finite value(s) of {rate.metric} (first at {rate.axis}={x[i]:g}): "
                f"the simulation overflowed or broke")
    if rate.statistic == "mean" and rate.spec.fits_power_law and (tab < 0).any():  # its log is fitted
        i = int(np.flatnonzero((tab < 0).any(axis=1))[0])
        return (f"{int((tab < 0).sum())} negative value(s) of {rate.metric} (first at {rate.axis}={x[i]:g}, "
                f"{tab[i].min():.3g}): a rate of mean({rate.metric}) needs a nonnegative error "
                f"(for a signed metric use statistic='abs_mean' or 'rms')")
    return None


def check_rate(rate: Rate, points: Sequence[dict], table: np.ndarray, *, paired: bool,
               level: float = 0.05, floor_table: np.ndarray | None = None) -> RateCheck:
    """One rate's verdict at the claim's level (fails are confirmed by judge_claim)."""
    try:
        x, groups, tab, floor, others = rate_table(rate, points, np.asarray(table, float), floor_table)
    except Exception as exc:  # noqa: BLE001
        return RateCheck(rate, ERROR, f"cannot arrange data: {exc}")
    bad = _bad_values(rate, x, tab)
    if bad:
        return RateCheck(rate, ERROR, bad)
    if groups is None:
        out = _check_group(rate, x, tab, floor, paired, level, others, "")
    else:
        per = []
        for g in sorted(set(groups)):
            idx = np.array([gi == g for gi in groups])
            per.append(_check_group(rate, x[idx], tab[idx], floor[idx] if floor is not None else None,
                                    paired, level / len(set(groups)), others, g, pass_level=level))
        out = _combine_groups(rate, per, level, x, tab, groups, paired, others)
    dependent = serial_note(tab, paired)
    if dependent:
        out.notes.append(dependent)
    return out


def _combine_groups(rate, per: list[RateCheck], level, x, tab, groups, paired, others) -> RateCheck:
    """Every group must pass; one group failing (at level / groups) fails the rate."""
    G = len(per)
    summary = [{"group": r.group, "verdict": r.verdict, "measured": r.measured, "ci_low": r.ci_low,
                "ci_high": r.ci_high, "p_fail": r.p_fail, "reason": r.reason} for r in per]
    worst_v = max((r.verdict for r in per), key=lambda v: ORDER[v])
    if worst_v == FAIL:
        lead = min((r for r in per if r.verdict == FAIL), key=lambda r: r.p_fail)
    elif worst_v == PASS:  # the pass closest to its band's edge
        lead = max(per, key=lambda r: r.detectable or 0.0)
    else:
        lead = next(r for r in per if r.verdict == worst_v)
    out = RateCheck(rate, worst_v, f"[{lead.group}] {lead.reason}", measured=lead.measured, ci_low=lead.ci_low,
                     ci_high=lead.ci_high, detectable=max((r.detectable for r in per if r.detectable is not None),
                                                         default=None),
                     limit=lead.limit, replicates_needed=max((r.replicates_needed for r in per
                                                              if r.replicates_needed is not None), default=None),
                     band=lead.band, band_text=lead.band_text, groups=summary, group=lead.group,
                     notes=[f"[{r.group}] {n}" for r in per for n in r.notes])
    ps = [r.p_fail for r in per if r.p_fail is not None]
    out.p_fail = min(1.0, G * min(ps)) if ps else None
    if worst_v == PASS:
        out.reason = f"every group passes ({G}); closest to its band: [{lead.group}] {lead.reason}"
    out.notes.insert(0, f"{G} groups judged separately (fails at level/{G}): "
                     + ", ".join(f"{r.group}: {r.verdict}" for r in per))
    if rate.spec.fits_power_law:  # the common-slope fit, for plots
        try:
            out.fit = fit_rate(x, tab, rate.statistic, paired=paired, groups=groups,
                               loglinear=rate.spec.loglinear, other_axes=others)
        except Exception:  # noqa: BLE001
            out.fit = lead.fit
    return out


def _check_group(rate: Rate, x, tab, floor, paired, level, others, group, pass_level=None) -> RateCheck:
    """One group's verdict; fails are tested at ``level``, passes at ``pass_level``."""
    pass_level = pass_level or level
    nx = len(set(x.tolist()))
    if nx < 3:
        return RateCheck(rate, INCONCLUSIVE, f"only {nx} values of {rate.axis} to fit; need >= 3", group=group)
    return judge_group(rate.spec, rate, x, tab, floor, paired, level, pass_level, others, group)


@functools.singledispatch
def judge_group(kind: RateKind, rate: Rate, x, tab, floor, paired, level, pass_level, others, group) -> RateCheck:
    """How one group of a rate is judged, by its kind's class (a subclass inherits its
    parent's rule): by default a power-law fit whose exponent is tested against the band."""
    return _judge_fitted(rate, x, tab, floor, paired, level, pass_level, others, group)


@judge_group.register
def _(kind: Limit, rate: Rate, x, tab, floor, paired, level, pass_level, others, group) -> RateCheck:
    return _check_limit(rate, x, tab, level, pass_level, group)


@judge_group.register
def _(kind: Converges, rate: Rate, x, tab, floor, paired, level, pass_level, others, group) -> RateCheck:
    res = _judge_fitted(rate, x, tab, floor, paired, level, pass_level, others, group)
    if res.fit is not None:  # a fitted exponent: the value test decides with it
        _judge_converges_value(res, rate, x, tab, level, pass_level)
        if rate.heuristic is not None:
            res.notes.append(f"heuristic rate {rate.heuristic:+.3f} (reported, not tested)")
    return res


def _judge_fitted(rate: Rate, x, tab, floor, paired, level, pass_level, others, group) -> RateCheck:
    """The exponent's verdict: noise floor, sampling floor, fit, band."""
    n_rep = tab.shape[1]
    floor_hit = _noise_floor(rate, x, tab, level)
    if floor_hit:
        return RateCheck(rate, INCONCLUSIVE, floor_hit[0], replicates_needed=floor_hit[1], group=group)
    S = np.array([reduce(row, rate.statistic) for row in tab])
    if floor is not None:
        F = np.array([reduce(row, rate.statistic) for row in floor])
        last = x == x.max()
        if np.any(S[last] < 3 * F[last]):
            return RateCheck(rate, INCONCLUSIVE,
                              f"signal within 3x of the sampling floor at {rate.axis}={x.max():g} "
                              f"({S[last].min():.3g} vs floor {F[last].max():.3g}); use a larger reference sample",
                              group=group)
    try:
        fit = fit_rate(x, tab, rate.statistic, paired=paired, loglinear=rate.spec.loglinear,
                       level=pass_level, other_axes=others)
    except Exception as exc:  # noqa: BLE001
        return RateCheck(rate, ERROR, f"fit failed: {exc}", group=group)
    res = _judge_exponent(rate, fit, level, pass_level, n_rep)
    res.group = group
    if rate.log_power:
        res.notes.append(_without_log_allowance(rate, fit, level, pass_level, n_rep))
    return res


def _without_log_allowance(rate: Rate, fit: FitResult, level: float, pass_level: float, n_rep: int) -> str:
    """What the same fit gets against the band without the log factor. A reader must see what
    the allowance bought: on 64..1024 "up to sqrt(log N)" moves the edge from -0.4 to -0.31,
    and a quantity that needs no log (an RMS error) should not lean on it (issue 22)."""
    plain = _judge_exponent(replace(rate, log_power=None), fit, level, pass_level, n_rep)
    return (f"without the log allowance: {plain.verdict} against {plain.band_text} "
            f"(this rate alone, before Holm; measured {_fmt(plain.measured)}, CI [{_fmt(plain.ci_low)}, "
            f"{_fmt(plain.ci_high)}])")


def _noise_floor(rate: Rate, x, tab, level: float) -> tuple[str, int | None] | None:
    """(reason, replicates) when the statistic cannot be told from zero, else None.

    A floor is a statement about *zero*, not about relative noise: the old "signal/noise
    >= 3 at every point" stopped 89-95% of true lognormal (sd 1) sweeps with 8 replicates,
    whose mean is nowhere near 0 (issue 20). So:
    - ``abs_mean`` (|mean| of a signed metric): the t CI of the mean at ``level`` contains
      0 at some point: |mean| there is replicate noise, and its log is no error;
    - nonnegative statistics (mean, rms, sd): the log fit's jackknife needs every
      leave-one-out statistic > 0; a point where one replicate carries all the signal
      (the others 0) has no usable log error bar.
    Otherwise t quantiles and the jackknife of log(statistic) carry the noise into the CI."""
    n = tab.shape[1]
    for i, row in enumerate(tab):
        if rate.statistic == "abs_mean":
            m, se = float(np.mean(row)), jackknife_se(row, "mean")
            q = float(stats.t.ppf(1 - level / 2, max(n - 1, 1)))
            if not abs(m) > q * se:
                need = int(math.ceil(n * (q * se / abs(m)) ** 2 * 1.5)) if m != 0 and se > 0 else None
                return (f"at the Monte-Carlo noise floor: mean({rate.metric}) = {m:.3g} +- {se:.2g} at "
                        f"{rate.axis}={x[i]:g}, whose {100 * (1 - level):.0f}% CI contains 0, so |mean| there is "
                        f"noise" + (f"; ~{need} replicates separate it from 0" if need else ""), need)
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                loo = leave_one_out(row, rate.statistic)
            if reduce(row, rate.statistic) > 0 and not np.all(loo > 0):
                return (f"{rate.statistic}({rate.metric}) at {rate.axis}={x[i]:g} rests on a single replicate "
                        f"(leaving it out gives 0): its log has no error bar; more replicates", None)
    return None


def _local_scale(fit: FitResult) -> tuple[float, int | None]:
    """Widening and dof for local slopes: the misfit left by a fit whose slope may drift
    (quadratic in log x), with its t quantiles; without one, the global fit's."""
    c = fit.curvature
    if c and "scale_factor" in c:
        return c["scale_factor"], c["df"]
    return max(1.0, fit.scale_factor), fit.df


def _widened(s: dict, fit: FitResult) -> float:
    return s["se"] * _local_scale(fit)[0]


def _local_q(fit: FitResult, alpha_two_sided: float) -> float:
    df = _local_scale(fit)[1]
    return float(stats.norm.ppf(1 - alpha_two_sided / 2) if df is None else stats.t.ppf(1 - alpha_two_sided / 2, df))


def _local_inside(fit: FitResult, lo: float, hi: float, level: float) -> bool:
    """Every local slope's CI, widened by the misfit and with t quantiles, in the band
    (an intersection-union test: each at ``level``)."""
    q = _local_q(fit, level)
    sl = fit.local_slopes
    return bool(sl) and all(lo <= s["slope"] - q * _widened(s, fit) and s["slope"] + q * _widened(s, fit) <= hi
                            for s in sl)


WRONG_MARGIN = 0.1   # a rate this far beyond the stated band (0.2 off at tolerance 0.1) passes <= 1%
WRONG_ALPHA = 0.01


def pass_band(rate: Rate, lo: float, hi: float, fit: FitResult, pass_level: float) -> tuple[float, float]:
    """The band the two one-sided tests must put the exponent in. The kind's band, except
    where a log allowance (``log_power``) widened it: there a pass must also reject, at 1%,
    an exponent ``WRONG_MARGIN`` beyond the stated band (the promise of the planted tables:
    0.2 off at tolerance 0.1 passes <= 1%). On 64..1024 the full allowance for (log N)^[0, 1]
    reached -0.22, and a pure N^-0.3 passed "N^-1/2 up to logs" 91% (issue 20); the grid
    cannot tell that log factor from the 0.2 shift, so such a rate is inconclusive there.
    b + q_0.99 se <= W is b + q_TOST se <= W - (q_0.99 - q_TOST) se: a narrower band.
    Fails still use the whole band: a true log factor never fails."""
    if not rate.log_power or rate.predicted is None:
        return lo, hi
    p, t = float(rate.predicted), float(rate.tolerance)
    extra = (fit.quantile_one_sided(WRONG_ALPHA) - fit.quantile_one_sided(pass_level)) * fit.se
    plo = lo if lo >= p - t else max(lo, p - t - WRONG_MARGIN - max(extra, 0.0)) if math.isfinite(lo) else lo
    phi = hi if hi <= p + t else min(hi, p + t + WRONG_MARGIN - max(extra, 0.0))
    return plo, phi


def _judge_exponent(rate: Rate, fit: FitResult, level: float, pass_level: float, n_rep: int) -> RateCheck:
    lo, hi = rate.spec.band(rate, fit.log_shift)
    plo, phi = pass_band(rate, lo, hi, fit, pass_level)
    b, se = fit.slope, fit.se
    qp = fit.quantile(pass_level)
    cl, ch = b - qp * se, b + qp * se
    qe = fit.quantile(2 * pass_level)        # two one-sided tests at pass_level: the 1 - 2 alpha interval
    el, eh = b - qe * se, b + qe * se
    p_fail = min(1.0, 2 * min(fit.p_above(hi), fit.p_below(lo) if math.isfinite(lo) else 1.0))
    detect = float(detect_multiplier(fit, level) * noise_se(fit) + rate.spec.detect_margin(rate))
    res = RateCheck(rate, INCONCLUSIVE, "", measured=b, ci_low=cl, ci_high=ch, p_fail=p_fail, fit=fit,
                     detectable=detect, band=(lo, hi), band_text=rate.spec.band_text(rate, fit.log_shift))
    what = rate.spec.parameter
    band_txt = rate.spec.slope_band_text(rate, fit.log_shift)
    pass_txt = band_txt
    if (plo, phi) != (lo, hi):
        pass_txt = (f"{_band_str(plo, phi)} (the log allowance gives {band_txt} on this grid; a pass must also "
                    f"reject, at {WRONG_ALPHA:g}, an exponent {WRONG_MARGIN:g} beyond "
                    f"{rate.predicted:g} +- {rate.tolerance:g}, which this grid cannot tell from a log factor)")
    ci_txt = f"measured {what} {_fmt(b)}, {100 * (1 - pass_level):.0f}% CI [{_fmt(cl)}, {_fmt(ch)}]"
    if rate.log_power:
        res.notes.append(f"up to logs: (log {rate.axis})^b with b in [{rate.log_power[0]:g}, {rate.log_power[1]:g}] "
                         f"moves the fitted slope by b x {fit.log_shift:.3f}")

    curved = bool(fit.curvature and fit.curvature["p"] < level
                  and abs(fit.curvature["slope_change"]) > max(rate.tolerance, 0.05))
    if curved:
        res.notes.append(f"curvature: local slope changes by {fit.curvature['slope_change']:+.2f} over the grid "
                         f"(p={fit.curvature['p']:.2g})")
    misfit = fit.dof > 0 and fit.misfit_p < level
    if misfit:
        ref = (f"chi2 on {fit.misfit_dof:.2g} Satterthwaite dof" if fit.misfit_dof is not None
               and abs(fit.misfit_dof - fit.dof) > 1e-9 else f"chi2 on {fit.dof} dof")
        res.notes.append(f"misfit: chi2/dof = {fit.scale_factor ** 2:.3g} (p={fit.misfit_p:.2g}, {ref}); "
                         f"CIs widened by {fit.scale_factor:.2g}")
    inside = plo <= el and eh <= phi
    outside = p_fail <= level
    tost_txt = f"its {100 * (1 - 2 * pass_level):.0f}% CI [{_fmt(el)}, {_fmt(eh)}] (two one-sided tests at {pass_level:g})"
    if inside and not curved:
        res.verdict = PASS
        res.reason = f"{ci_txt}; {tost_txt} lies in the allowed band {pass_txt}"
        suffix, notes = rate.spec.pass_remarks(rate, b, ch)
        res.reason += suffix
        res.notes.extend(notes)
        return res
    if (curved or fit.scale_factor > 1) and _local_inside(fit, plo, phi, 2 * pass_level):
        res.verdict = PASS
        shape = "the sweep is curved" if curved else f"misfit widens it (chi2/dof {fit.scale_factor ** 2:.3g})"
        res.reason = (f"{ci_txt}; {shape}, but every local slope's {100 * (1 - 2 * pass_level):.0f}% CI (widened "
                      f"alike; two one-sided tests) lies in the allowed band {pass_txt}")
        res.notes.append("passed on local slopes")
        return res
    if outside:
        above = b > hi
        if curved:
            last = _last_local(fit, above)
            q = _local_q(fit, level)
            w = _widened(last, fit)
            agrees = (last["slope"] - q * w > hi) if above else (last["slope"] + q * w < lo)
            last_txt = (f"last local slope {last['slope']:+.3f} +- {w:.3f} "
                        f"({rate.axis} {last['from']:g} -> {last['to']:g})")
            toward = fit.curvature["slope_change"] < 0 if above else fit.curvature["slope_change"] > 0
            reach = _reachable_move(fit, level)
            gap = (last["slope"] - q * w - hi) if above else (lo - last["slope"] - q * w)
            if toward and agrees and gap > reach:
                res.verdict = FAIL
                res.reason = (f"{ci_txt} is outside the allowed band {band_txt}; the sweep is curved and its local "
                              f"slopes move toward the band, but the {last_txt} is {gap:.3g} beyond it, while a "
                              f"correction decaying as slowly as {rate.axis}^-{SLOWEST_CORRECTION:g} would move it by "
                              f"at most {reach:.3g} more beyond the grid: it cannot reach the band"
                              f"{_regime_txt(rate, fit)}")
                return res
            if toward:
                res.reason = (f"{ci_txt} is outside the allowed band {band_txt}, but the sweep is curved and its local "
                              f"slopes move toward the band ({last_txt}): not in the power-law regime yet; "
                              f"extend the grid")
                return res
            if not agrees:
                res.reason = (f"{ci_txt} is outside the allowed band {band_txt}, but the sweep is curved and the "
                              f"{last_txt} does not confirm it: not in the power-law regime yet; extend the grid")
                return res
            res.verdict = FAIL
            res.reason = (f"{ci_txt} is outside the allowed band {band_txt}; the sweep is curved and the "
                          f"{last_txt} is outside too{_regime_txt(rate, fit)}")
            return res
        res.verdict = FAIL
        res.reason = f"{ci_txt} is outside the allowed band {band_txt} (p={p_fail:.2g}){_regime_txt(rate, fit)}"
        return res
    res.replicates_needed, advice = _replicates_advice(fit, plo, phi, level, n_rep, misfit)
    res.reason = f"{ci_txt} straddles the band {band_txt}: too noisy to decide; {advice}"
    if pass_txt != band_txt:
        res.reason = (f"{ci_txt} is not outside the band {band_txt}, and {tost_txt} is not inside the pass band "
                      f"{pass_txt}: cannot decide; {advice}")
    if curved:
        res.reason = f"{ci_txt}, but the sweep is curved (not in the power-law regime yet) and straddles {band_txt}"
    return res


def _regime_txt(rate: Rate, fit: FitResult) -> str:
    """A fail is about the regime this grid covers: N^-1/2 (1 + 20 N^-1/2) on 64..1024 fails
    79-84% of seeds (issue 20) though its asymptote is right. Say so, with the local slopes."""
    if not fit.local_slopes:
        return ""
    xs = [s["from"] for s in fit.local_slopes] + [s["to"] for s in fit.local_slopes]
    slopes = ", ".join(f"{s['slope']:+.2f}" for s in sorted(fit.local_slopes, key=lambda s: (s["group"], s["from"])))
    return (f". This is a statement about {rate.axis} {min(xs):g}..{max(xs):g} (local slopes {slopes}): the law "
            f"does not hold over this range; if the claim is only asymptotic, a pre-asymptotic correction looks the "
            f"same, and a grid reaching larger {rate.axis} tests the asymptote")


def _band_str(lo: float, hi: float) -> str:
    return f"[{lo:+.3f}, {hi:+.3f}]" if math.isfinite(lo) else f"<= {hi:+.3f}"


# The slowest pre-asymptotic correction the "moving toward the band" rule allows for: a
# local slope that drifts like axis^-a (a correction C axis^-a to the power law) moves, beyond
# the grid's end, by at most (its move over the grid) / (r^a - 1), r the grid's ratio. The
# corrections of the shipped claims' laws decay like N^-1/2 or faster; a = 1/4 leaves room for
# slower ones (on a 16x grid the slope may still move by its whole move so far, at the upper
# end of that move's CI).
SLOWEST_CORRECTION = 0.25


def _reachable_move(fit: FitResult, level: float) -> float:
    """How far the local slope may still move beyond the grid, toward the band, if its drift
    is a correction decaying at least like axis^-SLOWEST_CORRECTION: the fitted drift over
    the grid (at the upper end of its CI) divided by (r^a - 1). Infinite for geometric
    (log-linear) fits, whose corrections this model does not describe."""
    c = fit.curvature
    if fit.loglinear or not c or not fit.x:
        return math.inf
    span = math.log(max(fit.x) / min(fit.x))
    move = abs(c["slope_change"]) + float(stats.t.ppf(1 - level / 2, c["df"])) * 2 * c["se"] * span
    return move / math.expm1(SLOWEST_CORRECTION * span)


def _last_local(fit: FitResult, above: bool) -> dict:
    last_to = max(s["to"] for s in fit.local_slopes)
    return next(s for s in fit.local_slopes if s["to"] == last_to)


def noise_se(fit: FitResult) -> float:
    """The exponent's standard error from the replicate noise alone (before any Birge widening)."""
    return fit.se / fit.scale_factor if fit.scale_factor > 1 else fit.se


def detect_multiplier(fit: FitResult, level: float, power: float = POWER) -> float:
    """k such that a true exponent k noise-se beyond the band's edge is failed with
    probability ``power`` by this rule: the estimate is N(truth, se), and the chi2 of a
    correct power law (chi2_dof) decides, as in the fit, whether the CI is widened by
    sqrt(chi2/dof) with t quantiles on the residual dof, or not (t on n - 1). Averaging
    over chi2 is what made "tolerance + CI half-width" (power ~50%) honest."""
    dof, n = fit.dof, fit.n_replicates or 1000
    u = (np.arange(64) + 0.5) / 64
    ratio = stats.chi2.ppf(u, dof) / dof if dof > 0 else np.ones_like(u)
    widen = np.sqrt(np.maximum(ratio, 1.0))
    q = np.where(ratio > 1, stats.t.ppf(1 - level / 2, max(dof, 1)), stats.t.ppf(1 - level / 2, max(n - 1, 1)))

    def pw(k: float) -> float:
        return float(np.mean(stats.t.sf(q * widen - k, max(n - 1, 1))))  # se itself is estimated from n

    if not np.all(np.isfinite(q)):   # a level too small for its quantile (1 - level rounds to 1)
        return math.inf
    lo, hi = 0.0, 1.0
    while pw(hi) < power:
        hi *= 2
    for _ in range(50):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if pw(mid) < power else (lo, mid)
    return hi


def _replicates_advice(fit: FitResult, lo: float, hi: float, level: float, n_rep: int, misfit: bool):
    """Replicates at which this rule decides with 80% probability if the measured
    exponent is the truth: k se(n) <= distance to the nearest band edge, with k from
    detect_multiplier (se ~ n^-1/2)."""
    b, se = fit.slope, noise_se(fit)
    if misfit:
        return None, ("the points scatter beyond their noise (misfit): more replicates will not settle it, "
                      "a wider grid may")
    gap = min(abs(b - lo) if math.isfinite(lo) else math.inf, abs(hi - b))
    k = detect_multiplier(fit, level)
    if not math.isfinite(k):
        return None, f"no replicate count decides at level {level:g}"
    if gap < se:
        need = int(math.ceil(n_rep * k ** 2))
        return need, (f"the exponent is within one standard error of the band's edge, so no replicate count can be "
                      f"promised; at least ~{need} replicates")
    need = int(math.ceil(n_rep * (k * se / gap) ** 2))
    return need, f"~{need} replicates decide with 80% probability if the measured exponent is the truth"


def _estimates(rate: Rate, x: np.ndarray, tab: np.ndarray) -> tuple[list[float], list[pointci.PointEstimate]]:
    return pointci.point_estimates(rate.spec, rate, x, tab)


def _projected_limit(xs: list[float], ests: list[pointci.PointEstimate], level: float,
                     nonneg: bool, exponent: float = 0.5) -> tuple[float | None, float | None]:
    """Where the statistic is heading: the last change continued as a geometric series that
    shrinks like x^-1/2 (the Monte-Carlo rate, the slowest approach a ``limit`` rate
    presumes): last + d r / (1 - r), r = (x_prev / x_last)^1/2. Reading only the largest
    scale let 0.4 N^-1/2 - 0.02, crossing the band 0 +- 0.01 on its way to -0.02, pass
    7-65% of seeds, more with more replicates (issue 20). The pass needs the one-sided
    (1 - level) bound on the side it moves to inside the band. Returns (projection, bound)."""
    if len(ests) < 2 or not (xs[-1] > xs[-2] > 0):
        return None, None
    last, prev = ests[-1], ests[-2]
    r = (xs[-2] / xs[-1]) ** exponent
    k = r / (1 - r)
    d = last.value - prev.value
    proj = last.value + d * k
    se = math.sqrt((1 + k) ** 2 * _var(last) + k * k * _var(prev))
    q = float(stats.t.ppf(1 - level, max(min(last.n, prev.n) - 1, 1)))
    bound = proj + q * se if d > 0 else proj - q * se    # on the side it is moving to
    if nonneg:  # a statistic of nonnegative values cannot be heading below 0
        proj, bound = max(proj, 0.0), max(bound, 0.0)
    return float(proj), float(bound)


FAIL_PROJECTION_EXPONENT = 0.2
"""A limit still approaching its band is failed only if the last change, continued as a
series shrinking like x^-0.2, stops outside the band (one-sided test at the fail level). The
pass side presumes x^-1/2; the fail side presumes less, so that a true limit approached from
outside as slowly as x^-0.2 is not failed (0 of 100 planted sweeps at 64-1024 replicates, in
tests/test_verdict_limit_projection.py), while a wrong limit that creeps towards the band is
no longer left "still approaching" (0.05 + 0.2 N^-1/2 against 0 +- 0.01 on N = 64..1024:
failed 76 / 100 / 100% at 64 / 256 / 1024 replicates, against 62 / 14 / 0% before, when more
data meant fewer fails). A limit approached more slowly still (0.3 N^-0.15, 0.106 at N =
1024) is failed, and the reason names the presumed rate."""


def _projection_p(xs: list[float], ests: list[pointci.PointEstimate], lo: float, hi: float,
                  miss_above: bool) -> float:
    """One-sided p that the x^-0.2 projection of the last change still misses the band on the
    side of the miss (1 where it cannot be projected)."""
    if len(ests) < 2 or not (xs[-1] > xs[-2] > 0):
        return 1.0
    last, prev = ests[-1], ests[-2]
    r = (xs[-2] / xs[-1]) ** FAIL_PROJECTION_EXPONENT
    k = r / (1 - r)
    proj = last.value + (last.value - prev.value) * k
    se = math.sqrt((1 + k) ** 2 * _var(last) + k * k * _var(prev))
    dof = max(min(last.n, prev.n) - 1, 1)
    gap = (proj - hi) if miss_above else (lo - proj)
    if not math.isfinite(gap):
        return 1.0
    if se <= 0:
        return 0.0 if gap > 0 else 1.0
    return float(stats.t.sf(gap / se, dof))


def _approaching(prev: pointci.PointEstimate, last: pointci.PointEstimate, toward_below: bool, level: float) -> bool:
    """The statistic moved toward the band between the last two scales, significantly
    (a test on replicate noise: not fooled by 1-2 residual degrees of freedom of a trend fit)."""
    d = (prev.value - last.value) if toward_below else (last.value - prev.value)
    if d <= 0:
        return False
    var = _var(prev) + _var(last)
    if var <= 0:
        return True
    dof = max(min(prev.n, last.n) - 1, 1)
    return d / math.sqrt(var) > stats.t.ppf(1 - level, dof)


def _var(e: pointci.PointEstimate) -> float:
    if e.method == "clopper-pearson":
        p = (e.events + 0.5) / (e.n + 1.0)
        return p * (1 - p) / e.n
    return e.se ** 2


def _value_test(est: pointci.PointEstimate, lo: float, hi: float, level: float, pass_level: float):
    """(equivalence p (both one-sided tests), fail p (two-sided-equivalent), side of the miss)."""
    p_hi = est.p_below(hi) if math.isfinite(hi) else 0.0
    p_lo = est.p_above(lo) if math.isfinite(lo) else 0.0
    p_equiv = max(p_hi, p_lo)
    p_out_hi = est.p_above(hi) if math.isfinite(hi) else 1.0
    p_out_lo = est.p_below(lo) if math.isfinite(lo) else 1.0
    p_fail = min(1.0, 2 * min(p_out_hi, p_out_lo))
    return p_equiv, p_fail, (p_out_hi <= p_out_lo)


def _check_limit(rate: Rate, x, tab, level: float, pass_level: float, group: str) -> RateCheck:
    lo, hi = rate.spec.value_band(rate)
    xs, ests = _estimates(rate, x, tab)
    last, first = ests[-1], ests[0]
    q = float(stats.t.ppf(1 - pass_level / 2, max(last.n - 1, 1)))
    cl, ch = last.lower(pass_level / 2), last.upper(pass_level / 2)
    q80 = float(stats.t.ppf(POWER, max(last.n - 1, 1)))
    se_det = last.se if last.se > 0 else math.sqrt(_var(last))
    info = {"axis_max": float(xs[-1]), "value": float(last.value), "se": float(last.se), "ci": [float(cl), float(ch)],
            "band": [lo, hi], "values": [float(e.value) for e in ests], "x": [float(v) for v in xs],
            "interval": last.method, "group": group, "value_at_smallest": float(first.value)}
    res = RateCheck(rate, INCONCLUSIVE, "", measured=float(last.value), ci_low=float(cl), ci_high=float(ch),
                     limit=info, detectable=float(rate.tolerance + last.bias + (q + q80) * se_det), band=(lo, hi),
                     band_text=rate.spec.band_text(rate), group=group)
    txt = (f"{rate.spec.point_label(rate)} at {rate.axis}={xs[-1]:g} is {last.value:.4g}, "
           f"{100 * (1 - pass_level):.0f}% CI [{cl:.4g}, {ch:.4g}]"
           + (" (exact binomial)" if last.method == "clopper-pearson" else ""))
    band = rate.spec.band_text(rate)
    if not last.usable:
        res.reason = f"{txt}: every replicate at every scale is identical, so there is no error bar; cannot decide"
        return res
    p_equiv, p_fail, miss_above = _value_test(last, lo, hi, level, pass_level)
    res.p_fail = p_fail
    if p_equiv <= pass_level:
        if lo <= first.value <= hi:
            res.reason = (f"{txt} lies within {band}, but the limit is presumed, not observed: already inside the "
                          f"band at the smallest scale ({rate.axis}={xs[0]:g}: {first.value:.4g}); start the grid "
                          f"where the statistic is still outside")
            return res
        nonneg = last.nonnegative or rate.statistic in ("rms", "sd", "abs_mean") or bool(np.min(tab) >= 0)
        projected, bound = _projected_limit(xs, ests, pass_level, nonneg)
        info["projected"] = projected
        if projected is not None and not lo <= bound <= hi:
            res.reason = (f"{txt} lies within {band}, but it has not stopped moving: from {rate.axis}={xs[-2]:g} to "
                          f"{xs[-1]:g} it moved {last.value - ests[-2].value:+.3g}; continuing to shrink as "
                          f"{rate.axis}^-1/2 it would reach {projected:.4g} (one-sided {100 * (1 - pass_level):.0f}% "
                          f"bound {bound:.4g}), outside the band: extend the grid")
            return res
        res.verdict, res.reason = PASS, (f"{txt} lies within {band} (two one-sided tests), and it has stopped moving "
                                         f"(projected limit {projected:.4g}, bound {bound:.4g})")
        return res
    if p_fail <= level:
        if len(ests) >= 2 and _approaching(ests[-2], last, miss_above, level):
            projected, bound = _projected_limit(xs, ests, level, False, exponent=FAIL_PROJECTION_EXPONENT)
            info["projected"] = projected
            p_proj = _projection_p(xs, ests, lo, hi, miss_above)
            if projected is None or p_proj > level:
                res.reason = f"{txt}, outside {band}, but still approaching it: extend the grid"
                return res
            res.verdict, res.p_fail = FAIL, max(p_fail, p_proj)
            res.reason = (f"{txt}, outside {band}; still approaching it, but even continuing to shrink as "
                          f"{rate.axis}^-{FAIL_PROJECTION_EXPONENT:g} (slower than any approach a limit presumes) "
                          f"it would stop at {projected:.4g} (one-sided {100 * (1 - level):.0f}% bound {bound:.4g}), "
                          f"outside the band: a wrong limit (p={res.p_fail:.2g})")
            return res
        res.verdict = FAIL
        res.reason = f"{txt}, outside {band}, and not approaching it (p={p_fail:.2g})"
        return res
    need = last.replicates_to_show_below(hi, pass_level, stats.norm.ppf(POWER)) if math.isinf(lo) or lo <= 0 else None
    res.replicates_needed = need
    res.reason = f"{txt} straddles {band}: too noisy to decide" + (f"; ~{need} replicates would" if need else "")
    return res


def _judge_converges_value(res: RateCheck, rate: Rate, x, tab, level: float, pass_level: float) -> None:
    """converges also needs the statistic at the largest scale below ``below``: two
    tests (exponent < 0, value <= below), each able to fail the rate (Bonferroni: 2 p).
    A statistic above ``below`` that is still decreasing is failed only through the limit
    rule's x^-0.2 projection (``_projection_p``): before it, any significant last decrease
    left a wrong limit inconclusive (R9's ODE with alpha doubled, sup 0.14 -> 0.13 against
    0.08, was caught in 3 of 10 seeds)."""
    if rate.below is None:
        if res.verdict == PASS:
            res.verdict = INCONCLUSIVE
            res.reason += ("; but a decreasing statistic may converge to a wrong limit: the rate must state `below=` "
                           "(the statistic at the largest scale) to pass")
        return
    xs, ests = _estimates(rate, x, tab)
    last = ests[-1]
    p_equiv, p_val, _ = _value_test(last, -math.inf, rate.below, level, pass_level)
    creeping = None
    if len(ests) >= 2 and _approaching(ests[-2], last, True, level):
        # still decreasing toward `below`: a wrong limit only if the last change, continued as a
        # series shrinking like x^-0.2 (the limit rule's fail side), still stops above it
        p_proj = _projection_p(xs, ests, -math.inf, rate.below, True)
        p_val = max(p_val, p_proj)
        if p_proj <= level:
            creeping = _projected_limit(xs, ests, level, False, exponent=FAIL_PROJECTION_EXPONENT)
    ch = last.upper(pass_level)
    res.limit = {"axis_max": float(xs[-1]), "value": float(last.value), "upper": float(ch), "below": rate.below,
                 "interval": last.method}
    val_txt = (f"{rate.statistic}({rate.metric}) at {rate.axis}={xs[-1]:g} is {last.value:.4g} "
               f"(upper {100 * (1 - pass_level):.0f}% bound {ch:.4g}) against <= {rate.below:g}")
    p_exp = res.p_fail if res.p_fail is not None else 1.0
    res.p_fail = min(1.0, 2 * min(p_exp, p_val))
    if res.p_fail <= level:
        res.verdict = FAIL
        if p_val < p_exp and creeping is not None:
            res.reason = (f"{val_txt}: converges to a wrong limit (still decreasing, but even continuing to shrink "
                          f"as {rate.axis}^-{FAIL_PROJECTION_EXPONENT:g} it would stop at {creeping[0]:.4g}, "
                          f"one-sided {100 * (1 - level):.0f}% bound {creeping[1]:.4g}, above {rate.below:g})")
        elif p_val < p_exp:
            res.reason = f"{val_txt}: converges to a wrong limit (above it and no longer approaching it)"
        return
    if res.verdict == FAIL:
        res.verdict = INCONCLUSIVE
        res.reason += "; but two tests (exponent and value) are made: the exponent's p does not survive"
    elif res.verdict == PASS and p_equiv > pass_level:
        res.verdict = INCONCLUSIVE
        res.reason += f"; but {val_txt}: not shown below it"
    elif res.verdict == PASS:
        res.reason += f"; {val_txt}"
    else:
        res.notes.append(val_txt)


def holm(pvalues: Sequence[float], level: float) -> list[bool]:
    """Holm-Bonferroni step-down: which hypotheses are rejected at family-wise ``level``.
    Written out rather than statsmodels' ``multipletests``, which runs ``gc.collect()`` on
    every call (56-80 ms measured; a planted-law table judges ~10^5 sweeps); the tests hold
    it equal to ``multipletests`` and to published examples."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    reject = [False] * m
    for rank, i in enumerate(order):
        if pvalues[i] <= level / (m - rank):
            reject[i] = True
        else:
            break
    return reject


def family_wise_sentence(levels) -> str:
    """The run's multiple-testing statement, from its claims' levels: one function for the
    run, ``claimcheck report`` from the store and calibrate (the store's copy used to state
    a run-wide Holm family, which the run never applied)."""
    lv = sorted({float(v) for v in levels if v is not None}) or [0.05]
    at = f"at level {lv[0]:g}" if len(lv) == 1 else "at each claim's level (" + ", ".join(f"{v:g}" for v in lv) + ")"
    return (f"fails confirmed by Holm over each claim's own rates {at}; a claim's verdict does not depend on "
            f"which other claims ran")


def judge_claim(results: Sequence[RateCheck], level: float) -> None:
    """Confirm the provisional fails of ONE claim's rates (or one mutant's) by Holm at
    the claim's ``level`` over that claim's rates (in place). Never pass the results of
    several claims: a claim's verdict must not depend on which other claims ran."""
    m = len(results)
    cands = [r for r in results if r.verdict == FAIL]
    if not cands:
        return
    ps = [r.p_fail if r.p_fail is not None else 0.0 for r in cands] + [1.0] * (m - len(cands))
    keep = holm(ps, level)[: len(cands)]
    for r, ok in zip(cands, keep):
        if not ok:
            r.verdict = INCONCLUSIVE
            r.reason += f"; but p={r.p_fail:.2g} does not survive Holm over the claim's {m} rates at {level:g}"


def combine(verdicts: Sequence[str]) -> str:
    """A claim's verdict: its worst rate (error > fail > inconclusive > pass)."""
    return max(verdicts, key=lambda v: ORDER[v]) if verdicts else INCONCLUSIVE
