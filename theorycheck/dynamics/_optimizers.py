"""Update rules whose swept hyperparameters are data (``optax.inject_hyperparams``)."""

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ._validation import require_nonnegative_scalar, require_positive_scalar


def _decayed_weights_unless_zero(weight_decay) -> optax.GradientTransformation:
    """``g + wd·θ``, skipped by a ``cond`` when ``wd == 0``: reading θ into the update costs the
    55k-parameter EoS job ~10% of its GD steps (scripts/bench_eos.py). An unbatched traced ``wd``
    keeps the branch; under ``vmap`` over ``wd`` it becomes a select, as before."""

    def update(updates, state, params):
        if params is None:
            raise ValueError("weight decay needs params: call update(grads, state, params)")
        decayed = jax.lax.cond(
            weight_decay == 0,
            lambda: updates,
            lambda: jax.tree.map(lambda g, p: g + weight_decay * p, updates, params),
        )
        return decayed, state

    return optax.GradientTransformation(lambda params: optax.EmptyState(), update)


def _sgd_with_l2(learning_rate, momentum, weight_decay):
    return optax.chain(
        _decayed_weights_unless_zero(weight_decay),
        optax.sgd(learning_rate, momentum=momentum),
    )


def plain_sgd(learning_rate, *, momentum=0.0, weight_decay=0.0) -> optax.GradientTransformation:
    """(S)GD with heavy-ball momentum and coupled L2 weight decay, hyperparameters as data.

    The update is ``m ← g + wd·θ + momentum·m``, ``θ ← θ − lr·m``. With ``momentum = 0`` it is
    exactly ``θ ← (1 − lr·wd)θ − lr·g`` (so a paper's ``L + λ‖θ‖²`` needs ``wd = 2λ``;
    shared/THEORY.md conventions). The three values live in the optimizer state
    (``optax.inject_hyperparams``), so a simulator's ``run(params0, key, hyperparams)`` can replace
    them without retracing and a sweep over them is one ``vmap``.

    Args:
      learning_rate: step size, finite and > 0 (a Python/numpy number or a real array, traced
        values included).
      momentum: heavy-ball momentum (not Nesterov), finite and >= 0.
      weight_decay: coupled L2 coefficient, finite and >= 0.

    Raises:
      ValueError: naming the argument, for a non-numeric value (a string, a bool, ``None`` for
        ``learning_rate``) or a concrete value out of range (NaN and inf included). A traced value
        out of range cannot raise; the simulators report it as
        ``Trajectory.status == STATUS_INVALID_HYPERPARAMS`` instead of running.
    """
    if learning_rate is None:
        raise ValueError("learning_rate must be a real number > 0, got None; pass e.g. learning_rate=0.1")
    require_positive_scalar("learning_rate", learning_rate)
    require_nonnegative_scalar("momentum", momentum)
    require_nonnegative_scalar("weight_decay", weight_decay)
    # optax injects only Python numbers and JAX arrays; a numpy scalar would silently become static
    learning_rate, momentum, weight_decay = (
        jnp.asarray(v) if isinstance(v, (np.generic, np.ndarray)) else v
        for v in (learning_rate, momentum, weight_decay)
    )
    return optax.inject_hyperparams(_sgd_with_l2)(
        learning_rate=learning_rate, momentum=momentum, weight_decay=weight_decay
    )
