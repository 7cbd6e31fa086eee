"""Benchmark: seconds per gradient-descent step of the mean-field Elman RNN
(claimcheck.models.agazzi2023) against a straightforward PyTorch autograd implementation
of the same network, for widths N = 64 .. 4096.

    .venv/bin/pip install torch==2.13.0     # local CPU wheel; the tests never import torch
    .venv/bin/python benchmarks/bench_agazzi2023.py [--threads 1] [--widths 64,256,1024,4096]

Workload (identical in both): diverse initialisation, M = 32 phases of the golden
rotation, window L = 3, target x_t x_{t-2}, full-batch GD on the population risk with the
mean-field rates (eps*N for A, U, b; eps*N^2 for W), float64. One step = forward pass,
backward pass (BPTT), update. The script first checks that both implementations give
the same trajectory (max |difference| of outputs after 5 steps), then times each.
Machine load (`uptime`) is printed next to the figures: the machine is shared.

    .venv/bin/python benchmarks/bench_agazzi2023.py --compiled [--widths 2,8,32,128,512]

``--compiled`` (issue 24; no torch needed) times instead ``train`` single-net microseconds
per step (process CPU time, less sensitive to a loaded machine than wall time; one BLAS thread), numpy reference (compiled=False) against the numba kernels (compiled=True), on
the same workload, after checking that both give the same 50-step losses; and the JIT
start-up of the kernels in a fresh process: cold (empty numba cache) and warm (cache hit),
numba's import included.
"""
from __future__ import annotations

import argparse
import os
import sys
import time


def _parse():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=1, help="BLAS / torch threads for both (default 1)")
    p.add_argument("--widths", default=None, help="default 64,...,4096 (2,8,32,128,512 with --compiled)")
    p.add_argument("--compiled", action="store_true", help="numpy vs numba kernels at tiny N (issue 24)")
    p.add_argument("--min-seconds", type=float, default=1.0, help="time each case for at least this long")
    p.add_argument("--M", type=int, default=32)
    return p.parse_args()


ARGS = _parse()
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)   # before numpy / torch are imported

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from claimcheck.models import agazzi2023 as m  # noqa: E402
from claimcheck.models import agazzi2023_runs as runs  # noqa: E402

EPS = 0.5


def load() -> str:
    return open("/proc/loadavg").read().split()[0]


# -- PyTorch baseline: the network written the obvious way, gradients by autograd ----------

def torch_setup(net: m.Net, X: np.ndarray, y: np.ndarray):
    import torch

    torch.set_num_threads(ARGS.threads)
    P = {k: torch.tensor(getattr(net, k), dtype=torch.float64, requires_grad=True) for k in "AUbW"}
    return torch, P, torch.tensor(X, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)


def torch_step(torch, P, X, y, N):
    A, U, b, W = P["A"], P["U"], P["b"], P["W"]
    h = torch.zeros(X.shape[0], N, dtype=torch.float64)
    for s in range(X.shape[1]):
        h = torch.tanh(h @ W.T / N + X[:, s:s + 1] * U + b)
    f = h @ A / N
    loss = 0.5 * torch.mean((f - y) ** 2)
    for p in P.values():
        p.grad = None
    loss.backward()
    with torch.no_grad():
        for k in "AUb":
            P[k] -= EPS * N * P[k].grad
        W -= EPS * N * N * W.grad
    return f.detach()


def numpy_step(net, X, y):
    g, _, f = m.backward(net, X, y)
    m.gd_step(net, g, EPS)
    return f


def timed(fn, min_seconds, clock=time.perf_counter):
    fn()                                   # warm-up (allocations, thread pools)
    n, t0 = 0, clock()
    while True:
        fn()
        n += 1
        dt = clock() - t0
        if dt >= min_seconds and n >= 3:
            return dt / n


def jit_startup(cache_dir: str) -> float:
    """Seconds to import the kernels and compile / load them, in a fresh interpreter."""
    import subprocess

    code = ("import time; t = time.perf_counter(); from claimcheck.models import agazzi2023_kernels as k; "
            "k.warm_up(); print(time.perf_counter() - t)")
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                         cwd=os.path.join(os.path.dirname(__file__), ".."))
    return float(out.stdout.split()[-1])


def main_compiled():
    import tempfile

    X, y = runs.data(ARGS.M)
    widths = [int(w) for w in (ARGS.widths or "2,8,32,128,512").split(",")]
    print(f"threads={ARGS.threads}  M={ARGS.M}  L={X.shape[1]}  float64  load before: {load()}", flush=True)
    with tempfile.TemporaryDirectory() as d:
        cold, warm = jit_startup(d), jit_startup(d)
    print(f"JIT start-up in a fresh process (import numba + kernels): cold {cold:.2f} s, warm (cached) {warm:.2f} s",
          flush=True)
    m.train(m.init_net(m.draw_labels(np.random.default_rng(0), 2), "diverse", 0.9), X, y, EPS, 1, compiled=True)
    rows = []
    for N in widths:
        net0 = m.init_net(m.draw_labels(np.random.default_rng(0), N), "diverse", 0.9)
        a = m.train(net0, X, y, EPS, 50, record=[], compiled=False)
        b = m.train(net0, X, y, EPS, 50, record=[], compiled=True)
        diff = float(np.max(np.abs(a.loss - b.loss) / a.loss))
        per = {}
        for compiled in (False, True):
            K = max(10, int(2e5 / N ** 2))           # calls of ~1-20 ms
            per[compiled] = timed(lambda: m.train(net0, X, y, EPS, K, record=[], compiled=compiled),
                                  ARGS.min_seconds, clock=time.process_time) / K
        rows.append((N, per[False] * 1e6, per[True] * 1e6, per[False] / per[True], diff, load()))
        print(f"N={N:4d}  numpy {rows[-1][1]:8.1f} us/step  compiled {rows[-1][2]:8.1f} us/step  "
              f"speed-up {rows[-1][3]:5.1f}  max rel loss diff (50 steps) {diff:.1e}  load {rows[-1][-1]}", flush=True)
    print("\n| N | numpy us/step | compiled us/step | numpy / compiled | max rel. loss diff (50 steps) | load (1 min) |")
    print("|---|---|---|---|---|---|")
    for N, o, c, r, d, ld in rows:
        print(f"| {N} | {o:.1f} | {c:.1f} | {r:.1f} | {d:.0e} | {ld} |")
    print(f"\nJIT cold {cold:.2f} s, warm {warm:.2f} s; COMPILED_MAX_N = {m.COMPILED_MAX_N}; load after: {load()}")


def main():
    if ARGS.compiled:
        return main_compiled()
    X, y = runs.data(ARGS.M)
    widths = [int(w) for w in (ARGS.widths or "64,128,256,512,1024,2048,4096").split(",")]
    rows = []
    print(f"threads={ARGS.threads}  M={ARGS.M}  L={X.shape[1]}  float64  load before: {load()}", flush=True)
    for N in widths:
        net0 = m.init_net(m.draw_labels(np.random.default_rng(0), N), "diverse", 0.9)
        # same trajectory check (5 steps)
        a = net0.copy()
        torch, P, Xt, yt = torch_setup(net0, X, y)
        diff = 0.0
        for _ in range(5):
            fa = numpy_step(a, X, y)
            fb = torch_step(torch, P, Xt, yt, N).numpy()
            diff = max(diff, float(np.max(np.abs(fa - fb))))
        a = net0.copy()
        ours = timed(lambda: numpy_step(a, X, y), ARGS.min_seconds)
        torch, P, Xt, yt = torch_setup(net0, X, y)
        base = timed(lambda: torch_step(torch, P, Xt, yt, N), ARGS.min_seconds)
        rows.append((N, ours, base, base / ours, diff, load()))
        print(f"N={N:5d}  ours {ours:.3e} s/step  torch {base:.3e} s/step  torch/ours {base / ours:5.2f}  "
              f"max|dy| {diff:.1e}  load {rows[-1][-1]}", flush=True)
    print("\n| N | ours s/step | torch s/step | torch / ours | max output diff (5 steps) | load (1 min) |")
    print("|---|---|---|---|---|---|")
    for N, o, b, r, d, ld in rows:
        print(f"| {N} | {o:.3e} | {b:.3e} | {r:.2f} | {d:.0e} | {ld} |")
    slower = [r[0] for r in rows if r[3] < 1.0]
    print(f"\nload after: {load()}; " + ("ours slower than torch at N = " + str(slower) if slower
                                        else "ours not slower than torch at any N"))


if __name__ == "__main__":
    main()
