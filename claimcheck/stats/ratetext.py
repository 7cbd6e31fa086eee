"""A rate result as text, in one place: the band it allows, the measured value with its
CI, verdict words and symbols, numbers and durations.

The terminal table, summary.md, junit.xml and the HTML report all say "what was
claimed, what was measured"; computing the band once keeps them from disagreeing
(they did: the band was computed in verdict.py and again in the report's plots).
Input is a :class:`~claimcheck.stats.results.RateResult` or its JSON form (``kind``,
``predicted``, ``tolerance``; for limits ``predicted`` is the target).
"""
from __future__ import annotations

import math
from collections.abc import Mapping

WORD = {"pass": "PASS", "fail": "FAIL", "inconclusive": "INCONCLUSIVE", "error": "ERROR"}
SYMBOL = {"pass": "✓", "fail": "✗", "inconclusive": "?", "error": "!"}


def finite(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def num(x, fmt: str = "{:+.3f}", missing: str = "-") -> str:
    """A number, or ``missing`` when there is none (None, NaN, inf)."""
    return fmt.format(x) if finite(x) else missing


def secs(x, missing: str = "-") -> str:
    """A duration a person reads: 350 ms, 12.3 s, 4.2 min, 1.5 h."""
    if not finite(x):
        return missing
    if x < 1:
        return f"{x * 1000:.0f} ms"
    if x < 120:
        return f"{x:.1f} s"
    if x < 7200:
        return f"{x / 60:.1f} min"
    return f"{x / 3600:.1f} h"


def _json(rate) -> dict:
    """A rate result's JSON form (the texts below read its keys)."""
    return rate if isinstance(rate, Mapping) else rate.to_json()


def _tolerance(rate: dict) -> float:
    return rate["tolerance"] or 0.0  # None for kinds that have none (converges)


def band(rate: dict) -> tuple[float, float, float | None]:
    """(lo, hi, centre) of what the claim allows, in the units the verdict tests: the
    fitted exponent (tight, upper, converges), log(rho) (geometric) or the statistic
    itself (limit). ``centre`` is the claimed value (None when the claim states none).
    A result that records the band its verdict used (``"band"``, e.g. widened for a log
    factor) is shown with that band."""
    rate = _json(rate)
    kind, pred, tol = rate["kind"], rate["predicted"], _tolerance(rate)
    used = rate.get("band")  # new: the band a verdict used
    if kind != "limit" and isinstance(used, (list, tuple)) and len(used) == 2 and all(
            isinstance(v, (int, float)) for v in used):
        centre = math.log(pred) if kind == "geometric" else rate["heuristic"] if kind == "converges" else pred
        return float(used[0]), float(used[1]), centre
    if kind == "tight":
        return pred - tol, pred + tol, pred
    if kind == "upper":
        return -math.inf, pred + tol, pred
    if kind == "geometric":
        return -math.inf, math.log(pred) + tol, math.log(pred)
    if kind == "converges":
        return -math.inf, 0.0, rate["heuristic"]
    if kind == "limit":
        return pred - tol, pred + tol, pred
    return -math.inf, math.inf, None


def claimed_text(rate: dict) -> str:
    """What a rate claims, with its tolerance: '-0.5 ± 0.1', '≤ -1 (+0.05)', '→ 0 ± 0.01'."""
    rate = _json(rate)
    k, pred, tol = rate["kind"], rate["predicted"], _tolerance(rate)
    if k == "limit":
        return f"→ {pred:g} ± {tol:g}"
    if k == "converges":
        return "< 0" + (f" (heuristic {rate['heuristic']:+g})" if finite(rate["heuristic"]) else "")
    if k == "geometric":
        return f"ρ ≤ {pred:g}" + (f" (allowed ≤ {pred * math.exp(tol):.3g})" if tol else "")
    if k == "upper":
        return f"≤ {pred:+g}" + (f" (+{tol:g})" if tol else "")
    return f"{pred:+g} ± {tol:g}"


def band_text(rate: dict) -> str:
    """The allowed range as an interval, in the units of ``band``: '[-0.6, -0.4]', '≤ -0.95'."""
    rate = _json(rate)
    lo, hi, _ = band(rate)
    k = rate["kind"]
    if k == "limit":
        return f"[{lo:.4g}, {hi:.4g}]"
    if k == "converges":
        return "< 0"
    if k == "geometric":
        return f"ρ ≤ {math.exp(hi):.3g} (log ρ ≤ {hi:+.3g})"
    return f"[{lo:+.3g}, {hi:+.3g}]" if math.isfinite(lo) else f"≤ {hi:+.3g}"


def quantity(rate: dict) -> str:
    """What the measured number is: 'exponent in N', 'rho per k', 'mean(err) at the largest N'."""
    rate = _json(rate)
    k, axis = rate["kind"], rate["axis"]
    if k == "limit":
        return f"{rate['statistic']}({rate['metric']}) at the largest {axis}"
    if k == "geometric":
        return f"rho per unit {axis}"
    return f"exponent in {axis}"


def measured_parts(rate: dict) -> tuple[str, str]:
    """(measured value, CI) as text; geometric rates as rho, limits with 4 significant digits."""
    rate = _json(rate)
    if rate["kind"] == "geometric" and "measured_rho" in rate:
        lo, hi = rate["rho_ci"]
        return f"ρ = {rate['measured_rho']:.3g}", f"[{lo:.3g}, {hi:.3g}]"
    if not finite(rate["measured"]):
        return "-", ""
    fmt = "{:.4g}" if rate["kind"] == "limit" else "{:+.3f}"
    return num(rate["measured"], fmt), f"[{num(rate['ci_low'], fmt)}, {num(rate['ci_high'], fmt)}]"


def measured_text(rate: dict) -> str:
    return " ".join(measured_parts(rate)).strip()


def rate_line(rate: dict) -> str:
    """One compact line (``claimcheck show``, pytest items): label, kind and claimed value,
    measured value with CI. The terminal table adds the band: see ``outputs.terminal_table``."""
    rate = _json(rate)
    r = rate
    if r["kind"] == "limit":
        return (f"{r['label']}: limit -> {num(r['predicted'], '{:g}')}, measured {num(r['measured'], '{:.4g}')} "
                f"[{num(r['ci_low'], '{:.4g}')}, {num(r['ci_high'], '{:.4g}')}]")
    if r["kind"] == "geometric" and "measured_rho" in r:
        return f"{r['label']}: rho <= {r['predicted']:g}, measured {measured_text(r)[4:]}"
    pred = "<0" if r["kind"] == "converges" else num(r["predicted"])
    return (f"{r['label']}: {r['kind']} {pred}, measured {num(r['measured'])} "
            f"[{num(r['ci_low'])}, {num(r['ci_high'])}]")
