"""Verdict tests of dynamical_isometry on doctored arrays (issue 19): no simulation.

Synthetic records with the simulator's shapes: singular values (records, replicas, N) exactly 1 at
initialisation, Fisher eigenvalues (records, N) exactly L‖x‖²; one value is moved just inside or
just outside the 1e-10 tolerance, on both sides. The Fuss–Catalan band (a diagnostic of the
Gaussian control) is checked against an independent computation of its formula."""

import math

import numpy as np
import pytest

from theorycheck import bounds
from theorycheck import get_check, make_config
from theorycheck.checks import dynamical_isometry as di

CHECK = get_check("dynamical_isometry")
DEPTH, WIDTH, REPLICAS = 4, 16, 3


def _config(**overrides):
    return make_config(CHECK, {"depth": DEPTH, "width": WIDTH, "replicas": REPLICAS, **overrides})


def _arrays():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(WIDTH)
    singular = np.ones((2, REPLICAS, WIDTH))
    singular[1] = 1.0 + 0.1 * rng.random((REPLICAS, WIDTH))  # after training: a diagnostic
    fisher = np.full((2, WIDTH), DEPTH * float(x @ x))
    fisher[1] *= 1.3
    return {"singular_values": singular, "fisher_eigenvalues": fisher, "x_probe": x, "losses": np.ones(1),
            "diverged": np.array(False)}


def _verdict(arrays, **overrides):
    config = _config(**overrides)
    return di.verdict(config, {"lr": config.lr}, arrays)


def test_synthetic_isometry_passes_and_reads_the_initial_record():
    result = _verdict(_arrays())
    assert result.outcome == "pass", result.reason
    assert result.error == 0.0
    assert result.details["isometry_defect_after_training"] > 0.05  # the post-training record is not judged


def test_tolerance_covers_the_derived_rounding_at_the_extreme_corner():
    eps = np.finfo(np.float64).eps
    depth, width = 16, 512  # the ranges' ends
    assert CHECK.config_type.__dataclass_fields__["depth"].metadata["high"] == depth
    assert CHECK.config_type.__dataclass_fields__["width"].metadata["high"] == width
    assert (depth + 1) * width * eps * 10 < di.TOLERANCE  # L·N·ε (products) + N·ε (SVD), 10x headroom


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_jacobian_just_inside_and_outside(sign):
    for target, outcome in ((0.5e-10, "pass"), (2e-10, "fail")):
        a = _arrays()
        a["singular_values"][0, 2, 5] = 1.0 + sign * target
        result = _verdict(a)
        assert result.outcome == outcome, result.reason
        if outcome == "fail":
            assert "max |s − 1|" in result.reason and "Fisher eigenvalues span" not in result.reason
            assert result.error == pytest.approx(target, rel=1e-5)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_fisher_just_inside_and_outside(sign):
    for target, outcome in ((0.5e-10, "pass"), (2e-10, "fail")):
        a = _arrays()
        a["fisher_eigenvalues"][0, 7] *= 1.0 + sign * target
        result = _verdict(a)
        assert result.outcome == outcome, result.reason
        if outcome == "fail":
            assert "single-sample Fisher eigenvalues span" in result.reason and "L‖x‖²" in result.reason
            assert result.error == pytest.approx(target, rel=1e-5)
            assert result.details["fisher_max_abs_ratio_minus_1"] == pytest.approx(target, rel=1e-5)


def test_gaussian_product_moments_hand_values():
    # u₀ = v₀ = 1; u_l = u_{l−1} + 2v_{l−1}/N², v_l = (1 + 1/N)v_{l−1} + u_{l−1}; N = 10, L = 2
    m1, m2, var1 = bounds.gaussian_product_moments(2, 10)
    assert m1 == 1 and m2 == pytest.approx(3.33) and var1 == pytest.approx(0.062)
    assert bounds.fuss_catalan_moment(4, 2) == 5 and bounds.fuss_catalan_moment(2, 2) == 3


def test_fuss_catalan_band_is_the_derived_formula():
    rng = np.random.default_rng(1)
    depth, width, replicas = 3, 64, 4
    singular = np.sqrt(rng.gamma(2.0, 0.5, size=(replicas, width)))
    fc = di.fuss_catalan_comparison(singular, depth, width)
    mean1, mean2, var1 = bounds.gaussian_product_moments(depth, width)
    tol1 = abs(mean1 - 1.0) + 4 * math.sqrt(var1) / math.sqrt(replicas)
    tol2 = abs(mean2 - (depth + 1)) / (depth + 1) + 4 * 3.3 * depth * (depth + 1) / width / ((depth + 1) * math.sqrt(replicas))
    assert fc["m1_tolerance"] == pytest.approx(tol1, rel=1e-12)
    assert fc["m2_tolerance"] == pytest.approx(tol2, rel=1e-12)
    s2 = singular**2
    assert fc["m1_rel_error"] == pytest.approx(abs(s2.mean() - 1.0), rel=1e-12)
    assert fc["m2_rel_error"] == pytest.approx(abs((s2**2).mean() - (depth + 1)) / (depth + 1), rel=1e-12)
    assert fc["fuss_catalan_holds"] == (fc["m1_rel_error"] <= tol1 and fc["m2_rel_error"] <= tol2)


def test_gaussian_control_fails_on_the_isometry():
    control = {"init": "gaussian"}
    assert control in CHECK.negative_controls
    rng = np.random.default_rng(2)
    a = _arrays()
    products = np.eye(WIDTH)[None].repeat(REPLICAS, 0)
    for _ in range(DEPTH):
        products = products @ (rng.standard_normal((REPLICAS, WIDTH, WIDTH)) / math.sqrt(WIDTH))
    a["singular_values"][0] = np.linalg.svd(products, compute_uv=False)
    a["fisher_eigenvalues"][0] *= np.linspace(0.2, 5.0, WIDTH)
    result = _verdict(a, **control)
    assert result.outcome == "fail"
    assert "max |s − 1|" in result.reason and "Fisher eigenvalues span" in result.reason
    assert "Fuss–Catalan" in result.reason and "m2_tolerance" in result.details
    assert result.details["jacobian_max_abs_s_minus_1"] > 0.5
