"""Population-based training (PBT): a vmapped population of minibatch-SGD runs with periodic
truncation selection (exploit) and multiplicative hyperparameter perturbation (explore)."""

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.flatten_util import ravel_pytree

from ._gradient_descent import block_keys, hyperparams_valid, minibatch_grad_fn, update_step, with_hyperparams
from ._validation import is_concrete, require_positive_int, require_transformation


class PopulationTrajectory(NamedTuple):
    """The outcome of :func:`population_training` (P members, R rounds of S SGD steps).

    Attributes:
      scores: ``(R, P)`` ``score_fn`` of every member after round ``r``'s steps, before that
        round's selection (``+inf`` for a member that diverged or never ran).
      learning_rates: ``(R, P)`` the perturbed hyperparameter (``learning_rate`` by default) each
        member used during round ``r``.
      sources: ``(R, P)`` int: after round ``r``'s selection member ``i`` holds a copy of member
        ``sources[r, i]``'s state (``i`` itself when it was kept); the last row is ``arange(P)``
        (no selection after the last round).
      factors: ``(R, P)`` the explore factor applied to the copied hyperparameter (1 where kept).
      losses: ``(R, P, S)`` the minibatch losses, before every step.
      final_params: the members' parameters at the end, leading axis ``P``.
      final_hyperparams: ``(P,)`` the perturbed hyperparameter at the end (what round R used).
      diverged: ``(P,)`` whether the member's current state is frozen by a non-finite loss.
      states_before: ``(R, P, n)`` each member's flattened state (parameters and optimizer state
        without the injected hyperparameters) before round ``r``'s selection; only with
        ``record_states=True`` (else ``None``).
      states_copied: ``(R, P, n)`` the same after the exploit and before the explore (weight
        noise); ``states_copied[r, i] == states_before[r, sources[r, i]]`` bit for bit.
    """

    scores: jax.Array
    learning_rates: jax.Array
    sources: jax.Array
    factors: jax.Array
    losses: jax.Array
    final_params: Any
    final_hyperparams: jax.Array
    diverged: jax.Array
    states_before: jax.Array | None = None
    states_copied: jax.Array | None = None


def _flat_state(params, opt_state):
    inner = opt_state.inner_state if isinstance(opt_state, optax.InjectHyperparamsState) else opt_state
    leaves = [x for x in jax.tree.leaves((params, inner)) if jnp.issubdtype(x.dtype, jnp.inexact)]
    return ravel_pytree(leaves)[0]


def _require_data_scalar(name, value, low, high, *, high_open=False, fix):
    if not is_concrete(value):
        return
    v = np.asarray(value, dtype=float)
    bad = not np.all(np.isfinite(v)) or np.any(v < low) or (np.any(v >= high) if high_open else np.any(v > high))
    if bad:
        raise ValueError(f"{name} must lie in [{low}, {high}{')' if high_open else ']'}, got {value!r}; {fix}")


def population_training(
    loss_fn: Callable[[Any, Any], jax.Array],
    optimizer: optax.GradientTransformation,
    data,
    *,
    batch_size: int,
    num_rounds: int,
    steps_per_round: int,
    score_fn: Callable[[Any], jax.Array],
    hyperparam: str = "learning_rate",
    record_states: bool = False,
) -> Callable[..., PopulationTrajectory]:
    """Population-based training of P minibatch-SGD runs, compiled as one ``lax.scan``.

    Each of ``num_rounds`` rounds runs ``steps_per_round`` steps of :func:`sgd` on every member
    (``vmap``; the same update step, :func:`update_step`), scores every member with
    ``score_fn`` (lower is better; e.g. the loss on a fixed held-out set), then, except after
    the last round, applies Jaderberg et al.'s (2017) truncation selection:

    * **exploit**: the ``k = ⌊fraction·P⌋`` worst-scored members each copy the whole state
      (parameters, optimizer state, injected hyperparameters) of a member drawn uniformly from
      the ``k`` best (ties by index; a diverged member scores ``+inf``);
    * **explore**: a copied member multiplies ``hyperparam`` by ``1 − perturb`` or ``1 + perturb``
      (probability ½ each; the paper's 0.8/1.2 is ``perturb = 0.2``) and, if ``weight_noise >
      0``, adds ``N(0, weight_noise²)`` to every parameter.

    Member ``i`` draws its batches from its own key, exactly as
    ``dynamics.sgd(loss_fn, optimizer, data, batch_size=batch_size, num_steps=R·S,
    every=S)(params0[i], member_keys[i], {hyperparam: h[i]})`` does, with ``member_keys =
    jax.random.split(jax.random.split(key)[0], P)``; a copy keeps drawing from its own slot's
    key. So with ``fraction = 0`` the population *is* P independent :func:`sgd` runs, and a
    member that is never replaced follows its independent twin bit for bit.

    Args:
      loss_fn, optimizer, data, batch_size: as for :func:`sgd`; ``optimizer`` must inject
        ``hyperparam`` (:func:`plain_sgd`, ``optax.inject_hyperparams``).
      num_rounds: R >= 1 (static).
      steps_per_round: S >= 1 (static).
      score_fn: ``score_fn(params) -> scalar``, lower is better.
      hyperparam: the injected hyperparameter that explore perturbs.
      record_states: also return every member's flattened state before and after each exploit
        (``(R, P, n)`` twice: memory), for lineage checks.

    Returns:
      ``run(params0, key, hyperparams, *, fraction=0.25, perturb=0.2, weight_noise=0.0,
      invert=False) -> PopulationTrajectory``, pure and un-jitted. ``params0`` has a leading
      population axis P, ``hyperparams`` maps injected names to ``(P,)`` arrays (at least
      ``hyperparam``). ``fraction`` (in [0, ½]), ``perturb`` (in [0, 1)), ``weight_noise``
      (>= 0) and ``invert`` are data: a new value does not retrace. ``invert=True`` ranks by
      ``−score`` (the worst members are the ones copied: a negative control).

    Raises:
      ValueError: bad static configuration, or concrete ``fraction``/``perturb``/
        ``weight_noise`` out of range, or ``hyperparams`` without ``hyperparam``.

    References:
      Jaderberg et al., "Population Based Training of Neural Networks", arXiv:1711.09846 (2017).
    """
    require_transformation(optimizer)
    num_rounds = require_positive_int("num_rounds", num_rounds)
    steps_per_round = require_positive_int("steps_per_round", steps_per_round)
    if not callable(score_fn):
        raise ValueError(f"score_fn must be a function params -> scalar, got {score_fn!r}")
    grad_fn = minibatch_grad_fn(loss_fn, data, batch_size)
    step = update_step(grad_fn, optimizer)

    def train_member(state, key):
        state, losses = jax.lax.scan(step, state, jax.random.split(key, steps_per_round))
        return state, losses

    def score_member(state):
        params, _, diverged, _, _ = state
        s = score_fn(params)
        return jnp.where(diverged | ~jnp.isfinite(s), jnp.inf, s)

    def run(params0, key, hyperparams: Mapping[str, Any], *, fraction=0.25, perturb=0.2, weight_noise=0.0,
            invert=False) -> PopulationTrajectory:
        if not isinstance(hyperparams, Mapping) or hyperparam not in hyperparams:
            raise ValueError(f"hyperparams must map {hyperparam!r} to a (P,) array, got {hyperparams!r}")
        _require_data_scalar("fraction", fraction, 0.0, 0.5, fix="e.g. fraction=0.25 (the paper's 20-25%)")
        _require_data_scalar("perturb", perturb, 0.0, 1.0, high_open=True, fix="e.g. perturb=0.2 (factors 0.8, 1.2)")
        _require_data_scalar("weight_noise", weight_noise, 0.0, np.inf, high_open=True, fix="use weight_noise >= 0")
        size = jax.tree.leaves(params0)[0].shape[0]
        key_members, key_select = jax.random.split(key)
        member_keys = jax.random.split(key_members, size)
        step_keys = jax.vmap(lambda k: block_keys(k, num_rounds)[2])(member_keys)  # (P, R + 1)
        select_keys = jax.random.split(key_select, num_rounds)

        def init_member(params, hp):
            opt_state = with_hyperparams(optimizer.init(params), hp)
            valid = hyperparams_valid(opt_state)
            return (params, opt_state, ~valid, jnp.array(-1), jnp.array(0))

        state = jax.vmap(init_member)(params0, dict(hyperparams))
        k = jnp.floor(jnp.asarray(fraction) * size + 1e-9).astype(jnp.int32)
        index = jnp.arange(size)

        def round_(state, xs):
            r, keys, key_r = xs
            state, losses = jax.vmap(train_member)(state, keys)
            scores = jax.vmap(score_member)(state)
            lrs = state[1].hyperparams[hyperparam]
            before = jax.vmap(_flat_state)(state[0], state[1]) if record_states else None
            ranked = jnp.where(invert, -scores, scores)
            ranked = jnp.where(jnp.isnan(ranked), jnp.inf, ranked)
            order = jnp.argsort(ranked, stable=True)
            rank = jnp.zeros((size,), jnp.int32).at[order].set(index.astype(jnp.int32))
            key_pick, key_factor, key_noise = jax.random.split(key_r, 3)
            replaced = (rank >= size - k) & (k > 0) & (r < num_rounds - 1)
            pick = order[jax.random.randint(key_pick, (size,), 0, jnp.maximum(k, 1))]
            sources = jnp.where(replaced, pick, index)
            state = jax.tree.map(lambda a: a[sources], state)
            copied = jax.vmap(_flat_state)(state[0], state[1]) if record_states else None
            up = jax.random.bernoulli(key_factor, 0.5, (size,))
            factors = jnp.where(replaced, jnp.where(up, 1.0 + perturb, 1.0 - perturb), 1.0).astype(lrs.dtype)
            params, opt_state = state[0], state[1]
            new_hp = dict(opt_state.hyperparams)
            new_hp[hyperparam] = opt_state.hyperparams[hyperparam] * factors
            opt_state = opt_state._replace(hyperparams=new_hp)
            leaves, treedef = jax.tree.flatten(params)
            noise_keys = jax.random.split(key_noise, len(leaves))
            noisy = [
                leaf + (jnp.where(replaced, weight_noise, 0.0).astype(leaf.dtype).reshape((size,) + (1,) * (leaf.ndim - 1))
                        * jax.random.normal(nk, leaf.shape, leaf.dtype))
                for leaf, nk in zip(leaves, noise_keys)
            ]
            params = jax.tree.unflatten(treedef, noisy)
            params = jax.tree.map(lambda new, old: jnp.where(jnp.asarray(weight_noise) > 0, new, old), params, state[0])
            state = (params, opt_state) + tuple(state[2:])
            return state, (scores, lrs, sources, factors, losses, before, copied)

        rounds = (jnp.arange(num_rounds), jnp.swapaxes(step_keys[:, :num_rounds], 0, 1), select_keys)
        state, (scores, lrs, sources, factors, losses, before, copied) = jax.lax.scan(round_, state, rounds)
        return PopulationTrajectory(
            scores=scores, learning_rates=lrs, sources=sources, factors=factors, losses=losses,
            final_params=state[0], final_hyperparams=state[1].hyperparams[hyperparam], diverged=state[2],
            states_before=before, states_copied=copied,
        )

    return run
