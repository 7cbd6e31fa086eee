"""What a full profile's replicates buy: each claim judged again from its stored full run
with only its first n/2, n/4, ... replicates (the store hands back the first n' of the
same seeds, so nothing is simulated), beside the compute those replicates cost.

    python benchmarks/full_replicate_sizing.py STORE [--claims-dir DIR] [--seed 0] [--floor 4]

For each claim whose rows at its current version are in STORE: per replicate count, the
verdict, each rate's estimate and CI, and the deviation failed with 80% probability
(``detectable``); the stored seconds of those replicates. Writes nothing to the store.

The ladder halves n while it stays >= ``--floor``. Then one line per claim with the fewest
replicates of the ladder that a sizing rule would keep (``--slack``, default 1.25): the
shipped count decides (pass or fail: an undecided claim needs more data, not less), every
count from n down to it gives the same verdict, and every rate's detectable deviation is
at most slack x its tolerance (so a deviation of 1.25 x the band's half-width from the
prediction is still failed 80% of the time). One seed's data: a proposal to check over
seeds, not a calibration.
The tables for the shipped claims are in benchmarks/README.md (stop 39)."""
from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from claimcheck.engine.discovery import claim_version, discover
from claimcheck.engine.store import Store
from claimcheck.stats.analyse import claim_verdict, judge_variant


def ladder(n: int, floor: int) -> list[int]:
    out = [n]
    while out[-1] // 2 >= floor:
        out.append(out[-1] // 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("store")
    ap.add_argument("--claims-dir", default="claims")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--floor", type=int, default=4)
    ap.add_argument("--profile", default="full")
    ap.add_argument("--slack", type=float, default=1.25)
    a = ap.parse_args()
    if not Path(a.store).is_file():
        raise SystemExit(f"full_replicate_sizing: no store at {a.store}")
    claims, _ = discover([a.claims_dir], entry_points=False)
    store = Store(a.store, check=False)
    print("| claim | replicates | stored s | verdict | rate: estimate [CI], detectable |")
    print("|---|---|---|---|---|")
    kept = []
    for c in sorted(claims, key=lambda c: c.id):
        rows = store.measurements(claim_version(c), "", a.seed)
        n = c.n_replicates(a.profile)
        if not rows or not isinstance(c.replicates, dict):
            continue
        base, keep, total, going = None, None, None, True
        for k in ladder(n, a.floor):
            ck = dataclasses.replace(c, replicates={**c.replicates, a.profile: k})
            checks, err = judge_variant(ck, rows, a.profile)
            verdict, _ = claim_verdict(checks, err)
            sec = sum(r.seconds or 0.0 for r in rows if r.replicate < k)
            base = verdict if base is None else base
            total = sec if total is None else total
            going = going and base in ("pass", "fail") and verdict == base and all(
                ch.detectable is not None and ch.rate.tolerance is not None
                and ch.detectable <= a.slack * ch.rate.tolerance for ch in checks)
            if going:
                keep = (k, sec)
            rates = "; ".join(f"{ch.rate.label}: {ch.measured:.4g} [{ch.ci_low:.4g}, {ch.ci_high:.4g}], "
                              f"{ch.detectable if ch.detectable is None else format(ch.detectable, '.3g')}"
                              if ch.measured is not None else f"{ch.rate.label}: {ch.reason[:60]}"
                              for ch in checks)
            print(f"| {c.id} | {k} | {sec:.0f} | {verdict} | {rates} |", flush=True)
        kept.append((c.id, n, total) + (keep or (n, total)))
    print(f"\n| claim | replicates | stored s | kept at slack {a.slack:g} | stored s |\n|---|---|---|---|---|")
    for cid, n, total, k, sec in kept:
        print(f"| {cid} | {n} | {total:.0f} | {k} | {sec:.0f} |")
    print(f"| all | | {sum(t for _, _, t, _, _ in kept):.0f} | | {sum(s for *_, s in kept):.0f} |")
    store.close()


if __name__ == "__main__":
    main()
