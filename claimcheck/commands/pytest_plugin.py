"""pytest plugin: run claims as test items, so they run in an existing test suite.

    pytest --claimcheck [--claimcheck-profile quick] [--claimcheck-dir claims]
           [--claimcheck-ids 'classical.*'] [--claimcheck-seed 0] [--claimcheck-mutants]
           [--claimcheck-jobs 1] [--claimcheck-scheduler ADDR] [--claimcheck-timeout S]

The options shared with ``claimcheck run`` come from the one table in
:mod:`claimcheck.commands.options`; the profile is resolved once, in ``pytest_configure``
(an unknown one is a usage error, the same line as the command line's), and every item
runs with that resolved value.

Claim files are collected by convention, like test modules: with ``--claimcheck`` the
claims folders (and the files of entry-point claims) are added to pytest's collection
arguments, ``pytest_collect_file`` turns each claim file into a :class:`ClaimFile`, and
each of its claims into an item ``<file>::<claim id>`` (so ``--collect-only``, ``-k``
and ``-m claimcheck`` work as for tests). A failed or errored claim fails
it (with the rates' measured exponents and reasons), an inconclusive one is skipped
with its reason (``--claimcheck-inconclusive xfail|fail`` to change that), and with
``--claimcheck-mutants`` a mutant the check misses fails it too. A claim file that does
not load becomes a failing item ``<file>::<load error>``. Claims come from the folders
given (default ``<rootdir>/claims``, else ``./claims``, if it exists) and from installed packages
(entry-point group ``claimcheck.claims``).

This module is registered through the ``pytest11`` entry point, so pytest loads it in
every run of anyone who installs claimcheck: without ``--claimcheck`` it only adds its
options and does nothing else (no claim discovery, no imports beyond pytest's).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from .options import add_pytest_options, plugin_dest


def pytest_addoption(parser):
    group = parser.getgroup("claimcheck", "claimcheck: run quantitative claims as test items")
    group.addoption("--claimcheck", action="store_true", default=False,
                    help="collect claims as test items (nothing happens without this flag)")
    add_pytest_options(group)   # as `claimcheck run`'s: --claimcheck-profile, -seed, -jobs, -store, -dir, ...
    group.addoption("--claimcheck-ids", action="append", default=None, metavar="GLOB",
                    help="claim ids or globs to collect (repeatable or comma-separated; default: all)")
    group.addoption("--claimcheck-inconclusive", choices=["skip", "xfail", "fail"], default="skip",
                    help="how an inconclusive verdict is reported (default: skip)")


def _enabled(config) -> bool:
    return bool(config.getoption("claimcheck", default=False))


def pytest_configure(config):
    if not _enabled(config):
        return
    config.addinivalue_line("markers", "claimcheck: a claim checked by simulation (added by --claimcheck)")
    from dataclasses import replace

    from ..claim import UnknownProfile
    from ..engine.discovery import discover, select
    from .options import resolve_profile

    s = _settings(config)
    claims, errors = discover(s["dirs"])
    chosen, unmatched = select(claims, s["ids"])
    try:   # once, for every collected claim: the items receive the resolved profile
        s["options"] = replace(s["options"], profile=resolve_profile(s["options"].profile, chosen))
    except UnknownProfile as exc:
        raise pytest.UsageError(str(exc)) from None
    by_file: dict[Path, list] = {}
    for c in chosen:
        if c.module_file:
            by_file.setdefault(Path(c.module_file).resolve(), []).append(c)
    folder_errors = {Path(e.path).resolve(): e for e in errors if Path(e.path).suffix == ".py"
                     and (not s["ids"] or _could_hold(e.path, s["ids"]))}
    config._claimcheck = {"settings": s, "by_file": by_file, "file_errors": folder_errors,
                          "other_errors": [e for e in errors if Path(e.path).suffix != ".py"
                                           and (not s["ids"] or _could_hold(e.path, s["ids"]))],
                          "unmatched": unmatched}
    # collect the claim files like test modules: add what pytest would not visit itself
    wanted = [str(d) for d in s["dirs"]] + [str(f) for f in by_file if not any(_inside(f, d) for d in s["dirs"])]
    config.args[:] = list(config.args) + [w for w in wanted if not any(_inside(Path(w), Path(a)) for a in config.args)]


def _inside(path: Path, folder: Path) -> bool:
    try:
        return Path(path).resolve().is_relative_to(Path(folder).resolve())
    except (OSError, ValueError):
        return False


def _could_hold(path: str, ids) -> bool:
    """Could a broken file hold one of the selected ids? (as `claimcheck run` decides)"""
    stem = Path(path).stem
    return any(p.split(".")[0].rstrip("*") in stem or p == "*" for p in ids)


def pytest_collect_file(file_path, parent):
    state = getattr(parent.config, "_claimcheck", None)
    if state is None or file_path.suffix != ".py":
        return None
    path = Path(file_path).resolve()
    if path in state["by_file"] or path in state["file_errors"]:
        return ClaimFile.from_parent(parent, path=file_path)
    return None


class ClaimFile(pytest.File):
    """A claim file: one item per selected claim in it, or one failing item if it does
    not load."""

    def collect(self):
        state = self.config._claimcheck
        path = Path(self.path).resolve()
        for c in state["by_file"].get(path, []):
            item = ClaimItem.from_parent(self, name=c.id, claim_id=c.id, claim_file=c.module_file,
                                         settings=state["settings"])
            item.keywords[c.paper_key] = True
            yield item
        err = state["file_errors"].get(path)
        if err is not None:
            yield ClaimLoadErrorItem.from_parent(self, name=err.id, reason=err.reason, source=err.path)


class ClaimFailed(Exception):
    """The claim's check failed or errored, or a mutant was missed (message: the report)."""


class ClaimsNode(pytest.Collector):
    """Parent of the items for problems without a file (broken entry points, unmatched ids)."""

    def collect(self):
        return []


class ClaimItem(pytest.Item):
    def __init__(self, *, claim_id: str, claim_file: str | None, settings: dict, **kw):
        super().__init__(**kw)
        self.claim_id = claim_id
        self.claim_file = claim_file
        self.settings = settings
        self.add_marker("claimcheck")

    def runtest(self):
        from ..report.outputs import rate_line
        from dataclasses import replace

        from ..engine.executors import SchedulerError
        from .runner import run

        s = self.settings
        opts = s["options"]
        try:
            result = run(replace(opts, patterns=[self.claim_id]))
        except SchedulerError as exc:   # --claimcheck-scheduler unreachable: one line, as the CLI's exit 2
            raise ClaimFailed(f"{self.claim_id} was not run: {exc}") from None
        found = [c for c in result.results.claims if c.id == self.claim_id]
        if not found:
            raise ClaimFailed(f"claim {self.claim_id} was not run: "
                              + "; ".join(result.messages + [e.reason for e in result.results.load_errors]))
        res = found[0]
        self.user_properties.append(("verdict", res.verdict))
        for r in res.rates:
            self.user_properties.append((r.label, rate_line(r)))
        details = [f"{self.claim_id}: {res.verdict.upper()} ({opts.profile} profile, master seed {opts.seed})"]
        details += [f"  {rate_line(r)} -> {r.verdict}: {r.reason}" for r in res.rates]
        missed = [m for m in res.mutants if not m.caught]
        details += [f"  mutant {m.name}: {'caught' if m.caught else 'MISSED: ' + m.reason}" for m in res.mutants]
        text = "\n".join(details)
        if res.verdict in ("fail", "error"):
            raise ClaimFailed(f"{res.reason}\n{text}")
        if missed:
            raise ClaimFailed(f"mutant(s) not caught: {', '.join(m.name for m in missed)}\n{text}")
        if res.verdict == "inconclusive":
            how = s["inconclusive"]
            if how == "fail":
                raise ClaimFailed(f"{res.reason}\n{text}")
            if how == "xfail":
                pytest.xfail(res.reason)
            pytest.skip(res.reason)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, ClaimFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return (self.claim_file or self.path), None, f"claim {self.claim_id}"


class ClaimLoadErrorItem(pytest.Item):
    def __init__(self, *, reason: str, source: str, **kw):
        super().__init__(**kw)
        self.reason = reason
        self.source = source
        self.add_marker("claimcheck")

    def runtest(self):
        raise ClaimFailed(f"{self.source}: {self.reason}")

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, ClaimFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, None, f"claim file {self.source}"


def _settings(config) -> dict:
    """The plugin's settings: ``options`` (the :class:`~claimcheck.commands.options.RunOptions`
    every item runs with, from the shared declarations), ``dirs``, ``ids``, ``inconclusive``."""
    from ..engine.store import DEFAULT_STORE
    from .options import RunOptions, shared_values

    shared = shared_values({o: config.getoption(plugin_dest(o)) for o in _shared_dests()}, "pytest")
    root = Path(str(config.rootpath))
    dirs = shared.pop("claims_dirs")
    if dirs:
        dirs = [d if d.is_absolute() else Path.cwd() / d for d in dirs]
    else:
        dirs = [d for d in dict.fromkeys([root / "claims", Path.cwd() / "claims"]) if d.is_dir()][:1]
    store = shared.pop("store")
    if store is None and getattr(config, "cache", None) is not None:
        store = Path(config.cache.mkdir("claimcheck")) / DEFAULT_STORE.name
    elif store is None:
        store = root / DEFAULT_STORE
    ids = [p.strip() for v in (config.getoption("claimcheck_ids") or []) for p in v.split(",") if p.strip()]
    options = RunOptions(**shared, store=store, claims_dirs=dirs or None, progress=False, artefacts=False,
                         out=store.parent)
    return {"dirs": dirs, "ids": ids, "options": options, "inconclusive": config.getoption("claimcheck_inconclusive")}


def _shared_dests() -> list[str]:
    from .options import declared

    return [o.dest for o in declared("pytest")]


@pytest.hookimpl(tryfirst=True)  # before -k / -m deselection, so they apply to these too
def pytest_collection_modifyitems(session, config, items):
    """Problems that have no claim file to collect (a broken entry point, an id that
    matches nothing) still fail the session, as items under one ``claimcheck`` node."""
    state = getattr(config, "_claimcheck", None)
    if state is None or not (state["other_errors"] or state["unmatched"]):
        return
    parent = ClaimsNode.from_parent(session, name="claimcheck", nodeid="claimcheck")
    for e in state["other_errors"]:
        items.append(ClaimLoadErrorItem.from_parent(parent, name=e.id, reason=e.reason, source=e.path))
    for pat in state["unmatched"]:
        items.append(ClaimLoadErrorItem.from_parent(parent, name=f"<{pat}>", reason="no claim matches this id/glob",
                                                    source="--claimcheck-ids"))


def pytest_report_header(config):
    if _enabled(config):
        s = _settings(config)
        o = s["options"]
        where = ", ".join(str(d) for d in s["dirs"]) or "no folder"
        return (f"claimcheck: claims from {where} + entry points; profile {o.profile}, seed {o.seed}, "
                f"mutants {'on' if o.mutants else 'off'}; store {o.store}")
    return None
