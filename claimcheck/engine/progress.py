"""Measuring progress, with an ETA from what finished tasks cost.

Its own module (not engine/sweep.py, which every claim's version hashes): how progress
is shown decides nothing about what is measured, so editing it moves no claim version.

The ETA weighs the work left by its cost. A task's cost depends on its claim and grows
with its grid point (N = 4096 costs far more than N = 16), and tasks finish in plan order,
point by point: counting replicates (elapsed x left / done) was off by orders of magnitude
(an audit saw "150-181 h left" for the first 9 minutes of a 41-minute job). So the cost
per replicate is measured per claim and point (the rows' compute seconds); a point not
reached yet is priced from the claim's measured points by a power law in the point's
size (fitted on log-log when two sizes are measured, flat with one); a claim not
reached yet at the median average cost per replicate of the claims measured (sizes of
different claims are not comparable). Compute seconds become
wall seconds by the run's measured parallelism (compute seconds done / elapsed). Until
enough is done (5% of the replicates, two finished tasks, and a claim measured at two
point sizes, without which the growth with the point is a guess) the line says
"estimating".
"""
from __future__ import annotations

import sys
import time
from collections import defaultdict
from typing import Callable, Iterable, Mapping

import numpy as np

MIN_FRACTION = 0.05      # of the replicates finished before an ETA is given
MIN_TASKS = 2            # finished tasks (updates) before an ETA is given


def point_size(point: Mapping) -> float:
    """A point's size for cost scaling: the product of its positive numeric axis values
    (1 for a point without one)."""
    size = 1.0
    for v in point.values():
        if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) and v > 0:
            size *= float(v)
    return size


class Progress:
    """Measuring progress per claim, with an ETA: a tqdm bar on a terminal (its postfix
    names the claim and its counts), else one line at most every ``every`` seconds (CI
    logs: no bar redrawn thousands of times, no silence for an hour).

    ``plan``: replicates to measure per (claim id, point key); ``scale``: each such
    point's size (:func:`point_size`). Without them the ETA counts replicates."""

    def __init__(self, totals: Mapping[str, int], enabled: bool, desc: str, stream=None, every: float = 30.0,
                 clock: Callable[[], float] = time.monotonic, plan: Mapping[tuple[str, str], int] | None = None,
                 scale: Mapping[tuple[str, str], float] | None = None):
        self.stream = stream or sys.stderr
        self.totals = {k: v for k, v in totals.items() if v}
        self.done = dict.fromkeys(self.totals, 0)
        self.total = sum(self.totals.values())
        self.enabled = enabled and self.total > 0
        self.desc, self.every, self.clock = desc, every, clock
        self.t0 = self.last = clock()
        self.plan = dict(plan or {})
        self.scale = dict(scale or {})
        self.finished: dict[tuple[str, str], int] = defaultdict(int)       # replicates done per (claim, point)
        self.seconds: dict[tuple[str, str], float] = defaultdict(float)    # their compute seconds
        self.tasks = 0
        self.bar = None
        if self.enabled and getattr(self.stream, "isatty", lambda: False)():
            try:
                from tqdm import tqdm
                self.bar = tqdm(total=self.total, unit="rep", desc=desc, file=self.stream, smoothing=0.1)
            except ImportError:  # tqdm is a core dependency, but stay usable without it
                pass

    def rows(self, rows: Iterable[dict]) -> None:
        """A finished task's rows: counted per claim and point, with their compute seconds."""
        rows = list(rows)
        if not rows:
            return
        per: dict[str, list] = defaultdict(lambda: [0, 0.0])
        for r in rows:
            acc = per[r["point_key"]]
            acc[0] += 1
            acc[1] += float(r.get("seconds") or 0.0)
        cid = rows[0]["claim_id"]
        self.tasks += 1
        for pkey, (n, secs) in per.items():
            self._count(cid, pkey, n, secs)
        self._show(cid, len(rows))

    def update(self, claim_id: str, n: int, point: str | None = None, seconds: float = 0.0) -> None:
        """``n`` replicates of ``claim_id`` finished (at ``point``, costing ``seconds``)."""
        self.tasks += 1
        if point is not None:
            self._count(claim_id, point, n, seconds)
        self._show(claim_id, n)

    def _count(self, claim_id: str, point: str, n: int, seconds: float) -> None:
        self.finished[(claim_id, point)] += n
        self.seconds[(claim_id, point)] += seconds

    def _show(self, claim_id: str, n: int) -> None:
        if not self.enabled:
            return
        self.done[claim_id] = self.done.get(claim_id, 0) + n
        if self.bar is not None:
            self.bar.update(n)
            self.bar.set_postfix_str(f"{claim_id} {self.done[claim_id]}/{self.totals.get(claim_id, '?')}",
                                     refresh=False)
            return
        now = self.clock()
        if now - self.last >= self.every:
            self.last = now
            print(self.line(), file=self.stream, flush=True)

    # -- the estimate ----------------------------------------------------------------------

    def _cost_per_replicate(self) -> Callable[[str, str], float] | None:
        """(claim, point) -> estimated compute seconds per replicate, or None without data.

        Within a claim, a point not reached yet is priced from the claim's measured points
        by a power law in the point's size (exponent clipped to [0, 2]; flat while one size is
        measured). A claim not
        reached yet costs, per replicate, the median over the measured claims of their
        average cost per planned replicate: point sizes mean different things in
        different claims (N x T, N x paths x steps, N x N_ref), so pricing one claim's
        points by another's law in their size said "810 h left" of a 7-minute job."""
        measured = {k: self.seconds[k] / n for k, n in self.finished.items() if n and self.seconds[k] > 0}
        if not measured:
            return None
        per_claim: dict[str, tuple[float, float]] = {}      # claim -> (log cost at size 1, exponent)
        for cid in {c for c, _ in measured}:
            pts = [(np.log(self.scale.get(k, 1.0)), np.log(c)) for k, c in measured.items() if k[0] == cid]
            xs, ys = np.array([p[0] for p in pts]), np.array([p[1] for p in pts])
            slope = 0.0      # one size measured: its growth is unknown; a guess of 1 made a first
            if np.ptp(xs) > 0:  # point that paid a one-off reference (~17 s) into "3.7 h left
                slope = float(np.clip(np.polyfit(xs, ys, 1)[0], 0.0, 2.0))
            per_claim[cid] = (float(np.mean(ys - slope * xs)), slope)

        def own(cid: str, pkey: str) -> float:
            if (cid, pkey) in measured:
                return measured[(cid, pkey)]
            a, b = per_claim[cid]
            return float(np.exp(a + b * np.log(self.scale.get((cid, pkey), 1.0))))

        averages = []
        for cid in per_claim:
            planned = {k: n for k, n in self.plan.items() if k[0] == cid and n}
            if planned:
                averages.append(sum(n * own(*k) for k, n in planned.items()) / sum(planned.values()))
        typical = float(np.median(averages)) if averages else float(np.median(list(measured.values())))

        def cost(cid: str, pkey: str) -> float:
            return own(cid, pkey) if cid in per_claim else typical
        return cost

    def _scaling_known(self) -> bool:
        """Whether the cost's growth with the point can be measured: some claim has
        finished replicates at two point sizes, or no claim plans more than one size."""
        sizes: dict[str, set] = defaultdict(set)
        for k in self.plan:
            sizes[k[0]].add(self.scale.get(k, 1.0))
        if all(len(v) < 2 for v in sizes.values()):
            return True
        seen: dict[str, set] = defaultdict(set)
        for k, n in self.finished.items():
            if n and self.seconds[k] > 0:
                seen[k[0]].add(self.scale.get(k, 1.0))
        return any(len(v) >= 2 for v in seen.values())

    def eta(self) -> float | None:
        """Seconds left, or None while estimating."""
        n = sum(self.done.values())
        elapsed = self.clock() - self.t0
        if n < MIN_FRACTION * self.total or self.tasks < MIN_TASKS or elapsed <= 0:
            return None
        cost = self._cost_per_replicate() if self.plan else None
        if cost is None:            # no compute seconds: count replicates
            return elapsed * (self.total - n) / n
        if not self._scaling_known():
            return None
        spent = sum(self.seconds.values())
        left = sum(max(todo - self.finished.get(k, 0), 0) * cost(*k) for k, todo in self.plan.items())
        return elapsed * left / spent

    def line(self) -> str:
        n = sum(self.done.values())
        elapsed = self.clock() - self.t0
        eta = self.eta()
        eta_text = f", about {_duration(eta)} left" if eta is not None else ", estimating how long it takes"
        busy = [f"{cid} {d}/{self.totals[cid]}" for cid, d in self.done.items() if 0 < d < self.totals.get(cid, 0)]
        return (f"claimcheck: {self.desc} {n}/{self.total} ({100 * n / self.total:.0f}%) after "
                f"{_duration(elapsed)}{eta_text}" + (f"; {', '.join(busy[:4])}" if busy else ""))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.enabled and self.clock() - self.t0 >= self.every:
            print(self.line(), file=self.stream, flush=True)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
