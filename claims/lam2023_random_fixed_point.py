"""Lam, Sirignano & Spiliopoulos (the random fixed point, reconstructed from the paper's
Section 3): the infinite-width memory M^inf_{k+1} = G(X_k, M^inf_k), G(x, m) = E[B] E_w
sigma(w x + m), is a random dynamical system driven by the data whose stationary solution
is a pull-back limit, unique, and forgets its initial value geometrically at the
contraction rate of G:

    |M_k - M~_k| <= rho^k |M_0 - M~_0|,   rho = sup |d G / d m| <= E[B] max sigma' = 1/8,

for two limit paths on *one* data path from different initial values. Uniqueness of the
random fixed point and convergence of the pull-back M^(K)_0 (started at time -K) as K grows
are this same statement (two pull-backs from -K and -K-1 differ by at most rho^K).

R1 (``lam2023.contraction``) is the finite-N lemma for the units S^i with rho <= sup B max
sigma' = 1/4; this claim is the limit map's, with E[B] in place of sup B, so it also checks
that the limit uses the mean of B. The metric is the gap ratio |M_k - M~_k| / |M_0 - M~_0|
with M_0 = 0 and M~_0 = E[B] (the ends of the memory's range), geometric in k, one-sided
against the bound 1/8. Measured (64 paths, k = 1..8): rho = 0.120 [0.119, 0.120], close to the
bound: the memory stays in [0, 1/2] and |X| <= 1.5, where sigma' is near its maximum 1/4.

Negative controls:
- the limit map without the factor E[B] (the mean of B dropped, as if B = 1): rho about 0.24;
- the limit map with tanh units (nn.RNN's default), E[B] E tanh'(.): rho up to 1/2.
"""
import functools

import numpy as np

from claimcheck import Claim, Mutant, Rate
from claimcheck.models import lam2023 as L

KMAX = 10     # data steps drawn (nested: the first k are the same for every k <= KMAX)


def _expected_tanh(x, m):
    t, wt = L.gauss_hermite()
    return np.sum(wt * np.tanh(t * np.asarray(x)[..., None] + np.asarray(m)[..., None]), axis=-1)


MAPS = {
    "model": L.G,
    "mean-b-dropped": lambda x, m: L.expected_sigma(x, m),
    "tanh": lambda x, m: L.MEAN_B * _expected_tanh(x, m),
}


def simulate(point, rngs, memory_map="model"):
    k = int(point["k"])
    G = MAPS[memory_map]
    X = L.data_paths([L.streams(r).data for r in rngs], KMAX)[..., 0]
    m1 = np.zeros(len(rngs))
    m2 = np.full(len(rngs), L.MEAN_B)
    for j in range(k):
        m1, m2 = G(X[:, j], m1), G(X[:, j], m2)
    return [{"gap_ratio": float(v)} for v in np.abs(m1 - m2) / L.MEAN_B]


claim = Claim(
    id="lam2023.random-fixed-point",
    paper="Lam, Sirignano, Spiliopoulos, Kernel limit of RNNs trained on ergodic data sequences "
          "(arXiv 2308.14555), Section 3 (the memory's limit: a random fixed point of the map G)",
    title="The limit memory forgets its initial value at the contraction rate of G, rho <= E[B]/4",
    statement=r"$|M^\infty_k - \tilde M^\infty_k| \le \rho^k |M^\infty_0 - \tilde M^\infty_0|$ on one data "
              r"path, $\rho = \sup|\partial_m G| \le \mathbb{E}[B]\max\sigma' = 1/8$; hence the random fixed "
              r"point (the pull-back limit) is unique.",
    source="reconstructed",
    power="Catches a limit memory that contracts more slowly than rho = 1/8 by more than ~0.1 in log(rho) "
          "(the map without E[B]: rho ~ 0.23; tanh units); does not check that the finite-N memory approaches "
          "this limit (R2 does) nor the stationary law itself.",
    grids={"quick": {"k": [1, 2, 3, 4, 5, 6, 7, 8]}, "full": {"k": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}},
    replicates={"quick": 64, "full": 400},
    rates=[Rate(metric="gap_ratio", axis="k", kind="geometric", predicted=0.125, tolerance=0.1,
                note="bound rho <= E[B] max sigma' = 1/8; tolerance on log rho")],
    simulate=simulate,
    batched=True,
    common_random_numbers=True,
    params={"k_max": KMAX, "m0": 0.0, "m0_tilde": L.MEAN_B},
    mutants=[
        Mutant("mean-b-dropped", functools.partial(simulate, memory_map="mean-b-dropped"),
               "the limit map without the factor E[B] = 1/2 (as if every B were 1)"),
        Mutant("tanh-activation", functools.partial(simulate, memory_map="tanh"),
               "tanh units in the limit map: E[B] E tanh'(.), up to 1/2"),
    ],
)
