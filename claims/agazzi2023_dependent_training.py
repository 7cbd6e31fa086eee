"""Coupling through training under a weakly dependent initialisation (Agazzi, Lu, Mukherjee
2023, Sec. 2.4 and the main convergence theorem; issue 22). ``agazzi2023.dependent-coupling``
checks t = 0; this claim follows the same exchangeable labels through gradient descent, to
T = 60 (the horizon of A2 ``agazzi2023.training-coupling``, loss ~0.04 R_0).

Labels: C_i = sqrt(1 - rho^2) xi_i + rho Z (``agazzi2023_dependent``: N(0, I_5) marginals,
pairwise correlation rho^2), rho = rho_N = N^-1/4, one shared Z per net. The mean-field limit
on the same labels is the i.i.d. embedding's (only the sampling rule changes).

The limit, by A2's successive widths: each width-N net is compared with a width-2N net whose
first N labels are its own and whose other N labels are fresh i.i.d. draws (rho = 0); errors
x sqrt(2) (A2's nested factor). Why this reference sees the dependence: conditionally on Z the
N-net's empirical label law is shifted by O(rho), which moves the mean field by O(rho^2)
(the t = 0 argument of dependent-coupling); the 2N net carries half of that shift, so the
difference keeps an O(rho^2) part besides the N^-1/2 fluctuation: error ~ c_1 N^-1/2 +
c_2 rho_N^2 = O(N^-1/2) for the claim's rho, a floor for a fixed rho, N^-1/8 for rho_N =
N^-1/16. (A 2N net drawn with the same Z would cancel the shift and could not fail.)
BLOCKS = 4 pairs on disjoint label blocks per width and replicate, errors averaged, as in A2;
unlike A2 the nets are not shared between widths (rho depends on N).

Metrics (sups over the steps, parameters at 5 equispaced steps, as in A2):
  out_err   = sup_k ||y_hat_N(k) - y_hat_2N(k)||_{L2(theta)} x sqrt(2)
  param_err = sup_k RMS over units i <= N of the (A, U, b, W) differences x sqrt(2)
Pilot (16 replicates, seed [5, r], T = 60, N = 16..256), out_err / param_err pooled exponents:
i.i.d. labels (rho = 0) -0.512 / -0.405; rho_N = N^-1/4 -0.518 / -0.396 (about 20% above the
i.i.d. errors at each N: 0.045 against 0.037 at N = 256); rho = 0.8 -0.062 / -0.084 (a floor
at 0.27); rho_N = N^-1/16 -0.210 / -0.153. At T = 15 (8 replicates, N = 16..128): -0.44 / -0.45
i.i.d., -0.48 / -0.47 with rho_N = N^-1/4. The parameter error's ~N^-0.4 at T = 60 is A2's
(the i.i.d. labels show it too), within the stated sqrt(log N), which the parameter rate allows
as A2's does; the output rate has no log allowance.

Why the parameter error is stored and not judged: a first design judged it as A2 does (upper
-0.5 +- 0.1 up to sqrt(log N)) on N = 16..128 with 48 replicates. Over 10 calibration seeds it
measured -0.399 (sd 0.012), on the band's edge, and 7 seeds were inconclusive (the pass must also
reject -0.3 at 0.01 under the log allowance; ~200-400 replicates asked). That exponent is A2's own
at T = 60 (i.i.d. labels: -0.405 in the pilot, -0.43 at A2's full profile), not an effect of the
dependence, so it cannot tell a weak dependence from a strong one; the output error can (-0.519,
sd 0.018 over the same seeds; the two mutants caught 10/10 there). N = 16 left 2 of those seeds
inconclusive on the output too (curvature, misfit): the grid now starts at 32.

Calibration of this design (quick, N = 32..128, 40 replicates, 10 seeds): 10 pass, output-error
exponent -0.528 (sd 0.027), median CI half-width 0.072, detectable deviation 0.244 (an exponent
above about -0.16 is failed with 80% probability); both mutants caught 10/10; 1371 s for the
30 runs (under load; recalibrated after the figure hook moved the version: identical figures,
1108 s). Full (N = 32..512, 48 replicates, seed 0): PASS -0.503 [-0.534, -0.471],
481 s of stored compute (493 CPU s, 0.47 GB).

Mutants (dependence that is not weak enough, as at t = 0): ``fixed-dependence`` (rho = 0.8)
and ``slow-decay`` (rho_N = N^-1/16).
"""
import functools

import numpy as np

from claimcheck import Claim, Mutant, Rate
from claimcheck.models import agazzi2023 as m
from claimcheck.models import agazzi2023_runs as runs

B = 0.9
M = 16             # phases of the population grid, as A2
EPS = 0.5
T = 60.0
BLOCKS = 4         # disjoint label blocks compared per width and replicate
RHO_POWER = -0.25  # rho_N = N^-1/4: pairwise label correlation N^-1/2


def _snap_steps(K):
    return np.linspace(0, K, 5).astype(int)


def simulate(point, rng, rho_power=RHO_POWER, rho_fixed=None, cfg=m.Config()):
    n = int(point["N"])
    rho = float(rho_fixed) if rho_fixed is not None else float(n) ** rho_power
    st = runs.streams(rng)
    X, y = runs.data(M)
    K = int(round(T / EPS))
    lab = runs.labels_for(st, 2 * n * BLOCKS)                  # nested across N (same rows)
    fresh = runs.labels_for(st, 2 * n * BLOCKS, shared=False)  # the reference's i.i.d. half
    Z = np.random.default_rng(st.weights.bit_generator.seed_seq).standard_normal((BLOCKS, m.N_LABELS))

    def train(labels):
        return m.train(m.init_net(labels, "diverse", B), X, y, EPS, K, cfg, record=_snap_steps(K),
                       snapshot=lambda q: q.copy())

    errs = []
    for j in range(BLOCKS):
        own = np.sqrt(1.0 - rho * rho) * lab[2 * n * j:2 * n * j + n] + rho * Z[j]
        small = train(own)
        big = train(np.concatenate([own, fresh[2 * n * j + n:2 * n * (j + 1)]]))
        par = max(m.param_rms(p, q.first(n)) for p, q in zip(small.params, big.params))
        errs.append((np.sqrt(np.mean((small.outputs - big.outputs) ** 2, axis=1)).max(), par,
                     small.loss[-1]))
    e = np.mean(errs, axis=0)
    c = m.nested_correction(n, 2 * n)
    return {"out_err": float(e[0] * c), "param_err": float(e[1] * c), "rho": rho,
            "rel_loss_T": float(e[2] / runs.zero_risk(y))}


def figure(ctx):
    """Output and parameter errors against N, with the mutants' output errors (if run)."""
    runs.loglog_figure(
        ctx, [("output error", "", "out_err"), ("parameter error (not judged)", "", "param_err"),
              ("mutant fixed-dependence", "fixed-dependence", "out_err"),
              ("mutant slow-decay", "slow-decay", "out_err")],
        "N", -0.5, "dependent_training", "width N", "error vs 2N net (x sqrt 2)",
        "coupling through GD to T = 60, exchangeable labels (mean +- 2 se)")


claim = Claim(
    id="agazzi2023.dependent-training",
    paper="Agazzi, Lu, Mukherjee, Global optimality of Elman-type RNNs in the mean-field regime (ICML 2023), "
          "Sec. 2.4 (non-product sampling rule, weak dependence) with the main convergence theorem",
    title="With exchangeable labels of correlation N^-1/2 the output coupling holds through GD to T = 60",
    statement=r"Labels $C_i=\sqrt{1-\rho_N^2}\,\xi_i+\rho_N Z$ ($\rho_N=N^{-1/4}$): "
              r"$\sup_{k\le T/\varepsilon}\|\hat y_N(k)-\hat y_\infty(k\varepsilon)\| \le C_T N^{-1/2}$, "
              r"$T = 60$ (the parameter error is measured, not judged).",
    source="reconstructed",
    power="Catches a shared label component that does not vanish fast enough through training (rho = 0.8: "
          "output error flat at ~0.27; rho_N = N^-1/16: ~N^-0.2), through the output; the parameter error is "
          "measured, not judged; the limit is the 2N net with half fresh i.i.d. labels (A2's reference), so "
          "the exponent is tested, its constant rests on A2's factor sqrt(2).",
    # from N = 32: at N = 16 rho = 0.5 and the output error bends (local slope -0.42 into 32, -0.50 after);
    # with N = 16 in the grid 2 of 10 calibration seeds were inconclusive on curvature or misfit
    grids={"quick": {"N": [32, 48, 64, 96, 128]},
           "full": {"N": [32, 64, 128, 256, 512]}},
    replicates={"quick": 40, "full": 48},
    rates=[
        Rate(metric="out_err", axis="N", kind="upper", predicted=-0.5, tolerance=0.1,
             note="N-net vs the 2N net (its own labels + N fresh i.i.d.), x sqrt(2); no log allowance; "
                  "param_err is stored, not judged (A2's ~N^-0.40 at T = 60 sits on the band's edge)"),
    ],
    simulate=simulate,
    common_random_numbers=True,
    params={"B": B, "M": M, "eps": EPS, "T": T, "blocks": BLOCKS, "init": "diverse", "target": "prod02",
            "L": runs.L_WINDOW, "rho": "N^-1/4", "reference": "2N net, own labels + N fresh i.i.d., x sqrt(2)"},
    mutants=[
        Mutant("fixed-dependence", functools.partial(simulate, rho_fixed=0.8),
               "a shared label component of fixed size (rho = 0.8): dependence that does not vanish"),
        Mutant("slow-decay", functools.partial(simulate, rho_power=-0.0625),
               "rho_N = N^-1/16 (label correlation N^-1/8)"),
    ],
    artefacts=figure,
)
