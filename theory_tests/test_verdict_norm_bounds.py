"""norm_bounds' verdict on doctored arrays (no simulation): every criterion on both sides of its band.

**Statement.** The verdict passes iff (b) every conv layer has |‖T(w)‖_F − √P‖w‖_F| <= tol·√P‖w‖_F
with tol = min over layers of ((P + 1)|w|/2 + 3)ε (locally connected: ‖T‖_F = ‖w‖_F to (|w| + 3)ε),
(the operator the net applies) ‖conv(h) − Th‖ <= 2·9·c_in·ε‖T‖‖h‖, (a) gap <= dense bound for the
MLP and the conv net, (c) gap <= kernel-norm bound for the conv net, and (d) the factor
Π‖T_l‖_F/max_j‖w_l,j‖_F equals Π√P_l = 64 to Σ_l ((P + 1)|w_l|/2 + 3)ε + ε; a non-finite or
diverged run is inconclusive.
"""

import math

import numpy as np
import pytest

from theorycheck import bounds, get_check, make_config
from theorycheck.checks import norm_bounds as nb

CHECK = get_check("norm_bounds")
CONFIG = make_config(CHECK, {"steps": 100, "samples": 128, "width": 16, "channels": 2})
DATA = {"lr": 0.1, "init_scale": 1.0}
EPS = np.finfo(np.float64).eps


LOCAL = make_config(CHECK, {"steps": 100, "samples": 128, "width": 16, "channels": 2, "weight_sharing": False})


def _arrays(padding="circular", seed=0, scale=(1.0, 1.0), shared=True, spread=1.0):
    """Synthetic trained nets; the probe outputs are T(w)h, with T optionally scaled by (1 + δ_l).
    ``shared=False``: locally connected layers, position p's kernel scaled by spread**(p/63)
    (``spread=1``: every position has the same kernel norm)."""
    rng = np.random.default_rng(seed)
    if shared:
        build = bounds.circular_conv_operator if padding == "circular" else bounds.zero_padded_conv_operator
    else:
        build = lambda w, image: bounds.locally_connected_operator(w, image, padding)  # noqa: E731
    a = {"input_radius": np.asarray(12.0), "input_rms": np.asarray(8.0), "n_test": np.asarray(449),
         "patch_radius": np.asarray(6.0), "patch_rms": np.asarray(3.0)}
    spatial = () if shared else nb.IMAGE
    for name, shapes in (("mlp", [(64, 16), (16, 16), (16, 10)]),
                         ("conv", [(*spatial, 3, 3, 1, 2), (*spatial, 3, 3, 2, 2), (128, 10)])):
        for i, shape in enumerate(shapes):
            a[f"{name}_w{i}"] = rng.standard_normal(shape) / np.sqrt(np.prod(shape[-4:-1] if i < 2 else shape[:-1]))
        a[f"{name}_norms"] = np.ones((11, 3))
        a[f"{name}_train"], a[f"{name}_test"] = np.linspace(1.0, 0.3, 11), np.linspace(1.0, 0.5, 11)
        a[f"{name}_diverged"], a[f"{name}_train_error"], a[f"{name}_test_error"] = np.asarray(False), 0.1, 0.2
    if not shared:
        for i in range(2):
            a[f"conv_w{i}"] = a[f"conv_w{i}"] * (spread ** (np.arange(64) / 63)).reshape(8, 8, 1, 1, 1, 1)
    a["conv_filters"] = np.ones((11, 2))
    h = rng.standard_normal((nb.PROBE, 64))
    for i in range(2):
        T = scale[i] * build(a[f"conv_w{i}"], nb.IMAGE)
        a[f"probe_in{i}"], a[f"probe_out{i}"] = h, h @ T.T
        h = np.maximum(h @ T.T, 0.0)
    return a


def _verdict(arrays, config=CONFIG, monkeypatch=None, scale=(1.0, 1.0)):
    if monkeypatch is not None and scale is not None:  # the operator the net applies is T scaled by (1 + δ_l): ‖T‖ = (1 + δ)√P‖w‖
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
    """The dense bound; the patch norms inflated so that the conv net's kernel-norm bound lies above it."""
    arrays = _arrays()
    arrays["patch_radius"], arrays["patch_rms"] = np.asarray(1e3), np.asarray(1e3)
    assert _verdict(arrays).details["conv_kernel_bound"] > 10 * _verdict(arrays).details["conv_bound"]
    bound = _verdict(arrays).details[f"{net}_bound"]
    arrays[f"{net}_test"] = arrays[f"{net}_test"].copy()
    arrays[f"{net}_test"][-1] = arrays[f"{net}_train"][-1] + factor * bound
    result = _verdict(arrays)
    assert result.outcome == outcome, result.reason
    if outcome == "fail":
        assert f"{net}: the generalisation gap" in result.reason and "exceeds the bound" in result.reason


@pytest.mark.parametrize("factor, outcome", [(0.99, "pass"), (1.01, "fail")])
def test_kernel_norm_bound_band(factor, outcome):
    """(c): the conv net's gap against the kernel-norm bound, which lies below the dense one (which holds)."""
    arrays = _arrays()
    details = _verdict(arrays).details
    assert details["conv_kernel_bound"] < details["conv_bound"] / 2
    arrays["conv_test"] = arrays["conv_test"].copy()
    arrays["conv_test"][-1] = arrays["conv_train"][-1] + factor * details["conv_kernel_bound"]
    result = _verdict(arrays)
    assert result.outcome == outcome, result.reason
    if outcome == "fail":
        assert result.reason.startswith("conv: the generalisation gap") and "exceeds the kernel-norm bound" in result.reason


def test_kernel_norm_bound_is_the_sum_of_its_parts():
    """ρ_k = Π_l max_j‖w_l,j‖·‖W_out‖ (shared: the kernel norms), patch norms, degrees (9, 64), δ/2 + Hoeffding δ/2."""
    arrays = _arrays()
    result = _verdict(arrays)
    rho = np.linalg.norm(arrays["conv_w0"]) * np.linalg.norm(arrays["conv_w1"]) * np.linalg.norm(arrays["conv_w2"])
    assert result.details["conv_kernel_rho"] == pytest.approx(rho, rel=1e-13)
    part = bounds.square_loss_gap_bound(rho, input_radius=6.0, input_rms=3.0, depth=3, n=128, classes=10, delta=0.025,
                                        degrees=(9, 64))
    assert part.loss_range == (part.rho_grid * 24 * 6.0 + 1) ** 2  # a = r·√(9·64)·B_patch
    expected = part.bound + part.loss_range * np.sqrt(np.log(1 / 0.025) / (2 * 449))
    assert result.details["conv_kernel_bound"] == pytest.approx(expected, rel=1e-12)
    # the dense bound of the same net takes ρ_d = 64ρ_k (the Toeplitz norms), B_x and no degrees
    assert result.details["conv_rho"] == pytest.approx(64 * rho, rel=1e-13)
    assert result.details["conv_rademacher_ratio"] == pytest.approx(result.details["conv_rademacher_ratio_predicted"],
                                                                     rel=1e-12)


def _factor_deviation(delta):
    """The relative deviation of Π_l ‖T_l‖/max_p‖T_l,p‖ from 64 when one position's filter of one layer is
    scaled by (1 + δ), every other filter keeping the kernel norm: 1 − √(1 + ((1 + δ)² − 1)/64)/(1 + δ)."""
    return 1.0 - math.sqrt(1.0 + ((1.0 + delta) ** 2 - 1.0) / 64) / (1.0 + delta)


@pytest.mark.parametrize("layer", [0, 1])
@pytest.mark.parametrize("factor, outcome", [(0.9, "pass"), (1.1, "fail")])
def test_factor_band_one_neuron_filter_enlarged(monkeypatch, layer, factor, outcome):
    """(d): the neurons at position 0 of one layer apply their filter scaled by (1 + δ), δ chosen so that
    the factor deviates by factor × its tolerance; ‖T‖ moves by only ~δ/64, inside (b)'s tolerance."""
    arrays = _arrays()
    tolerance = _verdict(arrays).details["conv_factor_tolerance"]
    assert tolerance == pytest.approx((588 + (65 * 18 + 3) + 1) * EPS, rel=1e-12)  # Σ_l ((P+1)|w_l|/2 + 3)ε + ε
    target = factor * tolerance
    low, high = 0.0, 1e-6  # bisection for δ: _factor_deviation increases with δ
    for _ in range(200):
        mid = (low + high) / 2
        low, high = (mid, high) if _factor_deviation(mid) < target else (low, mid)
    delta = (low + high) / 2
    real = nb._operator(CONFIG)

    def operator(config):
        def build(w, image):
            T = real(w, image)
            if w.shape == arrays[f"conv_w{layer}"].shape:
                T = T.copy()
                T[: w.shape[-1]] *= 1.0 + delta  # the c_out rows of position 0
            return T
        return build

    h = arrays[f"probe_in{layer}"]
    arrays[f"probe_out{layer}"] = h @ operator(CONFIG)(arrays[f"conv_w{layer}"], nb.IMAGE).T
    if layer == 0:
        arrays["probe_in1"] = np.maximum(arrays["probe_out0"], 0.0)
        arrays["probe_out1"] = arrays["probe_in1"] @ real(arrays["conv_w1"], nb.IMAGE).T
    monkeypatch.setattr(nb, "_operator", operator)
    result = nb.verdict(CONFIG, DATA, arrays)
    assert result.details["conv_factor_deviation"] == pytest.approx(target, rel=0.05)
    assert result.outcome == outcome, result.reason
    if outcome == "fail":
        assert result.reason.startswith("the factor ρ_dense/ρ_kernel") and "is not Π√P_l = 64" in result.reason


def test_control_locally_connected_fails_on_the_factor_only():
    """Locally connected layers whose P kernel norms spread by 1.5x: (b) in its locally connected form, the
    operator and all three bounds hold; the factor is below 64 by the spread of the filter norms."""
    arrays = _arrays(shared=False, spread=1.5)
    result = nb.verdict(LOCAL, DATA, arrays)
    assert result.outcome == "fail", result.reason
    assert result.reason.startswith("the factor ρ_dense/ρ_kernel") and "does not reproduce" not in result.reason
    assert "exceeds" not in result.reason and "|‖T‖_F − √(Σ_p‖w_p‖²)|" not in result.reason
    assert result.error <= result.tolerance == pytest.approx((9 * 2 * 64 + 3) * EPS)  # (b): both sums of P|w| squares
    filters = [np.sqrt(np.sum(arrays[f"conv_w{i}"] ** 2, axis=(2, 3, 4, 5))) for i in range(2)]
    expected = np.prod([np.linalg.norm(f) / f.max() for f in filters])  # √(Σ_p‖w_p‖²)/max_p‖w_p‖ per layer
    assert result.details["conv_factor"] == pytest.approx(expected, rel=1e-12) and expected < 0.9 * 64


def test_locally_connected_with_equal_filter_norms_passes():
    """The factor is about the filter norms, not the sharing of values: P different kernels of one norm give 64."""
    arrays = _arrays(shared=False)
    for i in range(2):
        w = arrays[f"conv_w{i}"]
        arrays[f"conv_w{i}"] = w / np.sqrt(np.sum(w**2, axis=(2, 3, 4, 5), keepdims=True))
    h = arrays["probe_in0"]
    for i in range(2):
        T = bounds.locally_connected_operator(arrays[f"conv_w{i}"], nb.IMAGE)
        arrays[f"probe_in{i}"], arrays[f"probe_out{i}"] = h, h @ T.T
        h = np.maximum(h @ T.T, 0.0)
    result = nb.verdict(LOCAL, DATA, arrays)
    assert result.outcome == "pass", result.reason
    assert abs(result.details["conv_factor"] - 64) <= result.details["conv_factor_tolerance"] * 64


def test_bound_is_the_sum_of_its_parts():
    arrays = _arrays()
    result = _verdict(arrays)
    rho = np.prod([np.linalg.norm(arrays[f"mlp_w{i}"]) for i in range(3)])
    part = bounds.square_loss_gap_bound(rho, input_radius=12.0, input_rms=8.0, depth=3, n=128, classes=10, delta=0.025)
    expected = part.bound + part.loss_range * np.sqrt(np.log(1 / 0.025) / (2 * 449))  # Hoeffding at δ/2
    assert result.details["mlp_bound"] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("key", ["mlp_w1", "conv_test", "conv_diverged", "mlp_diverged", "patch_rms"])
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
    assert "does not reproduce" not in result.reason and "exceeds" not in result.reason
    assert result.error > 1e10 * result.tolerance
    # the truncated boundary filters also break the factor: the interior filters keep the kernel norm
    assert "is not Π√P_l = 64" in result.reason
    assert result.details["conv_factor"] == pytest.approx(64 * np.prod([result.details[f"layer{i}_norm_ratio"]
                                                                        for i in range(2)]), rel=1e-12)


def test_conv_closed_forms_by_hand():
    w = np.ones((3, 3, 1, 1))
    assert bounds.conv_operator_frobenius_norm(w, 64) == pytest.approx(24.0)  # √64·3
    assert np.linalg.norm(bounds.circular_conv_operator(w, (8, 8))) == pytest.approx(24.0)
    # zero padding drops the taps outside the 8 × 8 image: 64·9 − (4 edges·8·3 − 4 corners·1) = 484 ones
    assert np.linalg.norm(bounds.zero_padded_conv_operator(w, (8, 8))) == pytest.approx(np.sqrt(484))
    assert bounds.hoeffding_deviation(4.0, 8, 0.5) == pytest.approx(4.0 * np.sqrt(np.log(2) / 16))
