"""The spline implicit bias of wide ReLU nets (issue 10, Jin & Montúfar 2023): the curvature penalty ζ
and the weighted spline solver against independent references, the model's antisymmetric init, and
the check (default passes, Gaussian claim passes, the natural-spline control fails, the error
shrinks as n^(−1/2))."""

import json

import jax
import numpy as np
import pytest
from scipy.interpolate import make_interp_spline

from theorycheck import bounds
from theorycheck import models
from theorycheck._check import FAIL, PASS
from theorycheck.cli import main
from _support import run_check

# library numerics and module-level verdict functions at float64 tolerances: float64 scoped to
# each test by the x64 fixture (checks run through Check.run scope it themselves)
pytestmark = pytest.mark.usefixtures("x64")

NAME = "spline_implicit_bias"


def _run(seed=0, **overrides):
    return run_check(NAME, seed, **overrides)


# bounds ---------------------------------------------------------------------------------------


def test_weighted_spline_with_constant_zeta_is_scipys_natural_cubic_spline():
    x = np.sort(np.random.default_rng(1).uniform(-1.0, 1.0, 9))
    y = np.sin(3.0 * x)
    mine = bounds.weighted_natural_spline(x, y, lambda t: 0.3 * np.ones_like(t))
    reference = make_interp_spline(x, y, k=3, bc_type="natural")
    grid = np.linspace(x[0], x[-1], 333)
    for derivative, tol in ((0, 1e-12), (1, 1e-11), (2, 1e-9)):
        np.testing.assert_allclose(mine(grid, derivative), reference(grid, derivative), atol=tol)


def test_weighted_spline_interpolates_and_satisfies_euler_lagrange():
    x = np.linspace(-3.0, 3.0, 7)
    y = 1.0 / (1.0 + x**2) + 0.1 * x
    zeta = lambda t: bounds.jin23_zeta(t, "gaussian")
    spline = bounds.weighted_natural_spline(x, y, zeta)
    np.testing.assert_allclose(spline(x), y, atol=1e-12)
    # (g''/ζ)'' = 0 between knots: g''/ζ is linear on each interval, zero at the end knots
    for left, right in zip(x[:-1], x[1:]):
        t = np.linspace(left, right, 5)[1:-1]
        moment = spline(t, 2) / zeta(t)
        np.testing.assert_allclose(np.diff(moment, 2), 0.0, atol=1e-9)
    assert abs(spline(x[:1], 2)[0]) < 1e-12 and abs(spline(x[-1:], 2)[0]) < 1e-12
    # minimality: adding any interpolation-preserving bump raises ∫ g''²/ζ
    grid = np.linspace(x[0], x[-1], 20_001)
    energy = lambda g2: np.trapezoid(g2**2 / zeta(grid), grid)
    base = energy(spline(grid, 2))
    bump2 = np.gradient(np.gradient(np.sin(np.pi * (grid - x[0])) ** 2 * np.sin(np.pi * grid), grid), grid)
    for eps in (1e-3, -1e-2):
        assert energy(spline(grid, 2) + eps * bump2) > base
    assert abs(spline.energy() - base) < 1e-5 * base


@pytest.mark.parametrize("x", [0.0, 0.5, 0.9, 1.7, -2.5])
def test_zeta_closed_forms_match_quadrature(x):
    uniform = lambda w, b: ((np.abs(w) <= 1.0) & (np.abs(b) <= 2.0)) / (2.0 * 4.0)
    assert bounds.jin23_zeta(x, "uniform", weight_scale=1.0, bias_scale=2.0) == pytest.approx(
        bounds.zeta_by_quadrature(x, uniform, 1.0, nodes=200_001), rel=1e-4)
    gauss = lambda w, b: np.exp(-w**2 / 2 - b**2 / 2) / (2.0 * np.pi)
    assert bounds.jin23_zeta(x, "gaussian") == pytest.approx(bounds.zeta_by_quadrature(x, gauss, 12.0), rel=1e-8)
    assert bounds.jin23_zeta(x, "gaussian") == pytest.approx(2.0 / (np.pi * (1.0 + x**2) ** 2), rel=1e-12)


@pytest.mark.parametrize("init", ["uniform", "gaussian"])
def test_infinite_width_kernel_matches_random_features(init):
    x = np.linspace(-1.5, 1.5, 6)
    rng = np.random.default_rng(3)
    draw = (lambda n: rng.uniform(-1, 1, n)) if init == "uniform" else rng.standard_normal
    w, b = draw(400_000), draw(400_000)
    features = np.maximum(np.outer(x, w) + b, 0.0)
    np.testing.assert_allclose(bounds.jin23_kernel(x, x, init), features @ features.T / w.size, atol=6e-3)


def test_antisymmetric_init_gives_zero_function():
    for init in ("uniform", "gaussian"):
        net = models.shallow_relu_1d(64, init=init)
        params = net.init(jax.random.key(5))
        assert float(np.max(np.abs(net.apply(params, np.linspace(-3, 3, 50))))) < 1e-12
    with pytest.raises(ValueError, match="even"):
        models.shallow_relu_1d(63)


# the check ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def default_result():
    return _run()


def test_default_uniform_init_follows_the_natural_cubic_spline(default_result):
    result = default_result
    assert result.outcome == PASS, result.reason
    assert result.details["spline_gap"] < 1e-12  # constant ζ: the ζ-spline is the natural spline
    assert result.details["initial_output_max"] < 1e-12  # f₀ ≡ 0
    assert result.details["convergence_term"] <= 0.25 * result.details["width_term"]


def test_gaussian_init_follows_the_weighted_spline_and_the_control_fails(tmp_path):
    gaussian = _run(init="gaussian")
    assert gaussian.outcome == PASS, gaussian.reason
    assert gaussian.details["ratio_natural_over_weighted"] >= 3.0
    # the control, through the CLI (exit 1) and its record
    args = ["run", NAME, "--out", str(tmp_path), "--no-plots", "--set", "init=gaussian", "--set", "spline=natural"]
    assert main(args) == 1
    record = json.loads((tmp_path / "results.json").read_text())["checks"][0]
    assert record["outcome"] == FAIL, record["reason"]
    assert record["error"] > 2.0 * record["tolerance"]
    assert record["details"]["error_natural_spline"] > 5.0 * record["details"]["error_weighted_spline"]


@pytest.mark.slow
def test_error_shrinks_like_width_to_the_minus_half():
    # the derivation: error − affine ≈ c·s/√m with c ~ 1–2.6 sd; averaged over 3 seeds, a 16× wider
    # net must cut the width part by a factor in [1/8, 1/2] (the law says 1/4)
    parts = {}
    for width in (256, 4096):
        runs = [_run(seed, width=width, steps=20_000) for seed in (1, 2, 3)]
        assert all(r.outcome == PASS for r in runs), [r.reason for r in runs]
        parts[width] = np.mean([r.error - r.details["affine_adjustment"] for r in runs])
    assert 1 / 8 <= parts[4096] / parts[256] <= 1 / 2, parts


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_other_seeds(seed):
    assert _run(seed).outcome == PASS
    assert _run(seed, init="gaussian").outcome == PASS
    assert _run(seed, init="gaussian", spline="natural").outcome == FAIL


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_paper_scale_width_ten_thousand_within_5e_3(seed):
    result = _run(seed, width=10_000, steps=200_000)
    assert result.outcome == PASS, result.reason
    assert result.error <= 5e-3
