"""Sirignano & Spiliopoulos: a two-layer network trained by SGD converges to its
mean-field limit, with fluctuations of order N^-1/2.

Law of large numbers (SIAM J. Appl. Math. 2020): for g^N(x) = (1/N) sum_i c^i sigma(w^i x)
trained by online SGD with steps of size alpha/N and time t = k/N, the empirical law
of the units converges to the solution of a nonlinear PDE, so the network output at
time T converges to a deterministic limit. Central limit theorem (Stoch. Proc. Appl.
2020): sqrt(N) (empirical law - limit) converges to a Gaussian process, so the output
error is of order exactly N^-1/2 (tight).

Measured: the RMS over 33 test inputs of g^N_T - g^ref_T, where g^ref is a width-N_ref
net (N <= N_ref/16) on nested units and the same data stream (claimcheck.models.two_layer_meanfield
explains the coupling: it cancels the reference's own fluctuation to first order, leaving
E|g^N - g^ref|^2 = (1 - N/N_ref) E|g^N - limit|^2, so the metric divides by
sqrt(1 - N/N_ref), at most a 3% correction). Reduced over replicates by the RMS (the CLT
gives E[err^2] ~ C/N).

Mutants break the width-N net only; the reference stays the (correct) mean-field limit.
Calibrated with `claimcheck calibrate sirignano2020.lln --seeds 20 --mutants --record` (the record
is sirignano2020_lln.calibration.json beside this file; docs/adding-a-claim.md, section 8).
"""
import functools

from claimcheck import Claim, Mutant, Rate
from claimcheck.models import two_layer_meanfield as mf

T = 1.0       # training time (N*T SGD steps at width N)
ALPHA = 2.0   # learning-rate constant: each step moves every unit by alpha/N


def _metrics(out, N, N_ref):
    raw = ((out["net"] - out["ref"]) ** 2).mean(axis=1) ** 0.5
    # nested coupling: E|g^N - g^ref|^2 = (1 - N/N_ref) E|g^N - limit|^2 to first order
    dist = raw / (1.0 - N / N_ref) ** 0.5
    moved = ((out["ref"] - out["ref0"]) ** 2).mean(axis=1) ** 0.5
    return [{"dist": float(d), "dist_raw": float(r), "ref_moved": float(m)} for d, r, m in zip(dist, raw, moved)]


def reference(point, rngs):
    """The width-N_ref net's output at time T: the same at every N of a replicate."""
    return mf.reference_outputs(rngs, int(point["N_ref"]), T, ALPHA)


def simulate(point, rngs, refs, scaling="mean-field", lr="scaled"):
    """Replicates at one width N, each against its reference (mutants change the width-N net only)."""
    N, N_ref = int(point["N"]), int(point["N_ref"])
    out = mf.coupled_outputs(rngs, N, N_ref, T, ALPHA, refs=refs, scaling=scaling, lr=lr)
    return _metrics(out, N, N_ref)


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
    grids={"quick": {"N": [6, 8, 12, 16, 24, 32, 48], "N_ref": [768]},
           "full": {"N": [8, 12, 16, 24, 32, 48, 64, 96, 128, 192], "N_ref": [3072]}},
    replicates={"quick": 256, "full": 1000},
    rates=[Rate(metric="dist", axis="N", kind="tight", predicted=-0.5, tolerance=0.1, statistic="rms",
                note="RMS over test inputs of g^N_T - g^ref_T, RMS over replicates")],
    simulate=simulate,
    batched=True,
    reference=reference,
    common_random_numbers=True,   # replicate r: the same units and data stream at every N (nested)
    params={"T": T, "alpha": ALPHA, "sigma": "tanh", "x": "(u, 1), u ~ N(0,1)",
            "target": "sin(2u) + cos(u)/2", "init": "c ~ U[-1,1], w ~ N(0, I_2)", "test_inputs": 33},
    mutants=[
        Mutant("ntk-output-scaling", functools.partial(simulate, scaling="ntk"),
               "width-N net's output scaled 1/sqrt(N) instead of 1/N (NTK parametrisation), same SGD update: "
               "its initial output is an O(1) Gaussian field that does not average out, so it does not "
               "approach the mean-field limit"),
        Mutant("lr-not-scaled", functools.partial(simulate, lr="fixed"),
               "width-N net's learning rate fixed at alpha/N_ref instead of alpha/N (still N*T steps): it is "
               "trained for time T*N/N_ref instead of T"),
    ],
)
