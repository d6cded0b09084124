"""Natural gradient as an optax transformation: the direction ``(F(θ) + λI)⁻¹g``, with ``F`` the
Fisher of the model's output distribution, solved exactly by conjugate gradients on
Fisher-vector products (Amari 1998; Martens, JMLR 2020, arXiv:1412.1193).

For ``f(θ, x) ∈ R^{d_out}`` and an exponential-family output ``y ~ p(y | f)`` with natural
parameter ``f``, the Fisher of the model averaged over the inputs is

    F(θ) = (1/n) Σ_i J_iᵀ H_out(f_i) J_i,     J_i = ∂f(θ, x_i)/∂θ,

with ``H_out = I`` for a unit Gaussian (``output="gaussian"``, the square loss) and
``H_out = diag(p) − ppᵀ``, ``p = softmax(f)``, for a categorical output (``output="categorical"``,
cross-entropy on logits). For these families ``F`` *is* the generalised Gauss–Newton matrix
``JᵀH_out J`` of the mean negative log-likelihood (Martens 2020, §9.2), so on a linear model with
a Gaussian output the natural-gradient step with step size 1 is the Newton step.

**Why CG, not K-FAC.** ``(F + λI)d = g`` is solved by conjugate gradients on exact
Fisher-vector products (one ``jax.linearize`` of the batched model, its transpose, and the output
Hessian in between: never the ``P × P`` matrix). On the small nets this library tests it
converges to the exact solve (``F + λI`` has at most ``n·d_out + 1`` distinct eigenvalues, so
CG terminates in that many iterations in exact arithmetic), and the exact ``F⁻¹g`` transforms
as a tangent vector under any invertible reparameterisation — the invariance the
``natural_gradient_invariance`` check tests. K-FAC's Kronecker-factored block-diagonal
approximation is invariant only under the reparameterisations that preserve its block
structure (per-layer affine maps of activations and pre-activations, Martens & Grosse 2015); an
elementwise nonlinear reparameterisation of the weights would break the comparison by the
approximation, not by the step size.
"""

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax
from jax.flatten_util import ravel_pytree

from ._fisher import OUTPUTS, fisher_vector_product
from ._validation import require_nonnegative_scalar, require_positive_int, require_positive_scalar

SOLVERS = ("cg", "dense")


class NaturalGradientState(NamedTuple):
    """Diagnostics of the last solve (zeros before the first update).

    Attributes:
      residual: ``‖(F + λI)d − g‖ / ‖g‖`` of the returned direction, recomputed explicitly
        (0 when ``g = 0``).
    """

    residual: jax.Array


def _first(batch):
    return batch[0]


def natural_gradient(
    apply: Callable[[Any, jax.Array], jax.Array],
    *,
    data: jax.Array | None = None,
    output: str = "gaussian",
    damping: float = 0.0,
    solver: str = "cg",
    cg_iters: int | None = None,
    tol: float = 1e-10,
    batch_inputs: Callable[[Any], jax.Array] = _first,
) -> optax.GradientTransformationExtraArgs:
    """The preconditioned direction ``d = (F(θ) + λI)⁻¹g`` (compose with a step size).

    ``θ ← θ − η d`` is ``optax.chain(natural_gradient(apply, data=x), plain_sgd(η))`` (or
    ``optax.scale(−η)``) in :func:`gradient_descent`; in :func:`sgd` leave ``data=None`` and
    the Fisher is taken on each step's ``batch`` (its inputs ``batch_inputs(batch)``, by default
    ``batch[0]`` of an ``(x, y)`` batch).

    Args:
      apply: ``apply(params, x) -> (n, d_out)`` outputs: the Gaussian mean, or the logits of a
        categorical output. A closure may select rows (e.g. the labelled nodes of a graph).
      data: ``(n, d_in)`` inputs on which the Fisher is averaged (full-batch GD); ``None``: the
        step's ``batch`` (SGD).
      output: ``"gaussian"`` (``H_out = I``) or ``"categorical"`` (``H_out = diag(p) − ppᵀ``).
      damping: ``λ >= 0`` added to ``F`` (Tikhonov damping); ``0`` needs ``F`` nonsingular on the
        span of ``g`` (``g`` always lies in the range of ``F``'s ``Jᵀ``, so CG from ``0`` stays
        there and converges to the pseudo-inverse solution).
      solver: ``"cg"`` (matrix-free, ``jax.scipy.sparse.linalg.cg``) or ``"dense"`` (forms the
        ``P × P`` matrix by ``P`` Fisher-vector products and solves by ``lstsq``: a reference
        for tiny nets).
      cg_iters: most CG iterations (static); ``None``: ``10·P`` (JAX's default).
      tol: CG's relative residual target (``‖r‖ <= tol·‖g‖``); float32 cannot go below ~1e-6.
      batch_inputs: ``batch -> (n, d_in)`` inputs of an SGD batch.

    Returns:
      An ``optax.GradientTransformationExtraArgs`` whose state is a :class:`NaturalGradientState`
      and whose ``update(grads, state, params, *, batch=None, **extra)`` returns ``d`` shaped
      like ``grads``.

    Raises:
      ValueError: naming the argument, for an unknown ``output``/``solver``, a negative or
        non-finite ``damping``, ``cg_iters`` not a positive integer, ``tol`` not > 0, ``data``
        not a 2-d array; at the first update, for ``params=None`` or for no ``data`` and no
        ``batch``.

    References:
      S. Amari, "Natural gradient works efficiently in learning", Neural Computation 10 (1998).
      J. Martens, "New insights and perspectives on the natural gradient method", JMLR 21 (2020).
    """
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {OUTPUTS}, got {output!r}; use 'categorical' for logits")
    if solver not in SOLVERS:
        raise ValueError(f"solver must be one of {SOLVERS}, got {solver!r}")
    require_nonnegative_scalar("damping", damping)
    if cg_iters is not None:
        require_positive_int("cg_iters", cg_iters)
    require_positive_scalar("tol", tol)
    if data is not None and getattr(data, "ndim", None) != 2:
        raise ValueError(f"data must be a (n, d_in) array of inputs, got shape {getattr(data, 'shape', None)}; "
                         "pass data=None to take the Fisher on each SGD batch")
    if not callable(batch_inputs):
        raise ValueError("batch_inputs must be a function batch -> (n, d_in) inputs, e.g. lambda b: b[0]")

    def init(params):
        del params
        return NaturalGradientState(residual=jnp.zeros(()))

    def update(updates, state, params=None, *, batch=None, **extra_args):
        del state, extra_args
        if params is None:
            raise ValueError("natural_gradient needs params: call update(grads, state, params)")
        if data is None and batch is None:
            raise ValueError("natural_gradient has no inputs for its Fisher: pass data=x (gradient_descent) "
                             "or run it in dynamics.sgd, which passes batch=")
        inputs = data if data is not None else batch_inputs(batch)
        g, unravel = ravel_pytree(updates)
        fvp = fisher_vector_product(apply, params, inputs, output=output)

        def matvec(v):
            return fvp(v) + damping * v

        if solver == "cg":
            d, _ = jax.scipy.sparse.linalg.cg(matvec, g, tol=tol, maxiter=cg_iters)
        else:
            matrix = jax.vmap(matvec)(jnp.eye(g.size, dtype=g.dtype))
            matrix = 0.5 * (matrix + matrix.T)
            d = jnp.linalg.lstsq(matrix, g)[0]
        norm = jnp.linalg.norm(g)
        residual = jnp.where(norm > 0, jnp.linalg.norm(matvec(d) - g) / jnp.where(norm > 0, norm, 1.0), 0.0)
        return unravel(d.astype(g.dtype)), NaturalGradientState(residual=residual.astype(jnp.zeros(()).dtype))

    return optax.GradientTransformationExtraArgs(init, update)
