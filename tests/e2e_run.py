"""A real run of every shipped claim, small enough for the default test suite.

Every claim in ``claims/`` gets an extra profile, ``e2e``: its quick grid cut to the
first three values of each axis a rate is fitted along (the fewest a fit accepts) and
the first value of each other axis, with few replicates; the few claims whose cost is
in a long time horizon (a non-fitted axis) get a shorter one. Nothing else about the
claims changes: the same simulate functions, engine, store, judge and renderers run
as in ``claimcheck run``, in process (``--jobs 1``), so a renderer that indexes a key
some rate kind does not provide fails here, as it failed the README's main job.

The run is made once per test session (both tests/test_end_to_end.py and
tests/test_report_browser.py read it) and shared through :func:`real_run`.
"""
from __future__ import annotations

import contextlib
import io
import shutil
import time
from pathlib import Path

PROFILE = "e2e"
REPLICATES = 8
# non-fitted axes (time horizons, reference resolutions) whose shipped values make the first
# points cost tens of seconds (measured with 16 replicates on a loaded machine: training-coupling
# 92 s at T=60, bounded-weights 61 s at T=4000; with 8: global-optimality 19 s at T=500)
SHORTER = {"agazzi2023.training-coupling": {"T": [6.0]}, "agazzi2023.bounded-weights": {"T": [100.0]},
           "agazzi2023.global-optimality": {"T": [50.0]}, "agazzi2023.time-discretisation": {"ref_inv_eps": [64]}}
# the second run: a few cheap claims with their mutants; every other claim is carried over
SUBSET = ["classical.*", "lam2023.kernel-limit", "lam2023.contraction"]


def shrink(claim):
    """Add the ``e2e`` profile to a discovered claim (in place) and return it."""
    quick = claim.grids["quick"]
    fitted = {r.axis for r in claim.rates}
    grid = {a: list(v)[:3] if a in fitted else list(v)[:1] for a, v in quick.items()}
    grid.update(SHORTER.get(claim.id, {}))
    claim.grids = {**claim.grids, PROFILE: grid}
    reps = claim.replicates if isinstance(claim.replicates, dict) else {"quick": claim.replicates}
    claim.replicates = {**reps, PROFILE: min(REPLICATES, claim.n_replicates("quick"))}
    return claim


@contextlib.contextmanager
def e2e_profile():
    """Discovery (as ``claimcheck run`` calls it) returns the shipped claims with the e2e profile."""
    import claimcheck.commands.runner as runner

    real = runner.discover

    def discover(*args, **kw):
        claims, errors = real(*args, **kw)
        return [shrink(c) for c in claims], errors

    runner.discover = discover
    try:
        yield
    finally:
        runner.discover = real


def cli(*argv: str) -> dict:
    """``claimcheck ARGV`` in process: exit code, stdout, stderr, seconds."""
    from claimcheck.commands.cli import main

    out, err = io.StringIO(), io.StringIO()
    t = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), e2e_profile():
        rc = main(list(argv))
    return {"rc": rc, "stdout": out.getvalue(), "stderr": err.getvalue(), "seconds": time.perf_counter() - t}


_RUNS: dict[str, dict] = {}


def real_run(base: Path) -> dict:
    """The shared real runs under ``base`` (made on first use):
    ``first``: every shipped claim into ``out`` (copied to ``first_out``); ``report``: ``claimcheck report`` from the
    store into ``rebuilt``; ``second``: SUBSET with --mutants into ``out`` again (the
    other claims carried over from the first run)."""
    key = str(base)
    if key not in _RUNS:
        base.mkdir(parents=True, exist_ok=True)
        store, out, rebuilt = base / "store.sqlite", base / "out", base / "rebuilt"
        common = ["--profile", PROFILE, "--jobs", "1", "--no-progress", "--store", str(store)]
        first = cli("run", *common, "--out", str(out))
        first_out = base / "first-out"
        shutil.copytree(out, first_out, symlinks=True)   # the second run replaces the set in ``out``
        report = cli("report", "--store", str(store), "--out", str(rebuilt))
        second = cli("run", *SUBSET, *common, "--mutants", "--out", str(out))
        _RUNS[key] = {"base": base, "store": store, "out": out, "rebuilt": rebuilt, "first": first,
                      "first_out": first_out, "report": report, "second": second}
    return _RUNS[key]


def shipped_claims():
    from claimcheck.engine.discovery import discover

    claims, errors = discover(None)
    assert not errors, errors
    return [shrink(c) for c in claims]
