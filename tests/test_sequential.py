"""The sequential rule (issue 21): the design spends exactly the claim's level over its looks,
a true law is decided within the cap while no look fails it, and `claimcheck run
--until-decided` reuses stored replicates and gives the same looks for any --jobs."""
from __future__ import annotations

import math

import pytest

from claimcheck.stats.sequential import SPENDINGS, cap_for_budget, design, spent_levels, stage_replicates


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
