"""Mei, Montanari & Nguyen (PNAS 2018): the eps^1/2 term of their SGD-vs-DD bound, measured as
the gap between SGD with step eps and the particle gradient flow of the same N units.

A mean field view of the landscape of two-layer neural networks (PNAS 115(33), 2018; arXiv
1804.06561), Theorem 3: SGD with step size eps (one fresh sample per step) tracks the
distributional dynamics (DD) with |R_N(theta^k) - R(rho_{k eps})| <= K e^{KT} sqrt(max(1/N, eps))
(up to dimension and log factors) for k eps <= T. `mmn2018.width` checks the N axis at eps = 1/N;
this claim checks the eps axis. The statement text was not available to read (the pages corpus
holds the abstract and summaries), so the claim is `source="reconstructed"`.

Why not against the DD at a large N. Measured at N = 64 (128 replicates, T = 1), the N term
|R_N(particle flow) - R(rho_T)| is 0.012 and the eps term |R_N(SGD) - R_N(particle flow)| is
0.019 at eps = 1/64 and 0.011 at eps = 1/256: the width's own fluctuation swamps the eps term
unless N >> 1/eps (N ~ 3000 to keep it under a third of the eps term at eps = 1/1024, 3000 x 1024
unit-steps per replicate). So, as in MMN's proof (DD -> N-particle gradient flow, costing N^-1/2;
particle flow -> SGD, costing eps^1/2), the eps term is measured at a fixed N (32 quick, 128 full) against the
*particle gradient flow from the same initial units*: every unit moves by the population
velocity 2 xi E_u[(y - y-hat_N(u)) grad sigma_*(u; theta_i)], E_u by Gauss-Hermite quadrature
(128 nodes), RK4 (20 steps), a deterministic function of the initial units
(claimcheck.models.mmn2018.particle_flow; refining it moves R_N by < 5e-6, against gaps of
0.002-0.04). This is the eps -> 0 limit of SGD at fixed N, so the gap has only the eps term in
it, and the theorem's bound for it is eps^1/2 (max(1/N, eps) >= eps). The axis is n = 1/eps (the
steps per unit of time), rate n^-1/2; the eps term's size does not depend on N much (the
gradient noise is one sample's, shared by all units, not averaged over them).

Design: common random numbers (replicate r has the same initial units at every eps, and its data
stream's first n T inputs at step 1/n), and the flow is the per-replicate `reference`: computed
once per replicate, shared by the grid. Statistic: the mean over replicates of
|R_N(SGD at T) - R_N(flow at T)|. Its size is the sqrt(eps) of the SGD noise (T/eps steps of
eps-sized mean-zero kicks); its bias is O(eps) (+0.008 at eps = 1/32, +0.0004..0.0015 from 1/256
on, against mean |.| 0.030 and 0.010..0.005). The theorem is an upper bound: the rate is `upper`.
Measured, the exponent is tight: quick (n = 32..1024, N = 32, 256 replicates) -0.501 [-0.538,
-0.463] at seed 0, -0.503 sd 0.019 over 10 calibration seeds (10 pass); full (n = 32..4096,
N = 128, 1024 replicates) -0.504 [-0.522, -0.487], 72 CPU s, with mean |.| 0.0308 at n = 32 (0.030
at N = 32: the eps term does not depend on N). Quick with its three mutants: ~17 CPU s.

Mutants (as for `mmn2018.width`): the unit's step eps/N (the mean-field scaling lost), a fixed
training set of 64 samples cycled instead of fresh samples (SGD tends to the *empirical* risk's
flow, a gap that stops shrinking at ~0.02), and the NTK output scaling 1/sqrt(N).
"""
import functools

import numpy as np

from claimcheck import Claim, Mutant, Rate
from claimcheck.models import mmn2018 as m

T = 1.0            # training time: n T SGD steps of size eps = 1/n
FIXED_BATCH = 64   # fixed-batch mutant: samples in the reused training set


def reference(point, rngs):
    """R_N of the particle gradient flow at T from each replicate's initial units (drawn first
    from the replicate's generator, as simulate draws them)."""
    N = int(point["N"])
    inits = [m.draw_init(rng, N) for rng in rngs]
    C, A, B = (np.stack([i[j] for i in inits]) for j in range(3))
    return list(m.population_risk(*m.particle_flow(C, A, B, T), 1.0 / N))


def simulate(point, rngs, refs, scaling="mean-field", step_over_N=False, batch=None):
    """SGD with step 1/n from each replicate's units to time T; |R_N(SGD) - R_N(flow)|."""
    N, n = int(point["N"]), int(point["n"])
    out = m.sgd_risks(rngs, N, 1.0 / n, T, scaling=scaling, batch=batch,
                      step_per_unit=1.0 / N if step_over_N else 1.0)
    gap = out["sgd"] - np.asarray(refs, dtype=float)
    return [{"gap": float(abs(g)), "signed_gap": float(g), "risk": float(r)} for g, r in zip(gap, out["sgd"])]


claim = Claim(
    id="mmn2018.sgd-step",
    paper="Mei, Montanari & Nguyen, A mean field view of the landscape of two-layer neural networks "
          "(PNAS 115(33), 2018; arXiv 1804.06561), Theorem 3 (the eps term: SGD vs the particle flow)",
    title="SGD with step eps is within eps^1/2 in risk of the particle gradient flow (fixed N)",
    statement=r"For $\hat y(x;\theta) = \frac1N\sum_{i=1}^N \sigma_*(x;\theta_i)$ trained by SGD with step "
              r"$\varepsilon$ (one fresh sample per step) and $\bar\theta(t)$ the $N$-particle gradient flow "
              r"of the population risk from the same $\theta^0$: "
              r"$\mathbb{E}\,|R_N(\theta^{T/\varepsilon}) - R_N(\bar\theta(T))| \lesssim \varepsilon^{1/2}$, "
              r"the $\sqrt{\varepsilon}$ part of $K e^{KT}\sqrt{\max(1/N, \varepsilon)}$.",
    source="reconstructed",
    power="Fails a gap that decays slower than eps^0.4 (reused samples, a lost mean-field step scaling, "
          "an NTK output: all flat); a decay faster than eps^1/2 passes (upper bound), and the measured "
          "exponent is tight at -0.5 in n = 1/eps.",
    grids={"quick": {"n": [32, 64, 128, 256, 512, 1024], "N": [32]},
           "full": {"n": [32, 64, 128, 256, 512, 1024, 2048, 4096], "N": [128]}},
    replicates={"quick": 256, "full": 1024},
    rates=[Rate(metric="gap", axis="n", kind="upper", predicted=-0.5, tolerance=0.1, statistic="mean",
                note="|R_N(SGD, step 1/n, to T = 1) - R_N(particle gradient flow, same units)|, N = 32 (full: 128)")],
    simulate=simulate,
    reference=reference,
    common_random_numbers=True,
    batched=True,
    params={"T": T, "xi": m.XI, "sigma_*": "c tanh(a u + b)", "x": "(u, 1), u ~ N(0,1)",
            "target": "sin(2u) + cos(u)/2", "init": "c ~ U[-1,1], a, b ~ N(0, 1)",
            "risk": f"Gauss-Hermite {m.RISK_NODES} nodes in u",
            "flow": f"RK4 {m.FLOW_STEPS} steps, Gauss-Hermite {m.FLOW_NODES} nodes in u"},
    mutants=[
        Mutant("step-over-N", functools.partial(simulate, step_over_N=True),
               "each unit's step eps/N (the literal gradient of the 1/N-scaled output at learning rate eps): "
               "SGD reaches time T/N"),
        Mutant("fixed-batch", functools.partial(simulate, batch=FIXED_BATCH),
               f"a fixed training set of {FIXED_BATCH} samples cycled instead of a fresh sample per step"),
        Mutant("ntk-output-scaling", functools.partial(simulate, scaling="ntk"),
               "output scaled 1/sqrt(N) instead of 1/N, same SGD"),
    ],
)
