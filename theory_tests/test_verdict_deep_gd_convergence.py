"""deep_gd_convergence's verdict on doctored arrays (no simulation): residuals decaying at a known
rate, Gram matrices whose relative drift scales as m^a·H^b exactly; then one thing changed — the
rate bound just inside/outside its slack, each slope just inside/outside its edge (decided and
within 3 SE), a singular Gram, a loss still falling, a divergence."""

import numpy as np
import pytest

from theorycheck._check import FAIL, INCONCLUSIVE, PASS
from theorycheck.checks import deep_gd_convergence as dg

STEPS, R = 200, 4
WIDTHS, DEPTHS = (64, 128, 256), (2, 4, 8)


def _series(points, drift, noise, rate=0.1, lam_h=0.01, lr=0.1):
    rng = np.random.default_rng(len(points))
    k = np.arange(STEPS + 1)
    r0 = np.linspace(-1.0, 1.0, dg.N)
    res = np.broadcast_to(r0 * ((1 - rate) ** k)[:, None], (len(points), R, STEPS + 1, dg.N)).copy()
    g0 = np.broadcast_to(np.eye(dg.N) + 0.1, (len(points), R, dg.N, dg.N)).copy()
    e = np.zeros((dg.N, dg.N))
    e[0, 0] = 1.0
    factors = 1.0 + noise * np.array([-1.5, -0.5, 0.5, 1.5])  # replicate spread with known mean 1
    gt = g0 + np.array([[d * f * e for f in factors] for d in drift])
    gh = np.broadcast_to(lam_h * np.eye(dg.N), g0.shape).copy()
    return {"residuals": res, "gram_initial": g0, "gram_final": gt, "gram_last_layer": gh,
            "lr": np.full((len(points), R), lr), "diverged_at": np.full((len(points), R), -1)}


def _arrays(width_exponent=-1.0, depth_exponent=0.0, noise=0.0, **kwargs):
    norm = np.linalg.norm(np.eye(dg.N) + 0.1, 2)  # ‖G(0)‖₂: the drift below is relative to it
    w = _series(WIDTHS, [0.1 * norm * (m / 64) ** width_exponent for m in WIDTHS], noise, **kwargs)
    d = _series(DEPTHS, [0.1 * norm * (h / 2) ** depth_exponent for h in DEPTHS], noise, **kwargs)
    out = {"x": np.zeros((dg.N, dg.D)), "y": np.zeros(dg.N)}
    out.update({f"w_{k}": v for k, v in w.items()})
    out.update({f"d_{k}": v for k, v in d.items()})
    return out


def _verdict(arrays, **config):
    config = dg.DeepGdConvergenceConfig(**{"steps": STEPS, "replicates": R, "widths": WIDTHS, "depths": DEPTHS, **config})
    return dg.verdict(config, {"lr_fraction": config.lr_fraction}, arrays)


def test_synthetic_run_passes_with_its_slopes():
    result = _verdict(_arrays())
    assert result.outcome == PASS, result.reason
    assert result.details["slope_width"] == pytest.approx(-1.0, abs=1e-9)
    assert result.details["slope_depth"] == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("excess, outcome", [(0.5e-9, PASS), (2e-9, FAIL)])
def test_rate_bound_slack(excess, outcome):
    arrays = _arrays(rate=0.1)
    res = arrays["d_residuals"]
    k = 5
    bound = 0.5 * np.sum(res[1, 2, 0] ** 2) * (1 - 0.1 * 0.01 / 2) ** k
    res[1, 2, k] *= np.sqrt((1 + excess) * bound / (0.5 * np.sum(res[1, 2, k] ** 2)))
    result = _verdict(arrays)
    assert result.outcome == outcome, result.reason
    assert result.error == pytest.approx(excess, abs=1e-12)
    if outcome == FAIL:
        assert "rate: max over runs and k of L(k)/((1 − ηλ_H/2)^k L(0)) − 1" in result.reason


@pytest.mark.parametrize("exponent, outcome", [(-0.36, PASS), (-0.30, FAIL)])
def test_width_slope_edge(exponent, outcome):
    result = _verdict(_arrays(width_exponent=exponent))
    assert result.outcome == outcome, result.reason
    if outcome == FAIL:
        assert "width: log-log slope of the relative Gram drift against width" in result.reason


@pytest.mark.parametrize("exponent, outcome", [(0.49, PASS), (0.55, FAIL), (1.3, FAIL)])
def test_depth_slope_edge(exponent, outcome):
    result = _verdict(_arrays(depth_exponent=exponent))
    assert result.outcome == outcome, result.reason
    if outcome == FAIL:
        assert "depth: log-log slope of the relative Gram drift against depth" in result.reason


def test_depth_slope_within_three_standard_errors_is_inconclusive():
    result = _verdict(_arrays(depth_exponent=0.6, noise=0.1))
    assert result.outcome == INCONCLUSIVE, result.reason
    assert "depth: log-log slope" in result.reason and "raise replicates to >= " in result.reason
    assert 0.0 < result.details["slope_se_depth"] < np.inf


def test_width_slope_within_three_standard_errors_is_inconclusive():
    result = _verdict(_arrays(width_exponent=-0.25, noise=0.4))
    assert result.outcome == INCONCLUSIVE and "width: log-log slope" in result.reason, result.reason


def test_not_converged_names_the_steps():
    result = _verdict(_arrays(rate=0.02))  # L ratio 0.98^400 ≈ 3e-4 > 1e-4 after 200 steps
    assert result.outcome == INCONCLUSIVE, result.reason
    assert "not converged" in result.reason and "raise steps to >= " in result.reason
    needed = int(result.reason.split("raise steps to >= ")[1].split()[0].rstrip(";"))
    assert needed == pytest.approx(STEPS + np.log(dg.ZERO_LOSS / 0.98 ** (2 * STEPS)) / np.log(0.98**2), abs=2)


def test_singular_gram_is_inconclusive():
    arrays = _arrays()
    arrays["w_gram_initial"][0, 0] = np.ones((dg.N, dg.N))  # rank one: λ_min = 0
    result = _verdict(arrays)
    assert result.outcome == INCONCLUSIVE and "the Gram matrix is singular" in result.reason, result.reason
    assert "duplicate_inputs=false" in result.reason


def test_divergence_fails():
    arrays = _arrays()
    arrays["d_diverged_at"][2, 1] = 17
    arrays["d_residuals"][2, 1, 17:] = np.inf
    result = _verdict(arrays)
    assert result.outcome == FAIL and "GD diverged" in result.reason, result.reason


def test_config_needs_three_distinct_values():
    with pytest.raises(ValueError, match="widths"):
        dg.DeepGdConvergenceConfig(widths=(64, 64, 128)).validate()
    with pytest.raises(ValueError, match="depths"):
        dg.DeepGdConvergenceConfig(depths=(2, 4, 4)).validate()


def test_stalled_loss_names_a_smaller_lr_fraction():
    arrays = _arrays(rate=0.02)
    arrays["w_residuals"][0, 0, 150:] = arrays["w_residuals"][0, 0, 150]  # flat over the last 20%
    result = _verdict(arrays, lr_fraction=0.9)
    assert result.outcome == INCONCLUSIVE and "lower lr_fraction to 0.45" in result.reason, result.reason
