"""The engine hands the stats layer typed values (issue 25, item 4), and the profile is
checked at the entry point, not again inside the judge (item 2).

- the store returns :class:`claimcheck.engine.measurement.Measurement` values whose
  ``status`` names what became of a measurement (ok, error, timeout, died, failed,
  skipped); the schema and the stored bytes are as before;
- a timeout or a dead worker reaches the verdict through that status: the judge never
  reads a message's first words;
- the profile is checked once per entry point; per claim only where the hashed code
  (claim validation, the sweep's plan) checks it, never in stats."""
import sqlite3
import sys
from pathlib import Path

import pytest

import claimcheck.claim as claim_module
import claimcheck.commands.options as options
from claimcheck.claim import UnknownProfile
from claimcheck.commands.cli import main
from claimcheck.commands.options import resolve_profile
from claimcheck.engine import sweep
from claimcheck.engine.discovery import discover
from claimcheck.engine.measurement import INFRASTRUCTURE, PREFIXES, Measurement, Status, status_of
from claimcheck.engine.profiles import Profile
from claimcheck.engine.seeding import point_key
from claimcheck.engine.store import Store
from claimcheck.claim import grid_points
from claimcheck.stats.analyse import incompleteness, judge

from conftest import write_toy
from test_faults import SLEEP_ONE, _opts, claim_file

WHERE = "claim toy.a, point {\"N\": 16}, replicate 0"
MESSAGES = {   # as engine.sweep writes them, one per kind
    Status.ERROR: "ValueError: the simulation broke at toy_a.py:7 (point {\"N\": 16}, replicate 0)",
    Status.TIMEOUT: f"timeout: no result within 0.5 s (hung in simulate at toy_a.py:8): {WHERE}",
    Status.DIED: f"worker died: killed by signal SIGKILL (out of memory?) while running {WHERE}",
    Status.FAILED: f"worker failed: the task was cancelled (the Dask scheduler or its worker was lost) while "
                   f"running {WHERE}",
    Status.SKIPPED: f"not started: toy.a timed out earlier ({WHERE})",
}


def _row(status: str, replicate: int, error: str | None = None) -> dict:
    return {"claim_version": "v1", "claim_id": "toy.a", "variant": "", "point_key": point_key({"N": 16}),
            "replicate": replicate, "master_seed": 0, "status": status,
            "metrics": {"err": 0.5} if status == "ok" else None, "error": error, "seconds": 0.01}


def test_the_store_returns_typed_measurements_and_stores_the_same_bytes(tmp_path):
    rows = [_row("ok", 0)] + [_row("error", i + 1, msg) for i, msg in enumerate(MESSAGES.values())]
    store = Store(tmp_path / "s.sqlite")
    store.put(rows)
    got = store.measurements("v1", "", 0)
    assert all(isinstance(m, Measurement) for m in got)
    assert [m.status for m in got] == [Status.OK, *MESSAGES]
    assert [m.error for m in got] == [None, *MESSAGES.values()]          # the message kept for people
    assert got[0].ok and got[0].metrics == {"err": 0.5} and not got[0].infrastructure
    assert {m.status for m in got if m.infrastructure} == set(INFRASTRUCTURE) == {
        Status.TIMEOUT, Status.DIED, Status.FAILED, Status.SKIPPED}
    assert not any(m.infrastructure for m in got if m.status is Status.ERROR)   # the claim's own error
    # the dict rows and the stored columns are as they always were: "ok" or "error" and the message
    assert store.rows("v1", "", 0) == [m.to_row() for m in got]
    store.close()
    with sqlite3.connect(tmp_path / "s.sqlite") as db:
        stored = db.execute("SELECT status, error FROM measurements ORDER BY replicate").fetchall()
    assert stored == [("ok", None)] + [("error", msg) for msg in MESSAGES.values()]


def test_the_kinds_are_the_sweeps_prefixes_and_agree_with_it():
    """engine.measurement reads the words engine.sweep (hashed, unchanged) writes: the same
    prefixes, and the same infrastructure/claim split as sweep.is_infrastructure_error."""
    assert tuple(PREFIXES) == sweep.INFRASTRUCTURE_ERRORS
    for kind, message in MESSAGES.items():
        assert status_of("error", message) is kind
        assert kind.infrastructure == sweep.is_infrastructure_error(message)
    assert status_of("ok", None) is Status.OK and status_of("error", None) is Status.ERROR
    assert Status.TIMEOUT == "timeout" and f"{Status.DIED}" == "died"     # a StrEnum: reads as its name


def _toy_claim(tmp_path, reps: int = 4):
    write_toy(tmp_path / "claims", "a", reps=reps, batch=reps)
    (claim,), errors = discover([tmp_path / "claims"])
    assert not errors
    return claim


def _complete(claim, status_at_first: Status, error: str) -> list[Measurement]:
    """Every planned measurement ok, except replicate 0 at the first point."""
    out = []
    for p in grid_points(claim.grids["quick"]):
        for r in range(claim.replicates["quick"]):
            first = (p == grid_points(claim.grids["quick"])[0] and r == 0 and status_at_first is not Status.OK)
            out.append(Measurement(point_key(p), r, status_at_first if first else Status.OK,
                                   None if first else {"err": float(p["N"]) ** -0.5 * (1 + 0.01 * r)},
                                   error if first else None, 0.01))
    return out


@pytest.mark.parametrize("kind", [Status.TIMEOUT, Status.DIED, Status.FAILED, Status.SKIPPED])
def test_a_failures_kind_reaches_the_verdict_from_its_status_not_its_words(tmp_path, kind):
    """The same words under another status are judged by the status: an infrastructure
    kind makes the claim incomplete (never a verdict on it), an error is the claim's own."""
    claim = _toy_claim(tmp_path)
    words = "the worker was stopped"                      # no prefix to read: only the status says it
    res = judge(claim, _complete(claim, kind, words), "quick", 0)
    assert res.verdict == "error" and res.incomplete and res.reason.startswith("incomplete: ")
    assert f"1 could not be made; first: {words}" in res.reason
    own = judge(claim, _complete(claim, Status.ERROR, MESSAGES[Status.TIMEOUT]), "quick", 0)
    assert own.verdict == "error" and not own.incomplete        # prefix "timeout:", status error: the claim's
    assert incompleteness(claim, _complete(claim, Status.ERROR, MESSAGES[Status.TIMEOUT]), "quick", False) == ""


def test_a_real_timeout_is_stored_and_judged_by_its_status(tmp_path):
    """End to end: a replicate past --timeout is stored as the sweep always stored it, comes
    back from the store as Status.TIMEOUT (the claim's later tasks SKIPPED), and the claim
    is incomplete (exit 3)."""
    from claimcheck.commands.runner import run
    from claimcheck.engine.versioning import claim_version

    claims = tmp_path / "claims"
    claim_file(claims, "slowrep", hook=SLEEP_ONE, reps=4, batch=4)
    res = run(_opts(tmp_path, claims, timeout=0.5))
    assert res.exit_code == 3 and res.document["claims"][0]["incomplete"] is True
    (claim,), _ = discover([claims])
    store = Store(tmp_path / "store.sqlite")
    kinds = {m.status for m in store.measurements(claim_version(claim), "", 0)}
    store.close()
    assert kinds == {Status.OK, Status.TIMEOUT, Status.SKIPPED}
    # results.json records the kind, not only "error": its readers learn what happened from a field
    assert {m["status"] for m in res.document["claims"][0]["measurements"]} == {"ok", "timeout", "skipped"}


# -- the profile is checked at the entry point ----------------------------------------------
@pytest.fixture
def profile_checks(monkeypatch):
    """Every profile check, by the module that asked: Claim.require_profile (grid(),
    n_replicates(), validation) and the entry points' require_profile (options)."""
    calls: list[str] = []
    method, function = claim_module.Claim.require_profile, options.require_profile

    def counting_method(self, profile):
        calls.append(_asker(sys._getframe(1)))
        return method(self, profile)

    def counting_function(claims, profile):
        calls.append("options")
        return function(claims, profile)

    monkeypatch.setattr(claim_module.Claim, "require_profile", counting_method)
    monkeypatch.setattr(options, "require_profile", counting_function)
    return calls


def _asker(frame) -> str:
    """The first module on the stack outside claim.py (grid(), n_replicates() and validation
    check for their caller), the dataclass __init__ and engine/profiles.py (for_claim checks
    a name for its caller)."""
    while frame is not None and Path(frame.f_code.co_filename).name in ("claim.py", "<string>", "profiles.py"):
        frame = frame.f_back
    return Path(frame.f_code.co_filename).stem if frame else "?"


@pytest.mark.parametrize("mutants", [False, True])
def test_a_run_checks_the_profile_once_and_never_in_the_judge(tmp_path, profile_checks, mutants):
    """Measured for one claim (toy: one mutant), --jobs 1: 11 checks before the options
    change, 10 after it (6e5e27b), 4 now (17 -> 16 -> 6 with --mutants): 1 at the entry point, 1 in the
    claim's validation (as the claim file builds its Claim) and 2 per variant in the sweep's plan (claim.py and engine/sweep.py
    are hashed into claim versions, so they stay); 0 in the judge (was 6, and 4 per mutant)."""
    claims = tmp_path / "claims"
    write_toy(claims, "a", reps=20)
    argv = ["run", "--claims-dir", str(claims), "--store", str(tmp_path / "s.sqlite"), "--out",
            str(tmp_path / "out"), "--jobs", "1", "--no-progress", "--no-html", "--no-artefacts"]
    assert main(argv + (["--mutants"] if mutants else [])) == 0
    variants = 2 if mutants else 1
    assert sorted(profile_checks) == sorted(["options", "toy_a"] + ["sweep"] * 2 * variants), profile_checks
    assert len(profile_checks) == (6 if mutants else 4)


def test_the_judge_takes_a_resolved_profile_as_it_is_and_checks_a_name_once(tmp_path, profile_checks):
    claim = _toy_claim(tmp_path)
    rows = _complete(claim, Status.OK, None)
    mutant_rows = {"shifted": rows}
    profile_checks.clear()          # the claim's validation checked it (claim.py, hashed)
    resolved = resolve_profile("quick", [claim])
    assert isinstance(resolved, Profile) and profile_checks == ["options"]
    by_value = judge(claim, rows, resolved, 0, mutant_rows=mutant_rows)
    assert profile_checks == ["options"]                              # not checked again
    by_name = judge(claim, rows, "quick", 0, mutant_rows=mutant_rows)
    assert profile_checks == ["options", "analyse"]                   # a name: once per judge(), mutants included
    assert by_value.to_json() == by_name.to_json() and by_value.profile == "quick"
    judge(claim, rows, Profile("quick", frozenset({"other.claim"})), 0)   # resolved for other claims: checked
    assert profile_checks == ["options", "analyse", "analyse"]
    with pytest.raises(UnknownProfile, match="unknown profile 'fulll'"):
        judge(claim, rows, "fulll", 0)


def test_the_judge_takes_store_rows_during_the_transition(tmp_path):
    """Callers still holding the store's dict rows get the same result as with typed values."""
    claim = _toy_claim(tmp_path)
    typed = _complete(claim, Status.TIMEOUT, MESSAGES[Status.TIMEOUT])
    assert judge(claim, [m.to_row() for m in typed], "quick", 0).to_json() == judge(claim, typed, "quick", 0).to_json()
