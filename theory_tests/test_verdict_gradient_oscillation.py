"""gradient_oscillation's verdict on doctored arrays (issue 19): the limit criterion on both sides
of 2/(λ_max+λ_min) and of its band, the formula's derived tolerance, records dropped where ‖g‖²
overflows, the inconclusive branches, the heavy-ball control. GD runs in float64 numpy."""

import numpy as np
import pytest

from theorycheck import get_check, make_config
from theorycheck.checks import gradient_oscillation as go

EPS = np.finfo(np.float64).eps


def _case(lr=0.19, steps=200, eigenvalues=(1.0, 10.0), momentum=0.0, w0=(1.0, 1.0)):
    config = make_config(get_check("gradient_oscillation"), {"lr": lr, "steps": steps, "eos_steps": 0,
                                                              "eigenvalues": eigenvalues, "momentum": momentum})
    lam = np.asarray(eigenvalues, dtype=float)
    w, v = np.asarray(w0, dtype=float), np.zeros(lam.size)
    cosine, losses, previous = np.full(steps + 1, np.nan), np.empty(steps), None
    with np.errstate(all="ignore"):
        for t in range(steps + 1):
            g = lam * w
            if previous is not None:
                cosine[t] = previous @ g / (np.linalg.norm(previous) * np.linalg.norm(g))
            if t < steps:
                losses[t] = 0.5 * w @ (lam * w)
            previous = g
            v = momentum * v + g
            w = w - lr * v
    arrays = {"rotation": np.eye(lam.size), "w0": np.asarray(w0, dtype=float), "cosine": cosine, "losses": losses,
              "diverged_at": np.int64(-1)}
    return config, {"lr": lr, "momentum": momentum}, arrays


def _verdict(case, **changes):
    config, data, arrays = case
    return go.verdict(config, data, {**arrays, **changes})


@pytest.fixture(scope="module")
def default():
    return _case()


def test_default_oscillates_with_the_derived_formula_tolerance(default):
    result = _verdict(default)
    assert result.outcome == "pass", result.reason
    assert result.details["formula_tolerance"] == pytest.approx(4 * 10.0**2 * 2 * 200 * EPS, rel=1e-14)
    assert result.predicted == -1.0 and result.tolerance == pytest.approx(0.01)


@pytest.mark.parametrize("value, oscillates", [(-0.991, True), (-0.989, False)])
def test_every_tail_record_below_minus_0_99(default, value, oscillates):
    """One tail record moved (the formula criterion fails either way: a doctored record is off it)."""
    config, data, arrays = default
    cosine = arrays["cosine"].copy()
    cosine[-3] = value
    result = _verdict(default, cosine=cosine)
    assert result.outcome == "fail" and "left the exact formula" in result.reason
    assert ("do not oscillate" in result.reason) is not oscillates, result.reason
    assert ("1 + cos(g_t, g_(t+1))" in result.reason) is not oscillates
    assert result.error == pytest.approx(1 + value, rel=1e-9)


@pytest.mark.parametrize("offset, outcome", [(0.5, "pass"), (2.0, "fail"), (-0.5, "pass"), (-2.0, "fail")])
def test_formula_deviation_on_both_sides(default, offset, outcome):
    config, data, arrays = default
    tolerance = 4 * 100.0 * 2 * 200 * EPS
    cosine = arrays["cosine"].copy()
    cosine[5] += offset * tolerance
    result = _verdict(default, cosine=cosine)
    assert result.outcome == outcome, result.reason
    if outcome == "fail":
        assert "left the exact formula" in result.reason


def test_below_the_critical_step_the_limit_is_plus_one():
    """η = 0.15 < 0.1818: the cosine tends to +1 (predicted), checked with the same band."""
    case = _case(lr=0.15)
    result = _verdict(case)
    assert result.outcome == "pass" and result.predicted == 1.0, result.reason
    cosine = case[2]["cosine"].copy()
    cosine[-2] = 0.989
    result = _verdict(case, cosine=cosine)
    assert result.outcome == "fail" and "not aligned" in result.reason


def test_records_after_the_gradient_overflows_are_dropped():
    """The issue's finding (lr = 0.3, 5000 steps): |1 − 3| = 2, ‖g‖² overflows near step 510,
    after which the recorded cosine is −0.0 or NaN."""
    case = _case(lr=0.3, steps=5000)
    assert np.any(case[2]["cosine"] == 0.0)
    result = _verdict(case)
    assert result.outcome == "pass", result.reason
    assert 400 < result.details["records_cut_from_step"] < 600
    # the closed form cuts on its own (a recorded loss that stayed representable does not keep them)
    alone = _verdict(case, losses=np.ones(5000))
    assert alone.outcome == "pass" and alone.details["records_cut_from_step"] == result.details["records_cut_from_step"]
    # the simulated loss decides too, for a run that is not plain GD: an overflowed loss cuts there
    losses = case[2]["losses"].copy()
    losses[300:] = np.inf
    assert _verdict(case, losses=losses).details["records_cut_from_step"] == 300


def test_inconclusive_branches():
    short = _verdict(_case(lr=0.1819, steps=50))  # next to the marginal 0.1818: settles late
    assert short.outcome == "inconclusive" and "raise steps to >=" in short.reason
    config, data, arrays = _case(steps=200)
    empty = _verdict((config, data, arrays), cosine=np.full(201, np.nan))
    assert empty.outcome == "inconclusive" and "only 0 records" in empty.reason
    tie = _verdict(_case(lr=2 / 11, steps=200))
    assert tie.outcome == "inconclusive" and "does not settle" in tie.reason


def test_heavy_ball_control_fails_on_the_formula_and_the_limit():
    result = _verdict(_case(momentum=0.5))
    assert result.outcome == "fail"
    assert "left the exact formula" in result.reason and "do not oscillate" in result.reason
