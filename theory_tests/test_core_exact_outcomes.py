"""Exact outcomes of the simulators and interpolants, with no slack a one-line bug could hide in.

Each fixture has a closed-form answer that is exactly representable (integer iterates, powers
of a dyadic factor) or asymmetric, so that an off-by-one step, a swapped pair of results or a
dropped check changes an asserted number. A mutation campaign (scripts/mutation_campaign.py)
measures how many such one-line bugs the suite catches.
"""

import diffrax
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from theorycheck import bounds
from theorycheck import dynamics

# the library's own float64 numerics (closed forms to 1e-12, Lanczos against eigvalsh): float64
# scoped to each test by the x64 fixture, never switched on for the process
pytestmark = pytest.mark.usefixtures("x64")

NUM_STEPS = 12


def _ramp_loss(nan_from: float, nan_in: str):
    """L(θ) = −θ with gradient −1, so GD at η = 1 from θ₀ = 0 visits θ_t = t exactly. From θ ≥
    ``nan_from`` on, either the loss is NaN (its gradient stays −1) or the gradient is NaN (the
    loss stays finite): the divergence step is exactly ``nan_from``."""

    @jax.custom_jvp
    def loss(theta):
        value = -jnp.sum(theta)
        return jnp.where((nan_in == "loss") & (theta[0] >= nan_from), jnp.nan, value)

    @loss.defjvp
    def _(primals, tangents):
        (theta,), (dtheta,) = primals, tangents
        slope = jnp.where((nan_in == "gradient") & (theta[0] >= nan_from), jnp.nan, -1.0)
        return loss(theta), jnp.sum(slope * dtheta)

    return loss


@pytest.mark.parametrize("nan_in", ["loss", "gradient"])
@pytest.mark.parametrize("nan_from", [0, 5, NUM_STEPS - 1])
@pytest.mark.parametrize("every", [1, 3])
def test_divergence_step_final_time_and_records_are_exact(key, nan_in, nan_from, every):
    run = dynamics.gradient_descent(_ramp_loss(nan_from, nan_in), dynamics.plain_sgd(1.0), num_steps=NUM_STEPS,
                                    every=every, observers={"theta": dynamics.stateless(lambda p, k: p[0])})
    trajectory = jax.jit(run)(jnp.zeros(1), key)
    assert bool(trajectory.diverged)
    assert int(trajectory.status) == dynamics.STATUS_DIVERGED
    assert int(trajectory.diverged_at) == nan_from
    assert int(trajectory.final_time) == nan_from
    np.testing.assert_array_equal(trajectory.final_params, [nan_from])  # frozen at the last finite iterate
    losses = np.asarray(trajectory.losses)
    if nan_in == "gradient":  # the loss itself never signals anything
        assert np.all(np.isfinite(losses))
    np.testing.assert_array_equal(losses[:nan_from], -np.arange(nan_from))
    # a record at step s is taken before step s: finite (θ_s = s) iff no step before s diverged
    times = np.arange(0, NUM_STEPS + 1, every)
    np.testing.assert_array_equal(trajectory.times, times)
    expected = np.where(times <= nan_from, times, np.nan)
    np.testing.assert_array_equal(trajectory.observations["theta"], expected)


def test_a_run_that_stops_one_step_short_of_the_nan_is_complete(key):
    """The NaN lies at θ = 12 but only θ₀ … θ₁₁ are evaluated in 12 steps."""
    run = dynamics.gradient_descent(_ramp_loss(NUM_STEPS, "loss"), dynamics.plain_sgd(1.0), num_steps=NUM_STEPS,
                                    every=4, observers={"theta": dynamics.stateless(lambda p, k: p[0])})
    trajectory = run(jnp.zeros(1), key)
    assert not bool(trajectory.diverged)
    assert int(trajectory.status) == dynamics.STATUS_COMPLETED
    assert int(trajectory.diverged_at) == -1 and int(trajectory.final_time) == NUM_STEPS
    np.testing.assert_array_equal(trajectory.final_params, [NUM_STEPS])
    np.testing.assert_array_equal(trajectory.losses, -np.arange(NUM_STEPS))
    np.testing.assert_array_equal(trajectory.observations["theta"], [0, 4, 8, 12])


def test_quadratic_overflow_step_matches_its_closed_form(key):
    """GD on ½θ² at η = 2.2 multiplies θ by −1.2 per step; in float64 θ_t² overflows first when
    1.2^t > √(max float), i.e. at t* = ⌈log √max / log 1.2⌉ = 1947 (the real threshold 1946.51 is
    far from an integer, so rounding of the iterates cannot move it)."""
    threshold = np.log(np.sqrt(np.finfo(np.float64).max)) / np.log(1.2)
    assert 0.05 < threshold % 1 < 0.95
    expected = int(np.ceil(threshold))
    run = dynamics.gradient_descent(lambda t: 0.5 * jnp.sum(t**2), dynamics.plain_sgd(2.2), num_steps=2000, every=500)
    trajectory = jax.jit(run)(jnp.ones(1), key)
    assert bool(trajectory.diverged)
    assert int(trajectory.diverged_at) == expected and int(trajectory.final_time) == expected
    np.testing.assert_allclose(np.abs(trajectory.final_params), 1.2**expected, rtol=1e-12)


@pytest.mark.parametrize("momentum, weight_decay", [(0.0, 0.0), (0.9, 0.0), (0.5, 0.3)])
def test_plain_sgd_is_heavy_ball_with_coupled_weight_decay(key, momentum, weight_decay):
    """The documented recursion ``m ← g + wd·θ + μ·m``, ``θ ← θ − η·m`` on L = ½Σλᵢθᵢ², run in
    numpy; equivalently θ_{t+1} = θ_t − η(∇L + wd·θ_t) + μ(θ_t − θ_{t−1}). Nesterov momentum
    (update g + μ·m) or decoupled decay (outside m) differ from it at the first momentum step by
    O(ημ): a relative tolerance of 1e-12 over 15 steps separates them."""
    lam, lr, steps = np.array([0.5, 2.0, 3.0]), 0.2, 15
    theta, m, losses = np.array([1.0, -1.0, 0.5]), np.zeros(3), []
    for _ in range(steps):
        losses.append(0.5 * np.sum(lam * theta**2))
        m = lam * theta + weight_decay * theta + momentum * m
        theta = theta - lr * m
    run = dynamics.gradient_descent(lambda t: 0.5 * jnp.sum(jnp.asarray(lam) * t**2),
                                    dynamics.plain_sgd(lr, momentum=momentum, weight_decay=weight_decay), num_steps=steps)
    trajectory = run(jnp.array([1.0, -1.0, 0.5]), key)
    np.testing.assert_allclose(trajectory.losses, losses, rtol=1e-12)
    np.testing.assert_allclose(trajectory.final_params, theta, rtol=1e-12)


def test_weight_decay_given_as_data_from_zero_and_swept_by_vmap(key):
    """plain_sgd skips ``wd·θ`` by a cond when wd == 0: a run built with wd = 0 and given
    wd = 0.3 as data, and a vmap over wd ∈ {0, 0.3} (where the cond becomes a select), both
    follow the documented recursion exactly."""
    lam, lr, steps = np.array([0.5, 2.0, 3.0]), 0.2, 10

    def numpy_run(weight_decay):
        theta = np.array([1.0, -1.0, 0.5])
        for _ in range(steps):
            theta = theta - lr * (lam * theta + weight_decay * theta)
        return theta

    run = dynamics.gradient_descent(lambda t: 0.5 * jnp.sum(jnp.asarray(lam) * t**2),
                                    dynamics.plain_sgd(lr, weight_decay=0.0), num_steps=steps)
    theta0 = jnp.array([1.0, -1.0, 0.5])
    np.testing.assert_allclose(run(theta0, key, {"weight_decay": 0.3}).final_params, numpy_run(0.3), rtol=1e-12)
    swept = jax.vmap(lambda wd: run(theta0, key, {"weight_decay": wd}).final_params)(jnp.array([0.0, 0.3]))
    np.testing.assert_allclose(swept, np.stack([numpy_run(0.0), numpy_run(0.3)]), rtol=1e-12)


def test_gd_loss_curve_on_a_quadratic_matches_its_closed_form(key):
    """GD on ½Σλᵢθᵢ² (diagonal, so Uᵀe₀ = θ₀): L_t = ½Σλᵢθᵢ²(1 − ηλᵢ)^{2t}
    (bounds.gd_quadratic_loss_curve); relative error ≤ a few eps per step, 1e-12 over 30 steps."""
    lam, theta0, lr = np.array([0.5, 2.0, 3.0]), np.array([1.0, -1.0, 0.5]), 0.3
    run = dynamics.gradient_descent(lambda t: 0.5 * jnp.sum(jnp.asarray(lam) * t**2), dynamics.plain_sgd(lr),
                                    num_steps=30, every=10, observers={"loss": dynamics.loss_observer(
                                        lambda t: 0.5 * jnp.sum(jnp.asarray(lam) * t**2))})
    trajectory = run(jnp.asarray(theta0), key)
    exact = bounds.gd_quadratic_loss_curve(lam, theta0, lr, 30)
    np.testing.assert_allclose(trajectory.losses, exact[:-1], rtol=1e-12)
    np.testing.assert_allclose(trajectory.observations["loss"], exact[::10], rtol=1e-12)
    assert int(trajectory.status) == dynamics.STATUS_COMPLETED and int(trajectory.final_time) == 30


# ------------------------------------------------------------------------------- gradient flow
def test_gradient_flow_reaches_its_horizon_exactly(key):
    """dθ/dt = −θ: θ(t) = θ₀e^{−t}, loss ½θ₀²e^{−2t}; rtol 1e-8 of the controller (bound 1e-6)."""
    run = dynamics.gradient_flow(lambda t: 0.5 * jnp.sum(t**2), t1=2.0, num_records=5,
                                 observers={"theta": dynamics.stateless(lambda p, k: p[0])})
    trajectory = jax.jit(run)(jnp.array([3.0]), key)
    times = np.linspace(0.0, 2.0, 5)
    assert int(trajectory.status) == dynamics.STATUS_COMPLETED and not bool(trajectory.diverged)
    assert float(trajectory.final_time) == 2.0 and float(trajectory.diverged_at) == -1.0
    np.testing.assert_array_equal(trajectory.times, times)
    np.testing.assert_allclose(trajectory.observations["theta"], 3.0 * np.exp(-times), rtol=1e-6)
    np.testing.assert_allclose(trajectory.losses, 4.5 * np.exp(-2 * times), rtol=1e-6)
    np.testing.assert_allclose(trajectory.final_params, 3.0 * np.exp(-2.0), rtol=1e-6)


def test_gradient_flow_blow_up_time(key):
    """dθ/dt = θ² (L = −θ³/3) from θ₀ = 1: θ(t) = 1/(1 − t) blows up at t = 1. The run must end
    there (not at the horizon t1 = 2), flag a divergence or a failed solve, keep the records
    before the blow-up exact and leave those after it NaN."""
    run = dynamics.gradient_flow(lambda t: -jnp.sum(t**3) / 3.0, t1=2.0, num_records=5, max_steps=4096)
    trajectory = jax.jit(run)(jnp.array([1.0]), key)
    assert int(trajectory.status) in (dynamics.STATUS_DIVERGED, dynamics.STATUS_SOLVER_FAILED)
    assert abs(float(trajectory.final_time) - 1.0) <= 1e-6
    if bool(trajectory.diverged):
        assert float(trajectory.diverged_at) == float(trajectory.final_time)
    else:
        assert float(trajectory.diverged_at) == -1.0
    losses = np.asarray(trajectory.losses)
    np.testing.assert_allclose(losses[:2], [-1.0 / 3.0, -8.0 / 3.0], rtol=1e-6)  # θ(0.5) = 2
    assert np.all(np.isnan(losses[3:]))


def test_gradient_flow_event_stop_is_reported_as_stopped(key):
    """dθ/dt = −θ from θ₀ = 1 with a stop at θ ≤ 0.3: the crossing is at t = log(1/0.3) ≈ 1.20 and
    the event fires at the end of the first accepted step past it. Records up to the stop are
    e^{−t} (rtol 1e-6), those after it NaN; the stop is not a divergence."""
    run = dynamics.gradient_flow(lambda t: 0.5 * jnp.sum(t**2), t1=4.0, num_records=9,
                                 stop_when=lambda t: t[0] <= 0.3,
                                 observers={"theta": dynamics.stateless(lambda p, k: p[0])})
    trajectory = run(jnp.ones(1), key)
    assert int(trajectory.status) == dynamics.STATUS_STOPPED and not bool(trajectory.diverged)
    assert float(trajectory.diverged_at) == -1.0
    stop = float(trajectory.final_time)
    assert np.log(1 / 0.3) <= stop < 4.0
    np.testing.assert_allclose(trajectory.final_params, np.exp(-stop), rtol=1e-6)
    times = np.linspace(0.0, 4.0, 9)
    expected = np.where(times <= stop, np.exp(-times), np.nan)
    np.testing.assert_allclose(trajectory.observations["theta"], expected, rtol=1e-6)
    np.testing.assert_allclose(trajectory.losses, 0.5 * expected**2, rtol=1e-6)


def test_gradient_flow_divergence_time_is_the_first_non_finite_record(key):
    """dθ/dt = 1 (L = −θ, gradient −1 everywhere) from θ₀ = 0, with the loss NaN from θ ≥ 1.5 on:
    the ODE itself is harmless and reaches t1 = 4, but the loss is NaN from t = 1.5, first seen at
    the record t = 2."""
    run = dynamics.gradient_flow(_ramp_loss(1.5, "loss"), t1=4.0, num_records=5)
    trajectory = jax.jit(run)(jnp.zeros(1), key)
    assert bool(trajectory.diverged) and int(trajectory.status) == dynamics.STATUS_DIVERGED
    assert float(trajectory.final_time) == 4.0
    assert float(trajectory.diverged_at) == 2.0
    np.testing.assert_allclose(np.asarray(trajectory.losses)[:2], [0.0, -1.0], atol=1e-12)
    assert np.all(np.isnan(np.asarray(trajectory.losses)[2:]))


def test_gradient_flow_with_a_nan_gradient_at_the_start_diverges_at_time_zero(key):
    """L(θ) = θ with a NaN gradient: the solver cannot take a step. That is a divergence at t = 0
    (as GD reports it at step 0), and the record at t = 0 is the initial state, not diffrax's
    unsaved-buffer fill value (inf)."""
    run = dynamics.gradient_flow(_ramp_loss(-1.0, "gradient"), t1=1.0, num_records=3, max_steps=64)
    trajectory = jax.jit(run)(jnp.zeros(1), key)
    assert bool(trajectory.diverged) and int(trajectory.status) == dynamics.STATUS_DIVERGED
    assert float(trajectory.final_time) == 0.0 and float(trajectory.diverged_at) == 0.0
    np.testing.assert_array_equal(trajectory.losses, [0.0, np.nan, np.nan])
    np.testing.assert_array_equal(trajectory.final_params, [0.0])


# ------------------------------------------------------------------------------------- Lanczos
def test_lanczos_restarts_after_an_exact_breakdown(key):
    """A = diag(1, …, 8) from the eigenvector e₁ (eigenvalue 1, the smallest): the Krylov space
    is span{e₁} and β₁ = 0 exactly. Without the restart the basis continues with zero vectors and
    the top Ritz value is 1; with it, m = n gives the exact top eigenpairs 8, 7, 6."""
    diagonal = jnp.arange(1.0, 9.0)
    pairs = dynamics.lanczos_top_eigenpairs(lambda v: diagonal * v, jnp.eye(8)[0], key, num_iterations=8, k=3)
    np.testing.assert_allclose(pairs.eigenvalues, [8.0, 7.0, 6.0], rtol=1e-12)
    np.testing.assert_allclose(np.abs(pairs.eigenvectors), np.eye(8)[[7, 6, 5]], atol=1e-10)
    assert np.all(pairs.residuals <= 1e-10)


def test_lanczos_ritz_values_interlace_and_converge_with_the_krylov_dimension(key):
    """Ritz values from m < n iterations never exceed the true ones (Cauchy interlacing, exact
    arithmetic on an orthonormal basis) and are exact at m = n."""
    rng = np.random.default_rng(1)
    rotation = np.linalg.qr(rng.standard_normal((20, 20)))[0]
    eigenvalues = np.linspace(-1.0, 3.0, 20)
    matrix = jnp.asarray((rotation * eigenvalues) @ rotation.T)
    start = jnp.asarray(rng.standard_normal(20))
    few = dynamics.lanczos_top_eigenpairs(lambda v: matrix @ v, start, key, num_iterations=4, k=2)
    assert np.all(np.asarray(few.eigenvalues) <= eigenvalues[::-1][:2] + 1e-12)
    assert few.eigenvalues[0] > few.eigenvalues[1]
    full = dynamics.lanczos_top_eigenpairs(lambda v: matrix @ v, start, key, num_iterations=20, k=2)
    np.testing.assert_allclose(full.eigenvalues, eigenvalues[::-1][:2], rtol=1e-10)


def test_top_hessian_eigenvalues_flags_a_converged_estimate(key):
    """L = ½Σλᵢθᵢ² with λ = (1, …, 6): full Krylov dimension gives residuals ~eps, so every
    estimate must be flagged converged (two iterations cannot: test_dynamics)."""
    lam = jnp.arange(1.0, 7.0)
    observer = dynamics.top_hessian_eigenvalues(lambda t: 0.5 * jnp.sum(lam * t**2), k=2, num_iterations=6, rtol=1e-8)
    params = jnp.ones(6)
    record, state = observer.observe(params, observer.init(params, key), key)
    np.testing.assert_allclose(record["eigenvalues"], [6.0, 5.0], rtol=1e-12)
    np.testing.assert_array_equal(record["converged"], [True, True])
    np.testing.assert_allclose(jnp.abs(state), jnp.eye(6)[5], atol=1e-10)  # warm start = top eigenvector


@pytest.mark.parametrize("scale", [1e-6, 1e6])
def test_convergence_flag_is_relative_to_the_eigenvalue(key, scale):
    """``converged = residual <= rtol·|λ|``: the same spectra scaled by 1e±6. Full Krylov
    dimension gives residuals ~eps·λ (converged at rtol = 1e-8, although ≫ 1e-8 in absolute terms
    at scale 1e6); two iterations on a spread spectrum leave residuals ~0.1·λ (unconverged at
    rtol = 1e-3, although ≪ 1e-3 in absolute terms at scale 1e-6)."""
    lam = scale * jnp.arange(1.0, 7.0)
    exact = dynamics.top_hessian_eigenvalues(lambda t: 0.5 * jnp.sum(lam * t**2), num_iterations=6, rtol=1e-8)
    record, _ = exact.observe(jnp.ones(6), exact.init(jnp.ones(6), key), key)
    assert bool(record["converged"][0])
    spread = scale * jnp.linspace(1.0, 2.0, 50)
    rough = dynamics.top_hessian_eigenvalues(lambda t: 0.5 * jnp.sum(spread * t**2), num_iterations=2, rtol=1e-3)
    record, _ = rough.observe(jnp.ones(50), rough.init(jnp.ones(50), key), key)
    assert not bool(record["converged"][0])


# -------------------------------------------------------------------------------- interpolants
def test_min_l1_and_min_l2_interpolants_on_an_asymmetric_fixture():
    """X = [1, 2], y = 2: the interpolants form the line β₁ + 2β₂ = 2. Min-ℓ2 is Xᵀ(XXᵀ)⁻¹y =
    (0.4, 0.8); min-ℓ1 puts everything on the larger coefficient: (0, 1). Swapping the two, or
    returning a non-interpolant, changes both numbers."""
    X, y = np.array([[1.0, 2.0]]), np.array([2.0])
    np.testing.assert_allclose(bounds.min_l2_interpolant(X, y), [0.4, 0.8], rtol=1e-14)
    np.testing.assert_allclose(bounds.min_l1_interpolant(X, y), [0.0, 1.0], atol=1e-14)


def test_implicit_regularizer_limits_on_the_asymmetric_fixture():
    """Kernel regime (α = 10, D = 2) is within 1e-4 of min-ℓ2; rich regime (α = 0.01, D = 3) within
    1e-4 of min-ℓ1 (the rates of test_bounds: α^{−4} and α³ up to constants of order one)."""
    X, y = np.array([[1.0, 2.0]]), np.array([2.0])
    kernel = bounds.woodworth20_implicit_regularizer_minimizer(X, y, 10.0, 2).beta
    rich = bounds.woodworth20_implicit_regularizer_minimizer(X, y, 0.01, 3).beta
    np.testing.assert_allclose(kernel, [0.4, 0.8], atol=1e-4)
    np.testing.assert_allclose(rich, [0.0, 1.0], atol=1e-4)


def test_gd_quadratic_closed_forms_at_their_boundaries():
    """T = 0 is allowed and gives [L₀] = [½Σλᵢcᵢ²]; ρ = max|1 − ηλᵢ| with the two modes
    (0.7, −0.2) telling max from min and from a signed maximum."""
    np.testing.assert_array_equal(bounds.gd_quadratic_loss_curve([1.0, 4.0], [2.0, 1.0], 0.3, 0), [4.0])
    assert bounds.gd_quadratic_contraction([1.0, 4.0], 0.3) == pytest.approx(0.7, rel=1e-15)
    assert bounds.gd_quadratic_contraction([1.0, 9.0], 0.3) == pytest.approx(1.7, rel=1e-15)
