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

from .claim import Rate
from .verdict import FAIL, PASS, check_rate, judge_claim

FAMILIES = ("half-normal", "lognormal", "student-t", "pareto", "heteroscedastic", "paired")
PAIRED = {"paired"}


def _noise(family: str, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Positive multiplicative noise with mean 1 (points x replicates)."""
    P, n = shape
    if family == "half-normal":
        return np.abs(rng.standard_normal(shape)) * math.sqrt(math.pi / 2)
    if family == "lognormal":
        s = 0.5
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


def run_cell(family: str, reps: int, points: int, seeds: int, rate: Rate = TIGHT, seed0: int = 0) -> Cell:
    """One family x replicates x grid: seeds sweeps per deviation (sign alternating)."""
    x = grid(points)
    paired = family in PAIRED
    a0 = rate.predicted
    cover = ff = inc = nci = 0
    det = []
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
    return Cell(family, reps, points, seeds, cover / max(nci, 1), nci / seeds, ff / seeds, inc / seeds, fail_at, pass_at, dmed,
                fd / seeds)


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
    head = ("| family | reps | points | seeds | coverage (with CI) | false fail | inconcl. (true) | "
            + " | ".join(f"fail/pass at {d:g}" for d in DEVIATIONS) + " | detectable (80%) | fail at it |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for c in cells:
        lines.append(f"| {c.family} | {c.reps} | {c.points} | {c.seeds} | {c.coverage:.3f} ({c.with_ci:.2f}) | {c.false_fail:.3f} | "
                     f"{c.inconclusive_true:.2f} | "
                     + " | ".join(f"{c.fail_at[d]:.2f}/{c.pass_at[d]:.2f}" for d in DEVIATIONS)
                     + f" | {c.detectable_median:.3f} | {c.fail_at_detectable:.2f} |")
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
