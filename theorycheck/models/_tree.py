"""Binary-tree ("compositionally sparse") networks and targets (Poggio et al.'s hierarchically local nets)."""

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from ._model import Model, require_positive, require_positive_int, resolve_activation


def _levels(d: int) -> int:
    require_positive_int("d", d)
    levels = d.bit_length() - 1
    if d < 2 or d != 1 << levels:
        raise ValueError(f"d must be a power of two >= 2 (the inputs are the leaves of a binary tree), got {d}")
    return levels


def tree_net(d: int, channels: int, *, activation: str = "tanh", shared: bool = False) -> Model:
    """A binary-tree local network: log₂ d layers of a 1-D convolution with kernel 2 and stride 2.

    Layer ℓ sees the ``d/2^(ℓ−1)`` positions of the previous layer (``channels`` channels each; the
    input has one), merges each adjacent pair into one position: ``h' = φ([h_(2i), h_(2i+1)] W_(ℓ,i)
    + b_(ℓ,i))`` with ``W`` of shape ``(2·c_in, channels)``. After log₂ d layers one position is
    left; a linear readout maps its ``channels`` features to the scalar output. Every node of the
    tree therefore sees exactly two children: the network is *compositionally sparse* (each
    constituent a function of 2 variables), the architecture of Poggio et al.'s hierarchically
    local networks. With ``shared=False`` (the default) each position has its own weights (a
    *locally connected* layer: the nodes of a compositional target differ); ``shared=True`` ties
    them across the positions of a layer (a convolution proper).

    Params: ``[{"w": (positions, 2·c_in, channels), "b": (positions, channels)}, ...,
    {"w": (channels, 1), "b": (1,)}]`` (positions = 1 when ``shared``), ``w ~ N(0, 1/fan_in)``,
    biases 0. ``apply`` maps ``(n, d) -> (n, 1)``.

    Args:
      d: number of inputs, a power of two >= 2.
      channels: features per node (the width of each constituent).
      activation: the nonlinearity φ (see :func:`models.mlp`).
      shared: tie the weights across the positions of a layer.

    Examples:
      >>> import jax
      >>> net = tree_net(8, 4)
      >>> net.apply(net.init(jax.random.key(0)), jax.numpy.ones((3, 8))).shape
      (3, 1)
    """
    levels = _levels(d)
    require_positive_int("channels", channels)
    phi = resolve_activation(activation)
    widths = [1] + [channels] * levels

    def init(key):
        keys = jax.random.split(key, levels + 1)
        params = []
        for level in range(levels):
            positions = 1 if shared else d >> (level + 1)
            fan_in = 2 * widths[level]
            w = jax.random.normal(keys[level], (positions, fan_in, channels)) / jnp.sqrt(fan_in)
            params.append({"w": w, "b": jnp.zeros((positions, channels))})
        params.append({"w": jax.random.normal(keys[-1], (channels, 1)) / jnp.sqrt(channels), "b": jnp.zeros((1,))})
        return params

    def apply(params, x: Float[Array, "n d"]) -> Float[Array, "n 1"]:
        h = x[:, :, None]
        for layer in params[:-1]:
            n, length, c = h.shape
            pairs = h.reshape(n, length // 2, 2 * c)
            h = phi(jnp.einsum("npi,pio->npo", pairs, jnp.broadcast_to(layer["w"], (length // 2,) + layer["w"].shape[1:]))
                    + layer["b"][None])
        return h[:, 0, :] @ params[-1]["w"] + params[-1]["b"][None, :]

    return Model(init, apply)


def compositional_target(d: int, hidden: int = 4, *, scale: float = 2.0, reference: int = 4096) -> Model:
    """A random compositionally sparse function: a binary tree of random smooth 2-input functions.

    Each of the ``d − 1`` nodes computes ``g(a, b) = Σ_(j<hidden) v_j tanh(w_(j1) a + w_(j2) b + c_j)``
    with ``w ~ N(0, scale²)``, ``c ~ N(0, 1)``, ``v ~ N(0, 1)`` (analytic, C^∞), then standardises its
    output to mean 0 and variance 1 over a fixed reference sample of ``reference`` inputs
    ``x ~ U[−√3, √3]^d`` (drawn inside ``init``): the standardisation is an affine map fixed at
    init, so the target stays analytic and every level of the tree has unit-variance inputs (no
    level collapses to its linear part or saturates). The leaves are the inputs, paired in order
    ``(x_0, x_1), (x_2, x_3), ...``: the same tree as :func:`tree_net`.

    Params: ``[{"w": (nodes, 2, hidden), "c": (nodes, hidden), "v": (nodes, hidden), "mean": (nodes,),
    "std": (nodes,)}, ...]`` per level; ``apply`` maps ``(n, d) -> (n, 1)``.
    """
    levels = _levels(d)
    require_positive_int("hidden", hidden)
    scale = require_positive("scale", scale)
    require_positive_int("reference", reference)

    def node(level, a):  # a: (n, nodes, 2) -> (n, nodes) before standardisation
        return jnp.einsum("npj,pj->np", jnp.tanh(jnp.einsum("npi,pij->npj", a, level["w"]) + level["c"][None]),
                          level["v"])

    def init(key):
        keys = jax.random.split(key, levels + 1)
        h = jax.random.uniform(keys[-1], (reference, d), minval=-jnp.sqrt(3.0), maxval=jnp.sqrt(3.0))
        params = []
        for level in range(levels):
            nodes = d >> (level + 1)
            kw, kc, kv = jax.random.split(keys[level], 3)
            raw = {"w": scale * jax.random.normal(kw, (nodes, 2, hidden)), "c": jax.random.normal(kc, (nodes, hidden)),
                   "v": jax.random.normal(kv, (nodes, hidden))}
            out = node(raw, h.reshape(reference, nodes, 2))
            raw["mean"], raw["std"] = jnp.mean(out, axis=0), jnp.std(out, axis=0) + 1e-6
            params.append(raw)
            h = (out - raw["mean"][None]) / raw["std"][None]
        return params

    def apply(params, x: Float[Array, "n d"]) -> Float[Array, "n 1"]:
        h = x
        for level in params:
            h = (node(level, h.reshape(h.shape[0], -1, 2)) - level["mean"][None]) / level["std"][None]
        return h

    return Model(init, apply)


def dense_target(d: int, units: int, *, scale: float = 1.0, reference: int = 4096) -> Model:
    """A random smooth function of all ``d`` inputs at once: a one-hidden-layer tanh net, standardised.

    ``f(x) = (Σ_(j<units) v_j tanh(w_jᵀx + c_j) − m)/s`` with ``w_j ~ N(0, 2·scale²/d · I)``,
    ``c ~ N(0, 1)``, ``v ~ N(0, 1)``, and ``m``, ``s`` the mean and standard deviation over a
    reference sample of ``reference`` inputs ``x ~ U[−√3, √3]^d`` drawn inside ``init``. Each
    pre-activation then has variance 2·scale², as in a node of :func:`compositional_target` with
    the same ``scale`` (two unit-variance inputs, weights of variance scale²): the same
    smoothness (analytic) and the same per-unit nonlinearity, but every unit reads every input,
    so the function has no compositional sparsity. With ``units = (d − 1)·hidden`` it has as many
    tanh units as the tree target.

    Params: ``{"w": (d, units), "c": (units,), "v": (units,), "mean": (), "std": ()}``; ``apply`` maps
    ``(n, d) -> (n, 1)``.
    """
    _levels(d)
    require_positive_int("units", units)
    scale = require_positive("scale", scale)
    require_positive_int("reference", reference)

    def raw(params, x):
        return jnp.tanh(x @ params["w"] + params["c"][None]) @ params["v"]

    def init(key):
        kw, kc, kv, kx = jax.random.split(key, 4)
        params = {"w": scale * jnp.sqrt(2.0 / d) * jax.random.normal(kw, (d, units)),
                  "c": jax.random.normal(kc, (units,)), "v": jax.random.normal(kv, (units,))}
        out = raw(params, jax.random.uniform(kx, (reference, d), minval=-jnp.sqrt(3.0), maxval=jnp.sqrt(3.0)))
        params["mean"], params["std"] = jnp.mean(out), jnp.std(out) + 1e-6
        return params

    def apply(params, x: Float[Array, "n d"]) -> Float[Array, "n 1"]:
        return ((raw(params, x) - params["mean"]) / params["std"])[:, None]

    return Model(init, apply)
