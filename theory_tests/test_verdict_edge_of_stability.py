"""edge_of_stability's verdict on doctored records (issue 19): the window's start (the first
crossing, the transient), the loss-fall criterion against the early minimum, divergence from
below 2/η, and the flow control failing on the band. No simulation."""

import dataclasses

import numpy as np
import pytest

from theorycheck import get_check, make_config
from theorycheck.checks import edge_of_stability as eos

EVERY, LR = 40, 0.1


def _verdict(ratios, losses=None, solver="gd", diverged=False, converged=None, transient=0.05):
    ratios = np.asarray(ratios, dtype=float)
    steps = ratios.size * EVERY
    config = make_config(get_check("edge_of_stability"), {"lr": LR, "steps": steps, "every": EVERY,
                                                           "solver": solver, "transient": transient})
    times = np.arange(ratios.size, dtype=float) * EVERY * (LR if solver == "flow" else 1.0)
    if losses is None:
        losses = np.geomspace(1.0, 1e-3, steps if solver == "gd" else ratios.size)
    arrays = {"times": times, "sharpness": ratios * 2.0 / LR, "lanczos_residuals": np.zeros(ratios.size),
              "lanczos_converged": np.ones(ratios.size, bool) if converged is None else converged,
              "losses": np.asarray(losses, dtype=float), "diverged": np.bool_(diverged),
              "diverged_at": np.float64(7 * EVERY if diverged else -1), "status": np.int32(0),
              "params_initial": np.zeros(3), "params_final": np.zeros(3)}
    return eos.verdict(config, {"lr": LR}, arrays)


HOVER = [0.5, 0.8, 1.0] + [1.0] * 100


def test_hovering_passes_and_the_threshold_is_two_over_eta():
    result = _verdict(HOVER)
    assert result.outcome == "pass", result.reason
    assert result.predicted == pytest.approx(2.0 / LR, rel=1e-15) and result.tolerance == 0.15


def test_the_window_starts_at_the_first_crossing_not_at_the_peak():
    ratios = [0.5, 0.8, 1.0] + [1.0] * 10 + [0.8] + [1.0] * 10 + [1.14] + [1.0] * 80
    result = _verdict(ratios)
    assert result.outcome == "fail" and "left the band" in result.reason
    assert result.details["crossing_step"] == 2 * EVERY


@pytest.mark.parametrize("where, outcome", [(4, "pass"), (8, "fail")])
def test_only_the_transient_is_excused(where, outcome):
    """Δ = 0.05·steps = 5.15 records after the crossing at record 2: a record at 2 + 4 is excused,
    one at 2 + 8 is not (a doubled transient would excuse it)."""
    ratios = list(HOVER)
    ratios[2 + where] = 1.3
    result = _verdict(ratios)
    assert result.outcome == outcome, result.reason
    if outcome == "fail":
        assert "left the band" in result.reason


def test_the_loss_must_fall_below_the_early_minimum():
    """0.7× the minimum over the 10% after the crossing: an early spike does not count."""
    steps = len(HOVER) * EVERY
    losses = np.full(steps, 1.0)
    losses[100:110] = 10.0  # a spike after the crossing (step 80)
    losses[-400:] = 0.75  # the late loss: below 0.7·10 but not below 0.7·1
    result = _verdict(HOVER, losses=losses)
    assert result.outcome == "inconclusive" and "has not yet fallen" in result.reason
    losses[-400:] = 0.69
    assert _verdict(HOVER, losses=losses).outcome == "pass"


def test_a_divergence_from_below_two_over_eta_fails():
    ratios = np.array(HOVER)
    ratios[8:] = np.nan
    result = _verdict(ratios, diverged=True)
    assert result.outcome == "fail" and "although the sharpness started below 2/η" in result.reason
    above = np.array([1.2] + HOVER[1:])
    above[8:] = np.nan
    result = _verdict(above, diverged=True)
    assert result.outcome == "inconclusive" and "no sharpening to observe" in result.reason


def test_unconverged_estimates_in_the_window_are_inconclusive():
    converged = np.ones(len(HOVER), bool)
    converged[50] = False
    result = _verdict(HOVER, converged=converged)
    assert result.outcome == "inconclusive" and "raise lanczos_iterations" in result.reason


def test_flow_control_fails_because_the_sharpness_leaves_the_band():
    """solver=flow: the sharpness keeps rising past 2/η (THEORY.md §1), decided on its records."""
    ratios = np.linspace(0.5, 3.0, 103)
    result = _verdict(ratios, solver="flow")
    assert result.outcome == "fail" and "left the band" in result.reason
    assert result.details["max_ratio"] == pytest.approx(3.0)


# momentum and adaptive methods (issue 15) ------------------------------------------------------


def _verdict_opt(ratios, optimizer, *, raw=None, losses=None, transient=None, diverged=False, lr=None, **keys):
    """``ratios`` of the optimizer's own quantity (S_P for rmsprop/adam, S otherwise) to its own
    threshold; ``raw`` (adaptive only) the raw S in the same units (default: 0.01·ratios)."""
    ratios = np.asarray(ratios, dtype=float)
    steps = ratios.size * EVERY
    overrides = {"optimizer": optimizer, "steps": steps, "every": EVERY, **keys}
    if transient is not None:
        overrides["transient"] = transient
    if lr is not None:
        overrides["lr"] = lr
    config = make_config(get_check("edge_of_stability"), overrides)
    data = {k: getattr(config, k) for k in ("lr", "beta", "beta2", "eps")}
    own = eos.thresholds(dataclasses.replace(config, threshold="optimizer"), data)[0]
    adaptive = optimizer in ("rmsprop", "adam")
    if losses is None:
        losses = np.geomspace(1.0, 1e-3, steps)
    arrays = {"times": np.arange(ratios.size, dtype=float) * EVERY, "lanczos_residuals": np.zeros(ratios.size),
              "lanczos_converged": np.ones(ratios.size, bool), "losses": np.asarray(losses, dtype=float),
              "diverged": np.bool_(diverged), "diverged_at": np.float64(7 * EVERY if diverged else -1),
              "status": np.int32(0), "params_initial": np.zeros(3), "params_final": np.zeros(3)}
    if adaptive:
        arrays.update(sharpness=(0.01 * ratios if raw is None else np.asarray(raw, float)) * own,
                      preconditioned_sharpness=ratios * own, preconditioned_residuals=np.zeros(ratios.size),
                      preconditioned_converged=np.ones(ratios.size, bool))
    else:
        arrays["sharpness"] = ratios * own
    return eos.verdict(config, data, arrays), own, config


@pytest.mark.parametrize("optimizer, expected", [
    ("heavy_ball", 2 * 1.5 / 0.15), ("nesterov", 2 * 1.9 / (0.06 * 2.8)), ("rmsprop", 2 / 1e-3),
    ("adam", 2 * 1.9 / (1e-3 * 0.1)),
])
def test_each_optimizer_is_compared_with_its_own_threshold(optimizer, expected):
    """Defaults: heavy_ball η = 0.15, β = 0.5 → 20; nesterov η = 0.06, β = 0.9 → 22.619; rmsprop
    η = 1e-3 → 2000; adam η = 1e-3, β₁ = 0.9 → 38000 (hand-computed)."""
    result, own, _ = _verdict_opt(HOVER, optimizer)
    assert own == pytest.approx(expected, rel=1e-12)
    assert result.outcome == "pass", result.reason
    assert result.predicted == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("optimizer", ["heavy_ball", "nesterov", "adam", "rmsprop"])
@pytest.mark.parametrize("peak, outcome", [(1.149, "pass"), (1.151, "fail"), (0.851, "pass"), (0.849, "fail")])
def test_the_band_is_fifteen_percent_for_every_optimizer(optimizer, peak, outcome):
    ratios = [0.5, 0.8, 1.0] + [1.0, peak, 1.01, 0.99] * 30
    result, _, _ = _verdict_opt(ratios, optimizer)
    assert result.outcome == outcome, result.reason
    if outcome == "fail":
        assert "left the band" in result.reason


@pytest.mark.parametrize("level, outcome", [(0.971, "pass"), (0.969, "fail"), (1.079, "pass"), (1.081, "fail")])
def test_the_median_band_for_adam(level, outcome):
    result, _, _ = _verdict_opt([0.5, 0.8, 1.0] + [level] * 100, "adam")
    assert result.outcome == outcome, result.reason
    if outcome == "fail":
        assert "median S_P" in result.reason


@pytest.mark.parametrize("optimizer, level", [("heavy_ball", 1.5), ("nesterov", 2.8 / 1.9 * 0.5 * 0.9)])
def test_threshold_gd_control_fails_on_the_band(optimizer, level):
    """A momentum run at its own threshold, compared with 2/η: heavy ball at 2(1+β)/η = 1.5·(2/η);
    Nesterov at 2(1+β)/(η(1+2β)) = 0.6786·(2/η) (β = 0.9)."""
    result, own, config = _verdict_opt(HOVER, optimizer, threshold="gd")
    assert result.outcome == "fail" and "left the band" in result.reason and "median" in result.reason
    assert result.predicted == pytest.approx(2 / config.lr, rel=1e-12)
    expected = own / (2 / config.lr)
    assert result.details["median_ratio"] == pytest.approx(expected, rel=1e-12)
    if optimizer == "heavy_ball":
        assert expected == pytest.approx(level)


def test_raw_sharpness_control_fails_and_the_crossing_is_the_preconditioned_one():
    """sharpness=raw: the window opens where S_P reached 38/η (record 2), and the raw S, at 0.01 of
    it, leaves the band; the preconditioned comparison on the same arrays passes."""
    result, _, _ = _verdict_opt(HOVER, "adam", sharpness="raw")
    assert result.outcome == "fail" and "left the band" in result.reason and "S/(" in result.reason
    assert result.details["crossing_step"] == 2 * EVERY and result.details["compared"] == "S"
    result, _, _ = _verdict_opt(HOVER, "adam", raw=np.full(len(HOVER), 0.01))
    assert result.outcome == "pass" and result.details["compared"] == "S_P"


def test_raw_control_never_crossing_is_inconclusive_not_fail():
    """If the preconditioned sharpness never reached its threshold, the run never reached its edge:
    nothing is decided, whatever the raw series does."""
    result, _, _ = _verdict_opt([0.5, 0.8, 0.9] * 30, "adam", sharpness="raw")
    assert result.outcome == "inconclusive" and "never reached" in result.reason and "raise steps to >=" in result.reason


def test_the_preconditioned_record_before_the_first_update_is_skipped():
    """Record 0 (no preconditioner yet) is NaN: neither a crossing nor the initial sharpness."""
    ratios = np.array(HOVER, dtype=float)
    ratios[0] = np.nan
    result, _, _ = _verdict_opt(ratios, "adam")
    assert result.outcome == "pass" and result.details["crossing_step"] == 2 * EVERY
    diverging = ratios.copy()
    diverging[8:] = np.nan
    result, _, _ = _verdict_opt(diverging, "adam", diverged=True)
    assert result.outcome == "fail" and "started below" in result.reason  # 0.8 < 1 at record 1
    above = diverging.copy()
    above[1] = 1.2  # the first recorded S_P is already above 38/η
    result, _, _ = _verdict_opt(above, "adam", diverged=True)
    assert result.outcome == "inconclusive" and "no sharpening to observe" in result.reason


def _approach(head_level, head_length, tail_level=1.0, total=100):
    return [0.5, 0.9, 1.0] + [head_level] * head_length + [tail_level] * (total - head_length)


@pytest.mark.parametrize("head_length, outcome", [(40, "inconclusive"), (60, "inconclusive"), (65, "fail")])
def test_an_approach_from_below_is_inconclusive_only_in_the_first_half(head_length, outcome):
    """Δ = 0.2·steps = 20.6 records after the crossing at record 2: the window holds records
    23–102 (80); the last below-band record must leave >= 40 of them after it (record 62 does,
    record 67 does not)."""
    result, _, _ = _verdict_opt(_approach(0.8, head_length), "heavy_ball")
    assert result.outcome == outcome, result.reason
    if outcome == "inconclusive" and head_length == 40:
        assert "approaching" in result.reason and "raise transient to >= " in result.reason
        needed = float(result.reason.rsplit(">= ", 1)[1])
        # the approach ends at record 43, 41 records after the crossing: 41/103 = 0.398 → 0.40
        assert needed == pytest.approx(0.40)
        retry, _, _ = _verdict_opt(_approach(0.8, head_length), "heavy_ball", transient=needed)
        assert retry.outcome == "pass", retry.reason
    elif outcome == "inconclusive":
        # ends at record 63: (63 − 2)/103 = 0.59 > 0.5, so steps >= 2·(63 − 2)·40 = 4880 with transient 0.5
        assert "approaching" in result.reason and result.reason.endswith("raise steps to >= 4880 and transient to 0.5")
    else:
        assert "left the band" in result.reason


def test_a_dip_after_the_return_is_a_failure_not_an_approach():
    """Head median >= 0.97 (at the threshold, then one dip): not an approach from below."""
    ratios = [0.5, 0.9, 1.0] + [1.0] * 37 + [0.8] + [1.0] * 62
    result, _, _ = _verdict_opt(ratios, "heavy_ball")
    assert result.outcome == "fail" and "left the band" in result.reason


def test_an_approach_with_a_tail_outside_the_median_band_fails():
    result, _, _ = _verdict_opt(_approach(0.8, 30, tail_level=1.1), "heavy_ball")
    assert result.outcome == "fail"
    result, _, _ = _verdict_opt(_approach(0.8, 30, tail_level=0.9), "nesterov")
    assert result.outcome == "fail"


def test_an_approach_with_a_record_above_the_band_fails():
    ratios = _approach(0.8, 30)
    ratios[60] = 1.2
    result, _, _ = _verdict_opt(ratios, "heavy_ball")
    assert result.outcome == "fail" and "left the band" in result.reason


@pytest.mark.parametrize("overrides, key", [
    ({"beta": 0.5}, "beta"), ({"optimizer": "rmsprop", "beta": 0.9}, "beta"),
    ({"optimizer": "heavy_ball", "beta2": 0.999}, "beta2"), ({"optimizer": "nesterov", "eps": 1e-8}, "eps"),
    ({"optimizer": "heavy_ball", "beta": 0.9}, "beta"), ({"optimizer": "adam", "lr": 0.01}, "lr"),
    ({"lr": 0.15}, "lr"), ({"optimizer": "rmsprop", "beta2": 0.99}, "beta2"), ({"optimizer": "adam", "beta2": 0.995}, "beta2"),
    ({"optimizer": "nesterov", "transient": 0.1}, "transient"),
    ({"optimizer": "adam", "solver": "flow"}, "solver"),
])
def test_meaningless_or_unvalidated_combinations_are_rejected(overrides, key):
    with pytest.raises(ValueError, match=key):
        make_config(get_check("edge_of_stability"), overrides)


def test_unset_keys_take_the_optimizer_defaults_and_unused_zeros_are_accepted():
    check = get_check("edge_of_stability")
    config = make_config(check, {"optimizer": "adam"})
    assert (config.lr, config.beta, config.beta2, config.eps) == (1e-3, 0.9, 0.999, 1e-8)
    config = make_config(check, {"beta": 0.0, "eps": 0.0})
    assert (config.lr, config.beta, config.beta2, config.eps) == (0.1, 0.0, 0.0, 0.0)
    assert make_config(check, {"optimizer": "rmsprop"}).beta2 == 0.999
    assert make_config(check, {}).transient == 0.05 and make_config(check, {"optimizer": "nesterov"}).transient == 0.2
