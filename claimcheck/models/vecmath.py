"""Vectorisable exp and tanh for the numba kernels (``lam2023_kernels``, ``agazzi2023_kernels``).

Why: this llvmlite has no vector math library, so a libm ``exp`` or ``tanh`` in a unit loop
keeps the loop scalar, and the call was most of the loop's cost. These are branch-free
(selects, no calls), so LLVM vectorises the loop they are inlined in; compile that loop with
``error_model="numpy"`` (numba's Python error model adds a branch to every division).
Accuracy against libm is tested (tests/test_vecmath.py): exp within 1 ulp, tanh within 2.
"""
from __future__ import annotations

import numpy as np
from numba import njit
from numba.core import types
from numba.extending import intrinsic

# Cody-Waite split of ln 2 (fdlibm's): k * LN2_HI is exact for |k| < 2^11.
_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10


@intrinsic
def _bits_as_float(typingctx, bits):
    """The int64 ``bits`` reinterpreted as a float64 (no conversion): how 2^k is built
    without a call, so the loop around ``vexp`` stays vectorisable."""
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.float64))

    return sig, codegen


@njit(cache=True, error_model="numpy")
def vexp(x):
    """exp(x) within 1 ulp of libm's, branch-free so that
    LLVM vectorises the loop it sits in: libm's scalar exp was ~2/3 of a unit-step and this
    llvmlite has no vector math library. x = k ln2 + r, |r| <= ln2 / 2, exp(r) by its Taylor
    series to r^13 (remainder < 1e-17 relative), times 2^k built from its bits. Below -708
    it returns 0 (libm: a subnormal), above 709 inf; NaN propagates."""
    xc = x if x > -708.0 else -708.0
    xc = xc if xc < 709.0 else 709.0
    kf = np.floor(xc * _LOG2E + 0.5)
    r = (xc - kf * _LN2_HI) - kf * _LN2_LO
    p = 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    out = p * _bits_as_float((np.int64(kf) + 1023) << 52)
    out = np.inf if x > 709.0 else out
    out = 0.0 if x < -708.0 else out
    return x if x != x else out



# Cephes' tanh: x + x^3 P(x^2) / Q(x^2) for |x| < 0.625 (relative error ~2e-16 there).
_TP0, _TP1, _TP2 = -9.64399179425052238628e-01, -9.92877231001918586564e01, -1.61468768441708447952e03
_TQ0, _TQ1, _TQ2 = 1.12811678491632931402e02, 2.23548839060100448583e03, 4.84406305325125486048e03


@njit(cache=True, error_model="numpy")
def vtanh(x):
    """tanh(x) within 2 ulp of libm's, branch-free: Cephes' rational approximation below
    |x| = 0.625 (so no cancellation near 0), 1 - 2 / (exp(2|x|) + 1) with the sign above, and
    +-1 beyond |x| = 22 (where tanh rounds to 1). NaN propagates, and tanh(-0) = -0."""
    ax = abs(x)
    z = x * x
    small = x + x * z * (((_TP0 * z + _TP1) * z + _TP2) / (((z + _TQ0) * z + _TQ1) * z + _TQ2))
    axc = ax if ax < 22.0 else 22.0
    big = 1.0 - 2.0 / (vexp(2.0 * axc) + 1.0)
    big = big if x >= 0.0 else -big
    out = small if ax < 0.625 else big
    return x if (x != x or x == 0.0) else out   # NaN, and +-0 keeps its sign
