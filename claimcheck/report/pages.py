"""From a run document to page data (one dict per page) and HTML through the jinja2
templates in ``claimcheck/report/templates``."""
from __future__ import annotations

import math
import re
import time
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from ..stats import ratetext
from .outputs import count_line, counts, design_text, family_text, measurement_counts, mutant_line, paper_status
from ..stats.results import ClaimResult, MutantResult, RateResult, RunResult, as_run
from ..stats.ratetext import SYMBOL, WORD, band, band_text, claimed_text, finite, measured_parts
from . import plots
from .data import csv_cell, durations, rate_points
from .history import rate_series
from .math import render

IMAGE_SUFFIXES = {".svg", ".png", ".jpg", ".jpeg", ".gif", ".webp"}


def env() -> jinja2.Environment:
    e = jinja2.Environment(loader=jinja2.PackageLoader("claimcheck.report", "templates"),
                           autoescape=jinja2.select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
    # lenient undefined: documents rebuilt from older stores may lack optional keys
    e.globals.update(WORD=WORD, SYMBOL=SYMBOL, family_text=family_text)
    e.filters.update(num=num, secs=secs, math=render, breakable=breakable)
    return e


def breakable(claim_id: str) -> Markup:
    """An id that may wrap only after '.', '-' or '_' (never inside a word) in a narrow column."""
    return Markup(re.sub(r"([._-])", r"\1<wbr>", str(escape(claim_id))))


def execution(run: RunResult, doc: ClaimResult) -> list[str]:
    """How the run executed, as phrases (only the ones that are known)."""
    prov = run.provenance
    parts = []
    if prov["scheduler"]:
        parts.append(f"Dask scheduler {prov['scheduler']}")
    elif prov["jobs"]:
        parts.append(f"{prov['jobs']} local job(s)" if prov["jobs"] > 1 else "in-process (1 job)")
    if finite(run.wall_time):  # absent when the run did not finish
        parts.append(f"run wall time {secs(run.wall_time)}")
    parts.append(f"this claim's replicates took {secs(doc.compute_seconds)} of compute"
                 + (f" ({doc.reused_measurements} measurement(s) reused from the store)"
                    if doc.reused_measurements else ""))
    return parts


def run_timing(run: RunResult | dict) -> dict:
    """What the index header says about time: the run's wall time, and, since a run that
    reused stored measurements spent its wall time on analysis only, how much was
    measured now, how much reused, and the compute time of all the replicates it rests on."""
    run = as_run(run)
    rows = [m for c in run.checked for m in c.all_measurements()]
    k = measurement_counts(run) or {"computed": None, "reused": None}
    return {"wall": run.wall_time, "computed": k["computed"], "reused": k["reused"],
            "compute": float(sum(m.seconds or 0.0 for m in rows)), "replicates": len(rows),
            "analysis_only": k["computed"] == 0 and bool(rows)}


def num(x, fmt: str = "{:+.3f}") -> str:
    return ratetext.num(x, fmt, missing="–")


def secs(x) -> str:
    return ratetext.secs(x, missing="–")


def page_name(claim_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", claim_id)


# -- numbers as text ------------------------------------------------------------------

predicted_text = claimed_text
measured_text = measured_parts


def ci_bar(r: RateResult, width: int = 120, height: int = 18) -> dict | None:
    """Geometry of the small CI-against-band graphic in the index (drawn by the template)."""
    m, lo, hi = r.measured, r.ci_low, r.ci_high
    if m is None or lo is None or hi is None or not all(math.isfinite(v) for v in (m, lo, hi)):
        return None
    if r.spec.shows_rho:  # drawn in rho, as the text shows it
        m, lo, hi = math.exp(m), math.exp(lo), math.exp(hi)
        blo, bhi, pred = 0.0, math.exp(band(r)[1]), r.predicted
    else:
        blo, bhi, pred = band(r)
    finite = [v for v in (blo, bhi, pred, lo, hi, m) if v is not None and math.isfinite(v)]
    a, b = min(finite), max(finite)
    pad = 0.12 * ((b - a) or 1.0)
    a, b = a - pad, b + pad

    def px(v):
        v = min(max(v, a), b)
        return round(2 + (width - 4) * (v - a) / (b - a), 1)

    return {"w": width, "h": height, "b0": px(blo if math.isfinite(blo) else a), "b1": px(bhi if math.isfinite(bhi) else b),
            "c0": px(lo), "c1": px(hi), "m": px(m), "p": px(pred) if pred is not None and math.isfinite(pred) else None,
            "title": f"measured {measured_text(r)[0]} {measured_text(r)[1]} vs allowed {band_text(r)}"}


def _pct(v) -> str:
    return f"{100 * v:.0f}%" if isinstance(v, (int, float)) and math.isfinite(v) else str(v)


def _plain(v) -> str:
    """A value of a calibration record as text: numbers short, mappings as 'k v, k v'."""
    if isinstance(v, dict):
        return ", ".join(f"{k} {_plain(x)}" for k, x in v.items())
    if isinstance(v, (list, tuple)):
        return ", ".join(_plain(x) for x in v)
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)


def calibration_text(cal: dict) -> str:
    """The claim's calibration record in words (the record is written by
    ``claimcheck calibrate --record``: false-fail rate, spread, mutants' catch rates)."""
    cal = dict(cal)
    cal.pop("status", None)
    head = []
    if "measured" in cal:
        head.append(f"measured {cal.pop('measured')}")
    if "seeds" in cal:
        head.append(f"over {cal.pop('seeds')} master seeds")
    if "replicates" in cal:
        head.append(f"at {cal.pop('replicates')} replicates")
    ctx = [f"{cal.pop('profile')} profile"] if "profile" in cal else []
    if "claim_version" in cal:
        ctx.append(f"claim version {str(cal.pop('claim_version'))[:8]}")
    parts = []
    if "false_fail_rate" in cal:
        upper = cal.pop("false_fail_rate_upper95", None)
        parts.append(f"false fails {_pct(cal.pop('false_fail_rate'))}"
                     + (f" (upper 95% bound {_pct(upper)})" if upper is not None else ""))
    if "inconclusive_rate" in cal:
        parts.append(f"inconclusive {_pct(cal.pop('inconclusive_rate'))}")
    if "exponent_sd" in cal:
        sd = cal.pop("exponent_sd")
        parts.append("exponent s.d. " + (", ".join(f"{_plain(v)} ({k})" for k, v in sd.items())
                                         if isinstance(sd, dict) else _plain(sd)))
    if "detectable_deviation" in cal:
        parts.append(f"detectable deviation {_plain(cal.pop('detectable_deviation'))}")
    if "mutant_catch_rate" in cal:
        rates = cal.pop("mutant_catch_rate")
        parts.append("mutants caught: " + (", ".join(f"{k} {_pct(v)}" for k, v in rates.items())
                                           if isinstance(rates, dict) else _plain(rates)))
    parts += [f"{k.replace('_', ' ')} {_plain(v)}" for k, v in cal.items()]
    text = " ".join(head) + (f" ({', '.join(ctx)})" if ctx else "")
    return (text + ": " if text else "") + "; ".join(parts)


VERDICT_WORDS = {
    "pass": "The claim holds in this sweep: the {pct} confidence interval lies entirely inside the range the claim "
            "allows. A pass is corroboration, not proof{detect}.",
    "fail": "The claim does not hold in this sweep: the measured value is outside the range the claim allows, and "
            "the difference survives the family-wise correction over every rate checked in the run.",
    "inconclusive": "This sweep cannot decide either way{need}. An inconclusive result is neither evidence for nor "
                    "against the claim.",
    "error": "The simulation or the fit broke. This says nothing about the claim itself; fix the error and run again.",
}


def verdict_words(r: RateResult, level: float) -> str:
    d = r.detectable_deviation
    detect = (f": this sweep would have detected a deviation of about {d:.2g} from the claimed value"
              if isinstance(d, (int, float)) and math.isfinite(d) else "")
    need = f" (about {r.replicates_needed} replicates would be needed)" if r.replicates_needed else ""
    return VERDICT_WORDS[r.verdict].format(pct=f"{100 * (1 - level):.0f}%", detect=detect, need=need)


# -- page data ---------------------------------------------------------------------------

def index_rows(run: RunResult, histories: dict[str, list[dict]]) -> list[dict]:
    rows = []
    for c in run.claims:
        rates = []
        for r in c.rates:
            val, ci = measured_text(r)
            rates.append({"label": r.label, "kind": r.kind, "verdict": r.verdict, "predicted": predicted_text(r),
                          "measured": val, "ci": ci, "bar": ci_bar(r)})
        muts = c.mutants
        caught = sum(bool(m.caught) for m in muts)
        rows.append({"id": c.id, "href": f"claims/{page_name(c.id)}.html", "title": c.title,
                     "paper": c.paper, "paper_key": c.paper_key, "source": c.source, "verdict": c.verdict,
                     "reason": c.reason, "rates": rates, "mutants": f"{caught}/{len(muts)}" if muts else "–",
                     "mutants_missed": len(muts) - caught, "seconds": c.compute_seconds,
                     "from_run": c.from_run if c.carried_over else None,
                     "recent": [h["verdict"] for h in histories[c.id]][-10:]})
    return rows


def _mutant_note(m: MutantResult, mr: RateResult) -> str:
    """What the forest plot says next to a mutant: this rate's verdict and whether the mutant was caught."""
    here = WORD[mr.verdict]
    if mr.verdict == "fail":
        return f"{here}: caught" if m.caught else f"{here}"
    return f"{here} here; caught by another rate" if m.caught else f"{here}: NOT caught"


def _safe(plot, *args):
    """A plot, or a visible note when drawing it failed (one odd rate must not cost the report)."""
    try:
        return plot(*args)
    except Exception as exc:  # noqa: BLE001
        return Markup(f'<p class="muted small">plot failed: {escape(type(exc).__name__)}: {escape(str(exc)[:200])}</p>')


def looks(doc: ClaimResult) -> dict | None:
    """The claim page's "Looks" table (``run --until-decided``): one row per look of each
    rate, with the design and why the looks stopped; None for a plain run."""
    s = doc.sequential
    if s is None:
        return None
    rows = [{"rate": r.label, "replicates": lk.replicates, "level": lk.level, "measured": lk.measured,
             "ci_low": lk.ci_low, "ci_high": lk.ci_high, "verdict": lk.verdict, "cpu_s": lk.cpu_s,
             "deciding": r.decided and lk is r.looks[-1]}
            for r in s.rates for lk in r.looks]
    return {"s": s, "rows": rows, "design": design_text(doc),
            "undecided": [(r.label, r.still_needs) for r in s.rates if r.still_needs]}


def claim_page(doc: ClaimResult, document: RunResult, history: list[dict], out: Path, nav: dict,
               generated: str) -> dict:
    level = doc.level or document.level
    salt = page_name(doc.id)
    rates = []
    for i, r in enumerate(doc.rates):
        pts = rate_points(doc.measurements, r, level)
        mut_rows = [{"label": "claim", "measured": r.measured, "lo": r.ci_low, "hi": r.ci_high,
                     "verdict": r.verdict, "note": WORD[r.verdict]}]
        for m in doc.mutants:
            mr = next((x for x in m.rates if x.label == r.label), None)
            if mr is not None:
                mut_rows.append({"label": m.name, "measured": mr.measured, "lo": mr.ci_low,
                                 "hi": mr.ci_high, "verdict": mr.verdict, "note": _mutant_note(m, mr)})
        val, ci = measured_text(r)
        fit = r.fit or {}
        rates.append({
            "r": r, "anchor": f"rate-{i + 1}", "predicted": predicted_text(r), "measured": val, "ci": ci,
            "band": band_text(r), "words": verdict_words(r, level),
            "main": _safe(plots.rate_plot, pts, r, f"{salt}-{i}-main", level),
            "local": _safe(plots.local_slopes_plot, r, f"{salt}-{i}-local", level),
            "resid": _safe(plots.residuals_plot, r, f"{salt}-{i}-resid"),
            "forest": _safe(plots.forest_plot, mut_rows, r, f"{salt}-{i}-forest"),
            "history": _safe(plots.history_plot, rate_series(history, r.label), r, f"{salt}-{i}-hist"),
            "n_history": len(rate_series(history, r.label)),
            "fit": fit, "points": pts, "subsampled": sum(p.values.size for p in pts) > plots.MAX_REPLICATE_DOTS,
        })
    artefacts = []
    for p in doc.artefacts:
        path = out / p
        suffix = Path(p).suffix.lower()
        artefacts.append({"name": Path(p).name, "href": "../" + p, "exists": path.exists(),
                          "image": suffix in IMAGE_SUFFIXES,
                          "size": path.stat().st_size if path.exists() else 0})
    errors = [m for m in doc.measurements if m.status != "ok"]
    axes = list(doc.grid)
    return {
        "c": doc, "document": document, "level": level, "nav": nav,
        "calibration": calibration_text(doc.calibration) if doc.calibration else "",
        "statement": render(doc.statement), "rates": rates,
        "mutants": doc.mutants, "artefacts": artefacts,
        "errors": errors[:5], "n_errors": len(errors), "durations": durations(doc.measurements, axes),
        "history": list(reversed(history))[:30], "n_history": len(history),
        "data_csv": f"../data/{page_name(doc.id)}.csv", "data_json": f"../data/{page_name(doc.id)}.json",
        "csv_name": f"{page_name(doc.id)}.csv",
        "results_json": "../results.json" if (out / "results.json").exists() else None,
        "prov": document.provenance, "snippet": refit_snippet(doc), "looks": looks(doc),
        "execution": execution(document, doc),
        "generated": generated,
    }


def index_page(document: RunResult, rows: list[dict], out: Path, generated: str) -> dict:
    papers = {}
    for c in document.claims:
        papers.setdefault(c.paper_key, c.paper)
    git = document.provenance["git"]
    return {
        "document": document, "rows": rows, "s": counts(document), "mutant_line": mutant_line(document),
        "count_line": count_line(document), "papers": sorted(papers.items()),
        "paper_rows": paper_status(document),
        "prov": document.provenance,
        "commit": (git["commit"] or "")[:10] + ("+dirty" if "dirty" in git and git["dirty"] else ""),  # no 'dirty' outside git
        "started": document.run_id[:15], "timing": run_timing(document),
        "files": [f for f in ("results.json", "junit.xml", "summary.md") if (out / f).exists()],
        "generated": generated,
    }


def generated_stamp() -> str:
    """The footer's "Generated ... on" time: taken once per report, so that every page of one
    report says the same minute (pages are drawn over minutes, in several processes)."""
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())


STAT_EXPR = {"mean": "np.mean(v)", "rms": "np.sqrt(np.mean(np.square(v)))", "sd": "np.std(v, ddof=1)",
             "abs_mean": "abs(np.mean(v))", "median": "np.median(v)"}


def refit_snippet(doc: ClaimResult) -> str | None:
    """A few lines of numpy that re-fit the first exponent-type rate from the CSV."""
    r = next((r for r in doc.rates if r.spec.fits_power_law), None)
    if r is None:
        return None
    loglinear = r.spec.loglinear  # log(stat) on the axis itself: the slope is log(rho)
    others = {a: v[0] for a, v in doc.grid.items() if a != r.axis and v}
    keep = "".join(f" and row[{a!r}] == {csv_cell(v)!r}" for a, v in others.items())
    return "\n".join([
        "import csv, collections, numpy as np",
        "by = collections.defaultdict(list)",
        f"for row in csv.DictReader(open({page_name(doc.id) + '.csv'!r})):",
        f"    if row['variant'] == '' and row['status'] == 'ok'{keep}:" + ("  # one value of the other axes" if others else ""),
        f"        by[float(row[{r.axis!r}])].append(float(row[{r.metric!r}]))",
        "x = np.array(sorted(by))",
        f"s = np.array([{STAT_EXPR[r.statistic] if r.statistic in STAT_EXPR else 'np.mean(v)'} "
        "for v in (np.array(by[k]) for k in x)])",
        f"slope = np.polyfit({'x' if loglinear else 'np.log(x)'}, np.log(s), 1)[0]" + ("  # log(rho)" if loglinear else ""),
        "print('exponent (unweighted least squares):', slope)" if not loglinear else "print('rho:', np.exp(slope))",
    ])
