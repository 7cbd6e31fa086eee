"""Per-point tables of a rate from the raw measurements, and the raw data files.

The per-point statistic and its standard error are recomputed here with the same
functions the fit uses (``claimcheck.stats.fit``), so the plotted error bars are the
noise the fit was told about.
"""
from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from ..stats.fit import jackknife_log_cov, jackknife_se, reduce
from ..stats.pointci import sample_summary
from ..stats.results import ClaimResult, Measurement, RateResult, RunResult


@dataclass
class PointStat:
    x: float
    group: str                # other axes' values, e.g. "d=2" ("" when the grid has one axis)
    values: np.ndarray        # per-replicate metric values (finite)
    stat: float               # the statistic the rate bounds
    lo: float                 # (1 - level) interval of the statistic
    hi: float
    in_fit: bool              # used by the fit (False: outside fit_last)


def parse_point(key: str) -> dict:
    try:
        return json.loads(key)
    except (TypeError, ValueError):
        return {}


def rate_points(measurements: list[Measurement], rate: RateResult, level: float = 0.05) -> list[PointStat]:
    """One PointStat per grid point that has values of the rate's metric, sorted by group, x."""
    metric, axis, statistic = rate.metric, rate.axis, rate.statistic
    per: dict[str, list[float]] = {}
    for m in measurements:
        v = m.metrics[metric] if m.status == "ok" and m.metrics and metric in m.metrics else None
        if isinstance(v, (int, float)) and math.isfinite(v):
            per.setdefault(m.point, []).append(float(v))
    used = judged_x(rate)
    q = float(stats.norm.ppf(1 - level / 2))
    out = []
    for key, vals in per.items():
        p = parse_point(key)
        if axis not in p or len(vals) < 3:
            continue
        x = float(p[axis])
        group = ";".join(f"{k}={p[k]}" for k in sorted(p) if k != axis)
        arr = np.asarray(vals)
        s = reduce(arr, statistic)
        whole = sample_summary(rate.spec, arr, statistic, level)   # a statistic of the whole sample (law)
        if whole is not None:
            s, lo, hi = whole
        elif not rate.spec.axes.logy:  # drawn on a linear axis: a symmetric CI
            se = jackknife_se(arr, statistic)
            lo, hi = s - q * se, s + q * se
        elif s > 0:
            with np.errstate(all="ignore"):
                _, cov = jackknife_log_cov(arr[None, :], statistic, paired=False)
            lse = float(np.sqrt(max(cov[0, 0], 0.0))) if np.isfinite(cov[0, 0]) else 0.0
            lo, hi = s * math.exp(-q * lse), s * math.exp(q * lse)
        else:
            lo = hi = s
        in_fit = x in used
        out.append(PointStat(x, group, arr, float(s), float(lo), float(hi), in_fit))
    out.sort(key=lambda p: (p.group, p.x))
    return out


def judged_x(rate: RateResult) -> set[float]:
    """The axis values the verdict rested on: a fitted kind's ``fit.x`` (the axis value of
    every fitted point; no fit when too few points, noise floor, error); a kind without a
    fit (limit) reads ``limit.x``, the scales whose statistic was estimated. A converges
    rate also has a ``limit``, its value test, which has no ``x``.
    """
    if rate.spec.fits_power_law:
        return set(rate.fit.x) if rate.fit and rate.fit.x else set()
    return set(rate.limit.x) if rate.limit and rate.limit.x else set()


def measurements_csv(doc: ClaimResult) -> str:
    """Every replicate of the claim and its mutants: variant ("" = the claim itself),
    grid axes, replicate, status, metrics, seconds, error."""
    variants = [("", doc.measurements)] + [(m.name, m.measurements) for m in doc.mutants]
    axes = list(doc.grid)
    metrics = list(dict.fromkeys(k for _, rows in variants for r in rows for k in (r.metrics or {})))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["variant", *axes, "replicate", "status", *metrics, "seconds", "error"])
    for name, rows in variants:
        for r in rows:
            p = parse_point(r.point)
            ms = r.metrics or {}
            w.writerow([name, *(p[a] if a in p else "" for a in axes), r.replicate, r.status,
                        *(csv_cell(ms[k] if k in ms else None) for k in metrics), csv_cell(r.seconds), r.error or ""])
    return buf.getvalue()


def csv_cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, (int, str)):
        return str(v)
    return json.dumps(v)


def fits_json(doc: ClaimResult, run: RunResult) -> str:
    """The claim's result without raw measurements (those are in the CSV), plus run context."""
    d = doc.to_json(measurements=False)
    d["run"] = {k: getattr(run, k) for k in ("run_id", "profile", "master_seed", "level", "family_wise")}
    d["provenance"] = run.provenance
    return json.dumps(d, indent=1, default=str)


def durations(measurements: list[Measurement], axes: list[str]) -> list[dict]:
    """Per grid point: replicates ok / failed, total and mean seconds per replicate."""
    per: dict[str, dict] = {}
    for m in measurements:
        d = per.setdefault(m.point, {"ok": 0, "failed": 0, "seconds": 0.0})
        d["ok" if m.status == "ok" else "failed"] += 1
        d["seconds"] += float(m.seconds or 0.0)
    rows = []
    for key, d in per.items():
        p = parse_point(key)
        n = d["ok"] + d["failed"]
        rows.append({"point": ", ".join(f"{a}={p[a]}" for a in axes if a in p) or key,
                     "sort": [p[a] if a in p else None for a in axes],
                     **d, "per_rep": d["seconds"] / n if n else 0.0})
    try:
        rows.sort(key=lambda r: r["sort"])
    except TypeError:
        pass
    return rows
