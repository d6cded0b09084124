"""SGD noise: the norm of each step, and the spread of per-sample gradients it is driven by."""

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from ._confusion import per_sample_gradients
from ._observers import Observer


def step_norm() -> Observer:
    """Records ``‖θ − θ_prev‖`` between this record and the previous one (all leaves, one norm).

    With ``every = 1`` that is the norm of every step ``‖θ_{t} − θ_{t−1}‖``; the first record
    (no predecessor) is 0.
    """

    def init(params, key):
        return params

    def observe(params, previous, key):
        difference, _ = ravel_pytree(jax.tree.map(jnp.subtract, params, previous))
        return jnp.linalg.norm(difference), params

    return Observer(init, observe)


def per_sample_gradient_variance(loss_fn: Callable[[Any, Any], jax.Array], data) -> Callable[[Any], jax.Array]:
    """``V(θ) = (1/n)Σ_i ‖∇ℓ_i(θ) − ∇L(θ)‖²``, the spread of the per-sample gradients.

    ``loss_fn(params, batch)`` is the mean loss of a batch; each sample is passed as a batch of one
    (``vmap`` over the data), and ``∇L`` is their mean. For a minibatch S of B distinct samples drawn
    uniformly (without replacement), ``E_S‖∇L_S − ∇L‖² = (n − B)/(B(n − 1))·V``.
    """

    gradients = per_sample_gradients(loss_fn, data)

    def variance(params):
        grads = gradients(params)
        mean = jnp.mean(grads, axis=0, keepdims=True)
        return jnp.mean(jnp.sum((grads - mean) ** 2, axis=1))

    return variance
