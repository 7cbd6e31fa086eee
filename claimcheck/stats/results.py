"""A run's results as values: ``RunResult -> ClaimResult -> RateResult / MutantResult``.

Produced once by :func:`claimcheck.stats.analyse.judge` from stored measurements, persisted
through ``to_json()`` (results.json, the store's verdicts table) and rebuilt with
``from_json()``, in the manner of statsmodels' results objects and pytest's ``TestReport``
(``_to_json`` / ``_from_json``): renderers read attributes, never dict keys, and a result
loaded from JSON renders exactly like the one the run produced.

The JSON form is the results.json schema (``"schema": SCHEMA``). ``from_json`` accepts
documents of this schema and older ones (fields added later get their defaults); a
document of a *newer* schema is refused with :class:`SchemaError` rather than misread.
"""
from __future__ import annotations

import copy
import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..ratekinds import RateKind, kind_of

SCHEMA = 1


class SchemaError(ValueError):
    """A results document written by a newer claimcheck (unknown schema version)."""


def check_schema(doc: dict, what: str) -> None:
    version = doc.get("schema", 1)  # documents stored before the field existed are schema 1
    if not isinstance(version, int) or version > SCHEMA:
        raise SchemaError(f"{what} has results schema {version!r}, newer than this claimcheck reads ({SCHEMA}); "
                          f"upgrade claimcheck to read it")


def _from(cls, doc: dict, **override):
    """An instance of dataclass ``cls`` from its JSON form: known keys only, missing
    (optional, added later) keys take the field's default."""
    names = {f.name for f in dataclasses.fields(cls)}
    kw = {k: v for k, v in doc.items() if k in names}
    kw.update(override)
    return cls(**kw)


# -- measurements -------------------------------------------------------------------------

@dataclass
class Measurement:
    """One replicate at one grid point, as stored."""
    point: str                   # the point's key (JSON of the grid values)
    replicate: int
    status: str                  # "ok" or a failure status
    metrics: dict | None
    error: str | None = None
    seconds: float | None = None

    @classmethod
    def from_row(cls, row: dict) -> "Measurement":
        """From a store row (``point_key``)."""
        return cls(row["point_key"], row["replicate"], row["status"], row["metrics"], row["error"], row["seconds"])

    def to_json(self) -> dict:
        """Field by field, not ``dataclasses.asdict``: its deep recursion into every metric
        value was 10 s of the README main job's 196 000 rows (measured under cProfile)."""
        return {"point": self.point, "replicate": self.replicate, "status": self.status,
                "metrics": None if self.metrics is None else dict(self.metrics),
                "error": self.error, "seconds": self.seconds}

    @classmethod
    def from_json(cls, doc: dict) -> "Measurement":
        return _from(cls, doc)


def pivot(measurements, metric: str, keys: list[str] | None = None,
          replicates: int | None = None) -> tuple[list[str], np.ndarray]:
    """(point keys, points x replicates array) of ``metric`` over the ok measurements (NaN
    where a replicate lacks it): the one place that turns rows into a table. ``keys``
    fixes the points and their order (default: first appearance), ``replicates`` the
    columns (default: up to the largest replicate seen)."""
    per: dict[str, dict[int, float]] = {k: {} for k in keys or []}
    for m in measurements:
        if (m.status == "ok" and m.metrics and metric in m.metrics and (keys is None or m.point in per)
                and (replicates is None or m.replicate < replicates)):
            per.setdefault(m.point, {})[m.replicate] = m.metrics[metric]
    order = list(per)
    n = replicates if replicates is not None else max((max(v) + 1 for v in per.values() if v), default=0)
    arr = np.full((len(order), n), np.nan)
    for i, k in enumerate(order):
        for rep, val in per[k].items():
            arr[i, rep] = val
    return order, arr


# -- rates --------------------------------------------------------------------------------

@dataclass
class _Record:
    """A typed JSON object: renderers read attributes. ``to_json`` gives back exactly the
    keys it was built from, in their order (an older document lacks later keys; a value
    test writes some only when it computed them), so a result's JSON is unchanged by a
    round trip. Item access (``r.fit["x"]``, ``.get``) stays for callers written against
    the dict form."""
    _keys: tuple | None = field(default=None, init=False, repr=False, compare=False)  # None: built in code
    _extra: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def _names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls) if f.init]

    @classmethod
    def from_json(cls, doc):
        if doc is None or isinstance(doc, cls):
            return doc
        names = cls._names()
        obj = cls(**{k: v for k, v in doc.items() if k in names})
        obj._keys = tuple(doc)
        obj._extra = {k: v for k, v in doc.items() if k not in names}
        return obj

    def to_json(self) -> dict:
        keys = self._names() if self._keys is None else self._keys
        return {k: copy.deepcopy(self._extra[k] if k in self._extra else getattr(self, k)) for k in keys}

    def __getitem__(self, key: str):
        if key in self._extra:
            return self._extra[key]
        if key in self._names():
            return getattr(self, key)
        raise KeyError(key)

    def get(self, key: str, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key: str) -> bool:
        return key in self._extra or key in self._names()


@dataclass
class FitSummary(_Record):
    """A fitted rate's numbers (the JSON form of :class:`claimcheck.stats.fit.FitResult`,
    field for field)."""
    slope: float | None = None
    se: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    level: float | None = None
    df: int | None = None
    intercept: float | None = None
    x: list | None = None                 # axis value of every fitted point
    stat: list | None = None
    stat_log_se: list | None = None
    scale_factor: float | None = None
    chi2: float | None = None
    dof: int | None = None
    residuals: list | None = None
    local_slopes: list = field(default_factory=list)   # {"group", "from", "to", "slope", "se"}
    curvature: dict | None = None
    loglinear: bool = False
    other_axes: list = field(default_factory=list)
    n_replicates: int | None = None
    log_shift: float = 0.0
    misfit_dof: float | None = None


@dataclass
class ValueTest(_Record):
    """A value test's numbers: the statistic at the largest scale. A ``limit`` writes
    the value with its CI, the band, every scale's value (``values`` at ``x``) and, when
    it got that far, the ``projected`` limit; ``converges`` writes its one-sided ``upper``
    bound against ``below`` (no ``x``: the report reads a converges rate's points from
    its fit)."""
    axis_max: float | None = None
    value: float | None = None
    se: float | None = None
    ci: list | None = None
    band: list | None = None
    values: list | None = None
    x: list | None = None
    interval: str | None = None
    group: str | None = None
    value_at_smallest: float | None = None
    projected: float | None = None
    upper: float | None = None
    below: float | None = None


@dataclass
class RateResult:
    """One rate's verdict with the rate's description and the fit's numbers (the JSON form
    of :class:`claimcheck.stats.verdict.RateCheck`)."""
    metric: str = ""                     # defaults: for old stored results that lack a key
    axis: str = ""
    kind: str = "tight"
    statistic: str = "mean"
    predicted: float | None = None       # the target, for a limit
    tolerance: float | None = None
    heuristic: float | None = None
    label: str = ""
    describe: str = ""
    unit: str | None = ""
    note: str | None = ""
    below: float | None = None
    log_power: list | None = None
    band: list | None = None             # [lo, hi] the verdict used (None: infinite)
    band_text: str = ""
    measured: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    verdict: str = "error"
    reason: str = ""
    p_fail: float | None = None
    detectable_deviation: float | None = None
    detectable_power: float | None = None
    notes: list = field(default_factory=list)
    replicates_needed: int | None = None
    limit: ValueTest | None = None       # limit; converges' value test
    group: str | None = None
    groups: list | None = None
    fit: FitSummary | None = None        # slope, CI, local slopes, residuals... (None: no fit made)
    measured_rho: float | None = None    # geometric rates only
    rho_ci: list | None = None

    @property
    def spec(self) -> RateKind:
        """The rate kind (band, band text, what the parameter is)."""
        return kind_of(self.kind)

    def __post_init__(self) -> None:
        self.fit = FitSummary.from_json(self.fit)
        self.limit = ValueTest.from_json(self.limit)

    def to_json(self) -> dict:
        typed = {"fit": self.fit, "limit": self.limit}
        d = {f.name: (typed[f.name].to_json() if typed[f.name] is not None else None) if f.name in typed
             else copy.deepcopy(getattr(self, f.name)) for f in dataclasses.fields(self)}
        if d["measured_rho"] is None:  # written for geometric rates with a measurement only
            del d["measured_rho"], d["rho_ci"]
        return d

    @classmethod
    def from_json(cls, doc: dict) -> "RateResult":
        return _from(cls, doc)


# -- looks of --until-decided -----------------------------------------------------------------

STOPS = ("decided", "budget", "cap", "error", "interrupted")   # why a sequential claim stopped


@dataclass
class LookResult:
    """One look at one rate (``claimcheck run --until-decided``): the replicates it rests on,
    the level it spent, and what the unchanged rule said there. ``cpu_s``: compute seconds
    of the measurements the look rests on (cumulative: later looks reuse earlier replicates)."""
    replicates: int
    level: float
    verdict: str
    measured: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    reason: str = ""
    replicates_needed: int | None = None
    cpu_s: float | None = None

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, doc: dict) -> "LookResult":
        return _from(cls, doc)


@dataclass
class SequentialRateResult:
    """A rate over its looks: every look up to the deciding one (or the last), and for a
    rate undecided at the cap what it would still need."""
    label: str
    verdict: str
    decided: bool
    looks: list[LookResult] = field(default_factory=list)
    still_needs: str | None = None

    def to_json(self) -> dict:
        return {"label": self.label, "verdict": self.verdict, "decided": self.decided,
                "looks": [lk.to_json() for lk in self.looks], "still_needs": self.still_needs}

    @classmethod
    def from_json(cls, doc: dict) -> "SequentialRateResult":
        return _from(cls, doc, looks=[LookResult.from_json(lk) for lk in doc.get("looks", [])])


@dataclass
class SequentialResult:
    """A claim's path under ``--until-decided``: the planned design (replicates and spent
    level of each look), each rate's looks, and why it stopped: ``stop`` is one of
    :data:`STOPS` (``budget``: the cap came from --budget / --budget-replicates; ``cap``:
    the default cap), ``stop_text`` the sentence the terminal prints."""
    level: float
    spending: str
    replicates: list[int]                # planned looks
    levels: list[float]                  # level each planned look spends
    stop: str
    stop_text: str = ""
    cap_reason: str = ""
    computed: int = 0                    # measurements the looks added (stored ones are reused)
    rates: list[SequentialRateResult] = field(default_factory=list)

    @property
    def decided(self) -> bool:
        return all(r.decided for r in self.rates)

    def to_json(self) -> dict:
        d = {f.name: copy.deepcopy(getattr(self, f.name)) for f in dataclasses.fields(self) if f.name != "rates"}
        d["rates"] = [r.to_json() for r in self.rates]
        return d

    @classmethod
    def from_json(cls, doc):
        if doc is None or isinstance(doc, cls):
            return doc
        return _from(cls, doc, rates=[SequentialRateResult.from_json(r) for r in doc.get("rates", [])])


# -- claims and mutants ----------------------------------------------------------------------

@dataclass
class MutantResult:
    name: str
    caught: bool
    reason: str
    description: str = ""
    measured: bool = True                # False: a measurement could not be made (not a miss)
    verdict: str = "error"
    rates: list[RateResult] = field(default_factory=list)
    measurements: list[Measurement] = field(default_factory=list)

    def to_json(self, measurements: bool = True) -> dict:
        d = {"name": self.name, "description": self.description, "caught": self.caught, "reason": self.reason,
             "measured": self.measured, "verdict": self.verdict, "rates": [r.to_json() for r in self.rates]}
        if measurements:
            d["measurements"] = [m.to_json() for m in self.measurements]
        return d

    @classmethod
    def from_json(cls, doc: dict) -> "MutantResult":
        return _from(cls, doc, rates=[RateResult.from_json(r) for r in doc.get("rates", [])],
                     measurements=[Measurement.from_json(m) for m in doc.get("measurements", [])])


_CLAIM_KEYS = ("id", "paper", "title", "statement", "source", "power", "version", "verdict", "reason", "profile",
               "grid", "replicates", "master_seed", "seeding", "params", "calibration", "level", "rates", "mutants",
               "compute_seconds", "reused_measurements", "measurements", "file", "depends_on", "artefacts",
               "incomplete", "log")


@dataclass
class ClaimResult:
    """A claim's verdict at one profile and master seed: its rates, its mutants, the
    measurements it rests on and what identifies it (version, grid, seeding)."""
    id: str
    verdict: str
    reason: str
    paper: str = ""
    title: str = ""
    statement: str = ""
    source: str = "paper"
    power: str | None = None
    version: str | None = None
    profile: str = "quick"
    grid: dict = field(default_factory=dict)
    replicates: int = 0
    master_seed: int = 0
    seeding: str = ""
    params: dict = field(default_factory=dict)
    calibration: dict = field(default_factory=dict)
    level: float | None = 0.05
    rates: list[RateResult] = field(default_factory=list)
    mutants: list[MutantResult] = field(default_factory=list)
    compute_seconds: float = 0.0
    reused_measurements: int = 0
    measurements: list[Measurement] = field(default_factory=list)
    file: str | None = None
    depends_on: dict = field(default_factory=dict)
    artefacts: list[str] = field(default_factory=list)
    incomplete: bool = False             # a measurement could not be made (infrastructure)
    log: str | None = None
    artefact_error: str | None = None    # the claim's figure code broke
    carried_over: bool = False           # shown from an earlier run (``from_run``), not checked now
    from_run: str | None = None
    sequential: SequentialResult | None = None   # --until-decided: the looks (absent from a plain run's JSON)

    def __post_init__(self) -> None:
        self.sequential = SequentialResult.from_json(self.sequential)

    @property
    def paper_key(self) -> str:
        """Short name of the paper: the claim id's prefix."""
        return self.id.split(".")[0]

    def to_json(self, measurements: bool = True) -> dict:
        """The claim's entry in results.json; without ``measurements`` the form the
        verdicts table stores (the rows are in the measurements table)."""
        d: dict[str, Any] = {"schema": SCHEMA}
        for k in _CLAIM_KEYS:
            if k == "rates":
                d[k] = [r.to_json() for r in self.rates]
            elif k == "mutants":
                d[k] = [m.to_json(measurements) for m in self.mutants]
            elif k == "measurements":
                if measurements:
                    d[k] = [m.to_json() for m in self.measurements]
            else:
                d[k] = getattr(self, k)
        if self.artefact_error is not None:
            d["artefact_error"] = self.artefact_error
        if self.carried_over:
            d["carried_over"], d["from_run"] = True, self.from_run
        if self.sequential is not None:
            d["sequential"] = self.sequential.to_json()
        return d

    @classmethod
    def from_json(cls, doc: dict) -> "ClaimResult":
        check_schema(doc, f"the result of claim {doc.get('id')!r}")
        return _from(cls, {k: v for k, v in doc.items() if k != "schema"},
                     rates=[RateResult.from_json(r) for r in doc.get("rates", [])],
                     mutants=[MutantResult.from_json(m) for m in doc.get("mutants", [])],
                     measurements=[Measurement.from_json(m) for m in doc.get("measurements", [])])

    def all_measurements(self) -> list[Measurement]:
        """The claim's and its mutants' measurements."""
        return self.measurements + [x for m in self.mutants for x in m.measurements]


# -- a run ----------------------------------------------------------------------------------

@dataclass
class FileError:
    """A claim file that could not be loaded."""
    path: str
    reason: str

    def to_json(self) -> dict:
        return {"path": self.path, "reason": self.reason}


@dataclass
class RunResult:
    """Every claim a run checked (and the latest results of other claims, carried over),
    with the run's provenance and its multiple-testing statement."""
    run_id: str
    profile: str
    master_seed: int
    level: float = 0.05
    family_size: int = 0
    family_wise: str = ""
    interrupted: bool = False
    incomplete: bool = False
    provenance: dict = field(default_factory=dict)
    claims: list[ClaimResult] = field(default_factory=list)
    load_errors: list[FileError] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    from_store: bool = False             # rebuilt from the store (``claimcheck report``)

    @property
    def checked(self) -> list[ClaimResult]:
        """The claims this run checked (not those carried over from earlier runs)."""
        return [c for c in self.claims if not c.carried_over]

    @property
    def wall_time(self) -> float | None:
        return self.provenance.get("wall_time")  # absent while a run has not finished

    @property
    def computed(self) -> int | None:
        """Measurements computed by this run; None for runs stored before it was recorded."""
        computed = self.provenance.get("computed")  # absent in runs stored before it existed
        return computed if isinstance(computed, int) else None

    @property
    def git(self) -> dict:
        return self.provenance.get("git") or {}  # absent outside a git checkout

    @property
    def claimcheck_version(self) -> str:
        return (self.provenance.get("packages") or {}).get("claimcheck", "")  # absent in older provenance

    def to_json(self) -> dict:
        d = {"schema": SCHEMA, "run_id": self.run_id, "profile": self.profile, "master_seed": self.master_seed,
             "level": self.level, "family_size": self.family_size, "family_wise": self.family_wise,
             "interrupted": self.interrupted, "incomplete": self.incomplete, "provenance": self.provenance,
             "claims": [c.to_json() for c in self.claims], "load_errors": [e.to_json() for e in self.load_errors],
             "messages": list(self.messages), "summary": self.summary}
        if self.from_store:
            d["from_store"] = True
        return d

    @classmethod
    def from_json(cls, doc: dict) -> "RunResult":
        check_schema(doc, f"run {doc.get('run_id')!r}")
        return _from(cls, {k: v for k, v in doc.items() if k != "schema"},
                     claims=[ClaimResult.from_json(c) for c in doc["claims"]],
                     load_errors=[FileError(e["path"], e["reason"]) for e in doc.get("load_errors", [])])

    @classmethod
    def load(cls, path) -> "RunResult":
        """A RunResult from a results.json file."""
        with open(path, encoding="utf-8") as fh:
            return cls.from_json(json.load(fh))


def as_run(run: "RunResult | dict") -> RunResult:
    """Renderers accept a RunResult or its JSON form (results.json, older documents)."""
    return run if isinstance(run, RunResult) else RunResult.from_json(run)
