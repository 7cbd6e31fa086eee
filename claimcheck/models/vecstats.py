"""A vectorisable normal CDF for the numba kernels (``lam2023_kernels``' limit-law mixture).

Why: scipy's ndtr is a scalar Cephes call per element (11 ns in the mixture's loop); this is
the same Cephes formulas, branch-free on ``vecmath.vexp``, so the loop around it vectorises
(3.6 ns). Its own module so that the Agazzi kernels, which import ``vecmath``, keep their
versions. Accuracy against scipy is tested (tests/test_vecmath.py).
"""
from __future__ import annotations

from numba import njit

from .vecmath import vexp


# Cephes' ndtr coefficients (scipy.special.ndtr is Cephes): erf(x) = x T(x^2) / U(x^2) for
# |x| < 1, erfc(x) = exp(-x^2) P(x) / Q(x) for 1 <= x < 8 (U and Q monic, leading 1 omitted).
_ERF_T0, _ERF_T1, _ERF_T2 = 9.60497373987051638749e0, 9.00260197203842689217e1, 2.23200534594684319226e3
_ERF_T3, _ERF_T4 = 7.00332514112805075473e3, 5.55923013010394962768e4
_ERF_U0, _ERF_U1, _ERF_U2 = 3.35617141647503099647e1, 5.21357949780152679795e2, 4.59432382970980127987e3
_ERF_U3, _ERF_U4 = 2.26290000613890934246e4, 4.92673942608635921086e4
_ERFC_P0, _ERFC_P1, _ERFC_P2 = 2.46196981473530512524e-10, 5.64189564831068821977e-1, 7.46321056442269912687e0
_ERFC_P3, _ERFC_P4, _ERFC_P5 = 4.86371970985681366614e1, 1.96520832956077098242e2, 5.26445194995477358631e2
_ERFC_P6, _ERFC_P7, _ERFC_P8 = 9.34528527171957607540e2, 1.02755188689515710272e3, 5.57535335369399327526e2
_ERFC_Q0, _ERFC_Q1, _ERFC_Q2 = 1.32281951154744992508e1, 8.67072140885989742329e1, 3.54937778887819891062e2
_ERFC_Q3, _ERFC_Q4, _ERFC_Q5 = 9.75708501743205489753e2, 1.82390916687909736289e3, 2.24633760818710981792e3
_ERFC_Q6, _ERFC_Q7 = 1.65666309194161350182e3, 5.57535340817727675546e2
_SQRT1_2 = 0.7071067811865476


@njit(cache=True, error_model="numpy")
def vndtr(z):
    """The standard normal CDF Phi(z), branch-free (scipy.special.ndtr's Cephes formulas,
    both evaluated and one selected), so a loop over it vectorises: scipy's scalar ndtr was
    ~80% of ``lam2023.units-pooled`` at full (the mixture CDF, 2 x 10^9 calls at N = 10^5).

    As scipy: x = z / sqrt 2; 0.5 + 0.5 erf(x) for |x| < 1/sqrt 2, else 0.5 erfc(|x|) (as
    1 - erf(|x|) below |x| = 1), reflected for x > 0. Within 2^-52 absolute of scipy
    everywhere (what a CDF inside a W1 integral needs) and a few ulp relative where
    |z| < 8 sqrt 2. Beyond that the erfc rational is used out of its range (Cephes switches to
    a shorter one): the value there is below 1e-29, so the absolute error is too. Beyond
    |z| = 37.6 it is exactly 0 or 1 (scipy: subnormals up to |z| = 38.5, then the same).
    NaN propagates."""
    x = z * _SQRT1_2
    ax = abs(x)
    # erf by T/U at x if |x| < 1/sqrt 2, at |x| if |x| < 1
    xe = x if ax < _SQRT1_2 else ax
    s = xe * xe
    t = (((_ERF_T0 * s + _ERF_T1) * s + _ERF_T2) * s + _ERF_T3) * s + _ERF_T4
    u = ((((s + _ERF_U0) * s + _ERF_U1) * s + _ERF_U2) * s + _ERF_U3) * s + _ERF_U4
    # erfc(|x|) by exp(-x^2) P / Q for |x| >= 1
    a = ax if ax < 27.0 else 27.0          # exp(-27^2) underflows to 0: the tail is exactly 0
    p = ((((((((_ERFC_P0 * a + _ERFC_P1) * a + _ERFC_P2) * a + _ERFC_P3) * a + _ERFC_P4) * a
             + _ERFC_P5) * a + _ERFC_P6) * a + _ERFC_P7) * a + _ERFC_P8)
    q = ((((((((a + _ERFC_Q0) * a + _ERFC_Q1) * a + _ERFC_Q2) * a + _ERFC_Q3) * a + _ERFC_Q4) * a
             + _ERFC_Q5) * a + _ERFC_Q6) * a + _ERFC_Q7)
    # one division for the branch taken (a vector division costs as much as the rest)
    use_erf = ax < 1.0
    r = (xe * t if use_erf else vexp(-a * a) * p) / (u if use_erf else q)   # erf(xe) or erfc(|x|)
    tail = 0.5 * (1.0 - r if use_erf else r)
    tail = 1.0 - tail if x > 0.0 else tail
    out = 0.5 + 0.5 * r if ax < _SQRT1_2 else tail
    return z if z != z else out
