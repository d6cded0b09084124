"""Adversarial training: ℓ∞ attacks (FGSM, FAST-AT, FAST-BAT, PGD) and an adversarial loss for SGD.

An *attack* is a pure function ``attack(params, x, y, key) -> δ`` (one perturbation per sample,
the shape of ``x``) built from a per-sample loss ``sample_loss(params, x, y) -> (n,)``. The input
gradient of sample i is ∇_{δᵢ} Σⱼ ℓⱼ(xⱼ + δⱼ), one backward pass for the whole batch.

* :func:`fgsm_perturbation`: ε·sign(g), the maximiser of the linearised ℓ∞ lower-level problem
  max_{‖δ‖∞≤ε} ⟨g, δ⟩ (Goodfellow et al. 2015).
* :func:`fast_at_attack`: FAST-AT (Wong, Rice, Kolter 2020): z ~ U[−ε, ε], δ = clip(z + α·sign(∇ℓ(z)), −ε, ε),
  α = 1.25ε by default.
* :func:`fast_bat_attack`: FAST-BAT's lower-level solution (Zhang et al., ICML 2022): the minimiser
  of the linearised, λ-regularised lower-level problem, δ* = clip(z + ∇ℓ(θ, z)/λ, −ε, ε), whose
  derivative in θ (through the clip: the inactive coordinates only) is the implicit gradient.
* :func:`pgd_attack`: projected (sign-)gradient ascent with a random start (Madry et al. 2018).
* :func:`adversarial_loss`: the training loss at the attack's perturbation; the attack is held fixed
  (``stop_gradient``, Danskin's theorem: FAST-AT, PGD-AT) or differentiated (FAST-BAT's implicit
  gradient). :func:`adversarial_sgd` trains it with the shared SGD simulator.
"""

from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import optax

from ._gradient_descent import _simulator
from ._observers import Observer
from ._validation import require_finite_tree, require_positive_int

SampleLoss = Callable[[Any, jax.Array, jax.Array], jax.Array]
Attack = Callable[[Any, jax.Array, jax.Array, jax.Array], jax.Array]


def input_gradient(sample_loss: SampleLoss, params, x, y, delta):
    """∇_δ Σᵢ ℓᵢ(params, xᵢ + δᵢ): row i is sample i's loss gradient at its perturbed input."""
    return jax.grad(lambda d: jnp.sum(sample_loss(params, x + d, y)))(delta)


def fgsm_perturbation(input_grad, epsilon):
    """ε·sign(g): the maximiser of ⟨g, δ⟩ over the ℓ∞ ball of radius ε (0 where gᵢ = 0)."""
    return epsilon * jnp.sign(input_grad)


def fast_at_step(z, input_grad, epsilon, step):
    """FAST-AT's update from z: clip(z + α·sign(∇ℓ(z)), −ε, ε) (the authors' ``fast_at`` mode)."""
    return jnp.clip(z + step * jnp.sign(input_grad), -epsilon, epsilon)


def fast_bat_step(z, input_grad, epsilon, lam):
    """FAST-BAT's lower-level solution at z: clip(z + ∇ℓ(z)/λ, −ε, ε), differentiable in ``input_grad``."""
    return jnp.clip(z + input_grad / lam, -epsilon, epsilon)


def fast_at_attack(sample_loss: SampleLoss, epsilon, step=None) -> Attack:
    """FAST-AT's attack: a uniform random start z in the ℓ∞ ball, one sign step of size ``step``
    (default 1.25ε, Wong et al. 2020; the FAST-BAT authors' ``fast_at`` mode), clipped to the ball.
    ``epsilon`` and ``step`` may be traced."""

    def attack(params, x, y, key):
        alpha = 1.25 * epsilon if step is None else step
        z = jax.random.uniform(key, x.shape, x.dtype, -1.0, 1.0) * epsilon
        return fast_at_step(z, input_gradient(sample_loss, params, x, y, z), epsilon, alpha)

    return attack


def fast_bat_attack(sample_loss: SampleLoss, epsilon, lam, implicit_lam=None) -> Attack:
    """FAST-BAT's lower-level solution, differentiable in ``params``.

    The linearisation point z is a uniform random start followed by one (non-sign) gradient step
    of size 1/λ, clipped, and held fixed (``stop_gradient``), as in the authors' ``fast_bat`` mode.
    The lower-level problem linearised at z and regularised by λ‖δ − z‖²/2,
    min_{‖δ‖∞≤ε} −⟨∇ℓ(θ, z), δ − z⟩ + λ‖δ − z‖²/2, has the minimiser δ* = clip(z + ∇ℓ(θ, z)/λ, −ε, ε).
    Its derivative in θ, which ``jax.grad`` takes through the clip, is −(1/λ)·H_C·∂_θ∇_δ(−ℓ)
    with H_C the 0/1 mask of the inactive coordinates: the implicit gradient.

    ``implicit_lam`` (default ``lam``) decouples the two, as the authors' code does (its lower-level
    step is 5000/255 while the implicit gradient uses λ = 10): the value is the clip with step
    1/``lam``, the derivative −(1/``implicit_lam``)·H_C·∂_θ∇_δ(−ℓ). With the default the derivative is
    the exact derivative of the lower-level solution.
    """

    def attack(params, x, y, key):
        z0 = jax.random.uniform(key, x.shape, x.dtype, -1.0, 1.0) * epsilon
        z = jax.lax.stop_gradient(fast_bat_step(z0, input_gradient(sample_loss, params, x, y, z0), epsilon, lam))
        g = input_gradient(sample_loss, params, x, y, z)
        delta = fast_bat_step(z, g, epsilon, lam)
        if implicit_lam is None:
            return delta
        inactive = (delta > -epsilon) & (delta < epsilon)
        tangent = jnp.where(inactive, (g - jax.lax.stop_gradient(g)) / implicit_lam, 0.0)
        return jax.lax.stop_gradient(delta) + tangent

    return attack


def pgd_attack(sample_loss: SampleLoss, epsilon, *, steps: int, step_size=None, random_start: bool = True) -> Attack:
    """ℓ∞ PGD: ``steps`` sign-gradient ascent steps of ``step_size`` (default 2.5ε/steps, Madry
    et al.), each projected onto the ball, from a uniform random start (or from 0)."""
    require_positive_int("steps", steps)

    def attack(params, x, y, key):
        alpha = 2.5 * epsilon / steps if step_size is None else step_size
        delta = (jax.random.uniform(key, x.shape, x.dtype, -1.0, 1.0) * epsilon if random_start
                 else jnp.zeros_like(x))

        def body(_, d):
            g = input_gradient(sample_loss, params, x, y, d)
            return jnp.clip(d + alpha * jnp.sign(g), -epsilon, epsilon)

        return jax.lax.fori_loop(0, steps, body, delta)

    return attack


def adversarial_loss(sample_loss: SampleLoss, attack: Attack, *, differentiate_attack: bool = False):
    """``loss(params, (x, y), key) -> scalar``: the mean loss at the attack's perturbation.

    With ``differentiate_attack=False`` the perturbation is a constant for the gradient in θ
    (``stop_gradient``: FAST-AT, PGD-AT); with ``True`` the gradient flows through the attack (for
    :func:`fast_bat_attack`, the implicit gradient of the linearised lower-level problem).
    """

    def loss(params, batch, key):
        x, y = batch
        delta = attack(params, x, y, key)
        if not differentiate_attack:
            delta = jax.lax.stop_gradient(delta)
        return jnp.mean(sample_loss(params, x + delta, y))

    return loss


def adversarial_sgd(
    sample_loss: SampleLoss,
    attack: Attack,
    optimizer: optax.GradientTransformation,
    data,
    *,
    batch_size: int,
    num_steps: int,
    every: int = 1,
    observers: Mapping[str, Observer] | None = None,
    differentiate_attack: bool = False,
) -> Callable:
    """Minibatch adversarial training on the shared SGD simulator (:func:`dynamics.sgd`'s loop).

    Each step draws ``batch_size`` distinct samples of ``data = (x, y)`` and a fresh attack key from
    its step key, and descends :func:`adversarial_loss`. Returns ``run(params0, key,
    hyperparams=None) -> Trajectory`` (``losses`` are the adversarial minibatch losses).
    """
    x, y = data
    n = x.shape[0]
    if y.shape[0] != n:
        raise ValueError(f"data = (x, y) must share the sample axis, got {x.shape} and {y.shape}")
    require_finite_tree("data", data)
    require_positive_int("batch_size", batch_size)
    if batch_size > n:
        raise ValueError(f"batch_size={batch_size} is larger than the data ({n} samples); use batch_size <= {n}")
    loss = adversarial_loss(sample_loss, attack, differentiate_attack=differentiate_attack)

    def grad_fn(params, key):
        key_batch, key_attack = jax.random.split(key)
        index = jax.random.choice(key_batch, n, (batch_size,), replace=False)
        batch = (x[index], y[index])
        return (*jax.value_and_grad(loss)(params, batch, key_attack), {"batch": batch})

    return _simulator(grad_fn, optimizer, num_steps=num_steps, every=every, observers=observers)
