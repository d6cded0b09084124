"""proximal_small_batch run at quick sizes: the default passes and the control (γ = 1e4) fails on
the variance, each on 2 seeds, with the measured numbers against the closed form; more seeds and
the default sizes under -m slow."""

import numpy as np
import pytest

from _support import run_check

QUICK = {"steps": 1000, "replicates": 16}


@pytest.fixture(scope="module")
def default_run():
    return run_check("proximal_small_batch", seed=0, **QUICK)


def test_default_passes_with_the_closed_form_variance_and_a_comparable_rate(default_run):
    result = default_run
    assert result.outcome == "pass", result.reason
    d = result.details
    assert d["variance_agreement"] <= d["variance_agreement_tolerance"]
    assert d["variance_ratio_measured"] < 1
    assert d["rate_ratio"] >= d["rate_constant_c"] * (1 - d["rate_fit_error"])
    # the batch-size sweep: SGD's variance falls like (n − B)/(B(n − 1)) and the prox stays below it
    sgd = [np.mean(np.sum(u**2, -1)) - np.sum(np.mean(u, 0) ** 2) for u in result.arrays["sweep_sgd"]]
    prox = [np.mean(np.sum(u**2, -1)) - np.sum(np.mean(u, 0) ** 2) for u in result.arrays["sweep_prox"]]
    assert all(p < s for p, s in zip(prox, sgd)) and sgd[-1] < sgd[0]


@pytest.mark.parametrize("seed", [1, 2])
def test_control_fails_on_the_variance(seed):
    result = run_check("proximal_small_batch", seed=seed, gamma=1e4, **QUICK)
    assert result.outcome == "fail", result.reason
    assert "not lower than SGD's" in result.reason and result.measured > 5


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_default_passes_on_more_seeds_at_the_default_sizes(seed):
    result = run_check("proximal_small_batch", seed=seed)
    assert result.outcome == "pass", result.reason


@pytest.mark.slow
@pytest.mark.parametrize("batch_size", [2, 8])
def test_larger_batches_pass(batch_size):
    result = run_check("proximal_small_batch", seed=5, batch_size=batch_size)
    assert result.outcome == "pass", result.reason


# problem=mlp: one run costs ~40 s on a shared CPU (per-sample Hessians, 150 inner steps), so every
# net run is slow; its verdict is tested on doctored arrays in test_verdict_proximal_small_batch.py


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 3])
def test_mlp_default_passes_with_the_quadratic_prediction(seed):  # seeds 0-5 pass since the early window
    result = run_check("proximal_small_batch", seed=seed, problem="mlp")
    assert result.outcome == "pass", result.reason
    d = result.details
    assert d["variance_ratio_measured"] < 0.9  # measured 0.75–0.78 on seeds 0–3
    assert d["variance_prediction_error"] <= d["variance_prediction_bound"] < 0.1 * d["variance_prox"]
    assert d["rate_ratio"] >= d["rate_constant_c"] * (1 - d["rate_fit_error"])


@pytest.mark.slow
@pytest.mark.parametrize("seed, config, remedy", [
    # fell 6.2x to 1e-2 of its start in 500 steps (c ≈ 0.2: a slow prox); asks for 1600, passes there
    (808, {"steps": 500, "lr": 0.005, "gamma": 0.001}, "raise steps to >= "),
    # the 100x fall inside one record of 200 steps; asks for 500, passes there
    (262, {"steps": 20_000, "lr": 0.05, "gamma": 0.03}, "lower steps to <= "),
])
def test_mlp_an_undecided_rate_is_decided_by_its_own_remedy(seed, config, remedy):
    # the net's window ends where a curve first reaches 1e-2 of its start, a property of the curve,
    # not of the horizon (the old floor-relative window chased itself: seed 3 asked 2000 -> 4000 -> 8000)
    first = run_check("proximal_small_batch", seed=seed, problem="mlp", **config)
    assert first.outcome == "inconclusive" and remedy in first.reason, first.reason
    steps = int(first.reason.split(remedy)[1].split()[0])
    assert 500 <= steps <= 20_000
    again = run_check("proximal_small_batch", seed=seed, problem="mlp", **{**config, "steps": steps})
    assert again.outcome in ("pass", "fail"), again.reason


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_mlp_control_fails_on_the_variance(seed):
    result = run_check("proximal_small_batch", seed=seed, problem="mlp", gamma=1e4)
    assert result.outcome == "fail", result.reason
    assert "not lower than SGD's" in result.reason and result.measured > 10  # measured 30–65 on seeds 0–3
    assert "the rate" not in result.reason  # the nonconvex inner problem leaves the rate undecided
