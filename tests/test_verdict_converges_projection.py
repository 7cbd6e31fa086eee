"""Planted laws for the converges rule's value test: a statistic above ``below`` at the largest
scale that is still decreasing is failed when the last change, continued as a series shrinking
like x^-0.2 (the limit rule's fail side, ``FAIL_PROJECTION_EXPONENT``), stops above ``below``;
a statistic converging to 0 at x^-0.2 or faster is never failed by it. Before, any significant
last decrease left the value test inconclusive, so more data meant fewer fails of a wrong limit
(R9's ODE with alpha doubled in lam2023.kernel-limit-sup was caught in 3 of 10 seeds)."""
import numpy as np
import pytest

from claimcheck.claim import Rate
from claimcheck.stats.planted import judge
from claimcheck.stats.verdict import FAIL, PASS

CONVERGES = Rate(metric="m", axis="N", kind="converges", below=0.02)
X2 = 64.0 * 2.0 ** np.arange(5)     # 64..1024, ratio 2
PROJECTED = "even continuing to shrink"


def _additive(mean, sd, reps, seed):
    return np.asarray(mean(X2))[:, None] + sd * np.random.default_rng(seed).standard_normal((len(X2), reps))


@pytest.mark.parametrize("reps,at_least", [(256, 0.7), (1024, 1.0)])
def test_wrong_limit_creeping_down_is_failed(reps, at_least):
    """0.05 + 0.2 N^-1/2 (0.056 at N = 1024) against below = 0.02: measured failed in 80 / 100 of
    100 seeds at 256 / 1024 replicates (72 / 100 through the projection); without it 8 / 0, the
    rest "still decreasing"."""
    out = [judge(CONVERGES, X2, _additive(lambda v: 0.05 + 0.2 * v ** -0.5, 0.01, reps, [7, reps, s]), False)
           for s in range(100)]
    assert sum(r.verdict == FAIL for r in out) >= at_least * 100
    assert not any(r.verdict == PASS for r in out)
    assert any(PROJECTED in r.reason and "converges to a wrong limit" in r.reason for r in out)


@pytest.mark.parametrize("a,b", [(0.5, 0.3), (0.3, 0.25), (0.2, 0.2)])
@pytest.mark.parametrize("reps", [16, 256, 1024])
def test_true_convergence_above_below_is_not_failed_by_the_projection(a, b, reps):
    """a N^-b -> 0 but above below = 0.02 at N = 1024 (0.0625, 0.053, 0.05): never failed by the
    projection in 50 seeds (100 measured: inconclusive 98-100%; the few fails at 16 replicates are
    the older branch, a last step too noisy to show the decrease)."""
    out = [judge(CONVERGES, X2, _additive(lambda v: a * v ** -b, 0.01, reps, [int(100 * b), reps, s]), False)
           for s in range(50)]
    assert not any(r.verdict == FAIL and PROJECTED in r.reason for r in out)


def test_slower_convergence_than_presumed_is_failed_and_the_reason_says_so():
    """0.3 N^-0.15 (0.106 at N = 1024): heading for 0 more slowly than the presumed x^-0.2, so the
    projection fails it (69 of 100 seeds at 1024 replicates, measured), and the reason names the
    presumed rate, as the limit rule's does."""
    out = [judge(CONVERGES, X2, _additive(lambda v: 0.3 * v ** -0.15, 0.01, 1024, [15, 1024, s]), False)
           for s in range(20)]
    fails = [r for r in out if r.verdict == FAIL]
    assert len(fails) >= 8
    assert all("N^-0.2" in r.reason for r in fails)
