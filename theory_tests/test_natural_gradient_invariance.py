"""natural_gradient_invariance end to end at quick sizes (ladder 3, 5 steps at η = 0.05): the
claim passes and the GD control fails on invariance, each on 2 seeds; paper-scale seeds slow."""

import pytest

from _support import run_check

from theorycheck import get_check

QUICK = dict(get_check("natural_gradient_invariance").quick)


@pytest.fixture(scope="module")
def runs():
    return {(optimizer, seed): run_check("natural_gradient_invariance", seed=seed, **{**QUICK, "optimizer": optimizer})
            for optimizer in ("ng", "gd") for seed in (0, 1)}


@pytest.mark.parametrize("seed", [0, 1])
def test_natural_gradient_is_invariant_to_first_order(runs, seed):
    result = runs["ng", seed]
    assert result.outcome == "pass", result.reason
    slopes = result.details["pair_slopes"]
    assert all(0.9 < s < 1.2 for s in slopes), slopes
    assert abs(result.details["richardson_limit_relative"]) < 0.2


@pytest.mark.parametrize("seed", [0, 1])
def test_gradient_descent_control_fails_on_invariance(runs, seed):
    result = runs["gd", seed]
    assert result.outcome == "fail" and "not invariant" in result.reason, result.reason
    assert result.details["richardson_limit_relative"] > 0.5
    # the NG distances are far below GD's at the same step sizes
    assert runs["ng", seed].details["distances"][-1] < 0.1 * result.details["distances"][-1]


@pytest.mark.slow
@pytest.mark.parametrize("seed", [2, 3, 4])
def test_default_sizes_on_more_seeds(seed):
    assert run_check("natural_gradient_invariance", seed=seed).outcome == "pass"
    assert run_check("natural_gradient_invariance", seed=seed, optimizer="gd").outcome == "fail"


@pytest.mark.slow
def test_damping_at_the_top_of_its_range_stays_below_the_floor_share():
    result = run_check("natural_gradient_invariance", seed=0, damping=1e-8, compare=False)
    assert result.outcome == "pass", result.reason
    assert 0 < result.details["damping_floor"] < 0.05 * result.details["distances"][-1]
