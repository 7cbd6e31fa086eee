"""Run claimcheck's conformance checks on your own claims, inside your own pytest suite
(scikit-learn's ``parametrize_with_checks``, for claims)::

    from claimcheck.testing import claims_in, parametrize_with_checks

    @parametrize_with_checks(claims_in("claims/"))
    def test_my_claims_conform(claim, check):
        check(claim)

One test item per claim and check (ids ``<claim id>-<check name>``), so a failure names
both. The checks (``claimcheck.commands.conformance``) are what ``claimcheck
check-claim --smoke`` runs: same seed same metrics, batch equals single to round-off,
metrics present and finite at the smallest point for the claim and every mutant, the rng
used. They run the smallest grid point with a few replicates: seconds per claim.
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Callable, Iterable, Sequence

from .claim import Claim
from .commands.conformance import CHECKS, ConformanceError

__all__ = ["CHECKS", "ConformanceError", "claims_in", "parametrize_with_checks"]


def claims_in(*paths: str | Path, ids: Sequence[str] | None = None) -> list[Claim]:
    """The claims of these files or folders (optionally only ids matching the globs). A file
    that does not load raises here, at collection, naming the file and line, rather than
    silently giving fewer test items."""
    from .engine.discovery import discover, load_file, select

    claims, errors = [], []
    for p in map(Path, paths):
        got, errs = load_file(p) if p.is_file() else discover([p], entry_points=False)
        claims += got
        errors += errs
    if errors:
        raise ValueError("; ".join(f"{e.path}: {e.reason}" for e in errors))
    chosen, unmatched = select(claims, list(ids) if ids else None)
    if unmatched:
        raise ValueError(f"no claim matches {', '.join(unmatched)}")
    return chosen


def _bound(check: Callable[[Claim, str], None], profile: str) -> Callable[[Claim], None]:
    fn = functools.partial(check, profile=profile)
    functools.update_wrapper(fn, check)
    return fn


def parametrize_with_checks(claims: Iterable[Claim], profile: str = "quick"):
    """A ``pytest.mark.parametrize`` over (claim, check) pairs; each check takes the claim
    and raises :class:`ConformanceError` with a message naming it when the claim breaks it."""
    import pytest

    params = [pytest.param(c, _bound(chk, profile), id=f"{c.id}-{chk.__name__}") for c in claims for chk in CHECKS]
    return pytest.mark.parametrize("claim, check", params)
