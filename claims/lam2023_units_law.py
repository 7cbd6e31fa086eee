"""Lam, Sirignano & Spiliopoulos (R3): the empirical law of the N memory units at
step k converges to the limit law sigma(W X_{k-1} + M^inf_{k-1}), W ~ N(0, 1), at rate
N^-1/2 in W1 (conditionally on the data path).

W1 is exact: int_0^1 |F_N^{-1}(u) - Q(u)| du against the limit law's quantile function
Q(u) = sigma(|x| Phi^{-1}(u) + m) (a monotone push-forward of a Gaussian), so there is
no reference-sample floor. Two sources of error, both N^-1/2: sampling of W and the
memory error M^N - M^inf.
"""

import functools

from claimcheck import Claim, Mutant, Rate
from claimcheck.metrics import w1_to_quantile
from claimcheck.models import lam2023 as L
from claimcheck.models.lam2023_runs import untrained_setup

STEPS = 40   # units compared at step k = STEPS (memory forgets its start geometrically)


def simulate(point, rngs, **bugs):
    n = int(point["N"])
    _, Z, W, B = untrained_setup(rngs, n, STEPS, **bugs)
    X = Z[..., 0]
    run = L.memory_run(L.make_units(W, B, steps=STEPS), X, STEPS, moments=False)
    x, mN = X[:, STEPS - 1], run.m[:, -1]
    mI = L.m_inf_path(X, STEPS)[:, -1]
    S = L.units_at(W, x, mN)                           # S^i_K, K = STEPS
    return [{"w1": w1_to_quantile(S[p], L.limit_quantile(x[p], mI[p]))} for p in range(len(rngs))]


claim = Claim(
    id="lam2023.units-law",
    paper="Lam, Sirignano, Spiliopoulos, Kernel limit of RNNs trained on ergodic data sequences "
          "(arXiv 2308.14555), convergence of the memory units' empirical measure (Sec. 3)",
    title="Empirical law of the units converges to sigma(W X + M^inf) in W1 at rate N^-1/2",
    statement=r"$\mathbb{E}\,W_1\big(\tfrac1N\sum_i \delta_{S^i_k},\ \mathcal{L}(\sigma(W X_{k-1} + "
              r"M^\infty_{k-1}))\big) \asymp N^{-1/2}$ (up to logs), $W\sim N(0,1)$, given the data path.",
    source="reconstructed",
    power="Catches a W1 rate off N^-1/2 by ~0.12 and a wrong unit law (shared or uniform weights); does "
          "not catch a bias below the W1 noise floor of the largest N.",
    grids={"quick": {"N": [100, 400, 1600, 6400, 25600]},
           "full": {"N": [100, 400, 1600, 6400, 25600, 102400, 409600]}},
    replicates={"quick": 128, "full": 400},
    rates=[Rate(metric="w1", axis="N", kind="tight", predicted=-0.5, tolerance=0.1,
                note="exact W1 against the limit law's quantile function")],
    simulate=simulate,
    batched=True,
    common_random_numbers=True,
    params={"steps": STEPS, "gh_nodes": L.GH_NODES},
    mutants=[
        Mutant("shared-weights", functools.partial(simulate, weight_pool=8),
               "units share 8 weight values (W drawn from a pool of 8)"),
        Mutant("uniform-weights", functools.partial(simulate, uniform_weights=True),
               "W ~ U(-sqrt 3, sqrt 3): unit variance but not Gaussian"),
    ],
)
