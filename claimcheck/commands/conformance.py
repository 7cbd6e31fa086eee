"""Conformance checks every claim must pass, in the manner of scikit-learn's
``check_estimator``: properties the framework relies on but cannot see in a claim file.

- same seed, same metrics (bit for bit): a replicate depends on its rng only;
- ``simulate_batch`` over several replicates equals ``simulate`` one at a time, to
  round-off (the reproducibility contract, claimcheck.engine.reproducibility); with a
  ``reference``, the references are computed in one call for the batch and one by one
  for the single runs, as the engine does;
- at the smallest grid point every rate's metric is present and finite (after the
  claim's reducers), for the claim and for each mutant;
- two replicates differ in some metric (the rng is actually used).

Each check is a flat function ``check_x(claim, profile) -> None`` (a profile name or a
resolved :class:`~claimcheck.engine.profiles.Profile`) that raises
:class:`ConformanceError` with a message naming the claim; :func:`check_claim` runs them
all and returns the failures. They run the claim at its smallest grid point with a few
replicates, so they are cheap enough for every shipped claim in the default tests and
for ``claimcheck check-claim --smoke``.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Mapping

from ..claim import Claim, UnknownProfile
from ..engine.profiles import Profile, for_claim
from ..engine.reproducibility import agree_to_roundoff
from ..engine.seeding import rng_for

SMOKE_REPLICATES = 2
DIFFER_REPLICATES = 8
SMOKE_SEED = 12345


class ConformanceError(AssertionError):
    """A claim breaks a property the framework relies on."""


def smallest_point(claim: Claim, profile: "str | Profile" = "quick") -> dict:
    """The cheapest grid point: every axis at its first value in the profile's grid
    (grids list values from small to large by convention)."""
    return claim.points(for_claim(profile, claim))[0]


def _rngs(claim: Claim, point: Mapping[str, Any], reps: range):
    seed_point = None if claim.common_random_numbers else point
    return [rng_for(claim.id, seed_point, r, SMOKE_SEED) for r in reps]


def _scalars(claim: Claim, out: Mapping[str, Any], point: Mapping[str, Any]) -> dict[str, float]:
    out = dict(out)
    for name, fn in (claim.reducers or {}).items():
        out[name] = fn(out, point)
    return {k: float(v) for k, v in out.items() if _is_scalar(v)}


def _is_scalar(v) -> bool:
    import numpy as np

    return np.ndim(v) == 0


def _references(claim: Claim, variant: str | None, point, reps: range, one_by_one: bool) -> list | None:
    """The replicates' references, as the engine computes them (fresh generators),
    in one call or replicate by replicate."""
    fn, _ = claim.reference_of(variant)
    if fn is None:
        return None
    rpoint = claim.reference_point(point)
    if one_by_one:
        return [list(fn(rpoint, [g]))[0] for g in _rngs(claim, point, reps)]
    return list(fn(rpoint, _rngs(claim, point, reps)))


def _batch(claim: Claim, variant: str | None, point, reps: range) -> list[dict]:
    simulate, simulate_batch = claim.variant(variant)
    rngs = _rngs(claim, point, reps)
    refs = _references(claim, variant, point, reps, one_by_one=simulate_batch is None)
    if simulate_batch is not None:
        outs = list(simulate_batch(point, rngs) if refs is None else simulate_batch(point, rngs, refs))
    else:
        outs = [simulate(point, g) if refs is None else simulate(point, g, ref)
                for g, ref in zip(rngs, refs or [None] * len(rngs))]
    return [_scalars(claim, o, point) for o in outs]


def _single(claim: Claim, variant: str | None, point, reps: range) -> list[dict]:
    simulate, _ = claim.variant(variant)
    refs = _references(claim, variant, point, reps, one_by_one=True)
    rngs = _rngs(claim, point, reps)
    return [_scalars(claim, simulate(point, g) if refs is None else simulate(point, g, ref), point)
            for g, ref in zip(rngs, refs or [None] * len(rngs))]


def _fail(claim: Claim, what: str) -> None:
    raise ConformanceError(f"claim {claim.id}: {what}")


def check_same_seed_same_metrics(claim: Claim, profile: "str | Profile" = "quick") -> None:
    point = smallest_point(claim, profile)
    reps = range(SMOKE_REPLICATES)
    a = _batch(claim, None, point, reps)
    b = _batch(claim, None, point, reps)
    if a != b:
        _fail(claim, f"the same seeds gave different metrics at {point}: {a} vs {b}")


def check_batch_equals_single(claim: Claim, profile: "str | Profile" = "quick") -> None:
    if claim.simulate_batch is None:
        return
    point = smallest_point(claim, profile)
    reps = range(SMOKE_REPLICATES)
    batched = _batch(claim, None, point, reps)
    single = _single(claim, None, point, reps)
    for r, (x, y) in enumerate(zip(batched, single)):
        if not agree_to_roundoff(x, y):
            _fail(claim, f"simulate_batch and simulate disagree beyond round-off at {point}, replicate {r}: "
                         f"{x} vs {y}")


def check_metrics_present_and_finite(claim: Claim, profile: "str | Profile" = "quick") -> None:
    point = smallest_point(claim, profile)
    needed = {r.metric for r in claim.rates} | {r.floor_metric for r in claim.rates if r.floor_metric}
    for variant in [None] + [m.name for m in claim.mutants]:
        outs = _batch(claim, variant, point, range(SMOKE_REPLICATES))
        if len(outs) != SMOKE_REPLICATES:
            _fail(claim, f"{variant or 'the claim'} returned {len(outs)} results for {SMOKE_REPLICATES} replicates")
        for out in outs:
            missing = sorted(needed - set(out))
            if missing:
                _fail(claim, f"{variant or 'the claim'} gives no metric {', '.join(missing)} at {point}")
            bad = {k: v for k, v in out.items() if k in needed and not math.isfinite(v)}
            if bad:
                _fail(claim, f"{variant or 'the claim'} gives non-finite metrics {bad} at {point}")


def check_replicates_differ(claim: Claim, profile: "str | Profile" = "quick") -> None:
    """Some metric differs among a few replicates (every scalar the claim returns counts,
    and an indicator metric may coincide for a while: up to DIFFER_REPLICATES are drawn)."""
    point = smallest_point(claim, profile)
    outs = _batch(claim, None, point, range(DIFFER_REPLICATES))
    if all(o == outs[0] for o in outs[1:]):
        _fail(claim, f"{DIFFER_REPLICATES} replicates gave identical metrics {sorted(outs[0])} at {point}: "
                     f"is the rng used?")


CHECKS: tuple[Callable[[Claim, str], None], ...] = (
    check_metrics_present_and_finite,
    check_same_seed_same_metrics,
    check_batch_equals_single,
    check_replicates_differ,
)


def check_claim(claim: Claim, profile: "str | Profile" = "quick") -> list[str]:
    """Run every conformance check; the messages of those that fail (empty: conforms).
    A check that raises anything else reports it as a failure too. ``profile``: a name
    (checked once here) or a :class:`~claimcheck.engine.profiles.Profile` resolved by the
    command (not checked again)."""
    try:
        profile = for_claim(profile, claim)
    except UnknownProfile:
        pass   # each check reports it as its failure, as before
    failures = []
    for check in CHECKS:
        try:
            check(claim, profile)
        except ConformanceError as exc:
            failures.append(f"{check.__name__}: {exc}")
        except Exception as exc:  # noqa: BLE001 - the claim's own code raised
            failures.append(f"{check.__name__}: claim {claim.id}: {type(exc).__name__}: {exc}")
    return failures
