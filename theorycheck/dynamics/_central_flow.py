"""The central flow of gradient descent (Cohen, Damian, Talwalkar, Kolter, Lee, ICLR 2025).

The central flow is an ODE, in time measured in GD steps, for the *time-averaged* trajectory of
GD at the edge of stability. Below the edge it is gradient flow ``dw/dt = −η∇L``. When the top
``k`` Hessian eigenvalues sit at ``2/η`` it is

    dw/dt = −η [∇L(w) + ½ ∇⟨Σ, H(w)⟩],   ∇⟨Σ, H⟩ = Σ_ij X_ij ∇_w(u_iᵀ H(w) u_j),  Σ = U X Uᵀ,

with ``X ⪰ 0`` (``k × k``) the multiplier that keeps the critical block of the Hessian at ``2/η``:
a semidefinite complementarity problem (SDCP). GD oscillates around the flow with covariance
``≈ Σ`` in the critical eigenspace, so the predicted time-averaged loss is
``L(w) + tr(Σ)/η`` (the quadratic term ``½·(2/η)·tr Σ``).

Discretisation (as the authors' reference code, github.com/centralflows/centralflows,
``minimal.py``, which we read and re-derive here): forward Euler with step ``dt`` (in GD steps);
at every sub-step the top ``num_eigs`` Hessian eigenpairs are tracked by warm-started Lanczos,
the eigenvalues above ``threshold/η`` are *critical*, and ``X`` solves

    X ⪰ 0,  R(X) = A + B[X] ⪰ 0,  ⟨X, R(X)⟩ = 0,
    A = 2/η·I − diag(λ) − dt·⟨∇H, −η∇L⟩,   B[X]_ij = ½·dt·η·Σ_kl ⟨∇H_ij, ∇H_kl⟩ X_kl,

i.e. the critical block ``2/η − H`` one Euler step ahead stays PSD and is zero wherever ``X``
is active. ``B`` is a Gram operator (PSD), so the SDCP is the convex QP
``min_{X ⪰ 0} ½⟨X, B[X]⟩ + ⟨A, X⟩`` (:func:`solve_sdcp`, accelerated projected gradient onto
the PSD cone). For ``k = 1`` it has the closed form
``σ² = max(0, 2⟨−∇L, ∇S⟩/‖∇S‖² + 2(λ − 2/η)/(dt·η‖∇S‖²))`` (the second term is the restoring
term that pulls an overshooting ``S`` back to ``2/η``).
"""

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree
from jaxtyping import Array, Float

from ._lanczos import lanczos_top_eigenpairs
from ._trajectory import STATUS_COMPLETED, STATUS_DIVERGED, Trajectory
from ._validation import require_finite_tree, require_positive_int

FLOWS = ("central", "gradient")


def third_derivative(loss_flat: Callable, w: Float[Array, " n"], u: Float[Array, " n"],
                     v: Float[Array, " n"]) -> Float[Array, " n"]:
    """``∇_w (uᵀ ∇²L(w) v)``, the third derivative of ``L`` contracted twice (exact).

    Reverse mode over the forward-over-reverse Hessian-vector product: ``grad`` of
    ``w ↦ ⟨u, jvp(∇L, w, v)⟩``. For ``u = v`` a unit top eigenvector this is ``∇S`` (the gradient of
    the sharpness, by the Hellmann–Feynman argument: the eigenvector's derivative does not enter).

    Args:
      loss_flat: ``L`` on flat parameter vectors.
      w, u, v: ``(n,)`` vectors.
    """
    grad = jax.grad(loss_flat)

    def bilinear(z):
        return jnp.vdot(u, jax.jvp(grad, (z,), (v,))[1])

    return jax.grad(bilinear)(w)


def _psd_projection(x):
    x = 0.5 * (x + x.T)
    values, vectors = jnp.linalg.eigh(x)
    return (vectors * jnp.maximum(values, 0.0)[None, :]) @ vectors.T


def solve_sdcp(a: Float[Array, "k k"], b: Float[Array, "k k k k"], *, num_iterations: int = 200,
               x0: Float[Array, "k k"] | None = None, mask: Float[Array, "k k"] | None = None) -> Float[Array, "k k"]:
    """The semidefinite complementarity problem ``X ⪰ 0, A + B[X] ⪰ 0, ⟨X, A + B[X]⟩ = 0``.

    ``B[X]_ij = Σ_kl b[i, j, k, l] X_kl`` must be a PSD operator on symmetric matrices (a Gram
    tensor); the SDCP is then the KKT system of the convex QP ``min_{X ⪰ 0} ½⟨X, B[X]⟩ + ⟨A, X⟩``,
    solved by accelerated (FISTA) projected gradient with step ``1/‖B‖`` (the operator's largest
    eigenvalue, so the iteration is monotone in the objective up to the momentum restart).
    Meant for ``k <= 4`` inside a ``lax.scan``: a fixed ``num_iterations`` of ``k × k`` ``eigh``.

    Args:
      a: ``(k, k)`` symmetric.
      b: ``(k, k, k, k)`` PSD operator.
      num_iterations: projected-gradient iterations (static).
      x0: a warm start (the previous step's solution); zero if ``None``.
      mask: ``(k, k)`` of 0/1, the outer product of the critical flags; ``X`` is zero outside it
        (the non-critical eigen-directions carry no multiplier).

    Returns:
      ``X``, ``(k, k)`` PSD.
    """
    k = a.shape[0]
    mask = jnp.ones((k, k), a.dtype) if mask is None else mask
    a = 0.5 * (a + a.T)
    matrix = b.reshape(k * k, k * k)
    matrix = 0.5 * (matrix + matrix.T)
    lipschitz = jnp.max(jnp.linalg.eigvalsh(matrix))
    step = 1.0 / jnp.where(lipschitz > 0, lipschitz, 1.0)

    def residual(x):
        return a + (matrix @ x.reshape(-1)).reshape(k, k)

    def project(x):
        return mask * _psd_projection(mask * x)

    x = jnp.zeros((k, k), a.dtype) if x0 is None else project(x0)

    def body(_, carry):
        x, y, t = carry
        x_new = project(y - step * residual(y))
        t_new = 0.5 * (1.0 + jnp.sqrt(1.0 + 4.0 * t * t))
        y_new = x_new + ((t - 1.0) / t_new) * (x_new - x)
        return x_new, y_new, t_new

    x, _, _ = jax.lax.fori_loop(0, num_iterations, body, (x, x, jnp.array(1.0, a.dtype)))
    return x


def sigma_squared_k1(grad_loss: Float[Array, " n"], grad_sharpness: Float[Array, " n"], sharpness, lr, dt):
    """The ``k = 1`` multiplier in closed form (the discretised central flow, restoring term included).

    ``σ² = max(0, 2⟨−∇L, ∇S⟩/‖∇S‖² + 2(S − 2/η)/(dt·η·‖∇S‖²))``: the value for which ``S`` one Euler
    step ahead is ``2/η`` (zero if ``S`` stays below ``2/η`` without it).
    """
    norm2 = jnp.vdot(grad_sharpness, grad_sharpness)
    safe = jnp.where(norm2 > 0, norm2, 1.0)  # ∇S = 0 (a quadratic): no multiplier can move S
    value = 2.0 * jnp.vdot(-grad_loss, grad_sharpness) / safe + 2.0 * (sharpness - 2.0 / lr) / (dt * lr * safe)
    return jnp.where(norm2 > 0, jnp.maximum(value, 0.0), 0.0)


def central_flow(
    loss_fn: Callable[[Any], jax.Array],
    *,
    num_steps: int,
    dt: float = 0.25,
    every: int = 1,
    num_eigs: int = 2,
    lanczos_iterations: int = 10,
    threshold: float = 1.95,
    sdcp_iterations: int = 100,
    flow: str = "central",
) -> Callable[..., Trajectory]:
    """The central flow of GD (``flow="central"``) or, on the same Euler grid, gradient flow.

    Time is in GD steps: ``num_steps`` units of time, each ``round(1/dt)`` Euler sub-steps. The
    whole run is one ``lax.scan`` (records) over a ``lax.scan`` (sub-steps). Each sub-step costs
    one gradient, ``lanczos_iterations + num_eigs`` Hessian-vector products (Lanczos warm-started
    from the previous eigenvectors, their signs aligned to the previous ones) and, for the central
    flow, ``num_eigs(num_eigs+1)/2`` third-derivative gradients; the SDCP is warm-started from the
    previous multiplier. ``flow="gradient"`` sets the multiplier to zero (the η → 0 "stable flow"
    on the same grid, with the same eigen-tracking and records).

    Args:
      loss_fn: ``loss_fn(params) -> scalar`` (full batch, closed over).
      num_steps: the horizon in GD steps (static).
      dt: the Euler step in GD steps; ``1/dt`` must be a positive integer (0.25, 0.5, 1).
      every: record every ``every`` GD steps (static, divides ``num_steps``).
      num_eigs: how many top eigenpairs are tracked (the largest number ``k`` of eigenvalues that
        may be at the edge together), 1 to 4.
      lanczos_iterations: Krylov dimension per sub-step (>= num_eigs).
      threshold: an eigenvalue above ``threshold/η`` is critical (the reference code's 1.95).
      sdcp_iterations: projected-gradient iterations of :func:`solve_sdcp` (unused for
        ``num_eigs = 1``, which is solved in closed form).
      flow: ``"central"`` or ``"gradient"``.

    Returns:
      ``run(params0, key, lr) -> Trajectory`` (pure, un-jitted; ``lr`` is data). ``times`` are the
      record steps ``0, every, ..., num_steps``; ``losses`` ``L(w)`` there; ``observations`` hold,
      per record: ``params`` the flat ``w`` ``(n,)``; ``eigenvalues``/``eigenvectors``/
      ``lanczos_residuals`` of the Hessian at ``w``; ``sigma`` the multiplier ``X`` in the basis of
      the eigenvectors ``(k, k)`` (``Σ = Uᵀ X U`` with ``U`` the rows of ``eigenvectors``);
      ``sigma_trace`` ``tr Σ``; ``predicted_loss`` ``L(w) + tr Σ/η`` (GD's predicted time-averaged
      loss); ``num_critical`` the number of eigenvalues above ``threshold/η``; ``sdcp_residual``
      the complementarity error ``max(‖min(eig R, 0)‖, |⟨X, R⟩|)`` of the multiplier (a solver
      check; 0 for gradient flow). The record at a step is taken *before* the step's sub-steps
      (the multiplier there is the one the first sub-step uses). A non-finite loss or gradient
      freezes ``w``: ``diverged``/``diverged_at`` (in steps), later records NaN.
    """
    require_positive_int("num_steps", num_steps)
    require_positive_int("every", every)
    if num_steps % every:
        raise ValueError(f"every ({every}) must divide num_steps ({num_steps})")
    if not (isinstance(dt, (int, float)) and dt > 0):
        raise ValueError(f"dt must be a positive number with 1/dt an integer (0.25, 0.5, 1), got {dt!r}")
    substeps = round(1.0 / dt)
    if substeps < 1 or abs(substeps * dt - 1.0) > 1e-9:
        raise ValueError(f"1/dt must be a positive integer (dt = 0.25, 0.5, 1), got dt = {dt!r}")
    if isinstance(num_eigs, bool) or not isinstance(num_eigs, int) or not 1 <= num_eigs <= 4:
        raise ValueError(f"num_eigs must be an integer in [1, 4], got {num_eigs!r}")
    if not isinstance(lanczos_iterations, int) or lanczos_iterations < num_eigs:
        raise ValueError(f"lanczos_iterations must be an integer >= num_eigs={num_eigs}, got {lanczos_iterations!r}")
    if not 0 < threshold <= 2:
        raise ValueError(f"threshold must lie in (0, 2] (critical: λ > threshold/η), got {threshold!r}")
    require_positive_int("sdcp_iterations", sdcp_iterations)
    if flow not in FLOWS:
        raise ValueError(f"flow must be one of {FLOWS}, got {flow!r}")
    k = num_eigs
    num_records = num_steps // every
    pairs_i, pairs_j = jnp.triu_indices(k)

    def run(params0, key: jax.Array, lr) -> Trajectory:
        require_finite_tree("params0", params0)
        w0, unravel = ravel_pytree(params0)
        dtype = w0.dtype
        lr = jnp.asarray(lr, dtype)
        h = jnp.asarray(1.0 / substeps, dtype)

        def loss_flat(z):
            return loss_fn(unravel(z))

        grad_flat = jax.grad(loss_flat)

        def hvp_at(w):
            return lambda v: jax.jvp(grad_flat, (w,), (v.astype(dtype),))[1]

        def analyse(w, vectors_prev, x_prev, sub_key):
            """Everything the step from ``w`` needs: loss, gradient, eigenpairs, multiplier."""
            loss, g = jax.value_and_grad(loss_flat)(w)
            start = jnp.sum(vectors_prev, axis=0)
            pairs = lanczos_top_eigenpairs(hvp_at(w), start, sub_key, num_iterations=lanczos_iterations, k=k)
            signs = jnp.where(jnp.sum(pairs.eigenvectors * vectors_prev, axis=1) < 0, -1.0, 1.0)
            vectors = pairs.eigenvectors * signs[:, None]
            values = pairs.eigenvalues
            critical = values > threshold / lr
            if flow == "gradient":
                x = jnp.zeros((k, k), dtype)
                return loss, g, values, vectors, pairs.residuals, critical, x, jnp.zeros((k * k, w.shape[0]), dtype), jnp.zeros((), dtype)
            # ∇H_ij for every pair (i <= j), then the full (k, k, n) tensor by symmetry
            upper = jax.vmap(lambda u, v: third_derivative(loss_flat, w, u, v))(vectors[pairs_i], vectors[pairs_j])
            full = jnp.zeros((k, k, w.shape[0]), dtype).at[pairs_i, pairs_j].set(upper).at[pairs_j, pairs_i].set(upper)
            grad_h = full.reshape(k * k, -1)
            mask = (critical[:, None] & critical[None, :]).astype(dtype)
            if k == 1:
                x = sigma_squared_k1(g, grad_h[0], values[0], lr, h).reshape(1, 1) * mask
            else:
                a = 2.0 / lr * jnp.eye(k, dtype=dtype) - jnp.diag(values) - h * (full @ (-lr * g))
                # identity on the non-critical block keeps the (masked) problem well posed
                a = jnp.where(mask > 0, a, jnp.eye(k, dtype=dtype))
                b = (0.5 * h * lr) * (grad_h @ grad_h.T).reshape(k, k, k, k)
                x = solve_sdcp(a, b, num_iterations=sdcp_iterations, x0=x_prev, mask=mask)
                r = a + (b.reshape(k * k, k * k) @ x.reshape(-1)).reshape(k, k)
                r = jnp.where(mask > 0, r, jnp.eye(k, dtype=dtype))
            if k == 1:
                a1 = 2.0 / lr - values[0] - h * jnp.vdot(grad_h[0], -lr * g)
                r = (a1 + 0.5 * h * lr * jnp.vdot(grad_h[0], grad_h[0]) * x[0, 0]).reshape(1, 1)
                r = jnp.where(mask > 0, r, 1.0)
            infeasible = jnp.linalg.norm(jnp.minimum(jnp.linalg.eigvalsh(0.5 * (r + r.T)), 0.0))
            gap = jnp.abs(jnp.sum(x * r))
            return loss, g, values, vectors, pairs.residuals, critical, x, grad_h, jnp.maximum(infeasible, gap)

        def velocity(g, x, grad_h):
            return -lr * (g + 0.5 * (x.reshape(-1) @ grad_h))

        def substep(carry, sub_key):
            w, vectors, x, diverged, diverged_at, t, active = carry
            loss, g, values, vectors_new, residuals, critical, x_new, grad_h, sdcp_residual = analyse(
                w, vectors, x, sub_key)
            trace = jnp.trace(x_new)
            nan = lambda r: jnp.where(diverged, jnp.nan, r)  # noqa: E731
            record = {
                "params": nan(w), "eigenvalues": nan(values), "eigenvectors": nan(vectors_new),
                "lanczos_residuals": nan(residuals), "sigma": nan(x_new), "sigma_trace": nan(trace),
                "predicted_loss": nan(loss + trace / lr), "num_critical": jnp.sum(critical).astype(jnp.int32),
                "sdcp_residual": nan(sdcp_residual), "loss": nan(loss),
            }
            w_new = w + h * velocity(g, x_new, grad_h)
            bad = ~(jnp.isfinite(loss) & jnp.all(jnp.isfinite(g)) & jnp.all(jnp.isfinite(w_new)))
            diverged_at = jnp.where(active & ~diverged & bad, t, diverged_at)
            diverged = diverged | (active & bad)
            frozen = diverged | ~active
            keep = lambda new, old: jnp.where(frozen, old, new)  # noqa: E731
            carry = (keep(w_new, w), keep(vectors_new, vectors), keep(x_new, x), diverged, diverged_at,
                     jnp.where(frozen, t, t + h), active)
            return carry, record

        def block(carry, inputs):
            # the record is the analysis of the block's first sub-step (one trace of `analyse`); the
            # extra last block (inactive) only records the final state
            block_key, active = inputs
            carry = carry[:-1] + (active,)
            carry, records = jax.lax.scan(substep, carry, jax.random.split(block_key, every * substeps))
            return carry, jax.tree.map(lambda r: r[0], records)

        key_init, key_loop = jax.random.split(key)
        vectors0 = jax.random.normal(key_init, (k, w0.shape[0]), dtype)
        pairs0 = lanczos_top_eigenpairs(hvp_at(w0), jnp.sum(vectors0, axis=0), key_init,
                                        num_iterations=max(lanczos_iterations, 20), k=k)
        carry = (w0, pairs0.eigenvectors, jnp.zeros((k, k), dtype), jnp.array(False), jnp.asarray(-1.0, dtype),
                 jnp.asarray(0.0, dtype), jnp.array(True))
        active = jnp.arange(num_records + 1) < num_records
        carry, records = jax.lax.scan(block, carry, (jax.random.split(key_loop, num_records + 1), active))
        w, vectors, x, diverged, diverged_at, t, _ = carry
        losses = records.pop("loss")
        return Trajectory(
            times=jnp.arange(0, num_steps + 1, every),
            observations=records,
            losses=losses,
            final_params=unravel(w),
            final_time=jnp.where(diverged, diverged_at, t),
            diverged=diverged,
            diverged_at=diverged_at,
            status=jnp.where(diverged, STATUS_DIVERGED, STATUS_COMPLETED),
        )

    return run
