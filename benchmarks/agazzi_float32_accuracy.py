"""float32 against float64 over bounded-weights' (A6's) whole horizon: 80 000 projected-GD
steps at eps = 0.05 (issue 24, item 3: float32 only where proven, i.e. where the claim's
statistic moves by far less than its confidence interval).

float32 runs the torch code on the CPU (``agazzi2023_torch.train_stack``, the `--device`
path, one thread); the reference is the claim's own path, the compiled float64 kernels.
``--torch64`` adds the same torch code in float64: what round-off alone does over this
horizon (``agazzi_compiled_long_run.py`` measures that between the two float64 CPU paths).
For each width and each net (replicate seeds x B = 0.25, 0.5, 0.9): A6's statistic, min
over the run of R/R_0.

    python benchmarks/agazzi_float32_accuracy.py [--N 32 128] [--seeds 0 1] [--steps 80000] [--torch64]
"""
import argparse
import time

import numpy as np

from claimcheck.models import agazzi2023 as m
from claimcheck.models import agazzi2023_runs as runs
from claimcheck.models.agazzi2023_torch import train_stack

BOUNDS = (0.25, 0.5, 0.9)
EPS = 0.05


def nets_for(N: int, seeds):
    """The claim's nets: per replicate seed its labels, per bound the clipped diverse init."""
    pairs = [(s, Bnd) for s in seeds for Bnd in BOUNDS]
    cfg = m.Config(bound=tuple(Bnd for _, Bnd in pairs))
    bounds = cfg.w_bound(N)[:, 0, 0]
    nets = []
    for (s, Bnd), bound in zip(pairs, bounds):
        net = m.init_net(runs.labels_for(runs.streams(np.random.default_rng(s)), N), "diverse", Bnd)
        np.clip(net.W, -bound, bound, out=net.W)
        nets.append(net)
    return m.stack(nets), cfg, pairs


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--N", type=int, nargs="+", default=[32, 128])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--steps", type=int, default=80_000)
    ap.add_argument("--torch64", action="store_true")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    precisions = ("float64", "float32") if args.torch64 else ("float32",)
    X, y = runs.data(32)
    R0 = runs.zero_risk(y)
    print("| N | seed | B | min R/R_0 compiled f64 | " + " | ".join(f"torch {p} (rel. diff)" for p in precisions) + " |")
    print("|---|---|---|---|" + "---|" * len(precisions))
    summary = []
    for N in args.N:
        net, cfg, pairs = nets_for(N, args.seeds)
        cpu = {}
        c0 = time.process_time()
        ref = m.train(net, X, y, EPS, args.steps, cfg, compiled=True, record=[]).loss.min(axis=0) / R0
        cpu["compiled f64"] = time.process_time() - c0
        got = {}
        for dt in precisions:
            c0 = time.process_time()
            out = train_stack(net.A, net.U, net.b, net.W, X, y, EPS, args.steps, cfg, dtype=dt)
            cpu[f"torch {dt}"] = time.process_time() - c0
            got[dt] = out["loss"].min(axis=0) / R0
        for j, (s, Bnd) in enumerate(pairs):
            cells = " | ".join(f"{got[p][j]:.6g} ({got[p][j] / ref[j] - 1:+.1e})" for p in precisions)
            print(f"| {N} | {s} | {Bnd:g} | {ref[j]:.6g} | {cells} |", flush=True)
        for j_b, Bnd in enumerate(BOUNDS):   # the claim's statistic is the mean over replicates per bound
            idx = [j for j, (_, b) in enumerate(pairs) if b == Bnd]
            mean = {k: float(np.mean(v[idx])) for k, v in (("ref", ref), *got.items())}
            summary.append((N, Bnd, mean, float(np.std(ref[idx], ddof=1)) if len(idx) > 1 else float("nan")))
        print(f"CPU s at N = {N}: " + ", ".join(f"{k} {v:.0f}" for k, v in cpu.items()), flush=True)
    print("\n| N | B | mean over seeds, f64 | f32 - f64 (rel.) | replicate sd (rel.) |")
    print("|---|---|---|---|---|")
    for N, Bnd, mean, sd in summary:
        print(f"| {N} | {Bnd:g} | {mean['ref']:.6g} | {mean['float32'] / mean['ref'] - 1:+.1e} | "
              f"{sd / mean['ref']:.2f} |")


if __name__ == "__main__":
    main()
