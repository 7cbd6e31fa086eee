"""Lam, Sirignano & Spiliopoulos (R12, reconstructed from the proof outline): uniform
integrability of the output, the lemma used to remove the clipping,

    sup_{k <= N T} E[(y^N_k)^2] <= C_T  uniformly in N,

checked as an upper bound with exponent 0 on E[max_j (y^N_{k_j})^2] over 8 fixed training
times k_j = j N T / 8 (j = 1..8). A finite set of times, not the sup over all N T steps: the
running maximum of N T fluctuating outputs grows like log N, which the lemma does not
bound, while max_j E[y_{k_j}^2] <= E max_j y_{k_j}^2 <= sum_j E[y_{k_j}^2] <= 8 sup_k E[y_k^2].
The time average (1/NT) sum_k y_k^2 is stored too (``y2_avg``).

Negative control: the output without its N^-beta factor, y = sum_i C^i S^i (E y^2 ~ N).
"""
import functools

import numpy as np

from claimcheck import Claim, Mutant, Rate
from claimcheck.models import lam2023 as L
from claimcheck.models.lam2023_runs import trained_setup

CFG = dict(beta=0.75, gamma=0.1, alpha=4.0, T=1.0)
TIMES = 8


def simulate(point, rngs, **bug):
    n = int(point["N"])
    cfg = L.TrainConfig(**{**CFG, **bug})
    Z, W, B, C = trained_setup(rngs, n, cfg)
    run = L.train(Z, W, B, C, cfg, track_moves=False, track_path=True)
    ks = (np.arange(1, TIMES + 1) * run.steps) // TIMES - 1
    y2 = run.y_path ** 2
    return [{"y2_max": float(v), "y2_avg": float(a)} for v, a in zip(y2[:, ks].max(axis=1), y2.mean(axis=1))]


claim = Claim(
    id="lam2023.output-moments",
    paper="Lam, Sirignano, Spiliopoulos, Kernel limit of RNNs trained on ergodic data sequences "
          "(arXiv 2308.14555), uniform integrability of the output (used to remove the clipping)",
    title="The output's second moment stays bounded in N over the training horizon",
    statement=r"$\sup_{k \le NT} \mathbb{E}[(y^N_k)^2] \le C_T$ for all $N$; checked on 8 fixed times "
              r"$k_j = jNT/8$; $\beta = 3/4$, $\gamma = 0.1$, $\alpha = 4$, $T = 1$.",
    source="reconstructed",
    power="Catches a second moment that grows with N faster than N^0.1 (e.g. the output without N^-beta, E y^2 ~ N, "
          "or beta < 1/2); does not catch growth slower than N^0.1 over this grid, e.g. logarithmic, nor a bad "
          "moment between the 8 checked times.",
    grids={"quick": {"N": [64, 128, 256, 512, 1024]},
           "full": {"N": [64, 256, 1024, 2048, 4096]}},   # training costs N^2 per path: 16384 is ~10 min
    replicates={"quick": 64, "full": 128},
    rates=[Rate(metric="y2_max", axis="N", kind="upper", predicted=0.0, tolerance=0.1,
                note="E max over 8 fixed times k_j = j N T / 8 of y_k^2")],
    simulate=simulate,
    batched=True,
    common_random_numbers=True,
    params={**CFG, "times": TIMES},
    mutants=[
        Mutant("output-unscaled", functools.partial(simulate, out_exponent=0.0),
               "output sum_i C^i S^i without the N^-beta factor"),
    ],
)
