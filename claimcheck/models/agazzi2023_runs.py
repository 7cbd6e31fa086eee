"""Shared experiment pieces for the Agazzi-Lu-Mukherjee claims (no verdict logic).

One replicate = one draw of labels (and, for i.i.d. recurrent weights, one nested
W stream). Everything random comes from the replicate's generator through
:func:`streams`, so that, with common random numbers, replicate r has the same
labels at every width N: the width-N net is the first N units of the reference.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import agazzi2023 as m

L_WINDOW = 3          # y = x_t x_{t-2} needs the window (x_{t-2}, x_{t-1}, x_t)


@dataclass
class Streams:
    """Independent child generators of one replicate (spawned in a fixed order)."""

    labels: np.random.Generator
    weights: np.random.Generator     # i.i.d. recurrent weights (nested, shell order)
    batches: np.random.Generator     # SGD minibatches (mutants only)
    fresh: np.random.Generator       # labels NOT shared with the reference (mutants only)


def streams(rng: np.random.Generator) -> Streams:
    kids = rng.spawn(4)
    return Streams(*kids)


def data(M: int = 32, input_name: str = "rotation", target_name: str = "prod02",
         L: int = L_WINDOW, offset: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """(X, y) on the phase grid: population expectations are grid averages."""
    X = m.INPUTS[input_name](M, L, offset=offset)
    return X, m.target(X, target_name)


def zero_risk(y: np.ndarray) -> float:
    """Risk of the zero predictor, 1/2 E[y^2]: the scale relative losses are quoted in."""
    return 0.5 * float(np.mean(y * y))


def labels_for(st: Streams, n: int, shared: bool = True) -> np.ndarray:
    """The first n label rows of this replicate (a fresh generator on the label stream's
    seed each call, so widths n and N_ref read the same rows). shared=False reads an
    independent stream instead: labels *not* nested with the reference (a mutant)."""
    gen = st.labels if shared else st.fresh
    return m.draw_labels(np.random.default_rng(gen.bit_generator.seed_seq), n)


# -- figures from stored measurements (used by the claims' artefacts hooks) ------------------

def stat_by_axis(ctx, metric: str, axis: str, variant: str = "", group: dict | None = None):
    """(axis values, mean, standard error) of a stored metric, optionally for one group
    of the other axes."""
    pts, tab = ctx.table(metric, variant)
    rows = [(p[axis], row) for p, row in zip(pts, tab)
            if all(p.get(k) == v for k, v in (group or {}).items())]
    rows.sort(key=lambda r: r[0])
    x = np.array([float(r[0]) for r in rows])
    vals = [r[1][np.isfinite(r[1])] for r in rows]
    mean = np.array([v.mean() for v in vals])
    se = np.array([v.std(ddof=1) / np.sqrt(v.size) if v.size > 1 else 0.0 for v in vals])
    return x, mean, se


def loglog_figure(ctx, series, axis: str, slope: float, fname: str, xlabel: str, ylabel: str, title: str):
    """Log-log plot of (label, variant, metric) series with a guide of the given slope;
    writes <fname>.svg and <fname>.csv (axis, label, mean, se) into ctx.outdir."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.2, 3.8))
    lines = ["series,variant,metric," + axis + ",mean,se"]
    anchor = None
    for label, variant, metric in series:
        try:
            x, mu, se = stat_by_axis(ctx, metric, axis, variant)
        except StopIteration:  # mutant not run
            continue
        if x.size == 0:
            continue
        ax.errorbar(x, mu, yerr=2 * se, marker="o", ms=3, capsize=2, label=label)
        lines += [f"{label},{variant},{metric},{a:g},{b:.6g},{c:.3g}" for a, b, c in zip(x, mu, se)]
        if anchor is None:
            anchor = (x, mu)
    if anchor is not None:
        x, mu = anchor
        ax.plot(x, mu[0] * (x / x[0]) ** slope, "k--", lw=1, label=f"slope {slope:+g}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    ctx.save_figure(fig, fname)
    (ctx.outdir / f"{fname}.csv").write_text("\n".join(lines) + "\n")
