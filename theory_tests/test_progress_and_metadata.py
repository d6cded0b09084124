"""Progress readouts, the float32 warnings and the trajectory's metadata (dtype, solver stats)."""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from theorycheck import dynamics


def _loss(theta):
    return 0.5 * jnp.sum(theta**2)


def test_scan_progress_reports_to_stderr_only_when_enabled(capfd):
    run = dynamics.gradient_descent(_loss, dynamics.plain_sgd(0.01), num_steps=400, every=4)
    jax.block_until_ready(jax.jit(run)(jnp.ones(3), jax.random.key(0)))
    assert "simulating" not in capfd.readouterr().err  # off by default (sweeps, tests, libraries)
    with dynamics.progress_bars(True):
        run = dynamics.gradient_descent(_loss, dynamics.plain_sgd(0.01), num_steps=400, every=4)
        quiet = jax.jit(run)(jnp.ones(3), jax.random.key(0))
        jax.block_until_ready(quiet)
    jax.effects_barrier()
    assert "simulating" in capfd.readouterr().err
    plain = jax.jit(dynamics.gradient_descent(_loss, dynamics.plain_sgd(0.01), num_steps=400, every=4))(
        jnp.ones(3), jax.random.key(0))
    np.testing.assert_array_equal(quiet.losses, plain.losses)  # the readout changes no number


def test_flow_carries_solver_statistics_and_its_dtype(x64):
    run = dynamics.gradient_flow(_loss, t1=5.0, num_records=3)
    trajectory = jax.jit(run)(jnp.ones(3), jax.random.key(0))
    assert trajectory.dtype == jnp.float64
    stats = {k: int(v) for k, v in trajectory.stats.items()}
    assert set(stats) == {"num_steps", "num_accepted_steps", "num_rejected_steps"}
    assert stats["num_steps"] == stats["num_accepted_steps"] + stats["num_rejected_steps"] > 0
    gd = dynamics.gradient_descent(_loss, dynamics.plain_sgd(0.1), num_steps=10)(jnp.ones(3), jax.random.key(0))
    assert gd.stats == {} and gd.dtype == jnp.float64


def test_float32_runs_warn_where_a_tolerance_needs_float64():
    with jax.enable_x64(False):
        params = jnp.ones(3, jnp.float32)
        with pytest.warns(UserWarning, match="rtol=1e-08 is below the resolution of float32"):
            jax.jit(dynamics.gradient_flow(_loss, t1=1.0, rtol=1e-8))(params, jax.random.key(0))
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the defaults of the sharpness observer suit float32
            observer = dynamics.top_hessian_eigenvalues(_loss, num_iterations=3)
            observer.observe(params, observer.init(params, jax.random.key(0)), jax.random.key(1))
        with pytest.warns(UserWarning, match="top_hessian_eigenvalues rtol"):
            observer = dynamics.top_hessian_eigenvalues(_loss, num_iterations=3, rtol=1e-9)
            observer.observe(params, observer.init(params, jax.random.key(0)), jax.random.key(1))
