"""natural_gradient_invariance's verdict on doctored arrays: the slope band on both sides, the
asymptotic-regime (straddle) branch and its remedies, the damping floor against its formula,
round-off, divergence, rank loss, and the GD control failing on invariance. No simulation."""

import numpy as np
import pytest

from theorycheck import get_check, make_config
from theorycheck.checks import natural_gradient_invariance as ngi

N, STEPS = 8, 10


def _case(distances, *, optimizer="ng", lr=0.1, damping=0.0, ladder=None, sigma=0.03, y_scale=0.5):
    distances = np.asarray(distances, dtype=float)
    ladder = ladder or distances.size
    config = make_config(get_check("natural_gradient_invariance"),
                         {"lr": lr, "damping": damping, "optimizer": optimizer, "ladder": ladder, "steps": STEPS,
                          "n": N, "compare": False})
    rng = np.random.default_rng(0)
    y = y_scale * rng.normal(size=N)
    f_w = np.broadcast_to(np.linspace(0.0, 1.0, STEPS + 1)[None, :, None] * y, (ladder, STEPS + 1, N)).copy()
    f_v = f_w.copy()
    f_v[:, STEPS // 2, :] += distances[:, None]  # rms over the data = the distance, at one record
    f_v[:, STEPS // 3, :] += 0.5 * distances[:, None]  # a smaller one elsewhere: the max picks the first
    arrays = {"y": y, f"{optimizer}_w": f_w, f"{optimizer}_v": f_v,
              "sigma_min_w": np.array([sigma, sigma]), "sigma_min_v": np.array([sigma, sigma])}
    return config, {"lr": lr, "damping": damping}, arrays


def _slopes(s, k=4, top=1e-2):
    """Distances with the given pair slopes (a list, or one repeated)."""
    s = [s] * (k - 1) if np.isscalar(s) else list(s)
    return top * 2.0 ** -np.concatenate([[0.0], np.cumsum(s)])


def _verdict(case):
    return ngi.verdict(*case)


def test_exact_first_order_passes_with_zero_error():
    result = _verdict(_case(_slopes(1.0)))
    assert result.outcome == "pass", result.reason
    assert result.error == pytest.approx(0.0, abs=1e-12)
    assert result.details["distances"] == pytest.approx(list(_slopes(1.0)), rel=1e-12)
    assert result.details["richardson_limit"] == pytest.approx(0.0, abs=1e-15)


@pytest.mark.parametrize("slope, outcome", [(1.24, "pass"), (1.26, "fail"), (0.76, "pass"), (0.74, "fail")])
def test_slope_band_on_both_sides(slope, outcome):
    result = _verdict(_case(_slopes(slope)))
    assert result.outcome == outcome, result.reason
    assert result.error == pytest.approx(abs(slope - 1), rel=1e-9)
    if outcome == "fail":
        assert "not invariant" in result.reason and "slope" in result.reason


@pytest.mark.parametrize("last, previous, outcome", [
    (1.1, 1.24, "pass"),  # range [0.96, 1.24]
    (1.1, 1.26, "inconclusive"),  # range [0.94, 1.26]: straddles 1.25
    (0.6, 0.74, "fail"),  # range [0.46, 0.74]: outside
    (0.6, 0.76, "inconclusive"),  # range [0.44, 0.76]: straddles 0.75
    (0.05, 0.2, "fail"),
    (0.9, 0.74, "inconclusive"),  # approached from below: range [0.74, 1.06]
    (0.9, 0.76, "pass"),  # range [0.76, 1.04]
])
def test_the_slope_correction_widens_the_range(last, previous, outcome):
    result = _verdict(_case(_slopes([1.5, previous, last])))
    assert result.outcome == outcome, result.reason
    assert result.details["slope_correction"] == pytest.approx(abs(previous - last), rel=1e-9)
    if outcome == "inconclusive":
        assert "not yet asymptotic" in result.reason and "lower lr to <= 0.025" in result.reason
    if outcome == "fail":
        assert "not invariant" in result.reason


@pytest.mark.parametrize("lr, ladder, remedy", [(0.05, 4, "raise ladder to >= 6"), (0.05, 5, "raise ladder to >= 6"),
                                                (0.05, 6, "lower lr to 0.02"), (0.02, 6, "no remedy inside")])
def test_straddle_remedies_stay_inside_the_ranges(lr, ladder, remedy):
    slopes = [1.5] * (ladder - 4) + [1.5, 1.26, 1.1]
    result = _verdict(_case(_slopes(slopes, k=ladder), lr=lr))
    assert result.outcome == "inconclusive" and remedy in result.reason, result.reason


def test_the_gd_control_fails_on_invariance_with_a_positive_limit():
    d = 0.05 * (1 + np.array([0.2, 0.1, 0.05, 0.025]))  # D → 0.05 > 0 as η → 0
    result = _verdict(_case(d, optimizer="gd", damping=1e-9))  # damping is not GD's: no floor
    assert result.outcome == "fail" and "not invariant" in result.reason
    assert result.details["richardson_limit"] == pytest.approx(0.05, rel=1e-9)
    assert result.details["richardson_limit_relative"] > 0.9
    assert result.details["damping_floor"] == 0.0


def test_damping_floor_formula_and_its_threshold():
    d = _slopes(1.0)
    case = _case(d, damping=1e-9)
    config, data, arrays = case
    r0 = np.sqrt(np.mean(arrays["y"] ** 2))  # f_w(0) = 0
    expected = 0.1 * STEPS * N * 1e-9 * (2 / 0.03) * r0
    assert ngi.damping_floor(config, data, arrays) == pytest.approx(expected, rel=1e-12)
    # σ_min chosen so that the floor is 0.04 / 0.06 of D(η_min)
    for share, outcome in ((0.04, "pass"), (0.06, "inconclusive")):
        sigma = 0.1 * STEPS * N * 1e-9 * 2 * r0 / (share * d[-1])
        result = _verdict(_case(d, damping=1e-9, sigma=sigma))
        assert result.outcome == outcome, result.reason
        assert result.details["damping_floor"] == pytest.approx(share * d[-1], rel=1e-9)
        if outcome == "inconclusive":
            target = 0.05 * d[-1] * 1e-9 / (share * d[-1])
            assert f"lower damping to <= {target:.2g}" in result.reason


def test_no_damping_no_floor():
    assert _verdict(_case(_slopes(1.0), sigma=1e-12)).details["damping_floor"] == 0.0


def test_roundoff_is_inconclusive():
    result = _verdict(_case(_slopes(1.0, top=1e-12)))
    assert result.outcome == "inconclusive" and "round-off" in result.reason
    assert "raise steps to >= 20" in result.reason


def test_a_diverged_rung_is_inconclusive():
    case = _case(_slopes(1.0))
    case[2]["ng_v"][0, 3, 0] = np.nan
    result = _verdict(case)
    assert result.outcome == "inconclusive" and "diverged" in result.reason and "lower lr to <= 0.025" in result.reason


def test_rank_loss_is_inconclusive():
    result = _verdict(_case(_slopes(1.0), sigma=0.0))
    assert result.outcome == "inconclusive" and "full row rank" in result.reason


def test_distances_take_the_sup_over_records_and_the_rms_over_data():
    f_w = np.zeros((2, 3, 4))
    f_v = f_w.copy()
    f_v[0, 1] = [1.0, -1.0, 1.0, -1.0]
    f_v[1, 2, 0] = 2.0
    np.testing.assert_allclose(ngi.distances(f_w, f_v), [1.0, 1.0])
