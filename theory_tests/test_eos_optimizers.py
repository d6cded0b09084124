"""Momentum and adaptive methods at the edge of stability (issue 15): the thresholds of
``bounds.eos_threshold(optimizer=...)`` against the spectral radius of each method's linear
recurrence, the torch-form optimizers against their hand-written update rules, observers that read
the optimizer state, and the preconditioned sharpness against a dense eigendecomposition."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from jax.flatten_util import ravel_pytree

from theorycheck import bounds, dynamics


# thresholds ------------------------------------------------------------------------------------


def test_thresholds_hand_computed():
    """η = 0.1, β = 0.9: 2·1.9/0.1 = 38, 2·1.9/(0.1·2.8) = 13.5714..., 2/0.1 = 20, 2·1.9/(0.1·0.1) = 380."""
    assert bounds.eos_threshold(0.1) == pytest.approx(20.0, rel=1e-14)
    assert bounds.eos_threshold(0.1, 0.9, optimizer="heavy_ball") == pytest.approx(38.0, rel=1e-14)
    assert bounds.eos_threshold(0.1, 0.9, optimizer="nesterov") == pytest.approx(38.0 / 2.8, rel=1e-14)
    assert bounds.eos_threshold(0.1, optimizer="rmsprop") == pytest.approx(20.0, rel=1e-14)
    assert bounds.eos_threshold(0.1, 0.9, optimizer="adam") == pytest.approx(380.0, rel=1e-13)
    assert bounds.eos_threshold(1e-3, 0.9, optimizer="adam") == pytest.approx(38.0 / 1e-3, rel=1e-13)


@pytest.mark.parametrize("kwargs, name", [({"lr": 0.1, "optimizer": "sgd"}, "optimizer"),
                                          ({"lr": 0.1, "momentum": 0.5, "optimizer": "rmsprop"}, "momentum"),
                                          ({"lr": 0.1, "momentum": 1.0, "optimizer": "adam"}, "momentum")])
def test_threshold_rejects_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        bounds.eos_threshold(**kwargs)


def _companion(optimizer, lr, beta, lam):
    """The one-step map of (w, v) on L = ½λw², written from each method's update rule."""
    if optimizer == "heavy_ball":  # v ← βv + λw; w ← w − ηv
        return np.array([[1 - lr * lam, -lr * beta], [lam, beta]])
    if optimizer == "nesterov":  # v ← βv + λw; w ← w − η(λw + βv_new)
        return np.array([[1 - lr * (1 + beta) * lam, -lr * beta**2], [lam, beta]])
    # adam with P frozen, bias corrections 1: m ← βm + (1 − β)λw; w ← w − η m_new
    return np.array([[1 - lr * (1 - beta) * lam, -lr * beta], [(1 - beta) * lam, beta]])


@pytest.mark.parametrize("optimizer", ["heavy_ball", "nesterov", "adam"])
@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9, 0.99])
def test_threshold_is_where_the_recurrence_loses_stability(optimizer, beta):
    lr = 0.05
    lam = bounds.eos_threshold(lr, beta, optimizer=optimizer)
    radius = lambda f: np.max(np.abs(np.linalg.eigvals(_companion(optimizer, lr, beta, f * lam))))  # noqa: E731
    assert radius(1.0) == pytest.approx(1.0, abs=1e-9)
    assert radius(0.999) < 1.0 < radius(1.001)
    assert max(radius(f) for f in np.linspace(0.01, 0.999, 50)) < 1.0


def test_rmsprop_threshold_is_gd_on_the_preconditioned_problem():
    lr = 0.05
    lam = bounds.eos_threshold(lr, optimizer="rmsprop")
    assert abs(1 - lr * lam) == pytest.approx(1.0) and abs(1 - lr * 0.999 * lam) < 1 < abs(1 - lr * 1.001 * lam)


# optimizers ------------------------------------------------------------------------------------


def _two_steps(opt, params, grads):
    state = opt.init(params)
    out = []
    for g in grads:
        updates, state = opt.update(g, state, params)
        params = optax.apply_updates(params, updates)
        out.append(params)
    return out, state


W0, G1, G2 = np.array([1.0, -2.0, 0.5]), np.array([0.3, -0.1, 2.0]), np.array([-0.2, 0.4, 1.0])


def test_nesterov_is_torch_form():
    lr, beta = 0.1, 0.9
    (w1, w2), _ = _two_steps(dynamics.plain_sgd(lr, momentum=beta, nesterov=True), jnp.asarray(W0), [G1, G2])
    v1 = G1
    e1 = W0 - lr * (G1 + beta * v1)
    v2 = beta * v1 + G2
    np.testing.assert_allclose(w1, e1, rtol=1e-6)
    np.testing.assert_allclose(w2, e1 - lr * (G2 + beta * v2), rtol=1e-6)


def test_heavy_ball_is_torch_form():
    lr, beta = 0.1, 0.9
    (w1, w2), _ = _two_steps(dynamics.plain_sgd(lr, momentum=beta), jnp.asarray(W0), [G1, G2])
    np.testing.assert_allclose(w2, W0 - lr * G1 - lr * (beta * G1 + G2), rtol=1e-6)


def test_rmsprop_is_torch_form():
    lr, alpha, eps = 0.01, 0.99, 1e-3
    (w1, w2), _ = _two_steps(dynamics.rmsprop(lr, decay=alpha, eps=eps), jnp.asarray(W0), [G1, G2])
    nu1 = (1 - alpha) * G1**2
    e1 = W0 - lr * G1 / (np.sqrt(nu1) + eps)
    nu2 = alpha * nu1 + (1 - alpha) * G2**2
    np.testing.assert_allclose(w1, e1, rtol=1e-6)
    np.testing.assert_allclose(w2, e1 - lr * G2 / (np.sqrt(nu2) + eps), rtol=1e-6)


def test_adam_is_torch_form_with_both_bias_corrections():
    lr, b1, b2, eps = 0.01, 0.8, 0.95, 1e-3
    (w1, w2), _ = _two_steps(dynamics.adam(lr, b1=b1, b2=b2, eps=eps), jnp.asarray(W0), [G1, G2])
    m1, n1 = (1 - b1) * G1, (1 - b2) * G1**2
    e1 = W0 - lr * (m1 / (1 - b1)) / (np.sqrt(n1 / (1 - b2)) + eps)
    m2, n2 = b1 * m1 + (1 - b1) * G2, b2 * n1 + (1 - b2) * G2**2
    np.testing.assert_allclose(w1, e1, rtol=1e-6)
    np.testing.assert_allclose(w2, e1 - lr * (m2 / (1 - b1**2)) / (np.sqrt(n2 / (1 - b2**2)) + eps), rtol=1e-6)


@pytest.mark.parametrize("build, kwargs, name", [
    (dynamics.adam, {"b1": 1.0}, "b1"), (dynamics.adam, {"b2": -0.1}, "b2"), (dynamics.adam, {"eps": -1.0}, "eps"),
    (dynamics.rmsprop, {"decay": 1.5}, "decay"), (dynamics.plain_sgd, {"nesterov": 1}, "nesterov"),
])
def test_optimizers_reject_bad_hyperparameters(build, kwargs, name):
    with pytest.raises(ValueError, match=name):
        build(0.1, **kwargs)


def _quadratic_loss(p):
    return 0.5 * jnp.sum(jnp.array([1.0, 3.0]) * p["w"] ** 2)


def test_hyperparameters_are_data_no_retrace():
    """A new η, β₁, β₂, ε (or momentum) replaces the injected value without a new trace."""
    traces = []
    for build, values in ((dynamics.adam(1e-2), [{"learning_rate": 2e-2, "b1": 0.5, "b2": 0.9, "eps": 1e-6},
                                                 {"learning_rate": 3e-2, "b1": 0.7, "b2": 0.99, "eps": 1e-7}]),
                          (dynamics.plain_sgd(0.1, momentum=0.5, nesterov=True),
                           [{"learning_rate": 0.2, "momentum": 0.9}, {"learning_rate": 0.05, "momentum": 0.1}])):
        run = dynamics.gradient_descent(_quadratic_loss, build, num_steps=4, every=2)
        count = []

        def traced(hp, run=run, count=count):
            count.append(1)
            return run({"w": jnp.array([1.0, 1.0])}, jax.random.key(0), hp).losses

        jitted = jax.jit(traced)
        losses = [jitted(v) for v in values]
        assert not np.allclose(losses[0], losses[1])
        traces.append(len(count))
    assert traces == [1, 1]


def test_invalid_traced_moment_decay_is_not_simulated():
    run = dynamics.gradient_descent(_quadratic_loss, dynamics.adam(1e-2), num_steps=4, every=2)
    out = jax.jit(run)({"w": jnp.array([1.0, 1.0])}, jax.random.key(0), {"b2": 1.0})
    assert int(out.status) == dynamics.STATUS_INVALID_HYPERPARAMS


# observers reading the optimizer state ---------------------------------------------------------


def test_existing_observers_do_not_read_the_optimizer_state():
    obs = dynamics.Observer(lambda p, k: (), lambda p, s, k: (0.0, s))
    assert obs.reads_optimizer_state is False
    assert dynamics.top_hessian_eigenvalues(_quadratic_loss).reads_optimizer_state is False


def test_an_observer_sees_the_state_the_next_update_uses():
    seen = dynamics.Observer(lambda p, k, s: (), lambda p, st, k, s: (s.count, st), reads_optimizer_state=True)
    run = dynamics.gradient_descent(_quadratic_loss, dynamics.adam(1e-2), num_steps=6, every=2,
                                    observers={"count": seen})
    out = run({"w": jnp.array([1.0, 1.0])}, jax.random.key(0))
    np.testing.assert_array_equal(out.observations["count"], [0, 2, 4, 6])


def test_gradient_flow_rejects_an_observer_of_the_optimizer_state():
    obs = dynamics.top_preconditioned_hessian_eigenvalues(_quadratic_loss, dynamics.adam_preconditioner())
    with pytest.raises(ValueError, match="gradient_flow has no optimizer"):
        dynamics.gradient_flow(_quadratic_loss, t1=1.0, num_records=2, observers={"s": obs})


def test_preconditioner_builders_find_their_state_and_reject_others():
    params = {"w": jnp.array([1.0, 2.0])}
    opt = optax.chain(optax.clip(10.0), dynamics.adam(1e-2, b2=0.9, eps=0.5))
    state = opt.init(params)
    assert np.all(np.isnan(dynamics.adam_preconditioner()(state)["w"]))  # t = 0: no preconditioner yet
    _, state = opt.update({"w": jnp.array([1.0, 2.0])}, state, params)
    # ν = 0.1·g² = [0.1, 0.4], ν̂ = ν/(1 − 0.9) = [1, 4]: P = √ν̂ + 0.5 = [1.5, 2.5]
    np.testing.assert_allclose(dynamics.adam_preconditioner()(state)["w"], [1.5, 2.5], rtol=1e-6)
    np.testing.assert_allclose(dynamics.adam_preconditioner(b2=0.0, eps=0.0)(state)["w"], np.sqrt([0.1, 0.4]),
                               rtol=1e-6)
    with pytest.raises(ValueError, match="ScaleByRmsState"):
        dynamics.rmsprop_preconditioner()(state)
    with pytest.raises(ValueError, match="eps"):
        dynamics.rmsprop_preconditioner()(optax.scale_by_rms().init(params))
    rms_opt = dynamics.rmsprop(1e-2, decay=0.75, eps=0.25)
    rms = rms_opt.init(params)
    assert np.all(np.isnan(dynamics.rmsprop_preconditioner()(rms)["w"]))  # ν = 0: nothing averaged yet
    _, rms = rms_opt.update({"w": jnp.array([4.0, 6.0])}, rms, params)
    # ν = 0.25·g² = [4, 9]: P = [2, 3] + 0.25
    np.testing.assert_allclose(dynamics.rmsprop_preconditioner()(rms)["w"], [2.25, 3.25], rtol=1e-6)


def test_preconditioned_sharpness_matches_dense_eigh_on_a_tiny_net():
    """After 30 Adam steps on a 2-4-1 tanh net: the observer's top two eigenvalues equal those of
    the dense P^{-1/2} H P^{-1/2} (H by jax.hessian), to Lanczos accuracy."""
    with jax.enable_x64(True):
        x = jnp.linspace(-1.0, 1.0, 6)[:, None] * jnp.array([[1.0, 0.5]])
        y = jnp.sin(3 * x[:, 0])
        k1, k2 = jax.random.split(jax.random.key(3))
        params = {"a": jax.random.normal(k1, (2, 4)), "b": jax.random.normal(k2, (4,))}
        loss = lambda p: 0.5 * jnp.mean((jnp.tanh(x @ p["a"]) @ p["b"] - y) ** 2)  # noqa: E731
        precond = dynamics.adam_preconditioner()
        obs = dynamics.top_preconditioned_hessian_eigenvalues(loss, precond, k=2, num_iterations=12)
        opt = dynamics.adam(0.05, b2=0.99, eps=1e-3)

        def step(carry, _):
            p, state = carry
            updates, state = opt.update(jax.grad(loss)(p), state, p)
            return (optax.apply_updates(p, updates), state), None

        (p, state), _ = jax.lax.scan(step, (params, opt.init(params)), None, length=30)
        key = jax.random.key(1)
        observe = jax.jit(obs.observe)
        first, _ = observe(params, obs.init(params, key, opt.init(params)), key, opt.init(params))
        record, _ = observe(p, obs.init(p, key, state), key, state)
        flat, unravel = ravel_pytree(p)
        hessian = jax.hessian(lambda f: loss(unravel(f)))(flat)
        scale = 1.0 / jnp.sqrt(ravel_pytree(precond(state))[0])
        dense = np.linalg.eigvalsh(np.asarray(scale[:, None] * hessian * scale[None, :]))[::-1][:2]
        np.testing.assert_allclose(record["eigenvalues"], dense, rtol=1e-8)
        assert bool(np.all(record["converged"]))
        assert np.all(np.isnan(first["eigenvalues"]))  # before the first update
        raw = np.linalg.eigvalsh(np.asarray(hessian))[-1]
        assert abs(dense[0] - raw) > 0.1 * raw  # the preconditioner matters here
