"""The reproducibility contract (claimcheck.engine.reproducibility, README "Reproducibility").

Bit for bit on one machine across worker counts, executors and resumes; to round-off
(ROUNDOFF_RTOL) across batch sizes, whose BLAS code paths differ.
"""
import numpy as np
import pytest

from claimcheck.engine.reproducibility import ROUNDOFF_ATOL, ROUNDOFF_RTOL, agree_to_roundoff
from claimcheck.commands.runner import run
from claimcheck.engine.store import Store

from conftest import run_opts, stored_metrics, write_toy

# simulate_batch stacks the replicates into one matrix product: the batch size changes
# the BLAS call (a gemm of B rows instead of B gemvs), hence round-off only.
BLAS_TOY = '''
import numpy as np
from claimcheck import Claim, Mutant, Rate

def simulate_batch(point, rngs):
    n = int(point["N"])
    X = np.stack([g.standard_normal((n, 33)) for g in rngs])          # (B, n, 33)
    w = np.linspace(-1.0, 1.0, 33) / np.sqrt(33.0)
    h = np.tanh(X @ w)                                                  # batched matmul
    G = np.einsum("bij,bik->bjk", X, X) / n                             # a gram matrix per replicate
    return [{{"err": float(abs(h[b].mean())), "gram": float(np.linalg.norm(G[b] - np.eye(33)))}}
            for b in range(len(rngs))]

def broken(point, rngs):
    return [{{"err": o["err"] + 0.05, "gram": o["gram"]}} for o in simulate_batch(point, rngs)]

claim = Claim(
    id="toy.blas", paper="toy", title="batched BLAS", statement="E|mean tanh| ~ N^-1/2", source="paper",
    grids={{"quick": {{"N": [32, 128, 512, 2048]}}}}, replicates={{"quick": 25}},
    rates=[Rate(metric="err", axis="N", kind="tight", predicted=-0.5, tolerance=0.2)],
    simulate_batch=simulate_batch, mutants=[Mutant("shifted", simulate_batch=broken)], batch_size={batch},
)
'''




def _blas_toy(folder, batch):
    return write_toy(folder, name="blas", body=BLAS_TOY.format(batch=batch))


def test_workers_1_and_2_are_bit_identical(tmp_path):
    d = tmp_path / "c"
    _blas_toy(d, batch=5)
    a = run(run_opts(tmp_path / "a", d, jobs=1))
    b = run(run_opts(tmp_path / "b", d, jobs=2))
    assert len(stored_metrics(a.document)) == 100
    assert stored_metrics(a.document) == stored_metrics(b.document)          # bit for bit
    assert a.document["claims"][0]["rates"] == b.document["claims"][0]["rates"]


def test_batch_sizes_1_and_25_agree_to_roundoff(tmp_path):
    d1, d25 = tmp_path / "c1", tmp_path / "c25"
    _blas_toy(d1, batch=1)
    _blas_toy(d25, batch=25)
    a = run(run_opts(tmp_path / "a", d1, jobs=1))
    b = run(run_opts(tmp_path / "b", d25, jobs=2))
    ma, mb = stored_metrics(a.document), stored_metrics(b.document)
    assert ma.keys() == mb.keys() and len(ma) == 100
    assert all(agree_to_roundoff(ma[k], mb[k]) for k in ma)
    ra, rb = a.document["claims"][0]["rates"][0], b.document["claims"][0]["rates"][0]
    assert ra["verdict"] == rb["verdict"]
    assert ra["measured"] == pytest.approx(rb["measured"], rel=1e-6)


@pytest.mark.slow
def test_dask_localcluster_is_bit_identical_to_inline_and_pool(tmp_path):
    distributed = pytest.importorskip("distributed")
    d = tmp_path / "c"
    _blas_toy(d, batch=5)
    inline = run(run_opts(tmp_path / "i", d, jobs=1))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl:
        remote = run(run_opts(tmp_path / "d", d, scheduler=cl.scheduler_address))
    assert stored_metrics(inline.document) == stored_metrics(remote.document)


def test_a_resumed_run_is_bit_identical(tmp_path):
    """Missing rows are recomputed in their original batches (batch-mates included), so
    even a vectorised simulate_batch gives the same bits as an uninterrupted run."""
    d = tmp_path / "c"
    _blas_toy(d, batch=5)
    full = run(run_opts(tmp_path / "full", d, jobs=1))
    # a partial store: drop half the rows, as an interrupted run leaves it
    part = run(run_opts(tmp_path / "part", d, jobs=1))
    store = Store(tmp_path / "part" / "store.sqlite")
    store.db.execute("DELETE FROM measurements WHERE replicate % 2 = 1")
    store.db.commit()
    store.close()
    resumed = run(run_opts(tmp_path / "part", d, jobs=2))
    assert resumed.computed == 48                       # replicates 1, 3, ..., 23 at 4 points
    assert stored_metrics(full.document) == stored_metrics(part.document) == stored_metrics(resumed.document)


def test_the_tolerance_is_round_off_not_more():
    assert ROUNDOFF_RTOL <= 1e-9 and ROUNDOFF_ATOL <= 1e-12
    assert agree_to_roundoff({"a": 1.0}, {"a": 1.0 + 1e-12})
    assert not agree_to_roundoff({"a": 1.0}, {"a": 1.0 + 1e-6})
    assert not agree_to_roundoff({"a": 1.0}, {"b": 1.0})
    assert not agree_to_roundoff(np.ones(3), np.ones(4))
