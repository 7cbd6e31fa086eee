"""HTML report of a run: ``OUT/index.html``, one page per claim in ``OUT/claims/``, raw
data per claim in ``OUT/data/`` and ``OUT/summary.md``.

Pages are static and self-contained: CSS and the few lines of filter script are
inline, plots are inline SVG, the statement's math is MathML (rendered by the browser,
no network); the only links are relative (claim figures in ``OUT/artefacts/``, raw data),
so the folder works from ``file://`` and from any static server.

    from claimcheck.report import build_report
    build_report(out="reports/latest", store=DEFAULT_STORE, document=outcome.results)

A page that cannot be rendered costs that page only: the other claims' pages, the index
and the data are written, the failed claim's page says what broke, and
:class:`OutputsFailed` (one line naming each claim and output) is raised at the end, so
the command exits 3 instead of printing a warning under exit 0.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .source import ReportError, document_from_store

if TYPE_CHECKING:
    from ..stats.results import RunResult

__all__ = ["build_report", "write_set", "ReportError", "OutputFailure", "OutputsFailed"]


@dataclass
class OutputFailure:
    """One output that could not be written: which (e.g. "HTML page"), of which claim
    (None: of the run), and the error in one line."""
    output: str
    claim: str | None
    error: BaseException
    path: Path | None = None

    def __str__(self) -> str:
        from ..engine.store import explain

        what = f"the {self.output}" + (f" of claim {self.claim}" if self.claim else "")
        if isinstance(self.error, OSError) and self.path is not None:
            return f"{what}: {explain(self.error, self.path)}"
        return f"{what}: {type(self.error).__name__}: {' '.join(str(self.error).split())[:300]}"


class OutputsFailed(RuntimeError):
    """Some outputs could not be written (an infrastructure error: exit 3)."""

    def __init__(self, failures: list[OutputFailure]):
        super().__init__(failures)
        self.failures = list(failures)

    @property
    def disk(self) -> bool:
        """An OS error (full disk, permissions): the set cannot be complete."""
        return any(isinstance(f.error, OSError) for f in self.failures)

    def __str__(self) -> str:
        first, rest = self.failures[0], self.failures[1:]
        more = ""
        if rest:
            named = "; ".join(f"{f.output} of claim {f.claim}" if f.claim else f.output for f in rest[:5])
            more = f" (also failed: {named}" + (f" and {len(rest) - 5} more" if len(rest) > 5 else "") + ")"
        return f"could not write {first}{more}"


def build_report(out, store=None, document: "RunResult | dict | None" = None, run: str | None = None,
                 jobs: int = 1, generated: str | None = None) -> Path:
    """Write the report of ``document`` (a RunResult or its JSON form; or of stored run
    ``run``, default the latest) into ``out``; history comes from ``store``. Returns the
    path of index.html. ``jobs``: claim pages drawn in that many forked processes
    (:mod:`.forked`; the same files as one). ``generated``: the footer's time (default now:
    the one input that is not in the document or the store)."""
    # plots use matplotlib Figure objects and the SVG canvas directly (no pyplot), so
    # building a report never opens a window nor changes the caller's matplotlib backend
    from .outputs import markdown_summary, write_text_atomic
    from ..engine.store import Store
    from .data import fits_json, measurements_csv
    from .history import claim_history
    from .forked import fork_map, portable
    from .pages import claim_page, env, generated_stamp, index_page, index_rows, page_name
    from ..stats.results import as_run

    out = Path(out)
    db = None
    if store is not None and not isinstance(store, Store):
        if Path(store).exists():
            db = Store(store)
        elif document is None:
            raise ReportError(f"no results store at {store}; run `claimcheck run` first")
    else:
        db = store
    try:
        if document is None or run is not None:
            if db is None:
                raise ReportError("a report of a stored run needs the results store")
            document = document_from_store(db, run)
        document = as_run(document)
        histories = {c.id: claim_history(db, c.id, document.profile, upto=document.run_id) for c in document.claims}
    finally:
        if db is not None and db is not store:
            db.close()

    generated = generated or generated_stamp()
    e = env()
    (out / "claims").mkdir(parents=True, exist_ok=True)
    (out / "data").mkdir(parents=True, exist_ok=True)

    def attempt(failures: list, output: str, claim: str | None, path: Path, make) -> bool:
        try:
            write_text_atomic(path, make())
            return True
        except Exception as exc:  # noqa: BLE001 - collected, raised as OutputsFailed below
            failures.append(OutputFailure(output, claim, exc, path))
            return False

    rows = index_rows(document, histories)
    ids = [c.id for c in document.claims]

    def claim_outputs(i: int) -> list[OutputFailure]:
        """Claim i's data files and page; what could not be written."""
        doc, failed = document.claims[i], []
        name = page_name(doc.id)
        attempt(failed, "raw data (CSV)", doc.id, out / "data" / f"{name}.csv", lambda: measurements_csv(doc))
        attempt(failed, "fit data (JSON)", doc.id, out / "data" / f"{name}.json", lambda: fits_json(doc, document))
        nav = {"prev": f"{page_name(ids[i - 1])}.html" if i else None,
               "next": f"{page_name(ids[i + 1])}.html" if i + 1 < len(ids) else None}
        path = out / "claims" / f"{name}.html"
        if not attempt(failed, "HTML page", doc.id, path, lambda: e.get_template("claim.html").render(
                **claim_page(doc, document, histories[doc.id], out, nav, generated))):
            if not isinstance(failed[-1].error, OSError):
                attempt(failed, "HTML page", doc.id, path, lambda: _failed_page(doc.id, failed[-1]))
        return [OutputFailure(f.output, f.claim, portable(f.error), f.path) for f in failed]

    failures: list[OutputFailure] = [f for fs in fork_map(claim_outputs, range(len(ids)), jobs) for f in fs]
    _remove_stale(out, {page_name(i) for i in ids})
    index = out / "index.html"
    attempt(failures, "HTML index", None, index,
            lambda: e.get_template("index.html").render(**index_page(document, rows, out, generated)))
    attempt(failures, "summary.md", None, out / "summary.md", lambda: markdown_summary(document))
    if failures:
        raise OutputsFailed(failures)
    return index


def _failed_page(claim_id: str, failure: OutputFailure) -> str:
    """The page of a claim whose page could not be rendered: the index links it, so it
    says what broke instead of being a dead link."""
    from markupsafe import escape

    return (f"<!doctype html><meta charset=\"utf-8\"><title>{escape(claim_id)}: page not rendered</title>"
            f"<h1>{escape(claim_id)}</h1><p>This page could not be rendered: {escape(str(failure))}.</p>"
            f"<p>The verdict and the raw data are in <a href=\"../index.html\">the index</a> and "
            f"<a href=\"../results.json\">results.json</a>.</p>\n")


def write_set(document: "RunResult", out: Path, store=None, html: bool = True, jobs: int = 1) -> list[Path]:
    """Every file of a run's output set into ``out`` (a staging folder): results.json,
    junit.xml, summary.md and, with ``html``, the report (its claim pages over ``jobs``
    processes). Every output is attempted; failures are raised together as
    :class:`OutputsFailed` (after the others are written)."""
    from . import outputs
    from ..stats.results import as_run

    out = Path(out)
    document = as_run(document)
    failures: list[OutputFailure] = []
    paths = []
    try:
        paths += outputs.write_all(document, out)
    except Exception as exc:  # noqa: BLE001 - collected; named by the first file it did not write
        names = ("results.json", "junit.xml", "summary.md")
        name = next((n for n in names if not (out / n).exists()), "summary.md")
        failures.append(OutputFailure(name, None, exc, out / name))
    if html:
        try:
            paths.append(build_report(out=out, store=store, document=document, jobs=jobs))
        except OutputsFailed as exc:
            failures.extend(exc.failures)
            if (out / "index.html").exists():
                paths.append(out / "index.html")
        except Exception as exc:  # noqa: BLE001 - e.g. the store's history could not be read
            failures.append(OutputFailure("HTML report", None, exc, out))
    if failures:
        raise OutputsFailed(failures)
    return paths


def _remove_stale(out: Path, names: set[str]) -> None:
    """Pages and data of claims that are not in this report (from an earlier report in
    the same folder) would be linked from nowhere and mislead; remove them."""
    for folder, suffixes in (("claims", {".html"}), ("data", {".csv", ".json"})):
        for f in (out / folder).iterdir():
            if f.is_file() and f.suffix in suffixes and f.stem not in names:
                f.unlink(missing_ok=True)  # a concurrent build may have removed it
