"""gd_global_convergence's verdict on doctored arrays (no simulation): residuals that follow the
linear prediction (I − ηH∞)^k r(0) up to a (1 − a/√m) factor, Gram matrices and movements that scale
exactly as m^(−1/2); then one thing changed — the rate bound just inside and outside its slack, a
slope just inside and outside the band on each side, the linearisation trend, a plateau, a
divergence, the pre-asymptotic widths, a loss still falling — and the closed forms by hand."""

import math

import numpy as np
import pytest

from theorycheck import bounds
from theorycheck._check import FAIL, INCONCLUSIVE, PASS
from theorycheck.checks import gd_global_convergence as gg

LR, STEPS, REPLICATES = 1.0, 600, 4


def _x(duplicate=False):
    rng = np.random.default_rng(7)
    x = rng.normal(size=(gg.N, gg.D))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    if duplicate:
        x[-1] = x[0]
    return x


def _arrays(widths=(1024, 2048, 4096), exponents=(-0.5, -0.5, -0.5), steps=STEPS, lr=LR, duplicate=False):
    x = _x(duplicate)
    y = np.random.default_rng(8).normal(size=gg.N)
    gram = bounds.du19_gram_infinite(x)
    r0 = -y
    lin = bounds.linearized_gd_residuals(gram, r0, lr, steps)
    rng = np.random.default_rng(9)
    e, f = rng.normal(size=(2, gg.N, gg.N))
    e, f = e + e.T, f + f.T
    res, g0, gt, mv = [], [], [], []
    for m in widths:
        scale = (m / 1024) ** -0.5
        r = lin * (1 - 0.1 * scale)
        r[0] = r0
        res.append(np.broadcast_to(r, (REPLICATES, *r.shape)))
        g0.append(np.broadcast_to(gram + 0.3 * e * (m / 1024) ** exponents[0], (REPLICATES, gg.N, gg.N)))
        gt.append(g0[-1] + 0.3 * f * (m / 1024) ** exponents[1])
        mv.append(np.full(REPLICATES, 0.2 * (m / 1024) ** exponents[2]))
    return {"x": x, "y": y, "residuals": np.array(res), "gram_initial": np.array(g0), "gram_final": np.array(gt),
            "max_movement": np.array(mv), "diverged_at": np.full((len(widths), REPLICATES), -1)}


def _verdict(arrays, widths=(1024, 2048, 4096), lr=LR, steps=STEPS, duplicate=False):
    config = gg.GdGlobalConvergenceConfig(widths=tuple(widths), lr=lr, steps=steps, duplicate_inputs=duplicate)
    return gg.verdict(config, {"lr": lr}, arrays)


def test_closed_forms_by_hand():
    x = np.array([[1.0, 0.0], [0.5, math.sqrt(0.75)], [0.0, 1.0]])
    # H∞_ij = x_iᵀx_j(π − arccos x_iᵀx_j)/(2π): 1/2 on the diagonal, 1/6 at 60°, √3/2·5/12 at 30°, 0 at 90°
    c = math.sqrt(0.75) * 5 / 12
    np.testing.assert_allclose(bounds.du19_gram_infinite(x), [[0.5, 1 / 6, 0], [1 / 6, 0.5, c], [0, c, 0.5]], atol=1e-15)
    np.testing.assert_allclose(bounds.du19_loss_bound(0.2, 0.5, 3.0, 2), [3.0, 2.85, 2.7075])  # 3·0.95^k
    np.testing.assert_allclose(bounds.linearized_gd_residuals(np.diag([0.5, 1.0]), [1.0, 2.0], 0.4, 2),
                               [[1, 2], [0.8, 1.2], [0.64, 0.72]])


def test_synthetic_run_passes_with_the_fitted_exponents():
    result = _verdict(_arrays())
    assert result.outcome == PASS, result.reason
    for name in ("gram_concentration", "gram_drift", "weight_movement", "linearization_deviation"):
        assert result.details[f"slope_{name}"] == pytest.approx(-0.5, abs=1e-6)
    assert result.tolerance == 1e-9


@pytest.mark.parametrize("excess, outcome", [(0.5e-9, PASS), (2e-9, FAIL)])
def test_rate_bound_slack_at_one_step_of_the_smallest_claimed_width(excess, outcome):
    arrays = _arrays()
    x = arrays["x"]
    lam0 = np.linalg.eigvalsh(bounds.du19_gram_infinite(x))[0]
    r = arrays["residuals"].copy()
    loss0 = 0.5 * np.sum(r[0, 1, 0] ** 2)
    k = 37
    target = (1 + excess) * loss0 * (1 - LR * lam0 / 2) ** k  # L(k) at the bound·(1 + excess)
    r[0, 1, k] *= math.sqrt(target / (0.5 * np.sum(r[0, 1, k] ** 2)))
    arrays["residuals"] = r
    result = _verdict(arrays)
    assert result.outcome == outcome, result.reason
    assert result.error == pytest.approx(excess, abs=1e-12)
    if outcome == FAIL:
        assert "L(k)/((1 − ηλ₀/2)^k L(0)) − 1" in result.reason


@pytest.mark.parametrize("name, index", [("gram concentration", 0), ("gram drift", 1), ("weight movement", 2)])
@pytest.mark.parametrize("exponent, outcome", [(-0.66, FAIL), (-0.64, PASS), (-0.36, PASS), (-0.34, FAIL)])
def test_each_slope_band_both_sides(name, index, exponent, outcome):
    exponents = [-0.5, -0.5, -0.5]
    exponents[index] = exponent
    result = _verdict(_arrays(exponents=exponents))
    assert result.outcome == outcome, result.reason
    if outcome == FAIL:
        assert f"log-log slope of {name} against width" in result.reason


def test_pre_asymptotic_widths_are_inconclusive_not_a_slope_failure():
    widths = (16, 2048, 4096)
    arrays = _arrays(widths=widths)
    arrays["max_movement"][0] *= 8.0  # width 16 off the m^(−1/2) line (the reviewer's −0.66)
    result = _verdict(arrays, widths=widths)
    assert result.outcome == INCONCLUSIVE and "widths too small for the asymptotic rate" in result.reason, result.reason
    assert "1024,2048,4096" in result.reason
    # with three widths >= 1024 the small width is left out of the fit: decided
    widths = (16, 1024, 2048, 4096)
    arrays = _arrays(widths=widths)
    arrays["max_movement"][0] *= 8.0
    assert _verdict(arrays, widths=widths).outcome == PASS


def test_linearisation_must_improve_with_width():
    arrays = _arrays()
    lin = bounds.linearized_gd_residuals(bounds.du19_gram_infinite(arrays["x"]), -arrays["y"], LR, STEPS)
    for i, m in enumerate((1024, 2048, 4096)):
        r = lin * (1 - 0.01 * (m / 1024) ** 0.5)  # the deviation grows with m
        r[0] = -arrays["y"]
        arrays["residuals"][i] = r
    result = _verdict(arrays)
    assert result.outcome == FAIL and "does not approach (I − ηH∞)^k r(0)" in result.reason, result.reason


def test_a_plateau_of_the_worst_replicate_at_the_largest_width_fails():
    arrays = _arrays()
    r = arrays["residuals"].copy()
    r[-1, 2, 10:] = r[-1, 2, 10]  # one replicate stalls from step 10
    arrays["residuals"] = r
    result = _verdict(arrays)
    assert result.outcome == FAIL and "plateaus" in result.reason and "GD does not reach zero loss" in result.reason


def test_duplicate_inputs_control_fails_on_the_plateau():
    arrays = _arrays(duplicate=True)
    r = arrays["residuals"].copy()
    r[:, :, 1:] = np.maximum(np.abs(r[:, :, 1:]), 0.0)  # the linear prediction of a λ₀ = 0 Gram: a plateau
    result = _verdict(arrays, duplicate=True)
    assert abs(result.details["lambda0"]) < 1e-12
    assert result.outcome == FAIL and "plateaus" in result.reason and "two inputs are parallel" in result.reason, result.reason


def test_divergence_fails_at_a_claimed_width_only():
    arrays = _arrays()
    arrays["diverged_at"][1, 0] = 5
    r = arrays["residuals"].copy()
    r[1, 0, 6:] = np.nan
    arrays["residuals"] = r
    result = _verdict(arrays)
    assert result.outcome == FAIL and "GD diverged at step 5 at width 2048" in result.reason, result.reason
    widths = (16, 1024, 2048, 4096)
    arrays = _arrays(widths=widths)
    arrays["diverged_at"][0, 0] = 5  # width 16: nothing is claimed there
    r = arrays["residuals"].copy()
    r[0, 0, 6:] = np.nan
    arrays["residuals"] = r
    result = _verdict(arrays, widths=widths)
    assert "diverged" not in result.reason, result.reason


def test_loss_still_falling_is_inconclusive_with_the_steps_needed():
    steps = 60
    result = _verdict(_arrays(steps=steps), steps=steps)
    assert result.outcome == INCONCLUSIVE and "still falling" in result.reason, result.reason
    losses = result.arrays["losses"][-1]
    last = losses[np.argmax(losses[:, -1] / losses[:, 0])]
    start = int(0.8 * steps)
    per_step = (last[-1] / last[start]) ** (1 / (steps - start))
    needed = steps + math.ceil(math.log(1e-6 / (last[-1] / last[0])) / math.log(per_step))
    assert f"raise steps to >= {needed}" in result.reason


def test_a_decided_rate_violation_is_not_hidden_by_an_undecided_criterion():
    steps = 60
    arrays = _arrays(steps=steps)
    lam0 = np.linalg.eigvalsh(bounds.du19_gram_infinite(arrays["x"]))[0]
    r = arrays["residuals"]
    bound = 0.5 * np.sum(r[0, 0, 0] ** 2) * (1 - LR * lam0 / 2) ** 10
    r[0, 0, 10] *= math.sqrt(1.5 * bound / (0.5 * np.sum(r[0, 0, 10] ** 2)))  # decided above the bound
    result = _verdict(arrays, steps=steps)
    assert result.outcome == FAIL and "L(k)/((1 − ηλ₀/2)^k L(0)) − 1 0.5 >" in result.reason, result.reason


def test_slope_standard_error_by_hand():
    """x = log m over 1024/2048/4096: c = (−1, 0, 1)/(2 ln 2); replicates (1, 3) at the first width
    (mean 2, variance 2: var log ȳ = 2/(2·4) = 1/4), none spread at the last: SE = ½/(2 ln 2)."""
    values = np.array([[1.0, 3.0], [5.0, 7.0], [2.0, 2.0]])
    c = 1 / (2 * math.log(2))
    middle = 0.0  # its c is 0: its spread does not enter
    assert gg._slope_se((1024, 2048, 4096), values) == pytest.approx(math.sqrt(c**2 * 0.25 + middle))
    assert math.isnan(gg._slope_se((1024, 2048, 4096), values[:, :1]))  # one replicate: no spread to read
    assert math.isnan(gg._slope_se((1024, 2048, 4096), -values))


@pytest.mark.parametrize("spread, outcome", [(0.3, INCONCLUSIVE), (0.05, INCONCLUSIVE), (0.001, FAIL)])
def test_a_slope_outside_the_band_fails_only_beyond_three_standard_errors(spread, outcome):
    """Weight movement at m^−0.70 (0.05 outside the band): with replicates spread ±30% its slope's
    SE is ≈ 0.18 and the run cannot tell −0.70 from −0.65 (inconclusive, raise replicates); with
    ±0.1% it can (fail)."""
    arrays = _arrays(exponents=(-0.5, -0.5, -0.70))
    factors = 1 + spread * np.array([-1.0, 1.0, -1.0, 1.0])
    arrays["max_movement"] = arrays["max_movement"] * factors[None, :]
    result = _verdict(arrays)
    se = gg._slope_se((1024, 2048, 4096), arrays["max_movement"])
    assert result.details["slope_se_weight_movement"] == pytest.approx(se)
    assert result.outcome == outcome, result.reason
    assert "weight movement" in result.reason
    if outcome == INCONCLUSIVE:
        assert "raise replicates" in result.reason
        if spread == 0.05:  # SE ≈ 0.029: 4·(3·SE/0.05)² + 1 replicates would decide it, inside the range
            needed = math.ceil(4 * (3 * se / 0.05) ** 2) + 1
            assert f"raise replicates to >= {needed}" in result.reason and needed <= 64
    else:
        assert "standard errors" in result.reason
