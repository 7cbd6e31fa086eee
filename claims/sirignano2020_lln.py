"""Sirignano & Spiliopoulos: a two-layer network trained by SGD converges to its
mean-field limit, with fluctuations of order N^-1/2.

Law of large numbers (SIAM J. Appl. Math. 2020): for g^N(x) = (1/N) sum_i c^i sigma(w^i x)
trained by online SGD with steps of size alpha/N and time t = k/N, the empirical law
of the units converges to the solution of a nonlinear PDE, so the network output at
time T converges to a deterministic limit. Central limit theorem (Stoch. Proc. Appl.
2020): sqrt(N) (empirical law - limit) converges to a Gaussian process, so the output
error is of order exactly N^-1/2 (tight).

Measured: the RMS over 33 test inputs of g^N_T - g-bar_T, where g-bar is the mean-field
limit itself, computed deterministically (claimcheck.models.two_layer_meanfield_limit: the
population flow of the units' law by Gauss quadrature over the initial law and RK4 in
time; refining it moves g-bar_T by ~1e-4, against distances of 0.05-0.2 on the grid).
Each replicate is an independent width-N net (own units, own data). Reduced over
replicates by the RMS (the CLT gives E[err^2] ~ C/N).

Mutants break the width-N net (ntk-output-scaling, lr-not-scaled) or the limit
(limit-without-alpha: a limit that only an exact reference can be wrong in).
Calibrated with `claimcheck calibrate sirignano2020.lln --seeds 20 --mutants --record` (the record
is sirignano2020_lln.calibration.json beside this file; docs/adding-a-claim.md, section 8).
"""
import functools

import numpy as np

from claimcheck import Claim, Mutant, Rate
from claimcheck.models import two_layer_meanfield as mf
from claimcheck.models import two_layer_meanfield_limit as mfl

T = 1.0       # training time (N*T SGD steps at width N)
ALPHA = 2.0   # learning-rate constant: each step moves every unit by alpha/N
FIXED_LR_WIDTH = 1024   # lr-not-scaled: the step alpha/1024 at every width


def simulate(point, rngs, scaling="mean-field", lr_width=None, limit_alpha=ALPHA):
    """Independent width-N nets against the mean-field limit (mutants: the net's scaling or
    learning rate; limit_alpha: the learning-rate constant the limit is computed with)."""
    N = int(point["N"])
    out = mf.net_outputs(rngs, N, T, ALPHA, scaling=scaling, lr_width=lr_width)
    limit = mfl.limit_outputs(T, limit_alpha)
    dist = np.sqrt(((out["net"] - limit) ** 2).mean(axis=1))
    moved = np.sqrt(((out["net"] - out["net0"]) ** 2).mean(axis=1))
    return [{"dist": float(d), "net_moved": float(m)} for d, m in zip(dist, moved)]


claim = Claim(
    id="sirignano2020.lln",
    paper="Sirignano & Spiliopoulos, Mean field analysis of neural networks: a law of large numbers "
          "(SIAM J. Appl. Math. 80(2), 2020) and ... a central limit theorem (Stoch. Proc. Appl. 130(3), 2020)",
    title="SGD-trained two-layer nets converge to the mean-field limit with N^-1/2 fluctuations",
    statement=r"For $g^N_\theta(x) = \frac1N\sum_{i=1}^N c^i\sigma(w^i\cdot x)$ trained by online SGD with steps "
              r"$\alpha/N$ and time $t = k/N$, the output at time $T$ converges to the mean-field limit "
              r"$\bar g_T(x) = \langle c\,\sigma(w\cdot x), \bar\mu_T\rangle$, and "
              r"$\sqrt N\,(g^N_{\lfloor NT\rfloor} - \bar g_T)$ converges to a Gaussian limit: "
              r"$\big(\mathbb{E}\,\|g^N_T - \bar g_T\|^2\big)^{1/2} \asymp N^{-1/2}$.",
    source="reconstructed",
    grids={"quick": {"N": [8, 16, 32, 64, 128]},
           "full": {"N": [8, 12, 16, 24, 32, 48, 64, 96, 128, 192]}},
    replicates={"quick": 1024, "full": 1000},
    rates=[Rate(metric="dist", axis="N", kind="tight", predicted=-0.5, tolerance=0.1, statistic="rms",
                note="RMS over test inputs of g^N_T - g-bar_T (the quadrature limit), RMS over replicates")],
    simulate=simulate,
    batched=True,
    params={"T": T, "alpha": ALPHA, "sigma": "tanh", "x": "(u, 1), u ~ N(0,1)",
            "target": "sin(2u) + cos(u)/2", "init": "c ~ U[-1,1], w ~ N(0, I_2)", "test_inputs": 33,
            "limit": f"Gauss quadrature {mfl.DEFAULT_NODES} (c, a, b, u), RK4 {mfl.DEFAULT_STEPS} steps"},
    mutants=[
        Mutant("ntk-output-scaling", functools.partial(simulate, scaling="ntk"),
               "width-N net's output scaled 1/sqrt(N) instead of 1/N (NTK parametrisation), same SGD update: "
               "its initial output is an O(1) Gaussian field that does not average out, so it does not "
               "approach the mean-field limit"),
        Mutant("lr-not-scaled", functools.partial(simulate, lr_width=FIXED_LR_WIDTH),
               f"width-N net's learning rate fixed at alpha/{FIXED_LR_WIDTH} instead of alpha/N (still N*T "
               f"steps): it is trained for time T*N/{FIXED_LR_WIDTH} instead of T"),
        Mutant("limit-without-alpha", functools.partial(simulate, limit_alpha=1.0),
               "the limit's flow written without the learning-rate constant alpha (velocity E[...] instead "
               "of alpha E[...], i.e. the limit at time T/alpha): the nets are right, the limit is not"),
    ],
)
