"""The floor under the SGD step norm (Galanti et al.'s "SGD noise")."""

import numpy as np


def galanti23_sgd_noise_floor(per_sample_variance, n, batch_size, lr):
    """A lower bound on the root-mean-square SGD step, ``μ·sqrt((n − B)/(B(n − 1))·V)``.

    **Statement.** One plain SGD step on ``L + λ‖W‖²`` (``plain_sgd(μ, weight_decay=2λ)``, the
    paper's λ) is ``ΔW = −μ(∇L_S(W) + 2λW)`` with S uniform over the B-subsets of the n samples.
    Since ``E_S ∇L_S = ∇L``, ``E_S‖ΔW‖² = μ²‖∇L(W) + 2λW‖² + μ²·(n − B)/(B(n − 1))·V(W)``,
    V the per-sample gradient variance, so ``E_S‖ΔW‖² ≥ μ²(n − B)/(B(n − 1))·V(W)``, for any W
    (an exact bias–variance split, derived here). Galanti, Siegel, Gupte, Poggio (arXiv:2206.05794)
    prove that with λ > 0 and B < n the step cannot vanish (V = 0 with ΔW = 0 for every batch
    forces all per-sample gradients to equal −2λW); this floor makes that quantitative. With
    B = n it is 0.
    """
    n, batch_size = int(n), int(batch_size)
    factor = (n - batch_size) / (batch_size * (n - 1)) if n > 1 else 0.0
    return float(lr) * np.sqrt(factor * np.asarray(per_sample_variance, float))


def simplex_etf_cosine(num_classes):
    """The pairwise cosine ``−1/(C − 1)`` of a C-class simplex equiangular tight frame (Papyan, Han,
    Donoho, PNAS 2020): C unit vectors summing to zero with equal pairwise angles."""
    num_classes = int(num_classes)
    if num_classes < 2:
        raise ValueError(f"a simplex ETF needs at least 2 classes, got {num_classes}")
    return -1.0 / (num_classes - 1)
