"""Per-claim outputs drawn in forked processes (``claimcheck.report.forked``): the same files
as drawn one after another, failures reported as in the serial loop, a dead child costs
nothing but time."""
from __future__ import annotations

import os
import pickle

import pytest

from claimcheck.report import build_report
from claimcheck.report.forked import fork_map

from test_report import IDS, make_report

PARENT = os.getpid()


def _square(x):
    return x * x, os.getpid()


def test_fork_map_is_the_serial_map_run_in_children():
    got = fork_map(_square, range(7), jobs=2)
    assert [g[0] for g in got] == [x * x for x in range(7)]
    assert any(pid != PARENT for _, pid in got)
    assert all(pid == PARENT for _, pid in fork_map(_square, range(3), jobs=1))
    assert fork_map(_square, [], jobs=2) == []


class _Unpicklable(Exception):
    def __init__(self, a, b):
        super().__init__(f"{a}/{b}")

    def __reduce__(self):              # pickles as _Unpicklable(message): fails to rebuild
        # Spelled out: importing distributed (the Dask executor's tests) runs
        # tblib.pickling_support.install(), which rebuilds exceptions that keep the default
        # __reduce__ without calling __init__, so this class would travel after all (the CI
        # failure of stops 35 and 36, blamed first on a broken pool).
        return type(self), self.args


def _returns_error(x):
    return _Unpicklable(x, "y") if x == 2 else x


def _raises(x):
    if x == 1:
        raise ValueError(f"item {x} broke")
    return x


def test_results_and_errors_come_back_as_in_the_serial_loop():
    with pytest.raises(TypeError):     # the premise, whatever picklers other tests installed
        pickle.loads(pickle.dumps(_Unpicklable(2, "y")))
    got = fork_map(_returns_error, range(4), jobs=2)
    assert got[:2] == [0, 1] and got[3] == 3
    assert isinstance(got[2], RuntimeError) and "_Unpicklable: 2/y" in str(got[2])   # made plain to travel
    with pytest.raises(ValueError, match="item 1 broke"):
        fork_map(_raises, range(4), jobs=2)


def _dies_in_a_child(x):
    if x == 1 and os.getpid() != PARENT:
        os._exit(9)                    # a segfault or the OOM killer, as the parent sees it
    return x + 100


def test_a_dead_child_only_moves_the_work_back_to_the_parent():
    assert fork_map(_dies_in_a_child, range(5), jobs=2) == [100, 101, 102, 103, 104]


def _dies_once(marker):
    """Item 1 kills its child the first time only (a child the OOM killer took, say)."""
    def fn(x):
        if x == 1 and not marker.exists():
            marker.touch()
            os._exit(9)
        return x, os.getpid()
    return fn


def test_what_a_dead_child_left_goes_to_a_fresh_pool_first(tmp_path):
    """One death does not send the work to the parent: a second pool of children does it."""
    got = fork_map(_dies_once(tmp_path / "died"), range(6), jobs=2)
    assert (tmp_path / "died").exists()
    assert [x for x, _ in got] == list(range(6))
    assert all(pid != PARENT for _, pid in got)


def test_report_pages_drawn_in_parallel_are_the_same_bytes(tmp_path):
    """The claim pages, data files and index rebuilt over 2 processes equal the serial ones
    byte for byte (the SVG ids are salted per claim, not per process). The footer's time is
    the one input outside the document and the store: both builds are given the same (two
    builds a minute apart differed there, 3 runs in 16)."""
    rep = make_report(tmp_path)
    out, stamp = rep["out"], "1999-12-31 23:59 UTC"
    build_report(out=out, store=rep["store"], document=rep["document"], jobs=1, generated=stamp)
    files = sorted(p for sub in ("claims", "data") for p in (out / sub).iterdir()) + [out / "index.html"]
    assert len(files) >= 3 * len(IDS) + 1
    serial = {p: p.read_bytes() for p in files}
    assert all(stamp.encode() in b for p, b in serial.items() if p.suffix == ".html")
    for p in files:
        p.unlink()
    build_report(out=out, store=rep["store"], document=rep["document"], jobs=2, generated=stamp)
    for p in files:
        assert p.read_bytes() == serial[p], p.name


def test_claim_figures_drawn_in_forked_children_are_listed_as_before(tmp_path):
    """A run at --jobs 2 (stored measurements reused) draws the claims' figures in forked
    children: the same files, the same (absent) errors as the serial run listed."""
    from claimcheck.commands.runner import RunOptions, run

    rep = make_report(tmp_path)
    opts = RunOptions(seed=0, jobs=2, mutants=True, out=tmp_path / "out2", store=rep["store"],
                      claims_dirs=[tmp_path / "claims"], progress=False)
    got = {c.id: (c.artefacts, c.artefact_error) for c in run(opts).results.claims}
    want = {c["id"]: (c["artefacts"], c.get("artefact_error")) for c in rep["document"]["claims"]}
    assert got == want and any(files for files, _ in got.values())
    assert all((tmp_path / "out2" / f).is_file() for files, _ in got.values() for f in files)
