"""gradient_confusion's verdict on doctored arrays (no simulation): per-draw minimum cosines built so
that each claimed comparison has a chosen t statistic (just inside and outside the Bonferroni
critical value, both directions), the linear closed form's 15% band on both sides, the comparability
rule b + 3·SE <= 15%, the rise with d, the remedies inside the ranges, and the depth-1 control
failing on the width trend."""

import math

import numpy as np
import pytest
from scipy import stats

from theorycheck import bounds
from theorycheck._check import FAIL, INCONCLUSIVE, PASS
from theorycheck.checks import gradient_confusion as gc

DRAWS = 16


def _z(seed, n=DRAWS):
    z = np.random.default_rng(seed).normal(size=n)
    return (z - z.mean()) / z.std(ddof=1)  # mean 0, sample sd 1 exactly: t = mean·√n


def _relu(t_width4, t_width8, t_depth, depths=(4, 8), draws=DRAWS):
    """min cosines (depths, widths=(16, 64), draws) whose three steps have the given t values."""
    d1, d2, d3 = (t / math.sqrt(draws) + _z(s, draws) for t, s in ((t_width4, 1), (t_width8, 2), (t_depth, 3)))
    base = -0.7 + 0.01 * _z(4, draws)
    minimum = np.stack([np.stack([base, base + d1]), np.stack([base - d3, base - d3 + d2])])
    config = gc.GradientConfusionConfig(widths=(16, 64), depths=depths, draws=draws)
    arrays = {"min": minimum[: len(depths)], "mean": minimum[: len(depths)] * 0, "quantiles": np.zeros(minimum[: len(depths)].shape + (0,))}
    return gc.verdict(config, {}, arrays)


def _critical(k, draws=DRAWS):
    return float(stats.t.ppf(1 - 0.05 / k, draws - 1))


def test_bonferroni_level_and_critical_value():
    result = _relu(10, 10, 10)
    assert result.outcome == PASS, result.reason
    assert result.tolerance == pytest.approx(0.05 / 3)
    assert result.details["critical_t"] == pytest.approx(_critical(3), rel=1e-12)
    assert result.details["t_values"] == pytest.approx([10, 10, 10], rel=1e-9)


def test_significant_uncorrected_but_not_after_bonferroni_is_inconclusive():
    t = 0.5 * (_critical(1) + _critical(3))  # between t_{1−α} and t_{1−α/3}
    result = _relu(10, t, 10)
    assert result.outcome == INCONCLUSIVE and "width 16 → 64 at depth 8" in result.reason, result.reason


@pytest.mark.parametrize("factor, outcome", [(1.01, PASS), (0.99, INCONCLUSIVE), (-0.99, INCONCLUSIVE), (-1.01, FAIL)])
def test_each_side_of_the_critical_value(factor, outcome):
    c = _critical(3)
    result = _relu(factor * c, 10, 10)
    assert result.outcome == outcome, result.reason
    if outcome == FAIL:
        assert "reversed" in result.reason and "width 16 → 64 at depth 4" in result.reason
    if outcome == INCONCLUSIVE:
        needed = math.ceil(DRAWS * (c / (0.99 * c)) ** 2) + 1
        assert f"raise draws to >= {needed}" in result.reason, result.reason


def test_a_reversed_depth_trend_fails_on_the_depth_comparison():
    result = _relu(10, 10, -10)
    assert result.outcome == FAIL and "depth 4 → 8 at width 16" in result.reason, result.reason


def test_remedy_beyond_the_draws_range_names_one_inside_it():
    result = _relu(0.1, 10, 10)
    assert result.outcome == INCONCLUSIVE and "cannot decide it within the range" in result.reason, result.reason
    assert "raise draws" not in result.reason


def test_depth_one_control_fails_on_the_reversed_width_trend():
    result = _relu(-6.0, 0, 0, depths=(1,))
    assert result.outcome == FAIL, result.reason
    assert "the confusion trend is reversed: width 16 → 64 at depth 1" in result.reason


# linear model ---------------------------------------------------------------------------------


def _linear(widths, factors, noise=1e-4, samples=64, draws=256):
    predicted = np.array([bounds.sankararaman20_linear_confusion(samples, d) for d in widths])
    minimum = np.stack([p * f + noise * _z(i, draws) for i, (p, f) in enumerate(zip(predicted, factors))])[None]
    config = gc.GradientConfusionConfig(model="linear", widths=tuple(widths), samples=samples, draws=draws // 8)
    arrays = {"min": minimum, "mean": minimum * 0, "quantiles": np.zeros(minimum.shape + (0,))}
    return gc.verdict(config, {}, arrays)


def test_linear_closed_form_hand_value():
    # −√(2 ln(64·63/2)/256) = −√(2 ln 2016/256)
    assert bounds.sankararaman20_linear_confusion(64, 256) == pytest.approx(-math.sqrt(2 * math.log(2016) / 256), rel=1e-12)
    assert bounds.sankararaman20_linear_confusion(64, 256) == pytest.approx(-0.243812, abs=1e-6)


@pytest.mark.parametrize("factor, outcome", [(1.149, PASS), (1.151, FAIL), (0.851, PASS), (0.849, FAIL), (0.8, FAIL)])
def test_linear_fifteen_percent_band_both_sides(factor, outcome):
    result = _linear((256, 1024, 4096), (1.0, 1.0, factor))
    assert result.outcome == outcome, result.reason
    if outcome == FAIL:
        assert "|mean min cosine / (−√(2 ln N / d)) − 1|" in result.reason


def test_linear_comparability_needs_room_for_three_standard_errors():
    widths = (256, 1024, 4096)
    gap = np.array([1 - bounds.independent_cosine_min_mean(64, d) / bounds.sankararaman20_linear_confusion(64, d)
                               for d in widths])
    assert np.all(gap < 0.15)
    # noise whose 3 SE (relative) fills the room left at every d: nothing is comparable
    draws = 256
    rel_se = (0.15 - gap.min()) / 3 * 1.2
    noise = rel_se * abs(bounds.sankararaman20_linear_confusion(64, 4096)) * math.sqrt(draws)
    result = _linear(widths, (1.0, 1.0, 1.0), noise=noise * 2 ** 2)  # 4× the d = 4096 size: covers every d
    assert result.outcome == INCONCLUSIVE and "no d in widths" in result.reason, result.reason
    assert result.details["derived_tolerance"] == pytest.approx(list(gap + 3 * np.asarray(result.details["standard_error"])
                                                                   / np.abs(result.details["predicted"])), rel=1e-9)


def test_linear_minimum_must_rise_with_d():
    result = _linear((1024, 1100, 4096), (0.9, 1.1, 1.0))  # within 15% each, but 1024 → 1100 falls
    assert result.outcome == FAIL and "does not rise with d" in result.reason, result.reason


def test_linear_small_d_is_inconclusive_with_a_remedy_inside_the_ranges():
    result = _linear((16, 64), (1.0, 1.0))
    assert result.outcome == INCONCLUSIVE and "widths >= 256" in result.reason, result.reason
