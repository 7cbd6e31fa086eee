"""`claimcheck run` end to end: discover, plan, execute, store, analyse, write.

Measurements are stored batch by batch as they arrive; verdicts are computed from
the store afterwards, so an interrupted run keeps what it measured and a re-run
computes only what is missing.

A measurement that could not be made (interrupted, timeout, dead worker, lost
scheduler, full disk) is never science: the claim is "incomplete" (verdict error,
``incomplete: true``), a mutant "not measured" (``measured: false``), and the run exits 3.
Exit codes: 0 all pass, 1 a claim failed or errored (or a mutant was missed, or
inconclusive under --strict), 2 usage error, 3 infrastructure / incomplete.
"""
from __future__ import annotations

import contextlib
import os
import socket
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from ..engine import provenance
from ..stats.analyse import claim_verdict, judge_variant, mutant_caught
from ..claim import Claim, require_profile
from ..engine.discovery import LoadError, claim_version, discover, select
from ..engine.seeding import point_key
from ..engine.store import Store, explain
from ..engine.versioning import dependencies
from ..engine.sweep import grid_points, is_infrastructure_error, measure
from ..stats.verdict import ERROR, FAIL, INCONCLUSIVE
from ..report.outputs import summarize

DEFAULT_STORE = Path("reports") / "claimcheck.sqlite"

EXIT_PASS, EXIT_FAIL, EXIT_USAGE, EXIT_INCOMPLETE = 0, 1, 2, 3


class UsageError(ValueError):
    """A command that cannot mean anything (a pattern that matches no claim): exit 2,
    nothing written."""


class OutputError(RuntimeError):
    """The output folder cannot be written (read-only, disk full): exit 3."""


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
    timeout: float | None = None     # seconds per replicate (overrides Claim.timeout)


@dataclass
class RunResult:
    run_id: str
    document: dict
    exit_code: int
    interrupted: bool = False
    computed: int = 0
    messages: list[str] = field(default_factory=list)


@contextlib.contextmanager
def locked(opts: RunOptions, wait_message=None):
    """Hold the output folder's lock, then the store's, for a whole command (measure,
    analyse, write). A second run on the same store or folder waits, then reuses what
    the first stored; two runs never write one folder at once. Locks are released by
    the OS if the process dies (flock)."""
    from filelock import FileLock, Timeout

    out = Path(opts.out)
    with _writable_folder(out):
        pass
    paths = [out / ".claimcheck.lock", Path(str(opts.store) + ".lock")]
    Path(opts.store).parent.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        for path in paths:
            lock = FileLock(str(path))
            try:
                lock.acquire(timeout=0.2)
            except Timeout:
                if wait_message:
                    wait_message(f"waiting for another claimcheck run that holds {path}")
                lock.acquire()
            except OSError as exc:
                raise OutputError(explain(exc, path)) from exc
            stack.callback(lock.release)
        yield


@contextlib.contextmanager
def _writable_folder(folder: Path):
    """Create ``folder`` and a temporary file in it: a read-only path or a full disk is
    an error now, before anything is computed."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".claimcheck-probe-") as fh:
            fh.write(b"x" * 4096)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise OutputError(explain(exc, folder)) from exc
    yield


def resolve(opts: RunOptions):
    """(claims, chosen, load_errors) for the command line, or UsageError / UnknownProfile:
    usage errors are found before anything is locked, created or written."""
    claims, load_errors = discover(list(opts.claims_dirs) if opts.claims_dirs else None)
    chosen, unmatched = select(claims, list(opts.patterns))
    if opts.patterns:  # a broken file matters to this run only if it could hold a chosen claim
        load_errors = [e for e in load_errors if _could_match(e, opts.patterns)]
    if unmatched:
        known = ", ".join(c.id for c in claims[:8]) + (", ..." if len(claims) > 8 else "")
        raise UsageError("; ".join(f"no claim matches {p!r}" for p in unmatched)
                         + (f" (claims: {known})" if claims else " (no claims found)"))
    if not chosen and not load_errors:
        raise UsageError("no claims found: put claim files in ./claims, pass --claims-dir, "
                         "or install a package with `claimcheck.claims` entry points")
    require_profile(chosen, opts.profile)
    return claims, chosen, load_errors


def run(opts: RunOptions) -> RunResult:
    t_start = time.time()
    run_id = time.strftime("%Y%m%dT%H%M%S", time.gmtime(t_start)) + "-" + uuid.uuid4().hex[:6]
    claims, chosen, load_errors = resolve(opts)
    messages: list[str] = []
    with _writable_folder(Path(opts.out)):
        pass

    store = Store(opts.store)
    try:
        return _run(opts, run_id, t_start, claims, chosen, load_errors, messages, store)
    finally:
        store.close()


def _run(opts, run_id, t_start, claims, chosen, load_errors, messages, store) -> RunResult:
    prov = provenance.collect(profile=opts.profile, master_seed=opts.seed, run_id=run_id, argv=sys.argv,
                              scheduler=opts.scheduler, jobs=opts.jobs)
    prov["pid"], prov["host"] = os.getpid(), socket.gethostname()
    died = store.mark_dead_runs()
    if died:
        messages.append(f"earlier run(s) {', '.join(died)} ended without finishing (killed, or a claim ended "
                        f"the process); their stored measurements are reused")
    store.start_run(run_id, opts.profile, opts.seed, prov)
    try:
        result = _measure_and_analyse(opts, run_id, t_start, claims, chosen, load_errors, messages, store, prov)
    except BaseException as exc:
        with contextlib.suppress(Exception):
            store.finish_run(run_id, "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed")
        raise
    return result


def _measure_and_analyse(opts, run_id, t_start, claims, chosen, load_errors, messages, store, prov) -> RunResult:

    # measure every variant of every claim, skipping stored measurements
    versions = {c.id: claim_version(c) for c in chosen}
    items = []
    for c in chosen:
        items.append((c, versions[c.id], "", opts.seed))
        if opts.mutants:
            items.extend((c, versions[c.id], m.name, opts.seed) for m in c.mutants)
    measured = measure(store, items, opts.profile, jobs=opts.jobs, scheduler=opts.scheduler,
                       progress=opts.progress, timeout=opts.timeout, log_dir=Path(opts.out) / "logs")
    computed = sum(measured.computed.values())
    interrupted = measured.interrupted
    reused = {(cid, v): n for (cid, v, _), n in measured.reused.items()}
    if interrupted:
        messages.append(f"interrupted: {computed} of {measured.total} measurements stored; run again to resume")

    # analyse
    if opts.progress:
        print(f"claimcheck: analysing {len(chosen)} claim(s)", file=sys.stderr, flush=True)
    level = opts.level
    claim_docs = []
    all_results = []
    per_claim = {}
    for c in chosen:
        lvl = level or c.level
        rows = store.rows(versions[c.id], "", opts.seed)
        results, err = judge_variant(c, rows, opts.profile, level=lvl)   # Holm over this claim's rates only
        per_claim[c.id] = (results, err, rows, lvl)
        all_results.extend(results)
    family = len(all_results)

    for c in chosen:
        results, err, rows, lvl = per_claim[c.id]
        verdict, reason = claim_verdict(results, err)
        gap = incompleteness(c, rows, opts.profile, interrupted)
        if gap:   # a measurement that could not be made is never a verdict on the claim
            verdict, reason = ERROR, f"incomplete: {gap}"
        doc = _claim_doc(c, versions[c.id], opts, verdict, reason, results, rows, reused.get((c.id, ""), 0))
        doc["incomplete"] = bool(gap)
        doc["log"] = _log_path(opts, c.id)
        if opts.mutants:
            for m in c.mutants:
                mrows = store.rows(versions[c.id], m.name, opts.seed)
                mres, merr = judge_variant(c, mrows, opts.profile, level=lvl)
                caught, why = mutant_caught(c, m.name, mres, merr)
                mgap = incompleteness(c, mrows, opts.profile, interrupted)
                if mgap:
                    caught, why = False, f"not measured: {mgap}"
                doc["mutants"].append({
                    "name": m.name, "description": m.description, "caught": caught, "reason": why,
                    "measured": not mgap,
                    "verdict": ERROR if mgap else claim_verdict(mres, merr)[0],
                    "rates": [r.as_dict() for r in mres],
                    "measurements": _measurements(mrows),
                })
        claim_docs.append(doc)
    own = len(claim_docs)
    claim_docs.extend(_other_claims(store, claims, chosen, opts))

    if opts.artefacts and not interrupted:
        from ..artefacts import make_artefacts
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
        "family_wise": ("fails confirmed by Holm over each claim's own rates at the claim's level "
                        + (f"(--level {level:g})" if level else "(default 0.05)")
                        + "; a claim's verdict does not depend on which other claims ran"),
        "interrupted": interrupted,
        "incomplete": interrupted or any(d.get("incomplete") or not all(m.get("measured", True) for m in d["mutants"])
                                         for d in claim_docs[:own]),
        "provenance": prov,
        "claims": claim_docs,
        "load_errors": [{"path": e.path, "reason": e.reason} for e in load_errors],
        "messages": messages,
    }
    document["summary"] = summarize(document)
    for doc in claim_docs[:own]:
        store.put_verdict(run_id, doc["id"], doc["version"], _strip_measurements(doc))
    store.finish_run(run_id, "interrupted" if interrupted else "finished", prov)

    code = exit_code(document, opts.strict)
    return RunResult(run_id, document, code, interrupted, computed, messages)


def incompleteness(c: Claim, rows, profile: str, interrupted: bool) -> str:
    """Why a variant's sweep lacks measurements for infrastructure reasons (missing
    rows, timeouts, dead workers), or "" when every planned measurement was made (or
    failed in the simulation itself, which is the claim's error, not ours)."""
    n_rep = c.n_replicates(profile)
    ok = {(r["point_key"], r["replicate"]) for r in rows if r["status"] == "ok"}
    errors = {(r["point_key"], r["replicate"]): r["error"] for r in rows if r["status"] != "ok"}
    missing, infra = 0, []
    for p in grid_points(c.grid(profile)):
        pk = point_key(p)
        for rep in range(n_rep):
            if (pk, rep) in ok:
                continue
            err = errors.get((pk, rep))
            if err is None:
                missing += 1
            elif is_infrastructure_error(err):
                infra.append(err)
            else:
                return ""   # the simulation broke: the claim's own error decides
    if not missing and not infra:
        return ""
    total = len(grid_points(c.grid(profile))) * n_rep
    parts = []
    if missing:
        parts.append(f"{missing} of {total} measurements missing" + (" (run interrupted)" if interrupted else ""))
    if infra:
        parts.append(f"{len(infra)} could not be made; first: {infra[0]}")
    return "; ".join(parts) + "; run again to resume"


def _log_path(opts: RunOptions, claim_id: str) -> str | None:
    path = Path(opts.out) / "logs" / f"{claim_id}.log"
    return str(path) if path.exists() else None


def _other_claims(store: Store, claims, chosen, opts: RunOptions) -> list[dict]:
    """The latest stored document of every other claim at this profile and seed (its
    current version): a report folder shows every claim, not only the last command's.
    Marked ``carried_over`` (with ``from_run``); they do not change the exit code."""
    picked = {c.id for c in chosen}
    docs = []
    for c in claims:
        if c.id in picked or opts.profile not in c.grids:
            continue
        version = claim_version(c)
        found = store.latest_result(c.id, version, opts.profile, opts.seed)
        if not found:
            continue
        run_id, doc = found
        doc = dict(doc, carried_over=True, from_run=run_id)
        doc["measurements"] = _measurements(store.rows(version, "", opts.seed))
        doc["mutants"] = [dict(m, measurements=_measurements(store.rows(version, m["name"], opts.seed)))
                          for m in doc.get("mutants", [])]
        docs.append(doc)
    return docs


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


def _calibration(c: Claim, profile: str, version: str) -> dict:
    """The claim's calibration record at this profile, with whether it is current."""
    from ..stats.calibration_records import status

    state, record = status(c, profile, version)
    return dict(record or {}, status=state) if record else {}


def _claim_doc(c: Claim, version, opts, verdict, reason, results, rows, reused) -> dict:
    ok = [r for r in rows if r["status"] == "ok"]
    return {
        "id": c.id, "paper": c.paper, "title": c.title, "statement": c.statement, "source": c.source,
        "power": c.power,
        "version": version, "verdict": verdict, "reason": reason,
        "profile": opts.profile, "grid": {k: list(v) for k, v in c.grid(opts.profile).items()},
        "replicates": c.n_replicates(opts.profile), "master_seed": opts.seed,
        "seeding": ("numpy SeedSequence(entropy=master_seed, spawn_key=(hash(claim id), "
                    + ("0 [common random numbers across the grid]" if c.common_random_numbers else "hash(point)")
                    + ", replicate))"),
        "params": dict(c.params), "calibration": _calibration(c, opts.profile, version), "level": c.level,
        "rates": [r.as_dict() for r in results],
        "mutants": [],
        "compute_seconds": float(sum(r["seconds"] or 0 for r in ok)),
        "reused_measurements": reused,
        "measurements": _measurements(rows),
        "file": c.module_file,
        "depends_on": {name: str(path) for name, path in dependencies(c).items()},
        "artefacts": [],
    }


def exit_code(document: dict, strict: bool = False) -> int:
    """0 all pass; 1 a claim failed or errored in the simulation, a load error, a missed
    mutant (or inconclusive under --strict); else 3 when a measurement could not be made
    (interrupted, timeout, dead worker, ...); 2 (usage) is raised before a document
    exists. Claims carried over from earlier runs do not count."""
    own = [c for c in document["claims"] if not c.get("carried_over")]
    if not own and not document["load_errors"]:
        return EXIT_USAGE
    science_errors = [c for c in own if c["verdict"] == ERROR and not c.get("incomplete")]
    bad = (sum(c["verdict"] == FAIL for c in own) + len(science_errors) + len(document["load_errors"])
           + sum(not m["caught"] and m.get("measured", True) for c in own for m in c["mutants"]))
    if strict:
        bad += sum(c["verdict"] == INCONCLUSIVE for c in own)
    if bad:
        return EXIT_FAIL
    unmeasured = any(c.get("incomplete") or not all(m.get("measured", True) for m in c["mutants"]) for c in own)
    if document.get("interrupted") or unmeasured:
        return EXIT_INCOMPLETE
    return EXIT_PASS
