"""A rate result as text, in one place: the band it allows, the measured value with its
CI, verdict words and symbols, numbers and durations.

The terminal table, summary.md, junit.xml and the HTML report all say "what was
claimed, what was measured"; computing the band once keeps them from disagreeing
(they did: the band was computed in verdict.py and again in the report's plots).
Input is a :class:`~claimcheck.stats.results.RateResult` or its JSON form (``kind``,
``predicted``, ``tolerance``; for limits ``predicted`` is the target). What differs by
kind is asked of the kind (:mod:`claimcheck.ratekinds`): no name is compared here.
"""
from __future__ import annotations

import math
from collections.abc import Mapping

from ..ratekinds import kind_of

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


def band(rate: dict) -> tuple[float, float, float | None]:
    """(lo, hi, centre) of what the claim allows, in the units the verdict tests (the
    kind's ``band`` and ``centre``: the fitted exponent, log(rho) or the statistic itself).
    A result that records the band its verdict used (``"band"``, e.g. widened for a log
    factor) is shown with that band."""
    rate = _json(rate)
    kind = kind_of(rate)
    used = rate.get("band")  # the band a verdict used (None where infinite)
    if isinstance(used, (list, tuple)) and len(used) == 2 and all(isinstance(v, (int, float)) for v in used):
        return float(used[0]), float(used[1]), kind.centre(rate)
    lo, hi = kind.band(rate)
    return lo, hi, kind.centre(rate)


def claimed_text(rate: dict) -> str:
    """What a rate claims, with its tolerance: '-0.5 ± 0.1', '≤ -1 (+0.05)', '→ 0 ± 0.01'."""
    rate = _json(rate)
    return kind_of(rate).claimed_text(rate)


def band_text(rate: dict) -> str:
    """The allowed range as an interval, in the units of ``band``: '[-0.6, -0.4]', '≤ -0.95'."""
    rate = _json(rate)
    lo, hi, _ = band(rate)
    return kind_of(rate).shown_band(lo, hi)


def quantity(rate: dict) -> str:
    """What the measured number is: 'exponent in N', 'rho per k', 'mean(err) at the largest N'."""
    rate = _json(rate)
    return kind_of(rate).quantity(rate)


def measured_parts(rate: dict) -> tuple[str, str]:
    """(measured value, CI) as text; rho for kinds read as rho, in the kind's format."""
    rate = _json(rate)
    kind = kind_of(rate)
    if kind.shows_rho and "measured_rho" in rate:
        lo, hi = rate["rho_ci"]
        return f"ρ = {rate['measured_rho']:.3g}", f"[{lo:.3g}, {hi:.3g}]"
    if not finite(rate["measured"]):
        return "-", ""
    fmt = kind.value_format
    return num(rate["measured"], fmt), f"[{num(rate['ci_low'], fmt)}, {num(rate['ci_high'], fmt)}]"


def measured_text(rate: dict) -> str:
    return " ".join(measured_parts(rate)).strip()


def rate_line(rate: dict) -> str:
    """One compact line (``claimcheck show``, pytest items): label, kind and claimed value,
    measured value with CI. The terminal table adds the band: see ``outputs.terminal_table``."""
    r = _json(rate)
    kind = kind_of(r)
    if kind.shows_rho and "measured_rho" in r:
        return f"{r['label']}: rho <= {r['predicted']:g}, measured {measured_text(r)[4:]}"
    fmt = kind.value_format
    return (f"{r['label']}: {kind.line_claim(r)}, measured {num(r['measured'], fmt)} "
            f"[{num(r['ci_low'], fmt)}, {num(r['ci_high'], fmt)}]")
