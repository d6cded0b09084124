"""The lazy (kernel) model of a network trained by gradient descent, in float64 numpy.

**Setting.** A model h(θ, x), its Jacobian J = ∂_θ h(θ₀, X) on the n training inputs (n × P) and
J_t on test inputs, trained on L(v) = ‖Jv − y‖²/(2n) in the displacement v = α(θ − θ₀) (the
linearised model of Chizat, Oyallon & Bach, NeurIPS 2019, in the coordinates where its
gradient-descent trajectory does not depend on the scale α).

**Closed form.** From v₀ = 0 every iterate stays in the row space, v_k = Jᵀc_k, and with
K = JJᵀ/n = U diag(λ) Uᵀ the coefficients obey c_{k+1} = (I − ηK)c_k + (η/n)y, so

    v_T = Jᵀ U diag((1 − (1 − ηλ)^T)/(nλ)) Uᵀ y,

which tends (|1 − ηλ| < 1) to the minimum-norm interpolant v* = Jᵀ(JJᵀ)⁻¹y: the kernel
("ridgeless") regression with the empirical NTK Θ = JJᵀ, whose test predictions are
J_t v* = Θ(X_t, X) Θ(X, X)⁻¹ y (:func:`linearized_gd_displacement`). The test-set gap between
the two, J_t(v_T − v*) = −Σ_i J_t Jᵀu_i (u_iᵀy)(1 − ηλ_i)^T/(nλ_i), is bounded term by term,
which gives the steps needed to settle (:func:`linearized_gd_steps_to_interpolant`).
"""

import numpy as np
from jaxtyping import ArrayLike, Float


def _train_system(jacobian, y):
    jacobian = np.asarray(jacobian, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if jacobian.ndim != 2:
        raise ValueError(f"jacobian must have shape (n, P), got {jacobian.shape}")
    if y.shape != (jacobian.shape[0],):
        raise ValueError(f"y must have shape ({jacobian.shape[0]},), got {y.shape}")
    if not (np.all(np.isfinite(jacobian)) and np.all(np.isfinite(y))):
        raise ValueError("jacobian and y must be finite; pass finite arrays")
    n = jacobian.shape[0]
    lam, u = np.linalg.eigh(jacobian @ jacobian.T / n)
    if lam[0] <= 1e-12 * max(lam[-1], 1e-300):
        raise ValueError("the empirical NTK Gram JJᵀ is singular (two training inputs give the same Jacobian row, "
                         "or n > P); drop duplicate inputs or widen the model")
    return jacobian, y, n, lam, u


def _require_lr(lr) -> float:
    lr = float(lr)
    if not np.isfinite(lr) or lr <= 0:
        raise ValueError(f"lr must be a finite number > 0, got {lr!r}")
    return lr


def linearized_gd_displacement(
    jacobian: Float[ArrayLike, "n P"], y: Float[ArrayLike, " n"], lr: float | None = None, steps: int | None = None
) -> Float[np.ndarray, " P"]:
    """v_T after ``steps`` of GD on ‖Jv − y‖²/(2n) from v = 0; ``steps=None``: the limit v*.

    **Statement:** (module docstring) v_T = Jᵀ U diag((1 − (1 − ηλ)^T)/(nλ)) Uᵀ y with
    JJᵀ/n = U diag(λ) Uᵀ; as T → ∞ (0 < ηλ_max < 2) it is the minimum-norm interpolant
    v* = Jᵀ(JJᵀ)⁻¹y, whose predictions J_t v* are kernel ridgeless regression with the
    empirical NTK at θ₀.

    Args:
      jacobian: J, shape (n, P), with JJᵀ invertible.
      y: targets, shape (n,).
      lr: the step size η (needed when ``steps`` is given).
      steps: the number of GD steps T (None: the limit).

    Returns:
      v, shape (P,).

    Examples:
      >>> import numpy as np
      >>> J = np.array([[1.0, 0.0], [0.0, 2.0]])
      >>> linearized_gd_displacement(J, np.array([1.0, 1.0]), lr=0.5, steps=1)  # one step: ηJᵀy/n
      array([0.25, 0.5 ])
      >>> linearized_gd_displacement(J, np.array([1.0, 1.0]))
      array([1. , 0.5])
    """
    jacobian, y, n, lam, u = _train_system(jacobian, y)
    if steps is None:
        gain = 1.0 / (n * lam)
    else:
        if isinstance(steps, bool) or int(steps) != steps or steps < 0:
            raise ValueError(f"steps must be an integer >= 0 (or None for the limit), got {steps!r}")
        if lr is None:
            raise ValueError("lr is needed with steps; pass the GD step size")
        lr = _require_lr(lr)
        gain = (1.0 - (1.0 - lr * lam) ** int(steps)) / (n * lam)
    return jacobian.T @ (u @ (gain * (u.T @ y)))


def linearized_gd_steps_to_interpolant(
    jacobian: Float[ArrayLike, "n P"], test_jacobian: Float[ArrayLike, "m P"], y: Float[ArrayLike, " n"],
    lr: float, target: float,
) -> float:
    """The fewest GD steps T after which ‖J_t(v_T − v*)‖ ≤ ``target`` is guaranteed.

    **Statement:** J_t(v_T − v*) = −Σ_i J_t Jᵀu_i (u_iᵀy)(1 − ηλ_i)^T/(nλ_i) (module docstring),
    so ‖J_t(v_T − v*)‖ ≤ B(T) = Σ_i ‖J_t Jᵀu_i‖ |u_iᵀy| |1 − ηλ_i|^T/(nλ_i), which decreases in T;
    the answer is the smallest T with B(T) ≤ target (bisection on integers).

    Returns:
      T as a float (0 if B(0) ≤ target; ``inf`` if some |1 − ηλ_i| ≥ 1 carries weight, i.e. GD on
      the linear model does not converge at this ``lr``).

    Examples:
      >>> import numpy as np
      >>> J = np.eye(2)
      >>> linearized_gd_steps_to_interpolant(J, J, np.array([1.0, 0.0]), lr=1.0, target=0.26)  # B(T) = 0.5^T
      2.0
    """
    jacobian, y, n, lam, u = _train_system(jacobian, y)
    test_jacobian = np.asarray(test_jacobian, dtype=np.float64)
    if test_jacobian.ndim != 2 or test_jacobian.shape[1] != jacobian.shape[1]:
        raise ValueError(f"test_jacobian must have shape (m, {jacobian.shape[1]}), got {test_jacobian.shape}")
    lr = _require_lr(lr)
    target = float(target)
    if not target > 0:
        raise ValueError(f"target must be > 0, got {target!r}")
    weights = np.linalg.norm(test_jacobian @ (jacobian.T @ u), axis=0) * np.abs(u.T @ y) / (n * lam)
    factors = np.abs(1.0 - lr * lam)

    def bound(t):
        return float(np.sum(weights * factors ** t))

    if bound(0) <= target:
        return 0.0
    if np.any((factors >= 1.0) & (weights > 0)):
        return float("inf")
    high = 1
    while bound(high) > target:
        high *= 2
    low = high // 2
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (low, mid) if bound(mid) <= target else (mid, high)
    return float(high)


def lazy_roundoff_floor(
    alpha: float, test_jacobian: Float[ArrayLike, "m P"], params0: Float[ArrayLike, " P"],
    reference: Float[ArrayLike, " m"], steps: int, unit_roundoff: float = 2.0**-53,
) -> float:
    """An upper estimate of the float round-off in α·(h(θ_T) − h(θ₀)), relative to ‖reference‖.

    **Statement:** with A(x) = Σ_p |∂_p h(θ₀, x)|·|θ₀,p| (the size of the terms whose sum is h's
    first-order change), (i) evaluating h at θ_T and at θ₀ and subtracting errs by about
    2u·A(x) per input, and (ii) each of the T updates rounds θ to relative precision u, a
    perturbation of at most u|θ₀| per coordinate; as independent roundings they accumulate like
    a random walk, √T·u|θ₀|, which J_t carries to √T·u·A(x). Both are multiplied by α, so the
    relative floor is α·u·(√T + 2)·‖A‖/‖reference‖: it *grows* with α while the lazy distance
    falls like 1/α, and the two meet at α ≈ (C/(u·(√T+2)·‖A‖/‖ref‖))^{1/2}.

    Examples:
      >>> import numpy as np
      >>> floor = lazy_roundoff_floor(10.0, np.array([[1.0, -2.0]]), np.array([3.0, 1.0]), np.array([5.0]), 4)
      >>> floor / 2.0**-53  # 10·(2 + 2)·5/5
      40.0
    """
    test_jacobian = np.asarray(test_jacobian, dtype=np.float64)
    params0 = np.asarray(params0, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    if test_jacobian.ndim != 2 or params0.shape != (test_jacobian.shape[1],):
        raise ValueError(f"params0 must have shape ({test_jacobian.shape[1] if test_jacobian.ndim == 2 else 'P'},) "
                         f"matching test_jacobian (m, P); got {params0.shape}, {test_jacobian.shape}")
    if isinstance(steps, bool) or int(steps) != steps or steps < 0:
        raise ValueError(f"steps must be an integer >= 0, got {steps!r}")
    size = np.linalg.norm(np.abs(test_jacobian) @ np.abs(params0))
    return float(float(alpha) * float(unit_roundoff) * (np.sqrt(steps) + 2.0) * size / np.linalg.norm(reference))
