"""Norm-based generalisation bounds for bias-free ReLU nets, dense and convolutional, and the
near-stationarity identity of SGD + weight decay (shared/THEORY.md §3, §4).

Convention (shared/THEORY.md): a paper's objective ``L + λ‖W‖²`` is ``plain_sgd(μ,
weight_decay=2λ)``, so one plain SGD step is ``W ← (1 − 2μλ)W − μ∇L_S(W)``. Functions here that
take λ take the paper's λ (``lam``).

Conv kernels are ``(kh, kw, c_in, c_out)`` (HWIO, ``jax.lax.conv_general_dilated``'s layout) and a
layer computes the cross-correlation ``z[i, j, o] = Σ_{a,b,c} w[a, b, c, o]·x[i + a − ⌊(kh−1)/2⌋,
j + b − ⌊(kw−1)/2⌋, c]``; an image is flattened in NHWC order, ``index = (i·W + j)·C + c``.
"""

import math
from typing import NamedTuple

import numpy as np

LOG2 = math.log(2.0)


def golowich18_rademacher_bound(rho, input_norm, depth, n):
    """The Golowich–Rakhlin–Shamir bound ``ρ·B_x·(√(2L log 2) + 1)/√N`` on the Rademacher complexity.

    **Statement.** Let ``F_ρ`` be the real-valued networks ``x ↦ W_L σ(W_{L−1} σ(… σ(W_1 x)))`` of
    depth L (L weight matrices, the last one a row), σ 1-Lipschitz and positively homogeneous
    (ReLU), no biases, with ``Π_k ‖W_k‖_F ≤ ρ``. On a sample ``x_1..x_N`` the empirical Rademacher
    complexity satisfies

        R̂_N(F_ρ) ≤ ρ·(√(2L log 2) + 1)·√(Σ_i ‖x_i‖²)/N ≤ ρ·B_x·(√(2L log 2) + 1)/√N

    with ``B_x = √(mean_i ‖x_i‖²)`` (the first form) or any bound ``‖x_i‖ ≤ B_x``. Golowich,
    Rakhlin, Shamir, "Size-independent sample complexity of neural networks", COLT 2018, Theorem 1;
    the form Xu, Rangamani, Liao, Galanti, Poggio (Research 2023) use (shared/THEORY.md §4).
    Verified: the constant ``(1 + √(2·log 2·L))`` and the ``√(Σ‖x_i‖²)/N`` data term against an
    independent implementation of GRS Theorem 1 (``golowich_fro`` in the code of Graf, Zeng,
    Rieck, Niethammer, Kwitt, "Measuring excess capacity in neural networks", NeurIPS 2022, which
    also multiplies by the number of classes for a vector output, after Maurer's vector
    contraction); the paper itself was not reachable from here.

    Args:
      rho: ``Π_k ‖W_k‖_F`` (scalar or array).
      input_norm: ``B_x``, the root-mean-square (or maximal) input norm.
      depth: L, the number of weight matrices.
      n: N, the number of samples.
    """
    depth, n = int(depth), int(n)
    if depth < 1 or n < 1:
        raise ValueError(f"depth and n must be >= 1, got depth={depth}, n={n}")
    return np.asarray(rho, float) * np.asarray(input_norm, float) * (math.sqrt(2.0 * depth * LOG2) + 1.0) / math.sqrt(n)


class SquareLossBound(NamedTuple):
    """The parts of :func:`square_loss_gap_bound`.

    Attributes:
      bound: ``rademacher + confidence``, the bound on ``E ℓ − Ê_S ℓ``.
      rademacher: ``2·C·2(a + 1)·R̂(r)``, twice the contracted Rademacher complexity.
      confidence: ``3(a + 1)²·√(log(2/δ_j)/(2N))``.
      loss_range: ``(a + 1)²``, the largest value of the loss on the class.
      rho_grid: ``r = 2^⌈log₂ ρ⌉``, the grid point the bound is taken at.
    """

    bound: float
    rademacher: float
    confidence: float
    loss_range: float
    rho_grid: float


def square_loss_gap_bound(rho, *, input_radius, input_rms, depth, n, classes, delta=0.05):
    """A high-probability bound on ``E ℓ − Ê_S ℓ`` for the square loss of a bias-free ReLU net.

    **Statement** (derived here from :func:`golowich18_rademacher_bound`). Let f: R^d → R^C be a
    bias-free ReLU net of depth L with ``ρ(f) = Π_k ‖W_k‖_F``, inputs ``‖x‖ ≤ B_x``
    (``input_radius``), one-hot targets y, and ``ℓ(f; x, y) = ‖f(x) − y‖²`` (the sum over the C
    outputs; the training loss is its mean over the N samples). With probability ≥ 1 − δ over an
    i.i.d. sample S of size N, for *every* such f simultaneously,

        E ℓ(f) − Ê_S ℓ(f) ≤ 2·C·2(a + 1)·R̂(r) + 3(a + 1)²·√(log(2/δ_j)/(2N)),

    where ``r = 2^j ≥ ρ(f)``, ``j = ⌈log₂ ρ(f)⌉``, ``a = r·B_x``, ``δ_j = δ/(3(|j| + 1)²)`` and
    ``R̂(r)`` is the GRS bound at ρ = r with the sample's root-mean-square input norm
    (``input_rms``). The ingredients:

    * range: ``‖f(x)‖ ≤ Π_k ‖W_k‖_op ‖x‖ ≤ r·B_x = a`` (ReLU is 1-Lipschitz with σ(0) = 0), so
      ``ℓ ∈ [0, (a + 1)²]``;
    * Lipschitz constant: each coordinate ``t ↦ (t − y_c)²`` on ``[−a, a]`` is ``2(a + 1)``-Lipschitz;
      ``ℓ = Σ_c (f_c − y_c)²`` and Talagrand's contraction (per-sample functions allowed) per
      coordinate give ``R̂(ℓ∘F_r) ≤ 2(a + 1)·Σ_c R̂(F_r^c) ≤ C·2(a + 1)·R̂(r)``, each coordinate
      ``f_c`` being a scalar net of the same depth with ``Π‖W_k‖_F·‖w_{L,c}‖ ≤ r``;
    * confidence: the empirical-Rademacher uniform bound (Mohri, Rostamizadeh, Talwalkar,
      *Foundations of ML*, Theorem 3.3, scaled to the range (a + 1)²): ``2R̂ + 3M√(log(2/δ)/(2N))``;
    * the class is chosen after seeing the data, so the bound is made uniform over the dyadic
      grid ``r ∈ {2^j : j ∈ Z}`` by a union bound with ``δ_j`` (``Σ_j δ_j ≤ δ·2.29/3 < δ``).

    The bound is far from tight (it is quadratic in ρB_x); the theorems' point is the scaling in ρ.

    Returns:
      A :class:`SquareLossBound` ``(bound, rademacher, confidence, loss_range, rho_grid)``.
    """
    rho = float(rho)
    if not math.isfinite(rho) or rho <= 0:
        raise ValueError(f"rho must be finite and > 0, got {rho!r}")
    if not 0.0 < float(delta) < 1.0:
        raise ValueError(f"delta must lie in (0, 1), got {delta!r}")
    j = math.ceil(math.log2(rho))
    r = 2.0**j
    delta_j = float(delta) / (3.0 * (abs(j) + 1) ** 2)
    a = r * float(input_radius)
    loss_range = (a + 1.0) ** 2
    rademacher = 2.0 * int(classes) * 2.0 * (a + 1.0) * float(golowich18_rademacher_bound(r, input_rms, depth, n))
    confidence = 3.0 * loss_range * math.sqrt(math.log(2.0 / delta_j) / (2.0 * int(n)))
    return SquareLossBound(rademacher + confidence, rademacher, confidence, loss_range, r)


def hoeffding_deviation(loss_range, n, delta=0.05):
    """``M·√(log(1/δ)/(2n))``: with probability ≥ 1 − δ the mean of n i.i.d. losses in [0, M]
    exceeds their expectation by at most this (Hoeffding). Bounds how far a finite test set's mean
    loss can lie above the population loss that :func:`square_loss_gap_bound` controls."""
    return float(loss_range) * math.sqrt(math.log(1.0 / float(delta)) / (2.0 * int(n)))


def _conv_operator(kernel, image_shape, wrap):
    kernel = np.asarray(kernel, float)
    if kernel.ndim != 4:
        raise ValueError(f"kernel must be (kh, kw, c_in, c_out), got shape {kernel.shape}")
    kh, kw, c_in, c_out = kernel.shape
    height, width = (int(s) for s in image_shape)
    positions = height * width
    operator = np.zeros((positions, c_out, positions, c_in))
    i, j = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    out_index = (i * width + j).ravel()
    for a in range(kh):  # the kernel's taps (9 for 3 × 3), not the positions
        for b in range(kw):
            si, sj = (i + a - (kh - 1) // 2).ravel(), (j + b - (kw - 1) // 2).ravel()
            if wrap:
                valid = np.ones(si.shape, bool)
                si, sj = si % height, sj % width
            else:
                valid = (si >= 0) & (si < height) & (sj >= 0) & (sj < width)
            in_index = (si * width + sj)[valid]
            np.add.at(operator, (out_index[valid], slice(None), in_index, slice(None)), kernel[a, b].T)
    return operator.reshape(positions * c_out, positions * c_in)


def circular_conv_operator(kernel, image_shape):
    """The dense matrix T(w) of a stride-1 conv layer with circular (wrap-around) padding.

    ``T(w) @ x.ravel()`` is the layer's output for an NHWC-flattened image x of shape
    ``image_shape + (c_in,)`` (see the module docstring for the layout). Built by index arithmetic
    from the kernel, independently of any conv routine.

    Args:
      kernel: ``(kh, kw, c_in, c_out)``.
      image_shape: ``(H, W)``; a 1-D signal is ``(1, P)`` with ``kh = 1``.

    Returns:
      ``(H·W·c_out, H·W·c_in)``.
    """
    return _conv_operator(kernel, image_shape, wrap=True)


def zero_padded_conv_operator(kernel, image_shape):
    """The dense matrix T(w) of a stride-1 "same" conv layer with zero padding (``padding="SAME"``).

    Taps that fall outside the image are dropped, so for a kernel with a non-zero off-centre tap
    ``‖T(w)‖_F < √P‖w‖_F`` (P = H·W): the exact relation of :func:`conv_operator_frobenius_norm`
    holds for circular padding only. Same layout as :func:`circular_conv_operator`.
    """
    return _conv_operator(kernel, image_shape, wrap=False)


def conv_operator_frobenius_norm(kernel, positions):
    """``√P·‖w‖_F``, the Frobenius norm of a stride-1 circular conv layer's dense operator.

    **Statement** (derived; shared/THEORY.md §4 [D]). For a stride-1 circularly padded conv layer
    on P spatial positions with a kernel no larger than the image in each dimension, every kernel
    entry ``w[a, b, c, o]`` appears in T(w) exactly once per output position (P times), at distinct
    places (distinct taps reach distinct input positions modulo the image size), so

        ‖T(w)‖_F = √P·‖w‖_F   exactly.

    With zero padding the boundary positions lose taps and ``‖T(w)‖_F < √P‖w‖_F`` (unless every
    off-centre tap is 0); with a kernel larger than the image, wrapped taps add up in one entry and
    the relation fails too. The dense bound of :func:`golowich18_rademacher_bound` applied to a conv
    net therefore carries ``Π_l √P_l`` over the kernel-norm product ``Π_l ‖w_l‖_F``: the factor the
    filter-norm bounds of Galanti, Xu, Galanti, Poggio (arXiv:2301.12033, NeurIPS 2023) avoid.

    Args:
      kernel: any shape (the norm is over every entry).
      positions: P = H·W, the number of output (= input) positions.
    """
    return math.sqrt(int(positions)) * float(np.linalg.norm(np.asarray(kernel, float).ravel()))


def galanti23_stationarity_distance(weights, grad, lam):
    """``‖W_t + ∇L_{S_t}(W_t)/(2λ)‖_F``: the distance of W_t to ``−∇L_{S_t}(W_t)/(2λ)``, a matrix of
    rank ≤ B for a dense layer (the paper's λ: ``plain_sgd(μ, weight_decay=2λ)``).

    See :func:`galanti23_stationarity_from_step`, which gives the same number from the step alone.
    """
    weights, grad = np.asarray(weights, float), np.asarray(grad, float)
    return float(np.linalg.norm((weights + grad / (2.0 * float(lam))).ravel()))


def galanti23_stationarity_from_step(step, lr, lam):
    """``‖W_{t+1} − W_t‖_F/(2μλ)``, equal to :func:`galanti23_stationarity_distance` exactly.

    **Statement** (the near-convergence identity; shared/THEORY.md §3 [D]). One plain SGD step on
    ``L + λ‖W‖²`` (``plain_sgd(μ, weight_decay=2λ)``, no momentum) is
    ``W_{t+1} = (1 − 2μλ)W_t − μ∇L_{S_t}(W_t)``, so ``W_{t+1} − W_t = −2μλ(W_t + ∇L_{S_t}(W_t)/(2λ))``
    and

        ‖W_t + ∇L_{S_t}(W_t)/(2λ)‖ = ‖W_{t+1} − W_t‖/(2μλ):

    W_t lies within ‖ΔW‖/(2μλ) of the rank-≤B matrix −∇L_{S_t}(W_t)/(2λ) (a dense layer's batch
    gradient has rank ≤ B). Exact algebra of one step, for any network and data (Galanti, Siegel,
    Gupte, Poggio, arXiv:2206.05794; the rank-bound form ‖∇L‖/(2λ‖W‖) is in their reference code).

    Args:
      step: ``W_{t+1} − W_t``.
      lr, lam: μ and the paper's λ (both > 0).
    """
    lr, lam = float(lr), float(lam)
    if not (lr > 0 and lam > 0):
        raise ValueError(f"lr and lam must be > 0 (the identity divides by 2μλ), got lr={lr}, lam={lam}")
    return float(np.linalg.norm(np.asarray(step, float).ravel())) / (2.0 * lr * lam)
