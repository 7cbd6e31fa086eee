"""Machine- and CI-facing outputs of a run: results.json, junit.xml, summary.md, and
the terminal table."""
from __future__ import annotations

import json
import math
from pathlib import Path
from xml.etree import ElementTree as ET

WORD = {"pass": "PASS", "fail": "FAIL", "inconclusive": "INCONCLUSIVE", "error": "ERROR"}


def _num(x, fmt="{:+.3f}") -> str:
    return fmt.format(x) if isinstance(x, (int, float)) and x is not None and math.isfinite(x) else "-"


def rate_line(r: dict) -> str:
    if r["kind"] == "limit":
        return (f"{r['label']}: {r['kind']} -> {_num(r['predicted'], '{:g}')}, measured {_num(r['measured'], '{:.4g}')} "
                f"[{_num(r['ci_low'], '{:.4g}')}, {_num(r['ci_high'], '{:.4g}')}]")
    if r["kind"] == "geometric" and r.get("measured_rho") is not None:
        lo, hi = r["rho_ci"]
        return f"{r['label']}: rho <= {r['predicted']:g}, measured {r['measured_rho']:.3g} [{lo:.3g}, {hi:.3g}]"
    pred = "<0" if r["kind"] == "converges" else _num(r["predicted"])
    return (f"{r['label']}: {r['kind']} {pred}, measured {_num(r['measured'])} "
            f"[{_num(r['ci_low'])}, {_num(r['ci_high'])}]")


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


def write_json(document: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(_finite(document), indent=1, default=str, allow_nan=False))
    tmp.replace(path)


def write_junit(document: dict, path: Path) -> None:
    """One testcase per claim (and per mutant): fail/error map to JUnit failure/error,
    inconclusive to skipped with its reason."""
    suite = ET.Element("testsuite", name="claimcheck", tests="0", failures="0", errors="0", skipped="0")
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}

    def case(classname, name, verdict, reason, seconds, details):
        counts["tests"] += 1
        tc = ET.SubElement(suite, "testcase", classname=classname, name=name, time=f"{seconds:.3f}")
        if verdict == "fail":
            counts["failures"] += 1
            ET.SubElement(tc, "failure", message=reason[:500]).text = details
        elif verdict == "error":
            counts["errors"] += 1
            ET.SubElement(tc, "error", message=reason[:500]).text = details
        elif verdict == "inconclusive":
            counts["skipped"] += 1
            ET.SubElement(tc, "skipped", message=reason[:500])
        ET.SubElement(tc, "system-out").text = details

    for c in document["claims"]:
        details = "\n".join(rate_line(r) + f" -> {r['verdict']}: {r['reason']}" for r in c["rates"])
        case(c["paper"] and c["id"].split(".")[0], c["id"], c["verdict"], c["reason"], c["compute_seconds"], details)
        for m in c["mutants"]:
            case(c["id"] + ".mutants", m["name"], "pass" if m["caught"] else "fail",
                 ("caught: " if m["caught"] else "mutant NOT caught: ") + m["reason"], 0.0, m["reason"])
    for e in document["load_errors"]:
        case("claimcheck.load", Path(e["path"]).name, "error", e["reason"], 0.0, e["reason"])
    for m in document.get("messages", []):
        case("claimcheck.run", "selection", "error", m, 0.0, m)
    for k, v in counts.items():
        suite.set(k, str(v))
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)


SYMBOL = {"pass": "✓", "fail": "✗", "inconclusive": "?", "error": "!"}


def _secs(x) -> str:
    if not isinstance(x, (int, float)) or not math.isfinite(x):
        return "-"
    return f"{x * 1000:.0f} ms" if x < 1 else f"{x:.1f} s" if x < 120 else f"{x / 60:.1f} min"


def claimed_text(r: dict) -> str:
    """What a rate claims, in a few characters (shared by summary.md and the HTML index)."""
    k = r["kind"]
    if k == "limit":
        return f"→ {r['predicted']:g} ± {r['tolerance']:g}"
    if k == "converges":
        return "< 0"
    if k == "geometric":
        return f"ρ ≤ {r['predicted']:g}"
    if k == "upper":
        return f"≤ {r['predicted']:+g} (+{r['tolerance']:g})"
    return f"{r['predicted']:+g} ± {r['tolerance']:g}"


def measured_parts(r: dict) -> tuple[str, str]:
    """(measured value, CI) as text; geometric rates as rho (shared with the HTML index)."""
    if r["kind"] == "geometric" and r.get("measured_rho") is not None:
        lo, hi = r["rho_ci"]
        return f"ρ = {r['measured_rho']:.3g}", f"[{lo:.3g}, {hi:.3g}]"
    fmt = "{:.4g}" if r["kind"] == "limit" else "{:+.3f}"
    if r.get("measured") is None:
        return "-", ""
    return _num(r["measured"], fmt), f"[{_num(r.get('ci_low'), fmt)}, {_num(r.get('ci_high'), fmt)}]"


def _measured(r: dict) -> str:
    return " ".join(measured_parts(r)).strip()


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown_summary(document: dict) -> str:
    """The HTML index in Markdown (for CI job summaries): summary line, one row per
    claim and rate (verdict as symbol and word, measured vs claimed with CI, mutants
    caught, compute time), then the reasons of every non-pass and the missed mutants."""
    s = document["summary"]
    lines = [f"# claimcheck run `{document['run_id']}` ({document['profile']} profile, seed {document['master_seed']})", "",
             f"**{len(document['claims'])} claims: {s['pass']} passed, {s['fail']} failed, {s['inconclusive']} inconclusive, "
             f"{s['error']} errors**"
             + (f"; mutants caught {s['mutants_caught']}/{s['mutants_caught'] + s['mutants_missed']}"
                if s["mutants_caught"] + s["mutants_missed"] else ""), ""]
    if document.get("family_wise"):
        lines += [f"_{document['family_wise']}._", ""]
    lines += ["| verdict | claim | paper | rate | measured [CI] | claimed | mutants caught | compute time |",
              "|---|---|---|---|---|---|---|---|"]
    for c in document["claims"]:
        muts = f"{sum(bool(m['caught']) for m in c['mutants'])}/{len(c['mutants'])}" if c["mutants"] else "-"
        verdict = f"{SYMBOL[c['verdict']]} **{WORD[c['verdict']]}**"
        claim = f"`{c['id']}`" + (" (reconstructed)" if c.get("source") == "reconstructed" else "")
        head = [verdict, claim, _md(c["paper"])]
        tail = [muts, _secs(c.get("compute_seconds"))]
        if not c["rates"]:
            lines.append("| " + " | ".join(head + ["-", "-", "-"] + tail) + " |")
        for i, r in enumerate(c["rates"]):
            cells = (head if i == 0 else ["", "", ""]) + [f"`{r['label']}`", _measured(r), claimed_text(r)] + (tail if i == 0 else ["", ""])
            lines.append("| " + " | ".join(cells) + " |")
    for e in document["load_errors"]:
        lines.append(f"| {SYMBOL['error']} **ERROR** | `{e['path']}` | - | - | - | - | - | - |")
    problems = [c for c in document["claims"] if c["verdict"] != "pass"]
    if problems or document["load_errors"] or document.get("messages"):
        lines += ["", "## Reasons", ""]
        for c in problems:
            lines.append(f"- `{c['id']}` **{WORD[c['verdict']]}**: {c['reason']}")
        for e in document["load_errors"]:
            lines.append(f"- `{e['path']}` **ERROR**: {e['reason']}")
        for m in document.get("messages", []):
            lines.append(f"- **ERROR**: {m}")
    missed = [(c["id"], m) for c in document["claims"] for m in c["mutants"] if not m["caught"]]
    if missed:
        lines += ["", "## Mutants not caught", ""]
        lines += [f"- `{cid}` / `{m['name']}`: {m['reason']}" for cid, m in missed]
    return "\n".join(lines) + "\n"


def terminal_table(document: dict) -> str:
    out = []
    for c in document["claims"]:
        out.append(f"{WORD[c['verdict']]:<13} {c['id']}  [{c['source']}]")
        for r in c["rates"]:
            out.append(f"    {WORD[r['verdict']]:<13} {rate_line(r)}")
        if c["verdict"] != "pass":
            out.append(f"    reason: {c['reason']}")
        for m in c["mutants"]:
            out.append(f"    mutant {m['name']}: {'caught' if m['caught'] else 'MISSED'}"
                       + ("" if m["caught"] else f" ({m['reason']})"))
    for e in document["load_errors"]:
        out.append(f"{'ERROR':<13} {e['path']}: {e['reason']}")
    for m in document.get("messages", []):
        out.append(f"{'ERROR':<13} {m}")
    s = document["summary"]
    out.append("")
    out.append(f"{s['pass']} passed, {s['fail']} failed, {s['inconclusive']} inconclusive, {s['error']} errors"
               + (f"; mutants caught {s['mutants_caught']}, missed {s['mutants_missed']}"
                  if s['mutants_caught'] + s['mutants_missed'] else ""))
    out.append(document["family_wise"])
    return "\n".join(out)


def write_all(document: dict, out: Path) -> list[Path]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "results.json", out / "junit.xml", out / "summary.md"]
    write_json(document, paths[0])
    write_junit(document, paths[1])
    paths[2].write_text(markdown_summary(document))
    return paths
