"""An imbalanced one-vs-rest task on scikit-learn's bundled handwritten digits (no download)."""

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, Int, PRNGKeyArray

from ._digits import _raw_digits

DIGITS_NEGATIVES = 1600  # at most the smallest "rest" class (1614, for digit 3): the same for every digit


def digits_one_vs_rest(
    key: PRNGKeyArray, digit: Int[Array, ""] | int, *, positives: int, negatives: int = DIGITS_NEGATIVES,
    test_fraction: float = 0.5,
) -> tuple[Float[Array, "n 64"], Float[Array, " n"], Float[Array, "m 64"], Float[Array, " m"]]:
    """``digit`` (label 1) against the other nine (label 0), subsampled to ``positives`` and
    ``negatives`` samples, split stratified into train and test.

    Each class is a uniformly random subset (drawn from ``key``) of its samples; the last
    ``round(test_fraction·count)`` of each class go to the test set. Inputs are standardised with
    the training set's per-pixel mean and standard deviation (constant pixels are only centred).
    ``digit`` may be traced (a ``vmap`` over digits is one compile: every digit has the same
    sample counts); the counts are static. The positive fraction is
    ``positives / (positives + negatives)``.

    Returns:
      ``(x_train, y_train, x_test, y_test)`` with 0/1 float labels, positives first.

    Raises:
      ValueError: ``positives`` not in [2, 174] (the smallest digit class has 174 samples) or
        ``negatives`` not in [2, 1614], or ``test_fraction`` not in (0, 1).
    """
    if isinstance(positives, bool) or not isinstance(positives, int) or not 2 <= positives <= 174:
        raise ValueError(f"positives must be an integer in [2, 174], got {positives!r}")
    if isinstance(negatives, bool) or not isinstance(negatives, int) or not 2 <= negatives <= 1614:
        raise ValueError(f"negatives must be an integer in [2, 1614], got {negatives!r}")
    if not 0.0 < float(test_fraction) < 1.0:
        raise ValueError(f"test_fraction must lie in (0, 1), got {test_fraction!r}")
    data, labels = _raw_digits()
    x, labels = jnp.asarray(data), jnp.asarray(labels)
    is_positive = labels == digit
    key_pos, key_neg = jax.random.split(key)
    # a random order within each class: sort uniform scores, with the other class pushed behind
    order_pos = jnp.argsort(jnp.where(is_positive, 0.0, 2.0) + jax.random.uniform(key_pos, labels.shape))
    order_neg = jnp.argsort(jnp.where(is_positive, 2.0, 0.0) + jax.random.uniform(key_neg, labels.shape))
    pos, neg = order_pos[:positives], order_neg[:negatives]
    train_pos = positives - int(round(test_fraction * positives))
    train_neg = negatives - int(round(test_fraction * negatives))
    train = jnp.concatenate([pos[:train_pos], neg[:train_neg]])
    test = jnp.concatenate([pos[train_pos:], neg[train_neg:]])
    y = is_positive.astype(x.dtype)
    mean = x[train].mean(axis=0, keepdims=True)
    std = x[train].std(axis=0, keepdims=True)
    scale = jnp.where(std > 0, std, 1.0)
    return (x[train] - mean) / scale, y[train], (x[test] - mean) / scale, y[test]
