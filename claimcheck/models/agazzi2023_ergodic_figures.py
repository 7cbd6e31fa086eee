"""Figure of `agazzi2023.ergodic-sampling` from stored measurements (its ``artefacts`` hook)."""
from __future__ import annotations

from .agazzi2023_runs import loglog_figure


def ergodic_sampling(ctx):
    """|empirical risk over one trajectory - population risk| against the length n, per input."""
    for name in ("rotation", "sturmian"):
        series = [(f"{name}", "", "risk_gap"), (f"mutant iid-phases ({name})", "iid-phases", "risk_gap"),
                  (f"mutant rational-rotation ({name})", "rational-rotation", "risk_gap")]
        _grouped(ctx, series, name)


def _grouped(ctx, series, name):
    """loglog_figure restricted to one input (the stored table mixes both groups); no figure
    for an input the run's grid does not hold (an empty plot is not an output)."""
    pts, _ = ctx.table("risk_gap", "")
    if not any(p.get("input") == name for p in pts):
        return
    class _One:
        outdir = ctx.outdir

        def table(self, metric, variant=""):
            pts, tab = ctx.table(metric, variant)
            keep = [i for i, p in enumerate(pts) if p.get("input") == name]
            return [pts[i] for i in keep], [tab[i] for i in keep]

        def save_figure(self, fig, fname):
            ctx.save_figure(fig, fname)

    loglog_figure(_One(), series, "n", -1.0, f"risk_gap_vs_n_{name}", "trajectory length n",
                  "|R_n - R| (mean over replicates)", f"ergodic sampling, {name} input (+-2 se)")
