"""Rate kinds: the one place that knows what a kind is.

One object per kind (``Rate(kind="tight")`` keeps the string; :func:`kind_of` turns it
into the object), and every other module asks that object instead of comparing names:
the verdict, the texts, the band and the plots read the same attributes, the way
statsmodels' GLM asks its ``Family``. A new kind is a subclass registered with
:func:`register` (tests/test_rate_kinds.py adds one). What a kind declares:

- ``fit_mode``: "loglog" (log statistic on log axis: an exponent), "loglinear" (log
  statistic on the axis: log(rho)) or None (no fit: the statistic at the largest scale);
  ``axes``: (log x, log y) of its plots; ``shows_rho``: results read as rho = exp(value).
- ``band``, ``centre``, ``claimed``: what is allowed and claimed, in the fitted units.
- texts: ``band_text`` (verdict reasons), ``claimed_text``, ``shown_band``, ``quantity``,
  ``value_format``, ``line_claim``, ``centre_label``, ``edge_label``, ``axis_title``.

Behaviour of a higher layer is dispatched there on the kind's class
(``functools.singledispatch``): how a group is judged (``stats/verdict.py``:
``judge_group``) and what a plot draws for the claim (``report/plots.py``: ``annotate``),
so a subclass inherits its parent's judging and drawing.

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
from typing import Any, Mapping, NamedTuple


def _get(rate: Any, name: str, default=None):
    if isinstance(rate, Mapping):
        return rate.get(name, default)
    return getattr(rate, name, default)


def _tol(rate) -> float:
    return float(_get(rate, "tolerance") or 0.0)  # a result of a kind without one stores None


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _num(x, fmt: str = "{:+.3f}") -> str:
    return fmt.format(x) if _finite(x) else "-"


class Axes(NamedTuple):
    logx: bool
    logy: bool


class RateKind:
    """Base: an exponent fitted on log(axis), tested against a band. Works on a claim's
    ``Rate``, on a ``RateResult`` or on its JSON (where ``predicted`` is a limit's target)."""

    name = ""
    parameter = "exponent"       # what the band constrains
    fit_mode: str | None = "loglog"
    axes = Axes(logx=True, logy=True)
    shows_rho = False            # the value is log(rho); people read rho
    value_format = "{:+.3f}"     # the measured value in tables
    centre_word = "claimed"      # what the centre line of a plot is
    needs_predicted = True
    pass_power = False           # stats/passpower estimates this kind's pass probability
    draws_replicates = True      # the main plot shows single replicates on the statistic's axis
    get = staticmethod(_get)     # a field of a Rate, a RateResult or its JSON

    @property
    def fits_power_law(self) -> bool:
        """A fit of log(statistic) on the axis (or its log) decides."""
        return self.fit_mode is not None

    @property
    def loglinear(self) -> bool:
        return self.fit_mode == "loglinear"

    def band(self, rate, log_shift: float = 0.0) -> tuple[float, float]:
        raise NotImplementedError

    def claimed(self, rate) -> float | None:
        """The claimed value as results store it (``predicted``)."""
        return _get(rate, "predicted")

    def centre(self, rate) -> float | None:
        """The claimed value in the units of ``band`` (None: the claim states none)."""
        return self.claimed(rate)

    def band_text(self, rate, log_shift: float = 0.0) -> str:
        """The band in a verdict's reason ("[-0.600, -0.400]", "<= -0.400")."""
        lo, hi = self.band(rate, log_shift)
        if math.isfinite(lo):
            return f"[{lo:+.3f}, {hi:+.3f}]"
        return f"<= {hi:+.3f}"

    def slope_band_text(self, rate, log_shift: float = 0.0) -> str:
        """The band of the exponent alone, as a reason states it."""
        return self.band_text(rate, log_shift)

    def detect_margin(self, rate) -> float:
        """Added to the noise's detectable deviation: how far from the claim a pass may be."""
        return _get(rate, "tolerance")

    def pass_remarks(self, rate, measured: float, ci_high: float) -> tuple[str, list[str]]:
        """(words added to a pass's reason, notes) for a fitted pass."""
        return "", []

    def describe(self, rate) -> str:
        raise NotImplementedError

    # -- as people read it (terminal, summary, report) -----------------------------------

    def claimed_text(self, rate) -> str:
        """What the rate claims, with its tolerance: '-0.5 ± 0.1'."""
        return f"{self.claimed(rate):+g} ± {_tol(rate):g}"

    def shown_band(self, lo: float, hi: float) -> str:
        """The allowed range as an interval: '[-0.6, -0.4]', '≤ -0.95'."""
        return f"[{lo:+.3g}, {hi:+.3g}]" if math.isfinite(lo) else f"≤ {hi:+.3g}"

    def quantity(self, rate) -> str:
        """What the measured number is."""
        return f"exponent in {_get(rate, 'axis')}"

    def line_claim(self, rate) -> str:
        """The claim in a compact one-line summary ('tight -0.500')."""
        return f"{self.name} {_num(self.claimed(rate))}"

    def centre_label(self, rate, centre: float) -> str:
        """The legend of the claimed slope drawn through the fit."""
        return f"{self.centre_word} slope {centre:+.3g}"

    def edge_label(self, edge: float) -> str:
        """The legend of a one-sided band's finite edge (an upper one unless overridden)."""
        return f"allowed: slope ≤ {edge:+.3g}"

    def axis_title(self, rate, long: bool = True) -> str:
        """The measured value as an axis title (forest plot: long; history: short)."""
        if long:
            return f"fitted exponent of {_get(rate, 'metric')} in {_get(rate, 'axis')}"
        return f"fitted exponent in {_get(rate, 'axis')}"

    def point_label(self, rate) -> str:
        """The statistic at one scale, as a reason names it: 'mean(err)'."""
        return f"{_get(rate, 'statistic')}({_get(rate, 'metric')})"

    def point_caption(self, rate, pct: str) -> str | None:
        """The main plot's caption where the default (a reduction of replicates, jackknife CI)
        does not describe it; None: the default."""
        return None

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
    pass_power = True

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

    def pass_remarks(self, rate, measured: float, ci_high: float) -> tuple[str, list[str]]:
        if ci_high < _get(rate, "predicted") - _get(rate, "tolerance"):
            return "", ["not tight: decays faster than the bound"]
        return "", []

    def claimed_text(self, rate) -> str:
        tol = _tol(rate)
        return f"≤ {self.claimed(rate):+g}" + (f" (+{tol:g})" if tol else "")


class Geometric(RateKind):
    """metric ~ C rho^x with rho <= predicted; the band is on log(rho)."""

    name = "geometric"
    parameter = "log(rho)"
    fit_mode = "loglinear"
    axes = Axes(logx=False, logy=True)
    shows_rho = True

    def band(self, rate, log_shift: float = 0.0):
        return -math.inf, math.log(float(_get(rate, "predicted"))) + float(_get(rate, "tolerance"))

    def centre(self, rate) -> float | None:
        return math.log(self.claimed(rate))

    def pass_remarks(self, rate, measured: float, ci_high: float) -> tuple[str, list[str]]:
        return f" (rho = {math.exp(measured):.3g}, bound {_get(rate, 'predicted'):g})", []

    def claimed_text(self, rate) -> str:
        pred, tol = self.claimed(rate), _tol(rate)
        return f"ρ ≤ {pred:g}" + (f" (allowed ≤ {pred * math.exp(tol):.3g})" if tol else "")

    def shown_band(self, lo: float, hi: float) -> str:
        return f"ρ ≤ {math.exp(hi):.3g} (log ρ ≤ {hi:+.3g})"

    def quantity(self, rate) -> str:
        return f"rho per unit {_get(rate, 'axis')}"

    def centre_label(self, rate, centre: float) -> str:
        return f"claimed ρ = {_get(rate, 'predicted'):g} (log ρ = {centre:+.3g})"

    def axis_title(self, rate, long: bool = True) -> str:
        if long:
            return f"fitted log(rho) of {_get(rate, 'metric')} per unit {_get(rate, 'axis')}"
        return "fitted log(rho)"

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
    centre_word = "heuristic"

    def band(self, rate, log_shift: float = 0.0):
        return -math.inf, 0.0

    def centre(self, rate) -> float | None:
        return _get(rate, "heuristic")

    def slope_band_text(self, rate, log_shift: float = 0.0) -> str:
        return "< 0"

    def detect_margin(self, rate) -> float:
        return 0.0  # the band's edge is the claim

    def claimed_text(self, rate) -> str:
        h = _get(rate, "heuristic")
        return "< 0" + (f" (heuristic {h:+g})" if _finite(h) else "")

    def shown_band(self, lo: float, hi: float) -> str:
        return "< 0"

    def line_claim(self, rate) -> str:
        return f"{self.name} <0"

    def edge_label(self, edge: float) -> str:
        return "allowed: slope < 0"

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
    fit_mode = None
    axes = Axes(logx=True, logy=False)
    value_format = "{:.4g}"
    needs_predicted = False

    def claimed(self, rate) -> float:
        """The target: a claim's ``target``; a result stores it as ``predicted``."""
        t = _get(rate, "target")
        if t is None:
            t = _get(rate, "predicted")
        return 0.0 if t is None else t

    def band(self, rate, log_shift: float = 0.0):
        t, tol = float(self.claimed(rate)), float(_get(rate, "tolerance"))
        return t - tol, t + tol

    def band_text(self, rate, log_shift: float = 0.0) -> str:
        return f"{float(self.claimed(rate)):g} +- {float(_get(rate, 'tolerance')):g}"

    def value_band(self, rate) -> tuple[float, float]:
        return self.band(rate)

    def describe(self, rate) -> str:
        return (f"{_get(rate, 'statistic')}({_get(rate, 'metric')}) -> {float(self.claimed(rate)):g} "
                f"+- {float(_get(rate, 'tolerance')):g} as {_get(rate, 'axis')} grows (limit)")

    def claimed_text(self, rate) -> str:
        return f"→ {self.claimed(rate):g} ± {_tol(rate):g}"

    def shown_band(self, lo: float, hi: float) -> str:
        return f"[{lo:.4g}, {hi:.4g}]"

    def quantity(self, rate) -> str:
        return f"{_get(rate, 'statistic')}({_get(rate, 'metric')}) at the largest {_get(rate, 'axis')}"

    def line_claim(self, rate) -> str:
        return f"limit -> {_num(self.claimed(rate), '{:g}')}"

    def axis_title(self, rate, long: bool = True) -> str:
        if long:
            return self.quantity(rate)
        return f"{_get(rate, 'metric')} at the largest {_get(rate, 'axis')}"


class Law(Limit):
    """The law of the metric over replicates converges to N(0, 1) (a central limit theorem):
    the claim states the fluctuation standardised by the limit's scale, e.g.
    sqrt(N) (g_N - g) / sigma. The statistic at each scale is the 1-Wasserstein distance
    between the replicates' empirical law and N(0, 1) (``claimcheck.stats.law``), judged as a
    limit: at most ``tolerance`` at the largest scale, above it at the smallest (observed).
    A wrong order (a fluctuation that vanishes or blows up at the stated scaling) and a
    non-Gaussian limit both leave the distance away from 0."""

    name = "law"
    parameter = "W1 distance"
    draws_replicates = False     # the replicates are z, not distances

    def shown_band(self, lo: float, hi: float) -> str:
        return f"W1 ≤ {hi:.4g}"

    def point_caption(self, rate, pct: str) -> str | None:
        return (f"W1 distance of the law of {_get(rate, 'metric')} over the replicates to N(0, 1) at each "
                f"{_get(rate, 'axis')}, less a bound on its sampling bias, with its {pct} bounds "
                f"(claimcheck.stats.law); shaded: W1 ≤ {_tol(rate):g}.")

    def band_text(self, rate, log_shift: float = 0.0) -> str:
        return f"W1 <= {_tol(rate):g}"

    def point_label(self, rate) -> str:
        return f"W1(law of {_get(rate, 'metric')}, N(0,1))"

    def describe(self, rate) -> str:
        return (f"law of {_get(rate, 'metric')} -> N(0, 1) as {_get(rate, 'axis')} grows "
                f"(law, W1 <= {_tol(rate):g} at the largest {_get(rate, 'axis')})")

    def claimed_text(self, rate) -> str:
        return f"→ N(0,1), W1 ≤ {_tol(rate):g}"

    def quantity(self, rate) -> str:
        return f"{self.point_label(rate)} at the largest {_get(rate, 'axis')}"

    def line_claim(self, rate) -> str:
        return f"law -> N(0,1), W1 <= {_tol(rate):g}"

    def validate(self, rate) -> str | None:
        if float(self.claimed(rate)) != 0.0:
            return f"a law rate for {_get(rate, 'metric')!r} states no target: its statistic is a distance to N(0, 1)"
        if _get(rate, "statistic") != "mean":
            return (f"a law rate for {_get(rate, 'metric')!r} reduces the replicates itself (W1 to N(0, 1)); "
                    f"leave `statistic` at its default")
        if not _tol(rate) > 0:
            return f"a law rate for {_get(rate, 'metric')!r} needs a tolerance > 0 (the W1 distance allowed)"
        return None


KINDS: dict[str, RateKind] = {k.name: k for k in (Tight(), Upper(), Geometric(), Limit(), Converges(), Law())}


def register(kind: RateKind) -> RateKind:
    """Make ``kind`` known by its name (a lab's own kind; tests/test_rate_kinds.py)."""
    if not kind.name:
        raise ValueError("a rate kind needs a name")
    KINDS[kind.name] = kind
    return kind


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
