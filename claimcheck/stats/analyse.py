"""From stored measurements to a claim's result: rate checks, mutants, verdict."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..claim import Claim
from ..engine.seeding import point_key
from ..engine.sweep import grid_points
from .verdict import ERROR, FAIL, INCONCLUSIVE, RateResult, check_rate, combine, judge_claim


class MeasurementError(Exception):
    """The sweep has missing or failed measurements (not a verdict on the claim)."""


def measurement_table(claim: Claim, rows: Sequence[dict], profile: str):
    """(points, {metric: points x replicates array}) for the profile's plan."""
    points = grid_points(claim.grid(profile))
    n_rep = claim.n_replicates(profile)
    by_key: dict[str, dict[int, dict]] = {}
    errors = []
    for r in rows:
        if r["status"] == "ok":
            by_key.setdefault(r["point_key"], {})[r["replicate"]] = r["metrics"]
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
        errs = [e for e in errors if e["point_key"] in keys]
        if errs:
            raise MeasurementError(f"{len(missing)} measurement(s) failed; first: {errs[0]['error']}")
        raise MeasurementError(f"{len(missing)} measurement(s) missing (run interrupted?)")
    tables = {}
    for m in sorted(metrics):
        tab = np.full((len(points), n_rep), np.nan)
        for i, p in enumerate(points):
            got = by_key[point_key(p)]
            for rep in range(n_rep):
                if m in got[rep]:
                    tab[i, rep] = got[rep][m]
        tables[m] = tab
    return points, tables


def judge_variant(claim: Claim, rows: Sequence[dict], profile: str,
                  level: float | None = None) -> tuple[list[RateResult], str | None]:
    """The claim's (or one mutant's) rate results, fails confirmed by Holm over this
    claim's rates at ``level`` (default the claim's own): independent of any other claim."""
    results, err = check_variant(claim, rows, profile, level=level)
    judge_claim(results, level or claim.level)
    return results, err


def check_variant(claim: Claim, rows: Sequence[dict], profile: str,
                  level: float | None = None) -> tuple[list[RateResult], str | None]:
    """Provisional rate results (before the claim's family-wise correction), or an error."""
    try:
        points, tables = measurement_table(claim, rows, profile)
    except MeasurementError as exc:
        return [], str(exc)
    results = []
    for rate in claim.rates:
        if rate.metric not in tables or np.isnan(tables[rate.metric]).any():
            results.append(RateResult(rate, ERROR, f"metric {rate.metric!r} was not returned by simulate for every replicate"))
            continue
        floor = None
        if rate.floor_metric:
            if rate.floor_metric not in tables:
                results.append(RateResult(rate, ERROR, f"floor metric {rate.floor_metric!r} was not returned by simulate"))
                continue
            floor = tables[rate.floor_metric]
        results.append(check_rate(rate, points, tables[rate.metric], paired=claim.common_random_numbers,
                                  level=level or claim.level, floor_table=floor))
    return results, None


def mutant_caught(claim: Claim, mutant_name: str, results: Sequence[RateResult], error: str | None) -> tuple[bool, str]:
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


def claim_verdict(results: Sequence[RateResult], error: str | None) -> tuple[str, str]:
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
