"""dynamics.central_flow and its pieces: the third derivative against finite differences for each
layer type, the SDCP against a brute-force solve, the k = 1 multiplier in closed form, the flow
on a quadratic (closed form), and on a net at the edge (S held at 2/η, L non-increasing)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree
from scipy.optimize import minimize

from theorycheck import bounds, dynamics, models
from theorycheck.dynamics._central_flow import sigma_squared_k1


def _net(kind):
    """A small 3-8-8-1 net of the given layer type on 6 fixed points (float64), flattened."""
    key = jax.random.key(3)
    x = jax.random.normal(jax.random.fold_in(key, 1), (6, 3), jnp.float64)
    y = jnp.sin(x[:, :1])
    act = {"tanh": jnp.tanh, "relu": jax.nn.relu, "gelu": jax.nn.gelu, "layernorm": jnp.tanh}[kind]
    net = models.mlp([3, 8, 8, 1], act)
    params = jax.tree.map(lambda a: a.astype(jnp.float64), net.init(key))
    params[0]["b"] = params[0]["b"] + 0.1  # non-zero biases: the layer-norm centring has work to do

    def apply(p, xs):
        if kind != "layernorm":
            return net.apply(p, xs)
        h = models.channel_norm(xs @ p[0]["w"] + p[0]["b"][None, :], eps=1e-3)  # layer norm, then tanh
        h = jnp.tanh(h) @ p[1]["w"] + p[1]["b"][None, :]
        return jnp.tanh(models.channel_norm(h, eps=1e-3)) @ p[2]["w"] + p[2]["b"][None, :]

    flat, unravel = ravel_pytree(params)
    return (lambda z: 0.5 * jnp.mean((apply(unravel(z), x) - y) ** 2)), flat


@pytest.mark.parametrize("kind", ["tanh", "relu", "gelu", "layernorm"])
def test_third_derivative_matches_finite_differences_of_the_hvp(kind):
    """⟨∇(uᵀHv), z⟩ = d/dε uᵀH(w + εz)v, by central differences with Richardson extrapolation:
    D(ε) = exact + c·ε² + O(ε⁴), so (4·D(ε/2) − D(ε))/3 errs by O(ε⁴) ≈ 1e-14 relative at
    ε = 1e-4, plus round-off ε_mach·|uᵀHv|/ε ≈ 1e-11: tolerance 1e-7 relative. (Plain central
    differences are not enough for layer norm here: c·ε² is 1.5e-5 relative at ε = 1e-4, and the
    test checks that this error falls as ε², i.e. the third derivative itself is right.)
    ReLU's kinks are not crossed at ε = 1e-4 for these points (the pre-activations are O(1))."""
    with jax.enable_x64(True):
        loss, w = _net(kind)
        keys = jax.random.split(jax.random.key(7), 3)
        u, v, z = (jax.random.normal(k, w.shape, jnp.float64) for k in keys)
        hvp = lambda at, vec: jax.jvp(jax.grad(loss), (at,), (vec,))[1]  # noqa: E731
        eps = 1e-4

        def central(a, b, e):
            return float((jnp.vdot(a, hvp(w + e * z, b)) - jnp.vdot(a, hvp(w - e * z, b))) / (2 * e))

        for a, b in ((u, u), (u, v)):
            exact = float(jnp.vdot(dynamics.third_derivative(loss, w, a, b), z))
            coarse, fine = central(a, b, eps), central(a, b, eps / 2)
            assert exact == pytest.approx((4 * fine - coarse) / 3, rel=1e-7, abs=1e-9), (kind, exact, coarse, fine)
            if abs(coarse - exact) > 1e-9 * abs(exact):  # the remaining error is the ε² term: ratio 4
                assert (coarse - exact) / (fine - exact) == pytest.approx(4.0, rel=1e-2)
            assert abs(exact) > 1e-6  # not a vacuous 0 = 0
        # symmetric in (u, v)
        np.testing.assert_allclose(dynamics.third_derivative(loss, w, u, v), dynamics.third_derivative(loss, w, v, u),
                                   rtol=1e-10, atol=1e-12)


def _random_sdcp(k, seed):
    rng = np.random.default_rng(seed)
    n = 12
    grads = rng.normal(size=(k, k, n))
    grads = 0.5 * (grads + grads.transpose(1, 0, 2))  # ∇H_ij is symmetric in (i, j)
    g = grads.reshape(k * k, n)
    b = (0.3 * g @ g.T).reshape(k, k, k, k)
    m = rng.normal(size=(k, k))
    a = 0.5 * (m + m.T) - 0.5 * np.eye(k)  # indefinite: some multiplier is active
    return a, b


def _brute_force(a, b, k):
    """min over X = LLᵀ of ½⟨X, B[X]⟩ + ⟨A, X⟩ by BFGS on the Cholesky factor, 20 restarts."""
    matrix = b.reshape(k * k, k * k)

    def objective(flat):
        lower = np.zeros((k, k))
        lower[np.tril_indices(k)] = flat
        x = lower @ lower.T
        return 0.5 * x.reshape(-1) @ matrix @ x.reshape(-1) + np.sum(a * x), x

    rng = np.random.default_rng(0)
    best = min((minimize(lambda f: objective(f)[0], rng.normal(size=k * (k + 1) // 2), method="BFGS",
                         options={"gtol": 1e-12, "maxiter": 10_000}) for _ in range(20)), key=lambda r: r.fun)
    return best.fun, objective(best.x)[1]


@pytest.mark.parametrize("k, seed", [(1, 0), (2, 1), (2, 2), (3, 3), (4, 4)])
def test_sdcp_matches_a_brute_force_solve_and_is_complementary(k, seed):
    a, b = _random_sdcp(k, seed)
    with jax.enable_x64(True):
        x = np.asarray(dynamics.solve_sdcp(jnp.asarray(a), jnp.asarray(b), num_iterations=5000))
    matrix = b.reshape(k * k, k * k)
    value = 0.5 * x.reshape(-1) @ matrix @ x.reshape(-1) + np.sum(a * x)
    best, x_brute = _brute_force(a, b, k)
    assert value <= best + 1e-9 * max(1.0, abs(best))
    np.testing.assert_allclose(x, x_brute, atol=1e-4 * max(1.0, np.abs(x_brute).max()))
    r = a + (matrix @ x.reshape(-1)).reshape(k, k)
    assert np.linalg.eigvalsh(x).min() >= -1e-10 and np.linalg.eigvalsh(r).min() >= -1e-6
    assert abs(np.sum(x * r)) <= 1e-6
    assert np.abs(x).max() > 1e-3  # some multiplier is active: not the trivial X = 0


def test_sdcp_mask_keeps_non_critical_directions_at_zero_and_psd_a_gives_zero():
    a, b = _random_sdcp(3, 5)
    mask = np.outer([1.0, 1.0, 0.0], [1.0, 1.0, 0.0])
    with jax.enable_x64(True):
        x = np.asarray(dynamics.solve_sdcp(jnp.asarray(a), jnp.asarray(b), num_iterations=3000, mask=jnp.asarray(mask)))
        zero = dynamics.solve_sdcp(jnp.eye(2), jnp.asarray(_random_sdcp(2, 1)[1]))
    assert np.all(x[2] == 0) and np.all(x[:, 2] == 0)
    sub_a, sub_b = a[:2, :2], b[:2, :2, :2, :2]
    np.testing.assert_allclose(x[:2, :2], _brute_force(sub_a, sub_b, 2)[1], atol=1e-4)
    np.testing.assert_array_equal(zero, 0.0)


def test_k1_multiplier_closed_form_by_hand_and_against_the_sdcp():
    # ⟨∇L, ∇S⟩ = −0.3, ‖∇S‖² = 2, S = 10.2, η = 0.2, dt = 0.25:
    # σ² = 0.6/2 + 2·0.2/(0.25·0.2·2) = 0.3 + 4 = 4.3
    assert bounds.cohen25_sigma_squared(-0.3, 2.0, 10.2, 0.2, 0.25) == pytest.approx(4.3, rel=1e-14)
    assert bounds.cohen25_sigma_squared(0.3, 2.0, 9.0, 0.2, 0.25) == 0.0  # below the edge, moving away
    with jax.enable_x64(True):
        rng = np.random.default_rng(0)
        g, gs = rng.normal(size=7), rng.normal(size=7)
        for s in (9.9, 10.0, 10.2):
            closed = float(sigma_squared_k1(jnp.asarray(g), jnp.asarray(gs), s, 0.2, 0.25))
            assert closed == pytest.approx(float(bounds.cohen25_sigma_squared(g @ gs, gs @ gs, s, 0.2, 0.25)), rel=1e-12)
            a = np.array([[2 / 0.2 - s - 0.25 * gs @ (-0.2 * g)]])
            b = np.array(0.5 * 0.25 * 0.2 * gs @ gs).reshape(1, 1, 1, 1)
            sdcp = float(dynamics.solve_sdcp(jnp.asarray(a), jnp.asarray(b), num_iterations=50)[0, 0])
            assert closed == pytest.approx(sdcp, rel=1e-10, abs=1e-14)
            # with σ² > 0 the linearised sharpness one Euler step ahead is exactly 2/η
            if closed > 0:
                velocity = -0.2 * (g + 0.5 * closed * gs)
                assert s + 0.25 * gs @ velocity == pytest.approx(10.0, rel=1e-12)


def test_time_averaged_loss_by_hand_and_bad_input():
    assert bounds.cohen25_time_averaged_loss(0.1, 0.002, 0.1) == pytest.approx(0.12, rel=1e-14)
    np.testing.assert_allclose(bounds.cohen25_time_averaged_loss(np.array([0.1, 0.2]), np.array([0.0, 0.01]), 0.2),
                               [0.1, 0.25])
    with pytest.raises(ValueError, match="lr"):
        bounds.cohen25_time_averaged_loss(0.1, 0.0, 0.0)
    with pytest.raises(ValueError, match="sigma_trace"):
        bounds.cohen25_time_averaged_loss(0.1, -1.0, 0.1)
    with pytest.raises(ValueError, match="grad_sharpness_norm2"):
        bounds.cohen25_sigma_squared(0.1, 0.0, 1.0, 0.1, 0.25)


@pytest.mark.parametrize("flow", ["central", pytest.param("gradient", marks=pytest.mark.slow)])
def test_below_the_edge_the_flow_is_euler_gradient_flow_in_closed_form(flow):
    """On L = ½wᵀAw with S = 3 < 1.95/η (η = 0.5: 3.9) the multiplier is 0 and the flow is Euler on
    gradient flow: w after N steps = (I − η·dt·A)^{N/dt} w0, exactly up to round-off."""
    with jax.enable_x64(True):
        diag = jnp.array([3.0, 1.0, 0.2])
        loss = lambda p: 0.5 * jnp.sum(diag * p["w"] ** 2)  # noqa: E731
        w0 = {"w": jnp.array([1.0, -2.0, 0.5])}
        lr, dt, steps = 0.5, 0.25, 40
        if True:
            trajectory = jax.jit(dynamics.central_flow(loss, num_steps=steps, dt=dt, every=10, num_eigs=2,
                                                       lanczos_iterations=3, flow=flow))(w0, jax.random.key(0), lr)
            expected = (1 - lr * dt * diag) ** (steps / dt) * w0["w"]
            np.testing.assert_allclose(trajectory.final_params["w"], expected, rtol=1e-12)
            np.testing.assert_allclose(trajectory.observations["eigenvalues"][0], [3.0, 1.0], rtol=1e-12)
            assert np.all(np.asarray(trajectory.observations["sigma_trace"]) == 0)
            assert np.all(np.asarray(trajectory.observations["num_critical"]) == 0)
            np.testing.assert_allclose(trajectory.observations["predicted_loss"], trajectory.losses, rtol=1e-15)
            assert trajectory.times.tolist() == [0, 10, 20, 30, 40]


def test_a_new_learning_rate_does_not_retrace():
    traces = []

    def loss(p):
        traces.append(1)
        return 0.5 * jnp.sum(p ** 2)

    run = jax.jit(dynamics.central_flow(loss, num_steps=4, num_eigs=1, lanczos_iterations=2))
    run(jnp.ones(3), jax.random.key(0), 0.1)
    count = len(traces)
    run(jnp.ones(3), jax.random.key(0), 0.2)
    assert len(traces) == count


@pytest.mark.parametrize("kwargs, name", [
    ({"dt": 0.3}, "dt"), ({"dt": -1.0}, "dt"), ({"num_eigs": 5}, "num_eigs"), ({"num_eigs": 2, "lanczos_iterations": 1},
     "lanczos_iterations"), ({"flow": "sgd"}, "flow"), ({"every": 3}, "every"), ({"threshold": 2.5}, "threshold"),
    ({"num_steps": 0}, "num_steps"),
])
def test_bad_configuration_names_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=name):
        dynamics.central_flow(lambda p: jnp.sum(p ** 2), **{"num_steps": 10, **kwargs})


@pytest.fixture(scope="module")
def edge_run():
    """The central flow at η = 0.2 on a one-hidden-layer GELU net (Chebyshev data): S crosses 2/η
    near step 440."""
    with jax.enable_x64(True):
        x, y = models.chebyshev_regression(5, 20)
        net = models.mlp([1, 100, 1], jax.nn.gelu)
        loss = lambda p: 0.5 * jnp.mean((net.apply(p, x) - y) ** 2)  # noqa: E731
        key_init, key_run = jax.random.split(jax.random.key(0))
        params0 = net.init(key_init)
        run = jax.jit(dynamics.central_flow(loss, num_steps=800, every=20, num_eigs=1, lanczos_iterations=10))
        return jax.tree.map(np.asarray, run(params0, key_run, 0.2))


def test_the_flow_holds_the_sharpness_at_two_over_eta(edge_run):
    """Once σ² > 0 the restoring term puts S back on 2/η every sub-step, so |S − 2/η| is only the
    one-sub-step Euler remainder ½·dt²·vᵀ∇²S·v, which the next sub-step removes again (measured
    ≤ 1e-8 relative). The band 1e-4·(2/η) is a requirement, not a fitted value: an error of
    1e-4 in S·η/2 moves σ²/η by far less than the check's 5% loss tolerance."""
    o = edge_run.observations
    on = np.flatnonzero(o["sigma_trace"] > 0)
    assert on.size > 10 and on[0] * 20 < 700
    s = o["eigenvalues"][on[1]:, 0]
    assert np.max(np.abs(s - 10.0)) <= 1e-4 * 10.0
    assert np.all(o["lanczos_residuals"][:, 0] <= 1e-6 * o["eigenvalues"][:, 0])
    np.testing.assert_allclose(o["predicted_loss"], edge_run.losses + o["sigma_trace"] / 0.2, rtol=1e-12)
    assert not edge_run.diverged


def test_the_flow_loss_never_increases(edge_run):
    """dL/dt = −η⟨∇L, ∇L + ½σ²∇S⟩ = −η‖P∇L‖² ≤ 0 (σ² is the projection's multiplier); the
    restoring term adds O(dt·|S − 2/η|) per step: increases must stay below 1e-10·L."""
    losses = edge_run.losses
    assert np.all(np.diff(losses) <= 1e-10 * losses[:-1])
    assert losses[-1] < 0.8 * losses[0]
