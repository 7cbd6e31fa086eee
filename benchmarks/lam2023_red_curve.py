"""The red curve of the Lam et al. Figures 2/5 per N at the final step (issue 22, item 5).

The red curve is the mean over paths of the authors' running time average
timeAvg_k = (1/k) sum_{m=0..k} mean_i (S^i_m)^p (``MemoryRun.rolling(p, "paper")``), one path
= its own W, B and data path, 100 paths as in the paper. It is printed per N with its
standard error over paths and the min/max band, at k = 100 and at the final k, next to the
limit mu_p of the random fixed point (computed as ``claims/lam2023_time_averages.py``
does: 2e5 stationary samples of the limit system). A single number "for every N" at the
final k hides that the per-path spread (and so the red curve's Monte-Carlo error) shrinks
like N^-1/2: at N = 10 the red curve is only known to ~1e-3.

This is a script, not a change of ``claimcheck/models/lam2023_figures.py``: the figure code
is hashed into the time-averages claim's version, and its artefact CSV
(``fig2_5_time_averages.csv``) already holds the red curve per N and k (column ``mean``).

    .venv/bin/python benchmarks/lam2023_red_curve.py [--N 10 100 1000] [--paths 100] [--steps 50000]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from claimcheck.models import lam2023 as L

MU_REF = {"paths": 500, "burn": 50, "keep": 400, "seed": 20230827}   # as claims/lam2023_time_averages.py


def mu():
    smp = L.stationary_sample(np.random.default_rng(MU_REF["seed"]), MU_REF["paths"], MU_REF["burn"],
                              MU_REF["keep"])
    return tuple(float(np.mean(L.expected_sigma(smp["x"], smp["m"], power=p))) for p in (1, 2))


def red_curve(n: int, paths: int, steps: int, seed: int, chunk: int = 25):
    """Per-path paper-convention time averages at k = 100 and k = steps, p = 1, 2."""
    out = {(p, k): [] for p in (1, 2) for k in (100, steps)}
    ss = np.random.SeedSequence([seed, n])
    gens = [np.random.default_rng(s) for s in ss.spawn(paths)]
    for lo in range(0, paths, chunk):
        st = [L.streams(g) for g in gens[lo:lo + chunk]]
        Z = L.data_paths([s.data for s in st], steps)
        W = np.stack([L.draw_weights(s.w, n) for s in st])
        B = np.stack([L.draw_b(s.b, n) for s in st])
        run = L.memory_run(L.make_units(W, B, steps=steps), Z[..., 0], steps)
        for p in (1, 2):
            r = run.rolling(p, "paper")
            for k in (100, steps):
                out[(p, k)].append(r[:, k - 1])
    return {key: np.concatenate(v) for key, v in out.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--N", type=int, nargs="+", default=[10, 100, 1000])
    ap.add_argument("--paths", type=int, default=100)
    ap.add_argument("--steps", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    mus = mu()
    print(f"limit: mu_1 = {mus[0]:.5f}, mu_2 = {mus[1]:.5f}; paper convention (1/k) sum_(m=0..k), "
          f"{a.paths} paths, seed {a.seed}")
    print("p  N        k       red curve   se        min      max      cpu s")
    for n in a.N:
        t0 = time.process_time()
        res = red_curve(n, a.paths, a.steps, a.seed)
        cpu = time.process_time() - t0
        for p in (1, 2):
            for k in (100, a.steps):
                v = res[(p, k)]
                print(f"{p}  {n:<8d} {k:<7d} {v.mean():.5f}     {v.std(ddof=1) / np.sqrt(v.size):.1e}   "
                      f"{v.min():.4f}   {v.max():.4f}   {cpu:.0f}", flush=True)


if __name__ == "__main__":
    main()
