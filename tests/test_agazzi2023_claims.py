"""The Agazzi-Lu-Mukherjee claims through the real check (quick profile, with mutants):
every mutant must be caught, and no claim may error or fail on the correct model.

One module-scoped run (about 2-3 minutes on 2 cores); deselect with -m 'not slow'.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # see test_agazzi2023_model.py

import pytest  # noqa: E402

from claimcheck.commands.runner import RunOptions, run  # noqa: E402

pytestmark = pytest.mark.slow

CLAIMS = {"agazzi2023.forward-coupling", "agazzi2023.training-coupling", "agazzi2023.time-discretisation",
          "agazzi2023.global-optimality", "agazzi2023.iid-washout", "agazzi2023.bounded-weights",
          "agazzi2023.ergodic-sampling", "agazzi2023.dependent-coupling", "agazzi2023.dependent-training"}


@pytest.fixture(scope="module")
def document(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("agazzi")
    result = run(RunOptions(patterns=["agazzi2023.*"], mutants=True, jobs=2, store=tmp / "s.sqlite",
                            out=tmp / "out", progress=False))
    return result.document


def test_all_claims_ran(document):
    assert {c["id"] for c in document["claims"]} == CLAIMS
    assert not document["load_errors"]


@pytest.mark.parametrize("claim_id", sorted(CLAIMS))
def test_every_mutant_is_caught(document, claim_id):
    c = next(c for c in document["claims"] if c["id"] == claim_id)
    assert c["mutants"], "a claim needs a negative control"
    for mu in c["mutants"]:
        assert mu["caught"], f"{claim_id} mutant {mu['name']}: {mu['reason']}"


@pytest.mark.parametrize("claim_id", sorted(CLAIMS))
def test_correct_model_neither_fails_nor_errors(document, claim_id):
    c = next(c for c in document["claims"] if c["id"] == claim_id)
    assert c["verdict"] == "pass", c["reason"]


def test_figures_were_written(document):
    for c in document["claims"]:
        assert not c.get("artefact_error"), (c["id"], c.get("artefact_error"))
        assert any(p.endswith(".svg") for p in c.get("artefacts", [])), c["id"]
