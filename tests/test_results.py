"""A run's results are values: what the run produced, written to JSON and read back, is
the same object and renders the same files."""
import json

import pytest

from conftest import run_opts, write_toy

from claimcheck.commands.runner import run
from claimcheck.report import build_report
from claimcheck.report.outputs import markdown_summary, terminal_table, write_all
from claimcheck.stats.results import SCHEMA, ClaimResult, RunResult, SchemaError


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("results")
    write_toy(tmp / "claims", reps=40)
    outcome = run(run_opts(tmp, tmp / "claims", seed=0, jobs=1, mutants=True))
    return outcome, tmp


def test_json_round_trip_gives_an_equal_result(toy_run):
    outcome, _ = toy_run
    res = outcome.results
    assert isinstance(res, RunResult) and res.claims[0].rates and res.claims[0].mutants
    assert outcome.document == res.to_json()
    again = RunResult.from_json(json.loads(json.dumps(res.to_json())))
    assert again == res
    assert again.to_json() == res.to_json()
    claim = res.claims[0]
    assert ClaimResult.from_json(claim.to_json()) == claim
    stored = ClaimResult.from_json(claim.to_json(measurements=False))   # the verdicts table's form
    assert stored.measurements == [] and stored.rates == claim.rates and stored.verdict == claim.verdict


def test_a_newer_schema_is_refused_with_a_clear_error(toy_run):
    doc = toy_run[0].results.to_json()
    assert doc["schema"] == SCHEMA
    with pytest.raises(SchemaError, match=f"newer than this claimcheck reads \\({SCHEMA}\\)"):
        RunResult.from_json(dict(doc, schema=SCHEMA + 1))
    with pytest.raises(SchemaError, match="toy.a"):
        ClaimResult.from_json(dict(doc["claims"][0], schema=SCHEMA + 1))
    old = dict(doc)
    del old["schema"]   # documents written before the field: schema 1
    assert RunResult.from_json(old) == toy_run[0].results


def _files(folder):
    return {p.relative_to(folder).as_posix(): p.read_text() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.name.startswith(".")}


def test_outputs_and_report_render_the_same_from_json(toy_run, tmp_path):
    res = toy_run[0].results
    loaded = RunResult.from_json(json.loads(json.dumps(res.to_json())))
    assert terminal_table(loaded, width=100) == terminal_table(res, width=100)
    assert markdown_summary(loaded) == markdown_summary(res)
    for name, result in (("live", res), ("loaded", loaded)):
        write_all(result, tmp_path / name)
        build_report(out=tmp_path / name, document=result)
    live, back = _files(tmp_path / "live"), _files(tmp_path / "loaded")
    assert set(live) == set(back) and "results.json" in live and "claims/toy.a.html" in live

    def stable(text):   # the page says when it was generated
        import re
        return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", "<generated>", text)
    assert {k: stable(v) for k, v in live.items()} == {k: stable(v) for k, v in back.items()}


def test_measurement_json_is_every_field_and_does_not_alias_the_metrics():
    """``Measurement.to_json`` is written field by field for speed: it must stay equal to
    ``dataclasses.asdict`` (a field added later is not dropped) and hand out a copy."""
    import dataclasses

    from claimcheck.stats.results import Measurement

    m = Measurement("{\"N\": 4}", 3, "ok", {"a": 1.5, "b": [1.0, 2.0]}, None, 0.25)
    d = m.to_json()
    assert d == dataclasses.asdict(m) and list(d) == [f.name for f in dataclasses.fields(Measurement)]
    d["metrics"]["a"] = 0.0
    assert m.metrics["a"] == 1.5
    assert Measurement("k", 0, "error", None, "boom").to_json()["metrics"] is None
