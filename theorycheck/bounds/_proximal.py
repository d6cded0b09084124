"""Closed forms for the stochastic proximal point (minibatch-prox) step on least squares."""

import numpy as np


def least_squares_prox_step(x, y, w, gamma):
    """The exact proximal step on a least-squares minibatch, ``(I + γA_B)⁻¹(w + γc_B)``.

    **Statement.** For ``f_B(v) = (1/2b)‖X_B v − y_B‖²`` (b rows), ``A_B = X_BᵀX_B/b``,
    ``c_B = X_Bᵀy_B/b``, the minimiser of ``f_B(v) + ‖v − w‖²/(2γ)`` solves
    ``(A_B + I/γ)v = c_B + w/γ``, i.e. ``v = (I + γA_B)⁻¹(w + γc_B)`` (first-order condition of a
    strongly convex quadratic; derived here). At ``γ = inf`` it is the solution of ``A_B v = c_B``
    closest to w, ``w − A_B⁺(A_B w − c_B)``.
    """
    x, y, w = (np.asarray(a, float) for a in (x, y, w))
    b = x.shape[0]
    a, c = x.T @ x / b, x.T @ y / b
    if np.isinf(gamma):
        return w - np.linalg.pinv(a) @ (a @ w - c)
    return np.linalg.solve(np.eye(w.size) + gamma * a, w + gamma * c)


def single_sample_update_variances(x, y, w, lr, gamma):
    """``(V_sgd, V_prox)``: the variance over a uniform single sample of the SGD and the prox update at w.

    **Statement.** With one sample i (batch size 1) and ``r_i = x_iᵀw − y_i``, the SGD step at
    learning rate η is ``−η x_i r_i`` and the exact proximal step is, by Sherman–Morrison on
    ``(I + γx_ix_iᵀ)⁻¹ = I − γx_ix_iᵀ/(1 + γ‖x_i‖²)``, ``−γ/(1 + γ‖x_i‖²)·x_i r_i``: SGD with the
    per-sample step ``γ/(1 + γ‖x_i‖²) < min(γ, 1/‖x_i‖²)`` (at γ = inf, ``1/‖x_i‖²``: the
    projection onto the sample's hyperplane). Each variance is ``E‖u‖² − ‖Eu‖²`` over i uniform
    on the n samples (derived here).

    Returns:
      two floats, the total variances (traces of the update covariances).
    """
    x, y, w = (np.asarray(a, float) for a in (x, y, w))
    residual = x @ w - y
    sq = np.sum(x**2, axis=1)
    prox_scale = 1.0 / sq if np.isinf(gamma) else gamma / (1.0 + gamma * sq)
    sgd = -lr * x * residual[:, None]
    prox = -(prox_scale * residual)[:, None] * x

    def variance(u):
        return float(np.mean(np.sum(u**2, axis=1)) - np.sum(np.mean(u, axis=0) ** 2))

    return variance(sgd), variance(prox)


def prox_rate_ratio_lower_bound(gamma, lr, max_sq_norm):
    """``(γ/η)/(1 + γR²)``: how slow the proximal step's linear rate can be against SGD's at step η.

    **Statement.** On least squares with per-batch Hessians ``A_B ⪯ R²I`` (``R² = max_i‖x_i‖²``
    bounds every minibatch's ``A_B``), ``(I + γA_B)⁻¹ ⪯ I − γ/(1 + γR²)·A_B``, so in expectation
    the proximal step contracts the error at least like SGD with step ``γ/(1 + γR²)``: its mean
    decays at least ``(γ/η)/(1 + γR²)`` times as fast (per step, in log) as SGD's at η for small
    steps, where the rate is linear in the step (derived here). The effective-step view
    ``γ/(1 + γL)`` is attributed to Asi & Duchi (arXiv:1810.05633) *unverified*: only that
    paper's abstract was found. ``inf`` at ``γ = inf`` is reported as ``1/(ηR²)``.
    """
    gamma, lr, max_sq_norm = float(gamma), float(lr), float(max_sq_norm)
    if np.isinf(gamma):
        return 1.0 / (lr * max_sq_norm)
    return (gamma / lr) / (1.0 + gamma * max_sq_norm)


def inner_gd_contraction(inner_learning_rate, gamma, eigenvalues):
    """``q = max |1 − h(λ + 1/γ)|`` over ``eigenvalues``: the inner GD error's factor per step.

    **Statement.** GD with step h on ``f_B(v) + ‖v − w‖²/(2γ)``, f_B quadratic with Hessian H,
    maps the error ``e = v − v*`` to ``(I − h(H + I/γ))e`` (derived here), so ``‖e_K‖ ≤ q^K‖e_0‖``
    over the eigen-directions the error lives in (for least squares: the nonzero eigenvalues).
    """
    lam = np.asarray(eigenvalues, float)
    inverse_gamma = 0.0 if np.isinf(gamma) else 1.0 / float(gamma)
    return float(np.max(np.abs(1.0 - float(inner_learning_rate) * (lam + inverse_gamma))))
