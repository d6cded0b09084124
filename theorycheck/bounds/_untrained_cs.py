"""Compressive sensing with an un-trained two-layer conv generator, in its linearised (kernel) form.

**Derivation [D].** For ``G(C) = ReLU(U C)·v`` with ``v_l = ±1/√k``, ``∂G_i/∂C_{jl} = v_l·1{(UC)_{il} > 0}·U_{ij}``,
so the Jacobian Gram is ``(JJᵀ)_{ii'} = (UUᵀ)_{ii'}·(1/k)Σ_l 1{(UC)_{il} > 0, (UC)_{i'l} > 0}``. For
``C ~ N(0, ω²)`` the pair ``((UC)_{il}, (UC)_{i'l})`` is a centred Gaussian with correlation
``cos θ_{ii'}`` between the rows ``u_i, u_{i'}`` of ``U``, so both are positive with probability
``(π − θ)/(2π)`` and

    Σ = E[JJᵀ] = (UUᵀ) ∘ (π − arccos(cos θ))/(2π),

the "dual kernel" of THEORY.md §7 (:func:`heckel20_dual_kernel`; independent of ω by ReLU
homogeneity). For a circulant ``U`` it is circulant, so its eigenvectors are the trigonometric
(DFT) vectors, low frequencies first for a low-pass kernel.

Linearise ``G`` at ``C₀``: ``G(C) ≈ x₀ + J(C − C₀)``, ``x₀ = G(C₀)``. GD with step η on
``½‖A G(C) − y‖²`` then moves the output as ``x_{t+1} = x_t − η Σ̂ Aᵀ(A x_t − y)`` (``Σ̂ = JJᵀ`` at
``C₀``): every increment lies in ``range(Σ̂Aᵀ)``, and the iteration converges (η < 2/λ_max(AΣ̂Aᵀ))
to the interpolant

    x_∞ = x₀ + Σ̂Aᵀ(AΣ̂Aᵀ)⁻¹(y − A x₀) = argmin {‖x − x₀‖_{Σ̂⁻¹} : A x = y},

the smoothest interpolant in the kernel's norm: the paper's title, "gradient descent finds the
smoothest approximation" (:func:`heckel20_linearized_limit`). Two consequences used by the check:

* **Structured signals are recovered.** For ``x₀ = 0``, ``x_∞ = P x*`` with the oblique projector
  ``P = Σ̂^{1/2} Π Σ̂^{-1/2}`` (``Π`` the orthogonal projector onto ``range(Σ̂^{1/2}Aᵀ)``). For ``x*`` in
  the span of the top-p eigenvectors and ``m ≫ p`` Gaussian measurements, ``Π`` keeps the top
  directions up to a leak of order ``λ_tail/λ_p``, so ``‖x_∞ − x*‖/‖x*‖`` is of the order of the
  spectral ratio ``λ_m/λ_p`` (≈ 0.013 for the default kernel, THEORY.md's "[V-num] 0.0065 at m = 48").
* **White noise is not.** ``x_∞ − x₀`` lies in the m-dimensional ``range(Σ̂Aᵀ)``, so
  ``‖x_∞ − x*‖ ≥ dist(x* − x₀, range(Σ̂Aᵀ))`` (:func:`heckel20_interpolant_floor`); for isotropic
  ``x*`` its expected square is ``(1 − m/n)‖x*‖²``: ≥ 0.5² whenever ``m ≤ n/2``.
"""

import numpy as np
from jaxtyping import ArrayLike, Float

from ._ntk import du19_gram_infinite


def heckel20_dual_kernel(kernel: Float[ArrayLike, " n"]) -> np.ndarray:
    """Σ = E[JJᵀ] of ``G(C) = ReLU(U C)v`` at ``C ~ N(0, ω²)``, ``U`` the circulant of ``kernel``.

    **Statement:** Σ_{ii'} = ⟨u_i, u_{i'}⟩(π − θ_{ii'})/(2π), θ the angle between rows ``u_i`` of
    ``U`` (derived in the module docstring; THEORY.md §7).
    """
    kernel = np.asarray(kernel, dtype=float)
    n = kernel.shape[0]
    rows = kernel[(np.arange(n)[:, None] - np.arange(n)[None, :]) % n]
    norm = np.linalg.norm(kernel)
    return norm**2 * du19_gram_infinite(rows / norm)


def heckel20_linearized_limit(gram, measurement, y, x0) -> np.ndarray:
    """The limit of GD on the linearised generator: ``x₀ + Σ̂Aᵀ(AΣ̂Aᵀ)⁻¹(y − A x₀)`` (float64).

    **Statement:** the minimiser of ``‖x − x₀‖_{Σ̂⁻¹}`` over ``{A x = y}`` (module docstring).
    """
    gram, a = np.asarray(gram, dtype=float), np.asarray(measurement, dtype=float)
    x0 = np.asarray(x0, dtype=float)
    return x0 + remaining_movement(gram, a, np.asarray(y, dtype=float) - a @ x0)


def remaining_movement(gram, measurement, residual) -> np.ndarray:
    """``Σ̂Aᵀ(AΣ̂Aᵀ)⁻¹ r``: how far linearised GD still moves the output from a point whose
    measurement residual ``y − A x`` is ``r`` (the rest of its path to the interpolant)."""
    gram, a = np.asarray(gram, dtype=float), np.asarray(measurement, dtype=float)
    return gram @ a.T @ np.linalg.solve(a @ gram @ a.T, np.asarray(residual, dtype=float))


def heckel20_interpolant_floor(gram, measurement, x_star, x0) -> float:
    """``dist(x* − x₀, range(Σ̂Aᵀ))``: a lower bound on ``‖x_∞ − x*‖`` for the linearised limit.

    **Statement:** ``x_∞ − x₀ ∈ range(Σ̂Aᵀ)`` (dimension ≤ m), so no output of linearised GD is
    closer to ``x*`` than this; for isotropic ``x*`` its expected square is ``(1 − m/n)‖x*‖²``.
    """
    gram, a = np.asarray(gram, dtype=float), np.asarray(measurement, dtype=float)
    basis, _ = np.linalg.qr(gram @ a.T)
    target = np.asarray(x_star, dtype=float) - np.asarray(x0, dtype=float)
    return float(np.linalg.norm(target - basis @ (basis.T @ target)))
