"""A sweep gives the same numbers on one device or several (the batch axis is sharded)."""

import json
import os
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np

from theorycheck import dynamics

SWEEP = textwrap.dedent(
    """
    import json, jax, jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
    from theorycheck import dynamics, models
    x, y = models.chebyshev_regression(3, 16)
    net = models.mlp([1, 16, 1], "tanh")
    loss = lambda p: 0.5 * jnp.mean((net.apply(p, x) - y) ** 2)

    def one(lr, key):
        k_init, k_run = jax.random.split(key)
        run = dynamics.gradient_descent(loss, dynamics.plain_sgd(lr), num_steps=200, every=50,
                                        observers={"sharpness": dynamics.top_hessian_eigenvalues(loss)})
        return run(net.init(k_init), k_run)

    lrs = jnp.array([0.05, 0.1, 0.2, 0.4])
    keys = jax.vmap(jax.random.key)(jnp.arange(4))
    out = dynamics.sweep(one, (lrs, keys), in_axes=(0, 0))
    print(json.dumps({"devices": jax.device_count(),
                      "losses": out.losses[:, -1].tolist(),
                      "sharpness": out.observations["sharpness"]["eigenvalues"][:, -1, 0].tolist()}))
    """
)


def _run_with_devices(count):
    env = dict(os.environ, XLA_FLAGS=f"--xla_force_host_platform_device_count={count}", JAX_PLATFORMS="cpu")
    done = subprocess.run([sys.executable, "-c", SWEEP], env=env, capture_output=True, text=True, check=True,
                          cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_sweep_is_the_same_on_one_or_two_devices():
    one, two = _run_with_devices(1), _run_with_devices(2)
    assert (one["devices"], two["devices"]) == (1, 2)
    np.testing.assert_allclose(two["losses"], one["losses"], rtol=1e-13)
    np.testing.assert_allclose(two["sharpness"], one["sharpness"], rtol=1e-11)


def test_sweep_equals_a_plain_vmap():
    def one(scale, key):
        return scale * jax.random.normal(key, (3,))

    scales = jnp.array([1.0, 2.0])
    keys = jax.vmap(jax.random.key)(jnp.arange(2))
    np.testing.assert_array_equal(dynamics.sweep(one, (scales, keys), in_axes=(0, 0)), jax.vmap(one)(scales, keys))


def test_repeated_sweeps_do_not_recompile():
    import chex

    @chex.assert_max_traces(n=1)
    def square(x):
        return x**2

    for _ in range(3):
        dynamics.sweep(square, (jnp.arange(4.0),), in_axes=(0,))


def test_numpy_scalar_learning_rate_stays_data(key):
    """A numpy scalar is injected like a Python number (optax would make it static)."""
    run = dynamics.gradient_descent(lambda p: 0.5 * jnp.sum(p**2), dynamics.plain_sgd(np.float32(0.1)), num_steps=3)
    trajectory = run(jnp.ones(2), key, {"learning_rate": 0.2})
    np.testing.assert_allclose(trajectory.final_params, 0.8**3 * np.ones(2))
