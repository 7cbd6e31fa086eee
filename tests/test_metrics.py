"""Distances mean W_p (not W_p^p, not W2^2) and behave as metrics."""
import numpy as np
import ot
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

from claimcheck.metrics import (SolverError, sliced_wasserstein, w1_sampling_floor, w1_to_quantile, wasserstein,
                                wasserstein_1d)

finite = st.floats(-100, 100, allow_nan=False, allow_infinity=False)
samples_1d = arrays(np.float64, st.integers(1, 30), elements=finite)
samples_2d = arrays(np.float64, st.tuples(st.integers(1, 12), st.just(2)), elements=finite)


@settings(max_examples=60, deadline=None)
@given(x=samples_1d, y=samples_1d, z=samples_1d, p=st.sampled_from([1.0, 2.0]))
def test_w1d_is_a_metric(x, y, z, p):
    dxy, dyx = wasserstein_1d(x, y, p), wasserstein_1d(y, x, p)
    assert dxy == pytest.approx(dyx, abs=1e-9)
    assert wasserstein_1d(x, x, p) == pytest.approx(0.0, abs=1e-9)
    assert dxy <= wasserstein_1d(x, z, p) + wasserstein_1d(z, y, p) + 1e-7


@settings(max_examples=30, deadline=None)
@given(x=samples_2d, y=samples_2d, z=samples_2d)
def test_emd_wasserstein_is_a_metric(x, y, z):
    dxy = wasserstein(x, y, 2)
    assert dxy == pytest.approx(wasserstein(y, x, 2), abs=1e-7)
    assert wasserstein(x, x, 2) == pytest.approx(0.0, abs=1e-7)
    assert dxy <= wasserstein(x, z, 2) + wasserstein(z, y, 2) + 1e-6


@settings(max_examples=30, deadline=None)
@given(x=samples_1d, shift=st.floats(-10, 10), p=st.sampled_from([1.0, 2.0, 3.0]))
def test_shift_gives_exactly_the_shift(x, shift, p):
    """W_p(x, x + c) = |c| for every p: catches a W_p^p or W2^2 convention slip."""
    assert wasserstein_1d(x, x + shift, p) == pytest.approx(abs(shift), abs=1e-7)
    x2 = np.column_stack([x, x])
    # compared as W_p^p: the LP solver resolves costs to ~1e-15, whose 1/p-th root is not small
    expected = abs(shift) * np.sqrt(2)
    assert wasserstein(x2, x2 + shift, p) ** p == pytest.approx(expected**p, rel=1e-6, abs=1e-12)
    if abs(shift) > 0.1:
        assert wasserstein(x2, x2 + shift, p) == pytest.approx(expected, rel=1e-6)


@settings(max_examples=30, deadline=None)
@given(x=arrays(np.float64, 12, elements=finite), y=arrays(np.float64, 12, elements=finite))
def test_1d_sort_matches_lp_solver(x, y):
    assert wasserstein_1d(x, y, 2) == pytest.approx(float(np.sqrt(ot.emd2_1d(x, y, metric="sqeuclidean"))), abs=1e-6)
    a = np.full(12, 1 / 12)
    lp = ot.emd2(a, a, ot.dist(x[:, None], y[:, None], metric="euclidean"))
    assert wasserstein_1d(x, y, 1) == pytest.approx(lp, abs=1e-6)


def test_sliced_wasserstein_returns_sw_not_its_power():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((500, 3))
    # a shift by c along every axis: SW_2 = c * sqrt(E[(theta . 1)^2]) = c (theta uniform on the sphere)
    d = sliced_wasserstein(x, x + 2.0, p=2, n_projections=2000)
    assert d == pytest.approx(2.0, rel=0.05)


def test_solver_not_converged_is_an_error():
    rng = np.random.default_rng(0)
    with pytest.raises(SolverError):
        wasserstein(rng.standard_normal((200, 2)), rng.standard_normal((200, 2)), num_iter_max=3)


def test_nan_samples_rejected():
    with pytest.raises(ValueError):
        wasserstein_1d([0.0, np.nan], [0.0, 1.0])


def test_w1_to_quantile_exact_cases():
    ident = lambda u: u  # noqa: E731 - U(0, 1): quantile = cdf = identity
    # a single atom at 0 against U(0, 1): W1 = E|U| = 1/2
    assert w1_to_quantile([0.0], ident) == pytest.approx(0.5, abs=1e-12)
    # the uniform midpoints against U(0,1): W1 = 1/(4n); every interval has a kink
    n = 100
    x = (np.arange(n) + 0.5) / n
    assert w1_to_quantile(x, ident, cdf=ident) == pytest.approx(1 / (4 * n), rel=1e-12)
    # without the cdf the kinks cost O(h^2) per kinked interval: bounded, stated error
    assert w1_to_quantile(x, ident) == pytest.approx(1 / (4 * n), rel=0.1)


def test_w1_to_quantile_agrees_with_a_huge_reference_sample():
    rng = np.random.default_rng(1)
    x = rng.standard_normal(300)
    ref = stats.norm.ppf((np.arange(400_000) + 0.5) / 400_000)
    assert w1_to_quantile(x, stats.norm.ppf, cdf=stats.norm.cdf) == pytest.approx(wasserstein_1d(x, ref), rel=2e-3)
    assert w1_to_quantile(x, stats.norm.ppf) == pytest.approx(w1_to_quantile(x, stats.norm.ppf, stats.norm.cdf),
                                                              rel=1e-3)


def test_sampling_floor_scales_like_n_to_minus_half():
    rng = np.random.default_rng(2)
    f1 = w1_sampling_floor(100, 100, lambda g, n: g.standard_normal(n), rng, reps=200)
    f2 = w1_sampling_floor(1600, 1600, lambda g, n: g.standard_normal(n), rng, reps=200)
    assert f1 / f2 == pytest.approx(4.0, rel=0.15)
