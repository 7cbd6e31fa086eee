"""Calibration claim: the sample mean's error decays like N^-1/2 (central limit theorem).

X_1..X_N i.i.d. Exp(1) (skewed on purpose, so the CLT is not exact at small N);
E|mean - 1| = sqrt(2/pi) N^-1/2 (1 + o(1)).
"""
import numpy as np

from claimcheck import Claim, Mutant, Rate


def simulate(point, rng):
    x = rng.exponential(1.0, size=int(point["N"]))
    return {"abs_err": abs(x.mean() - 1.0)}


def simulate_median(point, rng):
    # Bug a reader could make: the median "estimates the centre", but of Exp(1) it is ln 2, not 1.
    x = rng.exponential(1.0, size=int(point["N"]))
    return {"abs_err": abs(np.median(x) - 1.0)}


def simulate_correlated(point, rng):
    # Bug: reuse one block of 16 draws for the whole sample (the effective sample size stays 16).
    x = np.tile(rng.exponential(1.0, size=16), int(point["N"]) // 16 + 1)[: int(point["N"])]
    return {"abs_err": abs(x.mean() - 1.0)}


claim = Claim(
    id="classical.clt-mean",
    paper="Central limit theorem (textbook; e.g. Durrett, Probability: Theory and Examples, Thm 3.4.1)",
    title="Sample mean error decays as N^-1/2",
    statement=r"For i.i.d. $X_i \sim \mathrm{Exp}(1)$: $\mathbb{E}|\bar X_N - 1| = \sqrt{2/\pi}\,N^{-1/2}(1+o(1))$.",
    source="paper",
    grids={"quick": {"N": [64, 256, 1024, 4096, 16384]},
           "full": {"N": [64, 256, 1024, 4096, 16384, 65536, 262144]}},
    replicates={"quick": 400, "full": 2000},
    rates=[Rate(metric="abs_err", axis="N", kind="tight", predicted=-0.5, tolerance=0.1)],
    simulate=simulate,
    mutants=[
        Mutant("median-estimator", simulate_median, "uses the median (ln 2) instead of the mean (1)"),
        Mutant("reused-block", simulate_correlated, "tiles 16 draws: samples are not independent"),
    ],
)
