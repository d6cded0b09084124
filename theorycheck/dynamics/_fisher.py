"""The data-averaged Fisher information of a Gaussian/MSE output, as an operator: its
matrix-vector product, its top eigenvalues by Lanczos, its exact trace, and the Grams of its
parameter blocks at one input (Sokół & Park, ICLR 2020, arXiv:1810.03785, eq. 6–10).

For ``f(θ, x) ∈ R^{d_out}`` and inputs ``x_1..x_n`` the Fisher of the model
``y ~ N(f(θ, x), I)`` (the output Hessian ``H_g = I``) is

    F̄ = (1/n) Σ_i J_iᵀ J_i,     J_i = ∂f(θ, x_i)/∂θ  (d_out × P),

so ``F̄v = (1/n) Σ_i J_iᵀ(J_i v)``: one forward (JVP) and one transposed (VJP) linearisation
of the batched model per product, never the ``P × P`` matrix. Its rank is at most ``n·d_out``,
so Lanczos with ``num_iterations >= n·d_out + 1`` spans its whole range.
"""

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree
from jaxtyping import Array, Float

from ._observers import Observer, warm_started_lanczos_observer


def _check_inputs(inputs) -> None:
    if getattr(inputs, "ndim", None) != 2 or inputs.shape[0] < 1:
        raise ValueError(f"inputs must be a (n, d_in) batch with n >= 1, got shape {getattr(inputs, 'shape', None)}")


OUTPUTS = ("gaussian", "categorical")


def fisher_vector_product(
    apply: Callable, params: Any, inputs: Float[Array, "n d_in"], *, output: str = "gaussian"
) -> Callable[[Float[Array, " p"]], Float[Array, " p"]]:
    """``v ↦ F̄v = (1/n) Σ_i J_iᵀ H_i J_i v`` on flat parameter vectors.

    ``H_i`` is the Fisher of the output distribution in output space: ``I`` for a unit Gaussian
    (``output="gaussian"``, MSE, the default) and ``diag(p_i) − p_ip_iᵀ`` with
    ``p_i = softmax(f(θ, x_i))`` for a categorical output on logits (``output="categorical"``);
    for both, ``F̄`` is the Gauss–Newton matrix of the mean negative log-likelihood.

    Args:
      apply: ``apply(params, batch) -> (n, d_out)`` of a :class:`models.Model` (a closure over
        frozen leaves restricts the Fisher to the others, e.g. the hidden layers only).
      params: the point at which the Fisher is taken.
      inputs: ``(n, d_in)``.
      output: ``"gaussian"`` or ``"categorical"``.

    Returns:
      The exact product on vectors of ``ravel_pytree(params)[0]``'s shape and dtype.
    """
    _check_inputs(inputs)
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {OUTPUTS}, got {output!r}")
    flat, unravel = ravel_pytree(params)
    n = inputs.shape[0]
    out, f_lin = jax.linearize(lambda z: apply(unravel(z), inputs), flat)
    f_transpose = jax.linear_transpose(f_lin, flat)
    if output == "categorical":
        if out.ndim != 2:
            raise ValueError(f"a categorical output needs apply to return (n, classes) logits, got shape {out.shape}")
        p = jax.nn.softmax(out, axis=-1)

        def output_fisher(u):
            return p * u - p * jnp.sum(p * u, axis=-1, keepdims=True)
    else:
        def output_fisher(u):
            return u

    def fvp(v):
        return f_transpose(output_fisher(f_lin(v.astype(flat.dtype))))[0] / n

    return fvp


def fisher_trace(apply: Callable, params: Any, inputs: Float[Array, "n d_in"]) -> Float[Array, ""]:
    """``tr F̄ = (1/n) Σ_i ‖J_i‖_F²`` exactly: ``n·d_out`` transposed linearisations (one per
    output of each input), no Hutchinson sampling. ``tr F̄ / rank`` is the mean nonzero eigenvalue."""
    _check_inputs(inputs)
    flat, unravel = ravel_pytree(params)
    out, f_lin = jax.linearize(lambda z: apply(unravel(z), inputs), flat)
    f_transpose = jax.linear_transpose(f_lin, flat)
    basis = jnp.eye(out.size, dtype=out.dtype).reshape((out.size, *out.shape))
    squared = jax.lax.map(lambda e: jnp.sum(f_transpose(e)[0] ** 2), basis, batch_size=min(64, out.size))
    return jnp.sum(squared) / inputs.shape[0]


def top_fisher_eigenvalues(
    apply: Callable,
    inputs: Float[Array, "n d_in"],
    *,
    k: int = 1,
    num_iterations: int = 20,
    rtol: float = 1e-3,
) -> Observer:
    """Records the top-``k`` eigenvalues of the data-averaged Fisher ``F̄`` by Lanczos on
    :func:`fisher_vector_product` (the Fisher counterpart of :func:`top_hessian_eigenvalues`).

    Each record holds ``eigenvalues (k,)``, ``residuals (k,)`` = ``‖F̄v − λv‖`` (explicit) and
    ``converged (k,)`` = ``residual <= rtol·|λ|``; the Krylov basis starts from the previous
    record's top eigenvector. Ritz values never exceed the true eigenvalues (interlacing); with
    ``num_iterations >= n·d_out + 1`` the Krylov space holds the Fisher's whole range and the
    estimate is exact up to round-off.

    Args:
      apply: ``apply(params, batch) -> (n, d_out)``.
      inputs: ``(n, d_in)``, the inputs the Fisher averages over.
      k: how many top eigenvalues.
      num_iterations: Fisher-vector products per record (Krylov dimension).
      rtol: the relative residual below which an estimate counts as converged.
    """
    _check_inputs(inputs)
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    if isinstance(num_iterations, bool) or not isinstance(num_iterations, int) or num_iterations < k:
        raise ValueError(f"num_iterations must be an integer >= k={k}, got {num_iterations!r}")

    return warm_started_lanczos_observer(lambda params: fisher_vector_product(apply, params, inputs), k=k,
                                         num_iterations=num_iterations, rtol=rtol, name="top_fisher_eigenvalues")


def fisher_block_grams(apply: Callable, params: Any, x: Float[Array, " d_in"]) -> Any:
    """The ``d_out × d_out`` Gram ``J_B J_Bᵀ`` of every parameter block ``B`` (every leaf of
    ``params``) at one input, ``J_B = ∂f(θ, x)/∂B``: a pytree shaped like ``params`` with a
    ``(d_out, d_out)`` matrix per leaf (``d_out`` transposed linearisations in all).

    Their sum is :func:`single_sample_fisher_gram` (``J_θJ_θᵀ``), whose nonzero eigenvalues are
    those of the single-sample Fisher; by Weyl's inequality
    ``λ_max(J_θJ_θᵀ) <= Σ_B λ_max(J_BJ_Bᵀ)`` (Sokół & Park's block-diagonal bound, exact). For a
    dense layer ``h = x_{prev}W + b`` the bias block's Jacobian is the layer-to-output Jacobian
    ``∂f/∂h`` and the weight block's Gram is ``‖x_prev‖²`` times the bias block's (eq. 9–10).
    """
    out, f_lin = jax.linearize(lambda p: apply(p, x[None, :])[0], params)
    f_transpose = jax.linear_transpose(f_lin, params)
    rows = jax.vmap(lambda e: f_transpose(e)[0])(jnp.eye(out.shape[0], dtype=out.dtype))
    return jax.tree.map(lambda r: (lambda m: 0.5 * (m + m.T))(r.reshape(r.shape[0], -1) @ r.reshape(r.shape[0], -1).T),
                        rows)
