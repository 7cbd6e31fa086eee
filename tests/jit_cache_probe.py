"""Run by tests/test_jit_cache.py in fresh processes: every compiled kernel a claim reaches,
on fixed inputs, printed as {kernel: sha1 of its outputs} (JSON on the last line).

Not a test module (no ``test_`` prefix): the test runs it twice against one empty
NUMBA_CACHE_DIR, so the first run executes freshly compiled code and the second the code
numba loaded from its cache."""
from __future__ import annotations

import hashlib
import json

import numpy as np

from claimcheck.models import agazzi2023 as A
from claimcheck.models import agazzi2023_runs as A_runs
from claimcheck.models import lam2023 as L
from claimcheck.models import lam2023_extra as L_extra


def digest(*arrays) -> str:
    h = hashlib.sha1()
    for a in arrays:
        h.update(np.ascontiguousarray(a, dtype=np.float64).tobytes())
    return h.hexdigest()


def probe() -> dict[str, str]:
    rng = np.random.default_rng(20261207)
    out = {}
    cfg = L.TrainConfig()
    P, n, k = 3, 300, 40
    Z = rng.uniform(-1, 1, (P, k + 1, 2))
    W, B, C = rng.standard_normal((P, n)), rng.uniform(0, 1, (P, n)), rng.standard_normal((P, n))
    r = L.train(Z, W.copy(), B.copy(), C.copy(), cfg, steps=k, track_moves=True, track_path=True, backend="numba")
    out["lam2023.train"] = digest(r.C, r.W, r.max_move, r.y0, r.m_path, r.y_path)
    Cs, Ws = L_extra.train_snapshots(Z, W.copy(), B.copy(), C.copy(), cfg, [0, 5, k])
    out["lam2023_extra.train_snapshots"] = digest(Cs, Ws)
    X = rng.uniform(-1, 1, (P, 200))
    Wb, Bb = rng.standard_normal((P, 5000)), rng.uniform(0, 1, (P, 5000))
    units = L.compress_units(Wb, Bb)
    out["lam2023.compress_units"] = digest(units.w, units.a, units.b)
    run = L.memory_run(units, X, 200)
    out["lam2023.memory_run"] = digest(run.m, run.mean1, run.mean2, run.start1, run.start2)
    run = L.memory_run(L.exact_units(Wb[:, :20], Bb[:, :20]), X, 200)
    out["lam2023.memory_run(exact)"] = digest(run.m, run.mean1, run.mean2)
    out["lam2023.m_inf_path"] = digest(L.m_inf_path(X, 200))
    out["lam2023.kernel_column_average"] = digest(L.kernel_column_average(X, 200, 0.3, 0.5, start=20))
    t = rng.uniform(0.001, 0.999, 4000)
    out["lam2023.limit_cdf_mixture"] = digest(L.limit_cdf_mixture(t, rng.uniform(-1, 1, 30), rng.normal(0.5, 0.2, 30)))
    Xa, ya = A_runs.data(16)
    for N, bound in ((8, None), (24, 0.5)):
        net = A.init_net(A.draw_labels(np.random.default_rng(N), N), "coupled", 0.9,
                         w_rng=np.random.default_rng(N + 1))
        tr = A.train(net, Xa, ya, 0.05, 60, A.Config(bound=bound), record=[], compiled=True)
        out[f"agazzi2023.train(N={N}, bound={bound})"] = digest(tr.loss, tr.outputs, tr.final.W, tr.final.A)
    return out


def cache_counts() -> dict[str, int]:
    """Signatures the kernels' dispatchers loaded from numba's cache (hits) or compiled
    (misses) in this process: what tells the two runs apart."""
    from numba.core.registry import CPUDispatcher

    from claimcheck.models import agazzi2023_kernels, lam2023_kernels

    hits = misses = 0
    for mod in (lam2023_kernels, L_extra, agazzi2023_kernels):
        for obj in vars(mod).values():
            if isinstance(obj, CPUDispatcher):
                hits += sum(obj.stats.cache_hits.values())
                misses += sum(obj.stats.cache_misses.values())
    return {"hits": hits, "misses": misses}


if __name__ == "__main__":
    print(json.dumps({"outputs": probe(), "cache": cache_counts()}, sort_keys=True))
