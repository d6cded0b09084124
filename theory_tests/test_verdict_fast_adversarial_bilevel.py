"""fast_adversarial_bilevel's verdict on doctored arrays: each identity just inside and just outside
its derived tolerance, the inconclusive branches (zero gradients, no inactive coordinate, the active
set at round-off, a solver short of the optimum, the trend's interval straddling 0), the ℓ2 control."""

import math

import jax
import numpy as np
import pytest

from theorycheck import get_check, make_config
from theorycheck.checks import fast_adversarial_bilevel as fab

U = np.finfo(np.float64).eps / 2
QUICK = {"samples": 16, "width": 16, "directions": 2}


@pytest.fixture(scope="module")
def case():
    check = get_check("fast_adversarial_bilevel")
    config = make_config(check, QUICK)
    data = {"epsilon": config.epsilon, "lam": config.lam}
    arrays = check.simulate(config, {k: np.asarray(v) for k, v in data.items()}, jax.random.key(0))
    return config, data, {k: np.asarray(v) for k, v in arrays.items()}


def _verdict(case, config_changes=None, **changes):
    config, data, arrays = case
    if config_changes:
        config = make_config(get_check("fast_adversarial_bilevel"), {**QUICK, **config_changes})
    with jax.enable_x64(True):
        return fab.verdict(config, data, {**arrays, **changes})


def _recompute(arrays, eps, lam, z, grad_z):
    """delta_bat and delta_at consistent with (z, grad_z), as the simulation computes them."""
    return {"z": z, "grad_z": grad_z, "delta_bat": np.clip(z + grad_z / lam, -eps, eps),
            "delta_at": np.clip(z + fab.FAST_AT_STEP * eps * np.sign(grad_z), -eps, eps)}


def test_the_real_run_passes_every_identity(case):
    result = _verdict(case)
    assert result.outcome == "pass", result.reason
    assert result.details["i_max_gap"] <= result.details["i_tolerance"]
    assert 0 < result.details["iii_inactive_fraction"] < 1


def test_the_l2_ball_fails_on_the_sign_step_criterion(case):
    result = _verdict(case, {"ball": "l2"})
    assert result.outcome == "fail"
    assert "(i) the sign step is not the maximiser" in result.reason and "(ii)" not in result.reason


def test_identity_i_tolerance_is_the_derived_formula():
    g = np.array([[1.0, -2.0, 0.5, 0.0]])
    with jax.enable_x64(True):
        gaps, tols, mismatches, informative = fab.identity_sign_step(g, 0.3, "linf")
    gamma = 4 * U / (1 - 4 * U)
    assert tols[0] == pytest.approx(2 * gamma + 2 * 1e-10 * 4 * 2.0 / 3.5, rel=1e-12, abs=0)
    assert abs(gaps[0]) <= tols[0] and mismatches == 0 and informative[0]


def test_zero_gradients_are_inconclusive_with_a_sample_remedy(case):
    grad = case[2]["grad_clean"].copy()
    grad[7:] = 0.0
    result = _verdict(case, grad_clean=grad)
    assert result.outcome == "inconclusive"
    assert "(i) only 7 of 16 samples" in result.reason and "raise samples to >= 19" in result.reason


def test_a_solver_short_of_the_optimum_is_inconclusive(case, monkeypatch):
    def worse(g, epsilon):  # the right vertex, a value short of it
        return -epsilon * np.sign(np.asarray(g)), -(1 - 1e-3) * epsilon * float(np.sum(np.abs(g)))
    monkeypatch.setattr(fab.bounds, "linear_lower_level_lp", worse)
    result = _verdict(case)
    assert result.outcome == "inconclusive" and "stopped short of the optimum" in result.reason


def test_a_solver_beating_the_sign_step_fails(case, monkeypatch):
    true = fab.bounds.linear_lower_level_lp

    calls = []

    def better(g, epsilon):  # beats the sign step on the first sample only
        delta, value = true(g, epsilon)
        calls.append(1)
        return delta, value - (2e-9 * epsilon * float(np.sum(np.abs(g))) if len(calls) == 1 else 0.0)
    monkeypatch.setattr(fab.bounds, "linear_lower_level_lp", better)
    result = _verdict(case)
    assert result.outcome == "fail" and "(i) the sign step is not the maximiser" in result.reason


def test_a_vertex_off_the_sign_fails(case, monkeypatch):
    true = fab.bounds.linear_lower_level_lp

    def flipped(g, epsilon):
        delta, value = true(g, epsilon)
        delta = delta.copy()
        delta[0] = -delta[0]
        return delta, value
    monkeypatch.setattr(fab.bounds, "linear_lower_level_lp", flipped)
    result = _verdict(case)
    assert result.outcome == "fail" and "(i) the LP's vertex differs" in result.reason


def test_closed_form_tolerances_are_the_derived_formulas(case):
    config, data, arrays = case
    eps, lam = config.epsilon, config.lam
    details = _verdict(case).details
    expected = 8 * U * (eps + np.max(np.abs(arrays["z"])) + np.max(np.abs(arrays["grad_z"])) / lam) / eps
    assert details["ii_fast_bat_tolerance"] == pytest.approx(expected, rel=1e-12, abs=0)
    assert details["ii_fast_at_tolerance"] == pytest.approx(8 * U * (2 + 1.25), rel=1e-12, abs=0)
    assert details["iii_tolerance"] == 8 * U


@pytest.mark.parametrize("key", ["delta_bat", "delta_at"])
@pytest.mark.parametrize("factor, outcome", [(0.5, "pass"), (2.0, "fail"), (-0.5, "pass"), (-2.0, "fail")])
def test_closed_form_band(case, key, factor, outcome):
    config, data, arrays = case
    base = _verdict(case)
    tol = base.details["ii_fast_bat_tolerance" if key == "delta_bat" else "ii_fast_at_tolerance"]
    delta = arrays[key].copy()
    inside = np.flatnonzero(np.abs(delta.ravel()) < config.epsilon - 1e-3)[0]
    delta.ravel()[inside] += factor * tol * config.epsilon
    result = _verdict(case, **{key: delta})
    assert result.outcome == outcome, result.reason
    if outcome == "fail":
        assert "(ii) FAST-BAT" in result.reason if key == "delta_bat" else "(ii) FAST-AT" in result.reason


@pytest.mark.parametrize("key, name", [("d_solver", "(iii) the implicit gradient"),
                                       ("d_train", "(iii) FAST-BAT's training gradient")])
@pytest.mark.parametrize("factor, outcome", [(0.5, "pass"), (2.0, "fail")])
def test_implicit_gradient_band(case, key, name, factor, outcome):
    config, data, arrays = case
    tol = 8 * U
    d = arrays[key].copy()
    inside = np.flatnonzero(np.abs(arrays["delta_bat"].ravel()) < config.epsilon - 1e-3)[0]
    scale = np.max(np.abs(arrays["dg"][0])) / config.lam
    exact = fab.bounds.zhang22_implicit_jvp(arrays["delta_bat"], arrays["dg"][0], config.lam, config.epsilon)
    d[0].ravel()[inside] = exact.ravel()[inside] + factor * tol * scale
    if key == "d_train":  # keep the solver exact so only the training path is off
        solver = arrays["d_solver"].copy()
        solver[0].ravel()[inside] = exact.ravel()[inside]
        changes = {"d_train": d, "d_solver": solver}
    else:
        train = arrays["d_train"].copy()
        train[0].ravel()[inside] = d[0].ravel()[inside]  # the training path agrees with the (doctored) solver
        changes = {"d_solver": d, "d_train": train}
    result = _verdict(case, **changes)
    if key == "d_solver" and outcome == "pass":
        assert result.outcome == "pass", result.reason
    assert (name in result.reason) == (outcome == "fail"), result.reason
    if outcome == "fail":
        assert result.outcome == "fail"


def test_all_coordinates_active_is_inconclusive_with_a_lam_remedy(case):
    config, data, arrays = case
    z = arrays["z"]
    grad_z = np.where(arrays["grad_z"] >= 0, 1.0, -1.0) * 10.0  # every vertex far outside the ball
    result = _verdict(case, **_recompute(arrays, config.epsilon, config.lam, z, grad_z))
    assert result.outcome == "inconclusive"
    assert "(iii) only 0.00% of the coordinates are inactive" in result.reason and "raise lam to >= 10" in result.reason


def test_an_active_set_at_round_off_is_inconclusive(case):
    config, data, arrays = case
    grad_z = arrays["grad_z"]
    z = config.epsilon * np.sign(grad_z + 1e-300) - grad_z / config.lam  # every vertex exactly on ±ε
    result = _verdict(case, **_recompute(arrays, config.epsilon, config.lam, z, grad_z))
    assert result.outcome == "inconclusive" and "within round-off of the ball's boundary" in result.reason


def _trend_case(case, diffs, at=0.5):
    config, data, arrays = case
    config = make_config(get_check("fast_adversarial_bilevel"), {**QUICK, "trend": True, "replicates": len(diffs)})
    r = len(diffs)
    robust = np.full((2, 3, r), at)
    robust[1, -1] = at + np.asarray(diffs)
    return fab.verdict(config, data, {**arrays, "robust_accuracy": robust, "clean_accuracy": np.full((2, 3, r), 0.9)})


def _half(diffs):
    d = np.asarray(diffs)
    return fab.T_975[d.size - 1] * d.std(ddof=1) / math.sqrt(d.size)


@pytest.mark.parametrize("shift, outcome", [(+1.01, "pass"), (+0.99, "inconclusive"), (-0.99, "inconclusive"),
                                            (-1.01, "fail")])
def test_trend_band_on_both_sides(case, shift, outcome):
    spread = np.array([-0.02, -0.01, 0.01, 0.02])
    diffs = spread + shift * _half(spread)
    with jax.enable_x64(True):
        result = _trend_case(case, diffs)
    assert result.outcome == outcome, result.reason
    if outcome == "fail":
        assert "trend: at ε = 0.6 FAST-BAT is less robust" in result.reason
    if outcome == "inconclusive":
        assert "straddles 0; raise replicates to >=" in result.reason


def test_trend_nonfinite_is_inconclusive(case):
    with jax.enable_x64(True):
        result = _trend_case(case, [0.1, np.nan, 0.1, 0.1])
    assert result.outcome == "inconclusive" and "diverged" in result.reason


@pytest.mark.parametrize("shift", [-1e-3, +1e-3])
def test_trend_replicates_remedy_is_the_smallest_count_whose_interval_clears_zero(case, shift):
    spread = np.array([-0.02, 0.02])
    sd = spread.std(ddof=1)
    mean = fab.T_975[4] * sd / math.sqrt(5) * (1 + shift)  # n = 5 clears 0 just above this mean, not just below
    with jax.enable_x64(True):
        result = _trend_case(case, spread + mean)
    assert result.outcome == "inconclusive"
    assert f"raise replicates to >= {5 if shift > 0 else 6}" in result.reason, result.reason


def test_trend_at_small_radii_only_is_rejected_at_configuration():
    check = get_check("fast_adversarial_bilevel")
    with pytest.raises(ValueError, match=r"add a radius in \[0.5, 0.6\]"):
        make_config(check, {**QUICK, "trend": True, "epsilons": (0.1, 0.49)})
    make_config(check, {**QUICK, "trend": True, "epsilons": (0.1, 0.5)})
    make_config(check, {**QUICK, "epsilons": (0.1, 0.49)})  # the identities do not read epsilons
