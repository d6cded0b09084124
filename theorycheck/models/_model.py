"""The pure-function model contract: ``init(key) -> params``, ``apply(params, x) -> y``."""

from collections.abc import Callable
from typing import Any, NamedTuple

import math
import jax
import jax.numpy as jnp


class Model(NamedTuple):
    """A model as a pair of pure functions (jax ``stax``, neural-tangents style).

    Attributes:
      init: ``init(key) -> params``, a pytree of arrays.
      apply: ``apply(params, x) -> y`` on a batch ``x`` of shape ``(n, d_in)``.
    """

    init: Callable[[jax.Array], Any]
    apply: Callable[[Any, jax.Array], jax.Array]


ACTIVATIONS: dict[str, Callable[[jax.Array], jax.Array]] = {
    "relu": jax.nn.relu,
    "tanh": jnp.tanh,
    "elu": jax.nn.elu,
    "softplus": jax.nn.softplus,
    "linear": lambda z: z,
}


def resolve_activation(activation: str | Callable) -> Callable[[jax.Array], jax.Array]:
    """An activation by name (``relu``, ``tanh``, ``elu``, ``softplus``, ``linear``) or a callable."""
    if callable(activation):
        return activation
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"activation={activation!r} is unknown; use one of {sorted(ACTIVATIONS)} or a callable"
        )
    return ACTIVATIONS[activation]


def require_positive_int(name: str, value) -> int:
    """``value`` as an int >= 1, or a ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def require_positive(name: str, value) -> float:
    """``value`` as a finite float > 0, or a ValueError naming ``name``."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a positive number, got {value!r}") from None
    if not math.isfinite(number) or number <= 0:  # not jnp: this also runs while tracing
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return number
