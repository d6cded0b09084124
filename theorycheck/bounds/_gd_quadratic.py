"""Gradient descent on a quadratic: exact loss curve, contraction factor and stability limit.

**Derivation.** For L(θ) = ½(θ−θ*)ᵀA(θ−θ*) with A = U diag(λ) Uᵀ symmetric, plain GD
θ_{t+1} = θ_t − η A(θ_t − θ*) gives e_{t+1} = (I − ηA) e_t for e = θ − θ*. In A's eigenbasis,
c = Uᵀe_0, each coordinate is multiplied by (1 − ηλᵢ) per step, so
L_t = ½ Σᵢ λᵢ cᵢ² (1 − ηλᵢ)^{2t} exactly, the error contracts asymptotically by ρ = maxᵢ|1 − ηλᵢ|
per step (the loss by ρ²), and for A ≻ 0, ρ < 1 ⇔ 0 < η < 2/λ_max. Heavy ball,
θ_{t+1} = θ_t − η∇L + μ(θ_t − θ_{t−1}), acts on each eigen-coordinate through the 2×2 companion
matrix [[1 + μ − ηλ, −μ], [1, 0]], whose roots r satisfy r² − (1 + μ − ηλ)r + μ = 0; both have modulus
< 1 (Jury/Schur–Cohn: |μ| < 1 and |1 + μ − ηλ| < 1 + μ) iff 0 < ηλ < 2(1 + μ), i.e. the sharpness
limit is 2(1 + μ)/η.

**Momentum and adaptive methods** (:func:`eos_threshold` with ``optimizer=``), each on the 1-D
quadratic L = ½λw² (a Hessian eigen-direction), with torch's conventions:

- heavy ball, ``v ← βv + g``, ``w ← w − ηv``: the state (w, v) evolves by
  M = [[1 − ηλ, −ηβ], [λ, β]], characteristic polynomial r² − (1 + β − ηλ)r + β. Jury: |β| < 1,
  p(1) = ηλ > 0 and p(−1) = 2 + 2β − ηλ > 0, so the root r = −1 is the one that leaves the unit
  disc, at λ = 2(1 + β)/η (the same as the (θ_t, θ_{t−1}) form above).
- Nesterov (torch), ``v ← βv + g``, ``w ← w − η(g + βv)``: M = [[1 − η(1+β)λ, −ηβ²], [λ, β]],
  trace 1 + β − η(1+β)λ, determinant β(1 − ηλ). p(1) = ηλ > 0; p(−1) = 2 + 2β − ηλ(1 + 2β) > 0
  iff λ < 2(1 + β)/(η(1 + 2β)); there |det| = β|1 − ηλ| < 1 since ηλ < 2. Threshold
  2(1 + β)/(η(1 + 2β)) (38/(28η) ≈ 1.357/η at β = 0.9).
- Adam with a frozen preconditioner P, ``m ← β₁m + (1 − β₁)g``, ``w ← w − ηP⁻¹m`` (bias
  corrections → 1): in an eigen-direction of P^{-1/2}HP^{-1/2} with eigenvalue λ this is heavy ball
  with momentum β₁ and step η(1 − β₁) (m = (1 − β₁)v), so it is stable iff
  λ < 2(1 + β₁)/(η(1 − β₁)) (38/η at β₁ = 0.9; Cohen et al. 2022, arXiv:2207.14484).
  RMSProp is β₁ = 0: 2/η.
"""

import numpy as np
from jax import core
from jaxtyping import ArrayLike, Float


def _concrete(x) -> bool:
    return not isinstance(x, core.Tracer)


EOS_OPTIMIZERS = ("gd", "heavy_ball", "nesterov", "rmsprop", "adam")


def eos_threshold(lr: Float[ArrayLike, "*batch"], momentum: Float[ArrayLike, "*batch"] = 0.0, *,
                  optimizer: str = "gd"):
    """The largest sharpness λ_max(∇²L) at which GD (or heavy ball) is stable: 2(1 + μ)/η.

    With ``optimizer`` (derived in the module docstring, torch conventions; ``momentum`` is β, or
    Adam's β₁): ``"gd"``/``"heavy_ball"`` 2(1 + β)/η; ``"nesterov"`` 2(1 + β)/(η(1 + 2β));
    ``"rmsprop"`` 2/η and ``"adam"`` 2(1 + β₁)/(η(1 − β₁)), both for the *preconditioned*
    sharpness λ₁(P^{-1/2} H P^{-1/2}) (``momentum`` must be 0 for ``"rmsprop"``).

    **Statement:** GD with step size η on a convex quadratic is stable iff λ_max(A) < 2/η; heavy ball
    with momentum μ ∈ [0, 1) iff λ_max(A) < 2(1 + μ)/η (derived in the module docstring). Cohen,
    Kaur, Li, Kolter, Talwalkar, "Gradient Descent on Neural Networks Typically Occurs at the Edge of
    Stability", ICLR 2021, arXiv:2103.00065, observe that full-batch GD on neural networks drives the
    sharpness up to this value and hovers there.

    Works on Python floats, numpy and JAX arrays (also traced, under ``jit``/``vmap``; only
    concrete values are validated).

    Args:
      lr: step size η > 0.
      momentum: heavy-ball momentum μ ∈ [0, 1).

      optimizer: one of ``"gd"``, ``"heavy_ball"``, ``"nesterov"``, ``"rmsprop"``, ``"adam"``
        (static).

    Returns:
      2(1 + μ)/η (or the ``optimizer``'s threshold), with the type of the inputs.

    Raises:
      ValueError: for a concrete ``lr`` <= 0 or ``momentum`` outside [0, 1), an unknown
        ``optimizer``, or a concrete non-zero ``momentum`` with ``"rmsprop"``.

    Examples:
      >>> eos_threshold(0.2)
      10.0
    """
    if _concrete(lr):
        value = np.asarray(lr, dtype=float)
        if not np.all(np.isfinite(value)) or np.any(value <= 0):
            raise ValueError(f"lr must be finite and > 0, got {lr!r}; pass a positive step size")
    if _concrete(momentum):
        value = np.asarray(momentum, dtype=float)
        if not np.all((value >= 0) & (value < 1)):
            raise ValueError(f"momentum must lie in [0, 1), got {momentum!r}; heavy ball diverges for momentum >= 1")
    if optimizer not in EOS_OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {EOS_OPTIMIZERS}, got {optimizer!r}")
    if optimizer == "nesterov":
        return 2.0 * (1.0 + momentum) / (lr * (1.0 + 2.0 * momentum))
    if optimizer == "rmsprop":
        if _concrete(momentum) and np.any(np.asarray(momentum, dtype=float) != 0):
            raise ValueError(f"rmsprop has no momentum, got momentum={momentum!r}; pass momentum=0 (or use 'adam')")
        return 2.0 / lr + 0.0 * momentum
    if optimizer == "adam":
        return 2.0 * (1.0 + momentum) / (lr * (1.0 - momentum))
    return 2.0 * (1.0 + momentum) / lr


def _spectrum(eigenvalues, lr) -> tuple[np.ndarray, float]:
    lam = np.asarray(eigenvalues, dtype=np.float64)
    if lam.ndim != 1 or lam.size == 0:
        raise ValueError(f"eigenvalues must be a non-empty 1-D array, got shape {lam.shape}; pass np.linalg.eigvalsh(A)")
    if not np.all(np.isfinite(lam)):
        raise ValueError("eigenvalues contains NaN or inf; pass finite values")
    lr_value = np.asarray(lr, dtype=np.float64)
    if lr_value.ndim != 0 or not np.isfinite(lr_value) or lr_value <= 0:
        raise ValueError(f"lr must be a finite scalar > 0, got {lr!r}")
    return lam, float(lr_value)


def gd_quadratic_loss_curve(
    eigenvalues: Float[ArrayLike, " d"],
    coefficients: Float[ArrayLike, " d"],
    lr: float,
    num_steps: int,
    *,
    log: bool = False,
) -> Float[np.ndarray, " num_steps_plus_1"]:
    """Exact loss curve of plain GD on L(θ) = ½(θ−θ*)ᵀA(θ−θ*).

    **Statement:** L_t = ½ Σᵢ λᵢ cᵢ² (1 − ηλᵢ)^{2t}, t = 0, …, T, where λ are A's eigenvalues and
    c = Uᵀ(θ_0 − θ*) the initial error in A's eigenbasis (derived in the module docstring; exact for
    any symmetric A, no assumption on η). Any momentum breaks it. This is the independent float64
    numpy reference for the simulated curve; each term is one ``pow``, so its relative error is a
    few ulps per term, not growing with t (a simulated GD loop accumulates ~t·κ·eps).

    Args:
      eigenvalues: λ, shape (d,).
      coefficients: c, shape (d,).
      lr: step size η > 0.
      num_steps: T >= 0.
      log: return log L_t instead, evaluated as a log-sum-exp so that it stays finite where
        L_t itself overflows (a diverging η): this is what tells at which step a float64
        simulation must overflow.

    Returns:
      [L_0, …, L_T] (or their logs), float64, shape (T + 1,). Without ``log``, overflows to inf
      for a diverging η.
    """
    lam, eta = _spectrum(eigenvalues, lr)
    c = np.asarray(coefficients, dtype=np.float64)
    if c.shape != lam.shape:
        raise ValueError(f"coefficients must have the shape of eigenvalues {lam.shape}, got {c.shape}")
    if not np.all(np.isfinite(c)):
        raise ValueError("coefficients contains NaN or inf; pass finite values")
    if isinstance(num_steps, bool) or not isinstance(num_steps, (int, np.integer)) or num_steps < 0:
        raise ValueError(f"num_steps must be a non-negative integer, got {num_steps!r}")
    steps = np.arange(num_steps + 1, dtype=np.float64)[:, None]
    if log:
        from scipy.special import logsumexp

        with np.errstate(divide="ignore", invalid="ignore"):  # a zero weight or factor: log 0 = -inf
            log_factor = np.log(np.abs(1.0 - eta * lam))
            terms = np.log(lam * c**2) + np.where(steps == 0, 0.0, steps * 2.0 * log_factor)
        return np.log(0.5) + logsumexp(terms, axis=1)
    with np.errstate(over="ignore"):
        factors = np.power((1.0 - eta * lam) ** 2, steps)
        return 0.5 * np.sum(lam * c**2 * factors, axis=1)


def gd_quadratic_contraction(eigenvalues: Float[ArrayLike, " d"], lr: float) -> float:
    """Asymptotic per-step contraction of the GD error on a quadratic: ρ = maxᵢ |1 − ηλᵢ|.

    **Statement:** ‖θ_t − θ*‖ shrinks like ρ^t and the loss like ρ^{2t}; for positive definite A,
    GD converges for every start iff ρ < 1 iff 0 < η < 2/λ_max (module docstring; the "if and only
    if" of Cohen et al., ICLR 2021, arXiv:2103.00065, footnote on quadratics).

    Args:
      eigenvalues: λ of A, shape (d,).
      lr: step size η > 0.

    Returns:
      ρ as a Python float.
    """
    lam, eta = _spectrum(eigenvalues, lr)
    return float(np.max(np.abs(1.0 - eta * lam)))
