"""dynamics.proximal_sgd: exact on a quadratic, inner GD at its derived geometric rate, the limits
(γ → 0, one inner step = SGD, γ = inf = the projection), no retrace, bad arguments; the bounds it
is checked against, by hand."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from theorycheck import bounds
from theorycheck import dynamics

pytestmark = pytest.mark.usefixtures("x64")


def _loss(w, batch):
    return 0.5 * jnp.mean((batch[0] @ w - batch[1]) ** 2)


def _problem(b=3, d=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(b, d)), rng.normal(size=b), rng.normal(size=d)


def _step(x, y, w, **kwargs):
    opt = dynamics.proximal_sgd(_loss, **kwargs)
    return np.asarray(w + opt.update(jnp.zeros_like(w), opt.init(w), jnp.asarray(w), batch=(x, y))[0])


def test_exact_on_a_quadratic():
    x, y, w = _problem()
    a, c = x.T @ x / 3, x.T @ y / 3
    exact = np.linalg.solve(np.eye(4) + 0.3 * a, w + 0.3 * c)  # (I + γA)⁻¹(w + γc), by hand
    np.testing.assert_allclose(bounds.least_squares_prox_step(x, y, w, 0.3), exact, rtol=1e-13)
    h = 1.0 / (np.linalg.eigvalsh(a).max() + 1 / 0.3)
    np.testing.assert_allclose(_step(x, y, w, gamma=0.3, inner_steps=400, inner_learning_rate=h), exact, atol=1e-12)


@pytest.mark.parametrize("steps", [1, 5, 20])
def test_inner_gd_converges_at_the_derived_geometric_rate(steps):
    x, y, w = _problem()
    gamma = 0.5
    a = x.T @ x / 3
    lam = np.linalg.eigvalsh(a)
    h = 1.0 / (lam.max() + 1 / gamma)
    exact = bounds.least_squares_prox_step(x, y, w, gamma)
    iterate = _step(x, y, w, gamma=gamma, inner_steps=steps, inner_learning_rate=h)
    # the error is multiplied by I − h(A + I/γ) each step: exactly, and at most by q per step
    m = np.eye(4) - h * (a + np.eye(4) / gamma)
    np.testing.assert_allclose(iterate - exact, np.linalg.matrix_power(m, steps) @ (w - exact), atol=1e-13)
    q = bounds.inner_gd_contraction(h, gamma, lam)
    assert np.linalg.norm(iterate - exact) <= q**steps * np.linalg.norm(w - exact) * (1 + 1e-12)


def test_small_gamma_gives_a_tiny_step():
    x, y, w = _problem()
    moved = np.linalg.norm(_step(x, y, w, gamma=1e-6, inner_steps=5, inner_learning_rate=1e-6) - w)
    grad = np.linalg.norm(x.T @ (x @ w - y) / 3)
    assert moved == pytest.approx(1e-6 * grad, rel=1e-4)  # γ‖∇f_B‖ to first order in γ


def test_one_inner_step_is_a_plain_sgd_step():
    x, y, w = _problem()
    sgd = w - 0.07 * x.T @ (x @ w - y) / 3
    np.testing.assert_allclose(_step(x, y, w, gamma=0.4, inner_steps=1, inner_learning_rate=0.07), sgd, rtol=1e-14)


def test_infinite_gamma_reaches_the_projection_onto_the_samples_hyperplane():
    x, y, w = _problem(b=1)
    projection = w - x[0] * (x[0] @ w - y[0]) / (x[0] @ x[0])  # Kaczmarz, by hand
    np.testing.assert_allclose(bounds.least_squares_prox_step(x, y, w, np.inf), projection, rtol=1e-12)
    h = 1.0 / (x[0] @ x[0])  # q = 0: one step is exact
    np.testing.assert_allclose(_step(x, y, w, gamma=np.inf, inner_steps=3, inner_learning_rate=h), projection,
                               atol=1e-12)


def test_inside_sgd_each_step_is_the_prox_of_its_batch_and_gamma_does_not_retrace():
    x, y, _ = _problem(b=16, d=3)
    w0 = jnp.zeros(3)
    opt = dynamics.proximal_sgd(_loss, gamma=0.1, inner_steps=100, inner_learning_rate=0.05)
    run = dynamics.sgd(_loss, opt, (jnp.asarray(x), jnp.asarray(y)), batch_size=16, num_steps=3)  # B = n: every batch is the data

    @jax.jit
    @chex.assert_max_traces(n=1)
    def simulate(gamma):
        return run(w0, jax.random.key(0), {"gamma": gamma}).final_params

    for gamma in (0.1, 0.2):
        w = np.zeros(3)
        for _ in range(3):
            w = bounds.least_squares_prox_step(x, y, w, gamma)
        np.testing.assert_allclose(simulate(gamma), w, atol=1e-10)


@pytest.mark.parametrize("kwargs, match", [
    ({"gamma": 0.0}, "gamma"), ({"gamma": -1.0}, "gamma"), ({"gamma": float("nan")}, "gamma"),
    ({"gamma": None}, "gamma"), ({"inner_steps": 0}, "inner_steps"), ({"inner_steps": 2.5}, "inner_steps"),
    ({"inner_learning_rate": 0.0}, "inner_learning_rate"), ({"inner_learning_rate": None}, "inner_learning_rate"),
    ({"inner_learning_rate": float("inf")}, "inner_learning_rate"),
])
def test_bad_arguments_raise_naming_them(kwargs, match):
    args = {"gamma": 0.1, "inner_steps": 5, "inner_learning_rate": 0.1, **kwargs}
    with pytest.raises(ValueError, match=match):
        dynamics.proximal_sgd(_loss, **args)
    with pytest.raises(ValueError, match="loss_fn"):
        dynamics.proximal_sgd("not a function", gamma=0.1, inner_steps=5, inner_learning_rate=0.1)


def test_without_a_batch_it_raises():
    opt = dynamics.proximal_sgd(_loss, gamma=0.1, inner_steps=5, inner_learning_rate=0.1)
    w = jnp.zeros(2)
    with pytest.raises(ValueError, match="batch"):
        opt.update(w, opt.init(w), w)


def test_single_sample_variances_by_hand():
    # two samples x = (1, 0), (0, 2), y = 0, w = (1, 1): r = (1, 2); SGD u = −η(1, 0), −η(0, 4)
    x, y, w = np.array([[1.0, 0.0], [0.0, 2.0]]), np.zeros(2), np.ones(2)
    v_sgd, v_prox = bounds.single_sample_update_variances(x, y, w, 0.1, 0.5)
    # E‖u‖² = η²(1 + 16)/2, ‖Eu‖² = η²(1/4 + 4): 0.01·(8.5 − 4.25) = 0.0425
    assert v_sgd == pytest.approx(0.0425, rel=1e-14)
    # prox scales γ/(1 + γ‖x‖²) = 0.5/1.5 = 1/3 and 0.5/3 = 1/6: u = −(1/3, 0), −(0, 4/6)
    assert v_prox == pytest.approx((1 / 9 + 4 / 9) / 2 - (1 / 36 + 1 / 9), rel=1e-14)
    _, v_inf = bounds.single_sample_update_variances(x, y, w, 0.1, np.inf)  # u = −(1, 0), −(0, 1)
    assert v_inf == pytest.approx(1.0 - 0.5, rel=1e-14)


def test_rate_constant_and_contraction_by_hand():
    assert bounds.prox_rate_ratio_lower_bound(0.02, 0.02, 20.0) == pytest.approx(1 / 1.4, rel=1e-14)
    assert bounds.prox_rate_ratio_lower_bound(0.01, 0.02, 20.0) == pytest.approx(0.5 / 1.2, rel=1e-14)
    assert bounds.prox_rate_ratio_lower_bound(np.inf, 0.02, 20.0) == pytest.approx(2.5, rel=1e-14)
    # h = 0.1, γ = 2: 1 − 0.1·(λ + 0.5) at λ = 1, 9: 0.85, 0.05
    assert bounds.inner_gd_contraction(0.1, 2.0, [1.0, 9.0]) == pytest.approx(0.85, rel=1e-14)
    assert bounds.inner_gd_contraction(0.1, np.inf, [25.0]) == pytest.approx(1.5, rel=1e-14)
