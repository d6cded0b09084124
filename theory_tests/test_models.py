"""The models' defining properties (each assertion can fail)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from theorycheck import models

# the library's own float64 numerics (closed forms to 1e-12, Lanczos against eigvalsh): float64
# scoped to each test by the x64 fixture, never switched on for the process
pytestmark = pytest.mark.usefixtures("x64")


@given(scale=st.floats(0.1, 10.0), depth=st.sampled_from([2, 3]))
def test_bias_free_relu_mlp_is_positively_homogeneous(scale, depth):
    """f(cθ) = c^L f(θ) for a bias-free ReLU net with L weight layers (needed by the norm bounds)."""
    net = models.mlp([3] + [7] * (depth - 1) + [2], "relu", bias=False)
    params = net.init(jax.random.key(0))
    x = jax.random.normal(jax.random.key(1), (5, 3))
    scaled = jax.tree.map(lambda w: scale * w, params)
    np.testing.assert_allclose(net.apply(scaled, x), scale**depth * net.apply(params, x), rtol=1e-10, atol=1e-12)


def test_mlp_with_bias_is_not_homogeneous():
    net = models.mlp([3, 7, 2], "relu", bias=True)
    params = jax.tree.map(lambda w: w + 0.5, net.init(jax.random.key(0)))  # non-zero biases
    x = jax.random.normal(jax.random.key(1), (5, 3))
    scaled = jax.tree.map(lambda w: 2.0 * w, params)
    assert not np.allclose(net.apply(scaled, x), 4.0 * net.apply(params, x))


def test_ntk_and_standard_parameterizations_compute_the_same_function_family():
    """With σ_w = 1 an NTK layer x·w/√fan_in equals a standard layer with w/√fan_in."""
    ntk = models.mlp([4, 9, 1], "tanh", bias=False, parameterization="ntk")
    std = models.mlp([4, 9, 1], "tanh", bias=False)
    params = ntk.init(jax.random.key(0))
    rescaled = [{"w": layer["w"] / jnp.sqrt(layer["w"].shape[0])} for layer in params]
    x = jax.random.normal(jax.random.key(1), (3, 4))
    np.testing.assert_allclose(ntk.apply(params, x), std.apply(rescaled, x), rtol=1e-12)


def test_antisymmetric_two_layer_starts_at_zero():
    net = models.two_layer(5, 40, antisymmetric_init=True)
    x = jax.random.normal(jax.random.key(1), (8, 5))
    assert np.max(np.abs(net.apply(net.init(jax.random.key(0)), x))) < 1e-12
    plain = models.two_layer(5, 40)
    assert np.max(np.abs(plain.apply(plain.init(jax.random.key(0)), x))) > 1e-2


def test_diagonal_linear_starts_at_beta_zero_unless_unbalanced():
    net = models.diagonal_linear(6, 3, alpha=0.5)
    params = net.init(jax.random.key(0))
    np.testing.assert_array_equal(models.diagonal_linear_predictor(params, 3), np.zeros(6))
    unbalanced = models.diagonal_linear(6, 3, alpha=0.5, alpha_minus=0.25).init(jax.random.key(0))
    np.testing.assert_allclose(models.diagonal_linear_predictor(unbalanced, 3), (0.125 - 0.25**3) * np.ones(6))


def test_orthogonal_deep_linear_is_an_isometry():
    net = models.deep_linear(6, 4, init="orthogonal")
    product = net.apply(net.init(jax.random.key(0)), jnp.eye(6))
    np.testing.assert_allclose(product @ product.T, np.eye(6), atol=1e-12)


def test_cohen_regression_net_shapes_and_data():
    x, y = models.chebyshev_regression(5, 20)
    np.testing.assert_allclose(y[:, 0], np.cos(5 * np.arccos(x[:, 0])), atol=1e-12)  # T₅
    net = models.cohen21_regression_net()
    params = net.init(jax.random.key(0))
    assert params["w1"].shape == (1, 100) and params["w2"].shape == (100, 1)
    assert net.apply(params, x).shape == (20, 1)


@pytest.mark.parametrize(
    "build, match",
    [
        (lambda: models.mlp([3], "relu"), "widths"),
        (lambda: models.mlp([3, 0, 1], "relu"), "widths"),
        (lambda: models.mlp([3, 2], "swish?"), "activation"),
        (lambda: models.mlp([3, 2], parameterization="mup"), "parameterization"),
        (lambda: models.mlp([3, 2], init_scale=-1.0), "init_scale"),
        (lambda: models.two_layer(3, 5, antisymmetric_init=True), "even"),
        (lambda: models.diagonal_linear(4, 1, alpha=1.0), "depth"),
        (lambda: models.diagonal_linear(4, 2, alpha=0.0), "alpha"),
        (lambda: models.diagonal_linear(4, 2, alpha=float("nan")), "alpha"),
        (lambda: models.deep_linear(4, 2, init="xavier"), "init"),
        (lambda: models.sparse_regression(jax.random.key(0), 5, 3, 4), "sparsity"),
    ],
)
def test_bad_model_arguments_raise(build, match):
    with pytest.raises(ValueError, match=match):
        build()


@pytest.mark.parametrize("parameterization, variance", [("standard", 1.0 / 400), ("ntk", 1.0)])
def test_mlp_initial_weight_variance(parameterization, variance):
    """**Statement:** standard: w ~ N(0, σ²/fan_in); ntk: w ~ N(0, σ²) (σ = init_scale = 2 here).
    The sample variance of 400·300 = 1.2e5 Gaussian entries has relative standard deviation
    √(2/1.2e5) ≈ 0.4%, so a 5% tolerance fails only at > 10σ, and 1/fan_out or 1/fan_in² is far off."""
    net = models.mlp([400, 300, 1], "relu", parameterization=parameterization, init_scale=2.0)
    w = np.asarray(net.init(jax.random.key(0))[0]["w"])
    assert w.shape == (400, 300)
    assert abs(w.var() / (4.0 * variance) - 1.0) <= 0.05


def test_deep_linear_gaussian_variance_is_one_over_fan_in():
    """A rectangular first layer (fan_in 400, fan_out 50): N(0, 1/fan_in), tolerance as above (2e4 entries: 1%·5)."""
    w = np.asarray(models.deep_linear(50, 2, d_in=400).init(jax.random.key(0))[0])
    assert w.shape == (400, 50)
    assert abs(w.var() * 400 - 1.0) <= 0.05


@pytest.mark.parametrize("parameterization", ["standard", "ntk"])
def test_mlp_apply_matches_its_formula(parameterization):
    """x ↦ tanh(x W₁/s₁ + b₁) W₂/s₂ + b₂ with s = √fan_in (ntk) or 1 (standard): no activation
    after the last layer (the output of a tanh net must leave [−1, 1] for large W₂)."""
    net = models.mlp([3, 5, 2], "tanh", parameterization=parameterization)
    params = net.init(jax.random.key(1))
    params[-1]["w"] = 10.0 * params[-1]["w"]
    params = [{"w": layer["w"], "b": layer["b"] + 0.1} for layer in params]
    x = jax.random.normal(jax.random.key(2), (4, 3))
    s1, s2 = (np.sqrt(3.0), np.sqrt(5.0)) if parameterization == "ntk" else (1.0, 1.0)
    hidden = np.tanh(np.asarray(x) @ np.asarray(params[0]["w"]) / s1 + 0.1)
    expected = hidden @ np.asarray(params[1]["w"]) / s2 + 0.1
    np.testing.assert_allclose(net.apply(params, x), expected, rtol=1e-12)
    assert np.max(np.abs(expected)) > 1.0


def test_sparse_regression_allows_a_dense_target():
    """sparsity = d is allowed: β* = 1/√d everywhere and y = Xβ*."""
    x, y, beta = models.sparse_regression(jax.random.key(0), 5, 4, 4)
    np.testing.assert_allclose(beta, 0.5 * np.ones(4), rtol=1e-15)
    np.testing.assert_allclose(y, np.asarray(x) @ np.asarray(beta), rtol=1e-12)


def test_gaussian_mixture_is_balanced_separated_and_keyed():
    key = jax.random.key(3)
    x, y, labels = models.gaussian_mixture(key, 103, 8, 4, separation=5.0, noise=0.1)
    assert x.shape == (103, 8) and y.shape == (103, 4)
    counts = np.bincount(np.asarray(labels), minlength=4)
    assert counts.max() - counts.min() <= 1
    np.testing.assert_array_equal(np.argmax(np.asarray(y), 1), np.asarray(labels))
    # nearest-mean classification is exact at separation/noise = 50
    assert np.all(np.argmax(np.asarray(x)[:, :4], 1) == np.asarray(labels))
    again = models.gaussian_mixture(key, 103, 8, 4, separation=5.0, noise=0.1)[0]
    np.testing.assert_array_equal(np.asarray(x), np.asarray(again))
    with pytest.raises(ValueError, match="classes"):
        models.gaussian_mixture(key, 10, 3, 0)


def test_teacher_student_labels_by_the_teacher():
    teacher = models.mlp([5, 7, 1], bias=False)
    params = teacher.init(jax.random.key(1))
    x, y = models.teacher_student(jax.random.key(2), teacher.apply, params, 20, 5)
    np.testing.assert_allclose(np.asarray(y), np.asarray(teacher.apply(params, x)), rtol=0, atol=0)
    _, noisy = models.teacher_student(jax.random.key(2), teacher.apply, params, 20, 5, noise=0.5)
    assert 0.1 < float(jnp.std(noisy - y)) < 1.5
    with pytest.raises(ValueError, match="noise"):
        models.teacher_student(jax.random.key(2), teacher.apply, params, 20, 5, noise=-1.0)
