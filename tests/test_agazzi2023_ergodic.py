"""The ergodic-sampling pieces of the Agazzi model (claimcheck/models/agazzi2023_ergodic.py) and the
claim `agazzi2023.ergodic-sampling` (fast: ~2 s)."""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from claimcheck.models import agazzi2023 as m  # noqa: E402
from claimcheck.models import agazzi2023_ergodic as erg  # noqa: E402

L = 3


@pytest.fixture(scope="module")
def net():
    return m.init_net(m.draw_labels(np.random.default_rng(5), 32), "coupled", 0.9)


@pytest.mark.parametrize("name", ["rotation", "sturmian"])
def test_windows_at_grid_phases_are_the_models(name):
    """On the model's phase grid the windows are m.INPUTS' (same sequence definition)."""
    M = 16
    np.testing.assert_allclose(erg.windows_at(m.phase_grid(M), L, name), m.INPUTS[name](M, L), atol=1e-15)


@pytest.mark.parametrize("name", ["rotation", "sturmian"])
def test_trajectory_is_one_sequence(name):
    """Window t+1 is window t shifted by one step: the n windows read one input sequence."""
    X = erg.trajectory_windows(0.3141, 200, L, name)
    np.testing.assert_allclose(X[1:, :-1], X[:-1, 1:], atol=1e-12)
    if name == "rotation":   # x_t = cos(2 pi (theta + t alpha))
        np.testing.assert_allclose(X[:, 0], np.cos(2 * np.pi * (0.3141 + m.ALPHA * np.arange(200))), atol=1e-12)


def test_rotation_population_risk_is_exact_on_a_small_grid(net):
    """Trapezoid rule on an analytic periodic loss: 64 phases agree with 4096 to round-off."""
    assert abs(erg.population_risk(net, L, "rotation", M=64) - erg.population_risk(net, L, "rotation", M=4096)) < 1e-14


def test_sturmian_population_risk_matches_a_fine_grid(net):
    """The exact arc sum against an equispaced grid (error O(1/M) for a step function)."""
    exact = erg.population_risk(net, L, "sturmian")
    fine = float(erg.window_loss(net, erg.windows_at(m.phase_grid(2 ** 16), L, "sturmian")).mean())
    assert abs(exact - fine) < 1e-4 * max(1.0, abs(exact))
    ph, w = erg.population_points(L, "sturmian")
    assert ph.size == L + 1 and abs(w.sum() - 1.0) < 1e-15 and (w > 0).all()


@pytest.mark.parametrize("name", ["rotation", "sturmian"])
def test_empirical_risk_approaches_population_risk_like_one_over_n(net, name):
    """Over 32 phases the mean gap at n = 8192 is far below the gap at n = 64 (about n^-1)."""
    R = erg.population_risk(net, L, name)
    gaps = {}
    for n in (64, 8192):
        gaps[n] = np.mean([abs(erg.empirical_risk(net, erg.trajectory_windows(th, n, L, name)) - R)
                           for th in np.linspace(0.01, 0.99, 32)])
    assert gaps[8192] < gaps[64] / 30


def test_rational_rotation_does_not_converge(net):
    """A periodic orbit (alpha = 8/13) stays a bias away from the golden population risk."""
    R = erg.population_risk(net, L, "rotation")
    gap = abs(erg.empirical_risk(net, erg.trajectory_windows(0.2, 13 * 600, L, "rotation", alpha=8 / 13)) - R)
    assert gap > 1e-4


def test_claim_simulate_is_deterministic_and_finite():
    sys.path.insert(0, str(Path(__file__).parents[1] / "claims"))
    import agazzi2023_ergodic_sampling as c

    for name in ("rotation", "sturmian"):
        a = c.simulate({"n": 128, "input": name}, np.random.default_rng(3))
        b = c.simulate({"n": 128, "input": name}, np.random.default_rng(3))
        assert a == b and all(np.isfinite(v) for v in a.values())
        assert 128 <= a["length"] < 256 and a["risk_gap"] >= 0


def test_figures_are_drawn_only_for_the_inputs_the_grid_holds(tmp_path, recwarn):
    """A grid with one input (as the e2e profile cuts it) gets that input's figure and no
    empty one for the other (which matplotlib warned about: a legend with no entries)."""
    import matplotlib.pyplot as plt

    from claimcheck.models.agazzi2023_ergodic_figures import ergodic_sampling

    class Ctx:
        outdir = tmp_path

        def table(self, metric, variant=""):
            if variant:
                raise StopIteration          # mutants not run
            ns = (64, 128, 256)
            return [{"n": n, "input": "rotation"} for n in ns], np.array([[1.0 / n, 1.2 / n] for n in ns])

        def save_figure(self, fig, name):
            fig.savefig(tmp_path / f"{name}.svg")
            plt.close(fig)

    ergodic_sampling(Ctx())
    assert sorted(p.name for p in tmp_path.glob("*.svg")) == ["risk_gap_vs_n_rotation.svg"]
    assert not [w for w in recwarn if "legend" in str(w.message)]
