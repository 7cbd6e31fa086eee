"""The compiled (numba) training loop of the Agazzi RNN against the numpy reference (issue 24)."""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # see test_agazzi2023_model.py

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from claimcheck.models import agazzi2023 as m  # noqa: E402
from claimcheck.models import agazzi2023_runs as runs  # noqa: E402

RTOL = 1e-9   # the two differ by summation order only (~1e-16 per step); short runs stay far inside


def _both(net, X, y, eps, K, cfg, **kw):
    a = m.train(net, X, y, eps, K, cfg, compiled=False, **kw)
    b = m.train(net, X, y, eps, K, cfg, compiled=True, **kw)
    return a, b


def _assert_same(a, b):
    np.testing.assert_allclose(b.loss, a.loss, rtol=RTOL, atol=0)
    np.testing.assert_allclose(b.outputs, a.outputs, rtol=RTOL, atol=1e-15)
    for name in "AUbW":
        np.testing.assert_allclose(getattr(b.final, name), getattr(a.final, name), rtol=RTOL, atol=1e-15,
                                   err_msg=name)
    assert len(a.params) == len(b.params)
    for p, q in zip(a.params, b.params):
        for name in "AUbW":
            np.testing.assert_allclose(getattr(q, name), getattr(p, name), rtol=RTOL, atol=1e-15, err_msg=name)


@pytest.mark.parametrize("N", [2, 8, 32, 128, 256])
@pytest.mark.parametrize("eps", [0.5, 0.05])
@pytest.mark.parametrize("bound", [None, 0.25])
def test_compiled_matches_numpy(N, eps, bound):
    X, y = runs.data(32)
    net = m.init_net(m.draw_labels(np.random.default_rng(N), N), "diverse", 0.9)
    K = 40
    a, b = _both(net, X, y, eps, K, m.Config(bound=bound), record=[0, 7, K], snapshot=lambda n: n.copy())
    _assert_same(a, b)
    assert len(b.params) == 3
    if bound is not None:   # the projection is active, not vacuous
        assert np.mean(np.abs(b.final.W) == 0.25) > 0.1
        assert np.max(np.abs(b.final.W)) <= 0.25


@pytest.mark.parametrize("cfg", [m.Config(rec="sqrt"), m.Config(lr="global"), m.Config(lr="w_fixed"),
                                 m.Config(bound=0.5, bound_sqrt=True)], ids=["sqrt", "global", "w_fixed", "bsqrt"])
def test_compiled_matches_numpy_for_the_mutant_configs(cfg):
    X, y = runs.data(16, input_name="sturmian")
    net = m.init_net(m.draw_labels(np.random.default_rng(1), 12), "coupled", 0.9)
    _assert_same(*_both(net, X, y, 0.5, 30, cfg, record=[]))


def test_compiled_stack_with_per_net_bounds_matches_numpy():
    X, y = runs.data(32)
    nets = [m.init_net(m.draw_labels(np.random.default_rng(r), 8), "diverse", 0.9) for r in range(3)]
    cfg = m.Config(bound=(0.25, 0.5, 0.9))
    a, b = _both(m.stack(nets), X, y, 0.05, 60, cfg, record=[])
    _assert_same(a, b)
    assert b.loss.shape == (61, 3) and b.outputs.shape == (61, 3, 32)
    assert all(np.max(np.abs(n.W)) <= bd for n, bd in zip(m.unstack(b.final), cfg.bound))


def test_default_dispatch_keep_and_in_place():
    """compiled=None takes the kernels at N <= COMPILED_MAX_N (same numbers), keep= snapshots
    work, copy=False trains the caller's arrays, and SGD stays on the numpy path."""
    X, y = runs.data(16)
    net = m.init_net(m.draw_labels(np.random.default_rng(2), 6), "iid", 0.9, w_rng=np.random.default_rng(3))
    ref = m.train(net, X, y, 0.5, 20, keep=3, compiled=False)
    got = m.train(net, X, y, 0.5, 20, keep=3)
    _assert_same(ref, got)
    assert len(got.params) == 21 and got.params[0].N == 3
    mine = net.copy()
    tr = m.train(mine, X, y, 0.5, 20, copy=False, record=[])
    assert tr.final is mine
    np.testing.assert_allclose(mine.W, ref.final.W, rtol=RTOL, atol=1e-15)
    with pytest.raises(ValueError):
        m.train(net, X, y, 0.5, 5, m.Config(batch=4), rng=np.random.default_rng(0), compiled=True)
    a = m.train(net, X, y, 0.5, 5, m.Config(batch=4), rng=np.random.default_rng(0))
    b = m.train(net, X, y, 0.5, 5, m.Config(batch=4), rng=np.random.default_rng(0), compiled=False)
    np.testing.assert_array_equal(a.loss, b.loss)


def test_compiled_propagates_divergence_like_numpy():
    """No fastmath: an unstable run overflows to inf/nan in both paths alike."""
    X, y = runs.data(8)
    net = m.init_net(m.draw_labels(np.random.default_rng(4), 4), "diverse", 0.9)
    net.A *= 1e3
    with np.errstate(all="ignore"):
        a, b = _both(net, X, y, 50.0, 150, m.Config(), record=[])
    assert not np.all(np.isfinite(a.loss))
    np.testing.assert_array_equal(np.isfinite(a.loss), np.isfinite(b.loss))
