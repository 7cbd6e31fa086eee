"""The run options, declared once, and the profile, resolved once.

Like hypothesis' ``settings``: every option that more than one entry point accepts
(``claimcheck run``, ``calibrate``, ``check-claim``, ``pytest --claimcheck``) is one
:class:`Option` in :data:`OPTIONS`; :func:`add_options` puts them on an argparse parser
and :func:`add_pytest_options` on the plugin's option group (as ``--claimcheck-<name>``),
so the flags, types and help cannot drift apart. :class:`RunOptions` is the frozen value
a command hands inward.

A profile name means something only against the claims of one command (each claim
defines its own grids), so it is resolved there, once: :func:`resolve_profile` turns the
name into a :class:`Profile` or raises :class:`~claimcheck.claim.UnknownProfile` with one
line (exit 2 for the CLI, a usage error for pytest). Code inside receives the
:class:`Profile` and reads a claim's grid and replicates from it without checking again
(the judge, :mod:`claimcheck.stats.analyse`, takes it as it is); where the name must reach
code that takes a string (the sweep, the store) it passes ``profile.name`` unchanged. :class:`Profile` itself is defined in
:mod:`claimcheck.engine.profiles` (the stats layer takes it too) and re-exported here.
"""
from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from ..claim import UnknownProfile, require_profile
from ..engine.profiles import Profile, profile_name
from ..engine.store import DEFAULT_STORE

BOUNDARIES = ("run", "calibrate", "check-claim", "pytest")


@dataclass(frozen=True)
class Option:
    """One option as every entry point that accepts it sees it. ``dest`` is the
    :class:`RunOptions` field; ``defaults``/``helps`` override per entry point where the
    meaning is the same but the sensible default differs (pytest: one job, the cache)."""
    dest: str
    flag: str
    help: str
    boundaries: tuple[str, ...]
    type: Callable[[str], Any] | None = None
    default: Any = None
    action: str | None = None
    metavar: str | None = None
    pytest_flag: str | None = None                  # default: --claimcheck-<flag without -->
    aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)   # per entry point, kept for old usage
    defaults: Mapping[str, Any] = field(default_factory=dict)
    helps: Mapping[str, str] = field(default_factory=dict)

    def flags(self, boundary: str) -> tuple[str, ...]:
        first = (self.pytest_flag or "--claimcheck-" + self.flag.lstrip("-")) if boundary == "pytest" else self.flag
        return (first, *self.aliases.get(boundary, ()))

    def kwargs(self, boundary: str, dest: str) -> dict:
        kw: dict[str, Any] = {"dest": dest, "default": self.defaults.get(boundary, self.default),
                              "help": self.helps.get(boundary, self.help)}
        if self.action:
            kw["action"] = self.action
        if self.type is not None:
            kw["type"] = self.type
        if self.metavar:
            kw["metavar"] = self.metavar
        return kw


OPTIONS: tuple[Option, ...] = (
    Option("claims_dirs", "--claims-dir", "folder of claim files (default ./claims; repeatable)",
           ("run", "calibrate", "pytest"), action="append", metavar="DIR", pytest_flag="--claimcheck-dir",
           helps={"pytest": "folder of claim files (repeatable; default: <rootdir>/claims if it exists)"}),
    Option("store", "--store", "results database", ("run", "calibrate", "pytest"), default=str(DEFAULT_STORE),
           metavar="PATH", defaults={"pytest": None},
           helps={"pytest": "results database (default: in pytest's cache dir, reused across runs)"}),
    Option("profile", "--profile", "grid profile: quick (CI) or full (paper scale); an unknown name is a usage "
           "error naming the claims' profiles", BOUNDARIES, default="quick",
           helps={"check-claim": "grid profile that --smoke and --power pilot (default: quick)"}),
    Option("seed", "--seed", "master seed", ("run", "calibrate", "pytest"), type=int, default=0,
           aliases={"calibrate": ("--first-seed",)},
           helps={"calibrate": "first master seed: the seeds are SEED..SEED+K-1 (default 0; alias --first-seed)"}),
    Option("jobs", "--jobs", "local worker processes (default: all cores; 1 = in-process, for debuggers and "
           "memory: a claim's os._exit is then an error for its task, but a segfault ends claimcheck (the next "
           "run marks that run 'died'; use --jobs 2 to isolate))", ("run", "calibrate", "pytest"), type=int,
           defaults={"pytest": 1}, helps={"pytest": "worker processes per claim (default: 1, in the pytest process)"}),
    Option("scheduler", "--scheduler", "Dask scheduler address (needs the dask extra)",
           ("run", "calibrate", "pytest"), metavar="ADDRESS"),
    Option("timeout", "--timeout", "time limit per replicate (overrides the claims' timeout=); a replicate past "
           "it is an error naming the claim, point and replicate (incomplete: run exits 3)",
           ("run", "calibrate", "pytest"), type=float, metavar="SECONDS"),
    Option("mutants", "--mutants", "also run every mutant; a missed mutant fails the run",
           ("run", "calibrate", "pytest"), action="store_true", default=False,
           helps={"calibrate": "also measure how often each mutant is caught",
                  "pytest": "also run each claim's mutants; a missed mutant fails the item"}),
    Option("out", "--out", "output folder", ("run", "calibrate"), default="reports/latest",
           defaults={"calibrate": "reports/calibration"}, helps={"calibrate": "folder for <id>-<profile>.json"}),
    Option("progress", "--no-progress", "no progress bar or progress lines", ("run", "calibrate"),
           action="store_false", default=True),
    Option("device", "--device", "where the simulators' heavy loops run: cpu (default), cuda, cuda:N, or "
           "torch-cpu (the torch code on the CPU); needs the gpu extra for all but cpu. Rows are stored per "
           "device, so a GPU run never reuses CPU rows nor the reverse", ("run", "calibrate"), default="cpu",
           metavar="DEVICE"),
)
BY_DEST = {o.dest: o for o in OPTIONS}


def declared(boundary: str) -> tuple[Option, ...]:
    """The options an entry point accepts, in declaration order."""
    return tuple(o for o in OPTIONS if boundary in o.boundaries)


def add_options(parser: argparse.ArgumentParser, boundary: str, only: Sequence[str] | None = None) -> None:
    """Add the shared options of ``boundary`` (``run``, ``calibrate``, ``check-claim``; or
    only the named ones, e.g. ``("claims_dirs", "store")`` for ``list``) to ``parser``."""
    for o in (BY_DEST[d] for d in only) if only else declared(boundary):
        parser.add_argument(*o.flags(boundary), **o.kwargs(boundary, o.dest))


def add_pytest_options(group) -> None:
    """The plugin's share of the same declarations (``--claimcheck-profile`` ...);
    ``config.getoption(plugin_dest(name))`` reads them back."""
    for o in declared("pytest"):
        group.addoption(*o.flags("pytest"), **o.kwargs("pytest", plugin_dest(o.dest)))


def plugin_dest(name: str) -> str:
    return f"claimcheck_{name}"


def resolve_profile(profile: "str | Profile", claims) -> Profile:
    """The one place a profile name is checked: a :class:`Profile` for ``claims``, or
    :class:`~claimcheck.claim.UnknownProfile` (one line naming the claims lacking it and
    their profiles). A profile already resolved for these claims is returned as it is."""
    if isinstance(profile, Profile):
        if profile.covers(claims):
            return profile
        profile = profile.name
    require_profile(claims, profile)
    return Profile(profile, frozenset(c.id for c in claims))


@dataclass(frozen=True)
class RunOptions:
    """What one run is asked to do, as a value. ``profile`` is the name as given until
    :func:`claimcheck.commands.runner.run` resolves it; from there on it is a :class:`Profile`."""
    patterns: Sequence[str] = ()
    profile: "str | Profile" = "quick"
    seed: int = 0
    scheduler: str | None = None
    jobs: int | None = None
    mutants: bool = False
    out: Path = Path("reports/latest")
    store: Path = DEFAULT_STORE
    claims_dirs: Sequence[Path] | None = None
    strict: bool = False
    progress: bool = True
    artefacts: bool = True
    level: float | None = None
    timeout: float | None = None     # seconds per replicate (overrides Claim.timeout)
    started: float | None = None     # time.time() when the command started (the wall time's start)
    stage: Path | None = None        # where this run's logs and figures go before the set is swapped into
                                     # ``out`` (claimcheck.report.outset); None: straight into ``out``
    until_decided: bool = False      # look again with more replicates until every rate is decided (issue 21)
    budget_replicates: int | None = None   # --until-decided: the most replicates a claim may reach
    budget_seconds: float | None = None    # --until-decided: the run's measuring time, shared by undecided claims
    spending: str | None = None      # --until-decided: alpha spending (claimcheck.stats.sequential)
    device: str = "cpu"              # claimcheck.models.device: cpu, cuda, cuda:N or torch-cpu


def shared_values(values: Mapping[str, Any] | argparse.Namespace, boundary: str) -> dict:
    """The shared options of ``boundary`` as typed :class:`RunOptions` fields (paths as
    ``Path``), from an argparse namespace or ``{dest: value}``; options left at None
    for the plugin (its store and folders have context-dependent defaults) stay None."""
    get = values.get if isinstance(values, Mapping) else (lambda k, d=None: getattr(values, k, d))
    out: dict[str, Any] = {}
    for o in declared(boundary):
        v = get(o.dest)
        if o.dest in ("store", "out") and v is not None:
            v = Path(v)
        elif o.dest == "claims_dirs":
            v = [Path(d) for d in v] if v else None
        out[o.dest] = v
    return out


__all__ = ["OPTIONS", "Option", "Profile", "RunOptions", "UnknownProfile", "add_options", "add_pytest_options",
           "declared", "parse_duration", "profile_name", "plugin_dest", "resolve_profile", "shared_values"]


def parse_duration(text: str) -> float:
    """'90', '90s', '30m', '2h', '1h30m' -> seconds (``--budget`` of run and calibrate:
    here, not in cli.py, so that cli_extra need not import cli)."""
    import re

    t = text.strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", t):
        return float(t)
    parts = re.findall(r"(\d+(?:\.\d+)?)([smh])", t)
    if not parts or "".join(a + b for a, b in parts) != t:
        raise ValueError(f"--budget must be a duration such as 90s, 30m or 1h30m, got {text!r}")
    return sum(float(a) * {"s": 1, "m": 60, "h": 3600}[u] for a, u in parts)
