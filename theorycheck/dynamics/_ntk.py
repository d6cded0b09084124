"""The empirical neural tangent kernel of any model, by a Jacobian contraction in chunks."""

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree


def empirical_ntk(apply: Callable[[Any, jax.Array], jax.Array], params, x, *, chunk_size: int = 64) -> jax.Array:
    """Θ_ij = ⟨∂f(x_i)/∂θ, ∂f(x_j)/∂θ⟩ for a scalar-output model, ``(n, n)``.

    The Jacobian rows are computed ``chunk_size`` samples at a time (``lax.map`` with
    ``batch_size``): memory is O(chunk_size·P) for the rows in flight plus O(n·P) for J, never
    the O(n·P) intermediate of a full reverse pass per sample at once. Differentiates with
    respect to every leaf of ``params``; pass a closure over the frozen leaves to restrict it
    (Du et al. train the first layer only).

    Args:
      apply: ``apply(params, x) -> (n, 1)`` (or ``(n,)``).
      params: the point at which the kernel is taken.
      x: ``(n, d)`` inputs.
      chunk_size: samples per Jacobian chunk.
    """
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")

    def row(xi):
        grads = jax.grad(lambda p: jnp.sum(apply(p, xi[None, :])))(params)
        return ravel_pytree(grads)[0]

    jacobian = jax.lax.map(row, x, batch_size=min(chunk_size, x.shape[0]))
    return jacobian @ jacobian.T
