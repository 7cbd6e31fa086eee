"""The report in a real browser: headless Chromium loads the pages from file://,
runs the filter script, lays out the MathML of every shipped claim's statement, and
takes screenshots (wide and narrow).

Skips where Chromium is absent (Debian: ``apt-get install -y chromium``; .ci/run
installs it). Screenshots go to $CLAIMCHECK_SCREENSHOTS or reports/screenshots/.
"""
from __future__ import annotations

import html as htmllib
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from test_report import IDS, make_report

BROWSER = next((shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)
pytestmark = pytest.mark.skipif(BROWSER is None, reason="headless Chromium is not installed "
                                "(Debian: apt-get install -y chromium); the browser check of the HTML report is skipped")
SHOTS = Path(os.environ.get("CLAIMCHECK_SCREENSHOTS", Path(__file__).resolve().parents[1] / "reports" / "screenshots"))
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"]


def chromium(*args: str) -> str:
    with tempfile.TemporaryDirectory() as profile:
        res = subprocess.run([BROWSER, *FLAGS, f"--user-data-dir={profile}", *args],
                             capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    return res.stdout


def dom(url: str) -> str:
    return chromium("--dump-dom", url)


def screenshot(url: str, path: Path, width: int, height: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    chromium(f"--screenshot={path}", f"--window-size={width},{height}", url)
    assert path.exists() and path.stat().st_size > 5000, f"no screenshot at {path}"
    return path


def not_blank(path: Path) -> bool:
    from matplotlib.image import imread

    img = imread(str(path))
    return float(img[..., :3].std()) > 0.02


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    return make_report(tmp_path_factory.mktemp("browser"))


@pytest.mark.slow
def test_index_in_browser_lists_every_claim(report):
    html = dom(report["index"].as_uri())
    for c in report["document"]["claims"]:
        row = re.search(r'<tr data-verdict="(\w+)"[^>]*id="%s"[^>]*>(.*?)</tr>' % re.escape(c["id"]), html, re.S)
        assert row and row.group(1) == c["verdict"], c["id"]
        assert c["verdict"].upper() in row.group(2)
    # the filter script ran: the form is visible and counts the rows
    assert f"{len(IDS)} of {len(IDS)} shown" in html
    assert '<form class="filters" id="filters" hidden' not in html


@pytest.mark.slow
def test_filters_from_the_url(report):
    html = dom(report["index"].as_uri() + "?verdict=error")
    rows = re.findall(r"<tr ([^>]*data-verdict=\"(\w+)\"[^>]*)>", html)
    assert rows
    for attrs, verdict in rows:
        assert ("hidden" in attrs) == (verdict != "error"), attrs
    html = dom(report["index"].as_uri() + "?paper=demob")
    for attrs, _ in re.findall(r"<tr ([^>]*data-verdict=\"(\w+)\"[^>]*)>", html):
        assert ("hidden" in attrs) == ('data-paper="demob"' not in attrs), attrs


@pytest.mark.slow
def test_claim_pages_show_their_plots(report):
    for cid in IDS:
        html = dom((report["out"] / "claims" / f"{cid}.html").as_uri())
        assert cid in html
        if cid == "demob.broken":
            assert "solver diverged" in html
            continue
        assert len(re.findall(r'<svg[^>]*class="plot"', html)) >= 3, cid
        assert "<math" in html and "<semantics>" in html, cid


# What the browser shows of a page: its rendered text (closed <details> and MathML
# annotations are not rendered), how each <math> element is laid out, whether the
# verdict table is there. Added to a copy of the page by the test only.
PROBE = """<script>
document.body.setAttribute("data-probe", JSON.stringify({
  text: document.body.innerText,
  math: Array.from(document.querySelectorAll("math")).map(function (m) {
    var r = m.getBoundingClientRect(); return [getComputedStyle(m).display, r.width, r.height]; }),
  fallback: document.querySelectorAll("code.tex").length,
  table: document.querySelectorAll("table.numbers td[data-label=claimed]").length,
  rates: document.querySelectorAll("h2[id^=rate-]").length,
  plots: document.querySelectorAll("svg.plot").length}));
</script>"""


def probe(page: Path) -> dict:
    probed = page.with_name(page.stem + ".probe.html")
    probed.write_text(page.read_text().replace("</body>", PROBE + "</body>"))
    html = dom(probed.as_uri())
    m = re.search(r'data-probe="([^"]*)"', html)
    assert m, f"the probe did not run on {page}"
    return json.loads(htmllib.unescape(m.group(1)))


def shipped_claims_document() -> dict:
    """A run document holding every shipped claim, none of them measured: enough to
    render each statement, title, rate note and verdict table through the templates."""
    from claimcheck.engine import provenance
    from claimcheck.engine.discovery import discover
    from claimcheck.report.outputs import counts
    from claimcheck.stats.verdict import RateCheck

    claims, errors = discover(None)
    assert claims and not errors, errors
    docs = []
    for c in claims:
        rates = [RateCheck(rate=r, verdict="inconclusive", reason="not measured (browser test)").as_dict()
                 for r in c.rates]
        docs.append({"id": c.id, "paper": c.paper, "title": c.title, "statement": c.statement, "source": c.source,
                     "version": "browser-test", "verdict": "inconclusive", "reason": "not measured (browser test)",
                     "profile": "quick", "grid": {k: list(v) for k, v in c.grid("quick").items()},
                     "replicates": c.n_replicates("quick"), "master_seed": 0, "seeding": "", "params": {},
                     "calibration": {}, "level": 0.05, "rates": rates, "mutants": [], "compute_seconds": 0.0,
                     "reused_measurements": 0, "measurements": [], "file": c.module_file, "artefacts": []})
    prov = provenance.collect(profile="quick", master_seed=0, run_id="20260101T000000-browser", argv=[], scheduler=None,
                              jobs=1)
    document = {"schema": 1, "run_id": "20260101T000000-browser", "profile": "quick", "master_seed": 0, "level": 0.05,
                "family_wise": "", "interrupted": False, "provenance": prov, "claims": docs, "load_errors": [],
                "messages": []}
    document["summary"] = counts(document)
    return document


RAW_MATH = re.compile(r"(?<!\\)\$[^$\n]+(?<!\\)\$|\\(frac|mathrm|lfloor|mathbb|sum|sqrt|big)\b")


@pytest.mark.slow
def test_every_shipped_statement_is_math_in_the_browser(tmp_path):
    """No raw $...$ or LaTeX macro is visible on any shipped claim's page; every
    statement's math is laid out as MathML; the verdict table is there."""
    from claimcheck.report import build_report
    from claimcheck.report.math import _split

    document = shipped_claims_document()
    build_report(out=tmp_path, document=document)
    for c in document["claims"]:
        seen = probe(tmp_path / "claims" / f"{c['id']}.html")
        raw = RAW_MATH.findall(seen["text"]) and RAW_MATH.search(seen["text"]).group()
        assert not raw, f"{c['id']}: raw LaTeX on the page: {raw!r}"
        assert seen["fallback"] == 0, c["id"]
        n_segments = sum(is_math for is_math, _, _ in _split(c["statement"]))
        assert len(seen["math"]) >= n_segments > 0, c["id"]
        for display, width, height in seen["math"]:
            assert "math" in display and width > 0 and height > 0, (c["id"], display)  # laid out as MathML
        assert seen["table"] == seen["rates"] == len(c["rates"]), c["id"]


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    """The real small run of every shipped claim (tests/e2e_run.py; shared with
    tests/test_end_to_end.py), copied so that the probes do not touch it."""
    from e2e_run import real_run

    runs = real_run(tmp_path_factory.getbasetemp() / "e2e")
    copy = tmp_path_factory.mktemp("real-pages")
    for name in ("out", "rebuilt"):
        shutil.copytree(runs[name], copy / name)
    return {"out": copy / "out", "rebuilt": copy / "rebuilt"}


@pytest.mark.slow
def test_real_index_in_browser_lists_every_shipped_claim(real):
    """The index of the run that carried claims over, and the one rebuilt by
    `claimcheck report` from the store, list every shipped claim with its verdict."""
    for folder in (real["out"], real["rebuilt"]):
        document = json.loads((folder / "results.json").read_text())
        html = dom((folder / "index.html").as_uri())
        for c in document["claims"]:
            row = re.search(r'<tr data-verdict="(\w+)"[^>]*id="%s"[^>]*>(.*?)</tr>' % re.escape(c["id"]), html, re.S)
            assert row and row.group(1) == c["verdict"], (folder.name, c["id"])
        n = len(document["claims"])
        assert f"{n} of {n} shown" in html, folder.name


@pytest.mark.slow
def test_real_claim_pages_in_browser(real):
    """Real pages, as the shipped claims produce them: one claim per rate kind, one
    carried over from the earlier run, one with mutants. The browser lays out each
    page's rates, verdict table, plots and MathML, and no plot fell back to an error."""
    document = json.loads((real["out"] / "results.json").read_text())
    picks = {}
    for c in document["claims"]:
        for r in c["rates"]:
            picks.setdefault(f"kind {r['kind']}", c)
        if c.get("carried_over"):
            picks.setdefault("carried over", c)
        if c["mutants"]:
            picks.setdefault("mutants", c)
    assert {"carried over", "mutants", "kind converges", "kind limit", "kind geometric"} <= set(picks), set(picks)
    for why, c in picks.items():
        seen = probe(real["out"] / "claims" / f"{c['id']}.html")
        assert seen["rates"] == seen["table"] == len(c["rates"]), (why, c["id"])
        assert seen["plots"] >= len(c["rates"]), (why, c["id"], seen["plots"])
        assert "plot failed" not in seen["text"] and "could not be rendered" not in seen["text"], (why, c["id"])
        assert seen["math"] and all(w > 0 and h > 0 for _, w, h in seen["math"]), (why, c["id"])


@pytest.mark.slow
def test_screenshots(report):
    index = report["index"].as_uri()
    claim = (report["out"] / "claims" / "demo.tight.html").as_uri()
    shots = [screenshot(index, SHOTS / "index-1280.png", 1280, 900),
             screenshot(index, SHOTS / "index-400.png", 400, 1400),
             screenshot(claim, SHOTS / "claim-1280.png", 1280, 3000),
             screenshot(claim, SHOTS / "claim-400.png", 400, 3000)]
    for s in shots:
        assert not_blank(s), s
