"""layer_oscillation's verdict on doctored arrays: the per-layer median band on both sides of
−1/2, the window, every layer versus some, each inconclusive branch, the control's reason, and
the rank statistics of the (reported, not asserted) depth ordering against hand values."""

import math

import numpy as np
import pytest

from theorycheck import get_check, make_config
from theorycheck.checks import layer_oscillation as lo

STEPS, LAYERS = 1000, 4
START = STEPS - STEPS // 2 + 1  # the window's first record


def _case(lr_factor=2.0, value=-0.99, small=0.9, **overrides):
    config = make_config(get_check("layer_oscillation"), {"steps": STEPS, "lr_factor": lr_factor})
    layer = np.full((2, STEPS + 1, LAYERS), value)
    layer[1] = small
    layer[:, 0] = np.nan  # no predecessor
    whole = layer.mean(axis=-1)  # NaN at record 0
    arrays = {
        "layer_cosines": layer, "whole_cosine": whole, "losses": np.full((2, STEPS), 0.01),
        "diverged": np.array([False, False]), "diverged_at": np.array([-1, -1]),
        "sharpness_final": np.array([10.0, 4.0]), "sharpness_final_converged": np.array([True, True]),
        "learning_rates": np.array([0.2, 0.1]), "sharpness_initial": np.float32(9.0),
        "sharpness_initial_residual": np.float32(1e-4), "sharpness_initial_converged": np.array(True),
    }
    arrays.update(overrides)
    return config, {"lr_factor": lr_factor, "small_lr_factor": 0.5}, arrays


def _verdict(case):
    return lo.verdict(*case)


def _with_layer(case, index, window_values, before=None):
    config, data, arrays = case
    layer = arrays["layer_cosines"].copy()
    layer[0, START:, index] = window_values
    if before is not None:
        layer[0, 1:START, index] = before
    return config, data, {**arrays, "layer_cosines": layer}


def test_every_layer_near_minus_one_passes():
    result = _verdict(_case())
    assert result.outcome == "pass", result.reason
    assert result.error == pytest.approx(0.01) and result.tolerance == 0.5 and result.predicted == -1.0


@pytest.mark.parametrize("index", [0, LAYERS - 1])
@pytest.mark.parametrize("value, outcome", [(-0.51, "pass"), (-0.49, "fail"), (-0.5, "fail"), (0.3, "fail")])
def test_one_layer_median_on_both_sides_of_minus_one_half(index, value, outcome):
    result = _verdict(_with_layer(_case(), index, value))
    assert result.outcome == outcome, result.reason
    assert result.error == pytest.approx(1.0 + value)
    if outcome == "fail":
        assert "not every layer oscillates" in result.reason and f"layer(s) [{index}] of {LAYERS}" in result.reason


def test_the_median_decides_not_the_best_or_the_worst_record():
    """A layer at −0.99 on 55% of the window and +1 on the rest oscillates (median −0.99); at −0.99
    on 45% it does not (median +1), although its mean or its minimum would say otherwise."""
    n = STEPS // 2
    most = np.where(np.arange(n) < int(0.55 * n), -0.99, 1.0)
    assert _verdict(_with_layer(_case(), 1, most)).outcome == "pass"
    few = np.where(np.arange(n) < int(0.45 * n), -0.99, 1.0)
    result = _verdict(_with_layer(_case(), 1, few))
    assert result.outcome == "fail" and "layer(s) [1]" in result.reason


def test_only_the_last_half_of_the_steps_counts():
    """The catapult transient before the window may align the gradients; inside it, it may not."""
    assert _verdict(_with_layer(_case(), 2, -0.99, before=1.0)).outcome == "pass"
    config, data, arrays = _with_layer(_case(), 2, -0.99)
    layer = arrays["layer_cosines"].copy()
    layer[0, START:START + STEPS // 4 + 1, 2] = 1.0  # just over half the window aligned
    result = _verdict((config, data, {**arrays, "layer_cosines": layer}))
    assert result.outcome == "fail" and "layer(s) [2]" in result.reason


def test_no_layer_oscillating_is_the_control_failure():
    """lr_factor = 0.1 (below the stability limit): all cosines +1, GD stable: FAIL, naming it."""
    case = _case(lr_factor=0.1, value=1.0)
    result = _verdict(case)
    assert result.outcome == "fail", result.reason
    assert "not every layer oscillates: no layer oscillates" in result.reason
    assert result.error == pytest.approx(2.0)


def test_gd_not_oscillating_as_a_whole_above_the_limit_is_inconclusive():
    """lr_factor >= 1 but the run settled where GD is stable (whole-gradient median >= −1/2)."""
    case = _case(value=1.0)
    result = _verdict(case)
    assert result.outcome == "inconclusive" and "GD as a whole does not oscillate" in result.reason
    assert "raise steps to >= 4000" in result.reason and "or lr_factor to >= 2.5" in result.reason
    # the whole-gradient boundary on both sides, the layers oscillating either way
    for whole, outcome in ((-0.49, "inconclusive"), (-0.51, "pass")):
        config, data, arrays = _case()
        w = arrays["whole_cosine"].copy()
        w[0, START:] = whole
        assert _verdict((config, data, {**arrays, "whole_cosine": w})).outcome == outcome
    # the same run at lr_factor < 1 is the control's regime: decided, FAIL
    assert _verdict(_case(lr_factor=0.99, value=1.0)).outcome == "fail"


def test_remedy_stays_inside_the_range():
    result = _verdict(_case(lr_factor=2.4, value=1.0))
    assert f"or lr_factor to >= {lo.MAX_LR_FACTOR:g}" in result.reason
    fields = get_check("layer_oscillation").config_type.__dataclass_fields__
    assert lo.MAX_LR_FACTOR == fields["lr_factor"].metadata["high"]
    assert lo.MAX_STEPS == fields["steps"].metadata["high"]


def test_divergence_is_inconclusive_with_a_lower_lr_factor():
    result = _verdict(_case(diverged=np.array([True, False]), diverged_at=np.array([37, -1])))
    assert result.outcome == "inconclusive" and "diverged at step 37" in result.reason
    assert "lower lr_factor to <= 1.6" in result.reason
    # the small run's divergence is a detail, not the verdict
    assert _verdict(_case(diverged=np.array([False, True]))).outcome == "pass"


def test_unconverged_initial_sharpness_is_inconclusive():
    result = _verdict(_case(sharpness_initial_converged=np.array(False), sharpness_initial_residual=np.float32(0.5)))
    assert result.outcome == "inconclusive" and "did not converge" in result.reason
    assert "raise lanczos_iterations to >= 60" in result.reason


def test_a_dead_layer_in_the_window_is_inconclusive():
    """A zero gradient gives NaN (layer_gradient_cosines' convention): no direction, no decision."""
    case = _with_layer(_case(), 3, np.nan)
    result = _verdict(case)
    assert result.outcome == "inconclusive" and "layer(s) [3]" in result.reason and "dead" in result.reason


def test_ordering_is_reported_not_asserted():
    """Input layers nearer −1 than output layers (the paper's iii) or the reverse: same verdict."""
    config, data, arrays = _case()
    layer = arrays["layer_cosines"].copy()
    layer[1, 1:] = np.linspace(-0.3, 0.9, LAYERS)  # the small run: cosine rises with depth
    result = _verdict((config, data, {**arrays, "layer_cosines": layer}))
    assert result.outcome == "pass"
    order = result.details["ordering_small"]
    assert order["rho"] == pytest.approx(1.0) and order["p_input_lower"] == pytest.approx(1 / 24)
    layer[1, 1:] = np.linspace(0.9, -0.3, LAYERS)
    result = _verdict((config, data, {**arrays, "layer_cosines": layer}))
    assert result.outcome == "pass" and result.details["ordering_small"]["rho"] == pytest.approx(-1.0)


def test_rank_statistics_against_hand_values():
    assert lo.spearman_rho([0.1, 0.5, 0.2]) == pytest.approx(0.5)  # ranks 1, 3, 2
    assert math.isnan(lo.spearman_rho([0.3, 0.3, 0.3]))
    assert lo.permutation_pvalue(1.0, 4) == pytest.approx(1 / 24)
    assert lo.permutation_pvalue(-1.0, 4) == pytest.approx(1.0)
    # 3 layers: the orderings' ρ are 1, ½, ½, −½, −½, −1, so P(ρ >= ½) = 3/6
    assert lo.permutation_pvalue(0.5, 3) == pytest.approx(0.5)
    # 5 layers: ρ = 1 − Σd²/20; Σd² = 0 once, 2 for the 4 adjacent swaps, 4 for the 3 pairs of
    # disjoint adjacent swaps: P(ρ >= 0.9) = 5/120, P(ρ >= 0.8) = 8/120
    assert lo.permutation_pvalue(0.9, 5) == pytest.approx(5 / 120)
    assert lo.permutation_pvalue(0.8, 5) == pytest.approx(8 / 120)
