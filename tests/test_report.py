"""The HTML report: index and claim pages, plots, history, raw data, CLI, size."""
from __future__ import annotations

import csv
import io
import json
import re
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from claimcheck.commands.cli import main
from claimcheck.report.outputs import markdown_summary, write_all
from claimcheck.report import ReportError, build_report
from claimcheck.report.math import render, unrenderable
from claimcheck.commands.runner import RunOptions, run

CLAIMS = textwrap.dedent(r'''
    import numpy as np
    from claimcheck import Claim, Mutant, Rate

    # claim: 
    def tight(point, rng):
        return {"err": abs(rng.standard_normal(int(point["N"])).mean())}

    def flat(point, rng):
        return {"err": abs(rng.standard_normal(16).mean())}

    def figure(ctx):
        from matplotlib.figure import Figure
        points, tab = ctx.table("err")
        fig = Figure(figsize=(3, 2))
        ax = fig.add_subplot()
        ax.loglog([p["N"] for p in points], np.nanmean(tab, axis=1), "o-")
        ax.set_xlabel("N")
        fig.savefig(ctx.outdir / "figure-1.svg")
        (ctx.outdir / "figure-1.csv").write_text("N,err\n")

    tight_claim = Claim(
        id="demo.tight", paper="Demo paper A, Thm 1", title="error decays as N^-1/2",
        statement=r"For i.i.d. $X_i \sim N(0,1)$: $\mathbb{E}|\bar X_N| = \sqrt{2/\pi}\,N^{-1/2}$.",
        source="paper", grids={"quick": {"N": [16, 64, 256, 1024, 4096]}}, replicates={"quick": 200},
        rates=[Rate(metric="err", axis="N", kind="tight", predicted=-0.5, tolerance=0.15)],
        simulate=tight, mutants=[Mutant("flat", flat, "sample size stuck at 16")], artefacts=figure,
        power="Catches an exponent off by 0.15 or more; cannot see a constant factor.")

    # claim: 
    def two_axes(point, rng):
        x = rng.standard_normal(int(point["N"]))
        return {"err": point["d"] * abs(x.mean()), "bias": x.mean()}

    axes_claim = Claim(
        id="demo.axes", paper="Demo paper A, Thm 2", title="two axes and a limit",
        statement=r"$\mathbb{E}|\bar X_N|\,d \asymp d\,N^{-1/2}$ and $\bar X_N \to 0$.",
        source="paper", grids={"quick": {"N": [16, 64, 256, 1024], "d": [1, 3]}}, replicates={"quick": 60},
        rates=[Rate(metric="err", axis="N", kind="tight", predicted=-0.5, tolerance=0.15),
               Rate(metric="bias", axis="N", kind="limit", target=0.0, tolerance=0.05)],
        simulate=two_axes, mutants=[Mutant("flat", lambda p, r: {"err": p["d"] * abs(r.standard_normal(16).mean()), "bias": 0.5 + r.standard_normal() * 0.01}, "stuck")])

    # claim: 
    def geo(point, rng):
        return {"err": 0.5 ** point["k"] * float(np.exp(0.1 * rng.standard_normal()))}

    geo_claim = Claim(
        id="demob.geometric", paper="Demo paper B, Lemma 3", title="geometric decay",
        statement=r"$\|e_k\| \le C \rho^k$ with $\rho \le 0.6$.", source="paper",
        grids={"quick": {"k": [2, 4, 6, 8, 10]}}, replicates={"quick": 40},
        rates=[Rate(metric="err", axis="k", kind="geometric", predicted=0.6, tolerance=0.1)],
        simulate=geo, mutants=[Mutant("slow", lambda p, r: {"err": 0.95 ** p["k"] * float(np.exp(0.1 * r.standard_normal()))}, "rho 0.95")])

    # claim: 
    def converging(point, rng):
        return {"err": point["N"] ** -0.3 * float(np.exp(0.2 * rng.standard_normal()))}

    recon_claim = Claim(
        id="demob.recon", paper="Demo paper B, Thm 4 (statement not available)", title="converges, no rate",
        statement=r"$e_N = \notamacro{o(1)}$ as $N \to \infty$.", source="reconstructed",
        grids={"quick": {"N": [16, 64, 256, 1024]}}, replicates={"quick": 40},
        rates=[Rate(metric="err", axis="N", kind="converges", heuristic=-0.3)],
        simulate=converging, mutants=[Mutant("flat", lambda p, r: {"err": float(np.exp(0.2 * r.standard_normal()))}, "no decay")])

    # claim: 
    def broken(point, rng):
        if point["N"] == 256:
            raise ValueError("solver diverged")
        return {"err": 1.0 / point["N"]}

    broken_claim = Claim(
        id="demob.broken", paper="Demo paper B, Thm 5", title="a simulation that breaks",
        statement=r"$e_N \le C N^{-1}$", source="paper", grids={"quick": {"N": [16, 64, 256, 1024]}},
        replicates={"quick": 5}, rates=[Rate(metric="err", axis="N", kind="upper", predicted=-1.0)],
        simulate=broken, mutants=[Mutant("same", broken, "same")])
''')

IDS = ["demo.tight", "demo.axes", "demob.geometric", "demob.recon", "demob.broken"]


def make_report(root: Path) -> dict:
    """Two seeded runs of five small demo claims into one store; report of the second."""
    claims = root / "claims"
    claims.mkdir(parents=True, exist_ok=True)
    # one claim per file: claims of one file share a version hash, and the store
    # keys measurements by version (see the report on issue 5)
    head, *parts = re.split(r"\n(?=# claim: )", CLAIMS)
    for i, part in enumerate(parts):
        (claims / f"demo_claims_{i}.py").write_text(head + "\n" + part)
    out, store = root / "out", root / "store.sqlite"
    result = None
    for seed in (1, 0):
        opts = RunOptions(seed=seed, jobs=1, mutants=True, out=out, store=store, claims_dirs=[claims], progress=False)
        result = run(opts)
        write_all(result.document, out)
    t0 = time.perf_counter()
    index = build_report(out=out, store=store, document=result.document)
    return {"out": out, "store": store, "index": index, "document": result.document,
            "seconds": time.perf_counter() - t0}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    return make_report(tmp_path_factory.mktemp("report"))


def page(report, claim_id: str) -> str:
    return (report["out"] / "claims" / f"{claim_id}.html").read_text()


def test_demo_claims_cover_every_verdict_shape(report):
    verdicts = {c["id"]: c["verdict"] for c in report["document"]["claims"]}
    assert set(verdicts) == set(IDS)
    assert verdicts["demob.broken"] == "error"
    assert verdicts["demo.tight"] == "pass"


def test_index_lists_every_claim_with_its_verdict(report):
    html = report["index"].read_text()
    s = report["document"]["summary"]
    assert f"{s['pass']} passed" in html and f"{s['error']} error" in html
    for c in report["document"]["claims"]:
        row = re.search(r'<tr data-verdict="(\w+)" data-paper="([^"]*)" id="%s">(.*?)</tr>' % re.escape(c["id"]), html, re.S)
        assert row, c["id"]
        assert row.group(1) == c["verdict"]
        word = {"pass": "PASS", "fail": "FAIL", "inconclusive": "INCONCLUSIVE", "error": "ERROR"}[c["verdict"]]
        assert word in row.group(3)  # the verdict is a word, not only a colour
        assert f'href="claims/{c["id"]}.html"' in row.group(3)
        assert (report["out"] / "claims" / f"{c['id']}.html").exists()
    # filters by paper and verdict
    assert '<select id="f-paper">' in html and 'value="demob"' in html and 'value="demo"' in html
    for v in ("pass", "fail", "inconclusive", "error"):
        assert f'type="checkbox" value="{v}"' in html


def test_index_groups_claims_by_paper_with_each_papers_status(report):
    """One row per paper: its claims by verdict, mutants caught, and its status (the worst
    verdict: demob holds the erroring claim, so its status is error)."""
    html = report["index"].read_text()
    claims = report["document"]["claims"]
    for key in ("demo", "demob"):
        mine = [c for c in claims if c["id"].split(".")[0] == key]
        row = re.search(r'<tr data-paper="%s">(.*?)</tr>' % key, html, re.S)
        assert row, key
        cells = re.findall(r'<td[^>]*>(.*?)</td>', row.group(1), re.S)
        assert cells[2] == str(len(mine))
        assert [int(x) for x in cells[3:7]] == [sum(c["verdict"] == v for c in mine)
                                                for v in ("pass", "fail", "inconclusive", "error")]
        worst = next(v for v in ("error", "fail", "inconclusive", "pass") if any(c["verdict"] == v for c in mine))
        assert {"pass": "PASS", "fail": "FAIL", "inconclusive": "INCONCLUSIVE", "error": "ERROR"}[worst] in cells[0]
    assert re.search(r'<tr data-paper="demob">.*?ERROR', html, re.S)


def test_index_shows_measured_against_claimed(report):
    html = report["index"].read_text()
    tight = next(c for c in report["document"]["claims"] if c["id"] == "demo.tight")
    r = tight["rates"][0]
    assert f"{r['measured']:+.3f}" in html and f"[{r['ci_low']:+.3f}, {r['ci_high']:+.3f}]" in html
    assert "claimed +0.5" not in html and "claimed -0.5 ± 0.15" in html
    assert 'class="cibar"' in html


@pytest.mark.parametrize("claim_id", ["demo.tight", "demo.axes", "demob.geometric", "demob.recon"])
def test_claim_page_has_labelled_plots(report, claim_id):
    html = page(report, claim_id)
    svgs = re.findall(r"<svg[^>]*class=\"plot\".*?</svg>", html, re.S)
    assert len(svgs) >= 3  # rate plot, local slopes, residuals (+ mutants, history)
    doc = next(c for c in report["document"]["claims"] if c["id"] == claim_id)
    axis = doc["rates"][0]["axis"]
    main_svg = svgs[0]
    assert re.search(r"<text[^>]*>[^<]*\b%s\b" % axis, main_svg), "x axis label missing"
    assert re.search(r"<text[^>]*>[^<]*\(err\)", main_svg), "y axis label missing"
    # a few hundred points at most per plot: count marker uses
    for svg in svgs:
        assert svg.count("<use ") <= 600


def test_claim_page_content(report):
    html = page(report, "demo.tight")
    doc = next(c for c in report["document"]["claims"] if c["id"] == "demo.tight")
    assert "<math" in html and '<annotation encoding="application/x-tex">X_i \\sim N(0,1)</annotation>' in html
    assert "Read from the paper" in html
    assert "<dt>Power</dt>" in html and "Catches an exponent off by 0.15 or more" in html
    assert "N</code> ∈ 16, 64, 256, 1024, 4096" in html and "200 per grid point" in html and "master seed 0" in html
    assert doc["rates"][0]["reason"] in html
    assert "This sweep would have detected" in html or "would have detected a deviation" in html
    assert "flat" in html and "caught" in html          # mutant with its measured exponent
    assert "figure-1.svg" in html and 'src="../artefacts/demo.tight/figure-1.svg"' in html
    assert 'href="../artefacts/demo.tight/figure-1.csv"' in html
    assert doc["version"] in html                          # provenance
    assert "numpy" in html and "Python" in html
    assert re.search(r"<dt>Execution</dt><dd>in-process \(1 job\); run wall time [\d.]+ m?s; this claim&#39;s replicates took", html)
    assert 'href="../data/demo.tight.csv"' in html and 'href="../data/demo.tight.json"' in html
    assert "history of the measured err exponent" in html  # two runs stored: history graph
    assert html.count("(this run)") == 1


def test_reconstructed_and_unrenderable_math(report):
    html = page(report, "demob.recon")
    assert "reconstructed" in html
    assert '<code class="tex"' in html and r"\notamacro" in html  # fallback to the LaTeX source
    assert "<math" in html                                         # the other segment still renders


def test_error_claim_page(report):
    html = page(report, "demob.broken")
    assert "ERROR" in html and "solver diverged" in html


def test_render_escapes_text_and_writes_mathml():
    html = str(render("a <b> & $x^2$ costs \\$5"))
    assert html.startswith("a &lt;b&gt; &amp; <math") and "<msup><mi>x</mi><mn>2</mn></msup>" in html
    assert html.endswith("</math> costs $5")


@pytest.mark.parametrize("tex", [r"\frac1N\sum_{i\le N}", r"g^N_{\lfloor NT\rfloor}", r"\mathrm{timeAvg}^{N,p}_T",
                                 r"\big(\mathbb{E}_\theta \tfrac1N\big)^{1/2}", r"e = \begin{cases} o(1) \end{cases}"])
def test_math_that_mathtext_could_not_draw_renders(tex):
    assert unrenderable(f"${tex}$") == []
    html = str(render(f"${tex}$"))
    assert html.startswith("<math") and "code" not in html


def test_upright_words_stay_words():
    assert "<mi>timeAvg</mi>" in str(render(r"$\mathrm{timeAvg}_T$"))


@pytest.mark.parametrize("text, bad", [(r"$\foo x$ and $y$", [r"$\foo x$"]), (r"$\frac{1}$", [r"$\frac{1}$"]),
                                       (r"$\frac{1$", [r"$\frac{1$"]), ("$x$ costs $5", ["unmatched $ in 'costs $5'"])])
def test_unrenderable_names_the_segments(text, bad):
    assert unrenderable(text) == bad
    if not bad[0].startswith("unmatched"):
        assert '<code class="tex"' in str(render(text))


def test_every_shipped_statement_renders():
    from claimcheck.engine.discovery import discover
    claims, errors = discover(None)
    assert claims and not errors
    for c in claims:
        for text in [c.statement, c.title, *(r.note or "" for r in c.rates)]:
            assert unrenderable(text) == [], (c.id, text)


def test_no_network_resources(report):
    for f in [report["index"], *(report["out"] / "claims").glob("*.html")]:
        html = f.read_text()
        assert not re.search(r"""(src|href|xlink:href)\s*=\s*["']?(https?:)?//""", html), f
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", html), f
        assert "@import" not in html and "<link" not in html, f
        assert "<script src" not in html, f


def test_size_and_build_time(report):
    html = [report["index"], *(report["out"] / "claims").glob("*.html")]
    total = sum(f.stat().st_size for f in html)
    assert total < 2_000_000, total
    assert max(f.stat().st_size for f in html) < 600_000
    assert report["seconds"] < 60  # a few seconds on an idle machine; generous for shared CI


def test_raw_data_csv_refits(report):
    doc = next(c for c in report["document"]["claims"] if c["id"] == "demo.tight")
    rows = list(csv.DictReader(io.StringIO((report["out"] / "data" / "demo.tight.csv").read_text())))
    assert len(rows) == 2 * 5 * 200  # claim + one mutant, 5 points, 200 replicates
    claim_rows = [r for r in rows if r["variant"] == ""]
    xs = sorted({float(r["N"]) for r in claim_rows})
    means = [np.mean([float(r["err"]) for r in claim_rows if float(r["N"]) == x]) for x in xs]
    assert means == pytest.approx(doc["rates"][0]["fit"]["stat"], rel=1e-12)
    fits = json.loads((report["out"] / "data" / "demo.tight.json").read_text())
    assert fits["rates"][0]["fit"]["slope"] == doc["rates"][0]["fit"]["slope"]
    assert "measurements" not in fits
    # the snippet printed on the page runs on the CSV and gives an exponent near the fit
    html = page(report, "demo.tight")
    code = re.search(r"<pre>(.*?)</pre>", html, re.S).group(1).replace("&#39;", "'").replace("&amp;", "&")
    ns: dict = {}
    import contextlib
    import os
    cwd = os.getcwd()
    try:
        os.chdir(report["out"] / "data")
        with contextlib.redirect_stdout(io.StringIO()) as buf:
            exec(code, ns)  # noqa: S102 - our own generated snippet
    finally:
        os.chdir(cwd)
    assert abs(ns["slope"] - doc["rates"][0]["measured"]) < 0.05, buf.getvalue()


def test_summary_md_mirrors_index(report):
    md = (report["out"] / "summary.md").read_text()
    assert md == markdown_summary(report["document"])
    for c in report["document"]["claims"]:
        assert c["id"] in md
    assert "ERROR" in md and "PASS" in md


def test_report_command_from_store(report, tmp_path, capsys):
    out = tmp_path / "rebuilt"
    assert main(["report", "--out", str(out), "--store", str(report["store"])]) == 0
    html = (out / "index.html").read_text()
    for cid in IDS:
        assert cid in html
    assert report["document"]["run_id"] in html  # the latest run by default
    # an older run by prefix; the history then stops at that run
    from claimcheck.engine.store import Store
    db = Store(report["store"])
    runs = [r["run_id"] for r in db.runs()]
    db.close()
    assert main(["report", "--out", str(tmp_path / "old"), "--store", str(report["store"]), "--run", runs[0]]) == 0
    old = (tmp_path / "old" / "claims" / "demo.tight.html").read_text()
    assert runs[0] in old and "1 stored run(s) of this profile" in old  # history stops at that run
    # rebuilt pages show the stored measurements again
    assert "<svg" in (out / "claims" / "demo.tight.html").read_text()
    assert main(["report", "--out", str(tmp_path / "x"), "--store", str(report["store"]), "--run", "nope"]) == 2
    assert main(["report", "--out", str(tmp_path / "x"), "--store", str(tmp_path / "missing.sqlite")]) == 2
    assert not (tmp_path / "missing.sqlite").exists()
    capsys.readouterr()


def test_build_report_needs_a_store_or_document(tmp_path):
    with pytest.raises(ReportError):
        build_report(out=tmp_path, store=tmp_path / "none.sqlite")


def test_history_marks_verdict_changes(tmp_path):
    from claimcheck.report.history import claim_history, rate_series
    from claimcheck.report.plots import history_plot
    from claimcheck.engine.store import Store
    from claimcheck.stats.results import RateResult

    db = Store(tmp_path / "h.sqlite")
    rate = {"label": "err~N", "metric": "err", "axis": "N", "kind": "tight", "predicted": -0.5, "tolerance": 0.1}
    for i, (verdict, slope, version) in enumerate([("pass", -0.5, "v1"), ("pass", -0.49, "v1"), ("fail", -0.2, "v2"),
                                                   ("fail", -0.21, "v2")]):
        run_id = f"run{i}"
        db.start_run(run_id, "quick", i, {"git": {"commit": f"{i:040d}"}})
        db.put_verdict(run_id, "x.y", version, {"verdict": verdict, "version": version, "master_seed": i, "mutants": [],
                                                "rates": [dict(rate, measured=slope, ci_low=slope - 0.02,
                                                               ci_high=slope + 0.02, verdict=verdict)]})
        db.finish_run(run_id, "finished")
        time.sleep(0.01)
    db.start_run("full0", "full", 0, {})
    db.put_verdict("full0", "x.y", "v2", {"verdict": "pass", "rates": []})
    hist = claim_history(db, "x.y", "quick")
    assert [h["run_id"] for h in hist] == ["run0", "run1", "run2", "run3"]  # other profiles left out
    assert [h["changed"] for h in hist] == [False, False, True, False]
    assert [h["claim_changed"] for h in hist] == [False, False, True, False]
    assert [h["run_id"] for h in claim_history(db, "x.y", "quick", upto="run1")] == ["run0", "run1"]
    svg = str(history_plot(rate_series(hist, "err~N"), RateResult.from_json(rate), "t"))
    assert "→ fail" in svg and "claim changed" in svg and "<svg" in svg
    db.close()


def test_stale_pages_are_removed(report, tmp_path):
    import shutil
    out = tmp_path / "copy"
    shutil.copytree(report["out"], out)
    (out / "claims" / "gone.claim.html").write_text("old")
    (out / "data" / "gone.claim.csv").write_text("old")
    build_report(out=out, store=report["store"], document=report["document"])
    assert not (out / "claims" / "gone.claim.html").exists() and not (out / "data" / "gone.claim.csv").exists()
    assert (out / "claims" / "demo.tight.html").exists()


def test_claimcheck_run_writes_the_report(report, tmp_path, capsys):
    out = tmp_path / "run-out"
    code = main(["run", "demo.tight", "--claims-dir", str(report["out"].parent / "claims"), "--store", str(report["store"]),
                 "--out", str(out), "--jobs", "1", "--no-progress"])
    assert code == 0
    assert "index.html" in capsys.readouterr().out
    html = (out / "index.html").read_text()
    # the other claims stay in the folder, marked as results of an earlier run; counts are this run's
    assert "demo.tight" in html and re.search(r'id="demob.recon">.*?from run \d{8}T', html, re.S)
    assert "1 claim checked:" in html and "4 more from earlier runs" in html
    assert "demob.recon" not in (out / "junit.xml").read_text()
    assert (out / "claims" / "demo.tight.html").exists()
    assert 'src="../artefacts/demo.tight/figure-1.svg"' in (out / "claims" / "demo.tight.html").read_text()
    assert (out / "artefacts" / "demo.tight" / "figure-1.svg").exists()


def test_calibration_row_is_text_not_a_raw_dict(tmp_path):
    """issue 19: the Calibration row printed the record's nested dicts raw
    ("exponent_sd: {'ode_err~N': 0.0093}")."""
    from run_documents import claim, every_outcome, rate

    record = {"claim_version": "80238f326aedb359", "detectable_deviation": 0.0769,
              "exponent_sd": {"ode_err~N": 0.0093}, "false_fail_rate": 0.0, "false_fail_rate_upper95": 0.2129,
              "inconclusive_rate": 0.0, "measured": "2026-11-30",
              "mutant_catch_rate": {"ode-alpha-2x": 1.0, "output-unscaled": 0.9}, "profile": "quick",
              "replicates": 64, "seeds": 10, "status": "current"}
    document = every_outcome()
    document["claims"] = [claim("demo.calibrated", "pass", [rate()], calibration=record)]
    build_report(out=tmp_path, document=document)
    html = (tmp_path / "claims" / "demo.calibrated.html").read_text()
    row = re.search(r"<dt>Calibration[^<]*</dt><dd>(.*?)</dd>", html, re.S).group(1)
    assert "{" not in row and "}" not in row, row
    assert ("measured 2026-11-30 over 10 master seeds at 64 replicates (quick profile, claim version 80238f32): "
            "false fails 0% (upper 95% bound 21%); inconclusive 0%; exponent s.d. 0.0093 (ode_err~N); "
            "detectable deviation 0.0769; mutants caught: ode-alpha-2x 100%, output-unscaled 90%") == row
