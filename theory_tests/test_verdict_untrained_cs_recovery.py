"""Verdict tests of untrained_cs_recovery on doctored arrays (issue 19): no simulation.

A synthetic problem with the simulator's shapes (n = 64, a PSD Gram Σ̂, A with its rows from m on
zeroed, a unit x*): the final output is placed at a chosen recovery error e and a chosen linearised
remaining movement μ = ‖Σ̂Aᵀ(AΣ̂Aᵀ)⁻¹(y − A x_T)‖ (x_T = x* − M(r) + e'·d, d in the null space of
A and orthogonal to M(r)), so that each of the three regions — pass (e + μ ≤ 0.05), fail
(e − μ > 0.05), undecided — is entered just inside and just outside its edge."""

import math

import numpy as np
import pytest

from theorycheck import bounds
from theorycheck import get_check, make_config
from theorycheck.checks import untrained_cs_recovery as cs

CHECK = get_check("untrained_cs_recovery")
N = cs.N


def _config(**overrides):
    return make_config(CHECK, {"width": 256, "steps": 1000, **overrides})


def _kernel():
    d = np.minimum(np.arange(N), N - np.arange(N))
    k = np.exp(-(d**2) / (2 * cs.KERNEL_WIDTH**2))
    return k / np.linalg.norm(k)


def _problem(mf=8, seed=0):
    rng = np.random.default_rng(seed)
    m = mf * cs.RANK
    b = rng.standard_normal((N, N))
    gram = b @ b.T / N + 0.1 * np.eye(N)
    a = np.where((np.arange(N) < m)[:, None], rng.standard_normal((N, N)), 0.0) / math.sqrt(m)
    x_star = rng.standard_normal(N)
    x_star /= np.linalg.norm(x_star)
    return rng, m, gram, a, x_star


def _movement(gram, a, r):  # independent of bounds.remaining_movement: a pseudo-inverse
    return gram @ a.T @ np.linalg.pinv(a @ gram @ a.T) @ r


def _arrays(error, mu, mf=8, seed=0):
    rng, m, gram, a, x_star = _problem(mf, seed)
    am = a[:m]
    r = rng.standard_normal(m)
    move = _movement(gram, am, r)
    move = mu * move / np.linalg.norm(move) if mu > 0 else np.zeros(N)
    null = np.linalg.svd(am)[2][m:]  # orthonormal basis of null(A)
    extra = math.sqrt(max(error**2 - mu**2, 0.0))
    c, v = rng.standard_normal(null.shape[0]), null @ move
    if mu > 0:
        c -= (c @ v) / (v @ v) * v  # d = nullᵀc stays in null(A) and is orthogonal to the movement
    d = null.T @ c / np.linalg.norm(c) if extra > 0 else np.zeros(N)
    x_final = x_star - move + extra * d
    ev = np.linalg.eigvalsh(gram)[::-1]
    return {
        "kernel": _kernel(), "gram": gram, "eigenvalues": ev, "measurement": a, "x_star": x_star, "y": a @ x_star,
        "x0": 1e-3 * rng.standard_normal(N), "x_final": x_final, "lr": np.array(0.01),
        "errors": np.full(cs.RECORDS + 1, error), "residuals": np.full(cs.RECORDS + 1, 0.01),
        "diverged_at": np.array(-1),
    }


def _verdict(arrays, **overrides):
    config = _config(**overrides)
    data = {"measurements_factor": config.measurements_factor, "init_scale": config.init_scale,
            "lr_fraction": config.lr_fraction}
    return cs.verdict(config, data, arrays)


def test_the_doctored_arrays_have_the_asked_error_and_movement():
    a = _arrays(0.04, 0.007)
    result = _verdict(a)
    assert result.measured == pytest.approx(0.04, rel=1e-9)
    assert result.details["remaining_movement"] == pytest.approx(0.007, rel=1e-6)
    m = 32
    mu = bounds.remaining_movement(a["gram"], a["measurement"][:m], a["y"][:m] - a["measurement"][:m] @ a["x_final"])
    assert np.linalg.norm(mu) == pytest.approx(0.007, rel=1e-6)


@pytest.mark.parametrize("error, mu, outcome, words", [
    (0.045, 0.0, "pass", "relative recovery error"),
    (0.055, 0.0, "fail", "smooth signal not recovered"),
    (0.040, 0.009, "pass", "remaining movement"),          # e + μ = 0.049 <= 0.05
    (0.040, 0.011, "inconclusive", "has not converged"),   # e + μ = 0.051: not yet
    (0.060, 0.011, "inconclusive", "has not converged"),   # e − μ = 0.049: could still reach 0.05
    (0.060, 0.009, "fail", "cannot close the gap"),        # e − μ = 0.051: decided
])
def test_the_three_regions_at_their_edges(error, mu, outcome, words):
    result = _verdict(_arrays(error, mu))
    assert result.outcome == outcome, result.reason
    assert words in result.reason


def test_unconverged_remedy_stays_inside_the_ranges():
    a = _arrays(0.04, 0.02)
    assert "raise steps to >= 2000" in _verdict(a).reason
    assert "raise steps to >= 20000" in _verdict(a, steps=15000).reason
    assert "raise lr_fraction (now 1.8, up to 1.9)" in _verdict(a, steps=20000).reason
    assert "cannot be decided within the ranges" in _verdict(a, steps=20000, lr_fraction=1.9).reason


def test_divergence_is_inconclusive():
    a = _arrays(0.01, 0.0)
    a["diverged_at"] = np.array(321)
    result = _verdict(a)
    assert result.outcome == "inconclusive" and "diverged at step 321" in result.reason
    assert "lower lr_fraction" in result.reason
    a = _arrays(0.01, 0.0)
    a["x_final"][3] = np.nan
    assert _verdict(a).outcome == "inconclusive"


def test_a_singular_measurement_gram_is_inconclusive_not_a_pass():
    a = _arrays(0.01, 0.0)
    a["gram"] = np.zeros((N, N))  # AΣ̂Aᵀ = 0: μ undefined
    result = _verdict(a)
    assert result.outcome == "inconclusive" and "remaining movement is not finite" in result.reason


def test_noise_control_fails_on_recovery():
    control = {"signal": "noise"}
    assert control in CHECK.negative_controls
    result = _verdict(_arrays(0.9, 0.05), **control)
    assert result.outcome == "fail" and "noise signal not recovered" in result.reason
    assert result.details["noise_floor_expected"] == pytest.approx(math.sqrt(0.5))


def test_noise_at_full_measurement_cannot_be_told_from_recovery():
    result = _verdict(_arrays(0.0, 0.0, mf=16), signal="noise", measurements_factor=16)
    assert result.outcome == "inconclusive" and "white noise is determined" in result.reason
    result = _verdict(_arrays(0.01, 0.0, mf=15), signal="noise", measurements_factor=15)
    assert result.outcome == "pass"  # m = 60 < n: decided (here: recovered)


@pytest.mark.parametrize("control, mf", [({"init_scale": 1.0}, 8), ({"measurements_factor": 2}, 2)])
def test_smooth_controls_fail_on_recovery(control, mf):
    assert control in CHECK.negative_controls
    result = _verdict(_arrays(0.3, 0.0, mf=mf), **control)
    assert result.outcome == "fail" and "smooth signal not recovered" in result.reason
    assert f"m = {4 * mf} measurements" in result.reason


def test_linearised_limit_and_floor_against_hand_computations():
    a = _arrays(0.04, 0.0)
    m = 32
    am, y, x0 = a["measurement"][:m], a["y"][:m], a["x0"]
    lin = bounds.heckel20_linearized_limit(a["gram"], am, y, x0)
    np.testing.assert_allclose(lin, x0 + _movement(a["gram"], am, y - am @ x0), atol=1e-10)
    np.testing.assert_allclose(am @ lin, y, atol=1e-10)  # an interpolant
    basis = np.linalg.svd(a["gram"] @ am.T, full_matrices=False)[0]
    target = a["x_star"] - x0
    floor = np.linalg.norm(target - basis @ (basis.T @ target))
    assert bounds.heckel20_interpolant_floor(a["gram"], am, a["x_star"], x0) == pytest.approx(floor, rel=1e-9)
    # a 2 × 2 hand value: Σ̂ = I, A = [1, 0], r = 3 → Σ̂Aᵀ(AΣ̂Aᵀ)⁻¹r = (3, 0)
    np.testing.assert_allclose(bounds.remaining_movement(np.eye(2), np.array([[1.0, 0.0]]), np.array([3.0])), [3.0, 0.0])
