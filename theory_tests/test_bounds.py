"""The closed-form predictions in :mod:`bounds`, against independent float64 numpy computations.

Every tolerance is derived in the test's docstring (rounding counts, Taylor remainders, rates);
none is a measured number. Data follow shared/THEORY.md §2: X ~ N(0, 1)^{n×d}, β* with s entries
1/√s on a random support, y = Xβ*.
"""

import decimal

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg
import scipy.optimize
from hypothesis import given, settings
from hypothesis import strategies as st

from theorycheck import bounds

# the library's own float64 numerics (closed forms to 1e-12, Lanczos against eigvalsh): float64
# scoped to each test by the x64 fixture, never switched on for the process
pytestmark = pytest.mark.usefixtures("x64")

EPS = np.finfo(np.float64).eps
DEPTHS = (2, 3, 4, 5)


def _sparse_regression(n=20, d=60, s=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    beta_star = np.zeros(d)
    beta_star[rng.choice(d, s, replace=False)] = 1.0 / np.sqrt(s)
    return X, X @ beta_star, beta_star


def _relative(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


def _spd(d=8, top=2.0, condition=10.0, seed=0):
    """A = U diag(λ) Uᵀ with λ evenly spread on [top/condition, top]."""
    rng = np.random.default_rng(seed)
    eigenvalues = np.linspace(top / condition, top, d)
    rotation = np.linalg.qr(rng.standard_normal((d, d)))[0]
    return eigenvalues, rotation, (rotation * eigenvalues) @ rotation.T, rng


def _heavy_ball(matrix, theta0, theta_star, lr, momentum, steps):
    """Direct iteration θ_{t+1} = θ_t − η A(θ_t − θ*) + μ(θ_t − θ_{t−1}); returns [L_0, …, L_T]."""
    theta, previous, losses = theta0.copy(), theta0.copy(), []
    for _ in range(steps + 1):
        error = theta - theta_star
        losses.append(0.5 * error @ matrix @ error)
        theta, previous = theta - lr * (matrix @ error) + momentum * (theta - previous), theta
    return np.array(losses)


# ------------------------------------------------------------------------ GD on a quadratic / EoS
def test_eos_threshold_values_and_traced_inputs():
    """2(1+μ)/η on floats and on traced JAX arrays (one jit, vmapped over η)."""
    assert bounds.eos_threshold(0.2) == pytest.approx(10.0, rel=1e-15)
    assert bounds.eos_threshold(0.2, momentum=0.5) == pytest.approx(15.0, rel=1e-15)
    lrs = jnp.array([0.1, 0.2, 0.4])
    out = jax.jit(jax.vmap(lambda lr: bounds.eos_threshold(lr, 0.25)))(lrs)
    np.testing.assert_allclose(out, 2.5 / np.asarray(lrs), rtol=1e-15)


@pytest.mark.parametrize("kwargs, name", [
    ({"lr": 0.0}, "lr"), ({"lr": -1.0}, "lr"), ({"lr": 0.1, "momentum": 1.0}, "momentum"),
    ({"lr": 0.1, "momentum": -0.1}, "momentum"), ({"lr": np.array([0.1, -0.1])}, "lr"),
])
def test_eos_threshold_rejects_bad_configuration(kwargs, name):
    with pytest.raises(ValueError, match=name):
        bounds.eos_threshold(**kwargs)


@pytest.mark.parametrize("momentum", [0.0, 0.5, 0.9])
@pytest.mark.parametrize("fraction, stable", [(0.95, True), (1.05, False)])
def test_heavy_ball_is_stable_exactly_below_eos_threshold(momentum, fraction, stable):
    """**Statement:** heavy ball on ½λθ² is stable iff λ < 2(1+μ)/η. The companion roots solve
    r² − (1+μ−ηλ)r + μ = 0; at 0.95x both have modulus ≤ max(√μ, 0.9) < 1 here, at 1.05x one real
    root lies below −1.1 (Jury: stable iff |1+μ−ηλ| < 1+μ). Over 400 steps the loss therefore
    shrinks, resp. grows, by more than 1e6."""
    lr = 0.1
    lam = fraction * bounds.eos_threshold(lr, momentum)
    losses = _heavy_ball(np.array([[lam]]), np.ones(1), np.zeros(1), lr, momentum, 400)
    assert (losses[-1] < 1e-6 * losses[0]) if stable else (losses[-1] > 1e6 * losses[0])


@pytest.mark.parametrize("fraction", [0.5, 0.9, 1.1, 2.0])
def test_gd_quadratic_loss_curve_matches_direct_gd(fraction):
    """**Statement:** L_t = ½Σλᵢcᵢ²(1−ηλᵢ)^{2t} for GD on a quadratic, any η.

    The iteration runs on e = θ − θ* directly (θ* = 0), so rounding is relative to ‖e_t‖ (with
    θ* ≠ 0 the subtraction θ − θ* adds an absolute eps·‖θ*‖ floor). Tolerance, first order in eps:
    step t adds an error of norm ≤ γ‖e_t‖, γ = (d+2)·eps·(1 + √d·ηλ_max) (matrix-vector product and
    two axpys); mode i carries it with factor mᵢ = 1 − ηλᵢ, so |δcᵢ(t)| ≤ γ Σ_{k<t}|mᵢ|^{t−1−k}‖e_k‖
    and |δL_t| ≤ Σᵢ λᵢ|cᵢ(t)||δcᵢ(t)|, evaluated with the exact e_k."""
    eigenvalues, rotation, matrix, rng = _spd()
    d, steps = 8, 100
    lr = fraction * 2.0 / eigenvalues.max()
    coefficients = rng.standard_normal(d)
    simulated = _heavy_ball(matrix, rotation @ coefficients, np.zeros(d), lr, 0.0, steps)
    exact = bounds.gd_quadratic_loss_curve(eigenvalues, coefficients, lr, steps)
    assert exact.shape == (steps + 1,)
    factors = 1.0 - lr * eigenvalues
    modes = coefficients * factors ** np.arange(steps + 1)[:, None]  # c_i(t), shape (T+1, d)
    norms = np.linalg.norm(modes, axis=1)
    gamma = (d + 2) * EPS * (1 + np.sqrt(d) * lr * eigenvalues.max())
    carried = np.zeros(d)  # Σ_{k<t} |m_i|^{t−1−k} ‖e_k‖
    bound = np.zeros(steps + 1)
    for t in range(1, steps + 1):
        carried = np.abs(factors) * carried + norms[t - 1]
        bound[t] = gamma * np.sum(eigenvalues * np.abs(modes[t]) * carried)
    assert np.all(np.abs(simulated - exact) <= bound + 4 * EPS * exact)


def test_gd_quadratic_loss_curve_fails_with_momentum():
    """Negative control: heavy ball (μ = 0.5) leaves the plain-GD closed form by O(1)."""
    eigenvalues, rotation, matrix, rng = _spd()
    coefficients, lr = rng.standard_normal(8), 0.5 * 2.0 / eigenvalues.max()
    simulated = _heavy_ball(matrix, rotation @ coefficients, np.zeros(8), lr, 0.5, 100)
    exact = bounds.gd_quadratic_loss_curve(eigenvalues, coefficients, lr, 100)
    assert np.max(np.abs(simulated - exact) / exact) > 0.1


@pytest.mark.parametrize("fraction", [0.5, 0.9, 1.1, 2.0])
def test_gd_contraction_threshold_and_rate(fraction):
    """**Statement:** ρ = maxᵢ|1−ηλᵢ| < 1 iff η < 2/λ_max (A ≻ 0), and ρ is the asymptotic
    per-step factor of ‖θ_t − θ*‖. Measured by normalised power iteration with the matrix A (not its
    eigenvalues): the factor converges to ρ like (ρ₂/ρ)^{2T} with ρ₂/ρ ≤ 0.98 on this spectrum, so
    after T = 2000 steps the discrepancy is below 1e-12 + rounding."""
    eigenvalues, _, matrix, rng = _spd()
    lr = fraction * 2.0 / eigenvalues.max()
    rho = bounds.gd_quadratic_contraction(eigenvalues, lr)
    assert (rho < 1) == (fraction < 1)
    error = rng.standard_normal(8)
    for _ in range(2000):
        error = error - lr * (matrix @ error)
        factor, error = np.linalg.norm(error), error / np.linalg.norm(error)
    assert abs(factor - rho) <= 1e-10 * rho


@pytest.mark.parametrize("bad", [{"lr": 0.0}, {"eigenvalues": np.ones((2, 2))}, {"num_steps": -1},
                                 {"coefficients": np.ones(3)}, {"eigenvalues": np.array([1.0, np.nan])}])
def test_gd_quadratic_loss_curve_rejects_bad_configuration(bad):
    kwargs = {"eigenvalues": np.ones(2), "coefficients": np.ones(2), "lr": 0.1, "num_steps": 3} | bad
    with pytest.raises(ValueError, match=next(iter(bad))):
        bounds.gd_quadratic_loss_curve(**kwargs)


# -------------------------------------------------------------------- link, inverse, potential
@settings(max_examples=60)
@given(z=st.floats(-1.0, 1.0, exclude_min=True, exclude_max=True), depth=st.sampled_from(DEPTHS))
def test_link_inverse_round_trip_in_z(z, depth):
    """h_D^{−1}(h_D(z)) = z. h is evaluated with a few roundings (relative error ≲ 4 eps·(1 + 2p|atanh z|)
    in u), and z's sensitivity to u is u/(z h'(z)) ≤ 1/(2p|atanh z|) for large angles, ≤ 1 for small:
    the product stays below ~8 eps; the inverse adds ≤ 4 eps: tolerance 16 eps relative in z."""
    if depth == 2:
        z = 50.0 * z  # h₂ = 2 sinh is defined on ℝ
    u = bounds.woodworth20_link(z, depth)
    assert abs(bounds.woodworth20_link_inverse(u, depth) - z) <= 16 * EPS * abs(z)


@settings(max_examples=60)
@given(log_u=st.floats(-300.0, 300.0), sign=st.sampled_from([-1.0, 1.0]), depth=st.sampled_from(DEPTHS))
def test_link_inverse_round_trip_in_u(log_u, sign, depth):
    """h_D(h_D^{−1}(u)) = u up to the condition number of h at z = h^{−1}(u):
    |Δu|/|u| ≤ 16 eps·(1 + z h'(z)/h(z)); for D ≥ 3, z h'/h ≈ p/(1−|z|) near the boundary. Values
    whose float64 z rounds to ±1 (|u| ≳ 1e16^p) are outside the representable domain and skipped."""
    u = sign * 10.0**log_u
    z = bounds.woodworth20_link_inverse(u, depth)
    if depth == 2 and abs(u) > 1e300 or depth > 2 and abs(z) == 1.0:
        return
    p = depth / (depth - 2) if depth > 2 else 1.0
    derivative = 2 * np.cosh(z) if depth == 2 else p * ((1 - z) ** (-p - 1) + (1 + z) ** (-p - 1))
    condition = 1.0 + abs(z * derivative / u)
    assert abs(bounds.woodworth20_link(z, depth) - u) <= 16 * EPS * condition * abs(u)


@pytest.mark.parametrize("depth", DEPTHS)
def test_link_matches_its_defining_formula_and_is_odd_increasing(depth):
    z = np.linspace(0.05, 0.9, 18)
    z = np.concatenate([-z[::-1], [0.0], z])
    p = depth / (depth - 2) if depth > 2 else None
    direct = 2 * np.sinh(z) if depth == 2 else (1 - z) ** (-p) - (1 + z) ** (-p)
    h = bounds.woodworth20_link(z, depth)
    np.testing.assert_allclose(h, direct, rtol=1e-13, atol=1e-15)  # cancellation in `direct` near 0
    np.testing.assert_array_equal(h, -h[::-1])
    assert np.all(np.diff(h) > 0)


@pytest.mark.parametrize("depth", DEPTHS)
def test_potential_derivative_is_link_inverse(depth):
    """q_D' = h_D^{−1} by central differences with step δ = 1e-5·max(1, |z|): the truncation error
    is δ²·|q'''|/6 ≤ δ²/6·max|(h^{−1})''| and the rounding error eps·|q|/δ; both ≤ 1e-7 relative."""
    z = np.array([-40.0, -3.0, -0.2, 0.01, 0.7, 2.0, 15.0, 1e3])
    step = 1e-5 * np.maximum(1.0, np.abs(z))
    q = lambda v: bounds.woodworth20_potential(v, depth)  # noqa: E731
    numeric = (q(z + step) - q(z - step)) / (2 * step)
    np.testing.assert_allclose(numeric, bounds.woodworth20_link_inverse(z, depth), rtol=1e-7)


def test_potential_closed_forms_and_small_z_limit():
    """q₂(z) = 2 − √(4+z²) + z·arcsinh(z/2); near 0, q_D(z) = z²/(2h_D'(0)) + O(z⁴) with h₂'(0) = 2,
    h_D'(0) = 2D/(D−2), so at z = 1e-4 the relative deviation is O(1e-8) (bound: 1e-6)."""
    z = np.array([-30.0, -1.5, 0.3, 4.0, 200.0])
    np.testing.assert_allclose(bounds.woodworth20_potential(z, 2),
                               2 - np.sqrt(4 + z**2) + z * np.arcsinh(z / 2), rtol=1e-13)
    for depth in DEPTHS:
        slope = 2.0 if depth == 2 else 2.0 * depth / (depth - 2)
        small = np.array([1e-4, 1e-150])
        np.testing.assert_allclose(bounds.woodworth20_potential(small, depth), small**2 / (2 * slope), rtol=1e-6)
        assert bounds.woodworth20_potential(0.0, depth) == 0.0


@pytest.mark.parametrize("kwargs, name", [
    ({"X": np.ones(5)}, "X"), ({"y": np.ones(4)}, "y"), ({"alpha": 0.0}, "alpha"),
    ({"alpha": -1.0}, "alpha"), ({"depth": 1}, "depth"), ({"depth": 2.5}, "depth"),
    ({"X": np.full((3, 5), np.nan)}, "X"), ({"y": np.array([1.0, np.nan, 0.0])}, "y"),
])
def test_minimizer_rejects_bad_configuration(kwargs, name):
    args = {"X": np.ones((3, 5)), "y": np.ones(3), "alpha": 1.0, "depth": 2} | kwargs
    with pytest.raises(ValueError, match=name):
        bounds.woodworth20_implicit_regularizer_minimizer(**args)


def test_link_rejects_outside_its_domain():
    with pytest.raises(ValueError, match="z"):
        bounds.woodworth20_link(1.5, 3)
    with pytest.raises(ValueError, match="z"):
        bounds.woodworth20_potential(np.nan, 3)


# ------------------------------------------------------------------------ argmin Q_α^D s.t. Xβ = y
def _null_space_component(X, v):
    return v - X.T @ np.linalg.lstsq(X.T, v, rcond=None)[0]


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("alpha", [0.05, 0.3, 1.0, 3.0, 10.0])
def test_minimizer_satisfies_kkt(depth, alpha):
    """**Statement:** β = argmin Q_α^D s.t. Xβ = y iff Xβ = y and ∇Q(β) = h_D^{−1}(β/α^D) ∈ range(Xᵀ)
    (Q strictly convex). Feasibility to the solver's 1e-13; stationarity: the recovered z has
    relative error ≲ 8 eps per entry (inverse + β's rounding), and the projection onto null(X)
    amplifies by ≲ cond(X) ≈ (√d+√n)/(√d−√n) ≈ 3.7: bound 100 eps·‖z‖."""
    X, y, _ = _sparse_regression()
    result = bounds.woodworth20_implicit_regularizer_minimizer(X, y, alpha, depth)
    assert result.converged and result.kkt_residual <= 1e-13
    assert _relative(X @ result.beta, y) <= 1e-13
    z = bounds.woodworth20_link_inverse(result.beta / alpha**depth, depth)
    assert np.linalg.norm(_null_space_component(X, z)) <= 100 * EPS * np.linalg.norm(z)


@pytest.mark.parametrize("depth, alpha", [(2, 0.05), (3, 0.05), (5, 0.05), (5, 10.0)])
def test_minimizer_converges_at_paper_scale(depth, alpha):
    """n = 100, d = 1000 (the paper's size); z within 1e-4 of ±1 at D = 5, α = 0.05."""
    X, y, _ = _sparse_regression(100, 1000, 5, seed=1)
    result = bounds.woodworth20_implicit_regularizer_minimizer(X, y, alpha, depth)
    assert result.converged and result.kkt_residual <= 1e-13 and result.iterations <= 60


@pytest.mark.parametrize("depth, alpha", [(2, 0.05), (3, 0.05), (5, 0.01)])
def test_minimizer_is_accurate_against_a_high_precision_instance(depth, alpha):
    """A problem with a known answer: any ν̄ defines β̄ = α^D h_D(Xᵀν̄), which is argmin Q s.t. Xβ = Xβ̄.
    β̄ and ȳ = Xβ̄ are computed with 60-digit ``decimal`` arithmetic (the float64 X, ν̄ and α are
    exact decimals), then rounded. ν̄ is the solver's own dual at (α, D), so at D = 5, α = 0.01 some
    zᵢ lie within ~1e-6 of ±1. Tolerance, first order: ‖δβ‖ ≤ ‖S‖(‖Xβ − ȳ‖ + eps‖ȳ‖) + 8p·eps‖β̄‖ with
    S = MXᵀ(XMXᵀ)⁻¹, M = α^D diag(h_D'(z)) (the map from a change in y to the change in argmin Q),
    and 8p·eps for rounding α^D and h_D (relative condition ≤ p per rounding of 1 ∓ z, amplified
    only along the constraint-absorbed directions)."""
    X, y0, _ = _sparse_regression()
    n, d = X.shape
    nu_bar = bounds.woodworth20_implicit_regularizer_minimizer(X, y0, alpha, depth).nu
    with decimal.localcontext() as context:
        context.prec = 60
        nu = [decimal.Decimal(float(v)) for v in nu_bar]
        xs = [[decimal.Decimal(float(v)) for v in row] for row in X]
        z = [sum(xs[j][i] * nu[j] for j in range(n)) for i in range(d)]
        scale = decimal.Decimal(float(alpha)) ** depth
        if depth == 2:
            beta = [scale * (zi.exp() - (-zi).exp()) for zi in z]
        else:
            p = decimal.Decimal(depth) / decimal.Decimal(depth - 2)
            beta = [scale * ((1 - zi) ** -p - (1 + zi) ** -p) for zi in z]
        y = np.array([float(sum(xs[j][i] * beta[i] for i in range(d))) for j in range(n)])
        beta, z = np.array([float(b) for b in beta]), np.array([float(v) for v in z])
    result = bounds.woodworth20_implicit_regularizer_minimizer(X, y, alpha, depth, tol=0.0)
    p = depth / (depth - 2) if depth > 2 else 1.0
    slope = 2 * np.cosh(z) if depth == 2 else p * ((1 - z) ** (-p - 1) + (1 + z) ** (-p - 1))
    metric = alpha**depth * slope
    sensitivity = np.linalg.norm(metric[:, None] * X.T @ np.linalg.inv((X * metric) @ X.T), 2)
    residual = np.linalg.norm(X @ result.beta - y)
    bound = sensitivity * (residual + EPS * np.linalg.norm(y)) + 8 * p * EPS * np.linalg.norm(beta)
    assert np.linalg.norm(result.beta - beta) <= bound


@pytest.mark.parametrize("depth", [2, 3])
@pytest.mark.parametrize("alpha", [0.1, 0.5, 2.0])
def test_minimizer_has_the_smallest_regularizer_among_interpolants(depth, alpha):
    """Q(argmin) ≤ Q(β) for min-ℓ2, min-ℓ1 and random interpolants (β_ℓ2 + a null-space vector),
    up to the value's rounding (a sum of d terms: 1e-12 relative)."""
    X, y, _ = _sparse_regression()
    rng = np.random.default_rng(1)
    best = bounds.woodworth20_implicit_regularizer_minimizer(X, y, alpha, depth).beta
    l2 = bounds.min_l2_interpolant(X, y)
    others = [l2, bounds.min_l1_interpolant(X, y)]
    others += [l2 + scale * _null_space_component(X, rng.standard_normal(60)) for scale in (1e-3, 0.1, 1.0)]
    q_best = bounds.woodworth20_implicit_regularizer(best, alpha, depth)
    for other in others:
        assert _relative(X @ other, y) <= 1e-12
        assert q_best <= bounds.woodworth20_implicit_regularizer(other, alpha, depth) * (1 + 1e-12)


def test_minimizer_matches_an_independent_primal_solve():
    """The dual Newton solve against L-BFGS on the primal: β = β_ℓ2 + Nw with N an orthonormal
    basis of null(X), minimising Q(β_ℓ2 + Nw) with gradient Nᵀh_D^{−1}(β/α^D). Primal gradient norm
    ≤ 1e-10 and the Hessian of Q is ≥ 1/max h_D'(z) on this problem, so ‖Δβ‖ ≲ 1e-6 relative."""
    X, y, _ = _sparse_regression(8, 20, 2, seed=3)
    alpha, depth = 0.5, 3
    l2, basis = bounds.min_l2_interpolant(X, y), scipy.linalg.null_space(X)
    scale = alpha**depth

    def objective(w):
        beta = l2 + basis @ w
        return bounds.woodworth20_implicit_regularizer(beta, alpha, depth), basis.T @ bounds.woodworth20_link_inverse(beta / scale, depth)

    primal = scipy.optimize.minimize(objective, np.zeros(basis.shape[1]), jac=True, method="L-BFGS-B",
                                     options={"gtol": 1e-10, "ftol": 0, "maxiter": 10_000})
    dual = bounds.woodworth20_implicit_regularizer_minimizer(X, y, alpha, depth).beta
    assert _relative(l2 + basis @ primal.x, dual) <= 1e-6


def test_min_interpolants():
    """min-ℓ2 lies in range(Xᵀ); min-ℓ1 recovers the 3-sparse β* exactly (n = 20 ≫ s log(d/s))."""
    X, y, beta_star = _sparse_regression()
    l2, l1 = bounds.min_l2_interpolant(X, y), bounds.min_l1_interpolant(X, y)
    assert _relative(X @ l2, y) <= 1e-13 and np.linalg.norm(_null_space_component(X, l2)) <= 1e-13
    assert _relative(l1, beta_star) <= 1e-12
    assert np.sum(np.abs(l1)) < np.sum(np.abs(l2))


@pytest.mark.parametrize("depth", [2, 3])
def test_kernel_regime_limit_and_rate(depth):
    """**Statement:** α → ∞ gives min-ℓ2 (Woodworth et al. 2020). Derivation: with
    h(z) = h'(0)(z + κ₃z³ + O(z⁵)), β = Xᵀμ + r where r = α^D h'(0) κ₃ z³, so
    β − β_ℓ2 = (I − P_range(Xᵀ)) r and ‖β − β_ℓ2‖/‖β_ℓ2‖ ≤ |κ₃|·‖z‖²_∞ with z ≈ β_ℓ2/(α^D h'(0));
    κ₃ = 1/6 (D = 2), (p+1)(p+2)/6 (D ≥ 3). Hence also rate α^{−2D}: the log-log slope between
    α = 3 and 10 is −2D up to the relative O(z²) ≲ 1e-3 of the next term (allow ±0.05)."""
    X, y, _ = _sparse_regression()
    l2 = bounds.min_l2_interpolant(X, y)
    p = depth / (depth - 2) if depth > 2 else None
    slope0, kappa3 = (2.0, 1.0 / 6.0) if depth == 2 else (2.0 * p, (p + 1) * (p + 2) / 6.0)
    distances = []
    for alpha in (3.0, 10.0):
        beta = bounds.woodworth20_implicit_regularizer_minimizer(X, y, alpha, depth).beta
        z = l2 / (alpha**depth * slope0)
        distances.append(_relative(beta, l2))
        assert distances[-1] <= kappa3 * np.max(np.abs(z)) ** 2
    slope = np.log(distances[1] / distances[0]) / np.log(10.0 / 3.0)
    assert abs(slope + 2 * depth) <= 0.05


def test_rich_regime_limit_depth3_but_not_depth2():
    """**Statement:** α → 0 gives min-ℓ1; for D ≥ 3 polynomially fast, for D = 2 only like
    1/log(1/α) (Woodworth et al. 2020; THEORY.md §2). Derivation of the D ≥ 3 rate: off the ℓ1
    support, βᵢ = α^D h_D(zᵢ) with zᵢ converging to a strict dual certificate (|zᵢ| < 1), and the
    support entries absorb X_offβ_off, so ‖β − β_ℓ1‖ = Θ(α^D): the log-log slope over α ∈
    [0.01, 0.02] is D up to the O(α^{D−2}) relative drift of z (allow ±0.25).

    "Close" is defined operationally as having covered 95% of the way from min-ℓ2 to min-ℓ1.
    Negative control: D = 2 at the same α is not close and its slope is below 1 (log-slow)."""
    X, y, _ = _sparse_regression()
    l1, l2 = bounds.min_l1_interpolant(X, y), bounds.min_l2_interpolant(X, y)
    gap = _relative(l2, l1)

    def distance(alpha, depth):
        return _relative(bounds.woodworth20_implicit_regularizer_minimizer(X, y, alpha, depth).beta, l1)

    assert distance(0.05, 3) <= 0.05 * gap
    assert distance(0.05, 2) > 0.05 * gap
    for depth in (3, 4):
        slope = np.log(distance(0.02, depth) / distance(0.01, depth)) / np.log(2.0)
        assert abs(slope - depth) <= 0.25
    assert np.log(distance(0.02, 2) / distance(0.01, 2)) / np.log(2.0) < 1.0


@pytest.mark.parametrize("depth", [2, 3, 5, 8])
@pytest.mark.parametrize("alphas", [(0.3, 0.3), (0.05, 0.7), (2.0, 0.5)])
def test_diagonal_flow_metric_bound_holds_on_the_conserved_curve(depth, alphas):
    """Along the flow each coordinate stays on its conserved curve (w₊w₋ = α₊α₋ for D = 2,
    w₊^{2−D} + w₋^{2−D} = S for D ≥ 3); the metric D²(w₊^{2D−2} + w₋^{2D−2}) never drops below
    the bound anywhere on that curve. The curve's minimum (at w₊ = w₋) equals the bound for D = 2
    and 2^{(2D−2)/(D−2)} times it for D ≥ 3, where the bound uses each w ≥ S^{−1/(D−2)} alone."""
    a, b = alphas
    bound = bounds.woodworth20_metric_lower_bound(a, b, depth)
    if depth == 2:
        w_plus = np.geomspace(1e-6, 1e6, 20001) * np.sqrt(a * b)
        w_minus = a * b / w_plus
    else:
        s = a ** (2 - depth) + b ** (2 - depth)
        u = np.linspace(1e-9, 1 - 1e-9, 20001) * s  # u = w₊^{2−D}, the rest is w₋^{2−D}
        w_plus, w_minus = u ** (1 / (2 - depth)), (s - u) ** (1 / (2 - depth))
    metric = depth**2 * (w_plus ** (2 * depth - 2) + w_minus ** (2 * depth - 2))
    assert metric.min() >= bound * (1 - 1e-12)
    slack = 1.0 if depth == 2 else 2.0 ** ((2 * depth - 2) / (depth - 2))
    assert metric.min() == pytest.approx(slack * bound, rel=1e-3)


def test_paired_noise_band_hand_value():
    """d = (1, 2, 3): sd = 1, n = 3, t_{0.99,2} = 6.964557 (table value), band = 6.964557/√3 = 4.02099;
    d = (0.1, −0.1): sd = √0.02, t_{0.95,1} = 6.313752, band = 6.313752·0.141421/√2 = 0.631375."""
    assert bounds.paired_noise_band([1.0, 2.0, 3.0], 0.99) == pytest.approx(4.02099, abs=1e-5)
    assert bounds.paired_noise_band([0.1, -0.1], 0.95) == pytest.approx(0.631375, abs=1e-6)
    assert bounds.paired_noise_band([0.5, 0.5, 0.5]) == 0.0
    with pytest.raises(ValueError, match="replicates"):
        bounds.paired_noise_band([1.0])
    with pytest.raises(ValueError, match="confidence"):
        bounds.paired_noise_band([1.0, 2.0], 1.5)
