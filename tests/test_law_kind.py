"""The ``law`` kind (issue 23, item 4): a central limit theorem checked as a statement about a
law. Its statistic is exact (against POT and known distances), its bounds hold where they are
claimed to (planted laws), and it runs through the whole path: verdict, texts, plot."""
from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import special

from claimcheck import ratekinds
from claimcheck.claim import ClaimDefinitionError, Rate
from claimcheck.report import plots
from claimcheck.report.data import rate_points
from claimcheck.stats import law, ratetext
from claimcheck.stats.planted_law import cell, judge_sweep
from claimcheck.stats.results import Measurement, RateResult
from claimcheck.stats.verdict import FAIL, INCONCLUSIVE, PASS


def _gauss_quantiles(q: int = 400_000) -> np.ndarray:
    return special.ndtri((np.arange(q) + 0.5) / q)


@pytest.mark.parametrize("shift, scale, n", [(0.0, 1.0, 7), (0.3, 1.0, 300), (-0.1, 1.7, 1000), (0.0, 0.2, 50)])
def test_w1_is_exact_against_pot(shift, scale, n):
    ot = pytest.importorskip("ot")
    z = shift + scale * np.random.default_rng(n).standard_normal(n)
    assert law.w1_to_standard_normal(z) == pytest.approx(ot.wasserstein_1d(z, _gauss_quantiles()), abs=2e-5)


def test_w1_agrees_with_the_projects_quantile_integral():
    """metrics.w1_to_quantile integrates each piece by 4-point Gauss-Legendre, which loses accuracy
    on the two tail pieces where Phi^-1 is singular (measured against POT on 2e6 quantiles: 1e-3 at
    n = 5, 2.7e-5 at 400, 7e-7 at 3000, while the closed form agrees with POT to 1e-7): the two agree
    to that quadrature error."""
    from claimcheck.metrics import w1_to_quantile

    for n, err in ((400, 1e-4), (3000, 5e-6)):
        z = 0.2 + 1.3 * np.random.default_rng(n).standard_normal(n)
        assert law.w1_to_standard_normal(z) == pytest.approx(w1_to_quantile(z, special.ndtri, cdf=special.ndtr),
                                                            abs=err)


def test_w1_of_a_shifted_gaussian_is_the_shift():
    z = 0.25 + _gauss_quantiles(20_000)        # the law N(0.25, 1), as its quantiles
    assert law.w1_to_standard_normal(z) == pytest.approx(0.25, abs=1e-3)


def test_the_bias_bound_bounds_the_bias_at_the_truth():
    """E W1(F_R, Phi) at the truth (measured: 1.29 / sqrt(R)) lies below the plug-in bound
    R^-1/2 int sqrt(F_R (1 - F_R)) (about 1.5 / sqrt(R)) for every R the claims use."""
    rng = np.random.default_rng(0)
    for R in (64, 512, 4096):
        draws = [rng.standard_normal(R) for _ in range(200)]
        mean_w1 = np.mean([law.w1_to_standard_normal(z) for z in draws])
        mean_bound = np.mean([law.sampling_bias_bound(z) for z in draws])
        assert 1.1 < mean_w1 * np.sqrt(R) < 1.4 and mean_bound > 1.1 * mean_w1, (R, mean_w1, mean_bound)


def test_estimate_is_a_function_of_the_data():
    z = np.random.default_rng(3).standard_normal(500)
    a, b = law.estimate(z), law.estimate(z.copy())
    assert a == b and a.se > 0 and a.lower(0.025) <= a.value <= a.upper(0.025)


def test_a_law_rate_is_validated():
    Rate(metric="z", axis="N", kind="law", tolerance=0.1)
    for bad in ({"target": 1.0}, {"statistic": "rms"}, {"tolerance": 0.0}):
        with pytest.raises(ClaimDefinitionError):
            Rate(metric="z", axis="N", kind="law", **{"tolerance": 0.1, **bad})


@pytest.mark.parametrize("family, verdicts", [("clt", {PASS, INCONCLUSIVE}), ("wrong-order", {FAIL}),
                                             ("laplace", {FAIL, INCONCLUSIVE})])
def test_planted_laws_get_the_verdicts_they_may(family, verdicts):
    got = {judge_sweep(family, 2048, [5, s]).verdict for s in range(6)}
    assert got <= verdicts, got


@pytest.mark.slow   # 40 planted sweeps, half at 8192 replicates
def test_a_true_clt_is_passed_and_a_wrong_order_failed_over_seeds():
    """Tolerance 0.1 (the full tables: benchmarks/README.md): 8192 replicates decide a true CLT
    (measured: 40/40 pass; at 2048, 36/40 pass and 4 inconclusive)."""
    true = cell("clt", 8192, 20)
    assert true["fail"] == 0 and true["pass"] >= 0.95, true
    assert cell("wrong-order", 512, 20)["fail"] == 1.0


@pytest.mark.slow
@pytest.mark.parametrize("family", ["clt", "clt-gauss"])
def test_a_true_law_fails_at_most_two_percent(family):
    for R in (512, 2048):
        res = cell(family, R, 200)
        assert res["fail"] <= 0.02, res


@pytest.mark.slow
def test_a_law_at_the_band_edge_passes_at_most_five_percent():
    for R in (512, 2048):
        res = cell("edge", R, 200)
        assert res["pass"] <= 0.05, res


def test_the_approach_must_be_observed():
    """A law already within the band at the smallest scale is not a pass: the limit is presumed."""
    res = judge_sweep("clt-gauss", 2048, [7, 0], x=np.array([256.0, 1024.0, 4096.0]))
    assert res.verdict == INCONCLUSIVE and "presumed" in res.reason, res.reason


def test_texts_and_plot_of_a_law_rate():
    res = judge_sweep("clt", 2048, [5, 0])
    assert res.verdict == PASS, res.reason
    assert res.reason.startswith("W1(law of z, N(0,1)) at N=256 is") and "W1 <= 0.1" in res.reason
    out = res.result()
    assert out.spec is ratekinds.KINDS["law"]
    assert RateResult.from_json(json.loads(json.dumps(out.to_json()))) == out
    assert ratetext.claimed_text(out) == "→ N(0,1), W1 ≤ 0.1"
    assert out.describe == "law of z -> N(0, 1) as N grows (law, W1 <= 0.1 at the largest N)"
    rng = np.random.default_rng([5, 0])
    from claimcheck.stats.planted_law import GRID, sample
    ms = [Measurement(json.dumps({"N": float(N)}), r, "ok", {"z": float(v)})
          for N in GRID for r, v in enumerate(sample("clt", N, 2048, rng))]
    pts = rate_points(ms, out)
    assert [p.stat for p in pts] == pytest.approx(out.limit["values"])   # the plot draws the judged distances
    svg = plots.rate_plot(pts, out, "law")
    assert svg.startswith("<svg") and "no fit" not in svg
    assert "allowed: W1 ≤ 0.1" in svg and "mean(z)" not in svg and "replicates (" not in svg
    assert ratetext.band_text(out).startswith("W1 ≤") and "W1 distance of the law of z" in out.spec.point_caption(out, "95%")
