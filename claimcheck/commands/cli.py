"""Command line: claimcheck list | run | show (and report, new, check-claim, calibrate)."""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path

# Parallelism comes from worker processes; a multi-threaded BLAS in every process
# oversubscribes the cores (small products slowed 10-100x on a loaded 2-core machine).
# Set before numpy loads; an explicit environment setting wins.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from .. import __version__
from ..engine.discovery import discover, select
from ..claim import UnknownProfile
from ..engine.executors import SchedulerError
from .options import add_options, parse_duration  # noqa: F401 - parse_duration re-exported (cli.parse_duration)
from .runner import EXIT_FAIL, EXIT_INCOMPLETE


def _claims_dirs(args) -> list[Path] | None:
    return [Path(d) for d in args.claims_dirs] if getattr(args, "claims_dirs", None) else None


def cmd_list(args) -> int:
    claims, errors = discover(_claims_dirs(args))
    if args.format == "json":
        print(json.dumps([{"id": c.id, "paper": c.paper, "title": c.title, "source": c.source,
                           "statement": c.statement, "rates": [r.as_dict() | {"describe": r.describe()} for r in c.rates],
                           "mutants": [m.name for m in c.mutants], "file": c.module_file} for c in claims]
                         + [{"id": e.id, "error": e.reason, "file": e.path} for e in errors], indent=1))
    else:
        for c in claims:
            print(f"{c.id:<40} [{c.source}] {c.title}")
            for r in c.rates:
                print(f"    {r.describe()}")
        for e in errors:
            print(f"ERROR {e.path}: {e.reason}", file=sys.stderr)
    return 1 if errors else 0


EXIT_CODES = """exit codes:
  0  every claim passed (inconclusive too, unless --strict)
  1  a claim failed, or errored in its simulation, or a claim file did not load, or a mutant
     was missed (--mutants), or a claim was inconclusive under --strict
  2  usage error (unknown profile or claim id, unreachable scheduler); nothing is written
  3  incomplete: a measurement could not be made (interrupted, timeout, dead worker, lost
     scheduler, full disk, read-only or corrupt store), or an output could not be written
     (one line names the claim and the output); what was stored is kept: run again
"""


def _err(message: str) -> None:
    print(f"claimcheck: error: {message}", file=sys.stderr)


def cmd_run(args) -> int:
    from time import time as now   # the wall time counts from here: discovery and waiting for locks too
    started = now()
    from dataclasses import replace

    from ..report.outset import NotAnOutputFolder, OutputSet, check_replaceable, recover
    from .options import RunOptions, shared_values
    from .runner import EXIT_USAGE, OutputError, UsageError, locked, resolve, run
    from ..engine.store import StoreError, explain

    if args.timeout is not None and not args.timeout > 0:
        _err(f"--timeout must be a positive number of seconds, got {args.timeout}")
        return EXIT_USAGE
    try:
        budget_seconds = parse_duration(args.budget) if args.budget else None
    except ValueError as exc:
        _err(str(exc))
        return EXIT_USAGE
    if (args.budget or args.budget_replicates or args.spending) and not args.until_decided:
        _err("--budget, --budget-replicates and --spending need --until-decided")
        return EXIT_USAGE
    if args.budget and args.budget_replicates:
        _err("give one budget: --budget (time) or --budget-replicates")
        return EXIT_USAGE
    if args.budget_replicates is not None and args.budget_replicates < 2:
        _err(f"--budget-replicates must be >= 2, got {args.budget_replicates}")
        return EXIT_USAGE
    opts = RunOptions(patterns=args.ids, **shared_values(args, "run"), strict=args.strict,
                      artefacts=not args.no_artefacts, started=started,
                      until_decided=args.until_decided, budget_replicates=args.budget_replicates,
                      budget_seconds=budget_seconds, spending=args.spending)
    try:   # usage errors first (the profile among them): nothing is locked, created or written for them
        opts = replace(opts, profile=resolve(opts).profile)   # run() takes the resolved value as it is
        check_replaceable(opts.out, opts.store)
    except (UnknownProfile, UsageError) as exc:
        _err(str(exc))
        return EXIT_USAGE
    except NotAnOutputFolder as exc:
        _err(exc.strerror)
        return EXIT_USAGE
    try:
        with locked(opts, wait_message=lambda m: print(f"claimcheck: {m}", file=sys.stderr, flush=True)):
            try:   # the run's files go to a staging folder, swapped into --out as one set
                recover(opts.out)
                outset = OutputSet(opts.out)
            except OSError as exc:
                raise OutputError(explain(exc, opts.out)) from exc
            try:
                try:
                    result = run(replace(opts, stage=outset.stage))
                except (SchedulerError, UsageError) as exc:
                    _err(str(exc))
                    return EXIT_USAGE
                return _write_outputs(args, opts, result, outset)
            finally:
                outset.discard()      # nothing left once committed; a failed set leaves the previous one
    except (StoreError, OutputError) as exc:
        _err(str(exc))
        return EXIT_INCOMPLETE


def _write_outputs(args, opts, result, outset) -> int:
    """Print the verdicts, write every output into the staging folder, swap it in.
    Every output is attempted; any failure is an infrastructure error (exit 3, unless
    a claim failed: 1) reported in one line naming the claim and the output. On an OS
    error (full disk, permissions) the new set is incomplete: the previous set is kept."""
    from ..report import OutputFailure, OutputsFailed, write_set
    from ..report.outputs import terminal_table

    failures: list = []
    for seq in result.sequences:   # --until-decided: one line per look
        print("\n".join(seq.lines()), flush=True)
    try:   # the verdicts were computed: show them whatever happens to the files
        print(terminal_table(result.results, store=opts.store), flush=True)
    except Exception as exc:  # noqa: BLE001 - collected
        failures.append(OutputFailure("terminal table", None, exc))
    carried = [c for c in result.results.claims if c.carried_over]
    try:   # figures and logs of claims this run did not remake travel with the set
        outset.carry([p for c in carried for p in (*c.artefacts, f"logs/{c.id}.log")])
    except OSError as exc:
        failures.append(OutputFailure("figures of the claims carried over", None, exc, opts.out))
    paths: list[Path] = []
    try:
        paths = write_set(result.results, outset.stage, store=opts.store, html=not args.no_html,
                          jobs=opts.jobs or os.cpu_count() or 1)
    except OutputsFailed as exc:
        failures.extend(exc.failures)
        paths = [outset.stage / n for n in ("results.json", "junit.xml", "summary.md", "index.html")
                 if (outset.stage / n).exists()]
    disk = any(isinstance(f.error, OSError) for f in failures)
    if not disk:
        try:
            outset.commit()
            print("wrote " + ", ".join(str(Path(opts.out) / p.relative_to(outset.stage)) for p in paths))
        except OSError as exc:
            failures.append(OutputFailure("output folder", None, exc, opts.out))
            disk = True
    if args.github or os.environ.get("GITHUB_STEP_SUMMARY"):
        from ..report.outputs import github_annotations, write_github_summary

        try:
            summary = write_github_summary(result.results)
            for line in github_annotations(result.results):
                print(line)
            if summary is not None:
                print(f"appended the summary to {summary}")
        except Exception as exc:  # noqa: BLE001 - collected
            failures.append(OutputFailure("GitHub job summary", None, exc, Path(os.environ.get("GITHUB_STEP_SUMMARY", "."))))
    for m in result.messages:
        print(f"claimcheck: {m}", file=sys.stderr)
    if failures:
        _err(str(OutputsFailed(failures)).replace(str(outset.stage), str(opts.out))   # the path users know
             + ("; the measurements are stored (`claimcheck report` rebuilds the outputs) and the previous "
                f"outputs in {opts.out} are kept" if disk else ""))
        return EXIT_FAIL if result.exit_code == EXIT_FAIL else EXIT_INCOMPLETE
    return result.exit_code


def cmd_show(args) -> int:
    from ..report.outputs import rate_line
    from ..engine.store import Store
    from ..stats.results import ClaimResult

    from ..engine.versioning import claim_version, dependencies

    claims, _ = discover(_claims_dirs(args))
    chosen, _ = select(claims, [args.id])
    if not chosen:
        print(f"claimcheck: error: no claim matches {args.id!r}", file=sys.stderr)
        return 2
    store = Store(args.store) if Path(args.store).exists() else None
    for c in chosen:
        print(f"{c.id}: {c.title}\n  paper: {c.paper}\n  source: {c.source}\n  statement: {c.statement}")
        if c.power:
            print(f"  power: {c.power}")
        print(f"  file: {c.module_file}")
        print(f"  version: {claim_version(c)}" + (" (pinned by version=)" if c.version else ""))
        print("  depends on: " + ", ".join(dependencies(c)))
        for prof, grid in c.grids.items():
            print(f"  grid[{prof}]: {dict(grid)} x {c.n_replicates(prof)} replicates")
        print("  rates:")
        for r in c.rates:
            print(f"    {r.describe()}")
        print("  mutants: " + ", ".join(f"{m.name} ({m.description})" for m in c.mutants))
        last = store.last_verdict(c.id) if store else None
        if last:
            res = ClaimResult.from_json(last["result"])
            print(f"  last result (run {last['run_id']}, {last['profile']}): {res.verdict}: {res.reason}")
            for r in res.rates:
                print(f"    {rate_line(r)} -> {r.verdict}")
            for m in res.mutants:
                print(f"    mutant {m.name}: {'caught' if m.caught else 'missed'}")
            from .cli_extra import stored_power_lines
            try:
                rows = store.rows(res.version, "", res.master_seed) if res.version else []
            except Exception:  # noqa: BLE001 - the tail weight is optional; the fit's noise suffices
                rows = []
            for line in stored_power_lines(res, rows, last["run_id"]):
                print(f"  {line}")
        else:
            print("  no stored results")
    return 0


def cmd_report(args) -> int:
    """The output set of a stored run (results.json, junit.xml, summary.md, the HTML
    report), swapped into --out as one set like a run's; figures and logs of its claims
    already in --out travel with it. Exit 2: no such store or run; 3: an output failed."""
    from filelock import FileLock

    from ..engine.store import Store, StoreError, explain
    from ..report import OutputsFailed, ReportError, write_set
    from ..report.outset import OutputSet, lock_path, recover
    from ..report.source import document_from_store

    out, store = Path(args.out), Path(args.store)
    if not store.exists():
        _err(f"no results store at {store}; run `claimcheck run` first")
        return 2
    from ..report.outset import NotAnOutputFolder, check_replaceable

    try:
        check_replaceable(out, store)
    except NotAnOutputFolder as exc:
        _err(exc.strerror)
        return 2
    try:
        out.absolute().parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(lock_path(out))):   # never two writers in one folder
            recover(out)
            db = Store(store)
            try:
                document = document_from_store(db, args.run)
            finally:
                db.close()
            outset = OutputSet(out)
            try:
                outset.carry([p for c in document.claims for p in (*c.artefacts, f"logs/{c.id}.log")])
                try:
                    write_set(document, outset.stage, store=store, jobs=os.cpu_count() or 1)
                except OutputsFailed as exc:
                    if not exc.disk:
                        outset.commit()     # the other pages are written; the failed ones say why
                    _err(str(exc).replace(str(outset.stage), str(out))
                         + ("" if not exc.disk else f"; the previous outputs in {out} are kept"))
                    return EXIT_INCOMPLETE
                outset.commit()
            finally:
                outset.discard()
    except ReportError as exc:
        _err(str(exc))
        return 2
    except StoreError as exc:
        _err(str(exc))
        return EXIT_INCOMPLETE
    except OSError as exc:
        _err(explain(exc, out))
        return EXIT_INCOMPLETE
    print(f"wrote {out / 'index.html'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="claimcheck", description="Check quantitative claims of theory papers by simulation.")
    p.add_argument("--version", action="version", version=f"claimcheck {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp):   # list, show, report: where the claims and the store are
        add_options(sp, "run", only=("claims_dirs", "store"))

    sp = sub.add_parser("list", help="list claims")
    common(sp)
    sp.add_argument("--format", choices=["text", "json"], default="text")
    sp.set_defaults(func=cmd_list)

    sp = sub.add_parser("run", help="run claims and write verdicts and reports", epilog=EXIT_CODES,
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    sp.add_argument("ids", nargs="*", help="claim ids or globs (default: all)")
    add_options(sp, "run")   # claims-dir, store, profile, seed, jobs, scheduler, timeout, mutants, out, no-progress
    sp.add_argument("--strict", action="store_true", help="an inconclusive verdict fails the run")
    sp.add_argument("--no-html", action="store_true", help="skip the HTML report")
    sp.add_argument("--no-artefacts", action="store_true", help="skip the claims' figures")
    sp.add_argument("--github", action="store_true",
                    help="GitHub Actions: annotations for failed claims, summary.md into $GITHUB_STEP_SUMMARY "
                         "(on by default when GITHUB_STEP_SUMMARY is set)")
    sp.add_argument("--until-decided", action="store_true",
                    help="look again with more replicates (doubling from the claim's own) at every claim with an "
                         "inconclusive rate, until each rate passes or fails or the budget is spent; each look "
                         "spends part of the claim's level, so error rates hold over the looks "
                         "(claimcheck.stats.sequential); stored replicates are reused")
    sp.add_argument("--budget-replicates", type=int, metavar="N",
                    help="--until-decided: the most replicates a claim may reach (its last look); reproducible: "
                         "same seed and budget, same data and verdicts (default: 64 x the claim's replicates)")
    sp.add_argument("--budget", metavar="DURATION",
                    help="--until-decided: compute time for the claims' measurements (e.g. 30m: seconds as "
                         "stored per measurement, summed over workers, so with --jobs J the wall is about "
                         "budget/J), first looks included; claims are served cheapest first, each getting "
                         "(budget left) / (claims still to go), and what a claim decided early leaves passes "
                         "on to the next; each claim's cap is fixed before its looks and printed (rerun with "
                         "--budget-replicates at that cap to reproduce exactly)")
    sp.add_argument("--spending", choices=["bonferroni", "pocock", "obrien-fleming"],
                    help="--until-decided: how the level is split over the looks (default pocock; "
                         "benchmarks/README.md, 'Sequential rule')")
    sp.set_defaults(func=cmd_run)

    sp = sub.add_parser("show", help="a claim's statement, rates and last results")
    common(sp)
    sp.add_argument("id")
    sp.set_defaults(func=cmd_show)

    sp = sub.add_parser("report", help="build the HTML report of a stored run (default: the latest)")
    common(sp)
    sp.add_argument("--out", default="reports/latest", help="output folder (index.html, claims/, data/, summary.md)")
    sp.add_argument("--run", help="run id (or a unique prefix) in the store; default: the latest run with results")
    sp.set_defaults(func=cmd_report)

    try:
        from . import cli_extra
        cli_extra.register(sub, common)
    except ImportError:
        pass
    return p


_stopping = False


def _on_stop_signal(signum, frame):
    """SIGTERM (kill, CI timeouts) and Ctrl-C: the first stops the run (workers are
    terminated, what was stored is kept, the report is written, exit 3); a second one,
    while that cleanup runs, exits at once (workers die with their parent)."""
    global _stopping
    if _stopping:
        os.write(2, b"claimcheck: stopped at once (second signal); stored measurements are kept\n")
        os._exit(3)
    _stopping = True
    raise KeyboardInterrupt


def main(argv=None) -> int:
    global _stopping
    args = build_parser().parse_args(argv)
    _stopping = False
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_stop_signal)
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:   # not when started with SIGINT ignored
            signal.signal(signal.SIGINT, _on_stop_signal)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("claimcheck: interrupted; what was stored is kept: run again to resume", file=sys.stderr)
        return 3
    finally:
        if _stopping and threading.current_thread() is threading.main_thread():
            # done stopping: a late second signal must not kill the exiting process (-15)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            signal.signal(signal.SIGINT, signal.SIG_IGN)


if __name__ == "__main__":
    sys.exit(main())
