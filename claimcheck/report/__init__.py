"""HTML report of a run: ``OUT/index.html``, one page per claim in ``OUT/claims/``, raw
data per claim in ``OUT/data/`` and ``OUT/summary.md``.

Pages are static and self-contained: CSS and the few lines of filter script are
inline, plots are inline SVG, the statement's math is MathML (rendered by the browser,
no network); the only links are relative (claim figures in ``OUT/artefacts/``, raw data),
so the folder works from ``file://`` and from any static server.

    from claimcheck.report import build_report
    build_report(out="reports/latest", store=DEFAULT_STORE, document=outcome.results)
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .source import ReportError, document_from_store

if TYPE_CHECKING:
    from ..stats.results import RunResult

__all__ = ["build_report", "ReportError"]


def build_report(out, store=None, document: "RunResult | dict | None" = None, run: str | None = None) -> Path:
    """Write the report of ``document`` (a RunResult or its JSON form; or of stored run
    ``run``, default the latest) into ``out``; history comes from ``store``. Returns the
    path of index.html."""
    # plots use matplotlib Figure objects and the SVG canvas directly (no pyplot), so
    # building a report never opens a window nor changes the caller's matplotlib backend
    from .outputs import markdown_summary, write_text_atomic
    from ..engine.store import Store
    from .data import fits_json, measurements_csv
    from .history import claim_history
    from .pages import claim_page, env, index_page, index_rows, page_name
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

    e = env()
    (out / "claims").mkdir(parents=True, exist_ok=True)
    (out / "data").mkdir(parents=True, exist_ok=True)
    rows = index_rows(document, histories)
    ids = [c.id for c in document.claims]
    for i, doc in enumerate(document.claims):
        name = page_name(doc.id)
        write_text_atomic(out / "data" / f"{name}.csv", measurements_csv(doc))
        write_text_atomic(out / "data" / f"{name}.json", fits_json(doc, document))
        nav = {"prev": f"{page_name(ids[i - 1])}.html" if i else None,
               "next": f"{page_name(ids[i + 1])}.html" if i + 1 < len(ids) else None}
        page = claim_page(doc, document, histories[doc.id], out, nav)
        write_text_atomic(out / "claims" / f"{name}.html", e.get_template("claim.html").render(**page))
    _remove_stale(out, {page_name(i) for i in ids})
    index = out / "index.html"
    write_text_atomic(index, e.get_template("index.html").render(**index_page(document, rows, out)))
    write_text_atomic(out / "summary.md", markdown_summary(document))
    return index


def _remove_stale(out: Path, names: set[str]) -> None:
    """Pages and data of claims that are not in this report (from an earlier report in
    the same folder) would be linked from nowhere and mislead; remove them."""
    for folder, suffixes in (("claims", {".html"}), ("data", {".csv", ".json"})):
        for f in (out / folder).iterdir():
            if f.is_file() and f.suffix in suffixes and f.stem not in names:
                f.unlink(missing_ok=True)  # a concurrent build may have removed it
