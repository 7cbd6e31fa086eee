"""The declarative objects a claim file is made of: Claim, Rate, Mutant.

A claim file in ``claims/`` builds one (or more) module-level :class:`Claim`.
Everything the runner needs is a field here, so a claim can be listed, hashed,
planned and checked without running it.
"""
from __future__ import annotations

import inspect
import itertools
import math
import numbers
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping, Sequence

from .ratekinds import KINDS, describe as _describe_rate, kind_of

# no "median": the delete-one jackknife behind every interval is inconsistent for
# medians (CI coverage 77-81% in the audit of issue 11), and no claim used it
STATISTICS = ("mean", "rms", "sd", "abs_mean")
SOURCES = ("paper", "reconstructed")


class ClaimDefinitionError(ValueError):
    """A claim (or rate, or mutant) is malformed; the message names the field."""


class UnknownProfile(KeyError):
    """A profile name the claim does not define (a usage error: exit 2)."""

    def __init__(self, claim_ids: str | Sequence[str], profile: str, profiles: Sequence[str]):
        super().__init__(profile)
        self.claim_ids = [claim_ids] if isinstance(claim_ids, str) else list(claim_ids)
        self.claim_id = ", ".join(self.claim_ids)
        self.profile, self.profiles = profile, list(profiles)

    def __str__(self) -> str:
        ids = self.claim_ids
        if len(ids) == 1:
            return f"unknown profile {self.profile!r} for claim {ids[0]}: its profiles are {', '.join(self.profiles)}"
        shown = ", ".join(ids[:3]) + (", ..." if len(ids) > 3 else "")
        return (f"unknown profile {self.profile!r} for {len(ids)} claims ({shown}): "
                f"their profiles are {', '.join(self.profiles)}")


@dataclass(frozen=True)
class Rate:
    """What a theorem predicts for one metric along one axis.

    kind (the band and test of each kind live in :mod:`claimcheck.ratekinds`):
      - ``tight``: metric ~ C axis^predicted; pass when the CI of the exponent lies in
        ``predicted +- tolerance``, fail when it is outside (Holm over the claim's rates).
      - ``upper``: metric <= C axis^predicted; a faster decay passes ("not tight").
      - ``geometric``: metric ~ C rho^axis with rho <= predicted (a bound on rho);
        tolerance is on log(rho).
      - ``limit``: the statistic converges to ``target`` (default 0); at the largest
        scale it must lie within ``target +- tolerance`` (two one-sided tests), and at the
        smallest scale it must still be outside that band (the approach is observed).
      - ``converges``: no rate stated; the exponent's CI must lie below 0 and the
        statistic at the largest scale must be at most ``below`` (without ``below`` a
        wrong limit would pass, so the rate cannot pass). ``heuristic`` (optional) is
        reported next to the measured exponent, not tested.

    statistic: how replicates are reduced at each grid point before the fit
    (the quantity the theorem bounds): mean, rms, sd, abs_mean (|mean| of a signed
    metric). With ``mean`` the metric must be >= 0 (an error); a negative or non-finite
    value is an error of the simulation, not noise.

    log_power: ``(b0, b1)`` for a rate stated "up to logs": metric ~ C axis^a (log axis)^b
    for some b in [b0, b1] (tight and upper only).
    fit_last: fit only the largest ``fit_last`` values of the axis (asymptotic regime).
    floor_metric: a metric estimating the Monte-Carlo floor of ``metric`` (same
    reduction); a signal within 3x of the floor at the largest scale is inconclusive.
    unit: the metric's unit, for plot labels (e.g. "abs. error", "W1, state units").
    """

    metric: str
    axis: str
    kind: str = "tight"
    predicted: float | None = None
    tolerance: float = 0.1
    statistic: str = "mean"
    target: float = 0.0
    fit_last: int | None = None
    floor_metric: str | None = None
    heuristic: float | None = None
    note: str = ""
    unit: str = ""
    below: float | None = None
    log_power: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:   # the live registry: a kind registered after import is known
            raise ClaimDefinitionError(f"rate kind {self.kind!r} is not one of {tuple(KINDS)}")
        if self.statistic not in STATISTICS:
            why = (" (the jackknife interval is not valid for medians)" if self.statistic == "median" else "")
            raise ClaimDefinitionError(f"rate statistic {self.statistic!r} is not one of {STATISTICS}{why}")
        msg = kind_of(self.kind).validate(self)
        if msg:
            raise ClaimDefinitionError(msg)
        if not (self.tolerance >= 0 and math.isfinite(self.tolerance)):
            raise ClaimDefinitionError("rate tolerance must be a finite number >= 0")
        if self.fit_last is not None and self.fit_last < 2:
            raise ClaimDefinitionError("fit_last needs at least 2 axis values")
        if self.below is not None and not (math.isfinite(self.below) and self.below > 0):
            raise ClaimDefinitionError("`below` must be a finite number > 0")
        if self.log_power is not None:
            if self.kind not in ("tight", "upper"):
                raise ClaimDefinitionError("`log_power` (a rate up to logs) is for tight and upper rates")
            lp = tuple(float(b) for b in self.log_power)
            if len(lp) != 2 or not all(math.isfinite(b) for b in lp) or lp[0] > lp[1]:
                raise ClaimDefinitionError("`log_power` must be (b0, b1) with b0 <= b1")
            object.__setattr__(self, "log_power", lp)

    @property
    def label(self) -> str:
        return f"{self.metric}~{self.axis}"

    @property
    def spec(self):
        """The rate's kind object (band, description, test): see claimcheck.ratekinds."""
        return kind_of(self.kind)

    def band(self, log_shift: float = 0.0) -> tuple[float, float]:
        return self.spec.band(self, log_shift)

    def describe(self) -> str:
        """One line a person reads: 'abs_err ~ N^-0.5 (tight, +-0.1)'."""
        return _describe_rate(self)

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _is_number(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)


def _is_int(v) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def one_from_batch(simulate_batch: Callable) -> Callable:
    """simulate(point, rng[, reference]) for a model that only defines
    simulate_batch(point, rngs[, references])."""
    def simulate(point, rng, *reference):
        return simulate_batch(point, [rng], *([r] for r in reference))[0]
    simulate.__module__ = getattr(simulate_batch, "__module__", __name__)
    simulate.__qualname__ = f"one_from_batch({getattr(simulate_batch, '__qualname__', 'simulate_batch')})"
    return simulate


@dataclass(frozen=True)
class Mutant:
    """A deliberately broken variant of the system: the claim's check must fail on it.

    ``simulate`` has the claim's signature (batched when the claim's is: ``batched=True``),
    typically ``functools.partial(simulate, flag=...)`` of the claim's own function.
    ``reference`` (optional): the mutant's own per-replicate reference, when the bug
    lives in the reference too; by default the mutant shares the claim's.
    ``expect_fail`` lists the rate labels (``metric~axis``) that must fail; empty means
    "at least one rate fails".
    """

    name: str
    simulate: Callable[[Mapping[str, Any], Any], Mapping[str, Any]] | None = None
    description: str = ""
    simulate_batch: Callable | None = None
    expect_fail: tuple[str, ...] = ()
    reference: Callable | None = None

    def __post_init__(self) -> None:
        if self.simulate is None and callable(self.simulate_batch):
            object.__setattr__(self, "simulate", one_from_batch(self.simulate_batch))


Simulate = Callable[[Mapping[str, Any], Any], Mapping[str, Any]]

MAX_AUTO_BATCH = 64
MIN_SPLIT_BATCH = 5


def auto_batch_size(n_replicates: int) -> int:
    """Replicates per task when a claim sets no ``batch_size``: a point's replicates in equal
    batches of at most MAX_AUTO_BATCH (a vectorised model gains little beyond that, and its
    arrays grow with the batch), and in two batches at least when each keeps
    MIN_SPLIT_BATCH replicates (a point then splits over two workers; smaller stacks lose
    more to per-call overhead, e.g. 80 000 GD steps per call in A6, than a worker gains).
    Numbers depend on the batch only to round-off."""
    n = int(n_replicates)
    k = math.ceil(n / MAX_AUTO_BATCH)
    if n >= 2 * MIN_SPLIT_BATCH:
        k = max(2, k)
    return max(1, math.ceil(n / max(1, k)))


def require_profile(claims: Sequence["Claim"], profile: str) -> None:
    """Resolve ``profile`` once, for every claim of a command, before anything runs or
    is written: raise :class:`UnknownProfile` (naming the claims and their profiles)
    if any claim lacks it."""
    lacking = [c for c in claims if profile not in c.grids]
    if not lacking:
        return
    known = list(dict.fromkeys(p for c in lacking for p in c.grids))
    raise UnknownProfile([c.id for c in lacking], profile, known)


@dataclass
class Claim:
    """One lemma or theorem, checked by simulation.

    grids: ``{profile: {axis: [values...]}}``; the plan is the Cartesian product.
    replicates: ``{profile: n}`` (or one int for every profile).
    simulate(point, rng) -> {metric: float}: one replicate at one grid point, all
    randomness from ``rng`` (a numpy Generator seeded per point and replicate).
    simulate_batch(point, rngs) -> [dict, ...] (optional): the same for many replicates
    at once, for models that vectorise over paths; it must give what simulate would
    for each rng, so results do not depend on batching. Giving only simulate_batch is
    enough: simulate is then simulate_batch(point, [rng])[0].
    batched: True when ``simulate`` is the batched form simulate(point, rngs) -> [dict]
    (same as giving it as ``simulate_batch``); the mutants' functions then are too.
    common_random_numbers: when True the seed of a replicate does not depend on the
    grid point, so replicate r sees the same random draws at every N (nested draws).
    reference(point, rngs) -> [object] (optional): what a replicate shares across the grid
    (a wide reference net, the runs of a whole width chain), computed by the engine once
    per replicate (and worker) and handed to simulate as a third argument:
    simulate(point, rng, ref) / simulate_batch(point, rngs, refs). It sees only the grid
    axes that no rate is fitted along (``reference_axes``) and a fresh generator of the
    replicate (the one simulate gets, before simulate draws from it). With common random
    numbers a task is then a batch of replicates (one replicate if the claim does not
    vectorise) at every grid point, so each reference is computed once, in one worker.
    batch_size (optional): replicates per task; by default :func:`auto_batch_size`. Set it
    only when memory requires (say why in a comment, with the measured memory).
    group_by (optional): "point" or "replicate"; by default "replicate" when the claim has
    a reference under common random numbers, else "point".
    reducers: ``{metric: fn(outputs, point) -> float}`` turn arrays that simulate
    returns (e.g. samples) into scalar metrics inside the worker (e.g. a W1 distance).
    artefacts(ctx) (optional): writes the claim's figures/data; see claimcheck.artefacts.
    timeout (optional): seconds one replicate may take; a replicate past it is an
    error naming the claim, point and replicate (``claimcheck run --timeout`` overrides).
    version (optional): pins the claim version (asv-style override of the source hash,
    see claimcheck.engine.versioning): stored measurements are reused until the string changes.
    """

    id: str
    paper: str
    title: str
    statement: str
    source: str
    grids: Mapping[str, Mapping[str, Sequence[Any]]]
    replicates: Mapping[str, int] | int
    rates: Sequence[Rate]
    simulate: Simulate | None = None
    mutants: Sequence[Mutant] = ()
    simulate_batch: Callable | None = None
    common_random_numbers: bool = False
    batch_size: int | None = None
    group_by: str | None = None
    reference: Callable | None = None
    batched: bool = False
    params: Mapping[str, Any] = field(default_factory=dict)
    reducers: Mapping[str, Callable] = field(default_factory=dict)
    artefacts: Callable | None = None
    calibration: Mapping[str, Any] = field(default_factory=dict)
    level: float = 0.05
    version: str | None = None
    timeout: float | None = None
    module_file: str | None = None
    power: str = ""  # one sentence: what the check would catch and what it would not

    def __post_init__(self) -> None:
        if self.batched:
            if self.simulate_batch is None and callable(self.simulate):
                self.simulate_batch, self.simulate = self.simulate, None
            self.mutants = [replace(m, simulate=None, simulate_batch=m.simulate)
                            if callable(m.simulate) and m.simulate_batch is None else m for m in self.mutants]
        if self.simulate is None and callable(self.simulate_batch):
            self.simulate = one_from_batch(self.simulate_batch)
        self.validate()

    # -- validation -------------------------------------------------------------
    def validate(self) -> None:
        def need(cond: bool, msg: str) -> None:
            if not cond:
                raise ClaimDefinitionError(f"claim {getattr(self, 'id', '?')!r}: {msg}")

        need(isinstance(self.id, str) and "." in self.id and " " not in self.id,
             "`id` must look like 'paper.result' (no spaces)")
        for name in ("paper", "title", "statement"):
            need(isinstance(getattr(self, name), str) and getattr(self, name).strip() != "",
                 f"`{name}` must be a non-empty string")
        need(self.source in SOURCES, f"`source` must be one of {SOURCES}, got {self.source!r}")
        need(isinstance(self.grids, Mapping) and "quick" in self.grids,
             "`grids` must map profile names to grids and include 'quick'")
        for prof, grid in self.grids.items():
            need(isinstance(grid, Mapping) and len(grid) > 0, f"grid {prof!r} must map axis names to value lists")
            for axis, values in grid.items():
                need(hasattr(values, "__iter__") and not isinstance(values, (str, bytes, Mapping)),
                     f"grid {prof!r} axis {axis!r} must be a list of values, got {type(values).__name__} {values!r}")
                need(len(list(values)) >= 1, f"grid {prof!r} axis {axis!r} is empty")
        if not isinstance(self.replicates, int) or isinstance(self.replicates, bool):
            need(isinstance(self.replicates, Mapping),
                 f"`replicates` must be an int or map profile names to ints, got {self.replicates!r}")
            missing = [p for p in self.grids if p not in self.replicates]
            need(not missing, f"`replicates` has no count for profile(s) {', '.join(map(repr, missing))}")
            extra = [p for p in self.replicates if p not in self.grids]
            need(not extra, f"`replicates` names profile(s) {', '.join(map(repr, extra))} that `grids` does not")
            for prof, n in self.replicates.items():
                need(_is_int(n), f"`replicates` for profile {prof!r} must be an int, got {n!r}")
        for prof in self.grids:
            need(self.n_replicates(prof) >= 2, f"profile {prof!r} needs >= 2 replicates")
        need(self.batch_size is None or (_is_int(self.batch_size) and self.batch_size >= 1),
             f"`batch_size` must be an integer >= 1 (or left out: automatic), got {self.batch_size!r}")
        need(self.timeout is None or (_is_number(self.timeout) and self.timeout > 0),
             f"`timeout` must be a positive number of seconds per replicate (or left out), got {self.timeout!r}")
        need(self.version is None or (isinstance(self.version, str) and self.version.strip() != ""),
             "`version` must be a non-empty string (or left out: the source hash)")
        need(self.group_by in (None, "point", "replicate"),
             f"`group_by` must be 'point' or 'replicate' (or left out), got {self.group_by!r}")
        need(self.reference is None or callable(self.reference), "`reference` must be a function reference(point, rngs) -> list")
        need(len(self.rates) >= 1, "a claim needs at least one Rate")
        for rate in self.rates:
            need(isinstance(rate, Rate), "`rates` must hold Rate objects")
            for prof, grid in self.grids.items():
                need(rate.axis in grid, f"rate {rate.label}: axis {rate.axis!r} is not in grid {prof!r}")
                self._validate_rate_axis(need, rate, prof, list(grid[rate.axis]))
        need(callable(self.simulate), "`simulate` (or `simulate_batch`) must be a function simulate(point, rng) -> dict")
        need(len(self.mutants) >= 1, "a claim needs at least one Mutant (a negative control)")
        names = [m.name for m in self.mutants]
        need(len(set(names)) == len(names), "mutant names must be unique")
        labels = {r.label for r in self.rates}
        for m in self.mutants:
            need(isinstance(m, Mutant) and callable(m.simulate), "`mutants` must hold Mutant objects")
            for lab in m.expect_fail:
                need(lab in labels, f"mutant {m.name!r} expects {lab!r} to fail but no rate has that label")
        need(_is_number(self.level) and 0 < self.level < 0.5, "`level` must be in (0, 0.5)")

    @staticmethod
    def _validate_rate_axis(need, rate: "Rate", prof: str, values: list) -> None:
        """The fitted axis: finite numbers, positive (the fit is on its log) unless the
        rate is geometric, and >= 3 distinct fitted values."""
        bad = [v for v in values if not _is_number(v)]
        if bad:
            need(False, f"rate {rate.label}: axis {rate.axis!r} in grid {prof!r} must hold finite numbers, "
                        f"got {bad[0]!r}" + (" (a string: drop the quotes)" if isinstance(bad[0], str) else ""))
        if kind_of(rate).axes.logx and any(v <= 0 for v in values):
            need(False, f"rate {rate.label}: axis {rate.axis!r} in grid {prof!r} must be positive "
                        f"(the fit is on log({rate.axis})), got {min(values)!r}")
        n = len(set(values))
        if rate.fit_last:
            n = min(n, rate.fit_last)
        need(n >= 3, f"rate {rate.label}: only {n} value(s) of {rate.axis!r} in grid {prof!r} are fitted; "
                     f"a verdict needs >= 3 (5 or more is better)")

    # -- helpers ------------------------------------------------------------------
    @property
    def profiles(self) -> list[str]:
        return list(self.grids)

    def require_profile(self, profile: str) -> None:
        """Raise :class:`UnknownProfile` unless the claim defines ``profile``: a
        misspelt profile is a usage error, never a silent run of another grid."""
        if profile not in self.grids:
            raise UnknownProfile(self.id, profile, self.profiles)

    def n_replicates(self, profile: str) -> int:
        self.require_profile(profile)
        if isinstance(self.replicates, int):
            return self.replicates
        return int(self.replicates[profile])

    def grid(self, profile: str) -> Mapping[str, Sequence[Any]]:
        self.require_profile(profile)
        return self.grids[profile]

    def points(self, profile: "str | Any") -> list[dict]:
        """The grid points of ``profile`` (a name, checked; or a resolved ``Profile``), in
        the order the sweep measures them: the claim owns its grid, so it owns its points."""
        grid = self.grid(profile) if isinstance(profile, str) else profile.grid(self)
        return grid_points(grid)

    @property
    def paper_key(self) -> str:
        return self.id.split(".", 1)[0]

    def batch(self, profile: str) -> int:
        """Replicates per task: the claim's ``batch_size``, else automatic."""
        return int(self.batch_size) if self.batch_size else auto_batch_size(self.n_replicates(profile))

    @property
    def grouping(self) -> str:
        """"replicate" (a task is a batch of replicates at every grid point) or "point"."""
        if self.group_by:
            return self.group_by
        return "replicate" if self.reference is not None and self.common_random_numbers else "point"

    @property
    def reference_axes(self) -> tuple[str, ...]:
        """The grid axes a reference may depend on: those no rate is fitted along."""
        fitted = {r.axis for r in self.rates}
        axes = dict.fromkeys(a for grid in self.grids.values() for a in grid)
        return tuple(a for a in axes if a not in fitted)

    def reference_point(self, point: Mapping[str, Any]) -> dict:
        return {a: point[a] for a in self.reference_axes if a in point}

    def reference_of(self, name: str | None) -> tuple[Callable | None, str]:
        """(reference function, owner) of the claim (None) or a mutant; owner is the
        variant whose reference it is ("" for the claim's, shared by mutants without one)."""
        if name in (None, ""):
            return self.reference, ""
        for m in self.mutants:
            if m.name == name:
                return (m.reference, m.name) if m.reference is not None else (self.reference, "")
        raise KeyError(f"claim {self.id!r} has no mutant {name!r}")

    def variant(self, name: str | None) -> tuple[Simulate, Callable | None]:
        """(simulate, simulate_batch) for the claim itself (None) or a named mutant."""
        if name in (None, ""):
            return self.simulate, self.simulate_batch
        for m in self.mutants:
            if m.name == name:
                return m.simulate, m.simulate_batch
        raise KeyError(f"claim {self.id!r} has no mutant {name!r}")

    def source_text(self) -> str:
        if self.module_file:
            try:
                with open(self.module_file, encoding="utf-8") as fh:
                    return fh.read()
            except OSError:
                pass
        try:
            return inspect.getsource(self.simulate)
        except (OSError, TypeError):
            return repr(self.simulate)


def grid_points(grid: Mapping[str, Sequence[Any]]) -> list[dict]:
    """Every combination of a grid's axes, the first axis slowest (itertools.product)."""
    axes = list(grid)
    return [dict(zip(axes, combo)) for combo in itertools.product(*(list(grid[a]) for a in axes))]
