"""The Agazzi-Lu-Mukherjee RNN simulator: gradients, coupling, symmetry, reproducibility."""
import os

# Small matrices: multi-threaded OpenBLAS only spins against the other processes of a shared
# 2-core machine (the claim workers get the same setting from claimcheck.engine.executors). Takes
# effect only if numpy is not imported yet; an explicit setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from claimcheck.models import agazzi2023 as m  # noqa: E402
from claimcheck.models import agazzi2023_runs as runs  # noqa: E402
from claimcheck.engine.reproducibility import assert_roundoff_equal  # noqa: E402
from claimcheck.engine.seeding import rng_for  # noqa: E402


def _fd_gradient(net, X, y, cfg, name, h=1e-6):
    arr = getattr(net, name)
    num = np.zeros_like(arr)
    for idx in np.ndindex(arr.shape):
        plus, minus = net.copy(), net.copy()
        getattr(plus, name)[idx] += h
        getattr(minus, name)[idx] -= h
        num[idx] = (m.risk(m.forward(plus, X, cfg)[0], y) - m.risk(m.forward(minus, X, cfg)[0], y)) / (2 * h)
    return num


@pytest.mark.parametrize("cfg", [m.Config(), m.Config(rec="sqrt")], ids=["mean-field", "sqrt"])
@pytest.mark.parametrize("inputs", ["rotation", "sturmian"])
def test_bptt_matches_finite_differences(cfg, inputs):
    X, y = runs.data(12, input_name=inputs)
    X = np.hstack([X, runs.data(12, input_name=inputs, L=5)[0][:, 3:]])   # a longer window: L = 5
    net = m.init_net(m.draw_labels(np.random.default_rng(3), 9), "diverse", 0.9)
    net.A += 0.5                                     # break the mean-zero output so every gradient is sizeable
    g, R, _ = m.gradients(net, X, y, cfg)
    assert R == pytest.approx(m.risk(m.forward(net, X, cfg)[0], y))
    for name in "AUbW":
        num = _fd_gradient(net, X, y, cfg, name)
        got = getattr(g, name)
        assert np.max(np.abs(num - got)) <= 1e-6 * np.max(np.abs(got)), name


def test_minibatch_gradient_is_the_gradient_of_the_minibatch_risk():
    X, y = runs.data(16)
    net = m.init_net(m.draw_labels(np.random.default_rng(4), 6), "diverse", 0.9)
    idx = np.array([1, 5, 9, 12])
    g_sub, R_sub, _ = m.gradients(net, X, y, idx=idx)
    g_dir, R_dir, _ = m.gradients(net, X[idx], y[idx])
    assert R_sub == R_dir
    for name in "AUbW":
        np.testing.assert_array_equal(getattr(g_sub, name), getattr(g_dir, name))


def test_factored_update_equals_dense_update():
    X, y = runs.data(16)
    net = m.init_net(m.draw_labels(np.random.default_rng(5), 40), "diverse", 0.9)
    g, _, _ = m.backward(net, X, y)
    a, b = net.copy(), net.copy()
    m.gd_step(a, g, 0.3)
    m.gd_step(b, m.Net(g.A, g.U, g.b, g.dense_W()), 0.3)
    np.testing.assert_allclose(a.W, b.W, rtol=0, atol=1e-13)
    np.testing.assert_array_equal(a.A, b.A)


@pytest.mark.parametrize("init", ["diverse", "iid"])
def test_width_n_net_is_the_first_n_units_of_the_reference(init):
    rng = rng_for("agazzi2023.test", None, 0, 0)
    st = runs.streams(rng)
    N, N_ref = 24, 16 * 24
    w = lambda: np.random.default_rng(st.weights.bit_generator.seed_seq)  # noqa: E731
    small = m.init_net(runs.labels_for(st, N), init, 0.9, w_rng=w())
    ref = m.init_net(runs.labels_for(st, N_ref), init, 0.9, w_rng=w())
    first = ref.first(N)
    for name in "AUbW":
        np.testing.assert_array_equal(getattr(small, name), getattr(first, name))
    # and the coupling is real: the two nets' hidden states differ by O(N^-1/2) only
    X, _ = runs.data(16)
    _, H = m.forward(small, X)
    _, H_ref = m.forward(ref, X)
    assert_roundoff_equal(H[1], H_ref[1][:, :N])               # step 1 has no recurrent field
    assert 0 < np.sqrt(np.mean((H[-1] - H_ref[-1][:, :N]) ** 2)) < 3 / np.sqrt(N)


def test_nested_iid_blocks():
    a = m.nested_iid(np.random.default_rng(7), 50, mean=0.5)
    b = m.nested_iid(np.random.default_rng(7), 13, mean=0.5)
    np.testing.assert_array_equal(a[:13, :13], b)
    idx = m.shell_index(9)
    assert sorted(idx.ravel().tolist()) == list(range(81))


def test_blocked_forward_matches_dense_forward():
    labels = m.draw_labels(np.random.default_rng(8), 300)
    X, _ = runs.data(8)
    f, H = m.forward(m.init_net(labels, "diverse", 0.9), X)
    fb, Hb = m.forward_diverse_blocked(labels, X, 0.9, block=64)
    np.testing.assert_allclose(fb, f, rtol=0, atol=1e-13)
    np.testing.assert_allclose(Hb[-1], H[-1], rtol=0, atol=1e-13)


def test_degenerate_init_keeps_all_neurons_identical():
    X, y = runs.data(32)
    losses = []
    for N in (7, 64):
        net = m.init_net(m.draw_labels(np.random.default_rng(1), N), "degenerate", 0.9)
        tr = m.train(net, X, y, 0.5, 60, record=[0, 30, 60], keep=N)
        for p in tr.params + [tr.final]:
            for name in "AUb":
                v = getattr(p, name)
                assert np.ptp(v) <= 1e-12 * max(1.0, np.max(np.abs(v))), name
            assert np.ptp(p.W) <= 1e-12 * max(1.0, np.max(np.abs(p.W)))
        losses.append(tr.loss)
    # identical neurons: the network is one neuron whatever N, so the risk does not depend on N
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-10, atol=0)
    assert losses[0][-1] > 0.5 * runs.zero_risk(y)          # and it cannot fit the memory target


def test_projection_keeps_weights_in_the_box():
    X, y = runs.data(16)
    net = m.init_net(m.draw_labels(np.random.default_rng(2), 20), "diverse", 0.25)
    tr = m.train(net, X, y, 0.5, 50, m.Config(bound=0.25), record=[])
    assert np.max(np.abs(tr.final.W)) <= 0.25
    assert np.mean(np.abs(tr.final.W) == 0.25) > 0.1          # the constraint is active


@pytest.mark.parametrize("bound", [None, (0.25, 0.5, 0.9)])
def test_stacked_nets_train_like_one_at_a_time(bound):
    """A stack of R nets (leading axis) is R independent nets: same losses, outputs and
    weights, with per-net bounds for projected GD. Stacked and single nets run different
    BLAS code paths, so they agree to round-off (the reproducibility contract), not bit
    for bit: with AVX-512 OpenBLAS kernels they differ by ~1e-17."""
    X, y = runs.data(16)
    nets = [m.init_net(m.draw_labels(np.random.default_rng(r), 12), "diverse", 0.9) for r in range(3)]
    one = [m.train(n, X, y, 0.1, 40, m.Config(bound=None if bound is None else bound[r]), record=[])
           for r, n in enumerate(nets)]
    stacked = m.train(m.stack(nets), X, y, 0.1, 40, m.Config(bound=bound), record=[])
    for r, tr in enumerate(one):
        assert_roundoff_equal(tr.loss, stacked.loss[:, r])
        assert_roundoff_equal(tr.outputs, stacked.outputs[:, r])
        for name in "AUbW":
            assert_roundoff_equal(getattr(tr.final, name), getattr(m.unstack(stacked.final)[r], name), err_msg=name)
    if bound is not None:
        assert all(np.max(np.abs(n.W)) <= b for n, b in zip(m.unstack(stacked.final), bound))


def test_sturmian_is_binary_with_the_rotation_frequency():
    X = m.sturmian_inputs(4096, 2)
    assert set(np.unique(X)) == {-1.0, 1.0}
    assert np.mean(X[:, 0] == 1.0) == pytest.approx(m.ALPHA, abs=1e-3)


def _claim(name):
    from claimcheck.engine.discovery import claims_in_module, load_module

    path = Path(__file__).resolve().parents[1] / "claims" / f"agazzi2023_{name}.py"
    return claims_in_module(load_module(path), str(path))[0]


def test_global_optimality_runs_the_figure_only_init_up_to_its_width():
    """The independent-feature init (figure only) is trained up to INDEP_MAX_N, not beyond:
    at the full profile's widest net it was half the claim's compute."""
    c = _claim("global_optimality")
    cap = c.simulate.__globals__["INDEP_MAX_N"]
    at_cap = c.simulate({"N": cap, "T": 1.0}, rng_for(c.id, None, 0, 0))
    beyond = c.simulate({"N": 2 * cap, "T": 1.0}, rng_for(c.id, None, 0, 0))
    assert {k[len("indep_"):] for k in at_cap if k.startswith("indep_")} == set(beyond)
    assert not any(k.startswith("indep_") for k in beyond)


@pytest.mark.parametrize("name,point", [
    ("forward_coupling", {"N": 32, "Nref": 512}),
    ("training_coupling", {"N": 16, "Nmax": 64, "T": 10.0}),
    ("time_discretisation", {"inv_eps": 4, "ref_inv_eps": 256, "N": 256, "T": 4.0}),
    ("global_optimality", {"N": 16, "T": 20.0}),
    ("iid_washout", {"N": 64, "input": "sturmian"}),
    ("bounded_weights", {"N": 16, "T": 20.0}),
    ("ergodic_sampling", {"n": 64, "input": "sturmian"}),
    ("dependent_coupling", {"N": 32}),
])
def test_seeds_reproduce_bit_identically(name, point):
    """As the engine runs a replicate: its reference (if the claim has one) from a fresh
    generator of the replicate, then simulate from another."""
    c = _claim(name)

    def one(r):
        rng = rng_for(c.id, None, r, 0)
        if c.reference is None:
            return c.simulate(point, rng)
        ref = c.reference(c.reference_point(point), [rng_for(c.id, None, r, 0)])[0]
        return c.simulate(point, rng, ref)

    a, b, e = one(3), one(3), one(4)
    assert a == b
    assert a != e


def test_2n_reference_corrected_matches_a_16x_reference():
    """A2 compares width N with width 2N on the same labels, times sqrt(2)
    (m.nested_correction(N, 2N)); against a 16x reference (corrected by 1/sqrt(1 - 1/16))
    the errors must agree within Monte-Carlo error (measured at N = 8, T = 10, 64 label
    draws: output 0.220 vs 0.209 (se of the difference 0.012), parameters 0.332 vs 0.309
    (se 0.016)). At T = 60 the output agrees too (N = 16: 0.164 vs 0.162) and the
    parameters differ by 0.10 +- 0.05 (1.04 vs 0.94): see the A2 claim."""
    N, T, R = 8, 10.0, 64
    X, y = runs.data(16)
    K = int(T / 0.5)

    def train(labels):
        return m.train(m.init_net(labels, "diverse", 0.9), X, y, 0.5, K, record=np.array([K]),
                       snapshot=lambda net: net.copy())

    def errors(a, b, n_ref):
        c = m.nested_correction(N, n_ref)
        out = np.sqrt(np.mean((a.outputs - b.outputs) ** 2, axis=1)).max()
        return out * c, m.param_rms(a.params[0], b.params[0].first(N)) * c

    diffs = []
    for r in range(R):
        lab = m.draw_labels(np.random.default_rng([5, r]), 16 * N)
        a = train(lab[:N])
        diffs.append(np.subtract(errors(a, train(lab[:2 * N]), 2 * N), errors(a, train(lab), 16 * N)))
    d = np.array(diffs)
    se = d.std(axis=0, ddof=1) / np.sqrt(R)
    assert np.all(np.abs(d.mean(axis=0)) < 3 * se), (d.mean(axis=0), se)
    assert np.all(se < 0.03)            # the comparison has resolution: errors are ~0.2-0.3
