"""Verdict tests of soft_confusion on doctored arrays (issue 19): no simulation.

Synthetic arrays with the simulator's shapes: H_{τ,δ} on the check's grid from the knot
interpolant, R replicates of n = 200 test points with 20 positives, 0/1 test predictions whose
hard F1 is 2a/(a + 20) (a true positives, no false positive), the soft matrices from H. One array
is changed to put one criterion just inside or just outside its band, on both sides."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from theorycheck import bounds
from theorycheck import get_check, make_config
from theorycheck import models
from theorycheck.checks import soft_confusion as sc
from theorycheck.models._losses import DEFAULT_THRESHOLDS, heaviside

CHECK = get_check("soft_confusion")
DELTA, N_TEST, POS = 0.2, 200, 20
T_95_DF4 = 2.131847  # one-sided 95% Student-t quantile, 4 degrees of freedom (table value)


def _soft_matrix(p, y, delta):
    h = np.stack([bounds.tsoi22_heaviside_reference(p, t, delta) for t in DEFAULT_THRESHOLDS])  # (T, n)
    return np.stack([h @ y, (1 - h) @ y, h @ (1 - y), (1 - h) @ (1 - y)], axis=-1)


def _predictions(true_positives):
    p = np.full(N_TEST, 0.1)
    p[:true_positives] = 0.9
    return p


def _arrays(soft_tp, mse_tp):
    """``soft_tp``/``mse_tp``: per replicate, how many of the 20 positives each run gets (no FP)."""
    grid = sc._grid()
    h = np.stack([bounds.tsoi22_heaviside_reference(grid, t, DELTA) for t in DEFAULT_THRESHOLDS])
    y = np.zeros(N_TEST)
    y[:POS] = 1.0
    r = len(soft_tp)
    f1_p = np.stack([_predictions(a) for a in soft_tp])
    mse_p = np.stack([_predictions(b) for b in mse_tp])
    return {
        "grid": grid, "h_grid": h, "h_at_tau": np.full(len(DEFAULT_THRESHOLDS), 0.5),
        "f1_test_f1": np.zeros((r, 4)), "mse_test_f1": np.zeros((r, 4)), "f1_test_p": f1_p, "mse_test_p": mse_p,
        "f1_diverged": np.zeros(r, dtype=bool), "mse_diverged": np.zeros(r, dtype=bool),
        "soft_confusion": np.stack([_soft_matrix(p, y, DELTA) for p in f1_p]),
        "soft_confusion_at_hard": np.stack([_soft_matrix((p >= 0.5).astype(float), y, DELTA) for p in f1_p]),
        "y_test": np.tile(y, (r, 1)),
    }


def _f1(a):
    return 2 * a / (a + POS)


def _verdict(arrays, **overrides):
    config = make_config(CHECK, {"threshold_width": DELTA, "replicates": len(arrays["y_test"]), **overrides})
    return sc.verdict(config, {"threshold_width": config.threshold_width, "lr": config.lr}, arrays)


GOOD = ([16, 15, 17, 16, 14], [8, 9, 7, 10, 8])


def test_synthetic_arrays_pass_with_the_gain():
    result = _verdict(_arrays(*GOOD))
    assert result.outcome == "pass", result.reason
    assert result.error <= 1e-13
    gains = _f1(np.array(GOOD[0])) - _f1(np.array(GOOD[1]))
    assert result.details["mean_gain"] == pytest.approx(gains.mean(), rel=1e-12)
    assert result.details["margin_95"] == pytest.approx(T_95_DF4 * gains.std(ddof=1) / math.sqrt(5), rel=1e-5)


def _pairs_with_ratio(low, high, sign):
    """Per-replicate counts whose mean gain / 95% margin (R = 5) lies in [low, high] (× sign)."""
    rng = np.random.default_rng(0)
    for _ in range(20000):
        b = rng.integers(5, 15, 5)
        a = np.clip(b + sign * rng.integers(-3, 6, 5), 0, POS)
        g = _f1(a) - _f1(b)
        s = g.std(ddof=1)
        if s > 0 and low <= sign * g.mean() / (T_95_DF4 * s / math.sqrt(5)) <= high:
            return list(a), list(b)
    raise AssertionError("no such pair")


@pytest.mark.parametrize("sign", [1, -1])
def test_the_gain_just_inside_and_outside_the_margin(sign):
    inside = _verdict(_arrays(*_pairs_with_ratio(0.8, 0.95, sign)))
    assert inside.outcome == "inconclusive", inside.reason
    assert "within the 95% margin" in inside.reason
    outside = _verdict(_arrays(*_pairs_with_ratio(1.05, 1.25, sign)))
    if sign > 0:
        assert outside.outcome == "pass", outside.reason
        assert "gain" in outside.reason and "> 95% margin" in outside.reason
    else:
        assert outside.outcome == "fail", outside.reason
        assert "soft-F1 training gives a lower test F1" in outside.reason


def test_undecided_gain_names_the_replicates_needed():
    a, b = _pairs_with_ratio(0.8, 0.95, 1)
    result = _verdict(_arrays(a, b))
    g = _f1(np.array(a)) - _f1(np.array(b))
    needed = int(math.ceil((T_95_DF4 * g.std(ddof=1) / g.mean()) ** 2)) + 1
    assert f"raise replicates to >= {needed}" in result.reason


def test_a_diverged_run_is_inconclusive():
    a = _arrays(*GOOD)
    a["mse_diverged"][2] = True
    result = _verdict(a)
    assert result.outcome == "inconclusive" and "diverged" in result.reason and "lower lr" in result.reason


@pytest.mark.parametrize("where, sign", [(0, 1.0), (-1, -1.0)])
def test_endpoints_just_inside_and_outside(where, sign):
    for target, outcome in ((0.5e-12, "pass"), (2e-12, "fail")):
        a = _arrays(*GOOD)
        # τ = 0.1 at p = 0, τ = 0.9 at p = 1: the steep outer pieces (slope 4), so that the moved
        # end value leaves the smallest-slope criterion alone
        a["h_grid"][0 if where == 0 else 8, where] += sign * target
        result = _verdict(a)
        assert result.outcome == outcome, result.reason
        if outcome == "fail":
            assert "H(0) = 0, H(τ) = ½, H(1) = 1 violated" in result.reason


def test_h_at_tau_just_outside():
    a = _arrays(*GOOD)
    a["h_at_tau"][6] = 0.5 - 2e-12
    result = _verdict(a)
    assert result.outcome == "fail" and "H(τ) = ½" in result.reason


def _regular_index(grid, lo=0.55, hi=0.7):
    """A grid point in τ = 0.1's upper linear piece with equispaced neighbours."""
    d = np.diff(grid)
    for i in range(1, grid.size - 1):
        if lo < grid[i] < hi and abs(d[i - 1] - 5e-4) < 1e-9 and abs(d[i] - 5e-4) < 1e-9:
            return i
    raise AssertionError


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_knot_interpolant_just_inside_and_outside(sign):
    a = _arrays(*GOOD)
    i = _regular_index(a["grid"])
    a["h_grid"][5, i] += sign * 2e-12  # τ = 0.6: in the middle piece, far from its minimum slope
    result = _verdict(a)
    assert result.outcome == "fail" and "differs from the interpolant of its knots" in result.reason


def test_smallest_slope_just_inside_and_outside():
    a = _arrays(*GOOD)
    i = _regular_index(a["grid"])
    # τ = 0.1's smallest slope δ/(1 − 0.15) = 0.235 lies above 0.15; lowering one value by v lowers one
    # finite-difference slope by v/5e-4: relative 8.5e-12/v... i.e. 4e-13 → 3.4e-9 > 1e-9, 5e-15 → 4e-11
    min_slope = DELTA / (1 - 0.15)
    assert bounds.tsoi22_heaviside_slopes(0.1, DELTA).min() == pytest.approx(min_slope)
    a["h_grid"][0, i] -= 5e-15
    assert _verdict(a).outcome == "pass"
    a["h_grid"][0, i] -= 4e-13
    result = _verdict(a)
    assert result.outcome == "fail" and "smallest slope of H is off its closed form" in result.reason
    assert result.details["min_slope_relative_error"] == pytest.approx(4.05e-13 / 5e-4 / min_slope, rel=0.05)


def test_a_flat_step_is_not_strictly_increasing():
    a = _arrays(*GOOD)
    i = _regular_index(a["grid"])
    a["h_grid"][3, i + 1] = a["h_grid"][3, i]
    result = _verdict(a)
    assert result.outcome == "fail" and "not strictly increasing" in result.reason


@pytest.mark.parametrize("entry, sign", [(0, 1.0), (1, -1.0), (3, 1.0)])
def test_partition_just_inside_and_outside(entry, sign):
    count = POS if entry < 2 else N_TEST - POS
    for target, outcome in ((0.5e-12, "pass"), (2e-12, "fail")):
        a = _arrays(*GOOD)
        a["soft_confusion"][1, 4, entry] += sign * target * count
        result = _verdict(a)
        assert result.outcome == outcome, result.reason
        if outcome == "fail":
            assert "TP + FN ≠ #pos or FP + TN ≠ #neg" in result.reason
            assert result.details["partition_error"] == pytest.approx(target, rel=1e-3)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_hard_matrix_just_inside_and_outside(sign):
    for target, outcome in ((0.5e-12, "pass"), (2e-12, "fail")):
        a = _arrays(*GOOD)
        a["soft_confusion_at_hard"][0, 8, 2] += sign * target  # FP = 0: relative to max(0, 1) = 1
        result = _verdict(a)
        assert result.outcome == outcome, result.reason
        if outcome == "fail":
            assert "differs from the hard one" in result.reason


def test_tolerances_are_the_derived_rounding_budgets():
    eps = np.finfo(np.float64).eps
    assert (2 * 850 + 2) * eps / 2 < sc.EXACT_TOLERANCE  # (2n + 2)u over n <= 850 test samples
    assert 4 * eps / sc.MIN_SPACING / 0.02 < sc.SLOPE_TOLERANCE  # 4ε/spacing/slope >= 0.02


def test_step_surrogate_is_exact_and_flat():
    p = jnp.array([0.0, 0.3, 0.5, 0.7, 1.0])
    np.testing.assert_array_equal(np.asarray(heaviside("step", p, 0.5, DELTA)), [0.0, 0.0, 0.5, 1.0, 1.0])
    grad = jax.grad(lambda q: models.step_heaviside(q, 0.3))(0.7)
    assert float(grad) == 0.0  # the reason soft-F1 training on the step never moves


def test_step_control_fails_on_the_f1_comparison_only():
    control = {"surrogate": "step"}
    assert CHECK.negative_controls == (control,)
    a = _arrays([1, 0, 2, 1, 1], [9, 10, 8, 11, 9])  # the step never trains: F1 of the initialisation
    result = _verdict(a, **control)
    assert result.outcome == "fail"
    assert "soft-F1 training gives a lower test F1" in result.reason
    assert "hard one" not in result.reason and "H(0)" not in result.reason and "TP + FN" not in result.reason


def test_sigmoid_fails_on_the_hard_matrix():
    a = _arrays(*GOOD)
    y = a["y_test"][0]
    tau = np.asarray(DEFAULT_THRESHOLDS)[:, None]
    for r, p in enumerate(a["f1_test_p"]):  # σ(10(p − τ)) at the 0/1 predictions, in numpy
        h = 1.0 / (1.0 + np.exp(-10.0 * ((p >= 0.5).astype(float)[None, :] - tau)))
        a["soft_confusion_at_hard"][r] = np.stack([h @ y, (1 - h) @ y, h @ (1 - y), (1 - h) @ (1 - y)], axis=-1)
    result = _verdict(a, surrogate="sigmoid")
    assert result.outcome == "fail" and "differs from the hard one" in result.reason
