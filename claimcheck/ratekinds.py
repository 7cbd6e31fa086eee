"""Rate kinds: each kind owns its band, its one-line description and its one-sided test.

One object per kind, so the verdict, the terminal table and the report read the band
from the same place and can never disagree about it. ``Rate(kind="tight")`` keeps the
string; :func:`kind_of` turns it into the object.

API for other code (works on a :class:`~claimcheck.claim.Rate` or on its ``as_dict()``):

- ``band(rate, log_shift=0.0) -> (lo, hi)``: the allowed values of the fitted parameter
  (exponent; log(rho) for geometric; the statistic itself for limit). ``log_shift`` is the
  fit's slope of log(log x) on log x, which widens the band of a rate allowed a log factor
  (``log_power``); a result's ``as_dict()`` carries the band actually used (``"band"``).
- ``band_text(rate, ...)``: the band as people read it ("[-0.600, -0.400]", "<= -0.400").
- ``describe(rate)``: "err ~ C N^-0.5 (tight, +-0.1)".
- ``kind_of(rate).parameter``: what the band constrains ("exponent", "log(rho)", "value").
"""
from __future__ import annotations

import math
from typing import Any, Mapping


def _get(rate: Any, name: str, default=None):
    if isinstance(rate, Mapping):
        return rate.get(name, default)
    return getattr(rate, name, default)


class RateKind:
    """Base: an exponent fitted on log(axis), tested against a band."""

    name = ""
    parameter = "exponent"
    fits_power_law = True        # a log-log fit of the statistic on the axis decides
    needs_predicted = True

    def band(self, rate, log_shift: float = 0.0) -> tuple[float, float]:
        raise NotImplementedError

    def band_text(self, rate, log_shift: float = 0.0) -> str:
        lo, hi = self.band(rate, log_shift)
        if math.isfinite(lo):
            return f"[{lo:+.3f}, {hi:+.3f}]"
        return f"<= {hi:+.3f}"

    def describe(self, rate) -> str:
        raise NotImplementedError

    def validate(self, rate) -> str | None:
        """A message if the rate is malformed for this kind, else None."""
        if self.needs_predicted and _get(rate, "predicted") is None:
            return f"a {self.name} rate for {_get(rate, 'metric')!r} needs `predicted`"
        return None


def _log_range(rate) -> tuple[float, float]:
    lp = _get(rate, "log_power")
    return (0.0, 0.0) if lp is None else (float(lp[0]), float(lp[1]))


def _log_txt(rate) -> str:
    lp = _get(rate, "log_power")
    if lp is None:
        return ""
    b0, b1 = float(lp[0]), float(lp[1])
    ax = _get(rate, "axis")
    return f" (log {ax})^b, b in [{b0:g}, {b1:g}]" if b0 != b1 else f" (log {ax})^{b0:g}"


class Tight(RateKind):
    """metric ~ C x^a (log x)^b: the exponent lies in predicted +- tolerance (two-sided).

    With a log factor b in [b0, b1], log S = log C + a log x + b log log x. A fit of
    log S on log x alone measures a + b k, with k = ``log_shift`` the fitted slope of
    log log x on log x (k > 0): so the allowed band of the measured slope is
    [lo + b0 k, hi + b1 k]."""

    name = "tight"

    def band(self, rate, log_shift: float = 0.0):
        p, t = float(_get(rate, "predicted")), float(_get(rate, "tolerance"))
        b0, b1 = _log_range(rate)
        return p - t + min(b0 * log_shift, b1 * log_shift), p + t + max(b0 * log_shift, b1 * log_shift)

    def describe(self, rate) -> str:
        return (f"{_get(rate, 'metric')} ~ C {_get(rate, 'axis')}^{float(_get(rate, 'predicted')):g}{_log_txt(rate)}"
                f" ({self.name}, +-{float(_get(rate, 'tolerance')):g})")


class Upper(Tight):
    """metric <= C x^a (log x)^b: one-sided, a faster decay passes ("not tight")."""

    name = "upper"

    def band(self, rate, log_shift: float = 0.0):
        _, hi = super().band(rate, log_shift)
        return -math.inf, hi

    def describe(self, rate) -> str:
        return (f"{_get(rate, 'metric')} <= C {_get(rate, 'axis')}^{float(_get(rate, 'predicted')):g}{_log_txt(rate)}"
                f" ({self.name}, +-{float(_get(rate, 'tolerance')):g})")


class Geometric(RateKind):
    """metric ~ C rho^x with rho <= predicted; the band is on log(rho)."""

    name = "geometric"
    parameter = "log(rho)"

    def band(self, rate, log_shift: float = 0.0):
        return -math.inf, math.log(float(_get(rate, "predicted"))) + float(_get(rate, "tolerance"))

    def describe(self, rate) -> str:
        return f"{_get(rate, 'metric')} ~ rho^{_get(rate, 'axis')}, rho <= {float(_get(rate, 'predicted')):g} (geometric)"

    def validate(self, rate) -> str | None:
        msg = super().validate(rate)
        if msg is None and not (0 < float(_get(rate, "predicted")) < 1):
            return "a geometric rate's `predicted` is a bound on rho in (0, 1)"
        return msg


class Converges(RateKind):
    """No rate stated: the statistic decreases (exponent < 0) *and* at the largest scale
    it is at most ``below`` (the stated limit tolerance: a one-sided equivalence test).
    Without ``below`` a wrong limit (c + x^-1/4 with c > 0) would pass, so such a rate can
    never pass: it is inconclusive, saying that ``below`` must be stated."""

    name = "converges"
    needs_predicted = False

    def band(self, rate, log_shift: float = 0.0):
        return -math.inf, 0.0

    def band_text(self, rate, log_shift: float = 0.0) -> str:
        below = _get(rate, "below")
        return "< 0" + (f", and {_get(rate, 'statistic')} <= {float(below):g} at the largest scale" if below is not None else "")

    def value_band(self, rate) -> tuple[float, float] | None:
        below = _get(rate, "below")
        return None if below is None else (-math.inf, float(below))

    def describe(self, rate) -> str:
        h = _get(rate, "heuristic")
        below = _get(rate, "below")
        extra = f", heuristic {h:g}" if h is not None else ""
        lim = f", {_get(rate, 'statistic')} <= {float(below):g} at the largest {_get(rate, 'axis')}" if below is not None else ""
        return f"{_get(rate, 'metric')} -> 0 as {_get(rate, 'axis')} grows (converges{extra}{lim})"


class Limit(RateKind):
    """The statistic converges to ``target``: at the largest scale it lies within
    target +- tolerance (equivalence test), and the grid starts outside that band."""

    name = "limit"
    parameter = "value"
    fits_power_law = False
    needs_predicted = False

    def band(self, rate, log_shift: float = 0.0):
        t, tol = float(_get(rate, "target", 0.0)), float(_get(rate, "tolerance"))
        return t - tol, t + tol

    def band_text(self, rate, log_shift: float = 0.0) -> str:
        return f"{float(_get(rate, 'target', 0.0)):g} +- {float(_get(rate, 'tolerance')):g}"

    def value_band(self, rate) -> tuple[float, float]:
        return self.band(rate)

    def describe(self, rate) -> str:
        return (f"{_get(rate, 'statistic')}({_get(rate, 'metric')}) -> {float(_get(rate, 'target', 0.0)):g} "
                f"+- {float(_get(rate, 'tolerance')):g} as {_get(rate, 'axis')} grows (limit)")


KINDS: dict[str, RateKind] = {k.name: k for k in (Tight(), Upper(), Geometric(), Limit(), Converges())}


def kind_of(rate) -> RateKind:
    name = rate if isinstance(rate, str) else _get(rate, "kind")
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(f"rate kind {name!r} is not one of {tuple(KINDS)}") from None


def band(rate, log_shift: float = 0.0) -> tuple[float, float]:
    return kind_of(rate).band(rate, log_shift)


def band_text(rate, log_shift: float = 0.0) -> str:
    return kind_of(rate).band_text(rate, log_shift)


def describe(rate) -> str:
    return kind_of(rate).describe(rate)
