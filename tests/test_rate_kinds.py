"""A rate kind is one class: a new kind, registered here and touching no other module, gets
a verdict, its texts and its plots, because every module asks the kind object (issue 25,
item 1). The first kind is written from the base class, the second inherits a kind's
judging and drawing (``functools.singledispatch`` on the kind's class)."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from claimcheck import ratekinds
from claimcheck.claim import Rate
from claimcheck.ratekinds import Limit, RateKind
from claimcheck.report import plots
from claimcheck.report.data import rate_points
from claimcheck.stats import ratetext
from claimcheck.stats.results import Measurement, RateResult
from claimcheck.stats.verdict import FAIL, PASS, check_rate, judge_claim
from synthetic import X, points, power_table


class Lower(RateKind):
    """metric >= C x^a: decays no faster than the claim (a lower bound on the exponent)."""

    name = "lower"

    def band(self, rate, log_shift: float = 0.0):
        return float(self.claimed(rate)) - float(self.get(rate, "tolerance")), math.inf

    def describe(self, rate) -> str:
        return f"{self.get(rate, 'metric')} >= C {self.get(rate, 'axis')}^{self.claimed(rate):g} (lower)"

    def edge_label(self, edge: float) -> str:
        return f"allowed: slope ≥ {edge:+.3g}"

    def shown_band(self, lo: float, hi: float) -> str:
        return f"≥ {lo:+.3g}"


class Plateau(Limit):
    """A limit under another name: judged and drawn as a limit (inherited)."""

    name = "plateau"


@pytest.fixture
def toy_kinds(monkeypatch):
    for kind in (Lower(), Plateau()):
        monkeypatch.setitem(ratekinds.KINDS, kind.name, kind)


def _judged(rate, table, x=X):
    res = check_rate(rate, points(x, rate.axis), table, paired=False)
    judge_claim([res], 0.05)
    return res


def _measurements(table, x=X, metric="err"):
    return [Measurement(json.dumps({"N": float(v)}), r, "ok", {metric: float(table[i, r])})
            for i, v in enumerate(x) for r in range(table.shape[1])]


def test_register_makes_a_kind_known_by_name():
    kind = Lower()
    try:
        assert ratekinds.register(kind) is kind and ratekinds.kind_of("lower") is kind
    finally:
        ratekinds.KINDS.pop("lower")
    with pytest.raises(ValueError, match="needs a name"):
        ratekinds.register(RateKind())


def test_a_new_kind_gets_a_verdict_texts_and_plots(toy_kinds):
    rate = Rate(metric="err", axis="N", kind="lower", predicted=-0.5, tolerance=0.1)
    rng = np.random.default_rng(0)
    slower = _judged(rate, power_table(-0.3, 0.1, 64, rng))     # decays slower than claimed: allowed
    faster = _judged(rate, power_table(-1.0, 0.1, 64, rng))     # decays faster: outside [-0.6, inf)
    assert slower.verdict == PASS, slower.reason
    assert faster.verdict == FAIL, faster.reason
    assert "[-0.600, +inf]" in faster.reason

    res = slower.result()
    assert res.spec is ratekinds.KINDS["lower"]
    assert RateResult.from_json(json.loads(json.dumps(res.to_json()))) == res  # infinite edge stored as None
    assert res.band == [-0.6, None]
    assert ratetext.band(res)[:2] == (-0.6, math.inf)
    assert ratetext.band_text(res) == "≥ -0.6" and ratetext.claimed_text(res) == "-0.5 ± 0.1"
    assert ratetext.rate_line(dict(res.to_json(), label="err~N")).startswith("err~N: lower -0.500, measured -0.3")
    assert res.describe == "err >= C N^-0.5 (lower)"

    table = power_table(-0.3, 0.1, 16, np.random.default_rng(1))
    svg = plots.rate_plot(rate_points(_measurements(table), res), res, "toy")
    assert svg.startswith("<svg") and "allowed: slope ≥ -0.6" in svg and "claimed slope -0.5" in svg
    assert plots.local_slopes_plot(res, "toy-local").startswith("<svg")
    rows = [{"label": "claim", "measured": res.measured, "lo": res.ci_low, "hi": res.ci_high, "verdict": res.verdict,
             "note": "pass"},
            {"label": "mutant", "measured": faster.measured, "lo": faster.ci_low, "hi": faster.ci_high,
             "verdict": faster.verdict, "note": "caught"}]
    assert plots.forest_plot(rows, res, "toy-forest").startswith("<svg")


def test_a_subclass_inherits_its_parents_judging_and_drawing(toy_kinds):
    rate = Rate(metric="err", axis="N", kind="plateau", target=0.0, tolerance=0.01)
    rng = np.random.default_rng(2)
    table = 0.3 * X[:, None] ** -0.5 + 0.002 * rng.standard_normal((len(X), 64))
    res = _judged(rate, table)
    assert res.limit is not None and res.limit["x"] == [float(v) for v in X]   # judged as a limit
    assert res.verdict == PASS, res.reason
    out = res.result()
    assert out.predicted == 0.0 and ratetext.claimed_text(out) == "→ 0 ± 0.01"
    assert ratetext.measured_parts(out)[0] == f"{res.measured:.4g}"
    svg = plots.rate_plot(rate_points(_measurements(table), out), out, "plateau")
    assert "claimed limit 0" in svg and "(log scale)" in svg and "no fit" not in svg


def test_fit_and_value_test_are_typed_with_the_same_json():
    """A result's fit and value test are values with attributes (``FitSummary``,
    ``ValueTest``); their JSON, key order included, is what the verdict wrote, through any
    number of round trips; a converges rate's value test has no ``x`` and says so by None."""
    from claimcheck.stats.fit import FitResult
    from claimcheck.stats.results import FitSummary, ValueTest

    assert [f.name for f in __import__("dataclasses").fields(FitResult)] == FitSummary._names()
    rng = np.random.default_rng(3)
    conv = _judged(Rate(metric="err", axis="N", kind="converges", below=0.05), power_table(-0.5, 0.2, 32, rng))
    lim = _judged(Rate(metric="err", axis="N", kind="limit", tolerance=0.01),
                  0.3 * X[:, None] ** -0.5 + 0.002 * rng.standard_normal((len(X), 32)))
    for check in (conv, lim):
        doc = check.as_dict()
        res = RateResult.from_json(json.loads(json.dumps(doc)))
        assert json.dumps(res.to_json()) == json.dumps(doc)
        again = RateResult.from_json(res.to_json())
        assert again == res and json.dumps(again.to_json()) == json.dumps(doc)
    c, m = conv.result(), lim.result()
    assert isinstance(c.fit, FitSummary) and c.fit.slope == conv.fit.slope and c.fit["slope"] == conv.fit.slope
    assert isinstance(c.limit, ValueTest) and c.limit.x is None and c.limit.below == 0.05
    assert list(c.limit.to_json()) == ["axis_max", "value", "upper", "below", "interval"]
    assert m.fit is None and m.limit.x == [float(v) for v in X] and m.limit.get("projected") is not None
    assert c.fit.get("no such key", "default") == "default"
