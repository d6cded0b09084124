"""dynamics.layer_gradient_cosines: per-layer consecutive-gradient cosines against a hand
computation on a tiny two-layer linear net, its NaN conventions and its ``group`` option."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree

from theorycheck import dynamics

pytestmark = pytest.mark.usefixtures("x64")

X = np.array([[1.0, 2.0], [-1.0, 0.5], [0.5, -1.5]])
Y = np.array([[1.0], [0.0], [-1.0]])


def _loss(params):
    h = jnp.asarray(X) @ params[0]["w"]
    return 0.5 * jnp.mean((h @ params[1]["w"] - jnp.asarray(Y)) ** 2)


def _params():
    return [{"w": jnp.array([[0.3, -0.2], [0.1, 0.4]])}, {"w": jnp.array([[0.5], [-0.7]])}]


def _hand_gd(params, lr, steps):
    """GD on the two-layer linear net in numpy with the gradients written out by hand:
    r = (X W1 W2 − Y)/n, ∇W2 = (X W1)ᵀ r, ∇W1 = Xᵀ r W2ᵀ; returns the per-layer cosines."""
    w1, w2 = (np.asarray(p["w"], dtype=float) for p in params)
    grads = []
    for _ in range(steps + 1):
        r = (X @ w1 @ w2 - Y) / X.shape[0]
        g1, g2 = X.T @ r @ w2.T, (X @ w1).T @ r
        grads.append((g1, g2))
        w1, w2 = w1 - lr * g1, w2 - lr * g2
    cos = lambda a, b: np.sum(a * b) / (np.linalg.norm(a) * np.linalg.norm(b))  # noqa: E731
    return np.array([[cos(p[i], q[i]) for i in range(2)] for p, q in zip(grads[:-1], grads[1:])])


@pytest.mark.parametrize("lr", [0.1, 3.0])
def test_matches_the_hand_computation_per_layer(key, lr):
    run = dynamics.gradient_descent(_loss, dynamics.plain_sgd(lr), num_steps=6,
                                    observers={"cos": dynamics.layer_gradient_cosines(_loss)})
    records = run(_params(), key).observations["cos"]
    assert jax.tree.structure(records) == jax.tree.structure(_params())  # a pytree like params
    measured = np.stack([np.asarray(records[0]["w"]), np.asarray(records[1]["w"])], axis=1)
    assert np.all(np.isnan(measured[0]))  # no predecessor: NaN in every leaf
    np.testing.assert_allclose(measured[1:], _hand_gd(_params(), lr, 6), rtol=1e-10)


def test_one_leaf_equals_the_whole_vector_gradient_cosine(key):
    """On a single-array parameter the per-layer cosine is gradient_cosine's (shared code)."""
    loss = lambda t: jnp.sum(jnp.cos(t) * jnp.arange(1.0, 4.0))  # noqa: E731
    run = dynamics.gradient_descent(loss, dynamics.plain_sgd(0.7), num_steps=8, observers={
        "layer": dynamics.layer_gradient_cosines(loss), "whole": dynamics.gradient_cosine(loss)})
    obs = run(jnp.array([0.3, -1.0, 2.0]), key).observations
    np.testing.assert_array_equal(np.asarray(obs["layer"]), np.asarray(obs["whole"]))


def test_group_maps_the_gradient_before_the_cosine(key):
    """``group`` giving the whole flattened gradient reproduces gradient_cosine; a dict of blocks
    gives one cosine per block."""
    group = lambda g: {"whole": ravel_pytree(g)[0], "first": g[0]["w"]}  # noqa: E731
    run = dynamics.gradient_descent(_loss, dynamics.plain_sgd(3.0), num_steps=5, observers={
        "grouped": dynamics.layer_gradient_cosines(_loss, group=group),
        "whole": dynamics.gradient_cosine(_loss), "layers": dynamics.layer_gradient_cosines(_loss)})
    obs = run(_params(), key).observations
    np.testing.assert_allclose(obs["grouped"]["whole"][1:], obs["whole"][1:], rtol=1e-12)
    np.testing.assert_array_equal(obs["grouped"]["first"], obs["layers"][0]["w"])


def test_a_zero_gradient_leaf_gives_nan_not_a_crash(key):
    """A leaf the loss does not depend on (a dead layer) has no gradient direction: NaN in that
    leaf only, the other leaves' cosines finite."""
    loss = lambda p: 0.5 * jnp.sum(p["live"] ** 2) + 0.0 * jnp.sum(p["dead"])  # noqa: E731
    run = dynamics.gradient_descent(loss, dynamics.plain_sgd(1.5), num_steps=3,
                                    observers={"cos": dynamics.layer_gradient_cosines(loss)})
    cos = run({"live": jnp.array([1.0, 2.0]), "dead": jnp.ones(3)}, key).observations["cos"]
    assert np.all(np.isnan(np.asarray(cos["dead"])))
    np.testing.assert_allclose(np.asarray(cos["live"])[1:], -1.0, rtol=1e-12)  # g ← (1 − 1.5) g


def test_group_must_be_callable():
    with pytest.raises(ValueError, match="group"):
        dynamics.layer_gradient_cosines(_loss, group="layers")
