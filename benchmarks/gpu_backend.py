"""Benchmark: the torch backend (issue 24, item 2) against the numpy reference and the
compiled (numba) kernels, for the two simulators where the profiles' time goes.

    .venv/bin/pip install -e '.[gpu]'
    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/gpu_backend.py            # every device found
    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/gpu_backend.py --lazy-full  # + lazy-parameters' full
                                                                                 #   training load on cuda

What is timed (wall time of the call, after one warm-up call that pays JIT / CUDA start):
- the trained Lam step (``lam2023.train`` with move tracking, T = 1 truncated to ``--steps``
  steps): ns per unit-step = wall / (paths x N x steps), at the shapes of lazy-parameters'
  full grid;
- full-batch GD of the Agazzi RNN (``agazzi2023.train``): us per step of a stack of R nets
  (A6's stacks at small N, A4's single net at N = 1024);
- with ``--lazy-full`` on a GPU: the whole training load of lazy-parameters at the full
  profile (N = 64..16384, 512 paths, N T steps each), the figure issue 24 asks for
  (<= 1 min on a GPU; ~1100 CPU s compiled).

Each row also checks that the device's result agrees with the float64 numpy reference
(max relative difference of the trained readout C, resp. the final loss). Where no GPU is
found the script says so and times the CPU paths only. The figures go in
benchmarks/README.md with the device and the date.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from claimcheck.models import agazzi2023 as m  # noqa: E402
from claimcheck.models import agazzi2023_runs as runs  # noqa: E402
from claimcheck.models import lam2023 as L  # noqa: E402
from claimcheck.models.lam2023_runs import trained_setup  # noqa: E402

LAM_CFG = dict(beta=0.75, gamma=0.1, alpha=4.0, T=1.0)
LAM_SHAPES = [(64, 4096), (512, 4096), (64, 16384)]
AGAZZI_SHAPES = [(2, 12, 0.05, (0.25, 0.5, 0.9) * 4), (8, 12, 0.05, (0.25, 0.5, 0.9) * 4),
                 (32, 12, 0.05, (0.25, 0.5, 0.9) * 4), (128, 30, 0.05, (0.25, 0.5, 0.9) * 10),
                 (1024, 1, 0.5, None)]


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def _sync(device):
    if device.startswith("cuda"):
        import torch
        torch.cuda.synchronize()


def devices() -> list[str]:
    try:
        import torch
    except ImportError:
        print("torch is not installed (pip install -e '.[gpu]'): numpy and numba only")
        return []
    torch.set_num_threads(1)     # one core per process, as the engine runs numpy and numba
    found = ["cpu"]
    if torch.cuda.is_available():
        found.append("cuda")
        print(f"GPU: {torch.cuda.get_device_name(0)}")
    else:
        print("no GPU: torch.cuda.is_available() is False; the torch rows are its CPU device")
    return found


def lam_rows(steps: int, torch_devices: list[str]) -> list[dict]:
    cfg = L.TrainConfig(**LAM_CFG)
    rows = []
    for paths, n in LAM_SHAPES:
        Z, W, B, C = trained_setup([np.random.default_rng([24, p]) for p in range(paths)], n, cfg)
        ref = None
        backends = [("numpy", None), ("numba", None)] + [("torch", d) for d in torch_devices]
        for backend, device in backends:
            if backend == "numpy" and paths * n > 64 * 4096:
                continue            # the reference at the largest shapes costs minutes
            if backend == "torch":
                def call(d=device):
                    out = L.train(Z, W, B.copy(), C, cfg, steps=steps, backend="torch", torch_device=d)
                    _sync(d)
                    return out
            else:
                def call(b=backend):
                    return L.train(Z, W, B.copy(), C, cfg, steps=steps, backend=b)
            L.train(Z[:1], W[:1], B[:1].copy(), C[:1], cfg, steps=2, backend="numba")   # JIT warm
            if backend == "torch":
                L.train(Z[:1], W[:1], B[:1].copy(), C[:1], cfg, steps=2, backend="torch", torch_device=device)
            run, wall = _timed(call)
            if ref is None:
                ref = run.C
            rel = float(np.max(np.abs(run.C - ref)) / np.max(np.abs(ref)))
            rows.append({"model": "lam2023 trained", "paths": paths, "N": n, "steps": steps,
                         "backend": backend if device is None else f"torch-{device}", "wall_s": round(wall, 3),
                         "ns_per_unit_step": round(1e9 * wall / (paths * n * steps), 3),
                         "max_rel_diff_C": rel})
            print(rows[-1], flush=True)
    return rows


def agazzi_rows(steps: int, torch_devices: list[str]) -> list[dict]:
    X, y = runs.data(32)
    rows = []
    for N, R, eps, bounds in AGAZZI_SHAPES:
        nets = [m.init_net(m.draw_labels(np.random.default_rng(r), N), "diverse", 0.9) for r in range(R)]
        net = m.stack(nets) if R > 1 else nets[0]
        cfg = m.Config(bound=bounds)
        ref = None
        backends = [("numpy", None)] + ([("numba", None)] if N <= 128 else []) + [("torch", d) for d in torch_devices]
        for backend, device in backends:
            if backend == "torch":
                m.train(net, X, y, eps, 2, cfg, torch_device=device)

                def call(d=device):
                    out = m.train(net, X, y, eps, steps, cfg, torch_device=d)
                    _sync(d)
                    return out
            else:
                compiled = backend == "numba"
                m.train(net, X, y, eps, 2, cfg, record=[], compiled=compiled)
                call = lambda c=compiled: m.train(net, X, y, eps, steps, cfg, record=[], compiled=c)  # noqa: E731
            tr, wall = _timed(call)
            last = np.asarray(tr.loss[-1], float)
            if ref is None:
                ref = last
            rows.append({"model": "agazzi2023 GD", "N": N, "stack": R, "steps": steps,
                         "backend": backend if device is None else f"torch-{device}", "wall_s": round(wall, 3),
                         "us_per_step": round(1e6 * wall / steps, 1),
                         "max_rel_diff_loss": float(np.max(np.abs(last - ref) / np.abs(ref)))})
            print(rows[-1], flush=True)
    return rows


def lazy_full_on(device: str) -> dict:
    """lazy-parameters' full training load: every N of its full grid, 512 paths, N T steps."""
    cfg = L.TrainConfig(**LAM_CFG)
    total = 0.0
    per_n = {}
    for n in (64, 256, 1024, 4096, 16384):
        Z, W, B, C = trained_setup([np.random.default_rng([25, p]) for p in range(512)], n, cfg)
        t0 = time.perf_counter()
        L.train(Z, W, B, C, cfg, backend="torch", torch_device=device)
        _sync(device)
        per_n[n] = round(time.perf_counter() - t0, 2)
        total += per_n[n]
        print(f"lazy-parameters full, N = {n}: {per_n[n]} s on {device}", flush=True)
    return {"device": device, "per_N_s": per_n, "total_s": round(total, 2)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lam-steps", type=int, default=64, help="trained Lam steps per timing (default 64)")
    ap.add_argument("--agazzi-steps", type=int, default=100, help="Agazzi GD steps per timing (default 100)")
    ap.add_argument("--lazy-full", action="store_true", help="also time lazy-parameters' full load on cuda")
    ap.add_argument("--out", type=Path, help="write the rows as JSON here")
    args = ap.parse_args()
    found = devices()
    doc = {"machine": platform.platform(), "processor": platform.processor(), "cpu_count": os.cpu_count(),
           "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
           "lam": lam_rows(args.lam_steps, found), "agazzi": agazzi_rows(args.agazzi_steps, found)}
    if args.lazy_full:
        doc["lazy_full"] = lazy_full_on("cuda") if "cuda" in found else "no GPU found: not run"
    if args.out:
        args.out.write_text(json.dumps(doc, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
