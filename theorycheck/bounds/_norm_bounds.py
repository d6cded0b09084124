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


def galanti23_sparse_rademacher_bound(rho, patch_norm, depth, degrees, n):
    """The kernel-norm bound ``ρ·√(Π_l k_l)·B·(1 + √(2(L log 2 + Σ_l log k_l)))/√N`` of a sparse net.

    **Statement** (derived here, in the form of Galanti, Xu, Galanti, Poggio, "Norm-based
    generalization bounds for sparse neural networks", arXiv:2301.12033, NeurIPS 2023; only their
    abstract was reachable from here, so the constants are this derivation's, not quoted). Let a
    bias-free ReLU net have L weight layers; layer 1 reads an input *patch* ``u_q(x)`` at each
    position q, and every neuron of a later layer l reads ``k_l`` children (its receptive field:
    ``k_l`` positions of the layer below, a c-vector each; a dense readout over P positions has
    ``k_L = P``). Let ``ρ = Π_l max_j ‖W_{l,j}‖_F``, the product over layers of the largest filter
    norm of a neuron (group) j of the layer: for a weight-shared conv layer the kernel norm
    ``‖w_l‖_F``, for a locally connected one the largest of its P filters. Then the empirical
    Rademacher complexity of the nets with this ρ on ``x_1..x_N`` is at most

        ρ·√(Π_{l≥2} k_l)·B·(1 + √(2(L log 2 + Σ_{l≥2} log k_l)))/√N,
        B = max_q √(mean_i ‖u_q(x_i)‖²)  (or any bound on every ‖u_q(x_i)‖).

    Proof sketch (Golowich–Rakhlin–Shamir's peeling, COLT 2018, with a union over children):
    ``E sup Σ_i ε_i f(x_i) ≤ (1/λ) log E sup exp(λ Σ_i ε_i f(x_i))``; at a neuron of degree k,
    ``‖Σ_i ε_i U(h_i)‖ ≤ √k max_children ‖Σ_i ε_i h_child(x_i)‖`` (Cauchy–Schwarz over the k
    stacked children) and ``E max ≤ Σ`` puts a factor k inside the log; GRS's Lemma 1 removes each
    ReLU layer at a factor 2 and the filter norm ``‖W_{l,j}‖_F ≤ max_j``; the last step
    ``E exp(t‖Σ_i ε_i u_i‖) ≤ exp(t√(Σ‖u_i‖²) + t²Σ‖u_i‖²/2)`` and the best λ give the constant.
    With no sparse layer (``degrees = ()``) this is :func:`golowich18_rademacher_bound` exactly;
    the dense bound of the same conv net has ``ρ_dense = Π_l ‖T(w_l)‖_F = Π_l √P_l ‖w_l‖_F`` and the
    whole input ``B_x`` instead: the factor ``Π_l √P_l`` becomes ``√(Π_{l≥2} k_l)``.

    Args:
      rho: ``Π_l max_j ‖W_{l,j}‖_F`` (scalar or array).
      patch_norm: B, the root-mean-square (or maximal) norm of the first layer's input patches.
      depth: L, the number of weight layers.
      degrees: ``(k_2, …, k_L)``, the children of a neuron of each layer above the first (positive
        integers; ``()`` for a dense net).
      n: N, the number of samples.
    """
    degrees = tuple(int(k) for k in degrees)
    if any(k < 1 for k in degrees):
        raise ValueError(f"degrees must be positive integers (children per neuron), got {degrees}")
    if not degrees:
        return golowich18_rademacher_bound(rho, patch_norm, depth, n)
    depth, n = int(depth), int(n)
    if depth < 1 or n < 1:
        raise ValueError(f"depth and n must be >= 1, got depth={depth}, n={n}")
    log_degrees = float(sum(math.log(k) for k in degrees))
    width = math.sqrt(float(np.prod(np.array(degrees, float))))
    return (np.asarray(rho, float) * width * np.asarray(patch_norm, float)
            * (math.sqrt(2.0 * (depth * LOG2 + log_degrees)) + 1.0) / math.sqrt(n))


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


def square_loss_gap_bound(rho, *, input_radius, input_rms, depth, n, classes, delta=0.05, degrees=()):
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

    **Sparse nets** (``degrees`` non-empty): ρ is the kernel-norm product of
    :func:`galanti23_sparse_rademacher_bound`, ``input_radius`` and ``input_rms`` the largest and
    the root-mean-square (largest over positions) input *patch* norm, ``a = r·√(Π k_l)·B_patch``
    (the same peeling, deterministic: ``‖f(x)‖ ≤ ρ√(Π k_l) max_q ‖u_q(x)‖``) and ``R̂(r)`` is that
    bound. ``degrees = ()`` is the dense bound above, unchanged.

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
    degrees = tuple(int(k) for k in degrees)
    width = math.sqrt(float(np.prod(np.array(degrees, float)))) if degrees else 1.0
    a = r * width * float(input_radius)
    loss_range = (a + 1.0) ** 2
    complexity = float(galanti23_sparse_rademacher_bound(r, input_rms, depth, degrees, n))
    rademacher = 2.0 * int(classes) * 2.0 * (a + 1.0) * complexity
    confidence = 3.0 * loss_range * math.sqrt(math.log(2.0 / delta_j) / (2.0 * int(n)))
    return SquareLossBound(rademacher + confidence, rademacher, confidence, loss_range, r)


def hoeffding_deviation(loss_range, n, delta=0.05):
    """``M·√(log(1/δ)/(2n))``: with probability ≥ 1 − δ the mean of n i.i.d. losses in [0, M]
    exceeds their expectation by at most this (Hoeffding). Bounds how far a finite test set's mean
    loss can lie above the population loss that :func:`square_loss_gap_bound` controls."""
    return float(loss_range) * math.sqrt(math.log(1.0 / float(delta)) / (2.0 * int(n)))


def _conv_operator(kernel, image_shape, wrap, local=False):
    kernel = np.asarray(kernel, float)
    height, width = (int(s) for s in image_shape)
    positions = height * width
    if local:
        if kernel.ndim != 6 or kernel.shape[:2] != (height, width):
            raise ValueError(f"kernels must be (H, W, kh, kw, c_in, c_out) with (H, W) = {(height, width)}, "
                             f"got shape {kernel.shape}")
        kernel = kernel.reshape(positions, *kernel.shape[2:])
    elif kernel.ndim != 4:
        raise ValueError(f"kernel must be (kh, kw, c_in, c_out), got shape {kernel.shape}")
    kh, kw, c_in, c_out = kernel.shape[-4:]
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
            if local:  # the tap of each output position's own kernel: (P, c_out, c_in)
                taps = np.swapaxes(kernel[:, a, b], 1, 2)[out_index[valid]]
            else:
                taps = kernel[a, b].T
            np.add.at(operator, (out_index[valid], slice(None), in_index, slice(None)), taps)
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


def locally_connected_operator(kernels, image_shape, padding="circular"):
    """The dense matrix of a stride-1 locally connected layer: a conv layer without weight sharing.

    Output position p = i·W + j applies its own kernel ``kernels[i, j]`` (``(kh, kw, c_in, c_out)``)
    to the same receptive field a conv layer reads there (wrapped around for ``padding="circular"``,
    taps outside the image dropped for ``"zero"``). Same layout as :func:`circular_conv_operator`;
    with every ``kernels[i, j]`` equal it is that operator. Each kernel entry appears once (circular),
    so ``‖T‖_F = ‖kernels‖_F = √(Σ_p ‖w_p‖²) ≤ √P·max_p ‖w_p‖``, with equality iff all P filter norms
    are equal (as weight sharing makes them).

    Args:
      kernels: ``(H, W, kh, kw, c_in, c_out)``.
      image_shape: ``(H, W)``.
      padding: ``"circular"`` or ``"zero"``.

    Returns:
      ``(H·W·c_out, H·W·c_in)``.
    """
    if padding not in ("circular", "zero"):
        raise ValueError(f"padding={padding!r} is unknown; use 'circular' or 'zero'")
    return _conv_operator(kernels, image_shape, wrap=padding == "circular", local=True)


def neuron_filter_norms(operator, positions):
    """``‖T_p‖_F`` for each output position p: the norm of the weights the c_out neurons at p apply.

    ``T_p`` is the block of rows ``p·c_out … (p+1)·c_out`` of a layer's dense operator (layout of
    :func:`circular_conv_operator`): for a circular conv layer every ``‖T_p‖_F = ‖w‖_F``, for a
    zero-padded one the boundary positions' filters are truncated, for a locally connected one
    ``‖T_p‖_F = ‖w_p‖_F``. Read from the operator, independently of the parameters.

    Returns:
      ``(positions,)``.
    """
    operator = np.asarray(operator, float)
    positions = int(positions)
    if operator.ndim != 2 or operator.shape[0] % positions:
        raise ValueError(f"operator must be 2-D with a multiple of positions={positions} rows, got {operator.shape}")
    return np.linalg.norm(operator.reshape(positions, -1), axis=1)


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
