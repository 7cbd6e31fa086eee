"""Planted-law sweeps: synthetic measurements with a known truth, pushed through the
verdict engine to measure what its verdicts mean (coverage, false fails, wrong passes,
power). Used by ``benchmarks/validate_engine.py`` (``claimcheck validate-engine``) and
by the planted-law tests.

Every family draws replicates eps with E[eps] = 1, so the *mean* at a grid point is
exactly C x^a: the truth the mean-statistic fit measures.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from ..claim import Rate
from .verdict import FAIL, PASS, check_rate, judge_claim

FAMILIES = ("half-normal", "lognormal", "lognormal-1", "student-t", "pareto", "heteroscedastic", "paired")
PAIRED = {"paired"}


def _noise(family: str, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Positive multiplicative noise with mean 1 (points x replicates)."""
    P, n = shape
    if family == "half-normal":
        return np.abs(rng.standard_normal(shape)) * math.sqrt(math.pi / 2)
    if family == "lognormal":
        s = 0.5
        return np.exp(s * rng.standard_normal(shape) - s * s / 2)
    if family == "lognormal-1":  # sd 1 on the log scale: coefficient of variation 1.31
        s = 1.0
        return np.exp(s * rng.standard_normal(shape) - s * s / 2)
    if family == "student-t":   # |t_3|: heavy tailed, finite variance; E|t_3| = 2 sqrt(3) / pi
        return np.abs(rng.standard_t(3, shape)) / (2 * math.sqrt(3) / math.pi)
    if family == "pareto":      # Pareto(alpha = 2.5) on [1, inf): mean alpha / (alpha - 1)
        a = 2.5
        return (1 + rng.pareto(a, shape)) / (a / (a - 1))
    if family == "heteroscedastic":  # noise sd grows 0.2 -> 0.9 along the grid
        s = np.linspace(0.2, 0.9, P)[:, None]
        return np.exp(s * rng.standard_normal(shape) - s * s / 2)
    if family == "paired":      # common random numbers: replicate r shares 80% of its noise
        s, share = 0.5, 0.8
        eps = share * rng.standard_normal(n)[None, :] + math.sqrt(1 - share ** 2) * rng.standard_normal(shape)
        return np.exp(s * eps - s * s / 2)
    raise ValueError(family)


def planted_table(family: str, x: np.ndarray, reps: int, rng: np.random.Generator,
                  mean: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    return mean(np.asarray(x, float))[:, None] * _noise(family, (len(x), reps), rng)


def grid(points: int) -> np.ndarray:
    return np.geomspace(64.0, 64.0 * 4 ** (points - 1), points)


def judge(rate: Rate, x: np.ndarray, tab: np.ndarray, paired: bool, level: float = 0.05):
    res = check_rate(rate, [{rate.axis: float(v)} for v in x], tab, paired=paired, level=level)
    judge_claim([res], level)
    return res


TIGHT = Rate(metric="err", axis="N", kind="tight", predicted=-0.5, tolerance=0.1)
DEVIATIONS = (0.05, 0.1, 0.2, 0.3)


@dataclass
class Cell:
    family: str
    reps: int
    points: int
    seeds: int
    coverage: float          # among sweeps with a CI (not at the noise floor)
    with_ci: float           # fraction of true sweeps that got a CI
    false_fail: float
    inconclusive_true: float
    fail_at: dict            # deviation -> P(fail)
    pass_at: dict            # deviation -> P(pass)
    detectable_median: float
    fail_at_detectable: float
    pass_at_truth: float = math.nan     # P(pass) when the claimed rate is the truth
    se_median: float = math.nan         # median noise-only se of the exponent
    ceiling: float = math.nan           # best P(pass at truth) of any test passing the band edge <= 5%


def truth_pass_ceiling(se: float, tolerance: float = 0.1, alpha: float = 0.05) -> float:
    """The most any rule can pass a true exponent when the estimate is N(truth, se) and a
    truth at the band's edge may pass at most ``alpha``: pass iff |b - truth| < c, with c
    the largest such that P(|N(tolerance, se)| < c) <= alpha (the best test is this one;
    se known, so real rules, which estimate se, do worse)."""
    if not (se > 0 and math.isfinite(se)):
        return math.nan
    from scipy import stats
    from scipy.optimize import brentq
    edge = lambda c: stats.norm.cdf((c - tolerance) / se) - stats.norm.cdf((-c - tolerance) / se) - alpha  # noqa: E731
    if edge(1e-12) > 0:
        return 0.0
    c = brentq(edge, 1e-12, tolerance + 10 * se)
    return float(2 * stats.norm.cdf(c / se) - 1)


def run_cell(family: str, reps: int, points: int, seeds: int, rate: Rate = TIGHT, seed0: int = 0) -> Cell:
    """One family x replicates x grid: seeds sweeps per deviation (sign alternating)."""
    x = grid(points)
    paired = family in PAIRED
    a0 = rate.predicted
    cover = ff = inc = nci = 0
    det, ses = [], []
    for s in range(seeds):
        rng = np.random.default_rng([seed0, s, 0])
        r = judge(rate, x, planted_table(family, x, reps, rng, lambda v: v ** a0), paired)
        if r.ci_low is not None:
            nci += 1
            cover += r.ci_low <= a0 <= r.ci_high
        ff += r.verdict == FAIL
        inc += r.verdict not in (FAIL, PASS)
        if r.detectable is not None:
            det.append(r.detectable)
        if r.fit is not None:
            ses.append(r.fit.se / max(r.fit.scale_factor, 1.0))
    fail_at, pass_at = {}, {}
    for k, d in enumerate(DEVIATIONS):
        f = p = 0
        for s in range(seeds):
            sign = 1 if s % 2 == 0 else -1
            rng = np.random.default_rng([seed0, s, k + 1])
            r = judge(rate, x, planted_table(family, x, reps, rng, lambda v: v ** (a0 + sign * d)), paired)
            f += r.verdict == FAIL
            p += r.verdict == PASS
        fail_at[d], pass_at[d] = f / seeds, p / seeds
    dmed = float(np.median(det)) if det else math.nan
    fd = 0
    for s in range(seeds):
        sign = 1 if s % 2 == 0 else -1
        rng = np.random.default_rng([seed0, s, 99])
        r = judge(rate, x, planted_table(family, x, reps, rng, lambda v: v ** (a0 + sign * dmed)), paired)
        fd += r.verdict == FAIL
    se_med = float(np.median(ses)) if ses else math.nan
    return Cell(family, reps, points, seeds, cover / max(nci, 1), nci / seeds, ff / seeds, inc / seeds, fail_at, pass_at, dmed,
                fd / seeds, (seeds - ff - inc) / seeds, se_med, truth_pass_ceiling(se_med, rate.tolerance))


def family_wise(family: str, reps: int, points: int, rates: int, seeds: int, seed0: int = 0) -> float:
    """P(some rate of one claim fails) when all ``rates`` rates are true."""
    x = grid(points)
    hits = 0
    for s in range(seeds):
        rng = np.random.default_rng([seed0, s, 7])
        res = [check_rate(Rate(metric=f"e{i}", axis="N", predicted=-0.5), [{"N": float(v)} for v in x],
                          planted_table(family, x, reps, rng, lambda v: v ** -0.5), paired=family in PAIRED)
               for i in range(rates)]
        judge_claim(res, 0.05)
        hits += any(r.verdict == FAIL for r in res)
    return hits / seeds


def format_cells(cells: Sequence[Cell]) -> str:
    head = ("| family | reps | points | seeds | coverage (with CI) | false fail | inconcl. (true) | pass at truth | "
            + " | ".join(f"fail/pass at {d:g}" for d in DEVIATIONS)
            + " | detectable (80%) | fail at it | se (median) | best pass at truth |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for c in cells:
        lines.append(f"| {c.family} | {c.reps} | {c.points} | {c.seeds} | {c.coverage:.3f} ({c.with_ci:.2f}) | {c.false_fail:.3f} | "
                     f"{c.inconclusive_true:.2f} | {c.pass_at_truth:.2f} | "
                     + " | ".join(f"{c.fail_at[d]:.2f}/{c.pass_at[d]:.2f}" for d in DEVIATIONS)
                     + f" | {c.detectable_median:.3f} | {c.fail_at_detectable:.2f} | {c.se_median:.3f} | "
                     f"{c.ceiling:.2f} |")
    return "\n".join(lines)


def validate(families: Sequence[str] = FAMILIES, reps: Sequence[int] = (8, 16, 64), points: Sequence[int] = (4, 6),
             seeds: int = 200, echo=print) -> list[Cell]:
    cells = []
    for fam in families:
        for n in reps:
            for p in points:
                t0 = time.time()
                c = run_cell(fam, n, p, seeds)
                cells.append(c)
                echo(f"  {fam:16s} reps={n:3d} points={p}: coverage {c.coverage:.3f}, false fail {c.false_fail:.3f}, "
                     f"fail at 0.3 {c.fail_at[0.3]:.2f} ({time.time() - t0:.1f} s)")
    return cells


# -- scenarios beyond a plain power law -----------------------------------------------

def _rate_counts(make_rate: Callable[[], Rate], make_table: Callable[[np.random.Generator], tuple], seeds: int,
                 tag: int) -> dict:
    counts = {"pass": 0, "fail": 0, "inconclusive": 0, "error": 0, "floor": 0, "regime": 0}
    rate = make_rate()
    for s in range(seeds):
        rng = np.random.default_rng([tag, s])
        points, tab = make_table(rng)
        res = check_rate(rate, points, tab, paired=False)
        judge_claim([res], 0.05)
        counts[res.verdict] += 1
        counts["floor"] += "noise floor" in res.reason
        counts["regime"] += res.verdict == FAIL and "a statement about" in res.reason
    return {k: v / seeds for k, v in counts.items()}


def _on_grid(x, mean, family="lognormal", reps=32):
    def make(rng):
        return [{"N": float(v)} for v in x], planted_table(family, x, reps, rng, mean)
    return make


def _additive(x, mean, sd, reps):
    def make(rng):
        return [{"N": float(v)} for v in x], np.asarray(mean(x))[:, None] + sd * rng.standard_normal((len(x), reps))
    return make


def _indicator(x, p, reps):
    def make(rng):
        return [{"N": float(v)} for v in x], (rng.random((len(x), reps)) < np.asarray(p)[:, None]).astype(float)
    return make


def _flat(x, value, reps):
    def make(rng):
        return [{"N": float(v)} for v in x], value * rng.exponential(size=(len(x), reps))
    return make


def _skewed(x, mean, law, reps):
    def make(rng):
        z = (rng.exponential(size=(len(x), reps)) if law == "exponential"
             else rng.lognormal(-0.5, 1.0, size=(len(x), reps)))
        return [{"N": float(v)} for v in x], np.asarray(mean(x))[:, None] * z
    return make


def _groups(x, exps, reps=64):
    def make(rng):
        points, rows = [], []
        for d, a in enumerate(exps):
            tab = planted_table("lognormal", x, reps, rng, lambda v: v ** a)
            for i, v in enumerate(x):
                points.append({"N": float(v), "d": d})
                rows.append(tab[i])
        return points, np.array(rows)
    return make


def scenarios(seeds: int = 200) -> list[tuple[str, str, dict]]:
    """(scenario, what the right answer is, verdict frequencies) for the rules of issue 11."""
    x5, x6 = grid(5), grid(6)
    lim = lambda: Rate(metric="m", axis="N", kind="limit", target=0.0, tolerance=0.01)  # noqa: E731
    lim5 = lambda: Rate(metric="m", axis="N", kind="limit", target=0.0, tolerance=0.05)  # noqa: E731
    conv = lambda: Rate(metric="m", axis="N", kind="converges", below=0.02)  # noqa: E731
    logs = lambda: Rate(metric="m", axis="N", predicted=-0.5, tolerance=0.05, log_power=(0.0, 1.0))  # noqa: E731
    nolog = lambda: Rate(metric="m", axis="N", predicted=-0.5, tolerance=0.05)  # noqa: E731
    tight = lambda: Rate(metric="m", axis="N", predicted=-0.5, tolerance=0.1)  # noqa: E731
    xa = np.array([16.0, 32.0, 64.0, 128.0, 256.0])
    out = []
    for reps in (4, 6, 24):
        out.append((f"limit: flat 0.011 x Exp(1) vs 0 +- 0.01, {reps} reps", "no pass",
                    _rate_counts(lim, _flat(x5, 0.011, reps), seeds, 1)))
    for law in ("exponential", "lognormal-1"):   # a wrong limit at the band's edge, skewed noise
        for reps in (4, 8):
            out.append((f"limit: (0.01 + 0.2 N^-1/2) x {law} vs 0 +- 0.01 (at the edge), {reps} reps",
                        "pass <= 5%", _rate_counts(lim, _skewed(x5, lambda v: 0.01 + 0.2 * v ** -0.5, law, reps),
                                                   seeds, 50 + reps)))
        out.append((f"limit: 0.2 N^-1/2 x {law} -> 0 vs 0 +- 0.01, 4 reps", "pass",
                    _rate_counts(lim, _skewed(x5, lambda v: 0.2 * v ** -0.5, law, 4), seeds, 59)))
    out.append(("limit: P 0.6 -> 0, 0 events in 24 runs, vs 0 +- 0.05", "no pass (24 runs show P < 0.12)",
                _rate_counts(lim5, _indicator(grid(4), [0.6, 0.3, 0.1, 0.0], 24), seeds, 2)))
    out.append(("limit: P 0.6 -> 0, 80 runs, vs 0 +- 0.05", "pass",
                _rate_counts(lim5, _indicator(grid(4), [0.6, 0.3, 0.1, 0.0], 80), seeds, 3)))
    out.append(("limit: 0.002 N^-0.2 (inside the band from the start)", "inconclusive (presumed)",
                _rate_counts(lim, _on_grid(x5, lambda v: 0.002 * v ** -0.2), seeds, 4)))
    for c in (0.05, 0.3):
        out.append((f"converges below=0.02: {c} + N^-1/4", "no pass; fail",
                    _rate_counts(conv, _on_grid(x5, lambda v, c=c: c + v ** -0.25), seeds, 5)))
    out.append(("converges below=0.02: N^-1/2", "pass", _rate_counts(conv, _on_grid(x5, lambda v: v ** -0.5), seeds, 6)))
    out.append(("up to logs b in [0,1]: N^-1/2 log N vs -0.5 +- 0.05", "no fail",
                _rate_counts(logs, _on_grid(x6, lambda v: v ** -0.5 * np.log(v), reps=64), seeds, 7)))
    out.append(("without log_power: N^-1/2 log N vs -0.5 +- 0.05", "fail (the old only option)",
                _rate_counts(nolog, _on_grid(x6, lambda v: v ** -0.5 * np.log(v), reps=64), seeds, 7)))
    out.append(("up to logs b in [0,1]: N^-0.2 vs -0.5 +- 0.05", "fail",
                _rate_counts(logs, _on_grid(x6, lambda v: v ** -0.2, reps=64), seeds, 8)))
    out.append(("groups: -0.5, -0.35, -0.5 vs -0.5 +- 0.1", "fail (group d=1)",
                _rate_counts(tight, _groups(x5, (-0.5, -0.35, -0.5)), seeds, 9)))
    out.append(("groups: -0.5, -0.5, -0.5 vs -0.5 +- 0.1", "no fail",
                _rate_counts(tight, _groups(x5, (-0.5, -0.5, -0.5)), seeds, 10)))
    # the traps of issue 20
    x2 = 64.0 * 2.0 ** np.arange(5)           # 64..1024, ratio 2
    for reps in (8, 16):
        out.append((f"noise floor: true N^-1/2, lognormal sd 1, {reps} reps, 5 points", "no 'noise floor', no fail",
                    _rate_counts(tight, _on_grid(grid(5), lambda v: v ** -0.5, "lognormal-1", reps), seeds, 20 + reps)))
    for reps in (16, 64, 256):
        out.append((f"limit: 0.4 N^-1/2 - 0.02 (-> -0.02) vs 0 +- 0.01, 64..1024 ratio 2, sd 0.01, {reps} reps",
                    "no pass", _rate_counts(lim, _additive(x2, lambda v: 0.4 * v ** -0.5 - 0.02, 0.01, reps), seeds,
                                            30 + reps)))
    out.append(("limit: 0.3 N^-1/2 -> 0 vs 0 +- 0.01, 64..16384 ratio 4, sd 0.01, 64 reps", "pass",
                _rate_counts(lim, _additive(grid(5), lambda v: 0.3 * v ** -0.5, 0.01, 64), seeds, 35)))
    logs1 = lambda: Rate(metric="m", axis="N", predicted=-0.5, tolerance=0.1, log_power=(0.0, 1.0))  # noqa: E731
    out.append(("up to logs b in [0,1]: N^-0.3 vs -0.5 +- 0.1, 64..1024 ratio 2, 64 reps", "no pass",
                _rate_counts(logs1, _on_grid(x2, lambda v: v ** -0.3, reps=64), seeds, 40)))
    out.append(("up to logs b in [0,1]: N^-1/2 log N vs -0.5 +- 0.1, 64..1024 ratio 2, 64 reps", "no fail",
                _rate_counts(logs1, _on_grid(x2, lambda v: v ** -0.5 * np.log(v), reps=64), seeds, 41)))
    out.append(("pre-asymptotic N^-1/2 (1 + 20 N^-1/2), 64..1024 ratio 2, lognormal, 32 reps",
                "no fail, or a fail worded as about this grid",
                _rate_counts(tight, _on_grid(x2, lambda v: v ** -0.5 * (1 + 20 * v ** -0.5), reps=32), seeds, 42)))

    def curved(rng, sig=0.1, reps=64):
        tab = (xa ** -0.5 * (1 + 40 / xa))[:, None] * np.exp(sig * rng.standard_normal((5, reps)) - sig * sig / 2)
        return [{"N": float(v)} for v in xa], tab
    out.append(("pre-asymptotic N^-1/2 (1 + 40/N), 16..256, sd 0.1", "inconclusive", _rate_counts(tight, curved, seeds, 11)))
    out.append(("pre-asymptotic N^-1/2 (1 + 40/N), 16..256, sd 0.5", "inconclusive",
                _rate_counts(tight, lambda rng: curved(rng, 0.5), seeds, 12)))
    return out


def format_scenarios(rows) -> str:
    lines = ["| scenario | right answer | pass | fail | inconclusive | error | 'noise floor' | fails worded as regime |",
             "|---|---|---|---|---|---|---|---|"]
    for name, want, c in rows:
        lines.append(f"| {name} | {want} | {c['pass']:.2f} | {c['fail']:.2f} | {c['inconclusive']:.2f} | {c['error']:.2f} "
                     f"| {c['floor']:.2f} | {c['regime']:.2f} |")
    return "\n".join(lines)


def format_family_wise(families: Sequence[str], reps: int, points: int, rates: int, seeds: int) -> str:
    lines = [f"| family | P(some of {rates} true rates of one claim fails), {reps} reps, {points} points, {seeds} seeds |",
             "|---|---|"]
    for f in families:
        lines.append(f"| {f} | {family_wise(f, reps, points, rates, seeds):.3f} |")
    return "\n".join(lines)


def report(seeds: int = 400, quick: bool = False, out=print, points: Sequence[int] = (4, 6)) -> int:
    """Print every validation table (markdown); exit status 1 if a false-fail rate > 2%."""
    if quick:
        seeds = min(seeds, 100)
    reps, points = ((8, 64), (5,)) if quick else ((8, 16, 64), tuple(points))
    t0 = time.time()
    out(f"### Power-law rates (tight, -0.5 +- 0.1), {seeds} seeds per cell\n")
    cells = validate(reps=reps, points=points, seeds=seeds, echo=lambda *a: None)
    out(format_cells(cells))
    t1 = time.time()
    out(f"\n({t1 - t0:.0f} s)\n\n### Family-wise over one claim\n")
    out(format_family_wise(FAMILIES, 8, 5, 6, seeds))
    t2 = time.time()
    out(f"\n({t2 - t1:.0f} s)\n\n### Scenarios, {seeds} seeds each\n")
    out(format_scenarios(scenarios(seeds)))
    worst = max(c.false_fail for c in cells)
    out(f"\n({time.time() - t2:.0f} s; total {time.time() - t0:.0f} s)\n")
    out(f"worst false-fail rate over all cells: {worst:.3f} (target <= 0.02)")
    return 0 if worst <= 0.02 else 1
