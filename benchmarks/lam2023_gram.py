"""Positive definiteness of the Lam et al. limit kernel on stationary samples (issue 22, item 4).

K(xi, xi') = E_w[sigma(wx+m) sigma(wx'+m')] + E[c^2] E_w[sigma'(wx+m) sigma'(wx'+m') x x'] on M
states xi = (X, M^inf) drawn from the stationary law of the limit system (one state per
independent chain after 50 steps). Prints the smallest eigenvalue of the M x M Gram matrix
of the limit kernel (Gauss-Hermite with 40 / 100 / 200 nodes: the discretised kernel has rank
<= 2 x nodes, so agreement across node counts shows the value is the kernel's, not the
quadrature's) and, for M = 2, 4, 6, the smallest eigenvalue of the width-N empirical kernel
(1/N) sum_i [sigma(w_i x + m) sigma(w_i x' + m') + c_i^2 sigma' sigma' x x'] at the initial
parameters (50 draws per N), against the limit's.

    .venv/bin/python benchmarks/lam2023_gram.py
"""
from __future__ import annotations

import numpy as np

from claimcheck.models import lam2023 as L


def main():
    smp = L.stationary_sample(np.random.default_rng(20230905), 256, 50, 1)
    x, m = smp["x"], smp["m"]
    print(f"stationary states: x in [{x.min():.3f}, {x.max():.3f}], M^inf in [{m.min():.4f}, {m.max():.4f}]")
    print("M   lam_max   lam_min (GH 40 / 100 / 200 nodes)")
    for M in (2, 4, 6, 8, 16, 32, 64):
        mins = []
        for n in (40, 100, 200):
            F = L.kernel_features(x[:M], m[:M], 1.0, n)
            ev = np.linalg.eigvalsh(F @ F.T)
            mins.append(ev[0])
        print(f"{M:<3d} {ev[-1]:<9.3g} " + " / ".join(f"{v:.3e}" for v in mins))
    print("width-N empirical kernel at initialisation, 50 draws per N")
    for M in (2, 4, 6):
        F = L.kernel_features(x[:M], m[:M], 1.0, 200)
        lim = np.linalg.eigvalsh(F @ F.T)[0]
        print(f"M = {M}: limit lam_min = {lim:.4e}")
        for N in (16, 64, 256, 1024, 4096, 16384):
            r = np.random.default_rng([N, M])
            v = []
            for _ in range(50):
                w, c = r.standard_normal(N), r.standard_normal(N)
                s = L.sigmoid(np.outer(x[:M], w) + m[:M, None])
                ds = s * (1 - s) * x[:M, None] * c[None, :]
                v.append(np.linalg.eigvalsh((s @ s.T + ds @ ds.T) / N)[0])
            v = np.array(v)
            print(f"  N = {N:<6d} mean/limit {v.mean() / lim:.3f}  sd/limit {v.std(ddof=1) / lim:.3f}  "
                  f"min/limit {v.min() / lim:.3f}")


if __name__ == "__main__":
    main()
