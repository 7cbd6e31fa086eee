"""claimcheck.testing: a lab runs the conformance checks of its own claims in its own pytest
suite (one item per claim and check)."""
import textwrap
from pathlib import Path

import pytest

from claimcheck.testing import CHECKS, ConformanceError, claims_in, parametrize_with_checks

ROOT = Path(__file__).resolve().parents[1]


@parametrize_with_checks(claims_in(ROOT / "claims", ids=["classical.clt-mean"]))
def test_a_shipped_claim_conforms_through_the_public_api(claim, check):
    check(claim)


def test_one_item_per_claim_and_check_named_by_both():
    claims = claims_in(ROOT / "claims", ids=["classical.*"])
    mark = parametrize_with_checks(claims)
    ids = [p.id for p in mark.args[1]]
    assert len(ids) == len(claims) * len(CHECKS) >= 3 * 4
    assert "classical.clt-mean-check_same_seed_same_metrics" in ids


def test_a_broken_claim_fails_its_check_with_a_message_naming_it(tmp_path):
    path = tmp_path / "lab_claim.py"
    path.write_text(textwrap.dedent('''
        from claimcheck import Claim, Mutant, Rate

        def sim(point, rng):
            return {"err": 1.0 / point["N"]}          # the rng is never used

        claim = Claim(id="lab.unused-rng", paper="p", title="t", statement="s", source="reconstructed",
                      grids={"quick": {"N": [16, 64, 256]}}, replicates={"quick": 8},
                      rates=[Rate(metric="err", axis="N", predicted=-1.0)], simulate=sim,
                      mutants=[Mutant("m", sim)])
    '''))
    (claim,) = claims_in(path)
    mark = parametrize_with_checks([claim])
    by_id = {p.id: p.values[1] for p in mark.args[1]}
    with pytest.raises(ConformanceError, match="lab.unused-rng"):
        by_id["lab.unused-rng-check_replicates_differ"](claim)
    by_id["lab.unused-rng-check_same_seed_same_metrics"](claim)   # the others hold


def test_a_file_that_does_not_load_is_an_error_at_collection(tmp_path):
    bad = tmp_path / "broken.py"
    bad.write_text("from claimcheck import Claim\nclaim = Claim(id='x')\n")
    with pytest.raises(ValueError, match="broken.py"):
        claims_in(bad)
    with pytest.raises(ValueError, match="no claim matches nope.*"):
        claims_in(ROOT / "claims", ids=["nope.*"])
