"""gd_quadratic's verdict on doctored arrays (issue 19): every criterion just inside and just
outside its band, the inconclusive branches, the control's failing criterion. No JAX simulation:
the "simulated" curves come from a two-dimensional GD (or heavy ball) in float64 numpy."""

import numpy as np
import pytest

from theorycheck import get_check, make_config
from theorycheck.checks import gd_quadratic as gdq

EPS = np.finfo(np.float64).eps


def _arrays(steps=100, condition=100.0, top=10.0, momentum=0.0, lr_fraction=0.9, dim=2, theta0=None):
    """The arrays ``simulate`` returns, for A = diag(λ) (rotation I), θ* = 0, θ₀ = 1, computed by
    GD (or heavy ball) in numpy."""
    config = make_config(get_check("gd_quadratic"), {"steps": steps, "condition": condition, "top_eigenvalue": top,
                                                      "momentum": momentum, "lr_fraction": lr_fraction, "dim": dim})
    data = {"condition": condition, "top_eigenvalue": top, "momentum": momentum, "lr_fraction": lr_fraction}
    lam = top * np.logspace(-np.log10(condition), 0.0, dim)
    fractions = np.array([*gdq.SWEEP_FRACTIONS, lr_fraction])
    lrs = fractions * 2.0 / top
    theta0 = np.ones(dim) if theta0 is None else np.asarray(theta0, dtype=float)
    losses = np.empty((lrs.size, steps + 1))
    with np.errstate(over="ignore", invalid="ignore"):
        for i, lr in enumerate(lrs):
            e, v = theta0.copy(), np.zeros(dim)
            for t in range(steps + 1):
                losses[i, t] = 0.5 * e @ (lam * e)
                v = momentum * v + lam * e
                e = e - lr * v
    arrays = {"A": np.diag(lam), "eigenvalues": lam, "rotation": np.eye(dim), "theta_star": np.zeros(dim),
              "theta0": theta0, "lr_fractions": fractions, "learning_rates": lrs, "loss_simulated": losses}
    return config, data, arrays


def _verdict(config, data, arrays, **changes):
    return gdq.verdict(config, data, {**arrays, **changes})


@pytest.fixture(scope="module")
def clean():
    return _arrays()


def test_clean_arrays_pass_with_the_derived_tolerance(clean):
    config, data, arrays = clean
    result = _verdict(*clean)
    assert result.outcome == "pass", result.reason
    assert result.tolerance == pytest.approx(100.0 * 2 * 100 * 2.220446049250313e-16, rel=1e-14)  # κ·d·T·ε
    assert result.error < 1e-13


@pytest.mark.parametrize("factor, outcome", [(0.5, "pass"), (2.0, "fail"), (-0.5, "pass"), (-2.0, "fail")])
def test_one_step_off_the_curve_by_a_multiple_of_the_tolerance(clean, factor, outcome):
    """A single mid-run step of the 0.5x run, above and below the closed form (the worst step counts,
    and a deviation below the curve counts as one above it)."""
    config, data, arrays = clean
    tolerance = 100.0 * config.dim * config.steps * EPS
    losses = arrays["loss_simulated"].copy()
    losses[0, 40] *= 1.0 + factor * tolerance
    result = _verdict(config, data, arrays, loss_simulated=losses)
    assert result.outcome == outcome, result.reason
    if outcome == "fail":
        assert "max relative deviation of L_t from the closed form" in result.reason
        assert result.error == pytest.approx(abs(factor) * tolerance, rel=0.05)


def test_a_stable_run_whose_loss_grew_fails_the_threshold(clean):
    config, data, arrays = clean
    losses = arrays["loss_simulated"].copy()
    losses[1, -1] = 1.5 * losses[1, 0]  # the 0.9x run ends above L_0
    result = _verdict(config, data, arrays, loss_simulated=losses)
    assert result.outcome == "fail" and "at 0.9x GD was unstable, the threshold predicts stable" in result.reason


def test_underflow_is_not_a_nan_failure():
    """The issue's finding (condition=2, steps=1000): both curves reach 0 (and subnormals) in
    float64; they are compared only above tiny/ε, and a simulated 0 above the floor still fails."""
    config, data, arrays = _arrays(steps=1000, condition=2.0)
    assert np.any(arrays["loss_simulated"][0] == 0.0)
    result = _verdict(config, data, arrays)
    assert result.outcome == "pass" and np.isfinite(result.error), result.reason
    assert gdq.UNDERFLOW_LOG == pytest.approx(np.log(np.finfo(np.float64).tiny / EPS), rel=1e-15)
    losses = arrays["loss_simulated"].copy()
    above = np.nonzero(losses[0] > np.exp(gdq.UNDERFLOW_LOG + 1.0))[0][-1]
    losses[0, above] = 0.0
    result = _verdict(config, data, arrays, loss_simulated=losses)
    assert result.outcome == "fail" and "max relative deviation" in result.reason and result.error == 1.0


def test_overflow_at_the_predicted_step_passes_and_at_another_fails():
    config, data, arrays = _arrays(steps=340)
    first = int(np.argmax(~np.isfinite(arrays["loss_simulated"][3])))
    assert 300 < first < 340
    assert _verdict(config, data, arrays).outcome == "pass"
    early = arrays["loss_simulated"].copy()
    early[3, first - 20:] = np.inf
    result = _verdict(config, data, arrays, loss_simulated=early)
    assert result.outcome == "fail" and f"the 2x run overflowed at step {first - 20}" in result.reason
    finite = arrays["loss_simulated"].copy()
    finite[3, first:] = 1e300
    result = _verdict(config, data, arrays, loss_simulated=finite)
    assert result.outcome == "fail" and "the 2x run stayed finite but the closed form overflows" in result.reason


def test_the_overflow_window_formula():
    """[first step with 2κ·L_t >= max, first step with L_t·(1 − tol) > max], independently."""
    log_max = np.log(np.finfo(np.float64).max)
    log_exact = np.array([[log_max - 10.0, log_max - 3.0, log_max - 1e-3, log_max + 1.0, log_max + 2.0]])
    window = gdq.overflow_window(log_exact, condition=50.0, tolerance=1e-2)  # log(100) = 4.6
    np.testing.assert_array_equal(window, [[1, 3]])
    np.testing.assert_array_equal(gdq.overflow_window(log_exact - 20.0, 50.0, 1e-2), [[5, 5]])  # never: past T = 4


def test_a_run_too_short_to_show_the_threshold_is_inconclusive_with_the_step():
    config, data, arrays = _arrays(steps=1, theta0=[10.0, 0.1])  # the slow mode holds most of L_0
    result = _verdict(config, data, arrays)
    assert result.outcome == "inconclusive" and "has not yet outgrown L_0 after 1 steps" in result.reason
    lam, lr = arrays["eigenvalues"], arrays["learning_rates"][2]
    curve = 0.5 * np.array([np.sum(lam * np.array([10.0, 0.1]) ** 2 * (1 - lr * lam) ** (2 * t)) for t in range(200)])
    assert f"raise steps to >= {int(np.argmax(curve > curve[0]))}" in result.reason


def test_a_tolerance_too_wide_cannot_confirm_but_can_refute():
    config, data, arrays = _arrays(steps=2000, condition=1e8, dim=2)
    tolerance = 1e8 * 2 * 2000 * EPS
    assert tolerance < gdq.MAX_TOLERANCE
    wide = make_config(get_check("gd_quadratic"), {**vars(config), "dim": 300})  # κ·d·T·ε = 0.013
    result = gdq.verdict(wide, data, arrays)
    assert result.outcome == "inconclusive" and "too wide" in result.reason and "lower condition" in result.reason
    losses = arrays["loss_simulated"].copy()
    losses[0, 5] *= 1.5
    result = gdq.verdict(wide, data, {**arrays, "loss_simulated": losses})
    assert result.outcome == "fail" and "max relative deviation" in result.reason


def test_heavy_ball_control_fails_on_the_curve_and_the_threshold():
    config, data, arrays = _arrays(momentum=0.5)
    result = _verdict(config, data, arrays)
    assert result.outcome == "fail"
    assert "max relative deviation of L_t from the closed form" in result.reason
    assert "at 1.1x GD was stable, the threshold predicts unstable" in result.reason
