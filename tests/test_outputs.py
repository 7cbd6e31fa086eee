"""The terminal table, summary.md, GitHub Actions output and atomic writes."""
from __future__ import annotations

import json
import threading
from pathlib import Path

from claimcheck.report.outputs import (counts, github_annotations, markdown_summary, terminal_table, write_all,
                                write_github_summary, write_text_atomic)
from run_documents import every_outcome, toy_run_document


def test_counts_add_up_and_load_errors_are_apart():
    doc = every_outcome()
    k = counts(doc)
    assert k["claims"] == 5 == k["pass"] + k["fail"] + k["inconclusive"] + k["error"]
    assert (k["pass"], k["fail"], k["inconclusive"], k["error"], k["incomplete"]) == (1, 1, 2, 1, 1)
    assert k["load_errors"] == 1
    assert (k["mutants"], k["mutants_caught"], k["mutants_missed"], k["mutants_unmeasured"]) == (3, 1, 1, 1)
    table = terminal_table(doc)
    assert "5 claims: 1 passed, 1 failed, 2 inconclusive, 1 error (1 incomplete); 1 claim file could not be loaded" in table
    assert "mutants: 1 of 3 caught, 1 missed, 1 not measured (run incomplete)" in table


def test_table_says_what_was_checked():
    table = terminal_table(every_outcome(), store="reports/claimcheck.sqlite")
    lines = table.splitlines()
    assert lines[0] == "claimcheck run 20260102T030405-abcdef · quick profile · seed 0"
    tight = next(line for line in lines if "err~N" in line and "PASS" in line)
    assert "claimed -0.5 ± 0.1" in tight and "measured -0.500 [-0.550, -0.450]" in tight and "(exponent in N)" in tight
    limit = next(line for line in lines if "m~N" in line)
    assert "claimed → 0 ± 0.01" in limit and "measured 0.004 [-0.046, 0.054]" in limit  # the tolerance is printed
    assert "mutant unmeasured: not measured" in table and "mutant missed: MISSED" in table
    assert "LOAD ERROR    /repo/claims/broken_claim.py: SyntaxError (line 3)" in table
    assert ("measurements: 300 computed in this run, 0 reused from the store "
            "reports/claimcheck.sqlite; wall time 12.5 s") in table
    assert "demo.incomplete  [paper]  [incomplete]" in table
    assert "mutants checked at the Bonferroni level" in table


def test_no_mutant_level_when_mutants_did_not_run(tmp_path):
    doc = toy_run_document(tmp_path, mutants=False)
    table = terminal_table(doc)
    assert "mutants not run" in table and "Bonferroni level" not in table and "mutant " not in table
    assert "1 claim: 1 passed, 0 failed, 0 inconclusive, 0 errors" in table
    assert "measurements: 200 computed in this run, 0 reused" in table
    assert "Bonferroni level" not in markdown_summary(doc)


def test_a_second_run_says_it_reused_everything(tmp_path):
    toy_run_document(tmp_path)
    again = toy_run_document(tmp_path)   # same store: claim and mutant rows are all reused
    table = terminal_table(again, store=tmp_path / "store.sqlite")
    assert f"measurements: 0 computed in this run, 400 reused from the store {tmp_path / 'store.sqlite'}" in table
    from claimcheck.report.pages import run_timing
    timing = run_timing(again)
    assert timing["analysis_only"] and timing["replicates"] == 400 and timing["compute"] > 0


def test_summary_md_counts_like_the_table():
    md = markdown_summary(every_outcome())
    assert "**5 claims: 1 passed, 1 failed, 2 inconclusive, 1 error (1 incomplete); 1 claim file could not be loaded**" in md
    assert "## Claim files that could not be loaded" in md and "`/repo/claims/broken_claim.py`" in md
    assert "`missed`" in md and "`unmeasured`" not in md.split("## Mutants not caught")[1]


def test_github_annotations(monkeypatch):
    monkeypatch.setenv("GITHUB_WORKSPACE", "/repo")
    lines = github_annotations(every_outcome())
    assert "::error file=claims/demo_fail.py,title=claim demo.fail failed::fail because" in lines
    assert "::error file=claims/demo_error.py,title=claim demo.error error::ValueError%3A solver diverged at N=256" \
        not in lines  # ':' is escaped only in properties
    assert "::error file=claims/demo_error.py,title=claim demo.error error::ValueError: solver diverged at N=256" in lines
    assert any(x.startswith("::error file=claims/demo_incomplete.py,title=claim demo.incomplete incomplete::") for x in lines)
    assert "::warning file=claims/demo_inconclusive.py,title=claim demo.inconclusive inconclusive::" \
           "CI straddles the band%3A too noisy to decide".replace("%3A", ":") in lines
    assert any("title=mutant demo.fail/missed not caught" in x for x in lines)
    assert not any("unmeasured" in x for x in lines)
    assert "::error file=claims/broken_claim.py,title=claim file could not be loaded::SyntaxError (line 3)" in lines
    assert not any("demo.pass" in x for x in lines)


def test_github_summary_appends(tmp_path, monkeypatch):
    summary = tmp_path / "step_summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert write_github_summary(every_outcome()) == summary
    text = summary.read_text()
    assert text.startswith("earlier step\n") and "# claimcheck run `20260102T030405-abcdef`" in text
    monkeypatch.delenv("GITHUB_STEP_SUMMARY")
    assert write_github_summary(every_outcome()) is None


def test_atomic_writes_leave_no_temporary_files(tmp_path):
    paths = write_all(every_outcome(), tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["junit.xml", "results.json", "summary.md"]
    assert json.loads(paths[0].read_text())["run_id"] == "20260102T030405-abcdef"


def test_concurrent_writers_never_collide(tmp_path):
    """Two runs writing one folder (issue 12: one crashed on a shared results.tmp 3 of 8
    times): each write uses its own temporary name; the file is always whole."""
    target = tmp_path / "results.json"
    texts = [json.dumps({"writer": i, "pad": "x" * 200_000}) for i in range(2)]
    failures = []

    def writer(i):
        try:
            for _ in range(40):
                write_text_atomic(target, texts[i])
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            failures.append(exc)

    def reader():
        for _ in range(200):
            if target.exists():
                assert target.read_text() in texts  # never half a file
    threads = [threading.Thread(target=writer, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    reader()
    for t in threads:
        t.join()
    assert not failures and target.read_text() in texts
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]


def test_failed_write_leaves_the_old_file(tmp_path):
    target = tmp_path / "summary.md"
    target.write_text("old")

    class Boom:
        def __str__(self):
            raise RuntimeError("boom")
    try:
        write_text_atomic(target, Boom())  # type: ignore[arg-type]
    except TypeError:
        pass
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["summary.md"]


def test_report_pages_are_written_atomically(tmp_path):
    from claimcheck.report import build_report
    index = build_report(out=tmp_path, document=every_outcome())
    assert index.exists()
    leftovers = [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]
    assert not leftovers
    assert Path(tmp_path / "claims" / "demo.fail.html").exists()
