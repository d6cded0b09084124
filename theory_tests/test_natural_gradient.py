"""``dynamics.natural_gradient`` and the categorical ``fisher_vector_product``.

**Statement.** For a Gaussian output the Fisher is the Gauss–Newton matrix (1/n)JᵀJ, so on a
linear model f(W, x) = xW the natural-gradient direction of ½·mean‖f − y‖² is the Newton
direction (XᵀX)⁻¹Xᵀ(XW − Y) and one step of size 1 lands on the least-squares solution; with
damping λ it is (XᵀX/n + λI)⁻¹g (closed forms in numpy). For a categorical output the Fisher is
(1/n)Σ JᵢᵀΛᵢJᵢ, Λᵢ = diag(pᵢ) − pᵢpᵢᵀ (Martens, JMLR 2020, §9.2), checked against the dense
matrix from the full Jacobian on a tiny net. float64 throughout.
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from jax.flatten_util import ravel_pytree

from theorycheck import dynamics, models


def _linear_problem(n=12, d=3, k=2):
    rng = np.random.default_rng(0)
    x, y, w = rng.normal(size=(n, d)), rng.normal(size=(n, k)), rng.normal(size=(d, k))
    return x, y, w


def _apply(w, x):
    return x @ w


@pytest.mark.parametrize("solver", ["cg", "dense"])
def test_linear_gaussian_step_is_the_newton_step(solver):
    x, y, w = _linear_problem()
    with jax.enable_x64(True):
        loss = lambda p: 0.5 * jnp.mean(jnp.sum((_apply(p, x) - y) ** 2, axis=1))  # noqa: E731
        g = jax.grad(loss)(jnp.asarray(w))
        ng = dynamics.natural_gradient(_apply, data=jnp.asarray(x), solver=solver, tol=1e-14)
        d, state = ng.update(g, ng.init(w), jnp.asarray(w))
    newton = np.linalg.solve(x.T @ x, x.T @ (x @ w - y))
    np.testing.assert_allclose(np.asarray(d), newton, rtol=1e-10, atol=1e-12)
    least_squares = np.linalg.lstsq(x, y, rcond=None)[0]
    np.testing.assert_allclose(w - np.asarray(d), least_squares, rtol=1e-10, atol=1e-12)
    assert float(state.residual) < 1e-12


def test_damping_gives_the_damped_solve():
    x, y, w = _linear_problem()
    damping = 0.3
    with jax.enable_x64(True):
        loss = lambda p: 0.5 * jnp.mean(jnp.sum((_apply(p, x) - y) ** 2, axis=1))  # noqa: E731
        g = jax.grad(loss)(jnp.asarray(w))
        ng = dynamics.natural_gradient(_apply, data=jnp.asarray(x), damping=damping, tol=1e-14)
        d, _ = ng.update(g, ng.init(w), jnp.asarray(w))
    n = x.shape[0]
    expected = np.linalg.solve(x.T @ x / n + damping * np.eye(3), np.asarray(g))
    np.testing.assert_allclose(np.asarray(d), expected, rtol=1e-10, atol=1e-12)


def test_categorical_fisher_matches_the_dense_jacobian_form():
    net = models.mlp([3, 4, 3], "tanh")
    with jax.enable_x64(True):
        params = net.init(jax.random.key(0))
        x = jax.random.normal(jax.random.key(1), (5, 3))
        flat, unravel = ravel_pytree(params)
        jac = np.asarray(jax.jacrev(lambda z: net.apply(unravel(z), x))(flat))  # (n, C, P)
        p = np.asarray(jax.nn.softmax(net.apply(params, x), axis=-1))
        dense = sum(jac[i].T @ (np.diag(p[i]) - np.outer(p[i], p[i])) @ jac[i] for i in range(5)) / 5
        v = np.asarray(jax.random.normal(jax.random.key(2), flat.shape))
        fvp = dynamics.fisher_vector_product(net.apply, params, x, output="categorical")
        np.testing.assert_allclose(np.asarray(fvp(jnp.asarray(v))), dense @ v, rtol=1e-11, atol=1e-13)
        # the direction is the damped solve with that matrix
        g = jax.random.normal(jax.random.key(3), flat.shape)
        ng = dynamics.natural_gradient(net.apply, data=x, output="categorical", damping=1e-2, tol=1e-14)
        d, _ = ng.update(unravel(g), ng.init(params), params)
        d = np.asarray(ravel_pytree(d)[0])
    expected = np.linalg.solve(dense + 1e-2 * np.eye(flat.size), np.asarray(g))
    np.testing.assert_allclose(d, expected, rtol=1e-8, atol=1e-10)


def test_in_gradient_descent_one_unit_step_solves_least_squares_and_sgd_uses_the_batch():
    """GD: chained with a step of 1 the first step lands on the minimiser; SGD with batch = n is GD."""
    x, y, w = _linear_problem()
    with jax.enable_x64(True):
        xj, yj = jnp.asarray(x), jnp.asarray(y)
        loss = lambda p: 0.5 * jnp.mean(jnp.sum((_apply(p, xj) - yj) ** 2, axis=1))  # noqa: E731
        opt = optax.chain(dynamics.natural_gradient(_apply, data=xj, tol=1e-14), dynamics.plain_sgd(1.0))
        run = dynamics.gradient_descent(loss, opt, num_steps=1)
        final = run(jnp.asarray(w), jax.random.key(0)).final_params
        batch_loss = lambda p, b: 0.5 * jnp.mean(jnp.sum((_apply(p, b[0]) - b[1]) ** 2, axis=1))  # noqa: E731
        opt_sgd = optax.chain(dynamics.natural_gradient(_apply, tol=1e-14), dynamics.plain_sgd(1.0))
        final_sgd = dynamics.sgd(batch_loss, opt_sgd, (xj, yj), batch_size=12, num_steps=1)(
            jnp.asarray(w), jax.random.key(0)).final_params
    least_squares = np.linalg.lstsq(x, y, rcond=None)[0]
    np.testing.assert_allclose(np.asarray(final), least_squares, rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(np.asarray(final_sgd), least_squares, rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("kwargs, match", [
    ({"output": "poisson"}, "output"),
    ({"solver": "lu"}, "solver"),
    ({"damping": -1.0}, "damping"),
    ({"damping": float("nan")}, "damping"),
    ({"cg_iters": 0}, "cg_iters"),
    ({"tol": 0.0}, "tol"),
    ({"data": np.zeros(3)}, "data"),
    ({"batch_inputs": 3}, "batch_inputs"),
])
def test_bad_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        dynamics.natural_gradient(_apply, **kwargs)


def test_update_without_inputs_or_params_raises():
    ng = dynamics.natural_gradient(_apply)
    w = jnp.zeros((3, 2))
    with pytest.raises(ValueError, match="data=x"):
        ng.update(w, ng.init(w), w)
    with pytest.raises(ValueError, match="params"):
        dynamics.natural_gradient(_apply, data=jnp.zeros((4, 3))).update(w, ng.init(w))
    with pytest.raises(ValueError, match="output"):
        dynamics.fisher_vector_product(_apply, w, jnp.zeros((4, 3)), output="gamma")


def test_affine_reparameterisation_is_exactly_invariant_step_by_step():
    """Invertible F (linear model, n > P): θ = Mv + b, NG steps in v map onto NG steps in θ."""
    x, y, w = _linear_problem(n=20, d=3, k=1)
    rng = np.random.default_rng(1)
    m = np.linalg.qr(rng.normal(size=(3, 3)))[0] @ np.diag([0.1, 1.0, 10.0])
    b = rng.normal(size=(3, 1))
    with jax.enable_x64(True):
        xj, yj, mj, bj = (jnp.asarray(a) for a in (x, y, m, b))

        def apply_v(v, inputs):
            return inputs @ (mj @ v + bj)

        v0 = jnp.asarray(np.linalg.solve(m, w - b))
        runs = []
        for apply, p0 in ((_apply, jnp.asarray(w)), (apply_v, v0)):
            loss = lambda p, apply=apply: 0.5 * jnp.mean((apply(p, xj) - yj) ** 2)  # noqa: E731
            opt = optax.chain(dynamics.natural_gradient(apply, data=xj, solver="dense"), dynamics.plain_sgd(0.3))
            runs.append(dynamics.gradient_descent(loss, opt, num_steps=5)(p0, jax.random.key(0)).final_params)
        mapped = mj @ runs[1] + bj
    np.testing.assert_allclose(np.asarray(mapped), np.asarray(runs[0]), rtol=1e-9, atol=1e-12)
    # and plain GD is not invariant under the same map (the comparison has power)
    assert np.max(np.abs(np.asarray(mapped) - w)) > 0


def test_natural_gradient_flow_outputs_hand_value():
    from theorycheck import bounds

    out = bounds.natural_gradient_flow_outputs([1.0, 3.0], [0.0, 1.0], [0.0, np.log(2.0)])
    np.testing.assert_allclose(out, [[1.0, 3.0], [0.5, 2.0]], rtol=1e-15)
    with pytest.raises(ValueError, match="times"):
        bounds.natural_gradient_flow_outputs([1.0], [0.0], [-1.0])
    with pytest.raises(ValueError, match="shape"):
        bounds.natural_gradient_flow_outputs([1.0], [0.0, 1.0], [0.0])
