"""The compiled Agazzi step against the numpy reference over bounded-weights' (A6's) whole
horizon, 80 000 projected-GD steps at eps = 0.05 (issue 24, item 1: round-off must stay
round-off over the longest run a claim makes).

One replicate's three nets (B = 0.25, 0.5, 0.9, the claim's diverse initialisation and
labels) per width, trained by both paths; prints A6's statistic (min over the run of
R/R_0) for each and their largest relative difference, and the final weights' difference.

    python benchmarks/agazzi_compiled_long_run.py [--N 2 8 32 128] [--steps 80000]
"""
import argparse
import time

import numpy as np

from claimcheck.models import agazzi2023 as m
from claimcheck.models import agazzi2023_runs as runs

BOUNDS = (0.25, 0.5, 0.9)


def nets_for(N: int, seed: int = 0):
    labels = runs.labels_for(runs.streams(np.random.default_rng(seed)), N)
    cfg = m.Config(bound=BOUNDS)
    bounds = cfg.w_bound(N)[:, 0, 0]
    nets = []
    for Bnd, bound in zip(BOUNDS, bounds):
        net = m.init_net(labels, "diverse", Bnd)
        np.clip(net.W, -bound, bound, out=net.W)
        nets.append(net)
    return m.stack(nets), cfg


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--N", type=int, nargs="+", default=[2, 8, 32, 128])
    ap.add_argument("--steps", type=int, default=80_000)
    args = ap.parse_args()
    X, y = runs.data(32)
    R0 = runs.zero_risk(y)
    print("| N | min R/R_0 numpy (B = 0.25, 0.5, 0.9) | compiled | max rel. diff of the statistic | "
          "max rel. diff of the loss curve | max abs. diff of final W | CPU s numpy / compiled |")
    print("|---|---|---|---|---|---|---|")
    for N in args.N:
        net, cfg = nets_for(N)
        out, cpu = {}, {}
        for comp in (False, True):
            c0 = time.process_time()
            out[comp] = m.train(net, X, y, 0.05, args.steps, cfg, compiled=comp, record=[])
            cpu[comp] = time.process_time() - c0
        a, b = out[False], out[True]
        sa, sb = a.loss.min(axis=0) / R0, b.loss.min(axis=0) / R0
        curve = np.max(np.abs(b.loss / a.loss - 1))
        print(f"| {N} | {', '.join(f'{v:.6g}' for v in sa)} | {', '.join(f'{v:.6g}' for v in sb)} | "
              f"{np.max(np.abs(sb / sa - 1)):.1e} | {curve:.1e} | {np.max(np.abs(b.final.W - a.final.W)):.1e} | "
              f"{cpu[False]:.0f} / {cpu[True]:.0f} |", flush=True)


if __name__ == "__main__":
    main()
