"""The reproducibility contract, in one place (the README states it; tests prove it).

1. **Bit for bit, on one machine**: the same claim version, master seed and grid point
   give the same stored numbers whatever the number of workers, the executor (inline,
   local process pool, Dask) or how often the run was interrupted and resumed. Every
   replicate draws from its own ``SeedSequence`` (``claimcheck.engine.seeding``) and runs the
   same code on the same arrays, so nothing but the order of completion changes. "The same
   code" includes the compiled kernels: a process that JIT-compiles one must run what
   another loads from numba's cache (tests/test_jit_cache.py), or a fresh clone's workers
   would mix two round-offs.
2. **To round-off, across BLAS code paths**: a different batch size, a stack of nets
   trained as one array, a blocked instead of a dense product, another machine or
   another BLAS kernel (``OPENBLAS_CORETYPE``) change the order of floating-point
   operations inside BLAS, and with it the last bits. Such results agree within
   :data:`ROUNDOFF_RTOL` relative (plus :data:`ROUNDOFF_ATOL` absolute, for values near
   zero); no test may ask for more.
"""
from __future__ import annotations

import numpy as np

ROUNDOFF_RTOL = 1e-9
ROUNDOFF_ATOL = 1e-12


def agree_to_roundoff(a, b, rtol: float = ROUNDOFF_RTOL, atol: float = ROUNDOFF_ATOL) -> bool:
    """True if ``a`` and ``b`` (numbers, arrays or dicts of them) agree as clause 2 of
    the contract asks."""
    if isinstance(a, dict) or isinstance(b, dict):
        return (isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys()
                and all(agree_to_roundoff(a[k], b[k], rtol, atol) for k in a))
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=False))


def assert_roundoff_equal(a, b, rtol: float = ROUNDOFF_RTOL, atol: float = ROUNDOFF_ATOL, err_msg: str = "") -> None:
    """numpy.testing.assert_allclose at the contract's tolerance (for arrays)."""
    np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=rtol, atol=atol,
                               err_msg=err_msg)
