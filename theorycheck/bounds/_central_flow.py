"""Predictions of the central flow of GD (Cohen, Damian, Talwalkar, Kolter, Lee, ICLR 2025).

**Derivation.** Near the central flow w̄, GD's iterate is w = w̄ + δ with δ oscillating in the
critical eigenspace of the Hessian (eigenvalues at 2/η) with covariance Σ = E[δδᵀ]. A second-order
expansion, E[L(w̄ + δ)] ≈ L(w̄) + ⟨∇L, E δ⟩ + ½ tr(H Σ), with E δ = 0 (w̄ is the time average) and
H Σ = (2/η) Σ on the critical eigenspace, gives the time-averaged loss L(w̄) + tr(Σ)/η (k = 1:
L + σ²/η). The k = 1 multiplier of the Euler-discretised flow is the σ² ≥ 0 for which the sharpness
one step dt ahead, S + dt·⟨∇S, dw/dt⟩ with dw/dt = −η(∇L + ½σ²∇S), equals 2/η:
σ² = 2⟨−∇L, ∇S⟩/‖∇S‖² + 2(S − 2/η)/(dt·η‖∇S‖²), clipped at 0 (a complementarity: σ² > 0 only
where S would otherwise exceed 2/η).
"""

import numpy as np


def cohen25_time_averaged_loss(loss, sigma_trace, lr):
    """GD's predicted time-averaged loss along the central flow: ``L(w̄) + tr(Σ)/η``.

    **Statement:** at the edge of stability, GD's loss averaged over its oscillation equals, to
    second order in the oscillation, L(w̄) + tr(Σ)/η with w̄ the central flow and Σ its multiplier
    (for one eigenvalue at the edge, L + σ²/η). Cohen, Damian, Talwalkar, Kolter, Lee,
    "Understanding Optimization in Deep Learning with Central Flows", ICLR 2025, arXiv:2410.24206
    (the reference code's ``predicted_loss = loss + Sigma_eig.sum() / lr``, read in
    github.com/centralflows/centralflows ``minimal.py``).

    Args:
      loss: L(w̄), any shape.
      sigma_trace: tr Σ ≥ 0, broadcastable with ``loss``.
      lr: η > 0.
    """
    lr = np.asarray(lr, dtype=np.float64)
    if np.any(~np.isfinite(lr)) or np.any(lr <= 0):
        raise ValueError(f"lr must be finite and > 0, got {lr!r}")
    sigma_trace = np.asarray(sigma_trace, dtype=np.float64)
    if np.any(sigma_trace < 0):
        raise ValueError("sigma_trace must be >= 0 (Σ is PSD); pass the trace of the central flow's multiplier")
    return np.asarray(loss, dtype=np.float64) + sigma_trace / lr


def cohen25_sigma_squared(grad_loss_dot_grad_sharpness, grad_sharpness_norm2, sharpness, lr, dt):
    """The k = 1 multiplier σ² of the Euler-discretised central flow, in closed form.

    **Statement:** σ² = max(0, −2⟨∇L, ∇S⟩/‖∇S‖² + 2(S − 2/η)/(dt·η·‖∇S‖²)) keeps the sharpness at
    2/η one Euler step ahead (derived in the module docstring; Cohen et al., ICLR 2025,
    arXiv:2410.24206, §3, discretised as in the reference code's SDCP with k = 1).

    Args:
      grad_loss_dot_grad_sharpness: ⟨∇L, ∇S⟩.
      grad_sharpness_norm2: ‖∇S‖² > 0.
      sharpness: S = λ_max(∇²L).
      lr: η > 0.
      dt: the Euler step in GD steps, > 0.
    """
    for name, value in (("grad_sharpness_norm2", grad_sharpness_norm2), ("lr", lr), ("dt", dt)):
        if np.any(~np.isfinite(np.asarray(value, dtype=np.float64))) or np.any(np.asarray(value) <= 0):
            raise ValueError(f"{name} must be finite and > 0, got {value!r}")
    norm2 = np.asarray(grad_sharpness_norm2, dtype=np.float64)
    value = (-2.0 * np.asarray(grad_loss_dot_grad_sharpness, dtype=np.float64) / norm2
             + 2.0 * (np.asarray(sharpness, dtype=np.float64) - 2.0 / lr) / (dt * lr * norm2))
    return np.maximum(value, 0.0)
