"""kernel_rich_nonlinear's verdict on doctored sweeps: the network's test predictions are the
oracle's linearised predictor f̄ moved by a chosen relative distance D(α) along a fixed direction,
so every criterion can be put just inside and just outside its band."""

import numpy as np
import pytest

from theorycheck import bounds, dynamics, get_check, make_config
from theorycheck.checks import kernel_rich_nonlinear as krn

N, D_IN, WIDTH, N_TEST, STEPS = 8, 5, 8, 12, 3000
P = WIDTH * (D_IN + 1)


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(3)
    jac = rng.standard_normal((N, P)) / np.sqrt(P)
    jac_test = rng.standard_normal((N_TEST, P)) / np.sqrt(P)
    x, y = rng.standard_normal((N, D_IN)), rng.standard_normal(N)
    lr = 1.0 / np.linalg.eigvalsh(jac @ jac.T / N)[-1]
    theta0 = 0.3 * rng.standard_normal(P)
    direction = rng.standard_normal(N_TEST)
    v_t = bounds.linearized_gd_displacement(jac, y, lr, STEPS)
    eps1 = krn.preactivation_scale(v_t, x, WIDTH)
    return {"jac": jac, "jac_test": jac_test, "x": x, "y": y, "lr": lr, "theta0": theta0,
            "e": direction / np.linalg.norm(direction), "eps1": eps1}


def _verdict(problem, distance, weight=None, *, alpha_min=None, alpha_max=None, steps=STEPS, status=None,
             num=6, regime="auto", jitter=None, jac_in_arrays=None, lr_scale=1.0):
    """The verdict on a sweep whose D(α) is ``distance(α)`` and ρ(α) is ``weight(α)``.

    The default grid (α/ε₁ = 0.03, 0.33, 3.7, 41, 452, 5000) puts the top three points (two
    decades) at ε ≤ 0.025 and the next at ε = 0.27, just outside the lazy rule.
    """
    eps1 = problem["eps1"]
    alpha_min = 0.03 * eps1 if alpha_min is None else alpha_min
    alpha_max = 5e3 * eps1 if alpha_max is None else alpha_max
    alphas = krn.alpha_grid(alpha_min, alpha_max, num)
    jac, jac_test = problem["jac"], problem["jac_test"]
    f_bar = jac_test @ bounds.linearized_gd_displacement(jac, problem["y"], problem["lr"], steps)
    dist = np.array([distance(a) for a in alphas])
    pred = f_bar[None, :] + dist[:, None] * np.linalg.norm(f_bar) * problem["e"][None, :]
    if jitter is not None:
        pred = pred + jitter
    rho = np.array([(weight or (lambda a: 0.5 / a))(a) for a in alphas])
    config = make_config(get_check("kernel_rich_nonlinear"), {
        "alpha_min": float(alpha_min), "alpha_max": float(alpha_max), "num_alphas": num, "regime": regime,
        "d": D_IN, "n": N, "n_test": N_TEST, "width": WIDTH, "steps": steps})
    st = np.zeros(num, np.int32) if status is None else np.asarray(status, np.int32)
    arrays = {"alphas": alphas, "x": problem["x"], "y": problem["y"], "y_test": np.zeros(N_TEST),
              "jac_train": jac if jac_in_arrays is None else jac_in_arrays, "jac_test": jac_test, "params0": problem["theta0"], "lr": problem["lr"],
              "pred_test": pred, "lin_pred_test": np.repeat(f_bar[None, :], num, axis=0),
              "weight_change": rho, "lin_weight_change": rho, "status": st, "lin_status": np.zeros(num, np.int32)}
    data = {"alpha_min": float(alpha_min), "alpha_max": float(alpha_max), "lr_scale": lr_scale}
    return krn.verdict(config, data, arrays)


def _scaled(value_at_max, exponent, problem):
    alpha_max = 5e3 * problem["eps1"]
    return lambda a: value_at_max * (a / alpha_max) ** exponent


def _rich_bottom(distance, problem):
    """``distance`` on the lazy points, 0.5 (a rich end, not following 1/α) below them."""
    return lambda a: distance(a) if problem["eps1"] / a <= krn.EPS_LAZY else 0.5


def test_lazy_sweep_passes(problem):
    result = _verdict(problem, _scaled(0.001, -1.0, problem))
    assert result.outcome == "pass", result.reason
    assert result.details["lazy_points"] == 3 and "d_K" in result.reason
    assert result.details["distance_slope"] == pytest.approx(-1.0, abs=1e-9)
    assert result.details["weight_slope"] == pytest.approx(-1.0, abs=1e-9)
    assert result.details["settle"] < 1e-6


@pytest.mark.parametrize("value, outcome", [(0.049, "pass"), (0.051, "fail")])
def test_closeness_tolerance_is_5_percent(problem, value, outcome):
    result = _verdict(problem, _scaled(value, -1.0, problem))
    assert result.outcome == outcome, result.reason
    assert result.error == pytest.approx(value, rel=1e-6) and result.tolerance == 0.05
    assert result.reason.startswith("d_K")


@pytest.mark.parametrize("exponent, outcome", [(-0.76, "pass"), (-0.74, "fail"), (-1.24, "pass"), (-1.26, "fail")])
def test_distance_slope_band(problem, exponent, outcome):
    result = _verdict(problem, _scaled(0.001, exponent, problem))
    assert result.outcome == outcome, result.reason
    assert result.details["distance_slope"] == pytest.approx(exponent, abs=1e-9)
    if outcome == "fail":
        assert "distance slope" in result.reason and "weight-change" not in result.reason


@pytest.mark.parametrize("exponent, outcome", [(-0.76, "pass"), (-0.74, "fail"), (-1.24, "pass"), (-1.26, "fail")])
def test_weight_slope_band(problem, exponent, outcome):
    result = _verdict(problem, _scaled(0.001, -1.0, problem), weight=_scaled(1e-4, exponent, problem))
    assert result.outcome == outcome, result.reason
    if outcome == "fail":
        assert "weight-change slope" in result.reason and "distance slope" not in result.reason


def test_slopes_fitted_over_lazy_points_only(problem):
    """A non-lazy bottom of the sweep (D flat there) does not enter the fit under regime=auto."""
    dist = _scaled(0.001, -1.0, problem)
    knee = 0.2 * problem["eps1"] * 0.999  # below it ε > 0.2
    result = _verdict(problem, lambda a: dist(a) if a >= knee else 0.5)
    assert result.outcome == "pass", result.reason
    forced = _verdict(problem, lambda a: dist(a) if a >= knee else 0.5, regime="lazy")
    assert forced.outcome == "fail" and "distance slope" in forced.reason


def test_diverged_run_is_inconclusive(problem):
    result = _verdict(problem, _scaled(0.001, -1.0, problem), status=[dynamics.STATUS_DIVERGED] + [0] * 5)
    assert result.outcome == "inconclusive" and "lower lr_scale to <= 0.5" in result.reason
    assert "raise alpha_min to >= " in result.reason and "with steps >= " in result.reason


def test_unsettled_linear_model_names_steps(problem):
    result = _verdict(problem, _scaled(0.001, -1.0, problem), steps=10)
    assert result.outcome == "inconclusive", result.reason
    assert "kernel interpolant" in result.reason and "raise steps to >= " in result.reason
    need = int(result.reason.split("raise steps to >= ")[1].split()[0].rstrip(";"))
    assert 10 < need <= 20000
    settled = _verdict(problem, _scaled(0.001, -1.0, problem), steps=need)
    assert settled.details["settle"] <= 0.005


def test_roundoff_floor_is_inconclusive(problem):
    floor_at_max = bounds.lazy_roundoff_floor(5e3 * problem["eps1"], problem["jac_test"], problem["theta0"],
                                              problem["jac_test"] @ bounds.linearized_gd_displacement(
                                                  problem["jac"], problem["y"], problem["lr"], STEPS), STEPS)
    for factor, outcome in ((11.0, "pass"), (9.0, "inconclusive")):
        result = _verdict(problem, _rich_bottom(_scaled(factor * floor_at_max, -1.0, problem), problem))
        assert result.outcome == outcome, result.reason
        if outcome == "inconclusive":
            assert "round-off" in result.reason and "lower alpha_max to <= " in result.reason
            limit = float(result.reason.split("lower alpha_max to <= ")[1].split()[0].rstrip(";"))
            dist = _scaled(factor * floor_at_max, -1.0, problem)
            rerun = _verdict(problem, _rich_bottom(dist, problem), alpha_max=limit)
            assert "round-off" not in rerun.reason, rerun.reason


def test_inseparable_rich_end_is_inconclusive(problem):
    for at_min, outcome in ((0.11, "pass"), (0.09, "inconclusive")):
        alpha_min, alpha_max = 0.03 * problem["eps1"], 5e3 * problem["eps1"]
        value_at_max = at_min * alpha_min / alpha_max
        result = _verdict(problem, _scaled(value_at_max, -1.0, problem))
        assert result.outcome == outcome, result.reason
        if outcome == "inconclusive":
            assert "rich end" in result.reason and "lower alpha_min to <= " in result.reason


def test_control_fails_on_closeness(problem):
    """regime=lazy at α_max where the network is not lazy: d_K stays large and the check fails on it."""
    eps1 = problem["eps1"]
    result = _verdict(problem, lambda a: 0.8 * (a / (0.01 * eps1)) ** -0.3, alpha_min=0.01 * eps1,
                      alpha_max=eps1, regime="lazy")
    assert result.outcome == "fail" and result.reason.startswith("d_K") and result.error > 0.05


def test_nonfinite_predictions_are_inconclusive(problem):
    jitter = np.zeros((6, N_TEST))
    jitter[2, 0] = np.nan
    result = _verdict(problem, _scaled(0.001, -1.0, problem), jitter=jitter)
    assert result.outcome == "inconclusive" and "lower lr_scale" in result.reason


def test_alpha_range_must_span_two_decades():
    with pytest.raises(ValueError, match="alpha_max"):
        make_config(get_check("kernel_rich_nonlinear"), {"alpha_min": 1.0, "alpha_max": 50.0})
    with pytest.raises(ValueError, match="'n'"):
        make_config(get_check("kernel_rich_nonlinear"), {"n": 50, "width": 8, "d": 5})


def test_settle_threshold_is_a_tenth_of_the_tolerance(problem):
    """A linearised model 0.005–0.05 from f_K (inside the tolerance, outside a tenth of it) cannot decide."""
    jac, jt, y, lr = problem["jac"], problem["jac_test"], problem["y"], problem["lr"]
    f_k = jt @ bounds.linearized_gd_displacement(jac, y)
    gaps = {t: np.linalg.norm(jt @ bounds.linearized_gd_displacement(jac, y, lr, t) - f_k) / np.linalg.norm(f_k)
            for t in range(10, 3000)}
    unsettled = min(t for t, g in gaps.items() if 0.006 < g < 0.04)
    settled = min(t for t, g in gaps.items() if g < 0.004)
    result = _verdict(problem, _scaled(0.001, -1.0, problem), steps=unsettled)
    assert result.outcome == "inconclusive" and "kernel interpolant" in result.reason, result.reason
    assert _verdict(problem, _scaled(0.001, -1.0, problem), steps=settled).outcome == "pass"


def _rescaled(problem, factor):
    """The same problem with inputs ×factor: ε₁ (the pre-activation change) ×factor, the rest unchanged."""
    return {**problem, "x": factor * problem["x"], "eps1": factor * problem["eps1"]}


@pytest.mark.parametrize("target_eps1, num, alpha_min, alpha_max, remedy", [
    (None, 6, None, None, "raise alpha_max to >= "),
    (15.0, 4, 1e-3, 1e6, "raise num_alphas to >= "),
    (1500.0, 8, 1e-3, 1e6, "raise alpha_min to >= "),
])
def test_lazy_remedy_names_a_key_that_works(problem, target_eps1, num, alpha_min, alpha_max, remedy):
    scaled = _rescaled(problem, 1.0 if target_eps1 is None else target_eps1 / problem["eps1"])
    eps1 = scaled["eps1"]
    if alpha_min is None:
        alpha_min, alpha_max = 0.03 * eps1, 50 * eps1
    result = _verdict(scaled, lambda a: 0.5 if eps1 / a > krn.EPS_LAZY else 1e-3 * alpha_max / a,
                      alpha_min=alpha_min, alpha_max=alpha_max, num=num)
    assert result.outcome == "inconclusive" and remedy in result.reason, result.reason
    value = float(result.reason.split(remedy)[1].split()[0].rstrip(";"))
    lo, hi, k = alpha_min, alpha_max, num
    if "alpha_max" in remedy:
        hi = value
    elif "num_alphas" in remedy:
        k = int(value)
    else:
        lo = value
    grid = krn.alpha_grid(lo, hi, k)
    assert krn._enough(grid, krn.lazy_mask(grid, eps1, "auto")) and lo >= 1e-3 and hi <= 1e6


def test_lazy_remedy_when_no_sweep_can_work(problem):
    scaled = _rescaled(problem, 1.6e5 / problem["eps1"])  # ε₁ = 1.6e5: lazy only above 8e5
    result = _verdict(scaled, lambda a: 0.5, alpha_min=1e-3, alpha_max=1e6, num=8)
    assert result.outcome == "inconclusive" and "raise width" in result.reason, result.reason


def test_singular_ntk_gram_is_inconclusive(problem):
    """Two identical training inputs: no kernel interpolant exists; inconclusive, never a traceback."""
    jac = problem["jac"].copy()
    jac[1] = jac[0]
    result = _verdict(problem, _scaled(0.001, -1.0, problem), jac_in_arrays=jac)
    assert result.outcome == "inconclusive" and "numerically singular" in result.reason
    assert "lower n to <= " in result.reason


def test_slow_lr_names_lr_scale_and_steps(problem):
    """A step size 1000× below the stability scale needs more than 20000 steps: the remedy raises lr_scale
    to 1 with the steps that then suffice."""
    result = _verdict({**problem, "lr": problem["lr"] * 1e-3}, _scaled(0.001, -1.0, problem), steps=100,
                      lr_scale=1e-3)
    assert result.outcome == "inconclusive" and "raise lr_scale to 1 and steps to >= " in result.reason, result.reason


def test_plots_draw_from_doctored_results(problem, tmp_path):
    result = _verdict(problem, _rich_bottom(_scaled(0.001, -1.0, problem), problem))
    config = make_config(get_check("kernel_rich_nonlinear"), {"d": D_IN, "n": N, "n_test": N_TEST, "width": WIDTH})
    krn.plot(config, result, tmp_path / "one.png")
    rows = [{"config": {"alpha_max": 1e4, "lr_scale": 1.0}, "seed": 0, "outcome": result.outcome,
             "details": dict(result.details), "swept": ("lr_scale",),
             "arrays": {k: np.asarray(result.arrays[k])[None] for k in ("alphas", "distance", "lazy")}},
            {"config": {"alpha_max": 1e3, "lr_scale": 0.5}, "seed": 1, "outcome": "inconclusive",
             "details": {"d_K": 1e-4}, "swept": ("lr_scale",)}]
    krn.plot_sweep(rows, tmp_path / "sweep.png")
    assert (tmp_path / "one.png").stat().st_size > 0 and (tmp_path / "sweep.png").stat().st_size > 0
