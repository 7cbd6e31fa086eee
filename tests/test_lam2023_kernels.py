"""The compiled Lam training loop (``lam2023_kernels.train_paths``, ``train(backend="numba")``)
against the numpy reference (``backend="numpy"``): same outputs to rtol 1e-10 on the claims'
configuration and on every switch the claims and their mutants use."""
import numpy as np
import pytest

from claimcheck.models import lam2023 as L
from claimcheck.models.lam2023_runs import trained_setup

CFG = dict(beta=0.75, gamma=0.1, alpha=4.0, T=1.0)
FIELDS = ("C", "W", "B", "y0", "clip_any", "clip_frac", "max_move", "final_m", "m_path", "y_path")


def _pair(n, cfg, paths=3, seed=0, c_scale=1.0, no_memory=False, steps=None, **kw):
    rngs = [np.random.default_rng([seed, p]) for p in range(paths)]
    Z, W, B, C = trained_setup(rngs, n, cfg, c_scale=c_scale, no_memory=no_memory)
    a = L.train(Z, W, B.copy(), C, cfg, steps=steps, backend="numba", **kw)
    b = L.train(Z, W, B.copy(), C, cfg, steps=steps, backend="numpy", **kw)
    return a, b


def _agree(a, b, rtol=1e-10, atol=1e-14):
    for f in FIELDS:
        x, y = getattr(a, f), getattr(b, f)
        if y is None:
            assert x is None, f
            continue
        np.testing.assert_allclose(x, y, rtol=rtol, atol=atol, err_msg=f)


@pytest.mark.parametrize("n,cfg,kw", [
    (64, CFG, {}),                                                     # claims' configuration
    (200, CFG, {"c_scale": 4.0}),                                      # kernel-limit's c_scale switch
    (128, {**CFG, "clip_threshold": 0.05}, {}),                        # clipping active most steps
    (128, {**CFG, "out_exponent": 0.0}, {"steps": 10}),                # mutant output-unscaled: chaotic,
                                                                       # see test_chaotic_mutant_agrees_in_law
    (96, {**CFG, "out_exponent": -0.5}, {}),                           # mutant output-sqrt-n
    (96, {**CFG, "lr_exponent": 0.0}, {"steps": 40}),                  # mutant lr-without-scaling
    (96, {**CFG, "b_lr_exponent": 0.0}, {}),                           # mutant b-trained-unscaled (B in place)
    (80, {**CFG, "train_w": False, "error_sign": -1.0, "T": 0.5}, {}),  # W frozen, gradient ascent
    (70, CFG, {"no_memory": True}),                                    # B = 0
    (100, {**CFG, "gamma": 0.3, "beta": 0.6, "alpha": 1.0}, {}),
])
@pytest.mark.parametrize("track", [(True, True), (False, False)])
def test_numba_matches_numpy(n, cfg, kw, track):
    kw = dict(kw)
    c_scale = kw.pop("c_scale", 1.0)
    no_memory = kw.pop("no_memory", False)
    a, b = _pair(n, L.TrainConfig(**cfg), c_scale=c_scale, no_memory=no_memory,
                 track_moves=track[0], track_path=track[1], **kw)
    _agree(a, b)
    assert a.steps == b.steps


def test_clipping_switch_is_exercised():
    a, b = _pair(128, L.TrainConfig(**{**CFG, "clip_threshold": 0.05}))
    assert np.all(a.clip_frac > 0.5) and np.all(a.clip_any)
    np.testing.assert_array_equal(a.clip_frac, b.clip_frac)


def test_b_trained_in_place_like_numpy():
    cfg = L.TrainConfig(**{**CFG, "b_lr_exponent": 0.0})
    Z, W, B, C = trained_setup([np.random.default_rng(4)], 64, cfg)
    Ba, Bb = B.copy(), B.copy()
    ra = L.train(Z, W, Ba, C, cfg, backend="numba")
    L.train(Z, W, Bb, C, cfg, backend="numpy")
    assert ra.B is Ba and not np.array_equal(Ba, B)
    np.testing.assert_allclose(Ba, Bb, rtol=1e-10, atol=1e-14)
    Bf = np.asfortranarray(np.repeat(B, 2, axis=0))           # not C-contiguous: written back
    L.train(np.repeat(Z, 2, axis=0), np.repeat(W, 2, axis=0), Bf, np.repeat(C, 2, axis=0), cfg)
    np.testing.assert_allclose(Bf[0], Bb[0], rtol=1e-10, atol=1e-14)


def test_inputs_untouched_and_same_seed_same_numbers():
    cfg = L.TrainConfig(**CFG)
    Z, W, B, C = trained_setup([np.random.default_rng([7, p]) for p in range(4)], 150, cfg)
    copies = [x.copy() for x in (Z, W, B, C)]
    r1 = L.train(Z, W, B, C, cfg, track_path=True)
    for x, y in zip((Z, W, B, C), copies):
        np.testing.assert_array_equal(x, y)
    r2 = L.train(Z, W, B, C, cfg, track_path=True)
    for f in FIELDS:
        np.testing.assert_array_equal(getattr(r1, f), getattr(r2, f))
    one = L.train(Z[1:2], W[1:2], B[1:2], C[1:2], cfg, track_path=True)    # batch-independent
    np.testing.assert_array_equal(one.y_path[0], r1.y_path[1])


def test_zero_steps_and_unknown_backend():
    cfg = L.TrainConfig(**CFG)
    Z, W, B, C = trained_setup([np.random.default_rng(1)], 16, cfg)
    a = L.train(Z, W, B, C, cfg, steps=0)
    b = L.train(Z, W, B, C, cfg, steps=0, backend="numpy")
    assert a.y0 is None and b.y0 is None and a.final_m is None
    np.testing.assert_array_equal(a.C, C)
    with pytest.raises(ValueError):
        L.train(Z, W, B, C, cfg, backend="jax")


def test_chaotic_mutant_agrees_in_law():
    """The output-unscaled mutant (clipping active ~97% of steps, O(1) moves) is chaotic: a
    round-off difference grows ~1e3x per 10 steps. Numba vs numpy then diverge path by path
    after ~15 steps, exactly as numpy does against itself with the units permuted (the same
    sums in another order); the laws the claims measure agree."""
    cfg = L.TrainConfig(**{**CFG, "out_exponent": 0.0})
    n = 256
    Z, W, B, C = trained_setup([np.random.default_rng([5, p]) for p in range(16)], n, cfg)
    perm = np.random.default_rng(0).permutation(n)
    a = L.train(Z, W, B, C, cfg, track_path=True, backend="numba")
    b = L.train(Z, W, B, C, cfg, track_path=True, backend="numpy")
    c = L.train(Z, W[:, perm], B[:, perm], C[:, perm], cfg, track_path=True, backend="numpy")
    np.testing.assert_allclose(a.y_path[:, :10], b.y_path[:, :10], rtol=1e-10)
    assert np.max(np.abs(c.y_path[:, -1] - b.y_path[:, -1])) > 1.0      # numpy against itself
    for x in (a, c):
        assert abs((x.y_path ** 2).mean() / (b.y_path ** 2).mean() - 1) < 0.05
        assert abs(x.clip_frac.mean() - b.clip_frac.mean()) < 0.02
        assert abs(x.max_move.mean() / b.max_move.mean() - 1) < 0.05


def test_move_tracker_propagates_nan_like_numpy():
    """A NaN in one unit's move makes the path's move NaN, as np.max does in the reference."""
    from claimcheck.models.lam2023_kernels import _max_nan

    a = np.abs(np.linspace(-1.0, 0.5, 37))
    assert _max_nan(a) == 1.0
    a[11] = np.nan
    assert np.isnan(_max_nan(a))
    assert _max_nan(np.array([np.inf, 1.0])) == np.inf
    cfg = L.TrainConfig(**CFG)
    Z, W, B, C = trained_setup([np.random.default_rng([0, p]) for p in range(2)], 32, cfg)
    W[1, 5] = np.nan
    for backend in ("numba", "numpy"):
        run = L.train(Z, W, B, C, cfg, steps=3, backend=backend)
        assert np.isfinite(run.max_move[0]) and np.isnan(run.max_move[1]), backend


@pytest.mark.parametrize("method,n", [("exact", 50), ("compressed", 3000)])
@pytest.mark.parametrize("moments", [True, False])
def test_compiled_memory_run_matches_numpy(method, n, moments):
    """``memory_run``'s compiled recursion (``memory_paths``) against the numpy loop, exact
    and compressed units: the memory is contractive, so round-off stays round-off."""
    rng = np.random.default_rng(3)
    P, T = 5, 400
    W, B = L.draw_weights(rng, (P, n)), rng.uniform(0, 1, (P, n))
    X = rng.uniform(-1, 1, (P, T + 1))
    units = L.make_units(W, B, method=method)
    a = L.memory_run(units, X, T, moments=moments)
    b = L.memory_run(units, X, T, moments=moments, compiled=False)
    for f in ("m", "mean1", "mean2", "start1", "start2"):
        x, y = getattr(a, f), getattr(b, f)
        if y is None:
            assert x is None, f
        else:
            np.testing.assert_allclose(x, y, rtol=1e-13, atol=0, err_msg=f)


def test_memory_run_switched_activation_stays_on_numpy():
    """A negative control's activation is not the sigmoid: the numpy loop runs it."""
    rng = np.random.default_rng(4)
    units = L.exact_units(rng.standard_normal((2, 30)), rng.uniform(0, 1, (2, 30)))
    X = rng.uniform(-1, 1, (2, 20))
    run = L.memory_run(units, X, 10, activation=np.tanh)
    ref = L.memory_run(units, X, 10, activation=np.tanh, compiled=False)
    np.testing.assert_array_equal(run.m, ref.m)


def test_compiled_paths_reject_shapes_numpy_would_reject():
    """The kernels do not check their indices: mismatched data and parameters are a
    ValueError before they run, as they are on the numpy path (never a read past the end)."""
    rng = np.random.default_rng(5)
    units = L.exact_units(rng.standard_normal((4, 30)), rng.uniform(0, 1, (4, 30)))
    with pytest.raises(ValueError):
        L.memory_run(units, rng.uniform(-1, 1, (2, 20)), 10)
    x1 = rng.uniform(-1, 1, (1, 20))           # one data path for every row: numpy broadcasts it
    np.testing.assert_array_equal(L.memory_run(units, x1, 10).m,
                                  L.memory_run(units, np.repeat(x1, 4, axis=0), 10).m)
    cfg = L.TrainConfig(**CFG)
    Z, W, B, C = trained_setup([np.random.default_rng([0, p]) for p in range(3)], 32, cfg)
    for bad in (dict(Z=Z[:2]), dict(B=B[:, :16]), dict(C=C[:1])):
        args = {"Z": Z, "W": W, "B": B, "C": C, **bad}
        with pytest.raises(ValueError):
            L.train(args["Z"], args["W"], args["B"], args["C"], cfg, backend="numba")
    with pytest.raises(ValueError):
        L.train(Z, W, B, C, cfg, steps=Z.shape[1] + 5, backend="numba")


@pytest.mark.parametrize("n", [3, 64, 1500, 20_000])
def test_compiled_compression_matches_numpy(n):
    """The compiled Chebyshev moments give the numpy reference's compressed units to
    round-off, at sizes below, at and across the kernel's chunk of 1024 units."""
    rng = np.random.default_rng(n)
    W, B = rng.standard_normal((3, n)), rng.uniform(0, 1, (3, n))
    got, ref = L.compress_units(W, B), L.compress_units(W, B, compiled=False)
    np.testing.assert_array_equal(got.w, ref.w)
    for g, r in ((got.a, ref.a), (got.b, ref.b)):
        np.testing.assert_allclose(g, r, rtol=0, atol=1e-14 * np.abs(r).max())


def test_draw_units_is_make_units_of_the_stacked_draws():
    """Compressing one draw at a time gives the units of the stacked draws, exact or compressed,
    with the default and a custom weight law."""
    def gens(seed):
        return [np.random.default_rng([seed, i]) for i in range(3)]
    for n, steps in ((40, 100), (3000, 100), (3000, 8)):
        for weights in (None, lambda g, n: g.uniform(-1, 1, n)):
            draw = weights or L.draw_weights
            W = np.stack([draw(g, n) for g in gens(1)])
            B = np.stack([L.draw_b(g, n) for g in gens(2)])
            ref = L.make_units(W, B, steps=steps)
            got = L.draw_units(gens(1), gens(2), n, steps=steps, weights=weights)
            assert got.compressed == ref.compressed and got.n_units == n
            for g, r in ((got.w, ref.w), (got.a, ref.a), (got.b, ref.b)):
                np.testing.assert_array_equal(g, r)
    with pytest.raises(ValueError, match="weight streams"):
        L.draw_units(gens(1), gens(2)[:2], 10)


def test_compiled_mixture_cdf_matches_scipy():
    """The vectorised Phi mixture against scipy's, with a near-degenerate component (x ~ 0:
    a step at its m) and t at both ends of (0, 1)."""
    rng = np.random.default_rng(5)
    x, m = rng.uniform(-1, 1, 37), rng.uniform(0, 1, 37)
    x[4], x[5] = 1e-12, 0.0
    t = np.concatenate([rng.uniform(0, 1, 3000), [1e-300, 1e-12, 0.5, 1 - 1e-12]]).reshape(-1, 1)
    got, ref = L.limit_cdf_mixture(t, x, m), L.limit_cdf_mixture(t, x, m, compiled=False)
    assert got.shape == ref.shape == t.shape
    np.testing.assert_allclose(got, ref, rtol=0, atol=2e-15)


@pytest.mark.parametrize("P", [1, 16, 37])
def test_compiled_limit_chain_matches_numpy(P):
    """M^inf and the kernel column average through the compiled blocks of paths (a partial
    block included) equal the numpy recursion to round-off, with and without burn-in."""
    X = L.data_paths([np.random.default_rng([7, i]) for i in range(P)], 600)[..., 0]
    np.testing.assert_allclose(L.m_inf_path(X, 600), L.m_inf_path(X, 600, compiled=False), rtol=1e-13)
    for start in (0, 50):
        np.testing.assert_allclose(L.kernel_column_average(X, 600, 0.5, 0.3, start=start),
                                   L.kernel_column_average(X, 600, 0.5, 0.3, start=start, compiled=False),
                                   rtol=1e-12)
    with pytest.raises(ValueError, match="fewer than"):
        L.kernel_column_average(X, 700, 0.5, 0.3)
    with pytest.raises(ValueError, match="fewer than"):
        L.m_inf_path(X, 700)
