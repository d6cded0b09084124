"""Observers of a network's input–output Jacobian and of its single-sample Fisher information.

Both are functions of the parameters at one input ``x`` (Pennington, Schoenholz & Ganguli 2017;
Sokół & Park, ICLR 2020, arXiv:1810.03785; shared/THEORY.md §12):

* the input–output Jacobian ``J = ∂f(x)/∂x`` and its singular values (dynamical isometry: all of
  them equal to 1);
* the conditional (single-sample) Fisher information of a Gaussian/MSE output,
  ``F(x) = J_θᵀ J_θ`` with ``J_θ = ∂f(x)/∂θ``. Its nonzero eigenvalues are those of the small
  ``d_out × d_out`` Gram ``J_θ J_θᵀ`` (the NTK at one input), which is what is formed here: column
  ``i`` is ``J_θ(J_θᵀ eᵢ)``, one transposed and one forward linearisation, never the
  ``P × P`` matrix.
"""

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from ._observers import Observer, stateless


def _single(apply: Callable, x: Float[Array, " d_in"]) -> Callable:
    """``(params, x) -> f(x)`` on one example (``apply`` works on a batch ``(n, d_in)``)."""
    return lambda params, z: apply(params, z[None, :])[0]


def input_output_jacobian(apply: Callable, params: Any, x: Float[Array, " d_in"]) -> Float[Array, "d_out d_in"]:
    """``∂f(x)/∂x`` at one input, by forward mode (one JVP per input dimension)."""
    return jax.jacfwd(lambda z: _single(apply, x)(params, z))(x)


def jacobian_singular_values(apply: Callable, x: Float[Array, " d_in"]) -> Observer:
    """Records the singular values of the input–output Jacobian ``∂f(x)/∂x`` (descending).

    Args:
      apply: ``apply(params, batch) -> outputs`` of a :class:`models.Model`.
      x: one input, shape ``(d_in,)`` (for a linear network the Jacobian does not depend on it).
    """
    return stateless(
        lambda params, key: jnp.linalg.svd(input_output_jacobian(apply, params, x), compute_uv=False)
    )


def single_sample_fisher_gram(
    apply: Callable, params: Any, x: Float[Array, " d_in"], *, batch_size: int = 8
) -> Float[Array, "d_out d_out"]:
    """``J_θ J_θᵀ`` at one input: the ``d_out × d_out`` Gram whose eigenvalues are the nonzero
    eigenvalues of the single-sample Fisher ``F(x) = J_θᵀJ_θ`` (MSE / Gaussian output).

    Built column by column (``lax.map`` in batches of ``batch_size``), so memory stays at
    ``batch_size`` parameter-sized vectors.
    """
    out, f_lin = jax.linearize(lambda p: _single(apply, x)(p, x), params)
    f_transpose = jax.linear_transpose(f_lin, params)
    eye = jnp.eye(out.shape[0], dtype=out.dtype)
    columns = jax.lax.map(lambda e: f_lin(f_transpose(e)[0]), eye, batch_size=batch_size)
    gram = columns.T
    return 0.5 * (gram + gram.T)


def single_sample_fisher_eigenvalues(apply: Callable, x: Float[Array, " d_in"], *, batch_size: int = 8) -> Observer:
    """Records the eigenvalues (ascending) of ``J_θJ_θᵀ`` at ``x``: the nonzero spectrum of the
    single-sample Fisher ``F(x) = J_θᵀJ_θ`` (its other ``P − d_out`` eigenvalues are 0).

    Args:
      apply: ``apply(params, batch) -> outputs``.
      x: one input, shape ``(d_in,)``.
      batch_size: how many Gram columns are formed at once.
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    return stateless(
        lambda params, key: jnp.linalg.eigvalsh(single_sample_fisher_gram(apply, params, x, batch_size=batch_size))
    )
