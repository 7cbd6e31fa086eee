"""Subcommands for writing and calibrating claims: new, check-claim, calibrate, validate-engine.

Registered by ``claimcheck.commands.cli.build_parser`` (``register(sub, common)``).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path


def cmd_new(args) -> int:
    from .scaffold import ScaffoldError, new_claim

    folder = Path(args.dir) if args.dir else (Path(args.claims_dir[0]) if args.claims_dir else Path("claims"))
    try:
        path, claim_id = new_claim(args.paper_key, args.claim_name, folder, force=args.force)
    except ScaffoldError as exc:
        print(f"claimcheck: error: {exc}", file=sys.stderr)
        return 2
    print(f"created {path} (claim {claim_id})")
    print("next:")
    print(f"  claimcheck check-claim {path}")
    extra = f" --claims-dir {folder}" if folder.resolve() != (Path.cwd() / "claims").resolve() else ""
    print(f"  claimcheck run {claim_id} --mutants{extra}")
    print(f"  claimcheck calibrate {claim_id} --seeds 20{extra}")
    return 0


def cmd_check_claim(args) -> int:
    from .scaffold import check_claim_file

    bad = 0
    for f in args.files:
        res = check_claim_file(f)
        for line in res.lines():
            print(line, file=sys.stdout if res.ok else sys.stderr)
        bad += not res.ok
        if res.ok and args.smoke:
            from .conformance import check_claim

            for c in res.claims:
                failures = check_claim(c)
                for msg in failures:
                    print(f"{f}: smoke: {msg}", file=sys.stderr)
                if not failures:
                    print(f"{f}: smoke: {c.id}: conforms (same seed same metrics, batch == single to round-off, "
                          f"metrics present and finite at the smallest point for the claim and its mutants)")
                bad += bool(failures)
    return 1 if bad else 0


def cmd_calibrate(args) -> int:
    from .calibrate import CalibrateOptions, CalibrationError, calibrate_claims, describe, write_json
    from ..stats.calibration_records import save_record
    from ..engine.executors import SchedulerError

    opts = CalibrateOptions(patterns=args.ids, seeds=args.seeds, first_seed=args.first_seed, profile=args.profile,
                            jobs=args.jobs, scheduler=args.scheduler, mutants=args.mutants, store=Path(args.store),
                            claims_dirs=[Path(d) for d in args.claims_dir] if args.claims_dir else None,
                            out=Path(args.out), progress=not args.no_progress)
    try:
        docs = calibrate_claims(opts)
    except (CalibrationError, SchedulerError) as exc:
        print(f"claimcheck: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("claimcheck: interrupted; measurements so far are stored, run again to resume", file=sys.stderr)
        return 130
    for doc in docs:
        path = write_json(doc, opts.out)
        print(describe(doc))
        print(f"  wrote {path}")
        if args.record:
            try:
                written = save_record(doc["file"], doc["claim_id"], doc["profile"], doc["record"], doc["claim_version"])
                print(f"  recorded the calibration in {written}")
            except (ValueError, OSError) as exc:
                print(f"claimcheck: error: {exc}", file=sys.stderr)
                return 2
        else:
            print("  re-run with --record to store this record beside the claim file")
    if args.format == "json":
        print(json.dumps([d["record"] | {"claim_id": d["claim_id"]} for d in docs], indent=1))
    return 0


def cmd_validate_engine(args) -> int:
    from ..stats.planted import report

    return report(args.seeds, quick=args.quick)


def register(sub, common) -> None:
    sp = sub.add_parser("new", help="write a new claim file from the template (a working example to edit)")
    sp.add_argument("paper_key", metavar="PAPER-KEY", help="first author + year, e.g. sirignano2020")
    sp.add_argument("claim_name", metavar="CLAIM-NAME", help="short name, e.g. lln (id: PAPER-KEY.CLAIM-NAME)")
    sp.add_argument("--dir", help="folder for the file (default: the first --claims-dir, else ./claims)")
    sp.add_argument("--claims-dir", action="append", help=argparse_suppress())
    sp.add_argument("--force", action="store_true", help="overwrite an existing file")
    sp.set_defaults(func=cmd_new)

    sp = sub.add_parser("check-claim", help="validate claim files without running them")
    sp.add_argument("files", nargs="+", metavar="FILE")
    sp.add_argument("--smoke", action="store_true",
                    help="also run the conformance checks (claimcheck.commands.conformance) at the smallest grid point")
    sp.set_defaults(func=cmd_check_claim)

    sp = sub.add_parser("calibrate", help="run a claim under many master seeds: false-fail rate, exponent spread")
    common(sp)
    sp.add_argument("ids", nargs="+", metavar="ID", help="claim ids or globs")
    sp.add_argument("--seeds", type=int, default=20, help="number of master seeds (default 20)")
    sp.add_argument("--first-seed", type=int, default=0, help="seeds are FIRST..FIRST+K-1 (default 0)")
    sp.add_argument("--profile", default="quick")
    sp.add_argument("--jobs", type=int, help="local worker processes (default: all cores; 1 = in-process)")
    sp.add_argument("--scheduler", help="Dask scheduler address")
    sp.add_argument("--mutants", action="store_true", help="also measure how often each mutant is caught")
    sp.add_argument("--out", default="reports/calibration", help="folder for <id>-<profile>.json")
    sp.add_argument("--record", action="store_true",
                    help="write the record to <claim file>.calibration.json (keyed by claim id, profile, version)")
    sp.add_argument("--format", choices=["text", "json"], default="text")
    sp.add_argument("--no-progress", action="store_true")
    sp.set_defaults(func=cmd_calibrate)

    sp = sub.add_parser("validate-engine",
                        help="planted-law sweeps through the verdict engine: coverage, false fails, power")
    sp.add_argument("--seeds", type=int, default=400, help="sweeps per cell (default 400)")
    sp.add_argument("--quick", action="store_true", help="a subset: 8 and 64 replicates, 5 points, <= 100 seeds")
    sp.set_defaults(func=cmd_validate_engine)


def argparse_suppress():
    import argparse

    return argparse.SUPPRESS
