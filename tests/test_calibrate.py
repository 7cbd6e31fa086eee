"""`claimcheck calibrate`: false-fail rates and exponent spreads over master seeds, from the store."""
import json
import math

import numpy as np
import pytest
from scipy import stats

from claimcheck.commands.calibrate import CalibrateOptions, calibrate_claims, wilson_upper
from claimcheck.commands.cli import main
from claimcheck.engine.discovery import claim_version, load_file
from claimcheck.commands.scaffold import check_claim_file

NOISE = 0.2
REPS = 30
GRID = [16, 64, 256, 1024, 4096]

PLANTED = '''
import numpy as np
from claimcheck import Claim, Mutant, Rate

def simulate(point, rng):
    # mean exactly N^{true}; lognormal noise of log-sd {noise}
    return {{"err": float(point["N"]) ** {true} * np.exp({noise} * rng.standard_normal() - {noise} ** 2 / 2)}}

def broken(point, rng):
    return {{"err": float(point["N"]) ** -0.3 * np.exp({noise} * rng.standard_normal())}}

claim = Claim(
    id="{id}", paper="planted", title="planted power law", statement="err ~ N^-1/2", source="reconstructed",
    grids={{"quick": {{"N": {grid}}}}}, replicates={{"quick": {reps}}},
    rates=[Rate(metric="err", axis="N", kind="tight", predicted=-0.5, tolerance={tol})],
    simulate=simulate, mutants=[Mutant("too-slow", broken, "N^-0.3")], batch_size={reps},
)
'''


def write(folder, id, true=-0.5, tol=0.1):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (id.replace(".", "_").replace("-", "_") + ".py")
    path.write_text(PLANTED.format(id=id, true=true, noise=NOISE, grid=GRID, reps=REPS, tol=tol))
    return path


def opts(tmp_path, folder, pattern, **kw):
    base = dict(patterns=[pattern], seeds=20, jobs=1, store=tmp_path / "s.sqlite", claims_dirs=[folder],
                out=tmp_path / "cal", progress=False)
    base.update(kw)
    return CalibrateOptions(**base)


def test_true_claim_exponent_spread_matches_theory_and_store_is_reused(tmp_path):
    folder = tmp_path / "claims"
    write(folder, "planted.ok")
    [doc] = calibrate_claims(opts(tmp_path, folder, "planted.ok", mutants=True))
    s = doc["summary"]
    assert s["seeds"] == 20 and sum(s["verdicts"].values()) == 20
    assert s["false_fail_rate"] == s["verdicts"]["fail"] / 20
    assert s["inconclusive_rate"] == s["verdicts"]["inconclusive"] / 20
    # a correct claim with a well-sized sweep: almost never fails
    assert s["verdicts"]["fail"] <= 2
    # the spread of the measured exponent over seeds is the sampling error of the fit:
    # log(mean of REPS lognormals) has sd ~ sqrt(exp(s^2) - 1)/sqrt(REPS); OLS slope on log N
    u = np.log(GRID)
    sd_theory = math.sqrt(math.exp(NOISE**2) - 1) / math.sqrt(REPS) / math.sqrt(((u - u.mean()) ** 2).sum())
    r = s["rates"]["err~N"]
    assert 0.6 * sd_theory < r["measured_sd"] < 1.6 * sd_theory  # chi2 with 19 dof: well inside
    assert abs(r["measured_mean"] + 0.5) < 4 * sd_theory / math.sqrt(20)
    # detectable deviation = tolerance + k se, k from the decision rule itself (failed with 80%
    # probability, averaging over whether chi2 widens the CI); the old "tolerance + CI half-width"
    # was failed only ~50% of the time (issue 11). With the fit's own se ~ sd_theory:
    from types import SimpleNamespace
    from claimcheck.stats.verdict import detect_multiplier
    k = detect_multiplier(SimpleNamespace(dof=len(GRID) - 2, n_replicates=REPS), 0.05)
    assert 2.8 < k < 5.0  # > z_0.975 + z_0.8 = 2.8: misfit widening and t quantiles cost power
    assert 0.7 * k * sd_theory < r["detectable_deviation_median"] - 0.1 < 1.4 * k * sd_theory
    # and it exceeds the CI half-width (a deviation at the half-width is failed only ~half the time)
    assert r["detectable_deviation_median"] - 0.1 > r["ci_half_width_median"]
    assert r["ci_half_width_over_z_sd"] > 0.8
    assert s["mutants"]["too-slow"]["catch_rate"] == 1.0
    rec = doc["record"]
    assert rec["profile"] == "quick" and rec["seeds"] == 20 and rec["exponent_sd"]["err~N"] == pytest.approx(r["measured_sd"], abs=1e-4)
    assert doc["timing"]["computed"] == 20 * 2 * len(GRID) * REPS and doc["timing"]["reused"] == 0

    # a second calibration reuses every stored measurement; more seeds compute only the new ones
    [again] = calibrate_claims(opts(tmp_path, folder, "planted.ok", mutants=True))
    assert again["timing"]["computed"] == 0 and again["summary"] == s
    [more] = calibrate_claims(opts(tmp_path, folder, "planted.ok", seeds=22))
    assert more["timing"]["computed"] == 2 * len(GRID) * REPS
    assert [d["verdict"] for d in more["per_seed"][:20]] == [d["verdict"] for d in doc["per_seed"]]


def test_a_check_that_is_too_strict_shows_a_high_false_fail_rate(tmp_path):
    """A pre-asymptotic bias of -0.06 against a tolerance of 0.02: the calibration exposes it."""
    folder = tmp_path / "claims"
    write(folder, "planted.strict", true=-0.56, tol=0.02)
    [doc] = calibrate_claims(opts(tmp_path, folder, "planted.strict"))
    assert doc["summary"]["false_fail_rate"] >= 0.5
    assert doc["summary"]["false_fail_rate_upper95"] >= doc["summary"]["false_fail_rate"]


def test_cli_writes_json_and_records_the_calibration_beside_the_claim_file(tmp_path, capsys):
    from claimcheck.stats.calibration_records import load_record, record_path, status

    folder = tmp_path / "claims"
    path = write(folder, "planted.rec")
    source = path.read_text()
    [claim], _ = load_file(path)
    version_before = claim_version(claim)
    args = ["calibrate", "planted.rec", "--seeds", "3", "--claims-dir", str(folder), "--store", str(tmp_path / "s.sqlite"),
            "--out", str(tmp_path / "cal"), "--jobs", "1", "--no-progress"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "verdicts over 3 seeds" in out and "--record" in out
    doc = json.loads((tmp_path / "cal" / "planted.rec-quick.json").read_text())
    assert doc["claim_id"] == "planted.rec" and doc["master_seeds"] == [0, 1, 2] and len(doc["per_seed"]) == 3
    assert status(claim) == ("missing", None)

    assert main(args + ["--record"]) == 0
    assert f"recorded the calibration in {record_path(path)}" in capsys.readouterr().out
    assert path.read_text() == source                        # the claim file is not edited
    rec = load_record(claim, "quick")
    assert rec["seeds"] == 3 and rec["claim_version"] == version_before and 0 <= rec["false_fail_rate"] <= 1
    assert status(claim)[0] == "current"
    res = check_claim_file(path)
    assert res.ok, res.errors
    assert not any("calibrat" in w for w in res.warnings), res.warnings
    assert claim_version(claim) == version_before
    assert main(args + ["--record"]) == 0
    assert "measured 0 replicate(s)" in capsys.readouterr().out
    # a change to the claim makes the record stale, and check-claim says so
    path.write_text(source.replace("def simulate(", "# a new model\ndef simulate(", 1).replace(
        "np.exp(", "1.0 * np.exp(", 1))
    res = check_claim_file(path)
    assert any("calibration record is stale" in w for w in res.warnings), res.warnings


def test_unknown_claim_is_a_one_line_error(tmp_path, capsys):
    assert main(["calibrate", "no.such-claim", "--claims-dir", str(tmp_path), "--store", str(tmp_path / "s.sqlite")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("claimcheck: error: no claim matches no.such-claim") and err.count("\n") == 1


def test_wilson_upper_bound():
    for k, n in [(0, 20), (1, 20), (5, 40)]:
        hi = stats.binomtest(k, n).proportion_ci(confidence_level=0.90, method="wilson").high
        assert wilson_upper(k, n) == pytest.approx(hi, rel=1e-9)


def _paper_patterns():
    """One pattern per paper key of the shipped claims (``claims/<key>_*.py``), so a new
    paper's claims are held to the same record without editing this list."""
    from conftest import ROOT

    keys = sorted({p.name.split("_")[0] for p in (ROOT / "claims").glob("*.py") if not p.name.startswith("_")})
    return [f"{k}_*.py" for k in keys]


@pytest.mark.parametrize("pattern", _paper_patterns())
def test_shipped_claims_record_a_measured_calibration(pattern):
    from claimcheck.stats.calibration_records import status
    from conftest import ROOT

    files = sorted((ROOT / "claims").glob(pattern))
    assert files
    for path in files:
        res = check_claim_file(path)
        assert res.ok, res.errors
        for c in res.claims:
            assert not c.calibration, "calibration records live beside the claim file, not in it"
            state, cal = status(c, "quick")
            assert state == "current", (c.id, state)
            assert cal.get("profile") == "quick" and cal.get("seeds", 0) >= 10, (c.id, cal)
            assert 0 <= cal["false_fail_rate"] <= 1 and "inconclusive_rate" in cal and "measured" in cal
            assert set(cal["exponent_sd"]) == {r.label for r in c.rates}
            assert cal["replicates"] == c.n_replicates("quick")  # calibrated at the shipped sweep size
