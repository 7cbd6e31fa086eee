"""junit.xml against the two JUnit schemas CI servers use: the Jenkins-style one and the
stricter Ant junit.xsd (tests/schemas/), for every outcome a run can have."""
from __future__ import annotations

from pathlib import Path

import pytest

from claimcheck.report.outputs import write_junit
from run_documents import every_outcome, toy_run_document

SCHEMAS = Path(__file__).parent / "schemas"
xmlschema = pytest.importorskip("xmlschema", reason="xmlschema validates junit.xml (pip install -e '.[test]')")
junitparser = pytest.importorskip("junitparser", reason="junitparser reads junit.xml (pip install -e '.[test]')")


@pytest.fixture(scope="module")
def schemas():
    return {name: xmlschema.XMLSchema(str(SCHEMAS / f"junit-{name}.xsd")) for name in ("ant", "jenkins")}


@pytest.fixture
def junit(tmp_path):
    def write(document):
        path = tmp_path / "junit.xml"
        write_junit(document, path)
        return path
    return write


def read_suite(path: Path):
    xml = junitparser.JUnitXml.fromfile(str(path))
    return xml if isinstance(xml, junitparser.TestSuite) else next(iter(xml))


@pytest.mark.parametrize("name", ["ant", "jenkins"])
def test_every_outcome_validates(schemas, junit, name):
    path = junit(every_outcome())
    errors = list(schemas[name].iter_errors(str(path)))
    assert not errors, errors[0]


def test_the_schemas_reject_what_the_old_file_had(schemas, tmp_path):
    """The check has teeth: a suite without time/timestamp/hostname, a failure without a
    type, a per-case system-out (what junit.xml had before) is invalid for Ant."""
    old = tmp_path / "old.xml"
    old.write_text('<testsuite name="claimcheck" tests="1" failures="1" errors="0" skipped="0">'
                   '<testcase classname="a" name="a.b" time="0.1"><failure message="m">d</failure>'
                   '<system-out>d</system-out></testcase></testsuite>')
    assert not schemas["ant"].is_valid(str(old))
    assert schemas["jenkins"].is_valid(str(old))


def test_outcomes_map_to_junit_elements(junit):
    suite = read_suite(junit(every_outcome()))
    cases = {(c.classname, c.name): c for c in suite}
    kind = {key: [type(r).__name__ for r in c.result] for key, c in cases.items()}
    assert kind[("demo", "demo.pass")] == []
    assert kind[("demo", "demo.fail")] == ["Failure"]              # science: a failure
    assert kind[("demo", "demo.error")] == ["Error"]               # the simulation broke
    assert kind[("demo", "demo.incomplete")] == ["Error"]          # infrastructure: an error, not a failure
    assert kind[("demo", "demo.inconclusive")] == ["Skipped"]
    assert kind[("demo.fail.mutants", "caught")] == []
    assert kind[("demo.fail.mutants", "missed")] == ["Failure"]
    assert kind[("demo.fail.mutants", "unmeasured")] == ["Error"]  # not measured is not missed
    assert kind[("claimcheck.load", "broken_claim.py")] == ["Error"]
    for key, c in cases.items():
        for r in c.result:
            assert r.message, key
            if type(r).__name__ in ("Failure", "Error"):
                assert r.type and r.text and r.text.strip(), key   # typed, with a body
    skipped = cases[("demo", "demo.inconclusive")].result[0]
    assert "too noisy to decide" in skipped.message
    fail = cases[("demo", "demo.fail")].result[0]
    assert "claimed -0.5 ± 0.1" in fail.text and "measured -0.200 [-0.250, -0.150]" in fail.text


def test_suite_counts_and_metadata(junit):
    suite = read_suite(junit(every_outcome()))
    cases = list(suite)
    assert suite.tests == len(cases) == 9
    assert (suite.failures, suite.errors, suite.skipped) == (2, 4, 1)
    assert suite.time == pytest.approx(12.5)
    assert suite.timestamp == "2026-01-02T03:04:05" and suite.hostname == "testhost"
    props = {p.name: p.value for p in suite.properties()}
    assert props["run_id"] == "20260102T030405-abcdef" and props["profile"] == "quick"


@pytest.mark.parametrize("name", ["ant", "jenkins"])
def test_a_real_run_validates(schemas, tmp_path, name):
    doc = toy_run_document(tmp_path)
    path = tmp_path / "junit.xml"
    write_junit(doc, path)
    assert schemas[name].is_valid(str(path)), next(schemas[name].iter_errors(str(path)))
