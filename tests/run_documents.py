"""Run documents for the output tests: one synthetic document with every outcome a run
can have (no simulation), and a real run of the toy claim."""
from __future__ import annotations

from pathlib import Path


def rate(label="err~N", verdict="pass", measured=-0.5, kind="tight", predicted=-0.5, tolerance=0.1, **extra) -> dict:
    d = {"label": label, "metric": "err", "axis": "N", "kind": kind, "statistic": "mean", "predicted": predicted,
         "describe": f"err ~ N^{predicted} ({kind})", "unit": None, "note": None, "p_fail": None,
         "detectable_deviation": None, "notes": [], "replicates_needed": None, "limit": None, "fit": None,
         "tolerance": tolerance, "heuristic": None, "measured": measured,
         "ci_low": None if measured is None else measured - 0.05, "ci_high": None if measured is None else measured + 0.05,
         "verdict": verdict, "reason": {"pass": "CI inside the band", "fail": "CI outside the band",
                                        "inconclusive": "CI straddles the band: too noisy to decide",
                                        "error": "fit failed"}[verdict]}
    d.update(extra)
    return d


def claim(cid, verdict, rates, reason=None, mutants=(), **extra) -> dict:
    d = {"id": cid, "paper": "Demo paper, Thm 1", "title": f"title of {cid}", "statement": "$x$", "source": "paper",
         "verdict": verdict, "reason": reason or f"{verdict} because", "rates": rates, "mutants": list(mutants),
         "compute_seconds": 1.25, "reused_measurements": 40, "file": f"/repo/claims/{cid.replace('.', '_')}.py",
         "grid": {"N": [16, 64]}, "replicates": 20, "measurements": [], "level": 0.05, "artefacts": [],
         "version": "v1", "profile": "quick", "master_seed": 0, "seeding": "", "params": {}, "calibration": {},
         "depends_on": {}}
    d.update(extra)
    return d


def every_outcome() -> dict:
    claims = [
        claim("demo.pass", "pass", [rate(), rate("m~N", kind="limit", predicted=0.0, tolerance=0.01, measured=0.004)]),
        claim("demo.fail", "fail", [rate(verdict="fail", measured=-0.2)], mutants=[
            {"name": "caught", "caught": True, "reason": "exponent outside", "description": "d", "measurements": [],
             "rates": [], "verdict": "fail"},
            {"name": "missed", "caught": False, "reason": "exponent inside the band", "description": "broken",
             "measurements": [], "rates": [], "verdict": "pass"},
            {"name": "unmeasured", "caught": False, "measured": False, "reason": "interrupted", "description": "d",
             "measurements": [], "rates": [], "verdict": "error"}]),
        claim("demo.error", "error", [], reason="ValueError: solver diverged at N=256"),
        claim("demo.incomplete", "inconclusive", [rate(verdict="inconclusive", measured=None)],
              reason="interrupted: 40 of 200 replicates measured", incomplete=True),
        claim("demo.inconclusive", "inconclusive", [rate(verdict="inconclusive", measured=-0.42)],
              reason="CI straddles the band: too noisy to decide"),
    ]
    document = {"schema": 1, "run_id": "20260102T030405-abcdef", "profile": "quick", "master_seed": 0, "level": 0.05,
                "family_wise": "fails confirmed by Holm-Bonferroni over 4 rate(s) at level 0.05; "
                               "mutants checked at the Bonferroni level 0.0125",
                "interrupted": False, "provenance": {"wall_time": 12.5, "computed": 300, "machine": {"node": "testhost"},
                                                     "git": {"commit": "0" * 40}, "scheduler": None, "jobs": 2,
                                                     "python": "3.11", "packages": {}},
                "claims": claims, "load_errors": [{"path": "/repo/claims/broken_claim.py", "reason": "SyntaxError (line 3)"}],
                "messages": []}
    from claimcheck.report.outputs import summarize
    document["summary"] = summarize(document)
    return document


def toy_run_document(tmp_path: Path, mutants: bool = True) -> dict:
    from conftest import write_toy

    from claimcheck.commands.runner import RunOptions, run

    claims = tmp_path / "claims"
    write_toy(claims, reps=40)
    opts = RunOptions(seed=0, jobs=1, mutants=mutants, out=tmp_path / "out", store=tmp_path / "store.sqlite",
                      claims_dirs=[claims], progress=False, artefacts=False)
    return run(opts).document
