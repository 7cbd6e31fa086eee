"""Claims from installed packages (entry points), from any folder (--claims-dir), and
claims as pytest items (the pytest11 plugin)."""
import importlib
import json
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from claimcheck.engine import discovery
from claimcheck.commands.cli import main
from claimcheck.commands.runner import RunOptions, run

pytest_plugins = ["pytester"]

# a claim whose metric is exactly C N^a times lognormal noise (cheap, deterministic verdicts)
PLANTED = '''
import numpy as np
from claimcheck import Claim, Mutant, Rate

def simulate(point, rng):
    return {{"err": float(point["N"]) ** {true} * np.exp(0.1 * rng.standard_normal() - 0.005)}}

def broken(point, rng):
    return {{"err": float(point["N"]) ** {mutant} * np.exp(0.1 * rng.standard_normal() - 0.005)}}

claim = Claim(
    id="{id}", paper="planted", title="planted power law", statement="err ~ N^-1/2", source="reconstructed",
    grids={{"quick": {{"N": {grid}}}}}, replicates={{"quick": 40}},
    rates=[Rate(metric="err", axis="N", kind="tight", predicted={predicted}, tolerance=0.1)],
    simulate=simulate, mutants=[Mutant("wrong-rate", broken, "decays like N^{mutant}")],
)
'''


def planted(id, true=-0.5, predicted=-0.5, mutant=-0.2, grid=(16, 64, 256, 1024, 4096)):
    return PLANTED.format(id=id, true=true, predicted=predicted, mutant=mutant, grid=list(grid))


# -- entry points -----------------------------------------------------------------------

def make_installed_package(root: Path, entry_points: dict[str, str], files: dict[str, str]) -> str:
    """A package on ``root`` with a ``*.dist-info`` declaring entry points in the
    ``claimcheck.claims`` group: exactly what `pip install` leaves in site-packages,
    and what importlib.metadata reads from every sys.path entry."""
    name = root.name
    pkg = root / name
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    for fname, text in files.items():
        (pkg / fname).write_text(textwrap.dedent(text).replace("PKGNAME", name))
    dist = root / f"{name}-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[claimcheck.claims]\n" + "".join(f"{k} = {v.format(pkg=name)}\n" for k, v in entry_points.items()))
    return name


@pytest.fixture
def installed(tmp_path, monkeypatch):
    """Install a package providing claims (on a sys.path entry); removed afterwards."""
    made = []

    def install(entry_points, files):
        root = tmp_path / f"ccpkg_{uuid.uuid4().hex[:8]}"
        name = make_installed_package(root, entry_points, files)
        monkeypatch.syspath_prepend(str(root))  # also invalidates import caches
        monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]))
        made.append((name, root))
        return name, root

    yield install
    for name, root in made:
        for mod in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            del sys.modules[mod]
        for key in [k for k in discovery._loaded if k.startswith(str(root))]:
            del discovery._loaded[key]
    importlib.invalidate_caches()


MODEL = '''
import numpy as np

def planted_err(n, rng, exponent):
    return float(n) ** exponent * np.exp(0.1 * rng.standard_normal() - 0.005)
'''

PKG_CLAIMS = '''
from claimcheck import Claim, Mutant, Rate
from .model import planted_err          # a relative import: the claim lives in a real package

def simulate(point, rng):
    return {"err": planted_err(point["N"], rng, -0.5)}

def broken(point, rng):
    return {"err": planted_err(point["N"], rng, -0.2)}

claim = Claim(
    id="PKGNAME.planted", paper="planted", title="from an installed package", statement="err ~ N^-1/2",
    source="reconstructed", grids={"quick": {"N": [16, 64, 256, 1024, 4096]}}, replicates=40,
    rates=[Rate(metric="err", axis="N", kind="tight", predicted=-0.5, tolerance=0.1)],
    simulate=simulate, mutants=[Mutant("wrong-rate", broken, "N^-0.2")], batch_size=10,
)

def not_module_level():
    return [Claim(id="PKGNAME.hidden", paper="p", title="t", statement="s", source="reconstructed",
                  grids={"quick": {"N": [1, 2, 3]}}, replicates=2, rates=[Rate("err", "N", predicted=-1.0)],
                  simulate=simulate, mutants=[Mutant("m", broken)])]
'''


@pytest.mark.parametrize("jobs", [1, 2])
def test_entry_point_claim_from_installed_package_runs(installed, tmp_path, jobs):
    name, root = installed({"planted": "{pkg}.claims:claim"}, {"model.py": MODEL, "claims.py": PKG_CLAIMS})
    claims, errors = discovery.discover([])  # [] = no folders: entry points only
    assert errors == []
    assert [c.id for c in claims] == [f"{name}.planted"]
    assert Path(claims[0].module_file) == root / name / "claims.py"
    # the workers (spawned processes for jobs=2) re-import the claim from the package
    doc = run(RunOptions(patterns=[f"{name}.*"], claims_dirs=[tmp_path / "empty"], jobs=jobs, mutants=True,
                         store=tmp_path / "s.sqlite", out=tmp_path / "out", progress=False, artefacts=False)).document
    c = next(c for c in doc["claims"] if c["id"] == f"{name}.planted")
    assert c["verdict"] == "pass", c["reason"]
    assert c["mutants"][0]["caught"], c["mutants"][0]["reason"]


def test_entry_point_claim_listed_by_the_cli_in_a_fresh_process(installed, tmp_path):
    name, root = installed({"planted": "{pkg}.claims"},  # a module: every module-level Claim in it
                           {"model.py": MODEL, "claims.py": PKG_CLAIMS})
    out = subprocess.run([sys.executable, "-m", "claimcheck.commands.cli", "list", "--format", "json",
                          "--claims-dir", str(tmp_path / "none")],
                         capture_output=True, text=True, cwd=tmp_path, env=os.environ.copy(), timeout=120)
    listed = json.loads(out.stdout)
    assert f"{name}.planted" in [c["id"] for c in listed]
    assert not any(c["id"] == f"{name}.hidden" for c in listed)


def test_broken_and_unusable_entry_points_are_reported_not_fatal(installed, tmp_path):
    name, root = installed({"good": "{pkg}.claims:claim", "factory": "{pkg}.claims:not_module_level",
                            "broken": "{pkg}.boom", "empty": "{pkg}.model"},
                           {"model.py": MODEL, "boom.py": "raise RuntimeError('cannot import me')\n",
                            "claims.py": PKG_CLAIMS})
    claims, errors = discovery.discover([])
    assert [c.id for c in claims] == [f"{name}.planted"]
    reasons = {e.path: e.reason for e in errors}
    assert "RuntimeError: cannot import me" in reasons["entry point broken"]
    assert "not module-level" in reasons["entry point factory"]
    assert reasons["entry point empty"] == "provides no Claim"


def test_claims_dir_folder_is_discovered_listed_and_run(tmp_path, capsys):
    folder = tmp_path / "elsewhere" / "my_claims"
    folder.mkdir(parents=True)
    (folder / "far_claim.py").write_text(planted("far.planted"))
    assert main(["list", "--claims-dir", str(folder)]) == 0
    assert "far.planted" in capsys.readouterr().out
    code = main(["run", "far.*", "--claims-dir", str(folder), "--store", str(tmp_path / "s.sqlite"),
                 "--out", str(tmp_path / "out"), "--jobs", "1", "--no-progress", "--no-html", "--no-artefacts"])
    assert code == 0
    doc = json.loads((tmp_path / "out" / "results.json").read_text())
    assert [c["id"] for c in doc["claims"]] == ["far.planted"]
    assert doc["claims"][0]["verdict"] == "pass"


# -- pytest plugin ----------------------------------------------------------------------

@pytest.fixture
def claim_project(pytester):
    """A project with a test file and a claims folder: pass, fail, inconclusive, broken."""
    claims = pytester.mkdir("claims")
    (claims / "toy_pass.py").write_text(planted("toy.pass"))
    (claims / "toy_fail.py").write_text(planted("toy.fail", true=-0.5, predicted=-1.0))
    (claims / "toy_inconclusive.py").write_text(planted("toy.inconclusive", grid=(16, 17, 18)))  # too narrow to decide
    (claims / "toy_broken.py").write_text("import numpy as np\nclaim = undefined_name\n")
    pytester.makepyfile(test_ordinary="def test_ordinary():\n    assert True\n")
    return pytester


def test_plugin_is_inert_without_the_flag(claim_project):
    # the claims would fail; without --claimcheck they must not even be discovered
    claim_project.makepyfile(test_no_import="""
        import sys
        def test_nothing_imported():
            assert "claimcheck.engine.discovery" not in sys.modules
            assert "claimcheck.commands.runner" not in sys.modules
    """)
    res = claim_project.runpytest_subprocess("-p", "no:cacheprovider")
    res.assert_outcomes(passed=2)
    assert "claimcheck::" not in res.stdout.str()
    assert "plugins:" in res.stdout.str() and "claimcheck" in res.stdout.str()  # it is loaded, just inert


def test_plugin_collects_claims_as_items(claim_project):
    store = str(claim_project.path / "s.sqlite")  # inside the project: an outside path would move pytest's rootdir
    res = claim_project.runpytest("--claimcheck", "--claimcheck-store", store, "-rA")
    res.assert_outcomes(passed=2, failed=2, skipped=1)  # ordinary + toy.pass; toy.fail + broken file; inconclusive
    out = res.stdout.str()
    res.stdout.fnmatch_lines(["*claim toy.fail*", "*err~N: tight -1.000, measured -0.5*", "*FAILED claims/toy_fail.py::toy.fail*"])
    assert "NameError: name 'undefined_name' is not defined" in out
    assert "SKIPPED" in out and "inconclusive: err~N" in out
    # -k and --claimcheck-ids select claims; inconclusive as xfail
    res = claim_project.runpytest("--claimcheck", "--claimcheck-store", store, "-k", "toy and inconclusive",
                                  "--claimcheck-inconclusive", "xfail")
    res.assert_outcomes(xfailed=1, deselected=4)
    res = claim_project.runpytest("--claimcheck", "--claimcheck-store", store, "--claimcheck-ids", "toy.pass",
                                  "--claimcheck-mutants", "test_ordinary.py")
    # toy.pass and its mutant caught; the broken toy_*.py file still fails (it could hold toy.pass, as in `run`)
    res.assert_outcomes(passed=2, failed=1)
    res = claim_project.runpytest("--claimcheck", "--claimcheck-store", store, "--claimcheck-ids", "nothing.*")
    res.assert_outcomes(passed=1, failed=1)
    res.stdout.fnmatch_lines(["*no claim matches this id/glob*"])


def test_plugin_missed_mutant_fails_the_item(pytester):
    claims = pytester.mkdir("claims")
    (claims / "weak.py").write_text(planted("weak.check", mutant=-0.5))  # the "mutant" is the claim itself
    store = str(pytester.path / "s.sqlite")
    pytester.runpytest("--claimcheck", "--claimcheck-store", store).assert_outcomes(passed=1)
    res = pytester.runpytest("--claimcheck", "--claimcheck-store", store, "--claimcheck-mutants")
    res.assert_outcomes(failed=1)
    res.stdout.fnmatch_lines(["*mutant(s) not caught: wrong-rate*"])


def test_plugin_claims_dir_option_and_seed(pytester, tmp_path):
    other = tmp_path / "far"
    other.mkdir()
    (other / "far.py").write_text(planted("far.planted"))
    store = pytester.path / "s.sqlite"
    res = pytester.runpytest("--claimcheck", "--claimcheck-dir", str(other), "--claimcheck-store", str(store),
                             "--claimcheck-seed", "7", "-v")
    res.assert_outcomes(passed=1)
    res.stdout.fnmatch_lines(["*far.py::far.planted PASSED*"])
    import sqlite3
    seeds = {s for (s,) in sqlite3.connect(store).execute("SELECT DISTINCT master_seed FROM measurements")}
    assert seeds == {7}


def test_plugin_unknown_profile_is_a_usage_error(pytester):
    claims = pytester.mkdir("claims")
    (claims / "one.py").write_text(planted("one.planted"))
    res = pytester.runpytest("--claimcheck", "--claimcheck-profile", "fulll",
                             "--claimcheck-store", str(pytester.path / "s.sqlite"))
    assert res.ret == pytest.ExitCode.USAGE_ERROR
    res.stderr.fnmatch_lines(["*unknown profile 'fulll'*profiles are quick*"])
    assert not (pytester.path / "s.sqlite").exists()


def test_plugin_collects_claim_files_like_test_modules(claim_project):
    """pytest_collect_file: --collect-only lists each claim under its file, counts add up."""
    store = str(claim_project.path / "s.sqlite")
    res = claim_project.runpytest("--claimcheck", "--claimcheck-store", store, "--collect-only", "-q")
    out = res.stdout.str()
    for node in ("claims/toy_pass.py::toy.pass", "claims/toy_fail.py::toy.fail",
                 "claims/toy_inconclusive.py::toy.inconclusive", "claims/toy_broken.py::<toy_broken.py>",
                 "test_ordinary.py::test_ordinary"):
        assert node in out, out
    assert "5 tests collected" in out and "-1" not in out and "no tests collected" not in out
    res = claim_project.runpytest("--claimcheck", "--claimcheck-store", store, "--collect-only", "-q",
                                  "-m", "claimcheck", "-k", "pass")
    assert "claims/toy_pass.py::toy.pass" in res.stdout.str()
    assert "1/5 tests collected (4 deselected)" in res.stdout.str(), res.stdout.str()
