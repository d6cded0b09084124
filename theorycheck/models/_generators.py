"""Un-trained convolutional generators (Heckel & Soltanolkotabi, ICML 2020, arXiv:2005.03991;
shared/THEORY.md §7).

* :func:`conv_generator`: the two-layer model ``G(C) = ReLU(U C)·v`` of the paper's theory: ``C``
  (``n × k``) are the trained coefficients, ``U`` is the ``n × n`` circulant convolution with a fixed
  kernel ``u`` (the generator's input), ``v ∈ {±1/√k}^k`` (half +, half −) fixed output weights.
* :func:`deep_decoder`: a 1-D deep decoder (Heckel & Hand, ICLR 2019; the reference code
  ``MLI-lab/cs_deep_decoder/include/decoder.py``): per layer a 1×1 convolution (a channel-mixing
  matrix, no bias), linear upsampling by 2, ReLU and channel normalisation, then a final 1×1
  convolution to one output channel. Its input is a fixed random tensor at low resolution.
"""

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from ._model import Model, require_positive_int
from ._normalisation import channel_norm


def circulant(kernel: Float[Array, " n"]) -> Float[Array, "n n"]:
    """The ``n × n`` circulant matrix ``U_ij = u_{(i − j) mod n}``: ``U x = u ⊛ x`` (circular convolution)."""
    n = kernel.shape[0]
    index = (jnp.arange(n)[:, None] - jnp.arange(n)[None, :]) % n
    return kernel[index]


def gaussian_kernel(n: int, width: float) -> Float[Array, " n"]:
    """A unit-norm, circularly symmetric Gaussian kernel ``u_j ∝ exp(−d(j)²/(2·width²))``,
    ``d(j) = min(j, n − j)``: the low-pass filter ``U`` of the two-layer generator."""
    require_positive_int("n", n)
    distance = jnp.minimum(jnp.arange(n), n - jnp.arange(n))
    kernel = jnp.exp(-(distance**2) / (2.0 * width**2))
    return kernel / jnp.linalg.norm(kernel)


def conv_generator(n: int, width: int) -> Model:
    """The two-layer un-trained convolutional generator ``G(C) = ReLU(U C)·v`` (Heckel &
    Soltanolkotabi 2020).

    Params: ``{"c": (n, width)}``, initialised ``N(0, 1)`` (scale it by the paper's ω: the Jacobian
    ``∂G/∂C`` is invariant to ``C → aC``, ``a > 0``, by ReLU homogeneity, and ``G(aC) = a·G(C)``).
    ``apply(params, kernel)`` takes the fixed convolution kernel ``u`` (``(n,)``; ``U`` is its
    circulant) and returns the signal ``(n,)``. The output weights ``v`` are ``+1/√k`` on the first
    ``⌈k/2⌉`` channels and ``−1/√k`` on the rest (``k = width``).
    """
    require_positive_int("n", n)
    require_positive_int("width", width)
    v = jnp.where(jnp.arange(width) < (width + 1) // 2, 1.0, -1.0) / jnp.sqrt(width)

    def init(key):
        return {"c": jax.random.normal(key, (n, width))}

    def apply(params, kernel):
        if kernel.shape != (n,):
            raise ValueError(f"conv_generator: the kernel must have shape ({n},), got {kernel.shape}")
        return jax.nn.relu(circulant(kernel) @ params["c"]) @ v.astype(params["c"].dtype)

    return Model(init, apply)


def upsample_linear(x: Float[Array, "c n"]) -> Float[Array, "c 2n"]:
    """Linear interpolation by 2 along the last axis, with half-pixel centres and clamped edges
    (the 1-D analogue of ``nn.Upsample(mode='bilinear', align_corners=False)``)."""
    n = x.shape[-1]
    source = jnp.clip((jnp.arange(2 * n) + 0.5) / 2.0 - 0.5, 0.0, n - 1.0)
    low = jnp.floor(source).astype(jnp.int32)
    high = jnp.minimum(low + 1, n - 1)
    frac = (source - low).astype(x.dtype).reshape((1,) * (x.ndim - 1) + (2 * n,))
    return x[..., low] * (1.0 - frac) + x[..., high] * frac


def deep_decoder(channels: int, depth: int, *, eps: float = 1e-5) -> Model:
    """A 1-D deep decoder: ``depth`` layers of (1×1 conv, upsample ×2, ReLU, channel norm), then a
    1×1 conv to one channel.

    Params: ``{"layers": (depth, channels, channels), "out": (channels,)}``, initialised
    ``N(0, 1/channels)``. ``apply(params, b0)`` maps the fixed input ``b0`` of shape
    ``(channels, n0)`` to a signal of length ``n0·2^depth``. The reference code's channel norm is
    ``BatchNorm2d`` on one image with an affine part initialised to the identity; the affine part is
    left out here (the map at initialisation is the same), and the final sigmoid too (a linear
    output for regression on measurements). ``eps`` is ``BatchNorm2d``'s default 1e-5: a channel
    that the ReLU zeroes everywhere would otherwise be 0/0.
    """
    require_positive_int("channels", channels)
    require_positive_int("depth", depth)

    def init(key):
        key_layers, key_out = jax.random.split(key)
        return {
            "layers": jax.random.normal(key_layers, (depth, channels, channels)) / jnp.sqrt(channels),
            "out": jax.random.normal(key_out, (channels,)) / jnp.sqrt(channels),
        }

    def apply(params, b0):
        if b0.ndim != 2 or b0.shape[0] != channels:
            raise ValueError(f"deep_decoder: the input must have shape ({channels}, n0), got {b0.shape}")
        x = b0
        for weight in params["layers"]:
            x = channel_norm(jax.nn.relu(upsample_linear(weight @ x)), eps)
        return params["out"] @ x

    return Model(init, apply)
