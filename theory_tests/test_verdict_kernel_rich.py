"""kernel_rich's verdict on doctored limits (issue 19): the flow's and GD's tolerance on both
sides, the remaining-motion bound (its formula and the inconclusive branch), the relative error's
normalisation, and the regularizer-depth control. The "flow's limit" is argmin Q itself, moved."""

import numpy as np
import pytest

from theorycheck import bounds, dynamics, get_check, make_config
from theorycheck.checks import kernel_rich as kr


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 10))
    y = 0.05 * x[:, :2].sum(axis=1)  # ‖argmin Q‖ < 1: a relative error must divide by it
    beta = bounds.woodworth20_implicit_regularizer_minimizer(x, y, 0.3, 2).beta
    null = np.linalg.svd(x)[2][-1]  # X·null = 0: moving along it keeps the residual
    return x, y, beta, null


def _verdict(problem, shift=0.0, metric=None, residual=0.0, solver="flow", lr_scale=0.2, **overrides):
    x, y, beta, null = problem
    config = make_config(get_check("kernel_rich"), {"n": 4, "d": 10, "alpha": 0.3, "solver": solver,
                                                     "lr_scale": lr_scale, "figure_sweep": False, **overrides})
    beta_inf = beta + shift * np.linalg.norm(beta) * null
    y_seen = y - residual * np.linalg.svd(x)[0][:, 0]
    arrays = {"X": x, "y": y_seen, "beta_star": np.zeros(10), "beta_inf": beta_inf, "t1": np.float64(1e3),
              "proven_fit_time": np.float64(2e3), "status": np.int32(dynamics.STATUS_STOPPED),
              "final_time": np.float64(5.0), "metric": np.full(10, 0.5) if metric is None else metric,
              "w_plus_final": np.ones(10), "w_minus_final": np.ones(10)}
    return kr.verdict(config, {"alpha": 0.3, "lr_scale": lr_scale}, arrays)


@pytest.mark.parametrize("shift, outcome", [(0.9e-6, "pass"), (1.2e-6, "fail")])
def test_flow_tolerance_is_1e_minus_6_relative(problem, shift, outcome):
    assert np.linalg.norm(problem[2]) < 0.5
    result = _verdict(problem, shift=shift)
    assert result.outcome == outcome, result.reason
    assert result.error == pytest.approx(shift, rel=1e-6) and result.tolerance == 1e-6
    if outcome == "fail":
        assert "‖β∞ − argmin Q‖/‖argmin Q‖" in result.reason


@pytest.mark.parametrize("shift, outcome", [(0.9 * 0.025 * 0.2, "pass"), (1.1 * 0.025 * 0.2, "fail")])
def test_gd_tolerance_is_0_025_lr_scale(problem, shift, outcome):
    result = _verdict(problem, shift=shift, solver="gd")
    assert result.tolerance == pytest.approx(0.025 * 0.2, rel=1e-15)
    assert result.outcome == outcome, result.reason


def test_the_remaining_motion_bound_by_hand(problem):
    x, y, beta, _ = problem
    metric = np.linspace(0.1, 2.0, 10)
    result = _verdict(problem, metric=metric, residual=1e-7)
    r = x @ beta - (y - 1e-7 * np.linalg.svd(x)[0][:, 0])
    m = np.diag(metric)
    expected = np.linalg.norm(m @ x.T @ np.linalg.inv(x @ m @ x.T) @ r)
    assert result.details["remaining_motion_bound"] == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("residual, outcome", [(0.5e-6, "pass"), (2e-6, "inconclusive")])
def test_an_unsettled_flow_is_inconclusive_with_the_remedy(problem, residual, outcome):
    """The metric 1 makes the motion ‖Xᵀ(XXᵀ)⁻¹r‖ = residual/σ₁ (r along the top left singular vector)."""
    sigma = np.linalg.svd(problem[0])[1][0]
    result = _verdict(problem, metric=np.ones(10), residual=residual * sigma)
    assert result.details["remaining_motion_bound"] == pytest.approx(residual, rel=1e-6)
    assert (result.outcome == "inconclusive") is (outcome == "inconclusive"), result.reason  # else decided
    if outcome == "inconclusive":
        assert "raise t1 to >= 2e+03" in result.reason and "β may still move" in result.reason
        gd = _verdict(problem, metric=np.ones(10), residual=2.0 * sigma, solver="gd")
        assert gd.outcome == "inconclusive" and "raise gd_steps" in gd.reason


def test_regularizer_depth_control_fails_on_the_comparison(problem):
    result = _verdict(problem, regularizer_depth=3)
    assert result.outcome == "fail" and "‖β∞ − argmin Q‖/‖argmin Q‖" in result.reason
    assert result.error > 100 * result.tolerance
