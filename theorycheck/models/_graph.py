"""A stochastic block model graph and Kipf & Welling's two-layer graph convolutional network."""

from typing import NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float, Int, PRNGKeyArray

from ._model import Model, require_positive_int


class Graph(NamedTuple):
    """A node-classification problem on one graph.

    Attributes:
      adjacency: ``(N, N)`` symmetric 0/1 matrix, zero diagonal.
      features: ``(N, d)`` node features.
      labels: ``(N,)`` integer classes.
      labelled: ``(N,)`` boolean mask of the nodes whose label training may read.
    """

    adjacency: Float[Array, "N N"]
    features: Float[Array, "N d"]
    labels: Int[Array, " N"]
    labelled: Bool[Array, " N"]


def _require_probability(name, value):
    if not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}")


def stochastic_block_model(
    key: PRNGKeyArray,
    *,
    nodes_per_class: int = 50,
    classes: int = 3,
    p_in: float = 0.2,
    p_out: float = 0.02,
    features: int = 16,
    feature_signal: float = 0.5,
    labelled_per_class: int = 3,
) -> Graph:
    """A graph from a stochastic block model with noisy class-dependent node features (no download).

    Node ``i`` of class ``c_i`` (``nodes_per_class`` per class, in blocks) links to node ``j`` with
    probability ``p_in`` if ``c_i = c_j`` and ``p_out`` otherwise, independently (undirected, no
    self-loops). Features are ``feature_signal · μ_{c_i} + ε_i``, ``μ_c`` a random unit vector per
    class and ``ε_i ~ N(0, I/d)``: at ``feature_signal ≲ 1`` a node's own features barely decide its
    class, its neighbourhood's average does (the setting where a GCN helps). The first
    ``labelled_per_class`` nodes of each class are labelled (the semi-supervised split of Kipf &
    Welling, ICLR 2017, with a handful of labels per class).

    Raises:
      ValueError: naming the argument, for non-positive sizes, probabilities outside [0, 1],
        ``p_in < p_out`` (no community structure) or ``labelled_per_class >= nodes_per_class``.
    """
    for name, value in (("nodes_per_class", nodes_per_class), ("classes", classes), ("features", features),
                        ("labelled_per_class", labelled_per_class)):
        require_positive_int(name, value)
    _require_probability("p_in", p_in)
    _require_probability("p_out", p_out)
    if p_in < p_out:
        raise ValueError(f"p_in={p_in} < p_out={p_out}: the blocks would not be communities; use p_in >= p_out")
    if labelled_per_class >= nodes_per_class:
        raise ValueError(f"labelled_per_class={labelled_per_class} leaves no unlabelled node to test on; "
                         f"use labelled_per_class < nodes_per_class={nodes_per_class}")
    if not float(feature_signal) >= 0.0:
        raise ValueError(f"feature_signal must be >= 0, got {feature_signal!r}")
    key_edges, key_means, key_noise = jax.random.split(key, 3)
    n = nodes_per_class * classes
    labels = jnp.repeat(jnp.arange(classes), nodes_per_class)
    probability = jnp.where(labels[:, None] == labels[None, :], p_in, p_out)
    upper = jnp.triu(jax.random.uniform(key_edges, (n, n)) < probability, k=1)
    adjacency = (upper | upper.T).astype(jnp.float32 if not jax.config.jax_enable_x64 else jnp.float64)
    means = jax.random.normal(key_means, (classes, features))
    means = means / jnp.linalg.norm(means, axis=1, keepdims=True)
    x = feature_signal * means[labels] + jax.random.normal(key_noise, (n, features)) / jnp.sqrt(features)
    labelled = (jnp.arange(n) % nodes_per_class) < labelled_per_class
    return Graph(adjacency, x, labels, labelled)


def normalized_adjacency(adjacency: Float[Array, "N N"]) -> Float[Array, "N N"]:
    """``D̃^{-1/2}(A + I)D̃^{-1/2}`` with ``D̃`` the degrees of ``A + I`` (Kipf & Welling's renormalisation)."""
    if getattr(adjacency, "ndim", None) != 2 or adjacency.shape[0] != adjacency.shape[1]:
        raise ValueError(f"adjacency must be a square (N, N) matrix, got shape {getattr(adjacency, 'shape', None)}")
    a = adjacency + jnp.eye(adjacency.shape[0], dtype=adjacency.dtype)
    scale = 1.0 / jnp.sqrt(jnp.sum(a, axis=1))
    return scale[:, None] * a * scale[None, :]


def gcn(adjacency: Float[Array, "N N"], features: int, hidden: int, classes: int) -> Model:
    """Kipf & Welling's two-layer graph convolutional network on a fixed graph (ICLR 2017, eq. 9).

    ``apply(params, X) = Â·relu(Â X W₁)·W₂`` (logits, ``(N, classes)``), ``Â`` the symmetrically
    normalised adjacency with self-loops (:func:`normalized_adjacency`), closed over; ``X`` holds
    every node's features (the convolution mixes neighbours, so all nodes are inputs; the loss
    masks the labelled ones). Weights are Glorot-uniform, no biases (as in the paper).

    Args:
      adjacency: ``(N, N)`` symmetric adjacency (no self-loops needed; they are added).
      features: input dimension ``d``.
      hidden: hidden width.
      classes: output classes.
    """
    for name, value in (("features", features), ("hidden", hidden), ("classes", classes)):
        require_positive_int(name, value)
    a_hat = normalized_adjacency(jnp.asarray(adjacency))

    def glorot(key, fan_in, fan_out):
        limit = jnp.sqrt(6.0 / (fan_in + fan_out))
        return jax.random.uniform(key, (fan_in, fan_out), minval=-limit, maxval=limit)

    def init(key):
        k1, k2 = jax.random.split(key)
        return {"w1": glorot(k1, features, hidden), "w2": glorot(k2, hidden, classes)}

    def apply(params, x):
        if x.shape != (a_hat.shape[0], features):
            raise ValueError(f"gcn expects every node's features, shape {(a_hat.shape[0], features)}, got {x.shape}")
        h = jax.nn.relu(a_hat @ (x @ params["w1"]))
        return a_hat @ (h @ params["w2"])

    return Model(init, apply)
