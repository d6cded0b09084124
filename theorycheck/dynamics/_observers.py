"""Observers: what a simulator records every ``every`` steps.

An observer is ``Observer(init, observe)`` with ``init(params, key) -> state`` and
``observe(params, state, key) -> (record, state)``. The state lets an observer warm-start (the top
Hessian eigenvector) or compare with the previous record (consecutive gradients). An observer
built with ``reads_optimizer_state=True`` also receives the optimizer state (the preconditioned
sharpness of an adaptive method, :func:`top_preconditioned_hessian_eigenvalues`). Stateless
observers are plain functions ``(params, key) -> pytree`` wrapped by :func:`stateless`.
"""

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

import optax

from ._lanczos import hessian_vector_product, lanczos_top_eigenpairs
from ._validation import warn_if_below_resolution


class Observer(NamedTuple):
    """``init(params, key) -> state``; ``observe(params, state, key) -> (record, state)``.

    With ``reads_optimizer_state=True`` the discrete simulators (:func:`gradient_descent`,
    :func:`sgd`) call ``init(params, key, opt_state)`` and ``observe(params, state, key,
    opt_state)`` with the optimizer state the next update will use; :func:`gradient_flow` has no
    optimizer state and rejects such an observer with a ``ValueError``.
    """

    init: Callable[..., Any]
    observe: Callable[..., tuple[Any, Any]]
    reads_optimizer_state: bool = False


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

    return warm_started_lanczos_observer(lambda params: hessian_vector_product(loss_fn, params), k=k,
                                         num_iterations=num_iterations, rtol=rtol, name="top_hessian_eigenvalues")


def warm_started_lanczos_observer(operator_at: Callable, *, k: int, num_iterations: int, rtol: float,
                                  name: str) -> Observer:
    """The top ``k`` eigenpairs of the symmetric operator ``operator_at(params)`` (a matvec on the
    flattened parameters) by Lanczos, warm-started from the previous record's top eigenvector;
    records ``eigenvalues``, ``residuals`` and ``converged`` (residual <= rtol·|λ|). Shared by
    :func:`top_hessian_eigenvalues` and ``top_fisher_eigenvalues``; ``name`` labels the
    resolution warning."""

    def init(params, key):
        # a zero start: the first record's Lanczos starts from its own random vector (drawn from
        # the record's key), so the compiled program holds one random draw, not two
        flat, _ = ravel_pytree(params)
        return jnp.zeros(flat.shape, flat.dtype)

    def observe(params, start, key):
        warn_if_below_resolution(f"{name} rtol", rtol, start.dtype)
        pairs = lanczos_top_eigenpairs(operator_at(params), start, key, num_iterations=num_iterations, k=k)
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

    def init(params, key, *opt_state):  # opt_state only when the wrapped observer reads it
        return {"inner": observer.init(params, key, *opt_state), "index": jnp.array(0, jnp.int32)}

    def observe(params, state, key, *opt_state):
        inner_observe = lambda inner: observer.observe(params, inner, key, *opt_state)  # noqa: E731
        shapes = jax.eval_shape(inner_observe, state["inner"])[0]

        def skipped(inner):
            blank = jax.tree.map(
                lambda s: jnp.full(s.shape, jnp.nan, s.dtype) if jnp.issubdtype(s.dtype, jnp.inexact)
                else jnp.zeros(s.shape, s.dtype), shapes)
            return blank, inner

        record, inner = jax.lax.cond(state["index"] >= start, inner_observe, skipped, state["inner"])
        return record, {"inner": inner, "index": state["index"] + 1}

    return Observer(init, observe, reads_optimizer_state=observer.reads_optimizer_state)


def _validate_lanczos_args(k, num_iterations):
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    if not isinstance(num_iterations, int) or num_iterations < k:
        raise ValueError(f"num_iterations must be an integer >= k={k}, got {num_iterations!r}")


def top_preconditioned_hessian_eigenvalues(
    loss_fn: Callable[[Any], jax.Array],
    preconditioner_fn: Callable[[Any], Any],
    *,
    k: int = 1,
    num_iterations: int = 20,
    rtol: float = 1e-3,
) -> Observer:
    """The top-``k`` eigenvalues of ``P^{-1/2} H P^{-1/2}`` (the preconditioned sharpness), by Lanczos.

    ``P`` is the diagonal preconditioner an adaptive method divides its step by, read from the
    optimizer state: ``preconditioner_fn(opt_state)`` returns the diagonal of ``P`` (entries > 0),
    either as a pytree shaped like ``params`` or as one flat vector of the parameter count (in
    ``ravel_pytree`` order). :func:`adam_preconditioner` and :func:`rmsprop_preconditioner` build it
    for :func:`adam`/:func:`rmsprop` (or any optax ``scale_by_adam``/``scale_by_rms`` state). The
    eigenvalues of ``P^{-1/2} H P^{-1/2}`` are those of ``P^{-1} H`` (a similarity), the quantity of
    Cohen et al. 2022 (arXiv:2207.14484). Records and cost are those of
    :func:`top_hessian_eigenvalues` (``eigenvalues``, ``residuals``, ``converged``; warm-started,
    ``num_iterations + k`` HVPs per record); a preconditioner that is not finite or not > 0 (e.g.
    before Adam's first update) gives NaN records. The observer has ``reads_optimizer_state``: use
    it with :func:`gradient_descent` or :func:`sgd`.
    """
    _validate_lanczos_args(k, num_iterations)
    if not callable(preconditioner_fn):
        raise ValueError(
            f"preconditioner_fn must be a function opt_state -> diagonal of P, got {type(preconditioner_fn).__name__}; "
            "use dynamics.adam_preconditioner() or dynamics.rmsprop_preconditioner()"
        )

    def init(params, key, opt_state):
        flat, _ = ravel_pytree(params)
        return jnp.zeros(flat.shape, flat.dtype)  # the first record starts from a random vector

    def observe(params, start, key, opt_state):
        warn_if_below_resolution("top_preconditioned_hessian_eigenvalues rtol", rtol, start.dtype)
        diagonal = preconditioner_fn(opt_state)
        flat = diagonal if isinstance(diagonal, jax.Array) and diagonal.ndim == 1 else ravel_pytree(diagonal)[0]
        if flat.shape != start.shape:
            raise ValueError(
                f"preconditioner_fn returned {flat.shape[0]} entries for {start.shape[0]} parameters; "
                "return a pytree like params or a flat vector of the parameter count"
            )
        flat = flat.astype(start.dtype)
        ok = jnp.all(jnp.isfinite(flat) & (flat > 0))
        scale = jnp.where(ok, jax.lax.rsqrt(jnp.where(ok, flat, 1.0)), jnp.nan)
        hvp = hessian_vector_product(loss_fn, params)
        pairs = lanczos_top_eigenpairs(lambda v: scale * hvp(scale * v), start, key, num_iterations=num_iterations, k=k)
        record = {
            "eigenvalues": pairs.eigenvalues,
            "residuals": pairs.residuals,
            "converged": pairs.residuals <= rtol * jnp.abs(pairs.eigenvalues),
        }
        return record, pairs.eigenvectors[0]

    return Observer(init, observe, reads_optimizer_state=True)


def _states_of(opt_state, kind):
    return [s for s in jax.tree.leaves(opt_state, is_leaf=lambda x: isinstance(x, kind)) if isinstance(s, kind)]


def _one_state(opt_state, kind, builder):
    found = _states_of(opt_state, kind)
    if len(found) != 1:
        raise ValueError(
            f"{builder} needs exactly one optax.{kind.__name__} in the optimizer state, found {len(found)}; "
            f"build the optimizer with dynamics.{builder.split('_')[0]}(...) (or an optax chain holding one)"
        )
    return found[0]


def _injected(opt_state, name, builder):
    for state in _states_of(opt_state, (optax.InjectHyperparamsState, optax.InjectStatefulHyperparamsState)):
        if name in state.hyperparams:
            return state.hyperparams[name]
    raise ValueError(
        f"{builder}: {name} is not an injected hyperparameter of this optimizer; pass {name}=... explicitly"
    )


def adam_preconditioner(*, b2=None, eps=None) -> Callable[[Any], Any]:
    """``opt_state -> diag(P)`` for Adam: ``P = √ν̂ + eps``, ``ν̂ = ν/(1 − b2ᵗ)`` (a pytree like params).

    Finds the one ``optax.ScaleByAdamState`` anywhere in the state (chained, injected) and uses its
    ``nu`` and ``count`` = t: the denominator of torch's/optax's Adam step ``lr·m̂/(√ν̂ + eps)``.
    ``b2`` and ``eps`` default to the values injected by :func:`adam` (``optax.inject_hyperparams``),
    so a swept ``b2``/``eps`` stays data. Before the first update (t = 0) ``ν̂`` is 0/0: the entries
    are NaN (no preconditioner exists yet). Adam's first-moment correction ``1 − b1ᵗ`` is not part
    of ``P`` (Cohen et al. 2022 fold it in; it is 1 to 1e-20 after 500 steps at b1 = 0.9).
    """

    def preconditioner(opt_state):
        state = _one_state(opt_state, optax.ScaleByAdamState, "adam_preconditioner")
        decay = _injected(opt_state, "b2", "adam_preconditioner") if b2 is None else b2
        offset = _injected(opt_state, "eps", "adam_preconditioner") if eps is None else eps
        t = jnp.asarray(state.count)
        correction = 1.0 - jnp.asarray(decay) ** t
        safe = jnp.where(t > 0, correction, 1.0)
        return jax.tree.map(lambda nu: jnp.where(t > 0, jnp.sqrt(nu / safe) + offset, jnp.nan), state.nu)

    return preconditioner


def rmsprop_preconditioner(*, eps=None) -> Callable[[Any], Any]:
    """``opt_state -> diag(P)`` for RMSProp (torch's form): ``P = √ν + eps``, no bias correction.

    Finds the one ``optax.ScaleByRmsState`` anywhere in the state and uses its ``nu``: the
    denominator of :func:`rmsprop`'s step ``lr·g/(√ν + eps)``. ``eps`` defaults to the injected
    value of :func:`rmsprop`. While ν is still all zero (before the first update: nothing has been
    averaged, and ``P = eps`` would make the preconditioned sharpness ``λ/eps``) the entries are NaN.
    """

    def preconditioner(opt_state):
        state = _one_state(opt_state, optax.ScaleByRmsState, "rmsprop_preconditioner")
        offset = _injected(opt_state, "eps", "rmsprop_preconditioner") if eps is None else eps
        started = jnp.any(jnp.stack([jnp.any(nu != 0) for nu in jax.tree.leaves(state.nu)]))
        return jax.tree.map(lambda nu: jnp.where(started, jnp.sqrt(nu) + offset, jnp.nan), state.nu)

    return preconditioner
