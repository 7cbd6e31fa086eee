"""The calibration claims pass and every mutant is caught (the machinery can be trusted)."""
import pytest

from claimcheck.commands.runner import RunOptions, run

from conftest import ROOT

# a whole-claim run of three claims and their mutants (15.7 s on 2 idle cores): a long run, which
# CI runs with the slow tests; the default suite runs a generated claim end to end instead
# (tests/test_scaffold.py)
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def classical(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("classical")
    return run(RunOptions(patterns=["classical.*"], claims_dirs=[ROOT / "claims"], mutants=True, jobs=2,
                          store=tmp / "s.sqlite", out=tmp / "out", progress=False, artefacts=False)).document


@pytest.mark.parametrize("claim_id", ["classical.clt-mean", "classical.w1-empirical", "classical.gbm-euler-maruyama"])
def test_classical_claim_passes_and_catches_its_mutants(classical, claim_id):
    c = next(c for c in classical["claims"] if c["id"] == claim_id)
    assert c["verdict"] == "pass", c["reason"]
    for r in c["rates"]:
        assert r["ci_low"] <= r["predicted"] + r["tolerance"] and r["ci_high"] >= r["predicted"] - r["tolerance"]
    assert c["mutants"], "every claim ships a negative control"
    for m in c["mutants"]:
        assert m["caught"], f"{m['name']}: {m['reason']}"
