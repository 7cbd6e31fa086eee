"""Binomial bounds come from statsmodels (issue 25, item 5) and agree with published values."""
import pytest

from claimcheck.commands.calibrate import wilson_upper
from claimcheck.stats.pointci import PointEstimate


def _cp(k, n):
    return PointEstimate(k / n, 0.0, n, "clopper-pearson", events=k)


def test_clopper_pearson_matches_newcombe_1998():
    """Newcombe (Stat. Med. 1998), 81 events in 263: exact 95% interval 0.2527-0.3676; the
    one-sided 97.5% bounds are its ends."""
    e = _cp(81, 263)
    assert e.lower(0.025) == pytest.approx(0.2527, abs=5e-5)
    assert e.upper(0.025) == pytest.approx(0.3676, abs=5e-5)


def test_clopper_pearson_with_no_events_is_the_closed_form():
    """0 events in 24 runs: the one-sided 95% upper bound is 1 - 0.05^(1/24) = 0.1173."""
    e = _cp(0, 24)
    assert e.upper(0.05) == pytest.approx(1 - 0.05 ** (1 / 24), rel=1e-12) and e.lower(0.05) == 0.0
    assert _cp(24, 24).upper(0.05) == 1.0 and _cp(24, 24).lower(0.05) == pytest.approx(0.05 ** (1 / 24), rel=1e-12)


def test_wilson_matches_newcombe_1998():
    """Newcombe (1998), 81/263: Wilson score 95% interval 0.2553-0.3662 (its upper end is the
    one-sided 97.5% bound)."""
    assert wilson_upper(81, 263, level=0.025) == pytest.approx(0.3662, abs=5e-5)
    assert wilson_upper(0, 0) == 1.0
