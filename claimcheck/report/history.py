"""Past results of a claim from the store: per rate, the measured exponent with its
CI in each run of the same profile (like airspeed velocity's per-commit graphs)."""
from __future__ import annotations

import time

MAX_RUNS = 60


def _commit(prov: dict) -> str:
    git = (prov or {}).get("git") or {}
    c = git.get("commit")
    return (c[:8] + ("+" if git.get("dirty") else "")) if c else "no git"


def claim_history(store, claim_id: str, profile: str | None, upto: str | None = None) -> list[dict]:
    """Stored results of a claim, oldest first, restricted to ``profile`` and to runs up
    to (and including) run ``upto``; at most MAX_RUNS."""
    if store is None:
        return []
    out = []
    for h in store.verdict_history(claim_id):
        if profile and h["profile"] != profile:
            continue
        res = h["result"]
        prov = h.get("provenance") or {}
        started = h.get("started") or 0
        out.append({
            "run_id": h["run_id"], "started": started,
            "date": time.strftime("%Y-%m-%d %H:%M", time.gmtime(started)) if started else "",
            "commit": _commit(prov), "seed": res.get("master_seed", prov.get("master_seed")),
            "version": res.get("version"), "verdict": res.get("verdict", "error"), "reason": res.get("reason", ""),
            "rates": {r["label"]: r for r in res.get("rates", [])},
            "mutants": f"{sum(bool(m.get('caught')) for m in res.get('mutants', []))}/{len(res.get('mutants', []))}"
                       if res.get("mutants") else "-",
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
        r = h["rates"].get(label)
        if r is None:
            continue
        pts.append({"measured": r.get("measured"), "lo": r.get("ci_low"), "hi": r.get("ci_high"),
                    "verdict": r.get("verdict", "error"), "version": h["version"],
                    "tick": f"{h['date'][5:10]}\n{h['commit']}"})
    return pts
