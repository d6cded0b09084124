"""Un-trained conv generators and compressive sensing (Heckel & Soltanolkotabi 2020, THEORY.md §7).

The quick-size runs (width 256, 1000 steps) share one compile with the corner tests; the
default-size pass shares its compile with ``test_checks``' negative-control runs.
"""

import jax
import numpy as np
import pytest

from theorycheck import bounds
from theorycheck import models
from theorycheck import get_check, make_config
from theorycheck.checks import untrained_cs_recovery as cs
from theorycheck.cli import main
from _support import run_check

# library numerics and module-level verdict functions at float64 tolerances: float64 scoped to
# each test by the x64 fixture (checks run through Check.run scope it themselves)
pytestmark = pytest.mark.usefixtures("x64")

QUICK = {"width": 256, "steps": 1000}


def _run(seed=0, **overrides):
    return run_check("untrained_cs_recovery", seed, **overrides)


# models -----------------------------------------------------------------------------------------


def test_conv_generator_is_relu_of_a_circular_convolution():
    n, k = 8, 6
    kernel = jax.random.normal(jax.random.key(0), (n,))
    gen = models.conv_generator(n, k)
    c = gen.init(jax.random.key(1))["c"]
    u = np.array([[kernel[(i - j) % n] for j in range(n)] for i in range(n)])
    v = np.array([1, 1, 1, -1, -1, -1]) / np.sqrt(k)
    out = lambda cc: gen.apply({"c": cc}, kernel)  # noqa: E731
    both = jax.jit(lambda cc: (out(cc), out(3.0 * cc), jax.jacrev(out)(cc), jax.jacrev(out)(3.0 * cc),
                               models.circulant(kernel) @ cc[:, 0], models.circular_conv(kernel, cc[:, 0])))
    g, g3, jac, jac3, circ, conv = both(c)
    np.testing.assert_allclose(g, np.maximum(u @ np.asarray(c), 0) @ v, atol=1e-12)
    np.testing.assert_allclose(circ, conv, atol=1e-12)  # the circulant is the package's circular convolution
    # ReLU homogeneity: G(aC) = a G(C), and the Jacobian does not change
    np.testing.assert_allclose(g3, 3.0 * g, atol=1e-12)
    np.testing.assert_allclose(jac3, jac, atol=1e-12)
    with pytest.raises(ValueError, match="kernel"):
        gen.apply({"c": c}, kernel[:4])


def test_dual_kernel_is_the_expected_jacobian_gram():
    n, k = 16, 2000
    kernel = models.gaussian_kernel(n, 2.0)
    gen = models.conv_generator(n, k)
    c = 0.01 * gen.init(jax.random.key(2))["c"]
    gram = jax.jit(lambda cc: (lambda j: j @ j.T)(jax.jacrev(lambda x: gen.apply({"c": x}, kernel))(cc).reshape(n, -1)))
    expected = bounds.heckel20_dual_kernel(kernel)
    # Monte Carlo over k channels: entries within ~4 standard errors (each at most 1/(2√k) ≈ 0.011)
    assert np.max(np.abs(np.asarray(gram(c)) - expected)) < 0.045
    # circulant, so the eigenvectors are trigonometric: the DFT diagonalises it
    dft = np.fft.fft(np.eye(n)) / np.sqrt(n)
    off = dft.conj() @ expected @ dft.T
    assert np.max(np.abs(off - np.diag(np.diag(off)))) < 1e-8  # arccos near 1 rounds to ~1e-10


def _upsample_reference(x):
    """np.interp at half-pixel centres, clamped: PyTorch's align_corners=False."""
    n = x.shape[-1]
    source = np.clip((np.arange(2 * n) + 0.5) / 2 - 0.5, 0, n - 1)
    return np.stack([np.interp(source, np.arange(n), row) for row in x])


def test_deep_decoder_shapes_upsampling_and_channel_norm():
    dec = models.deep_decoder(channels=4, depth=3)
    params = dec.init(jax.random.key(0))
    b0 = jax.random.uniform(jax.random.key(1), (4, 8))
    out, up = jax.jit(lambda p, b: (dec.apply(p, b), models.upsample_linear(b)))(params, b0)
    assert out.shape == (64,)
    np.testing.assert_allclose(up, _upsample_reference(np.asarray(b0)), atol=1e-12)
    np.testing.assert_allclose(_upsample_reference(np.array([[0.0, 4.0]])), [[0.0, 1.0, 3.0, 4.0]])
    # the same network in numpy: every hidden layer is centred and scaled per channel
    x = np.asarray(b0)
    for w in np.asarray(params["layers"]):
        hidden = np.maximum(_upsample_reference(w @ x), 0.0)
        centred = hidden - hidden.mean(axis=1, keepdims=True)
        x = centred / np.sqrt((centred**2).mean(axis=1, keepdims=True) + 1e-5)
        live = hidden.std(axis=1) > 0.1  # a channel the ReLU zeroes stays 0 (eps > 0)
        assert live.any() and np.allclose(x.std(axis=1)[live], 1.0, atol=1e-3)
    np.testing.assert_allclose(out, np.asarray(params["out"]) @ x, atol=1e-10)
    with pytest.raises(ValueError, match="input"):
        dec.apply(params, b0[:2])


def test_linearized_limit_is_the_smoothest_interpolant_and_gd_on_the_linear_model_reaches_it():
    rng = np.random.default_rng(0)
    n, m = 12, 5
    root = rng.standard_normal((n, n))
    gram = root @ root.T + 0.1 * np.eye(n)
    root = np.linalg.cholesky(gram)
    a, x_star, x0 = rng.standard_normal((m, n)), rng.standard_normal(n), 0.1 * rng.standard_normal(n)
    y = a @ x_star
    limit = bounds.heckel20_linearized_limit(gram, a, y, x0)
    np.testing.assert_allclose(a @ limit, y, atol=1e-10)
    # GD on the linear model x = x0 + R θ (R Rᵀ = Σ̂) from θ = 0 converges to the minimum-norm θ
    # solving A(x0 + Rθ) = y (its iterates stay in range((AR)ᵀ)); that θ gives the same x
    theta = np.linalg.pinv(a @ root) @ (y - a @ x0)
    np.testing.assert_allclose(x0 + root @ theta, limit, atol=1e-10)
    theta_gd, lr = np.zeros(n), 1.0 / np.linalg.eigvalsh(a @ gram @ a.T)[-1]
    for _ in range(200):
        theta_gd -= lr * root.T @ a.T @ (a @ (x0 + root @ theta_gd) - y)
    np.testing.assert_allclose(theta_gd - theta, np.linalg.pinv(a @ root) @ (a @ root) @ (theta_gd - theta),
                               atol=1e-10)  # GD's error stays in range((AR)ᵀ), where it contracts
    # the floor bounds the distance of every point of x0 + range(Σ̂Aᵀ) from x*
    floor = bounds.heckel20_interpolant_floor(gram, a, x_star, x0)
    assert np.linalg.norm(limit - x_star) >= floor - 1e-12


# the check --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def default_result():
    return _run(seed=0)


def test_default_recovers_the_smooth_signal(default_result):
    r = default_result
    assert r.outcome == "pass", r.reason
    assert r.measured < cs.TOLERANCE and r.details["measurement_residual"] < 1e-2, r.details
    assert r.details["remaining_movement"] < 1e-2 and r.details["linearized_limit_error"] < 0.1


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_other_seeds_recover_at_quick_size(seed):
    r = _run(seed=seed, **QUICK)
    assert r.outcome == "pass", r.reason
    assert r.measured < 0.035, r.details  # measured 0.014-0.028 on seeds 0-4


def test_noise_is_fit_but_not_recovered():
    r = _run(seed=0, signal="noise")  # default size: shares its compile with test_checks' control run
    assert r.outcome == "fail", r.reason
    assert r.measured > cs.NOISE_THRESHOLD, r.details
    # the failure is about recovery, not optimisation: no remaining movement can close the gap,
    # and the floor of any linearised-GD output is of order √(1 − m/n)
    assert r.measured - r.details["remaining_movement"] > cs.NOISE_THRESHOLD, r.details
    assert r.details["interpolant_floor"] > cs.NOISE_THRESHOLD, r.details
    assert r.details["measurement_residual"] < 0.5, r.details


def test_large_initialisation_fails_because_the_initial_output_stays():
    r = _run(seed=1, init_scale=1.0, **QUICK)
    assert r.outcome == "fail", r.reason
    assert r.details["initial_output_norm"] > 1.0 and r.details["measurement_residual"] < 1e-2, r.details


def test_unconverged_run_is_inconclusive_with_the_remedy(default_result):
    """An iterate within the tolerance whose remaining path could leave it (or outside whose path
    could bring it back) is not decided: e ± μ straddles 0.05."""
    a = dict(default_result.arrays)
    basis, _ = np.linalg.qr(a["gram"] @ a["measurement"].T)  # range(Σ̂Aᵀ): P δ = δ there
    config = make_config(get_check("untrained_cs_recovery"))
    for size in (0.04, 0.06):
        r = cs.verdict(config, {}, {**a, "x_final": a["x_star"] + size * basis[:, 0]})
        assert r.outcome == "inconclusive" and "raise steps to >= 8000" in r.reason, r.reason
        assert r.details["remaining_movement"] == pytest.approx(size)
    r = cs.verdict(config, {}, {**a, "x_final": a["x_star"] + 0.2 * basis[:, 0]})
    assert r.outcome == "inconclusive", r.reason  # e − μ = 0: GD's remaining path could still recover
    null = np.linalg.svd(a["measurement"])[2][-1]  # A·null = 0: the measurements are fit exactly
    r = cs.verdict(config, {}, {**a, "x_final": a["x_star"] + 0.2 * null})
    assert r.outcome == "fail" and r.details["remaining_movement"] < 1e-10, r.reason


def test_too_few_measurements_fail_and_the_number_of_measurements_is_data():
    r = _run(seed=2, measurements_factor=2, **QUICK)  # data: the same compile as the quick runs
    assert r.outcome == "fail" and r.measured > 0.1, r.reason
    assert r.arrays["measurement"].shape == (8, 64), r.arrays["measurement"].shape


def test_cli_exit_codes(tmp_path):
    quick = ["--set", "width=256", "--set", "steps=1000", "--no-plots"]
    assert main(["run", "untrained_cs_recovery", *quick, "--out", str(tmp_path / "ok")]) == 0
    assert main(["run", "untrained_cs_recovery", *quick, "--set", "init_scale=1",
                 "--out", str(tmp_path / "bad")]) == 1


def test_plots(default_result, tmp_path):
    check = get_check("untrained_cs_recovery")
    check.plot(make_config(check), default_result, str(tmp_path / "one.png"))
    rows = [{"config": {"measurements_factor": f, "signal": s}, "measured": e, "error": e, "outcome": "pass",
             "details": {"linearized_limit_error": e}} for f, s, e in ((4, "smooth", 0.1), (8, "smooth", 0.01),
                                                                       (4, "noise", 1.2), (8, "noise", 1.1))]
    cs.plot_sweep(rows, str(tmp_path / "sweep.png"))
    assert (tmp_path / "one.png").stat().st_size > 0 and (tmp_path / "sweep.png").stat().st_size > 0


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_default_size_other_seeds(seed):
    r = _run(seed=seed)
    assert r.outcome == "pass", r.reason


@pytest.mark.slow
def test_noise_measurements_fit_tightly_on_a_long_run():
    r = _run(seed=0, signal="noise", steps=20_000)
    assert r.outcome == "fail" and r.measured > cs.NOISE_THRESHOLD, r.reason
    assert r.details["measurement_residual"] < 0.05, r.details
