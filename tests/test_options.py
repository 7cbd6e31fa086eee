"""The run options are declared once (claimcheck.commands.options) and the profile is
resolved once, at each entry point: run, calibrate, check-claim and the pytest plugin
reject an unknown profile with the same line, and accept the same shared options."""
import argparse
import dataclasses
import importlib.util

import pytest

import claimcheck.commands.options as options
from claimcheck.commands.cli import build_parser, main
from claimcheck.commands.options import OPTIONS, Profile, RunOptions, declared, resolve_profile
from claimcheck.commands.runner import resolve

from conftest import write_toy

pytest_plugins = ["pytester"]

MESSAGE = "unknown profile 'fulll' for claim toy.a: its profiles are quick"


@pytest.fixture
def checks(monkeypatch):
    """Counts the profile checks (options.resolve_profile's call of claim.require_profile)."""
    calls = []
    real = options.require_profile

    def counting(claims, profile):
        calls.append((tuple(c.id for c in claims), profile))
        return real(claims, profile)

    monkeypatch.setattr(options, "require_profile", counting)
    return calls


def _error_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if "unknown profile" in line]


def _subparser(name: str) -> argparse.ArgumentParser:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices[name]


def _plugin_options() -> dict:
    """{dest: (flags, kwargs)} as the plugin's pytest_addoption declares them."""
    from claimcheck.commands import pytest_plugin

    seen = {}

    class Group:
        def addoption(self, *flags, **kw):
            seen[kw.get("dest") or flags[0].lstrip("-").replace("-", "_")] = (flags, kw)

    class Parser:
        def getgroup(self, *a, **k):
            return Group()

    pytest_plugin.pytest_addoption(Parser())
    return seen


@pytest.mark.parametrize("command", ["run", "calibrate", "check-claim"])
def test_cli_rejects_an_unknown_profile_once_with_one_line(command, tmp_path, capsys, checks):
    claims = tmp_path / "claims"
    path = write_toy(claims, "a", reps=20)
    where = ["--claims-dir", str(claims), "--store", str(tmp_path / "s.sqlite"), "--out", str(tmp_path / "out")]
    argv = {"run": ["run", *where, "--no-progress"],
            "calibrate": ["calibrate", "toy.a", *where, "--seeds", "2", "--no-progress"],
            "check-claim": ["check-claim", str(path), "--power"]}[command]
    assert main(argv + ["--profile", "fulll"]) == 2
    captured = capsys.readouterr()
    assert _error_lines(captured.err) == [f"claimcheck: error: {MESSAGE}"], captured.err
    assert "power:" not in captured.out            # check-claim: rejected before any pilot runs
    assert len(checks) == 1, checks                # checked at the boundary, not again deeper
    assert not (tmp_path / "out").exists() and not (tmp_path / "s.sqlite").exists()


def test_plugin_rejects_an_unknown_profile_with_the_same_line(pytester, checks):
    write_toy(pytester.path / "claims", "a", reps=20)
    res = pytester.runpytest("--claimcheck", "--claimcheck-profile", "fulll",
                             "--claimcheck-store", str(pytester.path / "s.sqlite"))
    assert res.ret == pytest.ExitCode.USAGE_ERROR
    assert _error_lines(res.stderr.str()) == [f"ERROR: {MESSAGE}"], res.stderr.str()
    assert len(checks) == 1
    assert not (pytester.path / "s.sqlite").exists()


def test_a_cli_run_checks_the_profile_once(tmp_path, checks):
    """`claimcheck run` resolves before locking and hands the resolved profile to run(),
    which takes it as it is: the profile is checked once, not once per stage (it was twice)."""
    claims = tmp_path / "claims"
    write_toy(claims, "a", reps=20)
    write_toy(claims, "b", reps=20)
    assert main(["run", "--claims-dir", str(claims), "--store", str(tmp_path / "s.sqlite"), "--out",
                 str(tmp_path / "out"), "--jobs", "1", "--no-progress", "--no-html", "--no-artefacts"]) == 0
    assert checks == [(("toy.a", "toy.b"), "quick")]


def test_the_plugin_checks_the_profile_once_for_all_its_items(pytester, checks):
    write_toy(pytester.path / "claims", "a", reps=20)
    write_toy(pytester.path / "claims", "b", reps=20)
    res = pytester.runpytest("--claimcheck", "--claimcheck-store", str(pytester.path / "s.sqlite"))
    res.assert_outcomes(passed=2)
    assert checks == [(("toy.a", "toy.b"), "quick")]     # in pytest_configure; the items run the resolved value


def test_resolve_hands_inward_a_profile_value(tmp_path):
    claims = tmp_path / "claims"
    write_toy(claims, "a", reps=20)
    sel = resolve(RunOptions(claims_dirs=[claims]))
    assert sel.profile == Profile("quick", frozenset({"toy.a"})) and str(sel.profile) == "quick"
    (claim,) = sel.chosen
    assert sel.profile.grid(claim) == claim.grid("quick")
    assert sel.profile.replicates(claim) == claim.n_replicates("quick") == 20
    assert resolve_profile(sel.profile, [claim]) is sel.profile      # resolved already: not checked again
    with pytest.raises(options.UnknownProfile, match="unknown profile 'full'"):
        resolve_profile(Profile("full"), [claim])                      # a value not resolved for it is


def test_run_options_are_a_frozen_value():
    with pytest.raises(dataclasses.FrozenInstanceError):
        RunOptions().profile = "full"


def test_run_calibrate_and_the_plugin_accept_the_same_options():
    """Compare the parsers themselves with the one table: every shared option is on each
    entry point that declares it, under the declared flags, type and action."""
    shared = [o for o in OPTIONS if {"run", "calibrate", "pytest"} <= set(o.boundaries)]
    assert {o.dest for o in shared} >= {"profile", "seed", "jobs", "scheduler", "timeout", "store", "mutants",
                                        "claims_dirs"}
    plugin = _plugin_options()
    for command in ("run", "calibrate", "check-claim"):
        actions = {a.dest: a for a in _subparser(command)._actions}
        for o in declared(command):
            a = actions[o.dest]
            assert tuple(a.option_strings) == o.flags(command), (command, o.dest)
            assert a.type is o.type and a.help == o.helps.get(command, o.help), (command, o.dest)
        # no second declaration of a shared option anywhere in the parser
        flags = [f for a in actions.values() for f in a.option_strings]
        assert len(flags) == len(set(flags))
    for o in declared("pytest"):
        flags, kw = plugin[options.plugin_dest(o.dest)]
        assert flags == o.flags("pytest") and kw.get("type") is o.type and kw.get("action") == o.action
    run_dests = {o.dest for o in declared("run")}
    assert {o.dest for o in shared} == run_dests & {o.dest for o in declared("calibrate")} \
        & {o.dest for o in declared("pytest")}
    assert {o.dest for o in declared("check-claim")} == {"profile"}


def test_the_parsed_options_reach_run_options(tmp_path):
    args = build_parser().parse_args(["run", "--profile", "full", "--seed", "3", "--jobs", "2", "--timeout", "9",
                                      "--claims-dir", "c", "--store", "s.sqlite", "--no-progress", "--mutants"])
    values = options.shared_values(args, "run")
    assert values["profile"] == "full" and values["seed"] == 3 and values["jobs"] == 2 and values["timeout"] == 9.0
    assert values["progress"] is False and values["mutants"] is True
    assert [str(d) for d in values["claims_dirs"]] == ["c"] and str(values["store"]) == "s.sqlite"
    cal = build_parser().parse_args(["calibrate", "x", "--first-seed", "5"])
    assert cal.seed == 5                                  # the old spelling is an alias of --seed


@pytest.mark.slow
def test_the_plugin_takes_run_s_scheduler_option(pytester):
    """--claimcheck-scheduler comes with the shared table; an unreachable one fails the item
    in one line (the command line's exit 2), without a traceback."""
    if importlib.util.find_spec("distributed") is None:   # not importorskip: see below
        pytest.skip("distributed is not installed")
    write_toy(pytester.path / "claims", "a", reps=20)
    # in a subprocess, and distributed never imported here: importing it in the test process
    # left importlib.metadata blind to the entry points of packages installed later
    # (tests/test_plugins.py, which runs after this file, then found no claims)
    res = pytester.runpytest_subprocess("--claimcheck", "--claimcheck-store", str(pytester.path / "s.sqlite"),
                                        "--claimcheck-scheduler", "tcp://127.0.0.1:9")
    res.assert_outcomes(failed=1)
    res.stdout.fnmatch_lines(["*toy.a was not run: cannot reach Dask scheduler*"])
    assert "Traceback" not in res.stdout.str()
