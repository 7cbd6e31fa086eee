"""Benchmark: the untrained memory units of Lam, Sirignano & Spiliopoulos (the paper's
Section 5 experiment) -- claimcheck's simulator against a straightforward PyTorch
implementation of the same recursion.

    .venv/bin/python benchmarks/bench_lam2023.py            # N = 1e4, 1e5, 100 paths
    .venv/bin/python benchmarks/bench_lam2023.py --full-grid # also run the paper's grid
    .venv/bin/python benchmarks/bench_lam2023.py --trained   # trained step: numpy vs numba (issue 24)

Baseline (PyTorch, CPU, as in the authors' code): the full N x paths state is updated
every step, h <- sigmoid(W x_k + sum_j B_j h_j / N), with running sums of h and h^2
(the rolling moments). float32 as the authors ran it, and float64 for reference.

Ours (numpy, float64): a path's state is (Z_k, M_k); the units are compressed once per
path into L = 64 weighted Chebyshev nodes that reproduce the finite-N sums to round-off
(see claimcheck/models/lam2023.py), so a step costs O(L) per path instead of O(N).
The rolling moments need only per-path scalars. Every number below includes the
compression and the data chain. Agreement with the exact recursion is measured here too.

Reported: ns per unit-step = wall time / (N x paths x steps), the machine load
(`uptime`) and the projected time of the paper's full grid (N = 10..10^6, 50 000 steps,
100 paths, ~5.6e12 unit-steps).
"""
from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from claimcheck.models import lam2023 as L  # noqa: E402

PATHS = 100
PAPER_NS_FULL = [10 ** k for k in range(1, 7)]
PAPER_STEPS = 50_000


def load() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "uptime unavailable"


def setup(n: int, steps: int, seed: int = 0):
    """Per-path streams: data Z (P, steps+1, 2), W, B (P, N)."""
    gens = [np.random.default_rng([seed, p]) for p in range(PATHS)]
    st = [L.streams(g) for g in gens]
    Z = L.data_paths([s.data for s in st], steps)
    W = np.stack([L.draw_weights(s.w, n) for s in st])
    B = np.stack([L.draw_b(s.b, n) for s in st])
    return Z, W, B


def ours(n: int, steps: int, method: str = "auto", seed: int = 0) -> dict:
    """Time the whole experiment for one N: data chain, compression, steps, moments."""
    t0 = time.perf_counter()
    Z, W, B = setup(n, steps, seed)
    t1 = time.perf_counter()
    units = L.make_units(W, B, method=method, steps=steps)
    t2 = time.perf_counter()
    run = L.memory_run(units, Z[..., 0], steps)
    r1, r2 = run.rolling(1)[:, -1], run.rolling(2)[:, -1]
    t3 = time.perf_counter()
    return {"total": t3 - t0, "data": t1 - t0, "compress": t2 - t1, "steps": t3 - t2,
            "m": run.m, "r1": r1, "r2": r2, "compressed": units.compressed}


def torch_baseline(n: int, steps: int, dtype: str = "float32", seed: int = 0, Z=None, W=None, B=None) -> dict:
    """The straightforward recursion on the full (N, paths) state, as in the authors' code."""
    import torch

    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "2")))
    dt = getattr(torch, dtype)
    if Z is None:
        Z, W, B = setup(n, steps, seed)
    with torch.no_grad():
        X = torch.tensor(Z[..., 0].T, dtype=dt)           # (steps+1, paths)
        Wt = torch.tensor(W.T, dtype=dt).contiguous()     # (N, paths)
        Bt = torch.tensor(B.T, dtype=dt).contiguous()
        t0 = time.perf_counter()
        h = torch.sigmoid(Wt * X[0])
        s1 = torch.zeros(PATHS, dtype=dt)
        s2 = torch.zeros(PATHS, dtype=dt)
        ms = []
        for k in range(steps):
            m = (Bt * h).sum(0) / n
            ms.append(m)
            h = torch.sigmoid(Wt * X[k] + m)
            s1 += h.mean(0)
            s2 += (h * h).mean(0)
        t1 = time.perf_counter()
    return {"steps": t1 - t0, "r1": (s1 / steps).double().numpy(), "r2": (s2 / steps).double().numpy(),
            "m": torch.stack(ms, 1).double().numpy()}


def ns_per_unit_step(seconds: float, n: int, steps: int) -> float:
    return seconds / (n * PATHS * steps) * 1e9


TRAINED_SHAPES = [(64, 4096), (512, 4096), (64, 16384)]


def trained_setup_bench(paths: int, n: int, steps: int, seed: int = 0):
    """(Z, W, B, C, cfg) of the trained claims' configuration (beta 3/4, gamma 0.1, alpha 4)."""
    from claimcheck.models.lam2023_runs import trained_setup

    cfg = L.TrainConfig(beta=0.75, gamma=0.1, alpha=4.0, T=steps / n)
    Z, W, B, C = trained_setup([np.random.default_rng([seed, p]) for p in range(paths)], n, cfg)
    return Z, W, B, C, cfg


_JIT_PROBE = """
import time, sys
t0 = time.perf_counter()
import numpy as np
sys.path.insert(0, {root!r})
from claimcheck.models import lam2023 as L
Z, W, B, C = np.zeros((1, 3, 2)), np.ones((1, 4)), np.ones((1, 4)), np.ones((1, 4))
t1 = time.perf_counter()
L.train(Z, W, B, C, L.TrainConfig(), steps=2, backend="numba")
t2 = time.perf_counter()
print(t2 - t1, t2 - t0)
"""


def jit_times() -> dict:
    """First-call seconds of the compiled step in a fresh process: cold (empty numba cache,
    compiles) and warm (cache filled by the cold run: loads the machine code)."""
    import tempfile

    root = str(Path(__file__).resolve().parents[1])
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        for label in ("cold", "warm"):
            r = subprocess.run([sys.executable, "-c", _JIT_PROBE.format(root=root)], env=env,
                               capture_output=True, text=True, check=True)
            first, total = map(float, r.stdout.split())
            out[label] = (first, total)
    return out


def trained_bench(steps: int, numpy_steps: int) -> None:
    """ns per unit-step of ``lam2023.train`` (track_moves on, as lazy-parameters runs it):
    the numpy reference against the compiled kernel, on the claims' configuration. CPU time
    (process_time) is the figure to compare on a shared machine; both are single-threaded."""
    jt = jit_times()
    print(f"numba JIT, first call in a fresh process: cold (compile) {jt['cold'][0]:.2f} s "
          f"(process {jt['cold'][1]:.2f} s), warm cache {jt['warm'][0]:.3f} s (process {jt['warm'][1]:.2f} s)")
    Z, W, B, C, cfg = trained_setup_bench(4, 512, 512, seed=9)
    a = L.train(Z, W, B, C, cfg, track_path=True, backend="numba")
    b = L.train(Z, W, B, C, cfg, track_path=True, backend="numpy")
    rel = max(float(np.max(np.abs(getattr(a, f) - getattr(b, f)) / (np.abs(getattr(b, f)) + 1e-300)))
              for f in ("C", "W", "y_path", "m_path", "max_move"))
    print(f"check 4 paths x N=512, 512 steps: max rel diff numba vs numpy = {rel:.1e}")
    for paths, n in TRAINED_SHAPES:
        cpu, wall = {}, {}
        for backend, k in (("numpy", numpy_steps), ("numba", steps)):
            Z, W, B, C, cfg = trained_setup_bench(paths, n, k)
            t0, c0 = time.perf_counter(), time.process_time()
            L.train(Z, W, B, C, cfg, steps=k, track_moves=True, backend=backend)
            cpu[backend] = (time.process_time() - c0) / (paths * n * k) * 1e9
            wall[backend] = (time.perf_counter() - t0) / (paths * n * k) * 1e9
        print(f"trained  {paths:>4} paths x N={n:>6}: ns/unit-step CPU (wall)  numpy {cpu['numpy']:6.2f} "
              f"({wall['numpy']:6.2f}, {numpy_steps} steps)  numba {cpu['numba']:6.2f} ({wall['numba']:6.2f}, "
              f"{steps} steps)  x{cpu['numpy'] / cpu['numba']:.1f} CPU (x{wall['numpy'] / wall['numba']:.1f} wall)",
              flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ns", type=int, nargs="*", default=[10_000, 100_000])
    ap.add_argument("--steps", type=int, default=5000, help="steps for our timing (compression amortised)")
    ap.add_argument("--torch-steps", type=int, default=200, help="steps for the torch timing (per-step cost)")
    ap.add_argument("--full-grid", action="store_true", help="run the paper's full grid with our simulator")
    ap.add_argument("--trained", action="store_true",
                    help="only the trained step: numpy vs numba ns per unit-step, JIT cold/warm times")
    ap.add_argument("--trained-steps", type=int, default=256, help="steps per trained timing (numba)")
    ap.add_argument("--trained-numpy-steps", type=int, default=64, help="steps per trained timing (numpy)")
    args = ap.parse_args()

    if args.trained:
        import numba

        print(f"# bench_lam2023 --trained  python {platform.python_version()}  numpy {np.__version__}  "
              f"numba {numba.__version__}  cpus {os.cpu_count()}")
        print(f"# load before: {load()}")
        trained_bench(args.trained_steps, args.trained_numpy_steps)
        print(f"# load after: {load()}")
        return

    print(f"# bench_lam2023  python {platform.python_version()}  numpy {np.__version__}  "
          f"cpus {os.cpu_count()}  threads {os.environ.get('BENCH_THREADS', '2')}")
    try:
        import torch
        print(f"# torch {torch.__version__}")
    except ImportError:
        torch = None
        print("# torch not installed: .venv/bin/pip install torch==2.13.0 (CPU wheel)")
    print(f"# load before: {load()}")

    # correctness: ours (compressed) vs our exact recursion vs torch float64, same draws
    n, k = 10_000, 300
    Z, W, B = setup(n, k, seed=1)
    ex = L.memory_run(L.exact_units(W, B), Z[..., 0], k)
    co = L.memory_run(L.compress_units(W, B), Z[..., 0], k)
    print(f"check N={n}, {k} steps: max|M_compressed - M_exact| = {np.max(np.abs(co.m - ex.m)):.2e}, "
          f"max|rolling mean diff| = {np.max(np.abs(co.rolling(1)[:, -1] - ex.rolling(1)[:, -1])):.2e}")
    if torch is not None:
        tb = torch_baseline(n, k, "float64", Z=Z, W=W, B=B)
        tb32 = torch_baseline(n, k, "float32", Z=Z, W=W, B=B)
        print(f"check vs torch float64: max|M diff| = {np.max(np.abs(tb['m'] - ex.m)):.2e}, "
              f"max|timeAvg1 diff| = {np.max(np.abs(tb['r1'] - ex.rolling(1)[:, -1])):.2e}; "
              f"torch float32 timeAvg1 error = {np.max(np.abs(tb32['r1'] - ex.rolling(1)[:, -1])):.2e}")

    rows = []
    for n in args.ns:
        o = ours(n, args.steps)
        ours_ns = ns_per_unit_step(o["total"], n, args.steps)
        row = {"N": n, "ours_ns": ours_ns, "ours_s": o["total"], "compress_s": o["compress"]}
        line = (f"N={n:>7}  ours: {ours_ns:8.4f} ns/unit-step ({args.steps} steps, {o['total']:.2f} s: "
                f"data {o['data']:.2f}, compress {o['compress']:.2f}, steps {o['steps']:.2f})")
        if n <= 100_000:
            oe = ours(n, min(args.torch_steps, 200), method="exact")
            row["exact_ns"] = ns_per_unit_step(oe["total"] - oe["data"], n, min(args.torch_steps, 200))
            line += f"  | our exact numpy recursion {row['exact_ns']:.2f} ns"
        if torch is not None:
            for dt in ("float32", "float64"):
                tb = torch_baseline(n, args.torch_steps, dt)
                row[f"torch_{dt}_ns"] = ns_per_unit_step(tb["steps"], n, args.torch_steps)
            line += (f"  | torch float32 {row['torch_float32_ns']:.2f} ns, float64 {row['torch_float64_ns']:.2f} ns"
                     f"  | speed-up vs torch float32 x{row['torch_float32_ns'] / ours_ns:.1f}")
        print(line, flush=True)
        rows.append(row)

    # projected full grid: per N, time = data + compression (~N) + steps (~L, independent of N)
    total_units = sum(PAPER_NS_FULL) * PAPER_STEPS * PATHS
    t_big = ours(1_000_000, 200)
    per_step = ours(100_000, 2000)
    step_cost = per_step["steps"] / 2000                        # seconds per step, 100 paths, L nodes
    data_cost = per_step["data"] / 2000                         # chain + parameter draws per step
    small = {n: ours(n, 2000) for n in (10, 100)}               # exact units (N <= L)
    proj = 0.0
    for n in PAPER_NS_FULL:
        if n in small:
            proj += small[n]["total"] / 2000 * PAPER_STEPS
        else:
            comp = t_big["compress"] * n / 1_000_000
            proj += comp + (step_cost + data_cost) * PAPER_STEPS
    print(f"projected paper grid (N=10..1e6, {PAPER_STEPS} steps, {PATHS} paths, {total_units:.2e} unit-steps): "
          f"{proj:.0f} s single process = {proj / 60:.1f} min "
          f"(= {proj / total_units * 1e9 * 1e3:.3f} ps/unit-step)")
    if args.full_grid:
        t0 = time.perf_counter()
        for n in PAPER_NS_FULL:
            o = ours(n, PAPER_STEPS)
            print(f"  full grid N={n:>7}: {o['total']:.1f} s (compress {o['compress']:.1f} s)", flush=True)
        print(f"full grid measured: {time.perf_counter() - t0:.0f} s single process")
    print(f"# load after: {load()}")


if __name__ == "__main__":
    main()
