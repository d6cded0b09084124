"""Update rules whose swept hyperparameters are data (``optax.inject_hyperparams``)."""

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ._validation import is_concrete, require_nonnegative_scalar, require_positive_scalar


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


def _nesterov_sgd_with_l2(learning_rate, momentum, weight_decay):
    return optax.chain(
        _decayed_weights_unless_zero(weight_decay),
        optax.sgd(learning_rate, momentum=momentum, nesterov=True),
    )


def _require_learning_rate(learning_rate, *, example):
    if learning_rate is None:
        raise ValueError(f"learning_rate must be a real number > 0, got None; pass e.g. learning_rate={example}")
    require_positive_scalar("learning_rate", learning_rate)


def _as_injectable(*values):
    # optax injects only Python numbers and JAX arrays; a numpy scalar would silently become static
    return tuple(jnp.asarray(v) if isinstance(v, (np.generic, np.ndarray)) else v for v in values)


def _require_unit_interval(name, value):
    """``value`` in [0, 1) when concrete (a traced value is checked as data by the simulators)."""
    require_nonnegative_scalar(name, value)
    if value is None or not is_concrete(value):
        return
    if not np.all(np.asarray(value, dtype=float) < 1.0):
        raise ValueError(f"{name} must lie in [0, 1), got {value!r}; an average with {name} >= 1 never forgets")


def plain_sgd(learning_rate, *, momentum=0.0, weight_decay=0.0, nesterov=False) -> optax.GradientTransformation:
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
      nesterov: static; ``True`` gives Nesterov momentum in torch's form, ``m ← g + wd·θ +
        momentum·m``, ``θ ← θ − lr·(g + wd·θ + momentum·m)`` (``torch.optim.SGD(nesterov=True)``,
        optax's ``sgd(nesterov=True)``).

    Raises:
      ValueError: naming the argument, for a non-numeric value (a string, a bool, ``None`` for
        ``learning_rate``) or a concrete value out of range (NaN and inf included). A traced value
        out of range cannot raise; the simulators report it as
        ``Trajectory.status == STATUS_INVALID_HYPERPARAMS`` instead of running.
    """
    _require_learning_rate(learning_rate, example="0.1")
    require_nonnegative_scalar("momentum", momentum)
    require_nonnegative_scalar("weight_decay", weight_decay)
    if not isinstance(nesterov, bool):
        raise ValueError(f"nesterov must be True or False (static), got {nesterov!r}")
    learning_rate, momentum, weight_decay = _as_injectable(learning_rate, momentum, weight_decay)
    return optax.inject_hyperparams(_nesterov_sgd_with_l2 if nesterov else _sgd_with_l2)(
        learning_rate=learning_rate, momentum=momentum, weight_decay=weight_decay
    )


def _torch_rmsprop(learning_rate, decay, eps):
    return optax.chain(
        optax.scale_by_rms(decay=decay, eps=eps, initial_scale=0.0, eps_in_sqrt=False),
        optax.scale_by_learning_rate(learning_rate),
    )


def rmsprop(learning_rate, *, decay=0.99, eps=1e-8) -> optax.GradientTransformation:
    """RMSProp in torch's form (``torch.optim.RMSprop``, no momentum, not centred), hyperparameters as data.

    ``ν ← decay·ν + (1 − decay)·g²`` from ``ν = 0``, ``θ ← θ − lr·g/(√ν + eps)``: no bias
    correction and ``eps`` outside the square root (optax's ``scale_by_rms`` with
    ``eps_in_sqrt=False``). The state holds an ``optax.ScaleByRmsState`` (``nu``), which
    :func:`rmsprop_preconditioner` reads. ``learning_rate``, ``decay`` and ``eps`` are injected
    (``optax.inject_hyperparams``): a new value does not retrace.

    Args:
      learning_rate: step size, finite and > 0.
      decay: the average's decay α (torch's ``alpha``), in [0, 1).
      eps: added to √ν, finite and >= 0.

    Raises:
      ValueError: naming the argument, for a concrete value out of range.
    """
    _require_learning_rate(learning_rate, example="1e-3")
    _require_unit_interval("decay", decay)
    require_nonnegative_scalar("eps", eps)
    learning_rate, decay, eps = _as_injectable(learning_rate, decay, eps)
    return optax.inject_hyperparams(_torch_rmsprop)(learning_rate=learning_rate, decay=decay, eps=eps)


def _torch_adam(learning_rate, b1, b2, eps):
    return optax.chain(
        optax.scale_by_adam(b1=b1, b2=b2, eps=eps, eps_root=0.0),
        optax.scale_by_learning_rate(learning_rate),
    )


def adam(learning_rate, *, b1=0.9, b2=0.999, eps=1e-8) -> optax.GradientTransformation:
    """Adam in torch's form (``torch.optim.Adam``, both bias corrections), hyperparameters as data.

    ``m ← b1·m + (1 − b1)·g``, ``ν ← b2·ν + (1 − b2)·g²`` from zero; after ``t`` updates
    ``m̂ = m/(1 − b1ᵗ)``, ``ν̂ = ν/(1 − b2ᵗ)`` and ``θ ← θ − lr·m̂/(√ν̂ + eps)`` (``eps`` outside
    the root: optax's ``scale_by_adam`` with ``eps_root = 0``). The state holds an
    ``optax.ScaleByAdamState`` (``mu``, ``nu``, ``count``), which :func:`adam_preconditioner`
    reads. All four values are injected (``optax.inject_hyperparams``): a new value does not
    retrace.

    Args:
      learning_rate: step size, finite and > 0.
      b1, b2: the moment averages' decays, in [0, 1).
      eps: added to √ν̂, finite and >= 0.

    Raises:
      ValueError: naming the argument, for a concrete value out of range.
    """
    _require_learning_rate(learning_rate, example="1e-3")
    _require_unit_interval("b1", b1)
    _require_unit_interval("b2", b2)
    require_nonnegative_scalar("eps", eps)
    learning_rate, b1, b2, eps = _as_injectable(learning_rate, b1, b2, eps)
    return optax.inject_hyperparams(_torch_adam)(learning_rate=learning_rate, b1=b1, b2=b2, eps=eps)
