"""models.tree_net, models.compositional_target and models.dense_target: their defining properties."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from theorycheck import models


def _hidden_tree(net_params, x, level):
    """tree_net's activations after ``level`` layers (the same recursion, written out)."""
    h = x[:, :, None]
    for layer in net_params[:level]:
        n, length, c = h.shape
        pairs = h.reshape(n, length // 2, 2 * c)
        w = jnp.broadcast_to(layer["w"], (length // 2,) + layer["w"].shape[1:])
        h = jnp.tanh(jnp.einsum("npi,pio->npo", pairs, w) + layer["b"][None])
    return h


@pytest.mark.parametrize("shared", [False, True])
def test_tree_net_first_layer_is_a_kernel2_stride2_conv(shared):
    net = models.tree_net(8, 3, shared=shared)
    params = net.init(jax.random.key(0))
    assert params[0]["w"].shape == ((1 if shared else 4), 2, 3) and len(params) == 4
    x = jax.random.normal(jax.random.key(1), (5, 8))
    h = jax.jit(_hidden_tree, static_argnums=2)(params, x, 1)
    for p in range(4):  # position p sees exactly (x_2p, x_2p+1)
        w = params[0]["w"][0 if shared else p]
        np.testing.assert_allclose(h[:, p], jnp.tanh(x[:, 2 * p:2 * p + 2] @ w + params[0]["b"][0 if shared else p][None]),
                                   rtol=1e-5, atol=1e-6)
    assert net.apply(params, x).shape == (5, 1)


@pytest.mark.parametrize("d", [16])
def test_tree_net_is_compositionally_sparse(d):
    """∂f/∂x_i ∂x_j ≠ 0 for inputs in one leaf pair, but the first-layer node of pair (0, 1) is
    unchanged when any other input moves: the receptive field of a node is its subtree."""
    net = models.tree_net(d, 4)
    params = net.init(jax.random.key(2))
    x = jax.random.normal(jax.random.key(3), (1, d))
    moved = x.at[0, 2:].add(1.0)
    hidden, apply = jax.jit(_hidden_tree, static_argnums=2), jax.jit(net.apply)
    np.testing.assert_allclose(hidden(params, x, 1)[:, 0], hidden(params, moved, 1)[:, 0], rtol=1e-6)
    assert not np.allclose(apply(params, x), apply(params, moved))


def test_compositional_target_is_a_tree_of_two_input_functions():
    d = 8
    target = models.compositional_target(d)
    params = jax.jit(target.init)(jax.random.key(0))
    x = jax.random.uniform(jax.random.key(1), (4096, d), minval=-3**0.5, maxval=3**0.5)
    y = jax.jit(target.apply)(params, x)[:, 0]
    assert abs(float(jnp.mean(y))) < 0.1 and 0.9 < float(jnp.std(y)) < 1.1  # standardised on a reference
    # the mixed second derivative across the root's two subtrees is the root's: non-zero; the first
    # level's node of (x0, x1) does not see x2: moving x2..x7 with x0, x1 fixed moves f only through
    # the other subtrees (checked through the level-1 output of node 0)
    level = params[0]
    a = x[:, :2][:, None, :]
    out0 = jnp.einsum("npj,pj->np", jnp.tanh(jnp.einsum("npi,pij->npj", a, level["w"][:1]) + level["c"][None, :1]),
                      level["v"][:1])
    assert float(jnp.std(out0)) > 0.1
    grad = jax.jit(jax.vmap(jax.grad(lambda z: target.apply(params, z[None])[0, 0])))(x[:16])
    assert np.all(np.mean(np.abs(np.asarray(grad)), axis=0) > 1e-3)  # every input matters


def test_dense_target_mixes_all_inputs_in_every_unit():
    target = models.dense_target(8, 28)
    params = jax.jit(target.init)(jax.random.key(0))
    assert params["w"].shape == (8, 28) and np.all(np.abs(np.asarray(params["w"])) > 0)
    x = jax.random.uniform(jax.random.key(1), (4096, 8), minval=-3**0.5, maxval=3**0.5)
    pre = x @ params["w"]
    np.testing.assert_allclose(np.var(np.asarray(pre), axis=0).mean(), 2.0, rtol=0.3)  # 2·scale², scale 1
    y = jax.jit(target.apply)(params, x)[:, 0]
    assert abs(float(jnp.mean(y))) < 0.1 and 0.9 < float(jnp.std(y)) < 1.1


@pytest.mark.parametrize("builder", [lambda: models.tree_net(6, 4), lambda: models.compositional_target(12),
                                     lambda: models.dense_target(1, 3), lambda: models.tree_net(8, 0)])
def test_bad_sizes_raise(builder):
    with pytest.raises(ValueError, match="d must be|channels"):
        builder()
