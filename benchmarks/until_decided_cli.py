"""`claimcheck run --until-decided --budget` through the real command line (issue 21).

Two measurements:

``planted`` (default): two small synthetic claims, a true N^-1/2 (lognormal noise, sd 0.5) and a
false N^-0.3 (claimed -1/2 +- 0.1), each run on its own through ``claimcheck.commands.cli.main``
with ``--until-decided --budget BUDGET`` over many master seeds: verdicts, replicates used, the
stored compute seconds against the budget, and the wall time per run.

``halved``: the shipped claims handed to one run at half their quick replicates (the replicate
count is not hashed, so claim versions are unchanged), ``--until-decided --budget 20m``: which
claims are decided within one shared budget, now split cheapest first (``BudgetSplit``).

    python benchmarks/until_decided_cli.py planted --seeds 100 --budget 2m
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

    def _sim(exponent):
        def simulate(point, rng):
            n = point["N"]
            return {"err": float(n ** exponent * rng.lognormal(0.0, 0.5))}
        return simulate

    def _claim(cid, exponent):
        return Claim(id=cid, paper="planted", title=f"planted N^{exponent}", statement="planted law",
                     source="reconstructed", grids={"quick": {"N": [64, 128, 256, 512, 1024]}},
                     replicates={"quick": 8},
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


def planted(seeds: int, budget: str) -> dict:
    from claimcheck.commands.options import parse_duration

    limit = parse_duration(budget)
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "claims"
        folder.mkdir()
        (folder / "planted_rates.py").write_text(CLAIMS)
        for cid in ("planted.true", "planted.false"):
            verdicts, reps, walls, spent = [], [], [], []
            for s in range(seeds):
                store, out = Path(tmp) / f"{cid}-{s}.sqlite", Path(tmp) / f"{cid}-{s}"
                rc, _, err, wall = _cli(["run", cid, "--claims-dir", str(folder), "--seed", str(s), "--jobs", "1",
                                         "--no-progress", "--no-html", "--store", str(store), "--out", str(out),
                                         "--until-decided", "--budget", budget])
                doc = json.loads((out / "results.json").read_text())
                claim = doc["claims"][0]
                verdicts.append(claim["verdict"])
                looks = (claim.get("sequential") or {}).get("rates", [{}])[0].get("looks", [])
                reps.append(looks[-1]["replicates"] if looks else None)
                walls.append(wall)
                spent.append(_stored_seconds(store))
            used = [r for r in reps if r is not None]
            rows[cid] = {"seeds": seeds, **{v: verdicts.count(v) for v in ("pass", "fail", "inconclusive", "error")},
                         "replicates_mean": statistics.fmean(used) if used else None,
                         "replicates_median": statistics.median(used) if used else None,
                         "stored_seconds_max": max(spent), "within_budget": sum(x <= limit for x in spent),
                         "wall_mean": statistics.fmean(walls), "wall_max": max(walls)}
            print(cid, rows[cid], flush=True)
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
    a = ap.parse_args()
    if a.what == "planted":
        planted(a.seeds, a.budget or "2m")
    else:
        halved(a.budget or "20m", a.jobs)


if __name__ == "__main__":
    main()
