"""The critical line of a tanh network and Sokół & Park's bound on the Fisher's top eigenvalue.

* :func:`tanh_critical_point`: for a pre-activation variance fixed point ``q*`` the weight and
  bias variances ``(σ_w², σ_b²)`` with ``χ = σ_w² E[φ'(√q* z)²] = 1`` (mean squared singular
  value of each layer's Jacobian 1: the critical line of Schoenholz et al. 2017, Pennington et
  al. 2017; Sokół & Park eq. 3–5), by Gauss–Hermite quadrature.
* :func:`sokol20_fisher_bounds`: the two upper bounds on ``λ_max`` of the data-averaged Fisher
  (Gaussian output, ``H_g = I``) from the per-sample block Grams and layer-to-output Jacobians,
  Sokół & Park, ICLR 2020, arXiv:1810.03785, §3 (the theorem "Bound on the Fisher Information
  Eigenvalues" and Assumption 2).
"""

import math

import numpy as np


def tanh_critical_point(q_star: float, *, nodes: int = 101) -> tuple[float, float]:
    """``(σ_w², σ_b²)`` on the critical line of a tanh network with fixed point ``q*``.

    Solves ``χ = σ_w² E[sech⁴(√q* z)] = 1`` (``φ' = sech²``) and the fixed point
    ``q* = σ_w² E[tanh²(√q* z)] + σ_b²`` (Sokół & Park eq. 4–5), ``z ~ N(0, 1)``, by
    ``nodes``-point Gauss–Hermite quadrature (probabilists'). Small ``q*``:
    ``E sech⁴(√q z) = 1 − 2q + 7q² + O(q³)``, so ``σ_w² ≈ 1 + 2q*`` and ``σ_b² = O(q*³)``.

    Args:
      q_star: the pre-activation variance fixed point, > 0.
      nodes: quadrature nodes.
    """
    if not (isinstance(q_star, (int, float)) and math.isfinite(q_star) and q_star > 0):
        raise ValueError(f"q_star must be a finite number > 0, got {q_star!r}")
    z, w = np.polynomial.hermite_e.hermegauss(nodes)
    w = w / w.sum()
    u = math.sqrt(q_star) * z
    sigma_w2 = 1.0 / float(np.sum(w / np.cosh(u) ** 4))
    sigma_b2 = q_star - sigma_w2 * float(np.sum(w * np.tanh(u) ** 2))
    return sigma_w2, max(sigma_b2, 0.0)


def sokol20_fisher_bounds(block_tops, jacobian_tops, activation_norms) -> tuple[float, float]:
    """Upper bounds on ``λ_max(F̄)``, ``F̄ = (1/n) Σ_i J_iᵀJ_i``, for a network with ``L`` dense layers.

    Args:
      block_tops: ``(n, L)``: ``λ_max`` of layer ``α``'s block Gram at input ``i`` (weights and
        bias together: ``(‖x_i^{α−1}‖² + 1)·σ_max(J_{h^α}^{h^g}(x_i))²``).
      jacobian_tops: ``(n, L)``: ``σ_max(J_{h^α}^{h^g}(x_i))²``, the squared spectral norm of
        the Jacobian from layer ``α``'s pre-activation to the output.
      activation_norms: ``(n, L)``: ``‖x_i^{α−1}‖² + 1`` (the activations entering layer ``α``,
        plus 1 for the bias).

    Returns:
      ``(layer_bound, input_jacobian_bound)``:

      * ``layer_bound = (1/n) Σ_i Σ_α block_tops[i, α]``: exact for every network, by
        ``λ_max(F̄) <= (1/n) Σ_i λ_max(J_iᵀJ_i)`` and Weyl's inequality over the layer blocks
        (the block-diagonal part of Sokół & Park's Gershgorin bound);
      * ``input_jacobian_bound = (1/n) Σ_i σ_max(J_{h^1}^{h^g}(x_i))² Σ_α (‖x_i^{α−1}‖² + 1)``:
        the paper's form, quadratic in the spectral radius of the input-layer Jacobian; it
        follows from the first under Assumption 2 (``σ_max(J_{h^α}^{h^g})`` grows as ``α ↓ 1``).
    """
    block_tops, jacobian_tops, activation_norms = (np.asarray(a, dtype=float)
                                                    for a in (block_tops, jacobian_tops, activation_norms))
    if block_tops.ndim != 2 or block_tops.shape != jacobian_tops.shape or block_tops.shape != activation_norms.shape:
        raise ValueError("block_tops, jacobian_tops and activation_norms must share one (n, L) shape, got "
                         f"{block_tops.shape}, {jacobian_tops.shape}, {activation_norms.shape}")
    layer_bound = float(np.mean(np.sum(block_tops, axis=1)))
    input_bound = float(np.mean(jacobian_tops[:, 0] * np.sum(activation_norms, axis=1)))
    return layer_bound, input_bound
