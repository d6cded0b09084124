"""The lower-level problems of adversarial training as bi-level optimisation, with independent solvers.

Zhang, Zhang, Khanduri, Hong, Chang, Liu, "Revisiting and Advancing Fast Adversarial Training
Through The Lens of Bi-Level Optimization" (FAST-BAT), ICML 2022, arXiv:2112.12376.

Convention (the authors' code): the lower level *minimises* the attack loss ℓ_atk = −ℓ (the
training loss with its sign flipped) over δ in the ℓ∞ ball C = {‖δ‖∞ ≤ ε}; g = ∇_δ ℓ_atk(θ, z) at a
linearisation point z.

* The linearised problem min_{δ∈C} ⟨g, δ⟩ (FAST-AT's, the LP) has the vertex −ε·sign(g):
  :func:`linear_lower_level_lp` solves it with scipy's HiGHS LP solver (the ℓ2 ball, a second-order
  cone, with SLSQP: :func:`linear_lower_level_l2`).
* The linearised, λ-regularised problem min_{δ∈C} ⟨g, δ − z⟩ + λ‖δ − z‖²/2 (FAST-BAT's) has the
  closed form :func:`zhang22_lower_level_solution` = clip(z − g/λ, −ε, ε); :func:`box_qp_bvls` solves
  it as a bounded least-squares problem (scipy's BVLS active-set method), independently.
* Its derivative in θ through g(θ): :func:`zhang22_implicit_jvp` = −(1/λ)·H_C·dg with H_C the 0/1
  mask of the inactive coordinates (the implicit gradient), and :func:`box_qp_projected_gradient`,
  a JAX projected-gradient solver (step 1/(2λ), contraction ½ per iteration) to differentiate through.
"""

import jax
import jax.numpy as jnp
import numpy as np


def linear_lower_level_lp(g, epsilon: float) -> tuple[np.ndarray, float]:
    """min_{‖δ‖∞≤ε} ⟨g, δ⟩ by scipy's HiGHS dual simplex (not the sign formula).

    ``g`` is rescaled to ‖g‖∞ = 1 for the solver (its dual feasibility tolerance, 1e-10, then bounds
    the reduced cost of a coordinate the solver may leave off its optimal bound: |gᵢ| ≤ 1e-10‖g‖∞).

    Returns:
      ``(δ, ⟨g, δ⟩)`` in float64.
    """
    from scipy.optimize import linprog

    g = np.asarray(g, dtype=np.float64).ravel()
    scale = float(np.max(np.abs(g)))
    if scale == 0.0:
        return np.zeros_like(g), 0.0
    result = linprog(g / scale, bounds=[(-epsilon, epsilon)] * g.size, method="highs-ds",
                     options={"dual_feasibility_tolerance": 1e-10, "primal_feasibility_tolerance": 1e-10})
    if result.status != 0:
        raise RuntimeError(f"HiGHS did not solve the ℓ∞ LP: {result.message}")
    delta = np.asarray(result.x, dtype=np.float64)
    return delta, float(g @ delta)


def linear_lower_level_l2(g, epsilon: float) -> tuple[np.ndarray, float]:
    """min_{‖δ‖₂≤ε} ⟨g, δ⟩ by SLSQP from δ = 0, its answer scaled back into the ball if it left it
    (so ``⟨g, δ⟩`` is always the value of a feasible point: an upper bound on the minimum)."""
    from scipy.optimize import minimize

    g = np.asarray(g, dtype=np.float64).ravel()
    scale = float(np.linalg.norm(g))
    if scale == 0.0:
        return np.zeros_like(g), 0.0
    u = g / scale
    result = minimize(lambda d: u @ d, np.zeros_like(u), jac=lambda d: u, method="SLSQP",
                      constraints=[{"type": "ineq", "fun": lambda d: epsilon**2 - d @ d, "jac": lambda d: -2.0 * d}],
                      options={"ftol": 1e-15, "maxiter": 500})
    delta = np.asarray(result.x, dtype=np.float64)
    norm = float(np.linalg.norm(delta))
    if norm > epsilon:
        delta = delta * (epsilon / norm)
    return delta, float(g @ delta)


def zhang22_lower_level_solution(z, g, lam, epsilon):
    """FAST-BAT's lower-level closed form: argmin_{‖δ‖∞≤ε} ⟨g, δ − z⟩ + λ‖δ − z‖²/2 = clip(z − g/λ, −ε, ε).

    The objective is separable: each coordinate minimises a parabola with vertex zᵢ − gᵢ/λ over
    [−ε, ε], whose minimiser is the vertex clipped to the interval. Works on numpy or jax arrays.
    """
    return jnp.clip(z - g / lam, -epsilon, epsilon) if isinstance(z, jax.Array) else np.clip(
        np.asarray(z) - np.asarray(g) / lam, -epsilon, epsilon)


def box_qp_bvls(z, g, lam: float, epsilon: float) -> np.ndarray:
    """The same minimiser by scipy's bounded-variable least squares (Stark & Parker's active set).

    ⟨g, δ − z⟩ + λ‖δ − z‖²/2 = ½‖√λ·δ − (√λ·z − g/√λ)‖² − ‖g‖²/(2λ), so the problem is
    min ½‖Aδ − b‖² over the box with A = √λ·I, b = √λ·z − g/√λ.
    """
    from scipy.optimize import lsq_linear

    z = np.asarray(z, dtype=np.float64).ravel()
    g = np.asarray(g, dtype=np.float64).ravel()
    root = np.sqrt(lam)
    result = lsq_linear(root * np.eye(z.size), root * z - g / root, bounds=(-epsilon, epsilon), method="bvls",
                        tol=1e-15, lsq_solver="exact")
    return np.asarray(result.x, dtype=np.float64)


def zhang22_implicit_jvp(delta_star, dg, lam, epsilon):
    """FAST-BAT's implicit gradient applied to a tangent: dδ* = −(1/λ)·H_C·dg.

    ``dg`` is the tangent of g = ∇_δℓ_atk(θ, z) along a direction in θ (z held fixed), H_C the
    diagonal 0/1 mask of the coordinates with −ε < δ*ᵢ < ε (KKT: an active coordinate stays on its
    bound under a small change of θ, an inactive one follows the vertex zᵢ − gᵢ/λ).
    """
    inactive = (np.abs(np.asarray(delta_star)) < epsilon)
    return -np.where(inactive, np.asarray(dg), 0.0) / lam


def box_qp_projected_gradient(z, g, lam, epsilon, iterations: int = 80):
    """Projected gradient descent on ⟨g, δ − z⟩ + λ‖δ − z‖²/2 over the box, from δ = z, step 1/(2λ).

    Each step δ ← clip(δ − (g + λ(δ − z))/(2λ)) = clip((δ + z − g/λ)/2) halves the distance to the
    minimiser; written in JAX (``lax.fori_loop``) so that ``jax.jvp`` differentiates *through the
    solver*, independently of :func:`zhang22_implicit_jvp`.
    """

    def body(_, delta):
        return jnp.clip(delta - (g + lam * (delta - z)) / (2.0 * lam), -epsilon, epsilon)

    return jax.lax.fori_loop(0, iterations, body, z)
