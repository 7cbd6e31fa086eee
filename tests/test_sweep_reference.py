"""The per-replicate reference hook (Claim(reference=...)) and automatic batching.

A reference is computed by the engine once per replicate (and worker), from a fresh
generator of the replicate, and handed to simulate: with common random numbers every grid
point of a replicate sees the same reference, and the numbers do not depend on the
worker count, on resuming, or on whether the reference was cached.
"""

from claimcheck.claim import auto_batch_size
from claimcheck.commands.runner import run
from claimcheck.engine import sweep
from claimcheck.engine.executors import InlineExecutor
from claimcheck.engine.store import Store

from conftest import run_opts, stored_metrics, write_toy

# the reference is the mean of N_ref nested draws; the width-N estimate uses the first N
REF_TOY = '''
import functools
import numpy as np
from claimcheck import Claim, Mutant, Rate

def reference(point, rngs, shift=0.0):
    assert set(point) == {{"N_ref"}}, point          # only the axes no rate is fitted along
    return [g.standard_normal(int(point["N_ref"])).mean() + shift for g in rngs]

def simulate(point, rngs, refs, bias=0.0):
    N, N_ref = int(point["N"]), int(point["N_ref"])
    draws = np.stack([g.standard_normal(N_ref) for g in rngs])      # the reference's own stream
    est = draws[:, :N].mean(axis=1) + bias
    return [{{"err": float(abs(e - r)) / np.sqrt(1 - N / N_ref)}} for e, r in zip(est, refs)]

claim = Claim(
    id="toy.reference", paper="toy", title="nested reference", statement="E|mean_N - mean_ref| ~ N^-1/2",
    source="paper", grids={{"quick": {{"N": [16, 32, 64, 128], "N_ref": [2048]}}}}, replicates={{"quick": {reps}}},
    rates=[Rate(metric="err", axis="N", kind="tight", predicted=-0.5, tolerance=0.2)],
    simulate=simulate, batched=True, reference=reference, common_random_numbers=True,
    mutants=[Mutant("biased", functools.partial(simulate, bias=0.05), "estimate shifted"),
             Mutant("ref-shifted", simulate, "reference shifted", reference=functools.partial(reference, shift=0.05))],
)
'''


def _toy(folder, reps=12):
    return write_toy(folder, name="reference", body=REF_TOY.format(reps=reps))


def _claim(folder, reps=12):
    from claimcheck.engine.discovery import claims_in_module, load_module

    path = _toy(folder, reps)
    (c,) = claims_in_module(load_module(str(path)), str(path))
    return c


def test_auto_batch_size_splits_a_point_in_equal_batches_of_at_most_64():
    assert [auto_batch_size(n) for n in (2, 4, 9, 10, 16, 64, 200, 256, 1000)] == [2, 4, 9, 5, 8, 32, 50, 64, 63]


def test_a_reference_under_crn_groups_a_batch_of_replicates_over_every_point(tmp_path):
    c = _claim(tmp_path / "c")
    assert c.grouping == "replicate" and c.reference_axes == ("N_ref",) and c.batch("quick") == 6
    tasks = sweep.plan(c, "v", "", "quick", 0)
    assert len(tasks) == 2 and all(len(t.points) == 4 and len(t.replicates) == 6 for t in tasks)
    # a stored pair is computed with its batch-mates but not returned
    done = {(sweep.point_key({"N": 16, "N_ref": 2048}), 0)}
    first = sweep.plan(c, "v", "", "quick", 0, done)[0]
    assert first.size == 23 and first.drop == ((sweep.point_key({"N": 16, "N_ref": 2048}), 0),)


def test_the_reference_is_computed_once_per_replicate_and_worker(tmp_path):
    c = _claim(tmp_path / "c")
    sweep.clear_references()
    before = sweep.reference_calls
    rows = []
    for variant in ("", "biased", "ref-shifted"):
        sweep.execute(sweep.plan(c, "v", variant, "quick", 0), InlineExecutor(), rows.extend)
    assert len(rows) == 3 * 4 * 12 and all(r["status"] == "ok" for r in rows)
    # 12 for the claim, shared by "biased"; 12 more for the mutant with its own reference
    assert sweep.reference_calls - before == 24


def test_a_reference_gives_the_same_bits_with_1_and_2_workers_and_after_a_resume(tmp_path):
    d = tmp_path / "c"
    _toy(d)
    a = run(run_opts(tmp_path / "a", d, jobs=1))
    b = run(run_opts(tmp_path / "b", d, jobs=2))
    assert len(stored_metrics(a.document)) == 48
    assert stored_metrics(a.document) == stored_metrics(b.document)
    store = Store(tmp_path / "b" / "store.sqlite")
    store.db.execute("DELETE FROM measurements WHERE replicate % 2 = 1 AND point_key LIKE '%16%'")
    store.db.commit()
    store.close()
    sweep.clear_references()
    resumed = run(run_opts(tmp_path / "b", d, jobs=1))
    assert resumed.computed == 6                        # replicates 1, 3, ..., 11 at N = 16
    assert stored_metrics(resumed.document) == stored_metrics(a.document)


def test_the_reference_matches_what_simulate_would_draw(tmp_path):
    """Replicate r's reference comes from a fresh generator of r: simulate's own draws of
    the same stream reproduce it, so the error at N = N_ref would be exactly 0."""
    c = _claim(tmp_path / "c")
    from claimcheck.engine.seeding import rng_for

    ref = c.reference({"N_ref": 2048}, [rng_for(c.id, None, 3, 0)])[0]
    draws = rng_for(c.id, None, 3, 0).standard_normal(2048)
    assert ref == draws.mean()
    one = c.simulate({"N": 16, "N_ref": 2048}, rng_for(c.id, None, 3, 0), ref)
    batch = c.simulate_batch({"N": 16, "N_ref": 2048}, [rng_for(c.id, None, r, 0) for r in (2, 3)],
                             [0.0, ref])[1]
    assert one == batch
