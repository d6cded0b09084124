"""layer_oscillation's real runs at quick sizes: the default passes and the negative control
fails on 2 seeds each, for the MLP and a small conv net; the learning rate is lr_factor·2/λ_max
at initialisation, with λ_max checked against a dense Hessian. Paper-scale runs are ``slow``."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree

from theorycheck import get_check, make_config, models
from theorycheck.checks import layer_oscillation as lo
from theorycheck.testing import run

QUICK = {"steps": 1000, "n": 64}
CONV = {**QUICK, "architecture": "conv", "depth": 1, "channels": 2}


@pytest.fixture(scope="module")
def default_run():
    return run("layer_oscillation", seed=0, **QUICK)


def test_default_every_layer_oscillates(default_run):
    assert default_run.outcome == "pass", default_run.reason
    medians = default_run.details["layer_medians"]
    assert len(medians) == 4 and max(medians) < -0.9
    assert default_run.details["whole_median"] < -0.9
    # GD sits at the edge of stability at the end: S·η/2 ≈ 1 (±5%: Lanczos and the saw-tooth)
    assert default_run.details["sharpness_ratio_final"] == pytest.approx(1.0, abs=0.05)


def test_learning_rate_is_lr_factor_times_two_over_lambda_max(default_run):
    """λ_max(init) from the check's Lanczos against ARPACK (scipy's eigsh, an independent solver)
    on exact Hessian-vector products of the same loss (seed 0's data and init)."""
    from scipy.sparse.linalg import LinearOperator, eigsh

    config = make_config(get_check("layer_oscillation"), QUICK)
    key_data, key_init = jax.random.split(jax.random.key(0), 5)[:2]
    x, y, _, _ = models.load_digits(key_data, train_size=config.n)
    x, y = x.astype(jnp.float32), y.astype(jnp.float32)
    net = lo._network(config)
    flat, unravel = ravel_pytree(net.init(key_init))
    loss = lambda v: 0.5 * jnp.mean(jnp.sum((net.apply(unravel(v), x) - y) ** 2, axis=1))  # noqa: E731
    hvp = jax.jit(lambda v: jax.jvp(jax.grad(loss), (flat,), (v,))[1])
    operator = LinearOperator((flat.size, flat.size), dtype=np.float64,
                              matvec=lambda v: np.asarray(hvp(jnp.asarray(v, jnp.float32)), dtype=np.float64))
    top = float(eigsh(operator, k=1, which="LA", tol=1e-6, return_eigenvectors=False)[0])
    assert default_run.details["sharpness_initial"] == pytest.approx(top, rel=1e-3)
    assert default_run.details["learning_rate"] == pytest.approx(2.0 * 2.0 / top, rel=1e-3)


def test_data_keys_do_not_retrace(default_run):
    """Both learning rates are data: new values reuse the compiled simulator (one vmap); the
    default run above compiled it."""
    from theorycheck._check import jitted_simulate, static_part

    check = get_check("layer_oscillation")
    simulate = jitted_simulate(check.simulate, static_part(make_config(check, QUICK), check.data_keys))
    before = simulate._cache_size()
    simulate({"lr_factor": jnp.asarray(1.5), "small_lr_factor": jnp.asarray(0.3)}, jax.random.key(1))
    assert before >= 1 and simulate._cache_size() == before


@pytest.mark.parametrize("seed", [1, 2])
def test_default_passes_on_other_seeds(seed):
    result = run("layer_oscillation", seed=seed, **QUICK)
    assert result.outcome == "pass", result.reason


@pytest.mark.parametrize("seed", [1, 2])
def test_control_below_the_stability_limit_fails_because_no_layer_oscillates(seed):
    result = run("layer_oscillation", seed=seed, **QUICK, lr_factor=0.1)
    assert result.outcome == "fail", result.reason
    assert "not every layer oscillates: no layer oscillates" in result.reason
    assert result.details["sharpness_ratio_final"] < 0.5  # GD stayed stable: decided by the run


@pytest.mark.parametrize("seed", [0, 1])
def test_conv_net_every_layer_oscillates(seed):
    result = run("layer_oscillation", seed=seed, **CONV)
    assert result.outcome == "pass", result.reason
    assert len(result.details["layer_medians"]) == 2


def test_conv_control_fails():
    result = run("layer_oscillation", seed=0, **CONV, lr_factor=0.1)
    assert result.outcome == "fail" and "no layer oscillates" in result.reason


@pytest.mark.slow
@pytest.mark.parametrize("architecture", ["mlp", "conv"])
@pytest.mark.parametrize("seed", [3, 4, 5])
def test_paper_scale_defaults_on_more_seeds(architecture, seed):
    result = run("layer_oscillation", seed=seed, architecture=architecture)
    assert result.outcome == "pass", result.reason
