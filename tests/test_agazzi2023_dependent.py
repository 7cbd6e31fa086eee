"""Weakly dependent (exchangeable) labels for the Agazzi coupling (claimcheck/models/agazzi2023_dependent.py)
and the claim `agazzi2023.dependent-coupling` (fast: ~2 s)."""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from claimcheck.models import agazzi2023 as m  # noqa: E402
from claimcheck.models import agazzi2023_dependent as dep  # noqa: E402


def test_rho_zero_is_the_iid_embedding():
    a = dep.exchangeable_labels(np.random.default_rng(1), np.random.default_rng(2), 50, 0.0)
    np.testing.assert_array_equal(a, m.draw_labels(np.random.default_rng(1), 50))


def test_marginals_and_correlation():
    """Marginals N(0, 1) per coordinate; pairwise correlation rho^2 (over many draws of the shared Z)."""
    rho, R = 0.6, 4000
    lab = np.stack([dep.exchangeable_labels(np.random.default_rng([1, r]), np.random.default_rng([2, r]), 2, rho)
                    for r in range(R)])                                  # (R, 2, 5)
    assert abs(lab.mean()) < 0.05 and abs(lab.var() - 1.0) < 0.05
    corr = np.mean([np.corrcoef(lab[:, 0, k], lab[:, 1, k])[0, 1] for k in range(m.N_LABELS)])
    assert abs(corr - rho ** 2) < 0.05


def test_rho_out_of_range_is_refused():
    with pytest.raises(ValueError):
        dep.exchangeable_labels(np.random.default_rng(1), np.random.default_rng(2), 4, 1.0)


def test_claim_simulate_errors_shrink_and_fixed_dependence_does_not():
    sys.path.insert(0, str(Path(__file__).parents[1] / "claims"))
    import agazzi2023_dependent_coupling as c

    def mean_err(N, **kw):
        return np.mean([c.simulate({"N": N}, np.random.default_rng([N, r]), **kw)["hid_err"] for r in range(24)])

    assert mean_err(512) < mean_err(32) / 2.5            # ~ (512/32)^-1/2 = 1/4
    assert mean_err(512, rho_fixed=0.8) > mean_err(32, rho_fixed=0.8) / 2
    a = c.simulate({"N": 64}, np.random.default_rng(3))
    assert a == c.simulate({"N": 64}, np.random.default_rng(3)) and a["rho"] == pytest.approx(64 ** -0.25)
