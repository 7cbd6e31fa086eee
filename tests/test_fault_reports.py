"""Issue 19, item 5: faults that were handled badly.

A hung simulate stops its claim after the first timeout (and names the line that hung);
a bad metric names the user's function, not claimcheck's; an overflowing statistic is an
error naming the metric; a lost Dask cluster's failed tasks are counted apart, a cluster
without workers is said; the non-TTY ETA is an estimate from the cost per claim and point.

Every test here is deterministic: it counts, it does not race a clock (waits are bounded
with generous limits).
"""
import io
import json
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from claimcheck.commands.runner import RunOptions, run

from conftest import write_toy
from test_faults import _cli, _free_port, _ok_rows, _stored, _wait_for_dask_worker, claim_file


def _opts(tmp_path, claims, **kw):
    base = dict(claims_dirs=[claims], store=tmp_path / "store.sqlite", out=tmp_path / "out", progress=False,
                artefacts=False, jobs=1)
    base.update(kw)
    return RunOptions(**base)


def _errors(store, prefix: str) -> int:
    with sqlite3.connect(store) as db:
        return db.execute("SELECT COUNT(*) FROM measurements WHERE error LIKE ?", (prefix + "%",)).fetchone()[0]


def _line_of(path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


# -- a hung simulate: the first timeout of a claim stops the claim -------------------------------

HANG = 'if point["N"] == 256:\n        time.sleep(3600)'


@pytest.mark.parametrize("jobs", [1, 2])
def test_after_the_first_timeout_a_claims_remaining_tasks_are_not_started(tmp_path, jobs):
    """Every replicate hangs at N=256 (10 tasks of 4): one timeout per busy worker, not
    120 (before: every replicate at N >= 256 waited out its limit, 120 x 0.5 s). The claim is incomplete
    (exit 3) and the reason names the claim file and the line that hung. A re-run (the
    "run again to resume" the message advises) stops after the first timeout again."""
    claims = tmp_path / "claims"
    path = claim_file(claims, "hung", hook=HANG, reps=40, batch=4)
    line = _line_of(path, "time.sleep(3600)")
    for attempt in range(2):
        res = run(_opts(tmp_path, claims, jobs=jobs, timeout=0.5))
        c = res.document["claims"][0]
        assert res.exit_code == 3 and c["incomplete"] is True and c["verdict"] == "error"
        assert f"toy_hung.py:{line}" in c["reason"] and "in simulate" in c["reason"], c["reason"]
        assert "sweep.py" not in c["reason"]
        timeouts = _errors(tmp_path / "store.sqlite", "timeout:")
        assert 1 <= timeouts <= jobs, timeouts          # at most one per worker that was busy with the claim
        # N=256, 1024 and 4096 (120 replicates): the rest not started; N=16 and 64 measured and stored
        assert _errors(tmp_path / "store.sqlite", "not started:") == 120 - timeouts
        assert _ok_rows(tmp_path / "store.sqlite") == 80


def test_a_timeout_of_a_mutant_does_not_stop_the_claim(tmp_path):
    claims = tmp_path / "claims"
    claim_file(claims, "mhung", mutant_hook=HANG, reps=40, batch=4)
    res = run(_opts(tmp_path, claims, mutants=True, timeout=0.5))
    c = res.document["claims"][0]
    assert c["verdict"] == "pass" and c["incomplete"] is False
    m = c["mutants"][0]
    assert m["measured"] is False and "in shifted" in m["reason"] and res.exit_code == 3
    assert _errors(tmp_path / "store.sqlite", "timeout:") == 1


def test_a_timeout_names_the_innermost_frame_in_the_claims_own_files(tmp_path):
    """simulate calls a helper module beside the claim file, which hangs inside the
    standard library: the message names the helper's line (the project's code), not
    the library's nor claimcheck's."""
    claims = tmp_path / "claims"
    (claims).mkdir(parents=True)
    helper = claims / "slowhelper.py"
    helper.write_text("import threading\n\n\ndef wait_forever():\n    threading.Event().wait(3600)\n")
    path = claim_file(claims, "helped", hook='if point["N"] == 256:\n        import slowhelper; slowhelper.wait_forever()',
                      reps=4, batch=4)
    res = run(_opts(tmp_path, claims, timeout=0.5))
    reason = res.document["claims"][0]["reason"]
    assert "in wait_forever at slowhelper.py:5" in reason, reason
    assert path.exists() and "threading.py" not in reason


# -- a bad metric names the user's function --------------------------------------------------------

HEAD = ('import numpy as np\nfrom claimcheck import Claim, Mutant, Rate\n\n\n'
        'def other(point, rng):\n    return simulate(point, rng)\n\n\n')

@pytest.mark.parametrize("value, says", [
    ("float('nan')", "is nan"), ("float('inf')", "is inf"), ("np.ones(3)", "an array of shape (3,)"),
    ("'0.1'", "not a number (str)"), ("None", "not a number (NoneType)"), ("1j", "not a number (complex)"),
])
def test_a_bad_metric_names_the_claim_file_line_and_metric(tmp_path, value, says):
    claims = tmp_path / "claims"
    body = (HEAD +
            'def simulate(point, rng):\n'
            '    x = abs(rng.standard_normal(int(point["N"])).mean())\n'
            f'    return {{"err": {value} if point["N"] == 256 else x, "ok": x}}\n\n\n'
            'claim = Claim(id="toy.bad", paper="toy", title="t", statement="s", source="paper",\n'
            '    grids={"quick": {"N": [16, 64, 256, 1024]}}, replicates={"quick": 8},\n'
            '    rates=[Rate(metric="err", axis="N", kind="tight", predicted=-0.5, tolerance=0.15)],\n'
            '    simulate=simulate, mutants=[Mutant("m", other)])\n')
    path = write_toy(claims, "bad", body=body)
    res = run(_opts(tmp_path, claims))
    reason = res.document["claims"][0]["reason"]
    assert f"metric 'err'" in reason and says in reason, reason
    assert f"simulate at toy_bad.py:{_line_of(path, 'def simulate')}" in reason and "sweep.py" not in reason
    assert res.exit_code == 1     # the claim's own bug: an error, not an incomplete run


def test_a_bad_metric_from_a_reducer_names_the_reducer(tmp_path):
    claims = tmp_path / "claims"
    body = (HEAD +
            'def simulate(point, rng):\n'
            '    return {"xs": rng.standard_normal(int(point["N"]))}\n\n\n'
            'def mean_abs(out, point):\n'
            '    return float("nan") if point["N"] == 64 else abs(out["xs"].mean())\n\n\n'
            'claim = Claim(id="toy.red", paper="toy", title="t", statement="s", source="paper",\n'
            '    grids={"quick": {"N": [16, 64, 256, 1024]}}, replicates={"quick": 8},\n'
            '    rates=[Rate(metric="err", axis="N", kind="tight", predicted=-0.5, tolerance=0.15)],\n'
            '    simulate=simulate, reducers={"err": mean_abs}, mutants=[Mutant("m", other)])\n')
    path = write_toy(claims, "red", body=body)
    res = run(_opts(tmp_path, claims))
    reason = res.document["claims"][0]["reason"]
    assert f"reducer mean_abs at toy_red.py:{_line_of(path, 'def mean_abs')}" in reason, reason
    assert "metric 'err' is nan" in reason and "sweep.py" not in reason


def test_a_batched_simulate_with_a_bad_metric_names_simulate_batch(tmp_path):
    claims = tmp_path / "claims"
    body = (HEAD +
            'def simulate(point, rngs):\n'
            '    return [{"err": float("inf") if point["N"] == 64 else abs(g.standard_normal(4).mean())} for g in rngs]\n\n\n'
            'claim = Claim(id="toy.bat", paper="toy", title="t", statement="s", source="paper",\n'
            '    grids={"quick": {"N": [16, 64, 256, 1024]}}, replicates={"quick": 8}, batched=True,\n'
            '    rates=[Rate(metric="err", axis="N", kind="tight", predicted=-0.5, tolerance=0.15)],\n'
            '    simulate=simulate, mutants=[Mutant("m", other)])\n')
    path = write_toy(claims, "bat", body=body)
    res = run(_opts(tmp_path, claims))
    reason = res.document["claims"][0]["reason"]
    assert f"simulate at toy_bat.py:{_line_of(path, 'def simulate')}" in reason, reason
    assert "metric 'err' is inf" in reason and "sweep.py" not in reason


# -- an overflowing statistic ---------------------------------------------------------------------

@pytest.mark.parametrize("statistic, scale", [("mean", "1e308"), ("rms", "1e200")])
def test_an_overflowing_statistic_is_an_error_naming_the_metric(tmp_path, recwarn, statistic, scale):
    """Finite values whose mean (or mean square) overflows float64: before, INCONCLUSIVE
    ("~4000 replicates") with numpy overflow warnings."""
    claims = tmp_path / "claims"
    body = (HEAD +
            'def simulate(point, rng):\n'
            f'    return {{"big": {scale} * (1 + 0.1 * rng.random()) * point["N"] ** -0.5}}\n\n\n'
            'claim = Claim(id="toy.big", paper="toy", title="t", statement="s", source="paper",\n'
            '    grids={"quick": {"N": [1, 4, 16, 64]}}, replicates={"quick": 20},\n'
            f'    rates=[Rate(metric="big", axis="N", kind="tight", predicted=-0.5, tolerance=0.15, statistic="{statistic}")],\n'
            '    simulate=simulate, mutants=[Mutant("m", other)])\n')
    write_toy(claims, "big", body=body)
    res = run(_opts(tmp_path, claims))
    c = res.document["claims"][0]
    assert c["verdict"] == "error" and res.exit_code == 1, c["reason"]
    assert f"{statistic}(big) overflows" in c["reason"] and "N=1" in c["reason"], c["reason"]
    assert not [w for w in recwarn if "overflow" in str(w.message)]


# -- a lost Dask scheduler: failed tasks apart, the real wall time ----------------------------------

def test_failed_tasks_are_counted_apart_from_computed_ones(tmp_path, capsys):
    """What a lost Dask scheduler does to the futures (every task fails): the footer
    says 0 computed and N failed, not N computed."""
    from concurrent.futures import Executor, Future

    import claimcheck.engine.executors as executors
    from claimcheck.commands.cli import main

    class LostScheduler(Executor):
        def submit(self, fn, /, *args, **kwargs):
            fut = Future()
            fut.set_exception(OSError("Timed out trying to connect to tcp://scheduler:8786"))
            return fut

    claims = tmp_path / "claims"
    claim_file(claims, "lost", reps=10, batch=5)
    real = executors.make_executor
    executors.make_executor = lambda *a, **k: LostScheduler()
    try:
        assert main(_cli(tmp_path, claims, jobs="2")) == 3
    finally:
        executors.make_executor = real
    out = capsys.readouterr().out
    assert "0 computed in this run, 50 failed" in out, out
    assert "50 computed" not in out


def test_wall_time_counts_from_the_commands_start(tmp_path, monkeypatch):
    """The footer's wall time is the command's, from its start (discovery, waiting for a
    lock): before, it started inside run() and a run that lasted ~60 s said 17 s."""
    import claimcheck.commands.runner as runner
    from claimcheck.commands.cli import main

    claims = tmp_path / "claims"
    claim_file(claims, "w", reps=10, batch=5)
    res = run(_opts(tmp_path, claims, started=time.time() - 100.0))
    assert res.results.wall_time >= 100.0
    seen = []
    real = runner.run
    monkeypatch.setattr(runner, "run", lambda opts: seen.append(opts.started) or real(opts))
    t0 = time.time()
    assert main(_cli(tmp_path, claims)) == 0
    assert seen and t0 <= seen[0] <= time.time()


@pytest.mark.slow   # waits on a Dask scheduler (3.0 s); CI runs it with the other Dask tests
def test_a_scheduler_without_workers_is_said_once_and_the_run_keeps_waiting(tmp_path, monkeypatch, capsys):
    """A cluster whose tasks never start (no worker): one line on stderr after a while
    (CLAIMCHECK_NO_WORKERS_AFTER, 20 s by default), not one per poll; the run keeps
    waiting and takes the results of a worker that joins later."""
    from concurrent.futures import Executor, Future

    from claimcheck.engine.discovery import discover
    from claimcheck.engine.sweep import execute, plan, run_task

    class NoWorkers(Executor):
        address = "tcp://sched:8786"

        def __init__(self):
            self.futures, self.n = [], 0

        def submit(self, fn, /, *args, **kwargs):
            fut = Future()
            self.futures.append((fut, args))
            return fut

        def workers(self):
            return self.n

    monkeypatch.setenv("CLAIMCHECK_NO_WORKERS_AFTER", "0.5")
    claims = tmp_path / "claims"
    claim_file(claims, "nw", reps=10, batch=10)
    claim = discover([claims], entry_points=False)[0][0]
    tasks = plan(claim, "v", "", "quick", 0)
    ex, rows = NoWorkers(), []
    runner = threading.Thread(target=execute, args=(tasks, ex, rows.extend), daemon=True)
    runner.start()
    deadline = time.monotonic() + 60
    while "no workers" not in capsys.readouterr().err and time.monotonic() < deadline:
        time.sleep(0.05)
    assert time.monotonic() < deadline, "the run never said that the scheduler has no workers"
    time.sleep(2.0)
    assert "no workers" not in capsys.readouterr().err          # said once, not every poll
    ex.n = 1                                                    # a worker joins and runs the tasks
    for fut, (task,) in ex.futures:
        fut.set_result(run_task(task))
    runner.join(timeout=60)
    assert not runner.is_alive() and len(rows) == 50 and all(r["status"] == "ok" for r in rows)


@pytest.mark.slow
def test_a_lost_dask_scheduler_counts_failed_tasks_apart_and_the_whole_wall_time(tmp_path):
    pytest.importorskip("distributed")
    claims = tmp_path / "claims"
    claim_file(claims, "slow", hook="time.sleep(0.02)", reps=100, batch=10)
    address = f"tcp://127.0.0.1:{_free_port()}"
    quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sched = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port",
                              address.rsplit(":", 1)[1], "--no-dashboard"], **quiet)
    worker = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                               "--no-dashboard"], **quiet)
    try:
        args = [a if a != "--jobs" else "--scheduler" for a in _cli(tmp_path, claims, "--mutants")]
        args[args.index("--scheduler") + 1] = address
        _wait_for_dask_worker(address)
        t0 = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "claimcheck.commands.cli", *args], cwd=tmp_path,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 60
        while _stored(tmp_path / "store.sqlite") < 50 and time.time() < deadline:
            time.sleep(0.2)
        sched.kill()
        out, err = proc.communicate(timeout=180)
        took = time.monotonic() - t0
    finally:
        sched.kill()
        worker.kill()
    assert proc.returncode == 3, err
    with sqlite3.connect(tmp_path / "store.sqlite") as db:
        ok = db.execute("SELECT COUNT(*) FROM measurements WHERE status='ok'").fetchone()[0]
        failed = db.execute("SELECT COUNT(*) FROM measurements WHERE status!='ok'").fetchone()[0]
    assert failed > 0
    assert f"{ok} computed in this run, {failed} failed" in out, out
    doc = json.loads((tmp_path / "out" / "results.json").read_text())
    assert doc["provenance"]["computed"] == ok and doc["provenance"]["failed"] == failed
    assert 0 < doc["provenance"]["wall_time"] <= took


@pytest.mark.slow
def test_a_scheduler_without_workers_is_said_on_stderr(tmp_path):
    pytest.importorskip("distributed")
    claims = tmp_path / "claims"
    claim_file(claims, "nowork", reps=10, batch=5)
    address = f"tcp://127.0.0.1:{_free_port()}"
    quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sched = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port",
                              address.rsplit(":", 1)[1], "--no-dashboard"], **quiet)
    env = dict(__import__("os").environ, CLAIMCHECK_NO_WORKERS_AFTER="1")
    try:
        args = [a if a != "--jobs" else "--scheduler" for a in _cli(tmp_path, claims)]
        args[args.index("--scheduler") + 1] = address
        _wait_for_dask_worker(address, workers=0)          # the scheduler answers, and has no worker
        proc = subprocess.Popen([sys.executable, "-m", "claimcheck.commands.cli", *args], cwd=tmp_path,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        lines: list = []
        reader = threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, "")), daemon=True)
        reader.start()
        deadline = time.time() + 90
        while not any("no workers" in x for x in lines) and time.time() < deadline and proc.poll() is None:
            time.sleep(0.2)
        said = [x for x in lines if "no workers" in x]
        if not said:
            proc.kill()
        assert len(said) == 1 and address in said[0], lines
        # a worker that joins later runs the tasks: waiting was the right thing to do
        worker = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                                   "--no-dashboard"], **quiet)
        try:
            out = proc.stdout.read()
            proc.wait(timeout=120)
        finally:
            worker.kill()
    finally:
        sched.kill()
    assert proc.returncode == 0, lines
    assert "50 computed in this run" in out


# -- the non-TTY ETA -------------------------------------------------------------------------------

class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def _progress(totals, clock, **kw):
    from claimcheck.engine.progress import Progress

    stream = io.StringIO()
    return Progress(totals, True, "measuring", stream=stream, every=0.0, clock=clock, **kw), stream


def test_eta_weighs_each_claim_and_point_by_its_measured_cost():
    """Replicates of cheap points first, of a 100x dearer point last (tasks in plan
    order: point by point), 2 workers: the ETA prices what is left by the cost measured
    per claim and point, scaled by the point's size to the point not yet reached (before:
    replicates counted, elapsed x left / done, here ~20x too low; the audit's
    "150-181 h left" for a 41-minute job was the same error the other way round).
    While one point size only is measured, the growth is unknown: "estimating"."""
    clock = Clock()
    points = {10: 0.01, 100: 0.1, 1000: 1.0}          # N: seconds per replicate (cost ~ N)
    p, stream = _progress({"a": 300}, clock, plan={("a", f'{{"N": {n}}}'): 100 for n in points},
                          scale={("a", f'{{"N": {n}}}'): float(n) for n in points})
    assert "estimating" in p.line()
    for n in (10, 100):
        for _ in range(10):                            # 10 tasks of 10 replicates, 2 workers
            clock.now += 10 * points[n] / 2
            p.update("a", 10, point=f'{{"N": {n}}}', seconds=10 * points[n])
        if n == 10:
            assert "estimating" in p.line(), p.line()  # one size measured: the growth is unknown
    # left: 100 replicates x 1 s of compute, on 2 workers (measured: 11 s compute in 5.5 s) = 50 s
    assert "about 50 s left" in p.line(), p.line()


def test_eta_does_not_price_one_claim_by_another_claims_point_sizes():
    """Point sizes mean different things in different claims (N, N x T, N x paths x steps):
    the README main job said "about 810.5 h left" of a 7-minute run (replayed from its
    store: 764 563 s at 172 s, 133 s really left) because claims not reached yet were
    priced by the measured claims' cost law in *their* sizes, and a claim measured at one
    size by a guessed linear growth. Now a claim not reached yet costs the measured claims'
    median average cost per replicate (the replay: 179 s, 211 s, 264 s at 133, 95, 75 s left)."""
    clock = Clock()
    plan = {("a", f'{{"N": {n}}}'): 100 for n in (10, 100)}
    plan.update({("b", f'{{"N": {n}, "paths": 8, "steps": 300}}'): 100 for n in (512, 8192)})
    scale = {k: float(eval(k[1].replace('"', "'"))["N"]) * (2400 if k[0] == "b" else 1) for k in plan}
    p, _ = _progress({"a": 200, "b": 200}, clock, plan=plan, scale=scale)
    for n, cost in ((10, 0.01), (100, 0.1)):
        for _ in range(10):                            # 10 tasks of 10 replicates, 2 workers
            clock.now += 10 * cost / 2
            p.update("a", 10, point=f'{{"N": {n}}}', seconds=10 * cost)
    # a: done; b's 200 replicates priced at a's average cost per replicate (0.055 s) on 2 workers
    eta = p.eta()
    assert eta is not None and 2 < eta < 20, p.line()


def test_eta_says_estimating_until_enough_is_finished():
    clock = Clock()
    p, _ = _progress({"a": 1000}, clock)
    assert "estimating" in p.line() and "left" not in p.line()
    clock.now += 1
    p.update("a", 1, point='{"N": 1}', seconds=1.0)       # one task of 1000: too little to say
    assert "estimating" in p.line(), p.line()
    for _ in range(99):
        clock.now += 1
        p.update("a", 1, point='{"N": 1}', seconds=1.0)
    assert "left" in p.line() and "estimating" not in p.line()


def test_progress_lives_outside_the_hashed_sweep_module():
    """A progress-bar edit must not move every claim's version: Progress is not in
    engine/sweep.py, which the version hashes."""
    import inspect

    import claimcheck.engine.sweep as sweep

    assert "class Progress" not in inspect.getsource(sweep)


def test_futures_a_lost_scheduler_never_resolves_are_given_up():
    """A lost Dask scheduler left a future unresolved for ever (the run hung, 1 in 10
    under load): once the client has been disconnected for a while without a result,
    the pending futures are given up (yielded, marked abandoned), not waited on."""
    from concurrent.futures import Future

    from claimcheck.engine.sweep import _as_completed

    class Lost:
        def connected(self):
            return False

    done, never = Future(), Future()
    done.set_result([])
    abandoned: set = set()
    t0 = time.monotonic()
    got = list(_as_completed([done, never], Lost(), poll=0.05, lost_after=0.3, abandoned=abandoned))
    assert got == [done, never] and abandoned == {never}
    assert time.monotonic() - t0 < 60                      # bounded: before, it waited for ever

    class Connected(Lost):
        def connected(self):
            return True

    pending = Future()
    threading.Timer(1.0, pending.set_result, ([],)).start()
    abandoned = set()
    assert list(_as_completed([pending], Connected(), poll=0.05, lost_after=0.3, abandoned=abandoned)) == [pending]
    assert abandoned == set()                               # connected: waited for, not given up
