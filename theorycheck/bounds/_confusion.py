"""The gradient confusion of a linear model on random unit inputs (Sankararaman et al., ICML 2020).

**Statement** (shared/THEORY.md §10, derived here). For the least-squares model
f_i(w) = ½(x_iᵀw − y_i)² the per-sample gradient is ∇f_i = r_i x_i with r_i = x_iᵀw − y_i, so

    cos(∇f_i, ∇f_j) = sign(r_i r_j) · x_iᵀx_j / (‖x_i‖‖x_j‖).

Take x_1, …, x_n independent and uniform on the unit sphere of ℝ^d (any rotation-invariant law)
and signs sign(r_i) independent of the directions (at w = 0, r_i = −y_i with labels drawn
independently of the inputs). Flipping x_i → sign(r_i)·x_i preserves the law of the inputs, so the
N = n(n − 1)/2 signed cosines have the joint law of the plain cosines c_ij = x_iᵀx_j. Each c_ij
has mean 0 and variance 1/d, and (1 + c_ij)/2 ~ Beta((d − 1)/2, (d − 1)/2), which tends to
N(0, 1/d) as d grows; the c_ij are pairwise independent (given x_i, c_ij and c_ik are independent
with a law that does not depend on x_i) though not jointly. Treating them as N independent
N(0, 1/d) variables, the minimum of N independent standard normals is −√(2 ln N) to leading order
(the Gumbel domain: P(min > −t) = (1 − Φ̄(t))^N ≈ exp(−N Φ̄(t)) and N Φ̄(√(2 ln N)) → 0
logarithmically), hence the closed form

    min_{i<j} cos(∇f_i, ∇f_j) ≈ −√(2 ln(n(n − 1)/2) / d)        (:func:`sankararaman20_linear_confusion`).

**Its finite-n error** (what a tolerance on it must cover). The expansion of the expected maximum of
N standard normals is √(2 ln N) − (ln ln N + ln 4π − 2γ)/(2√(2 ln N)) + O(1/ln N)^{3/2} (γ the
Euler–Mascheroni constant), so the leading-order closed form overstates |E min| by a relative
(ln ln N + ln 4π − 2γ)/(4 ln N): 12% at n = 64 (N = 2016), decaying only like 1/ln N; the Beta law's
lighter tails add to it at small d (15% at n = 64, d = 64; 12.7% at d = 256).
:func:`independent_cosine_min_mean` computes E min of N independent exact (Beta) cosines by
quadrature, an independent reference for that gap.
"""

import math

import numpy as np
from scipy import integrate, special


def sankararaman20_linear_confusion(n, d):
    """The leading-order minimum pairwise gradient cosine of a linear model, −√(2 ln(n(n−1)/2)/d).

    Args:
      n: samples (≥ 2; N = n(n − 1)/2 pairs).
      d: input dimension (the number of parameters).

    Returns:
      The predicted min_{i<j} cos(∇f_i, ∇f_j) (negative), as a float or an array broadcast over
      ``n`` and ``d``; derivation in the module docstring.

    References:
      Sankararaman, De, Xu, Huang, Goldstein, "The Impact of Neural Network Overparameterization on
      Gradient Confusion and Stochastic Gradient Descent", ICML 2020, arXiv:1904.06963.
    """
    n, d = np.asarray(n, dtype=float), np.asarray(d, dtype=float)
    if np.any(n < 2) or np.any(d < 1):
        raise ValueError(f"need n >= 2 samples and d >= 1 dimensions, got n={n}, d={d}")
    value = -np.sqrt(2.0 * np.log(n * (n - 1) / 2.0) / d)
    return float(value) if value.ndim == 0 else value


def independent_cosine_min_mean(n: int, d: int) -> float:
    """E[min of N = n(n−1)/2 independent cosines of uniform unit vector pairs in ℝ^d], by quadrature.

    Each cosine c has (1 + c)/2 ~ Beta((d − 1)/2, (d − 1)/2), CDF F; the minimum m of N independent
    copies has E m = −1 + ∫_{−1}^{1} (1 − F(t))^N dt. This keeps the exact one-pair law and the
    exact finite-N extreme, dropping only the (weak, higher-order) dependence between pairs that
    share a sample: the reference against which the leading-order closed form's bias is measured.
    """
    if n < 2 or d < 2:
        raise ValueError(f"need n >= 2 and d >= 2, got n={n}, d={d}")
    pairs = n * (n - 1) // 2
    a = (d - 1) / 2.0
    lead = math.sqrt(2.0 * math.log(max(pairs, 2)) / d)
    integral, _ = integrate.quad(
        lambda t: (1.0 - special.betainc(a, a, (1.0 + t) / 2.0)) ** pairs, -1.0, 1.0,
        points=[-min(lead, 0.99)], limit=400,
    )
    return -1.0 + integral


def linear_confusion_bias(n: int, d: int) -> float:
    """The relative gap 1 − E[min]/closed form between the finite-n expectation
    (:func:`independent_cosine_min_mean`) and :func:`sankararaman20_linear_confusion` (> 0: the
    closed form overstates the confusion)."""
    return 1.0 - independent_cosine_min_mean(n, d) / sankararaman20_linear_confusion(n, d)
