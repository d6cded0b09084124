"""Verdict tests of isometry_curvature on doctored arrays: no simulation.

Synthetic per-net records with the simulator's shapes (default config: 3 depths × 3 q* × 2 inits,
8 inputs, blocks padded to 8 layers). Each criterion is moved just inside and just outside its
band: the Jacobian link λ_max <= B_io and the exact layer bound λ_max <= B_layers (both at
1 + 1e-9), the sign test on κ_orth < κ_gauss (9 pairs: 9/9 passes at p = 0.002, 8/9 is undecided at
p = 0.0195, 0/9 fails), Lanczos convergence and non-finite records (inconclusive, with remedies)."""

import numpy as np
import pytest

from theorycheck import get_check, make_config
from theorycheck.checks import isometry_curvature as ic

CHECK = get_check("isometry_curvature")


def _config(**overrides):
    return make_config(CHECK, overrides)


def _arrays(config, *, ratio=0.5, first_jacobian=1.0, orth_better=None):
    """Every net: s² = 1 in every layer but the first (``first_jacobian``), ‖x‖² + 1 = 2, so
    B_layers = 2·(L − 1 + s₁²) and B_io = 2·L·s₁²; λ_max = ratio·max(B_layers, B_io) unless
    chosen otherwise. κ: orthogonal nets get the larger trace in the first ``orth_better`` pairs."""
    grid = ic._grid(config)
    n, lmax = config.samples, max(config.depths)
    jac = np.zeros((len(grid), n, lmax))
    act = np.zeros_like(jac)
    for g, (depth, _, _, _) in enumerate(grid):
        jac[g, :, :depth] = 1.0
        jac[g, :, 0] = first_jacobian
        act[g, :, :depth] = 2.0
    block = act * jac
    b_layers = np.sum(block, axis=2).mean(axis=1)
    b_io = (jac[:, :, 0] * act.sum(axis=2)).mean(axis=1)
    lam = ratio * np.maximum(b_layers, b_io)
    pairs = [g for g, (_, _, init, _) in enumerate(grid) if init == "orthogonal"]
    orth_better = len(pairs) if orth_better is None else orth_better
    trace = lam * 10.0  # κ = λ·r/tr
    for i, g in enumerate(pairs):
        trace[g] = lam[g] * (20.0 if i < orth_better else 5.0)  # larger trace: smaller κ
    return {"lam": lam, "residual": lam * 1e-14, "trace": trace, "block_tops": block, "jacobian_tops": jac,
            "activation_norms": act, "io_top": np.ones(len(grid)), "sigma_w2": np.ones(len(grid))}


def _verdict(arrays, config=None):
    config = config or _config()
    return ic.verdict(config, {"sigma_w2_scale": config.sigma_w2_scale}, arrays)


def test_pass_with_every_criterion_inside():
    result = _verdict(_arrays(_config()))
    assert result.outcome == "pass", result.reason
    assert "Jacobian link" in result.reason and "9/9" in result.reason
    assert result.details["orthogonal_better_conditioned_pairs"] == 9


@pytest.mark.parametrize("excess, outcome", [(0.5e-9, "pass"), (2e-9, "fail")])
def test_link_and_bound_at_their_tolerance(excess, outcome):
    # s₁² = 1: B_io = B_layers, both criteria at the same ratio
    result = _verdict(_arrays(_config(), ratio=1.0 + excess))
    assert result.outcome == outcome, result.reason
    if outcome == "fail":
        assert "Jacobian link violated" in result.reason and "exact layer bound violated" in result.reason


def test_link_fails_alone_when_assumption_2_is_reversed():
    # the input-layer Jacobian 4× smaller than the others: B_io < λ_max < B_layers
    config = _config()
    arrays = _arrays(config, first_jacobian=0.25, ratio=0.5)
    result = _verdict(arrays, config)
    assert result.outcome == "fail", result.reason
    assert "Jacobian link violated" in result.reason
    assert "exact layer bound" not in result.reason
    assert result.error > 1.0


def test_exact_bound_fails_alone():
    # s₁² = 4: B_io > B_layers; λ_max just above B_layers but below B_io
    config = _config()
    arrays = _arrays(config, first_jacobian=4.0, ratio=1.0)
    grid = ic._grid(config)
    for g, (depth, _, _, _) in enumerate(grid):
        arrays["lam"][g] = 2.0 * (depth - 1 + 4.0) * (1 + 1e-6)
    result = _verdict(arrays, config)
    assert result.outcome == "fail", result.reason
    assert "exact layer bound violated" in result.reason and "Jacobian link violated" not in result.reason


@pytest.mark.parametrize("better, outcome, phrase", [
    (9, "pass", "9/9"), (8, "inconclusive", "raise replicas to >= "), (1, "inconclusive", "conditioning"),
    (0, "fail", "not better conditioned")])
def test_sign_test_on_the_conditioning(better, outcome, phrase):
    result = _verdict(_arrays(_config(), orth_better=better))
    assert result.outcome == outcome, result.reason
    assert phrase in result.reason


def test_sign_test_remedy_is_inside_the_range():
    result = _verdict(_arrays(_config(), orth_better=8))
    needed = int(result.reason.split("raise replicas to >= ")[1].split()[0])
    assert 2 <= needed <= 8  # 8/9 → 16/18 or better at 2 replicas (p = 0.0007)


def test_sign_test_remedy_when_replicas_cannot_decide():
    # 5/9 stays undecided at every replica count in range: the remedy names the widest-gap setting
    result = _verdict(_arrays(_config(), orth_better=5))
    assert result.outcome == "inconclusive"
    assert "raise replicas to 8 and use depths >= 4" in result.reason


def test_unconverged_lanczos_is_inconclusive_with_the_exact_remedy():
    config = _config()
    arrays = _arrays(config)
    arrays["residual"][3] = arrays["lam"][3] * 1e-6
    result = _verdict(arrays, config)
    assert result.outcome == "inconclusive"
    assert f"raise lanczos_iterations to >= {config.samples * config.outputs + 1}" in result.reason


def test_non_finite_records_are_inconclusive():
    arrays = _arrays(_config())
    arrays["block_tops"][2, 0, 0] = np.inf
    result = _verdict(arrays)
    assert result.outcome == "inconclusive" and "non-finite" in result.reason


def test_one_net_over_the_link_fails_the_check():
    # every net at ratio 0.5 but one, whose input-layer Jacobian is 4× smaller (λ_max = 2·B_io there)
    config = _config()
    arrays = _arrays(config)
    arrays["jacobian_tops"][5, :, 0] = 0.25
    arrays["block_tops"][5, :, 0] = 0.5
    result = _verdict(arrays, config)
    assert result.outcome == "fail", result.reason
    assert "Jacobian link violated" in result.reason and result.error > 1.0
    assert result.details["min_link_ratio"] < 1.0 < result.details["max_link_ratio"]
