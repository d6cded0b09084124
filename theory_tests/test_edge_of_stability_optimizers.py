"""edge_of_stability with momentum and adaptive methods (issue 15), on real runs.

One Adam run at quick size (20k steps) is cached for the module: it passes on the preconditioned
sharpness, and the raw-sharpness control fails on the same arrays (the verdict is pure). The
defaults of every optimizer on 3 seeds and each control on 2 seeds are ``slow``."""

import dataclasses
import functools

import jax
import numpy as np
import pytest

from theorycheck import get_check, make_config
from theorycheck._runner import execute
from theorycheck.checks import edge_of_stability as eos

QUICK = {"steps": 20_000, "every": 40}


@pytest.fixture(scope="module")
def adam_run():
    check = get_check("edge_of_stability")
    config = make_config(check, {"optimizer": "adam", **QUICK})
    return config, execute(check, config, 0)


def test_adam_preconditioned_sharpness_hovers_at_38_over_eta(adam_run):
    config, result = adam_run
    assert result.outcome == "pass", result.reason
    assert result.predicted == pytest.approx(38.0 / 1e-3, rel=1e-12)
    assert result.details["compared"] == "S_P"
    assert 0.97 <= result.details["median_ratio"] <= 1.08
    assert result.details["raw_median_ratio"] < 0.1  # the raw sharpness sits far below 38/η


def test_adam_raw_sharpness_control_fails_on_the_same_run(adam_run):
    config, result = adam_run
    raw = dataclasses.replace(config, sharpness="raw")
    a = result.arrays
    arrays = {"times": a["record_steps"], "sharpness": a["raw_sharpness"], "lanczos_converged": np.ones_like(
        a["raw_sharpness"], bool), "lanczos_residuals": np.zeros_like(a["raw_sharpness"]), "losses": a["losses"],
        "diverged": np.bool_(False), "diverged_at": np.float64(-1), "status": np.int32(0),
        "params_initial": a["params_initial"], "params_final": a["params_final"],
        "preconditioned_sharpness": a["preconditioned_sharpness"],
        "preconditioned_converged": a["preconditioned_converged"],
        "preconditioned_residuals": a["preconditioned_residuals"]}
    data = {k: getattr(config, k) for k in ("lr", "beta", "beta2", "eps")}
    control = eos.verdict(raw, data, arrays)
    assert control.outcome == "fail" and "left the band" in control.reason and "median S/(" in control.reason
    assert control.details["crossing_step"] == result.details["crossing_step"]


def test_hyperparameters_are_data_for_the_check():
    """A new lr, β₁, β₂ or ε runs the compiled simulate again without a new trace."""
    check = get_check("edge_of_stability")
    config = make_config(check, {"optimizer": "adam", "steps": 200, "every": 40, "width": 8})
    static = dataclasses.replace(config, lr=None, beta=None, beta2=None, eps=None)
    traces = []

    def simulate(data, key):
        traces.append(1)
        return eos.simulate(static, data, key)

    run = jax.jit(simulate)
    with jax.enable_x64(True):
        outs = [run({"lr": lr, "beta": b1, "beta2": b2, "eps": eps}, jax.random.key(0))["losses"]
                for lr, b1, b2, eps in ((1e-3, 0.9, 0.999, 1e-8), (2e-3, 0.8, 0.9995, 1e-7))]
    assert len(traces) == 1 and not np.allclose(outs[0], outs[1])


@functools.lru_cache(maxsize=None)
def _run(seed, **overrides):
    check = get_check("edge_of_stability")
    return execute(check, make_config(check, overrides), seed)


@pytest.mark.slow
@pytest.mark.parametrize("optimizer", ["heavy_ball", "nesterov", "rmsprop", "adam"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_each_optimizer_default_passes(optimizer, seed):
    result = _run(seed, optimizer=optimizer)
    assert result.outcome == "pass", (optimizer, seed, result.reason)


@pytest.mark.slow
@pytest.mark.parametrize("control", [c for c in get_check("edge_of_stability").negative_controls])
@pytest.mark.parametrize("seed", [1, 2])
def test_each_control_fails_on_the_band(control, seed):
    result = _run(seed, **control)
    assert result.outcome == "fail" and "left the band" in result.reason, (control, seed, result.reason)
