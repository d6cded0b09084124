"""Moments of the squared singular values of a product of Gaussian matrices (Fuss–Catalan law).

For ``J = W₁ ⋯ W_L`` with independent ``N × N`` matrices of i.i.d. ``N(0, 1/N)`` entries, the
empirical moments ``m_k = (1/N) tr (JJᵀ)^k`` of the squared singular values converge, as
``N → ∞``, to the Fuss–Catalan numbers ``FC_L(k) = C((L+1)k, k)/(Lk + 1)`` (``m₁ = 1``,
``m₂ = L + 1``; Pennington, Schoenholz & Ganguli 2018, "The emergence of spectral universality in
deep networks"; shared/THEORY.md §12).

At finite ``N`` the first two moments have exact expectations (derived in
:func:`gaussian_product_moments`), which the checks use to separate the finite-``N`` bias from
the sampling fluctuation.
"""

import math


def fuss_catalan_moment(depth: int, k: int) -> float:
    """``FC_L(k) = C((L+1)k, k)/(Lk + 1)``: the ``k``-th moment of the Fuss–Catalan law of order
    ``L = depth`` (the ``N → ∞`` limit of ``(1/N) tr (JJᵀ)^k``)."""
    if depth < 0 or k < 0:
        raise ValueError(f"depth and k must be >= 0, got {depth}, {k}")
    return math.comb((depth + 1) * k, k) / (depth * k + 1)


def gaussian_product_moments(depth: int, width: int) -> tuple[float, float, float]:
    """Exact finite-``N`` expectations for ``J = W₁⋯W_L``, ``W_l`` i.i.d. ``N(0, 1/N)``, ``N × N``.

    Returns ``(E m₁, E m₂, Var m₁)`` with ``m_k = (1/N) tr (JJᵀ)^k``.

    Derivation. Let ``B_l = J_l J_lᵀ`` and ``A = J_{l−1}ᵀJ_{l−1}`` (same trace and ``tr A²`` as
    ``B_{l−1}``); with ``G = W_l W_lᵀ``, ``E[G_ij G_kl] = N^{-2}(N²δ_ijδ_kl + Nδ_ikδ_jl + Nδ_ilδ_jk)``.
    Hence ``E tr B_l = E tr A``, ``E tr B_l² = (1 + 1/N) E tr A² + E (tr A)²/N`` and
    ``E (tr B_l)² = E (tr A)² + 2 E tr A²/N``. In ``u_l = E (tr B_l/N)²``, ``v_l = E tr B_l²/N``:
    ``u_l = u_{l−1} + 2v_{l−1}/N²``, ``v_l = (1 + 1/N)v_{l−1} + u_{l−1}``, ``u₀ = v₀ = 1``. So
    ``E m₁ = 1``, ``E m₂ = v_L`` (→ ``L + 1``; ``2 + 1/N`` at ``L = 1``, the Wishart value) and
    ``Var m₁ = u_L − 1 ≈ L(L + 1)/N²``.
    """
    if depth < 0 or width < 1:
        raise ValueError(f"depth must be >= 0 and width >= 1, got {depth}, {width}")
    u, v = 1.0, 1.0
    for _ in range(depth):
        u, v = u + 2.0 * v / width**2, (1.0 + 1.0 / width) * v + u
    return 1.0, v, u - 1.0
