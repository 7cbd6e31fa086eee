"""Planted laws through the sequential rule (issue 21): what "run until decided" promises.

Each seed draws one sweep at the design's cap (points x cap replicates); look k judges its
first n_k replicates, exactly as the store hands back the replicates a smaller run
stored, through the real path (:func:`~claimcheck.stats.verdict.check_rate`,
:func:`~claimcheck.stats.verdict.judge_claim`) at the look's spent level.

At the truth every look is judged (not only up to the first decided one), so the table
states both the stopped rule's false fails and the fails *any* look would have made.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..claim import Rate
from .planted import PAIRED, TIGHT, grid, planted_table
from .sequential import DEFAULT_SPENDING, SPENDINGS, Design, design, sequential_table, stage_replicates
from .verdict import FAIL, PASS

SEQ_FAMILIES = ("half-normal", "lognormal", "lognormal-1", "student-t", "pareto", "heteroscedastic")
DEVIATION = 0.2


@dataclass
class SeqCell:
    family: str
    design: Design
    seeds: int
    pass_truth: float            # decided PASS at the truth within the cap
    fail_truth: float            # the stopped rule fails a true law
    fail_any_look: float         # some look (all taken) fails a true law
    mean_reps_truth: float       # replicates spent at the truth (stops at the first decided look)
    wrong_pass: float            # PASS at a deviation of 0.2 (N^-0.3 and N^-0.7, half the seeds each)
    fail_slow: float             # decided FAIL at N^-0.3
    fail_fast: float             # decided FAIL at N^-0.7
    mean_reps_wrong: float
    pass_edge: float             # PASS at the band's edge (N^-0.4, N^-0.6): <= level over all looks
    fail_edge: float             # FAIL at the band's edge: <= level / 2
    seconds: float


def run_seq_cell(family: str, d: Design, seeds: int, rate: Rate = TIGHT, points: int = 4,
                 seed0: int = 21) -> SeqCell:
    t0 = time.time()
    x = grid(points)
    paired = family in PAIRED
    a0 = rate.predicted
    pt = ft = fany = 0
    reps_t = []
    for s in range(seeds):
        rng = np.random.default_rng([seed0, s, 0])
        tab = planted_table(family, x, d.cap, rng, lambda v: v ** a0)
        full = sequential_table(tab, rate, x, d, paired=paired, stop=False)
        first = next((lk for lk in full.looks if lk.verdict in (PASS, FAIL)), full.looks[-1])
        pt += first.verdict == PASS
        ft += first.verdict == FAIL
        fany += any(lk.verdict == FAIL for lk in full.looks)
        reps_t.append(first.replicates)
    wrong = {+1: [0, 0], -1: [0, 0]}     # sign -> [passes, fails]
    reps_w = []
    for s in range(seeds):
        sign = 1 if s % 2 == 0 else -1
        rng = np.random.default_rng([seed0, s, 1])
        tab = planted_table(family, x, d.cap, rng, lambda v: v ** (a0 + sign * DEVIATION))
        seq = sequential_table(tab, rate, x, d, paired=paired)
        wrong[sign][0] += seq.verdict == PASS
        wrong[sign][1] += seq.verdict == FAIL
        reps_w.append(seq.replicates)
    pe = fe = 0
    for s in range(seeds):
        sign = 1 if s % 2 == 0 else -1
        rng = np.random.default_rng([seed0, s, 2])
        tab = planted_table(family, x, d.cap, rng, lambda v: v ** (a0 + sign * rate.tolerance))
        seq = sequential_table(tab, rate, x, d, paired=paired)
        pe += seq.verdict == PASS
        fe += seq.verdict == FAIL
    n_up, n_down = (seeds + 1) // 2, seeds // 2
    return SeqCell(family, d, seeds, pt / seeds, ft / seeds, fany / seeds, float(np.mean(reps_t)),
                   (wrong[1][0] + wrong[-1][0]) / seeds, wrong[1][1] / max(n_up, 1), wrong[-1][1] / max(n_down, 1),
                   float(np.mean(reps_w)), pe / seeds, fe / seeds, time.time() - t0)


def naive_design(start: int, cap: int, level: float = 0.05) -> Design:
    """Every look at the full level: what looking again without spending does (for contrast)."""
    reps = stage_replicates(start, cap)
    return Design(level, reps, tuple([level] * len(reps)), "none (each look at the level)")


def format_seq_cells(cells: Sequence[SeqCell]) -> str:
    head = ("| family | spending | looks (replicates) | seeds | PASS at truth | false fail (stopped) | "
            "fail at any look | mean reps (truth) | wrong pass at 0.2 | FAIL at N^-0.3 | FAIL at N^-0.7 | "
            "mean reps (0.2 off) | PASS / FAIL at the band's edge |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for c in cells:
        lines.append(f"| {c.family} | {c.design.spending} | {', '.join(map(str, c.design.replicates))} | {c.seeds} | "
                     f"{c.pass_truth:.3f} | {c.fail_truth:.3f} | {c.fail_any_look:.3f} | {c.mean_reps_truth:.0f} | "
                     f"{c.wrong_pass:.3f} | {c.fail_slow:.3f} | {c.fail_fast:.3f} | {c.mean_reps_wrong:.0f} | "
                     f"{c.pass_edge:.3f} / {c.fail_edge:.3f} |")
    return "\n".join(lines)


def report_sequential(seeds: int = 200, start: int = 8, cap: int = 512, spending: str = DEFAULT_SPENDING,
                      compare: bool = True, out=print) -> int:
    """Print the sequential tables (markdown); exit status 1 if a target is missed: false fail
    over every look > 2% or wrong pass > 1% in any family."""
    t0 = time.time()
    d = design(start, cap, 0.05, spending)
    done: dict = {}
    if compare:
        out(f"### Spending functions: half-normal, {start} replicates to start, 4 points (64..4096), "
            f"tight -0.5 +- 0.1, {seeds} seeds\n")
        designs = ([naive_design(start, cap)] + [design(start, cap, 0.05, s) for s in SPENDINGS]
                   + [design(start, max(start, cap // 2), 0.05, spending)])
        cells = [run_seq_cell("half-normal", dd, seeds) for dd in designs]
        done = {("half-normal", c.design): c for c in cells}
        out(format_seq_cells(cells))
        out(f"\n({time.time() - t0:.0f} s)\n")
    t1 = time.time()
    out(f"### Every family: {d.describe()}; {seeds} seeds\n")
    cells = [done.get((f, d)) or run_seq_cell(f, d, seeds) for f in SEQ_FAMILIES]
    out(format_seq_cells(cells))
    out(f"\n({time.time() - t1:.0f} s; total {time.time() - t0:.0f} s)\n")
    worst_ff = max(c.fail_any_look for c in cells)
    worst_wp = max(c.wrong_pass for c in cells)
    worst_edge = max(c.pass_edge for c in cells)
    out(f"worst false fail over every look: {worst_ff:.3f} (target <= 0.02); "
        f"worst wrong pass at 0.2: {worst_wp:.3f} (target <= 0.01); "
        f"worst pass at the band's edge: {worst_edge:.3f} (target <= 0.05)")
    return 0 if worst_ff <= 0.02 and worst_wp <= 0.01 and worst_edge <= 0.05 else 1
