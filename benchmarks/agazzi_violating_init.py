"""A4's initialisation assumption (issue 22): does an initialisation that violates it, other than the
degenerate one, stall gradient descent?

The optimality theorem needs the initial weight law to be diverse enough (the paper: feedback needs
stronger assumptions on the initial weights than a 2-layer net's; the claim's docstring: the
"support assumption" the degenerate init violates). The degenerate init (every neuron a copy of one)
is the extreme case. This tries the next one: a law with finite support, K atoms (K = 2, 4, 8, 16):
K label rows are drawn and neuron i gets row i mod K, under the claim's coupled init
W^{ij} = B tanh(xi_1(i) u(j)). Then W^{ij} depends only on the atoms of i and j, neurons of one atom
receive identical gradients, and GD keeps the net a K-neuron RNN (atom masses ~1/K) whatever N: the
mean-field limit stays K-atomic and its fixed points need not be global minimisers. Other
inits shrink the first layer: "zero-u" (U_0 = 0, hence W_0 = 0 under the coupled init: the law of
U_0 is a point mass; for an even target on a symmetric input the input-blind nets are invariant
under GD, since the U gradient is proportional to E[(f - y) x_s] = -E[y x_s] = 0), "zero-b" (b_0 = 0: the law of (U_0, b_0) is supported on the line
b = 0, a support violation), "small-u" (U_0 ~ 0.01 N(0, 1): full support, every neuron near the
same point; not a support violation) and "small-u-zero-b" (both).

Same simulator, target (x_t x_{t-2}), eps = 0.5 and horizon as `agazzi2023.global-optimality`;
per init and width: R(T)/R_0 at T = 125, 500, 2000 (mean and se over replicates), and the largest
spread of any atom's units at the end (0 to round-off if the atoms never split).

    python benchmarks/agazzi_violating_init.py --N 32 128 --T 2000 --replicates 4
"""
from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import json
import math
import time

import numpy as np

from claimcheck.models import agazzi2023 as m
from claimcheck.models import agazzi2023_runs as runs

B, M, EPS = 0.9, 32, 0.5


def init(kind: str, N: int, st: runs.Streams) -> tuple[m.Net, np.ndarray | None]:
    """(initial net, atom of each neuron or None)."""
    lab = runs.labels_for(st, N)
    if kind == "coupled":
        return m.init_net(lab, "coupled", B), None
    if kind == "degenerate":
        return m.init_net(lab, "degenerate", B), np.zeros(N, int)
    if kind.startswith("atoms"):
        K = int(kind[5:])
        atom = np.arange(N) % K
        return m.init_net(lab[:K][atom], "coupled", B), atom
    if kind == "zero-u":
        lab = lab.copy()
        lab[:, 3] = 0.0              # U_0 = 0 (and so W_0 = B tanh(xi_1 * 0) = 0): the law of U_0 is a point mass
        return m.init_net(lab, "coupled", B), None
    if kind in ("small-u-zero-b", "small-u", "zero-b"):
        lab = lab.copy()
        if kind != "zero-b":
            lab[:, 3] *= 0.01        # input weights U_0 ~ 0.01 N(0, 1): full support, tiny spread
        if kind != "small-u":
            lab[:, 4] = 0.0          # biases b_0 = 0: the law of (U_0, b_0) lives on the line b = 0
        return m.init_net(lab, "coupled", B), None
    raise ValueError(kind)


def atom_spread(net: m.Net, atom: np.ndarray | None) -> float:
    if atom is None:
        return float("nan")
    worst = 0.0
    for a in np.unique(atom):
        idx = atom == a
        for v in (net.A[idx], net.U[idx], net.b[idx]):
            worst = max(worst, float(np.ptp(v)))
    return worst


def one_run(kind: str, N: int, K: int, seed: tuple) -> tuple[np.ndarray, float]:
    st = runs.streams(np.random.default_rng(np.random.SeedSequence(seed)))
    X, y = runs.data(M)
    net, atom = init(kind, N, st)
    tr = m.train(net, X, y, EPS, K, m.Config(), record=[])
    return np.asarray(tr.loss) / runs.zero_risk(y), atom_spread(tr.final, atom)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--N", type=int, nargs="+", default=[32, 128])
    ap.add_argument("--T", type=float, default=2000.0)
    ap.add_argument("--replicates", type=int, default=4)
    ap.add_argument("--inits", nargs="+", default=["coupled", "degenerate", "atoms2", "atoms4", "atoms8", "atoms16",
                                                   "zero-u", "small-u-zero-b", "small-u", "zero-b"])
    a = ap.parse_args()
    K = int(round(a.T / EPS))
    Ts = [t for t in (125, 500, 2000, 8000) if t <= a.T]
    for kind in a.inits:
        for N in a.N:
            t0 = time.process_time()
            res = [one_run(kind, N, K, (22, 7, N, r)) for r in range(a.replicates)]
            cpu = time.process_time() - t0
            L = np.array([r[0] for r in res])
            at = {t: L[:, int(round(t / EPS))] for t in Ts}
            print(json.dumps({"init": kind, "N": N, "replicates": a.replicates, "cpu_s": round(cpu, 1),
                              "mean": {str(t): float(v.mean()) for t, v in at.items()},
                              "se": {str(t): float(v.std(ddof=1) / math.sqrt(v.size)) for t, v in at.items()},
                              "min": float(L.min(axis=1).mean()),
                              "atom_spread_max": float(np.nanmax([r[1] for r in res])) if res[0][1] == res[0][1]
                              else None}), flush=True)


if __name__ == "__main__":
    main()
