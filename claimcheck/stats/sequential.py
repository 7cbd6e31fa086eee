"""A group-sequential design for the verdict rule: look again with more replicates until
every rate is decided, or the budget is spent, with error rates that hold over the looks.

One run is one look, and at a modest replicate count a true law is inconclusive in
nearly every seed (issue 21: 8 replicates on 4 points, 99-100%). Looking again with more
replicates is only honest if each look spends part of the claim's level: here look k of
K judges every rate by the unchanged rule (:func:`~claimcheck.stats.verdict.check_rate`,
Holm by :func:`~claimcheck.stats.verdict.judge_claim`) at a *spent level* alpha_k with
sum_k alpha_k = level. Both tests are spent alike: the fail test (p_fail <= alpha_k) and
the pass (two one-sided tests at alpha_k). By the union bound over the looks,

- P(some look fails a true rate) <= sum_k P(look k fails it) <= level / 2 (at the band's edge),
- P(some look passes a rate at the band's edge) <= sum_k alpha_k = level,

whatever the dependence between looks (they share data: look k+1 reuses look k's
replicates, as the store does). Exact group-sequential boundaries (Lan-DeMets with the
Brownian-motion recursion) would spend less conservatively, but rest on a normal
z-statistic with known variance; the rule's t quantiles, jackknife se, Birge widening
and misfit branches are not that, and the union bound needs no model of them.

The split: ``spending`` names an alpha-spending function alpha(t) of the information
fraction t_k = n_k / n_K (replicates), and alpha_k = alpha(t_k) - alpha(t_{k-1}):

- ``"bonferroni"``: alpha / K at every look (Pocock-like: early looks can decide);
- ``"obrien-fleming"``: Lan-DeMets O'Brien-Fleming, 2 - 2 Phi(z_{1-alpha/2} / sqrt t):
  almost nothing early, almost all of the level at the cap;
- ``"pocock"``: Lan-DeMets Pocock, alpha log(1 + (e - 1) t).

Measured on planted laws (``claimcheck validate-engine --sequential``, benchmarks/README.md,
"Sequential rule (issue 21)"), which is why :data:`DEFAULT_SPENDING` is what it is.

Stages: replicates grow geometrically (doubling by default) from the claim's own count to
a cap, the cap itself the last look; the budget is the cap (``--budget-replicates``) or
follows from a time budget (:class:`BudgetSplit`: compute seconds as stored, split over the
claims cheapest first, a claim's unspent share passed on). A rate stops at its first decided look (pass or fail); a
claim stops when every rate has (errors stop it too: more replicates do not cure them).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from scipy import stats

from ..claim import Rate
from .results import LookResult, SequentialRateResult, SequentialResult
from .verdict import ERROR, FAIL, INCONCLUSIVE, PASS, RateCheck, check_rate, judge_claim

SPENDINGS = ("bonferroni", "pocock", "obrien-fleming")
DEFAULT_SPENDING = "pocock"
DECIDED = (PASS, FAIL, ERROR)


def stage_replicates(start: int, cap: int, growth: float = 2.0) -> tuple[int, ...]:
    """Replicates at each look: start, start * growth, ... while below the cap, then the cap.
    Counts are cumulative: look k+1 keeps look k's replicates and adds new ones."""
    if start < 2:
        raise ValueError(f"a look needs >= 2 replicates, got start={start}")
    if cap < start:
        raise ValueError(f"the cap ({cap}) is below the starting replicates ({start})")
    if growth <= 1:
        raise ValueError(f"growth must exceed 1, got {growth}")
    out = [int(start)]
    while out[-1] * growth < cap:
        nxt = int(math.ceil(out[-1] * growth))
        out.append(nxt)
    if out[-1] != cap:
        out.append(int(cap))
    return tuple(out)


def spending_function(name: str, level: float):
    """alpha(t) for t in [0, 1], alpha(0) = 0, alpha(1) = level."""
    if name == "bonferroni":
        return None  # not a function of t: level / K per look
    if name == "obrien-fleming":
        z = stats.norm.ppf(1 - level / 2)
        return lambda t: 0.0 if t <= 0 else float(2 * stats.norm.sf(z / math.sqrt(t)))
    if name == "pocock":
        return lambda t: float(level * math.log(1 + (math.e - 1) * t))
    raise ValueError(f"unknown spending {name!r}; one of {', '.join(SPENDINGS)}")


def spent_levels(replicates: Sequence[int], level: float, spending: str = DEFAULT_SPENDING) -> tuple[float, ...]:
    """The level each look spends: increments of alpha(t_k), t_k = n_k / n_K; they sum to
    ``level`` (the last look takes what rounding left)."""
    K = len(replicates)
    if K == 0:
        return ()
    f = spending_function(spending, level)
    if f is None:
        return tuple([level / K] * K)
    cap = float(replicates[-1])
    cum = [f(n / cap) for n in replicates]
    cum[-1] = level
    out, prev = [], 0.0
    for c in cum:
        out.append(max(c - prev, 0.0))
        prev = max(prev, c)
    return tuple(out)


@dataclass(frozen=True)
class Design:
    """The planned looks: replicates at each look and the level each spends."""
    level: float
    replicates: tuple[int, ...]
    levels: tuple[float, ...]
    spending: str = DEFAULT_SPENDING

    @property
    def looks(self) -> int:
        return len(self.replicates)

    @property
    def cap(self) -> int:
        return self.replicates[-1]

    def describe(self) -> str:
        return (f"{self.looks} looks at {', '.join(map(str, self.replicates))} replicates; "
                f"level {self.level:g} spent {self.spending} ({', '.join(f'{a:.3g}' for a in self.levels)})")


MIN_LOOK_LEVEL = 1e-6   # a look spending less cannot decide (O'Brien-Fleming's first looks: ~1e-50)


def design(start: int, cap: int, level: float = 0.05, spending: str = DEFAULT_SPENDING,
           growth: float = 2.0) -> Design:
    """The looks of a claim starting at ``start`` replicates with ``cap`` the most. A look
    whose spent level is below MIN_LOOK_LEVEL is dropped and its level carried to the next
    (it could not decide, and check_rate's replicate advice overflows at such levels)."""
    reps = stage_replicates(start, cap, growth)
    levels = spent_levels(reps, level, spending)
    keep_r, keep_a, carry = [], [], 0.0
    for n, a in zip(reps, levels):
        carry += a
        if carry >= MIN_LOOK_LEVEL or n == reps[-1]:
            keep_r.append(n)
            keep_a.append(carry)
            carry = 0.0
    return Design(level, tuple(keep_r), tuple(keep_a), spending)


def cap_for_budget(start: int, seconds_per_replicate: float, budget_seconds: float, growth: float = 2.0) -> int:
    """The largest staged replicate count whose total measuring time fits the budget
    (stored replicates are reused, so reaching n costs n replicates' time)."""
    if seconds_per_replicate <= 0:
        return start
    most = min(budget_seconds / seconds_per_replicate, start * growth ** 20)   # a near-free replicate: no overflow
    n = start
    while n * growth <= most:
        n = int(math.ceil(n * growth))
    return max(start, n)


# The runner's own cost per measurement beyond the stored compute seconds (seeding, dispatch, the
# store's write), measured 2026-12-05 on a trivial claim (4 points, 256..4096 replicates) on the
# loaded 2-core machine: 0.05-0.13 ms inline (--jobs 1), 0.2-0.7 ms marginal in the process pool
# (--jobs 2; the pool's start, ~8 s under load, is paid once and not charged). The upper end is
# charged, so a budget errs toward fewer replicates.
MEASUREMENT_OVERHEAD_S = 0.5e-3


def measured_seconds(rows, overhead: float = MEASUREMENT_OVERHEAD_S) -> float:
    """What stored measurements cost a budget: each row's stored compute seconds plus the
    runner's overhead per measurement. Read from the store, so a resumed run or another
    --jobs charges the same for the same rows (failed rows cost too)."""
    return float(sum((r["seconds"] or 0.0) for r in rows)) + overhead * len(rows)


@dataclass(frozen=True)
class Share:
    """One claim's part of a time budget, fixed before its looks begin."""
    claim_id: str
    seconds: float           # its share, its first look included
    per_replicate: float     # seconds one replicate over its grid cost at its first look
    cap: int                 # the most replicates the share buys (a staged count)
    left: float              # the budget less the charges so far and the first looks still to go
    to_go: int               # claims still to serve, this one included

    def reason(self, budget: float) -> str:
        return (f"cap from --budget {budget:g} compute s, split cheapest claim first: {self.seconds:.1f} s for "
                f"this claim, its first look included ({self.left:.0f} s left beyond the first looks, over "
                f"{self.to_go} claim(s) still to go) at ~{self.per_replicate:.3g} s per replicate over its grid; rerun with "
                f"--budget-replicates {self.cap} for the same looks")


class BudgetSplit:
    """A time budget split over claims (``run --until-decided --budget``), served cheapest first.

    Why this way: an equal split left a costly claim that needed a few more replicates undecided
    while cheap claims, decided at their first looks, spent little of theirs (issue 21:
    agazzi2023.bounded-weights needed 8). Served cheapest first (by what its first look cost,
    which is what its next doubling costs; ties by claim id), a claim gets

        share = its first look + (budget - what the claims served were charged
                                  - the first looks of the others still to go) / claims still to go

    (first looks are measured before any split, so they are counted as spent), and its cap
    is the largest staged replicate count whose cost, n x its first look's cost per replicate,
    fits the share. That cap is fixed before the claim's own looks begin, and a claim is
    charged what its stored measurements cost (:func:`measured_seconds`, up to its last look),
    so what a claim leaves unspent passes on to the claims after it, and the caps follow from
    stored seconds only: the same seed and budget reach the same caps whatever --jobs, up to
    the timing noise of the stored seconds (the printed cap, as --budget-replicates, reproduces
    exactly). While every claim spends at most its share the charges sum to at most the
    budget (at least the first looks, which are spent before the split).
    """

    def __init__(self, budget_seconds: float, first_looks, growth: float = 2.0):
        """``first_looks``: {claim id: (replicates at its first look, seconds they cost)}."""
        if not budget_seconds > 0:
            raise ValueError(f"a budget must be a positive number of seconds, got {budget_seconds}")
        self.budget = float(budget_seconds)
        self.growth = growth
        first = {k: (int(n), max(float(sec), 0.0)) for k, (n, sec) in dict(first_looks).items()}
        self.order: tuple[str, ...] = tuple(sorted(first, key=lambda k: (first[k][1], k)))
        self.first = {k: first[k] for k in self.order}     # sums in one order: the same caps to the bit
        self.shares: dict[str, Share] = {}
        self.charged: dict[str, float] = {}

    @property
    def spent(self) -> float:
        """Charged to the claims served, plus the first looks of those not served yet."""
        return (sum(self.charged.values())
                + sum(sec for k, (_, sec) in self.first.items() if k not in self.charged))

    @property
    def left(self) -> float:
        return self.budget - self.spent

    def share(self, claim_id: str) -> Share:
        """Fix the next claim's cap (claims are served in :attr:`order`, each once, each after
        the one before it was charged)."""
        served = len(self.charged)
        if claim_id in self.shares or served >= len(self.order) or self.order[served] != claim_id:
            raise ValueError(f"claim {claim_id!r} is not the next to serve; the order is {', '.join(self.order)}")
        if len(self.shares) > served:
            raise ValueError("charge the claim served before fixing the next share")
        start, first = self.first[claim_id]
        to_go = len(self.order) - served
        left = self.left
        seconds = first + max(left, 0.0) / to_go
        per_replicate = first / max(start, 1)
        cap = cap_for_budget(start, per_replicate, seconds, self.growth) if per_replicate > 0 else start
        out = Share(claim_id, seconds, per_replicate, cap, left, to_go)
        self.shares[claim_id] = out
        return out

    def charge(self, claim_id: str, seconds: float) -> None:
        """What the claim's stored measurements cost, its first look included."""
        if claim_id not in self.shares or claim_id in self.charged:
            raise ValueError(f"claim {claim_id!r} has no open share to charge")
        self.charged[claim_id] = max(float(seconds), 0.0)


@dataclass
class Look:
    """One look at one rate: what a terminal line prints."""
    replicates: int
    level: float
    verdict: str
    measured: float | None
    ci_low: float | None
    ci_high: float | None
    reason: str
    replicates_needed: int | None = None
    cpu_s: float | None = None      # compute seconds of the measurements the look rests on

    def line(self, label: str = "") -> str:
        ci = (f"{self.measured:+.3f} [{self.ci_low:+.3f}, {self.ci_high:+.3f}]"
              if None not in (self.measured, self.ci_low, self.ci_high) else "no CI")
        return f"{label}{self.replicates:6d} replicates  level {self.level:.3g}  {ci}  {self.verdict}"


@dataclass
class SequentialRate:
    """A rate over the looks: its looks, the decided verdict (or inconclusive at the cap)."""
    label: str
    looks: list[Look] = field(default_factory=list)

    @property
    def decided(self) -> bool:
        return bool(self.looks) and self.looks[-1].verdict in DECIDED

    @property
    def verdict(self) -> str:
        return self.looks[-1].verdict if self.looks else INCONCLUSIVE

    @property
    def replicates(self) -> int:
        return self.looks[-1].replicates if self.looks else 0


def judge_look(rates: Sequence[Rate], points: Sequence[dict], tables: dict, level_k: float, *,
               paired: bool) -> list[RateCheck]:
    """Every rate of one claim at one look: the unchanged rule at the spent level, Holm over
    the claim's rates at that level."""
    res = [check_rate(r, points, tables[r.metric], paired=paired, level=level_k) for r in rates]
    judge_claim(res, level_k)
    return res


def record(seq: list[SequentialRate], checks: Sequence[RateCheck], replicates: int, level_k: float,
           cpu_s: float | None = None) -> None:
    """Append this look to every rate still undecided (a decided rate keeps its verdict)."""
    for s, c in zip(seq, checks):
        if s.decided:
            continue
        s.looks.append(Look(replicates, level_k, c.verdict, c.measured, c.ci_low, c.ci_high, c.reason,
                            c.replicates_needed, cpu_s))


def still_needs(s: SequentialRate, d: Design) -> str:
    """What an undecided rate still needs, from the last look's own advice."""
    last = s.looks[-1] if s.looks else None
    if last is None:
        return "not measured"
    if last.replicates_needed:
        return (f"~{last.replicates_needed} replicates at level {last.level:.3g} (the last look's advice; "
                f"raise the budget above {d.cap})")
    return f"more than {d.cap} replicates, or a wider grid: {last.reason}"


def sequential_table(table: np.ndarray, rate: Rate, x: np.ndarray, d: Design, *, paired: bool = False,
                     stop: bool = True) -> SequentialRate:
    """One rate of a planted sweep over the design's looks: look k sees the first n_k
    replicates of ``table`` (points x cap), as the store would hand them back."""
    points = [{rate.axis: float(v)} for v in x]
    seq = SequentialRate(rate.label or rate.metric)
    for n, a in zip(d.replicates, d.levels):
        checks = judge_look([rate], points, {rate.metric: table[:, :n]}, a, paired=paired)
        if stop:
            record([seq], checks, n, a)
            if seq.decided:
                break
        else:
            c = checks[0]
            seq.looks.append(Look(n, a, c.verdict, c.measured, c.ci_low, c.ci_high, c.reason, c.replicates_needed))
    return seq


@dataclass
class ClaimSequence:
    """One claim over its looks (``claimcheck run --until-decided``): the design, each rate's
    looks, and why it stopped. The run's ClaimResult holds each rate's deciding look, and
    :meth:`result` (its ``sequential`` field) these looks for every output."""
    claim_id: str
    design: Design
    rates: list[SequentialRate]
    stopped: str = ""          # "decided", "cap of N replicates reached", "error: ...", "interrupted"
    stop: str = ""             # the same as a code: results.STOPS
    cap_reason: str = ""       # where the cap came from (budget)
    computed: int = 0          # measurements the looks added (stored ones are reused)

    @property
    def decided(self) -> bool:
        return all(r.decided for r in self.rates)

    @property
    def replicates(self) -> int:
        return max((r.replicates for r in self.rates), default=0)

    def result(self) -> SequentialResult:
        """The looks as the value results.json, the report, summary.md and junit.xml read."""
        d = self.design
        return SequentialResult(
            level=d.level, spending=d.spending, replicates=list(d.replicates), levels=list(d.levels),
            stop=self.stop, stop_text=self.stopped, cap_reason=self.cap_reason, computed=self.computed,
            rates=[SequentialRateResult(r.label, r.verdict, r.decided,
                                        [LookResult(lk.replicates, lk.level, lk.verdict, lk.measured, lk.ci_low,
                                                    lk.ci_high, lk.reason, lk.replicates_needed, lk.cpu_s)
                                         for lk in r.looks],
                                        None if r.decided else still_needs(r, d))
                   for r in self.rates])

    def lines(self) -> list[str]:
        out = [f"until decided: {self.claim_id}: {self.design.describe()}"
               + (f" [{self.cap_reason}]" if self.cap_reason else "")]
        for r in self.rates:
            out.append(f"  {r.label}:")
            out.extend(lk.line("    ") for lk in r.looks)
            if r.decided:
                out.append(f"    -> {r.verdict} at {r.replicates} replicates")
            else:
                out.append(f"    -> undecided at {r.replicates} replicates ({self.stopped}); still needs "
                           f"{still_needs(r, self.design)}")
        return out
