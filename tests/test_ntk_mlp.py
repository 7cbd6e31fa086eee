"""ntk_mlp: the linearisation, the vectorisation and the seeding behave as documented."""
import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # see claimcheck/models/ntk_mlp.py: threaded BLAS under load

import numpy as np

from claimcheck.models import ntk_mlp as m


def _rngs(k, seed=0):
    return [np.random.default_rng([seed, i]) for i in range(k)]


def test_flin_is_exact_when_only_the_readout_trains():
    """f is linear in v: GD on f and on f_lin must coincide to round-off."""
    o = m.run(_rngs(3), 16, train_hidden=False)
    assert np.all(o["gap"] < 1e-12) and np.all(o["kernel"] < 1e-12)


def test_vectorised_equals_one_by_one_and_seeds_reproduce():
    batch = m.run(_rngs(4), 24)
    for i, g in enumerate(_rngs(4)):
        one = m.run([g], 24)
        for k in ("gap", "kernel", "weights"):
            np.testing.assert_allclose(one[k][0], batch[k][i], rtol=1e-9)
    again = m.run(_rngs(4), 24)
    for k in ("gap", "kernel", "weights"):
        np.testing.assert_array_equal(again[k], batch[k])


def test_ntk_matches_finite_differences_of_the_output():
    X, y, Xt = m.data()
    net = m.init(_rngs(1), 8, X.shape[1])
    f, cache = m.forward(net, X)
    K = m.ntk(net, X, cache)[0]
    eps, J = 1e-6, []
    for name in ("W1", "W2", "v"):
        w = getattr(net, name)
        for idx in np.ndindex(w.shape):
            w[idx] += eps; fp = m.forward(net, X)[0][0]
            w[idx] -= 2 * eps; fm = m.forward(net, X)[0][0]
            w[idx] += eps
            J.append((fp - fm) / (2 * eps))
    J = np.array(J).T
    np.testing.assert_allclose(K, J @ J.T, rtol=1e-6, atol=1e-8)


def test_chunked_run_equals_one_chunk_and_divergence_reports_the_cap(monkeypatch):
    """Chunking the replicates (for the cache) changes nothing; a diverged replicate reports CAP."""
    whole = m.run(_rngs(5), 24)
    monkeypatch.setattr(m, "CHUNK_BYTES", 3 * 8 * 24 * 24 * 2)   # chunks of 2 replicates
    parts = m.run(_rngs(5), 24)
    for k in ("gap", "kernel", "weights"):
        np.testing.assert_allclose(parts[k], whole[k], rtol=1e-12)
    o = m.run(_rngs(3), 24, lr_factor=2.0)
    assert np.all(o["diverged"] == 1.0)
    for k in ("gap", "kernel", "weights"):
        assert np.all(o[k] == m.CAP)
