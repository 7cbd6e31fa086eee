"""Lam, Sirignano & Spiliopoulos (R2): the finite-width memory M^N_k tracks the
infinite-width memory M^inf_k driven by the same data path, with error N^-1/2.

M^inf is computed by Gauss-Hermite quadrature of G(x, m) = E[B] E_w sigma(w x + m).
The metric averages |M^N_k - M^inf_k| over a window of steps k (each term is
~ N^-1/2; the window only reduces Monte-Carlo noise). Common random numbers: the
width-N net uses the first N units of the widest draw and the same data path.
"""
import functools

import numpy as np

from claimcheck import Claim, Mutant, Rate
from claimcheck.models import lam2023 as L
from claimcheck.models.lam2023_runs import untrained_setup

STEPS = 30
WINDOW = slice(15, 30)


def simulate(point, rngs, *, memory_scale="mean", weight_pool=None):
    n = int(point["N"])
    _, Z, W, B = untrained_setup(rngs, n, STEPS, weight_pool=weight_pool)
    units = L.make_units(W, B, steps=STEPS)
    if memory_scale == "sqrt":       # bug: recurrent sum scaled by 1/sqrt(N) instead of 1/N
        units.a = units.a * np.sqrt(n)
    X = Z[..., 0]
    mn = L.memory_run(units, X, STEPS, moments=False).m
    mi = L.m_inf_path(X, STEPS)
    err = np.abs(mn - mi)[:, WINDOW].mean(axis=1)
    return [{"abs_err": float(e), "m_last": float(mn[p, -1]), "minf_last": float(mi[p, -1])}
            for p, e in enumerate(err)]


claim = Claim(
    id="lam2023.memory-lln",
    paper="Lam, Sirignano, Spiliopoulos, Kernel limit of RNNs trained on ergodic data sequences "
          "(arXiv 2308.14555; Ann. Appl. Probab. 36(3)), memory-layer LLN (Sec. 3)",
    title="Finite-width memory M^N_k converges to M^inf_k at rate N^-1/2",
    statement=r"For the same data path, $\mathbb{E}|M^N_k - M^\infty_k| \asymp N^{-1/2}$, where "
              r"$M^\infty_{k+1} = G(X_k, M^\infty_k)$, $G(x,m) = \mathbb{E}[B]\,\mathbb{E}_w\sigma(wx+m)$.",
    source="reconstructed",
    power="Catches a memory LLN rate off N^-1/2 by more than ~0.12 (a sqrt(N)-scaled memory, units sharing "
          "weights); does not catch an error in the limit recursion G that the finite-N memory shares "
          "(both use the same sigmoid and B law).",
    grids={"quick": {"N": [100, 400, 1600, 6400, 25600]},
           "full": {"N": [100, 400, 1600, 6400, 25600, 102400, 409600]}},
    replicates={"quick": 384, "full": 1600},
    rates=[Rate(metric="abs_err", axis="N", kind="tight", predicted=-0.5, tolerance=0.1,
                note="mean over k in [15, 30) of |M^N_k - M^inf_k|")],
    simulate=simulate,
    batched=True,
    common_random_numbers=True,
    params={"steps": STEPS, "window": [15, 30], "gh_nodes": L.GH_NODES},
    mutants=[
        Mutant("sqrt-n-memory", functools.partial(simulate, memory_scale="sqrt"),
               "recurrent sum scaled by 1/sqrt(N) instead of 1/N"),
        Mutant("shared-weights", functools.partial(simulate, weight_pool=8),
               "units share 8 weight values (W drawn from a pool of 8)"),
    ],
)
