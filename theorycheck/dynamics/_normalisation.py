"""Weight rescaling (WRS) and the observers of scale-invariant training (shared/THEORY.md §5).

* :func:`weight_rescaling`: an optax transform that, after the step of the transforms before it,
  rescales every scale-invariant unit to unit norm (Liu et al., arXiv:2102.03497 v2).
* :func:`scale_invariance_residual`: per unit, ``⟨w, ∇_w L⟩`` and its cosine (0 when ``L`` is
  invariant to rescaling ``w``).
* :func:`off_span_component`: the part of a layer's weight (and of its change since the start)
  outside the span of the layer's inputs.
"""

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax
from jaxtyping import Array, Float

from ._observers import Observer, stateless


class WeightRescalingState(NamedTuple):
    """:func:`weight_rescaling` keeps no state."""


def _unit_norms(leaf, axes):
    return jnp.sqrt(jnp.sum(leaf**2, axis=axes, keepdims=True))


def weight_rescaling(unit_axes: Any) -> optax.GradientTransformation:
    """WRS: after the step, every scale-invariant unit is rescaled to unit norm.

    Chain it *last* (it needs the step of the transforms before it): ``optax.chain(optax.sgd(lr),
    weight_rescaling(axes))`` gives ``w ← (w − ηg)/‖w − ηg‖`` per unit, a projected step on the
    sphere. Implementation choice (THEORY.md §5 could not confirm the paper's exact form): the
    target norm is 1 (the v2 abstract: "explicitly rescaling it to the unit norm"), every step,
    without centring.

    Args:
      unit_axes: a pytree with the structure of the params (or a prefix of it) whose leaves are
        the axes each unit's norm is taken over (an int or a tuple of ints: ``1`` for the rows of
        a ``(units, d_in)`` matrix), or ``None`` for a leaf that is not rescaled.

    Returns:
      An ``optax.GradientTransformation`` whose ``update`` requires ``params``.
    """

    def init(params):
        del params
        return WeightRescalingState()

    def update(updates, state, params=None):
        if params is None:
            raise ValueError("weight_rescaling needs params: pass them to update (optax.chain does)")

        def rescale(axes, update, param):
            if axes is None:
                return update
            new = param + update
            return new / _unit_norms(new, axes) - param

        new_updates = jax.tree.map(
            lambda axes, u, p: jax.tree.map(lambda uu, pp: rescale(axes, uu, pp), u, p),
            unit_axes, updates, params, is_leaf=lambda a: a is None,
        )
        return new_updates, state

    return optax.GradientTransformation(init, update)


def scale_invariance_residual(loss_fn: Callable[[Any], jax.Array], weight_fn: Callable[[Any], jax.Array]) -> Observer:
    """Per unit (row of ``weight_fn(params)``), ``⟨w, ∇_w L⟩`` and ``⟨w, ∇_w L⟩/(‖w‖‖∇_w L‖)``.

    Both vanish when ``L`` is invariant to rescaling the unit (e.g. a row before batch norm with
    batch statistics and ε = 0); ``∇_w L`` is the gradient of ``loss_fn`` (a full-batch loss
    closed over its data) with respect to the weight that ``weight_fn`` selects.

    Records ``{"inner": (units,), "cosine": (units,)}``.
    """

    def observe(params, key):
        grads = jax.grad(loss_fn)(params)
        w, g = weight_fn(params), weight_fn(grads)
        inner = jnp.sum(w * g, axis=tuple(range(1, w.ndim)))
        norms = jnp.sqrt(jnp.sum(w**2, axis=tuple(range(1, w.ndim))) * jnp.sum(g**2, axis=tuple(range(1, w.ndim))))
        return {"inner": inner, "cosine": inner / norms}

    return stateless(observe)


def input_span_complement(inputs: Float[Array, "n d"]) -> Float[Array, "d d"]:
    """``P_⊥ = I − QQᵀ``: the projector onto the complement of the span of the rows of ``inputs``
    (``Q`` an orthonormal basis of that span, from a QR of ``inputsᵀ``; needs ``n < d``)."""
    n, d = inputs.shape
    if n >= d:
        raise ValueError(f"the inputs span all of R^{d} (n={n} >= d={d}): the complement is empty")
    q, _ = jnp.linalg.qr(inputs.T)
    return jnp.eye(d, dtype=q.dtype) - q @ q.T


def off_span_component(weight_fn: Callable[[Any], jax.Array], inputs: Float[Array, "n d"]) -> Observer:
    """The part of a first-layer weight outside the span of its inputs.

    For ``z = x Wᵀ`` every gradient row is a combination of the inputs, so under SGD ``P_⊥W`` only
    changes through weight decay (THEORY.md §5). Records ``{"weight": W P_⊥, "change": (W − W₀)
    P_⊥}`` (rows projected), with ``W₀`` the weight at the first record.
    """
    projector = input_span_complement(inputs)

    def init(params, key):
        return weight_fn(params)

    def observe(params, w0, key):
        w = weight_fn(params)
        return {"weight": w @ projector, "change": (w - w0) @ projector}, w0

    return Observer(init, observe)
