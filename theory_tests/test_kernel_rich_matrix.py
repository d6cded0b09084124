"""kernel_rich_matrix (issue 16 part 1): the oracles in ``bounds`` against hand-computed values
and a generic SDP solve, and real runs at quick size (n = 6, m = 4): the rich end passes, the
kernel end passes, both controls fail for their criterion, on two seeds each."""

import numpy as np
import pytest

from theorycheck import bounds, get_check
from theorycheck.checks import kernel_rich_matrix as krm
from _support import run_check

QUICK = {"n": 6, "m": 4, "figure_sweep": False}


def _run(seed=0, **overrides):
    return run_check("kernel_rich_matrix", seed, **{**QUICK, **overrides})


# bounds -----------------------------------------------------------------------------------------


def test_min_trace_by_hand():
    # one measurement 1·λ₁ + 2·λ₂ = 2, λ ≥ 0: min λ₁ + λ₂ puts it all on λ₂ = 1
    w = bounds.min_trace_psd_interpolant_commuting(np.eye(2), np.array([[1.0, 2.0]]), np.array([2.0]))
    assert w == pytest.approx(np.diag([0.0, 1.0]), abs=1e-12)


def test_linearized_interpolant_by_hand():
    # A = diag(1, −1), W0 = I, y = 2: W0 + c·A with ⟨A, W0⟩ + 2c = 2 → c = 1, W = diag(2, 0)
    w = bounds.linearized_min_norm_interpolant(np.array([np.diag([1.0, -1.0])]), np.array([2.0]), np.eye(2))
    assert w == pytest.approx(np.diag([2.0, 0.0]), abs=1e-12)


def test_commuting_limit_by_hand():
    # a = (1, −1), y = 1: λ = α² (e^ν, e^−ν) with α²(e^ν − e^−ν) = 1 → e^ν = (1 + √(1 + 4α⁴))/(2α²)
    alpha = 0.5
    lim = bounds.commuting_factorization_limit(np.eye(2), np.array([[1.0, -1.0]]), np.array([1.0]), alpha)
    top = (1 + np.sqrt(1 + 4 * alpha**4)) / 2
    assert lim.eigenvalues == pytest.approx([top, alpha**4 / top], rel=1e-12)


def test_commuting_limit_tends_to_both_oracles():
    rng = np.random.default_rng(3)
    q = np.linalg.qr(rng.standard_normal((6, 6)))[0]
    a = rng.standard_normal((3, 6))
    a -= a.mean(axis=1, keepdims=True)
    y = a @ np.array([1.0, 0.5, 0, 0, 0, 0])
    mats = np.einsum("ij,kj,lj->kil", q, a, q)
    w_n = bounds.min_trace_psd_interpolant_commuting(q, a, y)
    small = bounds.commuting_factorization_limit(q, a, y, 1e-3).W
    assert np.linalg.norm(small - w_n) / np.linalg.norm(w_n) < 1e-3
    for alpha in (10.0, 100.0):
        w_k = bounds.linearized_min_norm_interpolant(mats, y, alpha**2 * np.eye(6))
        big = bounds.commuting_factorization_limit(q, a, y, alpha).W
        delta = w_k - alpha**2 * np.eye(6)
        eps = np.max(np.abs(np.linalg.eigvalsh(delta))) / alpha**2
        assert np.linalg.norm(big - w_k) / np.linalg.norm(delta) <= eps / 2 + eps**2


def test_min_trace_lp_matches_a_generic_sdp():
    cvxpy = pytest.importorskip("cvxpy")
    rng = np.random.default_rng(4)
    n = 4
    q = np.linalg.qr(rng.standard_normal((n, n)))[0]
    a = rng.standard_normal((2, n))
    a -= a.mean(axis=1, keepdims=True)
    y = a @ np.array([1.0, 0, 0, 0])
    mats = np.einsum("ij,kj,lj->kil", q, a, q)
    w = cvxpy.Variable((n, n), PSD=True)
    problem = cvxpy.Problem(cvxpy.Minimize(cvxpy.trace(w)), [cvxpy.trace(m @ w) == yi for m, yi in zip(mats, y)])
    problem.solve(solver=cvxpy.CLARABEL if "CLARABEL" in cvxpy.installed_solvers() else None)
    w_lp = bounds.min_trace_psd_interpolant_commuting(q, a, y)
    assert np.trace(w_lp) == pytest.approx(problem.value, rel=1e-5)
    assert np.linalg.norm(w.value - w_lp) < 1e-4


@pytest.mark.parametrize("bad, match", [
    (dict(eigvecs=np.ones((2, 2))), "orthogonal"),
    (dict(a=np.ones((1, 3))), "shape"),
    (dict(y=np.ones(2)), "y must"),
])
def test_bad_input_names_the_argument(bad, match):
    args = {"eigvecs": np.eye(2), "a": np.array([[1.0, -1.0]]), "y": np.array([1.0]), **bad}
    with pytest.raises(ValueError, match=match):
        bounds.commuting_factorization_limit(**args, alpha=1.0)
    with pytest.raises(ValueError, match="alpha"):
        bounds.commuting_factorization_limit(np.eye(2), np.array([[1.0, -1.0]]), np.array([1.0]), -1.0)


def test_config_rejects_m_not_below_n():
    from theorycheck import make_config
    with pytest.raises(ValueError, match="'m'"):
        make_config(get_check("kernel_rich_matrix"), {"n": 4, "m": 4})


# runs -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def default_result():
    return _run(0)


def test_default_rich_end_passes(default_result):
    r = default_result
    assert r.outcome == "pass", r.reason
    assert r.details["claim"] == "rich" and r.details["d_N"] < 0.05 and r.details["d_K"] > 0.2
    assert r.details["dist_to_exact_limit"] < 0.01  # the flow lands on the derived exact limit


@pytest.mark.parametrize("seed", [0, 1])
def test_controls_fail_for_their_criterion(seed):
    check = get_check("kernel_rich_matrix")
    for control, name in zip(check.negative_controls, ("d_N", "d_K")):
        result = _run(seed, **control)
        assert result.outcome == "fail" and result.reason.startswith(name), (control, result.reason)


def test_kernel_end_passes_and_seed_1_rich_end():
    kernel = _run(1, alpha=10.0)
    assert kernel.outcome == "pass" and kernel.details["claim"] == "kernel", kernel.reason
    assert _run(1).outcome == "pass"


def test_plot(default_result, tmp_path):
    krm.plot(krm.KernelRichMatrixConfig(**QUICK), default_result, tmp_path / "f.png")
    assert (tmp_path / "f.png").stat().st_size > 1000


@pytest.mark.slow
@pytest.mark.parametrize("seed", [2, 3, 4])
def test_default_size_and_figure_sweep(seed, tmp_path):
    result = run_check("kernel_rich_matrix", seed)
    assert result.outcome == "pass", result.reason
    d_n, d_k = result.arrays["sweep_d_N"], result.arrays["sweep_d_K"]
    assert d_n[0] < 0.05 and d_k[-1] < 0.05 and d_n[-1] > 1 and d_k[0] > 0.3
    krm.plot(get_check("kernel_rich_matrix").config_type(), result, tmp_path / "f.png")
