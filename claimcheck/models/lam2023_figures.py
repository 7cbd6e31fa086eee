"""Figures of the Lam-Sirignano-Spiliopoulos claims (the paper's Figures 1-2 and 4-5), from
stored measurements (their ``artefacts`` hooks; see claimcheck.artefacts). Kept out of the
claim files so that a claim reads like its theorem; file names and CSV columns are what the
tests and the report read."""
from __future__ import annotations

import numpy as np


def units_pooled(ctx, *, tgrid, steps):
    """Lam R3, Figures 1 and 4: per-path (grey) and pooled (red) ECDFs of the units at step k, and
    the pooled ECDFs of every N with their difference from the largest N (convergence)."""
    import matplotlib.pyplot as plt

    Ns = sorted({p["N"] for p in ctx.points()})
    rows, pooled_by_n = [], {}
    fig, axes = plt.subplots(2, len(Ns), figsize=(3.0 * len(Ns), 6.2), squeeze=False)
    cmap = plt.get_cmap("viridis")
    for j, n in enumerate(Ns):
        pooled, paths = [], []
        for g in range(1, len(tgrid) + 1):
            pts, tab = ctx.table(f"ecdf_pool_t{g:02d}")
            i = [q for q, pt in enumerate(pts) if pt["N"] == n][0]
            pooled.append(np.nanmean(tab[i]))
            pts, tab = ctx.table(f"ecdf_path_t{g:02d}")
            i = [q for q, pt in enumerate(pts) if pt["N"] == n][0]
            paths.append(tab[i])
        paths = np.array(paths)              # grid x replicates
        pooled_by_n[n] = np.array(pooled)
        ax = axes[0, j]
        ax.plot(tgrid, paths, color="0.75", lw=0.5)
        ax.plot(tgrid, pooled, color="red", lw=1.4)
        ax.set_title(f"N={n}", fontsize=9)
        ax.set_xlim(0.2, 0.95)
        ax.set_xlabel("unit value s", fontsize=8)
        for g, t in enumerate(tgrid):
            rows.append({"N": n, "t": float(t), "ecdf_pooled": float(pooled[g]),
                         "ecdf_path_min": float(np.nanmin(paths[g])), "ecdf_path_max": float(np.nanmax(paths[g])),
                         "paths": int(np.isfinite(paths[g]).sum())})
    axes[0, 0].set_ylabel("ECDF (grey: one path per replicate; red: pooled)", fontsize=8)
    ref = pooled_by_n[Ns[-1]]
    ax = axes[1, 0]
    for j, n in enumerate(Ns):
        ax.plot(tgrid, pooled_by_n[n], color=cmap(j / max(len(Ns) - 1, 1)), label=f"N={n}")
    ax.set_title("pooled ECDFs, all N (Fig. 1)", fontsize=9)
    ax.set_xlim(0.2, 0.95)
    ax.legend(fontsize=7)
    ax = axes[1, 1]
    for j, n in enumerate(Ns[:-1]):
        ax.plot(tgrid, pooled_by_n[n] - ref, color=cmap(j / max(len(Ns) - 1, 1)), label=f"N={n}")
    ax.axhline(0, color="k", lw=0.5)
    ax.set_title(f"pooled ECDF minus pooled ECDF at N={Ns[-1]}", fontsize=9)
    ax.set_xlim(0.2, 0.95)
    ax.legend(fontsize=7)
    for ax in axes[1, 2:]:
        ax.axis("off")
    k = steps.get(ctx.profile, steps["quick"])
    fig.suptitle(f"Memory units at step k={k} ({ctx.profile} profile). ECDFs at 61 fixed points instead of "
                 "kernel density estimates:\na KDE bandwidth would have to change with the sample size and would "
                 "blur the N-dependence; the ECDF needs no tuning and is what W1 integrates.", fontsize=8)
    fig.tight_layout()
    ctx.save_figure(fig, "fig1_4_units_ecdf")
    ctx.save_csv("fig1_4_units_ecdf", rows)


def time_averages(ctx, *, checkpoints, mu):
    """Lam R4, Figures 2 and 5: time averages against T for each N (mean over paths, min/max
    band); ``checkpoints(T)``: the stored steps, ``mu()``: the limit moments.

    ``convention="paper"`` (default) is the authors' (1/k) sum_{m=0..k}: the red curve starts
    near 0.574 at k = 100 and settles to mu_1 = 0.569; the companion figure
    ``..._mean`` uses (1/k) sum_{m=1..k}, flat at 0.569. A path = one replicate (its own W, B
    and data path), so the band is over as many paths as replicates (100 at the full profile)."""
    _time_averages(ctx, "paper", checkpoints, mu)
    _time_averages(ctx, "mean", checkpoints, mu)


def _time_averages(ctx, convention: str, checkpoints, mu):
    import matplotlib.pyplot as plt

    key = "tavgpaper" if convention == "paper" else "tavg"
    name = "fig2_5_time_averages" + ("" if convention == "paper" else "_mean")
    points = ctx.points()
    Tmax = max(p["T"] for p in points)
    Ns = sorted({p["N"] for p in points})
    cps = checkpoints(Tmax)
    rows = []
    fig, axes = plt.subplots(2, len(Ns), figsize=(3.2 * len(Ns), 5.5), sharex=True, squeeze=False)
    for p in (1, 2):
        for j, n in enumerate(Ns):
            curves = []
            for c in cps:
                pts, tab = ctx.table(f"{key}{p}_k{c}")
                i = [q for q, pt in enumerate(pts) if pt["N"] == n and pt["T"] == Tmax]
                vals = tab[i[0]] if i else np.array([np.nan])
                vals = vals[np.isfinite(vals)]
                if vals.size == 0:
                    continue
                curves.append((c, vals.mean(), vals.min(), vals.max(), vals.size))
                rows.append({"p": p, "N": n, "k": c, "mean": vals.mean(), "min": vals.min(), "max": vals.max(),
                             "paths": int(vals.size)})
            k, mean, lo, hi, _ = map(np.array, zip(*curves))
            ax = axes[p - 1, j]
            ax.fill_between(k, lo, hi, color="0.8", label="min/max over paths")
            ax.plot(k, mean, color="red", label="mean over paths")
            ax.axhline(mu()[p - 1], color="k", lw=0.6, ls=":", label=r"$\mu_p$ (limit)")
            ax.set_xscale("log")
            ax.set_title(f"N={n}, p={p}", fontsize=9)
            if j == 0:
                ax.set_ylabel(f"timeAvg (p={p})")
            if p == 2:
                ax.set_xlabel("steps k")
    axes[0, 0].legend(fontsize=7)
    rule = r"$\frac{1}{k}\sum_{m=0}^{k}$ (paper)" if convention == "paper" else r"$\frac{1}{k}\sum_{m=1}^{k}$"
    fig.suptitle(f"Time-averaged moments of the untrained memory units, {rule} ({ctx.profile} profile; "
                 f"paths = replicates, each its own W, B and data path)", fontsize=9)
    fig.tight_layout()
    ctx.save_figure(fig, name)
    ctx.save_csv(name, rows)
