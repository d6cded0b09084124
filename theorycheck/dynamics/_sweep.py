"""Sweeps: ``vmap`` over data (learning rates, init scales, seeds), sharded across devices."""

from collections.abc import Callable

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec


def batch_sharding(batch_size: int) -> NamedSharding | None:
    """A sharding of a leading batch axis over every device, or None on one device.

    With several devices the batch must divide evenly; otherwise the largest divisor of the
    device count that divides the batch is used.
    """
    devices = jax.devices()
    count = max(d for d in range(1, len(devices) + 1) if len(devices) % d == 0 and batch_size % d == 0)
    if count == 1:
        return None
    mesh = Mesh(np.array(devices[:count]), ("batch",))
    return NamedSharding(mesh, PartitionSpec("batch"))


def sweep(fn: Callable, batched_args: tuple, *, in_axes) -> Callable:
    """``jit(vmap(fn, in_axes))(*batched_args)`` with the batched arguments spread over devices.

    Every argument with a batch axis (``in_axes`` entry 0) is placed with :func:`batch_sharding`;
    the rest are replicated. The numbers do not depend on the device count: each batch element
    carries its own data (and key), and XLA partitions the vmapped computation along the batch.

    Args:
      fn: a pure function of ``len(batched_args)`` positional arguments (pytrees of arrays).
      batched_args: the arguments, a tuple; those swept carry a leading batch axis of one common
        length on every leaf.
      in_axes: one entry per argument, as ``jax.vmap`` takes it but only ``0`` (swept: the
        leading axis of every leaf is the batch) or ``None`` (shared by every element, replicated
        over devices); a tuple/list of the same length as ``batched_args``. At least one entry
        must be ``0``.

    Returns:
      ``fn``'s output pytree with a leading batch axis on every leaf (element ``i`` is
      ``fn`` of the ``i``-th slice of the swept arguments), sharded along that axis.

    Raises:
      ValueError: no argument is swept.

    Examples:
      >>> run = dynamics.gradient_descent(loss, dynamics.plain_sgd(0.1), num_steps=100)
      >>> traj = dynamics.sweep(run, (params0, key, {"learning_rate": jnp.array([0.05, 0.1])}),
      ...                       in_axes=(None, None, 0))
    """
    leaves = [leaf for arg, axis in zip(batched_args, in_axes) if axis == 0 for leaf in jax.tree.leaves(arg)]
    if not leaves:
        raise ValueError("sweep needs at least one argument with in_axes 0 (the swept values)")
    batch = leaves[0].shape[0]
    sharding = batch_sharding(batch)
    args = [
        jax.device_put(arg, sharding) if axis == 0 and sharding is not None else arg
        for arg, axis in zip(batched_args, in_axes)
    ]
    return _jitted_vmap(fn, in_axes)(*args)


_COMPILED: dict = {}


def _jitted_vmap(fn: Callable, in_axes) -> Callable:
    """``jit(vmap(fn, in_axes))``, built once per ``(fn, in_axes)`` so repeated sweeps reuse the
    compile (a fresh ``jit`` object would retrace and recompile on every call)."""
    key = (fn, repr(in_axes))
    if key not in _COMPILED:
        _COMPILED[key] = jax.jit(jax.vmap(fn, in_axes=in_axes))
    return _COMPILED[key]
