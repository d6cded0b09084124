"""The first-order Taylor model of any ``apply`` around fixed parameters (the NTK's linear model)."""

from collections.abc import Callable
from typing import Any

import jax


def linearize(apply: Callable[[Any, jax.Array], jax.Array], params0) -> Callable[[Any, jax.Array], jax.Array]:
    """``apply`` linearised in its parameters at ``params0``.

    ``f_lin(θ, x) = f(θ₀, x) + ∂_θ f(θ₀, x)·(θ − θ₀)``, computed by one ``jax.jvp`` per call (no
    Jacobian is formed), so it costs about two forward passes and works for any pytree of
    parameters. Trained by gradient descent it is the kernel (lazy) model of Chizat, Oyallon &
    Bach (NeurIPS 2019): its tangent kernel stays the empirical NTK at ``params0``.

    Args:
      apply: ``apply(params, x) -> y`` (any output shape).
      params0: the expansion point (its arrays are closed over).

    Returns:
      ``apply_lin(params, x) -> y``, pure and jit-able; equal to ``apply`` at ``params0``, exact
      for a model linear in its parameters, and off by O(‖θ − θ₀‖²) otherwise.

    Examples:
      >>> import jax.numpy as jnp
      >>> f = lambda p, x: jnp.sin(p["w"] * x)
      >>> lin = linearize(f, {"w": jnp.array(0.0)})
      >>> float(lin({"w": jnp.array(0.5)}, jnp.array(2.0)))  # sin(0) + cos(0)·2·0.5
      1.0
    """

    def apply_lin(params, x):
        delta = jax.tree.map(lambda p, p0: p - p0, params, params0)
        value, tangent = jax.jvp(lambda q: apply(q, x), (params0,), (delta,))
        return value + tangent

    return apply_lin
