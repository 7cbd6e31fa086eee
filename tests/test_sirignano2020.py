"""The two-layer mean-field model (Sirignano & Spiliopoulos) and its shipped claim."""
import numpy as np
import pytest

from claimcheck.models import two_layer_meanfield as mf
from claimcheck.commands.runner import RunOptions, run

from conftest import ROOT


def test_vectorised_sgd_is_the_papers_update_unit_by_unit():
    """c^i += (alpha/N)(y - g) sigma(w^i x), w^i += (alpha/N)(y - g) c^i sigma'(w^i x) x, with x = (u, 1)."""
    rng = np.random.default_rng(1)
    R, N, K, alpha = 3, 5, 7, 4.0
    c, a, b = rng.uniform(-1, 1, (R, N)), rng.standard_normal((R, N)), rng.standard_normal((R, N))
    u = rng.standard_normal((R, K))
    got = mf.train(c, a, b, u, step=alpha / N, out_scale=1 / N)
    for r in range(R):
        C, W = c[r].copy(), np.stack([a[r], b[r]], axis=1).copy()  # w^i = (a^i, b^i)
        for k in range(K):
            x = np.array([u[r, k], 1.0])
            y = mf.target(u[r, k])
            g = sum(C[i] * np.tanh(W[i] @ x) for i in range(N)) / N
            newC, newW = C.copy(), W.copy()
            for i in range(N):
                z = W[i] @ x
                newC[i] = C[i] + alpha / N * (y - g) * np.tanh(z)
                newW[i] = W[i] + alpha / N * (y - g) * C[i] * (1 - np.tanh(z) ** 2) * x
            C, W = newC, newW
        np.testing.assert_allclose(got[0][r], C, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(got[1][r], W[:, 0], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(got[2][r], W[:, 1], rtol=1e-12, atol=1e-14)


def test_nested_coupling_width_n_ref_is_the_reference_itself():
    rngs = [np.random.default_rng(s) for s in range(3)]
    out = mf.coupled_outputs(rngs, 64, 64, 1.0, 4.0)
    np.testing.assert_array_equal(out["net"], out["ref"])
    assert np.all(np.abs(out["ref"] - out["ref0"]).max(axis=1) > 0.05)  # training moved the output


def test_batches_give_what_single_replicates_give_and_the_reference_is_exact():
    """The reference computed apart (the claim's reference hook, from fresh generators of
    the same seeds) is the reference coupled_outputs trains itself, bit for bit."""
    seeds = [11, 12, 13]
    together = mf.coupled_outputs([np.random.default_rng(s) for s in seeds], 4, 64, 1.0, 4.0)
    refs = mf.reference_outputs([np.random.default_rng(s) for s in seeds], 64, 1.0, 4.0)
    given = mf.coupled_outputs([np.random.default_rng(s) for s in seeds], 8, 64, 1.0, 4.0, refs=refs)
    fresh = mf.coupled_outputs([np.random.default_rng(s) for s in seeds], 8, 64, 1.0, 4.0)
    np.testing.assert_array_equal(given["ref"], fresh["ref"])
    np.testing.assert_array_equal(given["net"], fresh["net"])
    np.testing.assert_array_equal(given["ref"], together["ref"])
    for i, s in enumerate(seeds):
        alone = mf.coupled_outputs([np.random.default_rng(s)], 4, 64, 1.0, 4.0)
        for k in ("net", "ref", "ref0"):
            np.testing.assert_allclose(alone[k][0], together[k][i], rtol=1e-12, atol=1e-14)


def test_coupling_cancels_the_reference_fluctuation():
    """Nested units + nested data: E|g^N - g^ref|^2 ~ (1/N - 1/N_ref), not 1/N + 1/N_ref."""
    rngs = lambda: [np.random.default_rng([5, r]) for r in range(400)]  # noqa: E731
    d = {}
    for N in (16, 32):
        out = mf.coupled_outputs(rngs(), N, 64, 1.0, 4.0)
        d[N] = np.mean((out["net"] - out["ref"]) ** 2)
    # with N_ref = 64: (1/16 - 1/64) / (1/32 - 1/64) = 3 (uncoupled: (1/16 + 1/64)/(1/32 + 1/64) = 1.67)
    assert 2.3 < d[16] / d[32] < 4.0


@pytest.fixture(scope="module")
def sirignano_doc(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sirignano")
    return run(RunOptions(patterns=["sirignano2020.*"], claims_dirs=[ROOT / "claims"], mutants=True, jobs=2,
                          store=tmp / "s.sqlite", out=tmp / "out", progress=False, artefacts=False)).document


def test_sirignano2020_lln_passes_and_catches_both_mutants(sirignano_doc):
    c = next(c for c in sirignano_doc["claims"] if c["id"] == "sirignano2020.lln")
    assert c["verdict"] == "pass", c["reason"]
    [r] = c["rates"]
    assert r["ci_low"] >= -0.6 and r["ci_high"] <= -0.4
    assert {m["name"]: m["caught"] for m in c["mutants"]} == {"ntk-output-scaling": True, "lr-not-scaled": True}, \
        [m["reason"] for m in c["mutants"]]
    # the mutants fail because their errors stop decaying like N^-1/2, not by accident
    for m in c["mutants"]:
        assert m["rates"][0]["measured"] > -0.4
    assert c["calibration"].get("seeds", 0) >= 20
