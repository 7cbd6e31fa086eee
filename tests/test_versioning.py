"""A claim version covers everything its measurements depend on (issue: nothing stale).

Each kind of dependency is edited and the stored rows must be recomputed; a pinned
``version=`` keeps them; a profile is resolved by name before anything is written.
"""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from claimcheck.engine import discovery, versioning
from claimcheck.engine.discovery import load_file
from claimcheck.engine.versioning import claim_version, dependencies

from test_plugins import installed  # noqa: F401 - the fixture that installs a claims package

HELPER = '''
import numpy as np

EXPONENT = -0.5

def draw_err(n, rng):
    return float(n) ** EXPONENT * np.exp(0.1 * rng.standard_normal() - 0.005)
'''

CLAIM_WITH_HELPER = '''
"""A claim whose model lives in a helper next to it."""
from claimcheck import Claim, Mutant, Rate
import _mymodel


def simulate(point, rng):
    return {"err": _mymodel.draw_err(point["N"], rng)}


def broken(point, rng):
    return {"err": 3 * _mymodel.draw_err(point["N"], rng) ** 0.4}


claim = Claim(
    id="helper.planted", paper="planted", title="model in a sibling helper", statement="err ~ N^-1/2",
    source="reconstructed", grids={"quick": {"N": [16, 64, 256, 1024]}, "full": {"N": [16, 64, 256, 1024, 4096]}},
    replicates={"quick": 12, "full": 20},
    rates=[Rate(metric="err", axis="N", kind="tight", predicted=-0.5, tolerance=0.1)],
    simulate=simulate, mutants=[Mutant("wrong-rate", broken, "N^-0.2")],VERSION
)
'''


def _claims_dir(tmp_path, version=""):
    d = tmp_path / "claims"
    d.mkdir()
    (d / "_mymodel.py").write_text(textwrap.dedent(HELPER))
    (d / "helper_claim.py").write_text(CLAIM_WITH_HELPER.replace("VERSION", version))
    return d


def _cli(tmp_path, *args):
    """claimcheck in a fresh process, as a user runs it after editing a file."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(__file__).resolve().parents[1]),
                                                      os.environ.get("PYTHONPATH", "")]))
    quiet = ["--no-progress", "--no-html", "--no-artefacts"] if args[0] == "run" else []
    return subprocess.run([sys.executable, "-m", "claimcheck.commands.cli", *args, *quiet], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)


def _version_of(path):
    claims, errors = load_file(path)
    assert errors == [], errors
    return claim_version(claims[0])


def test_claim_imports_its_sibling_helper_without_sys_path_edits(tmp_path):
    d = _claims_dir(tmp_path)
    claims, errors = load_file(d / "helper_claim.py")
    assert errors == []
    assert "_mymodel" in dependencies(claims[0])
    assert dependencies(claims[0])["_mymodel"] == (d / "_mymodel.py").resolve()


@pytest.mark.slow
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_editing_a_sibling_helper_recomputes_every_row(tmp_path, jobs):
    d = _claims_dir(tmp_path)
    first = _cli(tmp_path, "run", "helper.*", "--claims-dir", str(d), "--jobs", jobs)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "could not load" not in first.stdout
    # break the model in the helper: the stored rows must not be reused
    (d / "_mymodel.py").write_text(textwrap.dedent(HELPER).replace("EXPONENT = -0.5", "EXPONENT = -0.2"))
    second = _cli(tmp_path, "run", "helper.*", "--claims-dir", str(d), "--jobs", jobs)
    assert second.returncode == 1, second.stdout + second.stderr   # the broken model fails
    from claimcheck.engine.store import Store
    store = Store(tmp_path / "reports" / "claimcheck.sqlite")
    versions = {r[0] for r in store.db.execute("SELECT DISTINCT claim_version FROM measurements")}
    assert len(versions) == 2                                        # two versions, each fully measured
    counts = [store.db.execute("SELECT COUNT(*) FROM measurements WHERE claim_version=?", (v,)).fetchone()[0]
              for v in versions]
    assert counts == [48, 48]


def test_editing_an_entry_point_packages_model_changes_the_version(installed, tmp_path):  # noqa: F811
    from test_plugins import MODEL, PKG_CLAIMS

    name, root = installed({"planted": "{pkg}.claims:claim"}, {"model.py": MODEL, "claims.py": PKG_CLAIMS})
    claims, errors = discovery.discover([])
    claim = next(c for c in claims if c.id == f"{name}.planted")
    assert f"{name}.model" in dependencies(claim)
    before = claim_version(claim)
    (root / name / "model.py").write_text(textwrap.dedent(MODEL).replace("0.005", "0.006"))
    assert claim_version(claim) != before


def test_editing_claimchecks_measuring_code_changes_the_version(tmp_path, monkeypatch):
    """claimcheck.metrics (what a W1 claim computes), claim, seeding and sweep are hashed
    (every measuring function: tests/test_version_mutations.py)."""
    root = Path(__file__).resolve().parents[1]
    claims, _ = load_file(root / "claims" / "classical_w1_empirical.py")
    claim = claims[0]
    deps = dependencies(claim)
    for name in ("claimcheck.metrics", "claimcheck.claim", "claimcheck.engine.seeding", "claimcheck.engine.sweep"):
        assert name in deps, name
    assert "claimcheck.stats.verdict" not in deps and "claimcheck.report" not in deps   # analysis is not measurement
    assert "claimcheck.ratekinds" not in deps                                            # nor is judging a rate
    before = claim_version(claim)
    # edit a copy of metrics.py standing in for the installed one
    copy = tmp_path / "metrics.py"
    copy.write_text(deps["claimcheck.metrics"].read_text() + "\nAN_EDIT = 1\n")
    real_origin = versioning._origin
    monkeypatch.setattr(versioning, "_origin", lambda n: copy if n == "claimcheck.metrics" else real_origin(n))
    assert claim_version(claim) != before
    monkeypatch.setattr(versioning, "_origin", real_origin)
    assert claim_version(claim) == before


def test_a_lazy_import_inside_simulate_is_a_dependency(tmp_path):
    d = tmp_path / "claims"
    d.mkdir()
    (d / "_lazy.py").write_text(textwrap.dedent(HELPER))
    (d / "lazy_claim.py").write_text(CLAIM_WITH_HELPER.replace("VERSION", "").replace("import _mymodel\n", "").replace(
        'def simulate(point, rng):\n', 'def simulate(point, rng):\n    import _lazy as _mymodel\n').replace(
        'id="helper.planted"', 'id="lazy.planted"').replace(
        'def broken(point, rng):\n', 'def broken(point, rng):\n    import _lazy as _mymodel\n'))
    before = _version_of(d / "lazy_claim.py")
    (d / "_lazy.py").write_text(textwrap.dedent(HELPER) + "\nSHIFT = 1\n")
    assert claim_version(load_file(d / "lazy_claim.py")[0][0]) != before


def test_an_explicit_version_keeps_stored_rows_through_edits(tmp_path):
    d = _claims_dir(tmp_path, version='\n    version="2026-11-30",')
    path = d / "helper_claim.py"
    before = _version_of(path)
    (d / "_mymodel.py").write_text(textwrap.dedent(HELPER).replace("EXPONENT = -0.5", "EXPONENT = -0.2"))
    path.write_text(path.read_text().replace("3 * _mymodel", "4 * _mymodel"))
    assert claim_version(load_file(path)[0][0]) == before
    # bumping the string is how the author says the measurements changed
    path.write_text(path.read_text().replace("2026-11-30", "2026-12-01"))
    discovery._loaded.pop(str(path.resolve()), None)
    assert claim_version(load_file(path)[0][0]) != before


def test_without_a_version_prose_edits_keep_the_version_and_code_edits_move_it(tmp_path, monkeypatch):
    monkeypatch.delitem(sys.modules, "_mymodel", raising=False)   # another test's helper of that name
    d = _claims_dir(tmp_path)
    path = d / "helper_claim.py"
    helper = d / "_mymodel.py"
    before = _version_of(path)
    path.write_text(path.read_text().replace('"""A claim whose', '"""Edited docstring: a claim whose').replace(
        "def broken(point, rng):\n", 'def broken(point, rng):\n    """An added docstring."""  # and a comment\n'))
    assert dependencies(load_file(path)[0][0])["_mymodel"] == helper.resolve()
    helper.write_text('"""An added module docstring."""\n# a comment\n\n' + helper.read_text())
    assert claim_version(load_file(path)[0][0]) == before
    path.write_text(path.read_text().replace("3 * _mymodel", "4 * _mymodel"))
    assert claim_version(load_file(path)[0][0]) != before
    path.write_text(path.read_text().replace("4 * _mymodel", "3 * _mymodel"))
    assert claim_version(load_file(path)[0][0]) == before
    helper.write_text(helper.read_text().replace("- 0.005", "- 0.006"))
    assert claim_version(load_file(path)[0][0]) != before


def test_unknown_profile_is_a_usage_error_and_writes_nothing(tmp_path):
    d = _claims_dir(tmp_path)
    res = _cli(tmp_path, "run", "helper.*", "--claims-dir", str(d), "--profile", "nosuch")
    assert res.returncode == 2, res.stdout + res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "nosuch" in lines[0] and "quick, full" in lines[0], res.stderr
    assert not (tmp_path / "reports").exists()          # no store, no report


def test_unknown_profile_in_calibrate_and_pytest_plugin(tmp_path, capsys):
    from claimcheck.commands.cli import main

    d = _claims_dir(tmp_path)
    code = main(["calibrate", "helper.*", "--claims-dir", str(d), "--profile", "fulll", "--seeds", "2",
                 "--store", str(tmp_path / "s.sqlite"), "--out", str(tmp_path / "cal")])
    assert code == 2 and "fulll" in capsys.readouterr().err
    assert not (tmp_path / "s.sqlite").exists()


def test_replicates_must_name_every_profile(tmp_path):
    d = tmp_path / "claims"
    d.mkdir()
    (d / "_mymodel.py").write_text(textwrap.dedent(HELPER))
    (d / "c.py").write_text(CLAIM_WITH_HELPER.replace("VERSION", "").replace(
        'replicates={"quick": 12, "full": 20}', 'replicates={"quick": 12}'))
    claims, errors = load_file(d / "c.py")
    assert claims == [] and "no count for profile(s) 'full'" in errors[0].reason


def test_provenance_records_the_numerical_libraries_and_blas():
    from claimcheck.engine import provenance

    p = provenance.collect()
    assert {"numpy", "scipy", "statsmodels", "pot"} <= set(p["packages"])
    assert "env" in p["blas"]


@pytest.mark.slow
def test_check_claim_and_dask_workers_import_the_sibling_helper(tmp_path):
    d = _claims_dir(tmp_path)
    res = _cli(tmp_path, "check-claim", str(d / "helper_claim.py"))
    assert res.returncode == 0, res.stdout + res.stderr
    distributed = pytest.importorskip("distributed")
    from claimcheck.commands.runner import RunOptions, run

    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cl:
        doc = run(RunOptions(claims_dirs=[d], store=tmp_path / "s.sqlite", out=tmp_path / "out", progress=False,
                             artefacts=False, scheduler=cl.scheduler_address)).document
    assert doc["claims"][0]["verdict"] == "pass", doc["claims"][0]["reason"]
    assert "_mymodel" in doc["claims"][0]["depends_on"]


def test_a_time_limit_is_plan_only(tmp_path):
    d = _claims_dir(tmp_path)
    path = d / "helper_claim.py"
    before = _version_of(path)
    path.write_text(path.read_text().replace('    simulate=simulate,', '    timeout=30.0,\n    simulate=simulate,'))
    assert "timeout=30.0" in path.read_text()
    assert claim_version(load_file(path)[0][0]) == before
