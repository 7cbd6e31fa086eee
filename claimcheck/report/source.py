"""Where a report's run document comes from: the one a run just produced, or a run
rebuilt from the results store (verdicts table + stored measurements)."""
from __future__ import annotations


from ..engine.seeding import point_key
from ..engine.sweep import grid_points


class ReportError(Exception):
    """The report cannot be built (no store, no such run)."""


def pick_run(store, run: str | None) -> dict:
    runs = store.runs()
    if not runs:
        raise ReportError(f"the store {store.path} holds no runs; run `claimcheck run` first")
    if run is None:
        with_results = [r for r in runs if _verdict_rows(store, r["run_id"])]
        if not with_results:
            raise ReportError(f"no run in {store.path} has results yet")
        return with_results[-1]
    matches = [r for r in runs if r["run_id"] == run] or [r for r in runs if r["run_id"].startswith(run)]
    if len(matches) != 1:
        known = ", ".join(r["run_id"] for r in runs[-5:])
        raise ReportError(f"run {run!r} " + ("is ambiguous" if matches else "is not in the store")
                          + f" (latest runs: {known})")
    return matches[0]


def _verdict_rows(store, run_id: str) -> list[tuple[str, dict]]:
    return store.run_verdicts(run_id)


def _measurements(store, doc: dict, variant: str) -> list[dict]:
    keys = {point_key(p) for p in grid_points(doc["grid"])}
    n_rep = int(doc["replicates"])
    rows = store.rows(doc["version"], variant, doc["master_seed"])
    return [{"point": r["point_key"], "replicate": r["replicate"], "status": r["status"], "metrics": r["metrics"],
             "error": r["error"], "seconds": r["seconds"]}
            for r in rows if r["point_key"] in keys and (not n_rep or r["replicate"] < n_rep)]


def document_from_store(store, run: str | None = None) -> dict:
    """The run document (as ``claimcheck run`` returns it) of a stored run."""
    from .outputs import summarize

    info = pick_run(store, run)
    prov = info["provenance"]
    claims = []
    for _, doc in _verdict_rows(store, info["run_id"]):
        doc["measurements"] = _measurements(store, doc, "")
        for m in doc["mutants"]:
            m["measurements"] = _measurements(store, doc, m["name"])
        claims.append(doc)
    levels = {c["level"] for c in claims}
    level = levels.pop() if len(levels) == 1 else 0.05
    family = sum(len(c["rates"]) for c in claims)
    document = {
        "schema": 1, "run_id": info["run_id"], "profile": info["profile"], "master_seed": info["master_seed"],
        "level": level, "family_size": family,
        "family_wise": f"fails confirmed by Holm-Bonferroni over {family} rate(s) at level {level:g}",
        "interrupted": info["status"] == "interrupted", "provenance": prov, "claims": claims,
        "load_errors": [], "messages": [], "from_store": True,
    }
    document["summary"] = summarize(document)
    return document
