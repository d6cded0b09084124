"""Stochastic proximal point (minibatch-prox) steps as an optax transformation."""

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ._validation import is_concrete, require_positive_int, require_positive_scalar


def _require_gamma(gamma) -> None:
    """γ > 0, ``inf`` allowed (no proximal term: the unregularised minibatch solution)."""
    if gamma is None or isinstance(gamma, (bool, str)):
        raise ValueError(f"gamma must be a real number > 0 (inf: no proximal term), got {gamma!r}; pass e.g. gamma=0.02")
    if is_concrete(gamma):
        value = np.asarray(gamma, dtype=float)
        if not np.all((value > 0) & ~np.isnan(value)):
            raise ValueError(f"gamma must be > 0 (inf: no proximal term), got {gamma!r}; pass e.g. gamma=0.02")


def _prox_factory(loss_fn):
    def factory(gamma, inner_learning_rate, *, inner_steps):
        def init(params):
            del params
            return optax.EmptyState()

        def update(updates, state, params=None, *, batch=None, **extra_args):
            del updates, extra_args
            if params is None or batch is None:
                raise ValueError(
                    "proximal_sgd needs params and batch=: call update(grads, state, params, batch=batch) "
                    "(dynamics.sgd does)"
                )
            inverse_gamma = 1.0 / gamma  # 0 at gamma = inf: the unregularised minibatch problem
            grad_f = jax.grad(loss_fn)

            def inner(_, v):
                g = grad_f(v, batch)
                return jax.tree.map(
                    lambda vi, gi, wi: vi - inner_learning_rate * (gi + inverse_gamma * (vi - wi)), v, g, params
                )

            solution = jax.lax.fori_loop(0, inner_steps, inner, params)
            return jax.tree.map(lambda s, w: s - w, solution, params), state

        return optax.GradientTransformationExtraArgs(init, update)

    return factory


def proximal_sgd(
    loss_fn: Callable[[Any, Any], jax.Array],
    *,
    gamma,
    inner_steps: int,
    inner_learning_rate,
) -> optax.GradientTransformationExtraArgs:
    """The stochastic proximal point step on the step's minibatch, solved inexactly by GD.

    The update is ``w₊ − w`` with

        w₊ ≈ argmin_v  f_B(v) + ‖v − w‖²/(2γ),   f_B(v) = loss_fn(v, batch),

    the minibatch-prox / stochastic proximal point step (Asi & Duchi, SIAM J. Optim. 2019,
    arXiv:1810.05633; Wang, Wang & Srebro, COLT 2017). It is computed by ``inner_steps`` steps of
    gradient descent on the inner objective from ``v₀ = w`` (a ``lax.fori_loop`` inside the
    transform): ``v ← v − h(∇f_B(v) + (v − w)/γ)``, ``h = inner_learning_rate``.

    **Inexactness.** Where f_B is a quadratic with Hessian H (least squares), the inner error
    ``v_j − w₊`` is multiplied by ``I − h(H + I/γ)`` each step, so after K steps it is at most
    ``q^K·‖w − w₊‖`` with ``q = max |1 − h(λ + 1/γ)|`` over the eigenvalues λ of H whose
    eigenvectors the error has (for least squares the error lies in the range of H: its
    smallest *nonzero* eigenvalue sets q). Choose ``h ≤ 1/(L + 1/γ)``, L the largest eigenvalue
    (for least squares on a batch, ``max_i ‖x_i‖²`` bounds it), so that ``q < 1``. For a smooth
    f_B the same holds locally wherever ``f_B + ‖·‖²/(2γ)`` is strongly convex. One inner step
    (``inner_steps = 1``) is exactly a plain SGD step with learning rate ``h``.

    Args:
      loss_fn: ``loss_fn(params, batch) -> scalar``, the same minibatch loss :func:`sgd` takes.
      gamma: the proximal step γ > 0 (data: injected, sweepable without retracing); ``inf``
        removes the proximal term (the unregularised minibatch problem, solved by GD from w:
        for least squares the solution closest to w).
      inner_steps: K >= 1, static.
      inner_learning_rate: h > 0 (data, injected).

    Returns:
      an ``optax.GradientTransformationExtraArgs`` (``optax.inject_hyperparams``: its state holds
      ``gamma`` and ``inner_learning_rate``) whose ``update(grads, state, params, batch=batch)``
      ignores ``grads`` and solves the inner problem; use it with :func:`sgd`, which passes each
      step's ``batch``. Without ``batch`` (full-batch :func:`gradient_descent`) it raises.

    Raises:
      ValueError: naming the argument, for a concrete ``gamma`` that is not > 0, an
        ``inner_steps`` that is not a positive int, an ``inner_learning_rate`` not finite and > 0,
        or a ``loss_fn`` that is not callable.

    Examples:
      >>> import jax.numpy as jnp
      >>> from theorycheck import dynamics
      >>> loss = lambda w, b: 0.5 * jnp.mean((b[0] @ w - b[1]) ** 2)
      >>> opt = dynamics.proximal_sgd(loss, gamma=0.1, inner_steps=50, inner_learning_rate=0.5)
    """
    if not callable(loss_fn):
        raise ValueError(f"loss_fn must be a function loss_fn(params, batch) -> scalar, got {type(loss_fn).__name__}")
    _require_gamma(gamma)
    inner_steps = require_positive_int("inner_steps", inner_steps)
    if inner_learning_rate is None:
        raise ValueError("inner_learning_rate must be a real number > 0, got None; pass e.g. inner_learning_rate=0.1")
    require_positive_scalar("inner_learning_rate", inner_learning_rate)
    gamma, inner_learning_rate = (jnp.asarray(v) if isinstance(v, (np.generic, np.ndarray)) else v
                                  for v in (gamma, inner_learning_rate))
    return optax.inject_hyperparams(_prox_factory(loss_fn), static_args=("inner_steps",))(
        gamma=gamma, inner_learning_rate=inner_learning_rate, inner_steps=inner_steps
    )
