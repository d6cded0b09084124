"""spline_implicit_bias's verdict on doctored arrays (no simulation): the trained net replaced by a
spline plus a chosen perturbation, the residual record by a chosen decay, so that each criterion sits
just inside or just outside its band, both sides; the derived tolerance recomputed from its parts;
the inconclusive branches (diverged, not converged, no power to separate the splines, width too
small for the 3× criterion) pinned with remedies inside the ranges; the control failing on the
natural-spline error."""

import math

import numpy as np
import pytest

from theorycheck import bounds
from theorycheck._check import FAIL, INCONCLUSIVE, PASS
from theorycheck.checks import spline_implicit_bias as sb


def _splines(init):
    x, y = sb.dataset(init)
    grid = np.linspace(x[0], x[-1], sb.GRID)
    zeta = lambda t: bounds.jin23_zeta(t, init, weight_scale=1.0, bias_scale=1.0)
    return x, y, grid, bounds.weighted_natural_spline(x, y, zeta)(grid), bounds.weighted_natural_spline(x, y)(grid)


def _arrays(init="gaussian", net=None, r_final=0.0, decay=0.5, diverged_at=-1):
    x, y, grid, weighted, natural = _splines(init)
    nearest = np.argmin(np.abs(grid[:, None] - x[None, :]), axis=1)
    residuals = np.zeros((sb.RECORDS + 1, x.size))
    residuals[-2, 0], residuals[-1, 0] = r_final / decay, r_final  # |r| falls by `decay` over the last record
    return {"x": x, "y": y, "grid": grid, "net_on_grid": natural if net is None else net,
            "net_initial_on_grid": np.zeros_like(grid), "residuals": residuals, "gram": np.eye(x.size),
            "cross_gram": np.eye(x.size)[nearest],  # K(·, X)K⁻¹r_T = r_T at the nearest data point
            "step": np.asarray(0.1), "diverged_at": np.asarray(diverged_at)}


def _verdict(arrays, **config):
    config = {"init": "gaussian", "spline": "natural", "width": 8192, "steps": 40_000, **config}
    return sb.verdict(sb.SplineImplicitBiasConfig(**config), {"lr": 0.95}, arrays)


# The Gaussian data throughout: its fluctuation estimate takes 0.7 s (the uniform one 5 s), and the
# verdict's branches do not depend on the init beyond the power rule (Gaussian only).


def test_tolerance_is_the_sum_of_its_derived_parts():
    for init in ("gaussian",):
        x, y, grid, weighted, natural = _splines(init)
        result = _verdict(_arrays(init, net=natural), init=init)
        scale = np.ptp(y)
        s = bounds.jin23_width_fluctuation(x, y, grid, init, samples=40_000, seed=sb.FLUCTUATION_SEED)
        width_term = 4.0 * np.max(s) / scale / math.sqrt(8192 / 2)
        kernel = bounds.jin23_kernel(x, x, init)
        limit = bounds.jin23_kernel(grid, x, init) @ np.linalg.solve(kernel, y)
        affine = np.max(np.abs(limit - weighted)) / scale
        assert result.details["width_term"] == pytest.approx(width_term, rel=1e-12)
        assert result.details["affine_adjustment"] == pytest.approx(affine, rel=1e-9)
        assert result.tolerance == pytest.approx(width_term + affine, rel=1e-9)  # converged: (3) = 0
    assert result.details["affine_adjustment"] == pytest.approx(7.6e-4, abs=1e-5)  # the docstring's value


@pytest.mark.parametrize("sign", [1.0, -1.0])
@pytest.mark.parametrize("factor, outcome", [(0.99, PASS), (1.01, FAIL)])
def test_sup_error_band_both_sides_at_one_grid_point(sign, factor, outcome):
    x, y, grid, weighted, natural = _splines("gaussian")
    tolerance = _verdict(_arrays(net=natural)).tolerance
    net = natural.copy()
    net[137] += sign * factor * tolerance * np.ptp(y)  # one grid point: the sup, not a typical point
    result = _verdict(_arrays(net=net))
    assert result.outcome == outcome, result.reason
    if outcome == FAIL:
        assert "sup|f − natural cubic spline|/range(y)" in result.reason


def test_diverged_run_is_inconclusive():
    result = _verdict(_arrays(diverged_at=120))
    assert result.outcome == INCONCLUSIVE and "GD diverged at step 120; lower lr" in result.reason


def test_unconverged_training_is_inconclusive_with_the_steps_needed():
    wide = {"width": 16_384}  # room in half the spline gap for the convergence term
    base = _verdict(_arrays(), **wide)
    width_term = base.details["width_term"]
    scale = np.ptp(sb.dataset("gaussian")[1])
    # the unconverged effect just above and below a quarter of the width term
    inside = _verdict(_arrays(r_final=0.99 * 0.25 * width_term * scale), **wide)
    assert inside.outcome == PASS, inside.reason
    assert inside.tolerance == pytest.approx(1.2475 * width_term + base.details["affine_adjustment"], rel=1e-9)
    r = 1.01 * 0.25 * width_term * scale
    outside = _verdict(_arrays(r_final=r, decay=0.5), **wide)
    assert outside.outcome == INCONCLUSIVE and "training has not converged" in outside.reason, outside.reason
    every = 40_000 // sb.RECORDS
    rate = 0.5 ** (1 / every)
    needed = 40_000 + math.ceil(math.log(0.25 * width_term / (r / scale)) / math.log(rate))
    needed = math.ceil(needed / sb.RECORDS) * sb.RECORDS
    assert f"raise steps to >= {needed}" in outside.reason
    # a decay so slow that the steps needed exceed the range: a remedy inside it
    slow = _verdict(_arrays(r_final=r, decay=0.999999), **wide)
    assert "raise steps (to the range's 2000000) and lr" in slow.reason, slow.reason


def test_gaussian_control_fails_on_the_natural_spline_error():
    x, y, grid, weighted, natural = _splines("gaussian")
    result = _verdict(_arrays("gaussian", net=weighted), init="gaussian", spline="natural")
    assert result.outcome == FAIL and "sup|f − natural cubic spline|/range(y)" in result.reason, result.reason
    assert result.error == pytest.approx(np.max(np.abs(weighted - natural)) / np.ptp(y), rel=1e-9)  # the gap, 4.6e-2
    assert result.tolerance <= 0.5 * result.details["spline_gap"]


@pytest.mark.parametrize("spline", ["natural", "zeta"])
def test_no_power_to_separate_the_splines_is_inconclusive_with_the_width_needed(spline):
    x, y, grid, weighted, natural = _splines("gaussian")
    net = weighted if spline == "natural" else natural  # the other spline: must not pass
    result = _verdict(_arrays("gaussian", net=net), init="gaussian", spline=spline, width=512, steps=10_000)
    assert result.outcome == INCONCLUSIVE and "cannot separate the natural from the ζ-weighted spline" in result.reason
    d = result.details
    room = 0.5 * d["spline_gap"] - d["affine_adjustment"]
    needed = 2 * math.ceil((4 * d["width_sd_sup"] * math.sqrt(256) / room) ** 2)
    if spline == "zeta":  # and the width where the 3× criterion's typical error 2 sd + affine is gap/4
        ratio_width = 2 * math.ceil((2 * d["width_sd_sup"] * math.sqrt(256) / (d["spline_gap"] / 4 - d["affine_adjustment"])) ** 2)
        needed = max(needed, ratio_width)
    assert f"raise width to >= {needed}" in result.reason
    # at that width the tolerance fits in half the gap: decided (the other spline fails)
    decided = _verdict(_arrays("gaussian", net=net), init="gaussian", spline=spline, width=needed + 2)
    assert decided.tolerance <= 0.5 * decided.details["spline_gap"]
    assert decided.outcome == FAIL, decided.reason


@pytest.mark.parametrize("t, outcome", [(0.24, PASS), (0.26, FAIL)])
def test_gaussian_three_times_criterion_just_inside_and_outside(t, outcome):
    # net = weighted + t·(natural − weighted): the ratio is (1 − t)/t, 3.17 at t = 0.24, 2.85 at 0.26
    x, y, grid, weighted, natural = _splines("gaussian")
    result = _verdict(_arrays("gaussian", net=weighted + t * (natural - weighted)), init="gaussian", spline="zeta")
    assert result.error <= result.tolerance  # the sup criterion holds: only the 3× criterion decides
    assert result.outcome == outcome, result.reason
    if outcome == FAIL:
        assert "closer than the natural one (claim: >= 3×)" in result.reason


def test_three_times_criterion_has_its_own_power_rule():
    # a width where the tolerance fits in half the gap but the typical error exceeds a quarter of it
    probe = _verdict(_arrays("gaussian"), init="gaussian", spline="zeta")
    d = probe.details
    s_max = d["width_sd_sup"] * math.sqrt(8192 / 2)
    gap, affine = d["spline_gap"], d["affine_adjustment"]
    # 2·s/√(n/2) between gap/4 − affine and gap/4 − affine/2
    target = 2 * s_max / ((gap / 4 - 0.75 * affine))
    width = 2 * round(target**2)
    result = _verdict(_arrays("gaussian"), init="gaussian", spline="zeta", width=width)
    assert result.tolerance <= 0.5 * gap
    assert result.outcome == INCONCLUSIVE and "too small to decide the 3× criterion" in result.reason, result.reason
