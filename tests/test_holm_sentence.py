"""One Holm sentence, rendered from the claims' levels by one function: the run, `claimcheck
report` from the store and calibrate say the same (the store's copy used to state a run-wide
family of N rates, which the run never applied); a claim judged at a level records it."""
import json
from pathlib import Path

from claimcheck.commands.cli import main
from claimcheck.stats.verdict import family_wise_sentence
from conftest import write_toy


def test_run_and_report_from_the_store_state_the_same_holm_family(tmp_path, capsys):
    claims = tmp_path / "claims"
    for name in ("a", "b"):
        write_toy(claims, name, reps=24, extra=" level=0.01,")
    store = tmp_path / "store.sqlite"
    assert main(["run", "--claims-dir", str(claims), "--store", str(store), "--jobs", "1", "--no-progress",
                 "--out", str(tmp_path / "run")]) == 0
    ran = json.loads((tmp_path / "run" / "results.json").read_text())
    assert main(["report", "--store", str(store), "--out", str(tmp_path / "rep")]) == 0
    rebuilt = json.loads((tmp_path / "rep" / "results.json").read_text())
    assert [c["level"] for c in ran["claims"]] == [0.01, 0.01]
    assert ran["family_wise"] == rebuilt["family_wise"] == family_wise_sentence([0.01])
    assert "at level 0.01" in ran["family_wise"] and "over each claim's own rates" in ran["family_wise"]
    assert ran["family_wise"] in capsys.readouterr().out


def test_a_claim_judged_at_a_level_other_than_its_own_records_that_level():
    """calibrate --level (and RunOptions.level) judge at that level; the result used to state
    the claim's own level beside verdicts made at another."""
    from claimcheck.engine.discovery import load_file
    from claimcheck.stats.analyse import judge

    (claim,), _ = load_file(Path(__file__).resolve().parents[1] / "claims" / "classical_clt_mean.py")
    res = judge(claim, [], "quick", version="v", master_seed=0, level=0.01)
    assert claim.level == 0.05 and res.level == 0.01


def test_mixed_levels_are_named_each():
    assert "at each claim's level (0.01, 0.05)" in family_wise_sentence([0.05, 0.01, 0.05])
    assert "at level 0.05" in family_wise_sentence([])
