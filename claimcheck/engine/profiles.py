"""A profile name, checked once, as a value the layers below the commands can take.

:class:`Profile` lives here, not in :mod:`claimcheck.commands.options` (which resolves it
and re-exports it), because the stats layer takes it too and may not import from the
commands. Code that receives a :class:`Profile` reads a claim's grid and replicates from
it without checking the name again; code that still receives a name checks it once
(:func:`for_claim`) and then works from the value."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Sequence


@dataclass(frozen=True)
class Profile:
    """A profile name checked against the claims of one command: each of them defines
    it, so a claim's grid and replicates are read here without checking again. Made by
    :func:`claimcheck.commands.options.resolve_profile` (or :func:`for_claim` for one
    claim); ``claim_ids`` are the claims it was resolved for."""
    name: str
    claim_ids: frozenset[str] = frozenset()

    def __str__(self) -> str:
        return self.name

    def covers(self, claims) -> bool:
        return {c.id for c in claims} <= self.claim_ids

    def grid(self, claim) -> Mapping[str, Sequence[Any]]:
        return claim.grids[self.name]

    def replicates(self, claim) -> int:
        reps = claim.replicates
        return int(reps[self.name]) if isinstance(reps, Mapping) else int(reps)


def for_claim(profile: "str | Profile", claim) -> Profile:
    """``profile`` as a value for ``claim``: a :class:`Profile` resolved for it is returned
    as it is (no check); a name (or a value resolved for other claims) is checked once,
    with the claim's own :class:`~claimcheck.claim.UnknownProfile`."""
    if isinstance(profile, Profile) and claim.id in profile.claim_ids:
        return profile
    name = profile.name if isinstance(profile, Profile) else profile
    claim.require_profile(name)
    return Profile(name, frozenset({claim.id}))


def profile_name(profile: "str | Profile") -> str:
    """The name as code that takes a string gets it (the sweep, the store, figures)."""
    return profile.name if isinstance(profile, Profile) else profile
