"""dropout_decorrelation's verdict on doctored arrays (no simulation): each criterion just inside and
just outside its band on both sides, the power rule (inconclusive, with the samples that decide it),
the derived tolerances against independent computations, and each control failing on its criterion."""

import math

import numpy as np
import pytest

from theorycheck import bounds
from theorycheck._check import FAIL, INCONCLUSIVE, PASS
from theorycheck.checks import dropout_decorrelation as dd

RHO = 0.6


def _verdict(corr, keep_prob=0.7, mean=0.0, samples=100_000, distribution="gaussian"):
    config = dd.DropoutDecorrelationConfig(keep_prob=keep_prob, mean=mean, samples=samples, distribution=distribution)
    arrays = {"corr_dropped": np.asarray(corr), "corr_inputs": np.asarray(RHO)}
    return dd.verdict(config, {"keep_prob": keep_prob, "mean": mean}, arrays)


def _sd_by_hand(q, rho):
    # delta method on standardised u = δX/√q-ish moments: E u²v² = 1 + 2ρ², E u³v = 3ρ, E u⁴ = 3/q
    r = q * rho
    return math.sqrt((1 + 2 * rho**2) - r * 6 * rho + r**2 / 4 * (6 / q + 2 * (1 + 2 * rho**2)))


def test_correlation_sd_and_tolerance_against_hand_values():
    assert bounds.dropout_correlation_sd(0.7, 0.6) == pytest.approx(0.858897, abs=1e-6)  # √(1.72 − 1.512 + 0.0441·(6/0.7 + 3.44)) = √0.737704
    assert bounds.dropout_correlation_sd(0.05, 0.6) == pytest.approx(_sd_by_hand(0.05, 0.6), rel=1e-12)
    result = _verdict(0.42)
    assert result.tolerance == pytest.approx(4 * 0.858897 / math.sqrt(100_000), rel=1e-6)


def test_law_correlation_closed_forms():
    assert dd.law_correlation(0.7, 2.0, "gaussian") == pytest.approx(0.42 / (1 + 4 * 0.3), rel=1e-12)  # 0.190909
    assert dd.law_correlation(0.3, 0.0, "gaussian") == pytest.approx(0.18, rel=1e-12)
    # ReLU of a standard bivariate normal: E[relu u relu v] = (sin θ + (π − θ) cos θ)/(2π), θ = arccos ρ
    theta = math.acos(RHO)
    exy = (math.sin(theta) + (math.pi - theta) * math.cos(theta)) / (2 * math.pi)
    ex, exx, q = 1 / math.sqrt(2 * math.pi), 0.5, 0.7
    assert dd.law_correlation(q, 0.0, "relu") == pytest.approx(q * (exy - ex**2) / (exx - q * ex**2), abs=1e-5)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_correlation_band_both_sides(sign):
    tol = _verdict(0.42).tolerance
    inside = _verdict(0.42 + sign * 0.99 * tol)
    assert inside.outcome == PASS, inside.reason
    outside = _verdict(0.42 + sign * 1.01 * tol)
    assert outside.outcome == FAIL and "|corr(δ₁X,δ₂Y) − qρ|" in outside.reason, outside.reason


def test_mutual_information_criterion_alone_fails_the_relu_law():
    # the correlation doctored to qρ: only the MI criterion (atom at 0) is left to fail
    result = _verdict(0.42, distribution="relu")
    assert result.outcome == FAIL and "I(δ₁X;δ₂Y)/I(X;Y)" in result.reason and "not q²" in result.reason, result.reason
    assert "|corr" not in result.reason.split(";")[0] or result.error <= result.tolerance
    assert result.details["mi_relative_error"] > 0.1


def test_mi_tolerance_is_the_derived_formula():
    result = _verdict(0.42)
    d, eps = result.details, np.finfo(float).eps
    table, values = dd.mi_tables(dd.DropoutDecorrelationConfig(), 0.0)
    formula = 4 * eps * (1 / d["mi_dropped_nats"] + 1 / d["mi_inputs_nats"]) + 2 * table.size * eps * d["mi_condition"]
    assert d["mi_tolerance"] == pytest.approx(max(1e-12, formula), rel=1e-12)
    assert d["mi_tolerance"] == 1e-12  # the floor applies at the defaults (formula 2.6e-13)
    assert 1e-13 < formula < 1e-12
    assert d["mi_relative_error"] <= d["mi_tolerance"]


def test_mi_grid_creates_no_atom_for_a_shifted_gaussian():
    # mean 0.25 would put a bin centre at 0: the grid moves, the Gaussian keeps P(X = 0) = 0
    result = _verdict(dd.law_correlation(0.7, 0.25, "gaussian"), mean=0.25, samples=4_000_000)
    assert not result.details["atom_at_zero"]
    assert result.details["mi_relative_error"] <= result.details["mi_tolerance"]


def test_no_power_at_small_q_and_few_samples_is_inconclusive_with_the_samples_needed():
    # the reviewer's case: q = 0.05, M = 10⁴ — the tolerance 0.051 exceeds qρ = 0.03 itself
    q, samples = 0.05, 10_000
    result = _verdict(q * RHO, keep_prob=q, samples=samples)
    assert result.outcome == INCONCLUSIVE and "cannot separate" in result.reason, result.reason
    gap = q * RHO - q * RHO / (1 + 4 * (1 - q))
    needed = math.ceil((4 * 2 * _sd_by_hand(q, RHO) / gap) ** 2)
    assert f"raise samples to >= {needed}" in result.reason
    assert _verdict(q * RHO, keep_prob=q, samples=needed).outcome == PASS
    # a measurement equal to the alternative is not a failure either while the power is missing
    assert _verdict(q * RHO / 4.8, keep_prob=q, samples=samples).outcome == INCONCLUSIVE


def test_reviewer_control_without_power_is_inconclusive_not_pass():
    q, m = 0.05, 2.0
    result = _verdict(q * RHO / (1 + m**2 * (1 - q)), keep_prob=q, mean=m, samples=10_000)
    assert result.outcome == INCONCLUSIVE and "this law's own value" in result.reason, result.reason


def test_tiny_mean_shift_cannot_be_resolved_inside_the_range():
    result = _verdict(dd.law_correlation(0.239, 0.12, "gaussian"), keep_prob=0.239, mean=0.12, samples=1_000_000)
    assert result.outcome == INCONCLUSIVE and "use mean = 0" in result.reason, result.reason


def test_power_boundary_just_inside_and_outside():
    # separation/tolerance = 2 is the edge: pick M on each side of it
    q, m = 0.7, 0.25
    gap = abs(dd.law_correlation(q, m, "gaussian") - q * RHO)
    edge = (4 * 2 * _sd_by_hand(q, RHO) / gap) ** 2
    below = _verdict(q * RHO, keep_prob=q, mean=m, samples=int(edge * 0.95))
    above = _verdict(q * RHO, keep_prob=q, mean=m, samples=int(edge * 1.05))
    assert below.outcome == INCONCLUSIVE, below.reason
    assert above.outcome == PASS, above.reason


def test_mean_control_fails_on_the_correlation():
    q = 0.7
    result = _verdict(dd.law_correlation(q, 2.0, "gaussian"), mean=2.0)
    assert result.outcome == FAIL and "|corr(δ₁X,δ₂Y) − qρ|" in result.reason, result.reason
    assert "I(δ₁X" not in result.reason  # the MI claim holds without BN
    assert result.details["separation"] > 2 * result.tolerance


def test_relu_control_fails_on_both_criteria():
    result = _verdict(dd.law_correlation(0.7, 0.0, "relu"), distribution="relu")
    assert result.outcome == FAIL, result.reason
    assert "I(δ₁X;δ₂Y)/I(X;Y)" in result.reason and "|corr(δ₁X,δ₂Y) − qρ|" in result.reason
