"""The handwritten digits that scikit-learn ships (no download), for the square-loss classifiers."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, PRNGKeyArray

DIGITS_CLASSES = 10


@functools.lru_cache(maxsize=1)
def _raw_digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits as _sklearn_digits  # bundled with scikit-learn, no download

    bunch = _sklearn_digits()
    return np.asarray(bunch.data, np.float64), np.asarray(bunch.target, np.int64)


def load_digits(
    key: PRNGKeyArray, *, test_fraction: float = 0.25, train_size: int | None = None
) -> tuple[Float[Array, "n 64"], Float[Array, "n 10"], Float[Array, "m 64"], Float[Array, "m 10"]]:
    """scikit-learn's 8×8 handwritten digits (1797 × 64, 10 classes) with a train/test split.

    The split is a random permutation drawn from ``key`` (the same key gives the same split): the
    last ``round(test_fraction·1797)`` samples of the permutation are the test set, the first
    ``train_size`` (default: all the others) the training set. Inputs are standardised with the
    training set's per-pixel mean and standard deviation (pixels that are constant on the training
    set are only centred); targets are one-hot, for the square loss. Traceable in ``key`` (the raw
    data are constants), so a simulator can load it under ``jit``.

    Returns:
      ``(x_train, y_train, x_test, y_test)``.
    """
    if not 0.0 < float(test_fraction) < 1.0:
        raise ValueError(f"test_fraction must lie in (0, 1), got {test_fraction!r}")
    data, labels = _raw_digits()
    n_total = data.shape[0]
    n_test = int(round(test_fraction * n_total))
    n_available = n_total - n_test
    if train_size is None:
        train_size = n_available
    if isinstance(train_size, bool) or not isinstance(train_size, int) or not 1 <= train_size <= n_available:
        raise ValueError(f"train_size must be an integer in [1, {n_available}], got {train_size!r}")
    order = jax.random.permutation(key, n_total)
    # An explicit dtype: jax 0.10 caches a numpy constant that jit captured (these cached arrays
    # are) by identity, so a float32 process's copy would come back inside a float64 scope.
    x = jnp.asarray(data, dtype=jax.dtypes.canonicalize_dtype(jnp.float64))[order]
    y = jax.nn.one_hot(jnp.asarray(labels, dtype=jax.dtypes.canonicalize_dtype(jnp.int64))[order],
                       DIGITS_CLASSES, dtype=x.dtype)
    x_train, y_train = x[:train_size], y[:train_size]
    x_test, y_test = x[n_available:], y[n_available:]
    mean = x_train.mean(axis=0, keepdims=True)
    std = x_train.std(axis=0, keepdims=True)
    scale = jnp.where(std > 0, std, 1.0)
    return (x_train - mean) / scale, y_train, (x_test - mean) / scale, y_test
