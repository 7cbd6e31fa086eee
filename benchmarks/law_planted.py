"""Planted-law table of the ``law`` kind (issue 23, item 4): verdict rates per family and replicates.

    python benchmarks/law_planted.py --seeds 200

Families (claimcheck/stats/planted_law.py), grid N = 1, 4, 16, 64, 256, tolerance 0.1:
clt and clt-gauss are true (W1 -> 0), edge tends to the band's edge from above (W1 -> 0.1),
laplace to a non-Gaussian law at W1 0.146, wrong-order to W1 0.80.
"""
from __future__ import annotations

import argparse
import time

from claimcheck.stats.planted_law import cell

FAMILIES = ("clt", "clt-gauss", "edge", "laplace", "wrong-order")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=200)
    ap.add_argument("--replicates", type=int, nargs="+", default=[512, 2048, 8192])
    a = ap.parse_args()
    print("| family | replicates | seeds | PASS | FAIL | inconclusive | 95% CI covers W1 | seconds |")
    print("|---|---|---|---|---|---|---|---|")
    for fam in FAMILIES:
        for R in a.replicates:
            t = time.perf_counter()
            c = cell(fam, R, a.seeds)
            cover = f"{c['coverage']:.3f}" if "coverage" in c else "-"
            print(f"| {fam} | {R} | {a.seeds} | {c['pass']:.3f} | {c['fail']:.3f} | {c['inconclusive']:.3f} | "
                  f"{cover} | {time.perf_counter() - t:.0f} |", flush=True)


if __name__ == "__main__":
    main()
