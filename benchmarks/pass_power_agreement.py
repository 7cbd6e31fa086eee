"""Pass power at the truth: claimcheck.stats.passpower's predicted pass probability
against the pass rate of the real verdict rule (stats.planted.judge) on planted laws,
TIGHT -0.5 +- 0.1, 4 points ratio 4 (64..4096). Usage: python benchmarks/pass_power_agreement.py [SEEDS]
(default 1000; ~15 s per cell on one core). The table is in benchmarks/README.md."""
import math
import sys

import numpy as np
from claimcheck.stats.planted import TIGHT, _noise, grid, judge, planted_table
from claimcheck.stats.verdict import PASS
from claimcheck.stats import passpower as pp
seeds = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
print(f"| family | reps | seeds | measured pass rate at the truth (+- MC se) | predicted, true noise | chi2_(n-1) only, true noise | predicted from the sweep's own rows (median) | from a pilot of 8 reps at the 2 smallest points (median) |")
print("|---|---|---|---|---|---|---|---|")
cells=[("half-normal",16),("half-normal",64),("lognormal-1",16),("lognormal-1",64),("lognormal",16),("student-t",16),("student-t",64)]
x = grid(4)
for fam, reps in cells:
    big = _noise(fam, (1, 2_000_000), np.random.default_rng(5))
    cv = float(big.std() / big.mean()); spread_true = pp.relative_spread(big)
    ls_true = [cv / math.sqrt(reps)] * 4
    se_true = pp.slope_se(x, ls_true)
    p_true = pp.pass_probability(se_true, -0.6, -0.4, -0.5, reps, 0.05, 2, pp.se_dof(x, ls_true, reps, spread_true))
    p_chi = pp.pass_probability(se_true, -0.6, -0.4, -0.5, reps, 0.05, 2)
    passes=0; own=[]; pil=[]
    for s in range(seeds):
        tab = planted_table(fam, x, reps, np.random.default_rng([77, s]), lambda v: v**-0.5)
        passes += judge(TIGHT, x, tab, False).verdict == PASS
        ls = pp.log_se_from_table(tab, "mean")
        own.append(pp.pass_probability(pp.slope_se(x, ls), -0.6, -0.4, -0.5, reps, 0.05, 2, pp.se_dof(x, ls, reps, pp.relative_spread(tab))))
        pt = planted_table(fam, x[:2], 8, np.random.default_rng([78, s]), lambda v: v**-0.5)
        lsp = pp.carried_log_se(x[:2], pp.log_se_from_table(pt, "mean"), 8, x, reps)
        pil.append(pp.pass_probability(pp.slope_se(x, lsp), -0.6, -0.4, -0.5, reps, 0.05, 2, pp.se_dof(x, lsp, reps, pp.relative_spread(pt))))
    m = passes/seeds
    print(f"| {fam} | {reps} | {seeds} | {m:.3f} +- {math.sqrt(m*(1-m)/seeds):.3f} | {p_true:.3f} | {p_chi:.3f} | {np.median(own):.3f} | {np.median(pil):.3f} |", flush=True)
