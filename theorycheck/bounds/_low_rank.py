"""Galanti, Siegel, Gupte, Poggio: SGD + weight decay leaves every weight matrix near low rank.

Convention (shared/THEORY.md): the paper's objective is ``L + λ‖W‖²``, so one plain SGD step is
``W ← (1 − 2μλ)W − μ∇L_S(W)``; in :func:`dynamics.plain_sgd` that is ``weight_decay = 2λ``. Every
function here takes the paper's ``λ`` (``lam``).
"""

import numpy as np


def galanti23_decay(lr, lam):
    """The per-step weight-decay factor ``1 − 2μλ`` (``plain_sgd(μ, weight_decay=2λ)``)."""
    return 1.0 - 2.0 * np.asarray(lr, float) * np.asarray(lam, float)


def galanti23_unrolled_weights(w_past, grads, lr, lam):
    """The unrolled SGD + WD identity, the right-hand side for every horizon k = 1..K.

    **Statement.** For ``W_{t+1} = (1 − 2μλ)W_t − μ∇L_{S_t}(W_t)`` (the paper's ``L + λ‖W‖²``,
    i.e. ``plain_sgd(μ, weight_decay=2λ)``, no momentum),

        W_T = (1 − 2μλ)^k W_{T−k} − μ Σ_{j=1}^{k} (1 − 2μλ)^{j−1} ∇L_{S_{T−j}}(W_{T−j})

    for every k (Galanti, Siegel, Gupte, Poggio, arXiv:2206.05794; an induction on k).

    Args:
      w_past: ``(K + 1, ...)`` the iterates ``W_{T−K}, ..., W_T`` (only ``W_{T−K..T−1}`` are used).
      grads: ``(K, ...)`` the minibatch gradients at ``W_{T−K}, ..., W_{T−1}``, recomputed
        independently of the simulator.
      lr, lam: ``μ`` and the paper's ``λ``.

    Returns:
      ``(K, ...)``: entry ``k − 1`` is the right-hand side for horizon ``k``.
    """
    w_past, grads = np.asarray(w_past, float), np.asarray(grads, float)
    K = grads.shape[0]
    decay = galanti23_decay(lr, lam)
    out = []
    tail = np.zeros_like(grads[0])
    for k in range(1, K + 1):
        tail = tail + decay ** (k - 1) * grads[K - k]
        out.append(decay**k * w_past[K - k] - lr * tail)
    return np.stack(out)


def eckart_young_distance(w, rank):
    """``min_{rank(M) ≤ r} ‖W − M‖_F = sqrt(Σ_{i > r} σ_i(W)²)`` (Eckart–Young–Mirsky).

    ``rank`` may be an integer array: one SVD serves every rank (0 beyond ``min(m, n)``).
    """
    s = np.linalg.svd(np.asarray(w, float), compute_uv=False)
    tails = np.sqrt(np.concatenate([np.cumsum((s**2)[::-1])[::-1], [0.0]]))  # tails[r] = ‖σ_{r+1:}‖
    return tails[np.minimum(np.asarray(rank, int), s.size)]


def galanti23_low_rank_distance(norm_past, k, lr, lam):
    """The bound ``(1 − 2μλ)^k ‖W_{T−k}‖_F`` on the distance of ``W_T`` to rank ``≤ kB``.

    **Statement.** Under minibatch SGD with batch size B and weight decay (the paper's
    ``L + λ‖W‖²``, ``plain_sgd(μ, weight_decay=2λ)``), the gradient of a dense layer on a batch,
    ``(1/B)Σ_i δ_i h_iᵀ``, has rank ≤ B, so the sum in :func:`galanti23_unrolled_weights` has rank
    ≤ kB and, by Eckart–Young,

        min_{rank(M) ≤ kB} ‖W_T − M‖_F ≤ (1 − 2μλ)^k ‖W_{T−k}‖_F ≤ e^{−2μλk}‖W_{T−k}‖_F.

    No assumption on data, convergence or optimality (Galanti, Siegel, Gupte, Poggio,
    arXiv:2206.05794, "SGD and Weight Decay Secretly Minimize the Rank of Your Neural Network").

    Args:
      norm_past: ``‖W_{T−k}‖_F`` (scalar or array, broadcast with ``k``).
      k: the horizon (number of steps unrolled).
      lr, lam: ``μ`` and the paper's ``λ``.
    """
    return galanti23_decay(lr, lam) ** np.asarray(k, float) * np.asarray(norm_past, float)
