"""``--device`` (issue 24, item 2): the simulators' heavy loops on a torch device, chosen per
run, with rows stored per device. Tested through torch's CPU device (``torch-cpu``), so no
GPU is needed: the same verdicts and the same metrics to round-off as the CPU path, never a
CPU row reused on a GPU run or the reverse, and a clear error where the device is missing."""
from __future__ import annotations

import json
import os
import sqlite3
import textwrap

import numpy as np
import pytest

from claimcheck.commands.cli import main
from claimcheck.models import agazzi2023 as m
from claimcheck.models import agazzi2023_runs as runs
from claimcheck.models import device
from claimcheck.models import lam2023 as L
from claimcheck.models.lam2023_runs import trained_setup

torch = pytest.importorskip("torch")

CLAIM = textwrap.dedent('''
    import numpy as np
    from claimcheck import Claim, Mutant, Rate
    from claimcheck.models import agazzi2023 as m
    from claimcheck.models import agazzi2023_runs as runs
    from claimcheck.models import lam2023 as L
    from claimcheck.models.lam2023_runs import trained_setup

    def simulate(point, rng):
        n = int(point["N"])
        cfg = L.TrainConfig(T=0.5)
        Z, W, B, C = trained_setup([rng], n, cfg)
        run = L.train(Z, W, B, C, cfg)
        X, y = runs.data(8)
        net = m.init_net(m.draw_labels(rng, 4), "diverse", 0.5)
        tr = m.train(net, X, y, 0.05, 20, record=[])
        return {"move": float(run.max_move[0]), "loss": float(tr.loss[-1])}

    claim = Claim(
        id="dev.both", paper="toy", title="both trained models", statement="moves shrink", source="paper",
        grids={"quick": {"N": [16, 32, 64, 128]}}, replicates={"quick": 6},
        rates=[Rate(metric="move", axis="N", kind="upper", predicted=0.0, tolerance=0.5)],
        simulate=simulate, mutants=[Mutant("stuck", lambda p, r: {"move": 1.0, "loss": 0.0}, "no decay")])
''')


def test_check_names_what_is_missing():
    assert device.check("cpu") == "cpu" and device.check("torch-cpu") == "torch-cpu"
    with pytest.raises(ValueError, match="unknown device 'gpu'"):
        device.check("gpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no such CUDA device"):
            device.check("cuda")
    with pytest.raises(ValueError, match="no such CUDA device"):
        device.check("cuda:99")


def test_models_follow_the_device_of_the_process(monkeypatch):
    """lam2023.train and agazzi2023.train dispatch to torch on a torch device, to round-off
    of the CPU path; an explicit backend, SGD or snapshots stay on the CPU code."""
    cfg = L.TrainConfig(T=1.0)
    Z, W, B, C = trained_setup([np.random.default_rng([5, p]) for p in range(3)], 48, cfg)
    X, y = runs.data(8)
    nets = m.stack([m.init_net(m.draw_labels(np.random.default_rng([6, r]), 8), "diverse", 0.5) for r in range(3)])
    ref_l = L.train(Z, W, B, C, cfg)
    ref_a = m.train(nets, X, y, 0.05, 30)
    monkeypatch.setenv(device.ENV, "torch-cpu")
    calls = []
    from claimcheck.models import lam2023_torch
    real = lam2023_torch.train_paths
    monkeypatch.setattr(lam2023_torch, "train_paths", lambda *a, **k: calls.append(k["device"]) or real(*a, **k))
    got_l = L.train(Z, W, B, C, cfg)
    assert calls == ["cpu"]
    for f in ("C", "W", "max_move", "final_m", "y0"):
        np.testing.assert_allclose(getattr(got_l, f), getattr(ref_l, f), rtol=1e-10, atol=1e-14)
    L.train(Z, W, B, C, cfg, backend="numba")
    assert calls == ["cpu"]                           # an explicit backend is kept
    in_place = nets.copy()
    got_a = m.train(in_place, X, y, 0.05, 30, copy=False)
    np.testing.assert_allclose(got_a.loss, ref_a.loss, rtol=1e-9)
    np.testing.assert_allclose(in_place.W, ref_a.final.W, rtol=1e-9)   # copy=False trains in place, as on the CPU
    assert got_a.final is in_place and np.array_equal(got_a.steps, ref_a.steps)


def _rows(store):
    with sqlite3.connect(store) as db:
        return db.execute("select claim_version, count(*) from measurements group by claim_version").fetchall()


def test_a_torch_run_decides_as_the_cpu_run_and_keeps_its_own_rows(tmp_path):
    claims = tmp_path / "claims"
    claims.mkdir()
    (claims / "dev_both.py").write_text(CLAIM)
    store = tmp_path / "s.sqlite"
    docs = {}
    for dev in ("cpu", "torch-cpu", "torch-cpu"):
        out = tmp_path / f"out-{dev}"
        code = main(["run", "--claims-dir", str(claims), "--store", str(store), "--out", str(out), "--jobs", "1",
                     "--no-progress", "--no-html", "--device", dev])
        assert code == 0
        docs[dev] = json.loads((out / "results.json").read_text())
    cpu, gpu = docs["cpu"]["claims"][0], docs["torch-cpu"]["claims"][0]
    assert gpu["version"] == cpu["version"] + "@torch-cpu" and docs["torch-cpu"]["provenance"]["device"] == "torch-cpu"
    assert [r["verdict"] for r in gpu["rates"]] == [r["verdict"] for r in cpu["rates"]]
    by = lambda d: {(x["point"], x["replicate"]): x["metrics"] for x in d["measurements"]}
    a, b = by(cpu), by(gpu)
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_allclose([b[k]["move"], b[k]["loss"]], [a[k]["move"], a[k]["loss"]], rtol=1e-9)
    rows = dict(_rows(store))
    assert rows == {cpu["version"]: 24, gpu["version"]: 24}    # the third run reused the torch rows only
    assert os.environ.get(device.ENV) is None                 # the run restored the environment


@pytest.mark.parametrize("dev,words", [("bogus", "unknown device"), ("cuda:99", "no such CUDA device")])
def test_a_device_this_machine_lacks_is_a_usage_error_before_measuring(tmp_path, capsys, dev, words):
    claims = tmp_path / "claims"
    claims.mkdir()
    (claims / "dev_both.py").write_text(CLAIM)
    code = main(["run", "--claims-dir", str(claims), "--store", str(tmp_path / "s.sqlite"), "--out",
                 str(tmp_path / "out"), "--jobs", "1", "--no-progress", "--device", dev])
    assert code == 2 and words in capsys.readouterr().err
    assert not (tmp_path / "out" / "results.json").exists()
    code = main(["calibrate", "dev.both", "--claims-dir", str(claims), "--store", str(tmp_path / "s.sqlite"),
                 "--out", str(tmp_path / "cal"), "--seeds", "2", "--jobs", "1", "--no-progress", "--device", dev])
    assert code == 2 and words in capsys.readouterr().err


def test_calibration_records_stay_the_cpu_paths(tmp_path, capsys):
    claims = tmp_path / "claims"
    claims.mkdir()
    (claims / "dev_both.py").write_text(CLAIM)
    code = main(["calibrate", "dev.both", "--claims-dir", str(claims), "--store", str(tmp_path / "s.sqlite"),
                 "--out", str(tmp_path / "cal"), "--seeds", "2", "--jobs", "1", "--no-progress",
                 "--device", "torch-cpu", "--record"])
    assert code == 2 and "--record keeps the CPU path's calibration" in capsys.readouterr().err


def test_spawned_workers_inherit_the_device(tmp_path):
    """At --jobs 2 the workers run the torch path too (their numbers are the torch run's, not
    the CPU run's, which differ in the last bits) and rows are still keyed by the device."""
    claims = tmp_path / "claims"
    claims.mkdir()
    (claims / "dev_both.py").write_text(CLAIM)
    docs = {}
    for dev, jobs in (("cpu", "1"), ("torch-cpu", "1"), ("torch-cpu", "2")):
        out = tmp_path / f"out-{dev}-{jobs}"
        assert main(["run", "--claims-dir", str(claims), "--store", str(tmp_path / f"s{jobs}.sqlite"), "--out",
                     str(out), "--jobs", jobs, "--no-progress", "--no-html", "--device", dev]) == 0
        c = json.loads((out / "results.json").read_text())["claims"][0]
        docs[dev, jobs] = {(x["point"], x["replicate"]): x["metrics"] for x in c["measurements"]}, c["version"]
    (cpu, v_cpu), (t1, v1), (t2, v2) = docs["cpu", "1"], docs["torch-cpu", "1"], docs["torch-cpu", "2"]
    assert v1 == v2 == v_cpu + "@torch-cpu"
    assert any(t2[k] != cpu[k] for k in cpu)
    for k in cpu:
        assert t2[k] == t1[k]                      # same machine and path: the same numbers for any --jobs
