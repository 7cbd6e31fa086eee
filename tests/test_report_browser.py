"""The report in a real browser: headless Chromium loads the pages from file://,
runs the filter script, and takes screenshots (wide and narrow).

Skips where Chromium is absent (Debian: ``apt-get install -y chromium``; .ci/run
installs it). Screenshots go to $CLAIMCHECK_SCREENSHOTS or reports/screenshots/.
"""
from __future__ import annotations

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


def test_index_in_browser_lists_every_claim(report):
    html = dom(report["index"].as_uri())
    for c in report["document"]["claims"]:
        row = re.search(r'<tr data-verdict="(\w+)"[^>]*id="%s"[^>]*>(.*?)</tr>' % re.escape(c["id"]), html, re.S)
        assert row and row.group(1) == c["verdict"], c["id"]
        assert c["verdict"].upper() in row.group(2)
    # the filter script ran: the form is visible and counts the rows
    assert f"{len(IDS)} of {len(IDS)} shown" in html
    assert '<form class="filters" id="filters" hidden' not in html


def test_filters_from_the_url(report):
    html = dom(report["index"].as_uri() + "?verdict=error")
    rows = re.findall(r"<tr ([^>]*data-verdict=\"(\w+)\"[^>]*)>", html)
    assert rows
    for attrs, verdict in rows:
        assert ("hidden" in attrs) == (verdict != "error"), attrs
    html = dom(report["index"].as_uri() + "?paper=demob")
    for attrs, _ in re.findall(r"<tr ([^>]*data-verdict=\"(\w+)\"[^>]*)>", html):
        assert ("hidden" in attrs) == ('data-paper="demob"' not in attrs), attrs


def test_claim_pages_show_their_plots(report):
    for cid in IDS:
        html = dom((report["out"] / "claims" / f"{cid}.html").as_uri())
        assert cid in html
        if cid == "demob.broken":
            assert "solver diverged" in html
            continue
        assert len(re.findall(r'<svg[^>]*class="plot"', html)) >= 3, cid
        assert re.search(r'<img class="math"', html), cid


def test_screenshots(report):
    index = report["index"].as_uri()
    claim = (report["out"] / "claims" / "demo.tight.html").as_uri()
    shots = [screenshot(index, SHOTS / "index-1280.png", 1280, 900),
             screenshot(index, SHOTS / "index-400.png", 400, 1400),
             screenshot(claim, SHOTS / "claim-1280.png", 1280, 3000),
             screenshot(claim, SHOTS / "claim-400.png", 400, 3000)]
    for s in shots:
        assert not_blank(s), s
