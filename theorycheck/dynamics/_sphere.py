"""Lagrange-multiplier (sphere) normalisation of layer weights (shared/THEORY.md §4).

A bias-free ReLU network is positively homogeneous of degree 1 in each layer, so writing every
weight matrix as ``W_k = ρ_k V_k`` with ``‖V_k‖_F = 1`` gives ``f_W(x) = ρ·f_V(x)`` with
``ρ = Π_k ρ_k``. Xu, Rangamani, Liao, Galanti, Poggio ("Dynamics in Deep Classifiers Trained with
the Square Loss", Research 2023, 6:0024; CBMM Memo 117) and Poggio & Liao (arXiv:2101.00072)
train the ``V_k`` under the constraint ``‖V_k‖ = 1`` imposed by a Lagrange multiplier, which for a
gradient flow is the projection of the gradient onto the tangent space of the sphere:

    V̇_k = −(I − V_k V_kᵀ) ∇_{V_k} L,        ρ̇_k = −∂L/∂ρ_k.

**What is implemented.** :func:`sphere_normalisation` is an optax transform, chained *after* the
step of the transforms before it (``optax.chain(optax.sgd(μ), sphere_normalisation(mask))`` or
``dynamics.plain_sgd``), that acts on every leaf the mask marks as a ``V_k``:

1. *projection* onto the tangent space at ``V`` of the unit Frobenius sphere: the incoming step
   ``U`` (for SGD ``U = −μ∇_V L``) becomes ``U_T = U − ⟨V, U⟩_F V``. For a matrix ``V`` the
   paper's ``(I − V Vᵀ)`` is this operator on ``vec(V)``: ``vec(V) vec(V)ᵀ`` applied to
   ``vec(U)`` is ``⟨V, U⟩_F vec(V)``;
2. *retraction* back onto the sphere: ``V ← (V + U_T)/‖V + U_T‖_F`` (the metric projection; it
   differs from the exponential map only at third order in ``‖U_T‖``, so the discrete dynamics is
   a first-order discretisation of the flow above).

The other leaves (the scales ``ρ_k``, biases) get the incoming step unchanged: plain (S)GD on
``ρ_k`` is the flow's ``ρ̇_k = −∂L/∂ρ_k``. Weight decay on ``ρ_k`` (the paper's ``λρ²`` term) is
whatever the chained optimizer applies to those leaves; on the ``V_k`` the radial part of a
coupled decay ``−μ·wd·V`` is removed by the projection, as the constraint demands.

**What was verified against the source.** Poggio & Liao (arXiv:2101.00072, abstract/summary):
gradient flow with normalisation plus weight decay converges to the minimum-norm interpolant with
``ρ_eq = Σ_n y_n f_n/(λ + Σ_n f_n²)``; the CBMM memo's abstract: "normalization by Lagrange
multipliers (LM) is used together with Weight Decay (WD)". The exact projected form above
(THEORY.md §4, tagged [M], recalled) could not be read from the paper's text here; whether the
paper's ``V̇_k`` carries an extra factor (``ρ`` or ``ρ/ρ_k²``, which only rescales time per layer)
is not confirmed, so the transform implements the plain projected gradient and leaves any such
factor to the learning rate.
"""

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax


class SphereNormalisationState(NamedTuple):
    """:func:`sphere_normalisation` keeps no state."""


def sphere_tangent(v: jax.Array, u: jax.Array) -> jax.Array:
    """``U − ⟨V, U⟩_F V``: the component of ``u`` tangent at ``v`` to the unit Frobenius sphere
    (``v`` is assumed to have unit Frobenius norm)."""
    return u - jnp.sum(v * u) * v


def sphere_retract(v: jax.Array) -> jax.Array:
    """``v/‖v‖_F``: the metric projection onto the unit Frobenius sphere."""
    return v / jnp.sqrt(jnp.sum(v**2))


def sphere_normalisation(mask: Any, *, retract: bool = True) -> optax.GradientTransformation:
    """Projected steps on the unit sphere for the leaves that ``mask`` marks (W_k = ρ_k V_k).

    For each marked leaf ``V`` (a weight direction with ``‖V‖_F = 1``) the incoming step ``U``
    becomes ``(V + U_T)/‖V + U_T‖_F − V`` with ``U_T = U − ⟨V, U⟩_F V`` (tangent projection, then
    retraction); unmarked leaves pass through. Chain it last: it needs the step of the transforms
    before it, and it keeps ``‖V‖_F = 1`` after every step to round-off.

    Args:
      mask: a pytree with the structure of the params (or a prefix of it) of booleans: ``True`` for
        the leaves on the sphere (``V_k``), ``False`` for the others (``ρ_k``, biases).
      retract: ``False`` returns the tangent step ``U_T`` itself, without the retraction (then
        ``‖V + U_T‖² = 1 + ‖U_T‖²``: the norm drifts at second order; for tests and analysis).

    Returns:
      An ``optax.GradientTransformation`` whose ``update`` requires ``params``.

    Examples:
      >>> params = {"rho": jnp.array(2.0), "v": jnp.eye(3) / jnp.sqrt(3.0)}
      >>> opt = optax.chain(optax.sgd(0.1), sphere_normalisation({"rho": False, "v": True}))

    References:
      Xu, Rangamani, Liao, Galanti, Poggio, Research 2023, 6:0024 (CBMM Memo 117);
      Poggio & Liao, arXiv:2101.00072; shared/THEORY.md §4.
    """

    def init(params):
        del params
        return SphereNormalisationState()

    def update(updates, state, params=None):
        if params is None:
            raise ValueError("sphere_normalisation needs params: pass them to update (optax.chain does)")

        def step(on_sphere, u, v):
            if not on_sphere:
                return u
            tangent = sphere_tangent(v, u)
            return sphere_retract(v + tangent) - v if retract else tangent

        new_updates = jax.tree.map(
            lambda m, u, p: jax.tree.map(lambda uu, pp: step(m, uu, pp), u, p),
            mask, updates, params,
        )
        return new_updates, state

    return optax.GradientTransformation(init, update)


def sphere_params(weights: Any, mask: Any) -> Any:
    """``W ↦ {"rho": ‖W‖_F, "v": W/‖W‖_F}`` for the leaves ``mask`` marks; others unchanged."""
    def split(m, w):
        if not m:
            return w
        rho = jnp.sqrt(jnp.sum(w**2))
        return {"rho": rho, "v": w / rho}

    return jax.tree.map(split, mask, weights)


def sphere_weights(params: Any, mask: Any) -> Any:
    """The inverse of :func:`sphere_params`: ``{"rho", "v"} ↦ ρ·V``."""
    return jax.tree.map(lambda m, p: p["rho"] * p["v"] if m else p, mask, params)
