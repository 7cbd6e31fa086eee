"""Forward coupling under a weakly dependent initialisation (Agazzi, Lu, Mukherjee 2023, Sec. 2.4:
the neuronal embedding allows a non-product sampling rule when the dependence between labels is
weak; issue 22): at t = 0 the width-N RNN stays within N^-1/2 of its mean-field limit on the same
labels when the labels are exchangeable with pairwise correlation N^-1/2.

Same network, initialisation and exact limit as `agazzi2023.forward-coupling` (diverse init
W_0 = B tanh(xi_1 xi_2'), A_0, U_0, b_0 from the labels; the limit recurrent field is 0 and the
limit output is 0, on the same labels), but the N labels are drawn by the exchangeable rule of
:mod:`claimcheck.models.agazzi2023_dependent`: C_i = sqrt(1 - rho^2) xi_i + rho Z with one shared
Z per net, rho = rho_N = N^-1/4 (pairwise correlation rho^2 = N^-1/2, far above the 1/N of
sampling without replacement). Marginals are exactly the i.i.d. embedding's, so the limit is
unchanged.

Why the rate survives: conditionally on Z the labels are i.i.d. from a law shifted by O(rho), and
each term of the recurrent field (1/N) sum_j B tanh(xi_1^i xi_2^j) h^j and of the output
(1/N) sum_j A^j h^j is a product of two factors with mean 0 under the unshifted law, so the
shared component moves their conditional means by O(rho^2) only: error^2 ~ c_1/N + c_2 rho^4,
N^-1/2 for rho = N^-1/4. Prototype (48 replicates, N = 16, 64, 256, 1024; unit error, local
slopes): i.i.d. -0.45, -0.56, -0.43; rho = N^-1/4: -0.77, -0.32, -0.59; rho = N^-1/8 (correlation
N^-1/4): -0.37, -0.26, -0.20; rho = 0.8 fixed: -0.03, -0.04, -0.04 (a floor at 0.1).

Measured: quick (N = 32..1024, 128 replicates) calibration over 10 seeds: 10 pass, unit error
-0.509 (sd 0.017), output error -0.499 (sd 0.024), both mutants caught 10/10; full (N = 32..4096,
128 replicates, seed 0): -0.524 [-0.547, -0.501] and -0.481 [-0.522, -0.441], pass, 78 s CPU.
So the coupling rate of the i.i.d. embedding survives an exchangeable embedding whose pairwise
correlation decays like N^-1/2; it does not when the correlation decays like N^-1/8 or not at all.

Mutants (dependence that is not weak enough): ``fixed-dependence`` (rho = 0.8 at every N: a
shared random effect, error floor) and ``slow-decay`` (rho = N^-1/16: correlation N^-1/8, error
~ N^-1/8; prototype 64 replicates, N = 32..1024: fitted -0.15 (unit) and -0.22 (output)).
"""
import functools

import numpy as np

from claimcheck import Claim, Mutant, Rate
from claimcheck.models import agazzi2023 as m
from claimcheck.models import agazzi2023_dependent as dep
from claimcheck.models import agazzi2023_runs as runs

B = 0.9
M = 32
RHO_POWER = -0.25          # rho_N = N^-1/4: pairwise label correlation N^-1/2


def simulate(point, rng, rho_power=RHO_POWER, rho_fixed=None, cfg=m.Config()):
    N = int(point["N"])
    st = runs.streams(rng)
    X, _ = runs.data(M)
    rho = float(rho_fixed) if rho_fixed is not None else float(N) ** rho_power
    lab = dep.exchangeable_labels(np.random.default_rng(st.labels.bit_generator.seed_seq),
                                  np.random.default_rng(st.weights.bit_generator.seed_seq), N, rho)
    net = m.init_net(lab, "diverse", B)
    f, H = m.forward(net, X, cfg)
    # exact limit on the same labels: zero recurrent field, zero output
    h_inf = [np.tanh(X[:, s:s + 1] * lab[:, 3] + lab[:, 4]) for s in range(1, X.shape[1])]
    hid = np.sqrt(np.mean([np.mean((a - b) ** 2) for a, b in zip(H[2:], h_inf)]))
    return {"out_err": float(np.sqrt(np.mean(f * f))), "hid_err": float(hid), "rho": rho}


claim = Claim(
    id="agazzi2023.dependent-coupling",
    paper="Agazzi, Lu, Mukherjee, Global optimality of Elman-type RNNs in the mean-field regime (ICML 2023), "
          "Sec. 2.4 (neuronal embedding with a non-product sampling rule; weak dependence assumption)",
    title="With exchangeable labels of correlation N^-1/2 the t = 0 coupling error is still N^-1/2",
    statement=r"Labels $C_i=\sqrt{1-\rho_N^2}\,\xi_i+\rho_N Z$ (exchangeable, $\mathrm{corr}(C_i,C_j)=\rho_N^2$, "
              r"$\rho_N=N^{-1/4}$): $\big(\mathbb{E}_\theta\tfrac1N\sum_{i}|h^{N,i}_s-h^{\infty}_s(C_i)|^2\big)^{1/2}$ "
              r"and $\|\hat y_N-\hat y_\infty\|_{L^2(\theta)}$ are $\Theta(N^{-1/2})$ at $t=0$.",
    source="reconstructed",
    power="Catches a t = 0 coupling error off N^-1/2 by ~0.2 (a shared label component of fixed size: a "
          "floor; one decaying like N^-1/16: ~N^-0.15); tests the initial forward pass, not training.",
    # from N = 32: at N = 16 rho = 0.5 (label correlation 0.25) and the O(rho^2) expansion is not yet
    # accurate; pooled over 10 seeds x 128 replicates the local slopes from 16 were -0.41 (hid_err) and
    # -0.44 (out_err) on 16 -> 32, then -0.54, -0.44, -0.57, -0.49, -0.52 and -0.51, -0.45, -0.50,
    # -0.49, -0.57 (se ~0.035), and with N = 16 in the grid 3 of 10 calibration seeds were
    # inconclusive on the curvature rule (0 fails)
    grids={"quick": {"N": [32, 64, 128, 256, 512, 1024]},
           "full": {"N": [32, 64, 128, 256, 512, 1024, 2048, 4096]}},
    replicates={"quick": 128, "full": 128},
    rates=[
        Rate(metric="hid_err", axis="N", kind="tight", predicted=-0.5, tolerance=0.1,
             note="per-unit hidden-state error against the exact limit (zero field) on the same dependent labels"),
        Rate(metric="out_err", axis="N", kind="tight", predicted=-0.5, tolerance=0.1,
             note="the limit output at t=0 is exactly 0"),
    ],
    simulate=simulate,
    common_random_numbers=False,
    params={"B": B, "M": M, "init": "diverse", "L": runs.L_WINDOW, "rho": "N^-1/4"},
    mutants=[
        Mutant("fixed-dependence", functools.partial(simulate, rho_fixed=0.8),
               "a shared label component of fixed size (rho = 0.8): dependence that does not vanish"),
        # rho_N = N^-1/8 (correlation N^-1/4, error ~ N^-1/4) measured -0.25 ... -0.35 on this grid and was
        # caught in 9 of 10 calibration seeds only (p 0.017-0.038 in four): too close to the band's edge
        Mutant("slow-decay", functools.partial(simulate, rho_power=-0.0625),
               "rho_N = N^-1/16 (label correlation N^-1/8): error ~ N^-1/8"),
    ],
    artefacts=dep.coupling_figure,
)
