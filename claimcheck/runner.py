"""`claimcheck run` end to end: discover, plan, execute, store, analyse, write.

Measurements are stored batch by batch as they arrive; verdicts are computed from
the store afterwards, so an interrupted run keeps what it measured and a re-run
computes only what is missing.
"""
from __future__ import annotations

import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from . import provenance
from .analyse import check_variant, claim_verdict, mutant_caught
from .claim import Claim, require_profile
from .discovery import LoadError, claim_version, discover, select
from .store import Store
from .versioning import dependencies
from .sweep import measure
from .verdict import ERROR, FAIL, INCONCLUSIVE, PASS, finalize

DEFAULT_STORE = Path("reports") / "claimcheck.sqlite"


@dataclass
class RunOptions:
    patterns: Sequence[str] = ()
    profile: str = "quick"
    seed: int = 0
    scheduler: str | None = None
    jobs: int | None = None
    mutants: bool = False
    out: Path = Path("reports/latest")
    store: Path = DEFAULT_STORE
    claims_dirs: Sequence[Path] | None = None
    strict: bool = False
    progress: bool = True
    artefacts: bool = True
    level: float | None = None


@dataclass
class RunResult:
    run_id: str
    document: dict
    exit_code: int
    interrupted: bool = False
    computed: int = 0
    messages: list[str] = field(default_factory=list)


def run(opts: RunOptions) -> RunResult:
    t_start = time.time()
    run_id = time.strftime("%Y%m%dT%H%M%S", time.gmtime(t_start)) + "-" + uuid.uuid4().hex[:6]
    claims, load_errors = discover(list(opts.claims_dirs) if opts.claims_dirs else None)
    chosen, unmatched = select(claims, list(opts.patterns))
    if opts.patterns:  # a broken file matters to this run only if it could hold a chosen claim
        load_errors = [e for e in load_errors if _could_match(e, opts.patterns)]
    messages = [f"no claim matches {p!r}" for p in unmatched]
    require_profile(chosen, opts.profile)  # a usage error, raised before anything is written

    store = Store(opts.store)
    prov = provenance.collect(profile=opts.profile, master_seed=opts.seed, run_id=run_id, argv=sys.argv,
                              scheduler=opts.scheduler, jobs=opts.jobs)
    store.start_run(run_id, opts.profile, opts.seed, prov)

    # measure every variant of every claim, skipping stored measurements
    versions = {c.id: claim_version(c) for c in chosen}
    items = []
    for c in chosen:
        items.append((c, versions[c.id], "", opts.seed))
        if opts.mutants:
            items.extend((c, versions[c.id], m.name, opts.seed) for m in c.mutants)
    measured = measure(store, items, opts.profile, jobs=opts.jobs, scheduler=opts.scheduler,
                       progress=opts.progress)
    computed = sum(measured.computed.values())
    interrupted = measured.interrupted
    reused = {(cid, v): n for (cid, v, _), n in measured.reused.items()}
    if interrupted:
        messages.append(f"interrupted: {computed} of {measured.total} measurements stored; run again to resume")

    # analyse
    level = opts.level
    claim_docs = []
    all_results = []
    per_claim = {}
    for c in chosen:
        lvl = level or c.level
        rows = store.rows(versions[c.id], "", opts.seed)
        results, err = check_variant(c, rows, opts.profile)
        per_claim[c.id] = (results, err, rows, lvl)
        all_results.extend(results)
    family = len(all_results)
    finalize(all_results, level or 0.05, family_size=family)

    for c in chosen:
        results, err, rows, lvl = per_claim[c.id]
        verdict, reason = claim_verdict(results, err)
        doc = _claim_doc(c, versions[c.id], opts, verdict, reason, results, rows, reused.get((c.id, ""), 0))
        if opts.mutants:
            for m in c.mutants:
                mrows = store.rows(versions[c.id], m.name, opts.seed)
                mres, merr = check_variant(c, mrows, opts.profile)
                finalize(mres, level or 0.05, family_size=max(family, 1), bonferroni=True)
                caught, why = mutant_caught(c, m.name, mres, merr)
                doc["mutants"].append({
                    "name": m.name, "description": m.description, "caught": caught, "reason": why,
                    "verdict": claim_verdict(mres, merr)[0],
                    "rates": [r.as_dict() for r in mres],
                    "measurements": _measurements(mrows),
                })
        claim_docs.append(doc)

    if opts.artefacts and not interrupted:
        from .artefacts import make_artefacts
        for c, doc in zip(chosen, claim_docs):
            make_artefacts(c, doc, opts)

    wall = time.time() - t_start
    prov["wall_time"] = wall
    prov["computed"] = computed
    document = {
        "schema": 1,
        "run_id": run_id,
        "profile": opts.profile,
        "master_seed": opts.seed,
        "level": level or 0.05,
        "family_size": family,
        "family_wise": f"fails confirmed by Holm-Bonferroni over {family} rate(s) at level {level or 0.05:g}; "
                       f"mutants checked at the Bonferroni level {(level or 0.05) / max(family, 1):.3g}",
        "interrupted": interrupted,
        "provenance": prov,
        "claims": claim_docs,
        "load_errors": [{"path": e.path, "reason": e.reason} for e in load_errors],
        "messages": messages,
    }
    document["summary"] = summarize(document)
    for doc in claim_docs:
        store.put_verdict(run_id, doc["id"], doc["version"], _strip_measurements(doc))
    store.finish_run(run_id, "interrupted" if interrupted else "finished", prov)
    store.close()

    code = exit_code(document, opts.strict)
    return RunResult(run_id, document, code, interrupted, computed, messages)


def _could_match(err: LoadError, patterns) -> bool:
    stem = Path(err.path).stem.replace("_", ".")
    return any(p.split(".")[0].rstrip("*") in stem or p in ("*",) for p in patterns)


def _measurements(rows) -> list[dict]:
    return [{"point": r["point_key"], "replicate": r["replicate"], "status": r["status"], "metrics": r["metrics"],
             "error": r["error"], "seconds": r["seconds"]} for r in rows]


def _strip_measurements(doc: dict) -> dict:
    d = dict(doc)
    d.pop("measurements", None)
    d["mutants"] = [{k: v for k, v in m.items() if k != "measurements"} for m in doc.get("mutants", [])]
    return d


def _claim_doc(c: Claim, version, opts, verdict, reason, results, rows, reused) -> dict:
    ok = [r for r in rows if r["status"] == "ok"]
    return {
        "id": c.id, "paper": c.paper, "title": c.title, "statement": c.statement, "source": c.source,
        "version": version, "verdict": verdict, "reason": reason,
        "profile": opts.profile, "grid": {k: list(v) for k, v in c.grid(opts.profile).items()},
        "replicates": c.n_replicates(opts.profile), "master_seed": opts.seed,
        "seeding": ("numpy SeedSequence(entropy=master_seed, spawn_key=(hash(claim id), "
                    + ("0 [common random numbers across the grid]" if c.common_random_numbers else "hash(point)")
                    + ", replicate))"),
        "params": dict(c.params), "calibration": dict(c.calibration), "level": c.level,
        "rates": [r.as_dict() for r in results],
        "mutants": [],
        "compute_seconds": float(sum(r["seconds"] or 0 for r in ok)),
        "reused_measurements": reused,
        "measurements": _measurements(rows),
        "file": c.module_file,
        "depends_on": {name: str(path) for name, path in dependencies(c).items()},
        "artefacts": [],
    }


def summarize(document: dict) -> dict:
    counts = {PASS: 0, FAIL: 0, INCONCLUSIVE: 0, ERROR: 0}
    for c in document["claims"]:
        counts[c["verdict"]] += 1
    counts[ERROR] += len(document["load_errors"])
    muts = [m for c in document["claims"] for m in c["mutants"]]
    counts["mutants_caught"] = sum(m["caught"] for m in muts)
    counts["mutants_missed"] = sum(not m["caught"] for m in muts)
    return counts


def exit_code(document: dict, strict: bool = False) -> int:
    s = document["summary"]
    if document.get("interrupted"):
        return 130
    bad = s[FAIL] + s[ERROR] + s["mutants_missed"] + len(document.get("messages", []))
    if strict:
        bad += s[INCONCLUSIVE]
    if not document["claims"] and not document["load_errors"]:
        return 2
    return 1 if bad else 0
