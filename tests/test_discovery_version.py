"""Two claims in one file must not share stored measurements."""
from claimcheck.discovery import claim_version, load_file

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
