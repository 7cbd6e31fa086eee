"""From stored measurements to a claim's result: rate checks, mutants, verdict.

:func:`judge` is the one way a :class:`~claimcheck.stats.results.ClaimResult` is made,
for ``claimcheck run``, ``claimcheck calibrate`` (once per master seed) and the pytest
plugin (through run).

Every function takes the profile as the commands resolved it (a
:class:`~claimcheck.engine.profiles.Profile`), and reads a claim's grid and replicates
from it without checking the name again; a name (the transition, and callers outside the
commands) is checked once per call of :func:`judge` or :func:`judge_variant`. The
measurements are typed values (:class:`claimcheck.engine.measurement.Measurement`, or
store rows turned into them once): a failure's kind is its ``status``, never words read
from its message."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..claim import Claim
from ..engine.measurement import Measurement, Status, measurements
from ..engine.profiles import Profile, for_claim
from ..engine.seeding import point_key
from ..engine.versioning import dependencies
from . import results
from .results import ClaimResult, MutantResult, pivot
from .verdict import ERROR, FAIL, INCONCLUSIVE, RateCheck, check_rate, combine, judge_claim


class MeasurementError(Exception):
    """The sweep has missing or failed measurements (not a verdict on the claim)."""


Rows = Sequence["Measurement | dict"]     # typed values, or store rows during the transition


def measurement_table(claim: Claim, rows: Rows, profile: "Profile | str"):
    """(points, {metric: points x replicates array}) for the profile's plan."""
    profile = for_claim(profile, claim)
    rows = measurements(rows)
    points = claim.points(profile)
    n_rep = profile.replicates(claim)
    by_key: dict[str, dict[int, dict]] = {}
    errors = []
    for r in rows:
        if r.ok:
            by_key.setdefault(r.point, {})[r.replicate] = r.metrics
        else:
            errors.append(r)
    missing = []
    metrics: set[str] = set()
    for p in points:
        got = by_key.get(point_key(p), {})
        for rep in range(n_rep):
            if rep in got:
                metrics.update(got[rep])
            else:
                missing.append((p, rep))
    if missing:
        keys = {point_key(p) for p, _ in missing}
        errs = [e for e in errors if e.point in keys]
        if errs:
            raise MeasurementError(f"{len(missing)} measurement(s) failed; first: {errs[0].error}")
        raise MeasurementError(f"{len(missing)} measurement(s) missing (run interrupted?)")
    keys = [point_key(p) for p in points]
    ok = [r for r in rows if r.ok and r.replicate < n_rep]
    return points, {m: pivot(ok, m, keys, n_rep)[1] for m in sorted(metrics)}


def judge_variant(claim: Claim, rows: Rows, profile: "Profile | str",
                  level: float | None = None) -> tuple[list[RateCheck], str | None]:
    """The claim's (or one mutant's) rate results, fails confirmed by Holm over this
    claim's rates at ``level`` (default the claim's own): independent of any other claim."""
    checks, err = check_variant(claim, rows, for_claim(profile, claim), level=level)
    judge_claim(checks, level or claim.level)
    return checks, err


def check_variant(claim: Claim, rows: Rows, profile: "Profile | str",
                  level: float | None = None) -> tuple[list[RateCheck], str | None]:
    """Provisional rate results (before the claim's family-wise correction), or an error."""
    try:
        points, tables = measurement_table(claim, rows, profile)
    except MeasurementError as exc:
        return [], str(exc)
    results = []
    for rate in claim.rates:
        if rate.metric not in tables or np.isnan(tables[rate.metric]).any():
            results.append(RateCheck(rate, ERROR, f"metric {rate.metric!r} was not returned by simulate for every replicate"))
            continue
        floor = None
        if rate.floor_metric:
            if rate.floor_metric not in tables:
                results.append(RateCheck(rate, ERROR, f"floor metric {rate.floor_metric!r} was not returned by simulate"))
                continue
            floor = tables[rate.floor_metric]
        overflow = overflowing_statistic(rate, points, tables[rate.metric])
        if overflow:
            results.append(RateCheck(rate, ERROR, overflow))
            continue
        results.append(check_rate(rate, points, tables[rate.metric], paired=claim.common_random_numbers,
                                  level=level or claim.level, floor_table=floor))
    return results, None


def overflowing_statistic(rate, points: Sequence[dict], table: np.ndarray) -> str | None:
    """Why the rate's statistic cannot be computed in float64 (or None): finite values
    whose mean, mean square or leave-one-out statistics overflow (a metric near 1e308
    read INCONCLUSIVE, "~4000 replicates", with numpy's overflow warnings). Checked
    before any fit, so the error names the metric, not a symptom downstream."""
    from .fit import leave_one_out, reduce

    tab = np.asarray(table, float)
    with np.errstate(all="ignore"):
        for p, row in zip(points, tab):
            row = row[np.isfinite(row)]
            if row.size < 2:
                continue
            stat = reduce(row, rate.statistic)
            loo = leave_one_out(row, rate.statistic)
            if not (np.isfinite(stat) and np.isfinite(loo).all() and np.isfinite(np.log(np.abs(stat) or 1.0))):
                where = ", ".join(f"{k}={v:g}" if isinstance(v, (int, float)) else f"{k}={v}" for k, v in p.items())
                return (f"{rate.statistic}({rate.metric}) overflows float64 at {where} (values up to "
                        f"{np.abs(row).max():.3g}): rescale the metric (e.g. return its log or divide by a "
                        f"constant)")
    return None


def mutant_caught(claim: Claim, mutant_name: str, results: Sequence[RateCheck], error: str | None) -> tuple[bool, str]:
    """A mutant is caught when the rates it targets (or any rate) fail on it."""
    if error:
        return False, f"error: {error}"
    m = next(m for m in claim.mutants if m.name == mutant_name)
    targets = [r for r in results if not m.expect_fail or r.rate.label in m.expect_fail]
    fails = [r for r in targets if r.verdict == FAIL]
    if m.expect_fail:
        caught = len(fails) == len(targets)
    else:
        caught = bool(fails)
    worst = combine([r.verdict for r in results])
    if caught:
        return True, "; ".join(f"{r.rate.label}: {r.reason}" for r in fails)
    others = [r for r in targets if r.verdict != FAIL]
    return False, f"check did not fail ({worst}): " + "; ".join(f"{r.rate.label}: {r.verdict}, {r.reason}" for r in others)


def claim_verdict(results: Sequence[RateCheck], error: str | None) -> tuple[str, str]:
    if error:
        return ERROR, error
    v = combine([r.verdict for r in results])
    lead = [r for r in results if r.verdict == v]
    reason = "; ".join(f"{r.rate.label}: {r.reason}" for r in lead) or "no rates"
    if v == INCONCLUSIVE:
        reason = "inconclusive: " + reason
    elif v == FAIL:
        reason = "failed: " + reason
    return v, reason


def incompleteness(c: Claim, rows: Rows, profile: "Profile | str", interrupted: bool) -> str:
    """Why a variant's sweep lacks measurements for infrastructure reasons (missing
    rows, timeouts, dead workers), or "" when every planned measurement was made (or
    failed in the simulation itself, which is the claim's error, not ours)."""
    profile = for_claim(profile, c)
    n_rep = profile.replicates(c)
    by_key = {(m.point, m.replicate): m for m in measurements(rows)}
    points = c.points(profile)
    missing, infra = 0, []
    for p in points:
        pk = point_key(p)
        for rep in range(n_rep):
            m = by_key.get((pk, rep))
            if m is None:
                missing += 1
            elif m.infrastructure:
                infra.append(m)
            elif not m.ok:
                return ""   # the simulation broke: the claim's own error decides
    if not missing and not infra:
        return ""
    total = len(points) * n_rep
    parts = []
    if missing:
        parts.append(f"{missing} of {total} measurements missing" + (" (run interrupted)" if interrupted else ""))
    if infra:   # the cause first: a timeout before the measurements it kept from starting
        infra.sort(key=lambda m: m.status is Status.SKIPPED)
        parts.append(f"{len(infra)} could not be made; first: {infra[0].error}")
    return "; ".join(parts) + "; run again to resume"


def _calibration(c: Claim, profile: str, version: str | None) -> dict:
    """The claim's calibration record at this profile, with whether it is current."""
    from .calibration_records import status

    state, record = status(c, profile, version)
    return dict(record or {}, status=state) if record else {}


def _as_results(rows: Sequence[Measurement]) -> list[results.Measurement]:
    """The measurements as a result document holds them: the status is the kind
    (``"ok"``, ``"error"``, ``"timeout"``, ``"died"``, ...), so results.json says what happened."""
    return [results.Measurement(m.point, m.replicate, str(m.status), m.metrics, m.error, m.seconds)
            for m in rows]


def _seeding(c: Claim) -> str:
    return ("numpy SeedSequence(entropy=master_seed, spawn_key=(hash(claim id), "
            + ("0 [common random numbers across the grid]" if c.common_random_numbers else "hash(point)")
            + ", replicate))")


def judge(claim: Claim, rows: Rows, profile: "Profile | str", master_seed: int, *, version: str | None = None,
          level: float | None = None, mutant_rows: dict[str, Rows] | None = None,
          interrupted: bool = False) -> ClaimResult:
    """The claim's result from its stored measurements (``rows``; ``mutant_rows`` per
    mutant that ran): each rate checked, fails confirmed by Holm over the claim's own
    rates at ``level`` (default the claim's), each mutant judged the same way. A sweep
    that lacks measurements for infrastructure reasons is an incomplete error (never a
    verdict on the claim), a mutant then "not measured"."""
    profile = for_claim(profile, claim)   # a resolved Profile as it is; a name checked here, once
    rows = measurements(rows)
    lvl = level or claim.level
    checks, err = judge_variant(claim, rows, profile, level=lvl)
    verdict, reason = claim_verdict(checks, err)
    gap = incompleteness(claim, rows, profile, interrupted)
    if gap:   # a measurement that could not be made is never a verdict on the claim
        verdict, reason = ERROR, f"incomplete: {gap}"
    mutants = []
    for m in claim.mutants if mutant_rows is not None else ():
        mrows = measurements(mutant_rows[m.name])
        mchecks, merr = judge_variant(claim, mrows, profile, level=lvl)
        caught, why = mutant_caught(claim, m.name, mchecks, merr)
        mgap = incompleteness(claim, mrows, profile, interrupted)
        if mgap:
            caught, why = False, f"not measured: {mgap}"
        mutants.append(MutantResult(
            name=m.name, description=m.description, caught=caught, reason=why, measured=not mgap,
            verdict=ERROR if mgap else claim_verdict(mchecks, merr)[0], rates=[r.result() for r in mchecks],
            measurements=_as_results(mrows)))
    return ClaimResult(
        id=claim.id, paper=claim.paper, title=claim.title, statement=claim.statement, source=claim.source,
        power=claim.power, version=version, verdict=verdict, reason=reason, profile=profile.name,
        grid={k: list(v) for k, v in profile.grid(claim).items()}, replicates=profile.replicates(claim),
        master_seed=master_seed, seeding=_seeding(claim), params=dict(claim.params),
        calibration=_calibration(claim, profile.name, version), level=lvl,
        rates=[r.result() for r in checks], mutants=mutants,
        compute_seconds=float(sum(r.seconds or 0 for r in rows if r.ok)),
        measurements=_as_results(rows), file=claim.module_file,
        depends_on={name: str(path) for name, path in dependencies(claim).items()}, incomplete=bool(gap))
