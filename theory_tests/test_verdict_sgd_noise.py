"""sgd_noise's verdict on doctored arrays (issue 19): each criterion on both sides of its band, the
inconclusive branches (divergence, collapse, a run shorter than the relaxation), the control."""

import numpy as np
import pytest

from theorycheck import bounds, get_check, make_config
from theorycheck.checks import sgd_noise as sn

N = sn.SAMPLES


def _case(late=1.0, mid=1.0, floor=0.9, steps=8000, batch_size=8, lr=0.05, weight_decay=0.01, **changes):
    """Arrays with a constant RMS step ``mid`` over the first half and ``late`` over the second,
    and a per-sample variance V that puts the floor F at ``floor``."""
    config = make_config(get_check("sgd_noise"), {"steps": steps, "batch_size": batch_size, "lr": lr,
                                                   "weight_decay": weight_decay})
    factor = (N - batch_size) / (batch_size * (N - 1))
    variance = floor**2 / (lr**2 * factor) if factor else 1.0
    norms = np.where(np.arange(steps) < steps // 2, mid, late).astype(float)
    arrays = {"step_norms": norms, "variance": np.float64(variance), "descent_gradient": np.float64(0.1),
              "losses": np.ones(steps), "diverged": np.bool_(False), "param_norm_initial": np.float64(5.0),
              "param_norm_final": np.float64(3.0)}
    arrays.update(changes)
    return sn.verdict(config, {"lr": lr, "weight_decay": weight_decay}, arrays)


def test_the_floor_formula_by_hand():
    # μ·sqrt((N − B)/(B(N − 1))·V) = 0.1·sqrt(56/(8·63)·4.5) = 0.1·sqrt(0.5) at N = 64, B = 8
    assert bounds.galanti23_sgd_noise_floor(4.5, 64, 8, 0.1) == pytest.approx(0.1 * np.sqrt(0.5), rel=1e-14)
    assert bounds.galanti23_sgd_noise_floor(4.5, 64, 64, 0.1) == 0.0


def test_on_the_floor_passes():
    result = _case()
    assert result.outcome == "pass", result.reason
    assert result.error == pytest.approx(0.1, rel=1e-9) and result.tolerance == 0.5


@pytest.mark.parametrize("floor, outcome", [(0.51, "pass"), (0.49, "fail")])
def test_share_not_explained_by_noise_is_at_most_a_half(floor, outcome):
    result = _case(floor=floor)
    assert result.outcome == outcome, result.reason
    assert result.error == pytest.approx(1 - floor, rel=1e-9)
    if outcome == "fail":
        assert "1 − F/R_late" in result.reason


@pytest.mark.parametrize("late, outcome", [(0.86, "pass"), (0.84, "fail")])
def test_the_step_may_not_sit_below_the_floor(late, outcome):
    result = _case(late=late, mid=late, floor=1.0)
    assert result.outcome == outcome, result.reason
    if outcome == "fail":
        assert "below the floor" in result.reason and "1 − F/R_late" not in result.reason


def test_below_the_floor_fails_even_in_a_short_run():
    result = _case(late=0.5, mid=0.5, floor=1.0, lr=0.01, weight_decay=0.002, steps=4000)
    assert result.outcome == "fail" and "below the floor" in result.reason


@pytest.mark.parametrize("late, outcome", [(0.51, "pass"), (0.49, "fail")])
def test_plateau_late_step_at_least_half_the_mid_step(late, outcome):
    result = _case(late=late, mid=1.0, floor=0.45)
    assert result.outcome == outcome, result.reason
    if outcome == "fail":
        assert "still falling" in result.reason


def test_a_run_shorter_than_four_relaxation_times_is_not_yet_a_no():
    """The issue's finding: λ = 0.002, μ = 0.01, 4000 steps: 4/(2μλ) = 100 000 steps."""
    assert sn.relaxation_steps(0.01, 0.002) == 100_000 and sn.relaxation_steps(0.05, 0.01) == 4000
    result = _case(late=0.4, mid=1.0, floor=0.38, lr=0.01, weight_decay=0.002, steps=4000)
    assert result.outcome == "inconclusive" and "raise steps to >= 100000" in result.reason
    assert _case(lr=0.01, weight_decay=0.002, steps=4000).outcome == "pass"  # already on the floor: decided
    assert _case(late=0.4, mid=1.0, floor=0.38, steps=4000).outcome == "fail"  # 4τ = 4000: decided


def test_divergence_and_collapse_are_inconclusive():
    result = _case(diverged=np.bool_(True))
    assert result.outcome == "inconclusive" and "diverged" in result.reason and "lower lr" in result.reason
    result = _case(step_norms=np.full(8000, np.nan))
    assert result.outcome == "inconclusive" and "diverged" in result.reason
    result = _case(late=0.0, floor=0.0, param_norm_final=np.float64(5e-3 - 1e-12))
    assert result.outcome == "inconclusive" and "collapsed to zero" in result.reason and "lower weight_decay" in result.reason
    assert _case(param_norm_final=np.float64(5e-3 + 1e-9)).outcome == "pass"  # 1e-3·‖W_0‖ is the line


def test_full_batch_control_fails_on_the_noise_share():
    result = _case(batch_size=N, late=1e-3, mid=1.0)
    assert result.outcome == "fail" and "1 − F/R_late" in result.reason and result.error == 1.0
    assert _case(batch_size=N, late=0.0, mid=0.0).outcome == "fail"  # no step at all is not on a floor
