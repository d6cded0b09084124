"""The central_flow verdict on doctored arrays: every criterion just inside and just outside its
band, every inconclusive branch, each control failing for the loss criterion (no simulation)."""

import dataclasses

import numpy as np
import pytest

from theorycheck import get_check, make_config
from theorycheck.checks import central_flow as cf

LR = 0.1
STEPS, EVERY = 6000, 10
CROSS, PERIOD, WIDTH, BASE, HEIGHT = 1000, 300, 10, 0.1, 1.0
SHARE = HEIGHT * WIDTH / PERIOD  # the spikes' contribution to GD's averaged loss


def _config(**overrides):
    return make_config(get_check("central_flow"), {"steps": STEPS, "every": EVERY, **overrides})


def _arrays(scale=1.0, ratio=0.1, height=HEIGHT, spikes_until=STEPS):
    """GD: loss BASE plus spikes of HEIGHT for WIDTH steps every PERIOD steps from the crossing;
    the flow predicts ``scale`` × GD's exact average (L = scale·BASE, σ²/η = scale·spike share)."""
    t = np.arange(STEPS)
    spiking = (t >= CROSS) & (t < spikes_until) & ((t - CROSS) % PERIOD < WIDTH)
    gd_losses = BASE + height * spiking
    records = STEPS // EVERY + 1
    rs = np.arange(records) * EVERY
    sharp = np.stack([np.where(rs >= CROSS, 20.0, 10.0), np.full(records, 5.0)], axis=1)
    share = height * WIDTH / PERIOD
    scale = np.broadcast_to(np.asarray(scale, float), (records,))
    return {
        "gd_losses": gd_losses, "gd_sharpness": sharp, "gd_diverged": np.array(False), "gd_diverged_at": np.array(-1),
        "gf_losses": np.full(records, 0.6 * BASE), "gf_sharpness": np.linspace(10, 60, records), "gf_status": np.array(0),
        "dist_gf": np.ones(records),
        "flow_losses": scale * BASE, "flow_predicted": scale * (BASE + share),
        "flow_sigma_trace": np.where(rs >= CROSS, scale * share * LR, 0.0),
        "flow_sigma_top": np.where(rs >= CROSS, scale * share * LR, 0.0),
        "flow_eigenvalues": np.stack([sharp[:, 0], np.full(records, 5.0)], axis=1),
        "flow_lanczos_residuals": np.zeros((records, 2)), "flow_num_critical": (rs >= CROSS).astype(int),
        "flow_diverged": np.array(False), "dist_flow": np.full(records, ratio),
        "displacement_u": np.where(rs >= CROSS, share * LR, 0.0),
    }


def _verdict(arrays, **overrides):
    return cf.verdict(_config(**overrides), {"lr": LR}, arrays)


def _fixed_before_record(value_before, value_after, step):
    records = STEPS // EVERY + 1
    return np.where(np.arange(records) * EVERY < step, value_before, value_after)


def test_exact_prediction_passes_and_the_window_is_three_measured_periods():
    result = _verdict(_arrays())
    assert result.outcome == "pass", result.reason
    assert result.details["period"] == PERIOD and result.details["window"] == 3 * PERIOD
    assert result.details["crossing_step"] == CROSS
    assert result.error == pytest.approx(0.0, abs=1e-12)
    assert result.details["sigma_share"] == pytest.approx(SHARE / (BASE + SHARE))
    assert result.details["tracking_ratio"] == pytest.approx(0.1)
    assert result.details["variance_ratio"] == pytest.approx(1.0)


@pytest.mark.parametrize("error, outcome", [(0.049, "pass"), (0.051, "fail"), (-0.049, "pass"), (-0.051, "fail")])
def test_loss_median_band_on_both_sides(error, outcome):
    # the prediction c·avg gives |avg − c·avg|/(c·avg) = |1/c − 1| = |error|
    scale = 1.0 / (1.0 + error)
    result = _verdict(_arrays(scale=scale))
    assert result.outcome == outcome, result.reason
    assert result.error == pytest.approx(abs(error), rel=1e-6)
    if outcome == "fail":
        assert "loss" in result.reason and "median" in result.reason
        assert "tracking" not in result.reason


@pytest.mark.parametrize("bad, outcome", [(0.099, "pass"), (0.101, "fail")])
def test_loss_p90_band(bad, outcome):
    # the median stays exact; 16% of the EoS records (window fully past step 4500) miss by `bad`
    scale = _fixed_before_record(1.0, 1.0 / (1.0 + bad), 4500)
    result = _verdict(_arrays(scale=scale))
    assert result.outcome == outcome, result.reason
    assert result.error < 0.01
    if outcome == "fail":
        assert "90th percentile" in result.reason and "tracking" not in result.reason


@pytest.mark.parametrize("ratio, outcome", [(0.249, "pass"), (0.251, "fail")])
def test_tracking_band(ratio, outcome):
    result = _verdict(_arrays(ratio=ratio))
    assert result.outcome == outcome, result.reason
    if outcome == "fail":
        assert "tracking" in result.reason and "loss" not in result.reason


def test_tracking_uses_only_the_eos_window():
    # far from GD before the window (records < crossing + W) does not count
    arrays = _arrays()
    arrays["dist_flow"] = _fixed_before_record(0.9, 0.1, CROSS + 3 * PERIOD)
    assert _verdict(arrays).outcome == "pass"


def test_sigma_term_control_fails_for_the_loss():
    result = _verdict(_arrays(), sigma_term=False)
    assert result.outcome == "fail"
    assert "L alone" in result.reason and "loss" in result.reason and "tracking" not in result.reason
    assert result.error == pytest.approx(SHARE / BASE, rel=1e-6)


def test_gradient_flow_control_fails_for_the_loss():
    arrays = _arrays()
    records = STEPS // EVERY + 1
    arrays.update(flow_losses=arrays["gf_losses"], flow_predicted=arrays["gf_losses"], flow_sigma_trace=np.zeros(records),
                  flow_sigma_top=np.zeros(records), dist_flow=arrays["dist_gf"])
    result = _verdict(arrays, flow="gradient")
    assert result.outcome == "fail"
    assert "gradient flow's L alone" in result.reason and "tracking" in result.reason


def test_no_crossing_is_inconclusive_with_steps_remedy():
    arrays = _arrays()
    arrays["gd_sharpness"][:, 0] = 15.0
    result = _verdict(arrays)
    assert result.outcome == "inconclusive" and "never reached 2/η" in result.reason and "steps to >= 30000" in result.reason


def test_start_beyond_the_edge_is_inconclusive():
    arrays = _arrays()
    arrays["gd_sharpness"][:, 0] = 21.0
    result = _verdict(arrays)
    assert result.outcome == "inconclusive" and "already at or above 2/η" in result.reason and "lr=" in result.reason


def test_too_few_spikes_is_inconclusive():
    result = _verdict(_arrays(spikes_until=CROSS + 3 * PERIOD - 1))  # 3 onsets
    assert result.outcome == "inconclusive" and "fewer than 4" in result.reason
    assert "raise steps to >=" in result.reason


def test_four_spikes_suffice_to_measure_the_period():
    out = cf.central_flow_verdict(_config(), LR, _arrays(spikes_until=CROSS + 3 * PERIOD + 1))
    assert out["spikes"] == 4 and out["period"] == PERIOD


def test_lambda2_arrival_ends_the_window_and_a_short_phase_is_inconclusive():
    arrays = _arrays()
    arrays["gd_sharpness"][:, 1] = _fixed_before_record(5.0, 19.5, 2500)  # 1.95/η exactly: arrived
    result = _verdict(arrays)
    assert result.outcome == "inconclusive"
    assert "λ₂" in result.reason and "less than one window" in result.reason and "lower lr to 0.08" in result.reason
    gelu = _verdict(arrays, architecture="gelu")
    assert "set architecture=tanh and lr=0.1" in gelu.reason
    arrays["gd_sharpness"][:, 1] = _fixed_before_record(5.0, 19.49, 2500)  # just below: not arrived
    assert _verdict(arrays).outcome == "pass"


def test_lambda2_cut_excludes_a_late_miss():
    arrays = _arrays(scale=_fixed_before_record(1.0, 1.0 / 1.3, 4500))  # misses by 30% from step 4500
    assert _verdict(arrays).outcome == "fail"
    arrays["gd_sharpness"][:, 1] = _fixed_before_record(5.0, 20.0, 4600)
    result = _verdict(arrays)
    assert result.outcome == "pass", result.reason
    assert result.details["end_step"] == 4600 and result.details["lambda2_arrived"]


def test_short_horizon_is_inconclusive_with_a_number():
    config = make_config(get_check("central_flow"), {"steps": 2500, "every": EVERY})
    arrays = _arrays()
    records = 2500 // EVERY + 1
    short = {k: (v[:records] if np.ndim(v) and np.shape(v)[0] == STEPS // EVERY + 1 else v) for k, v in arrays.items()}
    short["gd_losses"] = arrays["gd_losses"][:2500]
    result = cf.verdict(config, {"lr": LR}, short)
    assert result.outcome == "inconclusive" and "less than one window" in result.reason
    assert "raise steps to >= 4000" in result.reason


def test_unconverged_flow_eigenpairs_are_inconclusive():
    arrays = _arrays()
    arrays["flow_lanczos_residuals"][300, 0] = 1.01e-3 * 20.0
    result = _verdict(arrays)
    assert result.outcome == "inconclusive" and "lanczos_iterations to 20" in result.reason
    arrays["flow_lanczos_residuals"][300, 0] = 0.99e-3 * 20.0
    assert _verdict(arrays).outcome == "pass"


@pytest.mark.parametrize("height, outcome", [(0.5, "pass"), (0.3, "inconclusive")])
def test_a_small_sigma_share_cannot_separate_the_claim_from_its_alternative(height, outcome):
    # share = h·W/P / (BASE + h·W/P): 0.143 for h = 0.5, 0.091 for h = 0.3 (< 2·LOSS_TOL = 0.1)
    result = _verdict(_arrays(height=height))
    assert result.outcome == outcome, result.reason
    if outcome == "inconclusive":
        assert "cannot separate" in result.reason


def test_flow_overflow_and_solver_failure_are_inconclusive():
    arrays = _arrays()
    arrays["flow_predicted"] = arrays["flow_predicted"].copy()
    arrays["flow_predicted"][-1] = np.nan
    assert "dt=0.25" in _verdict(arrays).reason
    arrays = _arrays()
    arrays["gf_status"] = np.array(3)
    result = _verdict(arrays)
    assert result.outcome == "inconclusive" and "max_steps" in result.reason


def test_gd_divergence_fails_from_below_the_edge_and_is_inconclusive_from_above():
    arrays = _arrays()
    arrays.update(gd_diverged=np.array(True), gd_diverged_at=np.array(4000))
    result = _verdict(arrays)
    assert result.outcome == "fail" and "diverged at step 4000" in result.reason
    arrays["gd_sharpness"][0, 0] = 25.0
    result = _verdict(arrays)
    assert result.outcome == "inconclusive" and "lower lr below 0.08" in result.reason


def test_running_median_and_onsets_by_hand():
    losses = np.full(2000, 1.0)
    losses[[500, 501, 540, 1200]] = 2.0  # 540 merges with 500 (within 50 steps)
    onsets = cf.spike_onsets(losses, 0, 2000)
    assert onsets.tolist() == [500, 1200]
    assert cf.spike_onsets(losses, 600, 2000).tolist() == [1200]
    losses[1500] = 1.49  # below 1.5× the running median: not a spike
    assert cf.spike_onsets(losses, 0, 2000).tolist() == [500, 1200]
    assert np.allclose(cf.window_mean(np.arange(10.0), 3)[1:-1], np.arange(1.0, 9.0))


def test_config_rejects_every_not_dividing_steps():
    with pytest.raises(ValueError, match="every"):
        make_config(get_check("central_flow"), {"steps": 1000, "every": 30})


def test_controls_are_declared():
    check = get_check("central_flow")
    assert {"flow": "gradient"} in check.negative_controls and {"sigma_term": False} in check.negative_controls
    assert dataclasses.is_dataclass(check.config_type)


def test_the_median_not_the_best_record_decides():
    # 71% of the EoS records (window fully past step 2500) miss by 7%: median 0.07 > 0.05 while the
    # best records are exact and the 90th percentile (0.07) stays inside 2·LOSS_TOL
    result = _verdict(_arrays(scale=_fixed_before_record(1.0, 1.0 / 1.07, 2500)))
    assert result.outcome == "fail" and "median 0.07" in result.reason and "90th" not in result.reason


def test_tanh_above_its_validated_step_size_is_rejected_naming_lr():
    with pytest.raises(ValueError, match="'lr'.*architecture=gelu"):
        make_config(get_check("central_flow"), {"lr": 0.12})
    assert make_config(get_check("central_flow"), {"lr": 0.11}).lr == 0.11
    assert make_config(get_check("central_flow"), {"lr": 0.2, "architecture": "gelu"}).lr == 0.2
