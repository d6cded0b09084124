"""The infinite-width NTK Gram matrix of the two-layer ReLU net and linearised GD on it.

**Derivation (Du, Zhai, Póczos, Singh, ICLR 2019, arXiv:1810.02054, §3–4).** For
u(x) = (1/√m) Σ_r a_r ReLU(w_rᵀx) with a_r ∈ {±1} fixed, trained in W on ½Σᵢ(uᵢ − yᵢ)², the Gram
matrix of the predictions' gradients is H(W)_ij = (1/m) Σ_r x_iᵀx_j 1{w_rᵀx_i ≥ 0, w_rᵀx_j ≥ 0},
whose expectation over w ~ N(0, I) is

    H∞_ij = x_iᵀx_j · P(wᵀx_i ≥ 0, wᵀx_j ≥ 0) = x_iᵀx_j (π − arccos(x_iᵀx_j)) / (2π)

for unit inputs: the projection of w on span(x_i, x_j) is isotropic, and the two half-planes
{wᵀx_i ≥ 0}, {wᵀx_j ≥ 0} intersect in a wedge of angle π − θ_ij, θ_ij = arccos(x_iᵀx_j).
When W stays near its initialisation (wide nets), u(k+1) − y ≈ (I − ηH)(u(k) − y), so the
residual follows the discrete-time linear prediction r(k) = (I − ηH)^k r(0) (not only its
gradient-flow limit exp(−ηHk) r(0)).
"""

import numpy as np
from jaxtyping import ArrayLike, Float


def du19_gram_infinite(x: Float[ArrayLike, "n d"]) -> np.ndarray:
    """H∞ of the two-layer ReLU net for unit-norm inputs (rows of ``x``), in float64.

    **Statement:** H∞_ij = x_iᵀx_j(π − arccos x_iᵀx_j)/(2π) (derived in the module docstring);
    λ₀ = λ_min(H∞) > 0 iff no two inputs are parallel (Du et al., ICLR 2019, Theorem 3.1).

    Raises:
      ValueError: if a row of ``x`` is not of unit norm (to 1e-8).
    """
    x = np.asarray(x, dtype=float)
    norms = np.linalg.norm(x, axis=1)
    if not np.allclose(norms, 1.0, atol=1e-8):
        raise ValueError(f"du19_gram_infinite needs unit-norm inputs; got norms in [{norms.min():.3g}, {norms.max():.3g}]")
    cosine = np.clip(x @ x.T, -1.0, 1.0)
    return cosine * (np.pi - np.arccos(cosine)) / (2.0 * np.pi)


def linearized_gd_residuals(gram: Float[ArrayLike, "n n"], r0: Float[ArrayLike, " n"], lr: float, steps: int) -> np.ndarray:
    """r(k) = (I − ηH)^k r(0) for k = 0 .. ``steps``, by the eigendecomposition of H (float64).

    **Statement:** the residual of discrete-time GD on a model linear in its parameters with
    Gram H (H = JJᵀ of the Jacobian J) obeys r(k+1) = (I − ηH) r(k) exactly; a wide network
    follows it up to O(1/√m) (Du et al. 2019, Lemma 3.2 and §4).

    Returns:
      ``(steps + 1, n)``.
    """
    gram = np.asarray(gram, dtype=float)
    eigenvalues, vectors = np.linalg.eigh(0.5 * (gram + gram.T))
    coefficients = vectors.T @ np.asarray(r0, dtype=float)
    factors = (1.0 - lr * eigenvalues)[None, :] ** np.arange(steps + 1)[:, None]
    return (factors * coefficients[None, :]) @ vectors.T


def du19_loss_bound(lam0: float, lr: float, loss0: float, steps: int) -> np.ndarray:
    """The rate bound L(k) ≤ (1 − ηλ₀/2)^k L(0), k = 0 .. ``steps`` (Du et al. 2019, Theorem 4.1)."""
    return loss0 * (1.0 - lr * lam0 / 2.0) ** np.arange(steps + 1)
