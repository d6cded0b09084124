"""deep_gd_convergence: the model's defining formulas (fast) and the check's real runs (slow: one
default run costs ~30 s of CPU at float64, over this suite's per-check budget)."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from theorycheck import models
from theorycheck._check import FAIL, PASS
from theorycheck._registry import get_check
from _support import run_check

pytestmark = pytest.mark.usefixtures("x64")


def test_activation_normaliser_by_hand():
    # E[z²] = 1 for the identity; E[relu(z)²] = 1/2; tanh: 1/E[tanh²] against a 1e6-sample estimate
    assert models.activation_normaliser("linear") == pytest.approx(1.0, abs=1e-12)
    assert models.activation_normaliser("relu") == pytest.approx(2.0, rel=2e-2)  # kink: quadrature is approximate
    z = np.random.default_rng(0).normal(size=1_000_000)
    assert models.activation_normaliser("tanh") == pytest.approx(1 / np.mean(np.tanh(z) ** 2), rel=5e-3)


@pytest.mark.parametrize("skip", [True, False])
def test_residual_mlp_matches_the_papers_recursion(skip):
    width, depth, c_res = 7, 3, 0.7
    net = models.residual_mlp(4, width, depth, activation="tanh", residual_scale=c_res, skip=skip)
    params = net.init(jax.random.key(0))
    x = jax.random.normal(jax.random.key(1), (5, 4))
    c = models.activation_normaliser("tanh")
    h = math.sqrt(c / width) * np.tanh(np.asarray(x) @ np.asarray(params["w"][0]))
    for w in params["w"][1:]:
        branch = np.tanh(h @ np.asarray(w))
        h = h + c_res / (depth * math.sqrt(width)) * branch if skip else math.sqrt(c / width) * branch
    np.testing.assert_allclose(net.apply(params, x)[:, 0], h @ np.asarray(params["a"]), rtol=1e-12)
    assert [w.shape for w in params["w"]] == [(4, width)] + [(width, width)] * (depth - 1)


def test_residual_mlp_keeps_unit_norm_hidden_states():
    """c_σ makes E‖x⁽¹⁾‖² = 1 for unit inputs; the ResNet's branches add O(1/H) each."""
    net = models.residual_mlp(5, 1024, 4, activation="tanh")
    x = jnp.eye(5)[:2]
    params = net.init(jax.random.key(2))
    first = math.sqrt(models.activation_normaliser("tanh") / 1024) * jnp.tanh(x @ params["w"][0])
    np.testing.assert_allclose(jnp.sum(first**2, axis=1), 1.0, atol=0.2)


@pytest.mark.parametrize("kwargs, name", [({"width": 0}, "width"), ({"depth": 0}, "depth"),
                                          ({"residual_scale": -1.0}, "residual_scale"), ({"skip": 1}, "skip")])
def test_residual_mlp_bad_arguments(kwargs, name):
    args = {"d_in": 3, "width": 4, "depth": 2, **kwargs}
    with pytest.raises(ValueError, match=name):
        models.residual_mlp(args.pop("d_in"), args.pop("width"), args.pop("depth"), **args)


@pytest.fixture(scope="module")
def quick_run():
    """The default at the check's ``quick`` sizes on seed 0: one compile (~10 s), shared."""
    return run_check("deep_gd_convergence", **get_check("deep_gd_convergence").quick)


def test_quick_default_passes(quick_run):
    """Measured at seed 0: width slope −0.96 (SE 0.13), depth slope −0.11 (SE 0.17), every run
    at L(T) < 1e-4·L(0) within the rate bound."""
    assert quick_run.outcome == PASS, quick_run.reason
    assert quick_run.error <= 1e-9
    assert quick_run.details["final_loss_ratio"] <= 1e-4
    assert quick_run.details["slope_width"] <= -0.35
    assert quick_run.details["slope_depth"] <= 0.5


@pytest.fixture(scope="module")
def default_run():
    return run_check("deep_gd_convergence")


@pytest.mark.slow
def test_default_passes(default_run):
    assert default_run.outcome == PASS, default_run.reason
    assert default_run.details["slope_width"] <= -0.35
    assert default_run.details["slope_depth"] <= 0.5


@pytest.mark.slow
@pytest.mark.parametrize("seed", [101, 202])
def test_default_other_seeds(seed):
    result = run_check("deep_gd_convergence", seed=seed)
    assert result.outcome == PASS, result.reason


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 101])
def test_no_skip_control_fails_on_depth(seed):
    result = run_check("deep_gd_convergence", seed=seed, skip=False)
    assert result.outcome == FAIL, result.reason
    assert "depth: log-log slope of the relative Gram drift against depth" in result.reason
