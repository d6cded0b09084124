"""edge_of_stability's verdict on doctored records (issue 19): the window's start (the first
crossing, the transient), the loss-fall criterion against the early minimum, divergence from
below 2/η, and the flow control failing on the band. No simulation."""

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
