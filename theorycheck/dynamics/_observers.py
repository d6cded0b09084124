"""Observers: what a simulator records every ``every`` steps.

An observer is ``Observer(init, observe)`` with ``init(params, key) -> state`` and
``observe(params, state, key) -> (record, state)``. The state lets an observer warm-start (the top
Hessian eigenvector) or compare with the previous record (consecutive gradients). Stateless
observers are plain functions ``(params, key) -> pytree`` wrapped by :func:`stateless`.
"""

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from ._lanczos import hessian_vector_product, lanczos_top_eigenpairs
from ._validation import warn_if_below_resolution


class Observer(NamedTuple):
    """``init(params, key) -> state``; ``observe(params, state, key) -> (record, state)``."""

    init: Callable[[Any, jax.Array], Any]
    observe: Callable[[Any, Any, jax.Array], tuple[Any, Any]]


def stateless(fn: Callable[[Any, jax.Array], Any]) -> Observer:
    """An observer from a function ``fn(params, key) -> pytree``."""
    return Observer(lambda params, key: (), lambda params, state, key: (fn(params, key), state))


def loss_observer(loss_fn: Callable[[Any], jax.Array]) -> Observer:
    """Records ``loss_fn(params)`` (e.g. the full-batch loss during SGD, or a test loss)."""
    return stateless(lambda params, key: loss_fn(params))


def parameter_norms() -> Observer:
    """Records the Frobenius norm of every leaf (per-layer weight norms), as a pytree of scalars."""
    return stateless(lambda params, key: jax.tree.map(jnp.linalg.norm, params))


def _cosine(previous: jax.Array, current: jax.Array) -> jax.Array:
    """cos between two arrays of the same shape (all entries), NaN when either is zero (0/0)."""
    return jnp.vdot(previous, current) / (jnp.linalg.norm(previous) * jnp.linalg.norm(current))


def _consecutive_cosines(gradient_of: Callable[[Any], Any]) -> Observer:
    """``cos(g_prev, g)`` leaf by leaf of ``gradient_of(params)``; the first record is NaN."""

    def init(params, key):
        g = gradient_of(params)
        return {"previous": jax.tree.map(jnp.zeros_like, g), "has_previous": jnp.array(False)}

    def observe(params, state, key):
        g = gradient_of(params)
        cosines = jax.tree.map(_cosine, state["previous"], g)
        cosines = jax.tree.map(lambda c: jnp.where(state["has_previous"], c, jnp.nan), cosines)
        return cosines, {"previous": g, "has_previous": jnp.array(True)}

    return Observer(init, observe)


def gradient_cosine(loss_fn: Callable[[Any], jax.Array]) -> Observer:
    """Records ``cos(g_prev, g)`` between the gradient now and at the previous record.

    With ``every = 1`` these are consecutive GD steps (shared/THEORY.md §1 item 4, §13). The first
    record has no predecessor and is NaN.
    """
    return _consecutive_cosines(lambda params: ravel_pytree(jax.grad(loss_fn)(params))[0])


def layer_gradient_cosines(
    loss_fn: Callable[[Any], jax.Array],
    group: Callable[[Any], Any] | None = None,
) -> Observer:
    """Records ``cos(g_prev, g)`` per layer: the consecutive-gradient cosine of each leaf.

    The whole-vector :func:`gradient_cosine` restricted to each block of parameters. With
    ``group=None`` a record is a pytree like ``params`` holding one scalar per leaf (for a
    bias-free :func:`models.mlp` or :func:`models.conv_net`, one per layer); ``group`` maps the
    gradient pytree to another pytree of arrays and one cosine is recorded per leaf of *that*
    (e.g. ``lambda g: [ravel_pytree(layer)[0] for layer in g]`` for one cosine per layer of a
    list of ``{"w", "b"}`` dicts). Morchdi et al. (Allerton 2023) report gradient oscillation
    layer by layer (shared/THEORY.md §13).

    Conventions: the first record has no predecessor and is NaN in every leaf (as
    :func:`gradient_cosine`); a leaf whose gradient is exactly zero at either record (a dead
    layer, a frozen parameter) gives NaN for that leaf — 0/0, no direction, never a crash and never
    a made-up 0 or ±1. Once a simulator has diverged every leaf is NaN.

    Args:
      loss_fn: ``loss_fn(params) -> scalar`` on the full data (closed over).
      group: optional ``group(grads) -> pytree of arrays``; traced, applied to each gradient.

    Returns:
      An :class:`Observer` whose record is a pytree of scalars (the structure of ``params``, or
      of ``group``'s output).
    """
    if group is not None and not callable(group):
        raise ValueError(f"group must be a function grads -> pytree of arrays or None, got {group!r}")
    group = group or (lambda grads: grads)
    return _consecutive_cosines(lambda params: group(jax.grad(loss_fn)(params)))


def top_hessian_eigenvalues(
    loss_fn: Callable[[Any], jax.Array],
    *,
    k: int = 1,
    num_iterations: int = 20,
    rtol: float = 1e-3,
) -> Observer:
    """Records the top-``k`` Hessian eigenvalues (the sharpness when ``k = 1``) by Lanczos.

    Each record holds ``eigenvalues (k,)``, ``residuals (k,)`` = ``‖Hv − λv‖`` and ``converged
    (k,)`` = ``residual <= rtol·|λ|``; an unconverged estimate is flagged, never passed off as
    converged. Hessian-vector products are exact (``jvp`` of ``grad``). The Krylov basis starts
    from the previous record's top eigenvector, so tracking the sharpness along a run costs
    ``num_iterations + k`` HVPs per record. (A prototype at the edge of stability found
    20 warm-started power iterations 2–5% low where Lanczos with 20 HVPs matched
    ``scipy.sparse.linalg.eigsh`` to 0.1%: the top eigenvalues bunch together there.)
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    if not isinstance(num_iterations, int) or num_iterations < k:
        raise ValueError(f"num_iterations must be an integer >= k={k}, got {num_iterations!r}")

    def init(params, key):
        flat, _ = ravel_pytree(params)
        return jax.random.normal(key, flat.shape, flat.dtype)

    def observe(params, start, key):
        warn_if_below_resolution("top_hessian_eigenvalues rtol", rtol, start.dtype)
        pairs = lanczos_top_eigenpairs(
            hessian_vector_product(loss_fn, params), start, key, num_iterations=num_iterations, k=k
        )
        record = {
            "eigenvalues": pairs.eigenvalues,
            "residuals": pairs.residuals,
            "converged": pairs.residuals <= rtol * jnp.abs(pairs.eigenvalues),
        }
        return record, pairs.eigenvectors[0]

    return Observer(init, observe)


def from_record(observer: Observer, start: int) -> Observer:
    """``observer`` recorded only from its ``start``-th record on; earlier records are NaN.

    For an expensive observer needed only over the end of a run (the per-sample gradient
    variance over the last tenth of ``sgd_noise``'s steps): ``observer`` is called (``lax.cond``)
    only from record ``start`` on (0-based; record ``i`` is taken before step ``i·every``), so its
    state starts there, as if the run began at that record (a consecutive-gradient cosine is NaN
    at record ``start``). Under ``vmap`` (a sweep) ``lax.cond`` evaluates both branches, so there
    the saving is lost but the records are the same. Integer and boolean leaves of a skipped
    record are 0/false.
    """
    if not isinstance(observer, Observer):
        raise ValueError(f"observer must be a dynamics.Observer, got {type(observer).__name__}")
    if isinstance(start, bool) or not isinstance(start, int) or start < 0:
        raise ValueError(f"start must be an integer >= 0 (a record index), got {start!r}")

    def init(params, key):
        return {"inner": observer.init(params, key), "index": jnp.array(0, jnp.int32)}

    def observe(params, state, key):
        shapes = jax.eval_shape(observer.observe, params, state["inner"], key)[0]

        def skipped(inner):
            blank = jax.tree.map(
                lambda s: jnp.full(s.shape, jnp.nan, s.dtype) if jnp.issubdtype(s.dtype, jnp.inexact)
                else jnp.zeros(s.shape, s.dtype), shapes)
            return blank, inner

        record, inner = jax.lax.cond(state["index"] >= start, lambda inner: observer.observe(params, inner, key),
                                     skipped, state["inner"])
        return record, {"inner": inner, "index": state["index"] + 1}

    return Observer(init, observe)
