"""Machine- and CI-facing outputs of a run: results.json, junit.xml, summary.md, the
terminal table, and GitHub Actions' job summary and annotations.

Every file goes to a unique temporary name in its folder and is renamed into place
(``os.replace`` is atomic on POSIX and Windows), so a reader never sees half a file and
two runs writing one folder never trip over a shared temporary name.
"""
from __future__ import annotations

import datetime as _dt
import json
import math
import os
import shutil
import socket
import tempfile
import textwrap
from pathlib import Path
from xml.etree import ElementTree as ET

from ..stats.ratetext import SYMBOL, WORD, claimed_text, measured_text, quantity, rate_line, secs
from ..stats.results import ClaimResult, RunResult, as_run
from ..stats.verdict import ERROR, FAIL, INCONCLUSIVE, PASS

__all__ = ["write_all", "write_json", "write_junit", "markdown_summary", "terminal_table", "counts",
           "github_annotations", "write_github_summary", "write_text_atomic", "rate_line"]


# -- writing files ---------------------------------------------------------------------

def write_text_atomic(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a unique temporary file in the same folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def _finite(obj):
    """NaN/inf -> None, so a stray non-finite diagnostic cannot cost the whole file
    (JSON has no NaN; strict readers reject it)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def write_json(run: RunResult | dict, path: Path) -> None:
    """results.json: the run's ``to_json()`` (non-finite numbers as null). Not indented: json's
    C encoder serves only ``indent=None``; the pure-Python one took 3 of the main job's
    seconds for its ~10^5 measurements (``python -m json.tool`` indents it for reading)."""
    document = run.to_json() if isinstance(run, RunResult) else run
    write_text_atomic(path, json.dumps(_finite(document), default=str, allow_nan=False))


# -- what a run counts -----------------------------------------------------------------

def checked(run: RunResult | dict) -> list[ClaimResult]:
    """The claims this run checked; a report folder also shows other claims' latest
    stored results (``carried_over``), which this run's counts and CI files leave out."""
    return as_run(run).checked


def summarize(run: RunResult | dict) -> dict:
    """Counts over every claim in the run; ``incomplete`` claims are among the errors,
    unmeasured mutants are neither caught nor missed."""
    run = as_run(run)
    counts = {PASS: 0, FAIL: 0, INCONCLUSIVE: 0, ERROR: 0}
    for c in run.claims:
        counts[c.verdict] += 1
    counts[ERROR] += len(run.load_errors)
    counts["incomplete"] = sum(c.incomplete for c in run.claims)
    muts = [m for c in run.claims for m in c.mutants]
    counts["mutants_caught"] = sum(bool(m.caught) for m in muts)
    counts["mutants_missed"] = sum(not m.caught and m.measured for m in muts)
    counts["mutants_unmeasured"] = sum(not m.measured for m in muts)
    return counts


def counts(run: RunResult | dict) -> dict:
    """Counts that add up: claims checked by verdict (their sum is ``claims``); claims
    carried over from earlier runs, files that could not be loaded and selection
    messages are counted apart; mutants run, caught, missed, and not measured (an
    incomplete run is not a missed mutant)."""
    run = as_run(run)
    claims = run.checked
    by = {v: sum(c.verdict == v for c in claims) for v in WORD}
    muts = [m for c in claims for m in c.mutants]
    measured = [m for m in muts if m.measured]
    return {"claims": len(claims), **by, "incomplete": sum(c.incomplete for c in claims),
            "carried_over": len(run.claims) - len(claims),
            "load_errors": len(run.load_errors), "messages": len(run.messages),
            "mutants": len(muts), "mutants_caught": sum(bool(m.caught) for m in measured),
            "mutants_missed": sum(not m.caught for m in measured), "mutants_unmeasured": len(muts) - len(measured)}


def _plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else many or word + 's'}"


def count_line(run: RunResult | dict) -> str:
    """'5 claims: 2 passed, 1 failed, 1 inconclusive, 1 error; 2 claim files could not be loaded'."""
    run = as_run(run)
    k = counts(run)
    line = (f"{_plural(k['claims'], 'claim')}: {k['pass']} passed, {k['fail']} failed, {k['inconclusive']} inconclusive, "
            f"{_plural(k['error'], 'error')}" + (f" ({k['incomplete']} incomplete)" if k["incomplete"] else ""))
    if k["load_errors"]:
        line += f"; {_plural(k['load_errors'], 'claim file')} could not be loaded"
    if k["carried_over"]:
        line += f"; {k['carried_over']} more from earlier runs in the report"
    return line


# a paper's status is its worst claim's verdict: one error or fail is what a reader must see first
_STATUS_ORDER = ("error", "fail", "inconclusive", "pass")


def paper_status(run: RunResult | dict) -> list[dict]:
    """One row per paper (claims grouped by ``paper_key``): the claims by verdict, the
    mutants caught of those measured, and the paper's status (its worst verdict), so the
    index says at a glance which papers hold up. Claims checked in this run only."""
    run = as_run(run)
    rows: dict[str, dict] = {}
    for c in run.checked:
        r = rows.setdefault(c.paper_key, {"key": c.paper_key, "claims": 0, **{v: 0 for v in WORD},
                                          "mutants": 0, "mutants_caught": 0})
        r["claims"] += 1
        r[c.verdict] += 1
        measured = [m for m in c.mutants if m.measured]
        r["mutants"] += len(measured)
        r["mutants_caught"] += sum(bool(m.caught) for m in measured)
    for r in rows.values():
        r["status"] = next(v for v in _STATUS_ORDER if r[v] or v == "pass")
    return sorted(rows.values(), key=lambda r: r["key"])


def mutant_line(run: RunResult | dict) -> str:
    run = as_run(run)
    k = counts(run)
    if not k["mutants"]:
        return "mutants not run (claimcheck run --mutants runs them)"
    line = f"mutants: {k['mutants_caught']} of {k['mutants']} caught"
    if k["mutants_missed"]:
        line += f", {k['mutants_missed']} missed"
    if k["mutants_unmeasured"]:
        line += f", {k['mutants_unmeasured']} not measured (run incomplete)"
    return line


def family_text(run: RunResult | dict) -> str:
    """The run's multiple-testing statement; the mutants' level only when mutants ran."""
    run = as_run(run)
    text = run.family_wise
    if not counts(run)["mutants"]:
        text = text.split("; mutants")[0]
    return text


def measurement_counts(run: RunResult | dict) -> dict | None:
    """Replicates this run's claims (and mutants) rest on: ``computed`` in this run and
    ``reused`` from the store (present in the plan, not computed now); None when the
    run does not say what it computed."""
    run = as_run(run)
    computed = run.computed
    if computed is None:
        return None
    from ..engine.seeding import point_key
    from ..claim import grid_points

    present = 0
    for c in run.checked:
        keys = {point_key(p) for p in grid_points(c.grid)}
        present += sum(1 for r in c.all_measurements() if r.point in keys and r.replicate < c.replicates)
    failed = run.provenance.get("failed") or 0    # made in this run too, but not measurements
    return {"computed": computed, "reused": max(present - computed - failed, 0), "total": max(present, computed)}


# -- the looks of --until-decided --------------------------------------------------------

def _ci(lk) -> str:
    if None in (lk.measured, lk.ci_low, lk.ci_high):
        return "no CI"
    return f"{lk.measured:+.3f} [{lk.ci_low:+.3f}, {lk.ci_high:+.3f}]"


def design_text(c: ClaimResult) -> str:
    """'decided: 3 looks at 4, 8, 16 replicates (planned 4, ..., 64), level 0.05 spent pocock'."""
    s = c.sequential
    taken = sorted({lk.replicates for r in s.rates for lk in r.looks})
    return (f"{s.stop}: {_plural(len(taken), 'look')} at {', '.join(map(str, taken)) or 'no'} replicates "
            f"(planned {', '.join(map(str, s.replicates))}), level {s.level:g} spent {s.spending}")


def looks_text(c: ClaimResult) -> str:
    """A claim's path in one line per rate: 'rate: 4 inconclusive, 8 pass' (+ what it still needs)."""
    return "; ".join(f"{r.label}: " + ", ".join(f"{lk.replicates} {lk.verdict}" for lk in r.looks)
                     + (f" (still needs {r.still_needs})" if r.still_needs else "") for r in c.sequential.rates)


def sequential_markdown(run: RunResult) -> list[str]:
    """summary.md's 'Looks' section: one row per look of every claim run --until-decided
    (nothing for a plain run)."""
    claims = [c for c in run.checked if c.sequential is not None]
    if not claims:
        return []
    lines = ["", "## Looks (`--until-decided`)", ""]
    for c in claims:
        lines += [f"`{c.id}`: {_md(design_text(c))}", "",
                  "| rate | replicates | level | measured [CI] | verdict | compute |", "|---|---|---|---|---|---|"]
        for r in c.sequential.rates:
            lines += [f"| `{r.label}` | {lk.replicates} | {lk.level:.3g} | {_ci(lk)} | {WORD[lk.verdict]} | "
                      f"{secs(lk.cpu_s) if lk.cpu_s is not None else '-'} |" for lk in r.looks]
        lines += [f"- `{r.label}` undecided: still needs {_md(r.still_needs)}"
                  for r in c.sequential.rates if r.still_needs]
        lines.append("")
    return lines[:-1]


# -- junit.xml ---------------------------------------------------------------------------

def _timestamp(run: RunResult) -> str:
    """ISO 8601 without a time zone (the Ant schema's pattern), in UTC, from the run id."""
    try:
        t = _dt.datetime.strptime(run.run_id[:15], "%Y%m%dT%H%M%S")
    except ValueError:
        t = _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None)
    return t.strftime("%Y-%m-%dT%H:%M:%S")


def _rate_details(c: ClaimResult) -> str:
    lines = [f"{WORD[r.verdict]}: {r.label}: claimed {claimed_text(r)} ({quantity(r)}), measured "
             f"{measured_text(r)}; {r.reason}" for r in c.rates]
    return "\n".join(lines) or c.reason


def write_junit(run: RunResult | dict, path: Path) -> None:
    """One testcase per claim (and per mutant that ran). A claim that failed
    scientifically is a <failure>; an error or an incomplete measurement (infrastructure)
    is an <error>; inconclusive is <skipped> with its reason. Valid against the Jenkins
    (junit-4) schema and the stricter Ant junit.xsd: the suite has name, tests,
    failures, errors, skipped, time, timestamp, hostname, then properties, the cases,
    system-out and system-err; failure and error have a type, a message and a body."""
    run = as_run(run)
    prov = run.provenance
    suite = ET.Element("testsuite", name="claimcheck", tests="0", failures="0", errors="0", skipped="0",
                       time=f"{float(run.wall_time or 0.0):.3f}", timestamp=_timestamp(run),
                       hostname=(prov["machine"]["node"] if "machine" in prov else "") or socket.gethostname() or "localhost")
    props = ET.SubElement(suite, "properties")
    for name, value in (("run_id", run.run_id), ("profile", run.profile),
                        ("master_seed", run.master_seed), ("level", run.level),
                        ("commit", run.git["commit"] if run.git else None)):
        if value is not None:
            ET.SubElement(props, "property", name=name, value=str(value))
    for c in run.checked:        # --until-decided: each claim's looks (the Ant schema has no case properties)
        if c.sequential is not None:
            ET.SubElement(props, "property", name=f"until_decided.{c.id}",
                          value=f"{design_text(c)}; {looks_text(c)}")
    tally = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}

    def case(classname: str, name: str, outcome: str, kind: str, message: str, body: str, seconds: float = 0.0):
        tally["tests"] += 1
        tc = ET.SubElement(suite, "testcase", classname=classname or "claimcheck", name=name,
                           time=f"{float(seconds or 0.0):.3f}")
        if outcome == "failure":
            tally["failures"] += 1
        elif outcome == "error":
            tally["errors"] += 1
        elif outcome == "skipped":
            tally["skipped"] += 1
            ET.SubElement(tc, "skipped", message=message[:500])
            return
        else:
            return
        ET.SubElement(tc, outcome, type=kind, message=message[:500]).text = body or message

    for c in run.checked:
        verdict, cls = c.verdict, c.paper_key
        if verdict == "error" or c.incomplete:
            kind = "claimcheck.incomplete" if c.incomplete else "claimcheck.error"
            case(cls, c.id, "error", kind, c.reason, _rate_details(c), c.compute_seconds)
        elif verdict == "fail":
            case(cls, c.id, "failure", "claimcheck.claim_failed", c.reason, _rate_details(c), c.compute_seconds)
        elif verdict == "inconclusive":
            case(cls, c.id, "skipped", "", f"inconclusive: {c.reason}", "", c.compute_seconds)
        else:
            case(cls, c.id, "pass", "", "", "", c.compute_seconds)
        for m in c.mutants:
            name = f"{c.id}.mutants"
            if not m.measured:
                case(name, m.name, "error", "claimcheck.incomplete", f"mutant not measured: {m.reason}", m.reason)
            elif not m.caught:
                case(name, m.name, "failure", "claimcheck.mutant_missed", f"mutant NOT caught: {m.reason}",
                     f"{m.description}\n{m.reason}".strip())
            else:
                case(name, m.name, "pass", "", "", "")
    for e in run.load_errors:
        case("claimcheck.load", Path(e.path).name, "error", "claimcheck.load_error", e.reason, f"{e.path}: {e.reason}")
    for m in run.messages:
        case("claimcheck.run", "selection", "error", "claimcheck.usage", m, m)
    for k, v in tally.items():
        suite.set(k, str(v))
    ET.SubElement(suite, "system-out").text = terminal_table(run)
    ET.SubElement(suite, "system-err").text = ""
    ET.indent(suite)
    write_text_atomic(path, '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n")


# -- summary.md --------------------------------------------------------------------------

def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown_summary(run: RunResult | dict) -> str:
    """The HTML index in Markdown (for CI job summaries): summary line, one row per
    claim and rate (verdict as symbol and word, measured vs claimed with CI, mutants
    caught, compute time), then the reasons of every non-pass and the missed mutants."""
    run = as_run(run)
    lines = [f"# claimcheck run `{run.run_id}` ({run.profile} profile, seed {run.master_seed})", "",
             f"**{count_line(run)}**; {mutant_line(run)}", ""]
    if family_text(run):
        lines += [f"_{family_text(run)}._", ""]
    lines += ["| verdict | claim | paper | rate | measured [CI] | claimed | mutants caught | compute time |",
              "|---|---|---|---|---|---|---|---|"]
    for c in run.claims:
        muts = c.mutants
        caught = f"{sum(bool(m.caught) for m in muts)}/{len(muts)}" if muts else "-"
        verdict = f"{SYMBOL[c.verdict]} **{WORD[c.verdict]}**" + (" (incomplete)" if c.incomplete else "")
        claim = f"`{c.id}`" + (" (reconstructed)" if c.source == "reconstructed" else "") + (
            f" (from run `{c.from_run}`)" if c.carried_over else "")
        head = [verdict, claim, _md(c.paper)]
        tail = [caught, secs(c.compute_seconds)]
        if not c.rates:
            lines.append("| " + " | ".join(head + ["-", "-", "-"] + tail) + " |")
        for i, r in enumerate(c.rates):
            cells = (head if i == 0 else ["", "", ""]) + [f"`{r.label}`", measured_text(r), claimed_text(r)] + (
                tail if i == 0 else ["", ""])
            lines.append("| " + " | ".join(cells) + " |")
    problems = [c for c in run.checked if c.verdict != "pass"]
    if problems or run.load_errors or run.messages:
        lines += ["", "## Reasons", ""]
        lines += [f"- `{c.id}` **{WORD[c.verdict]}**: {_md(c.reason)}" for c in problems]
    if run.load_errors:
        lines += ["", "## Claim files that could not be loaded", ""]
        lines += [f"- `{e.path}`: {_md(e.reason)}" for e in run.load_errors]
    if run.messages:
        lines += [f"- **ERROR**: {_md(m)}" for m in run.messages]
    missed = [(c.id, m) for c in run.checked for m in c.mutants if m.measured and not m.caught]
    if missed:
        lines += ["", "## Mutants not caught", ""]
        lines += [f"- `{cid}` / `{m.name}`: {_md(m.reason)}" for cid, m in missed]
    lines += sequential_markdown(run)
    return "\n".join(lines) + "\n"


# -- the terminal ------------------------------------------------------------------------

def terminal_table(run: RunResult | dict, store=None, width: int | None = None) -> str:
    """What was checked, per claim and rate: verdict, the claimed value with its
    tolerance, what the number is, the measured value with its CI; then per run the
    counts (adding up), mutants run or not, measurements computed and reused, the store.
    Reasons are wrapped to ``width`` (default: the terminal's, at least 60 columns)."""
    run = as_run(run)
    width = width or max(60, shutil.get_terminal_size((100, 24)).columns)
    out = [f"claimcheck run {run.run_id} · {run.profile} profile · seed {run.master_seed}", ""]
    for c in run.checked:
        flag = "  [incomplete]" if c.incomplete else ""
        out.append(f"{WORD[c.verdict]:<13} {c.id}  [{c.source}]{flag}")
        rates = c.rates
        w_word = max((len(WORD[r.verdict]) for r in rates), default=0)
        w_label = max((len(r.label) for r in rates), default=0)
        w_claim = max((len(claimed_text(r)) for r in rates), default=0)
        for r in rates:
            out.append(f"    {WORD[r.verdict]:<{w_word}}  {r.label:<{w_label}}  claimed {claimed_text(r):<{w_claim}}  "
                       f"measured {measured_text(r)}  ({quantity(r)})")
        if c.verdict != "pass":
            out.append(textwrap.fill(f"reason: {c.reason}", width=width, initial_indent="    ",
                                     subsequent_indent="        ", break_on_hyphens=False))
        for m in c.mutants:
            state = ("not measured" if not m.measured else "caught" if m.caught else "MISSED")
            out.append(textwrap.fill(f"mutant {m.name}: {state}" + ("" if m.caught else f" ({m.reason})"),
                                     width=width, initial_indent="    ", subsequent_indent="        ",
                                     break_on_hyphens=False))
    for e in run.load_errors:
        out.append(f"{'LOAD ERROR':<13} {e.path}: {e.reason}")
    for m in run.messages:
        out.append(f"{'ERROR':<13} {m}")
    out += ["", count_line(run), mutant_line(run)]
    k = measurement_counts(run)
    where = store
    if k is not None:
        failed = run.provenance.get("failed")
        out.append(f"measurements: {k['computed']} computed in this run"
                   + (f", {failed} failed" if failed else "") + f", {k['reused']} reused from the store"
                   + (f" {where}" if where else "") + (f"; wall time {secs(run.wall_time)}"
                                                       if run.wall_time is not None else ""))
    elif where:
        out.append(f"store: {where}")
    if family_text(run):
        out.append(family_text(run))
    return "\n".join(out)


# -- GitHub Actions ------------------------------------------------------------------------

def _gh_escape(text: str, prop: bool = False) -> str:
    """Workflow-command escaping (% \\r \\n always; : and , in properties)."""
    text = str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def _relpath(path: str | None) -> str | None:
    if not path:
        return None
    try:
        return os.path.relpath(path, os.getenv("GITHUB_WORKSPACE") or os.getcwd())
    except ValueError:  # another drive on Windows
        return path


def github_annotations(run: RunResult | dict) -> list[str]:
    """``::error`` lines for failed and errored claims, missed mutants and broken claim
    files; ``::warning`` for inconclusive claims. Each names the claim file when known."""
    run = as_run(run)
    lines = []

    def emit(level: str, file: str | None, title: str, message: str) -> None:
        where = f"file={_gh_escape(file, True)}," if file else ""
        lines.append(f"::{level} {where}title={_gh_escape(title, True)}::{_gh_escape(message)}")

    for c in run.checked:
        file = _relpath(c.file)
        v = c.verdict
        if v in ("fail", "error") or c.incomplete:
            word = "incomplete" if c.incomplete and v != "fail" else {"fail": "failed", "error": "error"}[v]
            emit("error", file, f"claim {c.id} {word}", c.reason)
        elif v == "inconclusive":
            emit("warning", file, f"claim {c.id} inconclusive", c.reason)
        for m in c.mutants:
            if m.measured and not m.caught:
                emit("error", file, f"mutant {c.id}/{m.name} not caught", m.reason)
    for e in run.load_errors:
        emit("error", _relpath(e.path), "claim file could not be loaded", e.reason)
    return lines


def write_github_summary(run: RunResult | dict, path=None) -> Path | None:
    """Append summary.md to the job summary (``path``, default $GITHUB_STEP_SUMMARY);
    None when there is no such file to write."""
    path = path or os.getenv("GITHUB_STEP_SUMMARY")
    if not path:
        return None
    with open(path, "a", encoding="utf-8") as f:  # the job summary is shared by every step: append
        f.write(markdown_summary(run) + "\n")
    return Path(path)


def write_all(run: RunResult | dict, out: Path) -> list[Path]:
    """results.json (``to_json()``), junit.xml and summary.md of a run."""
    out = Path(out)
    paths = [out / "results.json", out / "junit.xml", out / "summary.md"]
    write_json(run, paths[0])   # a document given as JSON is written as given
    run = as_run(run)
    write_junit(run, paths[1])
    write_text_atomic(paths[2], markdown_summary(run))
    return paths
