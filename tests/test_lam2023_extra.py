"""claimcheck.models.lam2023_extra: the snapshot trainer is the model's training run."""
import numpy as np
import pytest

from claimcheck.models import lam2023 as L
from claimcheck.models.lam2023_extra import train_snapshots
from claimcheck.models.lam2023_runs import trained_setup

CFG = L.TrainConfig(beta=0.75, gamma=0.1, alpha=4.0, T=1.0)


@pytest.mark.parametrize("cfg", [CFG, L.TrainConfig(beta=0.75, gamma=0.1, alpha=4.0, T=1.0, out_exponent=0.0),
                                 L.TrainConfig(beta=0.75, gamma=0.1, alpha=4.0, T=1.0, train_w=False)])
def test_snapshot_at_step_k_is_the_run_stopped_at_k(cfg):
    """Every snapshot equals lam2023.train(steps=k) (numba and numpy backends) to round-off,
    including a run where the clipping is active (unscaled output) and one with W frozen."""
    n = 24
    Z, W, B, C = trained_setup([np.random.default_rng([5, r]) for r in range(3)], n, cfg)
    snaps = [0, 1, 7, 7, 16, n]
    Cs, Ws = train_snapshots(Z, W, B, C, cfg, snaps)
    assert Cs.shape == Ws.shape == (3, len(snaps), n)
    np.testing.assert_array_equal(Cs[:, 0], C)
    np.testing.assert_array_equal(Ws[:, 0], W)
    for j, k in enumerate(snaps[1:], start=1):
        for backend in ("numba", "numpy"):
            run = L.train(Z, W, B.copy(), C, cfg, steps=k, track_moves=False, backend=backend)
            np.testing.assert_allclose(Cs[:, j], run.C, rtol=1e-10, atol=1e-13)
            np.testing.assert_allclose(Ws[:, j], run.W, rtol=1e-10, atol=1e-13)
    if cfg.out_exponent == 0.0:
        assert L.train(Z, W, B.copy(), C, cfg, steps=n, track_moves=False).clip_any.all()


def test_inputs_left_untouched_and_bad_snapshots_refused():
    Z, W, B, C = trained_setup([np.random.default_rng(1)], 8, CFG)
    W0, B0, C0 = W.copy(), B.copy(), C.copy()
    train_snapshots(Z, W, B, C, CFG, [8])
    np.testing.assert_array_equal(W, W0)
    np.testing.assert_array_equal(B, B0)
    np.testing.assert_array_equal(C, C0)
    for bad in ([], [4, 2], [-1, 3]):
        with pytest.raises(ValueError):
            train_snapshots(Z, W, B, C, CFG, bad)
    with pytest.raises(ValueError):
        train_snapshots(Z, W, B, C, L.TrainConfig(b_lr_exponent=0.0), [4])
