"""Lam, Sirignano & Spiliopoulos (R1, Lemma 3.1): two copies of the memory layer driven
by the same data and parameters forget their initial difference geometrically:
sup_i |S^i_k - S~^i_k| <= rho^k sup_i |S^i_0 - S~^i_0| with rho <= max sigma' sup B = 1/4.

Copy 1 starts at S^i_0 = sigma(W^i X_0); copy 2 at S~^i_0 ~ U(0, 1) i.i.d. The metric is
the gap ratio at step k; the fit of log E[ratio] on k estimates log rho (geometric rate,
one-sided against the bound 1/4).

Source: the lemma is the paper's (Lemma 3.1); its constant rho <= 1/4 is reconstructed from
the proof outline (max sigma' = 1/4, sup B = 1), so the claim is marked reconstructed.
"""
import functools

import numpy as np

from claimcheck import Claim, Mutant, Rate
from claimcheck.models import lam2023 as L
from claimcheck.models.lam2023_runs import untrained_setup

N = 1000
KMAX = 12     # data steps drawn (nested: the first k are the same for every k <= KMAX)


def _gaps(rngs, k, act=L.sigmoid):
    if k > KMAX:
        raise ValueError(f"k={k} exceeds the {KMAX} data steps drawn")
    st, Z, W, B = untrained_setup(rngs, N, KMAX)
    X = Z[..., 0]
    s1 = act(W * X[:, :1])
    s2 = np.stack([g.extra.uniform(0, 1, N) for g in st])
    gap0 = np.max(np.abs(s1 - s2), axis=1)
    for j in range(k):                   # S_{j+1} = act(W X_j + M_j), M_j = mean B S_j
        m1 = np.mean(B * s1, axis=1)
        m2 = np.mean(B * s2, axis=1)
        s1 = act(W * X[:, j:j + 1] + m1[:, None])
        s2 = act(W * X[:, j:j + 1] + m2[:, None])
    return np.max(np.abs(s1 - s2), axis=1) / gap0


def simulate(point, rngs, act=L.sigmoid):
    return [{"gap_ratio": float(v)} for v in _gaps(rngs, int(point["k"]), act)]


claim = Claim(
    id="lam2023.contraction",
    paper="Lam, Sirignano, Spiliopoulos, Kernel limit of RNNs trained on ergodic data sequences "
          "(arXiv 2308.14555), Lemma 3.1 (dynamics of the RNN memory layer)",
    title="Memory layer forgets its initial state geometrically, rho <= 1/4",
    statement=r"$\sup_i|S^i_k - \tilde S^i_k| \le \rho^k \sup_i|S^i_0 - \tilde S^i_0|$ with "
              r"$\rho \le \max\sigma' \cdot \sup B = 1/4$, same data and parameters.",
    source="reconstructed",
    power="Catches a contraction factor above 1/4 by more than ~0.12 in log(rho) (e.g. tanh units, whose "
          "slope 1 gives rho up to 1/2); does not catch a contraction faster than claimed nor a wrong "
          "initial gap constant.",
    grids={"quick": {"k": [1, 2, 3, 4, 5, 6, 7, 8]}, "full": {"k": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}},
    replicates={"quick": 100, "full": 400},
    rates=[Rate(metric="gap_ratio", axis="k", kind="geometric", predicted=0.25, tolerance=0.1,
                note="bound rho <= max sigma' sup B = 1/4; tolerance on log rho")],
    simulate=simulate,
    batched=True,
    common_random_numbers=True,
    params={"N": N},
    mutants=[
        Mutant("tanh-activation", functools.partial(simulate, act=np.tanh),
               "tanh units (nn.RNN's default) instead of the sigmoid: max act' = 1"),
    ],
)
