"""Past results of a claim from the store: per rate, the measured exponent with its
CI in each run of the same profile (like airspeed velocity's per-commit graphs)."""
from __future__ import annotations

import time

from ..stats.results import ClaimResult, SchemaError

MAX_RUNS = 60


def _commit(prov: dict) -> str:
    git = prov["git"] if "git" in prov and prov["git"] else {}   # provenance outside git has none
    c = git["commit"] if "commit" in git else None
    return (c[:8] + ("+" if "dirty" in git and git["dirty"] else "")) if c else "no git"


def claim_history(store, claim_id: str, profile: str | None, upto: str | None = None) -> list[dict]:
    """Stored results of a claim, oldest first, restricted to ``profile`` and to runs up
    to (and including) run ``upto``; at most MAX_RUNS. Results of a newer schema are
    left out (this claimcheck cannot read them)."""
    if store is None:
        return []
    out = []
    for h in store.verdict_history(claim_id):
        if profile and h["profile"] != profile:
            continue
        try:
            # stored results of older versions may lack the id (known here) or the verdict
            res = ClaimResult.from_json({"id": claim_id, "verdict": "error", "reason": "", **h["result"]})
        except SchemaError:
            continue
        prov = h["provenance"] or {}
        started = h["started"] or 0
        out.append({
            "run_id": h["run_id"], "started": started,
            "date": time.strftime("%Y-%m-%d %H:%M", time.gmtime(started)) if started else "",
            "commit": _commit(prov), "seed": res.master_seed, "version": res.version, "verdict": res.verdict,
            "reason": res.reason, "rates": {r.label: r for r in res.rates},
            "mutants": f"{sum(bool(m.caught) for m in res.mutants)}/{len(res.mutants)}" if res.mutants else "-",
        })
        if upto and h["run_id"] == upto:
            break
    out = out[-MAX_RUNS:]
    for i, h in enumerate(out):
        h["changed"] = bool(i) and h["verdict"] != out[i - 1]["verdict"]
        h["claim_changed"] = bool(i) and h["version"] != out[i - 1]["version"]
    return out


def rate_series(history: list[dict], label: str) -> list[dict]:
    """Plot points of one rate across runs."""
    pts = []
    for h in history:
        if label not in h["rates"]:
            continue
        r = h["rates"][label]
        pts.append({"measured": r.measured, "lo": r.ci_low, "hi": r.ci_high, "verdict": r.verdict,
                    "version": h["version"], "tick": f"{h['date'][5:10]}\n{h['commit']}"})
    return pts
