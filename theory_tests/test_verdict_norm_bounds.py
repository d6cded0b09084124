"""norm_bounds' verdict on doctored arrays (no simulation): every criterion on both sides of its band.

**Statement.** The verdict passes iff (b) every conv layer has |‖T(w)‖_F − √P‖w‖_F| <= tol·√P‖w‖_F
with tol = min over layers of ((P + 1)|w|/2 + 3)ε, (the operator the net applies) ‖conv(h) − Th‖ <=
2·9·c_in·ε‖T‖‖h‖, and (a) gap <= bound for the MLP and the conv net; a non-finite or diverged run is
inconclusive.
"""

import numpy as np
import pytest

from theorycheck import bounds, get_check, make_config
from theorycheck.checks import norm_bounds as nb

CHECK = get_check("norm_bounds")
CONFIG = make_config(CHECK, {"steps": 100, "samples": 128, "width": 16, "channels": 2})
DATA = {"lr": 0.1, "init_scale": 1.0}
EPS = np.finfo(np.float64).eps


def _arrays(padding="circular", seed=0, scale=(1.0, 1.0)):
    """Synthetic trained nets; the probe outputs are T(w)h, with T optionally scaled by (1 + δ_l)."""
    rng = np.random.default_rng(seed)
    build = bounds.circular_conv_operator if padding == "circular" else bounds.zero_padded_conv_operator
    a = {"input_radius": np.asarray(12.0), "input_rms": np.asarray(8.0), "n_test": np.asarray(449)}
    for name, shapes in (("mlp", [(64, 16), (16, 16), (16, 10)]), ("conv", [(3, 3, 1, 2), (3, 3, 2, 2), (128, 10)])):
        for i, shape in enumerate(shapes):
            a[f"{name}_w{i}"] = rng.standard_normal(shape) / np.sqrt(np.prod(shape[:-1]))
        a[f"{name}_norms"] = np.ones((11, 3))
        a[f"{name}_train"], a[f"{name}_test"] = np.linspace(1.0, 0.3, 11), np.linspace(1.0, 0.5, 11)
        a[f"{name}_diverged"], a[f"{name}_train_error"], a[f"{name}_test_error"] = np.asarray(False), 0.1, 0.2
    h = rng.standard_normal((nb.PROBE, 64))
    for i in range(2):
        T = scale[i] * build(a[f"conv_w{i}"], nb.IMAGE)
        a[f"probe_in{i}"], a[f"probe_out{i}"] = h, h @ T.T
        h = np.maximum(h @ T.T, 0.0)
    return a


def _verdict(arrays, config=CONFIG, monkeypatch=None, scale=(1.0, 1.0)):
    if monkeypatch is not None:  # the operator the net applies is T scaled by (1 + δ_l): ‖T‖ = (1 + δ)√P‖w‖
        real = nb._operator(config)
        shapes = {arrays[f"conv_w{i}"].shape: s for i, s in enumerate(scale)}
        monkeypatch.setattr(nb, "_operator", lambda c: lambda w, image: shapes[w.shape] * real(w, image))
    return nb.verdict(config, DATA, arrays)


def _tolerances():
    return [((64 + 1) * n / 2 + 3) * EPS for n in (3 * 3 * 1 * 2, 3 * 3 * 2 * 2)]


def test_synthetic_nets_pass():
    result = _verdict(_arrays())
    assert result.outcome == "pass", result.reason
    assert result.tolerance == pytest.approx(min(_tolerances()), rel=1e-15)
    assert result.tolerance == pytest.approx(((65 * 18) / 2 + 3) * EPS)  # 588ε: the first layer's count


@pytest.mark.parametrize("sign", [1.0, -1.0])
@pytest.mark.parametrize("factor, outcome", [(0.9, "pass"), (1.1, "fail")])
def test_relation_band_on_the_second_layer_against_the_narrowest_tolerance(monkeypatch, sign, factor, outcome):
    """Only layer 1 deviates, by ±factor × the narrowest (layer 0's) tolerance: the worst layer and the
    narrowest tolerance decide, above or below √P‖w‖."""
    scale = (1.0, 1.0 + sign * factor * min(_tolerances()))
    result = _verdict(_arrays(scale=scale), monkeypatch=monkeypatch, scale=scale)
    assert result.outcome == outcome, result.reason
    if outcome == "fail":
        assert "|‖T(w)‖_F − √P‖w‖_F|" in result.reason


@pytest.mark.parametrize("layer", [0, 1])
@pytest.mark.parametrize("factor, outcome", [(0.9, "pass"), (1.1, "fail")])
def test_operator_mismatch_band_per_layer(layer, factor, outcome):
    arrays = _arrays()
    T = bounds.circular_conv_operator(arrays[f"conv_w{layer}"], nb.IMAGE)
    h = arrays[f"probe_in{layer}"]
    limit = 2 * 9 * arrays[f"conv_w{layer}"].shape[2] * EPS
    e = np.zeros_like(arrays[f"probe_out{layer}"])
    e[0, 0] = factor * limit * np.linalg.norm(T) * np.linalg.norm(h)
    arrays[f"probe_out{layer}"] = arrays[f"probe_out{layer}"] + e
    result = _verdict(arrays)
    assert result.outcome == outcome, result.reason
    if outcome == "fail":
        assert f"T(w) of conv layer {layer} does not reproduce the net's conv" in result.reason


@pytest.mark.parametrize("net", ["mlp", "conv"])
@pytest.mark.parametrize("factor, outcome", [(0.99, "pass"), (1.01, "fail")])
def test_generalisation_bound_band_per_net(net, factor, outcome):
    arrays = _arrays()
    bound = _verdict(arrays).details[f"{net}_bound"]
    arrays[f"{net}_test"] = arrays[f"{net}_test"].copy()
    arrays[f"{net}_test"][-1] = arrays[f"{net}_train"][-1] + factor * bound
    result = _verdict(arrays)
    assert result.outcome == outcome, result.reason
    if outcome == "fail":
        assert f"{net}: the generalisation gap" in result.reason and "exceeds the bound" in result.reason


def test_bound_is_the_sum_of_its_parts():
    arrays = _arrays()
    result = _verdict(arrays)
    rho = np.prod([np.linalg.norm(arrays[f"mlp_w{i}"]) for i in range(3)])
    part = bounds.square_loss_gap_bound(rho, input_radius=12.0, input_rms=8.0, depth=3, n=128, classes=10, delta=0.025)
    expected = part.bound + part.loss_range * np.sqrt(np.log(1 / 0.025) / (2 * 449))  # Hoeffding at δ/2
    assert result.details["mlp_bound"] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("key", ["mlp_w1", "conv_test", "conv_diverged", "mlp_diverged"])
def test_non_finite_or_diverged_runs_are_inconclusive(key):
    arrays = _arrays()
    if key.endswith("diverged"):
        arrays[key] = np.asarray(True)
    else:
        arrays[key] = arrays[key].copy()
        arrays[key].flat[-1] = np.nan
    result = _verdict(arrays)
    assert result.outcome == "inconclusive" and "lower lr or init_scale" in result.reason


def test_control_zero_padding_fails_on_the_relation_not_the_operator_or_the_bound():
    config = make_config(CHECK, {"steps": 100, "samples": 128, "width": 16, "channels": 2, "padding": "zero"})
    result = nb.verdict(config, DATA, _arrays(padding="zero"))
    assert result.outcome == "fail" and result.reason.startswith("max relative |‖T(w)‖_F − √P‖w‖_F|")
    assert "does not reproduce" not in result.reason and "exceeds the bound" not in result.reason
    assert result.error > 1e10 * result.tolerance


def test_conv_closed_forms_by_hand():
    w = np.ones((3, 3, 1, 1))
    assert bounds.conv_operator_frobenius_norm(w, 64) == pytest.approx(24.0)  # √64·3
    assert np.linalg.norm(bounds.circular_conv_operator(w, (8, 8))) == pytest.approx(24.0)
    # zero padding drops the taps outside the 8 × 8 image: 64·9 − (4 edges·8·3 − 4 corners·1) = 484 ones
    assert np.linalg.norm(bounds.zero_padded_conv_operator(w, (8, 8))) == pytest.approx(np.sqrt(484))
    assert bounds.hoeffding_deviation(4.0, 8, 0.5) == pytest.approx(4.0 * np.sqrt(np.log(2) / 16))
