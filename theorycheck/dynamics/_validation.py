"""Configuration checks that run before anything compiles."""

from collections.abc import Mapping

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import optax


def require_positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def is_concrete(x) -> bool:
    """Whether ``x`` has a value now (not a tracer inside jit/vmap)."""
    return not isinstance(x, jax.core.Tracer)


def require_finite_tree(name: str, tree) -> None:
    """A ValueError if a concrete leaf of ``tree`` holds NaN or inf (tracers are skipped)."""
    for path, leaf in jax.tree_util.tree_leaves_with_path(tree):
        if is_concrete(leaf) and np.issubdtype(np.asarray(leaf).dtype, np.inexact):
            if not np.all(np.isfinite(np.asarray(leaf))):
                where = jax.tree_util.keystr(path)
                raise ValueError(f"{name}{where} contains NaN or inf; pass finite values")


def require_real(name: str, value) -> None:
    """A ValueError unless ``value`` is a real number or a real-valued array (tracers included).

    Strings, booleans, complex numbers and other objects are rejected here, by name, instead of
    failing deep inside optax or diffrax (``np.asarray("0.1", dtype=float)`` would even accept a
    string).
    """
    if isinstance(value, (bool, np.bool_)):
        pass
    elif isinstance(value, (int, float, np.integer, np.floating)):
        return
    elif isinstance(value, (np.ndarray, jax.Array)) and (
        jnp.issubdtype(value.dtype, jnp.integer) or jnp.issubdtype(value.dtype, jnp.floating)
    ):
        return
    raise ValueError(
        f"{name} must be a real number or a real-valued array, got {type(value).__name__} {value!r}; "
        f"pass a float such as {name}=0.1"
    )


def require_positive_scalar(name: str, value) -> None:
    """A ValueError if ``value`` is not real, or is concrete and not finite and > 0."""
    if value is None:
        return
    require_real(name, value)
    if not is_concrete(value):
        return
    array = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(array)) or np.any(array <= 0):
        raise ValueError(f"{name} must be finite and > 0, got {value!r}")


def require_nonnegative_scalar(name: str, value) -> None:
    """A ValueError if ``value`` is not real, or is concrete and not finite and >= 0."""
    if value is None:
        return
    require_real(name, value)
    if not is_concrete(value):
        return
    array = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        raise ValueError(f"{name} must be finite and >= 0, got {value!r}")


def warn_if_below_resolution(name: str, tolerance: float, dtype) -> None:
    """Warns (once per call site) when a relative ``tolerance`` is below ~10 ulps of ``dtype``.

    Runs at trace time, so a jitted simulator warns when it is compiled, not at every call.
    """
    if not is_concrete(tolerance) or not jnp.issubdtype(dtype, jnp.floating):
        return
    resolution = 10 * float(jnp.finfo(dtype).eps)
    if float(tolerance) < resolution:
        warnings.warn(
            f"{name}={float(tolerance):g} is below the resolution of {jnp.dtype(dtype).name} "
            f"(~{resolution:.1g}); enable float64 (jax.config.update('jax_enable_x64', True) or "
            "jax.enable_x64(True)) or loosen the tolerance",
            stacklevel=3,
        )


def check_hyperparams(hyperparams: Mapping | None) -> None:
    """Every value real; step sizes > 0, weight decay and momentum >= 0 (only for concrete values)."""
    for key, value in (hyperparams or {}).items():
        require_real(f"hyperparams[{key!r}]", value)
        if key == "learning_rate":
            require_positive_scalar("hyperparams['learning_rate']", value)
        elif key in ("weight_decay", "momentum"):
            require_nonnegative_scalar(f"hyperparams[{key!r}]", value)


def require_transformation(optimizer) -> None:
    if not isinstance(optimizer, optax.GradientTransformation):
        raise ValueError(
            f"optimizer must be an optax.GradientTransformation, got {type(optimizer).__name__}; "
            "build one with dynamics.plain_sgd(...) or optax"
        )


def require_every(num_steps: int, every: int) -> None:
    require_positive_int("num_steps", num_steps)
    require_positive_int("every", every)
    if num_steps % every:
        raise ValueError(
            f"every={every} must divide num_steps={num_steps}; pick num_steps a multiple of every"
        )
