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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NamedTuple

from ..engine import provenance
from ..engine.discovery import LoadError, claim_version, discover, select
from .devices import checked_device, device_env, device_version
from ..engine.store import Store, explain
from ..engine.sweep import measure
from ..stats.analyse import judge
from ..stats.results import ClaimResult, FileError, Measurement, RunResult, as_run
from ..stats.verdict import ERROR, FAIL, INCONCLUSIVE, family_wise_sentence
from ..report.outputs import summarize
from .options import Profile, RunOptions, resolve_profile

EXIT_PASS, EXIT_FAIL, EXIT_USAGE, EXIT_INCOMPLETE = 0, 1, 2, 3


class UsageError(ValueError):
    """A command that cannot mean anything (a pattern that matches no claim): exit 2,
    nothing written."""


class OutputError(RuntimeError):
    """The output folder cannot be written (read-only, disk full): exit 3."""


@dataclass
class RunOutcome:
    """What ``run`` returns: the results (a value) and their JSON form (results.json),
    with the exit code and what the command measured."""
    run_id: str
    results: RunResult
    document: dict
    exit_code: int
    interrupted: bool = False
    computed: int = 0
    messages: list[str] = field(default_factory=list)
    sequences: list = field(default_factory=list)   # --until-decided: a ClaimSequence per claim


@contextlib.contextmanager
def locked(opts: RunOptions, wait_message=None):
    """Hold the output folder's lock, then the store's, for a whole command (measure,
    analyse, write). A second run on the same store or folder waits, then reuses what
    the first stored; two runs never write one folder at once. Locks are released by
    the OS if the process dies (flock). The folder's lock file is beside it
    (``outset.lock_path``): the folder itself is swapped as a whole."""
    from filelock import FileLock, Timeout

    from ..report.outset import lock_path

    out = Path(opts.out)
    with _writable_folder(out):
        pass
    paths = [lock_path(out), Path(str(opts.store) + ".lock")]
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


class Selection(NamedTuple):
    """What a run's options resolve to: the claims found, the ones chosen, the files that
    did not load, and the profile resolved for the chosen claims."""
    claims: list
    chosen: list
    load_errors: list
    profile: Profile


def resolve(opts: RunOptions) -> Selection:
    """The :class:`Selection` for the command line, or UsageError / UnknownProfile:
    usage errors are found before anything is locked, created or written."""
    claims, all_load_errors = discover(list(opts.claims_dirs) if opts.claims_dirs else None)
    chosen, unmatched = select(claims, list(opts.patterns))
    load_errors = all_load_errors
    if opts.patterns:  # a broken file matters to this run only if it could hold a chosen claim
        load_errors = [e for e in load_errors if _could_match(e, opts.patterns)]
    if unmatched:
        known = ", ".join(c.id for c in claims[:8]) + (", ..." if len(claims) > 8 else "")
        # the claim asked for may be in a file that did not load: say which, and why
        broken = [e for e in all_load_errors if _could_match(e, unmatched)] or all_load_errors
        why = "".join(f"; {e.path} did not load: {e.reason}" for e in broken[:3])
        raise UsageError("; ".join(f"no claim matches {p!r}" for p in unmatched)
                         + (f" (claims: {known})" if claims else " (no claims found)") + why)
    if not chosen and not load_errors:
        raise UsageError("no claims found: put claim files in ./claims, pass --claims-dir, "
                         "or install a package with `claimcheck.claims` entry points")
    return Selection(claims, chosen, load_errors, resolve_profile(opts.profile, chosen))


def run(opts: RunOptions) -> RunOutcome:
    """Run ``opts``. Inside, ``opts.profile`` is the resolved :class:`Profile`; one resolved
    already for these claims (the command line resolves before locking) is not checked again."""
    t_start = opts.started or time.time()
    run_id = time.strftime("%Y%m%dT%H%M%S", time.gmtime(t_start)) + "-" + uuid.uuid4().hex[:6]
    claims, chosen, load_errors, profile = resolve(opts)
    opts = replace(opts, profile=profile, device=_checked_device(opts))
    messages: list[str] = []
    with _writable_folder(Path(opts.out)):
        pass

    store = Store(opts.store)
    try:
        with device_env(opts.device):
            return _run(opts, run_id, t_start, claims, chosen, load_errors, messages, store)
    finally:
        store.close()


def _checked_device(opts: RunOptions) -> str:
    try:
        return checked_device(opts.device, opts.scheduler)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _run(opts, run_id, t_start, claims, chosen, load_errors, messages, store) -> RunOutcome:
    prov = provenance.collect(profile=opts.profile.name, master_seed=opts.seed, run_id=run_id, argv=sys.argv,
                              scheduler=opts.scheduler, jobs=opts.jobs)
    prov["pid"], prov["host"], prov["device"] = os.getpid(), socket.gethostname(), opts.device
    died = store.mark_dead_runs()
    if died:
        messages.append(f"earlier run(s) {', '.join(died)} ended without finishing (killed, or a claim ended "
                        f"the process); their stored measurements are reused")
    store.start_run(run_id, opts.profile.name, opts.seed, prov)
    try:
        result = _measure_and_analyse(opts, run_id, t_start, claims, chosen, load_errors, messages, store, prov)
    except BaseException as exc:
        with contextlib.suppress(Exception):
            store.finish_run(run_id, "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed")
        raise
    return result


def _measure_and_analyse(opts, run_id, t_start, claims, chosen, load_errors, messages, store, prov) -> RunOutcome:

    # measure every variant of every claim, skipping stored measurements
    versions = {c.id: device_version(claim_version(c), opts.device) for c in chosen}
    items = []
    for c in chosen:
        items.append((c, versions[c.id], "", opts.seed))
        if opts.mutants:
            items.extend((c, versions[c.id], m.name, opts.seed) for m in c.mutants)
    measured = measure(store, items, opts.profile.name, jobs=opts.jobs, scheduler=opts.scheduler,
                       progress=opts.progress, timeout=opts.timeout, log_dir=_files(opts) / "logs")
    computed = sum(measured.computed.values())      # made; failed ones are counted apart
    failed = sum(measured.failed.values())
    interrupted = measured.interrupted
    reused = {(cid, v): n for (cid, v, _), n in measured.reused.items()}
    if interrupted:
        messages.append(f"interrupted: {computed} of {measured.total} measurements stored; run again to resume")

    # analyse: one judge() per claim (Holm over the claim's own rates), mutants alike
    if opts.progress:
        print(f"claimcheck: analysing {len(chosen)} claim(s)", file=sys.stderr, flush=True)
    level = opts.level
    results = []
    for c in chosen:
        rows = store.rows(versions[c.id], "", opts.seed)
        mutant_rows = ({m.name: store.rows(versions[c.id], m.name, opts.seed) for m in c.mutants}
                       if opts.mutants else None)
        res = judge(c, rows, opts.profile, opts.seed, version=versions[c.id], level=level or c.level,
                    mutant_rows=mutant_rows, interrupted=interrupted)
        res.reused_measurements = reused.get((c.id, ""), 0)
        res.log = _log_path(opts, c.id)
        results.append(res)
    sequences = []
    if opts.until_decided and not interrupted:
        sequences, interrupted = _until_decided(opts, chosen, versions, results, store, messages)
        computed += sum(s.computed for s in sequences)
    own = len(results)
    family = sum(len(r.rates) for r in results)
    others = _other_claims(store, claims, chosen, opts)

    if opts.artefacts and not interrupted:
        from ..artefacts import make_artefacts
        from ..report.forked import fork_map

        fig_opts = replace(opts, out=_files(opts), profile=opts.profile.name)
        drawn = fork_map(lambda cr: make_artefacts(cr[0], cr[1], fig_opts), list(zip(chosen, results)),
                         opts.jobs or os.cpu_count() or 1)   # forked: the figures of different claims at once
        for res, (files, error) in zip(results, drawn):   # paths relative to the folder: the same after the swap
            res.artefacts, res.artefact_error = files, error

    wall = time.time() - t_start
    prov["wall_time"] = wall
    prov["computed"] = computed
    prov["failed"] = failed
    outcome = RunResult(
        run_id=run_id, profile=opts.profile.name, master_seed=opts.seed, level=level or 0.05, family_size=family,
        family_wise=family_wise_sentence(r.level for r in results),
        interrupted=interrupted,
        incomplete=interrupted or any(r.incomplete or not all(m.measured for m in r.mutants) for r in results),
        provenance=prov, claims=results + others,
        load_errors=[FileError(e.path, e.reason) for e in load_errors], messages=messages)
    outcome.summary = summarize(outcome)
    for res in results[:own]:
        store.put_verdict(run_id, res.id, res.version, res.to_json(measurements=False))
    store.finish_run(run_id, "interrupted" if interrupted else "finished", prov)

    code = exit_code(outcome, opts.strict)
    return RunOutcome(run_id, outcome, outcome.to_json(), code, interrupted, computed, messages, sequences)


DEFAULT_GROWTH_TO_CAP = 64   # --until-decided without a budget: the cap is 64 x the claim's replicates


def with_replicates(claim, profile: str, n: int):
    """The claim at ``n`` replicates for ``profile``: same id, code and version (the replicate
    count is not hashed), so the store keeps its rows and only new replicates are measured."""
    from collections.abc import Mapping
    from dataclasses import replace

    reps = {**claim.replicates, profile: int(n)} if isinstance(claim.replicates, Mapping) else int(n)
    return replace(claim, replicates=reps)


def _until_decided(opts: RunOptions, chosen, versions, results: list, store: Store, messages: list[str]):
    """``claimcheck run --until-decided``: every claim (not in error or incomplete) under the
    group-sequential design of :mod:`claimcheck.stats.sequential`: its first look, at its own
    replicates, is judged again at the look's spent level, and it is measured further only
    while a rate is undecided. Under ``--budget`` the claims are served cheapest first
    (:class:`~claimcheck.stats.sequential.BudgetSplit`), each cap fixed before the claim's looks
    and each claim charged what its stored measurements cost, so an unspent share passes on.
    Replaces each claim's result in ``results`` by its sequential one. Returns (sequences in
    the claims' order, interrupted)."""
    from ..stats.sequential import DEFAULT_SPENDING, BudgetSplit, design, measured_seconds

    # every claim, also one decided by the ordinary look at its full level: under --until-decided
    # its first look spends only alpha_1 (else the level would be spent twice)
    todo = [(i, c) for i, (c, r) in enumerate(zip(chosen, results)) if not r.incomplete and r.verdict != ERROR]
    split = None
    if opts.budget_seconds and not opts.budget_replicates:
        starts = {c.id: opts.profile.replicates(c) for _, c in todo}
        split = BudgetSplit(opts.budget_seconds, {
            c.id: (starts[c.id], measured_seconds(_rows_below(store, versions[c.id], opts.seed, starts[c.id])))
            for _, c in todo})
        rank = {cid: k for k, cid in enumerate(split.order)}
        todo.sort(key=lambda ic: rank[ic[1].id])
    sequences = {}
    for i, c in todo:
        start = opts.profile.replicates(c)
        if split is not None:
            share = split.share(c.id)
            cap, why = share.cap, share.reason(split.budget)
        else:
            cap, why = _cap(opts, start)
        d = design(start, cap, opts.level or c.level, opts.spending or DEFAULT_SPENDING)
        seq, res, interrupted = _sequential_claim(opts, c, versions[c.id], d, results[i], store,
                                                  by_budget=bool(opts.budget_replicates or opts.budget_seconds))
        seq.cap_reason = why
        res.sequential = seq.result()
        sequences[i] = seq
        results[i] = res
        if interrupted:
            messages.append(f"interrupted during the looks of {c.id}: run again to resume")
            return [sequences[k] for k in sorted(sequences)], True
        if split is not None:
            split.charge(c.id, measured_seconds(_rows_below(store, versions[c.id], opts.seed,
                                                            max(seq.replicates, start))))
    return [sequences[k] for k in sorted(sequences)], False


def _rows_below(store: Store, version: str, seed: int, n: int) -> list[dict]:
    """The claim's stored rows (not its mutants') of replicates below ``n``."""
    return [r for r in store.rows(version, "", seed) if r["replicate"] < n]


def _cap(opts: RunOptions, start: int) -> tuple[int, str]:
    """The claim's last look without a time budget: --budget-replicates, or 64 x its own count
    (a time budget is split by :class:`~claimcheck.stats.sequential.BudgetSplit`)."""
    if opts.budget_replicates:
        return max(start, int(opts.budget_replicates)), f"cap from --budget-replicates {opts.budget_replicates}"
    return start * DEFAULT_GROWTH_TO_CAP, f"no budget given: cap {DEFAULT_GROWTH_TO_CAP} x the claim's replicates"


def _sequential_claim(opts: RunOptions, claim, version: str, d, first, store: Store, by_budget: bool = False):
    """The looks of one claim: measure up to each look's replicates (stored ones are reused),
    judge every rate by the unchanged rule at the look's spent level (Holm over the claim's
    rates), keep each rate's first decided look, stop when all are decided or at the cap.
    Returns (ClaimSequence, ClaimResult, interrupted). The result's rates are each rate's
    deciding look (else its last); its mutants are those of the claim's own replicate count."""
    from ..stats.analyse import claim_verdict, judge_variant
    from ..stats.sequential import ClaimSequence, SequentialRate, record

    seqs = [SequentialRate(r.label or r.metric) for r in claim.rates]
    seq = ClaimSequence(claim.id, d, seqs)
    kept = [None] * len(claim.rates)
    last_claim, last_rows, last_level, err = claim, [], d.level, None
    for n, a in zip(d.replicates, d.levels):
        at_n = with_replicates(claim, opts.profile.name, n)
        measured = measure(store, [(at_n, version, "", opts.seed)], opts.profile.name, jobs=opts.jobs,
                           scheduler=opts.scheduler, progress=opts.progress, timeout=opts.timeout,
                           log_dir=_files(opts) / "logs", desc=f"{claim.id} at {n} replicates")
        seq.computed += sum(measured.computed.values())
        if measured.interrupted:
            seq.stopped = seq.stop = "interrupted"
            return seq, first, True
        rows = [r for r in store.rows(version, "", opts.seed) if r["replicate"] < n]
        checks, err = judge_variant(at_n, rows, opts.profile, level=a)
        last_claim, last_rows, last_level = at_n, rows, a
        if err:
            seq.stopped, seq.stop = f"error: {err}", "error"
            break
        open_before = [not s.decided for s in seqs]
        record(seqs, checks, n, a, cpu_s=float(sum(r["seconds"] or 0.0 for r in rows)))
        for k, was_open in enumerate(open_before):
            if was_open:
                kept[k] = checks[k]
        if opts.progress:
            print(f"claimcheck: {claim.id} at {n} replicates (level {a:.3g}): "
                  + ", ".join(f"{s.label} {s.verdict}" for s in seqs), file=sys.stderr, flush=True)
        if seq.decided:
            seq.stopped = seq.stop = "decided"
            break
    else:
        seq.stopped = f"cap of {d.cap} replicates reached"
        seq.stop = "budget" if by_budget else "cap"
    res = judge(last_claim, last_rows, opts.profile, opts.seed, version=version, level=last_level)
    if not err and not res.incomplete:
        res.rates = [k.result() for k in kept]
        res.verdict, res.reason = claim_verdict(kept, None)
        res.reason += f" (until decided: {seq.stopped}; level {d.level:g} spent over {d.looks} looks, {d.spending})"
    res.level = d.level
    res.mutants = first.mutants
    res.reused_measurements, res.log = first.reused_measurements, first.log
    return seq, res, False


def _files(opts: RunOptions) -> Path:
    """The folder this run writes its files into now (the staging folder, if any)."""
    return Path(opts.stage) if opts.stage is not None else Path(opts.out)


def _log_path(opts: RunOptions, claim_id: str) -> str | None:
    """The claim's log as it will be found: in ``out`` (after the swap)."""
    if not (_files(opts) / "logs" / f"{claim_id}.log").exists():
        return None
    return str(Path(opts.out) / "logs" / f"{claim_id}.log")


def _other_claims(store: Store, claims, chosen, opts: RunOptions) -> list[ClaimResult]:
    """The latest stored result of every other claim at this profile and seed (its
    current version): a report folder shows every claim, not only the last command's.
    Marked ``carried_over`` (with ``from_run``); they do not change the exit code."""
    picked = {c.id for c in chosen}
    out = []
    for c in claims:
        if c.id in picked or opts.profile.name not in c.grids:   # others need not define it
            continue
        version = claim_version(c)
        found = store.latest_result(c.id, version, opts.profile.name, opts.seed)
        if not found:
            continue
        run_id, doc = found
        res = ClaimResult.from_json(doc)
        res.carried_over, res.from_run = True, run_id
        res.measurements = _measurements(store.rows(version, "", opts.seed))
        for m in res.mutants:
            m.measurements = _measurements(store.rows(version, m.name, opts.seed))
        out.append(res)
    return out


def _could_match(err: LoadError, patterns) -> bool:
    stem = Path(err.path).stem.replace("_", ".")
    return any(p.split(".")[0].rstrip("*") in stem or p in ("*",) for p in patterns)


def _measurements(rows) -> list[Measurement]:
    return [Measurement.from_row(r) for r in rows]


def exit_code(run: RunResult | dict, strict: bool = False) -> int:
    """0 all pass; 1 a claim failed or errored in the simulation, a load error, a missed
    mutant (or inconclusive under --strict); else 3 when a measurement could not be made
    (interrupted, timeout, dead worker, ...); 2 (usage) is raised before a document
    exists. Claims carried over from earlier runs do not count."""
    run = as_run(run)
    own = run.checked
    if not own and not run.load_errors:
        return EXIT_USAGE
    science_errors = [c for c in own if c.verdict == ERROR and not c.incomplete]
    bad = (sum(c.verdict == FAIL for c in own) + len(science_errors) + len(run.load_errors)
           + sum(not m.caught and m.measured for c in own for m in c.mutants))
    if strict:
        bad += sum(c.verdict == INCONCLUSIVE for c in own)
    if bad:
        return EXIT_FAIL
    unmeasured = any(c.incomplete or not all(m.measured for m in c.mutants) for c in own)
    if run.interrupted or unmeasured:
        return EXIT_INCOMPLETE
    return EXIT_PASS
