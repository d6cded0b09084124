"""Verdict tests of bn_scale_invariance on doctored arrays (issue 19): no simulation.

A synthetic trajectory with the simulator's shapes satisfies every identity to rounding: each
step is orthogonal to its unit (‖w_{t+1}‖² = (1−ηλ)²‖w_t‖² + ‖ηg_t‖²), the off-span part decays as
(1−ηλ)^t, the residual cosine is at rounding level. One array is then changed by an amount that
puts one criterion just inside (½·1e-12) or just outside (2·1e-12) the tolerance, on both sides."""

import dataclasses

import numpy as np
import pytest

from theorycheck import get_check, make_config
from theorycheck.checks import bn_scale_invariance as bn

T, UNITS, D = 12, 3, bn.D_IN
LR, WD = 0.5, 0.04
CHECK = get_check("bn_scale_invariance")


def _config(**overrides):
    return make_config(CHECK, {"steps": T, "lr": LR, "weight_decay": WD, **overrides})


def _data(config):
    return {"lr": config.lr, "weight_decay": config.weight_decay}


def _arrays(wrs=False, seed=0):
    rng = np.random.default_rng(seed)
    decay = 1.0 - LR * WD
    w = np.empty((T + 1, UNITS, D))
    w[0] = rng.standard_normal((UNITS, D))
    if wrs:
        w[0] /= np.linalg.norm(w[0], axis=1, keepdims=True)
    for t in range(T):
        g = rng.standard_normal((UNITS, D))
        g -= np.sum(g * w[t], axis=1, keepdims=True) / np.sum(w[t] ** 2, axis=1, keepdims=True) * w[t]
        w[t + 1] = decay * w[t] - 0.1 * g
        if wrs:
            w[t + 1] /= np.linalg.norm(w[t + 1], axis=1, keepdims=True)
    off0 = rng.standard_normal((UNITS, D))
    if wrs:  # P_⊥w_t ∥ P_⊥w_0: a per-unit positive factor
        off = np.cumprod(np.full((T + 1, UNITS), 0.97), axis=0)[:, :, None] * off0[None]
    else:
        off = decay ** np.arange(T + 1)[:, None, None] * off0[None]
    return {
        "x": np.zeros((bn.N, D)), "y": np.zeros(bn.N), "readout": np.ones(bn.WIDTH), "w": w, "w_off_span": off,
        "residual_cosine": 1e-16 * rng.standard_normal((T + 1, UNITS)), "losses": np.linspace(1.0, 0.5, T),
        "diverged": np.array(False),
    }


def _verdict(arrays, **overrides):
    config = _config(**overrides)
    return bn.verdict(config, _data(config), arrays)


def test_synthetic_trajectory_passes_at_rounding_level():
    for wrs in (False, True):
        result = _verdict(_arrays(wrs=wrs), wrs=wrs)
        assert result.outcome == "pass", result.reason
        assert result.error < 1e-14


def test_tolerance_is_the_derived_rounding_budget():
    eps = np.finfo(np.float64).eps
    assert 4 * 1000 * eps <= bn.TOLERANCE < 10 * 4 * 1000 * eps  # 4ε per step over T ≤ 1000 steps
    assert 3 * bn.D_IN * eps < bn.TOLERANCE and bn.N * bn.D_IN * eps < bn.TOLERANCE
    assert dataclasses.fields(bn.BnScaleInvarianceConfig)[4].metadata["high"] == 1000


def _norm_error(w, lr, wd):  # independent: ‖w_{t+1}‖² − (1−ηλ)²‖w_t‖² − ‖(1−ηλ)w_t − w_{t+1}‖², relative
    decay = 1.0 - lr * wd
    out = []
    for t in range(w.shape[0] - 1):
        for u in range(w.shape[1]):
            a, b = w[t, u], w[t + 1, u]
            out.append(abs(b @ b - decay**2 * (a @ a) - (decay * a - b) @ (decay * a - b)) / (b @ b))
    return max(out)


def _with_norm_error(target, sign):
    """Adds a component along w_t to w_{t+1} (t = 5, unit 1): the step then has a radial part and
    the norm identity is off by 2(1−ηλ)|⟨w_t, c·ŵ_t⟩|/‖w_{t+1}‖² = ``target``."""
    a = _arrays()
    wt, wn = a["w"][5, 1], a["w"][6, 1]
    c = sign * target * (wn @ wn) / (2 * (1 - LR * WD) * np.linalg.norm(wt))
    a["w"][6, 1] = wn - c * wt / np.linalg.norm(wt)  # c > 0: a step with an outward radial part
    return a


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_norm_identity_just_inside_and_outside(sign):
    inside, outside = _with_norm_error(0.5e-12, sign), _with_norm_error(2e-12, sign)
    assert 0.3e-12 < _norm_error(inside["w"], LR, WD) < 0.7e-12
    assert 1.7e-12 < _norm_error(outside["w"], LR, WD) < 2.3e-12
    assert _verdict(inside).outcome == "pass"
    result = _verdict(outside)
    assert result.outcome == "fail"
    assert "‖w_{t+1}‖²" in result.reason and "batch norm" in result.reason
    assert "P_⊥" not in result.reason and "⟨w, ∇L⟩" not in result.reason
    assert result.details["error_norm"] == pytest.approx(_norm_error(outside["w"], LR, WD), rel=1e-3)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_residual_cosine_just_inside_and_outside(sign):
    a = _arrays()
    a["residual_cosine"][7, 2] = sign * 0.5e-12
    assert _verdict(a).outcome == "pass"
    a["residual_cosine"][7, 2] = sign * 2e-12
    result = _verdict(a)
    assert result.outcome == "fail" and "⟨w, ∇L⟩" in result.reason and "‖w_{t+1}‖²" not in result.reason
    assert result.details["error_residual"] == pytest.approx(2e-12)


def _span_scale(a):
    return np.max(np.linalg.norm(a["w"], axis=(1, 2)))


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_span_just_inside_and_outside(sign):
    for target, outcome in ((0.5e-12, "pass"), (2e-12, "fail")):
        a = _arrays()
        a["w_off_span"][4, 0, 3] += sign * target * _span_scale(a)  # one entry of one record moved off
        result = _verdict(a)
        assert result.outcome == outcome, result.reason
        if outcome == "fail":
            assert "P_⊥W_t = (1−ηλ)^t P_⊥W_0" in result.reason and "batch norm" not in result.reason
            assert result.details["error_span"] == pytest.approx(target, rel=1e-3)


def test_span_uses_the_decay_factor_of_each_step():
    a = _arrays()
    a["w_off_span"] = a["w_off_span"][:1].repeat(T + 1, axis=0)  # no decay: wrong by (1 − (1−ηλ)^t)
    result = _verdict(a)
    assert result.outcome == "fail" and "P_⊥W_t" in result.reason


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_wrs_unit_norm_just_inside_and_outside(sign):
    for target, outcome in ((0.5e-12, "pass"), (2e-12, "fail")):
        a = _arrays(wrs=True)
        a["w"][-1, 0] *= 1.0 + sign * target
        result = _verdict(a, wrs=True)
        assert result.outcome == outcome, result.reason
        if outcome == "fail":
            assert "|‖w_t‖ − 1| (WRS)" in result.reason
            assert result.details["error_norm"] == pytest.approx(target, rel=1e-3)


def test_wrs_span_direction():
    a = _arrays(wrs=True)
    u = a["w_off_span"][0, 1] / np.linalg.norm(a["w_off_span"][0, 1])
    perp = np.zeros(D)
    perp[0] = 1.0
    perp -= (perp @ u) * u
    perp /= np.linalg.norm(perp)
    scale = _span_scale(a)
    a["w_off_span"][9, 1] += 0.5e-12 * scale * perp
    assert _verdict(a, wrs=True).outcome == "pass"
    a["w_off_span"][9, 1] += 1.5e-12 * scale * perp
    result = _verdict(a, wrs=True)
    assert result.outcome == "fail" and "P_⊥w_t ∥ P_⊥w_0 under WRS" in result.reason


def test_diverged_run_is_inconclusive_with_the_remedy():
    a = _arrays()
    a["diverged"] = np.array(True)
    a["w"][-3:] = np.nan
    result = _verdict(a)
    assert result.outcome == "inconclusive" and "diverged" in result.reason and "lower lr" in result.reason


@pytest.mark.parametrize("where", ["unit", "gradient"])
def test_collapse_to_zero_is_inconclusive(where):
    a = _arrays()
    if where == "unit":
        a["w"][-1, 2] = 0.0  # ‖w‖ = 0: the relative norm error is 0/0
    else:
        a["residual_cosine"][-1, 0] = np.nan  # ∇L = 0: the cosine is 0/0
    result = _verdict(a)
    assert result.outcome == "inconclusive", result.reason
    assert "collapsed to zero" in result.reason and "lower weight_decay" in result.reason


def _broken(kind):
    """Arrays shaped like each control's run: the criterion its broken hypothesis breaks is O(1)-off."""
    a = _arrays()
    rng = np.random.default_rng(5)
    if kind in ("batch_norm", "momentum"):  # a step with a radial part: the norm identity breaks
        a["w"][1:] *= 1.0 + 0.01 * rng.random((T, UNITS, 1))
    if kind == "batch_norm":
        a["residual_cosine"] = 0.3 * rng.standard_normal((T + 1, UNITS))
    if kind == "adam":  # per-coordinate scaling: the off-span part moves
        a["w_off_span"][1:] += 1e-3 * rng.standard_normal((T, UNITS, D))
    return a


@pytest.mark.parametrize("control, broken, intact", [
    ({"batch_norm": False}, ["‖w_{t+1}‖²", "⟨w, ∇L⟩"], ["P_⊥"]),
    ({"optimizer": "adam"}, ["P_⊥W_t"], ["‖w_{t+1}‖²", "⟨w, ∇L⟩"]),
    ({"optimizer": "momentum"}, ["‖w_{t+1}‖²"], ["P_⊥", "⟨w, ∇L⟩"]),
])
def test_controls_fail_on_the_criterion_they_break(control, broken, intact):
    assert control in CHECK.negative_controls
    result = _verdict(_broken(next(iter(control.values())) if "optimizer" in control else "batch_norm"), **control)
    assert result.outcome == "fail"
    assert all(b in result.reason for b in broken), result.reason
    assert not any(i in result.reason for i in intact), result.reason


def test_one_step_cannot_be_asked_for():
    with pytest.raises(ValueError, match="steps"):
        make_config(CHECK, {"steps": 1, "optimizer": "momentum"})
