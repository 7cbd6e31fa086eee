"""Subcommands for writing and calibrating claims: new, check-claim, calibrate, validate-engine.

Registered by ``claimcheck.commands.cli.build_parser`` (``register(sub, common)``).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .options import Profile


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
    print(f"  claimcheck check-claim --power {path}   (will it pass at the truth with its replicates?)")
    extra = f" --claims-dir {folder}" if folder.resolve() != (Path.cwd() / "claims").resolve() else ""
    print(f"  claimcheck run {claim_id} --mutants{extra}")
    print(f"  claimcheck calibrate {claim_id} --seeds 20{extra}")
    return 0


def cmd_check_claim(args) -> int:
    """Exit 1 when a file has a problem; 2 (before any pilot runs) when --profile names a
    profile a loaded claim lacks."""
    from ..claim import UnknownProfile
    from .options import resolve_profile
    from .scaffold import check_claim_file

    checked = [(f, check_claim_file(f)) for f in args.files]
    try:   # the profile is resolved once, against every claim that loaded
        profile = resolve_profile(args.profile, [c for _, res in checked if res.ok for c in res.claims])
    except UnknownProfile as exc:
        print(f"claimcheck: error: {exc}", file=sys.stderr)
        return 2
    bad = 0
    for f, res in checked:
        for line in res.lines():
            print(line, file=sys.stdout if res.ok else sys.stderr)
        bad += not res.ok
        if res.ok and (args.smoke or args.power):
            for c in res.claims:
                for line in pilot_power_lines(c, profile):
                    print(f"{f}: {line}")
        if res.ok and args.smoke:
            from .conformance import check_claim

            for c in res.claims:
                failures = check_claim(c, profile)   # resolved above: not checked again
                for msg in failures:
                    print(f"{f}: smoke: {msg}", file=sys.stderr)
                if not failures:
                    print(f"{f}: smoke: {c.id}: conforms (same seed same metrics, batch == single to round-off, "
                          f"metrics present and finite at the smallest point for the claim and its mutants)")
                bad += bool(failures)
    return 1 if bad else 0


PILOT_REPLICATES = 8
PILOT_POINTS = 2
NOISE_MODEL = ("SE of log statistic at the largest piloted point carried to larger ones, "
               "scaling as 1/sqrt(replicates)")


def _rate_name(claim_id: str, rate) -> str:
    return f"{claim_id}.{rate.label or rate.metric}"


def pilot_power_lines(claim, profile: "str | Profile" = "quick", replicates: int = PILOT_REPLICATES) -> list[str]:
    """``power:`` lines for ``check-claim --smoke/--power``: the claim's smallest points of
    ``profile`` (along each rate's axis, other axes at their first value) run with a few
    replicates; their jackknife SE of log(statistic) is the noise, carried to the points not
    piloted by :func:`claimcheck.stats.passpower.carried_log_se`; then the pass probability
    at the truth for every profile's grid and replicates. A pilot this small under-samples a
    heavy tail (its relative spread cannot show it either: 8 lognormal-sd-1 replicates read
    ~1.5, as half-normal's): on planted lognormal sd 1 at 64 replicates it predicts 0.40 for
    a measured 0.18, so ``show`` after a quick run (the run's own rows) is the better figure."""
    import numpy as np

    from ..stats import passpower as pp
    from ..stats.verdict import rate_table
    from .conformance import _batch
    from .options import resolve_profile

    profile = resolve_profile(profile, [claim])   # already resolved by check-claim: returned as it is
    lines = []
    for rate in claim.rates:
        name = _rate_name(claim.id, rate)
        why = pp.unsupported(rate.kind, rate.log_power)
        if why:
            lines.append(f"power: {name}: {why}")
            continue
        try:
            points = claim.points(profile)
            first = {k: v for k, v in points[0].items() if k != rate.axis}
            line_pts = [p for p in points if all(p[k] == v for k, v in first.items())]
            xs = sorted({float(p[rate.axis]) for p in line_pts})[:PILOT_POINTS]
            pilot = [next(p for p in line_pts if float(p[rate.axis]) == v) for v in xs]
            table = np.array([[o[rate.metric] for o in _batch(claim, None, p, range(replicates))] for p in pilot])
            log_se = pp.log_se_from_table(table, rate.statistic)
            if not np.all(np.isfinite(log_se)) or np.any(log_se <= 0):
                raise ValueError(f"the pilot's SE of log {rate.statistic}({rate.metric}) is {log_se.tolist()}")
            spread = pp.relative_spread(table)
        except Exception as exc:  # noqa: BLE001 - the claim's own code, or a statistic at zero
            lines.append(f"power: {name}: not estimated: the pilot failed ({type(exc).__name__}: {exc})")
            continue
        src = (f"pilot of {replicates} replicates at {rate.axis}=" + ",".join(f"{v:g}" for v in xs)
               + f"; noise model: {NOISE_MODEL}")
        lo, hi = rate.spec.band(rate)
        for prof in claim.grids:
            n = claim.n_replicates(prof)
            ppts = [p for p in claim.points(prof) if all(p.get(k) == v for k, v in first.items())
                    ] or claim.points(prof)
            x, groups, _, _, _ = rate_table(rate, ppts, np.zeros((len(ppts), 1)))
            x = np.array(sorted(set(x.tolist())))
            if len(x) < 3:
                lines.append(f"power: {name} [{prof}]: not estimated: {len(x)} values of {rate.axis}")
                continue
            ls = pp.carried_log_se(xs, log_se, replicates, x, n)
            se = pp.slope_se(x, ls)
            nu = pp.se_dof(x, ls, n, spread)
            lines.append(pp.power_line(f"{name} [{prof}]", se=se, n_replicates=n, points=len(x), band_lo=lo,
                                       band_hi=hi, predicted=float(rate.predicted),
                                       level=getattr(claim, "level", 0.05) or 0.05, se_dof=nu, axis=rate.axis,
                                       more=pp.one_more_point(x, ls, n, spread),
                                       source=src if prof == next(iter(claim.grids)) else "same pilot"))
    return lines


def stored_power_lines(res, rows: "list | None" = None, run_id: str = "") -> list[str]:
    """``power:`` lines for ``show``: the noise of the last stored run, i.e. each rate's
    fitted per-point SE of log(statistic) (the jackknife of the stored rows), at that run's
    grid and replicates; ``rows`` (the stored measurements) give the tail weight."""
    import math

    import numpy as np

    from ..engine.measurement import measurements
    from ..stats import passpower as pp

    lines = []
    stored = measurements(rows or [])   # typed values (Store.measurements), or the store's rows
    for r in res.rates:
        name = f"{res.id}.{r.label or r.metric}"
        why = pp.unsupported(r.kind, r.log_power)
        fit = r.fit or {}
        if why:
            lines.append(f"power: {name}: {why}")
            continue
        if not fit.get("x") or not fit.get("stat_log_se") or r.predicted is None:
            lines.append(f"power: {name}: not estimated: the stored result has no fit")
            continue
        if fit.get("other_axes"):
            lines.append(f"power: {name}: not estimated for a grid with other axes ({', '.join(fit['other_axes'])})")
            continue
        x, ls = np.asarray(fit["x"], float), np.asarray(fit["stat_log_se"], float)
        n = int(fit.get("n_replicates") or res.replicates or 0)
        if n < 2 or not np.all(ls > 0):
            lines.append(f"power: {name}: not estimated: the stored noise is zero or missing")
            continue
        per_point: dict = {}
        for m in stored:
            v = (m.metrics or {}).get(r.metric)
            if m.ok and v is not None and math.isfinite(v):
                per_point.setdefault(m.point, []).append(float(v))
        k = [len(v) for v in per_point.values()]
        spread = pp.relative_spread(np.array([v[:min(k)] for v in per_point.values()])) if k and min(k) >= 4 else 2.0
        lo, hi = r.band if r.band else (None, None)
        lo = -math.inf if lo is None else float(lo)
        hi = math.inf if hi is None else float(hi)
        src = (f"stored run {run_id}".rstrip() + f": {n} replicates at {r.axis}="
               + ",".join(f"{v:g}" for v in x)) + ("" if per_point else "; no stored rows, normal tails assumed")
        lines.append(pp.power_line(name, se=pp.slope_se(x, ls, bool(fit.get("loglinear"))), n_replicates=n,
                                   points=len(x), band_lo=lo, band_hi=hi, predicted=float(r.predicted),
                                   level=res.level or 0.05, se_dof=pp.se_dof(x, ls, n, spread), source=src,
                                   axis=r.axis, more=pp.one_more_point(x, ls, n, spread, bool(fit.get("loglinear")))))
    return lines


def cmd_calibrate(args) -> int:
    from .calibrate import CalibrateOptions, CalibrationError, calibrate_claims, describe, write_json
    from .options import shared_values
    from ..stats.calibration_records import save_record
    from ..engine.executors import SchedulerError

    from .options import parse_duration

    shared = shared_values(args, "calibrate")
    try:
        budget_seconds = parse_duration(args.budget) if args.budget else None
    except ValueError as exc:
        print(f"claimcheck: error: {exc}", file=sys.stderr)
        return 2
    if (args.budget or args.budget_replicates or args.spending) and not args.until_decided:
        print("claimcheck: error: --budget, --budget-replicates and --spending need --until-decided", file=sys.stderr)
        return 2
    if args.budget and args.budget_replicates:
        print("claimcheck: error: give one budget: --budget (time) or --budget-replicates", file=sys.stderr)
        return 2
    if args.budget_replicates is not None and args.budget_replicates < 2:
        print(f"claimcheck: error: --budget-replicates must be >= 2, got {args.budget_replicates}", file=sys.stderr)
        return 2
    if args.record and shared.get("device", "cpu") != "cpu":
        print("claimcheck: error: --record keeps the CPU path's calibration beside the claim file; "
              f"calibrate with --device {shared['device']} without --record", file=sys.stderr)
        return 2
    opts = CalibrateOptions(patterns=args.ids, seeds=args.seeds, first_seed=shared.pop("seed"), **shared,
                            until_decided=args.until_decided, budget_replicates=args.budget_replicates,
                            budget_seconds=budget_seconds, spending=args.spending)
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
    if args.sequential:
        from ..stats.planted_sequential import report_sequential
        from ..stats.sequential import DEFAULT_SPENDING

        seeds = args.seeds or 200
        seeds = min(seeds, 100) if args.quick else seeds
        return report_sequential(seeds, start=args.start, cap=args.cap, spending=args.spending or DEFAULT_SPENDING,
                                 compare=not args.quick)
    from ..stats.planted import report

    return report(args.seeds or 400, quick=args.quick, points=args.points)


def register(sub, common) -> None:
    from .options import add_options

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
                    help="also run the conformance checks (claimcheck.commands.conformance) at the smallest grid point, "
                         "and the pass-power pilot (as --power)")
    sp.add_argument("--power", action="store_true",
                    help=f"pilot the claim's {PILOT_POINTS} smallest points of --profile with {PILOT_REPLICATES} "
                         f"replicates and print each rate's probability of passing at the truth with its grid and "
                         f"replicates, and the replicates that give 80%%")
    add_options(sp, "check-claim")
    sp.set_defaults(func=cmd_check_claim)

    sp = sub.add_parser("calibrate", help="run a claim under many master seeds: false-fail rate, exponent spread")
    sp.add_argument("ids", nargs="+", metavar="ID", help="claim ids or globs")
    sp.add_argument("--seeds", type=int, default=20, help="number of master seeds (default 20)")
    add_options(sp, "calibrate")   # as run's: claims-dir, store, profile, seed (alias --first-seed), jobs, ...
    sp.add_argument("--record", action="store_true",
                    help="write the record to <claim file>.calibration.json (keyed by claim id, profile, version)")
    sp.add_argument("--format", choices=["text", "json"], default="text")
    sp.add_argument("--until-decided", action="store_true",
                    help="also run every seed as `run --until-decided` does (looks at doubling replicates up to "
                         "the cap): how often it is decided, its false-fail rate, the mean replicates spent")
    sp.add_argument("--budget-replicates", type=int, metavar="N",
                    help="--until-decided: the cap (default: 64 x the claim's replicates)")
    sp.add_argument("--budget", metavar="DURATION",
                    help="--until-decided: each seed's compute time for the claim (e.g. 10m), as `run ID "
                         "--until-decided --budget DURATION` gives it to the claim alone: the cap is the most "
                         "doubled replicates that seed's first look's stored cost fits in it")
    sp.add_argument("--spending", choices=["bonferroni", "pocock", "obrien-fleming"],
                    help="--until-decided: how the level is split over the looks (default pocock)")
    sp.set_defaults(func=cmd_calibrate)

    sp = sub.add_parser("validate-engine",
                        help="planted-law sweeps through the verdict engine: coverage, false fails, power")
    sp.add_argument("--seeds", type=int, default=None, help="sweeps per cell (default 400; 200 with --sequential)")
    sp.add_argument("--quick", action="store_true", help="a subset: 8 and 64 replicates, 5 points, <= 100 seeds")
    sp.add_argument("--points", type=int, nargs="+", default=[4, 6], help="grid points per cell (ratio 4 from 64)")
    sp.add_argument("--sequential", action="store_true",
                    help="the sequential rule (run --until-decided) on 4 points: PASS at the truth within the cap, "
                         "false fails over every look, wrong passes at 0.2, replicates spent; per spending function "
                         "(half-normal) and per noise family (200 seeds: ~4-5 min on one core)")
    sp.add_argument("--start", type=int, default=8, help="--sequential: replicates at the first look (default 8)")
    sp.add_argument("--cap", type=int, default=512, help="--sequential: replicates at the last look (default 512)")
    sp.add_argument("--spending", default=None,
                    help="--sequential: alpha spending for the family table (bonferroni, pocock, obrien-fleming; "
                         "default the rule's)")
    sp.set_defaults(func=cmd_validate_engine)


def argparse_suppress():
    import argparse

    return argparse.SUPPRESS
