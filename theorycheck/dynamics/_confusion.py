"""Gradient confusion: pairwise cosine statistics of per-sample gradients, in bounded memory.

Sankararaman, De, Xu, Huang, Goldstein (ICML 2020, arXiv:1904.06963) call a set of per-sample
objectives {f_i} *confused* at w when their gradients point against each other; the statistic
they report is the minimum pairwise cosine min_{i≠j} cos(∇f_i(w), ∇f_j(w)) (shared/THEORY.md §10).
The cosine, not the raw inner product ⟨∇f_i, ∇f_j⟩ ≥ −η of the definition, is what compares across
widths and depths: rescaling every gradient changes η but no cosine.

The n(n − 1)/2 pairs are never held at once: the normalised gradients are split into row blocks of
``chunk_size`` and :func:`jax.lax.map` walks the blocks, each block meeting all n rows
(``chunk_size × n`` cosines in memory), and folds them into running statistics: the minimum and the
maximum, the sum (the mean), the minimum raw inner product, and a histogram on [−1, 1] from which
the quantiles are read (to within one bin, ``2/bins``).
"""

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree
from jaxtyping import Array, Float

from ._observers import Observer, stateless


def per_sample_gradients(loss_fn: Callable[[Any, Any], jax.Array], data) -> Callable[[Any], jax.Array]:
    """``params -> (n, p)``: the flattened gradient of each sample's loss, by ``vmap(grad)``.

    ``loss_fn(params, batch)`` is the mean loss of a batch; each sample is passed as a batch of one
    (the convention of :func:`dynamics.per_sample_gradient_variance`). ``data`` is a pytree of
    arrays sharing the leading sample axis.
    """

    def gradients(params):
        def one(sample):
            batch = jax.tree.map(lambda a: a[None], sample)
            return ravel_pytree(jax.grad(loss_fn)(params, batch))[0]

        return jax.vmap(one)(data)

    return gradients


def pairwise_cosine_statistics(
    vectors: Float[Array, "n p"],
    *,
    chunk_size: int = 64,
    bins: int = 4096,
    quantiles: Sequence[float] = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99),
) -> dict[str, jax.Array]:
    """Statistics of cos(v_i, v_j) over the n(n − 1)/2 pairs i < j, one row block at a time.

    Args:
      vectors: ``(n, p)``, n ≥ 2 rows (per-sample gradients); a zero row has cosine 0 with every
        other row (its direction is undefined; counting it as orthogonal keeps the statistics
        finite).
      chunk_size: rows per block (static); memory holds ``chunk_size × n`` cosines at a time.
      bins: histogram bins on [−1, 1] (static); the quantiles are exact to within ``2/bins``.
      quantiles: the levels q in [0, 1] to report (static); empty: no histogram is built.

    Returns:
      ``{"min", "max", "mean", "min_inner", "quantiles", "pairs"}``: the minimum pairwise cosine
      (the gradient confusion), the maximum, the mean over pairs, the minimum raw inner product
      ⟨v_i, v_j⟩ (the η of the definition, scale-dependent), the cosine at each level of
      ``quantiles`` (the inverted-CDF quantile, the ⌈qN⌉-th smallest of the N pairs' cosines, to
      within one bin ``2/bins``: linear interpolation inside its histogram bin) and the number of
      pairs N.
    """
    n = vectors.shape[0]
    if vectors.ndim != 2 or n < 2:
        raise ValueError(f"vectors must have shape (n, p) with n >= 2, got {vectors.shape}")
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 2:
        raise ValueError(f"bins must be an integer >= 2, got {bins!r}")
    levels = jnp.asarray(tuple(quantiles), dtype=vectors.dtype)
    if any(not 0.0 <= float(q) <= 1.0 for q in quantiles):
        raise ValueError(f"quantiles must lie in [0, 1], got {tuple(quantiles)!r}")

    norms = jnp.linalg.norm(vectors, axis=1)
    safe = jnp.where(norms > 0, norms, 1.0)
    units = vectors / safe[:, None]
    chunk = min(chunk_size, n)
    blocks = -(-n // chunk)
    pad = blocks * chunk - n
    rows_v = jnp.pad(vectors, ((0, pad), (0, 0))).reshape(blocks, chunk, -1)
    rows_u = jnp.pad(units, ((0, pad), (0, 0))).reshape(blocks, chunk, -1)
    starts = jnp.arange(blocks) * chunk
    columns = jnp.arange(n)

    def block(args):
        start, v, u = args
        index = start + jnp.arange(chunk)
        pair = (columns[None, :] > index[:, None]) & (index[:, None] < n)  # i < j, real rows only
        cosine = jnp.clip(u @ units.T, -1.0, 1.0)
        inner = v @ vectors.T
        big = jnp.asarray(jnp.inf, cosine.dtype)
        histogram = jnp.zeros((bins if levels.size else 0,), cosine.dtype)
        if levels.size:  # (no histogram, a cheaper compile, when no quantile is asked for)
            which = jnp.clip(jnp.floor((cosine + 1.0) * (bins / 2.0)).astype(jnp.int32), 0, bins - 1)
            histogram = histogram.at[which.reshape(-1)].add(pair.reshape(-1).astype(cosine.dtype))
        return (
            jnp.min(jnp.where(pair, cosine, big)),
            jnp.max(jnp.where(pair, cosine, -big)),
            jnp.sum(jnp.where(pair, cosine, 0.0)),
            jnp.min(jnp.where(pair, inner, big)),
            histogram,
        )

    mins, maxs, sums, inner_mins, histograms = jax.lax.map(block, (starts, rows_v, rows_u))
    pairs = n * (n - 1) // 2
    low, high = jnp.min(mins), jnp.max(maxs)
    statistics = {"min": low, "max": high, "mean": jnp.sum(sums) / pairs, "min_inner": jnp.min(inner_mins),
                  "quantiles": jnp.zeros((0,), vectors.dtype), "pairs": jnp.asarray(pairs)}
    if not levels.size:
        return statistics
    histogram = jnp.sum(histograms, axis=0)
    cumulative = jnp.cumsum(histogram)
    # the q-quantile: the first bin whose cumulative count reaches q·pairs, interpolated inside it
    target = levels * pairs
    # (a comparison count, not jnp.searchsorted: its default while-loop compiles slowly)
    k = jnp.clip(jnp.sum(cumulative[None, :] < target[:, None], axis=1), 0, bins - 1)
    below = jnp.where(k > 0, cumulative[jnp.maximum(k - 1, 0)], 0.0)
    inside = jnp.where(histogram[k] > 0, (target - below) / jnp.where(histogram[k] > 0, histogram[k], 1.0), 0.0)
    width = 2.0 / bins
    statistics["quantiles"] = jnp.clip(-1.0 + (k + jnp.clip(inside, 0.0, 1.0)) * width, low, high)
    return statistics


def per_sample_gradient_cosines(
    loss_fn: Callable[[Any, Any], jax.Array],
    data,
    *,
    chunk_size: int = 64,
    bins: int = 4096,
    quantiles: Sequence[float] = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99),
) -> Observer:
    """An observer of gradient confusion: :func:`pairwise_cosine_statistics` of the per-sample
    gradients (:func:`per_sample_gradients`) at the current parameters.

    Use it with :func:`dynamics.gradient_descent`/:func:`dynamics.sgd` to follow the confusion along
    a run, or call ``observer.observe(params, (), key)`` for the statistic at one point (e.g. at
    initialisation). ``loss_fn(params, batch)`` is the mean loss of a batch.
    """
    gradients = per_sample_gradients(loss_fn, data)
    return stateless(lambda params, key: pairwise_cosine_statistics(
        gradients(params), chunk_size=chunk_size, bins=bins, quantiles=quantiles))
