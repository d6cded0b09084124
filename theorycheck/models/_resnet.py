"""The deep fully connected ResNet of Du, Lee, Li, Wang, Zhai (ICML 2019) and its plain (no-skip) twin."""

import math
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from ._model import Model, require_positive, require_positive_int, resolve_activation


def activation_normaliser(activation: str | Callable, *, points: int = 80) -> float:
    """c_σ = 1/E_{z~N(0,1)}[σ(z)²], by Gauss–Hermite quadrature (``points`` nodes, exact for
    polynomials of degree < 2·points; ~1e-12 for the smooth activations here). With it a layer
    x ↦ √(c_σ/m)·σ(Wx), W ~ N(0, I), keeps E‖x‖² = 1 for unit inputs (Du et al.'s c_σ)."""
    phi = resolve_activation(activation)
    nodes, weights = np.polynomial.hermite_e.hermegauss(points)  # weight exp(−z²/2)
    second_moment = float(np.sum(weights * np.asarray(phi(jnp.asarray(nodes)), dtype=float) ** 2) / math.sqrt(2 * math.pi))
    if not math.isfinite(second_moment) or second_moment <= 0:
        raise ValueError(f"activation {activation!r} has E[σ(z)²] = {second_moment!r}; c_σ needs a positive finite value")
    return 1.0 / second_moment


def residual_mlp(
    d_in: int,
    width: int,
    depth: int,
    *,
    activation: str | Callable = "softplus",
    residual_scale: float = 1.0,
    skip: bool = True,
) -> Model:
    """Du, Lee, Li, Wang, Zhai's deep fully connected ResNet (arXiv:1811.03804, its §6):

        x⁽¹⁾ = √(c_σ/m)·σ(W⁽¹⁾x),
        x⁽ʰ⁾ = x⁽ʰ⁻¹⁾ + (c_res/(H√m))·σ(W⁽ʰ⁾x⁽ʰ⁻¹⁾)   for h = 2, …, H   (``skip=True``),
        u(x) = aᵀx⁽ᴴ⁾,

    with every W⁽ʰ⁾ and a drawn N(0, 1) entrywise, H = ``depth`` weight layers of width
    m = ``width`` and c_σ = 1/E[σ(z)²] (:func:`activation_normaliser`). With ``skip=False`` the
    hidden layers are the paper's plain MLP, x⁽ʰ⁾ = √(c_σ/m)·σ(W⁽ʰ⁾x⁽ʰ⁻¹⁾), the same parameters.

    Params: ``{"w": [W⁽¹⁾ (d_in, m), W⁽²⁾ … W⁽ᴴ⁾ (m, m)], "a": (m,)}`` (row-vector convention,
    ``x @ W``); ``apply`` returns shape ``(n, 1)``.
    """
    require_positive_int("d_in", d_in)
    require_positive_int("width", width)
    require_positive_int("depth", depth)
    residual_scale = require_positive("residual_scale", residual_scale)
    if not isinstance(skip, bool):
        raise ValueError(f"skip must be True or False, got {skip!r}")
    phi = resolve_activation(activation)
    c_sigma = activation_normaliser(phi)
    layer_scale = math.sqrt(c_sigma / width)
    branch_scale = residual_scale / (depth * math.sqrt(width))

    def init(key):
        keys = jax.random.split(key, depth + 1)
        shapes = [(d_in, width)] + [(width, width)] * (depth - 1)
        return {"w": [jax.random.normal(k, s) for k, s in zip(keys[:depth], shapes)],
                "a": jax.random.normal(keys[depth], (width,))}

    def apply(params, x):
        h = layer_scale * phi(x @ params["w"][0])
        for w in params["w"][1:]:
            h = h + branch_scale * phi(h @ w) if skip else layer_scale * phi(h @ w)
        return (h @ params["a"])[:, None]

    return Model(init, apply)
