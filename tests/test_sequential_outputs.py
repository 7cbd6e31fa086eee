"""Every output of `claimcheck run --until-decided` shows the looks (issue 21, item 4):
results.json (round-tripped), the claim's HTML page, summary.md, junit.xml, and the report
rebuilt from the store; a plain run's outputs have no trace of them."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from claimcheck.stats.results import STOPS, ClaimResult, RunResult

SCHEMAS = Path(__file__).parent / "schemas"


def _cli(tmp_path, claims, out: str, *extra) -> int:
    from claimcheck.commands.cli import main

    return main(["run", "--claims-dir", str(claims), "--store", str(tmp_path / "s.sqlite"), "--out",
                 str(tmp_path / out), "--jobs", "1", "--no-progress", "--no-artefacts", *extra])


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One toy claim (4 replicates: inconclusive at the first look) run plain, until decided
    with a cap of 32 (decided), and with a cap of 8 (undecided); then the report from the store."""
    from conftest import write_toy

    from claimcheck.commands.cli import main

    tmp = tmp_path_factory.mktemp("seqout")
    claims = tmp / "claims"
    write_toy(claims, reps=4, batch=4)
    _cli(tmp, claims, "plain")        # a plain look at 4 replicates (inconclusive: exit 0 or 1 under --strict)
    assert _cli(tmp, claims, "decided", "--until-decided", "--budget-replicates", "32") == 0
    _cli(tmp, claims, "short", "--until-decided", "--budget-replicates", "8")
    assert main(["report", "--claims-dir", str(claims), "--store", str(tmp / "s.sqlite"),
                 "--out", str(tmp / "rebuilt")]) == 0          # the latest stored run: the short one
    return tmp


def _claim(folder: Path) -> dict:
    return json.loads((folder / "results.json").read_text())["claims"][0]


def test_results_json_holds_the_looks_and_round_trips(runs):
    doc = _claim(runs / "decided")
    seq = doc["sequential"]
    assert seq["stop"] == "decided" and seq["spending"] == "pocock" and seq["level"] == 0.05
    assert seq["replicates"] == [4, 8, 16, 32] and abs(sum(seq["levels"]) - 0.05) < 1e-12
    looks = seq["rates"][0]["looks"]
    assert looks[0]["replicates"] == 4 and looks[0]["verdict"] == "inconclusive" and len(looks) >= 2
    assert looks[-1]["verdict"] == doc["verdict"] == "pass" and looks[-1]["replicates"] == doc["replicates"]
    assert set(looks[0]) >= {"replicates", "level", "verdict", "measured", "ci_low", "ci_high", "cpu_s"}
    assert all(lk["cpu_s"] > 0 for lk in looks)
    assert [lk["cpu_s"] for lk in looks] == sorted(lk["cpu_s"] for lk in looks)   # cumulative: reused replicates
    assert doc["rates"][0]["ci_low"] == looks[-1]["ci_low"]     # the kept rate is the deciding look
    assert seq["rates"][0]["still_needs"] is None and seq["rates"][0]["decided"]

    again = ClaimResult.from_json(doc)
    assert again.sequential.rates[0].looks[-1].verdict == "pass" and again.sequential.decided
    assert again.to_json() == doc
    run = RunResult.load(runs / "decided" / "results.json")
    assert run.to_json() == json.loads((runs / "decided" / "results.json").read_text())


def test_an_undecided_claim_says_why_it_stopped_and_what_it_needs(runs):
    seq = _claim(runs / "short")["sequential"]
    assert seq["stop"] == "budget" and seq["stop"] in STOPS and seq["replicates"] == [4, 8]
    assert "cap of 8 replicates reached" in seq["stop_text"] and "--budget-replicates 8" in seq["cap_reason"]
    rate = seq["rates"][0]
    assert not rate["decided"] and rate["verdict"] == "inconclusive"
    assert "replicates" in rate["still_needs"]
    assert _claim(runs / "short")["verdict"] == "inconclusive"


def test_a_plain_run_writes_nothing_new(runs):
    """results.json of a plain run has exactly the keys it had before the looks existed,
    and summary.md / junit.xml / the page say nothing of looks."""
    from claimcheck.stats.results import _CLAIM_KEYS

    doc = _claim(runs / "plain")
    assert "sequential" not in doc and set(doc) == {"schema", *_CLAIM_KEYS}
    assert ClaimResult.from_json(doc).sequential is None
    assert "Looks" not in (runs / "plain" / "summary.md").read_text()
    assert "until_decided" not in (runs / "plain" / "junit.xml").read_text()
    assert 'id="looks"' not in (runs / "plain" / "claims" / "toy.a.html").read_text()


def test_summary_md_has_one_row_per_look(runs):
    text = (runs / "decided" / "summary.md").read_text()
    section = text.split("## Looks (`--until-decided`)")[1]
    assert "`toy.a`: decided:" in section and "planned 4, 8, 16, 32" in section
    rows = [ln for ln in section.splitlines() if ln.startswith("| `err")]
    looks = _claim(runs / "decided")["sequential"]["rates"][0]["looks"]
    assert len(rows) == len(looks)
    assert rows[0].split("|")[2].strip() == "4" and "INCONCLUSIVE" in rows[0].upper()
    short = (runs / "short" / "summary.md").read_text()
    assert "undecided: still needs" in short and "`toy.a`: budget:" in short


def test_junit_carries_the_looks_and_still_validates(runs):
    root = ET.parse(runs / "decided" / "junit.xml").getroot()
    props = {p.get("name"): p.get("value") for p in root.iter("property")}
    value = props["until_decided.toy.a"]
    assert value.startswith("decided:") and "err~N: 4 inconclusive" in value and value.endswith("pass")
    short = {p.get("name"): p.get("value") for p in ET.parse(runs / "short" / "junit.xml").getroot().iter("property")}
    assert "still needs" in short["until_decided.toy.a"]
    xmlschema = pytest.importorskip("xmlschema")
    for name in ("ant", "jenkins"):
        schema = xmlschema.XMLSchema(str(SCHEMAS / f"junit-{name}.xsd"))
        assert not list(schema.iter_errors(str(runs / "decided" / "junit.xml")))


def test_html_claim_page_has_a_looks_table(runs):
    page = (runs / "decided" / "claims" / "toy.a.html").read_text()
    assert '<h2 id="looks">Looks</h2>' in page and 'href="#looks"' in page
    table = page.split('<h2 id="looks">Looks</h2>')[1].split("</table>")[0]
    looks = _claim(runs / "decided")["sequential"]["rates"][0]["looks"]
    assert table.count("<tr>") == 1 + len(looks)          # header + one row per look
    assert "(decided)" in table
    short = (runs / "short" / "claims" / "toy.a.html").read_text()
    assert "is undecided: it still needs" in short and "cap of 8 replicates reached" in short


def test_report_rebuilt_from_the_store_shows_the_same_looks(runs):
    """The verdicts table keeps each claim's JSON, looks included: `claimcheck report`
    rebuilds the same path (no change to the measurements table)."""
    rebuilt = _claim(runs / "rebuilt")
    assert rebuilt["sequential"] == _claim(runs / "short")["sequential"]
    assert "## Looks" in (runs / "rebuilt" / "summary.md").read_text()
    assert '<h2 id="looks">Looks</h2>' in (runs / "rebuilt" / "claims" / "toy.a.html").read_text()
    assert "until_decided.toy.a" in (runs / "rebuilt" / "junit.xml").read_text()
