"""Freshly compiled kernels and kernels loaded from numba's on-disk cache give the same
numbers, bit for bit.

Why: the reproducibility contract (same seed, same numbers on one machine for any worker
count, executor or resume) fails if a process that compiles a kernel computes with other
machine code than one that loads it from the cache: within one run on a fresh clone, the
worker that compiles first and the workers that load what it cached would mix the two. It
did (stop 38): ``cheb_moments`` called ``_cheb_degree`` as a separately compiled function,
and the code numba cached summed the callee's reassociated reductions in another order than
the code that ran in the compiling process (inlining the callee at numba's level removed
the difference): units differed at 1e-16,
lam2023.time-averages' metrics at up to 4e-12, between a fresh clone's run and a warm one.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import ROOT


def _probe(cache_dir) -> dict:
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir), OPENBLAS_NUM_THREADS="1")
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "jit_cache_probe.py")], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_compiled_and_cached_kernels_agree_bit_for_bit(tmp_path):
    first = _probe(tmp_path)                          # compiles every kernel, writes the cache
    second = _probe(tmp_path)                         # loads them from the cache
    assert first["cache"]["misses"] > 0 and first["cache"]["hits"] == 0, first["cache"]
    assert second["cache"]["hits"] > 0 and second["cache"]["misses"] == 0, second["cache"]
    fresh, cached = first["outputs"], second["outputs"]
    assert fresh.keys() == cached.keys()
    differ = sorted(k for k in fresh if fresh[k] != cached[k])
    assert not differ, f"compiled and cached code disagree: {differ}"
