"""Pruning at initialisation: synaptic saliency scores, global masks and iterative pruning.

Scores follow Tanaka, Kunin, Yamins, Ganguli, "Pruning neural networks without any data by
iteratively conserving synaptic flow", NeurIPS 2020, arXiv:2006.05467, and their reference code
(``ganguli-lab/Synaptic-Flow``, ``Pruners/pruners.py`` and ``prune.py``, read for this module):

* synaptic saliency S(θ) = (∂R/∂θ) ⊙ θ for a scalar R of the outputs (:func:`synaptic_saliency`);
* SynFlow: every parameter replaced by |θ|, an all-ones input (batch 1), R = the sum of the
  outputs, score |θ ⊙ ∂R/∂θ| (:func:`synflow_scores`);
* SNIP |θ ⊙ ∂L/∂θ| on a data loss, magnitude |θ| (:func:`snip_scores`, :func:`magnitude_scores`);
* global masking: the lowest scores across all prunable leaves go (:func:`global_mask`);
* iterative pruning rescoring the masked network every round, with the exponential schedule
  density ρ^{(r+1)/rounds} after round r (:func:`iterative_pruning`, a ``lax.scan``).

A mask is a pytree like the parameters with 0/1 entries on prunable leaves and ``None`` elsewhere
(biases are not pruned, as in the reference code). The target density is data: a sweep over the
compression is one ``vmap``.
"""

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp


def default_prunable(leaf) -> bool:
    """Weight matrices (leaves with ``ndim >= 2``) are prunable; biases are not."""
    return jnp.ndim(leaf) >= 2


def full_mask(params, prunable: Callable[[Any], bool] = default_prunable):
    """All-ones on prunable leaves, ``None`` elsewhere."""
    return jax.tree.map(lambda p: jnp.ones_like(p) if prunable(p) else None, params)


def apply_mask(params, mask):
    """``θ ⊙ mask`` on the masked leaves (the others unchanged)."""
    return jax.tree.map(lambda p, m: p if m is None else p * m, params, mask, is_leaf=lambda x: x is None)


def synaptic_saliency(objective: Callable[[Any], jax.Array], params):
    """Signed synaptic saliency ``(∂R/∂θ) ⊙ θ`` of a scalar ``objective(params)``, every leaf."""
    return jax.tree.map(jnp.multiply, jax.grad(objective)(params), params)


def synflow_objective(apply: Callable[[Any, jax.Array], jax.Array], input_dim: int):
    """``R(θ) = 1ᵀ f_{|θ|}(1)``: the network on |θ| evaluated at an all-ones input (batch 1)."""

    def objective(params):
        return jnp.sum(apply(jax.tree.map(jnp.abs, params), jnp.ones((1, input_dim))))

    return objective


def synflow_scores(apply: Callable[[Any, jax.Array], jax.Array], params, input_dim: int):
    """SynFlow scores ``|θ ⊙ ∂R/∂θ|`` with ``R = 1ᵀ f_{|θ|}(1)`` (Tanaka et al. 2020).

    For a bias-free MLP, ``R = 1ᵀ(Π_l |W_l|)1`` (row-vector convention ``x @ W``).
    """
    return jax.tree.map(jnp.abs, synaptic_saliency(synflow_objective(apply, input_dim), params))


def snip_scores(loss_fn: Callable[[Any], jax.Array], params):
    """SNIP scores ``|θ ⊙ ∂L/∂θ|`` on a data loss (the normalisation of the reference code divides
    every score by their total, which does not change a global ranking, and is omitted)."""
    return jax.tree.map(jnp.abs, synaptic_saliency(loss_fn, params))


def magnitude_scores(params):
    """Magnitude scores ``|θ|``."""
    return jax.tree.map(jnp.abs, params)


def _masked_leaves(scores, mask):
    pairs = jax.tree.leaves(jax.tree.map(lambda s, m: None if m is None else (s, m), scores, mask,
                                         is_leaf=lambda x: x is None), is_leaf=lambda x: isinstance(x, tuple))
    return [p for p in pairs if p is not None]


def global_mask(scores, density, template):
    """Keeps the highest scores across every prunable leaf of ``template`` (a mask pytree).

    As the reference code (``Pruner._global_mask``): with P prunable weights and k = ⌊(1 − ρ)P⌋,
    every weight scoring at most the k-th smallest score is pruned (so ties at the threshold go,
    and weights scoring 0, e.g. already pruned ones, never come back); nothing is pruned when
    k < 1. ``density`` ρ may be traced.
    """
    leaves = [s for s, _ in _masked_leaves(scores, template)]
    flat = jnp.concatenate([jnp.ravel(s) for s in leaves])
    total = flat.shape[0]
    k = jnp.floor((1.0 - density) * total).astype(jnp.int32)
    threshold = jnp.sort(flat)[jnp.clip(k - 1, 0, total - 1)]

    def leaf_mask(s, m):
        if m is None:
            return None
        return jnp.where((k >= 1) & (s <= threshold), 0.0, 1.0).astype(s.dtype)

    return jax.tree.map(leaf_mask, scores, template, is_leaf=lambda x: x is None)


class PruningTrajectory(NamedTuple):
    """Iterative pruning, round by round.

    Attributes:
      mask: the final mask.
      densities: ``(rounds,)`` the target density after each round.
      kept: ``(rounds, L)`` weights kept per prunable leaf after each round.
      pruned_score: ``(rounds,)`` the total score of the weights removed in each round.
      min_layer_score: ``(rounds,)`` the smallest per-leaf total score before each round's cut
        (the theorem's cut size: a round that removes less than it cannot collapse a layer).
    """

    mask: Any
    densities: jax.Array
    kept: jax.Array
    pruned_score: jax.Array
    min_layer_score: jax.Array


def iterative_pruning(
    score_fn: Callable[[Any], Any],
    params,
    density,
    *,
    rounds: int,
    prunable: Callable[[Any], bool] = default_prunable,
) -> PruningTrajectory:
    """Prunes to ``density`` in ``rounds`` rounds, rescoring the masked network every round.

    Round r (0-based) scores ``apply_mask(params, mask)`` with ``score_fn`` and masks globally to
    the exponential schedule's density ``density ** ((r + 1) / rounds)`` (``prune.py``'s
    ``prune_loop``). ``rounds = 1`` is single-shot pruning. Pure and jit-able; ``density`` may be
    traced (a sweep over it is one ``vmap``), ``rounds`` is static.
    """
    if isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < 1:
        raise ValueError(f"rounds must be a positive integer, got {rounds!r}")
    mask0 = full_mask(params, prunable)

    def body(mask, r):
        rho = density ** ((r + 1.0) / rounds)
        scores = score_fn(apply_mask(params, mask))
        new = global_mask(scores, rho, mask0)
        pairs = _masked_leaves(scores, mask)
        new_leaves = [m for m in jax.tree.leaves(new)]
        layer_scores = jnp.stack([jnp.sum(s * m) for s, m in pairs])
        pruned = sum(jnp.sum(s * m * (1.0 - n)) for (s, m), n in zip(pairs, new_leaves))
        kept = jnp.stack([jnp.sum(n) for n in new_leaves])
        return new, (rho, kept, pruned, jnp.min(layer_scores))

    mask, (densities, kept, pruned, min_layer) = jax.lax.scan(body, mask0, jnp.arange(rounds, dtype=float))
    return PruningTrajectory(mask, densities, kept, pruned, min_layer)
