"""A loss wrapper that makes minibatch SGD write down which samples each step drew."""

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp


class BatchTape(NamedTuple):
    """A taped problem for :func:`dynamics.sgd`.

    Attributes:
      loss_fn: ``loss_fn(taped_params, taped_batch)``: the original loss of ``taped_params["params"]``
        on the batch (the same value, to the bit), whose gradient with respect to
        ``taped_params["tape"]`` is the batch's indicator vector.
      data: ``(data, arange(n))``: the original data with each sample's index.
      init: ``init(params) -> {"params": params, "tape": zeros(n)}``.
    """

    loss_fn: Callable[[Any, Any], jax.Array]
    data: Any
    init: Callable[[Any], Any]


def batch_tape(loss_fn: Callable[[Any, Any], jax.Array], data) -> BatchTape:
    """Wraps ``loss_fn(params, batch)`` so that the parameters carry a record of the batches.

    The wrapped loss adds ``s − stop_gradient(s)`` with ``s = Σ_{i ∈ S} tape_i``: exactly zero in
    value, so the loss and the gradient with respect to ``params`` are unchanged, but the
    gradient with respect to the extra leaf ``tape`` (one entry per sample) is the indicator 1_S
    of the batch S. Every optimizer in :mod:`dynamics` acts leaf by leaf (and ``plain_sgd``
    element by element), so the model's trajectory is the untaped one, while under
    ``plain_sgd(μ, weight_decay=wd)`` the tape obeys ``tape' = (1 − μ·wd)·tape − μ·1_S``:
    :func:`tape_batches` reads the batches back from consecutive tapes. This lets a check
    recompute each step's minibatch gradient independently of the simulator.
    """
    leaves = jax.tree.leaves(data)
    if not leaves or leaves[0].ndim == 0:
        raise ValueError("data must hold at least one array with a leading sample axis")
    n = leaves[0].shape[0]

    def taped_loss(taped_params, taped_batch):
        batch, index = taped_batch
        s = jnp.sum(taped_params["tape"][index])
        return loss_fn(taped_params["params"], batch) + (s - jax.lax.stop_gradient(s))

    def init(params):
        dtype = jnp.result_type(*jax.tree.leaves(params))
        return {"params": params, "tape": jnp.zeros((n,), dtype)}

    return BatchTape(taped_loss, (data, jnp.arange(n)), init)


def tape_batches(tapes, learning_rate, weight_decay=0.0):
    """The batch masks ``(K, n)`` (bool) of the K steps between ``K + 1`` consecutive tapes.

    Under plain SGD with coupled decay (no momentum) ``(1 − μ·wd)·tape_t − tape_{t+1} = μ·1_{S_t}``;
    an entry is in the batch where that difference exceeds ``μ/2`` (round-off is ~1e-16 of the
    tape, which stays below ``1/wd`` or ``K·μ``).
    """
    tapes = jnp.asarray(tapes)
    step = (1.0 - learning_rate * weight_decay) * tapes[:-1] - tapes[1:]
    return step > 0.5 * learning_rate
