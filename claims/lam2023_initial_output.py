"""Lam, Sirignano & Spiliopoulos (R7): the initial output y^N_0 = N^-beta sum_i C^i S^i_1
has standard deviation exactly proportional to N^{1/2 - beta}.

C^i are i.i.d. N(0, 1), independent of (W, B) and the data, so
Var(y^N_0) = N^{1 - 2 beta} E[(S^1_1)^2]: the exponent 1/2 - beta is exact.
"""
import functools

import numpy as np

from claimcheck import Claim, Mutant, Rate
from claimcheck.models import lam2023 as L
from claimcheck.models.lam2023_runs import untrained_setup

BETA = 0.75


def simulate(point, rngs, *, out_exponent=None, c_law="normal"):
    n = int(point["N"])
    st, Z, W, B = untrained_setup(rngs, n, 1)
    if c_law == "normal":
        C = np.stack([s.c.standard_normal(n) for s in st])
    else:                                   # bug: one C per path broadcast to every unit
        C = np.stack([np.full(n, s.c.standard_normal()) for s in st])
    cfg = L.TrainConfig(beta=BETA, out_exponent=out_exponent)
    X = Z[..., 0]
    m0 = np.einsum("pn,pn->p", B, L.sigmoid(W * X[:, :1])) / n     # M_0
    y0 = L.output(C, W, X[:, 0], m0, cfg, n)                          # N^-beta sum C S_1
    return [{"y0": float(v)} for v in y0]


claim = Claim(
    id="lam2023.initial-output",
    paper="Lam, Sirignano, Spiliopoulos, Kernel limit of RNNs trained on ergodic data sequences "
          "(arXiv 2308.14555), output scaling N^-beta, beta in (1/2, 1) (Sec. 2)",
    title="Initial output has standard deviation N^(1/2 - beta)",
    statement=r"$\mathrm{sd}(y^N_0) = N^{1/2-\beta}\,\mathbb{E}[(S^1_1)^2]^{1/2}$ for "
              r"$y^N_0 = N^{-\beta}\sum_i C^i S^i_1$, $C^i$ i.i.d. mean zero, unit variance; here $\beta = 3/4$.",
    source="reconstructed",
    power="Catches sd(y_0) scaling off N^(1/2 - beta) by ~0.11 (output scaled N^-1/2, C broadcast); does "
          "not check the law of y_0 beyond its sd.",
    grids={"quick": {"N": [16, 64, 256, 1024, 4096, 16384]},
           "full": {"N": [16, 64, 256, 1024, 4096, 16384, 65536, 262144]}},
    replicates={"quick": 400, "full": 2000},
    rates=[Rate(metric="y0", axis="N", kind="tight", predicted=0.5 - BETA, tolerance=0.1, statistic="sd")],
    simulate=simulate,
    batched=True,
    params={"beta": BETA},
    mutants=[
        Mutant("output-sqrt-n", functools.partial(simulate, out_exponent=-0.5),
               "output scaled N^-1/2 instead of N^-beta"),
        Mutant("c-broadcast", functools.partial(simulate, c_law="shared"),
               "one output weight per path broadcast to all units (shape bug)"),
    ],
)
