"""float32 against float64 for the trained Lam recursion over lazy-parameters' (R6's) longest
horizon: T = 1 at N = 16 384, i.e. N T = 16 384 online steps of 16 384 units a path
(issue 24, item 3: float32 only where the claim's statistic moves by far less than its CI).

float32 runs the torch code on the CPU (``lam2023_torch.train_paths``, the `--device` path,
one thread); the reference is the claim's own path (``lam2023.train``, the compiled float64
kernel). Per path: R6's statistic max_move = max_i sup_k |theta^i_k - theta^i_0| and the
clipping fraction, then the mean over paths (the claim's statistic at that N) with the
replicate spread beside it.

    python benchmarks/lam_float32_accuracy.py [--N 1024 16384] [--paths 16]
"""
import argparse
import time

import numpy as np

from claimcheck.models import lam2023 as L
from claimcheck.models.lam2023_runs import trained_setup
from claimcheck.models.lam2023_torch import train_paths

CFG = dict(beta=0.75, gamma=0.1, alpha=4.0, T=1.0)    # claims/lam2023_lazy_parameters.py


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--N", type=int, nargs="+", default=[1024, 16384])
    ap.add_argument("--paths", type=int, default=16)
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    cfg = L.TrainConfig(**CFG)
    print("| N | paths | mean max_move f64 | f32 - f64, mean (rel.) | max per-path rel. diff | "
          "replicate sd / sqrt(paths) (rel.) | clip frac f64 / f32 | CPU s f64 / f32 |")
    print("|---|---|---|---|---|---|---|---|")
    for n in args.N:
        rngs = [np.random.default_rng(1000 + i) for i in range(args.paths)]
        Z, W, B, C = trained_setup(rngs, n, cfg)
        c0 = time.process_time()
        ref = L.train(Z, W.copy(), B.copy(), C.copy(), cfg, track_moves=True, backend="numba")
        t64 = time.process_time() - c0
        steps = int(round(n * cfg.T))
        c0 = time.process_time()
        got = train_paths(Z[..., 0], L.target(Z), W.copy(), B.copy(), C.copy(), cfg, steps, True, False,
                          dtype="float32")
        t32 = time.process_time() - c0
        a, b = np.asarray(ref.max_move), np.asarray(got["max_move"])
        se = a.std(ddof=1) / np.sqrt(len(a)) / a.mean()
        print(f"| {n} | {args.paths} | {a.mean():.6g} | {b.mean() / a.mean() - 1:+.1e} | "
              f"{np.max(np.abs(b / a - 1)):.1e} | {se:.1e} | {np.mean(ref.clip_frac):.3g} / "
              f"{np.mean(got['clip_frac']):.3g} | {t64:.0f} / {t32:.0f} |", flush=True)


if __name__ == "__main__":
    main()
