"""`claimcheck run --until-decided --budget` through the real command line (issue 21).

Two measurements:

``planted`` (default): the issue's user claim, ``replicates=8`` on 4 points (N = 64..4096, ratio 4)
of a true N^-1/2 and of a false N^-0.3 (claimed -1/2 +- 0.1), half-normal noise (``--noise
lognormal`` for lognormal sd 0.5), each run on its own through ``claimcheck.commands.cli.main``
with ``--until-decided --budget BUDGET`` over many master seeds (``--workers`` runs at once, one
process each): verdicts, replicates used, the stored compute seconds against the budget, and the
wall time per run.

``halved``: the shipped claims handed to one run at half their quick replicates (the replicate
count is not hashed, so claim versions are unchanged), ``--until-decided --budget 20m``: which
claims are decided within one shared budget, now split cheapest first (``BudgetSplit``).

    python benchmarks/until_decided_cli.py planted --seeds 200 --budget 2m --workers 2
    python benchmarks/until_decided_cli.py halved --budget 20m --jobs 2
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import sqlite3
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

CLAIMS = textwrap.dedent('''
    import numpy as np
    from claimcheck import Claim, Mutant, Rate

    NOISE = "{noise}"

    def _sim(exponent):
        def simulate(point, rng):
            n = point["N"]
            e = abs(rng.standard_normal()) if NOISE == "half-normal" else rng.lognormal(0.0, 0.5)
            return {{"err": float(n ** exponent * e)}}
        return simulate

    def _claim(cid, exponent):
        return Claim(id=cid, paper="planted", title=f"planted N^{{exponent}}", statement="planted law",
                     source="reconstructed", grids={{"quick": {{"N": [64, 256, 1024, 4096]}}}},
                     replicates={{"quick": 8}},
                     rates=[Rate(metric="err", axis="N", kind="tight", predicted=-0.5, tolerance=0.1)],
                     simulate=_sim(exponent), mutants=[Mutant("flat", _sim(0.0), "no decay")])

    true_rate = _claim("planted.true", -0.5)
    false_rate = _claim("planted.false", -0.3)
''')


def _cli(argv):
    from claimcheck.commands.cli import main

    out, err = io.StringIO(), io.StringIO()
    t = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(list(argv))
    return rc, out.getvalue(), err.getvalue(), time.perf_counter() - t


def _stored_seconds(store: Path) -> float:
    with sqlite3.connect(store) as db:
        cols = [r[1] for r in db.execute("PRAGMA table_info(measurements)")]
        col = next(c for c in ("seconds", "elapsed", "duration", "compute_seconds") if c in cols)
        return float(db.execute(f"SELECT COALESCE(SUM({col}), 0) FROM measurements").fetchone()[0])


def _one_seed(folder: str, cid: str, s: int, tmp: str) -> tuple:
    """One user's run: a fresh store, the real command line, what it decided and spent."""
    store, out = Path(tmp) / f"{cid}-{s}.sqlite", Path(tmp) / f"{cid}-{s}"
    _, _, _, wall = _cli(["run", cid, "--claims-dir", folder, "--seed", str(s), "--jobs", "1",
                          "--no-progress", "--no-html", "--store", str(store), "--out", str(out),
                          "--until-decided", "--budget", BUDGET[0]])
    claim = json.loads((out / "results.json").read_text())["claims"][0]
    looks = (claim.get("sequential") or {}).get("rates", [{}])[0].get("looks", [])
    return claim["verdict"], (looks[-1]["replicates"] if looks else None), wall, _stored_seconds(store)


BUDGET = ["2m"]


def _init(budget: str) -> None:
    BUDGET[0] = budget


def planted(seeds: int, budget: str, noise: str = "half-normal", workers: int = 1) -> dict:
    from concurrent.futures import ProcessPoolExecutor

    from claimcheck.commands.options import parse_duration

    limit = parse_duration(budget)
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "claims"
        folder.mkdir()
        (folder / "planted_rates.py").write_text(CLAIMS.format(noise=noise))
        with ProcessPoolExecutor(workers, initializer=_init, initargs=(budget,)) as pool:
            for cid in ("planted.true", "planted.false"):
                got = list(pool.map(_one_seed, [str(folder)] * seeds, [cid] * seeds, range(seeds), [tmp] * seeds))
                verdicts, reps, walls, spent = (list(x) for x in zip(*got))
                used = [r for r in reps if r is not None]
                rows[cid] = {"noise": noise, "seeds": seeds,
                             **{v: verdicts.count(v) for v in ("pass", "fail", "inconclusive", "error")},
                             "replicates_mean": statistics.fmean(used) if used else None,
                             "replicates_median": statistics.median(used) if used else None,
                             "replicates_max": max(used) if used else None,
                             "stored_seconds_mean": statistics.fmean(spent), "stored_seconds_max": max(spent),
                             "within_budget": sum(x <= limit for x in spent),
                             "wall_mean": statistics.fmean(walls), "wall_max": max(walls)}
                print(cid, json.dumps(rows[cid]), flush=True)
    return rows


def halved(budget: str, jobs: int) -> int:
    import claimcheck.commands.runner as runner

    real = runner.discover

    def discover(*args, **kw):
        claims, errors = real(*args, **kw)
        for c in claims:
            reps = c.replicates if isinstance(c.replicates, dict) else {"quick": c.replicates}
            c.replicates = {**reps, "quick": max(2, c.n_replicates("quick") // 2)}
        return claims, errors

    runner.discover = discover
    with tempfile.TemporaryDirectory() as tmp:
        rc, out, err, wall = _cli(["run", "--profile", "quick", "--until-decided", "--budget", budget,
                                   "--jobs", str(jobs), "--no-progress", "--store", f"{tmp}/s.sqlite",
                                   "--out", f"{tmp}/out"])
        print(out)
        print(err[-2000:], file=sys.stderr)
        print(f"wall {wall:.0f} s, exit {rc}, stored compute {_stored_seconds(Path(tmp) / 's.sqlite'):.0f} s")
    return rc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=["planted", "halved"])
    ap.add_argument("--seeds", type=int, default=100)
    ap.add_argument("--budget", default=None)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--noise", choices=["half-normal", "lognormal"], default="half-normal")
    ap.add_argument("--workers", type=int, default=1, help="planted: runs at once, one process each")
    a = ap.parse_args()
    if a.what == "planted":
        planted(a.seeds, a.budget or "2m", a.noise, a.workers)
    else:
        halved(a.budget or "20m", a.jobs)


if __name__ == "__main__":
    main()
