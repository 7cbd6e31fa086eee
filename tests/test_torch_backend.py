"""The torch backend (issue 24, item 2) against the numpy references, on torch's CPU
device in float64: the same numbers to round-off (the reproducibility contract across
code paths), so a GPU run differs from a CPU run only by the device's own round-off.

Skipped where torch is not installed (``pip install -e '.[gpu]'``); no test needs a GPU."""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

torch = pytest.importorskip("torch")

from claimcheck.models import agazzi2023 as m  # noqa: E402
from claimcheck.models import agazzi2023_runs as runs  # noqa: E402
from claimcheck.models import lam2023 as L  # noqa: E402
from claimcheck.models import lam2023_torch as lam_torch  # noqa: E402
from claimcheck.models.lam2023_runs import trained_setup  # noqa: E402

CFG = dict(beta=0.75, gamma=0.1, alpha=4.0, T=1.0)
FIELDS = ("C0", "W0", "C", "W", "B", "y0", "clip_any", "clip_frac", "max_move", "final_m", "m_path", "y_path")


@pytest.mark.parametrize("n,cfg,kw", [
    (64, CFG, {}),                                                     # the claims' configuration
    (128, {**CFG, "clip_threshold": 0.05}, {}),                        # clipping active most steps
    (96, {**CFG, "out_exponent": -0.5}, {}),                           # mutant output-sqrt-n
    (96, {**CFG, "b_lr_exponent": 0.0}, {}),                           # B trained (in place)
    (80, {**CFG, "train_w": False, "error_sign": -1.0, "T": 0.5}, {}),  # W frozen, gradient ascent
    (70, CFG, {"no_memory": True}),                                    # B = 0
])
@pytest.mark.parametrize("track", [(True, True), (False, False)])
def test_lam_torch_matches_numpy(n, cfg, kw, track):
    kw = dict(kw)
    no_memory = kw.pop("no_memory", False)
    cfg = L.TrainConfig(**cfg)
    rngs = [np.random.default_rng([3, p]) for p in range(3)]
    Z, W, B, C = trained_setup(rngs, n, cfg, no_memory=no_memory)
    ref = L.train(Z, W, B.copy(), C, cfg, backend="numpy", track_moves=track[0], track_path=track[1])
    got = L.train(Z, W, B.copy(), C, cfg, track_moves=track[0], track_path=track[1], backend="torch")
    assert got.steps == ref.steps
    for f in FIELDS:
        x, y = getattr(got, f), getattr(ref, f)
        if y is None or (f == "max_move" and not track[0]):
            continue
        np.testing.assert_allclose(x, y, rtol=1e-10, atol=1e-14, err_msg=f)


def test_lam_torch_leaves_the_inputs_and_float32_differs_beyond_round_off():
    """W, C are copied (the caller's arrays are the initial weights of other paths' runs);
    float32 runs, but differs from float64 beyond round-off (which is why no claim uses it)."""
    cfg = L.TrainConfig(**CFG)
    Z, W, B, C = trained_setup([np.random.default_rng(9)], 256, cfg)
    W_in, C_in = W.copy(), C.copy()
    a = L.train(Z, W, B.copy(), C, cfg, backend="torch")
    np.testing.assert_array_equal(W, W_in)
    np.testing.assert_array_equal(C, C_in)
    X, Y = Z[..., 0], L.target(Z)
    b = lam_torch.train_paths(X, Y, W, B.copy(), C, cfg, a.steps, dtype="float32")
    rel = np.max(np.abs(b["C"] - a.C)) / np.max(np.abs(a.C))
    assert 1e-12 < rel < 1e-3


def _agree_traj(a, b, rtol=1e-9):
    np.testing.assert_allclose(b.loss, a.loss, rtol=rtol, atol=0)
    np.testing.assert_allclose(b.outputs, a.outputs, rtol=rtol, atol=1e-15)
    for name in "AUbW":
        np.testing.assert_allclose(getattr(b.final, name), getattr(a.final, name), rtol=rtol, atol=1e-15,
                                   err_msg=name)


@pytest.mark.parametrize("N", [2, 16, 96])
@pytest.mark.parametrize("bound", [None, 0.25])
def test_agazzi_torch_matches_numpy(N, bound):
    X, y = runs.data(32)
    net = m.init_net(m.draw_labels(np.random.default_rng(N), N), "diverse", 0.9)
    cfg = m.Config(bound=bound)
    ref = m.train(net, X, y, 0.05, 40, cfg, record=[], compiled=False)
    got = m.train(net, X, y, 0.05, 40, cfg, torch_device="cpu")
    _agree_traj(ref, got)
    assert got.loss.shape == (41,) and got.outputs.shape == (41, 32)
    if bound is not None:
        assert np.max(np.abs(got.final.W)) <= 0.25 and np.mean(np.abs(got.final.W) == 0.25) > 0.1


@pytest.mark.parametrize("cfg", [m.Config(rec="sqrt"), m.Config(lr="global"), m.Config(bound=0.5, bound_sqrt=True)],
                         ids=["sqrt", "global", "bsqrt"])
def test_agazzi_torch_matches_numpy_for_mutant_configs(cfg):
    X, y = runs.data(16, input_name="sturmian")
    net = m.init_net(m.draw_labels(np.random.default_rng(1), 12), "coupled", 0.9)
    _agree_traj(m.train(net, X, y, 0.5, 30, cfg, record=[], compiled=False), m.train(net, X, y, 0.5, 30, cfg, torch_device="cpu"))


def test_agazzi_torch_stack_with_per_net_bounds():
    X, y = runs.data(32)
    nets = [m.init_net(m.draw_labels(np.random.default_rng(r), 8), "diverse", 0.9) for r in range(3)]
    cfg = m.Config(bound=(0.25, 0.5, 0.9))
    ref = m.train(m.stack(nets), X, y, 0.05, 60, cfg, record=[], compiled=False)
    got = m.train(m.stack(nets), X, y, 0.05, 60, cfg, torch_device="cpu")
    _agree_traj(ref, got)
    assert got.loss.shape == (61, 3)
    with pytest.raises(ValueError):
        m.train(nets[0], X, y, 0.5, 2, m.Config(batch=4), torch_device="cpu")
