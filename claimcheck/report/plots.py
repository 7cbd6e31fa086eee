"""The report's plots: matplotlib (Agg, no pyplot state) to small inline SVG strings.

Text stays text in the SVG (``svg.fonttype = none``): smaller files, selectable
labels. Each figure gets its own ``svg.hashsalt`` so element ids never collide when
several plots share a page. Every plot shows at most a few hundred points.
"""
from __future__ import annotations

import functools
import io
import math
import re
from typing import Sequence

import numpy as np
from markupsafe import Markup, escape

from ..ratekinds import Law, Limit, RateKind
from ..stats.ratetext import band as bands, band_text
from .data import PointStat
from ..stats.results import RateResult

MAX_REPLICATE_DOTS = 240          # per plot
BLUE, ORANGE, GREY = "#0072B2", "#E69F00", "#8a8a8a"
FIT = "#222222"   # the fit: a colour no data series uses (Okabe-Ito without black)
GROUP_COLOURS = ["#0072B2", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442"]
LEGEND_PT = 10.5  # legible when a plot is scaled down to a 400 px screen
VERDICT_STYLE = {  # colour and marker shape: the shape carries the verdict without colour
    "pass": ("#1a7f4b", "o", "pass"), "fail": ("#c0392b", "X", "fail"),
    "inconclusive": ("#a86500", "s", "inconclusive"), "error": ("#6b3fa0", "D", "error")}


def _figure(w: float, h: float):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w, h))
    ax = fig.add_subplot()
    ax.grid(True, which="major", color="#e3e3e3", linewidth=0.6)
    ax.tick_params(labelsize=10)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig, ax


_SUPER = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _tick_text(v, _pos=None) -> str:
    """Log-axis tick label as plain text (10³, 0.02): no mathtext, so fast and selectable."""
    if v <= 0 or not math.isfinite(v):
        return ""
    e = math.floor(math.log10(v) + 1e-9)
    m = v / 10 ** e
    if abs(m - 1) < 1e-6:
        return "1" if e == 0 else "10" if e == 1 else "10" + str(e).translate(_SUPER)
    return f"{v:g}"


def _plain_tick(v, _pos=None) -> str:
    return f"{v:g}" if v > 0 and math.isfinite(v) else ""


def _log_ticks(ax, which: str) -> None:
    """Plain-text log ticks; 1-2-5 ticks when the axis spans less than two decades."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

    axis = ax.xaxis if which == "x" else ax.yaxis
    lo, hi = (ax.get_xlim() if which == "x" else ax.get_ylim())
    span = math.log10(hi / lo) if lo > 0 and hi > 0 else 3
    axis.set_major_locator(LogLocator(base=10, subs=(1.0,) if span >= 2 else (1.0, 2.0, 5.0)))
    axis.set_major_formatter(FuncFormatter(_tick_text if span >= 2 else _plain_tick))
    axis.set_minor_locator(NullLocator())


def to_svg(fig, salt: str, label: str) -> Markup:
    """SVG markup of a figure, sized by CSS (viewBox kept), with an accessible label."""
    from matplotlib import rc_context

    for ax in fig.axes:
        if ax.get_xscale() == "log":
            _log_ticks(ax, "x")
        if ax.get_yscale() == "log":
            _log_ticks(ax, "y")
    buf = io.StringIO()
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": salt}):
        fig.savefig(buf, format="svg", bbox_inches="tight", pad_inches=0.06, metadata={"Date": None})
    s = buf.getvalue()
    s = s[s.index("<svg"):]
    s = re.sub(r"<metadata>.*?</metadata>", "", s, count=1, flags=re.S)
    s = re.sub(r'<svg([^>]*?) width="[\d.]+pt" height="[\d.]+pt"',
               lambda m: f'<svg{m.group(1)} class="plot" role="img" aria-label="{escape(label)}"', s, count=1)
    s = s.replace("font-family:'DejaVu Sans'", "font-family:'DejaVu Sans',Arial,sans-serif").replace(
        "font: ", "font:")
    return Markup(s)


def _subsample(n: int, k: int) -> np.ndarray:
    """k of n indices, evenly spaced (deterministic)."""
    return np.arange(n) if n <= k else np.unique(np.linspace(0, n - 1, k).round().astype(int))


def _unit(rate: RateResult) -> str:
    u = rate.unit
    return f" [{u}]" if u else ""


def rate_plot(points: Sequence[PointStat], rate: RateResult, salt: str, level: float = 0.05) -> Markup | None:
    """Metric against the axis: replicates, statistic with CI, and what the rate's kind
    draws for the claim (:func:`annotate`: the fit with its CI band and the claim's slope
    drawn through the data, or a value band)."""
    if not points:
        return None
    kind = rate.spec
    logx, logy = kind.axes
    fig, ax = _figure(4.8, 3.4)
    ax.set_xscale("log" if logx else "linear")
    if logy:
        ax.set_yscale("log")
    groups = sorted({p.group for p in points})
    colour = {g: GROUP_COLOURS[i % len(GROUP_COLOURS)] for i, g in enumerate(groups)}
    pct = f"{100 * (1 - level):.0f}%"
    stat_name = kind.point_label(rate)
    hidden = _replicate_dots(ax, points, colour, logx, logy) if kind.draws_replicates else 0
    _statistic_bars(ax, points, groups, colour, f"{stat_name} ± {pct} CI", stat_name)
    annotate(kind, ax, rate, points, groups, pct)
    if hidden:
        ax.text(0.98, 0.97, f"{hidden} replicate value(s) ≤ 0 not shown on the log axis", transform=ax.transAxes,
                ha="right", va="top", fontsize=8, color="#555")
    ax.set_xlabel(f"{rate.axis}" + (" (log scale)" if logx else ""), fontsize=11)
    ax.set_ylabel(f"{stat_name}{_unit(rate)}" + (" (log scale)" if logy else ""), fontsize=11)
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.16), ncol=1, fontsize=LEGEND_PT, frameon=False)
    return to_svg(fig, salt, f"{rate.metric} against {rate.axis}")


def _replicate_dots(ax, points: Sequence[PointStat], colour: dict, logx: bool, logy: bool) -> int:
    """Replicate values (subsampled) with a little horizontal jitter; returns how many
    values a log y axis cannot show."""
    per_point = max(3, MAX_REPLICATE_DOTS // len(points))
    shown = total = hidden = 0
    xmin, xmax = min(p.x for p in points), max(p.x for p in points)
    for p in points:
        v = p.values
        if logy:
            hidden += int(np.sum(v <= 0))
            v = v[v > 0]
        idx = _subsample(v.size, per_point)
        total += p.values.size
        shown += idx.size
        jit = np.linspace(-1, 1, idx.size) if idx.size > 1 else np.zeros(idx.size)
        xs = p.x * np.exp(0.05 * jit) if logx else p.x + 0.012 * (xmax - xmin or 1) * jit
        ax.scatter(xs, v[idx], s=5, color=colour[p.group], alpha=0.22, linewidths=0, zorder=1)
    rep_label = f"replicates ({shown} of {total})" if shown < total else "replicates"
    ax.scatter([], [], s=9, color=GREY, alpha=0.5, label=rep_label)
    return hidden


def _statistic_bars(ax, points: Sequence[PointStat], groups: list, colour: dict, label: str, stat_name: str) -> None:
    """The statistic per point with its CI (hollow: outside the fit range)."""
    any_in_fit = any(q.in_fit for q in points)
    for g in groups:
        for in_fit in (True, False):
            sel = [p for p in points if p.group == g and p.in_fit == in_fit]
            if sel:
                lab = _bar_label(g, groups, in_fit, any_in_fit, label, stat_name)
                _error_bars(ax, sel, colour[g], in_fit, lab)


def _bar_label(g: str, groups: list, in_fit: bool, any_in_fit: bool, label: str, stat_name: str) -> str | None:
    """One legend entry per group (per fit range for a single group)."""
    if len(groups) > 1 and in_fit:
        return f"{stat_name}, {g}"
    if g != groups[0]:
        return None
    return label if in_fit or not any_in_fit else "not in the fit range"


def _error_bars(ax, sel: Sequence[PointStat], c: str, filled: bool, label: str | None) -> None:
    err = np.array([[p.stat - p.lo for p in sel], [p.hi - p.stat for p in sel]])
    ax.errorbar(np.array([p.x for p in sel]), np.array([p.stat for p in sel]), yerr=np.abs(err), fmt="o", ms=5,
                color=c, mfc=c if filled else "white", capsize=2.5, lw=1.1, zorder=4, label=label)


@functools.singledispatch
def annotate(kind: RateKind, ax, rate: RateResult, points: Sequence[PointStat], groups: list, pct: str) -> None:
    """What the main plot draws for the claim, by the kind's class (a subclass inherits
    its parent's drawing). By default the fit: its line and slope CI per group, the
    claimed slope through the centre of the data and the allowed band."""
    if not rate.fit:
        ax.text(0.02, 0.03, "no fit (see the verdict's reason)", transform=ax.transAxes, fontsize=8, color="#555")
        return
    fit_pts = [p for p in points if p.in_fit] or list(points)
    for i, g in enumerate(groups):
        gp = [p for p in fit_pts if p.group == g]
        if gp:
            _fit_lines(ax, rate, gp, len(groups) == 1, first=(i == 0), pct=pct)


@annotate.register
def _(kind: Limit, ax, rate: RateResult, points: Sequence[PointStat], groups: list, pct: str) -> None:
    """A value band: the target with its tolerance."""
    target, tol = kind.claimed(rate), rate.tolerance
    ax.axhspan(target - tol, target + tol, color=ORANGE, alpha=0.15, lw=0, label=f"allowed: {target:g} ± {tol:g}")
    ax.axhline(target, color=ORANGE, ls="--", lw=1.2, label=f"claimed limit {target:g}")


@annotate.register
def _(kind: Law, ax, rate: RateResult, points: Sequence[PointStat], groups: list, pct: str) -> None:
    """The band of a distance: 0 <= W1 <= tolerance."""
    ax.axhspan(0.0, rate.tolerance, color=ORANGE, alpha=0.15, lw=0, label=f"allowed: W1 ≤ {rate.tolerance:g}")
    ax.axhline(0.0, color=ORANGE, ls="--", lw=1.2, label="claimed limit N(0, 1) (W1 = 0)")


def _fit_lines(ax, rate: RateResult, gp: Sequence[PointStat], one_group: bool, first: bool, pct: str) -> None:
    """One group's fit line and slope-CI band (the common slope through the group's own
    centre); the first group also carries the claim's slope and band."""
    fit, kind = rate.fit, rate.spec
    logx = kind.axes.logx
    b, cl, ch = fit.slope, fit.ci_low, fit.ci_high
    u = np.array([math.log(p.x) if logx else p.x for p in gp])
    y = np.log([p.stat for p in gp])
    a = fit.intercept if one_group else float(np.mean(y - b * u))
    span = (u.max() - u.min()) or 1.0
    uu = np.linspace(u.min() - 0.04 * span, u.max() + 0.04 * span, 60)
    uc = float(u.mean())
    yc = a + b * uc
    xx = np.exp(uu) if logx else uu
    ax.plot(xx, np.exp(a + b * uu), color=FIT, lw=1.6, zorder=3,
            label=(f"fit: slope {b:+.3f} [{cl:+.3f}, {ch:+.3f}]" if first else None))
    d = uu - uc
    ax.fill_between(xx, np.exp(yc + np.minimum(cl * d, ch * d)), np.exp(yc + np.maximum(cl * d, ch * d)),
                    color=FIT, alpha=0.12, lw=0, zorder=2, label=(f"{pct} CI of the slope" if first else None))
    if first:
        _claimed_slopes(ax, rate, xx, yc, d)


def _claimed_slopes(ax, rate: RateResult, xx, yc: float, d) -> None:
    """The claimed slope (dashed) and the allowed band: shaded when two-sided, its edge
    (dotted) when one-sided."""
    kind = rate.spec
    lo_b, hi_b, pred = bands(rate)
    if pred is not None:
        ax.plot(xx, np.exp(yc + pred * d), color=ORANGE, ls="--", lw=1.5, zorder=3, label=kind.centre_label(rate, pred))
    edge = _one_edge(lo_b, hi_b)
    if edge is None:
        ax.fill_between(xx, np.exp(yc + np.minimum(lo_b * d, hi_b * d)), np.exp(yc + np.maximum(lo_b * d, hi_b * d)),
                        color=ORANGE, alpha=0.10, lw=0, zorder=1, label=f"allowed slopes {band_text(rate)}")
    elif math.isfinite(edge):
        ax.plot(xx, np.exp(yc + edge * d), color=ORANGE, ls=":", lw=1.2, zorder=3, label=kind.edge_label(edge))


def _allowed_rows(ax, rate: RateResult, alpha: float, centre_lw: float, labelled: bool) -> None:
    """The allowed band across a plot whose y axis is the measured value (shaded when
    two-sided, its edge dotted when one-sided) and the claimed value (dashed)."""
    lo_b, hi_b, pred = bands(rate)
    label = f"allowed {band_text(rate)}" if labelled else None
    edge = _one_edge(lo_b, hi_b)
    if edge is None:
        ax.axhspan(lo_b, hi_b, color=ORANGE, alpha=alpha, lw=0, label=label)
    elif math.isfinite(edge):
        ax.axhline(edge, color=ORANGE, ls=":", lw=1.2, label=label)
    if pred is not None:
        ax.axhline(pred, color=ORANGE, ls="--", lw=centre_lw, label=rate.spec.centre_word if labelled else None)


def _one_edge(lo: float, hi: float) -> float | None:
    """None for a two-sided band; else its one finite edge (inf when it has none)."""
    if math.isfinite(lo) and math.isfinite(hi):
        return None
    return hi if math.isfinite(hi) else lo if math.isfinite(lo) else math.inf


def local_slopes_plot(rate: RateResult, salt: str, level: float = 0.05) -> Markup | None:
    fit = rate.fit
    if not fit or not fit.local_slopes:
        return None
    from scipy import stats

    q = float(stats.norm.ppf(1 - level / 2))
    logx = not fit.loglinear
    fig, ax = _figure(4.2, 2.9)
    ax.set_xscale("log" if logx else "linear")
    ax.axhspan(fit.ci_low, fit.ci_high, color=FIT, alpha=0.12, lw=0, label="CI of the fitted slope")
    _allowed_rows(ax, rate, alpha=0.12, centre_lw=1.2, labelled=True)
    groups = sorted({s["group"] for s in fit.local_slopes})
    for i, g in enumerate(groups):
        ls = [s for s in fit.local_slopes if s["group"] == g]
        mid = [math.sqrt(s["from"] * s["to"]) if logx else (s["from"] + s["to"]) / 2 for s in ls]
        ax.errorbar(mid, [s["slope"] for s in ls], yerr=[q * s["se"] for s in ls], fmt="o-", ms=4, lw=1,
                    capsize=2.5, color=GROUP_COLOURS[i % len(GROUP_COLOURS)], zorder=3,
                    label=("local slope ± CI" if len(groups) == 1 else g))
    ax.set_xlabel(f"{rate.axis}, midpoint of neighbours" + (" (log scale)" if logx else ""), fontsize=11)
    what = "log(stat)" if not logx else "log(stat) / d log " + rate.axis
    ax.set_ylabel(f"local slope d {what}" if logx else f"local slope d {what} / d {rate.axis}", fontsize=11)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.24), ncol=2, fontsize=LEGEND_PT, frameon=False)
    return to_svg(fig, salt, f"local slopes of {rate.metric} between neighbouring {rate.axis}")


def residuals_plot(rate: RateResult, salt: str) -> Markup | None:
    fit = rate.fit
    if not fit or not fit.residuals:
        return None
    logx = not fit.loglinear
    fig, ax = _figure(4.2, 2.9)
    ax.set_xscale("log" if logx else "linear")
    x, r = fit.x, fit.residuals
    ax.axhspan(-2, 2, color="#dddddd", alpha=0.5, lw=0, label="±2 (expected range)")
    ax.axhline(0, color="#555", lw=0.8)
    ax.plot(x, r, "o", ms=4.5, color=BLUE, label="whitened residual")
    lim = max(3.0, max(abs(v) for v in r) * 1.15)
    ax.set_ylim(-lim, lim)
    note = f"χ²/dof = {fit.chi2:.2f}/{fit.dof}" if fit.dof else ""
    if fit.curvature:
        note += f"; curvature p = {fit.curvature['p']:.2g}"
    ax.text(0.02, 0.97, note, transform=ax.transAxes, va="top", fontsize=8.5, color="#333")
    ax.set_xlabel(f"{rate.axis}" + (" (log scale)" if logx else ""), fontsize=11)
    ax.set_ylabel("residual (noise s.d. units)", fontsize=11)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.24), ncol=2, fontsize=LEGEND_PT, frameon=False)
    return to_svg(fig, salt, f"fit residuals of {rate.metric}")


def _verdict_marker(ax, x, y, xerr, verdict, **kw):
    c, m, _ = VERDICT_STYLE[verdict]
    ax.errorbar([x], [y], xerr=xerr, fmt=m, ms=6.5, color=c, capsize=3, lw=1.3, **kw)


def forest_plot(rows: list[dict], rate: RateResult, salt: str) -> Markup | None:
    """Measured exponent (or limit value) of the claim and each mutant against the allowed band.

    rows: {label, measured, lo, hi, verdict, note}"""
    rows = [r for r in rows if r["measured"] is not None and math.isfinite(r["measured"])]
    if len(rows) < 2:
        return None
    fig, ax = _figure(5.2, 0.9 + 0.42 * len(rows))
    ax.grid(False, axis="y")
    lo_b, hi_b, pred = bands(rate)
    vals = [v for r in rows for v in (r["lo"], r["hi"], r["measured"]) if v is not None and math.isfinite(v)]
    _allowed_columns(ax, lo_b, hi_b, pred, vals)
    n = len(rows)
    for i, r in enumerate(rows):
        y = n - 1 - i
        lo = r["lo"] if r["lo"] is not None else r["measured"]
        hi = r["hi"] if r["hi"] is not None else r["measured"]
        _verdict_marker(ax, r["measured"], y, [[r["measured"] - lo], [hi - r["measured"]]], r["verdict"], zorder=3)
        ax.annotate(r["note"], (1.0, y), xycoords=("axes fraction", "data"), xytext=(6, 0),
                    textcoords="offset points", va="center", fontsize=8.5, color="#222")
    ax.set_xlim(*_forest_xlim(vals, lo_b, hi_b))
    ax.set_yticks(range(n))
    ax.set_yticklabels([r["label"] for r in rows][::-1], fontsize=11)
    ax.set_ylim(-0.6, n - 0.4)
    ax.set_xlabel(rate.spec.axis_title(rate) + " (shaded: allowed by the claim)", fontsize=11)
    return to_svg(fig, salt, f"measured {rate.metric} exponent of the claim and its mutants")


def _allowed_columns(ax, lo_b: float, hi_b: float, pred: float | None, vals: list[float]) -> None:
    """The allowed band across a plot whose x axis is the measured value; a one-sided band
    is shaded to one unit past the values on its open side."""
    edge = _one_edge(lo_b, hi_b)
    if edge is None:
        ax.axvspan(lo_b, hi_b, color=ORANGE, alpha=0.15, lw=0)
    elif math.isfinite(edge):
        left, right = (min(vals + [edge]) - 1, edge) if edge == hi_b else (edge, max(vals + [edge]) + 1)
        ax.axvspan(left, right, color=ORANGE, alpha=0.15, lw=0)
    if pred is not None:
        ax.axvline(pred, color=ORANGE, ls="--", lw=1.1)


def _forest_xlim(vals: list[float], lo_b: float, hi_b: float) -> tuple[float, float]:
    """The values and the band's finite edges, with 8% margins."""
    lo_e = [lo_b] if math.isfinite(lo_b) else []
    hi_e = [hi_b] if math.isfinite(hi_b) else []
    span = max(vals + (hi_e or vals[:1])) - min(vals + (lo_e or vals[:1]))
    return min(vals + lo_e) - 0.08 * (span or 1), max(vals + hi_e) + 0.08 * (span or 1)


def history_plot(points: list[dict], rate: RateResult, salt: str) -> Markup | None:
    """Measured exponent with CI per past run (oldest left); vertical lines where the
    verdict changed (solid) or the claim's code changed (dotted)."""
    pts = [p for p in points if p["measured"] is not None and math.isfinite(p["measured"])]
    if len(pts) < 2:
        return None
    fig, ax = _figure(5.2, 2.9)
    _allowed_rows(ax, rate, alpha=0.15, centre_lw=1.1, labelled=False)
    seen = set()
    changes = 0
    for i, p in enumerate(pts):
        lo = p["lo"] if p["lo"] is not None else p["measured"]
        hi = p["hi"] if p["hi"] is not None else p["measured"]
        c, m, word = VERDICT_STYLE[p["verdict"]]
        ax.errorbar([i], [p["measured"]], yerr=[[p["measured"] - lo], [hi - p["measured"]]], fmt=m, ms=5.5,
                    color=c, capsize=2, lw=1.1, zorder=3, label=(word if word not in seen else None))
        seen.add(word)
        if i and p["verdict"] != pts[i - 1]["verdict"]:
            ax.axvline(i - 0.5, color="#333", lw=1.0)
            ax.annotate(f"→ {p['verdict']}", (i - 0.45, 0.99 - 0.09 * (changes % 3)), xycoords=("data", "axes fraction"),
                        va="top", fontsize=8, color="#333")
            changes += 1
        if i and p["version"] != pts[i - 1]["version"]:
            if p["verdict"] == pts[i - 1]["verdict"]:
                ax.axvline(i - 0.5, color="#777", lw=0.9, ls=":")
            ax.annotate("claim changed", (i - 0.45, 0.02), xycoords=("data", "axes fraction"), fontsize=8, color="#555")
    step = math.ceil(len(pts) / 6)
    ticks = list(range(len(pts) - 1, -1, -step))[::-1]  # always label the newest run
    ax.set_xticks(ticks)
    ax.set_xticklabels([pts[i]["tick"] for i in ticks], fontsize=8)
    ax.set_xlim(-0.6, len(pts) - 0.4)
    ax.set_xlabel("run (date, commit), oldest left", fontsize=11)
    ax.set_ylabel(rate.spec.axis_title(rate, long=False), fontsize=11)
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=4, fontsize=LEGEND_PT, frameon=False)
    return to_svg(fig, salt, f"history of the measured {rate.metric} exponent")
