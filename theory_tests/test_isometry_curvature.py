"""Runs of isometry_curvature (Sokół & Park, ICLR 2020, arXiv:1810.03785, §3).

**Statement.** On critical tanh nets at initialisation λ_max of the data-averaged Fisher is at most
σ_max(J_(h¹→out))²·Σ_α(‖x^(α−1)‖²+1) (the Jacobian link, Assumption 2) and exactly at most
Σ_α(‖x^(α−1)‖²+1)σ_max(J_(h^α→out))²; orthogonal nets are better conditioned than Gaussian ones.
The negative control σ_w² = ½ × critical (ordered phase) breaks Assumption 2 and the link fails.

Quick sizes (the check's ``quick``: L = 4, q* = 1/64, 8 replicas, 4 inputs, 2 outputs): the
claim and the control share one compile (``sigma_w2_scale`` is data).
"""

import pytest

from theorycheck import get_check
from _support import run_check

NAME = "isometry_curvature"
QUICK = dict(get_check(NAME).quick)


@pytest.fixture(scope="module")
def default_result():
    return run_check(NAME, 0, **QUICK)


def test_claim_passes_at_quick_sizes(default_result):
    result = default_result
    assert result.outcome == "pass", (result.reason, result.details)
    d = result.details
    assert d["max_link_ratio"] < 1.0 and d["max_bound_ratio"] < 1.0
    assert d["orthogonal_better_conditioned_pairs"] == d["pairs"] == 8
    assert d["max_lanczos_relative_residual"] < 1e-10  # 9 products span the rank-8 Fisher


@pytest.mark.parametrize("seed", [1, 2])
def test_claim_passes_on_other_seeds(seed):
    result = run_check(NAME, seed, **QUICK)
    assert result.outcome == "pass", (result.reason, result.details)


@pytest.mark.parametrize("seed", [0, 1])
def test_ordered_phase_control_fails_on_the_link(seed):
    result = run_check(NAME, seed, **{**QUICK, "sigma_w2_scale": 0.5})
    assert result.outcome == "fail", result.reason
    assert "Jacobian link violated" in result.reason
    assert "exact layer bound" not in result.reason  # the exact bound still holds
    assert result.details["max_bound_ratio"] < 1.0


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_default_sizes_pass_and_control_fails(seed):
    assert run_check(NAME, seed).outcome == "pass"
    assert run_check(NAME, seed, sigma_w2_scale=0.5).outcome == "fail"
