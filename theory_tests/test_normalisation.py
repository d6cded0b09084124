"""Normalisation and signal propagation (issue 9): dynamical isometry, batch-norm scale
invariance, channel normalisation. Each check passes at its defaults and other seeds and fails under
its negative controls, here and through the CLI; the new observers, models and transforms are
tested against independent computations."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from theorycheck import bounds
from theorycheck import dynamics
from theorycheck import models
from theorycheck import get_check, make_config
from theorycheck.cli import main
from _support import run_check

# library numerics and module-level verdict functions at float64 tolerances: float64 scoped to
# each test by the x64 fixture (checks run through Check.run scope it themselves)
pytestmark = pytest.mark.usefixtures("x64")


_run = run_check


# dynamical_isometry ---------------------------------------------------------------------------


def test_fisher_gram_and_jacobian_observers_match_dense_jacobians():
    net = models.deep_linear(6, 3, init="gaussian")
    params = net.init(jax.random.key(0))
    x = jax.random.normal(jax.random.key(1), (6,))
    j_theta = jax.jacrev(lambda p: net.apply(p, x[None])[0])(params)
    dense = np.concatenate([np.asarray(j).reshape(6, -1) for j in j_theta], axis=1)  # (d_out, P)
    gram = dynamics.single_sample_fisher_gram(net.apply, params, x, batch_size=4)
    np.testing.assert_allclose(gram, dense @ dense.T, rtol=1e-12, atol=1e-12)
    fisher = np.linalg.eigvalsh(dense.T @ dense)  # the P × P Fisher: its top d_out eigenvalues
    eig, _ = dynamics.single_sample_fisher_eigenvalues(net.apply, x).observe(params, (), jax.random.key(2))
    np.testing.assert_allclose(np.sort(eig), fisher[-6:], rtol=1e-10)
    product = np.asarray(params[0] @ params[1] @ params[2])
    sv, _ = dynamics.jacobian_singular_values(net.apply, x).observe(params, (), jax.random.key(3))
    np.testing.assert_allclose(sv, np.linalg.svd(product, compute_uv=False), rtol=1e-12)


def test_gaussian_product_moments_exact_and_fuss_catalan():
    assert bounds.fuss_catalan_moment(3, 2) == 4 and bounds.fuss_catalan_moment(2, 3) == 12
    m1, m2, var1 = bounds.gaussian_product_moments(1, 50)
    assert m1 == 1 and math.isclose(m2, 2 + 1 / 50)  # the Wishart value
    assert math.isclose(bounds.gaussian_product_moments(4, 10**9)[1], 5.0, rel_tol=1e-6)
    # Monte Carlo at N = 20, L = 3 (2000 networks): the exact E m₂ and Var m₁
    rng = np.random.default_rng(0)
    w = rng.standard_normal((2000, 3, 20, 20)) / math.sqrt(20)
    s2 = np.linalg.svd(w[:, 0] @ w[:, 1] @ w[:, 2], compute_uv=False) ** 2
    m1s, m2s = s2.mean(axis=1), (s2**2).mean(axis=1)
    _, e_m2, var = bounds.gaussian_product_moments(3, 20)
    assert abs(m1s.mean() - 1) < 4 * math.sqrt(var / 2000)
    assert abs(m2s.mean() - e_m2) < 4 * m2s.std() / math.sqrt(2000)
    assert abs(m1s.var() / var - 1) < 0.15


def test_dynamical_isometry_default_passes():
    result = _run("dynamical_isometry")
    assert result.passed, result.reason
    assert result.error < 1e-13


@pytest.mark.parametrize("seed, depth", [(1, 16), (2, 2)])
def test_dynamical_isometry_other_seeds_and_depths(seed, depth):
    result = _run("dynamical_isometry", seed=seed, depth=depth, width=64, replicas=2)
    assert result.passed, result.reason


@pytest.mark.parametrize("seed", [0, 3])
def test_dynamical_isometry_gaussian_control_fails_and_follows_fuss_catalan(seed):
    result = _run("dynamical_isometry", seed=seed, init="gaussian")
    assert result.outcome == "fail", result.reason
    assert result.error > 1.0  # O(1), not a near miss
    assert result.details["fuss_catalan_holds"], result.details
    # the Fisher spectrum spreads (THEORY.md §12: [0.020, 3.23]·L‖x‖² at L = 8, N = 400)
    assert result.details["fisher_ratio_min"] < 0.3 and result.details["fisher_ratio_max"] > 3.0


def test_dynamical_isometry_cli_exit_codes(tmp_path):
    small = ["--set", "width=32", "--set", "replicas=2", "--no-plots"]
    assert main(["run", "dynamical_isometry", *small, "--out", str(tmp_path / "ok")]) == 0
    assert main(["run", "dynamical_isometry", "--set", "init=gaussian", *small, "--out", str(tmp_path / "bad")]) == 1


# bn_scale_invariance --------------------------------------------------------------------------


def test_batch_norm_is_scale_invariant_only_at_eps_zero():
    x = jax.random.normal(jax.random.key(0), (8, 5))
    readout = jnp.ones((3,)) / 3
    for eps, invariant in ((0.0, True), (1e-3, False)):
        net = models.linear_bn_tanh(5, 3, readout, eps=eps)
        params = net.init(jax.random.key(1))
        loss = lambda p: jnp.sum(net.apply(p, x) ** 2)  # noqa: E731
        g = jax.grad(loss)(params)["w"]
        cosine = np.abs(np.sum(params["w"] * g, axis=1)) / (
            np.linalg.norm(params["w"], axis=1) * np.linalg.norm(g, axis=1))
        assert (cosine.max() < 1e-13) == invariant, (eps, cosine)


def test_weight_rescaling_projects_each_unit_onto_the_sphere():
    opt = optax.chain(optax.sgd(0.3), dynamics.weight_rescaling({"w": 1, "b": None}))
    params = {"w": jax.random.normal(jax.random.key(0), (4, 6)), "b": jnp.ones((4,))}
    grads = {"w": jax.random.normal(jax.random.key(1), (4, 6)), "b": jnp.ones((4,))}
    updates, _ = opt.update(grads, opt.init(params), params)
    new = optax.apply_updates(params, updates)
    expected = params["w"] - 0.3 * grads["w"]
    np.testing.assert_allclose(new["w"], expected / np.linalg.norm(expected, axis=1, keepdims=True), atol=1e-14)
    np.testing.assert_allclose(new["b"], params["b"] - 0.3)  # not a unit: a plain step
    with pytest.raises(ValueError, match="params"):
        dynamics.weight_rescaling({"w": 1}).update(grads, (), None)


def test_off_span_projector():
    x = jax.random.normal(jax.random.key(0), (3, 7))
    p = dynamics.input_span_complement(x)
    np.testing.assert_allclose(x @ p, 0.0, atol=1e-13)
    np.testing.assert_allclose(p @ p, p, atol=1e-13)
    assert round(float(jnp.trace(p))) == 4
    with pytest.raises(ValueError, match="span"):
        dynamics.input_span_complement(jnp.ones((7, 7)))


@pytest.mark.parametrize("seed, overrides", [
    (0, {}), (1, {"steps": 50}), (2, {"weight_decay": 0.05, "steps": 50}), (3, {"wrs": True, "steps": 50}),
    (4, {"wrs": True, "weight_decay": 0.1, "steps": 50}),
])
def test_bn_scale_invariance_passes(seed, overrides):
    result = _run("bn_scale_invariance", seed=seed, **overrides)
    assert result.passed, result.reason
    assert result.error < 1e-14


@pytest.mark.parametrize("control, broken, intact", [
    ({"batch_norm": False}, "error_norm", "error_span"),     # the span property is not a BN effect
    ({"optimizer": "adam"}, "error_span", "error_residual"),  # BN's ⟨w, g⟩ = 0 still holds
    ({"optimizer": "momentum"}, "error_norm", "error_span"),
])
def test_bn_scale_invariance_controls_fail_visibly(control, broken, intact):
    result = _run("bn_scale_invariance", seed=1, steps=50, **control)
    assert result.outcome == "fail", result.reason
    assert result.details[broken] > 1e-3 and result.details[intact] < 1e-13, result.details


def test_bn_scale_invariance_wrs_needs_batch_norm():
    with pytest.raises(ValueError, match="wrs"):
        make_config(get_check("bn_scale_invariance"), {"wrs": True, "batch_norm": False})


def test_bn_scale_invariance_cli_exit_codes(tmp_path):
    quick = ["--set", "steps=20", "--no-plots"]
    assert main(["run", "bn_scale_invariance", *quick, "--out", str(tmp_path / "ok")]) == 0
    for i, control in enumerate(("batch_norm=false", "optimizer=adam", "optimizer=momentum")):
        assert main(["run", "bn_scale_invariance", "--set", control, *quick, "--out", str(tmp_path / f"bad{i}")]) == 1


# channel_norm_gradients -----------------------------------------------------------------------


def test_deep_linear_conv_is_a_product_in_fourier_space():
    net = models.deep_linear_conv(16, 3, 4)
    params = net.init(jax.random.key(0))
    x = jax.random.normal(jax.random.key(1), (16,))
    padded = np.zeros((4, 16))
    padded[:, :3] = np.asarray(params["kernels"])
    expected = np.fft.ifft(np.fft.fft(x) * np.prod(np.fft.fft(padded, axis=1), axis=0)).real
    np.testing.assert_allclose(net.apply(params, x), expected, atol=1e-12)
    np.testing.assert_allclose(net.apply(params, jnp.stack([x, x])), np.stack([expected, expected]), atol=1e-12)
    cn = models.deep_linear_conv(16, 3, 4, channel_normalisation=True)
    out = cn.apply(params, x)
    assert abs(float(out.mean())) < 1e-12 and abs(float(out.std()) - 1) < 1e-12
    with pytest.raises(ValueError, match="kernel_size"):
        models.deep_linear_conv(2, 3, 1)


def test_scalar_chain_bounds():
    assert bounds.daiheckel19_escape_steps(0.5, 8, 0.1) == pytest.approx(320 / 3)
    flow = bounds.scalar_chain_flow_steps(0.5, 8, 0.1, 1e-3)
    assert bounds.daiheckel19_escape_steps(0.5, 8, 0.1) < flow < 1.1 * bounds.daiheckel19_escape_steps(0.5, 8, 0.1)
    with pytest.raises(ValueError):
        bounds.daiheckel19_escape_steps(0.5, 2, 0.1)


@pytest.mark.parametrize("seed, overrides", [
    (0, {}), (1, {"kernel_scale": 0.3, "depth": 12}), (2, {"kernel_scale": 1.7, "lr": 0.03, "depth": 3}),
])
def test_channel_norm_gradients_passes(seed, overrides):
    result = _run("channel_norm_gradients", seed=seed, **overrides)
    assert result.passed, result.reason
    assert result.error < 1e-11
    assert all(e <= 0.10 for e in result.details["chain_relative_error"])
    growth = result.details["chain_growth_per_2_layers"]
    assert all(g > 2.5 for g in growth)  # geometric in depth (→ w₀^{-2}(D−2)/D = 3–3.3)


@pytest.mark.parametrize("seed", [0, 1])
def test_channel_norm_gradients_control_fails(seed):
    result = _run("channel_norm_gradients", seed=seed, channel_norm=False)
    assert result.outcome == "fail", result.reason
    assert result.error > 1e3  # orders of magnitude, ∝ a^{2D}
    assert result.details["log_log_slope_grad_vs_scale"] > 5


def test_channel_norm_gradients_cli_exit_codes(tmp_path):
    assert main(["run", "channel_norm_gradients", "--no-plots", "--out", str(tmp_path / "ok")]) == 0
    assert main(["run", "channel_norm_gradients", "--set", "channel_norm=false", "--no-plots",
                 "--out", str(tmp_path / "bad")]) == 1


# dropout_decorrelation ------------------------------------------------------------------------


def test_dropout_keeps_with_probability_q_and_rescales():
    x = jnp.ones((200_000,))
    y = models.dropout(x, 0.3, jax.random.key(0))
    kept = np.asarray(y) != 0
    assert abs(kept.mean() - 0.3) < 4 * math.sqrt(0.3 * 0.7 / x.size)
    np.testing.assert_allclose(np.asarray(y)[kept], 1 / 0.3)
    assert not np.array_equal(kept, np.asarray(models.dropout(x, 0.3, jax.random.key(1))) != 0)


def test_dropout_tables_exact():
    table = np.array([[0.3, 0.1], [0.2, 0.4]])
    joint, u, v = bounds.dropout_joint_table(table, np.array([-1.0, 2.0]), np.array([1.0, 3.0]), 0.6)
    assert joint.shape == (3, 3) and abs(joint.sum() - 1) < 1e-15
    assert joint[list(u).index(0.0), list(v).index(0.0)] == pytest.approx(0.16)
    ratio = bounds.mutual_information(joint) / bounds.mutual_information(table)
    assert abs(ratio / 0.36 - 1) < 1e-13
    # an atom at 0 breaks it (the ReLU control)
    atom, _, _ = bounds.dropout_joint_table(table, np.array([0.0, 2.0]), np.array([1.0, 3.0]), 0.6)
    assert abs(bounds.mutual_information(atom) / bounds.mutual_information(table) - 0.36) > 1e-2


@pytest.mark.parametrize("seed, overrides", [(0, {}), (1, {}), (2, {"keep_prob": 0.05}), (3, {"keep_prob": 0.95})])
def test_dropout_decorrelation_passes(seed, overrides):
    result = _run("dropout_decorrelation", seed=seed, **overrides)
    assert result.passed, result.reason
    assert result.details["mi_relative_error"] <= result.details["mi_tolerance"] <= 1e-11


@pytest.mark.parametrize("control, mi_holds", [({"mean": 2.0}, True), ({"distribution": "relu"}, False)])
def test_dropout_decorrelation_controls_fail(control, mi_holds):
    result = _run("dropout_decorrelation", seed=1, **control)
    assert result.outcome == "fail", result.reason
    assert result.error > 10 * result.tolerance
    assert (result.details["mi_relative_error"] <= result.details["mi_tolerance"]) == mi_holds


def test_dropout_decorrelation_cli_exit_codes(tmp_path):
    assert main(["run", "dropout_decorrelation", "--no-plots", "--out", str(tmp_path / "ok")]) == 0
    for i, control in enumerate(("mean=2", "distribution=relu")):
        assert main(["run", "dropout_decorrelation", "--set", control, "--no-plots", "--out", str(tmp_path / f"b{i}")]) == 1


# sweeps ---------------------------------------------------------------------------------------


def test_data_keys_do_not_retrace():
    """A new value of a data key reuses the compiled simulator (the sweep protocol)."""
    from theorycheck._check import jitted_simulate

    check = get_check("dropout_decorrelation")
    config = make_config(check, {"samples": 10_000})
    simulate = jitted_simulate(check.simulate, config)
    simulate({"keep_prob": jnp.asarray(0.5), "mean": jnp.asarray(0.0)}, jax.random.key(0))
    before = simulate._cache_size()
    simulate({"keep_prob": jnp.asarray(0.2), "mean": jnp.asarray(1.0)}, jax.random.key(1))
    assert simulate._cache_size() == before
