"""A2 (Agazzi, Lu, Mukherjee 2023, main convergence theorem): during gradient descent
the width-N RNN stays within C_T N^-1/2 (up to sqrt(log N)) of its mean-field limit.

Every net starts from the diverse initialisation on nested labels and runs full-batch GD
with the mean-field rates (eps*N for A, U, b; eps*N^2 for W) for K = T/eps steps, to
T = 60, where the loss has fallen to ~0.04 R_0 (``rel_loss_T`` is stored): the coupling
is tested through training, not only near initialisation (T = 10 left the loss at
0.90 R_0).

The limit, by successive widths (the reference is the 2N net, not a 16x one). Each
width-N net is compared with the width-2N net whose labels contain its own (units
0..N-1 of the 2N net), and the error is multiplied by m.nested_correction(N, 2N) =
sqrt(2): for nested sample means Var(f_N - f_2N) = s^2 (1/N - 1/(2N)) exactly. The
exponent does not depend on that constant: if |theta_N - theta_inf| ~ c N^-a with a
self-similar fluctuation, |theta_N - theta_2N| ~ c' N^-a with the same a. So the check
of the rate needs nets up to 2 max(N), not 16 max(N): at the full profile 2048 instead
of 32768 units, 32 MB instead of 8.6 GB per recurrent matrix. (The constant is checked
against a 16x reference in tests/test_agazzi2023_model.py.)

Each replicate compares BLOCKS = 4 such pairs per width, on disjoint label blocks
[2Nj, 2Nj + 2N) (the 2N net of block j at width N is the N net of block j/2 at width 2N:
nets are trained once per replicate and shared), and averages their errors.

Metrics, each a sup over the steps k <= K (parameters: over 5 equispaced steps):
  out_err   = ||y_hat_N(k) - y_hat_2N(k)||_{L2(theta)} x sqrt(2)
  loss_err  = |R_N(k) - R_2N(k)| x sqrt(2)
  param_err = RMS over units i <= N of (A, U, b) differences plus RMS of W[:N, :N], x sqrt(2)

Measured at the full profile (N = 64..1024 vs 2N nets up to 2048, T = 60, loss 0.037 R_0,
16 replicates; 7 min 55 s wall with 2 workers, 1.26 GB peak RSS): out_err -0.502
[-0.543, -0.461], loss_err -0.523 [-0.578, -0.468], param_err -0.427 [-0.450, -0.404]
(local slopes -0.50, -0.30, -0.52, -0.39). The parameter error decays like N^-0.43 over a
16x range of widths, not N^-0.5: within the stated "up to sqrt(log N)" (whose local
exponent is -0.5 + 1/(2 ln N), -0.42 at N = 256), which the rates allow (``log_power``);
without that allowance it sits at the edge of the band <= -0.4. The T = 60 slope near
-0.3 seen earlier at N = 8..64 against a 16x reference was that of the smallest widths
(-0.42 here at N = 8..64 against 2N nets, 16 replicates).

Earlier design, for the record: a 16x reference (N_ref = 32768 at the full profile) was
8.6 GB and 3.3 min per replicate at T = 10; at T = 60 it would take ~20 min per
replicate. A T = 60 run against a 16x reference at N = 8..64 gave a parameter-error
slope near -0.3.
"""
import functools

import numpy as np

from claimcheck import Claim, Mutant, Rate
from claimcheck.models import agazzi2023 as m
from claimcheck.models import agazzi2023_figures as figures
from claimcheck.models import agazzi2023_runs as runs

B = 0.9
M = 16            # phases of the population grid (the coupling holds for any input law)
EPS = 0.5
# the horizon T (mean-field time, K = T/EPS steps) is a grid axis with one value per profile
BLOCKS = 4        # disjoint label blocks compared per width and replicate

_N_QUICK = [8, 16, 32, 64]
_N_FULL = [64, 128, 256, 512, 1024]
WIDTHS = {ns[-1]: ns for ns in (_N_QUICK, _N_FULL)}   # Nmax (a grid axis) -> the widths of the chain


def _snap_steps(K):
    """Steps where parameter errors are taken (5 equispaced, including 0 and K)."""
    return np.linspace(0, K, 5).astype(int)


def _replicate(st, widths, K, cfg, shared):
    """Errors of every width of the chain against the 2N net on the same labels."""
    X, y = runs.data(M)
    n_labels = 2 * max(widths) * BLOCKS
    lab = runs.labels_for(st, n_labels)
    lab_fresh = lab if shared else runs.labels_for(st, n_labels, shared=False)
    nets = {}

    def net(start, size, fresh=False):       # trained once per (labels, block) in this replicate
        key = (start, size, fresh)
        if key not in nets:
            labels = (lab_fresh if fresh else lab)[start:start + size]
            nets[key] = m.train(m.init_net(labels, "diverse", B), X, y, EPS, K, cfg, record=_snap_steps(K),
                                snapshot=lambda n: n.copy())
        return nets[key]

    R0 = runs.zero_risk(y)
    res = {}
    for n in widths:
        errs = []
        for j in range(BLOCKS):
            small, big = net(2 * n * j, n, fresh=not shared), net(2 * n * j, 2 * n)
            par = max(m.param_rms(p, q.first(n)) for p, q in zip(small.params, big.params))
            errs.append((np.sqrt(np.mean((small.outputs - big.outputs) ** 2, axis=1)).max(),
                         np.abs(small.loss - big.loss).max(), par, small.loss[-1]))
        e = np.mean(errs, axis=0)
        c = m.nested_correction(n, 2 * n)
        res[n] = {"out_err": float(e[0] * c), "loss_err": float(e[1] * c), "param_err": float(e[2] * c),
                  "out_err_raw": float(e[0]), "param_err_raw": float(e[2]),
                  "out_err_block0": float(errs[0][0] * c), "rel_loss_T": float(e[3] / R0)}
    return res


def reference(point, rngs, cfg=m.Config(), shared=True):
    """A replicate's errors at every width of the chain (the nets of one width are the
    references of the next, so they are trained once per replicate, for all grid points)."""
    widths, K = tuple(WIDTHS[int(point["Nmax"])]), int(round(point["T"] / EPS))
    return [_replicate(runs.streams(g), widths, K, cfg, shared) for g in rngs]


def simulate(point, rng, ref):
    return dict(ref[int(point["N"])])


claim = Claim(
    id="agazzi2023.training-coupling",
    paper="Agazzi, Lu, Mukherjee, Global optimality of Elman-type RNNs in the mean-field regime (ICML 2023), "
          "main convergence theorem (finite width -> mean-field limit)",
    title="Under GD the width-N RNN tracks its mean-field limit within C_T N^-1/2",
    statement=r"$\sup_{k\le T/\varepsilon}\big(\|\hat y_N(k)-\hat y_\infty(k\varepsilon)\|+|R_N(k)-R_\infty(k\varepsilon)|"
              r"+\mathrm{RMS}_i\|\theta^i_N(k)-\theta(k\varepsilon,C_i)\|\big)\le C_T\,N^{-1/2}$ (up to $\sqrt{\log N}$).",
    source="reconstructed",
    power="Catches a coupling error during GD to T = 60 (loss 0.04 R_0) that decays slower than N^-0.4 up to "
          "sqrt(log N) (e.g. unnested labels); the N-vs-2N reference tests the exponent, its constant rests on the "
          "nested-mean factor sqrt(2), checked against a 16x reference at N = 8, T = 10 only.",
    grids={"quick": {"N": _N_QUICK, "Nmax": [_N_QUICK[-1]], "T": [60.0]},
           "full": {"N": _N_FULL, "Nmax": [_N_FULL[-1]], "T": [60.0]}},
    replicates={"quick": 16, "full": 16},
    rates=[
        Rate(metric="out_err", axis="N", kind="upper", predicted=-0.5, tolerance=0.1, log_power=(0.0, 0.5),
             note="C_T N^-1/2 up to sqrt(log N), as stated"),
        Rate(metric="loss_err", axis="N", kind="upper", predicted=-0.5, tolerance=0.1, log_power=(0.0, 0.5),
             note="C_T N^-1/2 up to sqrt(log N), as stated"),
        Rate(metric="param_err", axis="N", kind="upper", predicted=-0.5, tolerance=0.1, log_power=(0.0, 0.5),
             note="C_T N^-1/2 up to sqrt(log N), as stated; measured N^-0.43 (full), the local exponent of "
                  "N^-1/2 sqrt(log N) is -0.5 + 1/(2 ln N) = -0.41 at N = 256"),
    ],
    simulate=simulate,
    reference=reference,
    common_random_numbers=True,
    params={"B": B, "M": M, "eps": EPS, "blocks": BLOCKS, "init": "diverse", "target": "prod02", "L": runs.L_WINDOW,
            "reference": "2N net on the same labels, x sqrt(2)"},
    # the 1/sqrt(N) recurrent-scaling bug is caught by A1 and A5 at a fraction of the cost
    # (here it would need its own reference run); this claim's own bug is the coupling itself
    mutants=[
        # the width-N net draws its own labels, not the first N of the reference's
        Mutant("unnested-labels", simulate, "width-N labels not the first N of the reference's",
               expect_fail=("param_err~N",), reference=functools.partial(reference, shared=False)),
    ],
    artefacts=figures.training_coupling,
)
