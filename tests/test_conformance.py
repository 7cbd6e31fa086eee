"""Every shipped claim passes the conformance checks (claimcheck.commands.conformance), and each
check catches the defect it is about."""
import textwrap
from pathlib import Path

import pytest

from claimcheck.commands.conformance import check_claim
from claimcheck.engine.discovery import discover, load_file

ROOT = Path(__file__).resolve().parents[1]
SHIPPED, LOAD_ERRORS = discover([ROOT / "claims"], entry_points=False)


def test_shipped_claims_load():
    assert LOAD_ERRORS == [] and len(SHIPPED) >= 20


# claims whose checks take seconds (measured: bounded-weights 78 s for the five simulations the
# checks make; 2026-12-06 on an idle machine, poisson-fluctuations 10.9 s, time-discretisation
# 6.0 s, training-coupling 5.6 s, every other claim <= 1.1 s); CI runs them with the slow tests
SLOW = {"agazzi2023.bounded-weights", "lam2023.poisson-fluctuations", "agazzi2023.time-discretisation",
        "agazzi2023.training-coupling"}


@pytest.mark.parametrize("claim", [pytest.param(c, id=c.id, marks=[pytest.mark.slow] if c.id in SLOW else [])
                                   for c in SHIPPED])
def test_shipped_claim_conforms(claim):
    assert check_claim(claim) == []


BASE = '''
import numpy as np
from claimcheck import Claim, Mutant, Rate

{body}

claim = Claim(
    id="bad.{name}", paper="p", title="t", statement="s", source="reconstructed",
    grids={{"quick": {{"N": [16, 64, 256, 1024]}}}}, replicates={{"quick": 8}},
    rates=[Rate(metric="err", axis="N", predicted=-0.5)], {fields}
    mutants=[Mutant("m", {mutant})],
)
'''

CASES = {
    "same_seed": ("COUNT = [0]\ndef sim(point, rng):\n    COUNT[0] += 1\n"
                  "    return {'err': rng.random() + COUNT[0]}", "simulate=sim,", "sim"),
    "batch_single": ("def simb(point, rngs):\n    return [{'err': g.random() + len(rngs)} for g in rngs]",
                     "simulate_batch=simb,", "None, simulate_batch=simb"),
    "missing_metric": ("def sim(point, rng):\n    return {'other': rng.random()}", "simulate=sim,", "sim"),
    "non_finite": ("def sim(point, rng):\n    return {'err': float('nan') if point['N'] == 16 else rng.random()}",
                   "simulate=sim,", "sim"),
    "rng_unused": ("def sim(point, rng):\n    return {'err': 1.0 / point['N']}", "simulate=sim,", "sim"),
}


@pytest.mark.parametrize("name,expected", [
    ("same_seed", "check_same_seed_same_metrics"), ("batch_single", "check_batch_equals_single"),
    ("missing_metric", "check_metrics_present_and_finite"), ("non_finite", "check_metrics_present_and_finite"),
    ("rng_unused", "check_replicates_differ"),
])
def test_each_check_catches_its_defect(tmp_path, name, expected):
    body, fields, mutant = CASES[name]
    path = tmp_path / f"bad_{name}.py"
    path.write_text(BASE.format(body=textwrap.dedent(body), name=name.replace("_", "-"), fields=fields, mutant=mutant))
    claims, errors = load_file(path)
    assert errors == []
    failures = check_claim(claims[0])
    assert any(f.startswith(expected) for f in failures), failures


def test_check_claim_smoke_runs_the_conformance_checks(tmp_path, capsys):
    from claimcheck.commands.cli import main

    good = ROOT / "claims" / "classical_clt_mean.py"
    assert main(["check-claim", "--smoke", str(good)]) == 0
    assert "smoke: classical.clt-mean: conforms" in capsys.readouterr().out
    body, fields, mutant = CASES["rng_unused"]
    bad = tmp_path / "bad_rng.py"
    bad.write_text(BASE.format(body=body, name="rng-unused", fields=fields, mutant=mutant))
    assert main(["check-claim", "--smoke", str(bad)]) == 1
    assert "check_replicates_differ" in capsys.readouterr().err


def test_check_claim_warns_on_math_the_report_cannot_render(tmp_path, capsys):
    from claimcheck.commands.cli import main

    body, fields, mutant = CASES["rng_unused"]
    path = tmp_path / "bad_math.py"
    path.write_text(BASE.format(body=body, name="math", fields=fields, mutant=mutant).replace(
        'statement="s"', 'statement=r"err $\\\\frac{{1}{{N$ decays"'))
    main(["check-claim", str(path)])
    out = capsys.readouterr()
    assert "math the report cannot render" in out.out + out.err, out
