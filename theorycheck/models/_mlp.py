"""Fully connected networks: the general MLP and the one-hidden-layer nets of the papers."""

import math
from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp

from ._model import Model, require_positive, require_positive_int, resolve_activation

_PARAMETERIZATIONS = ("standard", "ntk")


def _check_parameterization(parameterization: str) -> None:
    if parameterization not in _PARAMETERIZATIONS:
        raise ValueError(
            f"parameterization={parameterization!r} is unknown; use one of {_PARAMETERIZATIONS}"
        )


def mlp(
    widths: Sequence[int],
    activation: str | Callable = "relu",
    *,
    bias: bool = True,
    parameterization: str = "standard",
    init_scale: float = 1.0,
    init: str = "gaussian",
    bias_std: float = 0.0,
) -> Model:
    """A fully connected network ``widths[0] -> ... -> widths[-1]``.

    Params are a list of ``{"w": (fan_in, fan_out)[, "b": (fan_out,)]}``. In the ``standard``
    parameterization ``w ~ N(0, init_scale²/fan_in)`` and a layer computes ``x @ w + b``; in the
    ``ntk`` parameterization (Jacot et al. 2018) ``w ~ N(0, init_scale²)`` and a layer computes
    ``x @ w / sqrt(fan_in) + b``. Biases start at zero. With ``bias=False`` and a positively
    homogeneous activation (``relu``, ``linear``) the network is positively homogeneous of degree
    ``len(widths) - 1`` in its weights, which the norm and low-rank theorems need.

    Args:
      widths: layer widths including input and output, at least two entries.
      activation: name or callable, applied after every layer but the last.
      bias: whether layers have biases.
      parameterization: ``"standard"`` or ``"ntk"``.
      init_scale: the standard deviation multiplier ``σ_w``.
      init: ``"gaussian"`` or ``"orthogonal"``.
      bias_std: the standard deviation ``σ_b`` of the initial biases (0: zero biases).
    """
    widths = tuple(widths)
    if len(widths) < 2:
        raise ValueError(f"widths must hold at least input and output widths, got {widths!r}")
    for i, width in enumerate(widths):
        require_positive_int(f"widths[{i}]", width)
    _check_parameterization(parameterization)
    init_scale = require_positive("init_scale", init_scale)
    if init not in ("gaussian", "orthogonal"):
        raise ValueError(f"init={init!r} is unknown; use 'gaussian' or 'orthogonal'")
    try:
        bias_std = float(bias_std)
    except (TypeError, ValueError):
        raise ValueError(f"bias_std must be a finite number >= 0, got {bias_std!r}") from None
    if not math.isfinite(bias_std) or bias_std < 0:
        raise ValueError(f"bias_std must be a finite number >= 0, got {bias_std!r}")
    if bias_std > 0 and not bias:
        raise ValueError("bias_std > 0 needs bias=True (the network has no biases to draw)")
    phi = resolve_activation(activation)
    ntk = parameterization == "ntk"
    orthogonal = jax.nn.initializers.orthogonal()

    def init_fn(key):
        params = []
        for layer_key, fan_in, fan_out in zip(
            jax.random.split(key, len(widths) - 1), widths[:-1], widths[1:]
        ):
            if init == "orthogonal":
                scale = math.sqrt(max(1.0, fan_out / fan_in)) * (math.sqrt(fan_in) if ntk else 1.0)
                w = init_scale * scale * orthogonal(layer_key, (fan_in, fan_out), jnp.result_type(float))
            else:
                std = init_scale if ntk else init_scale / jnp.sqrt(fan_in)
                w = std * jax.random.normal(layer_key, (fan_in, fan_out))
            layer = {"w": w}
            if bias:
                layer["b"] = (bias_std * jax.random.normal(jax.random.fold_in(layer_key, 1), (fan_out,))
                              if bias_std > 0 else jnp.zeros((fan_out,)))
            params.append(layer)
        return params

    def apply(params, x):
        h = x
        for i, layer in enumerate(params):
            h = h @ layer["w"]
            if ntk:
                h = h / jnp.sqrt(layer["w"].shape[0])
            if bias:
                h = h + layer["b"][None, :]
            if i < len(params) - 1:
                h = phi(h)
        return h

    return Model(init_fn, apply)


def two_layer(
    d_in: int,
    width: int,
    *,
    parameterization: str = "ntk",
    antisymmetric_init: bool = False,
    activation: str | Callable = "relu",
) -> Model:
    """``f(x) = Σ_r a_r σ(w_rᵀx)`` scaled as in Du et al. (ICLR 2019) and Jin & Montúfar (2023).

    ``ntk``: ``w_r ~ N(0, I)``, ``a_r ~ N(0, 1)``, output scaled by ``1/sqrt(width)``;
    ``standard``: ``w_r ~ N(0, I/d_in)``, ``a_r ~ N(0, 1/width)``, no output scaling.
    With ``antisymmetric_init`` (width even) the second half of the units copies the first half's
    ``w`` with negated ``a``, so ``f₀ ≡ 0`` (up to round-off) at initialisation (the ASI trick of Zhang et al. 2020,
    used by Jin & Montúfar to remove the random initial function).

    Params: ``{"w": (d_in, width), "a": (width,)}``; ``apply`` returns shape ``(n, 1)``.
    """
    require_positive_int("d_in", d_in)
    require_positive_int("width", width)
    _check_parameterization(parameterization)
    if antisymmetric_init and width % 2:
        raise ValueError(f"width must be even with antisymmetric_init=True, got {width}")
    phi = resolve_activation(activation)
    ntk = parameterization == "ntk"

    def init(key):
        key_w, key_a = jax.random.split(key)
        units = width // 2 if antisymmetric_init else width
        w = jax.random.normal(key_w, (d_in, units)) * (1.0 if ntk else 1.0 / jnp.sqrt(d_in))
        a = jax.random.normal(key_a, (units,)) * (1.0 if ntk else 1.0 / jnp.sqrt(width))
        if antisymmetric_init:
            w, a = jnp.concatenate([w, w], axis=1), jnp.concatenate([a, -a])
        return {"w": w, "a": a}

    def apply(params, x):
        out = phi(x @ params["w"]) @ params["a"]
        if ntk:
            out = out / jnp.sqrt(width)
        return out[:, None]

    return Model(init, apply)


def cohen21_regression_net(width: int = 100, *, gain: float = 1.9) -> Model:
    """The ``regression`` architecture of Cohen et al. (ICLR 2021, arXiv:2103.00065).

    One hidden tanh layer on scalar inputs: the first layer is Xavier-normal with ``gain`` (1.9 in
    the reference code, locuslab/edge-of-stability ``archs.py``) and a zero bias, the second
    Xavier-normal with gain 1 and no bias (shared/THEORY.md §1, [V-src]).

    Params: ``{"w1": (1, width), "b1": (width,), "w2": (width, 1)}``.
    """
    require_positive_int("width", width)
    gain = require_positive("gain", gain)

    def init(key):
        key1, key2 = jax.random.split(key)
        xavier = jnp.sqrt(2.0 / (1 + width))  # fan_in + fan_out = 1 + width for both layers
        return {
            "w1": gain * xavier * jax.random.normal(key1, (1, width)),
            "b1": jnp.zeros((width,)),
            "w2": xavier * jax.random.normal(key2, (width, 1)),
        }

    def apply(params, x):
        return jnp.tanh(x @ params["w1"] + params["b1"][None, :]) @ params["w2"]

    return Model(init, apply)
