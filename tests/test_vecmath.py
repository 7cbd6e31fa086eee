"""The kernels' vectorisable exp, tanh and normal CDF (``claimcheck.models.vecmath``) against
libm (numpy) and scipy: their error is what the kernels' round-off contract rests on."""
import numpy as np
from numba import njit
from scipy import special

from claimcheck.models.vecmath import vexp, vtanh
from claimcheck.models.vecstats import vndtr


@njit(error_model="numpy")
def _apply(fn, x):
    """fn elementwise in a compiled loop, as the kernels call it."""
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        out[i] = fn(x[i])
    return out


def _ulps(got, ref):
    return np.abs(got - ref) / np.spacing(np.abs(ref))


def test_exp_is_within_one_ulp_of_libm():
    """Within 1 ulp wherever the result is a normal float; libm's answer at the edges (0
    below -708 where libm gives a subnormal, inf above 709, NaN propagates)."""
    x = np.concatenate([np.linspace(-707.9, 708.9, 400_001),
                        np.random.default_rng(0).standard_normal(100_000) * 5])
    ulps = _ulps(_apply(vexp, x), np.exp(x))
    assert ulps.max() <= 1.0 and ulps.mean() < 0.2
    edge = np.array([-800.0, -708.5, 709.5, 1e6, np.inf, -np.inf, np.nan, 0.0, -0.0])
    got = _apply(vexp, edge)
    np.testing.assert_array_equal(got[:6], [0.0, 0.0, np.inf, np.inf, np.inf, 0.0])
    assert np.isnan(got[6]) and got[7] == 1.0 and got[8] == 1.0


def test_tanh_is_within_two_ulp_of_libm():
    """Within 2 ulp over the whole range, also near 0 (no cancellation) and across the
    switch at |x| = 0.625; exact +-1, +-0 and NaN at the edges."""
    rng = np.random.default_rng(1)
    x = np.concatenate([np.linspace(-25.0, 25.0, 400_001), rng.standard_normal(100_000) * 2,
                        np.geomspace(1e-300, 1e-2, 10_000), -np.geomspace(1e-12, 0.7, 10_000),
                        np.nextafter(0.625, [0.0, 1.0]), [0.625, -0.625]])
    ulps = _ulps(_apply(vtanh, x), np.tanh(x))
    assert ulps.max() <= 2.0 and ulps.mean() < 0.3
    edge = np.array([30.0, -30.0, 1e300, np.inf, -np.inf, 0.0, -0.0, np.nan])
    got = _apply(vtanh, edge)
    np.testing.assert_array_equal(got[:5], [1.0, -1.0, 1.0, 1.0, -1.0])
    assert got[5] == 0.0 and np.signbit(got[6]) and np.isnan(got[7])


def test_ndtr_is_within_half_an_ulp_of_one_of_scipy():
    """Within 2^-52 absolute of scipy's ndtr everywhere (across the switches at |z| = 1 and
    sqrt 2, into both tails), a few ulp relative where |z| < 8 sqrt 2 and Phi is normal,
    exact 0/1 far out, NaN propagates."""
    rng = np.random.default_rng(2)
    r2 = np.sqrt(2.0)
    z = np.concatenate([np.linspace(-40.0, 40.0, 400_001), rng.standard_normal(100_000) * 3,
                        np.geomspace(1e-300, 1.0, 5_000), -np.geomspace(1e-300, 1.0, 5_000),
                        np.nextafter([1.0, -1.0, r2, -r2], 0.0), np.nextafter([1.0, -1.0, r2, -r2], 5.0)])
    got, ref = _apply(vndtr, z), special.ndtr(z)
    assert np.abs(got - ref).max() <= 2.0 ** -52
    near = (np.abs(z) < 8 * r2) & (ref > 1e-300)
    assert _ulps(got[near], ref[near]).max() <= 4.0
    edge = np.array([39.0, -39.0, 1e300, -1e300, np.inf, -np.inf, 0.0, np.nan])
    got = _apply(vndtr, edge)
    np.testing.assert_array_equal(got[:7], [1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.5])
    assert np.isnan(got[7])
