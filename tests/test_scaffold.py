"""`claimcheck new` writes a working claim; `claimcheck check-claim` validates without running."""
import json
import textwrap

import pytest

from claimcheck.commands.cli import main
from claimcheck.commands.runner import RunOptions, run
from claimcheck.commands.scaffold import ScaffoldError, check_claim_file, names, new_claim

from conftest import ROOT


def test_names_follow_the_convention():
    assert names("sirignano2020", "lln") == ("sirignano2020.lln", "sirignano2020_lln.py")
    assert names("lam2023", "memory_clt") == ("lam2023.memory-clt", "lam2023_memory_clt.py")
    for bad_key in ("Lam2023", "2023lam", "lam.2023", "lam 2023", ""):
        with pytest.raises(ScaffoldError, match="paper key"):
            names(bad_key, "x")
    with pytest.raises(ScaffoldError, match="claim name"):
        names("lam2023", "Memory CLT")


def test_new_claim_validates_runs_passes_catches_its_mutant_and_is_reported(tmp_path, capsys):
    """What a new user does, following the guide: new -> check-claim -> run -> report."""
    claims = tmp_path / "claims"
    assert main(["new", "newpaper2025", "mean-error", "--dir", str(claims)]) == 0
    out = capsys.readouterr().out
    path = claims / "newpaper2025_mean_error.py"
    assert f"created {path} (claim newpaper2025.mean-error)" in out
    text = path.read_text()
    assert 'id="newpaper2025.mean-error"' in text and "__" not in text.replace("__init__", "")
    for field in ("id=", "paper=", "title=", "statement=", "source=", "grids=", "replicates=", "rates=",
                  "simulate=", "mutants=", "batched=", "common_random_numbers=", "reference=", "batch_size=",
                  "params=",
                  "reducers=", "artefacts=", "level="):
        assert f"    {field}" in text, f"template does not show {field}"

    assert main(["check-claim", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"{path}: ok: newpaper2025.mean-error: 1 rate(s), 1 mutant(s)" in out
    assert "still contain TODO" in out  # a warning, not an error

    code = main(["run", "newpaper2025.*", "--claims-dir", str(claims), "--mutants", "--jobs", "1",
                 "--store", str(tmp_path / "s.sqlite"), "--out", str(tmp_path / "out"), "--no-progress"])
    assert code == 0
    doc = json.loads((tmp_path / "out" / "results.json").read_text())
    [c] = doc["claims"]
    assert c["id"] == "newpaper2025.mean-error" and c["verdict"] == "pass", c["reason"]
    assert c["mutants"][0]["name"] == "biased-law" and c["mutants"][0]["caught"], c["mutants"][0]["reason"]
    assert "newpaper2025.mean-error" in (tmp_path / "out" / "summary.md").read_text()
    assert "newpaper2025.mean-error" in (tmp_path / "out" / "index.html").read_text()


def test_new_refuses_to_overwrite_or_reuse_an_id(tmp_path, capsys):
    claims = tmp_path / "claims"
    new_claim("p2020", "x", claims)
    assert main(["new", "p2020", "x", "--dir", str(claims)]) == 2
    assert "exists already (use --force to overwrite)" in capsys.readouterr().err
    (claims / "p2020_x.py").rename(claims / "other_name.py")
    with pytest.raises(ScaffoldError, match="already used in"):
        new_claim("p2020", "x", claims)
    assert main(["new", "P2020", "x", "--dir", str(claims)]) == 2
    assert capsys.readouterr().err.count("\n") == 1  # one line


BASE = '''
import numpy as np
from claimcheck import Claim, Mutant, Rate

def simulate(point, rng):
    return {{"err": float(point["N"]) ** -0.5}}

def broken(point, rng):
    return {{"err": 1.0}}

claim = Claim(
    id="bad.claim", paper="p", title="t", statement="s", source={source},
    grids={{"quick": {{"N": {grid}}}}}, replicates=10,
    rates=[Rate(metric="err", axis="N", kind="tight", predicted=-0.5)],
    simulate={simulate}, mutants=[Mutant("m", broken)], calibration={calibration},
)
'''


def claim_text(source='"paper"', grid="[1, 2, 4, 8]", simulate="simulate", calibration="{}"):
    return BASE.format(source=source, grid=grid, simulate=simulate, calibration=calibration)


@pytest.mark.parametrize("body, message", [
    ("def f(:\n", "syntax error at line 1"),
    ("import numpy\nx = 1\n", "defines no Claim"),
    ("import not_a_module_anywhere\n", "ModuleNotFoundError: No module named 'not_a_module_anywhere' (line 1)"),
    (claim_text(source='"made-up"'), "invalid claim: claim 'bad.claim': `source` must be one of"),
    (claim_text(simulate="lambda point: {}"), "simulate must take 2 positional argument(s) (point, rng)"),
    (claim_text(grid="[1, 2]"), "only 2 value(s) of 'N' in grid 'quick' are fitted; a verdict needs >= 3"),
    (claim_text(grid="[0, 1, 2, 4]"), "must be positive (the fit is on log(N))"),
    (claim_text(grid="['a', 'b', 'c']"), "must hold finite numbers"),
    (claim_text(calibration='{"profile": "quick", "seeds": 20, "false_fail_rate": 2}'), "false_fail_rate must be in [0, 1]"),
    (claim_text() + "\nclaim2 = Claim(**{k: getattr(claim, k) for k in ('id', 'paper', 'title', 'statement', 'source', "
                    "'grids', 'replicates', 'rates', 'simulate', 'mutants')})\n", "claim id 'bad.claim' is defined twice"),
])
def test_check_claim_reports_each_problem_in_one_line(tmp_path, capsys, body, message):
    path = tmp_path / "bad_claim.py"
    path.write_text(textwrap.dedent(body))
    assert main(["check-claim", str(path)]) == 1
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if ": error: " in line]
    assert errors and all(line.startswith(f"{path}: error: ") for line in errors)
    assert any(message in line for line in errors), err


def test_check_claim_never_runs_the_simulation(tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "bad_claim.py"
    path.write_text(claim_text().replace('return {"err": float(point["N"]) ** -0.5}',
                                         f'open({str(marker)!r}, "w").close(); return {{"err": 1.0}}'))
    res = check_claim_file(path)
    assert res.ok, res.errors
    assert not marker.exists()


def test_check_claim_sees_edits_to_the_same_file(tmp_path):
    path = tmp_path / "bad_claim.py"
    path.write_text(claim_text(grid="[1, 2]"))
    assert not check_claim_file(path).ok
    path.write_text(claim_text())
    import os
    os.utime(path, ns=(1, 10**18))  # a distinct mtime even on coarse clocks
    assert check_claim_file(path).ok


@pytest.mark.slow   # loads and checks every shipped claim file (5.1 s); test_conformance covers them in the default suite
def test_every_shipped_claim_passes_check_claim(capsys):
    files = sorted(str(p) for p in (ROOT / "claims").glob("*.py") if not p.name.startswith("_"))
    assert files
    code = main(["check-claim", *files])
    captured = capsys.readouterr()
    assert code == 0, captured.err


def test_run_of_the_generated_claim_is_reproducible_from_the_store(tmp_path):
    claims = tmp_path / "claims"
    new_claim("newpaper2025", "mean-error", claims)
    opts = dict(patterns=["newpaper2025.*"], claims_dirs=[claims], jobs=1, store=tmp_path / "s.sqlite",
                out=tmp_path / "out", progress=False, artefacts=False)
    first = run(RunOptions(**opts))
    again = run(RunOptions(**opts))
    assert first.computed > 0 and again.computed == 0
    assert first.document["claims"][0]["rates"][0]["measured"] == again.document["claims"][0]["rates"][0]["measured"]


def test_check_claim_wants_the_reference_argument_when_the_claim_has_a_reference():
    from claimcheck import Claim, Mutant, Rate
    from claimcheck.commands.scaffold import check_claim_object

    def ref(point, rngs):
        return [0.0 for _ in rngs]

    def two(point, rng):
        return {"err": 1.0}

    def three(point, rng, ref):
        return {"err": 1.0}

    common = dict(id="x.y", paper="p", title="t", statement="s", source="paper", grids={"quick": {"N": [1, 2, 3]}},
                  replicates=4, rates=[Rate(metric="err", axis="N", predicted=-0.5)], reference=ref,
                  common_random_numbers=True)
    errors, _ = check_claim_object(Claim(simulate=two, mutants=[Mutant("m", three)], **common))
    assert any("simulate must take 3 positional argument(s) (point, rng, ref)" in e for e in errors), errors
    errors, _ = check_claim_object(Claim(simulate=three, mutants=[Mutant("m", three)], **common))
    assert not errors, errors
