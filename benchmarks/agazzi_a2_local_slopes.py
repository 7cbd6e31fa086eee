"""A2 (agazzi2023.training-coupling): is the parameter error's N^-0.43 pre-asymptotic?
(issue 22). Local slopes of each coupling error in N, at two horizons T, from the claim's
own replicate function (each width N against the 2N net on the same labels, x sqrt(2)).

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/agazzi_a2_local_slopes.py \
        --widths 32 64 128 256 512 1024 --T 15 60 --replicates 8 --out a2.json

Reported per (T, metric): the mean error per width over replicates, the local slope
between neighbouring widths (log ratio of means / log 2) with a bootstrap se over
replicates (paired: the widths of one replicate share labels), and the pooled slope.
If the local slopes of param_err drift towards -1/2 as N grows, -0.43 is pre-asymptotic;
if they are flat near -0.43, the exponent is the error's own (within the stated
sqrt(log N) allowance or not). Costs: one replicate at T = 60 is ~2 CPU s up to N = 256,
~9 s at N = 512, ~36 s at N = 1024 (4 blocks of N and 2N nets per width); linear in T.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from claimcheck.models import agazzi2023 as m  # noqa: E402
from claimcheck.models import agazzi2023_runs as runs  # noqa: E402

METRICS = ("param_err", "out_err", "loss_err")


def _claim_module():
    spec = importlib.util.spec_from_file_location("a2", ROOT / "claims" / "agazzi2023_training_coupling.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def slopes(values: np.ndarray, widths: list[int], boot: int = 2000, seed: int = 0) -> dict:
    """values (replicates, widths): local and pooled slopes of log mean vs log N, with
    paired bootstrap se over replicates."""
    rng = np.random.default_rng(seed)
    lw = np.log(np.asarray(widths, float))

    def stat(v):
        lm = np.log(v.mean(axis=0))
        local = np.diff(lm) / np.diff(lw)
        pooled = np.polyfit(lw, lm, 1)[0]
        return np.concatenate([local, [pooled]])

    est = stat(values)
    idx = rng.integers(0, values.shape[0], size=(boot, values.shape[0]))
    bs = np.array([stat(values[i]) for i in idx])
    se = bs.std(axis=0, ddof=1)
    return {"mean": values.mean(axis=0).tolist(), "local": est[:-1].tolist(), "local_se": se[:-1].tolist(),
            "pooled": float(est[-1]), "pooled_se": float(se[-1])}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--widths", type=int, nargs="+", default=[32, 64, 128, 256, 512, 1024])
    ap.add_argument("--T", type=float, nargs="+", default=[15.0, 60.0])
    ap.add_argument("--replicates", type=int, default=8)
    ap.add_argument("--seed", type=int, default=2022)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    a2 = _claim_module()
    doc = {"widths": args.widths, "replicates": args.replicates, "runs": []}
    for T in args.T:
        K = int(round(T / a2.EPS))
        vals = {k: np.empty((args.replicates, len(args.widths))) for k in METRICS + ("rel_loss_T",)}
        t0 = time.process_time()
        for r in range(args.replicates):
            st = runs.streams(np.random.default_rng([args.seed, r]))
            for j, n in enumerate(args.widths):
                res = a2._replicate(st, (n,), K, m.Config(), True)[n]
                for k in vals:
                    vals[k][r, j] = res[k]
            print(f"T = {T:g}: replicate {r + 1}/{args.replicates}, {time.process_time() - t0:.0f} CPU s", flush=True)
        run = {"T": T, "cpu_s": round(time.process_time() - t0, 1),
               "rel_loss_T": vals["rel_loss_T"].mean(axis=0).tolist()}
        for k in METRICS:
            run[k] = slopes(vals[k], args.widths)
            print(f"T = {T:g} {k}: local " + ", ".join(f"{s:+.3f}+-{e:.3f}" for s, e in
                                                          zip(run[k]["local"], run[k]["local_se"]))
                  + f"; pooled {run[k]['pooled']:+.3f}+-{run[k]['pooled_se']:.3f}", flush=True)
        doc["runs"].append(run)
        if args.out:
            args.out.write_text(json.dumps(doc, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
