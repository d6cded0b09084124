"""Normalisation layers and the small networks of the normalisation checks (shared/THEORY.md §5, §6).

* :func:`batch_norm`: batch normalisation with batch statistics (no affine part), ε configurable
  (ε = 0 makes the network exactly invariant to rescaling a unit's incoming weights).
* :func:`channel_norm`: centre and scale each channel of one example (Dai & Heckel 2019).
* :func:`linear_bn_tanh`: ``x ↦ tanh(BN(x Wᵀ))·a`` with a fixed readout ``a`` (Liu et al. 2021's
  minimal setting): each row of ``W`` is a scale-invariant unit.
* :func:`deep_linear_conv`: the deep single-channel linear circular convolutional network
  ``x_l = c_l ⊛ x_{l−1}`` with or without channel normalisation after every layer.
"""

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from ._model import Model, require_positive_int


def _require_eps(eps) -> float:
    eps = float(eps)
    if not (0 <= eps < float("inf")):
        raise ValueError(f"eps must be finite and >= 0, got {eps!r}")
    return eps


def batch_norm(z: Float[Array, "n units"], eps: float = 0.0) -> Float[Array, "n units"]:
    """``(z − mean)/sqrt(var + ε)`` per unit (column), with the batch's own statistics.

    With ``ε = 0`` the output is exactly invariant to ``z → c·z`` for any ``c > 0`` (per column).
    """
    centred = z - jnp.mean(z, axis=0, keepdims=True)
    return centred / jnp.sqrt(jnp.mean(centred**2, axis=0, keepdims=True) + eps)


def channel_norm(z: Float[Array, "... n"], eps: float = 0.0) -> Float[Array, "... n"]:
    """Centres and scales each channel (the last axis: one example's positions) to unit std."""
    centred = z - jnp.mean(z, axis=-1, keepdims=True)
    return centred / jnp.sqrt(jnp.mean(centred**2, axis=-1, keepdims=True) + eps)


def linear_bn_tanh(
    d_in: int, width: int, readout: Float[Array, " width"], *, batch_norm_layer: bool = True, eps: float = 0.0
) -> Model:
    """``f(x) = tanh(BN(x Wᵀ)) · a``: a linear layer of ``width`` units (rows of ``W``), batch
    norm with batch statistics (optional), tanh, and a fixed (untrained) readout ``a``.

    Params: ``{"w": (width, d_in)}``, initialised ``N(0, 1/d_in)``. With ``batch_norm_layer`` and
    ``ε = 0`` the loss of any batch is invariant to rescaling any row of ``W``.
    """
    require_positive_int("d_in", d_in)
    require_positive_int("width", width)
    eps = _require_eps(eps)
    if jnp.shape(readout) != (width,):
        raise ValueError(f"readout must have shape ({width},), got {jnp.shape(readout)}")

    def init(key):
        return {"w": jax.random.normal(key, (width, d_in)) / jnp.sqrt(d_in)}

    def apply(params, x):
        z = x @ params["w"].T
        if batch_norm_layer:
            z = batch_norm(z, eps)
        return jnp.tanh(z) @ readout

    return Model(init, apply)


def circular_conv(kernel: Float[Array, " k"], x: Float[Array, " n"]) -> Float[Array, " n"]:
    """``(c ⊛ x)_i = Σ_j c_j x_{(i − j) mod n}``: circular convolution with a length-``k`` kernel."""
    shifts = jnp.stack([jnp.roll(x, j) for j in range(kernel.shape[0])])
    return kernel @ shifts


def deep_linear_conv(
    n: int, kernel_size: int, depth: int, *, channel_normalisation: bool = False, eps: float = 0.0
) -> Model:
    """The deep single-channel linear circular conv net of Dai & Heckel (2019): ``x_l = c_l ⊛
    x_{l−1}`` (``x_l = cn(c_l ⊛ x_{l−1})`` with channel normalisation), ``l = 1..depth``.

    Params: ``{"kernels": (depth, kernel_size)}``, initialised ``N(0, 1/kernel_size)``. ``apply``
    maps one signal or a batch ``(..., n)`` to the output ``x_D``. With channel normalisation and
    ``ε = 0`` the output is invariant to rescaling any kernel by ``a > 0``.
    """
    require_positive_int("n", n)
    require_positive_int("kernel_size", kernel_size)
    require_positive_int("depth", depth)
    eps = _require_eps(eps)
    if kernel_size > n:
        raise ValueError(f"kernel_size={kernel_size} must be <= n={n}")

    def init(key):
        return {"kernels": jax.random.normal(key, (depth, kernel_size)) / jnp.sqrt(kernel_size)}

    def one(params, x):
        for kernel in params["kernels"]:
            x = circular_conv(kernel, x)
            if channel_normalisation:
                x = channel_norm(x, eps)
        return x

    def apply(params, x):
        if x.ndim == 1:
            return one(params, x)
        return jax.vmap(lambda z: one(params, z))(x.reshape(-1, n)).reshape(x.shape)

    return Model(init, apply)


def dropout(x: Float[Array, "..."], keep_prob, key: jax.Array, *, rescale: bool = True) -> Float[Array, "..."]:
    """Dropout: each entry is kept with probability ``keep_prob`` (an independent Bernoulli mask
    drawn from ``key``) and zeroed otherwise; kept entries are divided by ``keep_prob`` when
    ``rescale`` (inverted dropout). ``keep_prob`` may be traced (a swept value)."""
    mask = jax.random.bernoulli(key, keep_prob, jnp.shape(x))
    kept = jnp.where(mask, x, jnp.zeros_like(x))
    return kept / keep_prob if rescale else kept
