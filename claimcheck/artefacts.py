"""A claim's own figures and data (e.g. a paper's figures reproduced).

A claim may define ``artefacts(ctx)``; it writes files into ``ctx.outdir`` (SVG/PNG
plots, CSV/JSON data) and the report shows them. Figure data should come from the
stored measurements (``ctx.table``), so artefacts cost no new simulation and obey the
same seeds; a claim that needs extra simulation draws from ``ctx.rng(name)``.
"""
from __future__ import annotations

import json
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .claim import Claim
from .engine.seeding import rng_for
from .stats.results import ClaimResult, pivot


@dataclass
class ArtefactContext:
    claim: Claim
    result: ClaimResult   # the claim's result (verdicts, measurements), read only
    profile: str
    master_seed: int
    outdir: Path

    def rng(self, name: str) -> np.random.Generator:
        return rng_for(self.claim.id + "#artefact", {"name": name}, 0, self.master_seed)

    def points(self) -> list[dict]:
        return [json.loads(k) for k in dict.fromkeys(m.point for m in self.result.measurements)]

    def table(self, metric: str, variant: str = "") -> tuple[list[dict], np.ndarray]:
        """(points, points x replicates array) of a stored metric."""
        rows = self.result.measurements if not variant else next(
            m.measurements for m in self.result.mutants if m.name == variant)
        keys, arr = pivot(rows, metric)
        return [json.loads(k) for k in keys], arr

    def save_figure(self, fig, name: str) -> Path:
        """Write ``name.svg`` (what the report shows) and release the figure."""
        import matplotlib.pyplot as plt

        path = Path(self.outdir) / f"{name}.svg"
        fig.savefig(path)
        plt.close(fig)
        return path

    def save_csv(self, name: str, rows: list[dict]) -> Path:
        """Write the figure's data as ``name.csv`` (one row per dict), for re-plotting offline."""
        import csv

        path = Path(self.outdir) / f"{name}.csv"
        with open(path, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        return path


def make_artefacts(claim: Claim, result: ClaimResult, opts) -> tuple[list[str], str | None]:
    """Run the claim's figure code on its (read-only) result: (the files written, relative
    to ``opts.out``; a broken figure's error or None). Without figure code: ([], None)."""
    if claim.artefacts is None:
        return [], None
    outdir = Path(opts.out) / "artefacts" / claim.id
    outdir.mkdir(parents=True, exist_ok=True)
    ctx = ArtefactContext(claim, result, opts.profile, opts.seed, outdir)
    error = None
    try:
        import matplotlib

        matplotlib.use("Agg")
        claim.artefacts(ctx)
    except Exception as exc:  # noqa: BLE001 - a broken figure must not cost the verdicts
        tb = traceback.extract_tb(exc.__traceback__)
        error = f"{type(exc).__name__}: {exc}" + (f" (line {tb[-1].lineno})" if tb else "")
    return sorted(str(p.relative_to(opts.out)) for p in outdir.rglob("*") if p.is_file()), error
