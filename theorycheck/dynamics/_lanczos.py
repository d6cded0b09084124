"""Top eigenpairs of a symmetric linear operator by Lanczos, and the Hessian-vector product."""

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree
from jaxtyping import Array, Float, PRNGKeyArray


class Eigenpairs(NamedTuple):
    """Ritz pairs, largest (algebraic) first.

    Attributes:
      eigenvalues: ``(k,)``.
      eigenvectors: ``(k, n)``, orthonormal rows.
      residuals: ``(k,)`` the explicit ``‖A v − λ v‖`` (one extra matvec per pair, never the
        Lanczos estimate).
    """

    eigenvalues: Float[Array, " k"]
    eigenvectors: Float[Array, "k n"]
    residuals: Float[Array, " k"]


def lanczos_top_eigenpairs(
    matvec: Callable[[Float[Array, " n"]], Float[Array, " n"]],
    start: Float[Array, " n"],
    key: PRNGKeyArray,
    *,
    num_iterations: int,
    k: int = 1,
) -> Eigenpairs:
    """The ``k`` largest eigenpairs of a symmetric operator by Lanczos with full re-orthogonalisation.

    ``num_iterations`` matvecs build a Krylov basis from ``start`` (warm-starting with the
    previous top eigenvector makes tracking cheap); the Ritz pairs of the tridiagonal matrix are
    returned with explicit residuals. If the Krylov space becomes invariant early (``β_j ≈ 0``),
    the basis continues from a random vector orthogonal to it, so every Ritz value stays an exact
    Rayleigh quotient of ``A`` on an orthonormal basis (Cauchy interlacing holds: the Ritz values
    never exceed the true top eigenvalues). A ``start`` that is zero or not finite (a zero gradient,
    a warm start taken from a NaN record) is replaced by a random vector drawn from ``key``
    (``fold_in(key, m)``), so the result is never NaN because of
    the start; this is a ``jnp.where``, so it also works under ``jit``/``vmap``. The restart after a
    breakdown at step j uses the same random vector rolled by j + 1 (one draw per call).

    Args:
      matvec: ``v ↦ A v`` on flat vectors of shape ``(n,)``.
      start: ``(n,)`` starting vector (a zero or non-finite one is replaced by a random vector).
      key: for the restart vectors after a breakdown and the replacement start.
      num_iterations: Krylov dimension ``m`` (clipped to ``n``).
      k: how many top pairs (``k <= m``).
    """
    n = start.shape[0]
    m = min(num_iterations, n)
    if not 1 <= k <= m:
        raise ValueError(f"k must lie in [1, num_iterations={m}], got {k}")
    dtype = start.dtype
    tiny = jnp.finfo(dtype).eps ** 0.75

    def orthogonalize(w, basis):
        # two passes of classical Gram-Schmidt ("twice is enough"); unfilled rows are zero
        w = w - basis.T @ (basis @ w)
        return w - basis.T @ (basis @ w)

    def body(j, carry):
        basis, alphas, betas = carry
        v = basis[j]
        w = matvec(v)
        alpha = jnp.vdot(v, w)
        w = orthogonalize(w, basis)
        beta = jnp.linalg.norm(w)
        broke_down = beta <= tiny * jnp.maximum(jnp.abs(alpha), 1.0)

        def restart(state):
            # a fresh direction: the one random vector rolled by j + 1 (a permutation of Gaussian
            # entries, independent of the basis almost surely); one draw per call, not one per
            # restart site, keeps the compiled program small (each draw compiles its own threefry)
            r = orthogonalize(jnp.roll(random_vector, j + 1), basis)
            return jnp.array(False), r / jnp.linalg.norm(r)

        # The restart is drawn only after a breakdown. A while_loop run at most once, not lax.cond:
        # under vmap a cond computes both branches for every element, this loop only runs when
        # some element broke down.
        _, w = jax.lax.while_loop(
            lambda state: state[0], restart, (broke_down, w / jnp.where(broke_down, 1.0, beta))
        )
        basis = basis.at[j + 1].set(jnp.where(j + 1 < m, w, 0.0))
        return basis, alphas.at[j].set(alpha), betas.at[j].set(jnp.where(broke_down, 0.0, beta))

    norm = jnp.linalg.norm(start)
    usable = jnp.isfinite(norm) & (norm > 0)
    random_vector = jax.random.normal(jax.random.fold_in(key, m), (n,), dtype)
    start = jnp.where(usable, start / jnp.where(usable, norm, 1.0), random_vector / jnp.linalg.norm(random_vector))
    basis = jnp.zeros((m + 1, n), dtype).at[0].set(start)
    basis, alphas, betas = jax.lax.fori_loop(
        0, m, body, (basis, jnp.zeros((m,), dtype), jnp.zeros((m,), dtype))
    )
    tridiagonal = jnp.diag(alphas) + jnp.diag(betas[: m - 1], 1) + jnp.diag(betas[: m - 1], -1)
    ritz_values, ritz_coordinates = jnp.linalg.eigh(tridiagonal)
    top = jnp.arange(m - 1, m - 1 - k, -1)
    vectors = ritz_coordinates[:, top].T @ basis[:m]
    vectors = vectors / jnp.linalg.norm(vectors, axis=1, keepdims=True)
    values = ritz_values[top]
    residuals = jnp.linalg.norm(jax.vmap(matvec)(vectors) - values[:, None] * vectors, axis=1)
    return Eigenpairs(values, vectors, residuals)


def hessian_vector_product(loss_fn: Callable, params) -> Callable[[Float[Array, " n"]], Float[Array, " n"]]:
    """``v ↦ ∇²L(θ) v`` on flat vectors, by forward-over-reverse differentiation (exact)."""
    flat, unravel = ravel_pytree(params)
    grad_flat = jax.grad(lambda z: loss_fn(unravel(z)))

    def hvp(v):
        return jax.jvp(grad_flat, (flat,), (v.astype(flat.dtype),))[1]

    return hvp
