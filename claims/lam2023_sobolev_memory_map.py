"""Lam, Sirignano & Spiliopoulos: the hidden layer as a function in a Sobolev space (issue 22).

The paper studies the hidden layer as an element of a Sobolev space: the width-N memory map
    G^N(x, m) = (1/N) sum_i B^i sigma(W^i x + m)
(the update M_{k+1} = G^N(X_k, M_k) of the rank-one memory) converges to
    G(x, m) = E[B] E_w[sigma(w x + m)]
as a *function*, with its derivatives, not only at the states the memory visits. This claim
measures the H^2 distance on the domain D = [-1, 1] x [0, 1] of (x, m) (the inputs lie in
[-1, 1]; every memory M_k = (1/N) sum_i B^i S^i lies in (0, 1) since B^i ~ U(0, 1) and
S^i in (0, 1), and the stationary one in [0.28, 0.29]), after training (the W^i at step N T of R9's run, B fixed):
    ||G^N - G||_{H^2(D)}^2 = mean over D of sum_{a+b <= 2} |d_x^a d_m^b (G^N - G)|^2,
d_x^a d_m^b sigma(W x + m) = W^a sigma^(a+b)(W x + m), by a 16 x 16 Gauss-Legendre rule on D;
the limit's derivatives E[B] E_w[w^a sigma^(a+b)(w x + m)] by Gauss-Hermite (40 nodes,
``lam2023.gauss_hermite``). The L^2 part is stored as ``l2_err``.
Why N^-1/2: at initialisation G^N - G is a mean of N i.i.d. H^2-valued terms (E||.||^2 = c/N);
training moves each W^i by ~N^(beta-1) = N^-1/4 with a sign set by C^i (mean zero over
units), so it adds N^-1/4 N^-1/2 only. The derivative orders do not cost rate: their terms
W^a sigma^(k) have finite variance for Gaussian W.
Pilot (32 paths, seed [3, i]): H^2 error 0.052 / 0.014 / 0.0036 at N = 16 / 256 / 4096, of
which L^2 0.037 / 0.011 / 0.0026 and the second-order part 0.018 / 0.0039 / 0.0012 (-0.49):
the derivatives converge at the L^2 rate. Quick profile, seed 0 (64 paths): -0.515
[-0.541, -0.489], PASS; b-trained -0.264 [-0.283, -0.244] (0.22 / 0.11 / 0.054 at the three
N above), w-variance-2 -0.151 [-0.315, +0.013] (levelling off), both FAIL. Calibration (10
seeds): 10 pass, -0.508 (sd 0.011), detectable deviation 0.165, both mutants caught 10/10 (568 s).
Full (N = 16..8192, 128 paths, seed 0): PASS -0.515 [-0.532, -0.498]; b-trained -0.257, w-variance-2
-0.100, both failed; 168 s of stored compute for the truth, 356 CPU s with the mutants.

Mutants: ``b-trained`` (B trained like W and C, at alpha N^(2 beta - 2): every B^i moves by
~N^-1/4 in the same direction, so G^N drifts coherently away from G: ~N^-1/4) and
``w-variance-2`` (W drawn N(0, 2): G^N converges to a different map, a floor).
"""
import functools

import numpy as np

from claimcheck import Claim, Mutant, Rate
from claimcheck.models import lam2023 as L
from claimcheck.models.lam2023_runs import trained_setup

CFG = dict(beta=0.75, gamma=0.1, alpha=4.0, T=1.0)
DOMAIN = {"x": (-1.0, 1.0), "m": (0.0, 1.0)}
QUAD = 16                        # Gauss-Legendre nodes per axis
ORDERS = [(0, 0), (1, 0), (0, 1), (2, 0), (1, 1), (0, 2)]   # (a, b): d_x^a d_m^b, a + b <= 2


def _grid():
    """Nodes (x, m) of the product rule on D and weights summing to 1 (a mean over D)."""
    t, w = np.polynomial.legendre.leggauss(QUAD)
    xs = [(lo + hi) / 2 + (hi - lo) / 2 * t for lo, hi in DOMAIN.values()]
    X, Mm = np.meshgrid(*xs, indexing="ij")
    return X.ravel(), Mm.ravel(), np.outer(w, w).ravel() / 4.0


def _sigma_derivs(z):
    """sigma, sigma', sigma'' at z."""
    s = L.sigmoid(z)
    d1 = s * (1.0 - s)
    return s, d1, d1 * (1.0 - 2.0 * s)


def _fields(w, b, x, m):
    """(len(ORDERS), Q): d_x^a d_m^b of sum_i b_i sigma(w_i x + m), for weights b (units or nodes)."""
    s = _sigma_derivs(w[:, None] * x[None, :] + m[None, :])
    return np.stack([(b[:, None] * w[:, None] ** a * s[a + c]).sum(axis=0) for a, c in ORDERS])


@functools.lru_cache(maxsize=1)
def limit():
    """(x, m, quadrature weights, derivatives of G at the nodes)."""
    x, m, q = _grid()
    t, wt = L.gauss_hermite()
    return x, m, q, L.MEAN_B * _fields(t, wt, x, m)


def simulate(point, rngs, w_scale=1.0, **bug):
    n = int(point["N"])
    cfg = L.TrainConfig(**{**CFG, **bug})
    Z, W, B, C = trained_setup(rngs, n, cfg)
    W = W * w_scale
    B = B.copy()                           # trained in place only by the b-trained control
    run = L.train(Z, W, B, C, cfg, track_moves=False)
    x, m, q, g = limit()
    out = []
    for p in range(len(rngs)):
        d = _fields(run.W[p], B[p], x, m) / n - g
        sq = d ** 2 @ q                    # mean over D of each derivative's square
        out.append({"h2_err": float(np.sqrt(sq.sum())), "l2_err": float(np.sqrt(sq[0])),
                    "top_err": float(np.sqrt(sq[3:].sum()))})
    return out


claim = Claim(
    id="lam2023.sobolev-memory-map",
    paper="Lam, Sirignano, Spiliopoulos, Kernel limit of RNNs trained on ergodic data sequences "
          "(arXiv 2308.14555): the hidden layer as a function in a Sobolev space",
    title="The width-N memory map converges to G in H^2 at rate N^-1/2, after training",
    statement=r"$\|G^N - G\|_{H^2(D)} = \Theta(N^{-1/2})$, $G^N(x,m) = \frac1N\sum_i B^i\sigma(W^i_{NT}x+m)$, "
              r"$G(x,m) = \mathbb{E}[B]\,\mathbb{E}_w[\sigma(wx+m)]$, $D = [-1,1]\times[0,1]$; "
              r"$\beta = 3/4$, $\alpha = 4$, $T = 1$.",
    source="reconstructed",
    power="Catches a memory map whose H^2 distance to G decays off N^-1/2 by 0.1 or more (B trained like the "
          "other parameters: a coherent drift; W of the wrong variance: a floor), derivatives up to order 2 "
          "included; the H^1 and higher-order norms the paper uses are not all checked.",
    grids={"quick": {"N": [16, 64, 256, 1024, 4096]},
           "full": {"N": [16, 64, 256, 1024, 4096, 8192]}},   # N = 16384: ~5 CPU min a variant
    replicates={"quick": 64, "full": 128},
    rates=[Rate(metric="h2_err", axis="N", kind="tight", predicted=-0.5, tolerance=0.1,
                note="H^2(D) norm: derivatives d_x^a d_m^b, a + b <= 2, mean over D = [-1,1] x [0,1] by a 16 x 16 "
                     "Gauss-Legendre rule; W after N T training steps, B fixed")],
    simulate=simulate,
    batched=True,
    common_random_numbers=True,
    params={**CFG, "domain": DOMAIN, "quadrature": QUAD, "orders": ORDERS},
    mutants=[
        Mutant("b-trained", functools.partial(simulate, b_lr_exponent=2 * CFG["beta"] - 2),
               "B trained like W and C, at alpha N^(2 beta - 2) (the model keeps B fixed)"),
        Mutant("w-variance-2", functools.partial(simulate, w_scale=float(np.sqrt(2.0))),
               "W drawn N(0, 2) instead of N(0, 1)"),
    ],
)
