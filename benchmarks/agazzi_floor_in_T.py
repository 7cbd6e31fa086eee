"""A4's floor as the horizon grows (issue 22): does R_N(T)/R_0 keep falling in T at a fixed width?

`agazzi2023.global-optimality` checks R_N(T)/R_0 <= 0.001 at T = 500 as N grows; a fixed-T
threshold cannot tell "reaches 0" from "reaches R_inf(T) < 0.001". This measures, with the
claim's own simulator and initialisation (coupled diverse init, eps = 0.5, target x_t x_{t-2}),
the relative risk along one long run per replicate at widths N, and its local slopes in T: a
rate in T that stays negative says the floor at T = 500 is a horizon effect, one that flattens
to 0 says the width's floor R_N(inf) > 0 is reached.

    python benchmarks/agazzi_floor_in_T.py --N 32 128 512 --T 4000 --replicates 8
"""
from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):   # as the engine runs models:
    os.environ.setdefault(_var, "1")   # multi-threaded BLAS on these thin shapes was 50x slower per step under load

import argparse
import json
import math
import time

import numpy as np

from claimcheck.models import agazzi2023 as m
from claimcheck.models import agazzi2023_runs as runs

B, M, EPS = 0.9, 32, 0.5
INIT = "coupled"


def one_run(N: int, K: int, seed: tuple) -> np.ndarray:
    """R(k)/R_0 at every step k <= K of one replicate (the claim's simulate, horizon K)."""
    st = runs.streams(np.random.default_rng(np.random.SeedSequence(seed)))
    X, y = runs.data(M)
    net = m.init_net(runs.labels_for(st, N), INIT, B, w_rng=np.random.default_rng(st.weights.bit_generator.seed_seq))
    tr = m.train(net, X, y, EPS, K, m.Config(), record=[])
    return np.asarray(tr.loss) / runs.zero_risk(y)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--N", type=int, nargs="+", default=[32, 128, 512])
    ap.add_argument("--T", type=float, default=4000.0)
    ap.add_argument("--replicates", type=int, default=8)
    a = ap.parse_args()
    K = int(round(a.T / EPS))
    Ts = [t for t in (125, 250, 500, 1000, 2000, 4000, 8000) if t <= a.T]
    for N in a.N:
        t0 = time.process_time()
        runs_ = np.array([one_run(N, K, (22, N, r)) for r in range(a.replicates)])   # (R, K + 1)
        cpu = time.process_time() - t0
        at = {t: runs_[:, int(round(t / EPS))] for t in Ts}
        mean = {t: float(v.mean()) for t, v in at.items()}
        se = {t: float(v.std(ddof=1) / math.sqrt(v.size)) for t, v in at.items()}
        # local slopes of log mean R in log T, with a delta-method se (replicates are shared
        # across T: one run per replicate, so the two means are correlated; the paired
        # per-replicate log ratio gives the slope's se honestly)
        slopes = []
        for t1, t2 in zip(Ts, Ts[1:]):
            r = np.log(at[t2] / at[t1]) / math.log(t2 / t1)
            slopes.append({"from": t1, "to": t2, "slope": float(np.log(mean[t2] / mean[t1]) / math.log(t2 / t1)),
                           "paired_mean": float(r.mean()), "paired_se": float(r.std(ddof=1) / math.sqrt(r.size))})
        print(json.dumps({"N": N, "replicates": a.replicates, "cpu_s": round(cpu, 1),
                          "mean": {str(t): mean[t] for t in Ts}, "se": {str(t): se[t] for t in Ts},
                          "local_slopes_in_T": slopes}), flush=True)


if __name__ == "__main__":
    main()
