"""Inputs that used to pass silently: each is now a ValueError naming the argument (concrete
values, before compiling) or a reported outcome (traced values, inside ``jit``/``vmap``)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from theorycheck import bounds
from theorycheck import dynamics

# the library's own float64 numerics (closed forms to 1e-12, Lanczos against eigvalsh): float64
# scoped to each test by the x64 fixture, never switched on for the process
pytestmark = pytest.mark.usefixtures("x64")


def _quadratic(theta):
    return 0.5 * jnp.sum(theta**2)


def _assert_not_simulated(trajectory, params0):
    """The documented outcome of an invalid traced hyperparameter: nothing ran, nothing is data."""
    assert int(trajectory.status) == 4
    assert not bool(trajectory.diverged)
    assert int(trajectory.diverged_at) == -1
    assert int(trajectory.final_time) == 0
    np.testing.assert_array_equal(trajectory.final_params, params0)
    assert np.all(np.isnan(np.asarray(trajectory.losses)))
    for leaf in jax.tree.leaves(trajectory.observations):
        assert np.all(np.isnan(np.asarray(leaf)))


# ------------------------------------------------------- traced learning rates are data (A.1)
@pytest.mark.parametrize("hyperparams", [
    {"learning_rate": -0.1}, {"learning_rate": 0.0}, {"learning_rate": np.nan}, {"learning_rate": np.inf},
    {"learning_rate": 0.1, "momentum": -0.5}, {"learning_rate": 0.1, "weight_decay": np.nan},
])
def test_invalid_traced_hyperparams_are_reported_not_simulated(key, hyperparams):
    """Under ``jit`` the values are tracers and cannot raise; a negative step size used to run
    gradient ascent (‖θ‖ growing like 1.1^t) and report ``STATUS_COMPLETED``."""
    run = dynamics.gradient_descent(_quadratic, dynamics.plain_sgd(0.1), num_steps=6, every=3,
                                    observers={"norm": dynamics.parameter_norms()})
    params0 = jnp.array([1.0, -2.0])
    _assert_not_simulated(jax.jit(run)(params0, key, hyperparams), params0)


def test_traced_learning_rate_given_to_plain_sgd_inside_jit(key):
    """``plain_sgd(lr)`` with ``lr`` traced: a bad value is reported, a good one runs exactly
    (GD on ½‖θ‖²: θ_T = (1 − η)^T θ₀)."""

    @jax.jit
    def simulate(lr):
        return dynamics.gradient_descent(_quadratic, dynamics.plain_sgd(lr), num_steps=5)(jnp.ones(2), key)

    _assert_not_simulated(simulate(-0.1), jnp.ones(2))
    good = simulate(0.25)
    assert int(good.status) == dynamics.STATUS_COMPLETED and int(good.final_time) == 5
    np.testing.assert_allclose(good.final_params, 0.75**5 * np.ones(2), rtol=1e-15)


def test_vmap_with_one_bad_lane_leaves_the_good_lanes_exact(key):
    run = dynamics.gradient_descent(lambda t: 0.5 * jnp.sum(jnp.array([1.0, 3.0]) * t**2), dynamics.plain_sgd(0.1),
                                    num_steps=8, every=4, observers={"norm": dynamics.parameter_norms()})
    params0 = jnp.array([1.0, -2.0])
    lrs = jnp.array([0.3, -0.3, 0.05])
    swept = jax.jit(jax.vmap(run, in_axes=(None, None, {"learning_rate": 0})))(params0, key, {"learning_rate": lrs})
    np.testing.assert_array_equal(swept.status, [dynamics.STATUS_COMPLETED, 4,
                                                 dynamics.STATUS_COMPLETED])
    _assert_not_simulated(jax.tree.map(lambda a: a[1], swept), params0)
    for lane in (0, 2):
        single = dynamics.gradient_descent(lambda t: 0.5 * jnp.sum(jnp.array([1.0, 3.0]) * t**2),
                                           dynamics.plain_sgd(float(lrs[lane])), num_steps=8, every=4,
                                           observers={"norm": dynamics.parameter_norms()})(params0, key)
        for got, want in zip(jax.tree.leaves(jax.tree.map(lambda a: a[lane], swept)), jax.tree.leaves(single)):
            np.testing.assert_allclose(got, want, rtol=1e-14)


def test_minibatch_sgd_reports_an_invalid_traced_learning_rate(key):
    x = jnp.arange(6.0)[:, None]
    run = dynamics.sgd(lambda p, batch: jnp.mean((batch[0] @ p) ** 2), dynamics.plain_sgd(0.1), (x,),
                       batch_size=2, num_steps=4)
    _assert_not_simulated(jax.jit(run)(jnp.ones(1), key, {"learning_rate": -1.0}), jnp.ones(1))


# ------------------------------------------------------------ non-numeric configuration (A.4)
@pytest.mark.parametrize("name", ["learning_rate", "momentum", "weight_decay"])
@pytest.mark.parametrize("value", ["0.1", True, 1j, [0.1], np.nan, np.inf, -np.inf, np.array([0.1, np.nan])])
def test_plain_sgd_rejects_non_numeric_and_non_finite_values(name, value):
    kwargs = {"learning_rate": 0.1} | {name: value}
    with pytest.raises(ValueError, match=name):
        dynamics.plain_sgd(kwargs.pop("learning_rate"), **kwargs)


@pytest.mark.parametrize("kwargs, name", [
    ({"learning_rate": -0.1}, "learning_rate"), ({"learning_rate": 0.0}, "learning_rate"),
    ({"learning_rate": 0.1, "momentum": -0.1}, "momentum"), ({"learning_rate": 0.1, "weight_decay": -1e-3}, "weight_decay"),
])
def test_plain_sgd_rejects_concrete_values_out_of_range(kwargs, name):
    with pytest.raises(ValueError, match=name):
        dynamics.plain_sgd(**kwargs)


@pytest.mark.parametrize("hyperparams, name", [
    ({"learning_rate": 0.0}, "learning_rate"), ({"momentum": -0.5}, "momentum"), ({"weight_decay": np.inf}, "weight_decay"),
])
def test_run_rejects_concrete_hyperparams_out_of_range(key, hyperparams, name):
    run = dynamics.gradient_descent(_quadratic, dynamics.plain_sgd(0.1), num_steps=2)
    with pytest.raises(ValueError, match=name):
        run(jnp.ones(2), key, hyperparams)


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_non_finite_initial_parameters_raise(key, bad):
    run = dynamics.gradient_descent(_quadratic, dynamics.plain_sgd(0.1), num_steps=2)
    with pytest.raises(ValueError, match="params0"):
        run({"w": jnp.array([1.0, bad])}, key)


def test_plain_sgd_rejects_a_missing_learning_rate():
    with pytest.raises(ValueError, match="learning_rate"):
        dynamics.plain_sgd(None)


def test_run_hyperparams_and_flow_configuration_reject_strings(key):
    run = dynamics.gradient_descent(_quadratic, dynamics.plain_sgd(0.1), num_steps=2)
    with pytest.raises(ValueError, match=r"hyperparams\['learning_rate'\]"):
        run(jnp.ones(2), key, {"learning_rate": "0.1"})
    with pytest.raises(ValueError, match=r"hyperparams\['momentum'\]"):
        run(jnp.ones(2), key, {"momentum": "0.5"})
    with pytest.raises(ValueError, match="t1"):
        dynamics.gradient_flow(_quadratic, t1="1.0")


# ---------------------------------------------------------------- Lanczos from a zero start (A.2)
@pytest.mark.parametrize("start", [np.zeros(12), np.full(12, np.nan)])
def test_lanczos_replaces_a_zero_or_nan_start_by_a_random_one(key, start):
    """A zero start used to give 0/0 = NaN everywhere. Full Krylov dimension (m = n) makes the
    Ritz values the exact eigenvalues up to O(n·eps·‖A‖)."""
    rng = np.random.default_rng(0)
    half = rng.standard_normal((12, 12))
    matrix = half + half.T
    pairs = jax.jit(lambda s: dynamics.lanczos_top_eigenpairs(lambda v: matrix @ v, s, key, num_iterations=12, k=3))(
        jnp.asarray(start))
    dense = np.linalg.eigvalsh(matrix)[::-1][:3]
    np.testing.assert_allclose(pairs.eigenvalues, dense, rtol=1e-10)
    assert np.all(pairs.residuals <= 1e-10 * np.abs(dense).max())


# ----------------------------------------------------------- inconsistent interpolation (A.3)
def test_both_interpolants_reject_the_same_inconsistent_system():
    """x₂ = 2x₁ in both rows, so Xβ = y needs y₂ = 2y₁: y = (1, 3) has no solution, y = (1, 2) does,
    with min-ℓ2 = (1, 2)/5 (in range(Xᵀ)) and min-ℓ1 = (0, 1/2) (one non-zero)."""
    X = np.array([[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(ValueError, match="no solution"):
        bounds.min_l2_interpolant(X, np.array([1.0, 3.0]))
    with pytest.raises(ValueError, match="solution"):
        bounds.min_l1_interpolant(X, np.array([1.0, 3.0]))
    np.testing.assert_allclose(bounds.min_l2_interpolant(X, np.array([1.0, 2.0])), [0.2, 0.4], rtol=1e-14)
    np.testing.assert_allclose(bounds.min_l1_interpolant(X, np.array([1.0, 2.0])), [0.0, 0.5], atol=1e-15)


def test_min_l2_rejects_an_overdetermined_random_system():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="min_l2_interpolant"):
        bounds.min_l2_interpolant(rng.standard_normal((8, 3)), rng.standard_normal(8))
