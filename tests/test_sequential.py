"""The sequential rule (issue 21): the design spends exactly the claim's level over its looks,
a true law is decided within the cap while no look fails it, and `claimcheck run
--until-decided` reuses stored replicates and gives the same looks for any --jobs."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from claimcheck.stats.planted import TIGHT, grid, planted_table
from claimcheck.stats.sequential import (SPENDINGS, cap_for_budget, design, spent_levels, stage_replicates,
                                         sequential_table)
from claimcheck.stats.verdict import FAIL, PASS


@pytest.mark.parametrize("spending", SPENDINGS)
@pytest.mark.parametrize("start,cap", [(8, 512), (8, 100), (4, 4), (16, 256), (3, 1000)])
@pytest.mark.parametrize("level", [0.05, 0.01])
def test_spent_levels_sum_to_the_level(spending, start, cap, level):
    reps = stage_replicates(start, cap)
    levels = spent_levels(reps, level, spending)
    assert len(levels) == len(reps)
    assert all(a >= 0 for a in levels)
    assert math.isclose(sum(levels), level, rel_tol=1e-12)
    d = design(start, cap, level, spending)       # tiny looks merged into the next: the sum is kept
    assert math.isclose(sum(d.levels), level, rel_tol=1e-12)
    assert d.replicates[-1] == cap and all(a > 0 for a in d.levels)
    assert list(d.replicates) == sorted(set(d.replicates))


def test_stages_double_from_the_claims_count_to_the_cap():
    assert stage_replicates(8, 512) == (8, 16, 32, 64, 128, 256, 512)
    assert stage_replicates(8, 100) == (8, 16, 32, 64, 100)
    assert stage_replicates(10, 10) == (10,)
    with pytest.raises(ValueError):
        stage_replicates(16, 8)
    assert spent_levels((8, 16, 32, 64), 0.05, "bonferroni") == (0.0125,) * 4
    # Lan-DeMets O'Brien-Fleming spends almost nothing early; Pocock more evenly
    ob, po = spent_levels((8, 16, 32, 64), 0.05, "obrien-fleming"), spent_levels((8, 16, 32, 64), 0.05, "pocock")
    assert ob[0] < 1e-4 < po[0] and ob[-1] > po[-1]


def test_time_budget_buys_a_staged_cap():
    assert cap_for_budget(8, 0.1, 60) == 512          # 600 replicates' time: the last doubling <= 600
    assert cap_for_budget(8, 1.0, 5) == 8            # not even one more look


def _binomial_bound(seeds: int, rate: float) -> int:
    """Counts above this are evidence (p < 0.001) that the true rate exceeds ``rate``."""
    return int(stats.binom.ppf(0.999, seeds, rate))


def test_planted_half_normal_decided_without_false_fails():
    """8 replicates on 4 points (64..4096): inconclusive at the truth in nearly every seed as
    one look; with looks up to 512 replicates a true N^-1/2 passes, and no look fails it."""
    x, d, seeds = grid(4), design(8, 512, 0.05), 40
    fails_any = passes = 0
    for s in range(seeds):
        tab = planted_table("half-normal", x, d.cap, np.random.default_rng([7, s]), lambda v: v ** -0.5)
        every = sequential_table(tab, TIGHT, x, d, stop=False)
        fails_any += any(lk.verdict == FAIL for lk in every.looks)
        first = next((lk for lk in every.looks if lk.verdict in (PASS, FAIL)), every.looks[-1])
        passes += first.verdict == PASS
    assert fails_any <= _binomial_bound(seeds, 0.02)
    assert passes >= 0.8 * seeds        # measured 0.985 over 200 seeds (benchmarks/README.md)
    wrong = 0
    for s in range(seeds // 2):          # N^-0.3: 0.2 off, must not pass, and is mostly failed
        tab = planted_table("half-normal", x, d.cap, np.random.default_rng([8, s]), lambda v: v ** -0.3)
        wrong += sequential_table(tab, TIGHT, x, d).verdict == PASS
    assert wrong <= _binomial_bound(seeds // 2, 0.01)


def test_sequential_table_rows():
    """The table validate-engine --sequential prints: one row per cell, every column filled."""
    from claimcheck.stats.planted_sequential import format_seq_cells, run_seq_cell

    cell = run_seq_cell("lognormal", design(8, 32, 0.05), seeds=6)
    head, rule, row = format_seq_cells([cell]).splitlines()
    assert head.count("|") == rule.count("|") == row.count("|") == 14
    assert 8 <= cell.mean_reps_truth <= 32 and 0 <= cell.pass_truth <= 1


def test_until_decided_adds_replicates_and_is_the_same_for_any_jobs(tmp_path):
    """A toy claim at 4 replicates is inconclusive at the first look; later looks add only
    new replicates (the store keys rows by version, point, replicate and seed), and the
    same seed and budget give the same data, looks and verdicts for --jobs 1 and 2."""
    from conftest import run_opts, stored_metrics, write_toy

    from claimcheck.commands.runner import run
    from claimcheck.engine.store import Store

    claims = tmp_path / "claims"
    write_toy(claims, reps=4, batch=4)
    outcomes = {}
    for jobs in (1, 2):
        (tmp_path / f"j{jobs}").mkdir()
        opts = run_opts(tmp_path / f"j{jobs}", claims, until_decided=True, budget_replicates=64, jobs=jobs)
        outcomes[jobs] = run(opts)
    one, two = outcomes[1], outcomes[2]
    assert [ln for s in one.sequences for ln in s.lines()] == [ln for s in two.sequences for ln in s.lines()]
    assert stored_metrics(one.document) == stored_metrics(two.document)
    assert [c["verdict"] for c in one.document["claims"]] == [c["verdict"] for c in two.document["claims"]]

    seq = one.sequences[0]
    looks = seq.rates[0].looks
    assert looks[0].replicates == 4 and looks[0].verdict == "inconclusive" and len(looks) >= 2
    assert seq.decided and seq.rates[0].verdict == one.document["claims"][0]["verdict"] == "pass"
    assert one.document["claims"][0]["replicates"] == seq.replicates
    store = Store(tmp_path / "j1" / "store.sqlite")
    try:
        assert store.count() == 5 * seq.replicates == one.computed   # each replicate measured once
    finally:
        store.close()
    assert looks[0].level == seq.design.levels[0] < 0.05      # the first look spends only its share
    assert one.document["claims"][0]["level"] == 0.05
    again = run(run_opts(tmp_path / "j1", claims, until_decided=True, budget_replicates=64, jobs=1))
    assert again.computed == 0 and again.sequences[0].lines() == seq.lines()

    short = run(run_opts(tmp_path / "j1", claims, until_decided=True, budget_replicates=8, jobs=1))
    undecided = short.sequences[0]
    assert not undecided.decided and undecided.replicates == 8 and short.computed == 0
    assert short.document["claims"][0]["verdict"] == "inconclusive"
    assert "still needs" in undecided.lines()[-1] and "replicates" in undecided.lines()[-1]


def test_budget_durations():
    from claimcheck.commands.cli import parse_duration

    assert parse_duration("30m") == 1800 and parse_duration("1h30m") == 5400 and parse_duration("90") == 90
    with pytest.raises(ValueError):
        parse_duration("soon")


def test_run_until_decided_prints_one_line_per_look(tmp_path, capsys):
    from conftest import write_toy

    from claimcheck.commands.cli import main

    claims = tmp_path / "claims"
    write_toy(claims, reps=4, batch=4)
    base = ["run", "--claims-dir", str(claims), "--store", str(tmp_path / "s.sqlite"), "--out", str(tmp_path / "out"),
            "--jobs", "1", "--no-progress", "--no-html", "--no-artefacts"]
    assert main(base + ["--budget-replicates", "32"]) == 2          # a budget needs --until-decided
    assert main(base + ["--until-decided", "--budget", "soon"]) == 2
    capsys.readouterr()
    assert main(base + ["--until-decided", "--budget-replicates", "32"]) == 0
    out = capsys.readouterr().out
    assert "until decided: toy.a: 4 looks at 4, 8, 16, 32 replicates" in out
    looks = [ln for ln in out.splitlines() if ln.strip().endswith(("inconclusive", "pass", "fail"))
             and "replicates  level" in ln]
    assert len(looks) >= 2 and looks[-1].strip().endswith("pass")
    assert "-> pass at" in out


def test_calibrate_until_decided_reports_the_sequential_rule(tmp_path, capsys):
    """Per seed the design of run --until-decided: how often a true toy law is decided within
    the cap, its false fails and the replicates spent; the plain calibration beside it is
    what calibrate says without the flag."""
    from conftest import write_toy

    from claimcheck.commands.calibrate import CalibrateOptions, calibrate_claims, describe
    from claimcheck.commands.cli import main

    claims = tmp_path / "claims"
    write_toy(claims, reps=4, batch=4)
    base = dict(patterns=["toy.a"], seeds=8, jobs=1, store=tmp_path / "s.sqlite", claims_dirs=[claims],
                out=tmp_path / "cal", progress=False)
    [plain] = calibrate_claims(CalibrateOptions(**base))
    [seq] = calibrate_claims(CalibrateOptions(**base, until_decided=True, budget_replicates=64))
    q = seq["summary"]["sequential"]
    assert q["seeds"] == 8 and q["replicates"] == [4, 8, 16, 32, 64] and q["spending"] == "pocock"
    assert sum(q["verdicts"].values()) == 8 and q["verdicts"]["fail"] == 0 and q["false_fail_rate"] == 0
    assert q["decided_rate"] == (q["verdicts"]["pass"] + q["verdicts"]["fail"]) / 8 >= 0.75
    spent = [d["sequential"]["replicates"] for d in seq["per_seed"]]
    assert q["mean_replicates"] == pytest.approx(sum(spent) / 8) and 4 < q["mean_replicates"] <= 64
    assert all(d["sequential"]["stop"] in ("decided", "budget") for d in seq["per_seed"])
    assert q["computed"] > 0 and seq["record"]["until_decided"]["cap"] == 64
    # the plain numbers are the same with and without the flag, and absent the flag nothing is added
    assert {k: v for k, v in seq["summary"].items() if k != "sequential"} == plain["summary"]
    assert "sequential" not in plain["summary"] and "until_decided" not in plain["record"]
    assert "until decided" not in describe(plain) and "mean replicates spent" in describe(seq)

    again = calibrate_claims(CalibrateOptions(**base, until_decided=True, budget_replicates=64))[0]
    assert again["summary"]["sequential"] | {"computed": 0} == q | {"computed": 0}
    assert again["summary"]["sequential"]["computed"] == 0        # every look's replicates were stored
    args = ["calibrate", "toy.a", "--seeds", "3", "--claims-dir", str(claims), "--store", str(tmp_path / "s.sqlite"),
            "--jobs", "1", "--no-progress", "--out", str(tmp_path / "cal-cli")]
    capsys.readouterr()
    assert main(args + ["--budget-replicates", "16"]) == 2         # a cap needs --until-decided
    assert main(args + ["--until-decided", "--budget-replicates", "16"]) == 0
    assert "decided within the cap in" in capsys.readouterr().out
