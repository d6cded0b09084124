"""Kernel and rich limits of factorised matrix sensing W = UUᵀ, in float64 numpy.

**Setting.** Symmetric measurements A_i (i = 1..m) of a symmetric n×n matrix, y_i = ⟨A_i, W*⟩,
and the model W = UUᵀ trained by gradient flow on L(U) = Σ_i (⟨A_i, UUᵀ⟩ − y_i)²/(2m) from
U(0) = α·I.

* **Rich limit** (α → 0): the minimum-trace (= nuclear-norm) PSD interpolant,
  min tr W s.t. ⟨A_i, W⟩ = y_i, W ⪰ 0. For *commuting* A_i = Q diag(a_i) Qᵀ (one orthonormal
  eigenbasis Q) Gunasekar et al. (NeurIPS 2017, arXiv:1705.09280, Theorem 1) prove that the flow
  from αI converges to it as α → 0; in the common eigenbasis the SDP is the linear program
  min 1ᵀλ s.t. aλ = y, λ ≥ 0 (an off-diagonal part of QᵀWQ only raises no trace and changes no
  measurement, and W ⪰ 0 forces the diagonal λ ≥ 0), :func:`min_trace_psd_interpolant_commuting`.
* **Kernel limit** (α → ∞): the linearised model W ≈ α²I + α(Δ + Δᵀ) at U = αI (Δ = U − αI)
  trained to interpolation from Δ = 0 lands on its minimum-norm interpolant (gradient descent on
  a linear least-squares problem stays in the row space). For symmetric A_i the constraint is
  2α⟨A_i, Δ⟩ = y_i − α²tr A_i, whose least-norm solution is Δ = Σ_j c_j A_j (symmetric), so
  W_K = α²I + Σ_j c'_j A_j with G c' = y − ⟨A, α²I⟩, G_ij = ⟨A_i, A_j⟩: the interpolant nearest
  to α²I in Frobenius norm, :func:`linearized_min_norm_interpolant` (any symmetric A_i).
* **Every α** (commuting A_i, derived here): with U = Q diag(u) Qᵀ the flow is
  du/dt = −(2/m) u ⊙ aᵀr, so λ = u² obeys dλ/dt = −(4/m) λ ⊙ aᵀr and λ(t) = α² exp(aᵀν(t)),
  ν = −(4/m)∫r. An interpolating limit therefore satisfies the KKT conditions of
  min Σ_j λ_j log(λ_j/α²) − λ_j s.t. aλ = y (strictly convex: unique), solved by a Newton
  ascent on its dual max_ν yᵀν − α² Σ_j exp((aᵀν)_j), :func:`commuting_factorization_limit`.
"""

from typing import NamedTuple

import numpy as np
import scipy.optimize
from jaxtyping import ArrayLike, Float


class CommutingLimit(NamedTuple):
    """The exact limit at one α: ``W`` (n×n), its eigenvalues ``eigenvalues`` in the common basis,
    the dual ``nu`` and the final constraint residual ``residual`` = ‖aλ − y‖."""

    W: np.ndarray
    eigenvalues: np.ndarray
    nu: np.ndarray
    residual: float


def _commuting(eigvecs, a, y):
    q = np.asarray(eigvecs, dtype=np.float64)
    a = np.asarray(a, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if q.ndim != 2 or q.shape[0] != q.shape[1]:
        raise ValueError(f"eigvecs must be a square orthogonal matrix, got shape {q.shape}")
    if a.ndim != 2 or a.shape[1] != q.shape[0]:
        raise ValueError(f"a must have shape (m, {q.shape[0]}) (the measurements' eigenvalues), got {a.shape}")
    if y.shape != (a.shape[0],):
        raise ValueError(f"y must have shape ({a.shape[0]},), got {y.shape}")
    if not (np.all(np.isfinite(q)) and np.all(np.isfinite(a)) and np.all(np.isfinite(y))):
        raise ValueError("eigvecs, a and y must be finite; pass finite arrays")
    if not np.allclose(q.T @ q, np.eye(q.shape[0]), atol=1e-10):
        raise ValueError("eigvecs must be orthogonal (QᵀQ = I); pass e.g. np.linalg.qr(M)[0]")
    return q, a, y


def min_trace_psd_interpolant_commuting(
    eigvecs: Float[ArrayLike, "n n"], a: Float[ArrayLike, "m n"], y: Float[ArrayLike, " m"]
) -> Float[np.ndarray, "n n"]:
    """argmin tr W s.t. ⟨A_i, W⟩ = y_i, W ⪰ 0, for commuting A_i = Q diag(a_i) Qᵀ.

    **Statement:** for commuting measurements, gradient flow on W = UUᵀ from U(0) = αI converges,
    as α → 0, to the minimum nuclear-norm PSD interpolant (Gunasekar, Woodworth, Bhojanapalli,
    Neyshabur, Srebro, NeurIPS 2017, arXiv:1705.09280, Theorem 1). The SDP reduces to the linear
    program min 1ᵀλ s.t. aλ = y, λ ≥ 0 in the common eigenbasis (module docstring), solved with
    ``scipy.optimize.linprog(method="highs")`` and polished by least squares on its support.

    Args:
      eigvecs: the common orthonormal eigenbasis Q, shape (n, n).
      a: row i holds the eigenvalues of A_i in that basis, shape (m, n).
      y: the measurements, shape (m,).

    Returns:
      W = Q diag(λ) Qᵀ, shape (n, n).

    Raises:
      ValueError: on bad shapes, or when no PSD interpolant exists (the LP is infeasible).

    Examples:
      >>> import numpy as np
      >>> min_trace_psd_interpolant_commuting(np.eye(2), np.array([[1.0, 2.0]]), np.array([2.0]))
      array([[0., 0.],
             [0., 1.]])
    """
    q, a, y = _commuting(eigvecs, a, y)
    n = q.shape[0]
    result = scipy.optimize.linprog(np.ones(n), A_eq=a, b_eq=y, bounds=(0, None), method="highs")
    if result.status != 0:
        raise ValueError(f"min_trace_psd_interpolant_commuting: the LP failed ({result.message}); "
                         "the measurements must admit a PSD interpolant")
    lam = np.maximum(result.x, 0.0)
    support = np.flatnonzero(lam > 1e-9 * max(np.max(lam, initial=0.0), 1e-300))
    if 0 < support.size <= a.shape[0]:
        polished = np.zeros(n)
        polished[support] = np.linalg.lstsq(a[:, support], y, rcond=None)[0]
        if (np.all(polished >= 0) and np.linalg.norm(a @ polished - y) < np.linalg.norm(a @ lam - y)
                and polished.sum() <= lam.sum() * (1 + 1e-9)):
            lam = polished
    return (q * lam) @ q.T


def linearized_min_norm_interpolant(
    A: Float[ArrayLike, "m n n"], y: Float[ArrayLike, " m"], W0: Float[ArrayLike, "n n"]
) -> Float[np.ndarray, "n n"]:
    """The kernel-regime limit: argmin ‖W − W0‖_F s.t. ⟨A_i, W⟩ = y_i.

    **Statement:** W = UUᵀ linearised at U₀ = αI (W0 = α²I) is W0 + α(Δ + Δᵀ); gradient flow on the
    linearised least squares from Δ = 0 converges to its least-norm interpolant, and for
    symmetric A_i that is W0 + Σ_j c_j A_j with Gram system G c = y − ⟨A, W0⟩ (module docstring).
    Woodworth et al. (COLT 2020, arXiv:2002.09277) call this limit the kernel regime (α → ∞).

    Args:
      A: the symmetric measurement matrices, shape (m, n, n), linearly independent.
      y: the measurements, shape (m,).
      W0: the initial matrix, shape (n, n).

    Returns:
      W_K, shape (n, n).

    Examples:
      >>> import numpy as np
      >>> linearized_min_norm_interpolant(np.array([np.diag([1.0, -1.0])]), np.array([2.0]), np.eye(2))
      array([[2., 0.],
             [0., 0.]])
    """
    A = np.asarray(A, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    W0 = np.asarray(W0, dtype=np.float64)
    if A.ndim != 3 or A.shape[1] != A.shape[2]:
        raise ValueError(f"A must have shape (m, n, n), got {A.shape}")
    if y.shape != (A.shape[0],) or W0.shape != A.shape[1:]:
        raise ValueError(f"y must have shape ({A.shape[0]},) and W0 shape {A.shape[1:]}, got {y.shape}, {W0.shape}")
    if not np.allclose(A, np.swapaxes(A, 1, 2)):
        raise ValueError("A must hold symmetric matrices (A_i = A_iᵀ); symmetrise them first")
    flat = A.reshape(A.shape[0], -1)
    gram = flat @ flat.T
    if np.linalg.matrix_rank(gram) < A.shape[0]:
        raise ValueError("the measurement matrices A_i must be linearly independent; drop redundant ones")
    c = np.linalg.solve(gram, y - flat @ W0.ravel())
    return W0 + np.tensordot(c, A, axes=1)


def commuting_factorization_limit(
    eigvecs: Float[ArrayLike, "n n"], a: Float[ArrayLike, "m n"], y: Float[ArrayLike, " m"], alpha: float
) -> CommutingLimit:
    """The exact limit of gradient flow on W = UUᵀ from U(0) = αI for commuting A_i, at any α.

    **Statement:** (derived in the module docstring) the limit is Q diag(λ) Qᵀ with
    λ = argmin Σ_j λ_j log(λ_j/α²) − λ_j s.t. aλ = y, i.e. λ = α² exp(aᵀν), a ν = … solving
    α² a exp(aᵀν) = y. It tends to :func:`min_trace_psd_interpolant_commuting` as α → 0 and to
    :func:`linearized_min_norm_interpolant` (W0 = α²I) as α → ∞ when tr A_i = 0.
    Solved by damped Newton on the concave dual max_ν yᵀν − α² Σ exp(aᵀν) (Armijo backtracking).

    Args:
      eigvecs: Q, shape (n, n); a: eigenvalues of the A_i, shape (m, n); y: shape (m,);
      alpha: the init scale, > 0.

    Returns:
      :class:`CommutingLimit`.

    Examples:
      >>> import numpy as np
      >>> lim = commuting_factorization_limit(np.eye(2), np.array([[1.0, -1.0]]), np.array([0.0]), 0.5)
      >>> np.round(lim.eigenvalues, 12)
      array([0.25, 0.25])
    """
    q, a, y = _commuting(eigvecs, a, y)
    alpha = float(alpha)
    if not np.isfinite(alpha) or alpha <= 0:
        raise ValueError(f"alpha must be a finite number > 0, got {alpha!r}")
    scale = alpha**2
    nu = np.zeros(a.shape[0])

    def dual(v):
        z = a.T @ v
        if np.max(z, initial=-np.inf) > 700:
            return np.inf
        return scale * np.sum(np.exp(z)) - y @ v  # the negated dual: minimise

    value = dual(nu)
    for _ in range(500):
        lam = scale * np.exp(a.T @ nu)
        grad = a @ lam - y
        if np.linalg.norm(grad) <= 1e-14 * max(1.0, np.linalg.norm(y)):
            break
        hess = (a * lam) @ a.T
        step = np.linalg.solve(hess + 1e-300 * np.eye(a.shape[0]), grad)
        t = 1.0
        while t > 1e-14:
            trial = dual(nu - t * step)
            if trial <= value - 0.25 * t * (grad @ step):
                break
            t /= 2
        nu, value = nu - t * step, dual(nu - t * step)
    lam = scale * np.exp(a.T @ nu)
    return CommutingLimit((q * lam) @ q.T, lam, nu, float(np.linalg.norm(a @ lam - y)))
