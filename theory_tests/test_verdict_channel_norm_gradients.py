"""Verdict tests of channel_norm_gradients on doctored arrays (issue 19): no simulation.

Synthetic records with the simulator's shapes: ‖∇_{c₁}L‖ exactly 1/a at every scale (claim A) and
the scalar chains' escape steps within 3% of k* = w₀^{2−D}/((D−2)η) (claim B); one entry is moved
just inside or just outside a band, on both sides."""

import math

import numpy as np
import pytest

from theorycheck import bounds
from theorycheck import get_check, make_config
from theorycheck.checks import channel_norm_gradients as cn

CHECK = get_check("channel_norm_gradients")
LR, SCALE, DEPTH = 0.05, 0.7, 8


def _config(**overrides):
    return make_config(CHECK, {"lr": LR, "kernel_scale": SCALE, "depth": DEPTH, **overrides})


def _k_star(depth, lr=LR):  # hand formula: w₀^{2−D}/((D−2)η)
    return 0.5 ** (2 - depth) / ((depth - 2) * lr)


def _arrays(exponent=-1.0):
    scales = np.array([1.0] + [SCALE * f for f in cn.SCALE_FACTORS])
    grad = 0.37 * scales[:, None] ** exponent * np.ones((1, cn.GD_STEPS + 1))
    steps = np.array([round(1.03 * _k_star(d)) for d in cn.CHAIN_DEPTHS])
    return {"scales": scales, "grad_c1": grad, "chain_steps": steps, "chain_diverged": np.zeros(3, dtype=bool)}


def _verdict(arrays, **overrides):
    config = _config(**overrides)
    return cn.verdict(config, {"lr": config.lr, "kernel_scale": config.kernel_scale}, arrays)


def test_synthetic_records_pass():
    result = _verdict(_arrays())
    assert result.outcome == "pass", result.reason
    assert result.error < 1e-15


def test_closed_forms_and_derived_tolerances():
    assert bounds.daiheckel19_escape_steps(0.5, 10, 0.05) == pytest.approx(640.0)  # 2⁸/(8·0.05)
    assert bounds.daiheckel19_escape_steps(0.5, 12, 0.01) == pytest.approx(10240.0)  # 2¹⁰/(10·0.01)
    assert cn.CHAIN_HORIZON == 20480
    assert cn.CHAIN_HORIZON > (1 + cn.CHAIN_TOLERANCE) * max(_k_star(d, cn.LR_LOW) for d in cn.CHAIN_DEPTHS)
    eps = np.finfo(np.float64).eps
    assert 16 * cn.N * cn.KERNEL_SIZE * eps < cn.TOLERANCE / 100  # D·n·k·ε at D = 16, 100x headroom
    assert cn.LR_HIGH < 2 / max(cn.CHAIN_DEPTHS)  # the chain's minimum is stable


@pytest.mark.parametrize("row", [1, 4])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_claim_a_just_inside_and_outside(row, sign):
    for target, outcome in ((0.5e-10, "pass"), (2e-10, "fail")):
        a = _arrays()
        a["grad_c1"][row, 0] *= 1.0 + sign * target
        result = _verdict(a)
        assert result.outcome == outcome, result.reason
        if outcome == "fail":
            assert "a·‖∇_{c₁}L‖ over kernel scales at initialisation" in result.reason
            assert "chain" not in result.reason
            assert result.error == pytest.approx(target, rel=1e-4)


def test_claim_a_reads_the_initial_record_only():
    a = _arrays()
    a["grad_c1"][2:, 3:] *= 1.5  # the GD copies drift (and blow up) later: a diagnostic
    a["grad_c1"][4, 6:] = np.inf
    result = _verdict(a)
    assert result.outcome == "pass", result.reason
    assert result.details["records_compared"] == 6  # the records before the a = 4·0.7 run blew up


def test_overflow_at_initialisation_is_inconclusive():
    a = _arrays()
    a["grad_c1"][4, 0] = np.inf
    result = _verdict(a)
    assert result.outcome == "inconclusive" and "overflowed" in result.reason and "lower kernel_scale" in result.reason


@pytest.mark.parametrize("index", [0, 2])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_claim_b_just_inside_and_outside(index, sign):
    depth = cn.CHAIN_DEPTHS[index]
    for factor, outcome in ((1 + sign * 0.09, "pass"), (1 + sign * 0.11, "fail")):
        a = _arrays()
        a["chain_steps"][index] = round(factor * _k_star(depth))
        result = _verdict(a)
        assert result.outcome == outcome, result.reason
        if outcome == "fail":
            assert f"the depth-{depth} chain took" in result.reason and "predicts within 10%" in result.reason
            assert result.details["chain_relative_error"][index] == pytest.approx(
                abs(a["chain_steps"][index] / _k_star(depth) - 1), rel=1e-9)


def test_a_chain_that_never_escaped_is_a_decided_failure():
    a = _arrays()
    a["chain_steps"][2] = -1  # not within the horizon of 2·k*(12, 0.01) >= 2·k*: more than 10% late
    result = _verdict(a)
    assert result.outcome == "fail", result.reason
    assert "the depth-12 chain did not reach loss" in result.reason and "raise" not in result.reason


def test_a_diverged_chain_is_inconclusive():
    a = _arrays()
    a["chain_steps"][1], a["chain_diverged"][1] = -1, True
    result = _verdict(a)
    assert result.outcome == "inconclusive", result.reason
    assert "diverged" in result.reason and "lower lr" in result.reason


def test_control_fails_on_claim_a_and_keeps_claim_b():
    control = {"channel_norm": False}
    assert control in CHECK.negative_controls
    a = _arrays(exponent=2 * DEPTH - 1)  # ‖∇_{c₁}L‖ ∝ a^{2D−1} without normalisation
    result = _verdict(a, **control)
    assert result.outcome == "fail"
    assert "a·‖∇_{c₁}L‖ over kernel scales" in result.reason and "chain" not in result.reason
    assert result.details["log_log_slope_grad_vs_scale"] == pytest.approx(2 * DEPTH - 1)
    expected = max(abs(s ** (2 * DEPTH) - 1) for s in a["scales"])
    assert result.error == pytest.approx(expected, rel=1e-12) and math.isfinite(result.error)


def test_an_undecidable_unreached_chain_is_inconclusive():
    # only below the range (data lr < LR_LOW, as a sweep's traced lr could be) is the horizon shorter
    # than 1.1·k*: then "not within the horizon" is "not yet", and the remedy is a larger lr
    a = _arrays()
    a["chain_steps"][2] = -1
    config = _config()
    result = cn.verdict(config, {"lr": 0.002, "kernel_scale": SCALE}, a)
    assert result.outcome == "inconclusive", result.reason
    assert "did not reach" in result.reason and "raise lr" in result.reason
