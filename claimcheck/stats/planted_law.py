"""Planted laws for the ``law`` kind (issue 23, item 4): samples whose law at each scale is known.

Each family gives, at scale N, R replicates of a standardised fluctuation:

- ``clt``: (Gamma(N, 1) - N) / sqrt(N), the standardised sum of N centred exponentials: its law
  tends to N(0, 1) with skewness 2/sqrt(N); W1 to N(0, 1) is 0.31, 0.16, 0.081, 0.040, 0.022 at
  N = 1, 4, 16, 64, 256 (measured on 4e5 draws);
- ``clt-gauss``: N(0.5/sqrt(N), 1): W1 = 0.5/sqrt(N) exactly;
- ``wrong-order``: the clt sum scaled by N^-3/4 instead of N^-1/2 (vanishes: W1 -> E|Z| = 0.80);
- ``laplace``: a Laplace law of variance 1 plus a vanishing term (W1 -> 0.146);
- ``edge``: N(tol + 0.5/sqrt(N), 1): W1 -> tol, the band's edge, from above.
"""
from __future__ import annotations

import numpy as np

from ..claim import Rate
from .verdict import FAIL, INCONCLUSIVE, PASS, check_rate, judge_claim

GRID = np.array([1.0, 4.0, 16.0, 64.0, 256.0])


def sample(family: str, N: float, R: int, rng: np.random.Generator, tol: float = 0.1) -> np.ndarray:
    if family == "clt":
        return (rng.gamma(N, 1.0, R) - N) / np.sqrt(N)
    if family == "clt-gauss":
        return rng.standard_normal(R) + 0.5 / np.sqrt(N)
    if family == "wrong-order":
        return (rng.gamma(N, 1.0, R) - N) / N ** 0.75
    if family == "laplace":
        return rng.laplace(0.0, 2 ** -0.5, R) + (rng.gamma(N, 1.0, R) - N) / N
    if family == "edge":
        return rng.standard_normal(R) + tol + 0.5 / np.sqrt(N)
    raise ValueError(f"unknown planted law {family!r}")


def judge_sweep(family: str, R: int, seed, tol: float = 0.1, x: np.ndarray = GRID):
    """One planted sweep judged by the law kind at level 0.05 (Holm over this one rate)."""
    rate = Rate(metric="z", axis="N", kind="law", tolerance=tol)
    rng = np.random.default_rng(seed)
    tab = np.array([sample(family, N, R, rng, tol) for N in x])
    res = check_rate(rate, [{"N": float(v)} for v in x], tab, paired=False)
    judge_claim([res], 0.05)
    return res


def exact_w1(family: str, N: float, tol: float = 0.1) -> float | None:
    """W1 to N(0, 1) of a family's law at scale N where it is known exactly (Gaussian shifts)."""
    if family == "clt-gauss":
        return 0.5 / float(np.sqrt(N))
    if family == "edge":
        return tol + 0.5 / float(np.sqrt(N))
    return None


def cell(family: str, R: int, seeds: int, tol: float = 0.1) -> dict:
    """Verdict fractions of one family over ``seeds`` sweeps (seeds [23, R, s]), and where the
    law's distance is known, the coverage of the reported 95% interval at the largest scale."""
    results = [judge_sweep(family, R, [23, R, s], tol) for s in range(seeds)]
    verdicts = [r.verdict for r in results]
    out = {"family": family, "replicates": R, "tolerance": tol, "seeds": seeds,
           **{v: verdicts.count(v) / seeds for v in (PASS, FAIL, INCONCLUSIVE)}}
    truth = exact_w1(family, GRID[-1], tol)
    if truth is not None:
        out["coverage"] = float(np.mean([r.ci_low <= truth <= r.ci_high for r in results]))
    return out
