"""The Lam-Sirignano-Spiliopoulos simulator against first principles, and its claims
against their negative controls (one shared quick run)."""
import importlib.util
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, linalg

from claimcheck.metrics import w1_to_quantile
from claimcheck.models import lam2023 as L
from claimcheck.metrics import w1_to_cdf
from claimcheck.models.lam2023_runs import network_function, trained_setup, untrained_setup
from claimcheck.commands.runner import RunOptions, run

from conftest import ROOT


def _claim_module(name):
    path = ROOT / "claims" / f"lam2023_{name}.py"
    spec = importlib.util.spec_from_file_location(f"_lam_{name}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# -- data ----------------------------------------------------------------------------

def test_chain_matrix_is_the_rotated_diag():
    P = np.array([[math.sqrt(3) / 2, -0.5], [0.5, math.sqrt(3) / 2]])
    np.testing.assert_allclose(L.A_MAT, P @ np.diag([1, 0.5]) @ P.T, atol=1e-15)
    np.testing.assert_allclose(np.sort(np.linalg.eigvals(L.A_MAT).real), [0.5, 1.0], atol=1e-14)


def test_chain_step_by_hand():
    rng = np.random.default_rng(3)
    z0, u = L.chain_draws(rng, 5)
    Z = L.chain_run(z0[None], u[None])[0]
    z = z0.copy()
    for k in range(5):
        z = 0.5 * np.tanh(L.A_MAT @ z) + u[k]
        np.testing.assert_allclose(Z[k + 1], z, atol=1e-15)
    assert np.all(np.abs(Z[1:]) < 1)          # |0.5 tanh| < 1/2 and |U| <= 1/2


def test_chain_stationary_moments_long_run_vs_ensemble_and_balance():
    """Ergodicity: one long path's time averages agree with an ensemble of independent
    stationary chains; and the stationary second moment satisfies the balance
    E[Z Z^T] = E[0.5 tanh(AZ) 0.5 tanh(AZ)^T] + I/12 (U independent, Var U = 1/12)."""
    long = L.data_paths([np.random.default_rng(11)], 200_000)[0, 100:]
    ens = L.data_paths([np.random.default_rng([12, i]) for i in range(4000)], 60)[:, -1]
    for f in (lambda z: z[:, 0], lambda z: z[:, 0] ** 2, lambda z: z[:, 0] * z[:, 1], lambda z: z[:, 1] ** 2):
        a, b = f(long).mean(), f(ens).mean()
        se = np.hypot(f(ens).std() / np.sqrt(len(ens)), 3 * f(long).std() / np.sqrt(len(long)))
        assert abs(a - b) < 4 * se + 1e-4
    assert abs(long[:, 0].mean()) < 0.01    # symmetric chain: E X = 0
    g = 0.5 * np.tanh(long @ L.A_MAT.T)
    lhs = long.T @ long / len(long)
    rhs = g.T @ g / len(long) + np.eye(2) / 12
    np.testing.assert_allclose(lhs, rhs, atol=3e-3)


# -- memory units and their limit ------------------------------------------------------

def test_memory_recursion_unit_by_unit():
    rngs = [np.random.default_rng(s) for s in range(2)]
    _, Z, W, B = untrained_setup(rngs, 7, 6)
    X = Z[..., 0]
    run_ = L.memory_run(L.exact_units(W, B), X, 6)
    for p in range(2):
        S = [1 / (1 + math.exp(-W[p, i] * X[p, 0])) for i in range(7)]
        for k in range(6):
            m = sum(B[p, j] * S[j] for j in range(7)) / 7
            assert abs(run_.m[p, k] - m) < 1e-14
            S = [1 / (1 + math.exp(-(W[p, i] * X[p, k] + m))) for i in range(7)]
            assert abs(run_.mean1[p, k] - sum(S) / 7) < 1e-14
            assert abs(run_.mean2[p, k] - sum(s * s for s in S) / 7) < 1e-14


def test_time_average_conventions():
    """'mean' is (1/k) sum_{m=1..k}; 'paper' (the authors' code) is (1/k) sum_{m=0..k}:
    k + 1 terms over k, so it exceeds the limit by about mu/k (0.574 vs 0.569 at k = 100)."""
    rngs = [np.random.default_rng(s) for s in range(2)]
    _, Z, W, B = untrained_setup(rngs, 7, 6)
    X = Z[..., 0]
    run_ = L.memory_run(L.exact_units(W, B), X, 6)
    for p in range(2):
        S0 = [1 / (1 + math.exp(-W[p, i] * X[p, 0])) for i in range(7)]
        for q, v, s0 in ((1, run_.mean1[p], sum(S0) / 7), (2, run_.mean2[p], sum(s * s for s in S0) / 7)):
            for k in range(1, 7):
                assert abs(run_.rolling(q, "mean")[p, k - 1] - sum(v[:k]) / k) < 1e-14
                assert abs(run_.rolling(q, "paper")[p, k - 1] - (s0 + sum(v[:k])) / k) < 1e-14
    with pytest.raises(ValueError):
        run_.rolling(1, "other")


def test_train_tracks_the_memory_and_output_paths():
    rngs = [np.random.default_rng(s) for s in range(2)]
    cfg = L.TrainConfig(T=1.0, alpha=4.0)
    Z, W, B, C = trained_setup(rngs, 16, cfg)
    r = L.train(Z, W, B, C, cfg, track_path=True)
    assert r.m_path.shape == r.y_path.shape == (2, 16)
    np.testing.assert_array_equal(r.y_path[:, 0], r.y0)
    np.testing.assert_array_equal(r.m_path[:, -1], r.final_m)
    untrained = L.memory_run(L.exact_units(W, B), Z[..., 0], 16, moments=False)
    assert r.m_path[:, 0] == pytest.approx(untrained.m[:, 0], abs=1e-15)   # same start, same data
    frozen = L.train(Z, W, B, C, L.TrainConfig(T=1.0, alpha=0.0), track_path=True)
    np.testing.assert_allclose(frozen.m_path, untrained.m, atol=1e-14)      # alpha = 0: no drift


def test_no_memory_control():
    """B = 0: M_k = 0 and every unit is sigma(W^i X_{k-1}); the trained net with alpha = 0 stays put."""
    rngs = [np.random.default_rng(s) for s in range(2)]
    _, Z, W, B = untrained_setup(rngs, 50, 10, no_memory=True)
    r = L.memory_run(L.exact_units(W, B), Z[..., 0], 10)
    assert np.all(r.m == 0)
    np.testing.assert_allclose(r.mean1[:, -1], L.sigmoid(W * Z[:, 9:10, 0]).mean(axis=1))
    cfg = L.TrainConfig(alpha=0.0)
    Z, W, B, C = trained_setup(rngs, 50, cfg, no_memory=True)
    t = L.train(Z, W, B, C, cfg)
    assert np.all(t.C == t.C0) and np.all(t.W == t.W0) and np.all(t.max_move == 0)


@settings(max_examples=12, deadline=None)
@given(n=st.integers(65, 5000), seed=st.integers(0, 2**31))
def test_compressed_units_reproduce_the_exact_recursion(n, seed):
    """The L-node compression is a quadrature of the finite-N sums, exact to round-off."""
    rngs = [np.random.default_rng([seed, i]) for i in range(3)]
    _, Z, W, B = untrained_setup(rngs, n, 40)
    X = Z[..., 0]
    ex = L.memory_run(L.exact_units(W, B), X, 40)
    co = L.memory_run(L.compress_units(W, B), X, 40)
    for a, b in ((ex.m, co.m), (ex.mean1, co.mean1), (ex.mean2, co.mean2)):
        assert np.max(np.abs(a - b)) < 1e-12


def test_compression_at_a_million_units():
    rngs = [np.random.default_rng(5)]
    _, Z, W, B = untrained_setup(rngs, 1_000_000, 12)
    X = Z[..., 0]
    ex = L.memory_run(L.exact_units(W, B), X, 12)
    co = L.memory_run(L.compress_units(W, B), X, 12)
    assert np.max(np.abs(ex.m - co.m)) < 1e-12
    assert np.max(np.abs(ex.mean2 - co.mean2)) < 1e-12


def test_quadrature_limit_matches_a_million_unit_network():
    """M^inf (Gauss-Hermite) vs M^N at N = 10^6 on the same data: |diff| ~ 0.15 N^-1/2."""
    rngs = [np.random.default_rng([21, i]) for i in range(2)]
    n = 1_000_000
    _, Z, W, B = untrained_setup(rngs, n, 25)
    X = Z[..., 0]
    mN = L.memory_run(L.exact_units(W, B), X, 25, moments=False).m
    mI = L.m_inf_path(X, 25)
    assert np.max(np.abs(mN - mI)) < 6 * 0.16 / math.sqrt(n)
    assert np.max(np.abs(mN - mI)) > 0        # not the same computation


def test_gauss_hermite_converged():
    x = np.linspace(-1, 1, 9)[:, None]
    m = np.linspace(0, 1, 5)
    np.testing.assert_allclose(L.G(x, m), L.G(x, m, n=200), atol=1e-14)
    np.testing.assert_allclose(L.kernel(x, m, 0.3, 0.2), L.kernel(x, m, 0.3, 0.2, n=200), atol=1e-14)


@settings(max_examples=50, deadline=None)
@given(x=st.floats(-1, 1), m1=st.floats(0, 1), m2=st.floats(0, 1))
def test_G_contracts_with_constant_one_eighth(x, m1, m2):
    assert abs(L.G(x, m1) - L.G(x, m2)) <= 0.125 * abs(m1 - m2) + 1e-15


def test_limit_quantile_is_the_pushforward():
    rng = np.random.default_rng(2)
    x, m = -0.7, 0.3
    s = L.sigmoid(rng.standard_normal(200_000) * x + m)
    assert w1_to_quantile(s, L.limit_quantile(x, m)) < 3e-3 / math.sqrt(20)
    u = np.array([0.1, 0.5, 0.9])
    np.testing.assert_allclose(L.limit_cdf_mixture(L.limit_quantile(x, m)(u), np.array([x]), np.array([m])), u)


def test_w1_to_cdf_agrees_with_the_quantile_formula():
    rng = np.random.default_rng(4)
    x, m = 0.6, 0.25
    s = L.sigmoid(rng.standard_normal(3000) * x + m)
    a = w1_to_cdf(s, lambda t: L.limit_cdf_mixture(t, np.array([x]), np.array([m])))
    b = w1_to_quantile(s, L.limit_quantile(x, m))
    assert abs(a - b) < 1e-3 * b + 1e-7


# -- kernel ODE ----------------------------------------------------------------------

def test_kernel_ode_is_the_matrix_exponential_solution():
    rng = np.random.default_rng(8)
    x, m = rng.uniform(-1, 1, 40), rng.uniform(0, 0.6, 40)
    y = rng.uniform(0, 1, 40)
    alpha, t = 3.0, 0.7
    K = L.kernel(x[:, None], m[:, None], x[None, :], m[None, :])
    want = (np.eye(40) - linalg.expm(-(alpha / 40) * K * t)) @ y
    ode = L.KernelODE(x, m, y, alpha)
    np.testing.assert_allclose(ode.h(t, x, m), want, atol=1e-10)
    # off the sample: h_t(xi) = alpha int_0^t mean_j K(xi, xi_j) (y_j - h_s(xi_j)) ds
    xi = (np.array([0.2]), np.array([0.3]))
    s = np.linspace(0, t, 2001)
    lam, Q = np.linalg.eigh(K)                          # y - h_s = exp(-(alpha/n) K s) y
    r = (Q @ (np.exp(-(alpha / 40) * lam[:, None] * s[None, :]) * (Q.T @ y)[:, None])).T
    kcol = L.kernel(xi[0][:, None], xi[1][:, None], x[None, :], m[None, :])[0]
    integrand = alpha * (r @ kcol) / 40
    np.testing.assert_allclose(ode.h(t, *xi)[0], integrate.trapezoid(integrand, x=s), rtol=1e-6)


# -- training --------------------------------------------------------------------------

def test_psi_n_is_a_smooth_clipping():
    n, gamma = 1000, 0.1
    th = n ** gamma
    y = np.linspace(-5 * th, 5 * th, 10001)
    p = L.psi_n(y, n, gamma)
    inside = np.abs(y) <= th
    np.testing.assert_array_equal(p[inside], y[inside])
    assert np.all(np.abs(p) < 2 * th) and np.all(np.diff(p) > 0)
    d = np.gradient(p, y)
    assert np.max(np.abs(np.diff(d))) < 1e-2                     # C^1 at the joints


def test_train_step_is_the_gradient_of_the_squared_error():
    """With clipping inactive, dC = -lr dl/dC and dW = -lr dl/dW for
    l = (Y - N^-beta sum C sigma(W x + m))^2 / 2 with the memory m held fixed
    (lr = alpha N^(2 beta - 2)); checked by central finite differences."""
    rng = np.random.default_rng(9)
    n = 6
    cfg = L.TrainConfig(beta=0.75, gamma=0.1, alpha=2.0)
    C, W, B, S = rng.standard_normal((1, n)), rng.standard_normal((1, n)), rng.uniform(0, 1, (1, n)), rng.uniform(0, 1, (1, n))
    x, yt = np.array([0.4]), np.array([0.7])
    m = float(np.mean(B * S))

    def loss(c, w):
        y = n ** -cfg.beta * np.sum(c * L.sigmoid(w * x[0] + m))
        return 0.5 * (yt[0] - y) ** 2

    C1, W1 = C.copy(), W.copy()
    _, m_used, y, active, _ = L.train_step(C1, W1, B, S, x, yt, cfg, n)
    assert not active[0] and abs(m_used[0] - m) < 1e-15
    lr, h = cfg.alpha * n ** (2 * cfg.beta - 2), 1e-6
    for i in range(n):
        e = np.zeros(n)
        e[i] = h
        gC = (loss(C[0] + e, W[0]) - loss(C[0] - e, W[0])) / (2 * h)
        gW = (loss(C[0], W[0] + e) - loss(C[0], W[0] - e)) / (2 * h)
        assert abs((C1 - C)[0, i] - (-lr * gC)) < 1e-9
        assert abs((W1 - W)[0, i] - (-lr * gW)) < 1e-9


def test_train_records_y0_and_moves():
    rngs = [np.random.default_rng(s) for s in range(3)]
    cfg = L.TrainConfig(T=1.0, alpha=4.0)
    Z, W, B, C = trained_setup(rngs, 32, cfg)
    r = L.train(Z, W, B, C, cfg)
    m0 = np.mean(B * L.sigmoid(W * Z[:, :1, 0]), axis=1)
    np.testing.assert_allclose(r.y0, L.output(C, W, Z[:, 0, 0], m0, cfg, 32), atol=1e-14)
    assert r.steps == 32 and np.all(r.max_move > 0)
    assert np.all(r.max_move >= np.max(np.abs(r.C - r.C0), axis=1) - 1e-15)
    g = network_function(r.C, r.W, np.array([0.1]), np.array([0.3]), cfg.out_scale(32))
    np.testing.assert_allclose(g[:, 0], L.output(r.C, r.W, np.full(3, 0.1), np.full(3, 0.3), cfg, 32))


# -- reproducibility and nesting ---------------------------------------------------------

@pytest.mark.parametrize("name,point", [
    ("memory_lln", {"N": 500}),
    ("time_averages", {"N": 200, "T": 50}),
    ("units_pooled", {"N": 150, "paths": 3, "steps": 30}),
    ("kernel_limit", {"N": 40}),
])
def test_seeded_and_batch_independent(name, point):
    mod = _claim_module(name)
    a = mod.claim.simulate_batch(point, [np.random.default_rng([1, r]) for r in range(3)])
    b = [mod.claim.simulate(point, np.random.default_rng([1, r])) for r in range(3)]  # derived from the batch
    c = mod.claim.simulate_batch(point, [np.random.default_rng([1, r]) for r in range(3)])
    assert a == c                                     # same seeds, same batch: bit for bit
    for x, y in zip(a, b):                            # batch of 3 vs one at a time: round-off only
        assert x.keys() == y.keys()
        np.testing.assert_allclose([x[k] for k in x], [y[k] for k in x], rtol=1e-12, atol=1e-15)
    d = mod.claim.simulate_batch(point, [np.random.default_rng([2, r]) for r in range(3)])
    assert a != d


@pytest.mark.parametrize("n", [16, 100])                      # exact and compressed units
@pytest.mark.parametrize("bug", [{}, {"frozen_noise": True}, {"weight_pool": 8}])
def test_time_averages_shorter_horizons_read_from_the_longest_run(n, bug, monkeypatch):
    """A horizon's outputs read from a longer run are those of a run to it alone, bit for
    bit, and simulate runs each (batch, N) once for all the T of its grid."""
    mod = _claim_module("time_averages")
    rngs = lambda: [np.random.default_rng([3, r]) for r in range(2)]   # noqa: E731
    wp, frozen = bug.get("weight_pool"), bug.get("frozen_noise", False)
    alone = mod._prefix_outputs(n, [600], rngs(), wp, frozen)[600]
    served = mod._prefix_outputs(n, [200, 600, 1800], rngs(), wp, frozen)
    assert served[600] == alone
    assert set(served) == {200, 600, 1800} and served[200] != alone
    runs, memory_run = [], L.memory_run
    monkeypatch.setattr(mod.L, "memory_run", lambda *a, **k: runs.append(a[2]) or memory_run(*a, **k))
    mod._RUNS.clear()
    quick_T = mod.GRIDS["quick"]["T"]
    got = {T: mod.simulate({"N": n, "T": T}, rngs(), **bug) for T in quick_T}
    assert runs == [max(quick_T)]                     # one run to 5400 served all four T
    assert got[600] == alone
    mod.simulate({"N": n, "T": 600}, [np.random.default_rng([4, r]) for r in range(2)], **bug)
    assert runs == [max(quick_T)] * 2                 # other seeds: a run of their own


def test_draws_are_nested_across_width_and_length():
    _, Z1, W1, B1 = untrained_setup([np.random.default_rng(7)], 100, 20)
    _, Z2, W2, B2 = untrained_setup([np.random.default_rng(7)], 400, 80)
    np.testing.assert_array_equal(W1, W2[:, :100])
    np.testing.assert_array_equal(B1, B2[:, :100])
    np.testing.assert_array_equal(Z1, Z2[:, :21])


# -- every Lam claim passes and catches its mutants (one shared quick run) ------------------

@pytest.fixture(scope="module")
def lam_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lam")
    return run(RunOptions(patterns=["lam2023.*"], claims_dirs=[ROOT / "claims"], mutants=True, jobs=2,
                          store=tmp / "s.sqlite", out=tmp / "out", progress=False)).document


LAM_CLAIMS = {
    # R1-R12 of the seed issue, and the random fixed point of section 3 (issue 22).
    "lam2023.clipping", "lam2023.contraction", "lam2023.initial-output", "lam2023.kernel-limit",
    "lam2023.lazy-parameters", "lam2023.memory-drift", "lam2023.memory-lln", "lam2023.output-moments",
    "lam2023.poisson-fluctuations", "lam2023.time-averages", "lam2023.units-law", "lam2023.units-pooled",
    "lam2023.random-fixed-point",
    # issue 22: Lemma 7.5's rate, Theorem 4.2 uniformly in time, the kernel's W-gradient part,
    # the memory map in H^2
    "lam2023.clip-rate", "lam2023.kernel-limit-sup", "lam2023.kernel-w-part", "lam2023.sobolev-memory-map",
}


@pytest.mark.slow
def test_every_lam_claim_present(lam_run):
    """Named, not counted: a renamed or lost claim says which."""
    assert {c["id"] for c in lam_run["claims"]} == LAM_CLAIMS
    assert not lam_run["load_errors"]


@pytest.mark.slow
def test_every_lam_claim_passes(lam_run):
    bad = {c["id"]: c["reason"] for c in lam_run["claims"] if c["verdict"] != "pass"}
    assert not bad


@pytest.mark.slow
def test_every_lam_mutant_is_caught(lam_run):
    missed = {(c["id"], m["name"]): m["reason"] for c in lam_run["claims"] for m in c["mutants"] if not m["caught"]}
    assert not missed
    assert sum(len(c["mutants"]) for c in lam_run["claims"]) >= 10


@pytest.mark.slow
def test_exponents_and_cis_reported(lam_run):
    for c in lam_run["claims"]:
        for r in c["rates"]:
            assert r["measured"] is not None and r["ci_low"] <= r["measured"] <= r["ci_high"]


@pytest.mark.slow
def test_figures_written(lam_run):
    arts = {c["id"]: c["artefacts"] for c in lam_run["claims"]}
    assert any(a.endswith("fig2_5_time_averages.svg") for a in arts["lam2023.time-averages"])
    assert any(a.endswith("fig1_4_units_ecdf.svg") for a in arts["lam2023.units-pooled"])
    assert not any("artefact_error" in c for c in lam_run["claims"])
