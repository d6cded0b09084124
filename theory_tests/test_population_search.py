"""population_search at quick sizes: the default passes and the control fails on the comparison,
on 2 seeds each (one compile: the control is data)."""

import numpy as np
import pytest

from theorycheck.testing import run

QUICK = {"rounds": 4, "steps_per_round": 25, "replicates": 3}


@pytest.fixture(scope="module")
def default_run():
    return run("population_search", seed=0, **QUICK)


def test_default_passes_with_exact_lineage_and_twins(default_run):
    r = default_run
    assert r.outcome == "pass", r.reason
    assert "exploit exact" in r.reason and "twins" in r.reason
    assert r.details["copies"] > 0
    assert r.error <= r.tolerance < r.details["gap_median_minus_best"]


@pytest.mark.parametrize("seed", [1])
def test_default_other_seed(seed):
    r = run("population_search", seed=seed, **QUICK)
    assert r.outcome == "pass", r.reason


@pytest.mark.parametrize("seed", [0, 1])
def test_inverted_selection_fails_on_the_comparison(seed):
    r = run("population_search", seed=seed, inverted=True, **QUICK)
    assert r.outcome == "fail", r.reason
    assert "worse than the independent runs' best" in r.reason
    assert "exploit did not copy" not in r.reason and "twins" not in r.reason


@pytest.mark.slow
@pytest.mark.parametrize("seed", [3, 4, 5])
def test_default_sizes_pass(seed):
    r = run("population_search", seed=seed)
    assert r.outcome == "pass", r.reason
