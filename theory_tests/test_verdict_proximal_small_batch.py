"""proximal_small_batch's verdict on doctored arrays: the variance criterion and its agreement with
the closed form on both sides, the rate criterion on both sides, the inconclusive branches (inner
problem unsolved, too short a fall, divergence) and the control, with no simulation."""

import numpy as np
import pytest

from theorycheck import bounds, get_check, make_config
from theorycheck.checks import proximal_small_batch as psb

N, D = psb.SAMPLES, psb.DIM


def _data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(N, D))
    y = x @ (rng.normal(size=D) / np.sqrt(D)) + 0.01 * rng.normal(size=N)
    return x, y


def _curve(rate, floor, steps, start=1.0):
    """Exactly exp(−rate·t) until it reaches ``floor``, then flat: the fit window is pure exponential."""
    t = np.arange(psb.RECORDS + 1) * (steps // psb.RECORDS)
    return np.maximum(start * np.exp(-rate * t), floor)


def _case(*, gamma=0.02, lr=0.02, steps=2000, inner_steps=200, replicates=64, rate_sgd=0.02, rate_ratio=0.85,
          floor=1e-6, prox_scale=1.0, sgd_scale=1.0, inner_error=0.0, **changes):
    config = make_config(get_check("proximal_small_batch"), {"gamma": gamma, "lr": lr, "steps": steps,
                                                             "inner_steps": inner_steps, "replicates": replicates})
    x, y = _data()
    w0 = np.zeros(D)
    sq = np.sum(x**2, axis=1)
    h = 1.0 / (sq.max() + (0.0 if np.isinf(gamma) else 1.0 / gamma))
    scale = 1.0 / sq if np.isinf(gamma) else gamma / (1.0 + gamma * sq)
    residual = x @ w0 - y
    prox = -(scale * residual)[:, None] * x * (1 + inner_error)
    sgd = -lr * x * residual[:, None]
    arrays = {
        "x": x, "y": y, "w0": w0, "inner_learning_rate": np.float64(h),
        "grad_prox": np.tile(_curve(rate_sgd * rate_ratio, floor, steps), (replicates, 1)),
        "grad_sgd": np.tile(_curve(rate_sgd, floor, steps), (replicates, 1)),
        "diverged": np.bool_(False),
        "updates_prox": prox * prox_scale, "updates_sgd": sgd * sgd_scale,
        "sweep_prox": np.zeros((len(psb.SWEEP_SIZES), 4, D)), "sweep_sgd": np.zeros((len(psb.SWEEP_SIZES), 4, D)),
    }
    arrays.update(changes)
    return psb.verdict(config, {"gamma": gamma, "lr": lr}, arrays)


def test_the_default_shape_passes_with_the_closed_form_ratio():
    result = _case()
    assert result.outcome == "pass", result.reason
    x, y = _data()
    v_sgd, v_prox = bounds.single_sample_update_variances(x, y, np.zeros(D), 0.02, 0.02)
    assert result.measured == pytest.approx(v_prox / v_sgd, rel=1e-12) and result.measured < 1
    assert result.details["rate_ratio"] == pytest.approx(0.85, rel=1e-9)


@pytest.mark.parametrize("margin, outcome", [(0.99, "pass"), (1.01, "fail")])
def test_the_variance_must_be_lower_than_sgds(margin, outcome):
    ratio = _case().measured
    result = _case(sgd_scale=np.sqrt(ratio / margin))  # V̂_sgd doctored: V̂_prox/V̂_sgd = margin
    assert result.measured == pytest.approx(margin, rel=1e-9)
    assert result.outcome == outcome, result.reason
    if outcome == "fail":
        assert "not lower than SGD's" in result.reason


def test_the_agreement_tolerance_is_derived_from_the_inner_error():
    # K = 60 inner steps: ε = q^K; tol = (2ε + ε²)·E‖u‖²/V + 1e-9, recomputed here
    result = _case(inner_steps=60)
    x, y = _data()
    sq = np.sum(x**2, axis=1)
    h = 1.0 / (sq.max() + 50.0)
    q = max(abs(1 - h * (s + 50.0)) for s in sq)
    eps = q**60
    scale = 0.02 / (1 + 0.02 * sq)
    second = np.mean((scale * y) ** 2 * sq)
    _, v_prox = bounds.single_sample_update_variances(x, y, np.zeros(D), 0.02, 0.02)
    assert result.details["inner_error_bound"] == pytest.approx(eps, rel=1e-9)
    assert result.details["variance_agreement_tolerance"] == pytest.approx((2 * eps + eps**2) * second / v_prox + 1e-9,
                                                                           rel=1e-9)


@pytest.mark.parametrize("inner_steps", [200, 12])
@pytest.mark.parametrize("sign", [1, -1])
@pytest.mark.parametrize("side, outcome", [(0.9, "pass"), (1.1, "fail")])
def test_the_variance_agrees_with_the_closed_form(inner_steps, sign, side, outcome):
    tol = _case(inner_steps=inner_steps).details["variance_agreement_tolerance"]
    result = _case(inner_steps=inner_steps, prox_scale=np.sqrt(1 + sign * side * tol))
    assert result.details["variance_agreement"] == pytest.approx(side * tol, rel=1e-3)
    assert result.outcome == outcome, result.reason
    if outcome == "fail":
        assert "disagrees with the closed form" in result.reason


def test_an_unsolved_inner_problem_is_inconclusive_with_a_working_remedy():
    result = _case(inner_steps=2, prox_scale=3.0)  # a doctored failure is not decided either
    assert result.outcome == "inconclusive" and "raise inner_steps to >= " in result.reason
    needed = int(result.reason.split("raise inner_steps to >= ")[1].split()[0])
    assert result.details["inner_contraction_q"] ** needed <= psb.INNER_TOLERANCE
    assert result.details["inner_contraction_q"] ** (needed - 1) > psb.INNER_TOLERANCE
    assert needed <= 2000  # inside the range
    assert _case(inner_steps=needed).outcome == "pass"


def test_the_rate_constant_against_an_independent_computation():
    result = _case()
    x, _ = _data()
    r2 = np.max(np.sum(x**2, axis=1))
    assert result.details["rate_constant_c"] == pytest.approx(1.0 / (1.0 + 0.02 * r2), rel=1e-12)
    drop = result.details["drop_sgd"]
    assert result.details["rate_fit_error"] == pytest.approx(2 * np.log(1 + 4 * np.sqrt(2 / 64)) / np.log(
        min(drop, result.details["drop_prox"])), rel=1e-12)


@pytest.mark.parametrize("side, outcome", [(1.01, "pass"), (0.99, "fail")])
def test_the_rate_against_the_derived_constant(side, outcome):
    # δ depends (through the slower curve's drop) on the ratio itself: find the ratio on the line
    ratio = 0.8
    for _ in range(4):
        details = _case(rate_ratio=ratio).details
        ratio = side * details["rate_constant_c"] * (1 - details["rate_fit_error"])
    result = _case(rate_ratio=ratio)
    line = result.details["rate_constant_c"] * (1 - result.details["rate_fit_error"])
    assert result.details["rate_ratio"] / line == pytest.approx(side, abs=2e-3)
    assert result.outcome == outcome, result.reason
    if outcome == "fail":
        assert "the rate" in result.reason and "derived constant" in result.reason


@pytest.mark.parametrize("floor, outcome", [(1.0 / 120, "pass"), (1.0 / 80, "inconclusive")])
def test_a_curve_must_fall_a_hundredfold_before_its_floor(floor, outcome):
    # the window ends at the first record within 10× of the floor (records e^-0.2 apart here):
    # a drop in [1/(10·floor), 1.22/(10·floor)]
    result = _case(floor=floor * 0.1, rate_sgd=0.004, steps=5000)
    assert result.outcome == outcome, result.reason
    if outcome == "inconclusive":
        assert "raise steps to >= " in result.reason and result.details["drop_prox"] < 100


def test_a_too_short_run_names_the_steps_needed():
    result = _case(steps=500, rate_sgd=0.002, floor=1e-9)  # falls e^-1 in 500 steps
    assert result.outcome == "inconclusive"
    needed = int(result.reason.split("raise steps to >= ")[1].split()[0])
    assert 1000 <= needed <= 20_000
    assert 0.002 * 0.85 * needed >= np.log(psb.MIN_DROP)  # enough for the slower curve's 100× fall


def test_a_variance_failure_stands_where_the_rate_is_undecided():
    result = _case(gamma=1e4, steps=500, rate_sgd=0.002, floor=1e-9)
    assert result.outcome == "fail" and "not lower than SGD's" in result.reason


def test_divergence_is_inconclusive():
    result = _case(diverged=np.bool_(True))
    assert result.outcome == "inconclusive" and "lower lr" in result.reason


def test_the_control_fails_on_the_variance():
    # γ = 1e4: the proximal step is nearly the projection, ~1/(η‖x‖²)² times SGD's variance
    result = _case(gamma=1e4, rate_ratio=4.0)
    assert result.outcome == "fail" and "not lower than SGD's" in result.reason
    assert result.measured > 10
    assert "the rate" not in result.reason


def test_gamma_between_lr_and_the_control_is_rejected():
    with pytest.raises(ValueError, match="gamma"):
        make_config(get_check("proximal_small_batch"), {"gamma": 0.5, "lr": 0.02})
    with pytest.raises(ValueError, match="steps"):
        make_config(get_check("proximal_small_batch"), {"steps": 550})


# ---- problem=mlp: doctored per-sample gradients and Hessians (p = 5), no simulation ----------

P = 5


def _net_data(seed=0):
    """Per-sample g_i and indefinite H_i (eigenvalues in [−1, 10]) and a cubic-looking remainder."""
    rng = np.random.default_rng(seed)
    g = rng.normal(size=(N, P))
    basis = np.linalg.qr(rng.normal(size=(N, P, P)))[0]
    hessians = np.einsum("ipk,ik,iqk->ipq", basis, rng.uniform(-1.0, 10.0, size=(N, P)), basis)
    return g, hessians, 1e-3 * rng.normal(size=(N, P))


def _net_case(*, gamma=0.02, lr=0.02, steps=2000, inner_steps=200, replicates=64, rate_sgd=0.02, rate_ratio=0.85,
              floor=1e-6, prox_scale=1.0, sgd_scale=1.0, remainder_scale=1.0, **changes):
    config = make_config(get_check("proximal_small_batch"), {"gamma": gamma, "lr": lr, "steps": steps,
                                                             "inner_steps": inner_steps, "replicates": replicates,
                                                             "problem": "mlp"})
    g, hessians, remainder = _net_data()
    top = np.linalg.eigvalsh(hessians).max()
    h = 1.0 / (psb.NET_INNER_SAFETY * top + (0.0 if np.isinf(gamma) else 1.0 / gamma))
    if np.isinf(gamma) or gamma > 0.5:  # no model prox: the projection-like step of the control
        quad = -g / np.linalg.norm(g, axis=1, keepdims=True) ** 2 * 5.0
    else:
        quad = -gamma * np.linalg.solve(np.eye(P)[None] + gamma * hessians, g[..., None])[..., 0]
    arrays = {
        "x": np.zeros((N, 3)), "y": np.zeros(N), "w0": np.zeros(P), "inner_learning_rate": np.float64(h),
        "grad_prox": np.tile(_curve(rate_sgd * rate_ratio, floor, steps), (replicates, 1)),
        "grad_sgd": np.tile(_curve(rate_sgd, floor, steps), (replicates, 1)),
        "diverged": np.bool_(False),
        "updates_prox": quad * prox_scale, "updates_sgd": -lr * g * sgd_scale,
        "grads0": g, "hessians0": hessians, "hessians_end": hessians,
        "grads_at_quad": g + np.einsum("ipq,iq->ip", hessians, quad) + remainder_scale * remainder,
        "sweep_prox": np.zeros((len(psb.SWEEP_SIZES), 4, P)), "sweep_sgd": np.zeros((len(psb.SWEEP_SIZES), 4, P)),
    }
    arrays.update(changes)
    return psb.verdict(config, {"gamma": gamma, "lr": lr}, arrays)


def test_mlp_the_default_shape_passes_with_the_quadratic_prediction():
    result = _net_case()
    assert result.outcome == "pass", result.reason
    d = result.details
    assert result.predicted == pytest.approx(result.measured, rel=1e-12) and result.measured < 1
    assert d["variance_prediction_error"] <= d["variance_prediction_bound"]
    g, hessians, _ = _net_data()
    assert d["rate_constant_c"] == pytest.approx(1.0 / (1.0 + 0.02 * np.linalg.eigvalsh(hessians).max()), rel=1e-12)


def test_mlp_the_prediction_tolerance_against_an_independent_computation():
    gamma = 0.02
    g, hessians, remainder = _net_data()
    result = _net_case()
    quad = -gamma * np.stack([np.linalg.solve(np.eye(P) + gamma * hi, gi) for gi, hi in zip(g, hessians)])
    lam = np.array([np.linalg.eigvalsh(hi)[0] for hi in hessians])
    eps = 2 * gamma * np.linalg.norm(remainder, axis=1) / (1 + gamma * lam) + result.details["inner_error_bound"] * \
        np.linalg.norm(quad, axis=1)
    size = np.linalg.norm(quad, axis=1)
    expected = np.mean(eps * (2 * size + eps)) + np.mean(eps) * (2 * np.linalg.norm(quad.mean(0)) + np.mean(eps))
    assert result.details["variance_prediction_bound"] == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("sign", [1, -1])
@pytest.mark.parametrize("side, outcome", [(0.98, "pass"), (1.02, "fail")])
def test_mlp_the_variance_agrees_with_the_quadratic_prediction(sign, side, outcome):
    base = _net_case().details
    bound, v_quad = base["variance_prediction_bound"], base["variance_prox"]
    result = _net_case(prox_scale=np.sqrt(1 + sign * side * bound / v_quad))
    assert result.details["variance_prediction_error"] / bound == pytest.approx(side, rel=1e-6)
    assert result.outcome == outcome, result.reason
    if outcome == "fail":
        assert "per-sample quadratic prediction" in result.reason


def test_mlp_a_larger_remainder_widens_the_tolerance():
    bound = _net_case().details["variance_prediction_bound"]
    assert _net_case(remainder_scale=3.0).details["variance_prediction_bound"] > 2.5 * bound


@pytest.mark.parametrize("margin, outcome", [(0.99, "pass"), (1.01, "fail")])
def test_mlp_the_variance_must_be_lower_than_sgds(margin, outcome):
    ratio = _net_case().measured
    result = _net_case(sgd_scale=np.sqrt(ratio / margin))
    assert result.measured == pytest.approx(margin, rel=1e-9)
    assert result.outcome == outcome, result.reason
    if outcome == "fail":
        assert "not lower than SGD's" in result.reason


@pytest.mark.parametrize("side, outcome", [(1.01, "pass"), (0.99, "fail")])
def test_mlp_the_rate_against_the_derived_constant(side, outcome):
    ratio = 0.8
    for _ in range(4):
        details = _net_case(rate_ratio=ratio).details
        ratio = side * details["rate_constant_c"] * (1 - details["rate_fit_error"])
    result = _net_case(rate_ratio=ratio)
    line = result.details["rate_constant_c"] * (1 - result.details["rate_fit_error"])
    # δ moves with the window's last record (the 1e-2 level), so the ratio lands near the line, on its side
    assert result.details["rate_ratio"] / line == pytest.approx(side, abs=0.025)
    assert (result.details["rate_ratio"] / line - 1) * (side - 1) > 0
    assert result.outcome == outcome, result.reason
    if outcome == "fail":
        assert "the rate" in result.reason and "derived constant" in result.reason


def test_mlp_the_rate_constant_uses_the_largest_curvature_at_either_point():
    _, hessians, _ = _net_data()
    sharper = hessians.copy()
    sharper[7] = sharper[7] + 30.0 * np.eye(P)  # the end point sharper than w_0
    result = _net_case(hessians_end=sharper)
    assert result.details["max_sample_curvature"] == pytest.approx(np.linalg.eigvalsh(sharper).max(), rel=1e-12)


def test_mlp_an_unsolved_inner_problem_is_inconclusive_with_a_working_remedy():
    result = _net_case(inner_steps=3)
    assert result.outcome == "inconclusive" and "raise inner_steps to >= " in result.reason
    needed = int(result.reason.split("raise inner_steps to >= ")[1].split()[0])
    assert needed <= 2000 and _net_case(inner_steps=needed).outcome == "pass"


def test_mlp_the_control_fails_on_the_variance_though_its_inner_problem_is_nonconvex():
    # γ = 1e4: 1/γ + λ_min < 0, q >= 1 (the rate undecided); the long steps still decide the variance
    result = _net_case(gamma=1e4)
    assert result.details["inner_contraction_q"] >= 1 and np.isnan(result.predicted)
    assert result.outcome == "fail" and "not lower than SGD's" in result.reason and result.measured > 5
    assert "the rate" not in _net_case(gamma=1e4, rate_ratio=0.01).reason  # undecided there, never failed
    calm = _net_case(gamma=1e4, prox_scale=0.01)  # a lower variance cannot pass without a solved inner problem
    assert calm.outcome == "inconclusive" and "lower gamma" in calm.reason


def _two_phase(steps, fast=0.02, knee=0.05, slow=5e-4):
    """A net-like curve: e^(−fast·t) down to ``knee``, then e^(−slow·t) on (falls 5x more in ~3200 steps)."""
    t = np.arange(psb.RECORDS + 1) * (steps // psb.RECORDS)
    return np.maximum(np.exp(-fast * t), knee * np.exp(-slow * t))


def test_mlp_the_window_ends_at_a_hundredfold_fall_and_its_remedy_decides():
    # the 1e-2 level is reached at t ≈ 3200 on the slow phase: undecided at 2000 steps, and the
    # printed steps decide it (the horizon moves no part of the window)
    def case(steps):
        curve = np.tile(_two_phase(steps), (64, 1))
        return _net_case(steps=steps, grad_prox=curve, grad_sgd=curve)

    short = case(2000)
    assert short.outcome == "inconclusive" and "raise steps to >= " in short.reason
    needed = int(short.reason.split("raise steps to >= ")[1].split()[0])
    assert 2000 < needed <= 20_000
    decided = case(needed)
    assert decided.outcome == "pass", decided.reason
    assert 100 <= decided.details["drop_prox"] < 100 * np.exp(5e-4 * (needed // psb.RECORDS))
    # a longer run keeps the same window, to within its coarser record
    assert case(2 * needed).details["rate_window_steps"] == pytest.approx(decided.details["rate_window_steps"], abs=2 * needed // psb.RECORDS)


@pytest.mark.parametrize("rate, outcome", [(0.1, "pass"), (0.15, "inconclusive")])
def test_mlp_the_hundredfold_fall_must_span_three_records(rate, outcome):
    # records every 20 steps: e^-0.1t reaches 1e-2 at record 3 (both curves), e^-0.15t at record 2
    result = _net_case(rate_sgd=rate)
    assert result.outcome == outcome, result.reason
    if outcome == "inconclusive":
        assert "too coarse" in result.reason and "lower steps to <= 600" in result.reason  # 100·(2 − 1)·20/3


def test_mlp_a_coarse_window_names_steps_that_resolve_it():
    result = _net_case(steps=20_000)  # e^-0.02t: 1e-2 between records 1 and 2 (every 200 steps)
    assert result.outcome == "inconclusive" and "lower steps to <= " in result.reason
    needed = int(result.reason.split("lower steps to <= ")[1].split()[0])
    assert needed == 6600  # 100·(2 − 1)·200/3, rounded down to a multiple of 100
    assert _net_case(steps=needed).outcome == "pass"
