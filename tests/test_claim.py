"""Two claims in one file must not share stored measurements."""
from claimcheck.engine.discovery import claim_version, load_file

TWO = '''
from claimcheck import Claim, Mutant, Rate

def sim(point, rng):
    return {"err": 1.0}

common = dict(paper="p", title="t", statement="s", source="paper", grids={"quick": {"N": [1, 2, 3]}},
              replicates=2, rates=[Rate(metric="err", axis="N", predicted=-0.5)], simulate=sim,
              mutants=[Mutant("m", sim)])
first = Claim(id="two.first", **common)
second = Claim(id="two.second", **common)
'''


def test_claims_in_one_file_have_distinct_versions(tmp_path):
    path = tmp_path / "two.py"
    path.write_text(TWO)
    claims, errors = load_file(path)
    assert not errors and len(claims) == 2
    assert claim_version(claims[0]) != claim_version(claims[1])


import numpy as np  # noqa: E402
import pytest  # noqa: E402

from claimcheck import Claim, ClaimDefinitionError, Mutant, Rate  # noqa: E402


def _batch(point, rngs):
    return [{"err": float(abs(r.standard_normal()))} for r in rngs]


def _fields(**kw):
    base = dict(id="x.y", paper="p", title="t", statement="s", source="paper", grids={"quick": {"N": [1, 2, 3]}},
                replicates=4, rates=[Rate(metric="err", axis="N", predicted=-0.5)], simulate_batch=_batch,
                mutants=[Mutant("m", simulate_batch=_batch)])
    base.update(kw)
    return base


def test_simulate_batch_alone_is_enough_and_agrees_with_one_at_a_time():
    c = Claim(**_fields())
    rngs = [np.random.default_rng(s) for s in range(3)]
    one = [c.simulate({"N": 1}, np.random.default_rng(s)) for s in range(3)]
    assert one == c.simulate_batch({"N": 1}, rngs)
    assert c.mutants[0].simulate({"N": 1}, np.random.default_rng(0)) == one[0]


@pytest.mark.parametrize("bad, message", [
    (dict(mutants=[]), "at least one Mutant"),
    (dict(rates=[]), "at least one Rate"),
    (dict(source="blog"), "`source` must be one of"),
    (dict(id="noseparator"), "`id` must look like"),
    (dict(grids={"full": {"N": [1]}}), "include 'quick'"),
    (dict(rates=[Rate(metric="err", axis="k", predicted=-1)]), "axis 'k' is not in grid"),
    (dict(simulate_batch=None), "`simulate` (or `simulate_batch`) must be a function"),
    (dict(replicates=1), ">= 2 replicates"),
])
def test_invalid_claims_are_rejected_with_the_field_named(bad, message):
    with pytest.raises(ClaimDefinitionError) as err:
        Claim(**_fields(**bad))
    assert message in str(err.value)


@pytest.mark.parametrize("bad, message", [
    (dict(kind="sideways", predicted=-1), "rate kind"),
    (dict(kind="tight"), "needs `predicted`"),
    (dict(kind="geometric", predicted=1.5), "bound on rho"),
    (dict(statistic="mode", predicted=-1), "rate statistic"),
])
def test_invalid_rates_are_rejected(bad, message):
    with pytest.raises(ClaimDefinitionError) as err:
        Rate(metric="err", axis="N", **bad)
    assert message in str(err.value)


def test_one_batched_simulate_with_partial_mutants():
    """batched=True: simulate is the batched form, and so are the mutants' functions
    (typically functools.partial of the claim's own simulate)."""
    import functools

    def sim(point, rngs, shift=0.0):
        return [{"err": float(abs(r.standard_normal())) + shift} for r in rngs]

    c = Claim(**_fields(simulate=sim, simulate_batch=None, batched=True,
                        mutants=[Mutant("shifted", functools.partial(sim, shift=1.0), "err + 1")]))
    assert c.simulate_batch is sim
    one = c.simulate({"N": 1}, np.random.default_rng(3))
    assert one == sim({"N": 1}, [np.random.default_rng(3)])[0]
    simulate, batch = c.variant("shifted")
    assert batch({"N": 1}, [np.random.default_rng(3)])[0]["err"] == one["err"] + 1.0
    assert simulate({"N": 1}, np.random.default_rng(3))["err"] == one["err"] + 1.0


def test_execution_knobs_default_to_automatic():
    c = Claim(**_fields(replicates={"quick": 256}))
    assert c.batch_size is None and c.batch("quick") == 64 and Claim(**_fields(replicates=10)).batch("quick") == 5 and c.grouping == "point"
    with_ref = Claim(**_fields(reference=lambda point, rngs: [0.0] * len(rngs), common_random_numbers=True))
    assert with_ref.grouping == "replicate" and with_ref.reference_axes == ()
    assert Claim(**_fields(batch_size=5)).batch("quick") == 5
