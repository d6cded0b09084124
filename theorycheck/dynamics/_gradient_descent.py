"""Full-batch gradient descent and minibatch SGD as one ``lax.scan`` simulator."""

from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import optax

from ._observers import Observer
from ._progress import report_steps
from ._trajectory import STATUS_COMPLETED, STATUS_DIVERGED, STATUS_INVALID_HYPERPARAMS, Trajectory
from ._validation import (
    check_hyperparams,
    require_every,
    require_finite_tree,
    require_positive_int,
    require_transformation,
)

# grad_fn(params, key) -> (loss, grads, extra_args): the only thing GD and SGD do differently.
# extra_args ({} for GD, {"batch": batch} for SGD) reach an optimizer that takes them.
GradFn = Callable[[Any, jax.Array], tuple[jax.Array, Any, dict]]


def optimizer_update(optimizer: optax.GradientTransformation):
    """``update(grads, state, params, **extra_args)`` for any optax transformation.

    An ``optax.GradientTransformationExtraArgs`` (``optax.chain`` and ``inject_hyperparams`` are
    ones; each passes the keywords on only to the parts that take them) is called with the step's
    ``value`` (the loss at ``params``) and, in :func:`sgd`, its ``batch``: what an update rule that
    needs the loss itself (a natural gradient's Fisher, a proximal step's inner problem) reads. A
    plain ``GradientTransformation`` is called with ``(grads, state, params)`` alone.
    """
    if isinstance(optimizer, optax.GradientTransformationExtraArgs):
        return optimizer.update

    def update(grads, state, params, **extra_args):
        del extra_args
        return optimizer.update(grads, state, params)

    return update


def _tree_all_finite(tree) -> jax.Array:
    leaves = [jnp.all(jnp.isfinite(x)) for x in jax.tree.leaves(tree)]
    return jnp.all(jnp.stack(leaves)) if leaves else jnp.array(True)


def _tree_select(pred, on_true, on_false):
    return jax.tree.map(lambda a, b: jnp.where(pred, a, b), on_true, on_false)


def nan_after(diverged, record):
    """``record`` with its floating leaves replaced by NaN when ``diverged``."""
    return jax.tree.map(
        lambda r: jnp.where(diverged, jnp.nan, r) if jnp.issubdtype(r.dtype, jnp.inexact) else r,
        record,
    )


def observe_all(observers: Mapping[str, Observer], params, states, key, opt_state=None):
    """Runs every observer once: ``({name: record}, {name: state})``.

    An observer with ``reads_optimizer_state`` also receives ``opt_state`` (the optimizer state
    that the next update will use).
    """
    records, new_states = {}, {}
    for (name, observer), sub in zip(observers.items(), jax.random.split(key, max(len(observers), 1))):
        if observer.reads_optimizer_state:
            records[name], new_states[name] = observer.observe(params, states[name], sub, opt_state)
        else:
            records[name], new_states[name] = observer.observe(params, states[name], sub)
    return records, new_states


def init_observers(observers: Mapping[str, Observer], params, key, opt_state=None):
    keys = jax.random.split(key, max(len(observers), 1))
    return {name: obs.init(params, sub, opt_state) if obs.reads_optimizer_state else obs.init(params, sub)
            for (name, obs), sub in zip(observers.items(), keys)}


def check_observers(observers, *, simulator: str | None = None) -> dict[str, Observer]:
    """``observers`` as a dict, each an :class:`Observer`.

    ``simulator`` names a simulator without optimizer state (``"gradient_flow"``): an observer
    that reads the optimizer state is then a ``ValueError``.
    """
    observers = dict(observers or {})
    for name, observer in observers.items():
        if not isinstance(observer, Observer):
            raise ValueError(
                f"observers[{name!r}] must be a dynamics.Observer, got {type(observer).__name__}; "
                "wrap a function (params, key) -> pytree with dynamics.stateless"
            )
        if simulator is not None and observer.reads_optimizer_state:
            raise ValueError(
                f"observers[{name!r}] reads the optimizer state (reads_optimizer_state=True), but "
                f"{simulator} has no optimizer; use it with dynamics.gradient_descent or dynamics.sgd"
            )
    return observers


def with_hyperparams(opt_state, hyperparams: Mapping[str, Any] | None):
    """``opt_state`` of an ``optax.inject_hyperparams`` optimizer with some values replaced."""
    if not hyperparams:
        return opt_state
    if not isinstance(opt_state, (optax.InjectHyperparamsState, optax.InjectStatefulHyperparamsState)):
        raise ValueError(
            "hyperparams were given but the optimizer does not expose any; build it with "
            "dynamics.plain_sgd(...) or optax.inject_hyperparams(...)"
        )
    unknown = set(hyperparams) - set(opt_state.hyperparams)
    if unknown:
        raise ValueError(
            f"unknown hyperparams {sorted(unknown)}; this optimizer has {sorted(opt_state.hyperparams)}"
        )
    replaced = dict(opt_state.hyperparams)
    for name, value in hyperparams.items():
        replaced[name] = jnp.asarray(value, dtype=jnp.asarray(replaced[name]).dtype)
    return opt_state._replace(hyperparams=replaced)


# Injected hyperparameters with a sign constraint, checked as data (they may be traced).
_POSITIVE_HYPERPARAMS = ("learning_rate",)
_NONNEGATIVE_HYPERPARAMS = ("momentum", "weight_decay", "eps")
_UNIT_INTERVAL_HYPERPARAMS = ("b1", "b2", "decay")  # moment averages: [0, 1)


def hyperparams_valid(opt_state) -> jax.Array:
    """Whether the injected ``learning_rate`` is finite and > 0, ``momentum``/``weight_decay``/``eps``
    finite and >= 0 and ``b1``/``b2``/``decay`` in [0, 1), as a boolean array (works on traced values, under ``jit`` and ``vmap``).

    Optimizers that do not expose their hyperparameters (plain ``optax.sgd(lr)``) are not checked.
    """
    if not isinstance(opt_state, (optax.InjectHyperparamsState, optax.InjectStatefulHyperparamsState)):
        return jnp.array(True)
    valid = jnp.array(True)
    for name, value in opt_state.hyperparams.items():
        value = jnp.asarray(value)
        if name in _POSITIVE_HYPERPARAMS:
            valid = valid & jnp.all(jnp.isfinite(value) & (value > 0))
        elif name in _NONNEGATIVE_HYPERPARAMS:
            valid = valid & jnp.all(jnp.isfinite(value) & (value >= 0))
        elif name in _UNIT_INTERVAL_HYPERPARAMS:
            valid = valid & jnp.all((value >= 0) & (value < 1))
    return valid


def update_step(grad_fn: GradFn, optimizer: optax.GradientTransformation):
    """The scan body of one GD/SGD update, shared by every simulator built on :func:`_simulator`.

    ``step((params, opt_state, diverged, diverged_at, t), key) -> (carry, loss)``: a non-finite
    loss or gradient sets ``diverged`` (and ``diverged_at = t``) and freezes ``params`` and
    ``opt_state`` from then on.
    """

    update = optimizer_update(optimizer)

    def step(carry, key):
        # `diverged` freezes the run; it starts true when the hyperparameters are invalid
        params, opt_state, diverged, diverged_at, t = carry
        loss, grads, extra_args = grad_fn(params, key)
        updates, new_opt_state = update(grads, opt_state, params, value=loss, **extra_args)
        bad = ~(jnp.isfinite(loss) & _tree_all_finite(grads))
        diverged_at = jnp.where(~diverged & bad, t, diverged_at)
        diverged = diverged | bad
        params = _tree_select(diverged, params, optax.apply_updates(params, updates))
        opt_state = _tree_select(diverged, opt_state, new_opt_state)
        return (params, opt_state, diverged, diverged_at, t + 1), loss

    return step


def block_keys(key: jax.Array, num_records: int):
    """``(key_init, key_observe, key_steps)`` of a run from ``key``: the observers' init key, and
    ``num_records + 1`` keys for the records and for each block of steps (block ``r`` draws its
    ``every`` step keys as ``jax.random.split(key_steps[r], every)``; the last is never used).
    A simulator that replays :func:`sgd`'s batches (``dynamics.population_training``) derives
    them here too."""
    key_init, key_loop, key_last = jax.random.split(key, 3)
    keys = jax.vmap(jax.random.split)(jax.random.split(key_loop, num_records))  # (observe, steps)
    key_observe = jnp.concatenate([keys[:, 0], key_last[None]])
    key_steps = jnp.concatenate([keys[:, 1], key_last[None]])
    return key_init, key_observe, key_steps


def _simulator(
    grad_fn: GradFn,
    optimizer: optax.GradientTransformation,
    *,
    num_steps: int,
    every: int,
    observers: Mapping[str, Observer] | None,
) -> Callable[..., Trajectory]:
    require_transformation(optimizer)
    require_every(num_steps, every)
    observers = check_observers(observers)
    num_records = num_steps // every
    step = update_step(grad_fn, optimizer)

    def block(carry, xs):
        # records are taken before each block of `every` steps; the last of the num_records + 1
        # iterations only observes (its `cond` skips the steps: the predicate is the unbatched
        # index, so it stays a branch under vmap). One trace of every observer, not two.
        state, obs_states = carry
        index, key_observe, key_steps = xs
        records, obs_states = observe_all(observers, state[0], obs_states, key_observe, state[1])

        def advance(state):
            state, losses = jax.lax.scan(step, state, jax.random.split(key_steps, every))
            report_steps(state[4], num_steps, num_records, state[4] // every)
            return state, losses

        def stay(state):
            return state, jnp.zeros((every,), jax.eval_shape(advance, state)[1].dtype)

        state, losses = jax.lax.cond(index < num_records, advance, stay, state)
        return (state, obs_states), (nan_after(carry[0][2], records), losses)

    def run(params0, key: jax.Array, hyperparams: Mapping[str, Any] | None = None) -> Trajectory:
        """Simulates from ``params0``; ``hyperparams`` replace the optimizer's injected values."""
        require_finite_tree("params0", params0)
        check_hyperparams(hyperparams)
        opt_state = with_hyperparams(optimizer.init(params0), hyperparams)
        valid = hyperparams_valid(opt_state)
        key_init, key_observe, key_steps = block_keys(key, num_records)
        obs_states = init_observers(observers, params0, key_init, opt_state)
        state = (params0, opt_state, ~valid, jnp.array(-1), jnp.array(0))
        (state, _), (records, losses) = jax.lax.scan(
            block, (state, obs_states), (jnp.arange(num_records + 1), key_observe, key_steps)
        )
        losses = losses[:num_records]
        params, _, frozen, diverged_at, _ = state
        diverged = frozen & valid
        status = jnp.where(diverged, STATUS_DIVERGED, STATUS_COMPLETED)
        return Trajectory(
            times=jnp.arange(0, num_steps + 1, every),
            observations=records,
            losses=jnp.where(valid, losses.reshape(num_steps), jnp.nan),
            final_params=params,
            final_time=jnp.where(valid, jnp.where(diverged, diverged_at, num_steps), 0),
            diverged=diverged,
            diverged_at=diverged_at,
            status=jnp.where(valid, status, STATUS_INVALID_HYPERPARAMS),
        )

    return run


def gradient_descent(
    loss_fn: Callable[[Any], jax.Array],
    optimizer: optax.GradientTransformation,
    *,
    num_steps: int,
    every: int = 1,
    observers: Mapping[str, Observer] | None = None,
) -> Callable[..., Trajectory]:
    """Full-batch gradient descent: ``θ_{t+1} = θ_t + update(∇L(θ_t))``, as a ``lax.scan``.

    Args:
      loss_fn: ``loss_fn(params) -> scalar`` on the full data (closed over).
      optimizer: any optax transformation; build it with :func:`plain_sgd` (or
        ``optax.inject_hyperparams``) to sweep its hyperparameters as data.
        An ``optax.GradientTransformationExtraArgs`` also receives ``value=`` the loss at the
        current parameters (and, in :func:`sgd`, ``batch=`` the step's minibatch).
      num_steps: number of updates (static).
      every: record the observers every ``every`` steps (static, divides ``num_steps``); records
        are taken at steps ``0, every, ..., num_steps`` (a nested scan).
      observers: ``{name: Observer}``. One with ``reads_optimizer_state`` is called as
        ``init(params, key, opt_state)`` and ``observe(params, state, key, opt_state)``, where
        ``opt_state`` is the state the next update will use (after ``t`` updates at step ``t``).

    Returns:
      ``run(params0, key, hyperparams=None) -> Trajectory``, pure and un-jitted (the caller jits
      or vmaps it). ``hyperparams`` (e.g. ``{"learning_rate": 0.1}``) are data: a new value does
      not retrace, and ``jax.vmap`` over them is a sweep. A non-finite loss or gradient freezes the
      parameters and is reported in ``Trajectory.diverged``/``diverged_at``; it never raises.

      Concrete hyperparameters are validated when given (``ValueError``). Traced ones (inside
      ``jit``/``vmap``) cannot raise, so they are checked as data: a learning rate that is not
      finite and > 0, or a momentum or weight decay that is not finite and >= 0, is never
      simulated (a negative step size would silently run gradient *ascent*). That run keeps
      ``final_params = params0``, ``final_time = 0``, NaN losses and records, ``diverged`` false,
      and ``status = STATUS_INVALID_HYPERPARAMS``; the other lanes of a ``vmap`` are unaffected.
    """

    def grad_fn(params, key):
        del key
        return (*jax.value_and_grad(loss_fn)(params), {})

    return _simulator(grad_fn, optimizer, num_steps=num_steps, every=every, observers=observers)


def sgd(
    loss_fn: Callable[[Any, Any], jax.Array],
    optimizer: optax.GradientTransformation,
    data,
    *,
    batch_size: int,
    num_steps: int,
    every: int = 1,
    observers: Mapping[str, Observer] | None = None,
) -> Callable[..., Trajectory]:
    """Minibatch SGD: each step draws ``batch_size`` distinct samples uniformly from ``data``.

    Args:
      loss_fn: ``loss_fn(params, batch) -> scalar``, the mean loss over a batch.
      optimizer: as for :func:`gradient_descent`.
      data: a pytree of arrays sharing the leading (sample) axis, e.g. ``(x, y)``.
      batch_size: ``1 <= batch_size <= n``; with ``batch_size = n`` this is full-batch GD.
      num_steps, every, observers: as for :func:`gradient_descent`.

    Returns:
      ``run(params0, key, hyperparams=None) -> Trajectory``; ``losses`` are minibatch losses.
      The batches are drawn from ``key``, so the same key gives the same run. A traced learning
      rate that is not finite and > 0 (or momentum/weight decay not finite and >= 0) is reported
      as ``status = STATUS_INVALID_HYPERPARAMS`` without simulating, as for
      :func:`gradient_descent`.
    """
    grad_fn = minibatch_grad_fn(loss_fn, data, batch_size)
    return _simulator(grad_fn, optimizer, num_steps=num_steps, every=every, observers=observers)


def minibatch_grad_fn(loss_fn, data, batch_size: int) -> GradFn:
    """``grad_fn(params, key) -> (loss, grads, {"batch": batch})`` on ``batch_size`` distinct samples drawn from
    ``key`` (validated as :func:`sgd` documents); shared by :func:`sgd` and
    ``dynamics.population_training``."""
    leaves = jax.tree.leaves(data)
    if not leaves:
        raise ValueError("data must hold at least one array with a leading sample axis")
    n = leaves[0].shape[0] if leaves[0].ndim else 0
    if any(leaf.ndim == 0 or leaf.shape[0] != n for leaf in leaves):
        raise ValueError(
            "every array in data must share the leading sample axis, got shapes "
            f"{[leaf.shape for leaf in leaves]}"
        )
    require_finite_tree("data", data)
    data = jax.tree.map(jnp.asarray, data)  # numpy arrays cannot be indexed by a traced index
    require_positive_int("batch_size", batch_size)
    if batch_size > n:
        raise ValueError(
            f"batch_size={batch_size} is larger than the data ({n} samples); use batch_size <= {n}"
        )

    def grad_fn(params, key):
        index = jax.random.choice(key, n, (batch_size,), replace=False)
        batch = jax.tree.map(lambda a: a[index], data)
        return (*jax.value_and_grad(loss_fn)(params, batch), {"batch": batch})

    return grad_fn
