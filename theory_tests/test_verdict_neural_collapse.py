"""neural_collapse's verdict on doctored metric records (no simulation): every criterion on both sides.

**Statement.** The verdict passes iff each of NC1, NC3, NC4, the two equinorm ratios and the two mean
|cos + 1/(C − 1)| deviations is <= 1e-4 at the last record, and the convergence bound
2g/(2λ·min_c‖w_c‖) on how far a cosine can still move is <= 1e-4 (else inconclusive, raise steps);
a diverged run is inconclusive. The reason names the worst metric.
"""

import numpy as np
import pytest

from theorycheck import bounds, get_check, make_config
from theorycheck.checks import neural_collapse as nc

CHECK = get_check("neural_collapse")
C = 4
CRITERIA = ("nc1", "nc3", "nc4", "equinorm_means", "equinorm_classifier", "equiangular_means",
            "equiangular_classifier")  # the docstring's seven, spelled out (not read from the module)
DATA = {"weight_decay": 5e-3}


def _arrays(**final):
    arrays = {"times": np.linspace(0, 120_000, 21)}
    for k in CRITERIA:
        arrays[f"nc_{k}"] = np.r_[np.linspace(1.0, 1e-3, 20), final.get(k, 0.0)]
    etf = np.full((C, C), -1 / (C - 1)) + np.eye(C) * (1 + 1 / (C - 1))
    arrays["nc_cos_classifier"] = np.repeat(etf[None], 21, axis=0)
    arrays["nc_cos_means"] = np.repeat(etf[None], 21, axis=0)
    w = np.zeros((C, 16))
    w[:, :C] = np.eye(C) - 1 / C  # equal rows of norm √(3/4)
    arrays.update(classifier=w, features=np.zeros((40, 16)), gradient_norm=np.asarray(1e-12), diverged=np.asarray(False))
    return arrays


def _verdict(arrays, data=DATA, **config):
    return nc.verdict(make_config(CHECK, config), data, arrays)


def test_an_exact_collapse_passes():
    result = _verdict(_arrays())
    assert result.outcome == "pass" and result.error == 0.0, result.reason
    assert result.measured == pytest.approx(-1 / 3)


def test_every_documented_criterion_is_judged():
    assert set(nc.METRICS) == set(CRITERIA)


@pytest.mark.parametrize("metric", CRITERIA)
@pytest.mark.parametrize("factor, outcome", [(0.99, "pass"), (1.01, "fail")])
def test_each_metric_alone_on_both_sides_of_the_band(metric, factor, outcome):
    result = _verdict(_arrays(**{metric: factor * nc.TOLERANCE}))
    assert result.outcome == outcome, result.reason
    if outcome == "fail":
        assert f"(worst: {metric})" in result.reason


@pytest.mark.parametrize("factor, outcome", [(0.99, "pass"), (1.01, "inconclusive")])
def test_convergence_bound_is_the_derived_formula_on_both_sides(factor, outcome):
    arrays = _arrays()
    w = arrays["classifier"].copy()
    w[2] *= 0.5  # the smallest row sets the bound
    min_row = 0.5 * np.sqrt(3 / 4)
    g = factor * nc.TOLERANCE * 2 * DATA["weight_decay"] * min_row / 2  # movement = 2g/(2λ min‖w_c‖)
    arrays.update(classifier=w, gradient_norm=np.asarray(g))
    result = _verdict(arrays)
    assert result.details["cosine_movement_bound"] == pytest.approx(factor * 1e-4, rel=1e-12)
    assert result.outcome == outcome, result.reason
    if outcome == "inconclusive":
        assert "not converged" in result.reason and "raise steps to >= 240000" in result.reason


def test_the_remedy_stays_inside_the_steps_range():
    arrays = _arrays()
    arrays["gradient_norm"] = np.asarray(1.0)
    assert "raise steps to >= 400000" in _verdict(arrays, steps=300_000).reason
    at_max = _verdict(arrays, steps=400_000)
    assert at_max.outcome == "inconclusive" and "raise weight_decay" in at_max.reason


def test_unconverged_wins_over_a_failing_metric_and_diverged_is_inconclusive():
    arrays = _arrays(nc1=0.5)
    arrays["diverged"] = np.asarray(True)
    result = _verdict(arrays)
    assert result.outcome == "inconclusive" and "diverged" in result.reason


def test_control_without_bias_fails_on_the_classifier_cosines():
    """bias = false: orthogonal classifier rows (cosine 0, not −1/3) and NC3 ≈ 0.268 (THEORY.md §4)."""
    arrays = _arrays(nc3=0.268, equiangular_classifier=1 / 3)
    arrays["nc_cos_classifier"] = np.repeat(np.eye(C)[None], 21, axis=0)
    result = _verdict(arrays, bias=False)
    assert result.outcome == "fail" and "(worst: equiangular_classifier)" in result.reason
    assert result.measured == pytest.approx(0.0)


def test_simplex_etf_cosine_by_hand():
    assert bounds.simplex_etf_cosine(4) == pytest.approx(-1 / 3)
    assert bounds.simplex_etf_cosine(2) == pytest.approx(-1.0)
