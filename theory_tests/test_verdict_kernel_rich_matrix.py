"""kernel_rich_matrix's verdict on doctored limits: each claim's tolerance on both sides, the
regime rule's transition, the settling and separation branches, and both controls. The "flow's
limit" is an oracle's matrix moved along a direction the measurements do not see."""

import numpy as np
import pytest

from theorycheck import bounds, dynamics, get_check, make_config
from theorycheck.checks import kernel_rich_matrix as krm

N, M = 6, 4


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(7)
    q = np.linalg.qr(rng.standard_normal((N, N)))[0]
    a = rng.standard_normal((M, N))
    a -= a.mean(axis=1, keepdims=True)
    mats = np.einsum("ij,kj,lj->kil", q, a, q)
    lam_star = (np.arange(N) < 1).astype(float)
    y = a @ lam_star
    e = np.linalg.svd(a)[2][-1]  # a·e = 0: the measurements do not see Q diag(e) Qᵀ
    return q, a, mats, y, (q * e) @ q.T


def _verdict(problem, w, alpha, status=dynamics.STATUS_STOPPED, y_shift=0.0, u=None, **overrides):
    q, a, mats, y, _ = problem
    config = make_config(get_check("kernel_rich_matrix"),
                         {"n": N, "m": M, "alpha": alpha, "figure_sweep": False, **overrides})
    if u is None:
        vals, vecs = np.linalg.eigh(w)
        u = (vecs * np.sqrt(np.abs(vals))) @ vecs.T
    arrays = {"Q": q, "a": a, "A": mats, "y": y + y_shift, "W_star": np.zeros((N, N)), "U_final": u,
              "W_final": w, "status": np.int32(status), "final_time": np.float64(5.0),
              "times": np.linspace(0, 5, 3), "losses": np.zeros(3)}
    return krm.verdict(config, {"alpha": alpha}, arrays)


@pytest.mark.parametrize("shift, outcome", [(0.049, "pass"), (0.051, "fail")])
def test_rich_claim_tolerance_is_5_percent(problem, shift, outcome):
    q, a, mats, y, e = problem
    w_n = bounds.min_trace_psd_interpolant_commuting(q, a, y)
    result = _verdict(problem, w_n + shift * np.linalg.norm(w_n) * e, alpha=0.001)
    assert result.outcome == outcome, result.reason
    assert result.details["claim"] == "rich" and "d_N" in result.reason
    assert result.error == pytest.approx(shift, rel=1e-6) and result.tolerance == 0.05


@pytest.mark.parametrize("factor, outcome", [(0.98, "pass"), (1.02, "fail")])
def test_kernel_claim_tolerance_is_eps(problem, factor, outcome):
    q, a, mats, y, e = problem
    alpha = 10.0
    w_k = bounds.linearized_min_norm_interpolant(mats, y, alpha**2 * np.eye(N))
    delta = w_k - alpha**2 * np.eye(N)
    eps = np.max(np.abs(np.linalg.eigvalsh(delta))) / alpha**2
    result = _verdict(problem, w_k + factor * eps * np.linalg.norm(delta) * e, alpha=alpha)
    assert result.outcome == outcome, result.reason
    assert result.details["claim"] == "kernel" and "d_K" in result.reason
    assert result.tolerance == pytest.approx(eps, rel=1e-9) and eps <= 0.1


def test_exact_limit_is_within_the_claims(problem):
    q, a, mats, y, _ = problem
    rich = _verdict(problem, bounds.commuting_factorization_limit(q, a, y, 0.001).W, alpha=0.001)
    kernel = _verdict(problem, bounds.commuting_factorization_limit(q, a, y, 10.0).W, alpha=10.0)
    assert rich.outcome == kernel.outcome == "pass", (rich.reason, kernel.reason)
    assert kernel.error <= 0.6 * kernel.tolerance  # the derived bound ε/2 + O(ε²)


def test_transition_alpha_is_inconclusive_with_thresholds(problem):
    q, a, mats, y, _ = problem
    result = _verdict(problem, bounds.commuting_factorization_limit(q, a, y, 0.5).W, alpha=0.5)
    assert result.outcome == "inconclusive" and "transition" in result.reason
    alpha_rich, alpha_kernel = krm.regime_thresholds(q, a, mats, y)
    assert 1e-3 <= alpha_rich < 0.5 < alpha_kernel <= 10
    assert f"alpha <= {alpha_rich:.3g} (rich" in result.reason and f"alpha >= {alpha_kernel:.3g} (kernel" in result.reason
    for alpha in (alpha_rich, alpha_kernel * 1.01):  # the advertised remedies decide
        fixed = _verdict(problem, bounds.commuting_factorization_limit(q, a, y, alpha).W, alpha=alpha)
        assert fixed.outcome == "pass", fixed.reason


def test_unsettled_run_is_inconclusive_with_t1_remedy(problem):
    q, a, mats, y, _ = problem
    w_n = bounds.min_trace_psd_interpolant_commuting(q, a, y)
    result = _verdict(problem, w_n, alpha=0.001, status=dynamics.STATUS_COMPLETED, y_shift=0.05)
    assert result.outcome == "inconclusive" and "raise t1 to >= 1e+05" in result.reason
    small = _verdict(problem, w_n, alpha=0.001, status=dynamics.STATUS_COMPLETED, y_shift=1e-5)
    assert small.outcome == "pass" and 0 < small.details["remaining_motion"] < 0.005


def test_remaining_motion_is_the_tangent_step(problem):
    q, a, mats, y, _ = problem
    u = np.diag(np.linspace(0.5, 1.5, N))
    r = np.arange(1.0, M + 1)
    grads = 2 * np.einsum("kij,jl->kil", mats, u)
    du = np.tensordot(np.linalg.solve(np.einsum("kij,lij->kl", grads, grads), r), grads, axes=1)
    # the step reproduces r to first order, and the function returns its ‖ΔW‖
    assert np.einsum("kij,ij->k", mats, du @ u.T + u @ du.T) == pytest.approx(r, rel=1e-9)
    assert krm.remaining_motion(mats, u, r) == pytest.approx(np.linalg.norm(du @ u.T + u @ du.T), rel=1e-12)


def test_diverged_and_failed_solves_are_inconclusive(problem):
    q, a, mats, y, _ = problem
    w_n = bounds.min_trace_psd_interpolant_commuting(q, a, y)
    bad = np.full((N, N), np.nan)
    result = _verdict(problem, w_n, alpha=0.001, status=dynamics.STATUS_DIVERGED, u=bad)
    assert result.outcome == "inconclusive" and "diverged" in result.reason
    result = _verdict(problem, w_n, alpha=0.001, status=dynamics.STATUS_SOLVER_FAILED, y_shift=0.05)
    assert result.outcome == "inconclusive" and "max_steps" in result.reason


def test_inseparable_claims_are_inconclusive(problem, monkeypatch):
    q, a, mats, y, _ = problem
    w_n = bounds.min_trace_psd_interpolant_commuting(q, a, y)
    monkeypatch.setattr(krm.bounds, "linearized_min_norm_interpolant", lambda mats, y, w0: w_n + 0.01 * np.eye(N))
    result = _verdict(problem, w_n, alpha=0.001)
    assert result.outcome == "inconclusive" and "cannot be told" in result.reason


def test_controls_fail_on_their_criterion(problem):
    q, a, mats, y, _ = problem
    large = _verdict(problem, bounds.commuting_factorization_limit(q, a, y, 3.0).W, alpha=3.0, claim="rich")
    assert large.outcome == "fail" and large.reason.startswith("d_N") and large.error > 1
    small = _verdict(problem, bounds.commuting_factorization_limit(q, a, y, 0.01).W, alpha=0.01, claim="kernel")
    assert small.outcome == "fail" and small.reason.startswith("d_K") and small.tolerance == 0.1


def test_motion_between_a_tenth_and_the_whole_tolerance_is_undecided(problem):
    q, a, mats, y, _ = problem
    w_n = bounds.min_trace_psd_interpolant_commuting(q, a, y)
    probe = _verdict(problem, w_n, alpha=0.001, status=dynamics.STATUS_COMPLETED, y_shift=1e-5)
    shift = 1e-5 * 0.02 / probe.details["remaining_motion"]  # motion ≈ 0.02: > 0.05/10, < 0.05
    result = _verdict(problem, w_n, alpha=0.001, status=dynamics.STATUS_COMPLETED, y_shift=shift)
    assert 0.005 < result.details["remaining_motion"] < 0.05
    assert result.outcome == "inconclusive" and "raise t1" in result.reason


def test_transition_without_an_in_range_remedy_says_so(problem, monkeypatch):
    q, a, mats, y, _ = problem
    monkeypatch.setattr(krm, "regime_thresholds", lambda *args: (0.0, 20.0))
    result = _verdict(problem, bounds.commuting_factorization_limit(q, a, y, 0.5).W, alpha=0.5)
    assert result.outcome == "inconclusive" and "alpha <=" not in result.reason and "alpha >=" not in result.reason
    assert "even alpha = 0.001" in result.reason and "raise m" in result.reason
