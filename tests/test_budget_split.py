"""A time budget split over claims (issue 21, `run --until-decided --budget`): served cheapest
first, each share = what is left / claims still to go, charged by stored compute seconds, so
the shares never promise more than the budget, a cheap claim's unused share passes on, the
same inputs give the same caps, and the order does not depend on how the claims were listed."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from claimcheck.stats.sequential import MEASUREMENT_OVERHEAD_S, BudgetSplit, cap_for_budget, measured_seconds

firsts = st.dictionaries(
    st.text("abcdefgh.", min_size=1, max_size=6),
    st.tuples(st.integers(2, 64), st.floats(0.0, 500.0, allow_nan=False)),
    min_size=1, max_size=8)


def _serve(split: BudgetSplit, spend):
    """Serve every claim in order; ``spend(share)`` is what the claim's measurements cost."""
    shares = []
    for cid in split.order:
        s = split.share(cid)
        shares.append(s)
        split.charge(cid, spend(s))
    return shares


@given(firsts, st.floats(1.0, 5000.0), st.lists(st.floats(0.0, 1.0), min_size=8, max_size=8))
def test_charges_within_their_shares_never_exceed_the_budget(first, budget, fractions):
    """Every claim spends between its first look and its share: the total is at most the budget
    (or the first looks, when they alone exceed it, and then no claim is given more than its
    first look)."""
    split = BudgetSplit(budget, first)
    frac = iter(fractions)

    def spend(s):
        own = first[s.claim_id][1]
        return own + next(frac) * max(s.seconds - own, 0.0)

    shares = _serve(split, spend)
    floor = sum(sec for _, sec in first.values())
    assert sum(split.charged.values()) <= max(budget, floor) * (1 + 1e-9) + 1e-9
    for s in shares:
        start, own = first[s.claim_id]
        assert s.cap >= start and s.cap // start * start == s.cap and (s.cap // start).bit_count() == 1
        if own > 0:
            assert s.cap * s.per_replicate <= s.seconds * (1 + 1e-9)    # the cap's cost fits the share
        if floor >= budget:
            assert s.cap == start


@given(firsts, st.floats(1.0, 5000.0))
def test_shares_when_every_claim_spends_it_all_sum_to_the_budget(first, budget):
    split = BudgetSplit(budget, first)
    shares = _serve(split, lambda s: s.seconds)
    floor = sum(sec for _, sec in first.values())
    if floor <= budget:
        assert sum(s.seconds for s in shares) == pytest.approx(budget, rel=1e-9, abs=1e-9)
    assert all(s.seconds <= max(budget, floor) * (1 + 1e-9) for s in shares)


@given(firsts, st.floats(1.0, 5000.0), st.randoms(use_true_random=False))
def test_same_inputs_same_caps_and_order_whatever_the_listing(first, budget, rnd):
    items = list(first.items())
    rnd.shuffle(items)
    a, b = BudgetSplit(budget, first), BudgetSplit(budget, dict(items))
    assert a.order == b.order
    costs = [first[k][1] for k in a.order]
    assert costs == sorted(costs)                      # cheapest first
    ties = [(first[k][1], k) for k in a.order]
    assert ties == sorted(ties)                        # ties by claim id
    assert _serve(a, lambda s: s.seconds / 2) == _serve(b, lambda s: s.seconds / 2)


def test_a_cheap_claims_unused_share_passes_on():
    """Three claims, 120 s: two cheap ones decided at their first looks leave their shares to
    the costly one (an equal split would have given it 40 s: 2 replicates' worth, not 8)."""
    first = {"costly": (2, 28.0), "cheap.a": (8, 0.4), "cheap.b": (8, 0.8)}
    split = BudgetSplit(120.0, first)
    assert split.order == ("cheap.a", "cheap.b", "costly")
    a = split.share("cheap.a")
    assert a.seconds == pytest.approx(0.4 + (120 - 29.2) / 3)
    split.charge("cheap.a", 0.4)                      # decided at its first look
    b = split.share("cheap.b")
    assert b.seconds == pytest.approx(0.8 + (120 - 29.2) / 2)
    split.charge("cheap.b", 0.8)
    costly = split.share("costly")
    assert costly.seconds == pytest.approx(120 - 1.2) and costly.to_go == 1
    assert costly.cap == 8 == cap_for_budget(2, 14.0, 118.8)      # 14 s a replicate: 8 fit, 16 do not
    assert cap_for_budget(2, 14.0, 120 / 3) == 2                   # the equal share's cap
    # had cheap.a spent its whole share, the costly claim would get less
    greedy = BudgetSplit(120.0, first)
    _ = greedy.share("cheap.a")
    greedy.charge("cheap.a", _.seconds)
    greedy.charge("cheap.b", greedy.share("cheap.b").seconds)
    assert greedy.share("costly").seconds < costly.seconds


def test_caps_are_fixed_in_order_and_once():
    split = BudgetSplit(60.0, {"b": (4, 1.0), "a": (4, 1.0), "c": (4, 0.5)})
    assert split.order == ("c", "a", "b")
    with pytest.raises(ValueError):
        split.share("a")                 # c is first
    split.share("c")
    with pytest.raises(ValueError):
        split.share("a")                 # c not charged yet: a's share would not know what c left
    with pytest.raises(ValueError):
        split.charge("a", 1.0)
    split.charge("c", 0.5)
    with pytest.raises(ValueError):
        split.charge("c", 0.5)
    with pytest.raises(ValueError):
        BudgetSplit(0, {"a": (4, 1.0)})


def test_measured_seconds_charges_stored_seconds_and_the_runners_overhead():
    rows = [{"seconds": 0.25}, {"seconds": None}, {"seconds": 0.5}]
    assert measured_seconds(rows) == pytest.approx(0.75 + 3 * MEASUREMENT_OVERHEAD_S)
    assert measured_seconds(rows, overhead=0.0) == pytest.approx(0.75)
    assert 1e-5 < MEASUREMENT_OVERHEAD_S < 1e-2


def test_run_serves_the_cheap_claim_first_and_passes_its_share_on(tmp_path):
    """Two toy claims under --budget: the cheap one is served first and decided; the costly
    one's cap is fixed from what is left after the cheap one was charged (its stored seconds),
    and the same seed and budget give the same caps and looks for --jobs 1 and 2."""
    from conftest import run_opts, write_toy

    from claimcheck.commands.runner import run
    from claimcheck.engine.discovery import claim_version, discover
    from claimcheck.engine.store import Store
    from claimcheck.stats.sequential import measured_seconds as cost

    claims = tmp_path / "claims"
    write_toy(claims, "cheap", reps=4, batch=4)
    slow = '''
        import time
        import numpy as np
        from claimcheck import Claim, Mutant, Rate

        def simulate(point, rng):
            time.sleep(0.002)
            x = rng.standard_normal(int(point["N"]))
            return {"err": abs(x.mean())}

        def broken(point, rng):
            return {"err": 1.0}

        claim = Claim(
            id="toy.slow", paper="toy", title="toy mean", statement="E|mean| ~ N^-1/2", source="paper",
            grids={"quick": {"N": [16, 64, 256, 1024, 4096]}}, replicates={"quick": 4},
            rates=[Rate(metric="err", axis="N", kind="tight", predicted=-0.5, tolerance=0.15)],
            simulate=simulate, mutants=[Mutant("flat", broken, "flat")],
        )
    '''
    write_toy(claims, "slow", body=slow)
    lines = {}
    for jobs in (1, 2):
        (tmp_path / f"j{jobs}").mkdir()
        out = run(run_opts(tmp_path / f"j{jobs}", claims, until_decided=True, budget_seconds=4.0, jobs=jobs))
        seqs = {s.claim_id: s for s in out.sequences}
        assert [s.claim_id for s in out.sequences] == ["toy.cheap", "toy.slow"]     # the claims' own order
        assert "split cheapest claim first" in seqs["toy.slow"].cap_reason
        assert "2 claim(s) still to go" in seqs["toy.cheap"].cap_reason
        assert "1 claim(s) still to go" in seqs["toy.slow"].cap_reason
        lines[jobs] = [s.design.replicates for s in out.sequences]
        # the slow claim's share is the budget less what the cheap claim's stored rows cost
        store = Store(tmp_path / f"j{jobs}" / "store.sqlite")
        try:
            found, _ = discover([claims])
            v = {c.id: claim_version(c) for c in found}
            cheap_rows = [r for r in store.rows(v["toy.cheap"], "", 0) if r["replicate"] < seqs["toy.cheap"].replicates]
            slow_first = [r for r in store.rows(v["toy.slow"], "", 0) if r["replicate"] < 4]
        finally:
            store.close()
        left = 4.0 - cost(cheap_rows) - cost(slow_first)
        assert f"{left:.0f} s left" in seqs["toy.slow"].cap_reason
        per_rep = cost(slow_first) / 4
        assert seqs["toy.slow"].design.cap == cap_for_budget(4, per_rep, cost(slow_first) + left)
    # 2 ms x 5 points a replicate: caps in the tens either way; equal up to timing noise
    # at a doubling's edge, which the printed cap (--budget-replicates) removes. Under load
    # the edge is crossed (measured: 256 vs 512 with two other jobs on the 2 cores), so the
    # promise is the same looks up to one doubling of the cap
    a, b = lines[1][0], lines[2][0]
    common = min(len(a), len(b))
    assert a[:common] == b[:common] and abs(len(a) - len(b)) <= 1, (a, b)
