"""The muP engine (claimcheck.models.mup_mlp): exact gradients, the parametrisation table,
and the coordinate check's width exponents on a small grid."""
import numpy as np
import pytest

from claimcheck.models import mup_mlp as M


def _net(n=6, d=4, seed=0):
    rng = np.random.default_rng(seed)
    return M.init(rng, n, d, M.setup("sp", n, d, 0.1)), rng.standard_normal((5, d)), rng.standard_normal(5)


def test_gradients_match_finite_differences():
    net, xi, y = _net()
    grads = M.gradients(net, xi, y)
    h = 1e-6
    for W, g in zip((net.W1, net.W2, net.W3), grads):
        fd = np.empty_like(W)
        for idx in np.ndindex(W.shape):
            old = W[idx]
            W[idx] = old + h
            up = M.loss(net, xi, y)
            W[idx] = old - h
            down = M.loss(net, xi, y)
            W[idx] = old
            fd[idx] = (up - down) / (2 * h)
        np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-9)


def test_an_sgd_step_lowers_the_loss_at_a_small_rate():
    net, xi, y = _net()
    before = M.loss(net, xi, y)
    M.sgd_step(net, xi, y, (1e-2, 1e-2, 1e-2))
    assert M.loss(net, xi, y) < before


def test_parametrisation_table():
    n, d, eta = 256, 16, 0.5
    mup = M.setup("mup", n, d, eta)
    assert mup.init_sd == pytest.approx((d ** -0.5, n ** -0.5, 1 / n))
    assert mup.lr == pytest.approx((eta * n, eta, eta / n))
    assert M.setup("mup", n, d, eta, input_lr_scaled=False).lr[0] == eta
    assert M.setup("mup", n, d, eta, output_lr_scaled=False).lr[2] == eta
    assert M.setup("ntk", n, d, eta).lr == pytest.approx((eta / d, eta / n, eta / n))
    assert M.setup("sp", n, d, eta).init_sd[2] == pytest.approx(n ** -0.5)
    with pytest.raises(ValueError, match="unknown parametrisation"):
        M.setup("mu-p", n, d, eta)


def test_same_seed_same_numbers():
    a = M.coordinate_check(np.random.default_rng(3), 64)
    b = M.coordinate_check(np.random.default_rng(3), 64)
    assert a == b
    assert set(a) == {f"{m}_t{t}" for m in ("dh1", "dh2", "df") for t in (1, 3)}


def _slope(name, key, ns=(128, 512), reps=6, **flags):
    means = [np.mean([M.coordinate_check(np.random.default_rng(s), n, name=name, **flags)[key]
                      for s in range(reps)]) for n in ns]
    return np.log(means[1] / means[0]) / np.log(ns[1] / ns[0])


def test_width_exponents_of_the_three_parametrisations():
    """muP: Theta(1); SP: layer 2 blows up like n^1/2; NTK: features freeze like n^-1/2
    (the derivation in the module docstring), on a 4x range of widths."""
    assert abs(_slope("mup", "dh2_t1")) < 0.1
    assert abs(_slope("mup", "dh1_t1")) < 0.1
    assert _slope("sp", "dh2_t1") > 0.35
    assert _slope("ntk", "dh2_t1") < -0.35
    assert _slope("mup", "dh1_t1", input_lr_scaled=False) < -0.8
