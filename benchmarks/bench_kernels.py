"""CPU cost of the three simulator loops the full profile spends its time in (issue 24), as
the claims call them (default dispatch), so that two checkouts compare line by line:

    python benchmarks/bench_kernels.py                          # this checkout
    PYTHONPATH=/path/to/old/checkout python benchmarks/bench_kernels.py   # another one

- trained Lam step (``lam2023.train``, move tracking on, as lazy-parameters runs it):
  ns per unit-step, 64 paths x N = 4096 and 8 paths x N = 16 384;
- untrained Lam memory (``lam2023.memory_run`` on compressed units, moments on, as
  time-averages runs it): ns per node-step, 768 paths x 64 nodes;
- the limit-law loops (stop 35): the units' mixture CDF (``lam2023.limit_cdf_mixture``, as
  units-pooled's W1 calls it: ns per (point, path)); the Chebyshev compression
  (``lam2023.compress_units``: ns per unit-degree at N = 10^6, as time-averages runs it);
  the limit chain (``lam2023.kernel_column_average``, poisson-fluctuations: ns per node-step);
- Agazzi projected GD (``agazzi2023.train``, a stack of 30 nets, M = 32, eps = 0.05, as
  bounded-weights runs it): us per net-step at N = 2, 8, 32, 128, and what that makes of
  bounded-weights' full profile (30 nets x 80 000 steps at each N).

CPU seconds (``time.process_time``), one BLAS thread, JIT caches warmed first. A second
line per loop gives the numpy reference where the checkout has a switch for it.
"""
from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import inspect  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from claimcheck.models import agazzi2023 as m  # noqa: E402
from claimcheck.models import agazzi2023_runs as runs  # noqa: E402
from claimcheck.models import lam2023 as L  # noqa: E402


def cpu(fn) -> float:
    c0 = time.process_time()
    fn()
    return time.process_time() - c0


def lam_trained(backend: str = "numba") -> None:
    rng = np.random.default_rng(0)
    cfg = L.TrainConfig()
    small = [rng.uniform(-1, 1, (2, 9, 2)), rng.standard_normal((2, 64)), rng.uniform(0, 1, (2, 64)),
             rng.standard_normal((2, 64))]
    L.train(*small, cfg, steps=4, backend=backend)
    for P, n, k in [(64, 4096, 256), (8, 16384, 512)]:
        if backend == "numpy":
            k //= 4
        Z = rng.uniform(-1, 1, (P, k + 1, 2))
        W, B, C = rng.standard_normal((P, n)), rng.uniform(0, 1, (P, n)), rng.standard_normal((P, n))
        s = cpu(lambda: L.train(Z, W, B, C, cfg, steps=k, track_moves=True, backend=backend))
        print(f"lam trained ({backend}) {P} paths x N {n}: {s / (P * n * k) * 1e9:.2f} ns/unit-step", flush=True)


def lam_memory(compiled: bool | None = None) -> None:
    rng = np.random.default_rng(1)
    P, n, T = 768, 4096, 600
    u = L.make_units(rng.standard_normal((P, n)), rng.uniform(0, 1, (P, n)), steps=T)
    X = rng.uniform(-1, 1, (P, T + 1))
    kw = {} if compiled is None else {"compiled": compiled}
    L.memory_run(u, X, 3, **kw)
    s = cpu(lambda: L.memory_run(u, X, T, **kw))
    label = "default" if compiled is None else ("compiled" if compiled else "numpy")
    print(f"lam memory ({label}) {P} paths x {u.w.shape[1]} nodes: {s / (P * T * u.w.shape[1]) * 1e9:.2f} "
          f"ns/node-step", flush=True)


def lam_limit_law(compiled: bool | None = None) -> None:
    """The three limit-law loops; ``compiled`` None: the default dispatch."""
    rng = np.random.default_rng(2)
    kw = {} if compiled is None else {"compiled": compiled}
    label = "default" if compiled is None else ("compiled" if compiled else "numpy")
    x, mm = rng.uniform(-1, 1, 100), rng.uniform(0.2, 0.4, 100)
    t = np.sort(rng.uniform(0.3, 0.8, 200_000)).reshape(-1, 2)
    L.limit_cdf_mixture(t[:4], x, mm, **kw)
    s = cpu(lambda: L.limit_cdf_mixture(t, x, mm, **kw))
    print(f"lam mixture cdf ({label}) 100 paths: {s / (t.size * 100) * 1e9:.2f} ns/(point, path)", flush=True)
    W, B = rng.standard_normal((2, 1_000_000)), rng.uniform(0, 1, (2, 1_000_000))
    ckw = {} if compiled is None else {"compiled": compiled}
    L.compress_units(W[:, :100], B[:, :100], **ckw)
    s = cpu(lambda: L.compress_units(W, B, **ckw))
    print(f"lam compression ({label}) N 10^6: {s / (2 * 1_000_000 * L.DEFAULT_L) * 1e9:.3f} ns/unit-degree",
          flush=True)
    X = rng.uniform(-1, 1, (64, 5001))
    L.kernel_column_average(X, 3, 0.5, 0.3, **kw)
    s = cpu(lambda: L.kernel_column_average(X, 5000, 0.5, 0.3, **kw))
    print(f"lam column average ({label}) 64 paths: {s / (64 * 5000 * L.GH_NODES) * 1e9:.2f} ns/node-step",
          flush=True)


def agazzi(compiled: bool | None = None) -> None:
    X, y = runs.data(32)
    R, total = 30, 0.0
    for N, K in [(2, 1000), (8, 500), (32, 150), (128, 25)]:
        nets = [m.init_net(m.draw_labels(np.random.default_rng([N, r]), N), "diverse", 0.5) for r in range(R)]
        cfg = m.Config(bound=tuple([0.25, 0.5, 0.9] * (R // 3)))
        st = m.stack(nets)
        m.train(st, X, y, 0.05, 2, cfg, compiled=compiled, record=[])
        us = cpu(lambda: m.train(st, X, y, 0.05, K, cfg, compiled=compiled, record=[])) / (K * R) * 1e6
        total += us
        label = "default" if compiled is None else ("compiled" if compiled else "numpy")
        print(f"agazzi ({label}) N {N}, stack {R}: {us:.1f} us/net-step", flush=True)
    print(f"agazzi ({label}): bounded-weights full, 30 nets x 80 000 steps at N = 2, 8, 32, 128: "
          f"~{total * 1e-6 * 30 * 80_000:.0f} CPU s of training", flush=True)


def main() -> None:
    print(f"# {L.__file__}; load {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    lam_trained("numba")
    lam_trained("numpy")
    lam_memory(None)
    if "compiled" in inspect.signature(L.memory_run).parameters:
        lam_memory(False)
    lam_limit_law(None)
    if "compiled" in inspect.signature(L.limit_cdf_mixture).parameters:
        lam_limit_law(False)
    agazzi(None)
    agazzi(False)
    print(f"# load after: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")


if __name__ == "__main__":
    main()
