"""Update rules whose swept hyperparameters are data (``optax.inject_hyperparams``)."""

import optax

from ._validation import require_nonnegative_scalar, require_positive_scalar


def _sgd_with_l2(learning_rate, momentum, weight_decay):
    return optax.chain(
        optax.add_decayed_weights(weight_decay),
        optax.sgd(learning_rate, momentum=momentum),
    )


def plain_sgd(learning_rate, *, momentum=0.0, weight_decay=0.0) -> optax.GradientTransformation:
    """(S)GD with heavy-ball momentum and coupled L2 weight decay, hyperparameters as data.

    The update is ``m ← g + wd·θ + momentum·m``, ``θ ← θ − lr·m``. With ``momentum = 0`` it is
    exactly ``θ ← (1 − lr·wd)θ − lr·g`` (so a paper's ``L + λ‖θ‖²`` needs ``wd = 2λ``;
    shared/THEORY.md conventions). The three values live in the optimizer state
    (``optax.inject_hyperparams``), so a simulator's ``run(params0, key, hyperparams)`` can replace
    them without retracing and a sweep over them is one ``vmap``.
    """
    require_positive_scalar("learning_rate", learning_rate)
    require_nonnegative_scalar("momentum", momentum)
    require_nonnegative_scalar("weight_decay", weight_decay)
    return optax.inject_hyperparams(_sgd_with_l2)(
        learning_rate=learning_rate, momentum=momentum, weight_decay=weight_decay
    )
