"""`claimcheck calibrate`: how trustworthy is a claim's check? Run it under K master seeds.

For a true claim every fail is a false fail; the fraction of seeds that fail estimates
the check's false-fail rate (it should be about the test level or below), the fraction
inconclusive says how often the sweep is too small to decide, the spread of each
measured exponent over seeds is its real sampling error (to compare with the CIs),
and the smallest deviation the check detects is read from the rate results.
With ``mutants=True`` the same seeds also measure how often each mutant is caught
(the check's power against that bug).

Measurements go to the ordinary store under (claim version, variant, point, replicate,
master seed): a seed computed once - by calibrate or by `claimcheck run --seed S` - is
reused, so re-running a calibration or extending it to more seeds computes only what
is missing. All seeds' sweeps go to one executor at once.

With ``until_decided=True`` each seed is also run under the group-sequential design of
``claimcheck run --until-decided`` (:mod:`claimcheck.stats.sequential`: looks at doubling
replicates from the claim's own count to the cap, each judged at its spent level) and the
summary adds how often a seed is decided within the cap, the false-fail rate under the
sequential rule and the mean replicates spent. All undecided seeds of a look go to the
executor together; the first look reuses the plain calibration's replicates. Mutants are
judged at the claim's own replicates only, as ``run --until-decided`` judges them.

Family-wise correction: per claim, as in a run (verdict.judge_claim: Holm over the
claim's own rates at its level; each mutant judged the same way). A claim's verdict
does not depend on which other claims ran, so these rates are the run's rates.
"""
from __future__ import annotations

import datetime as _dt
import json
import math
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from scipy import stats

from ..stats.analyse import judge
from ..claim import Claim
from ..claim import UnknownProfile
from ..engine.discovery import claim_version, discover, select
from ..engine.store import DEFAULT_STORE, Store
from ..engine.sweep import measure
from ..stats.verdict import ERROR, FAIL, INCONCLUSIVE, PASS, family_wise_sentence
from .devices import checked_device, device_env, device_version
from .options import resolve_profile

DEFAULT_OUT = Path("reports") / "calibration"


class CalibrationError(RuntimeError):
    """Nothing to calibrate (no such claim) or the claim file cannot be updated."""


@dataclass
class CalibrateOptions:
    patterns: Sequence[str]
    seeds: int = 20
    first_seed: int = 0
    profile: str = "quick"
    jobs: int | None = None
    scheduler: str | None = None
    mutants: bool = False
    timeout: float | None = None     # seconds per replicate, as run's --timeout
    store: Path = DEFAULT_STORE
    claims_dirs: Sequence[Path] | None = None
    out: Path = DEFAULT_OUT
    progress: bool = True
    level: float | None = None
    messages: list[str] = field(default_factory=list)
    until_decided: bool = False      # also run each seed under the sequential design (issue 21)
    budget_replicates: int | None = None   # its cap (default: as run's, 64 x the claim's replicates)
    budget_seconds: float | None = None    # or each seed's time budget for the claim (as run --budget alone)
    spending: str | None = None      # how the level is split over the looks (default: stats.sequential's)
    device: str = "cpu"              # as run's --device (rows keyed by it)


def wilson_upper(k: int, n: int, level: float = 0.05) -> float:
    """One-sided (1 - level) upper confidence bound of a binomial rate (Wilson score):
    the upper end of statsmodels' two-sided (1 - 2 level) interval."""
    if n == 0:
        return 1.0
    from statsmodels.stats.proportion import proportion_confint

    return min(1.0, float(proportion_confint(k, n, alpha=2 * level, method="wilson")[1]))


def _sd(values: list[float]) -> float | None:
    return float(statistics.stdev(values)) if len(values) >= 2 else None


def _round(x, nd=4):
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return None
    return round(float(x), nd)


def _analyse_seed(c: Claim, store: Store, version: str, seed: int, profile: str, level: float,
                  mutants: bool) -> dict:
    """One seed's result (judged exactly as ``claimcheck run`` judges it), reduced to what
    the calibration summary reads."""
    res = judge(c, store.rows(version, "", seed), profile, seed, version=version, level=level,
                mutant_rows={m.name: store.rows(version, m.name, seed) for m in c.mutants} if mutants else None)
    return {"seed": seed, "verdict": res.verdict, "reason": res.reason,
            "rates": [{"label": r.label, "kind": r.kind, "verdict": r.verdict, "measured": r.measured,
                       "ci_low": r.ci_low, "ci_high": r.ci_high, "detectable_deviation": r.detectable_deviation,
                       "replicates_needed": r.replicates_needed} for r in res.rates],
            "mutants": {m.name: {"caught": m.caught, "reason": m.reason} for m in res.mutants}}


def summarize(c: Claim, per_seed: list[dict], profile: str, mutants: bool, level: float = 0.05) -> tuple[dict, dict]:
    """(summary, record): the full statistics and the record `--record` stores beside the claim file."""
    K = len(per_seed)
    counts = {v: sum(d["verdict"] == v for d in per_seed) for v in (PASS, FAIL, INCONCLUSIVE, ERROR)}
    rates = {}
    for r in c.rates:
        rows = [x for d in per_seed for x in d["rates"] if x["label"] == r.label]
        measured = [x["measured"] for x in rows if x["measured"] is not None and math.isfinite(x["measured"])]
        half = [(x["ci_high"] - x["ci_low"]) / 2 for x in rows
                if x["ci_low"] is not None and x["ci_high"] is not None]
        detect = [x["detectable_deviation"] for x in rows if x["detectable_deviation"] is not None]
        needed = [x["replicates_needed"] for x in rows if x["replicates_needed"]]
        rates[r.label] = {
            "kind": r.kind, "predicted": r.spec.claimed(r), "tolerance": r.tolerance,
            "measured_mean": _round(statistics.fmean(measured)) if measured else None,
            "measured_sd": _round(_sd(measured)),
            "ci_half_width_median": _round(statistics.median(half)) if half else None,
            # the CI's half-width against the spread the seeds actually show (z * sd): below 1 the
            # CIs are too narrow (false fails above the level), well above 1 the check is conservative
            "ci_half_width_over_z_sd": (_round(statistics.median(half) / (stats.norm.ppf(1 - level / 2) * _sd(measured)), 3)
                                        if half and len(measured) >= 2 and _sd(measured) > 0 else None),
            "detectable_deviation_median": _round(statistics.median(detect)) if detect else None,
            "detectable_deviation_max": _round(max(detect)) if detect else None,
            "verdicts": {v: sum(x["verdict"] == v for x in rows) for v in (PASS, FAIL, INCONCLUSIVE, ERROR)},
            "replicates_needed_median": int(statistics.median(needed)) if needed else None,
        }
    summary = {
        "seeds": K, "profile": profile, "replicates": c.n_replicates(profile),
        "verdicts": counts,
        "false_fail_rate": counts[FAIL] / K if K else None,
        "false_fail_rate_upper95": _round(wilson_upper(counts[FAIL], K)),
        "inconclusive_rate": counts[INCONCLUSIVE] / K if K else None,
        "error_rate": counts[ERROR] / K if K else None,
        "rates": rates,
    }
    if mutants:
        summary["mutants"] = {m.name: {"caught": sum(d["mutants"][m.name]["caught"] for d in per_seed),
                                       "catch_rate": sum(d["mutants"][m.name]["caught"] for d in per_seed) / K}
                              for m in c.mutants}
    single = len(c.rates) == 1
    sd = {lab: v["measured_sd"] for lab, v in rates.items()}
    det = {lab: v["detectable_deviation_median"] for lab, v in rates.items()}
    record = {
        "profile": profile,
        "seeds": K,
        "replicates": c.n_replicates(profile),
        "false_fail_rate": _round(summary["false_fail_rate"], 3),
        "false_fail_rate_upper95": summary["false_fail_rate_upper95"],
        "inconclusive_rate": _round(summary["inconclusive_rate"], 3),
        "exponent_sd": sd,
        "detectable_deviation": next(iter(det.values())) if single else det,
    }
    if mutants:
        record["mutant_catch_rate"] = {k: _round(v["catch_rate"], 3) for k, v in summary["mutants"].items()}
    record["measured"] = _dt.date.today().isoformat()
    return summary, record


def _sequential_seeds(c: Claim, store: Store, version: str, seeds: list[int], opts: CalibrateOptions,
                      level: float) -> tuple[dict, list[dict]]:
    """Every seed of ``c`` under the design of ``run --until-decided``: at each look the
    seeds still undecided are measured together up to the look's replicates (stored ones
    are reused), then each is judged at the look's spent level; a seed stops when all its
    rates are decided. Under a time budget each seed's cap is what ``run ID --until-decided
    --budget`` gives the claim alone (:class:`~claimcheck.stats.sequential.BudgetSplit` of one
    claim, from that seed's stored first look), so seeds may differ in their designs.
    Returns (the design as data, one entry per seed)."""
    from collections import Counter

    from ..stats.analyse import claim_verdict, judge_variant
    from ..stats.sequential import DEFAULT_SPENDING, BudgetSplit, SequentialRate, design, measured_seconds, record
    from .runner import DEFAULT_GROWTH_TO_CAP, with_replicates

    start = c.n_replicates(opts.profile)
    spending = opts.spending or DEFAULT_SPENDING
    if opts.budget_seconds:
        caps = {}
        for s in seeds:
            first = [r for r in store.rows(version, "", s) if r["replicate"] < start]
            caps[s] = BudgetSplit(opts.budget_seconds, {c.id: (start, measured_seconds(first))}).share(c.id).cap
    else:
        cap = max(start, int(opts.budget_replicates)) if opts.budget_replicates else start * DEFAULT_GROWTH_TO_CAP
        caps = {s: cap for s in seeds}
    designs = {cap: design(start, cap, level, spending) for cap in set(caps.values())}
    by_seed = {s: designs[caps[s]] for s in seeds}
    seqs = {s: [SequentialRate(r.label or r.metric) for r in c.rates] for s in seeds}
    kept: dict[int, list] = {s: [None] * len(c.rates) for s in seeds}
    stop: dict[int, str] = {}
    errors: dict[int, str] = {}
    computed = 0
    for n in sorted({n for d in designs.values() for n in d.replicates}):
        open_seeds = [s for s in seeds if s not in stop and n in by_seed[s].replicates]
        if not open_seeds:
            continue
        at_n = with_replicates(c, opts.profile, n)
        measured = measure(store, [(at_n, version, "", s) for s in open_seeds], opts.profile, jobs=opts.jobs,
                           scheduler=opts.scheduler, progress=opts.progress, timeout=opts.timeout,
                           desc=f"calibrating {c.id} at {n} replicates")
        if measured.interrupted:
            raise KeyboardInterrupt
        computed += sum(measured.computed.values())
        for s in open_seeds:
            d = by_seed[s]
            a = d.levels[d.replicates.index(n)]
            rows = [r for r in store.rows(version, "", s) if r["replicate"] < n]
            checks, err = judge_variant(at_n, rows, opts.profile, level=a)
            if err:
                stop[s], errors[s] = "error", err
                continue
            open_before = [not q.decided for q in seqs[s]]
            record(seqs[s], checks, n, a)
            for k, was_open in enumerate(open_before):
                if was_open:
                    kept[s][k] = checks[k]
            if all(q.decided for q in seqs[s]):
                stop[s] = "decided"
    per_seed = []
    by_budget = bool(opts.budget_replicates or opts.budget_seconds)
    for s in seeds:
        why = stop.get(s, "budget" if by_budget else "cap")
        verdict = (claim_verdict([k for k in kept[s] if k is not None], errors.get(s))[0]
                   if all(k is not None for k in kept[s]) or s in errors else INCONCLUSIVE)
        per_seed.append({"seed": s, "verdict": verdict, "stop": why, "cap": caps[s],
                         "replicates": max((q.replicates for q in seqs[s]), default=0),
                         "rates": [{"label": q.label, "verdict": q.verdict,
                                    "looks": [[lk.replicates, lk.verdict] for lk in q.looks]} for q in seqs[s]]})
    # the design most seeds had (the only one without a time budget)
    common = designs[Counter(caps[s] for s in seeds).most_common(1)[0][0]]
    described = common.describe()
    if len(designs) > 1:
        described += "; caps per seed from --budget: " + ", ".join(
            f"{cap} ({sum(v == cap for v in caps.values())} seeds)" for cap in sorted(designs))
    plan = {"replicates": list(common.replicates), "levels": [_round(x, 6) for x in common.levels],
            "spending": common.spending, "cap": max(caps.values()), "level": level, "design": described,
            "computed": computed}
    if opts.budget_seconds:
        plan["budget_seconds"] = opts.budget_seconds
        plan["caps"] = {str(cap): sum(v == cap for v in caps.values()) for cap in sorted(designs)}
    return plan, per_seed


def sequential_summary(plan: dict, per_seed: list[dict]) -> dict:
    """How the sequential rule does over the seeds: decided within the cap, false fails
    (every fail of a true claim is one), and the replicates it spent."""
    K = len(per_seed)
    counts = {v: sum(d["verdict"] == v for d in per_seed) for v in (PASS, FAIL, INCONCLUSIVE, ERROR)}
    spent = [d["replicates"] for d in per_seed]
    return {**plan, "seeds": K, "verdicts": counts,
            "decided_rate": (counts[PASS] + counts[FAIL]) / K if K else None,
            "false_fail_rate": counts[FAIL] / K if K else None,
            "false_fail_rate_upper95": _round(wilson_upper(counts[FAIL], K)),
            "mean_replicates": _round(statistics.fmean(spent), 2) if spent else None,
            "max_replicates": max(spent, default=None)}


def calibrate_claims(opts: CalibrateOptions) -> list[dict]:
    """Calibrate every claim matching ``opts.patterns``; one document per claim."""
    claims, load_errors = discover(list(opts.claims_dirs) if opts.claims_dirs else None)
    chosen, unmatched = select(claims, list(opts.patterns))
    if unmatched or not chosen:
        near = [e for e in load_errors if any(p.split(".")[0].rstrip("*") in Path(e.path).stem for p in opts.patterns)]
        why = "; ".join(f"{e.path}: {e.reason}" for e in near)
        raise CalibrationError(f"no claim matches {', '.join(unmatched or opts.patterns)}" + (f" ({why})" if why else ""))
    if opts.seeds < 2:
        raise CalibrationError("--seeds must be at least 2")
    try:
        profile = resolve_profile(opts.profile, chosen)   # the one check: the judge takes the value, the sweep its name
    except UnknownProfile as exc:
        raise CalibrationError(str(exc)) from None
    seeds = list(range(opts.first_seed, opts.first_seed + opts.seeds))
    try:
        dev = checked_device(opts.device, opts.scheduler)
    except ValueError as exc:
        raise CalibrationError(str(exc)) from None
    with device_env(dev):
        return _calibrate(opts, chosen, seeds, profile, dev)


def _calibrate(opts: CalibrateOptions, chosen, seeds, profile, dev: str) -> list[dict]:
    store = Store(opts.store)
    t0 = time.time()
    versions = {c.id: device_version(claim_version(c), dev) for c in chosen}
    items = [(c, versions[c.id], v, s) for c in chosen for s in seeds
             for v in [""] + ([m.name for m in c.mutants] if opts.mutants else [])]
    measured = measure(store, items, opts.profile, jobs=opts.jobs, scheduler=opts.scheduler,
                       progress=opts.progress, timeout=opts.timeout, desc="calibrating")
    if measured.interrupted:  # what was measured is stored: a re-run resumes
        store.close()
        raise KeyboardInterrupt
    computed = measured.computed
    reused = {c.id: sum(n for (cid, _, _), n in measured.reused.items() if cid == c.id) for c in chosen}
    measure_seconds = time.time() - t0

    docs = []
    for c in chosen:
        level = opts.level or c.level
        per_seed = [_analyse_seed(c, store, versions[c.id], s, profile, level, opts.mutants) for s in seeds]
        summary, record = summarize(c, per_seed, opts.profile, opts.mutants, level)
        if opts.until_decided:
            plan, seq_seeds = _sequential_seeds(c, store, versions[c.id], seeds, opts, level)
            summary["sequential"] = seq = sequential_summary(plan, seq_seeds)
            for d, q in zip(per_seed, seq_seeds):
                d["sequential"] = q
            record["until_decided"] = {"cap": seq["cap"], "spending": seq["spending"],
                                       **({"budget_seconds": opts.budget_seconds} if opts.budget_seconds else {}),
                                       "decided_rate": _round(seq["decided_rate"], 3),
                                       "false_fail_rate": _round(seq["false_fail_rate"], 3),
                                       "mean_replicates": seq["mean_replicates"]}
        docs.append({
            "schema": 1, "claim_id": c.id, "claim_version": versions[c.id], "file": c.module_file,
            "profile": opts.profile, "master_seeds": seeds, "level": level,
            "family_wise": family_wise_sentence([level]) + "; each mutant is judged the same way",
            "summary": summary, "record": record, "per_seed": per_seed,
            "timing": {"measured_seconds": round(measure_seconds, 2), "computed": computed[c.id], "reused": reused[c.id],
                       "claims_measured_together": len(chosen)},
        })
    store.close()
    return docs


def write_json(doc: dict, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{doc['claim_id']}-{doc['profile']}.json"
    path.write_text(json.dumps(doc, indent=1, default=str, allow_nan=False))
    return path

def describe(doc: dict) -> str:
    s = doc["summary"]
    K = s["seeds"]
    v = s["verdicts"]
    lines = [f"{doc['claim_id']} ({doc['profile']} profile, {s['replicates']} replicates, master seeds "
             f"{doc['master_seeds'][0]}..{doc['master_seeds'][-1]}):",
             f"  verdicts over {K} seeds: {v[PASS]} pass, {v[FAIL]} fail, {v[INCONCLUSIVE]} inconclusive, {v[ERROR]} error",
             f"  false-fail rate {v[FAIL]}/{K} = {s['false_fail_rate']:.3f} (95% upper bound {s['false_fail_rate_upper95']:.3f}); "
             f"inconclusive rate {s['inconclusive_rate']:.3f}"]
    for lab, r in s["rates"].items():
        lines.append(f"  {lab} ({r['kind']}, predicted {r['predicted']} +- {r['tolerance']}): measured "
                     f"{r['measured_mean']} sd {r['measured_sd']} over seeds; median CI half-width "
                     f"{r['ci_half_width_median']} (= {r['ci_half_width_over_z_sd']} x z*sd); detectable deviation {r['detectable_deviation_median']} "
                     f"(max {r['detectable_deviation_max']})"
                     + (f"; inconclusive seeds asked for ~{r['replicates_needed_median']} replicates"
                        if r["replicates_needed_median"] else ""))
    for name, m in s.get("mutants", {}).items():
        lines.append(f"  mutant {name}: caught in {m['caught']}/{K} seeds")
    if "sequential" in s:
        q, qv = s["sequential"], s["sequential"]["verdicts"]
        lines += [f"  until decided ({q['design']}):",
                  f"    decided within the cap in {qv[PASS] + qv[FAIL]}/{K} seeds ({q['decided_rate']:.3f}): "
                  f"{qv[PASS]} pass, {qv[FAIL]} fail, {qv[INCONCLUSIVE]} inconclusive, {qv[ERROR]} error",
                  f"    false-fail rate {qv[FAIL]}/{K} = {q['false_fail_rate']:.3f} (95% upper bound "
                  f"{q['false_fail_rate_upper95']:.3f}); mean replicates spent {q['mean_replicates']} "
                  f"(max {q['max_replicates']}, cap {q['cap']})"]
    t = doc["timing"]
    together = t.get("claims_measured_together", 1)
    lines.append(f"  measured {t['computed']} replicate(s), reused {t['reused']} from the store; measuring took "
                 f"{t['measured_seconds']:.1f} s" + (f" (for all {together} claims together)" if together > 1 else ""))
    return "\n".join(lines)
