"""The univariate shallow ReLU net of Jin & Montúfar (JMLR 2023), with biases and antisymmetric init."""

import jax
import jax.numpy as jnp

from ._model import Model, require_positive, require_positive_int

_INITS = ("uniform", "gaussian")


def shallow_relu_1d(
    width: int, *, init: str = "uniform", weight_scale: float = 1.0, bias_scale: float = 1.0
) -> Model:
    """``f(x) = (1/√n) Σ_k a_k [w_k x + b_k]_+`` on scalar inputs, NTK-scaled, with f₀ ≡ 0.

    The input weights and biases are drawn i.i.d. from ``init``: ``"uniform"`` (w ~ U(−a_w, a_w),
    b ~ U(−a_b, a_b)) or ``"gaussian"`` (w ~ N(0, a_w²), b ~ N(0, a_b²)), with a_w =
    ``weight_scale``, a_b = ``bias_scale``; a ~ N(0, 1). The initialisation is antisymmetric (the
    ASI trick used by Jin & Montúfar, arXiv:2006.07356): the second half of the units copies the
    first half's (w, b) with negated a, so f(·, θ₀) ≡ 0 (the two halves cancel term by term,
    up to round-off) and the implicit bias is that of g − f₀ = g. The curvature penalty of this
    initialisation is :func:`bounds.jin23_zeta`.

    Params: ``{"w": (width,), "b": (width,), "a": (width,)}``; ``apply(params, x)`` takes ``x`` of
    shape ``(n,)`` or ``(n, 1)`` and returns ``(n, 1)``.
    """
    require_positive_int("width", width)
    if width % 2:
        raise ValueError(f"width must be even (antisymmetric initialisation pairs the units), got {width}")
    if init not in _INITS:
        raise ValueError(f"init={init!r} is unknown; use one of {_INITS}")
    a_w = require_positive("weight_scale", weight_scale)
    a_b = require_positive("bias_scale", bias_scale)
    half = width // 2

    def init_fn(key):
        key_w, key_b, key_a = jax.random.split(key, 3)
        if init == "uniform":
            w = jax.random.uniform(key_w, (half,), minval=-a_w, maxval=a_w)
            b = jax.random.uniform(key_b, (half,), minval=-a_b, maxval=a_b)
        else:
            w = a_w * jax.random.normal(key_w, (half,))
            b = a_b * jax.random.normal(key_b, (half,))
        a = jax.random.normal(key_a, (half,))
        return {"w": jnp.concatenate([w, w]), "b": jnp.concatenate([b, b]), "a": jnp.concatenate([a, -a])}

    def apply(params, x):
        x = jnp.reshape(x, (-1, 1))
        hidden = jax.nn.relu(x * params["w"][None, :] + params["b"][None, :])
        return (hidden @ params["a"] / jnp.sqrt(width))[:, None]

    return Model(init_fn, apply)
