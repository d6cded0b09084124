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


def test_the_plateau_line_is_the_geometric_midpoint_of_a_plateau_and_a_one_over_t_fall():
    assert sn.PLATEAU == pytest.approx(np.sqrt(0.45 / 0.95), rel=1e-12) and 0.688 < sn.PLATEAU < 0.689


@pytest.mark.parametrize("late, outcome", [(sn.PLATEAU * 1.01, "pass"), (sn.PLATEAU * 0.99, "fail")])
def test_plateau_late_step_against_the_mid_step(late, outcome):
    result = _case(late=late, mid=1.0, floor=0.45)  # noise: F = 0.45 >= μD = 0.005
    assert result.outcome == outcome, result.reason
    if outcome == "fail":
        assert "still falling" in result.reason and "floor itself decays" in result.reason


def test_relaxation_horizon_is_eight_weight_decay_times():
    assert sn.relaxation_steps(0.01, 0.002) == 200_000 and sn.relaxation_steps(0.05, 0.01) == 8000
    assert sn.relaxation_steps(0.03, 0.007) == 19050  # 4/(0.03·0.007) = 19047.6, up to a multiple of 10
    assert sn.relaxation_steps(0.05, 0.0) is None  # no weight decay: nothing to wait for
    cfg = get_check("sgd_noise").config_type
    field = {f.name: f for f in __import__("dataclasses").fields(cfg)}["steps"]
    assert field.metadata["high"] >= sn.relaxation_steps(0.01, 0.002)  # the remedy lies inside the range


def test_a_run_shorter_than_eight_relaxation_times_is_not_yet_a_no():
    """λ = 0.002, μ = 0.01, 4000 steps: 8/(2μλ) = 200 000 steps."""
    result = _case(late=0.4, mid=1.0, floor=0.38, lr=0.01, weight_decay=0.002, steps=4000)
    assert result.outcome == "inconclusive" and "raise steps to >= 200000" in result.reason
    assert _case(lr=0.01, weight_decay=0.002, steps=4000).outcome == "pass"  # already on the floor: decided
    result = _case(late=0.4, mid=1.0, floor=0.38, steps=7990)  # 8τ = 8000 at the defaults
    assert result.outcome == "inconclusive" and "raise steps to >= 8000" in result.reason
    assert _case(late=0.4, mid=1.0, floor=0.38, steps=8000).outcome == "fail"  # 8τ: decided


@pytest.mark.parametrize("descent_step, outcome", [(0.31, "inconclusive"), (0.29, "fail")])
def test_a_late_step_that_is_still_descent_is_not_yet_a_no(descent_step, outcome):
    """1 − F/R_late = 0.7 > ½ with F = 0.3: inconclusive while μD_T > F (descent under way), a
    failure once the step is noise (μD_T < F) yet far above the floor."""
    result = _case(floor=0.3, descent_gradient=np.float64(descent_step / 0.05), steps=20_000)
    assert result.outcome == outcome, result.reason
    if outcome == "inconclusive":
        assert "still mostly descent" in result.reason and "lower batch_size" in result.reason
    else:
        assert "1 − F/R_late" in result.reason
    assert result.details["descent_step_at_T"] == pytest.approx(descent_step, rel=1e-12)


def test_a_falling_step_that_is_descent_is_not_yet_a_no():
    result = _case(late=0.5, mid=1.0, floor=0.3, descent_gradient=np.float64(8.0), steps=20_000)  # μD = 0.4 > F
    assert result.outcome == "inconclusive" and "still mostly descent" in result.reason


def test_divergence_and_collapse_are_inconclusive():
    result = _case(diverged=np.bool_(True))
    assert result.outcome == "inconclusive" and "diverged" in result.reason and "lower lr" in result.reason
    result = _case(step_norms=np.full(8000, np.nan))
    assert result.outcome == "inconclusive" and "diverged" in result.reason
    result = _case(late=0.0, floor=0.0, param_norm_final=np.float64(5e-3 - 1e-12))
    assert result.outcome == "inconclusive" and "collapsed to zero" in result.reason and "lower weight_decay" in result.reason
    assert _case(param_norm_final=np.float64(5e-3 + 1e-9)).outcome == "pass"  # 1e-3·‖W_0‖ is the line


def test_no_weight_decay_control_fails_on_the_plateau_whatever_the_length():
    """The control is decided by the step norms: the formula of F does not see λ."""
    for steps in (4000, 200_000):
        result = _case(weight_decay=0.0, late=0.45, mid=1.0, floor=0.42, steps=steps)
        assert result.outcome == "fail" and "still falling" in result.reason, result.reason
        assert result.details["relaxation_steps"] is None
    assert _case(weight_decay=0.0, steps=4000).outcome == "pass"  # had the noise persisted, it would pass
    assert get_check("sgd_noise").negative_controls == ({"weight_decay": 0.0},)


def test_full_batch_and_a_tiny_weight_decay_are_outside_the_range():
    with pytest.raises(ValueError, match="batch_size"):
        make_config(get_check("sgd_noise"), {"batch_size": N})
    with pytest.raises(ValueError, match="'weight_decay'.*0 .*or >= 0.002"):
        make_config(get_check("sgd_noise"), {"weight_decay": 0.0019})
    for allowed in (0.0, 0.002):
        make_config(get_check("sgd_noise"), {"weight_decay": allowed})


def test_a_run_that_stopped_moving_is_not_on_a_floor():
    """No step and no noise at a non-zero stationary point: 1 − F/R_late is 1, not 0."""
    result = _case(late=0.0, mid=0.0, floor=0.0, descent_gradient=np.float64(0.0))
    assert result.outcome == "fail" and result.error == 1.0 and "1 − F/R_late" in result.reason


def test_below_the_floor_while_descent_names_only_the_bound():
    """A falling step that is still descent is never called a decaying floor, even when the step
    also sits below F (which fails on the exact bound alone)."""
    result = _case(late=0.2, mid=1.0, floor=0.3, descent_gradient=np.float64(8.0), steps=20_000)
    assert result.outcome == "fail" and "below the floor" in result.reason
    assert "floor itself decays" not in result.reason
