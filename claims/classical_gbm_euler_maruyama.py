"""Calibration claim: Euler–Maruyama on geometric Brownian motion has strong order 1/2
and weak order 1 (Kloeden & Platen, Numerical Solution of SDEs, Thms 10.2.2 and 14.1.5).

dX = mu X dt + sigma X dW, X_0 = 1, on [0, T] with n steps. The exact solution
X_T = exp((mu - sigma^2/2) T + sigma W_T) is evaluated on the *same* Brownian path,
so the strong error is pathwise. The weak error of f(x) = x^2 is estimated as the mean
of f(X_EM) - f(X_exact) over paths: unbiased (the exact solution has the exact law) and
far less noisy than comparing f(X_EM) with E f(X_T) (control variate).

Two parameter sets, both covered by the theorem: the strong order is measured at
(mu, sigma) = (0.5, 1.0), where the diffusion error (order 1/2) dominates the drift
error (order 1) already at 32 steps; the weak order at (1.5, 0.2), where the weak
error stands far above the Monte-Carlo noise (at (0.5, 1.0) its replicate CV is > 1).
"""
import functools

import numpy as np

from claimcheck import Claim, Mutant, Rate

STRONG = (0.5, 1.0)   # (mu, sigma) for the strong order
WEAK = (1.5, 0.2)     # (mu, sigma) for the weak order
T, PATHS = 1.0, 2000


def _em_and_exact(n, mu, sigma, rng, diffusion, ito):
    """Euler–Maruyama endpoint and exact endpoint on the same Brownian path."""
    h = T / n
    dW = rng.standard_normal((PATHS, n)) * np.sqrt(h)
    x = np.ones(PATHS)
    for j in range(n):
        noise = sigma * x * dW[:, j] if diffusion == "multiplicative" else sigma * dW[:, j]
        x = x + mu * x * h + noise
    drift = (mu - 0.5 * sigma**2) if ito else mu
    return x, np.exp(drift * T + sigma * dW.sum(axis=1))


def simulate(point, rng, diffusion="multiplicative", ito=True):
    n = int(point["steps"])
    xs, es = _em_and_exact(n, *STRONG, rng, diffusion, ito)
    xw, ew = _em_and_exact(n, *WEAK, rng, diffusion, ito)
    return {"strong_err": float(np.mean(np.abs(xs - es))),
            "weak_diff": float(np.mean(xw**2 - ew**2))}


claim = Claim(
    id="classical.gbm-euler-maruyama",
    paper="Kloeden & Platen, Numerical Solution of Stochastic Differential Equations (1992), Thms 10.2.2, 14.1.5",
    title="Euler–Maruyama on geometric Brownian motion: strong order 1/2, weak order 1",
    statement=r"$\mathbb{E}|X^h_T - X_T| \le C h^{1/2}$ and $|\mathbb{E} f(X^h_T) - \mathbb{E} f(X_T)| \le C h$ "
              r"for $dX = \mu X\,dt + \sigma X\,dW$, $h = T/n$; for GBM both orders are attained.",
    source="paper",
    grids={"quick": {"steps": [32, 64, 128, 256, 512]},
           "full": {"steps": [32, 64, 128, 256, 512, 1024, 2048]}},
    replicates={"quick": 60, "full": 400},
    rates=[
        Rate(metric="strong_err", axis="steps", kind="tight", predicted=-0.5, tolerance=0.1,
             note="strong error at T, same Brownian path"),
        Rate(metric="weak_diff", axis="steps", kind="tight", predicted=-1.0, tolerance=0.1, statistic="abs_mean",
             note="weak error of f(x)=x^2 (the h^2 term still bends the first points slightly)"),
    ],
    simulate=simulate,
    params={"strong_mu_sigma": STRONG, "weak_mu_sigma": WEAK, "T": T, "paths": PATHS},
    mutants=[
        # a different SDE
        Mutant("additive-diffusion", functools.partial(simulate, diffusion="additive"),
               "diffusion sigma dW instead of sigma X dW"),
        # the reference solution by the Stratonovich formula
        Mutant("stratonovich-reference", functools.partial(simulate, ito=False),
               "exact solution without the Ito correction -sigma^2/2"),
    ],
)
