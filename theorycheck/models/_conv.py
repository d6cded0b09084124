"""A small bias-free ReLU convolutional net on images (circular or zero padding), for the norm bounds."""

from collections.abc import Sequence

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from ._model import Model, require_positive, require_positive_int

PADDINGS = ("circular", "zero")


def conv2d(x: Float[Array, "n h w c"], kernel: Float[Array, "kh kw c o"], padding: str = "circular") -> Float[Array, "n h w o"]:
    """A stride-1 2-D convolution (cross-correlation) keeping the image size, without bias.

    ``z[i, j, o] = Σ_{a,b,c} kernel[a, b, c, o]·x[i + a − ⌊(kh−1)/2⌋, j + b − ⌊(kw−1)/2⌋, c]``, the
    out-of-range indices wrapped around (``padding="circular"``: ``jnp.pad(mode="wrap")`` then a
    ``VALID`` convolution) or read as 0 (``padding="zero"``: XLA's ``SAME``). Layout NHWC / HWIO.
    """
    if padding not in PADDINGS:
        raise ValueError(f"padding={padding!r} is unknown; use one of {PADDINGS}")
    kh, kw = kernel.shape[0], kernel.shape[1]
    dimensions = ("NHWC", "HWIO", "NHWC")
    if padding == "zero":
        return jax.lax.conv_general_dilated(x, kernel, (1, 1), "SAME", dimension_numbers=dimensions)
    pads = ((0, 0), ((kh - 1) // 2, kh // 2), ((kw - 1) // 2, kw // 2), (0, 0))
    return jax.lax.conv_general_dilated(jnp.pad(x, pads, mode="wrap"), kernel, (1, 1), "VALID",
                                        dimension_numbers=dimensions)


def local_conv2d(x: Float[Array, "n h w c"], kernels: Float[Array, "h w kh kw c o"],
                 padding: str = "circular") -> Float[Array, "n h w o"]:
    """A stride-1 locally connected layer: :func:`conv2d`'s receptive fields without weight sharing.

    ``z[i, j, o] = Σ_{a,b,c} kernels[i, j, a, b, c, o]·x[i + a − ⌊(kh−1)/2⌋, j + b − ⌊(kw−1)/2⌋, c]``
    (each output position has its own kernel; out-of-range indices wrapped or read as 0 as in
    :func:`conv2d`). With every ``kernels[i, j]`` equal to one kernel it is :func:`conv2d`.
    """
    if padding not in PADDINGS:
        raise ValueError(f"padding={padding!r} is unknown; use one of {PADDINGS}")
    height, width, kh, kw = kernels.shape[:4]
    if x.shape[1:3] != (height, width):
        raise ValueError(f"kernels are for {(height, width)} images, got x of shape {x.shape}")
    pads = ((0, 0), ((kh - 1) // 2, kh // 2), ((kw - 1) // 2, kw // 2), (0, 0))
    padded = jnp.pad(x, pads, mode="wrap" if padding == "circular" else "constant")
    patches = jnp.stack([jnp.stack([padded[:, a:a + height, b:b + width] for b in range(kw)], axis=3)
                         for a in range(kh)], axis=3)  # (n, H, W, kh, kw, c)
    return jnp.einsum("nijabc,ijabco->nijo", patches, kernels)


def conv_net(
    image_shape: Sequence[int] = (8, 8),
    channels: Sequence[int] = (4, 4),
    classes: int = 10,
    *,
    kernel_size: int = 3,
    padding: str = "circular",
    init_scale: float = 1.0,
    weight_sharing: bool = True,
) -> Model:
    """Bias-free ReLU conv net: ``len(channels)`` stride-1 conv layers, then a dense readout.

    Input ``(n, H·W)`` (a flattened one-channel image, as :func:`models.load_digits` gives) or
    ``(n, H, W, 1)``; output ``(n, classes)``. Every conv layer keeps the image size (``padding``
    ``"circular"`` or ``"zero"``, see :func:`conv2d`) and is followed by a ReLU; the readout acts on
    the NHWC-flattened last feature map. Params: ``[{"w": (k, k, c_in, c_out)}, ...,
    {"w": (H·W·c_last, classes)}]``, each ``N(0, init_scale²/fan_in)`` (fan_in = k²·c_in for a
    kernel). With no biases the net is positively homogeneous of degree ``len(channels) + 1`` in
    its weights, and each conv layer is the linear map of :func:`bounds.circular_conv_operator`
    (or :func:`bounds.zero_padded_conv_operator`).

    ``weight_sharing=False`` makes every conv layer locally connected (:func:`local_conv2d`: the
    same receptive fields, one kernel per output position; params ``{"w": (H, W, k, k, c_in,
    c_out)}``, each position's kernel drawn as a conv kernel is): the linear map of
    :func:`bounds.locally_connected_operator`.
    """
    height, width = (require_positive_int("image_shape", int(s)) for s in image_shape)
    channels = tuple(require_positive_int("channels", int(c)) for c in channels)
    require_positive_int("classes", classes)
    require_positive_int("kernel_size", kernel_size)
    if kernel_size > min(height, width):
        raise ValueError(f"kernel_size={kernel_size} must be <= the image size {min(height, width)}")
    if padding not in PADDINGS:
        raise ValueError(f"padding={padding!r} is unknown; use one of {PADDINGS}")
    init_scale = require_positive("init_scale", init_scale)
    c_in = (1,) + channels[:-1]

    def init(key):
        keys = jax.random.split(key, len(channels) + 1)
        spatial = () if weight_sharing else (height, width)
        params = [{"w": init_scale / jnp.sqrt(kernel_size**2 * ci)
                   * jax.random.normal(k, (*spatial, kernel_size, kernel_size, ci, co))}
                  for k, ci, co in zip(keys[:-1], c_in, channels)]
        fan_in = height * width * channels[-1]
        params.append({"w": init_scale / jnp.sqrt(fan_in) * jax.random.normal(keys[-1], (fan_in, classes))})
        return params

    def features(params, x):
        h = x.reshape(x.shape[0], height, width, 1)
        for layer in params[:-1]:
            h = jax.nn.relu((conv2d if weight_sharing else local_conv2d)(h, layer["w"], padding))
        return h.reshape(h.shape[0], -1)

    def apply(params, x):
        return features(params, x) @ params[-1]["w"]

    return Model(init, apply)
