"""Observers of the weight matrices' spectra: singular values, numerical rank, effective rank."""

import jax
import jax.numpy as jnp

from ._observers import Observer, stateless

RANK_TOL = 1e-3  # TomerGalanti/LowRankBias analysis_rank.py: matrix_rank(W/‖W‖_F, tol=1e-3)


def numerical_rank(singular_values, tol: float = RANK_TOL):
    """The number of singular values of ``W/‖W‖_F`` above ``tol`` (the reference code's rule).

    Args:
      singular_values: ``(..., r)`` singular values of ``W`` (any order).
      tol: threshold on the Frobenius-normalised singular values.
    """
    s = jnp.asarray(singular_values)
    norm = jnp.sqrt(jnp.sum(s**2, axis=-1, keepdims=True))
    return jnp.sum(s > tol * norm, axis=-1)


def effective_rank(singular_values):
    """``exp(H(p))`` with ``p = σ/Σσ`` (Roy & Vetterli 2007): a continuous rank in ``[1, r]``."""
    s = jnp.asarray(singular_values)
    p = s / jnp.sum(s, axis=-1, keepdims=True)
    entropy = -jnp.sum(jnp.where(p > 0, p * jnp.log(jnp.where(p > 0, p, 1.0)), 0.0), axis=-1)
    return jnp.exp(entropy)


def spectrum(w, tol: float = RANK_TOL) -> dict:
    """``{"singular_values", "rank", "effective_rank", "norm"}`` of one matrix ``w``."""
    s = jnp.linalg.svd(w, compute_uv=False)
    return {
        "singular_values": s,
        "rank": numerical_rank(s, tol),
        "effective_rank": effective_rank(s),
        "norm": jnp.linalg.norm(w),
    }


def weight_spectra(tol: float = RANK_TOL) -> Observer:
    """Records :func:`spectrum` of every matrix (2-d leaf) of the parameters.

    The record has the parameters' tree structure; 2-d leaves become ``{"singular_values"
    (min(m, n),), "rank" (), "effective_rank" (), "norm" ()}`` and other leaves (biases, scalars)
    ``None`` (an empty subtree). ``rank`` counts singular values of ``W/‖W‖_F`` above ``tol`` (1e-3 in
    Galanti et al.'s reference code, TomerGalanti/LowRankBias ``analysis_rank.py``).
    """
    if not 0 < float(tol) < 1:
        raise ValueError(f"tol must lie in (0, 1), got {tol!r}")

    def observe(params, key):
        del key
        return jax.tree.map(lambda w: spectrum(w, tol) if jnp.ndim(w) == 2 else None, params)

    return stateless(observe)


def parameters() -> Observer:
    """Records the parameters themselves (with ``every = 1``: every iterate of a segment)."""
    return stateless(lambda params, key: params)
