"""A3 (Agazzi, Lu, Mukherjee 2023): gradient descent with step eps is within O(eps) of
the gradient flow (mean-field time t = k eps), at a fixed large width N.

The network (diverse initialisation, N = 256 units, mean-field rates) is trained by
full-batch GD to the horizon T with step eps = 1/inv_eps and compared at the common times
t = 1, ..., T with the same network (same labels) trained at the smallest step
eps_ref = 1/ref_inv_eps. For a first-order scheme err(eps) ~ C (eps - eps_ref), so each
error is divided by (1 - eps_ref/eps) (<= 14% at the largest grid step) and the fit is
against inv_eps: err <= C inv_eps^-1.
"""
import numpy as np

from claimcheck import Claim, Mutant, Rate
from claimcheck.models import agazzi2023 as m
from claimcheck.models import agazzi2023_runs as runs

B = 0.9
M = 16


def _run(st, N, inv, T, cfg):
    """Outputs and final parameters at the integer times 1..T with step 1/inv."""
    X, y = runs.data(M)
    K = int(round(T * inv))
    times = (np.arange(1, int(T) + 1) * inv).round().astype(int)
    batches = np.random.default_rng(st.batches.bit_generator.seed_seq)
    tr = m.train(m.init_net(runs.labels_for(st, N), "diverse", B), X, y, 1.0 / inv, K, cfg,
                 record=times, snapshot=lambda n: n.copy(), rng=batches)
    return tr.outputs[times], tr.params


def _errors(point, rng, cfg=m.Config()):
    N, inv, inv_ref, T = int(point["N"]), float(point["inv_eps"]), float(point["ref_inv_eps"]), float(point["T"])
    st = runs.streams(rng)
    f_ref, p_ref = m.memo(("a3-ref", st.key, N, inv_ref, T, cfg), lambda: _run(st, N, inv_ref, T, cfg))
    f, p = _run(st, N, inv, T, cfg)
    corr = 1.0 / (1.0 - inv / inv_ref)
    out = np.sqrt(np.mean((f - f_ref) ** 2, axis=1)).max()
    par = max(m.param_rms(a, b) for a, b in zip(p, p_ref))
    return {"out_err": float(out * corr), "param_err": float(par * corr), "out_err_raw": float(out)}


def simulate(point, rng):
    return _errors(point, rng)


def simulate_sgd(point, rng):
    # Bug: minibatches of 4 of the 16 phases per step (SGD) where full-batch GD is claimed:
    # the gradient noise makes the path error ~ eps^1/2, not eps.
    return _errors(point, rng, cfg=m.Config(batch=4))


def simulate_w_fixed(point, rng):
    # Bug: W's learning rate hard-coded (0.5 N^2) instead of eps N^2: W no longer follows
    # mean-field time, and the paths for different eps do not converge.
    return _errors(point, rng, cfg=m.Config(lr="w_fixed"))


def artefacts(ctx):
    runs.loglog_figure(
        ctx, [("output", "", "out_err"), ("parameters", "", "param_err"), ("output, mutant sgd", "sgd", "out_err"),
              ("output, mutant w-rate-fixed", "w-rate-fixed", "out_err")],
        "inv_eps", -1.0, "error_vs_eps", "1/eps", "max over t of error vs smallest eps",
        "A3: GD vs gradient flow (error ~ eps)")


claim = Claim(
    id="agazzi2023.time-discretisation",
    paper="Agazzi, Lu, Mukherjee, Global optimality of Elman-type RNNs in the mean-field regime (ICML 2023), "
          "GD with step eps vs the continuous-time mean-field dynamics",
    title="Gradient descent with step eps is O(eps) from the gradient flow at fixed width",
    statement=r"$\max_{t\le T}\|\hat y^{\varepsilon}_N(t)-\hat y^{0}_N(t)\| + \mathrm{RMS}\|\theta^\varepsilon(t)-\theta^0(t)\|"
              r"\le C_T\,\varepsilon$ for full-batch GD, $t=k\varepsilon$.",
    source="reconstructed",
    calibration={'profile': 'quick',
                 'seeds': 20,
                 'replicates': 8,
                 'false_fail_rate': 0.0,
                 'false_fail_rate_upper95': 0.1192,
                 'inconclusive_rate': 0.1,
                 'exponent_sd': {'out_err~inv_eps': 0.0023, 'param_err~inv_eps': 0.0042},
                 'detectable_deviation': {'out_err~inv_eps': 0.2656, 'param_err~inv_eps': 0.2515},
                 'mutant_catch_rate': {'sgd': 1.0, 'w-rate-fixed': 1.0},
                 'measured': '2026-11-22'},
    grids={"quick": {"inv_eps": [4, 8, 16, 32], "ref_inv_eps": [256], "N": [256], "T": [4.0]},
           "full": {"inv_eps": [4, 8, 16, 32, 64], "ref_inv_eps": [512], "N": [512], "T": [4.0]}},
    replicates={"quick": 8, "full": 16},
    rates=[
        Rate(metric="out_err", axis="inv_eps", kind="upper", predicted=-1.0, tolerance=0.1,
             note="corrected by 1/(1 - eps_ref/eps)"),
        Rate(metric="param_err", axis="inv_eps", kind="upper", predicted=-1.0, tolerance=0.1),
    ],
    simulate=simulate,
    common_random_numbers=True,
    batch_size=8,
    params={"B": B, "M": M, "init": "diverse", "target": "prod02", "L": runs.L_WINDOW},
    mutants=[
        Mutant("sgd", simulate_sgd, "minibatch SGD (4 of 16 phases) instead of full-batch GD"),
        Mutant("w-rate-fixed", simulate_w_fixed, "W learning rate not proportional to eps"),
    ],
    artefacts=artefacts,
)
