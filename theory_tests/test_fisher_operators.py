"""The Fisher operators of :mod:`dynamics` (``fisher_vector_product``, ``top_fisher_eigenvalues``,
``fisher_trace``, ``fisher_block_grams``), ``models.mlp``'s orthogonal init and the bounds of
``isometry_curvature`` (:func:`bounds.tanh_critical_point`, :func:`bounds.sokol20_fisher_bounds`).

**Statement.** For a Gaussian output the data-averaged Fisher is F̄ = (1/n)Σ_i J_iᵀJ_i; each
operator is checked against the dense matrix built from the full parameter Jacobian on a tiny
tanh net (float64), and the block structure of Sokół & Park (ICLR 2020, eq. 9–10): a dense
layer's weight-block Gram is ‖x_prev‖² times its bias-block Gram.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree

from theorycheck import bounds, dynamics, models


@pytest.fixture(scope="module")
def tiny():
    with jax.enable_x64(True):
        net = models.mlp([5, 6, 6, 3], "tanh", init="orthogonal", bias_std=0.3, init_scale=1.1)
        params = net.init(jax.random.key(0))
        inputs = jax.random.normal(jax.random.key(1), (4, 5))
        flat, unravel = ravel_pytree(params)
        jac = jax.jacrev(lambda z: net.apply(unravel(z), inputs).reshape(-1))(flat)  # (n·d_out, P)
        dense = np.asarray(jac.T @ jac) / inputs.shape[0]
        yield net, params, inputs, dense


def test_fisher_vector_product_matches_the_dense_fisher(tiny):
    net, params, inputs, dense = tiny
    with jax.enable_x64(True):
        fvp = dynamics.fisher_vector_product(net.apply, params, inputs)
        v = jax.random.normal(jax.random.key(2), (dense.shape[0],))
        np.testing.assert_allclose(np.asarray(fvp(v)), dense @ np.asarray(v), rtol=1e-12, atol=1e-12)


def test_top_fisher_eigenvalues_match_dense_eigh(tiny):
    net, params, inputs, dense = tiny
    exact = np.linalg.eigvalsh(dense)[::-1]
    rank = inputs.shape[0] * 3
    with jax.enable_x64(True):
        observer = dynamics.top_fisher_eigenvalues(net.apply, inputs, k=2, num_iterations=rank + 1, rtol=1e-8)
        record, start = observer.observe(params, observer.init(params, jax.random.key(3)), jax.random.key(3))
    np.testing.assert_allclose(np.asarray(record["eigenvalues"]), exact[:2], rtol=1e-10)
    assert bool(np.all(record["converged"]))
    assert start.shape == (dense.shape[0],)
    # a short Krylov space is a lower estimate, never above the top eigenvalue (interlacing)
    with jax.enable_x64(True):
        short = dynamics.top_fisher_eigenvalues(net.apply, inputs, num_iterations=2)
        low, _ = short.observe(params, short.init(params, jax.random.key(4)), jax.random.key(4))
    assert float(low["eigenvalues"][0]) <= exact[0] * (1 + 1e-12)


def test_fisher_trace_and_block_grams(tiny):
    net, params, inputs, dense = tiny
    with jax.enable_x64(True):
        assert float(dynamics.fisher_trace(net.apply, params, inputs)) == pytest.approx(np.trace(dense), rel=1e-12)
        x = inputs[0]
        grams = dynamics.fisher_block_grams(net.apply, params, x)
        total = sum(jax.tree.leaves(grams))
        np.testing.assert_allclose(np.asarray(total), np.asarray(dynamics.single_sample_fisher_gram(net.apply, params, x)),
                                   rtol=1e-12, atol=1e-12)
        # weight block = ‖x_prev‖² × bias block (eq. 9–10); x_prev of layer 0 is the input
        hidden = jnp.tanh(x @ params[0]["w"] + params[0]["b"])
        for layer, prev in ((0, x), (1, hidden)):
            np.testing.assert_allclose(np.asarray(grams[layer]["w"]), float(prev @ prev) * np.asarray(grams[layer]["b"]),
                                       rtol=1e-10, atol=1e-14)


def test_fisher_operators_reject_bad_input(tiny):
    net, params, inputs, _ = tiny
    with pytest.raises(ValueError, match="inputs"):
        dynamics.fisher_vector_product(net.apply, params, inputs[0])
    with pytest.raises(ValueError, match="num_iterations"):
        dynamics.top_fisher_eigenvalues(net.apply, inputs, k=3, num_iterations=2)
    with pytest.raises(ValueError, match="k must"):
        dynamics.top_fisher_eigenvalues(net.apply, inputs, k=0)


def test_mlp_orthogonal_init_and_bias_std():
    with jax.enable_x64(True):
        params = models.mlp([8, 8, 16, 4], "tanh", init="orthogonal", init_scale=2.0, bias_std=0.5).init(jax.random.key(0))
    w0, w1, w2 = (np.asarray(p["w"]) for p in params)
    np.testing.assert_allclose(w0.T @ w0, 4.0 * np.eye(8), atol=1e-12)  # square: 2 × orthogonal
    np.testing.assert_allclose(w1 @ w1.T, 4.0 * 2.0 * np.eye(8), atol=1e-12)  # 8 → 16: rows, × sqrt(16/8)
    np.testing.assert_allclose(w2.T @ w2, 4.0 * np.eye(4), atol=1e-12)  # 16 → 4: orthonormal columns
    assert np.std(np.concatenate([np.asarray(p["b"]) for p in params])) > 0.2
    assert not np.any(np.asarray(models.mlp([3, 3]).init(jax.random.key(0))[0]["b"]))  # default: zero biases
    with pytest.raises(ValueError, match="init"):
        models.mlp([3, 3], init="uniform")
    with pytest.raises(ValueError, match="bias_std"):
        models.mlp([3, 3], bias_std=-1.0)
    with pytest.raises(ValueError, match="bias_std"):
        models.mlp([3, 3], bias=False, bias_std=1.0)


def test_tanh_critical_point_against_the_small_q_series():
    # E sech⁴(√q z) = 1 − 2q + 7q² − (202/3)·... : at q = 1e-3 the first three terms are exact to ~1e-7
    q = 1e-3
    sigma_w2, sigma_b2 = bounds.tanh_critical_point(q)
    assert sigma_w2 == pytest.approx(1.0 / (1.0 - 2 * q + 7 * q**2), rel=1e-6)
    assert 0.0 <= sigma_b2 < 1e-8  # O(q³)
    # χ = 1 and the fixed point hold by independent quadrature (scipy-free: a fine Riemann sum)
    for q in (1 / 64, 0.25, 1.0):
        sw2, sb2 = bounds.tanh_critical_point(q)
        z = np.linspace(-12, 12, 200_001)
        density = np.exp(-z**2 / 2) / math.sqrt(2 * math.pi) * (z[1] - z[0])
        u = math.sqrt(q) * z
        assert sw2 * np.sum(density / np.cosh(u) ** 4) == pytest.approx(1.0, rel=1e-9)
        assert sw2 * np.sum(density * np.tanh(u) ** 2) + sb2 == pytest.approx(q, rel=1e-9)
    with pytest.raises(ValueError, match="q_star"):
        bounds.tanh_critical_point(0.0)


def test_sokol20_fisher_bounds_hand_computed():
    # two inputs, two layers: block tops (‖x‖²+1)s², hand-summed
    jac = np.array([[2.0, 1.0], [1.0, 3.0]])
    act = np.array([[1.5, 2.0], [2.0, 1.0]])
    layer, link = bounds.sokol20_fisher_bounds(act * jac, jac, act)
    assert layer == pytest.approx(((3.0 + 2.0) + (2.0 + 3.0)) / 2)  # 5.0
    assert link == pytest.approx((2.0 * 3.5 + 1.0 * 3.0) / 2)  # 5.0
    with pytest.raises(ValueError, match="share"):
        bounds.sokol20_fisher_bounds(jac, jac[:1], act)
