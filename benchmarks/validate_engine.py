"""Validate the verdict engine on planted laws (issue 11): known truths through check_rate.

Prints, per noise family x replicates x grid points, the exponent CI's coverage, the
false-fail rate of a true rate, fail/pass rates at deviations 0.05/0.1/0.2/0.3 from the
claimed exponent (tolerance 0.1: 0.05 is inside the band, 0.2 and 0.3 outside), the
reported 80%-detectable deviation and how often a truth planted there is failed, the pass rate
at the truth, the exponent's median se and the best pass rate at the truth any rule with a 5%
edge pass could have there (issue 20); then
the family-wise rate over the rates of one claim, and scenario tables (limit, converges,
up to logs, second axis, pre-asymptotic sweeps, and the traps of issue 20).

    OPENBLAS_NUM_THREADS=1 python benchmarks/validate_engine.py [--seeds 400] [--points 4 6] [--quick]

Also ``claimcheck validate-engine``. A fast subset runs in tests/test_verdict_planted.py.
"""
from __future__ import annotations

import argparse
import sys

from claimcheck.stats import planted


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=400)
    ap.add_argument("--quick", action="store_true", help="8 and 64 replicates, 5 points, 100 seeds")
    ap.add_argument("--points", type=int, nargs="+", default=[4, 6], help="grid points per cell (ratio 4 from 64)")
    args = ap.parse_args(argv)
    return planted.report(args.seeds, args.quick, points=args.points)


if __name__ == "__main__":
    sys.exit(main())
