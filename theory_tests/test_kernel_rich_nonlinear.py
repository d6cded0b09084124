"""kernel_rich_nonlinear end to end at quick sizes, plus its library pieces: models.linearize and the
lazy-training bounds (hand-computed values, and the closed form against an explicit GD loop)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree

from theorycheck import bounds, get_check, make_config, models
from theorycheck.checks import kernel_rich_nonlinear as krn

QUICK = {"width": 32, "d": 5, "n": 10, "n_test": 50, "steps": 400}
CONTROL = {"regime": "lazy", "alpha_min": 0.003, "alpha_max": 0.3}


def _run(overrides, seed):
    check = get_check("kernel_rich_nonlinear")
    return check.run(make_config(check, {**QUICK, **overrides}), jax.random.key(seed))


@pytest.fixture(scope="module")
def quick_runs():
    return {seed: _run({}, seed) for seed in (0, 1)}


@pytest.mark.parametrize("seed", [0, 1])
def test_quick_default_passes(quick_runs, seed):
    result = quick_runs[seed]
    assert result.outcome == "pass", result.reason
    assert abs(result.details["distance_slope"] + 1) < 0.05 and abs(result.details["weight_slope"] + 1) < 0.05
    assert result.details["lin_sim_vs_closed_form"] < 1e-8  # the simulator's linear model is the oracle's
    assert result.details["d_K_alpha_min"] > 0.1  # the rich end is away from the kernel regression


@pytest.mark.parametrize("seed", [0, 1])
def test_kappa_assumption_holds(quick_runs, seed):
    """The band's derivation assumes κ ≤ 1 (α·D = c₁(1 + κε)); measured here."""
    assert quick_runs[seed].details["kappa"] <= 1.0


@pytest.mark.parametrize("seed", [0, 1])
def test_control_fails_on_closeness(seed):
    result = _run(CONTROL, seed)
    assert result.outcome == "fail" and result.reason.startswith("d_K"), result.reason
    assert result.error > 0.1


def test_linearize_matches_at_params0_and_is_first_order():
    net = models.two_layer(3, 16, activation="tanh")
    p0 = net.init(jax.random.key(0))
    x = jax.random.normal(jax.random.key(1), (5, 3))
    lin = models.linearize(net.apply, p0)
    np.testing.assert_allclose(lin(p0, x), net.apply(p0, x), rtol=1e-6)
    direction = jax.tree.map(lambda a: jnp.cos(jnp.arange(a.size).reshape(a.shape) * 1.3), p0)

    @jax.jit
    def remainder(t):
        p = jax.tree.map(lambda a, b: a + t * b, p0, direction)
        return jnp.max(jnp.abs(lin(p, x) - net.apply(p, x)))

    errors = [float(remainder(t)) for t in (1e-1, 5e-2)]
    assert errors[0] / errors[1] == pytest.approx(4.0, rel=0.1)  # the remainder is second order


def test_linearize_is_exact_for_a_linear_model():
    def apply(p, x):
        return x @ p["w"] + p["b"]

    p0 = {"w": jnp.array([1.0, -2.0]), "b": jnp.array(0.5)}
    p1 = {"w": jnp.array([3.0, 0.0]), "b": jnp.array(-1.0)}
    x = jnp.array([[1.0, 2.0], [0.0, 1.0]])
    np.testing.assert_allclose(models.linearize(apply, p0)(p1, x), apply(p1, x), rtol=1e-6)


def test_displacement_hand_values():
    jac = np.array([[1.0, 0.0], [0.0, 2.0]])
    np.testing.assert_allclose(bounds.linearized_gd_displacement(jac, [1.0, 1.0], lr=0.5, steps=1), [0.25, 0.5])
    np.testing.assert_allclose(bounds.linearized_gd_displacement(jac, [1.0, 1.0], lr=0.5, steps=2),
                               [0.4375, 0.5])  # λ = 0.5: (1 − 0.75²)/0.5 · 1/2; λ = 2: ηλ = 1, done
    np.testing.assert_allclose(bounds.linearized_gd_displacement(jac, [1.0, 1.0]), [1.0, 0.5])


def test_displacement_matches_explicit_gd():
    rng = np.random.default_rng(0)
    jac, y = rng.standard_normal((6, 15)), rng.standard_normal(6)
    lr = 1.0 / np.linalg.eigvalsh(jac @ jac.T / 6)[-1]
    v = np.zeros(15)
    for _ in range(37):
        v -= lr * jac.T @ (jac @ v - y) / 6
    np.testing.assert_allclose(bounds.linearized_gd_displacement(jac, y, lr, 37), v, rtol=1e-10, atol=1e-12)
    limit = bounds.linearized_gd_displacement(jac, y)
    np.testing.assert_allclose(jac @ limit, y, rtol=1e-10)
    np.testing.assert_allclose(limit, np.linalg.pinv(jac) @ y, rtol=1e-9)


def test_steps_to_interpolant_is_tight_and_sufficient():
    jac = np.eye(2)
    assert bounds.linearized_gd_steps_to_interpolant(jac, jac, [1.0, 0.0], lr=1.0, target=0.26) == 2.0
    assert bounds.linearized_gd_steps_to_interpolant(jac, jac, [1.0, 0.0], lr=1.0, target=1.0) == 0.0
    assert bounds.linearized_gd_steps_to_interpolant(jac, jac, [1.0, 0.0], lr=4.0, target=0.1) == float("inf")
    rng = np.random.default_rng(1)
    jac, jt, y = rng.standard_normal((5, 12)), rng.standard_normal((7, 12)), rng.standard_normal(5)
    lr = 1.0 / np.linalg.eigvalsh(jac @ jac.T / 5)[-1]
    steps = int(bounds.linearized_gd_steps_to_interpolant(jac, jt, y, lr, 1e-3))
    gap = np.linalg.norm(jt @ (bounds.linearized_gd_displacement(jac, y, lr, steps) - bounds.linearized_gd_displacement(jac, y)))
    assert gap <= 1e-3


def test_roundoff_floor_hand_value():
    floor = bounds.lazy_roundoff_floor(10.0, [[1.0, -2.0]], [3.0, 1.0], [5.0], 4)
    assert floor == pytest.approx(40 * 2.0**-53)
    with pytest.raises(ValueError, match="params0"):
        bounds.lazy_roundoff_floor(1.0, [[1.0, 2.0]], [1.0], [1.0], 4)


def test_bounds_reject_bad_input():
    with pytest.raises(ValueError, match="singular"):
        bounds.linearized_gd_displacement(np.ones((2, 3)), [1.0, 2.0])
    with pytest.raises(ValueError, match="lr is needed"):
        bounds.linearized_gd_displacement(np.eye(2), [1.0, 2.0], steps=3)
    with pytest.raises(ValueError, match="y must have shape"):
        bounds.linearized_gd_displacement(np.eye(2), [1.0])


def test_preactivation_layout_matches_ravel():
    """preactivation_scale reads the first-layer block of ravel_pytree(two_layer params)."""
    net = models.two_layer(4, 6)
    p = net.init(jax.random.key(0))
    flat, unravel = ravel_pytree(p)
    x = np.asarray(jax.random.normal(jax.random.key(1), (3, 4)))
    expected = float(np.max(np.abs(x @ np.asarray(unravel(flat)["w"]))))
    assert krn.preactivation_scale(np.asarray(flat), x, 6) == pytest.approx(expected, rel=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_default_sizes_pass(seed):
    check = get_check("kernel_rich_nonlinear")
    result = check.run(make_config(check, {}), jax.random.key(seed))
    assert result.outcome == "pass", result.reason
    assert result.details["kappa"] <= 1.0


@pytest.mark.slow
@pytest.mark.parametrize("seed", [417, 858])
def test_default_control_fails(seed):
    check = get_check("kernel_rich_nonlinear")
    result = check.run(make_config(check, CONTROL), jax.random.key(seed))
    assert result.outcome == "fail" and result.reason.startswith("d_K"), result.reason
