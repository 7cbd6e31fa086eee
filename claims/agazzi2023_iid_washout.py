"""A5 (Agazzi, Lu, Mukherjee 2023, Example 2.3): with i.i.d. recurrent weights the random
part of the recurrent matrix washes out; (1/N) sum_j W^{ij} h^j -> E[W] E[h].

i.i.d. W^{ij} ~ N(mu_W, 1) with mu_W = 0.5 (a non-zero mean, so the limit field
mu_W E[h] is not trivially zero), A, U, b ~ N(0, 1), window L = 3, t = 0. The metric is the
across-neuron spread of the recurrent field at steps s = 2..L: RMS over phases, steps and
units of  (1/N) sum_j W^{ij} h_{s-1}^j - mean_i(same),  which the law of large numbers
puts at sd(W) (E h^2)^{1/2} N^-1/2. Inputs: the golden rotation and the Sturmian sequence
(both uniquely ergodic), fitted jointly with a fixed effect per input.

Note: because E[h] = 0 here (U, b symmetric), structured but input-independent bugs such
as a row-constant W^{ij} = w_i also wash out (w_i mean_j h^j = O(N^-1/2)); the mutants
are the scaling bugs that do not.
"""
import functools

import numpy as np

from claimcheck import Claim, Mutant, Rate
from claimcheck.models import agazzi2023 as m
from claimcheck.models import agazzi2023_figures as figures
from claimcheck.models import agazzi2023_runs as runs

M = 32
W_MEAN = 0.5


def simulate(point, rng, cfg=m.Config(), wide_variance=False):
    N = int(point["N"])
    st = runs.streams(rng)
    X, _ = runs.data(M, input_name=point["input"])
    net = m.init_net(runs.labels_for(st, N), "iid", w_rng=st.weights, w_mean=W_MEAN)
    if wide_variance:   # variance N for W^{ij} around its mean
        net.W = W_MEAN + float(np.sqrt(N)) * (net.W - W_MEAN)
    _, H = m.forward(net, X, cfg)
    fields = m.recurrent_fields(net, H, cfg)
    dev = [F - F.mean(axis=1, keepdims=True) for F in fields]
    spread = np.sqrt(np.mean([np.mean(d * d) for d in dev]))
    mean_gap = np.sqrt(np.mean([np.mean((F.mean(axis=1) - W_MEAN * h.mean(axis=1)) ** 2)
                                for F, h in zip(fields, H[1:-1])]))
    return {"spread": float(spread), "mean_field_gap": float(mean_gap)}


claim = Claim(
    id="agazzi2023.iid-washout",
    paper="Agazzi, Lu, Mukherjee, Global optimality of Elman-type RNNs in the mean-field regime (ICML 2023), "
          "Example 2.3 (i.i.d. initialisation)",
    title="With i.i.d. recurrent weights the recurrent field concentrates at its mean like N^-1/2",
    statement=r"$\big(\mathbb{E}_\theta\frac1N\sum_i|\frac1N\sum_j W^{ij}h^j_{s-1}-\overline{(\cdot)}|^2\big)^{1/2}"
              r"=\Theta(N^{-1/2})$ for i.i.d. $W^{ij}$: the recurrent matrix acts as its mean $E[W]$.",
    source="reconstructed",
    power="Catches a recurrent-field spread off N^-1/2 by ~0.11 (1/sqrt(N) recurrent scaling, variance-N "
          "weights); says nothing about trained weights.",
    grids={"quick": {"N": [32, 128, 512, 2048], "input": ["rotation", "sturmian"]},
           "full": {"N": [32, 128, 512, 2048, 4096], "input": ["rotation", "sturmian"]}},
    replicates={"quick": 8, "full": 32},
    rates=[Rate(metric="spread", axis="N", kind="tight", predicted=-0.5, tolerance=0.1)],
    simulate=simulate,
    common_random_numbers=False,
    params={"M": M, "W_mean": W_MEAN, "init": "iid", "L": runs.L_WINDOW},
    mutants=[
        # the random part of the recurrent sum no longer averages out
        Mutant("rec-sqrt", functools.partial(simulate, cfg=m.Config(rec="sqrt")),
               "recurrent sum scaled 1/sqrt(N) instead of 1/N"),
        # NTK-style initial variance kept with the mean-field 1/N sum: the field's random
        # part is O(1) and does not wash out
        Mutant("wide-variance", functools.partial(simulate, wide_variance=True),
               "W^{ij} drawn with variance N (NTK init) under the 1/N sum"),
    ],
    artefacts=figures.iid_washout,
)
