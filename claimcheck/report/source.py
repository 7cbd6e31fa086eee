"""Where a report's results come from: the ones a run just produced, or a run rebuilt
from the results store (verdicts table + stored measurements)."""
from __future__ import annotations


from ..engine.seeding import point_key
from ..claim import grid_points
from ..stats.results import ClaimResult, Measurement, RunResult
from ..stats.verdict import family_wise_sentence


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


def _measurements(store, c: ClaimResult, variant: str) -> list[Measurement]:
    keys = {point_key(p) for p in grid_points(c.grid)}
    n_rep = int(c.replicates)
    rows = store.rows(c.version, variant, c.master_seed)
    return [Measurement.from_row(r) for r in rows
            if r["point_key"] in keys and (not n_rep or r["replicate"] < n_rep)]


def document_from_store(store, run: str | None = None) -> RunResult:
    """The results (as ``claimcheck run`` produced them) of a stored run."""
    from .outputs import summarize

    info = pick_run(store, run)
    claims = []
    for _, doc in _verdict_rows(store, info["run_id"]):
        c = ClaimResult.from_json(doc)
        c.measurements = _measurements(store, c, "")
        for m in c.mutants:
            m.measurements = _measurements(store, c, m.name)
        claims.append(c)
    levels = {c.level for c in claims}
    level = levels.pop() if len(levels) == 1 else 0.05
    family = sum(len(c.rates) for c in claims)
    result = RunResult(
        run_id=info["run_id"], profile=info["profile"], master_seed=info["master_seed"], level=level,
        family_size=family, family_wise=family_wise_sentence(c.level for c in claims),
        interrupted=info["status"] == "interrupted", provenance=info["provenance"], claims=claims, from_store=True)
    result.summary = summarize(result)
    return result
