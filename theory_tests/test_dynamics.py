"""Unit tests of the simulators and observers: each compares with an independent computation."""

import chex
import diffrax
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from jax.flatten_util import ravel_pytree

from theorycheck import dynamics
from theorycheck import models

# the library's own float64 numerics (closed forms to 1e-12, Lanczos against eigvalsh): float64
# scoped to each test by the x64 fixture, never switched on for the process
pytestmark = pytest.mark.usefixtures("x64")


def _tanh_problem(width=8, n=12):
    x, y = models.chebyshev_regression(3, n)
    net = models.mlp([1, width, 1], "tanh")

    def loss(params):
        return 0.5 * jnp.mean((net.apply(params, x) - y) ** 2)

    return net, loss


def test_lanczos_matches_dense_eigvalsh(key):
    net, loss = _tanh_problem()
    params = net.init(key)
    flat, unravel = ravel_pytree(params)
    dense = np.linalg.eigvalsh(np.asarray(jax.hessian(lambda z: loss(unravel(z)))(flat)))
    pairs = dynamics.lanczos_top_eigenpairs(
        dynamics.hessian_vector_product(loss, params), jax.random.normal(key, flat.shape), key,
        num_iterations=flat.size, k=3,
    )
    np.testing.assert_allclose(pairs.eigenvalues, dense[::-1][:3], rtol=1e-6)
    assert np.all(pairs.residuals <= 1e-6 * np.abs(dense).max())


def test_lanczos_flags_an_unconverged_estimate(key):
    """Two Krylov vectors cannot resolve the top eigenvalue of a spread spectrum: the observer
    must say so instead of returning it as converged."""
    matrix = jnp.diag(jnp.linspace(1.0, 2.0, 50))
    observer = dynamics.top_hessian_eigenvalues(lambda z: 0.5 * z @ (matrix @ z), num_iterations=2)
    params = jnp.ones(50)
    record, _ = observer.observe(params, observer.init(params, key), key)
    assert not bool(record["converged"][0])
    assert float(record["eigenvalues"][0]) < 2.0  # Ritz values interlace: never above λ_max


def test_lanczos_survives_an_invariant_krylov_space(key):
    """A rank-2 operator breaks the Krylov recursion after two steps; the restart keeps the
    estimate exact instead of producing NaN."""
    u = jax.random.normal(key, (30, 2))
    matrix = u @ jnp.diag(jnp.array([5.0, 1.0])) @ u.T
    pairs = dynamics.lanczos_top_eigenpairs(lambda v: matrix @ v, jnp.ones(30), key, num_iterations=10, k=2)
    np.testing.assert_allclose(pairs.eigenvalues, np.linalg.eigvalsh(np.asarray(matrix))[::-1][:2], rtol=1e-10)


def test_gd_approaches_gradient_flow_at_order_one(key):
    """‖θ_GD(T/η steps) − θ_flow(T)‖ = O(η): the log-log slope over η is 1 (Euler's order)."""
    net, loss = _tanh_problem()
    params0 = net.init(key)
    horizon = 2.0
    flow = dynamics.gradient_flow(loss, t1=horizon, num_records=2, solver=diffrax.Dopri8(), rtol=1e-12, atol=1e-14)
    reference = ravel_pytree(jax.jit(flow)(params0, key).final_params)[0]
    lrs = np.array([0.04, 0.02, 0.01, 0.005])
    errors = []
    for lr in lrs:
        run = dynamics.gradient_descent(loss, dynamics.plain_sgd(lr), num_steps=int(round(horizon / lr)))
        errors.append(float(jnp.linalg.norm(ravel_pytree(jax.jit(run)(params0, key).final_params)[0] - reference)))
    slope = np.polyfit(np.log(lrs), np.log(errors), 1)[0]
    assert 0.9 <= slope <= 1.1, (slope, errors)


def test_new_learning_rate_does_not_retrace(key):
    net, loss = _tanh_problem()
    params0 = net.init(key)
    run = dynamics.gradient_descent(loss, dynamics.plain_sgd(0.1), num_steps=10, every=5)

    @jax.jit
    @chex.assert_max_traces(n=1)
    def simulate(params, lr):
        return run(params, key, {"learning_rate": lr})

    first = simulate(params0, 0.1)
    second = simulate(params0, 0.05)  # a second trace would raise AssertionError
    assert not np.allclose(first.losses[-1], second.losses[-1])


def test_vmap_over_learning_rates_equals_separate_runs(key):
    net, loss = _tanh_problem()
    params0 = net.init(key)
    run = dynamics.gradient_descent(loss, dynamics.plain_sgd(0.1), num_steps=20)
    lrs = jnp.array([0.05, 0.2])
    swept = jax.vmap(run, in_axes=(None, None, {"learning_rate": 0}))(params0, key, {"learning_rate": lrs})
    for i, lr in enumerate(lrs):
        single = dynamics.gradient_descent(loss, dynamics.plain_sgd(float(lr)), num_steps=20)(params0, key)
        np.testing.assert_allclose(swept.losses[i], single.losses, rtol=1e-12)


def test_divergence_is_reported_with_its_step(key):
    """GD on L = ½λθ² with η = 2.2/λ multiplies θ by −1.2 per step; in float32 the loss overflows
    at the predicted step, which the trajectory reports instead of returning NaN silently."""
    lam = 1.0
    run = dynamics.gradient_descent(lambda t: 0.5 * lam * jnp.sum(t**2), dynamics.plain_sgd(2.2 / lam), num_steps=1000, every=10,
                                    observers={"norm": dynamics.parameter_norms()})
    theta0 = jnp.ones((1,), jnp.float32)
    trajectory = run(theta0, key)
    first_overflow = int(np.ceil(np.log(float(np.finfo(np.float32).max)) / (2 * np.log(1.2))))  # θ² overflows
    assert bool(trajectory.diverged)
    assert abs(int(trajectory.diverged_at) - first_overflow) <= 1
    assert int(trajectory.status) == dynamics.STATUS_DIVERGED
    assert np.all(np.isfinite(np.asarray(trajectory.final_params)))
    assert np.all(np.isnan(np.asarray(trajectory.observations["norm"])[-2:]))
    stable = dynamics.gradient_descent(lambda t: 0.5 * lam * jnp.sum(t**2), dynamics.plain_sgd(1.8 / lam), num_steps=1000)
    assert not bool(stable(theta0, key).diverged)


def test_sgd_with_full_batch_is_gd(key):
    x, y = models.chebyshev_regression(3, 10)
    net = models.mlp([1, 6, 1], "tanh")
    params0 = net.init(key)

    def batch_loss(params, batch):
        bx, by = batch
        return 0.5 * jnp.mean((net.apply(params, bx) - by) ** 2)

    sgd = dynamics.sgd(batch_loss, dynamics.plain_sgd(0.1), (x, y), batch_size=10, num_steps=30)
    gd = dynamics.gradient_descent(lambda p: batch_loss(p, (x, y)), dynamics.plain_sgd(0.1), num_steps=30)
    np.testing.assert_allclose(sgd(params0, key).losses, gd(params0, key).losses, rtol=1e-12)
    small = dynamics.sgd(batch_loss, dynamics.plain_sgd(0.1), (x, y), batch_size=2, num_steps=30)
    first, again = small(params0, key), small(params0, key)
    np.testing.assert_array_equal(first.losses, again.losses)  # same key, same numbers
    other = small(params0, jax.random.key(1))
    assert not np.array_equal(first.losses, other.losses)
    # numpy data (as a user loads it) gives the same run as jax arrays
    from_numpy = dynamics.sgd(batch_loss, dynamics.plain_sgd(0.1), (np.asarray(x), np.asarray(y)), batch_size=2,
                              num_steps=30)
    np.testing.assert_array_equal(jax.jit(from_numpy)(params0, key).losses, jax.jit(small)(params0, key).losses)


def _moves_unless_given_its_loss(batch_loss):
    """An update rule that needs the loss itself: it moves the parameters by (value − its own
    recomputation of the loss), so the parameters stay put iff the simulator passed the step's
    ``value`` (and ``batch``) through."""

    def update(updates, state, params, *, value, batch=None):
        own = batch_loss(params, batch)
        return jax.tree.map(lambda g: jnp.zeros_like(g) + (value - own), updates), state + 1

    return optax.GradientTransformationExtraArgs(lambda params: jnp.zeros((), jnp.int32), update)


@pytest.mark.parametrize("simulator", ["gradient_descent", "sgd"])
def test_extra_args_reach_an_update_rule_that_takes_them(key, simulator):
    data = jnp.arange(8.0)
    full = lambda p, batch: jnp.sum((p - (data if batch is None else batch)) ** 2)
    optimizer = optax.chain(dynamics.plain_sgd(1e-9), _moves_unless_given_its_loss(full))
    if simulator == "sgd":
        run = dynamics.sgd(full, optimizer, data, batch_size=3, num_steps=5)
    else:
        run = dynamics.gradient_descent(lambda p: full(p, None), optimizer, num_steps=5)
    trajectory = run(jnp.array(0.5), key)
    # only the plain step of 1e-9 moves it: the extra update is exactly zero
    assert abs(float(trajectory.final_params) - 0.5) < 1e-6
    # a wrong loss value moves it by O(1): the rule really reads what it is given
    wrong = optax.chain(
        dynamics.plain_sgd(1e-9), _moves_unless_given_its_loss(lambda p, batch: full(p, batch) + 1.0)
    )
    if simulator == "sgd":
        moved = dynamics.sgd(full, wrong, data, batch_size=3, num_steps=5)(jnp.array(0.5), key)
    else:
        moved = dynamics.gradient_descent(lambda p: full(p, None), wrong, num_steps=5)(jnp.array(0.5), key)
    assert abs(float(moved.final_params) - (0.5 - 5.0)) < 1e-6


def test_weight_decay_convention(key):
    """plain_sgd(lr, weight_decay=wd) with zero gradient multiplies θ by (1 − lr·wd) per step."""
    run = dynamics.gradient_descent(lambda t: 0.0 * jnp.sum(t), dynamics.plain_sgd(0.1, weight_decay=0.5), num_steps=7)
    final = run(jnp.ones(3), key).final_params
    np.testing.assert_allclose(final, (1 - 0.05) ** 7 * np.ones(3), rtol=1e-14)


def test_gradient_flow_stops_on_its_event(key):
    run = dynamics.gradient_flow(lambda t: 0.5 * jnp.sum(t**2), t1=100.0, num_records=11,
                                 stop_when=lambda t: jnp.linalg.norm(t) < 1e-3)
    trajectory = run(jnp.ones(2), key)
    assert int(trajectory.status) == dynamics.STATUS_STOPPED
    # ‖θ(t)‖ = √2·e^{−t}; the event fires at the end of the first accepted step past the crossing
    crossing = np.log(np.sqrt(2) / 1e-3)
    assert crossing <= float(trajectory.final_time) <= 1.1 * crossing
    assert float(jnp.linalg.norm(trajectory.final_params)) < 1e-3
    assert np.isnan(np.asarray(trajectory.losses)[-1])  # records after the stop are NaN, not stale


@pytest.mark.parametrize(
    "build, match",
    [
        (lambda loss: dynamics.gradient_descent(loss, dynamics.plain_sgd(0.1), num_steps=0), "num_steps"),
        (lambda loss: dynamics.gradient_descent(loss, dynamics.plain_sgd(0.1), num_steps=10, every=3), "every"),
        (lambda loss: dynamics.gradient_descent(loss, dynamics.plain_sgd(-0.1), num_steps=10), "learning_rate"),
        (lambda loss: dynamics.gradient_descent(loss, dynamics.plain_sgd(0.0), num_steps=10), "learning_rate"),
        (lambda loss: dynamics.gradient_descent(loss, optax.sgd, num_steps=10), "optimizer"),
        (lambda loss: dynamics.gradient_descent(loss, dynamics.plain_sgd(0.1), num_steps=10, observers={"f": len}), "observers"),
        (lambda loss: dynamics.gradient_flow(loss, t1=-1.0), "t1"),
        (lambda loss: dynamics.sgd(lambda p, b: loss(p), dynamics.plain_sgd(0.1), (jnp.ones((4, 1)),), batch_size=5, num_steps=1), "batch_size"),
        (lambda loss: dynamics.sgd(lambda p, b: loss(p), dynamics.plain_sgd(0.1), (jnp.ones((4, 1)), jnp.ones((3,))), batch_size=2, num_steps=1), "leading sample axis"),
        (lambda loss: dynamics.sgd(lambda p, b: loss(p), dynamics.plain_sgd(0.1), (jnp.full((4, 1), jnp.nan),), batch_size=2, num_steps=1), "NaN"),
        (lambda loss: dynamics.top_hessian_eigenvalues(loss, k=0), "k"),
    ],
)
def test_bad_configuration_raises_before_compiling(build, match):
    with pytest.raises(ValueError, match=match):
        build(lambda t: jnp.sum(t**2))


def test_bad_run_inputs_raise(key):
    run = dynamics.gradient_descent(lambda t: jnp.sum(t**2), dynamics.plain_sgd(0.1), num_steps=5)
    with pytest.raises(ValueError, match="params0"):
        run(jnp.array([1.0, jnp.nan]), key)
    with pytest.raises(ValueError, match="learning_rate"):
        run(jnp.ones(2), key, {"learning_rate": -1.0})
    with pytest.raises(ValueError, match="unknown hyperparams"):
        run(jnp.ones(2), key, {"lr": 0.1})
    plain = dynamics.gradient_descent(lambda t: jnp.sum(t**2), optax.sgd(0.1), num_steps=5)
    with pytest.raises(ValueError, match="inject_hyperparams"):
        plain(jnp.ones(2), key, {"learning_rate": 0.1})


@pytest.mark.parametrize("lr, sign", [(0.05, 1.0), (1.9, -1.0)])
def test_gradient_cosine_sees_oscillation_past_one_over_lambda(key, lr, sign):
    """GD on ½λθ²: g_{t+1} = (1 − ηλ) g_t, so consecutive gradients are aligned for η < 1/λ and
    anti-aligned (cos = −1) for 1/λ < η < 2/λ (THEORY.md §13)."""
    loss = lambda t: 0.5 * jnp.sum(t**2)  # noqa: E731  (λ = 1)
    run = dynamics.gradient_descent(loss, dynamics.plain_sgd(lr), num_steps=5,
                                    observers={"cos": dynamics.gradient_cosine(loss)})
    cosines = np.asarray(run(jnp.array([1.0, -2.0]), key).observations["cos"])
    assert np.isnan(cosines[0])  # no predecessor
    np.testing.assert_allclose(cosines[1:], sign, rtol=1e-12)


def test_from_record_skips_the_records_before_start_and_keeps_the_state(key):
    """A gradient-cosine observer recorded from record 3 on: NaN before; its state starts at
    record 3 (the skipped records never called it), so record 3 has no predecessor (NaN) and the
    records after it equal the unwrapped observer's."""
    loss = lambda t: 0.5 * jnp.sum(t**2)  # noqa: E731

    def counting(params, key):
        return {"value": jnp.sum(params), "flag": jnp.array(True)}

    observers = {"cos": dynamics.gradient_cosine(loss), "late": dynamics.from_record(dynamics.gradient_cosine(loss), 3),
                 "tree": dynamics.from_record(dynamics.stateless(counting), 2)}
    run = dynamics.gradient_descent(loss, dynamics.plain_sgd(1.9), num_steps=6, observers=observers)
    obs = run(jnp.array([1.0, -2.0]), key).observations
    late = np.asarray(obs["late"])
    assert np.all(np.isnan(late[:4])) and not np.any(np.isnan(late[4:]))
    np.testing.assert_allclose(late[4:], np.asarray(obs["cos"])[4:], rtol=1e-14)
    assert np.all(np.isnan(obs["tree"]["value"][:2])) and not np.any(obs["tree"]["flag"][:2])
    assert np.all(obs["tree"]["flag"][2:])
    with pytest.raises(ValueError, match="start"):
        dynamics.from_record(dynamics.gradient_cosine(loss), -1)
    with pytest.raises(ValueError, match="observer"):
        dynamics.from_record(lambda p, k: p, 0)


def test_parameter_norms_and_loss_observer(key):
    loss = lambda t: 0.5 * jnp.sum(t["w"] ** 2)  # noqa: E731
    run = dynamics.gradient_descent(loss, dynamics.plain_sgd(0.5), num_steps=4, every=2,
                                    observers={"norms": dynamics.parameter_norms(), "loss": dynamics.loss_observer(loss)})
    trajectory = run({"w": jnp.array([3.0, 4.0])}, key)
    np.testing.assert_allclose(trajectory.observations["norms"]["w"], 5.0 * 0.5 ** np.array([0, 2, 4]), rtol=1e-14)
    np.testing.assert_allclose(trajectory.observations["loss"], 12.5 * 0.25 ** np.array([0, 2, 4]), rtol=1e-14)
    np.testing.assert_array_equal(trajectory.times, [0, 2, 4])


def test_gradient_flow_blow_up_is_reported_not_returned_as_numbers(key):
    """dθ/dt = θ³ (L = −θ⁴/4) blows up at t = 1/(2θ₀²) = 0.5: the trajectory must say the solve
    failed or diverged, and leave the records past the blow-up NaN."""
    run = dynamics.gradient_flow(lambda t: -0.25 * jnp.sum(t**4), t1=1.0, num_records=5, max_steps=4096)
    trajectory = run(jnp.array([1.0]), key)
    assert int(trajectory.status) in (dynamics.STATUS_DIVERGED, dynamics.STATUS_SOLVER_FAILED)
    losses = np.asarray(trajectory.losses)
    assert np.all(np.isfinite(losses[:2])) and np.all(np.isnan(losses[-2:]))
    assert float(trajectory.final_time) < 0.5 + 1e-6
