"""population_search's verdict on doctored arrays: every criterion just inside and just outside its
band, each inconclusive branch, the control's criterion. No simulation."""

import numpy as np
import pytest

from theorycheck import bounds
from theorycheck.checks import population_search as ps

N, R, P = 4, 3, 4
EPS = np.array([-0.002, 0.001, 0.0, 0.001])
CONFIG = ps.PopulationSearchConfig(population=P, rounds=R, replicates=N)
DATA = {"fraction": 0.25, "perturb": 0.2, "weight_noise": 0.0, "lr_min": 0.01, "lr_max": 0.3, "inverted": False}


def _arrays(mean_d=0.0, eps=EPS):
    """Member 0 (the independent best) is replaced by member 1 after round 0 (lr × 1.2); every other
    member is a twin. The population's best is then member 0's copy, ind_best + mean_d + eps_s."""
    rng = np.random.default_rng(0)
    sources = np.tile(np.arange(P), (N, 2, R, 1))
    sources[:, 0, 0, 0] = 1
    factors = np.ones((N, 2, R, P), np.float32)
    factors[:, 0, 0, 0] = np.float32(1.2)
    lr0 = np.array([0.01, 0.03, 0.1, 0.3], np.float32)
    lrs = np.tile(lr0, (N, 2, R, 1))
    for r in range(1, R):
        lrs[:, 0, r] = (lrs[:, 0, r - 1][np.arange(N)[:, None], sources[:, 0, r - 1]] * factors[:, 0, r - 1])
    scores = np.tile(np.linspace(1.0, 0.6, R)[:, None] * np.array([0.2, 0.3, 0.5, 0.9]), (N, 2, 1, 1))
    scores[:, :, :, 0] += 0.01 * np.arange(N)[:, None, None]
    ind_best = scores[:, 1, -1, 0].copy()
    scores[:, 0, -1, 0] = ind_best + (mean_d - eps.mean()) + eps
    scores[:, 0, 1:-1, 0] = 0.25
    before = rng.normal(size=(R, P, 7)).astype(np.float32)
    copied = before[np.arange(R)[:, None], sources[0, 0]]
    return {"scores": scores.astype(np.float32), "learning_rates": lrs, "sources": sources, "factors": factors,
            "initial_lrs": lr0, "states_before": before, "states_copied": copied}


def _band(eps=EPS):
    return bounds.paired_noise_band(np.asarray(eps, np.float32), ps.CONFIDENCE)


def _verdict(arrays):
    return ps.verdict(CONFIG, DATA, arrays)


def test_undoctored_passes_and_names_the_exact_criteria():
    r = _verdict(_arrays(-0.01))
    assert r.outcome == "pass", r.reason
    assert "exploit exact" in r.reason and "twins" in r.reason
    assert r.tolerance == pytest.approx(_band(), rel=1e-3)


@pytest.mark.parametrize("scale, outcome", [(0.97, "pass"), (1.03, "fail")])
def test_band_just_inside_and_outside(scale, outcome):
    r = _verdict(_arrays(scale * _band()))
    assert r.outcome == outcome, r.reason
    if outcome == "fail":
        assert "worse than the independent runs' best" in r.reason and "noise band" in r.reason


def test_band_is_the_paired_t_margin():
    """t_{0.99,3} = 4.5407 (table), sd(EPS) = √(6e-6/3) = 0.0014142, band = 4.5407·0.0014142/2 = 0.0032108."""
    assert _band() == pytest.approx(0.0032108, rel=1e-3)
    assert _verdict(_arrays(0.0)).tolerance == pytest.approx(0.0032108, rel=1e-3)


def test_population_diverged_fails_on_the_comparison():
    a = _arrays(0.0)
    a["scores"][1, 0, -1, :] = np.inf
    r = _verdict(a)
    assert r.outcome == "fail" and "every member diverged" in r.reason


def test_independent_all_diverged_is_inconclusive():
    a = _arrays(0.0)
    a["scores"][2, 1, -1, :] = np.inf
    r = _verdict(a)
    assert r.outcome == "inconclusive" and "lr_max" in r.reason


@pytest.mark.parametrize("spread, outcome", [(0.038, "pass"), (0.042, "inconclusive")])
def test_band_wider_than_gap_is_inconclusive(spread, outcome):
    """gap = mean(median − best) = 0.6·(0.4 − 0.225) = 0.105 at the last round; band = 4.5407·sd/2 = 2.6216·s for ε = ±s: the edge is s = 0.04005."""
    eps = spread * np.array([-1.0, 1.0, -1.0, 1.0])
    r = _verdict(_arrays(-0.5 * _band(eps), eps))
    gap = r.details["gap_median_minus_best"]
    assert (_band(eps) < gap) == (outcome == "pass")
    assert r.outcome == outcome, r.reason
    if outcome == "inconclusive":
        assert "raise replicates to >=" in r.reason


def test_inexact_copy_fails():
    a = _arrays(-0.01)
    a["states_copied"][0, 0, 3] = np.nextafter(a["states_copied"][0, 0, 3], np.float32(np.inf))
    r = _verdict(a)
    assert r.outcome == "fail" and "exploit did not copy exactly" in r.reason


def test_learning_rate_not_source_times_factor_fails():
    a = _arrays(-0.01)
    a["learning_rates"][0, 0, 1, 0] = np.nextafter(a["learning_rates"][0, 0, 1, 0], np.float32(1.0))
    r = _verdict(a)
    assert r.outcome == "fail" and "learning rates" in r.reason


def test_explore_factor_outside_the_set_fails():
    a = _arrays(-0.01)
    a["factors"][0, 0, 0, 0] = np.float32(1.3)
    a["learning_rates"][0, 0, 1, 0] = a["learning_rates"][0, 0, 0, 1] * np.float32(1.3)
    r = _verdict(a)
    assert r.outcome == "fail" and "explore factors" in r.reason


def test_twin_left_fails():
    a = _arrays(-0.01)
    a["scores"][3, 0, 1, 2] += np.float32(1e-6)
    r = _verdict(a)
    assert r.outcome == "fail" and "left their independent twins" in r.reason


def test_replaced_member_may_differ_from_its_twin():
    a = _arrays(-0.01)
    a["scores"][3, 0, 1, 0] += np.float32(0.01)  # member 0 was replaced: no twin claim
    assert _verdict(a).outcome == "pass"


def test_lineage_roots():
    src = np.array([[1, 1, 2], [0, 1, 1], [0, 1, 2]])
    np.testing.assert_array_equal(ps.lineage_roots(src), [[0, 1, 2], [1, 1, 2], [1, 1, 1]])


def test_significant_excess_fails_even_with_a_wide_band():
    eps = 0.042 * np.array([-1.0, 1.0, -1.0, 1.0])
    r = _verdict(_arrays(1.05 * _band(eps), eps))
    assert r.outcome == "fail" and "worse than the independent runs' best" in r.reason
